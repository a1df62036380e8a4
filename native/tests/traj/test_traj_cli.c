/* ais-traj: argument parsing, and the program end to end (AIS_TRAJ_BIN in a child process with a
 * clean environment): simulate-met, arl-info, single and batch runs, parse-tdump, exit codes. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/arl.h"
#include "ais/timeutil.h"
#include "ais/traj.h"
#include "ais/traj_cli.h"

#define CONFIG AIS_REPO_ROOT "/config/hanoi_pipeline.yaml"
#define TDUMP AIS_REPO_ROOT "/native/tests/traj/data/tdump_two_traj.txt"

/* ---- parsing ---------------------------------------------------------------------------- */

static ais_status parse(ais_traj_args *a, char *err, size_t errsize, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    argv[0] = (char *)"ais-traj";
    for (int i = 1; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return ais_traj_parse_args(argc, argv, a, err, errsize);
}

static void test_parse_args(void **state)
{
    (void)state;
    ais_traj_args a;
    char err[256];
    assert_int_equal(parse(&a, err, sizeof err, 13, "--met", "m.arl", "--start",
                           "2026-01-15T00:00:00Z", "--lat", "21.0285", "--lon", "105.8542",
                           "--height-m", "500", "--hours", "-72"),
                     AIS_OK);
    assert_int_equal(a.command, AIS_TRAJ_CMD_RUN);
    assert_string_equal(a.met_path, "m.arl");
    assert_string_equal(a.out_path, "-");
    assert_int_equal(a.start, 1768435200);
    assert_double_near(a.lat, 21.0285, 0.0);
    assert_double_near(a.height_m, 500.0, 0.0);
    assert_int_equal(a.hours, -72);
    assert_null(a.batch_path);

    assert_int_equal(parse(&a, err, sizeof err, 6, "run", "--met=m.arl", "--batch", "-",
                           "--out=o.jsonl"),
                     AIS_OK);
    assert_string_equal(a.batch_path, "-");
    assert_string_equal(a.out_path, "o.jsonl");
    assert_false(a.has_hours);

    assert_int_equal(parse(&a, err, sizeof err, 8, "simulate-met", "--start", "2026-01-10",
                           "--end", "2026-01-14", "--out", "s.arl"),
                     AIS_OK);
    assert_int_equal(a.command, AIS_TRAJ_CMD_SIMULATE_MET);
    assert_int_equal(a.end - a.start, 4 * 86400);
    assert_int_equal(parse(&a, err, sizeof err, 6, "parse-tdump", "--tdump", "t", "--run-id",
                           "h1"),
                     AIS_OK);
    assert_int_equal(a.command, AIS_TRAJ_CMD_PARSE_TDUMP);
    assert_int_equal(parse(&a, err, sizeof err, 2, "--help"), AIS_OK);
    assert_int_equal(a.command, AIS_TRAJ_CMD_HELP);

    /* usage errors, each with a reason */
    const struct {
        const char *argv[8];
        const char *reason;
    } bad[] = {
        {{NULL}, "missing command"},
        {{"fly"}, "unknown command"},
        {{"--met", "m.arl"}, "--start, --lat and --lon are required"},
        {{"--start", "2026-01-15T00:00:00Z", "--lat", "21", "--lon", "105"}, "--met"},
        {{"--met", "m", "--hours", "0"}, "--hours must be"},
        {{"--met", "m", "--lat", "91"}, "--lat must be"},
        {{"--met", "m", "--height-m", "-5"}, "--height-m"},
        {{"--met", "m", "--start", "2026-01-15 00:00"}, "ISO-8601"},
        {{"--met", "m", "--bogus", "1"}, "unknown argument"},
        {{"--met", "m", "--met", "n"}, "given twice"},
        {{"--met"}, "needs a value"},
        {{"--met", "m", "--batch", "b", "--lat", "21"}, "do not apply"},
        {{"arl-info", "--met", "m", "--seed", "1"}, "does not apply"},
        {{"simulate-met", "--start", "2026-01-14", "--end", "2026-01-10"}, "required"},
        {{"simulate-met", "--start", "2026-01-14", "--end", "2026-01-10", "--out", "x"},
         "before"},
        {{"parse-tdump", "--tdump", "t"}, "--run-id"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *argv[10] = {(char *)"ais-traj"};
        int argc = 1;
        while (bad[k].argv[argc - 1] != NULL) {
            argv[argc] = (char *)bad[k].argv[argc - 1];
            argc++;
        }
        ais_status st = ais_traj_parse_args(argc, argv, &a, err, sizeof err);
        if (st != AIS_ERR_USAGE || strstr(err, bad[k].reason) == NULL)
            print_error("case %zu: %s: %s\n", k, ais_status_str(st), err);
        assert_int_equal(st, AIS_ERR_USAGE);
        assert_non_null(strstr(err, bad[k].reason));
    }
}

/* ---- the program ------------------------------------------------------------------------ */

typedef struct result {
    int code;
    char *out, *err;
    json_t *summary; /* the summary line (stdout, or the last stderr line) */
    json_t *lines;   /* stdout lines when they are points */
} result;

static result run(const char *const argv[], const char *const env[], int points_on_stdout)
{
    result r;
    r.code = ais_test_run(argv, env, &r.out, &r.err);
    json_t *logs = ais_test_parse_json_lines(r.err); /* every stderr line is JSON */
    r.summary = NULL;
    r.lines = NULL;
    if (points_on_stdout) {
        r.lines = ais_test_parse_json_lines(r.out);
        size_t n = json_array_size(logs);
        assert_true(n > 0);
        r.summary = json_incref(json_array_get(logs, n - 1));
    } else if (r.out[0] != '\0') {
        json_t *lines = ais_test_parse_json_lines(r.out);
        assert_int_equal(json_array_size(lines), 1); /* ONE line on stdout */
        r.summary = json_incref(json_array_get(lines, 0));
        json_decref(lines);
    }
    size_t i;
    json_t *line;
    json_array_foreach(logs, i, line) {
        if (json_object_get(line, "command") != NULL) /* the summary itself */
            continue;
        assert_string_equal(json_string_value(json_object_get(line, "logger")), "ais-traj");
    }
    json_decref(logs);
    return r;
}

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->summary);
    json_decref(r->lines);
}

