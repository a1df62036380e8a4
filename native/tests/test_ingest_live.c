/* ais-ingest --mode live end to end against the loopback fixture server
 * (fixtures/http_server.py): real recorded WeatherAPI bodies (skipped when
 * ../shared/data/weatherapi-history-vn-2025-01 is absent) and hand-made OpenAQ v3 exchanges;
 * pagination, 429 with Retry-After, 500 then success, persistent 500, a response slower than
 * the timeout, malformed JSON, a final 4xx, realtime polling. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ais/timeutil.h"
#include "ais/weather.h"
#include "http_fixture.h"

typedef struct fixture {
    ais_fixture_server server;
    char *project;   /* temporary project folder: config with small HTTP limits */
    char *config;
    char *weather_dir; /* NULL if the recorded bodies are absent */
} fixture;

static fixture fx;

static char *weather_data_dir(void)
{
    const char *base = getenv("AIS_SHARED_DATA");
    char *dir = ais_test_join(base != NULL && base[0] ? base : AIS_SHARED_DATA,
                              "weatherapi-history-vn-2025-01");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* "<lat>,<lon>" as the live adapter asks for a province -> its folder in the recording */
static void write_weather_map(const char *path)
{
    json_t *map = json_object();
    for (size_t i = 0; i < ais_weather_province_count(); i++) {
        const ais_weather_province *p = ais_weather_province_at(i);
        char q[64], folder[128];
        snprintf(q, sizeof q, "%.4f,%.4f", p->latitude, p->longitude);
        snprintf(folder, sizeof folder, "%s", p->name);
        for (char *c = folder; *c; c++)
            if (*c == ' ')
                *c = '_';
        json_object_set_new(map, q, json_string(folder));
    }
    assert_int_equal(json_dump_file(map, path, 0), 0);
    json_decref(map);
}

static int setup(void **state)
{
    (void)state;
    fx.project = ais_test_mkdtemp();
    const char *repl[] = {"connect_timeout_seconds: 10", "connect_timeout_seconds: 2",
                          "total_timeout_seconds: 120", "total_timeout_seconds: 1",
                          "max_attempts: 5", "max_attempts: 3",
                          "backoff_initial_ms: 1000", "backoff_initial_ms: 50",
                          "backoff_max_ms: 60000", "backoff_max_ms: 200",
                          "page_limit: 1000", "page_limit: 2",
                          NULL};
    fx.config = ais_test_project_config(fx.project, repl);
    fx.weather_dir = weather_data_dir();
    char *map = ais_test_join(fx.project, "weather_map.json");
    write_weather_map(map);
    ais_fixture_start(&fx.server, fx.weather_dir, map);
    free(map);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_fixture_stop(&fx.server);
    ais_test_rm_rf(fx.project);
    free(fx.project);
    free(fx.config);
    free(fx.weather_dir);
    return 0;
}

typedef ais_live_result result;

/* Runs ais-ingest <args...> --config --landing-dir --state-dir with the base URLs pointing at
 * scenario prefixes of the fixture server. */
static result run_live(const char *weather_scenario, const char *openaq_scenario,
                       const char *const *args, const char *state_dir)
{
    result r = {0};
    r.landing = ais_test_mkdtemp();
    r.state = state_dir != NULL ? strdup(state_dir) : ais_test_mkdtemp();
    char wurl[160], ourl[160];
    snprintf(wurl, sizeof wurl, "WEATHERAPI_BASE_URL=%s/weather/%s", fx.server.base,
             weather_scenario);
    snprintf(ourl, sizeof ourl, "OPENAQ_BASE_URL=%s/openaq/%s", fx.server.base, openaq_scenario);
    const char *env[] = {wurl, ourl, "WEATHER_API_KEY=test-weather-key",
                         "OPENAQ_API_KEY=test-openaq-key", NULL};
    const char *argv[40];
    size_t n = 0;
    argv[n++] = AIS_INGEST_BIN;
    for (size_t i = 0; args[i] != NULL; i++)
        argv[n++] = args[i];
    argv[n++] = "--sink";
    argv[n++] = "landing";
    argv[n++] = "--config";
    argv[n++] = fx.config;
    argv[n++] = "--landing-dir";
    argv[n++] = r.landing;
    argv[n++] = "--state-dir";
    argv[n++] = r.state;
    argv[n++] = "--log-format"; /* the tests read the JSON log lines on stderr */
    argv[n++] = "json";
    argv[n] = NULL;
    r.code = ais_test_run(argv, env, &r.out, &r.err);
    json_t *lines = ais_test_parse_json_lines(r.out);
    if (json_array_size(lines) > 0)
        r.summary = json_incref(json_array_get(lines, json_array_size(lines) - 1));
    json_decref(lines);
    /* no secret anywhere in what the program printed */
    assert_null(strstr(r.out, "test-weather-key"));
    assert_null(strstr(r.err, "test-weather-key"));
    assert_null(strstr(r.out, "test-openaq-key"));
    assert_null(strstr(r.err, "test-openaq-key"));
    return r;
}

static json_int_t sum_int(const json_t *summary, const char *obj, const char *key)
{
    json_t *o = obj != NULL ? json_object_get(summary, obj) : (json_t *)summary;
    json_t *v = json_object_get(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static json_t *events_in(const result *r, const char *topic)
{
    char *dir = ais_test_join(r->landing, topic);
    struct stat sb;
    json_t *events = stat(dir, &sb) == 0 ? ais_test_read_landing(dir) : json_array();
    free(dir);
    return events;
}

static json_t *find_event(json_t *events, const char *event_id)
{
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "event_id")), event_id) == 0)
            return e;
    }
    return NULL;
}

