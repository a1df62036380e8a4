/* ERA5 GRIB -> met grid -> ARL.
 *
 * Real data: the two ERA5 GRIB1 samples of ../shared/data/era5-grib-samples (SOURCES.md: global
 * 3-degree z and t at 500/850 hPa with 10 EDA members; 2t over Europe) are decoded and checked
 * against what SOURCES.md says they hold. They are not over Vietnam and have no wind, so the
 * end-to-end conversion runs on a HAND-MADE fixture written here with ecCodes in the real ERA5
 * layout (GRIB1, ECMWF table 128 short names, rows north to south, 0.25 degrees, 100-112 E,
 * 14-26 N, 7 levels, 3 times) whose values follow known formulas. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <eccodes.h>

#include "ais/arl.h"
#include "ais/met.h"
#include "ais/met_era5.h"
#include "ais/timeutil.h"

#define CONFIG AIS_REPO_ROOT "/config/hanoi_pipeline.yaml"
#define T0 INT64_C(1768435200) /* 2026-01-15T00:00:00Z */

static const long LEVELS[7] = {1000, 925, 850, 700, 600, 500, 400};
static const char *const VARS[5] = {"u", "v", "w", "t", "z"};

/* ---- the formulas of the hand-made fixture --------------------------------------------- */

static double fx_value(const char *var, long level, int it, double lat, double lon)
{
    double p = (double)level;
    if (strcmp(var, "u") == 0)
        return 5.0 + 0.2 * (lat - 20.0) + p / 1000.0 + it;
    if (strcmp(var, "v") == 0)
        return -2.0 + 0.1 * (lon - 106.0) - 0.5 * it;
    if (strcmp(var, "w") == 0)
        return 0.01 * p / 100.0;
    if (strcmp(var, "t") == 0)
        return 300.0 - 0.05 * (1000.0 - p) + 0.1 * (lat - 20.0);
    if (strcmp(var, "z") == 0 && level > 0) /* geopotential of an isothermal 288 K atmosphere + a slope */
        return AIS_MET_G0 * (8434.5 * log(1013.25 / p) + 2.0 * (lon - 100.0));
    if (strcmp(var, "sp") == 0)
        return 100800.0 - 100.0 * (lat - 14.0);
    if (strcmp(var, "2t") == 0)
        return 295.0 + it;
    if (strcmp(var, "10u") == 0)
        return 3.0;
    if (strcmp(var, "10v") == 0)
        return -1.0;
    return AIS_MET_G0 * 10.0 * (lat - 14.0); /* surface z: terrain 0..120 m */
}

typedef struct fx_opts {
    const char *skip_var; /* leave this message out ... */
    long skip_level;
    int skip_time;
    int duplicate_first;  /* write the first message twice */
    int surface;          /* single-level file instead of pressure levels */
} fx_opts;

static void fx_write_message(FILE *out, const char *sample, const char *var, long level, int it)
{
    codes_handle *h = codes_grib_handle_new_from_samples(NULL, sample);
    assert_non_null(h);
    const long ni = 49, nj = 49;
    assert_int_equal(codes_set_long(h, "Ni", ni), 0);
    assert_int_equal(codes_set_long(h, "Nj", nj), 0);
    assert_int_equal(codes_set_long(h, "jScansPositively", 0), 0);
    assert_int_equal(codes_set_double(h, "latitudeOfFirstGridPointInDegrees", 26.0), 0);
    assert_int_equal(codes_set_double(h, "longitudeOfFirstGridPointInDegrees", 100.0), 0);
    assert_int_equal(codes_set_double(h, "latitudeOfLastGridPointInDegrees", 14.0), 0);
    assert_int_equal(codes_set_double(h, "longitudeOfLastGridPointInDegrees", 112.0), 0);
    assert_int_equal(codes_set_double(h, "iDirectionIncrementInDegrees", 0.25), 0);
    assert_int_equal(codes_set_double(h, "jDirectionIncrementInDegrees", 0.25), 0);
    assert_int_equal(codes_set_long(h, "dataDate", 20260115), 0);
    assert_int_equal(codes_set_long(h, "dataTime", (long)it * 600), 0);
    size_t len = strlen(var);
    assert_int_equal(codes_set_string(h, "shortName", var, &len), 0);
    if (level > 0)
        assert_int_equal(codes_set_long(h, "level", level), 0);
    assert_int_equal(codes_set_long(h, "bitsPerValue", 24), 0);
    double *values = malloc((size_t)(ni * nj) * sizeof *values);
    for (long r = 0; r < nj; r++)
        for (long i = 0; i < ni; i++)
            values[r * ni + i] = fx_value(var, level, it, 26.0 - 0.25 * (double)r,
                                          100.0 + 0.25 * (double)i);
    assert_int_equal(codes_set_double_array(h, "values", values, (size_t)(ni * nj)), 0);
    free(values);
    const void *msg = NULL;
    size_t size = 0;
    assert_int_equal(codes_get_message(h, &msg, &size), 0);
    assert_int_equal(fwrite(msg, 1, size, out), size);
    codes_handle_delete(h);
}

