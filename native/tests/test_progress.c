/* Progress lines of the long runs (ais/progress.h): the line format, numbering and count of a
 * small run of steps in the human format, JSON steps in the json format, the format chosen from
 * the environment, and the lines an ais-ingest replay of two GRIB files prints. */
#include "testutil.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/log.h"
#include "ais/progress.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* The lines of text (without their newlines), NULL-terminated; *n set. Caller frees both. */
static char **split_lines(char *text, size_t *n)
{
    char **lines = calloc(strlen(text) + 2, sizeof *lines);
    assert_non_null(lines);
    *n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save))
        lines[(*n)++] = l;
    return lines;
}

static bool matches(const char *pattern, const char *text)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* Whatever was written to fp, from its start. Caller frees. */
static char *contents(FILE *fp)
{
    long n = ftell(fp);
    assert_true(n >= 0);
    char *buf = calloc((size_t)n + 1, 1);
    assert_non_null(buf);
    rewind(fp);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    return buf;
}

static void test_line_format(void **state)
{
    (void)state;
    char line[256];
    ais_progress_format_line(line, sizeof line, 3, 31, "maiac 2025-01-03", 1.23, false, -1);
    assert_string_equal(line, "[3/31] maiac 2025-01-03 " ELLIPSIS " 1.2 s");
    ais_progress_format_line(line, sizeof line, 3, 0, "era5 a.grib", 12.0, false, -1);
    assert_string_equal(line, "[3] era5 a.grib " ELLIPSIS " 12.0 s");
    ais_progress_format_line(line, sizeof line, 2, 5, "s5p x.nc", 0.46, true, -1);
    assert_string_equal(line, "[2/5] s5p x.nc " ELLIPSIS " failed after 0.5 s");
    ais_progress_format_line(line, sizeof line, 1, 31, "maiac d", 2.0, false, 80.4);
    assert_string_equal(line, "[1/31] maiac d " ELLIPSIS " 2.0 s (~1 min 20 s left)");
    ais_progress_format_line(line, sizeof line, 29, 31, "maiac d", 17.0, false, 34.0);
    assert_string_equal(line, "[29/31] maiac d " ELLIPSIS " 17.0 s (~34 s left)");
    /* under half a second left: no estimate */
    ais_progress_format_line(line, sizeof line, 1, 2, "x", 0.1, false, 0.1);
    assert_string_equal(line, "[1/2] x " ELLIPSIS " 0.1 s");
}

static void test_human_steps(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    ais_progress p;
    ais_progress_init(&p, "maiac", AIS_LOG_FORMAT_HUMAN, fp, NULL);
    ais_progress_begin(&p, 3);
    ais_progress_next(&p, "a.hdf");
    ais_progress_next(&p, "b.hdf");
    ais_progress_next(&p, "c.hdf");
    ais_progress_end(&p, false);
    ais_progress_end(&p, true); /* nothing under way: no line */
    char *text = contents(fp);
    size_t n;
    char **lines = split_lines(text, &n);
    assert_int_equal(n, 3);
    const char *names[] = {"a", "b", "c"};
    for (size_t i = 0; i < n; i++) {
        char pattern[160];
        snprintf(pattern, sizeof pattern,
                 "^\\[%zu/3\\] maiac %s\\.hdf " ELLIPSIS " [0-9]+\\.[0-9] s( \\(~[0-9]+ s left\\))?$",
                 i + 1, names[i]);
        if (!matches(pattern, lines[i]))
            fail_msg("line %zu \"%s\" does not match %s", i + 1, lines[i], pattern);
    }
    assert_int_equal(p.done, 3);
    free(lines);
    free(text);
    fclose(fp);
}

static void test_failed_step_and_unknown_total(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    ais_progress p;
    ais_progress_init(&p, "era5", AIS_LOG_FORMAT_HUMAN, fp, NULL);
    ais_progress_begin(&p, 0);
    ais_progress_next(&p, "one.grib");
    ais_progress_next(&p, "two.grib");
    ais_progress_end(&p, true);
    char *text = contents(fp);
    size_t n;
    char **lines = split_lines(text, &n);
    assert_int_equal(n, 2);
    assert_true(matches("^\\[1\\] era5 one\\.grib " ELLIPSIS " [0-9]+\\.[0-9] s$", lines[0]));
    assert_true(
        matches("^\\[2\\] era5 two\\.grib " ELLIPSIS " failed after [0-9]+\\.[0-9] s$", lines[1]));
    free(lines);
    free(text);
    fclose(fp);
}

