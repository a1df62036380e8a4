/* ERA5 file decoding and events.
 *
 * 1. The real ERA5 GRIB1 samples of ../shared/data/era5-grib-samples (SOURCES.md section 4;
 *    skipped when absent): what the files hold, their sha256 (sha256sum), and decoded values:
 *    the Europe 2 m temperature averaged over a box around Paris, against the mean of the same
 *    16 grid points printed once by ecCodes' grib_get_data (270.8271484 K); a truncated copy.
 * 2. "ERA5 over Vietnam": no real extract exists, so HAND-MADE FIXTURES in the real layouts
 *    (GRIB1 messages with ECMWF table-128 parameters, the provider simulator's encoder;
 *    CDS netCDF in the new (valid_time, floats) and old (time in hours since 1900, packed
 *    shorts) layouts), values from a formula: Hanoi box means against an independent
 *    computation.
 * 3. The simulator: deterministic, plausible Hanoi values. */
#include "gridded_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ais/era5.h"
#include "ais/provsim_gridded.h"
#include "ais/timeutil.h"

static const ais_bbox HANOI = {.west = 105.25, .east = 106.10, .south = 20.55, .north = 21.40};
static const ais_bbox PARIS = {.west = 2.0, .east = 2.75, .south = 48.5, .north = 49.25};

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static void decode_ok(const char *path, const ais_bbox *box, ais_era5_file_info *f)
{
    const char *reason = NULL;
    char detail[256];
    ais_status st = ais_era5_file_decode(path, box, f, &reason, detail, sizeof detail);
    if (st != AIS_OK)
        print_error("%s: %s %s\n", path, reason ? reason : "", detail);
    assert_int_equal(st, AIS_OK);
}

static void test_real_pressure_levels(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("era5-grib-samples");
    if (dir == NULL)
        skip();
    char *path = ais_test_join(dir, "era5-levels-members.grib");
    ais_era5_file_info f;
    decode_ok(path, &HANOI, &f);
    assert_string_equal(f.dataset_type, "pressure_levels");
    assert_string_equal(f.file_format, "grib1");
    assert_int_equal(f.messages, 160);
    assert_int_equal(f.members, 10);
    assert_int_equal(f.n_variables, 2);
    assert_string_equal(f.variables[0], "z");
    assert_string_equal(f.variables[1], "t");
    assert_int_equal(f.n_levels, 2);
    assert_int_equal(f.levels[0], 500);
    assert_int_equal(f.levels[1], 850);
    assert_int_equal(f.period_start, iso("2017-01-01T00:00:00Z"));
    assert_int_equal(f.period_end, iso("2017-01-02T12:00:00Z"));
    assert_double_near(f.north, 90, 1e-9);
    assert_double_near(f.south, -90, 1e-9);
    assert_double_near(f.west, 0, 1e-9);
    assert_double_near(f.east, 357, 1e-9);
    assert_int_equal(f.size_bytes, 2361600);
    assert_string_equal(f.sha256, "c144fde61ca5d53702bf6f212775ef2cc783bdd66b6865160bf597c1b35ed898");
    assert_int_equal(f.n_hours, 0);

    gt_run r;
    gt_run_init(&r, AIS_ERA5_SOURCE, "2017-01-01T00:00:00Z", "2017-01-03T00:00:00Z");
    json_t *ev = NULL;
    assert_int_equal(ais_era5_event_new(&r.env, &f, path, NULL, 0, &ev), AIS_OK);
    assert_string_equal(json_string_value(json_object_get(ev, "event_id")),
                        "era5_pressure_levels_2017010100_2017010212");
    assert_string_equal(json_string_value(json_object_get(ev, "area")), "90/0/-90/357");
    assert_string_equal(json_string_value(json_object_get(ev, "available_at")), "2017-01-07T12:00:00Z");
    assert_int_equal(json_array_size(json_object_get(ev, "hanoi_hourly")), 0);
    json_t *flags = json_object_get(ev, "quality_flags");
    assert_string_equal(json_string_value(json_array_get(flags, 0)), "ensemble_member_0");
    json_decref(ev);
    ais_era5_file_info_free(&f);
    gt_run_free(&r);
    free(path);
    free(dir);
}