static void fx_write(const char *path, const fx_opts *o)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    for (int it = 0; it < 3; it++) {
        if (o->surface) {
            static const char *const sfc[5] = {"sp", "2t", "10u", "10v", "z"};
            for (int v = 0; v < 5; v++)
                fx_write_message(out, "regular_ll_sfc_grib1", sfc[v], 0, it);
            continue;
        }
        for (int k = 0; k < 7; k++) {
            for (int v = 0; v < 5; v++) {
                if (o->skip_var != NULL && strcmp(o->skip_var, VARS[v]) == 0 &&
                    o->skip_level == LEVELS[k] && o->skip_time == it)
                    continue;
                fx_write_message(out, "regular_ll_pl_grib1", VARS[v], LEVELS[k], it);
                if (o->duplicate_first && it == 0 && k == 0 && v == 0)
                    fx_write_message(out, "regular_ll_pl_grib1", VARS[v], LEVELS[k], it);
            }
        }
    }
    assert_int_equal(fclose(out), 0);
}

static const ais_era5_region REGION = {95.0, 115.0, 5.0, 35.0}; /* era5.region */

static ais_met_grid *fx_convert(const fx_opts *pl_opts, int with_surface, char *err,
                                size_t errsize, ais_status *st_out)
{
    char *dir = ais_test_mkdtemp();
    char *pl_path = ais_test_join(dir, "pl.grib");
    char *sfc_path = ais_test_join(dir, "sfc.grib");
    fx_write(pl_path, pl_opts);
    ais_era5_fields pl = {0}, sfc = {0};
    assert_int_equal(ais_era5_fields_read(pl_path, &REGION, &pl, err, errsize), AIS_OK);
    if (with_surface) {
        fx_opts so = {.surface = 1};
        fx_write(sfc_path, &so);
        assert_int_equal(ais_era5_fields_read(sfc_path, &REGION, &sfc, err, errsize), AIS_OK);
    }
    ais_met_grid *g = NULL;
    ais_met_era5_report rep;
    *st_out = ais_met_from_era5(&pl, &sfc, -1, &g, &rep, err, errsize);
    if (*st_out == AIS_OK) {
        assert_int_equal(rep.surface_from_lowest_level, !with_surface);
        assert_int_equal(rep.pressure_messages_used, 105);
    }
    ais_era5_fields_free(&pl);
    ais_era5_fields_free(&sfc);
    ais_test_rm_rf(dir);
    free(dir);
    free(pl_path);
    free(sfc_path);
    return g;
}

/* ---- the hand-made fixture ------------------------------------------------------------- */