static bool state_recorded(const result *r, const char *source)
{
    char name[64];
    snprintf(name, sizeof name, "%s.json", source);
    char *path = ais_test_join(r->state, name);
    char *text = ais_test_read_file(path);
    free(path);
    bool found = text != NULL && strstr(text, "\"live/landing\"") != NULL;
    free(text);
    return found;
}

/* ------------------------------------------------------------------------------------------ */
/* WeatherAPI (real recorded bodies)                                                          */

#define SKIP_WITHOUT_WEATHER()                                                                 \
    do {                                                                                       \
        if (fx.weather_dir == NULL) {                                                          \
            print_message("SKIP: ../shared/data/weatherapi-history-vn-2025-01 is absent; the " \
                          "live WeatherAPI tests serve those recorded bodies\n");              \
            skip();                                                                            \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* Two UTC days = local days Jan 1, 2 and 3 for three provinces: 9 bodies, 144 hours, the same
 * events as the replay of the same recorded files (but for the run metadata and the query). */
static void weather_live_matches_replay(void **state)
{
    (void)state;
    SKIP_WITHOUT_WEATHER();
    const char *args[] = {"weather", "--mode", "live", "--start", "2025-01-01T00:00:00Z", "--end",
                          "2025-01-03T00:00:00Z", "--provinces", "3", NULL};
    result r = run_live("ok", "ok", args, NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "ok");
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 144);
    assert_int_equal(sum_int(r.summary, NULL, "events_rejected"), 0);
    assert_int_equal(sum_int(r.summary, "http", "requests"), 9);
    assert_int_equal(sum_int(r.summary, "http", "retries"), 0);
    assert_int_equal(sum_int(r.summary, "input", "files_read"), 9);
    assert_true(state_recorded(&r, "weather"));

    /* the replay of the recording, through the same body code */
    char *rl = ais_test_mkdtemp(), *rs = ais_test_mkdtemp();
    const char *rargv[] = {AIS_INGEST_BIN, "weather", "--mode", "replay", "--replay-dir",
                           fx.weather_dir, "--start", "2025-01-01T00:00:00Z", "--end",
                           "2025-01-03T00:00:00Z", "--sink", "landing", "--config", fx.config,
                           "--landing-dir", rl, "--state-dir", rs, NULL};
    char *out, *err;
    assert_int_equal(ais_test_run(rargv, NULL, &out, &err), 0);
    char *rdir = ais_test_join(rl, "weather_history");
    json_t *replayed = ais_test_read_landing(rdir);
    json_t *live = events_in(&r, "weather_history");
    assert_int_equal(json_array_size(live), 144);
    size_t i;
    json_t *e;
    const ais_weather_province *hn = ais_weather_province_at(0);
    char hn_query[64];
    snprintf(hn_query, sizeof hn_query, "%.4f,%.4f", hn->latitude, hn->longitude);
    size_t hanoi = 0;
    json_array_foreach(live, i, e) {
        const char *id = json_string_value(json_object_get(e, "event_id"));
        json_t *twin = find_event(replayed, id);
        assert_non_null(twin);
        json_t *a = json_deep_copy(e), *b = json_deep_copy(twin);
        const char *run_fields[] = {"ingest_time", "trace", "window_mode", "window_start_utc",
                                    "window_end_utc", "query", NULL};
        for (size_t k = 0; run_fields[k] != NULL; k++) {
            json_object_del(a, run_fields[k]);
            json_object_del(b, run_fields[k]);
        }
        assert_true(json_equal(a, b));
        json_decref(a);
        json_decref(b);
        assert_string_equal(json_string_value(json_object_get(e, "window_mode")), "batch");
        assert_string_equal(json_string_value(json_object_get(e, "source")), "weatherapi");
        if (strcmp(json_string_value(json_object_get(e, "province")), "Ha Noi") == 0) {
            hanoi++;
            assert_string_equal(json_string_value(json_object_get(e, "query")), hn_query);
        }
    }
    assert_int_equal(hanoi, 48);
    /* one value straight from the recorded body: Ha Noi 2025-01-01 07:00 local */
    char *body_path = ais_test_join(fx.weather_dir, "Ha_Noi/2025-01-01.json");
    json_t *body = json_load_file(body_path, 0, NULL);
    assert_non_null(body);
    json_t *h7 = json_array_get(json_object_get(json_array_get(json_object_get(json_object_get(
                                    body, "forecast"), "forecastday"), 0), "hour"), 7);
    json_t *ev = find_event(live, "weather_ha_noi_2025-01-01T07:00");
    assert_non_null(ev);
    assert_double_near(json_number_value(json_object_get(ev, "temp_c")),
                       json_number_value(json_object_get(h7, "temp_c")), 1e-9);
    assert_string_equal(json_string_value(json_object_get(ev, "event_time")),
                        "2025-01-01T00:00:00Z");
    json_decref(body);
    free(body_path);
    json_decref(live);
    json_decref(replayed);
    free(rdir);
    free(out);
    free(err);
    ais_test_rm_rf(rl);
    ais_test_rm_rf(rs);
    free(rl);
    free(rs);
    ais_live_result_free(&r);
}

/* The first request of each URL gets 429 Retry-After: 1; the retry waits it out. */
/* weather-forecast --mode live: one forecast.json per configured province (Ha Noi), the
 * HAND-MADE recorded-format body of tests/fixtures (issued 2025-01-01T02:15Z): its 12 good hours
 * as events of that issue, its bad hour a dead letter; a window that ends before the issue
 * writes nothing (no archive of past forecasts). Needs no recorded data. */
static void weather_forecast_live(void **state)
{
    (void)state;
    const char *args[] = {"weather-forecast", "--mode", "live", "--start", "2025-01-01T00:00:00Z",
                          "--end", "2025-01-02T00:00:00Z", NULL};
    result r = run_live("ok", "ok", args, NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "ok");
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 12);
    assert_int_equal(sum_int(r.summary, NULL, "events_rejected"), 1);
    assert_int_equal(sum_int(r.summary, "rejected_by_reason", "out_of_range_humidity"), 1);
    assert_int_equal(sum_int(r.summary, "http", "requests"), 1);
    assert_true(state_recorded(&r, "weather-forecast"));
    json_t *log = ais_fixture_log_under(&fx.server, "/weather/ok/forecast.json");
    assert_int_equal(json_array_size(log), 1);
    const char *query = json_string_value(json_object_get(json_array_get(log, 0), "query"));
    assert_non_null(strstr(query, "q=21.0285,105.8542&days=3&aqi=no&alerts=no"));
    json_decref(log);
    json_t *events = events_in(&r, "weather-forecast");
    assert_int_equal(json_array_size(events), 12);
    json_t *e = find_event(events, "weather_forecast_ha_noi_2025-01-01T02Z_2025-01-02T05Z");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "issue_time")),
                        "2025-01-01T02:00:00Z");
    assert_string_equal(json_string_value(json_object_get(e, "source")), "weatherapi");
    assert_string_equal(json_string_value(json_object_get(e, "query")), "21.0285,105.8542");
    assert_int_equal(json_integer_value(json_object_get(e, "lead_hours")), 27);
    assert_double_near(json_number_value(json_object_get(e, "temp_c")), 19.3, 1e-9);
    json_decref(events);
    ais_live_result_free(&r);

    const char *before[] = {"weather-forecast", "--mode", "live", "--start",
                            "2024-12-31T00:00:00Z", "--end", "2025-01-01T00:00:00Z", NULL};
    r = run_live("ok", "ok", before, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 0);
    assert_int_equal(sum_int(r.summary, "input", "outside_window"), 12);
    ais_live_result_free(&r);
}