static const char *sget(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    assert_non_null(s);
    return s;
}

static json_int_t iget(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

typedef struct fixture {
    char *dir, *met;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->dir = ais_test_mkdtemp();
    fx->met = ais_test_join(fx->dir, "sim.arl");
    const char *argv[] = {AIS_TRAJ_BIN, "simulate-met", "--start", "2026-01-10T00:00:00Z",
                          "--end", "2026-01-14T00:00:00Z", "--out", fx->met, "--config", CONFIG,
                          NULL};
    result r = run(argv, NULL, 0);
    if (r.code != 0)
        print_error("%s\n%s\n", r.out, r.err);
    assert_int_equal(r.code, 0);
    assert_string_equal(sget(r.summary, "status"), "ok");
    assert_true(json_is_true(json_object_get(r.summary, "simulated")));
    assert_string_equal(sget(r.summary, "met_source"), "SIMU");
    assert_int_equal(iget(r.summary, "nt"), 17);
    assert_int_equal(iget(r.summary, "seed"), 20261121);
    /* 17 periods x (index + 5 surface + 7 x 5 upper records) x (81 x 121 + 50) bytes */
    assert_int_equal(iget(r.summary, "bytes"), 17 * 41 * (81 * 121 + 50));
    struct stat sb;
    assert_int_equal(stat(fx->met, &sb), 0);
    assert_int_equal(sb.st_size, 17 * 41 * (81 * 121 + 50));
    assert_non_null(strstr(r.err, "\"simulated\":true"));
    result_free(&r);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    ais_test_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->met);
    free(fx);
    return 0;
}