static void test_fixture_decodes_to_the_formulas(void **state)
{
    (void)state;
    char err[256] = "";
    ais_status st;
    fx_opts o = {0};
    ais_met_grid *g = fx_convert(&o, 0, err, sizeof err, &st);
    assert_int_equal(st, AIS_OK);
    assert_string_equal(g->source, "ERA5");
    assert_int_equal(g->nx, 49);
    assert_int_equal(g->ny, 49);
    assert_int_equal(g->nz, 7);
    assert_int_equal(g->nt, 3);
    assert_double_near(g->lon0, 100.0, 1e-9);
    assert_double_near(g->lat0, 14.0, 1e-9); /* rows flipped to south -> north */
    assert_double_near(g->dlat, 0.25, 1e-9);
    for (size_t k = 0; k < 7; k++)
        assert_double_near(g->levels_hpa[k], (double)LEVELS[k], 0);
    assert_int_equal(g->times[0], T0);
    assert_int_equal(g->times[2], T0 + 12 * 3600);
    /* spot checks: (it, k, j, i) */
    const size_t pts[4][4] = {{0, 0, 0, 0}, {1, 2, 28, 24}, {2, 6, 48, 48}, {2, 3, 5, 40}};
    for (size_t n = 0; n < 4; n++) {
        size_t it = pts[n][0], k = pts[n][1], j = pts[n][2], i = pts[n][3];
        double lat = 14.0 + 0.25 * (double)j, lon = 100.0 + 0.25 * (double)i, v;
        assert_int_equal(ais_met_get(g, AIS_MET_U, it, k, j, i, &v), AIS_OK);
        assert_double_near(v, fx_value("u", LEVELS[k], (int)it, lat, lon), 1e-3);
        assert_int_equal(ais_met_get(g, AIS_MET_V, it, k, j, i, &v), AIS_OK);
        assert_double_near(v, fx_value("v", LEVELS[k], (int)it, lat, lon), 1e-3);
        assert_int_equal(ais_met_get(g, AIS_MET_W, it, k, j, i, &v), AIS_OK);
        assert_double_near(v, fx_value("w", LEVELS[k], (int)it, lat, lon), 1e-4);
        assert_int_equal(ais_met_get(g, AIS_MET_T, it, k, j, i, &v), AIS_OK);
        assert_double_near(v, fx_value("t", LEVELS[k], (int)it, lat, lon), 1e-3);
        assert_int_equal(ais_met_get(g, AIS_MET_HGT, it, k, j, i, &v), AIS_OK);
        assert_double_near(v, fx_value("z", LEVELS[k], (int)it, lat, lon) / AIS_MET_G0, 0.05);
    }
    /* no single-level file: the surface is the 1000 hPa level */
    double v;
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_PSFC, 1, 10, 10, &v), AIS_OK);
    assert_double_near(v, 100000.0, 0);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_U10, 2, 10, 10, &v), AIS_OK);
    assert_double_near(v, fx_value("u", 1000, 2, 16.5, 102.5), 1e-3);
    assert_int_equal(ais_met_get_terrain(g, 0, 20, &v), AIS_OK);
    assert_double_near(v, fx_value("z", 1000, 0, 14.0, 105.0) / AIS_MET_G0, 0.05);
    ais_met_grid_free(g);
}

static void test_fixture_with_single_levels(void **state)
{
    (void)state;
    char err[256] = "";
    ais_status st;
    fx_opts o = {0};
    ais_met_grid *g = fx_convert(&o, 1, err, sizeof err, &st);
    assert_int_equal(st, AIS_OK);
    double v;
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_PSFC, 1, 8, 3, &v), AIS_OK);
    assert_double_near(v, fx_value("sp", 0, 1, 16.0, 100.75), 0.01);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_T2M, 2, 8, 3, &v), AIS_OK);
    assert_double_near(v, 297.0, 1e-3);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_V10, 0, 8, 3, &v), AIS_OK);
    assert_double_near(v, -1.0, 1e-3);
    assert_int_equal(ais_met_get_terrain(g, 40, 3, &v), AIS_OK);
    assert_double_near(v, 100.0, 1e-3); /* lat 24: 10 m per degree above 14 N */
    ais_met_grid_free(g);
}