static void weather_429_waits_retry_after(void **state)
{
    (void)state;
    SKIP_WITHOUT_WEATHER();
    const char *args[] = {"weather", "--mode", "live", "--start", "2025-01-04T00:00:00Z", "--end",
                          "2025-01-04T12:00:00Z", "--provinces", "1", NULL};
    result r = run_live("rate429", "ok", args, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 12);
    assert_int_equal(sum_int(r.summary, "http", "attempts"), 2);
    assert_int_equal(sum_int(r.summary, "http", "retries"), 1);
    json_t *log = ais_fixture_log_under(&fx.server, "/weather/rate429/");
    assert_int_equal(json_array_size(log), 2);
    double gap = json_number_value(json_object_get(json_array_get(log, 1), "t")) -
                 json_number_value(json_object_get(json_array_get(log, 0), "t"));
    assert_true(gap >= 0.9); /* Retry-After, not the 50 ms backoff */
    assert_non_null(strstr(r.err, "\"http_retry\""));
    json_decref(log);
    ais_live_result_free(&r);
}

static void weather_500_then_success(void **state)
{
    (void)state;
    SKIP_WITHOUT_WEATHER();
    const char *args[] = {"weather", "--mode", "live", "--start", "2025-01-05T00:00:00Z", "--end",
                          "2025-01-05T06:00:00Z", "--provinces", "2", NULL};
    result r = run_live("flaky500", "ok", args, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 12);
    assert_int_equal(sum_int(r.summary, "http", "requests"), 2);
    assert_int_equal(sum_int(r.summary, "http", "retries"), 2);
    assert_true(state_recorded(&r, "weather"));
    ais_live_result_free(&r);
}

