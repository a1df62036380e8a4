/* `ais-ingest sentinel5p|maiac|era5 --mode replay|simulate` end to end: the program on the real
 * MAIAC granules (with hanoi.bbox moved over Luzon, the only land with good AOD in these tiles)
 * and ERA5 GRIB samples, a truncated granule (a dead letter, exit 1, the window not recorded),
 * and the three simulators (every event source "simulated"). */
#include "gridded_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static json_int_t num(const json_t *obj, const char *path)
{
    char key[64];
    snprintf(key, sizeof key, "%s", path);
    char *dot = strchr(key, '.');
    if (dot != NULL) {
        *dot = '\0';
        return json_integer_value(json_object_get(json_object_get(obj, key), dot + 1));
    }
    return json_integer_value(json_object_get(obj, key));
}

static json_t *events_of(const char *tmp, const char *topic)
{
    char rel[128];
    snprintf(rel, sizeof rel, "landing/%s", topic);
    char *dir = ais_test_join(tmp, rel);
    json_t *all = ais_test_read_landing(dir);
    free(dir);
    return all;
}

static void test_maiac_replay_real(void **state)
{
    (void)state;
    char *data = gt_shared_dir("maiac-mcd19a2-vn");
    if (data == NULL)
        skip();
    char *tmp = ais_test_mkdtemp();
    static const char *const luzon[] = {
        "bbox: {west: 105.25, east: 106.10, south: 20.55, north: 21.40}",
        "bbox: {west: 120.0, east: 121.5, south: 15.0, north: 16.5}", NULL};
    char *config = ais_test_project_config(tmp, luzon);
    const char *args[] = {"maiac", "--mode", "replay", "--replay-dir", data, "--start",
                          "2026-03-29T00:00:00Z", "--end", "2026-03-31T00:00:00Z", NULL};
    gt_cli_result r = gt_cli_run(tmp, config, args, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(num(r.summary, "events_written"), 1);
    assert_int_equal(num(r.summary, "input.files_read"), 3);
    assert_int_equal(num(r.summary, "input.outside_area"), 2);
    json_t *days = json_object_get(json_object_get(r.summary, "input"), "days");
    assert_int_equal(json_array_size(days), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(days, 0), "date")), "2026-03-30");
    json_t *events = events_of(tmp, "maiac-summary");
    assert_int_equal(json_array_size(events), 1);
    json_t *ev = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "source")), "maiac");
    /* pyhdf + numpy reference, as in test_maiac_real */
    assert_int_equal(json_integer_value(json_object_get(ev, "valid_pixel_count")), 4395);
    assert_double_near(json_real_value(json_object_get(ev, "stats_mean")), 0.38975221843003416, 1e-9);
    json_decref(events);
    gt_cli_result_free(&r);

    /* a truncated granule next to a good one: a dead letter, exit 1, no window state */
    char *bad_dir = ais_test_join(tmp, "bad");
    assert_int_equal(mkdir(bad_dir, 0755), 0);
    char *src = ais_test_join(data, "MCD19A2.A2026089.h29v07.061.2026090163130.hdf");
    char *bad = ais_test_join(bad_dir, "MCD19A2.A2026089.h29v07.061.2026090163130.hdf");
    gt_copy_prefix(src, bad, 100000);
    const char *args2[] = {"maiac", "--mode", "replay", "--replay-dir", bad_dir, "--start",
                           "2026-04-01T00:00:00Z", "--end", "2026-04-02T00:00:00Z", NULL};
    r = gt_cli_run(tmp, config, args2, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
    assert_int_equal(num(r.summary, "input.files_rejected"), 1);
    assert_int_equal(num(r.summary, "dead_letters_written"), 1);
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_object_size(by), 1);
    json_t *letters = events_of(tmp, "ais-dlq");
    json_t *dl = json_array_get(letters, 0);
    assert_string_equal(json_string_value(json_object_get(dl, "file")), bad);
    assert_string_equal(json_string_value(json_object_get(dl, "source_topic")), "maiac-summary");
    json_decref(letters);
    /* the state still ends where the good run ended */
    char *state_file = ais_test_join(tmp, "state/maiac.json");
    char *text = ais_test_read_file(state_file);
    assert_non_null(strstr(text, "2026-03-31T00:00:00Z"));
    assert_null(strstr(text, "2026-04-02"));
    free(text);
    free(state_file);
    gt_cli_result_free(&r);
    free(src);
    free(bad);
    free(bad_dir);
    free(config);
    ais_test_rm_rf(tmp);
    free(tmp);
    free(data);
}

static void test_era5_replay_real(void **state)
{
    (void)state;
    char *data = gt_shared_dir("era5-grib-samples");
    if (data == NULL)
        skip();
    char *tmp = ais_test_mkdtemp();
    char *config = ais_test_project_config(tmp, NULL);
    const char *args[] = {"era5", "--mode", "replay", "--replay-dir", data, "--start",
                          "2017-01-01T00:00:00Z", "--end", "2017-01-03T00:00:00Z", NULL};
    gt_cli_result r = gt_cli_run(tmp, config, args, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(num(r.summary, "events_written"), 2);
    assert_int_equal(num(r.summary, "input.records_read"), 161); /* GRIB messages */
    json_t *events = events_of(tmp, "era5-files");
    assert_int_equal(json_array_size(events), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *ev = json_array_get(events, i);
        assert_string_equal(json_string_value(json_object_get(ev, "source")), "era5");
        assert_int_equal(strlen(json_string_value(json_object_get(ev, "sha256"))), 64);
    }
    json_decref(events);
    gt_cli_result_free(&r);
    free(config);
    ais_test_rm_rf(tmp);
    free(tmp);
    free(data);
}

static void test_simulate_all(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *config = ais_test_project_config(tmp, NULL);
    static const struct {
        const char *source, *topic;
        json_int_t events;
    } cases[] = {{"sentinel5p", "sentinel5p-summary", 15},
                 {"maiac", "maiac-summary", 3}, /* Hanoi lies in tile h27v06 */
                 {"era5", "era5-files", 6}};
    for (size_t c = 0; c < 3; c++) {
        const char *args[] = {cases[c].source, "--mode", "simulate", "--start",
                              "2026-02-01T00:00:00Z", "--end", "2026-02-04T00:00:00Z", "--seed",
                              "5", NULL};
        gt_cli_result r = gt_cli_run(tmp, config, args, NULL);
        assert_int_equal(r.code, 0);
        assert_int_equal(num(r.summary, "events_written"), cases[c].events);
        json_t *events = events_of(tmp, cases[c].topic);
        assert_int_equal((json_int_t)json_array_size(events), cases[c].events);
        for (size_t i = 0; i < json_array_size(events); i++)
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(events, i), "source")),
                "simulated");
        json_decref(events);
        gt_cli_result_free(&r);
    }
    free(config);
    ais_test_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maiac_replay_real),
        cmocka_unit_test(test_era5_replay_real),
        cmocka_unit_test(test_simulate_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
