#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ais/landing.h"
#include "ais/timeutil.h"

#define WINDOW_START 1788307200 /* 2026-09-02T00:00:00Z */
#define WINDOW_END (WINDOW_START + 2 * AIS_SECONDS_PER_DAY)

static json_t *make_event(int i)
{
    char id[64];
    snprintf(id, sizeof id, "openaq_900001_9000011_pm25_%d", i);
    json_t *ev = json_pack("{s:s, s:i, s:f, s:s, s:n, s:[s]}", "event_id", id, "n", i, "value",
                           (double)(123 + i) / 10.0, "units", "µg/m³", "nothing", "quality_flags", "low_coverage");
    assert_non_null(ev);
    return ev;
}

static ais_landing *open_sink(const char *landing_dir, size_t batch)
{
    ais_landing_options opts = {
        .landing_dir = landing_dir,
        .topic = "openaq-hourly",
        .window_start = WINDOW_START,
        .window_end = WINDOW_END,
        .batch_max_events = batch,
    };
    ais_landing *sink = NULL;
    assert_int_equal(ais_landing_open(&opts, &sink), AIS_OK);
    assert_non_null(sink);
    return sink;
}

static int is_hex8(const char *s)
{
    for (int i = 0; i < 8; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* part-20260902T000000Z-20260904T000000Z-xxxxxxxx.jsonl */
static void assert_final_name(const char *name)
{
    const char *prefix = "part-20260902T000000Z-20260904T000000Z-";
    assert_int_equal(strlen(name), strlen(prefix) + 8 + strlen(".jsonl"));
    assert_true(strncmp(name, prefix, strlen(prefix)) == 0);
    assert_true(is_hex8(name + strlen(prefix)));
    assert_string_equal(name + strlen(prefix) + 8, ".jsonl");
}

static void writes_one_file_atomically(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *landing = ais_test_join(tmp, "deep/er/landing"); /* created with parents */
    char *topic_dir = ais_test_join(landing, "openaq-hourly");
    ais_landing *sink = open_sink(landing, 0);

    json_t *events[5];
    for (int i = 0; i < 5; i++) {
        events[i] = make_event(i);
        assert_int_equal(ais_landing_write(sink, events[i]), AIS_OK);
    }
    /* nothing visible before the batch is complete */
    size_t n;
    char **names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 0);
    ais_test_free_names(names);
    ais_landing_stats stats;
    assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
    assert_int_equal(stats.events_written, 0);

    assert_int_equal(ais_landing_flush(sink), AIS_OK);
    assert_int_equal(ais_landing_flush(sink), AIS_OK); /* nothing pending: no new file */
    assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
    assert_int_equal(stats.events_written, 5);
    assert_int_equal(stats.files_written, 1);
    assert_string_equal(ais_landing_error(sink), "");
    ais_landing_free(sink);

    names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 1); /* no temporary file left beside it */
    assert_final_name(names[0]);
    char *path = ais_test_join(topic_dir, names[0]);
    char *text = ais_test_read_file(path);
    assert_non_null(text);
    /* shortest decimal form: 12.3, not 12.300000000000001 */
    assert_non_null(strstr(text, "\"value\":12.3,"));
    assert_null(strstr(text, "12.30000"));
    json_t *lines = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(lines), 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(json_equal(json_array_get(lines, i), events[i]));
    json_decref(lines);

    /* the same content in another place gets the same name (content hash) */
    char *landing2 = ais_test_join(tmp, "second");
    sink = open_sink(landing2, 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ais_landing_write(sink, events[i]), AIS_OK);
    assert_int_equal(ais_landing_flush(sink), AIS_OK);
    ais_landing_free(sink);
    char *topic_dir2 = ais_test_join(landing2, "openaq-hourly");
    char **names2 = ais_test_list_dir(topic_dir2, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names2[0], names[0]);

    /* different content, different name */
    char *landing3 = ais_test_join(tmp, "third");
    sink = open_sink(landing3, 0);
    assert_int_equal(ais_landing_write(sink, events[0]), AIS_OK);
    assert_int_equal(ais_landing_flush(sink), AIS_OK);
    ais_landing_free(sink);
    char *topic_dir3 = ais_test_join(landing3, "openaq-hourly");
    char **names3 = ais_test_list_dir(topic_dir3, &n);
    assert_int_equal(n, 1);
    assert_string_not_equal(names3[0], names[0]);

    for (int i = 0; i < 5; i++)
        json_decref(events[i]);
    ais_test_free_names(names);
    ais_test_free_names(names2);
    ais_test_free_names(names3);
    free(text);
    free(path);
    free(topic_dir);
    free(topic_dir2);
    free(topic_dir3);
    free(landing);
    free(landing2);
    free(landing3);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void one_file_per_batch(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    ais_landing *sink = open_sink(tmp, 3);
    ais_sink generic;
    assert_int_equal(ais_landing_as_sink(sink, &generic), AIS_OK);
    ais_landing_stats stats;
    for (int i = 0; i < 7; i++) {
        json_t *ev = make_event(i);
        assert_int_equal(ais_sink_write(&generic, ev), AIS_OK);
        json_decref(ev);
        assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
        assert_int_equal(stats.files_written, (uint64_t)(i + 1) / 3); /* full batches go out at once */
    }
    assert_int_equal(ais_landing_flush(sink), AIS_OK);
    assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
    assert_int_equal(stats.events_written, 7);
    assert_int_equal(stats.files_written, 3);
    ais_landing_free(sink);

    char *topic_dir = ais_test_join(tmp, "openaq-hourly");
    size_t n;
    char **names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 3);
    size_t sizes[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        assert_final_name(names[i]);
        char *path = ais_test_join(topic_dir, names[i]);
        char *text = ais_test_read_file(path);
        json_t *lines = ais_test_parse_json_lines(text);
        sizes[i] = json_array_size(lines);
        json_decref(lines);
        free(text);
        free(path);
    }
    assert_int_equal(sizes[0] + sizes[1] + sizes[2], 7);
    assert_true((sizes[0] == 1) + (sizes[1] == 1) + (sizes[2] == 1) == 1);
    json_t *all = ais_test_read_landing(topic_dir);
    assert_int_equal(json_array_size(all), 7);
    json_decref(all);
    ais_test_free_names(names);
    free(topic_dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void rejects_bad_options_and_events(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    ais_landing *sink = NULL;
    const char *bad_topics[] = {"", ".hidden", "../escape", "a/b"};
    for (size_t i = 0; i < sizeof bad_topics / sizeof bad_topics[0]; i++) {
        ais_landing_options opts = {tmp, bad_topics[i], WINDOW_START, WINDOW_END, 0};
        assert_int_equal(ais_landing_open(&opts, &sink), AIS_ERR_INVALID_ARG);
        assert_null(sink);
    }
    ais_landing_options reversed = {tmp, "t", WINDOW_END, WINDOW_START, 0};
    assert_int_equal(ais_landing_open(&reversed, &sink), AIS_ERR_INVALID_ARG);
    ais_landing_options empty_dir = {"", "t", WINDOW_START, WINDOW_END, 0};
    assert_int_equal(ais_landing_open(&empty_dir, &sink), AIS_ERR_INVALID_ARG);
    ais_landing_options far_future = {tmp, "t", WINDOW_START, INT64_C(400000000000), 0};
    assert_int_equal(ais_landing_open(&far_future, &sink), AIS_ERR_RANGE);
    assert_null(sink);

    sink = open_sink(tmp, 0);
    json_t *arr = json_array();
    assert_int_equal(ais_landing_write(sink, arr), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_landing_write(sink, NULL), AIS_ERR_INVALID_ARG);
    json_decref(arr);
    ais_landing_free(sink); /* nothing pending */
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void unusable_folder_leaves_nothing(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *file = ais_test_join(tmp, "not-a-dir");
    ais_test_write_file(file, "x");
    char *landing = ais_test_join(file, "landing"); /* a path through a regular file */

    ais_landing_options opts = {landing, "openaq-hourly", WINDOW_START, WINDOW_END, 0};
    ais_landing *sink = NULL;
    errno = 0;
    assert_int_equal(ais_landing_open(&opts, &sink), AIS_ERR_IO);
    assert_int_equal(errno, ENOTDIR);
    assert_null(sink);

    /* the topic name taken by a file */
    char *topic_file = ais_test_join(tmp, "openaq-hourly");
    ais_test_write_file(topic_file, "x");
    ais_landing_options opts2 = {tmp, "openaq-hourly", WINDOW_START, WINDOW_END, 0};
    assert_int_equal(ais_landing_open(&opts2, &sink), AIS_ERR_IO);
    assert_null(sink);

    size_t n;
    char **names = ais_test_list_dir(tmp, &n);
    assert_int_equal(n, 2); /* only the two files made above */
    ais_test_free_names(names);
    free(topic_file);
    free(landing);
    free(file);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* A write that fails half-way must remove the temporary file and leave no final file for that
 * batch, while earlier complete batches stay. The failure is made with the file-size limit
 * (root cannot bypass it, and it takes the same path as a full disk): only the soft limit is
 * lowered, and it is restored before any assertion can fail. */
static void failed_write_leaves_no_partial_file(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *topic_dir = ais_test_join(tmp, "openaq-hourly");
    ais_landing *sink = open_sink(tmp, 0);
    json_t *ev = make_event(0);
    ais_landing_stats stats;

    assert_int_equal(ais_landing_write(sink, ev), AIS_OK); /* a small first batch fits */
    assert_int_equal(ais_landing_flush(sink), AIS_OK);
    for (int i = 0; i < 200; i++) /* ~30 kB */
        assert_int_equal(ais_landing_write(sink, ev), AIS_OK);

    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 4096;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    ais_status flushed = ais_landing_flush(sink);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);

    assert_int_equal(flushed, AIS_ERR_IO);
    assert_non_null(strstr(ais_landing_error(sink), "landing: write "));
    assert_non_null(strstr(ais_landing_error(sink), "File too large"));
    /* failure is sticky: nothing more is accepted */
    assert_int_equal(ais_landing_write(sink, ev), AIS_ERR_IO);
    assert_int_equal(ais_landing_flush(sink), AIS_ERR_IO);
    assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
    assert_int_equal(stats.events_written, 1);
    assert_int_equal(stats.files_written, 1);
    json_decref(ev);
    ais_landing_free(sink);

    size_t n;
    char **names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 1); /* the first batch only; no ".part-...tmp" */
    assert_final_name(names[0]);
    json_t *all = ais_test_read_landing(topic_dir);
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
    ais_test_free_names(names);
    free(topic_dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void permission_denied_leaves_nothing(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root ignores directory permissions; the rlimit test covers the path */
    char *tmp = ais_test_mkdtemp();
    ais_landing *sink = open_sink(tmp, 0);
    char *topic_dir = ais_test_join(tmp, "openaq-hourly");
    assert_int_equal(chmod(topic_dir, 0555), 0);
    json_t *ev = make_event(1);
    assert_int_equal(ais_landing_write(sink, ev), AIS_OK);
    assert_int_equal(ais_landing_flush(sink), AIS_ERR_IO);
    assert_true(strstr(ais_landing_error(sink), "Permission denied") != NULL);
    json_decref(ev);
    ais_landing_free(sink);
    size_t n;
    char **names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 0);
    ais_test_free_names(names);
    assert_int_equal(chmod(topic_dir, 0755), 0);
    free(topic_dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_one_file_atomically),
        cmocka_unit_test(one_file_per_batch),
        cmocka_unit_test(rejects_bad_options_and_events),
        cmocka_unit_test(unusable_folder_leaves_nothing),
        cmocka_unit_test(failed_write_leaves_no_partial_file),
        cmocka_unit_test(permission_denied_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