/* Every attempt fails: exit 1, the error names status and attempts, the window is not recorded
 * and nothing was landed. */
static void weather_persistent_500_fails_the_window(void **state)
{
    (void)state;
    const char *args[] = {"weather", "--mode", "live", "--start", "2025-01-05T00:00:00Z", "--end",
                          "2025-01-05T06:00:00Z", "--provinces", "1", NULL};
    result r = run_live("always500", "ok", args, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
    const char *error = json_string_value(json_object_get(r.summary, "error"));
    assert_non_null(strstr(error, "HTTP 500 after 3 attempts"));
    assert_non_null(strstr(error, "key=***"));
    assert_non_null(strstr(error, "/weather/always500/history.json"));
    assert_int_equal(sum_int(r.summary, "http", "attempts"), 3);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 0);
    assert_false(state_recorded(&r, "weather"));
    ais_live_result_free(&r);
}

/* Slower than total_timeout_seconds (1 s here): every attempt times out. */
static void weather_slow_response_times_out(void **state)
{
    (void)state;
    const char *args[] = {"weather", "--mode", "live", "--start", "2025-01-05T00:00:00Z", "--end",
                          "2025-01-05T06:00:00Z", "--provinces", "1", NULL};
    result r = run_live("slow", "ok", args, NULL);
    assert_int_equal(r.code, 1);
    const char *error = json_string_value(json_object_get(r.summary, "error"));
    assert_non_null(strstr(error, "Timeout"));
    assert_non_null(strstr(error, "after 3 attempts"));
    assert_false(state_recorded(&r, "weather"));
    ais_live_result_free(&r);
}

/* A truncated body is a dead letter (malformed_json) with the URL minus the key, and it fails
 * the window (exit 1, not recorded: the province-day would be missing); the next run with the
 * body served whole records it. A date WeatherAPI does not serve (400) is a dead letter http_400
 * and the rest of the window is ingested and recorded. */
