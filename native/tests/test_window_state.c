/* Window state (ais/window_state.h) and the file helpers it stands on: whole-file reads with a
 * size limit, atomic replacement, sorted recursive listing. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ais/fsutil.h"
#include "ais/timeutil.h"
#include "ais/window_state.h"

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static void read_file_honours_the_limit(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "f");
    ais_test_write_file(path, "hello");
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(ais_fs_read_file(path, 5, &buf, &len), AIS_OK);
    assert_int_equal(len, 5);
    assert_string_equal(buf, "hello");
    free(buf);
    assert_int_equal(ais_fs_read_file(path, 4, &buf, &len), AIS_ERR_RANGE);
    assert_null(buf);
    assert_int_equal(errno, EFBIG);
    ais_test_write_file(path, "");
    assert_int_equal(ais_fs_read_file(path, 4, &buf, &len), AIS_OK);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    char *missing = ais_test_join(dir, "missing");
    assert_int_equal(ais_fs_read_file(missing, 10, &buf, &len), AIS_ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(ais_fs_read_file(dir, 10, &buf, &len), AIS_ERR_IO); /* a folder */
    assert_int_equal(errno, EISDIR);
    ais_test_rm_rf(dir);
    free(missing);
    free(path);
    free(dir);
}

static void atomic_write_replaces_whole_files(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "state.json");
    assert_int_equal(ais_fs_write_atomic(path, "one\n", 4), AIS_OK);
    assert_int_equal(ais_fs_write_atomic(path, "second\n", 7), AIS_OK);
    char *text = ais_test_read_file(path);
    assert_string_equal(text, "second\n");
    free(text);
    size_t n;
    char **names = ais_test_list_dir(dir, &n);
    assert_int_equal(n, 1); /* no temporary file left */
    ais_test_free_names(names);
    char *nowhere = ais_test_join(dir, "no/such/dir/x");
    assert_int_equal(ais_fs_write_atomic(nowhere, "x", 1), AIS_ERR_IO);
    ais_test_rm_rf(dir);
    free(nowhere);
    free(path);
    free(dir);
}

static void listing_is_recursive_sorted_and_filtered(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    const char *dirs[] = {"b", "a", "a/deep", ".hidden"};
    for (size_t i = 0; i < 4; i++) {
        char *d = ais_test_join(dir, dirs[i]);
        assert_int_equal(mkdir(d, 0755), 0);
        free(d);
    }
    const char *files[] = {"b/2.csv", "a/1.CSV", "a/deep/0.csv", "a/x.txt", ".hidden/h.csv",
                           "a/.tmp.csv", "top.csv"};
    for (size_t i = 0; i < 7; i++) {
        char *f = ais_test_join(dir, files[i]);
        ais_test_write_file(f, "x");
        free(f);
    }
    char *link = ais_test_join(dir, "b/link.csv");
    char *target = ais_test_join(dir, "top.csv");
    assert_int_equal(symlink(target, link), 0);
    ais_path_list list;
    assert_int_equal(ais_fs_list_files(dir, ".csv", &list), AIS_OK);
    const char *expected[] = {"a/1.CSV", "a/deep/0.csv", "b/2.csv", "b/link.csv", "top.csv"};
    assert_int_equal(list.count, 5);
    for (size_t i = 0; i < 5; i++) {
        char *want = ais_test_join(dir, expected[i]);
        assert_string_equal(list.paths[i], want);
        free(want);
    }
    ais_path_list_free(&list);
    assert_int_equal(ais_fs_list_files("/nonexistent/x", ".csv", &list), AIS_ERR_IO);
    ais_test_rm_rf(dir);
    free(link);
    free(target);
    free(dir);
}

