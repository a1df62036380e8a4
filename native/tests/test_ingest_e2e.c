/* End-to-end: runs the ais-ingest program (AIS_INGEST_BIN) in a child process with a clean
 * environment and checks what it prints and what it lands. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ais/config.h"
#include "ais/timeutil.h"
#include "ais/window_state.h"

#define CONFIG AIS_REPO_ROOT "/config/hanoi_pipeline.yaml"

typedef struct result {
    int code;
    char *out;
    char *err;
    json_t *summary; /* the one stdout line, if it parses */
    json_t *logs;    /* stderr lines */
} result;

static result run(const char *const argv[], const char *const env[])
{
    result r;
    /* the json log format: no human progress lines between the JSON ones (ais/progress.h) */
    const char *with_json[16] = {"AIS_LOG_FORMAT=json"};
    for (size_t i = 0; env != NULL && env[i] != NULL && i + 2 < 16; i++)
        with_json[i + 1] = env[i];
    r.code = ais_test_run(argv, with_json, &r.out, &r.err);
    /* every stderr line is a JSON log record */
    r.logs = ais_test_parse_json_lines(r.err);
    size_t i;
    json_t *line;
    json_array_foreach(r.logs, i, line) {
        assert_true(json_is_string(json_object_get(line, "ts")));
        assert_true(json_is_string(json_object_get(line, "level")));
        assert_string_equal(json_string_value(json_object_get(line, "logger")), "ais-ingest");
        assert_true(json_is_string(json_object_get(line, "event")));
    }
    r.summary = NULL;
    if (r.out[0] != '\0') {
        json_t *lines = ais_test_parse_json_lines(r.out);
        assert_int_equal(json_array_size(lines), 1); /* ONE line on stdout */
        r.summary = json_incref(json_array_get(lines, 0));
        json_decref(lines);
    }
    return r;
}

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->summary);
    json_decref(r->logs);
}

static int has_log_event(const result *r, const char *event)
{
    size_t i;
    json_t *line;
    json_array_foreach(r->logs, i, line)
        if (strcmp(json_string_value(json_object_get(line, "event")), event) == 0)
            return 1;
    return 0;
}

static const char *log_message(const result *r, const char *event)
{
    size_t i;
    json_t *line;
    json_array_foreach(r->logs, i, line)
        if (strcmp(json_string_value(json_object_get(line, "event")), event) == 0)
            return json_string_value(json_object_get(line, "message"));
    return NULL;
}

