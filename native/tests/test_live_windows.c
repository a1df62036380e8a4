/* ais-ingest --mode live end to end against loopback fixture servers (fixtures/http_server.py):
 * a window whose page breaks half-way fails (exit 1, nothing recorded in the state folder) and
 * the next run records it once the pages are whole; no key reaches stdout, stderr, a landing
 * file (dead letters included) or the state folder; a key does not follow a redirect to
 * another origin. */
#include "testutil.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http_fixture.h"

static ais_fixture_server server, other;
static char *project, *config;

static int setup(void **state)
{
    (void)state;
    project = ais_test_mkdtemp();
    const char *repl[] = {"connect_timeout_seconds: 10", "connect_timeout_seconds: 2",
                          "total_timeout_seconds: 120", "total_timeout_seconds: 5",
                          "max_attempts: 5", "max_attempts: 3",
                          "backoff_initial_ms: 1000", "backoff_initial_ms: 50",
                          "backoff_max_ms: 60000", "backoff_max_ms: 200",
                          "page_limit: 1000", "page_limit: 2",
                          NULL};
    config = ais_test_project_config(project, repl);
    ais_fixture_start(&server, NULL, NULL);
    ais_fixture_start(&other, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_fixture_stop(&server);
    ais_fixture_stop(&other);
    ais_test_rm_rf(project);
    free(project);
    free(config);
    return 0;
}

typedef ais_live_result result;

/* ais-ingest <source> --mode live --start --end with env (NULL-terminated) and the given state
 * folder (NULL: a new one, removed by result_free; else borrowed and kept). */
static result run(const char *source, const char *start, const char *end, const char *const *env,
                  const char *state_dir, const char *extra_arg, const char *extra_value)
{
    result r = {0};
    r.landing = ais_test_mkdtemp();
    r.state = state_dir != NULL ? NULL : ais_test_mkdtemp();
    const char *argv[24] = {AIS_INGEST_BIN, source, "--mode", "live", "--start", start,
                            "--end", end, "--sink", "landing", "--config", config,
                            "--landing-dir", r.landing, "--state-dir",
                            state_dir != NULL ? state_dir : r.state};
    size_t n = 16;
    argv[n++] = "--log-format"; /* the tests read the JSON log lines on stderr */
    argv[n++] = "json";
    if (extra_arg != NULL) {
        argv[n++] = extra_arg;
        argv[n++] = extra_value;
    }
    argv[n] = NULL;
    r.code = ais_test_run(argv, env, &r.out, &r.err);
    json_t *lines = ais_test_parse_json_lines(r.out);
    if (json_array_size(lines) > 0)
        r.summary = json_incref(json_array_get(lines, json_array_size(lines) - 1));
    json_decref(lines);
    assert_non_null(r.summary);
    return r;
}

static bool recorded(const char *state_dir, const char *source)
{
    char name[64];
    snprintf(name, sizeof name, "%s.json", source);
    char *path = ais_test_join(state_dir, name);
    char *text = ais_test_read_file(path);
    free(path);
    bool found = text != NULL && strstr(text, "\"live/landing\"") != NULL;
    free(text);
    return found;
}

static const char *error_of(const result *r)
{
    const char *e = json_string_value(json_object_get(r->summary, "error"));
    assert_non_null(e);
    return e;
}

static json_int_t summary_int(const result *r, const char *key)
{
    json_t *v = json_object_get(r->summary, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* ------------------------------------------------------------------------------------------ */
/* Secrets anywhere under a folder                                                            */

static const char *needle_for_walk;
static int needle_hits;

static int check_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    char *text = ais_test_read_file(path);
    if (text != NULL && strstr(text, needle_for_walk) != NULL) {
        print_message("secret found in %s\n", path);
        needle_hits++;
    }
    free(text);
    return 0;
}

static int occurrences_under(const char *dir, const char *needle)
{
    needle_for_walk = needle;
    needle_hits = 0;
    assert_int_equal(nftw(dir, check_file, 16, FTW_PHYS), 0);
    return needle_hits;
}

static void assert_no_secret(const result *r, const char *state_dir, const char *secret)
{
    assert_null(strstr(r->out, secret));
    assert_null(strstr(r->err, secret));
    assert_int_equal(occurrences_under(r->landing, secret), 0);
    assert_int_equal(occurrences_under(state_dir, secret), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* OpenAQ: page 2 of sensor 2001's hours broken                                               */

#define OPENAQ_START "2025-01-01T00:00:00Z"
#define OPENAQ_END "2025-01-01T05:00:00Z"

static result run_openaq(const char *scenario, const char *state_dir)
{
    char url[200];
    snprintf(url, sizeof url, "OPENAQ_BASE_URL=%s/openaq/%s", server.base, scenario);
    const char *env[] = {url, "OPENAQ_API_KEY=test-openaq-key", NULL};
    return run("openaq", OPENAQ_START, OPENAQ_END, env, state_dir, NULL, NULL);
}

/* Malformed, cut short (Content-Length 100 bytes more than sent) and 404: each fails the
 * window with the page's URL in the error, leaves the state folder without the window, and the
 * next run with whole pages records it with every event. */
static void openaq_broken_second_page_fails_the_window(void **state)
{
    (void)state;
    static const struct {
        const char *scenario, *says;
    } cases[] = {{"page2malformed", "malformed_json"},
                 {"page2truncated", "partial"},
                 {"page2gone", "HTTP 404"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *state_dir = ais_test_mkdtemp();
        result r = run_openaq(cases[i].scenario, state_dir);
        assert_int_equal(r.code, 1);
        assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
        const char *error = error_of(&r);
        char page_url[160];
        snprintf(page_url, sizeof page_url, "/openaq/%s/sensors/2001/hours?", cases[i].scenario);
        assert_non_null(strstr(error, page_url));
        assert_non_null(strstr(error, "page=2"));
        assert_non_null(strstr(error, cases[i].says));
        assert_false(recorded(state_dir, "openaq"));
        assert_no_secret(&r, state_dir, "test-openaq-key");
        /* the cut-short page was retried like a dropped connection */
        if (strcmp(cases[i].scenario, "page2truncated") == 0) {
            char path[96];
            snprintf(path, sizeof path, "/openaq/%s/sensors/2001/hours", cases[i].scenario);
            json_t *log = ais_fixture_log_under(&server, path);
            size_t page2 = 0, k;
            json_t *e;
            json_array_foreach(log, k, e) {
                page2 += strstr(json_string_value(json_object_get(e, "query")), "page=2") != NULL;
            }
            assert_int_equal(page2, 3); /* max_attempts */
            json_decref(log);
        }
        ais_live_result_free(&r);

        /* fixed: the same window, the same state folder */
        r = run_openaq("ok", state_dir);
        assert_int_equal(r.code, 0);
        assert_string_equal(json_string_value(json_object_get(r.summary, "window_from")),
                            "flags");
        assert_int_equal(summary_int(&r, "events_written"), 20);
        assert_true(recorded(state_dir, "openaq"));
        ais_live_result_free(&r);
        ais_test_rm_rf(state_dir);
        free(state_dir);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Secrets in logs and dead letters                                                           */

/* WeatherAPI carries its key in the query. A 400 whose body echoes the request (key included)
 * is a dead letter with the key shown as ***; retries of a 500 log the URL with key=***; the
 * failing run's error too. Nowhere the key itself. */
static void weather_key_stays_out_of_logs_and_dead_letters(void **state)
{
    (void)state;
    char url[200];
    snprintf(url, sizeof url, "WEATHERAPI_BASE_URL=%s/weather/echo400", server.base);
    const char *env[] = {url, "WEATHER_API_KEY=test-weather-key", NULL};
    char *state_dir = ais_test_mkdtemp();
    result r = run("weather", "2025-01-01T00:00:00Z", "2025-01-01T06:00:00Z", env, state_dir,
                   "--provinces", "1");
    assert_int_equal(r.code, 0); /* a final 400: a dead letter, asking again cannot help */
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "http_400")), 1);
    char *dlq_dir = ais_test_join(r.landing, "ais-dlq");
    json_t *dl = ais_test_read_landing(dlq_dir);
    assert_int_equal(json_array_size(dl), 1);
    /* the echo is there, the key in it hidden */
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(dl, 0), "raw")),
                           "history.json?key=***&q="));
    json_decref(dl);
    free(dlq_dir);
    assert_no_secret(&r, state_dir, "test-weather-key");
    ais_live_result_free(&r);
    ais_test_rm_rf(state_dir);
    free(state_dir);

    state_dir = ais_test_mkdtemp();
    snprintf(url, sizeof url, "WEATHERAPI_BASE_URL=%s/weather/always500", server.base);
    r = run("weather", "2025-01-01T00:00:00Z", "2025-01-01T06:00:00Z", env, state_dir,
            "--provinces", "1");
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "\"http_retry\""));
    assert_non_null(strstr(r.err, "history.json?key=***&q="));
    assert_non_null(strstr(error_of(&r), "key=***"));
    assert_no_secret(&r, state_dir, "test-weather-key");
    ais_live_result_free(&r);
    ais_test_rm_rf(state_dir);
    free(state_dir);
}