static void weather_bad_bodies_are_dead_letters(void **state)
{
    (void)state;
    SKIP_WITHOUT_WEATHER();
    /* local days 2024-12-31 (not recorded: 400), 2025-01-01 and 2025-01-02 (cut short) */
    const char *args[] = {"weather", "--mode", "live", "--start", "2024-12-31T12:00:00Z", "--end",
                          "2025-01-01T20:00:00Z", "--provinces", "1", NULL};
    result r = run_live("malformed", "ok", args, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
    const char *error = json_string_value(json_object_get(r.summary, "error"));
    assert_non_null(strstr(error, "/weather/malformed/history.json?key=***"));
    assert_non_null(strstr(error, "dt=2025-01-02"));
    assert_non_null(strstr(error, "not recorded"));
    assert_false(state_recorded(&r, "weather"));
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "malformed_json")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "http_400")), 1);
    json_t *dl = events_in(&r, "ais-dlq");
    assert_int_equal(json_array_size(dl), 2);
    size_t i;
    json_t *d;
    json_array_foreach(dl, i, d) {
        const char *file = json_string_value(json_object_get(d, "file"));
        assert_non_null(strstr(file, "key=***"));
        assert_non_null(strstr(file, "/weather/malformed/history.json"));
    }
    json_decref(dl);
    /* the next run, the body served whole, completes the window in the same state folder */
    char *state_dir = strdup(r.state);
    ais_test_rm_rf(r.landing);
    free(r.landing);
    r.landing = NULL;
    free(r.out);
    free(r.err);
    json_decref(r.summary);
    free(r.state);
    result again = run_live("ok", "ok", args, state_dir);
    assert_int_equal(again.code, 0);
    /* 2024-12-31 local 12:00-17:00 UTC unserved; 2025-01-01 local 24 h; 2025-01-02 local
     * 17:00-20:00 UTC 3 h */
    assert_int_equal(sum_int(again.summary, NULL, "events_written"), 27);
    assert_true(state_recorded(&again, "weather"));
    ais_live_result_free(&again);
    free(state_dir);

    /* the 400 alone does not fail a window */
    const char *args400[] = {"weather", "--mode", "live", "--start", "2024-12-31T12:00:00Z",
                             "--end", "2025-01-01T17:00:00Z", "--provinces", "1", NULL};
    r = run_live("malformed", "ok", args400, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 24);
    by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "http_400")), 1);
    assert_true(state_recorded(&r, "weather"));
    ais_live_result_free(&r);
}

/* ------------------------------------------------------------------------------------------ */
/* OpenAQ v3 (hand-made exchanges)                                                            */

static const char *const OPENAQ_ARGS[] = {"openaq", "--mode", "live", "--start",
                                          "2025-01-01T00:00:00Z", "--end",
                                          "2025-01-01T05:00:00Z", NULL};

static size_t count_path(json_t *log, const char *path)
{
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(log, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "path")), path) == 0)
            n++;
    }
    return n;
}

static void openaq_every_page_every_sensor(void **state)
{
    (void)state;
    result r = run_live("ok", "ok", OPENAQ_ARGS, NULL);
    assert_int_equal(r.code, 0);
    /* pm25, pm10, no2, so2 sensors (temperature is not asked for) x 5 hours */
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 20);
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "bad_period")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "bad_coverage")), 1);
    assert_int_equal(sum_int(r.summary, NULL, "events_rejected"), 2);
    assert_true(state_recorded(&r, "openaq"));

    json_t *ev = events_in(&r, "openaq-hourly");
    assert_int_equal(json_array_size(ev), 20);
    json_t *e = find_event(ev, "openaq_1001_2001_pm25_2025-01-01T00:00:00Z");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "source")), "openaq");
    assert_double_near(json_number_value(json_object_get(e, "value")), 10.0, 1e-9);
    assert_string_equal(json_string_value(json_object_get(e, "location_name")),
                        "Hand-made Hoan Kiem");
    assert_double_near(json_number_value(json_object_get(e, "coverage_pct")), 100.0, 1e-9);
    assert_string_equal(json_string_value(json_object_get(e, "units")), "µg/m³");
    /* 03:00: no readings, value null, coverage 0 -> low_coverage */
    e = find_event(ev, "openaq_1001_2001_pm25_2025-01-01T03:00:00Z");
    assert_non_null(e);
    assert_true(json_is_null(json_object_get(e, "value")));
    assert_int_equal(json_integer_value(json_object_get(e, "coverage_observed_count")), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e, "quality_flags"), 0)),
                        "low_coverage");
    /* 04:00: one reading of four -> 25 %, low_coverage, value kept */
    e = find_event(ev, "openaq_1001_2001_pm25_2025-01-01T04:00:00Z");
    assert_double_near(json_number_value(json_object_get(e, "value")), 12.0, 1e-9);
    assert_double_near(json_number_value(json_object_get(e, "coverage_pct")), 25.0, 1e-9);
    e = find_event(ev, "openaq_1002_2004_no2_2025-01-01T01:00:00Z");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "units")), "ppm");
    assert_double_near(json_number_value(json_object_get(e, "value")), 40.5, 1e-9);

    /* every page was read, with the key header, and the temperature sensor never */
    json_t *log = ais_fixture_log_under(&fx.server, "/openaq/ok/");
    assert_int_equal(count_path(log, "/openaq/ok/locations"), 2);
    assert_int_equal(count_path(log, "/openaq/ok/sensors/2001/hours"), 3);
    assert_int_equal(count_path(log, "/openaq/ok/sensors/2002/hours"), 3); /* found ">4" */
    assert_int_equal(count_path(log, "/openaq/ok/sensors/2003/hours"), 0);
    assert_int_equal(count_path(log, "/openaq/ok/sensors/2005/hours"), 4); /* 7 results */
    size_t i;
    json_t *x;
    json_array_foreach(log, i, x) {
        assert_string_equal(json_string_value(json_object_get(x, "x_api_key")), "test-openaq-key");
    }
    assert_int_equal(sum_int(r.summary, "input", "files_read"), (json_int_t)json_array_size(log));
    json_decref(log);
    json_decref(ev);
    ais_live_result_free(&r);
}