static json_int_t summary_int(const result *r, const char *key)
{
    assert_non_null(r->summary);
    json_t *v = json_object_get(r->summary, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *summary_str(const result *r, const char *key)
{
    assert_non_null(r->summary);
    const char *s = json_string_value(json_object_get(r->summary, key));
    assert_non_null(s);
    return s;
}

/* event_id -> value for everything landed under dir/openaq-hourly */
static json_t *landed_values(const char *landing)
{
    char *topic = ais_test_join(landing, "openaq-hourly");
    json_t *events = ais_test_read_landing(topic);
    json_t *map = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        assert_int_equal(json_object_size(ev), 24);
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        assert_non_null(id);
        assert_null(json_object_get(map, id)); /* unique */
        json_object_set(map, id, json_object_get(ev, "value"));
    }
    json_decref(events);
    free(topic);
    return map;
}

static void assert_no_dot_files(const char *landing)
{
    char *topic = ais_test_join(landing, "openaq-hourly");
    size_t n;
    char **names = ais_test_list_dir(topic, &n);
    for (size_t i = 0; i < n; i++)
        assert_true(names[i][0] != '.');
    ais_test_free_names(names);
    free(topic);
}

static size_t count_files(const char *landing)
{
    char *topic = ais_test_join(landing, "openaq-hourly");
    size_t n;
    char **names = ais_test_list_dir(topic, &n);
    ais_test_free_names(names);
    free(topic);
    return n;
}

/* ----------------------------------------------------------------------------------------- */

static void simulate_two_days_then_rerun_overlapping(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *land1 = ais_test_join(tmp, "run1");
    char *land2 = ais_test_join(tmp, "run2");

    const char *argv1[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                           "--start", "2026-09-02T00:00:00Z", "--end", "2026-09-04T00:00:00Z",
                           "--sink", "landing", "--landing-dir", land1, "--stations", "3",
                           "--config", CONFIG, "--state-dir", tmp, NULL};
    result r1 = run(argv1, NULL);
    assert_int_equal(r1.code, 0);
    assert_string_equal(summary_str(&r1, "source"), "openaq");
    assert_string_equal(summary_str(&r1, "mode"), "simulate");
    assert_string_equal(summary_str(&r1, "sink"), "landing");
    assert_string_equal(summary_str(&r1, "window_start_utc"), "2026-09-02T00:00:00Z");
    assert_string_equal(summary_str(&r1, "window_end_utc"), "2026-09-04T00:00:00Z");
    assert_int_equal(summary_int(&r1, "events_written"), 2 * 24 * 3);
    assert_int_equal(summary_int(&r1, "events_rejected"), 0);
    assert_int_equal(json_object_size(json_object_get(r1.summary, "rejected_by_reason")), 0);
    assert_int_equal(summary_int(&r1, "files_written"), 1);
    assert_string_equal(summary_str(&r1, "status"), "ok");
    assert_string_equal(summary_str(&r1, "window_from"), "flags");
    assert_int_equal(summary_int(&r1, "dead_letters_written"), 0);
    assert_int_equal(json_object_size(r1.summary), 13);
    assert_true(has_log_event(&r1, "run_start"));
    assert_true(has_log_event(&r1, "window_done"));
    assert_int_equal(count_files(land1), 1);
    assert_no_dot_files(land1);

    /* a window that overlaps the second day, starting and ending off the hour */
    const char *argv2[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                           "--start", "2026-09-03T00:20:00+00:00", "--end", "2026-09-05T23:00:01Z",
                           "--sink", "landing", "--landing-dir", land2, "--stations", "3",
                           "--config", CONFIG, "--state-dir", tmp, NULL};
    result r2 = run(argv2, NULL);
    assert_int_equal(r2.code, 0);
    assert_string_equal(summary_str(&r2, "window_start_utc"), "2026-09-03T00:00:00Z");
    assert_string_equal(summary_str(&r2, "window_end_utc"), "2026-09-06T00:00:00Z");
    assert_int_equal(summary_int(&r2, "events_written"), 3 * 24 * 3);

    json_t *v1 = landed_values(land1);
    json_t *v2 = landed_values(land2);
    assert_int_equal(json_object_size(v1), 144);
    assert_int_equal(json_object_size(v2), 216);
    size_t shared = 0;
    const char *id;
    json_t *value;
    json_object_foreach(v1, id, value) {
        json_t *other = json_object_get(v2, id);
        if (other == NULL) {
            assert_true(strstr(id, "_2026-09-02T") != NULL); /* only day one is not shared */
            continue;
        }
        shared++;
        assert_true(json_equal(value, other));
    }
    assert_int_equal(shared, 72);

    /* the same first window in batches of 50 events: 3 files, the same events */
    char *land3 = ais_test_join(tmp, "run3");
    const char *argv3[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                           "--start", "2026-09-02", "--end", "2026-09-04",
                           "--sink", "landing", "--landing-dir", land3, "--stations", "3",
                           "--batch-events", "50", "--config", CONFIG, "--state-dir", tmp, NULL};
    result r3 = run(argv3, NULL);
    assert_int_equal(r3.code, 0);
    assert_int_equal(summary_int(&r3, "files_written"), 3);
    assert_int_equal(count_files(land3), 3);
    json_t *v3 = landed_values(land3);
    assert_true(json_equal(v1, v3));

    json_decref(v1);
    json_decref(v2);
    json_decref(v3);
    result_free(&r1);
    result_free(&r2);
    result_free(&r3);
    ais_test_rm_rf(tmp);
    free(land1);
    free(land2);
    free(land3);
    free(tmp);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Defaults from the configuration: stations, seed, and the landing folder resolved against the
 * project root (a copy of the repository config in a temporary project). Also: 60 days x 6
 * stations well under a second. */
static void defaults_come_from_the_config(void **state)
{
    (void)state;
    char *project = ais_test_mkdtemp();
    char *config_dir = ais_test_join(project, "config");
    assert_int_equal(mkdir(config_dir, 0755), 0);
    char *config = ais_test_join(config_dir, "hanoi_pipeline.yaml");
    char *text = ais_test_read_file(CONFIG);
    assert_non_null(text);
    ais_test_write_file(config, text);
    free(text);

    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                          "--start", "2026-09-01T00:00:00Z", "--end", "2026-10-31T00:00:00Z",
                          "--sink", "landing", "--config", config, NULL};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    result r = run(argv, NULL);
    double elapsed = seconds_since(&t0);
    assert_int_equal(r.code, 0);
    assert_int_equal(summary_int(&r, "events_written"), 60 * 24 * 6); /* simulate.openaq_stations */
    if (elapsed >= 1.0 * AIS_TEST_TIME_FACTOR) { /* "well under a second"; typically 0.15 s */
        print_error("60 days x 6 stations took %.3f s\n", elapsed);
        fail();
    }
    char *landing = ais_test_join(project, "var/landing"); /* runtime.landing_dir */
    json_t *values = landed_values(landing);
    assert_int_equal(json_object_size(values), 8640);

    /* the seed came from simulate.seed: --seed with the same number gives the same values */
    char *landing_b = ais_test_join(project, "seeded");
    const char *argv_b[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                            "--start", "2026-09-01T00:00:00Z", "--end", "2026-09-02T00:00:00Z",
                            "--sink", "landing", "--config", config, "--seed", "20261121",
                            "--landing-dir", landing_b, NULL};
    result rb = run(argv_b, NULL);
    assert_int_equal(rb.code, 0);
    json_t *values_b = landed_values(landing_b);
    const char *id;
    json_t *v;
    json_object_foreach(values_b, id, v) assert_true(json_equal(v, json_object_get(values, id)));

    /* LANDING_DIR overrides runtime.landing_dir */
    char *landing_env = ais_test_join(project, "from-env");
    char env_kv[4200];
    snprintf(env_kv, sizeof env_kv, "LANDING_DIR=%s", landing_env);
    const char *env[] = {env_kv, NULL};
    const char *argv_c[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                            "--start", "2026-09-01T00:00:00Z", "--end", "2026-09-01T02:00:00Z",
                            "--sink", "landing", "--config", config, NULL};
    result rc = run(argv_c, env);
    assert_int_equal(rc.code, 0);
    assert_int_equal(summary_int(&rc, "events_written"), 2 * 6);
    assert_int_equal(count_files(landing_env), 1);

    json_decref(values);
    json_decref(values_b);
    result_free(&r);
    result_free(&rb);
    result_free(&rc);
    ais_test_rm_rf(project);
    free(landing);
    free(landing_b);
    free(landing_env);
    free(config);
    free(config_dir);
    free(project);
}

static void usage_errors_exit_2(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *landing = ais_test_join(tmp, "landing");
    static const struct {
        const char *args[10];
        const char *event;
        const char *message;
    } cases[] = {
        {{"openaq", "--mode", "simulate", "--start", "2026-09-03", "--end", "2026-09-02",
          "--sink", "landing"}, "usage_error", "--end must be after --start"},
        {{"openaq", "--mode", "live", "--window", "realtime", "--end", "2026-09-03", "--sink",
          "landing"}, "usage_error",
         "--window realtime ends each window at the current hour; --end applies only to "
         "--window batch"},
        {{"openaq", "--mode", "replay", "--end", "2026-09-03", "--sink", "landing"},
         "usage_error", "--mode replay needs --replay-dir DIR"},
        {{"weather", "--mode", "live"}, "usage_error", "--sink landing|kafka is required"},
        {{"sentinel5p", "--mode", "live"}, "usage_error", "--sink landing|kafka is required"},
        {{"era5", "--mode", "live", "--sink", "landing", "--window", "realtime", "--end",
          "2026-09-03"}, "usage_error",
         "--window realtime ends each window at the current hour; --end applies only to "
         "--window batch"},
        {{"openaq", "--mode", "simulate", "--start", "2026-09-02", "--end", "2026-09-03"},
         "usage_error", "--sink landing|kafka is required"},
        {{"--frobnicate"}, "usage_error", "unknown command"},
        {{"config-dump", "--verbose"}, "usage_error", "config-dump takes only --config PATH"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *argv[16] = {AIS_INGEST_BIN};
        int n = 1;
        for (int i = 0; i < 10 && cases[c].args[i]; i++)
            argv[n++] = cases[c].args[i];
        result r = run(argv, NULL);
        assert_int_equal(r.code, 2);
        assert_string_equal(r.out, ""); /* no summary for a run that never started */
        const char *message = log_message(&r, cases[c].event);
        if (message == NULL || strcmp(message, cases[c].message) != 0) {
            print_error("case %zu: stderr was %s\n", c, r.err);
            fail();
        }
        result_free(&r);
    }

    /* no command at all */
    const char *bare[] = {AIS_INGEST_BIN, NULL};
    result r = run(bare, NULL);
    assert_int_equal(r.code, 2);
    assert_true(has_log_event(&r, "usage_error"));
    result_free(&r);

    /* --help is not an error */
    const char *help[] = {AIS_INGEST_BIN, "--help", NULL};
    assert_int_equal(ais_test_run(help, NULL, &r.out, &r.err), 0);
    assert_true(strstr(r.out, "ais-ingest openaq --mode simulate|replay") != NULL);
    assert_true(strstr(r.out, "ais-ingest topics --create|--check") != NULL);
    free(r.out);
    free(r.err);

    struct stat sb;
    assert_int_equal(stat(landing, &sb), -1); /* nothing was created */
    ais_test_rm_rf(tmp);
    free(landing);
    free(tmp);
}

static void runtime_failures_exit_1_with_a_summary(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *file = ais_test_join(tmp, "file");
    ais_test_write_file(file, "x");
    char *landing = ais_test_join(file, "landing"); /* cannot be created */

    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                          "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                          "--landing-dir", landing, "--config", CONFIG, "--state-dir", tmp, NULL};
    result r = run(argv, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(summary_str(&r, "status"), "error");
    assert_int_equal(summary_int(&r, "events_written"), 0);
    assert_int_equal(summary_int(&r, "files_written"), 0);
    assert_true(strstr(summary_str(&r, "error"), "Not a directory") != NULL);
    assert_true(has_log_event(&r, "run_failed"));
    result_free(&r);

    const char *missing[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                             "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                             "--config", "/nonexistent/hanoi_pipeline.yaml", NULL};
    r = run(missing, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(summary_str(&r, "status"), "error");
    assert_string_equal(summary_str(&r, "error"),
                        "/nonexistent/hanoi_pipeline.yaml: No such file or directory");
    result_free(&r);

    /* a bad log level in the environment is a configuration error */
    const char *env[] = {"LOG_LEVEL=chatty", NULL};
    const char *ok_args[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                             "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                             "--landing-dir", tmp, "--config", CONFIG, "--state-dir", tmp, NULL};
    r = run(ok_args, env);
    assert_int_equal(r.code, 1);
    assert_string_equal(summary_str(&r, "error"),
                        "runtime.log_level must be debug, info, warning or error");
    result_free(&r);

    ais_test_rm_rf(tmp);
    free(landing);
    free(file);
    free(tmp);
}

/* The human log format: nothing but text on stderr, the JSON lines in the project's var/log;
 * --log-format wins over AIS_LOG_FORMAT; a failed run names its log file. */
static void the_human_log_format_keeps_the_json_in_a_file(void **state)
{
    (void)state;
    char *project = ais_test_mkdtemp();
    char *config = ais_test_project_config(project, NULL);
    char *text = NULL;
    char *landing = ais_test_join(project, "landing");
    const char *json_env[] = {"AIS_LOG_FORMAT=json", NULL};
    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--log-format", "human",
                          "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                          "--landing-dir", landing, "--config", config, "--state-dir", project,
                          NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal(ais_test_run(argv, json_env, &out, &err), 0);
    assert_null(strchr(err, '{')); /* no JSON line on stderr */
    json_t *lines = ais_test_parse_json_lines(out);
    assert_int_equal(json_array_size(lines), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "status")),
                        "ok");
    json_decref(lines);
    free(out);
    free(err);

    char *log_dir = ais_test_join(project, "var/log");
    size_t count = 0;
    char **names = ais_test_list_dir(log_dir, &count);
    assert_int_equal(count, 1);
    assert_int_equal(strncmp(names[0], "ais-ingest-openaq-", 18), 0);
    assert_non_null(strstr(names[0], ".jsonl"));
    char *log_path = ais_test_join(log_dir, names[0]);
    ais_test_free_names(names);
    text = ais_test_read_file(log_path);
    lines = ais_test_parse_json_lines(text);
    assert_true(json_array_size(lines) >= 2);
    json_t *first = json_array_get(lines, 0);
    assert_string_equal(json_string_value(json_object_get(first, "event")), "run_started");
    assert_string_equal(json_string_value(json_object_get(first, "command")), "openaq");
    assert_string_equal(json_string_value(json_array_get(json_object_get(first, "argv"), 0)),
                        "openaq");
    json_decref(lines);
    free(text);
    free(log_path);

    /* a failure: the error as text, then where its JSON log is */
    char *file = ais_test_join(project, "file");
    ais_test_write_file(file, "x");
    char *blocked = ais_test_join(file, "landing"); /* cannot be created */
    const char *fails[] = {AIS_INGEST_BIN, "--log-format=human", "openaq", "--mode", "simulate",
                           "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                           "--landing-dir", blocked, "--config", config, "--state-dir", project,
                           NULL};
    assert_int_equal(ais_test_run(fails, NULL, &out, &err), 1);
    assert_null(strchr(err, '{'));
    assert_non_null(strstr(err, "error: run_failed"));
    char named[512];
    snprintf(named, sizeof named, "(the JSON log of this run: %s/var/log/ais-ingest-openaq-",
             project);
    assert_non_null(strstr(err, named));
    free(out);
    free(err);

    /* the json format: every stderr line is JSON */
    const char *as_json[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--log-format=json",
                             "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                             "--landing-dir", landing, "--config", config, "--state-dir", project,
                             NULL};
    result r = run(as_json, NULL);
    assert_int_equal(r.code, 0);
    assert_true(json_array_size(r.logs) >= 1);
    size_t newlines = 0;
    for (const char *c = r.err; *c; c++)
        newlines += *c == '\n';
    assert_int_equal(json_array_size(r.logs), newlines);
    result_free(&r);

    /* not a format: a usage error */
    const char *bad[] = {AIS_INGEST_BIN, "openaq", "--log-format", "yaml", NULL};
    assert_int_equal(ais_test_run(bad, NULL, &out, &err), 2);
    assert_non_null(strstr(err, "error: usage_error (message=\"--log-format must be human or json\")"));
    assert_non_null(strstr(err, "usage:\n  ais-ingest config-dump"));
    free(out);
    free(err);

    free(blocked);
    free(file);
    free(log_dir);
    free(landing);
    free(config);
    ais_test_rm_rf(project);
    free(project);
}

static void log_level_warning_silences_info(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    const char *env[] = {"LOG_LEVEL=warning", "OPENAQ_API_KEY=do-not-print-me", NULL};
    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate",
                          "--start", "2026-09-02", "--end", "2026-09-03", "--sink", "landing",
                          "--landing-dir", tmp, "--config", CONFIG, "--state-dir", tmp, NULL};
    result r = run(argv, env);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.err, "");
    assert_null(strstr(r.out, "do-not-print-me"));
    result_free(&r);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void config_dump_matches_the_loader(void **state)
{
    (void)state;
    const char *env[] = {"API_PORT=9999", "READINESS_TIMEOUT_SECONDS=11", "ICEBERG_CATALOG=",
                         "OPENAQ_API_KEY=very-secret", "CDS_KEY=", NULL};
    const char *argv[] = {AIS_INGEST_BIN, "config-dump", "--config", CONFIG, NULL};
    result r = run(argv, env);
    assert_int_equal(r.code, 0);
    assert_null(strstr(r.out, "very-secret"));
    assert_int_equal(json_object_size(r.summary), 3);

    char *root = ais_test_repo_root();
    assert_string_equal(summary_str(&r, "project_root"), root);
    json_t *values = json_object_get(r.summary, "values");
    json_t *secrets = json_object_get(r.summary, "secrets");

    /* every flattened key, with the raw text, the same as the library gives in-process */
    unsetenv(AIS_CONFIG_ENV_PATH);
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(CONFIG, &cfg), AIS_OK);
    assert_int_equal(json_object_size(values), ais_config_count(cfg));
    size_t n_secrets = ais_config_secret_count(cfg);
    assert_true(n_secrets >= 5);
    for (size_t i = 0; i < ais_config_count(cfg); i++) {
        const char *key, *value;
        assert_int_equal(ais_config_entry(cfg, i, &key, &value), AIS_OK);
        json_t *dumped = json_object_get(values, key);
        assert_true(json_is_string(dumped));
        /* runtime values depend on each process's environment; checked one by one below */
        if (strncmp(key, "runtime.", 8) != 0)
            assert_string_equal(json_string_value(dumped), value);
    }
    ais_config_free(cfg);

    assert_string_equal(json_string_value(json_object_get(values, "runtime.api_port")), "9999");
    assert_string_equal(json_string_value(json_object_get(values, "runtime.ready_timeout_seconds")),
                        "11");
    assert_string_equal(json_string_value(json_object_get(values, "runtime.iceberg_catalog")), "");
    assert_string_equal(json_string_value(json_object_get(values, "runtime.landing_dir")),
                        "var/landing");
    assert_string_equal(json_string_value(json_object_get(values, "hanoi.bbox.east")), "106.10");
    assert_string_equal(json_string_value(json_object_get(values, "maiac.collection")), "061");
    assert_string_equal(json_string_value(json_object_get(values, "features.lags_h.1")), "3");
    assert_string_equal(json_string_value(json_object_get(values, "secrets.1")), "OPENAQ_API_KEY");
    assert_string_equal(json_string_value(
                            json_object_get(values, "env_aliases.READINESS_TIMEOUT_SECONDS")),
                        "ready_timeout_seconds");

    assert_int_equal(json_object_size(secrets), n_secrets);
    assert_string_equal(json_string_value(json_object_get(secrets, "OPENAQ_API_KEY")), "set");
    assert_string_equal(json_string_value(json_object_get(secrets, "CDS_KEY")), "set");
    assert_string_equal(json_string_value(json_object_get(secrets, "WEATHER_API_KEY")), "unset");
    assert_string_equal(json_string_value(json_object_get(secrets, "OBJECT_STORE_SECRET_KEY")),
                        "unset");

    /* HANOI_PIPELINE_CONFIG is honoured when --config is absent */
    const char *env2[] = {"HANOI_PIPELINE_CONFIG=" CONFIG, NULL};
    const char *argv2[] = {AIS_INGEST_BIN, "config-dump", NULL};
    result r2 = run(argv2, env2);
    assert_int_equal(r2.code, 0);
    assert_string_equal(summary_str(&r2, "project_root"), root);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r2.summary, "values"), "runtime.api_port")),
        "8080");

    /* malformed configuration: exit 1, message with line and column */
    char *tmp = ais_test_mkdtemp();
    char *bad = ais_test_join(tmp, "bad.yaml");
    ais_test_write_file(bad, "runtime:\n  api_port: [8080\n");
    const char *argv3[] = {AIS_INGEST_BIN, "config-dump", "--config", bad, NULL};
    result r3 = run(argv3, NULL);
    assert_int_equal(r3.code, 1);
    assert_string_equal(r3.out, "");
    const char *message = log_message(&r3, "config_error");
    assert_non_null(message);
    assert_true(strncmp(message, bad, strlen(bad)) == 0);
    assert_true(strstr(message, ":3:1: ") != NULL);

    result_free(&r);
    result_free(&r2);
    result_free(&r3);
    ais_test_rm_rf(tmp);
    free(bad);
    free(tmp);
    free(root);
}