static void test_real_single_level(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("era5-grib-samples");
    if (dir == NULL)
        skip();
    char *path = ais_test_join(dir, "era5-single-level-scalar-time.grib");
    ais_era5_file_info f;
    decode_ok(path, &PARIS, &f);
    assert_string_equal(f.dataset_type, "single_levels");
    assert_int_equal(f.messages, 1);
    assert_int_equal(f.n_variables, 1);
    assert_string_equal(f.variables[0], "t2m"); /* GRIB 2t */
    assert_int_equal(f.hanoi, AIS_ERA5_HANOI_BOX);
    assert_int_equal(f.hanoi_points, 16);
    assert_int_equal(f.n_hours, 1);
    assert_int_equal(f.hours[0].time, iso("2017-01-01T12:00:00Z"));
    assert_true(f.hours[0].set[4] && !f.hours[0].set[0]);
    assert_double_near(f.hours[0].v[4], 270.82714844, 1e-6);
    assert_double_near(f.north, 60, 1e-9);
    assert_double_near(f.west, -10, 1e-9);
    assert_double_near(f.east, 40, 1e-9);
    assert_int_equal(f.size_bytes, 48840);
    assert_string_equal(f.sha256, "e4dd858087fdb3ed8d7a0cb12095221d9100cfa9d658ecf4e3f132e411f882a6");
    char id[96];
    assert_int_equal(ais_era5_event_id(&f, id, sizeof id), AIS_OK);
    assert_string_equal(id, "era5_single_levels_2017_01_01");
    ais_era5_file_info_free(&f);
    /* a single grid point: 45 N 10 E is 278.10571289 K in grib_get_data */
    static const ais_bbox point = {.west = 9.9, .east = 10.1, .south = 44.9, .north = 45.1};
    decode_ok(path, &point, &f);
    assert_int_equal(f.hanoi_points, 1);
    assert_double_near(f.hours[0].v[4], 278.10571289, 1e-6);
    ais_era5_file_info_free(&f);
    /* Hanoi is far outside this grid */
    decode_ok(path, &HANOI, &f);
    assert_int_equal(f.hanoi, AIS_ERA5_HANOI_OUTSIDE);
    assert_int_equal(f.n_hours, 0);
    ais_era5_file_info_free(&f);
    free(path);
    free(dir);
}

static void test_real_truncated(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("era5-grib-samples");
    if (dir == NULL)
        skip();
    char *tmp = ais_test_mkdtemp();
    char *src = ais_test_join(dir, "era5-levels-members.grib");
    char *cut = ais_test_join(tmp, "era5-levels-members-cut.grib");
    gt_copy_prefix(src, cut, 2361600 / 2 + 77);
    char *empty = ais_test_join(tmp, "empty.grib");
    ais_test_write_file(empty, "");
    char *text = ais_test_join(tmp, "notes.grib");
    ais_test_write_file(text, "hello, world\n");
    const char *paths[] = {src, cut, empty, text};
    gt_run r;
    gt_run_init(&r, AIS_ERA5_SOURCE, "2017-01-01T00:00:00Z", "2017-02-01T00:00:00Z");
    char err[256];
    assert_int_equal(ais_era5_ingest_files(paths, 4, &HANOI, &r.out, err, sizeof err),
                     AIS_ERR_PARSE);
    assert_int_equal(json_array_size(r.events), 1);
    assert_int_equal(r.stats.files_rejected, 3);
    char *reasons = gt_reasons(&r);
    assert_string_equal(reasons, "grib_decode_failed,empty_file,unknown_format");
    free(reasons);
    gt_run_free(&r);
    free(src);
    free(cut);
    free(empty);
    free(text);
    ais_test_rm_rf(tmp);
    free(tmp);
    free(dir);
}

/* live downloads carry their CDS job id in the name; other names give none */
static void test_request_from_name(void **state)
{
    (void)state;
    char id[72];
    assert_true(ais_era5_request_from_name(
        "/d/era5_single_levels_20170101.cds-0000aaaa-0000-4000-8000-000000000001.grib", id,
        sizeof id));
    assert_string_equal(id, "0000aaaa-0000-4000-8000-000000000001");
    assert_false(ais_era5_request_from_name("/d/era5-levels-members.grib", id, sizeof id));
    assert_false(ais_era5_request_from_name("/d.cds-abc.x/era5.grib", id, sizeof id));
    assert_false(ais_era5_request_from_name("era5.cds-.grib", id, sizeof id));
    assert_false(ais_era5_request_from_name("era5.cds-12;rm.grib", id, sizeof id));
    assert_false(ais_era5_request_from_name("era5.cds-abcd", id, sizeof id));
    char small[4];
    assert_false(ais_era5_request_from_name("era5.cds-abcd.grib", small, sizeof small));
}