static void openaq_500_then_success_same_events(void **state)
{
    (void)state;
    result r = run_live("ok", "flaky500", OPENAQ_ARGS, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 20);
    /* every URL failed once: 2 location pages + 3 + 3 + 3 + 4 hours pages */
    assert_int_equal(sum_int(r.summary, "http", "retries"), 15);
    ais_live_result_free(&r);
}

/* Sensor 2002's first hours page is not JSON: a dead letter, and the window fails (its hours
 * would be missing); sensor 2004 answering 404 on its first page is a dead letter and the
 * others go on (it gave nothing, not part of its hours). */
static void openaq_malformed_page_and_missing_sensor(void **state)
{
    (void)state;
    result r = run_live("ok", "malformed", OPENAQ_ARGS, NULL);
    assert_int_equal(r.code, 1);
    const char *error = json_string_value(json_object_get(r.summary, "error"));
    assert_non_null(strstr(error, "/openaq/malformed/sensors/2002/hours?"));
    assert_non_null(strstr(error, "malformed_json"));
    assert_false(state_recorded(&r, "openaq"));
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "malformed_json")), 1);
    json_t *dl = events_in(&r, "ais-dlq");
    size_t i;
    json_t *d;
    bool seen = false;
    json_array_foreach(dl, i, d) {
        if (strcmp(json_string_value(json_object_get(d, "reason")), "malformed_json") == 0) {
            seen = true;
            assert_non_null(strstr(json_string_value(json_object_get(d, "file")),
                                   "/sensors/2002/hours"));
            assert_non_null(strstr(json_string_value(json_object_get(d, "raw")), "\"results\""));
        }
    }
    assert_true(seen);
    json_decref(dl);
    ais_live_result_free(&r);

    r = run_live("ok", "gone", OPENAQ_ARGS, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sum_int(r.summary, NULL, "events_written"), 15); /* not sensor 2004 */
    by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "http_404")), 1);
    ais_live_result_free(&r);
}

/* A missing key is a configuration error before any request. */
static void openaq_without_key_fails(void **state)
{
    (void)state;
    result r = {0};
    r.landing = ais_test_mkdtemp();
    r.state = ais_test_mkdtemp();
    char ourl[160];
    snprintf(ourl, sizeof ourl, "OPENAQ_BASE_URL=%s/openaq/nokey", fx.server.base);
    const char *env[] = {ourl, NULL};
    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "live", "--start",
                          "2025-01-01T00:00:00Z", "--end", "2025-01-01T05:00:00Z", "--sink",
                          "landing", "--config", fx.config, "--landing-dir", r.landing,
                          "--state-dir", r.state, NULL};
    r.code = ais_test_run(argv, env, &r.out, &r.err);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "needs the secret OPENAQ_API_KEY"));
    json_t *log = ais_fixture_log_under(&fx.server, "/openaq/nokey/");
    assert_int_equal(json_array_size(log), 0);
    json_decref(log);
    ais_live_result_free(&r);
}