/* ----------------------------------------------------------------------------------------- */
/* Replay, dead letters, window state                                                          */

#define AIRNOW_HEADER                                                                          \
    "Site,Parameter,Date (LT),Year,Month,Day,Hour,NowCast Conc.,AQI,AQI Category,Raw Conc.,"   \
    "Conc. Unit,Duration,QC Name\n"

/* 2019-03-01 01:00 .. 2019-03-03 00:00 local (48 hours), one bad line in the middle */
static char *airnow_fixture(const char *tmp)
{
    char *dir = ais_test_join(tmp, "airnow");
    assert_int_equal(mkdir(dir, 0755), 0);
    size_t cap = 16384, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text, cap, "%s", AIRNOW_HEADER);
    for (int i = 1; i <= 48; i++) {
        int day = 1 + i / 24, hour = i % 24;
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        len += (size_t)snprintf(text + len, cap - len,
                                "Hanoi,PM2.5 - Principal,2019-03-%02d %02d:00 %s,2019,03,%02d,%02d,"
                                "1,1,Good,%d.5,UG/M3,1 Hr,Valid\n",
                                day, h12, hour < 12 ? "AM" : "PM", day, hour, 10 + i);
        if (i == 20)
            len += (size_t)snprintf(text + len, cap - len,
                                    "Hanoi,PM2.5 - Principal,2019-03-01 25:00 PM,2019,03,01,25,"
                                    "1,1,Good,5.0,UG/M3,1 Hr,Valid\n");
    }
    char *path = ais_test_join(dir, "Hanoi_PM2.5_2019_03_MTD.csv");
    ais_test_write_file(path, text);
    free(path);
    free(text);
    return dir;
}