static void test_arl_info(void **state)
{
    fixture *fx = *state;
    const char *argv[] = {AIS_TRAJ_BIN, "arl-info", "--met", fx->met, NULL};
    result r = run(argv, NULL, 0);
    assert_int_equal(r.code, 0);
    assert_string_equal(sget(r.summary, "met_source"), "SIMU");
    assert_true(json_is_true(json_object_get(r.summary, "met_simulated")));
    assert_int_equal(iget(r.summary, "nx"), 81);
    assert_int_equal(iget(r.summary, "ny"), 121);
    assert_int_equal(iget(r.summary, "nz"), 7);
    assert_string_equal(sget(r.summary, "first_time"), "2026-01-10T00:00:00Z");
    assert_string_equal(sget(r.summary, "last_time"), "2026-01-14T00:00:00Z");
    assert_double_near(json_real_value(json_array_get(json_object_get(r.summary, "levels_hpa"), 6)),
                       400.0, 0.0);
    result_free(&r);

    /* a cut copy: exit 1, the problem named */
    char *cut = ais_test_join(fx->dir, "cut.arl");
    char *bytes = NULL;
    FILE *in = fopen(fx->met, "rb"), *out = fopen(cut, "wb");
    assert_non_null(in);
    assert_non_null(out);
    bytes = malloc(100000);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, 100000, in), 100000);
    assert_int_equal(fwrite(bytes, 1, 100000, out), 100000);
    fclose(in);
    fclose(out);
    free(bytes);
    const char *argv2[] = {AIS_TRAJ_BIN, "arl-info", "--met", cut, NULL};
    r = run(argv2, NULL, 0);
    assert_int_equal(r.code, 1);
    assert_string_equal(sget(r.summary, "status"), "error");
    assert_string_equal(sget(r.summary, "problem"), "truncated");
    assert_non_null(strstr(sget(r.summary, "error"), "not a whole number"));
    result_free(&r);
    free(cut);
}

static void test_single_run(void **state)
{
    fixture *fx = *state;
    char *points = ais_test_join(fx->dir, "points.jsonl");
    const char *argv[] = {AIS_TRAJ_BIN, "--met", fx->met, "--start", "2026-01-13T00:00:00Z",
                          "--lat", "21.0285", "--lon", "105.8542", "--height-m", "500",
                          "--hours", "-72", "--out", points, "--config", CONFIG, NULL};
    result r = run(argv, NULL, 0);
    if (r.code != 0)
        print_error("%s\n%s\n", r.out, r.err);
    assert_int_equal(r.code, 0);
    assert_string_equal(sget(r.summary, "status"), "ok");
    assert_string_equal(sget(r.summary, "mode"), "single");
    assert_true(json_is_true(json_object_get(r.summary, "met_simulated")));
    assert_int_equal(iget(r.summary, "runs"), 1);
    assert_int_equal(iget(r.summary, "runs_ok"), 1);
    assert_int_equal(iget(r.summary, "points"), 73);
    assert_int_equal(iget(json_object_get(r.summary, "stop_reasons"), "completed"), 1);
    result_free(&r);

    char *text = ais_test_read_file(points);
    json_t *lines = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(lines), 73);

    /* the same trajectory computed in this process from the same file */
    ais_met_grid *g = NULL;
    ais_arl_problem problem;
    char err[256];
    assert_int_equal(ais_arl_read_met(fx->met, &g, &problem, err, sizeof err), AIS_OK);
    ais_traj_start s = {.lat = 21.0285, .lon = 105.8542, .height_m_agl = 500.0,
                        .time = 1768262400 /* 2026-01-13 */, .hours = -72};
    ais_traj t;
    assert_int_equal(ais_traj_run(g, &s, NULL, &t, err, sizeof err), AIS_OK);
    assert_int_equal(t.n_points, 73);
    for (size_t k = 0; k < 73; k++) {
        json_t *p = json_array_get(lines, k);
        assert_string_equal(sget(p, "run_id"), "traj_20260113T000000Z_21.0285_105.8542_500m_-72h");
        assert_string_equal(sget(p, "traj_id"),
                            "traj_20260113T000000Z_21.0285_105.8542_500m_-72h-1");
        assert_double_near(json_number_value(json_object_get(p, "age_h")), -(double)k, 0.0);
        assert_double_near(json_number_value(json_object_get(p, "lat")), t.points[k].lat, 5e-6);
        assert_double_near(json_number_value(json_object_get(p, "lon")), t.points[k].lon, 5e-6);
        assert_double_near(json_number_value(json_object_get(p, "alt_m")), t.points[k].alt_m,
                           0.05);
        assert_double_near(json_number_value(json_object_get(p, "pressure_hpa")),
                           t.points[k].pressure_hpa, 0.005);
        char ts[AIS_TIME_ISO_SIZE];
        assert_int_equal(ais_time_format_iso(1768262400 - (int64_t)k * 3600, ts), AIS_OK);
        assert_string_equal(sget(p, "timestamp"), ts);
    }
    assert_double_near(json_number_value(json_object_get(json_array_get(lines, 0), "alt_m")),
                       500.0, 0.05);
    ais_traj_clear(&t);
    ais_met_grid_free(g);
    json_decref(lines);
    free(text);

    /* points on stdout (the default): the summary moves to stderr */
    const char *argv2[] = {AIS_TRAJ_BIN, "--met", fx->met, "--start", "2026-01-13T12:00:00Z",
                           "--lat", "21.0285", "--lon", "105.8542", "--hours", "-24",
                           "--run-id", "r-stdout", "--config", CONFIG, NULL};
    r = run(argv2, NULL, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_array_size(r.lines), 25);
    assert_string_equal(sget(json_array_get(r.lines, 24), "traj_id"), "r-stdout-1");
    assert_string_equal(sget(json_array_get(r.lines, 24), "timestamp"), "2026-01-12T12:00:00Z");
    assert_string_equal(sget(r.summary, "command"), "run");
    assert_int_equal(iget(r.summary, "points"), 25);
    /* the configured release height (500 m) is the default */
    assert_double_near(json_number_value(json_object_get(json_array_get(r.lines, 0), "alt_m")),
                       500.0, 0.05);
    result_free(&r);
    free(points);
}