/* ---- hand-made "ERA5 over Vietnam" fixtures ---------------------------------------------- */

#define NLAT 7 /* 21.75 .. 20.25, north to south as ERA5 */
#define NLON 7 /* 105.00 .. 106.50 */
static const long PARAMS[8] = {165, 166, 159, 134, 167, 168, 228, 151}; /* table 128 */

static double fx_lat(int j) { return 21.75 - 0.25 * j; }
static double fx_lon(int i) { return 105.0 + 0.25 * i; }
static double fx_value(int var, int hour, int j, int i)
{
    static const double base[8] = {-1.5, 2.0, 450.0, 100800.0, 290.0, 285.0, 0.0004, 101500.0};
    static const double step[8] = {0.1, -0.05, 30.0, -20.0, 0.4, 0.2, 0.0001, 5.0};
    return base[var] + step[var] * (hour + 0.5 * j - 0.3 * i);
}

/* independent: mean over the Hanoi box of the fixture grid */
static double fx_box_mean(int var, int hour)
{
    double s = 0;
    int n = 0;
    for (int j = 0; j < NLAT; j++)
        for (int i = 0; i < NLON; i++)
            if (fx_lat(j) >= 20.55 && fx_lat(j) <= 21.40 && fx_lon(i) >= 105.25 && fx_lon(i) <= 106.10) {
                s += fx_value(var, hour, j, i);
                n++;
            }
    assert_int_equal(n, 12); /* 3 latitudes x 4 longitudes */
    return s / n;
}

/* GRIB1 messages of the CDS's ERA5 (the provider simulator's encoder), values from fx_value. */
static void write_grib_fixture(const char *path)
{
    ais_json_buf grib = {0};
    char err[256];
    for (int hour = 0; hour < 2; hour++)
        for (int var = 0; var < 8; var++) {
            double values[NLAT * NLON];
            for (int j = 0; j < NLAT; j++)
                for (int i = 0; i < NLON; i++)
                    values[j * NLON + i] = fx_value(var, hour, j, i);
            ais_era5_grib_message m = {.param_id = PARAMS[var],
                                       .valid_time = iso("2026-10-15T00:00:00Z") + hour * 3600,
                                       .ni = NLON, .nj = NLAT, .north = fx_lat(0),
                                       .west = fx_lon(0), .step_deg = 0.25,
                                       .bits_per_value = 24, .values = values};
            assert_int_equal(ais_era5_grib_append(&grib, &m, err, sizeof err), AIS_OK);
        }
    assert_int_equal(ais_fs_write_atomic(path, grib.data, grib.len), AIS_OK);
    free(grib.data);
}

static void check_fixture_hours(const ais_era5_file_info *f, double tol)
{
    assert_string_equal(f->dataset_type, "single_levels");
    assert_int_equal(f->hanoi, AIS_ERA5_HANOI_BOX);
    assert_int_equal(f->hanoi_points, 12);
    assert_int_equal(f->n_variables, 8);
    assert_int_equal(f->n_hours, 2);
    for (int hour = 0; hour < 2; hour++) {
        assert_int_equal(f->hours[hour].time, iso("2026-10-15T00:00:00Z") + hour * 3600);
        for (int var = 0; var < 8; var++) {
            assert_true(f->hours[hour].set[var]);
            assert_double_near(f->hours[hour].v[var], fx_box_mean(var, hour),
                               tol * fmax(1.0, fabs(fx_box_mean(var, hour))));
        }
    }
}

static void test_fixture_grib_vietnam(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *path = ais_test_join(tmp, "handmade-era5-single-levels-vietnam-20261015.grib");
    write_grib_fixture(path);
    ais_era5_file_info f;
    decode_ok(path, &HANOI, &f);
    check_fixture_hours(&f, 1e-6);
    char **names = NULL;
    (void)names;
    assert_string_equal(f.variables[0], "u10");
    assert_string_equal(f.variables[4], "t2m");
    assert_string_equal(f.variables[5], "d2m");
    char id[96];
    assert_int_equal(ais_era5_event_id(&f, id, sizeof id), AIS_OK);
    assert_string_equal(id, "era5_single_levels_2026_10_15");
    ais_era5_file_info_free(&f);
    /* a 3-degree grid has no point in the box: the nearest one stands in */
    static const ais_bbox small = {.west = 105.30, .east = 105.40, .south = 21.05, .north = 21.20};
    decode_ok(path, &small, &f);
    assert_int_equal(f.hanoi, AIS_ERA5_HANOI_NEAREST);
    assert_int_equal(f.hanoi_points, 1);
    /* centre 21.125 N 105.35 E -> grid point 21.0 N 105.25 E (j 3, i 1) */
    assert_double_near(f.hours[1].v[4], fx_value(4, 1, 3, 1), 1e-5);
    ais_era5_file_info_free(&f);
    ais_test_rm_rf(tmp);
    free(path);
    free(tmp);
}

