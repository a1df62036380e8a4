/* MAIAC MCD19A2 v061 on the three real granules of ../shared/data/maiac-mcd19a2-vn (SOURCES.md
 * section 4; skipped with a message when absent). None covers Hanoi (tile h27v06), so each is
 * read over a box inside its own tile (Mekong delta, Luzon, Sabah).
 *
 * The expected figures were computed independently with pyhdf + numpy (bench/gridded_reference.py,
 * maiac_granule(); the same comparison runs on every event in
 * tests/contracts/test_gridded_reference.py) and written here once: pixel counts exactly,
 * statistics to 1e-9. */
#include "gridded_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/maiac.h"
#include "ais/timeutil.h"

#define H28V08 "MCD19A2.A2026088.h28v08.061.2026090152546.hdf"
#define H29V07 "MCD19A2.A2026089.h29v07.061.2026090163130.hdf"
#define H29V08 "MCD19A2.A2026089.h29v08.061.2026090162809.hdf"

static const ais_bbox MEKONG = {.west = 105.0, .east = 106.5, .south = 9.0, .north = 10.0};
static const ais_bbox LUZON = {.west = 120.0, .east = 121.5, .south = 15.0, .north = 16.5};
static const ais_bbox SABAH = {.west = 116.0, .east = 117.5, .south = 5.0, .north = 6.5};

static void decode(const char *dir, const char *name, const ais_bbox *box, ais_maiac_granule *g)
{
    char *path = ais_test_join(dir, name);
    const char *reason = NULL;
    char detail[256];
    ais_status st = ais_maiac_decode(path, box, g, &reason, detail, sizeof detail);
    if (st != AIS_OK)
        print_error("%s: %s %s\n", path, reason ? reason : "", detail);
    assert_int_equal(st, AIS_OK);
    free(path);
}

static void test_h28v08_mekong(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("maiac-mcd19a2-vn");
    if (dir == NULL)
        skip();
    ais_maiac_granule g;
    decode(dir, H28V08, &MEKONG, &g);
    assert_string_equal(g.granule_id, "MCD19A2.A2026088.h28v08.061");
    assert_string_equal(g.tile, "h28v08");
    char iso[AIS_TIME_ISO_SIZE];
    assert_int_equal(ais_time_format_iso(g.acquisition_date, iso), AIS_OK);
    assert_string_equal(iso, "2026-03-29T00:00:00Z");
    assert_int_equal(ais_time_format_iso(g.time_start, iso), AIS_OK);
    assert_string_equal(iso, "2026-03-29T01:10:00Z");
    assert_int_equal(ais_time_format_iso(g.time_end, iso), AIS_OK);
    assert_string_equal(iso, "2026-03-29T02:55:00Z");
    assert_int_equal(ais_time_format_iso(g.production_time, iso), AIS_OK);
    assert_string_equal(iso, "2026-03-31T15:25:46Z");
    assert_int_equal(g.orbits, 4);
    assert_double_near(g.scale_factor, 0.001, 1e-15);
    assert_int_equal(g.box_pixels, 21303);
    assert_int_equal(g.total, 85212);
    assert_int_equal(g.aod055.n, 583);
    assert_double_near(g.aod055.mean, 0.14960205831903944, 1e-9);
    assert_double_near(g.aod055.min, 0.048, 1e-12);
    assert_double_near(g.aod055.max, 0.22, 1e-12);
    assert_double_near(ais_stat_std(&g.aod055), 0.023547028871221145, 1e-9);
    assert_int_equal(g.aod047.n, 583);
    assert_double_near(g.aod047.mean, 0.20795197255574616, 1e-9);
    assert_double_near(g.aod047.min, 0.067, 1e-12);
    assert_double_near(g.aod047.max, 0.304, 1e-12);
    assert_double_near(ais_stat_std(&g.aod047), 0.03237475286451926, 1e-9);
    free(dir);
}

static void test_h29_tiles(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("maiac-mcd19a2-vn");
    if (dir == NULL)
        skip();
    ais_maiac_granule g;
    decode(dir, H29V07, &LUZON, &g);
    assert_int_equal(g.orbits, 4);
    assert_int_equal(g.box_pixels, 31180);
    assert_int_equal(g.aod055.n, 4395);
    assert_double_near(g.aod055.mean, 0.38975221843003416, 1e-9);
    assert_double_near(g.aod055.min, 0.202, 1e-12);
    assert_double_near(g.aod055.max, 0.873, 1e-12);
    assert_double_near(ais_stat_std(&g.aod055), 0.0742740201676897, 1e-9);
    assert_double_near(g.aod047.mean, 0.5351863481228669, 1e-9);
    decode(dir, H29V08, &SABAH, &g);
    assert_int_equal(g.orbits, 3);
    assert_int_equal(g.box_pixels, 32239);
    assert_int_equal(g.total, 96717);
    assert_int_equal(g.aod055.n, 183);
    assert_double_near(g.aod055.mean, 0.15002732240437158, 1e-9);
    assert_double_near(ais_stat_std(&g.aod055), 0.016240148487163732, 1e-9);
    /* Hanoi is in none of these tiles */
    static const ais_bbox hanoi = {.west = 105.25, .east = 106.10, .south = 20.55, .north = 21.40};
    decode(dir, H28V08, &hanoi, &g);
    assert_int_equal(g.box_pixels, 0);
    assert_int_equal(g.aod055.n, 0);
    free(dir);
}