/* The OpenAQ base URL answers with a redirect to another origin (the second server): the key
 * header is not sent there, so that server refuses (401), and the run fails without the key
 * in any output. */
static void openaq_key_does_not_follow_a_redirect(void **state)
{
    (void)state;
    char url[200];
    snprintf(url, sizeof url, "OPENAQ_BASE_URL=%s/redirect/302/127.0.0.1:%d/openaq/ok",
             server.base, other.port);
    const char *env[] = {url, "OPENAQ_API_KEY=test-openaq-key", NULL};
    char *state_dir = ais_test_mkdtemp();
    result r = run("openaq", OPENAQ_START, OPENAQ_END, env, state_dir, NULL, NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(error_of(&r), "HTTP 401"));
    assert_false(recorded(state_dir, "openaq"));
    json_t *first = ais_fixture_log_under(&server, "/redirect/302/");
    assert_true(json_array_size(first) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(first, 0), "x_api_key")),
                        "test-openaq-key");
    json_t *second = ais_fixture_log_under(&other, "/openaq/ok/");
    assert_true(json_array_size(second) >= 1);
    size_t i;
    json_t *e;
    json_array_foreach(second, i, e) {
        assert_true(json_is_null(json_object_get(e, "x_api_key")));
    }
    json_decref(first);
    json_decref(second);
    assert_no_secret(&r, state_dir, "test-openaq-key");
    ais_live_result_free(&r);
    ais_test_rm_rf(state_dir);
    free(state_dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Gridded: a search page without its entries                                                 */

/* A CMR answer that is JSON but has no feed.entry array is not an empty listing: the window
 * fails (it used to read as "no granules" and be recorded). */
static void maiac_listing_without_entries_fails(void **state)
{
    (void)state;
    char url[200];
    snprintf(url, sizeof url, "CMR_BASE_URL=%s/cmr/noentries", server.base);
    const char *env[] = {url, "EARTHDATA_TOKEN=test-earthdata-token", NULL};
    char *state_dir = ais_test_mkdtemp();
    result r = run("maiac", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", env, state_dir, NULL,
                   NULL);
    assert_int_equal(r.code, 1);
    const char *error = error_of(&r);
    assert_non_null(strstr(error, "/cmr/noentries/granules.json?"));
    assert_non_null(strstr(error, "missing_entry"));
    assert_false(recorded(state_dir, "maiac"));
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "missing_entry")), 1);
    assert_no_secret(&r, state_dir, "test-earthdata-token");
    ais_live_result_free(&r);
    ais_test_rm_rf(state_dir);
    free(state_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openaq_broken_second_page_fails_the_window),
        cmocka_unit_test(weather_key_stays_out_of_logs_and_dead_letters),
        cmocka_unit_test(openaq_key_does_not_follow_a_redirect),
        cmocka_unit_test(maiac_listing_without_entries_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