static void test_fixture_missing_and_duplicate_messages(void **state)
{
    (void)state;
    char err[256] = "";
    ais_status st;
    fx_opts missing = {.skip_var = "w", .skip_level = 700, .skip_time = 2};
    assert_null(fx_convert(&missing, 0, err, sizeof err, &st));
    assert_int_equal(st, AIS_ERR_PARSE);
    assert_string_equal(err, "w missing at 700 hPa, 2026-01-15T12:00:00Z");
    fx_opts dup = {.duplicate_first = 1};
    assert_null(fx_convert(&dup, 0, err, sizeof err, &st));
    assert_int_equal(st, AIS_ERR_PARSE);
    assert_string_equal(err, "u at 1000 hPa, 2026-01-15T00:00:00Z given twice");
}

/* The program: GRIB -> ARL, the summary a bronze row is built from, HYSPLIT's layout read
 * back, and a trajectory through the result. */
static void test_cli_writes_arl_from_grib(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *pl = ais_test_join(dir, "pl.grib");
    char *sfc = ais_test_join(dir, "sfc.grib");
    char *arl = ais_test_join(dir, "era5.arl");
    fx_opts o = {0}, so = {.surface = 1};
    fx_write(pl, &o);
    fx_write(sfc, &so);
    const char *argv[] = {AIS_TRAJ_BIN, "met-from-era5", "--grib", pl, "--surface-grib", sfc,
                          "--out", arl, "--config", CONFIG, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal(ais_test_run(argv, NULL, &out, &err), 0);
    json_t *lines = ais_test_parse_json_lines(out);
    json_t *s = json_array_get(lines, json_array_size(lines) - 1);
    assert_string_equal(json_string_value(json_object_get(s, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(s, "met_source")), "ERA5");
    assert_false(json_is_true(json_object_get(s, "met_simulated")));
    assert_string_equal(json_string_value(json_object_get(s, "first_time")),
                        "2026-01-15T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(s, "last_time")),
                        "2026-01-15T12:00:00Z");
    assert_double_near(json_real_value(json_object_get(s, "grid_west")), 100.0, 1e-9);
    assert_double_near(json_real_value(json_object_get(s, "grid_north")), 26.0, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(s, "messages_read")), 105);
    struct stat sb;
    assert_int_equal(stat(arl, &sb), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "bytes")), sb.st_size);
    /* 50 + 49*49 bytes per record, (1 index + 5 surface + 7*5 upper) records per time */
    assert_int_equal(sb.st_size, (50 + 49 * 49) * 41 * 3);
    const char *sha = json_string_value(json_object_get(s, "sha256"));
    assert_non_null(sha);
    assert_int_equal(strlen(sha), 64);

    ais_met_grid *g = NULL;
    ais_arl_problem problem;
    char ebuf[AIS_ARL_ERRBUF_SIZE];
    assert_int_equal(ais_arl_read_met(arl, &g, &problem, ebuf, sizeof ebuf), AIS_OK);
    assert_string_equal(g->source, "ERA5");
    double v;
    assert_int_equal(ais_met_get(g, AIS_MET_U, 1, 2, 28, 24, &v), AIS_OK);
    assert_double_near(v, fx_value("u", 850, 1, 21.0, 106.0), 0.01);
    assert_int_equal(ais_met_get(g, AIS_MET_W, 2, 4, 30, 30, &v), AIS_OK);
    assert_double_near(v, fx_value("w", 600, 2, 21.5, 107.5), 1e-3);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_PSFC, 0, 28, 24, &v), AIS_OK);
    assert_double_near(v, fx_value("sp", 0, 0, 21.0, 106.0), 1.0);
    ais_met_grid_free(g);

    /* a 6 h back-trajectory from Hanoi through the converted file */
    char *points = ais_test_join(dir, "points.jsonl");
    const char *run[] = {AIS_TRAJ_BIN, "--met", arl, "--start", "2026-01-15T12:00:00Z", "--lat",
                         "21.03", "--lon", "105.85", "--hours", "-6", "--out", points, "--config",
                         CONFIG, NULL};
    char *out2 = NULL, *err2 = NULL;
    assert_int_equal(ais_test_run(run, NULL, &out2, &err2), 0);
    char *text = ais_test_read_file(points);
    json_t *pts = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(pts), 7);
    json_t *last = json_array_get(pts, 6);
    /* westerly wind of ~7 m/s: 6 h back lies ~1.4 degrees west */
    assert_true(json_real_value(json_object_get(last, "lon")) < 105.85 - 1.0);
    json_decref(pts);
    free(text);
    free(out2);
    free(err2);
    free(points);

    /* usage errors exit 2; a file that is not GRIB exits 1 with the reason and writes nothing */
    const char *no_grib[] = {AIS_TRAJ_BIN, "met-from-era5", "--out", arl, NULL};
    char *out3 = NULL, *err3 = NULL;
    assert_int_equal(ais_test_run(no_grib, NULL, &out3, &err3), 2);
    assert_non_null(strstr(err3, "--grib PL.grib and --out FILE.arl are required"));
    free(out3);
    free(err3);
    char *not_arl = ais_test_join(dir, "not.arl");
    const char *not_grib[] = {AIS_TRAJ_BIN, "met-from-era5", "--grib", CONFIG, "--out", not_arl,
                              "--config", CONFIG, NULL};
    assert_int_equal(ais_test_run(not_grib, NULL, &out3, &err3), 1);
    json_t *bad = ais_test_parse_json_lines(out3);
    json_t *bs = json_array_get(bad, json_array_size(bad) - 1);
    assert_string_equal(json_string_value(json_object_get(bs, "status")), "error");
    char want[1024];
    snprintf(want, sizeof want, "%s: no GRIB message", CONFIG);
    assert_string_equal(json_string_value(json_object_get(bs, "error")), want);
    assert_int_equal(stat(not_arl, &sb), -1);
    json_decref(bad);
    free(out3);
    free(err3);
    free(not_arl);

    json_decref(lines);
    free(out);
    free(err);
    ais_test_rm_rf(dir);
    free(dir);
    free(pl);
    free(sfc);
    free(arl);
}