static void test_json_steps(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    ais_logger *lg = NULL;
    assert_int_equal(ais_logger_new("ais-ingest", fp, &lg), AIS_OK);
    ais_progress p;
    FILE *human = tmpfile();
    assert_non_null(human);
    ais_progress_init(&p, "sentinel5p", AIS_LOG_FORMAT_JSON, human, lg);
    ais_progress_begin(&p, 2);
    ais_progress_next(&p, "x.nc");
    ais_progress_next(&p, "y.nc");
    ais_progress_end(&p, true);
    ais_logger_free(lg);
    assert_int_equal(ftell(human), 0); /* no human line in the json format */
    char *text = contents(fp);
    json_t *logs = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(logs), 2);
    const char *events[] = {"step_done", "step_failed"};
    const char *steps[] = {"sentinel5p x.nc", "sentinel5p y.nc"};
    for (size_t i = 0; i < 2; i++) {
        json_t *l = json_array_get(logs, i);
        assert_string_equal(json_string_value(json_object_get(l, "event")), events[i]);
        assert_string_equal(json_string_value(json_object_get(l, "command")), "sentinel5p");
        assert_string_equal(json_string_value(json_object_get(l, "step")), steps[i]);
        assert_int_equal(json_integer_value(json_object_get(l, "index")), (json_int_t)i + 1);
        assert_int_equal(json_integer_value(json_object_get(l, "total")), 2);
        assert_true(json_real_value(json_object_get(l, "seconds")) >= 0.0);
    }
    json_decref(logs);
    free(text);
    fclose(fp);
    fclose(human);
}

static void test_format_from_env(void **state)
{
    (void)state;
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("AIRFLOW_CTX_DAG_ID");
    unsetenv("AIS_LOG_FORMAT");
    assert_int_equal(ais_log_format_from_env(), AIS_LOG_FORMAT_HUMAN);
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    assert_int_equal(ais_log_format_from_env(), AIS_LOG_FORMAT_JSON);
    setenv("AIS_LOG_FORMAT", " Human ", 1);
    assert_int_equal(ais_log_format_from_env(), AIS_LOG_FORMAT_HUMAN);
    unsetenv("KUBERNETES_SERVICE_HOST");
    setenv("AIS_LOG_FORMAT", "json", 1);
    assert_int_equal(ais_log_format_from_env(), AIS_LOG_FORMAT_JSON);
    setenv("AIS_LOG_FORMAT", "yaml", 1); /* not a format: the default rules */
    setenv("AIRFLOW_CTX_DAG_ID", "ais_daily", 1);
    assert_int_equal(ais_log_format_from_env(), AIS_LOG_FORMAT_JSON);
    unsetenv("AIRFLOW_CTX_DAG_ID");
    assert_int_equal(ais_log_format_from_env(), AIS_LOG_FORMAT_HUMAN);
    unsetenv("AIS_LOG_FORMAT");
}

/* ais-ingest era5 --mode replay over the two GRIB files of tests/traj/data; stderr of the run */
static char *replay_stderr(const char *const env[], int *code)
{
    char *tmp = ais_test_mkdtemp();
    char *landing = ais_test_join(tmp, "landing"), *st = ais_test_join(tmp, "state");
    const char *argv[] = {AIS_INGEST_BIN, "era5", "--mode", "replay", "--replay-dir",
                          AIS_REPO_ROOT "/native/tests/traj/data", "--start", "2020-01-01",
                          "--end", "2030-01-01", "--sink", "landing", "--landing-dir", landing,
                          "--state-dir", st, "--config", AIS_REPO_ROOT "/config/hanoi_pipeline.yaml",
                          NULL};
    char *out = NULL, *err = NULL;
    *code = ais_test_run(argv, env, &out, &err);
    free(out);
    ais_test_rm_rf(tmp);
    free(landing);
    free(st);
    free(tmp);
    return err;
}

static void test_ingest_replay_human(void **state)
{
    (void)state;
    int code;
    char *err = replay_stderr(NULL, &code);
    assert_int_equal(code, 0);
    size_t n;
    char **lines = split_lines(err, &n);
    size_t progress = 0;
    const char *files[] = {"era5_one_message\\.grib", "era5_pl_handmade_hanoi\\.grib"};
    for (size_t i = 0; i < n; i++) {
        if (lines[i][0] == '{')
            continue; /* the JSON log lines */
        assert_true(progress < 2);
        char pattern[200];
        snprintf(pattern, sizeof pattern,
                 "^\\[%zu/2\\] era5 %s " ELLIPSIS " [0-9]+\\.[0-9] s( \\(~[0-9]+ s left\\))?$",
                 progress + 1, files[progress]);
        if (!matches(pattern, lines[i]))
            fail_msg("stderr line \"%s\" does not match %s", lines[i], pattern);
        progress++;
    }
    assert_int_equal(progress, 2);
    free(lines);
    free(err);
}

static void test_ingest_replay_json(void **state)
{
    (void)state;
    const char *env[] = {"AIS_LOG_FORMAT=json", NULL};
    int code;
    char *err = replay_stderr(env, &code);
    assert_int_equal(code, 0);
    json_t *logs = ais_test_parse_json_lines(err); /* every line is JSON */
    size_t i, steps = 0;
    json_t *l;
    json_array_foreach(logs, i, l) {
        if (strcmp(json_string_value(json_object_get(l, "event")), "step_done") != 0)
            continue;
        steps++;
        assert_int_equal(json_integer_value(json_object_get(l, "index")), (json_int_t)steps);
        assert_int_equal(json_integer_value(json_object_get(l, "total")), 2);
        assert_string_equal(json_string_value(json_object_get(l, "command")), "era5");
    }
    assert_int_equal(steps, 2);
    json_decref(logs);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_human_steps),
        cmocka_unit_test(test_failed_step_and_unknown_total),
        cmocka_unit_test(test_json_steps),
        cmocka_unit_test(test_format_from_env),
        cmocka_unit_test(test_ingest_replay_human),
        cmocka_unit_test(test_ingest_replay_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