static void test_batch(void **state)
{
    fixture *fx = *state;
    char *runs = ais_test_join(fx->dir, "runs.jsonl");
    char *points = ais_test_join(fx->dir, "batch_points.jsonl");
    char *runs_out = ais_test_join(fx->dir, "runs_out.jsonl");
    ais_test_write_file(
        runs,
        "{\"run_id\":\"r1\",\"lat\":21.0285,\"lon\":105.8542,\"start\":\"2026-01-13T00:00:00Z\"}\n"
        "\n"
        "{\"run_id\":\"r2\",\"lat\":20.9,\"lon\":106.7,\"start\":\"2026-01-13T12:00:00Z\","
        "\"height_m\":1000,\"hours\":-24}\n"
        "{\"run_id\": \"broken\"\n"
        "{\"run_id\":\"r1\",\"lat\":21,\"lon\":105,\"start\":\"2026-01-13T00:00:00Z\"}\n"
        "{\"run_id\":\"r3\",\"lat\":40.0,\"lon\":105,\"start\":\"2026-01-13T00:00:00Z\"}\n"
        "{\"run_id\":\"r4\",\"lat\":21,\"lon\":105,\"start\":\"2026-01-13T00:00:00Z\","
        "\"height\":900}\n"
        "{\"run_id\":\"r5\",\"lat\":21,\"lon\":105,\"start\":\"2026-01-14T00:00:00Z\","
        "\"hours\":24}\n");
    const char *argv[] = {AIS_TRAJ_BIN, "--met", fx->met, "--batch", runs, "--out", points,
                          "--runs-out", runs_out, "--config", CONFIG, NULL};
    result r = run(argv, NULL, 0);
    assert_int_equal(r.code, 1); /* some runs failed */
    assert_string_equal(sget(r.summary, "status"), "error");
    assert_non_null(strstr(sget(r.summary, "error"), "4 of 7 runs failed"));
    assert_int_equal(iget(r.summary, "runs"), 7);
    assert_int_equal(iget(r.summary, "runs_ok"), 3);
    assert_int_equal(iget(r.summary, "runs_failed"), 4);
    json_t *stops = json_object_get(r.summary, "stop_reasons");
    assert_int_equal(iget(stops, "completed"), 2);
    assert_int_equal(iget(stops, "met_ended"), 1); /* r5: 24 h forward from the last met time */
    json_t *failures = json_object_get(r.summary, "failures");
    assert_int_equal(json_array_size(failures), 4);
    assert_int_equal(iget(json_array_get(failures, 0), "line"), 4);
    assert_true(json_is_null(json_object_get(json_array_get(failures, 0), "run_id")));
    assert_non_null(strstr(sget(json_array_get(failures, 1), "error"), "duplicate run_id"));
    assert_non_null(strstr(sget(json_array_get(failures, 2), "error"), "outside the met grid"));
    assert_non_null(strstr(sget(json_array_get(failures, 3), "error"), "unknown key \"height\""));
    result_free(&r);

    char *text = ais_test_read_file(points);
    json_t *lines = ais_test_parse_json_lines(text);
    size_t n_r1 = 0, n_r2 = 0, n_r5 = 0;
    size_t i;
    json_t *p;
    json_array_foreach(lines, i, p) {
        const char *id = sget(p, "run_id");
        n_r1 += strcmp(id, "r1") == 0;
        n_r2 += strcmp(id, "r2") == 0;
        n_r5 += strcmp(id, "r5") == 0;
    }
    assert_int_equal(n_r1, 73);
    assert_int_equal(n_r2, 25);
    assert_int_equal(n_r5, 1); /* the release point only: the data end at the release */
    json_decref(lines);
    free(text);

    text = ais_test_read_file(runs_out);
    lines = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(lines), 7);
    json_t *r2 = json_array_get(lines, 1);
    assert_string_equal(sget(r2, "run_id"), "r2");
    assert_int_equal(iget(r2, "line"), 3);
    assert_string_equal(sget(r2, "status"), "ok");
    assert_string_equal(sget(r2, "stop_reason"), "completed");
    assert_int_equal(iget(r2, "points"), 25);
    assert_string_equal(sget(json_array_get(lines, 2), "status"), "failed");
    assert_string_equal(sget(json_array_get(lines, 6), "stop_reason"), "met_ended");
    json_decref(lines);
    free(text);
    free(runs);
    free(points);
    free(runs_out);
}