/* ---- the real ERA5 samples ------------------------------------------------------------- */

static char *sample(const char *name)
{
    const char *base = getenv("AIS_SHARED_DATA");
    char *dir = ais_test_join(base != NULL && base[0] ? base : AIS_SHARED_DATA,
                              "era5-grib-samples");
    char *path = ais_test_join(dir, name);
    free(dir);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        print_message("SKIP: %s is absent; the ERA5 GRIB decoding test needs the recorded "
                      "samples (SOURCES.md, era5-grib-samples)\n",
                      path);
        free(path);
        return NULL;
    }
    return path;
}

static void test_real_levels_members_sample(void **state)
{
    (void)state;
    char *path = sample("era5-levels-members.grib");
    if (path == NULL) {
        skip();
        return;
    }
    char err[256] = "";
    ais_era5_fields all = {0};
    assert_int_equal(ais_era5_fields_read(path, NULL, &all, err, sizeof err), AIS_OK);
    assert_int_equal(all.messages_read, 160);
    assert_int_equal(all.count, 160);
    int members_seen[10] = {0};
    for (size_t k = 0; k < all.count; k++) {
        const ais_era5_field *f = &all.items[k];
        assert_int_equal(f->nx, 120);
        assert_int_equal(f->ny, 61);
        assert_double_near(f->lat0, -90.0, 1e-9);
        assert_double_near(f->lon0, 0.0, 1e-9);
        assert_double_near(f->dlon, 3.0, 1e-9);
        assert_string_equal(f->level_type, "isobaricInhPa");
        assert_true(f->level == 500 || f->level == 850);
        assert_true(strcmp(f->name, "z") == 0 || strcmp(f->name, "t") == 0);
        assert_in_range(f->member, 0, 9);
        members_seen[f->member] = 1;
        assert_true(f->valid_time >= INT64_C(1483228800) && /* 2017-01-01 00 .. 01-02 12 UTC */
                    f->valid_time <= INT64_C(1483228800) + 36 * 3600);
        /* Hanoi's grid point (21 N, 105 E): j = 37, i = 35; January values */
        double hanoi = f->values[37 * 120 + 35];
        if (strcmp(f->name, "t") == 0 && f->level == 850)
            assert_true(hanoi > 275.0 && hanoi < 300.0);
        if (strcmp(f->name, "z") == 0 && f->level == 500)
            assert_true(hanoi / AIS_MET_G0 > 5600.0 && hanoi / AIS_MET_G0 < 6000.0);
        /* the south pole row is colder than the equator at 500 hPa in... both cases: sanity */
        if (strcmp(f->name, "t") == 0)
            assert_true(f->values[0] > 180.0 && f->values[0] < 320.0);
    }
    for (int m = 0; m < 10; m++)
        assert_true(members_seen[m]);

    /* cut to era5.region: 96..114 E, 6..33 N, the same values as the whole grid */
    ais_era5_fields cut = {0};
    assert_int_equal(ais_era5_fields_read(path, &REGION, &cut, err, sizeof err), AIS_OK);
    assert_int_equal(cut.count, 160);
    assert_int_equal(cut.items[0].nx, 7);
    assert_int_equal(cut.items[0].ny, 10);
    assert_double_near(cut.items[0].lon0, 96.0, 1e-9);
    assert_double_near(cut.items[0].lat0, 6.0, 1e-9);
    for (size_t k = 0; k < cut.count; k++) /* (lat 21, lon 105) is cut point j 5, i 3 */
        assert_double_near(cut.items[k].values[5 * 7 + 3], all.items[k].values[37 * 120 + 35], 0);

    /* ten members and no wind: both refused with the reason */
    ais_met_grid *g = NULL;
    assert_int_equal(ais_met_from_era5(&cut, NULL, -1, &g, NULL, err, sizeof err),
                     AIS_ERR_PARSE);
    assert_string_equal(err, "several ensemble members (numbers 0..9): choose one");
    assert_int_equal(ais_met_from_era5(&cut, NULL, 0, &g, NULL, err, sizeof err), AIS_ERR_PARSE);
    assert_string_equal(err, "u missing at 850 hPa, 2017-01-01T00:00:00Z");
    assert_null(g);
    ais_era5_fields_free(&all);
    ais_era5_fields_free(&cut);
    free(path);
}