/* The file loop: events, the per-day merge, a truncated granule as a dead letter. */
static void test_ingest_files(void **state)
{
    (void)state;
    char *dir = gt_shared_dir("maiac-mcd19a2-vn");
    if (dir == NULL)
        skip();
    char *tmp = ais_test_mkdtemp();
    char *src = ais_test_join(dir, H29V07);
    char *bad = ais_test_join(tmp, "MCD19A2.A2026089.h30v07.061.2026090163130.hdf");
    gt_copy_prefix(src, bad, 200000);
    /* a box over Luzon that also holds part of h29v08's sea: two granules that day */
    static const ais_bbox box = {.west = 116.0, .east = 121.5, .south = 5.0, .north = 16.5};
    char *p1 = ais_test_join(dir, H28V08), *p2 = ais_test_join(dir, H29V07),
         *p3 = ais_test_join(dir, H29V08);
    const char *paths[] = {p1, p2, p3, bad};
    gt_run r;
    gt_run_init(&r, AIS_MAIAC_SOURCE, "2026-03-29T00:00:00Z", "2026-03-31T00:00:00Z");
    ais_maiac_days days = {0};
    char err[256] = "";
    assert_int_equal(ais_maiac_ingest_files(paths, 4, &box, &r.out, &days, err, sizeof err),
                     AIS_ERR_PARSE);
    assert_non_null(strstr(err, "1 of 4 files"));
    assert_int_equal(r.stats.files_read, 4);
    assert_int_equal(r.stats.files_rejected, 1);
    assert_int_equal(r.out.outside_area, 1); /* h28v08 is west of the box */
    assert_int_equal(json_array_size(r.events), 2);
    char *reasons = gt_reasons(&r);
    assert_true(strcmp(reasons, "read_failed") == 0 || strcmp(reasons, "hdf4_open_failed") == 0);
    free(reasons);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "event_id")),
                        "maiac_MCD19A2.A2026089.h29v07.061");
    assert_string_equal(json_string_value(json_object_get(ev, "source")), "maiac");
    assert_string_equal(json_string_value(json_object_get(ev, "acquisition_date")), "2026-03-30");
    assert_string_equal(json_string_value(json_object_get(ev, "event_time")),
                        "2026-03-30T00:05:00Z");
    assert_string_equal(json_string_value(json_object_get(ev, "available_at")),
                        "2026-03-31T16:31:30Z");
    assert_string_equal(json_string_value(json_object_get(ev, "unit")), "1");
    long long valid = json_integer_value(json_object_get(ev, "valid_pixel_count"));
    long long total = json_integer_value(json_object_get(ev, "total_pixel_count"));
    assert_true(valid > 4395 && total > 124720);
    assert_double_near(json_real_value(json_object_get(ev, "valid_pct")),
                       100.0 * (double)valid / (double)total, 1e-9);
    /* one day, two granules; the day's mean is the pixel-weighted mean of the two */
    assert_int_equal(days.count, 1);
    assert_int_equal(days.items[0].granules, 2);
    json_t *e2 = json_array_get(r.events, 1);
    double n1 = (double)valid, n2 = (double)json_integer_value(json_object_get(e2, "valid_pixel_count"));
    double m1 = json_real_value(json_object_get(ev, "stats_mean"));
    double m2 = json_real_value(json_object_get(e2, "stats_mean"));
    assert_double_near(days.items[0].aod055.mean, (n1 * m1 + n2 * m2) / (n1 + n2), 1e-12);
    assert_int_equal(days.items[0].aod055.n, (uint64_t)(n1 + n2));
    ais_maiac_days_free(&days);
    gt_run_free(&r);
    free(p1);
    free(p2);
    free(p3);
    free(src);
    free(bad);
    ais_test_rm_rf(tmp);
    free(tmp);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h28v08_mekong),
        cmocka_unit_test(test_h29_tiles),
        cmocka_unit_test(test_ingest_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