static void state_is_saved_per_mode_and_sink(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *states = ais_test_join(dir, "var/state/ingest");
    ais_window_state st;
    char err[512];

    /* nothing yet: not found, no error */
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_OK);
    assert_false(st.found);

    assert_int_equal(ais_window_state_save(states, "openaq", "replay/landing",
                                           iso("2019-01-01"), iso("2019-02-01"), 744, "req1",
                                           err, sizeof err),
                     AIS_OK);
    assert_int_equal(ais_window_state_save(states, "openaq", "simulate/kafka",
                                           iso("2026-09-01"), iso("2026-09-02"), 144, "req2",
                                           err, sizeof err),
                     AIS_OK);
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_OK);
    assert_true(st.found);
    assert_int_equal(st.next_start, iso("2019-02-01"));
    assert_int_equal(st.last_start, iso("2019-01-01"));
    assert_int_equal(st.last_end, iso("2019-02-01"));
    assert_int_equal(ais_window_state_load(states, "openaq", "simulate/kafka", &st, err,
                                           sizeof err),
                     AIS_OK);
    assert_int_equal(st.next_start, iso("2026-09-02"));
    assert_int_equal(ais_window_state_load(states, "weather", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_OK);
    assert_false(st.found); /* another source, another file */

    /* a backfill of an older window is recorded but does not move the continuation back */
    assert_int_equal(ais_window_state_save(states, "openaq", "replay/landing",
                                           iso("2018-06-01"), iso("2018-07-01"), 720, "req3",
                                           err, sizeof err),
                     AIS_OK);
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_OK);
    assert_int_equal(st.next_start, iso("2019-02-01"));
    assert_int_equal(st.last_start, iso("2018-06-01"));

    /* the file is plain, readable JSON */
    char *path = ais_test_join(states, "openaq.json");
    char *text = ais_test_read_file(path);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "source")), "openaq");
    json_t *entry = json_object_get(json_object_get(doc, "windows"), "replay/landing");
    assert_string_equal(json_string_value(json_object_get(entry, "next_start_utc")),
                        "2019-02-01T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(entry, "last_window_end_utc")),
                        "2018-07-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(entry, "events_written")), 720);
    assert_string_equal(json_string_value(json_object_get(entry, "request_id")), "req3");
    json_decref(doc);
    free(text);

    /* a damaged file is an error, never a silent restart */
    ais_test_write_file(path, "{\"source\": \"openaq\", \"windows\": ");
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_ERR_PARSE);
    assert_non_null(strstr(err, "fix or remove it"));
    assert_int_equal(ais_window_state_save(states, "openaq", "replay/landing", iso("2019-02-01"),
                                           iso("2019-03-01"), 1, "x", err, sizeof err),
                     AIS_ERR_PARSE);
    ais_test_write_file(path, "{\"source\": \"weather\", \"windows\": {}}");
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_ERR_PARSE);
    ais_test_write_file(path, "{\"source\": \"openaq\", \"windows\": {\"replay/landing\": "
                              "{\"next_start_utc\": \"soon\"}}}");
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &st, err,
                                           sizeof err),
                     AIS_ERR_PARSE);
    assert_non_null(strstr(err, "entry 'replay/landing'"));

    /* bad names */
    assert_int_equal(ais_window_state_load(states, "../x", "k", &st, err, sizeof err),
                     AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_window_state_save(states, "openaq", "k", 10, 10, 0, "x", err, sizeof err),
                     AIS_ERR_INVALID_ARG);
    ais_test_rm_rf(dir);
    free(path);
    free(states);
    free(dir);
}

static void the_lock_is_exclusive(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    ais_window_lock *lock = NULL, *other = NULL;
    assert_int_equal(ais_window_lock_acquire(dir, "openaq", &lock), AIS_OK);
    /* flock belongs to the open file: a second open (here, or in another process: see
     * test_ingest_e2e) finds it held */
    assert_int_equal(ais_window_lock_acquire(dir, "openaq", &other), AIS_ERR_BUSY);
    assert_null(other);
    assert_int_equal(ais_window_lock_acquire(dir, "weather", &other), AIS_OK);
    ais_window_lock_release(other);
    ais_window_lock_release(lock);
    /* released: free again */
    assert_int_equal(ais_window_lock_acquire(dir, "openaq", &lock), AIS_OK);
    ais_window_lock_release(lock);
    ais_window_lock_release(NULL);
    ais_test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_file_honours_the_limit),
        cmocka_unit_test(atomic_write_replaces_whole_files),
        cmocka_unit_test(listing_is_recursive_sorted_and_filtered),
        cmocka_unit_test(state_is_saved_per_mode_and_sink),
        cmocka_unit_test(the_lock_is_exclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