static json_t *read_topic_dir(const char *landing, const char *topic)
{
    char *dir = ais_test_join(landing, topic);
    json_t *all = ais_test_read_landing(dir);
    free(dir);
    return all;
}

static void replay_with_dead_letters_and_window_state(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *replay_dir = airnow_fixture(tmp);
    char *landing = ais_test_join(tmp, "landing");
    char *states = ais_test_join(tmp, "state");

    /* local 2019-03-01 00:00 .. 2019-03-02 00:00 = 2019-02-28T17:00Z .. 2019-03-01T17:00Z */
    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "replay", "--replay-dir",
                          replay_dir, "--start", "2019-02-28T17:00:00Z", "--end",
                          "2019-03-01T17:00:00Z", "--sink", "landing", "--landing-dir", landing,
                          "--state-dir", states, "--config", CONFIG, NULL};
    result r = run(argv, NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(summary_str(&r, "mode"), "replay");
    assert_int_equal(summary_int(&r, "events_written"), 24);
    assert_int_equal(summary_int(&r, "events_rejected"), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.summary,
                                                                        "rejected_by_reason"),
                                                        "bad_date")),
                     1);
    assert_int_equal(summary_int(&r, "dead_letters_written"), 1);
    assert_int_equal(summary_int(&r, "files_written"), 1);
    json_t *input = json_object_get(r.summary, "input");
    assert_int_equal(json_integer_value(json_object_get(input, "files_read")), 1);
    assert_int_equal(json_integer_value(json_object_get(input, "records_read")), 49);
    assert_int_equal(json_integer_value(json_object_get(input, "outside_window")), 24);
    char *state_file = ais_test_join(states, "openaq.json");
    assert_string_equal(summary_str(&r, "state_file"), state_file);
    result_free(&r);

    json_t *events = read_topic_dir(landing, "openaq-hourly");
    assert_int_equal(json_array_size(events), 24);
    json_t *first = json_array_get(events, 0);
    assert_int_equal(json_object_size(first), 24);
    assert_string_equal(json_string_value(json_object_get(first, "event_id")),
                        "openaq_7441_74411_pm25_2019-02-28T17:00:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "source")), "airnow");
    assert_double_near(json_real_value(json_object_get(first, "value")), 11.5, 0.0);
    json_t *dead = read_topic_dir(landing, "ais-dlq");
    assert_int_equal(json_array_size(dead), 1);
    json_t *d = json_array_get(dead, 0);
    assert_string_equal(json_string_value(json_object_get(d, "source")), "airnow");
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "bad_date");
    assert_int_equal(json_integer_value(json_object_get(d, "line")), 22);
    assert_non_null(strstr(json_string_value(json_object_get(d, "raw")), "25:00 PM"));
    assert_non_null(strstr(json_string_value(json_object_get(d, "file")),
                           "Hanoi_PM2.5_2019_03_MTD.csv"));
    json_decref(events);
    json_decref(dead);

    /* no --start: continue where the last run ended */
    char *landing2 = ais_test_join(tmp, "landing2");
    const char *cont[] = {AIS_INGEST_BIN, "openaq", "--mode", "replay", "--replay-dir",
                          replay_dir, "--end", "2019-03-02T17:00:00Z", "--sink", "landing",
                          "--landing-dir", landing2, "--state-dir", states, "--config", CONFIG,
                          NULL};
    r = run(cont, NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(summary_str(&r, "window_from"), "state");
    assert_string_equal(summary_str(&r, "window_start_utc"), "2019-03-01T17:00:00Z");
    assert_int_equal(summary_int(&r, "events_written"), 24);
    result_free(&r);
    events = read_topic_dir(landing2, "openaq-hourly");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0),
                                                          "event_id")),
                        "openaq_7441_74411_pm25_2019-03-01T17:00:00Z");
    json_decref(events);

    /* again: nothing left in the window; nothing written, the state unchanged */
    r = run(cont, NULL);
    assert_int_equal(r.code, 0);
    assert_true(json_is_true(json_object_get(r.summary, "window_empty")));
    assert_int_equal(summary_int(&r, "events_written"), 0);
    result_free(&r);
    ais_window_state ws;
    char err[256];
    assert_int_equal(ais_window_state_load(states, "openaq", "replay/landing", &ws, err,
                                           sizeof err),
                     AIS_OK);
    assert_true(ws.found);
    int64_t t;
    assert_int_equal(ais_time_parse_iso("2019-03-02T17:00:00Z", &t), AIS_OK);
    assert_int_equal(ws.next_start, t);

    /* another mode of the same source has no state of its own yet */
    const char *sim[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--end",
                         "2026-09-02", "--sink", "landing", "--landing-dir", landing,
                         "--state-dir", states, "--config", CONFIG, NULL};
    r = run(sim, NULL);
    assert_int_equal(r.code, 2);
    assert_string_equal(r.out, "");
    char expected[512];
    snprintf(expected, sizeof expected,
             "--start is required: no window state for openaq simulate/landing in %s",
             state_file);
    assert_string_equal(log_message(&r, "usage_error"), expected);
    result_free(&r);

    /* while another run holds the lock, a run refuses to start */
    ais_window_lock *lock = NULL;
    assert_int_equal(ais_window_lock_acquire(states, "openaq", &lock), AIS_OK);
    r = run(argv, NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(summary_str(&r, "error"), "holds the window state lock"));
    result_free(&r);
    ais_window_lock_release(lock);

    ais_test_rm_rf(tmp);
    free(state_file);
    free(landing2);
    free(states);
    free(landing);
    free(replay_dir);
    free(tmp);
}

