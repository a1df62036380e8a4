/* Landing file names never collide (ais/landing.h): two processes writing batches into the
 * same folder at the same time, some batches different and some identical, never overwrite
 * each other; a name already holding other bytes is left alone and the batch lands elsewhere;
 * a rerun with identical content adds nothing. */
#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ais/landing.h"
#include "ais/timeutil.h"

#define WINDOW_START 1788307200 /* 2026-09-02T00:00:00Z */
#define WINDOW_END (WINDOW_START + AIS_SECONDS_PER_HOUR)
#define OWN_BATCHES 150     /* per writer, different from every other batch */
#define SHARED_BATCHES 60   /* written by both writers, byte for byte the same */
#define EVENTS_PER_BATCH 3

static ais_landing *open_sink(const char *landing_dir)
{
    ais_landing_options opts = {.landing_dir = landing_dir, .topic = "openaq-hourly",
                                .window_start = WINDOW_START, .window_end = WINDOW_END,
                                .batch_max_events = EVENTS_PER_BATCH};
    ais_landing *sink = NULL;
    assert_int_equal(ais_landing_open(&opts, &sink), AIS_OK);
    return sink;
}

static ais_status write_batch(ais_landing *sink, const char *prefix, int batch)
{
    ais_status st = AIS_OK;
    for (int j = 0; j < EVENTS_PER_BATCH && st == AIS_OK; j++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d-%d", prefix, batch, j);
        json_t *ev = json_pack("{s:s, s:i, s:f}", "event_id", id, "n", j, "value",
                               (double)batch + j / 10.0);
        st = ev != NULL ? ais_landing_write(sink, ev) : AIS_ERR_NOMEM;
        json_decref(ev);
    }
    return st;
}

/* A writer (a child process running this program with "--writer <landing dir> <n> <fd>"):
 * waits until fd reaches end of file (the parent closes its end once both writers run, so they
 * start together), then writes its own batches and the shared ones, interleaved. Exit 0 only if every write succeeded and the stats
 * add up. A fresh program rather than a forked test, so that memcheck's view of the test
 * process is not muddled by a child leaving with the test runner's memory. */
static int writer(const char *landing_dir, int who, int start_fd)
{
    char c;
    while (read(start_fd, &c, 1) > 0)
        continue;
    close(start_fd);
    ais_landing_options opts = {.landing_dir = landing_dir, .topic = "openaq-hourly",
                                .window_start = WINDOW_START, .window_end = WINDOW_END,
                                .batch_max_events = EVENTS_PER_BATCH};
    ais_landing *sink = NULL;
    if (ais_landing_open(&opts, &sink) != AIS_OK)
        return 1;
    char own[16];
    snprintf(own, sizeof own, "w%d", who);
    ais_status st = AIS_OK;
    for (int i = 0; i < OWN_BATCHES && st == AIS_OK; i++) {
        st = write_batch(sink, own, i);
        if (st == AIS_OK && i < SHARED_BATCHES)
            st = write_batch(sink, "shared", i);
    }
    if (st == AIS_OK)
        st = ais_landing_flush(sink);
    ais_landing_stats stats;
    ais_landing_get_stats(sink, &stats);
    if (st != AIS_OK)
        fprintf(stderr, "writer %d: %s\n", who, ais_landing_error(sink));
    ais_landing_free(sink);
    bool counts = stats.files_written == OWN_BATCHES + SHARED_BATCHES &&
                  stats.events_written ==
                      (uint64_t)(OWN_BATCHES + SHARED_BATCHES) * EVENTS_PER_BATCH &&
                  stats.files_already_present <= SHARED_BATCHES;
    return st == AIS_OK && counts ? 0 : 1;
}

static const char *self_path; /* argv[0] */