static void nc_ok(int rc) { assert_int_equal(rc, NC_NOERR); }

/* CDS netCDF: new layout (netCDF-4, valid_time seconds since 1970, float) or old (netCDF-3,
 * time hours since 1900, packed short). */
static void write_nc_fixture(const char *path, bool old_layout)
{
    int nc, dt, dy, dx, vt, vy, vx;
    /* the old CDS files were netCDF-3 (64-bit offset), the new ones are netCDF-4 */
    nc_ok(nc_create(path, (old_layout ? NC_64BIT_OFFSET : NC_NETCDF4) | NC_CLOBBER, &nc));
    const char *title = "HAND-MADE FIXTURE: ERA5 single levels over Vietnam in the CDS netCDF layout";
    nc_ok(nc_put_att_text(nc, NC_GLOBAL, "title", strlen(title), title));
    const char *tname = old_layout ? "time" : "valid_time";
    nc_ok(nc_def_dim(nc, tname, 2, &dt));
    nc_ok(nc_def_dim(nc, "latitude", NLAT, &dy));
    nc_ok(nc_def_dim(nc, "longitude", NLON, &dx));
    nc_ok(nc_def_var(nc, tname, old_layout ? NC_INT : NC_INT64, 1, &dt, &vt));
    const char *tu = old_layout ? "hours since 1900-01-01 00:00:00.0" : "seconds since 1970-01-01";
    nc_ok(nc_put_att_text(nc, vt, "units", strlen(tu), tu));
    nc_ok(nc_def_var(nc, "latitude", NC_DOUBLE, 1, &dy, &vy));
    nc_ok(nc_def_var(nc, "longitude", NC_DOUBLE, 1, &dx, &vx));
    static const char *const names[8] = {"u10", "v10", "blh", "sp", "t2m", "d2m", "tp", "msl"};
    int dims[3] = {dt, dy, dx}, vars[8];
    double scale[8], offset[8];
    for (int v = 0; v < 8; v++) {
        nc_ok(nc_def_var(nc, names[v], old_layout ? NC_SHORT : NC_FLOAT, 3, dims, &vars[v]));
        if (old_layout) {
            /* CDS packing: the range over 65534 steps */
            double lo = fx_value(v, 0, 0, NLON - 1) - fabs(fx_value(v, 0, 0, 0)) * 0.01 - 1,
                   hi = fx_value(v, 1, NLAT - 1, 0) + fabs(fx_value(v, 0, 0, 0)) * 0.01 + 1;
            scale[v] = (hi - lo) / 65534.0;
            offset[v] = lo + 32767.0 * scale[v];
            short fill = -32767;
            nc_ok(nc_put_att_double(nc, vars[v], "scale_factor", NC_DOUBLE, 1, &scale[v]));
            nc_ok(nc_put_att_double(nc, vars[v], "add_offset", NC_DOUBLE, 1, &offset[v]));
            nc_ok(nc_def_var_fill(nc, vars[v], 0, &fill));
        } else {
            float fill = NAN;
            nc_ok(nc_def_var_fill(nc, vars[v], 0, &fill));
        }
    }
    nc_ok(nc_enddef(nc));
    double lats[NLAT], lons[NLON];
    for (int j = 0; j < NLAT; j++)
        lats[j] = fx_lat(j);
    for (int i = 0; i < NLON; i++)
        lons[i] = fx_lon(i);
    nc_ok(nc_put_var_double(nc, vy, lats));
    nc_ok(nc_put_var_double(nc, vx, lons));
    if (old_layout) {
        int t[2] = {1111392, 1111393}; /* hours since 1900: 2026-10-15T00 and 01 */
        nc_ok(nc_put_var_int(nc, vt, t));
    } else {
        long long t[2] = {iso("2026-10-15T00:00:00Z"), iso("2026-10-15T01:00:00Z")};
        nc_ok(nc_put_var_longlong(nc, vt, t));
    }
    for (int v = 0; v < 8; v++) {
        if (old_layout) {
            short buf[2 * NLAT * NLON];
            for (int k = 0; k < 2 * NLAT * NLON; k++) {
                int hour = k / (NLAT * NLON), j = k / NLON % NLAT, i = k % NLON;
                buf[k] = (short)lround((fx_value(v, hour, j, i) - offset[v]) / scale[v]);
            }
            nc_ok(nc_put_var_short(nc, vars[v], buf));
        } else {
            float buf[2 * NLAT * NLON];
            for (int k = 0; k < 2 * NLAT * NLON; k++)
                buf[k] = (float)fx_value(v, k / (NLAT * NLON), k / NLON % NLAT, k % NLON);
            nc_ok(nc_put_var_float(nc, vars[v], buf));
        }
    }
    nc_ok(nc_close(nc));
}