/* --window realtime: two polls from an explicit start; the second continues from the state
 * (an empty or short window), and no event id is written twice. */
static void openaq_realtime_two_polls(void **state)
{
    (void)state;
    int64_t now, start;
    char start_iso[AIS_TIME_ISO_SIZE];
    assert_int_equal(ais_time_now(&now, NULL), AIS_OK);
    assert_int_equal(ais_time_floor_hour(now - 4 * 3600, &start), AIS_OK);
    assert_int_equal(ais_time_format_iso(start, start_iso), AIS_OK);
    const char *args[] = {"openaq", "--mode", "live", "--window", "realtime", "--start",
                          start_iso, "--poll-seconds", "1", "--max-polls", "2", NULL};
    result r = run_live("ok", "ok", args, NULL);
    assert_int_equal(r.code, 0);
    json_t *lines = ais_test_parse_json_lines(r.out);
    assert_int_equal(json_array_size(lines), 2);
    json_t *first = json_array_get(lines, 0), *second = json_array_get(lines, 1);
    assert_string_equal(json_string_value(json_object_get(first, "window_from")), "flags");
    assert_string_equal(json_string_value(json_object_get(second, "window_from")), "state");
    assert_string_equal(json_string_value(json_object_get(second, "window_start_utc")),
                        json_string_value(json_object_get(first, "window_end_utc")));
    json_int_t n1 = json_integer_value(json_object_get(first, "events_written"));
    json_int_t n2 = json_integer_value(json_object_get(second, "events_written"));
    assert_true(n1 >= 4 * 3); /* at least three complete hours of four sensors */
    json_t *ev = events_in(&r, "openaq-hourly");
    assert_int_equal((json_int_t)json_array_size(ev), n1 + n2);
    json_t *ids = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e) {
        const char *id = json_string_value(json_object_get(e, "event_id"));
        assert_null(json_object_get(ids, id));
        json_object_set_new(ids, id, json_true());
        assert_string_equal(json_string_value(json_object_get(e, "window_mode")), "realtime");
    }
    json_decref(ids);
    json_decref(ev);
    json_decref(lines);
    ais_live_result_free(&r);
}

/* Runs ais-ingest in the background (stdout and stderr to files), waits until stdout holds
 * min_lines lines or stderr mentions wait_for, sends SIGTERM and returns the exit code. */
