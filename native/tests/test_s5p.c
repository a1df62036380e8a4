/* Sentinel-5P decoding.
 *
 * 1. The real L2 headers of ../shared/data/s5p-l2-metadata-stubs (SOURCES.md section 4; skipped
 *    when absent): metadata read for the five products must equal what the STAC items made from
 *    the same products say (orbit, sensing times, processing mode, swath shape); their PRODUCT
 *    swath variables were removed, so decoding them is a "missing_variable" dead letter.
 * 2. HAND-MADE FIXTURES in the real layout (groups, variable names, dimensions, attributes as in
 *    the real headers; values are a formula, NOT real data), written with the provider
 *    simulator's writer (ais_s5p_swath_write, ais/provsim_gridded.h): box
 *    statistics and grid cells against an independent brute-force computation over the same
 *    formula, fill values, the QA threshold, a truncated file. */
#include "gridded_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ais/provsim_gridded.h"
#include "ais/s5p.h"
#include "ais/timeutil.h"

#define STUB_TAIL "_20200303T013547_20200303T031717_12367_01_"

static const struct {
    const char *name;
    ais_s5p_product product;
    const char *processor;
} STUBS[] = {
    {"S5P_OFFL_L2__NO2____20200303T013547_20200303T031717_12367_01_010302_20200306T053815",
     AIS_S5P_NO2, "1.3.2"},
    {"S5P_OFFL_L2__CO_____20200303T013547_20200303T031717_12367_01_010302_20200306T032410",
     AIS_S5P_CO, "1.3.2"},
    {"S5P_OFFL_L2__SO2____20200303T013547_20200303T031717_12367_01_010107_20200306T144427",
     AIS_S5P_SO2, "01.01.07"},
    {"S5P_OFFL_L2__O3_____20200303T013547_20200303T031717_12367_01_010107_20200306T053811",
     AIS_S5P_O3, "01.01.07"},
    {"S5P_OFFL_L2__AER_AI_20200303T013547_20200303T031717_12367_01_010302_20200306T032414",
     AIS_S5P_AER_AI, "1.3.2"},
};