static void test_fixture_netcdf_vietnam(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(ais_time_from_civil(1900, 1, 1, 0, 0, 0, &t), AIS_OK);
    assert_int_equal((iso("2026-10-15T00:00:00Z") - t) / 3600, 1111392);
    char *tmp = ais_test_mkdtemp();
    char *path = ais_test_join(tmp, "handmade-era5-single-levels-vietnam-new.nc");
    write_nc_fixture(path, false);
    ais_era5_file_info f;
    decode_ok(path, &HANOI, &f);
    assert_string_equal(f.file_format, "netcdf");
    check_fixture_hours(&f, 1e-6); /* float storage */
    ais_era5_file_info_free(&f);
    char *old = ais_test_join(tmp, "handmade-era5-single-levels-vietnam-old.nc");
    write_nc_fixture(old, true);
    decode_ok(old, &HANOI, &f);
    check_fixture_hours(&f, 1e-4); /* 16-bit packing */
    ais_era5_file_info_free(&f);
    ais_test_rm_rf(tmp);
    free(path);
    free(old);
    free(tmp);
}

static void test_simulate(void **state)
{
    (void)state;
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso("2026-07-01T00:00:00Z"),
                                       iso("2026-07-03T00:00:00Z")), AIS_OK);
    static const long levels[] = {1000, 925, 850, 700, 600, 500, 400};
    json_t *a = json_array(), *b = json_array();
    ais_sink sa = {.ctx = a, .write = gt_keep}, sb = {.ctx = b, .write = gt_keep};
    uint64_t n;
    assert_int_equal(ais_era5_simulate(11, &HANOI, levels, 7, &env, &sa, &n), AIS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(ais_era5_simulate(11, &HANOI, levels, 7, &env, &sb, &n), AIS_OK);
    assert_true(json_equal(a, b));
    json_t *day = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(day, "event_id")), "era5_single_levels_2026_07_01");
    assert_string_equal(json_string_value(json_object_get(day, "source")), "simulated");
    json_t *hours = json_object_get(day, "hanoi_hourly");
    assert_int_equal(json_array_size(hours), 24);
    for (size_t i = 0; i < 24; i++) {
        json_t *h = json_array_get(hours, i);
        double t2m = json_real_value(json_object_get(h, "t2m"));
        double d2m = json_real_value(json_object_get(h, "d2m"));
        double blh = json_real_value(json_object_get(h, "blh"));
        double sp = json_real_value(json_object_get(h, "sp"));
        assert_true(t2m > 295 && t2m < 312); /* Hanoi in July */
        assert_true(d2m <= t2m);
        assert_true(blh > 50 && blh < 3500);
        assert_true(sp > 98000 && sp < 102500);
    }
    json_t *pl = json_array_get(a, 1);
    assert_string_equal(json_string_value(json_object_get(pl, "dataset_type")), "pressure_levels");
    assert_int_equal(json_array_size(json_object_get(pl, "pressure_levels_hpa")), 7);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_pressure_levels),
        cmocka_unit_test(test_real_single_level),
        cmocka_unit_test(test_real_truncated),
        cmocka_unit_test(test_fixture_grib_vietnam),
        cmocka_unit_test(test_fixture_netcdf_vietnam),
        cmocka_unit_test(test_simulate),
        cmocka_unit_test(test_request_from_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