static const char WEATHER_BODY[] =
    "{\"location\": {\"name\": \"Hanoi\", \"lat\": 21.033, \"lon\": 105.85, "
    "\"tz_id\": \"Asia/Bangkok\"}, \"forecast\": {\"forecastday\": [{\"date\": \"2025-01-01\", "
    "\"hour\": [{\"time_epoch\": 1735664400, \"time\": \"2025-01-01 00:00\", \"temp_c\": 16.5, "
    "\"humidity\": 63, \"wind_kph\": 5.8, \"pressure_mb\": 1018.0, \"precip_mm\": 0.0}, "
    "{\"time_epoch\": 1735668000, \"time\": \"2025-01-01 01:00\", \"temp_c\": \"warm\", "
    "\"humidity\": 63, \"wind_kph\": 5.8, \"pressure_mb\": 1018.0, \"precip_mm\": 0.0}]}]}}";

static void weather_replay_and_simulation(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *replay_dir = ais_test_join(tmp, "wx");
    char *province = ais_test_join(replay_dir, "Ha_Noi");
    assert_int_equal(mkdir(replay_dir, 0755), 0);
    assert_int_equal(mkdir(province, 0755), 0);
    char *body = ais_test_join(province, "2025-01-01.json");
    ais_test_write_file(body, WEATHER_BODY);
    char *landing = ais_test_join(tmp, "landing");
    const char *argv[] = {AIS_INGEST_BIN, "weather", "--mode", "replay", "--replay-dir",
                          replay_dir, "--start", "2024-12-31", "--end", "2025-01-02", "--sink",
                          "landing", "--landing-dir", landing, "--state-dir", tmp, "--config",
                          CONFIG, NULL};
    result r = run(argv, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(summary_int(&r, "events_written"), 1);
    assert_int_equal(summary_int(&r, "events_rejected"), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.summary,
                                                                        "rejected_by_reason"),
                                                        "bad_type_temp_c")),
                     1);
    result_free(&r);
    json_t *events = read_topic_dir(landing, "weather_history");
    assert_int_equal(json_array_size(events), 1);
    json_t *e = json_array_get(events, 0);
    assert_int_equal(json_object_size(e), 36);
    assert_string_equal(json_string_value(json_object_get(e, "event_id")),
                        "weather_ha_noi_2025-01-01T00:00");
    assert_true(json_is_null(json_object_get(e, "uv")));
    json_decref(events);
    json_t *dead = read_topic_dir(landing, "ais-dlq");
    assert_int_equal(json_array_size(dead), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(dead, 0), "source")),
                        "weatherapi");
    json_decref(dead);

    char *landing2 = ais_test_join(tmp, "landing2");
    const char *sim[] = {AIS_INGEST_BIN, "weather", "--mode", "simulate", "--start",
                         "2026-01-15", "--end", "2026-01-16", "--sink", "landing",
                         "--landing-dir", landing2, "--provinces", "3", "--state-dir", tmp,
                         "--config", CONFIG, NULL};
    r = run(sim, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(summary_int(&r, "events_written"), 72);
    result_free(&r);
    events = read_topic_dir(landing2, "weather_history");
    assert_int_equal(json_array_size(events), 72);
    size_t i;
    json_array_foreach(events, i, e) {
        assert_string_equal(json_string_value(json_object_get(e, "source")), "simulated");
        assert_int_equal(json_object_size(e), 36);
    }
    json_decref(events);

    ais_test_rm_rf(tmp);
    free(landing2);
    free(landing);
    free(body);
    free(province);
    free(replay_dir);
    free(tmp);
}