static void test_real_single_level_sample(void **state)
{
    (void)state;
    char *path = sample("era5-single-level-scalar-time.grib");
    if (path == NULL) {
        skip();
        return;
    }
    char err[256] = "";
    ais_era5_fields f = {0};
    assert_int_equal(ais_era5_fields_read(path, NULL, &f, err, sizeof err), AIS_OK);
    assert_int_equal(f.count, 1);
    assert_string_equal(f.items[0].name, "2t");
    assert_double_near(f.items[0].dlon, 0.25, 1e-9);
    assert_double_near(f.items[0].lat0, 30.0, 1e-9);
    assert_double_near(f.items[0].lon0 + 0.25 * (double)(f.items[0].nx - 1), 40.0, 1e-6);
    assert_int_equal(f.items[0].valid_time, INT64_C(1483272000)); /* 2017-01-01T12:00:00Z */
    for (size_t p = 0; p < f.items[0].nx * f.items[0].ny; p++) /* European January 2 m air */
        assert_true(f.items[0].values[p] > 220.0 && f.items[0].values[p] < 300.0);
    ais_era5_fields_free(&f);
    /* Europe is outside era5.region (Vietnam): a clear error, not an empty grid */
    ais_era5_fields v = {0};
    assert_int_equal(ais_era5_fields_read(path, &REGION, &v, err, sizeof err), AIS_ERR_PARSE);
    char want[1024];
    snprintf(want, sizeof want, "%s: message 1: fewer than 2 grid longitudes inside the region", path);
    assert_string_equal(err, want);
    ais_era5_fields_free(&v);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_decodes_to_the_formulas),
        cmocka_unit_test(test_fixture_with_single_levels),
        cmocka_unit_test(test_fixture_missing_and_duplicate_messages),
        cmocka_unit_test(test_cli_writes_arl_from_grib),
        cmocka_unit_test(test_real_levels_members_sample),
        cmocka_unit_test(test_real_single_level_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