static void test_failures_and_exit_codes(void **state)
{
    fixture *fx = *state;
    const char *noargs[] = {AIS_TRAJ_BIN, NULL};
    result r = run(noargs, NULL, 0);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "usage_error"));
    result_free(&r);

    const char *missing[] = {AIS_TRAJ_BIN, "--met", "/nonexistent.arl", "--start",
                             "2026-01-13T00:00:00Z", "--lat", "21", "--lon", "105", "--out",
                             "/dev/null", "--config", CONFIG, NULL};
    r = run(missing, NULL, 0);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(sget(r.summary, "error"), "cannot open /nonexistent.arl"));
    result_free(&r);

    const char *outside[] = {AIS_TRAJ_BIN, "--met", fx->met, "--start", "2026-02-13T00:00:00Z",
                             "--lat", "21", "--lon", "105", "--out", "/dev/null", "--config",
                             CONFIG, NULL};
    r = run(outside, NULL, 0);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(sget(json_array_get(json_object_get(r.summary, "failures"), 0),
                                "error"),
                           "outside the met data"));
    result_free(&r);

    /* HYSPLIT_EXEC (runtime.hysplit_exec of the configuration): refused, not ignored */
    const char *hy[] = {AIS_TRAJ_BIN, "--met", fx->met, "--start", "2026-01-13T00:00:00Z",
                        "--lat", "21", "--lon", "105", "--out", "/dev/null", "--config", CONFIG,
                        NULL};
    const char *env[] = {"HYSPLIT_EXEC=/opt/hysplit/exec/hyts_std", NULL};
    r = run(hy, env, 0);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(sget(r.summary, "error"), "cannot drive HYSPLIT"));
    result_free(&r);
    r = run(hy, NULL, 0); /* unset: the built-in engine */
    assert_int_equal(r.code, 0);
    result_free(&r);
}

static void test_parse_tdump_command(void **state)
{
    (void)state;
    const char *argv[] = {AIS_TRAJ_BIN, "parse-tdump", "--tdump", TDUMP, "--run-id", "hy1", NULL};
    result r = run(argv, NULL, 1);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_array_size(r.lines), 8);
    json_t *last = json_array_get(r.lines, 7);
    assert_string_equal(sget(last, "traj_id"), "hy1-2");
    assert_double_near(json_number_value(json_object_get(last, "pressure_hpa")), 895.0, 1e-9);
    assert_string_equal(sget(r.summary, "engine"), "hysplit");
    assert_int_equal(iget(r.summary, "trajectories"), 2);
    result_free(&r);

    const char *bad[] = {AIS_TRAJ_BIN, "parse-tdump", "--tdump", CONFIG, "--run-id", "x", NULL};
    r = run(bad, NULL, 1);
    assert_int_equal(r.code, 1);
    assert_int_equal(json_array_size(r.lines), 0);
    assert_non_null(strstr(sget(r.summary, "error"), "line 1"));
    result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_arl_info),
        cmocka_unit_test(test_single_run),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_failures_and_exit_codes),
        cmocka_unit_test(test_parse_tdump_command),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