static void kafka_and_replay_configuration_errors(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    const char *kafka[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--start",
                           "2026-09-02", "--end", "2026-09-03", "--sink", "kafka",
                           "--state-dir", tmp, "--config", CONFIG, NULL};
    const char *no_broker[] = {"KAFKA_BOOTSTRAP_SERVERS=", NULL};
    result r = run(kafka, no_broker);
    assert_int_equal(r.code, 1);
    assert_string_equal(summary_str(&r, "error"),
                        "runtime.kafka_bootstrap_servers (env KAFKA_BOOTSTRAP_SERVERS) is empty; "
                        "--sink kafka needs a broker");
    result_free(&r);

    const char *topics[] = {AIS_INGEST_BIN, "topics", "--check", "--config", CONFIG, NULL};
    r = run(topics, no_broker);
    assert_int_equal(r.code, 1);
    assert_string_equal(summary_str(&r, "error"),
                        "runtime.kafka_bootstrap_servers (env KAFKA_BOOTSTRAP_SERVERS) is empty");
    result_free(&r);
    const char *topics_bad[] = {AIS_INGEST_BIN, "topics", "--create", "--check", NULL};
    r = run(topics_bad, NULL);
    assert_int_equal(r.code, 2);
    assert_string_equal(log_message(&r, "usage_error"),
                        "topics needs exactly one of --create and --check");
    result_free(&r);

    const char *replay[] = {AIS_INGEST_BIN, "openaq", "--mode", "replay", "--replay-dir",
                            "/nonexistent/airnow", "--start", "2019-01-01", "--end",
                            "2019-01-02", "--sink", "landing", "--landing-dir", tmp,
                            "--state-dir", tmp, "--config", CONFIG, NULL};
    r = run(replay, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(summary_str(&r, "error"),
                        "--replay-dir /nonexistent/airnow: No such file or directory");
    result_free(&r);
    ais_test_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simulate_two_days_then_rerun_overlapping),
        cmocka_unit_test(defaults_come_from_the_config),
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(runtime_failures_exit_1_with_a_summary),
        cmocka_unit_test(log_level_warning_silences_info),
        cmocka_unit_test(the_human_log_format_keeps_the_json_in_a_file),
        cmocka_unit_test(config_dump_matches_the_loader),
        cmocka_unit_test(replay_with_dead_letters_and_window_state),
        cmocka_unit_test(weather_replay_and_simulation),
        cmocka_unit_test(kafka_and_replay_configuration_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