static ais_s5p_options options(void)
{
    ais_s5p_options o;
    memset(&o, 0, sizeof o);
    o.box = (ais_bbox){.west = 105.25, .east = 106.10, .south = 20.55, .north = 21.40};
    o.grid_area = (ais_bbox){.west = 95.0, .east = 115.0, .south = 5.0, .north = 35.0};
    o.grid_deg = 0.25;
    const double qa[] = {0.75, 0.5, 0.75, 0.5, 0.5};
    for (int p = 0; p < AIS_S5P_PRODUCTS; p++) {
        o.qa_min[p] = qa[p];
        o.enabled[p] = true;
    }
    o.grid[AIS_S5P_NO2] = o.grid[AIS_S5P_AER_AI] = true;
    return o;
}

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static void test_real_headers_match_stac(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("s5p-l2-metadata-stubs");
    if (dir == NULL)
        skip();
    ais_s5p_options o = options();
    for (size_t i = 0; i < sizeof STUBS / sizeof STUBS[0]; i++) {
        char name[200];
        snprintf(name, sizeof name, "nc/%s.nc", STUBS[i].name);
        char *path = ais_test_join(dir, name);
        snprintf(name, sizeof name, "stac-items/%s.json", STUBS[i].name);
        char *stac_path = ais_test_join(dir, name);
        json_error_t jerr;
        json_t *stac = json_load_file(stac_path, 0, &jerr);
        assert_non_null(stac);
        json_t *props = json_object_get(stac, "properties");

        int ncid;
        assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
        ais_s5p_meta m;
        const char *reason = NULL;
        char detail[256];
        assert_int_equal(ais_s5p_read_meta(ncid, path, &m, &reason, detail, sizeof detail), AIS_OK);
        nc_close(ncid);
        assert_int_equal(m.product, STUBS[i].product);
        assert_string_equal(m.product_id, STUBS[i].name);
        assert_string_equal(m.mode, "OFFL");
        assert_string_equal(m.mode, json_string_value(json_object_get(props, "s5p:processing_mode")));
        assert_int_equal(m.orbit, 12367);
        assert_int_equal(m.orbit, json_integer_value(json_object_get(props, "sat:absolute_orbit")));
        /* SO2 and O3 write their times without "Z"; all five are the same instants */
        assert_int_equal(m.sensing_start, iso("2020-03-03T01:57:22Z"));
        assert_int_equal(m.sensing_start,
                         iso(json_string_value(json_object_get(props, "start_datetime"))));
        assert_int_equal(m.sensing_end,
                         iso(json_string_value(json_object_get(props, "end_datetime"))));
        json_t *shape = json_object_get(props, "s5p:shape");
        assert_int_equal(m.scanlines, json_integer_value(json_array_get(shape, 0)));
        assert_int_equal(m.ground_pixels, json_integer_value(json_array_get(shape, 1)));
        assert_string_equal(m.processor_version, STUBS[i].processor);
        json_decref(stac);

        /* no swath: a dead letter, with the variable named */
        ais_s5p_result r;
        assert_int_equal(ais_s5p_decode(path, &o, &r, &reason, detail, sizeof detail), AIS_ERR_PARSE);
        assert_string_equal(reason, "missing_variable");
        free(path);
        free(stac_path);
    }
    /* concrete facts of two headers */
    char *no2 = ais_test_join(dir, "nc/" "S5P_OFFL_L2__NO2____20200303T013547_20200303T031717_12367_01_010302_20200306T053815.nc");
    int ncid;
    ais_s5p_meta m;
    const char *reason;
    char detail[128];
    assert_int_equal(nc_open(no2, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(ais_s5p_read_meta(ncid, no2, &m, &reason, detail, sizeof detail), AIS_OK);
    nc_close(ncid);
    assert_int_equal(m.scanlines, 4172);
    assert_int_equal(m.ground_pixels, 450);
    assert_int_equal(m.created, iso("2020-03-06T05:38:34Z"));
    free(no2);
    free(dir);
}

/* Products that are not configured (CH4, CLOUD, O3_TCL, ...) are skipped, not dead letters;
 * the five metadata-only products are dead letters and the window is incomplete. */
static void test_real_headers_replay(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("s5p-l2-metadata-stubs");
    if (dir == NULL)
        skip();
    char *nc = ais_test_join(dir, "nc");
    static const char *const suffixes[] = {".nc", NULL};
    ais_path_list files;
    char err[256];
    assert_int_equal(ais_gridded_list(nc, suffixes, &files, err, sizeof err), AIS_OK);
    assert_int_equal(files.count, 13);
    gt_run r;
    gt_run_init(&r, AIS_S5P_SOURCE, "2020-03-01T00:00:00Z", "2020-03-05T00:00:00Z");
    ais_s5p_options o = options();
    assert_int_equal(ais_s5p_ingest_files((const char *const *)files.paths, files.count, &o,
                                          &r.out, err, sizeof err),
                     AIS_ERR_PARSE);
    assert_int_equal(r.out.skipped, 8);
    assert_int_equal(r.stats.files_read, 5);
    assert_int_equal(r.stats.files_rejected, 5);
    assert_int_equal(json_array_size(r.events), 0);
    char *reasons = gt_reasons(&r);
    assert_string_equal(reasons, "missing_variable,missing_variable,missing_variable,"
                                 "missing_variable,missing_variable");
    free(reasons);
    json_t *dl = json_array_get(r.letters, 0);
    assert_non_null(strstr(json_string_value(json_object_get(dl, "file")), "AER_AI"));
    gt_run_free(&r);
    ais_path_list_free(&files);
    free(nc);
    free(dir);
}

/* ---- hand-made fixture ------------------------------------------------------------------ */


#define FX_NO2 "S5P_OFFL_L2__NO2____20261015T053000_20261015T071000_46001_03_020600_20261016T030000.nc"
#define FX_CO "S5P_OFFL_L2__CO_____20261015T053000_20261015T071000_46001_03_020600_20261016T030000.nc"

static void test_fixture_statistics(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *path = ais_test_join(tmp, FX_NO2);
    gt_write_s5p(path, AIS_S5P_NO2, "2026-10-15T05:50:00Z", false);
    ais_s5p_options o = options();
    ais_s5p_result r;
    const char *reason = NULL;
    char detail[256];
    assert_int_equal(ais_s5p_decode(path, &o, &r, &reason, detail, sizeof detail), AIS_OK);

    /* independent brute force over the formula (float geometry, as stored) */
    uint64_t total = 0, valid = 0;
    double sum = 0, sum2 = 0, mn = INFINITY, mx = -INFINITY;
    for (int s = 0; s < GT_S5P_NS; s++)
        for (int p = 0; p < GT_S5P_NP; p++) {
            double la = (float)gt_s5p_lat(s, p), lo = (float)gt_s5p_lon(s, p);
            if (!(la >= 20.55 && la <= 21.40 && lo >= 105.25 && lo <= 106.10))
                continue;
            total++;
            if (gt_s5p_qa(s, p) < 75 || gt_s5p_fill(s, p))
                continue;
            double v = (float)gt_s5p_value(s, p);
            valid++;
            sum += v;
            sum2 += v * v;
            mn = fmin(mn, v);
            mx = fmax(mx, v);
        }
    assert_int_equal(total, 56); /* 8 scanlines x 7 pixels */
    assert_true(valid > 5 && valid < total);
    assert_int_equal(r.total, total);
    assert_int_equal(r.stats.n, valid);
    double mean = sum / (double)valid;
    assert_double_near(r.stats.mean, mean, 1e-15);
    assert_double_near(ais_stat_std(&r.stats), sqrt(sum2 / (double)valid - mean * mean), 1e-12);
    assert_double_near(r.stats.min, mn, 0);
    assert_double_near(r.stats.max, mx, 0);
    assert_string_equal(r.unit, "mol m-2");
    assert_double_near(r.qa_threshold, 0.75, 0);

    /* grid cells: 0.25 degree, edges on multiples of 0.25 */
    double csum[40][40] = {{0}};
    int ccount[40][40] = {{0}};
    for (int s = 0; s < GT_S5P_NS; s++)
        for (int p = 0; p < GT_S5P_NP; p++) {
            if (gt_s5p_qa(s, p) < 75 || gt_s5p_fill(s, p))
                continue;
            double la = (float)gt_s5p_lat(s, p), lo = (float)gt_s5p_lon(s, p);
            int i = (int)floor(la / 0.25) - 80, j = (int)floor(lo / 0.25) - 420;
            csum[i][j] += (float)gt_s5p_value(s, p);
            ccount[i][j]++;
        }
    size_t cells = 0;
    for (int i = 0; i < 40; i++)
        for (int j = 0; j < 40; j++)
            if (ccount[i][j] > 0) {
                const ais_s5p_cell *c = &r.cells[cells++];
                assert_double_near(c->lat, (80 + i + 0.5) * 0.25, 1e-12);
                assert_double_near(c->lon, (420 + j + 0.5) * 0.25, 1e-12);
                assert_int_equal(c->count, ccount[i][j]);
                assert_double_near(c->sum / (double)c->count, csum[i][j] / ccount[i][j], 1e-15);
            }
    assert_int_equal(r.n_cells, cells);

    /* the event */
    gt_run run;
    gt_run_init(&run, AIS_S5P_SOURCE, "2026-10-15T00:00:00Z", "2026-10-16T00:00:00Z");
    json_t *ev = NULL;
    assert_int_equal(ais_s5p_event_new(&run.env, &r, path, 0, &ev), AIS_OK);
    assert_string_equal(json_string_value(json_object_get(ev, "event_id")),
                        "s5p_NO2_S5P_OFFL_L2__NO2____20261015T053000_20261015T071000_46001_03_020600_20261016T030000");
    assert_string_equal(json_string_value(json_object_get(ev, "event_time")), "2026-10-15T05:50:00Z");
    assert_string_equal(json_string_value(json_object_get(ev, "available_at")), "2026-10-16T03:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(ev, "orbit")), 46001);
    assert_int_equal(json_integer_value(json_object_get(ev, "total_pixel_count")), 56);
    assert_double_near(json_real_value(json_object_get(ev, "valid_pct")), 100.0 * (double)valid / 56.0, 1e-12);
    assert_int_equal(json_array_size(json_object_get(ev, "grid_cells")), cells);
    json_decref(ev);
    gt_run_free(&run);
    ais_s5p_result_free(&r);

    /* CO: not a grid product; its threshold is 0.5 */
    char *co = ais_test_join(tmp, FX_CO);
    gt_write_s5p(co, AIS_S5P_CO, "2026-10-15T05:50:00Z", false);
    assert_int_equal(ais_s5p_decode(co, &o, &r, &reason, detail, sizeof detail), AIS_OK);
    uint64_t valid50 = 0;
    for (int s = 0; s < GT_S5P_NS; s++)
        for (int p = 0; p < GT_S5P_NP; p++) {
            double la = (float)gt_s5p_lat(s, p), lo = (float)gt_s5p_lon(s, p);
            valid50 += la >= 20.55 && la <= 21.40 && lo >= 105.25 && lo <= 106.10 &&
                       gt_s5p_qa(s, p) >= 50 && !gt_s5p_fill(s, p);
        }
    assert_int_equal(r.stats.n, valid50);
    assert_int_equal(r.n_cells, 0);
    ais_s5p_result_free(&r);
    free(co);
    free(path);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* The file loop over fixtures: the window, a truncated copy, a disabled product. */
static void test_fixture_ingest(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *no2 = ais_test_join(tmp, FX_NO2);
    char *co = ais_test_join(tmp, FX_CO);
    char *late = ais_test_join(tmp, "S5P_OFFL_L2__AER_AI_20261017T053000_20261017T071000_46030_03_020600_20261018T030000.nc");
    char *bad = ais_test_join(tmp, "S5P_OFFL_L2__SO2____20261015T053000_20261015T071000_46001_03_020600_20261016T030000.nc");
    gt_write_s5p(no2, AIS_S5P_NO2, "2026-10-15T05:50:00Z", false);
    gt_write_s5p(co, AIS_S5P_CO, "2026-10-15T05:50:00Z", false);
    gt_write_s5p(late, AIS_S5P_AER_AI, "2026-10-17T05:50:00Z", false);
    char *full = ais_test_join(tmp, "full.bin");
    gt_write_s5p(full, AIS_S5P_SO2, "2026-10-15T05:50:00Z", false);
    gt_copy_prefix(full, bad, 3000);
    const char *paths[] = {no2, co, late, bad};
    ais_s5p_options o = options();
    o.enabled[AIS_S5P_CO] = false;
    gt_run r;
    gt_run_init(&r, AIS_S5P_SOURCE, "2026-10-15T00:00:00Z", "2026-10-16T00:00:00Z");
    char err[256];
    assert_int_equal(ais_s5p_ingest_files(paths, 4, &o, &r.out, err, sizeof err), AIS_ERR_PARSE);
    assert_int_equal(r.out.skipped, 1);
    assert_int_equal(r.stats.files_read, 3);
    assert_int_equal(r.stats.outside_window, 1);
    assert_int_equal(json_array_size(r.events), 1);
    char *reasons = gt_reasons(&r);
    assert_string_equal(reasons, "netcdf_open_failed");
    free(reasons);
    gt_run_free(&r);
    free(no2);
    free(co);
    free(late);
    free(bad);
    free(full);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* Simulation: deterministic, labelled by the caller's envelope, plausible values. */
static void test_simulate(void **state)
{
    (void)state;
    ais_s5p_options o = options();
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso("2026-01-10T00:00:00Z"),
                                       iso("2026-01-13T00:00:00Z")), AIS_OK);
    json_t *a = json_array(), *b = json_array();
    ais_sink sa = {.ctx = a, .write = gt_keep}, sb = {.ctx = b, .write = gt_keep};
    uint64_t n = 0;
    assert_int_equal(ais_s5p_simulate(7, &o, &env, &sa, &n), AIS_OK);
    assert_int_equal(n, 15); /* 3 days x 5 products */
    assert_int_equal(ais_s5p_simulate(7, &o, &env, &sb, &n), AIS_OK);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
        json_object_del(x, "ingest_time");
        json_object_del(y, "ingest_time");
        assert_true(json_equal(x, y));
        assert_string_equal(json_string_value(json_object_get(x, "source")), "simulated");
        const char *product = json_string_value(json_object_get(x, "product"));
        double mean = json_real_value(json_object_get(x, "stats_mean"));
        if (json_integer_value(json_object_get(x, "valid_pixel_count")) == 0)
            continue;
        if (strcmp(product, "NO2") == 0)
            assert_true(mean > 2e-5 && mean < 5e-4);
        else if (strcmp(product, "CO") == 0)
            assert_true(mean > 0.02 && mean < 0.06);
        else if (strcmp(product, "O3") == 0)
            assert_true(mean > 0.1 && mean < 0.16);
        else if (strcmp(product, "AER_AI") == 0)
            assert_true(mean > -2.0 && mean < 3.0);
    }
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_headers_match_stac),
        cmocka_unit_test(test_real_headers_replay),
        cmocka_unit_test(test_fixture_statistics),
        cmocka_unit_test(test_fixture_ingest),
        cmocka_unit_test(test_simulate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