static int run_and_terminate(const char *const *args, const char *openaq_scenario,
                             const char *weather_scenario, size_t min_lines,
                             const char *wait_for, char **out, char **err, char *landing,
                             char *state_dir)
{
    char *outp = ais_test_join(landing, "stdout.txt"), *errp = ais_test_join(landing, "stderr.txt");
    char wurl[160], ourl[160];
    snprintf(wurl, sizeof wurl, "WEATHERAPI_BASE_URL=%s/weather/%s", fx.server.base,
             weather_scenario);
    snprintf(ourl, sizeof ourl, "OPENAQ_BASE_URL=%s/openaq/%s", fx.server.base, openaq_scenario);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[40];
        size_t n = 0;
        argv[n++] = AIS_INGEST_BIN;
        for (size_t i = 0; args[i] != NULL; i++)
            argv[n++] = args[i];
        const char *tail[] = {"--sink", "landing", "--config", fx.config, "--landing-dir",
                              landing, "--state-dir", state_dir, NULL};
        for (size_t i = 0; tail[i] != NULL; i++)
            argv[n++] = tail[i];
        argv[n] = NULL;
        setenv("AIS_LOG_FORMAT", "json", 1); /* the test reads the JSON log lines */
        setenv("WEATHER_API_KEY", "test-weather-key", 1);
        setenv("OPENAQ_API_KEY", "test-openaq-key", 1);
        putenv(wurl);
        putenv(ourl);
        if (freopen(outp, "w", stdout) == NULL || freopen(errp, "w", stderr) == NULL)
            _exit(126);
        execv(AIS_INGEST_BIN, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) { /* up to 60 s */
        char *o = ais_test_read_file(outp), *e = ais_test_read_file(errp);
        size_t lines = 0;
        for (const char *c = o; c != NULL && *c; c++)
            lines += *c == '\n';
        bool ready = lines >= min_lines && (wait_for == NULL || (e != NULL && strstr(e, wait_for)));
        free(o);
        free(e);
        if (ready)
            break;
        usleep(100000);
    }
    kill(pid, SIGTERM);
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 300 && done == 0; i++) { /* it must stop within 30 s */
        done = waitpid(pid, &status, WNOHANG);
        if (done == 0)
            usleep(100000);
    }
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("ais-ingest did not stop on SIGTERM");
    }
    *out = ais_test_read_file(outp);
    *err = ais_test_read_file(errp);
    unlink(outp);
    unlink(errp);
    free(outp);
    free(errp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* SIGTERM between two polls: the poll that finished stays recorded, exit 0. */
static void realtime_stops_cleanly_between_polls(void **state)
{
    (void)state;
    char *landing = ais_test_mkdtemp(), *st = ais_test_mkdtemp(), *out, *err;
    int64_t now, start;
    char start_iso[AIS_TIME_ISO_SIZE];
    assert_int_equal(ais_time_now(&now, NULL), AIS_OK);
    assert_int_equal(ais_time_floor_hour(now - 3 * 3600, &start), AIS_OK);
    assert_int_equal(ais_time_format_iso(start, start_iso), AIS_OK);
    const char *args[] = {"openaq", "--mode", "live", "--window", "realtime", "--start",
                          start_iso, "--poll-seconds", "600", NULL};
    int code = run_and_terminate(args, "ok", "ok", 1, NULL, &out, &err, landing, st);
    assert_int_equal(code, 0);
    json_t *lines = ais_test_parse_json_lines(out);
    assert_int_equal(json_array_size(lines), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "status")),
                        "ok");
    assert_non_null(strstr(err, "\"realtime_stopped\""));
    assert_non_null(strstr(err, "\"signal\":true"));
    char *state_path = ais_test_join(st, "openaq.json");
    char *text = ais_test_read_file(state_path);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"live/landing\""));
    free(text);
    free(state_path);
    json_decref(lines);
    free(out);
    free(err);
    ais_test_rm_rf(landing);
    ais_test_rm_rf(st);
    free(landing);
    free(st);
}

/* SIGTERM while a request is being retried: the run stops at once, the window is not
 * recorded, exit 1 with the reason in the summary. */
static void realtime_interrupted_mid_window(void **state)
{
    (void)state;
    char *landing = ais_test_mkdtemp(), *st = ais_test_mkdtemp(), *out, *err;
    const char *args[] = {"weather", "--mode", "live", "--window", "realtime", "--start",
                          "2025-01-01T00:00:00Z", "--provinces", "1", NULL};
    int code = run_and_terminate(args, "ok", "always500", 0, "\"http_retry\"", &out, &err,
                                 landing, st);
    assert_int_equal(code, 1);
    json_t *lines = ais_test_parse_json_lines(out);
    assert_int_equal(json_array_size(lines), 1);
    json_t *summary = json_array_get(lines, 0);
    assert_string_equal(json_string_value(json_object_get(summary, "status")), "error");
    assert_non_null(strstr(json_string_value(json_object_get(summary, "error")), "interrupted"));
    char *state_path = ais_test_join(st, "weather.json");
    char *text = ais_test_read_file(state_path);
    assert_true(text == NULL || strstr(text, "\"live/landing\"") == NULL);
    free(text);
    free(state_path);
    json_decref(lines);
    free(out);
    free(err);
    ais_test_rm_rf(landing);
    ais_test_rm_rf(st);
    free(landing);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weather_live_matches_replay),
        cmocka_unit_test(weather_429_waits_retry_after),
        cmocka_unit_test(weather_500_then_success),
        cmocka_unit_test(weather_persistent_500_fails_the_window),
        cmocka_unit_test(weather_slow_response_times_out),
        cmocka_unit_test(weather_bad_bodies_are_dead_letters),
        cmocka_unit_test(weather_forecast_live),
        cmocka_unit_test(openaq_every_page_every_sensor),
        cmocka_unit_test(openaq_500_then_success_same_events),
        cmocka_unit_test(openaq_malformed_page_and_missing_sensor),
        cmocka_unit_test(openaq_without_key_fails),
        cmocka_unit_test(openaq_realtime_two_polls),
        cmocka_unit_test(realtime_stops_cleanly_between_polls),
        cmocka_unit_test(realtime_interrupted_mid_window),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