static void two_writers_never_overwrite_each_other(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *topic_dir = ais_test_join(tmp, "openaq-hourly");
    ais_landing_free(open_sink(tmp)); /* the folder exists before both start */
    pid_t pids[2];
    int start[2];
    assert_int_equal(pipe(start), 0);
    for (int w = 0; w < 2; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            char who[8], fd[16];
            close(start[1]);
            snprintf(who, sizeof who, "%d", w);
            snprintf(fd, sizeof fd, "%d", start[0]);
            execl(self_path, self_path, "--writer", tmp, who, fd, (char *)NULL);
            _exit(127);
        }
    }
    close(start[0]);
    usleep(200000); /* both programs started and waiting */
    close(start[1]);
    for (int w = 0; w < 2; w++) {
        int status = 0;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }

    /* every own batch of both writers once, every shared batch once, nothing else */
    size_t n;
    char **names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 2 * OWN_BATCHES + SHARED_BATCHES);
    for (size_t i = 0; i < n; i++) {
        assert_true(strncmp(names[i], "part-", 5) == 0); /* no dot-file left */
        char *path = ais_test_join(topic_dir, names[i]);
        char *text = ais_test_read_file(path);
        json_t *lines = ais_test_parse_json_lines(text);
        assert_int_equal(json_array_size(lines), EVENTS_PER_BATCH); /* whole, one batch */
        /* the three events of one file are one batch of one writer */
        const char *first = json_string_value(json_object_get(json_array_get(lines, 0),
                                                              "event_id"));
        size_t stem = (size_t)(strrchr(first, '-') - first);
        for (size_t k = 1; k < EVENTS_PER_BATCH; k++) {
            const char *id = json_string_value(json_object_get(json_array_get(lines, k),
                                                               "event_id"));
            assert_int_equal(strncmp(id, first, stem + 1), 0);
        }
        json_decref(lines);
        free(text);
        free(path);
    }
    ais_test_free_names(names);
    json_t *all = ais_test_read_landing(topic_dir);
    assert_int_equal(json_array_size(all),
                     (2 * OWN_BATCHES + SHARED_BATCHES) * EVENTS_PER_BATCH);
    json_t *seen = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) {
        const char *id = json_string_value(json_object_get(e, "event_id"));
        assert_null(json_object_get(seen, id)); /* each event exactly once */
        json_object_set_new(seen, id, json_true());
    }
    for (int w = 0; w < 2; w++)
        for (int b = 0; b < OWN_BATCHES; b++) {
            char id[64];
            snprintf(id, sizeof id, "w%d-%d-%d", w, b, EVENTS_PER_BATCH - 1);
            assert_non_null(json_object_get(seen, id));
        }
    for (int b = 0; b < SHARED_BATCHES; b++) {
        char id[64];
        snprintf(id, sizeof id, "shared-%d-0", b);
        assert_non_null(json_object_get(seen, id));
    }
    json_decref(seen);
    json_decref(all);
    free(topic_dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* The name a batch would take is held by a file with other bytes (what two batches with the
 * same 32-bit hash would meet): that file is left as it is and the batch lands under another
 * name. */
static void a_name_holding_other_bytes_is_left_alone(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *scratch = ais_test_join(tmp, "scratch"), *target = ais_test_join(tmp, "target");
    /* learn the batch's first-choice name */
    ais_landing *sink = open_sink(scratch);
    assert_int_equal(write_batch(sink, "x", 1), AIS_OK);
    ais_landing_free(sink);
    char *scratch_topic = ais_test_join(scratch, "openaq-hourly");
    size_t n;
    char **names = ais_test_list_dir(scratch_topic, &n);
    assert_int_equal(n, 1);
    char *scratch_file = ais_test_join(scratch_topic, names[0]);
    char *batch_text = ais_test_read_file(scratch_file);

    /* another writer's file under that name in the target folder */
    sink = open_sink(target);
    char *target_topic = ais_test_join(target, "openaq-hourly");
    char *squatter = ais_test_join(target_topic, names[0]);
    const char *other = "{\"event_id\":\"someone-else\"}\n";
    ais_test_write_file(squatter, other);
    assert_int_equal(write_batch(sink, "x", 1), AIS_OK);
    ais_landing_stats stats;
    assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
    assert_int_equal(stats.files_written, 1);
    assert_int_equal(stats.name_clashes, 1);
    assert_int_equal(stats.files_already_present, 0);
    ais_landing_free(sink);

    char *kept = ais_test_read_file(squatter);
    assert_string_equal(kept, other);
    char **tnames = ais_test_list_dir(target_topic, &n);
    assert_int_equal(n, 2);
    const char *landed = strcmp(tnames[0], names[0]) == 0 ? tnames[1] : tnames[0];
    assert_true(strncmp(landed, "part-", 5) == 0);
    char *landed_path = ais_test_join(target_topic, landed);
    char *landed_text = ais_test_read_file(landed_path);
    assert_string_equal(landed_text, batch_text);

    /* the same batch again finds itself under that second name: nothing added */
    sink = open_sink(target);
    assert_int_equal(write_batch(sink, "x", 1), AIS_OK);
    assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
    assert_int_equal(stats.files_already_present, 1);
    assert_int_equal(stats.name_clashes, 1);
    ais_landing_free(sink);
    ais_test_free_names(tnames);
    tnames = ais_test_list_dir(target_topic, &n);
    assert_int_equal(n, 2);

    ais_test_free_names(tnames);
    ais_test_free_names(names);
    free(landed_text);
    free(landed_path);
    free(kept);
    free(squatter);
    free(target_topic);
    free(batch_text);
    free(scratch_file);
    free(scratch_topic);
    free(scratch);
    free(target);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* A rerun of the same window with the same events: the files are already there. */
static void rerun_with_identical_content_adds_nothing(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *topic_dir = ais_test_join(tmp, "openaq-hourly");
    for (int run = 0; run < 2; run++) {
        ais_landing *sink = open_sink(tmp);
        for (int b = 0; b < 4; b++)
            assert_int_equal(write_batch(sink, "rerun", b), AIS_OK);
        ais_landing_stats stats;
        assert_int_equal(ais_landing_get_stats(sink, &stats), AIS_OK);
        assert_int_equal(stats.files_written, 4);
        assert_int_equal(stats.events_written, 4 * EVENTS_PER_BATCH);
        assert_int_equal(stats.files_already_present, run == 0 ? 0 : 4);
        ais_landing_free(sink);
    }
    size_t n;
    char **names = ais_test_list_dir(topic_dir, &n);
    assert_int_equal(n, 4);
    ais_test_free_names(names);
    free(topic_dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--writer") == 0)
        return writer(argv[2], atoi(argv[3]), atoi(argv[4]));
    self_path = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_writers_never_overwrite_each_other),
        cmocka_unit_test(a_name_holding_other_bytes_is_left_alone),
        cmocka_unit_test(rerun_with_identical_content_adds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
