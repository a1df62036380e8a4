/* WeatherAPI forecast.json (ais/weather_forecast.h): the issue time of a body, a recorded-format
 * body (tests/fixtures/weatherapi_forecast_ha_noi.json, HAND-MADE values in the shape of the
 * recorded history.json bodies plus forecast.json's `current` and three forecastday items) into
 * events with their values, a bad hour into the dead letters, the window over issues, and the
 * simulated forecasts. The HTTP path is tested by test_ingest_live. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/timeutil.h"
#include "ais/weather_forecast.h"

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static ais_status collect(void *ctx, const json_t *event)
{
    return json_array_append((json_t *)ctx, (json_t *)event) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static char *fixture_body(size_t *len)
{
    char *root = ais_test_repo_root();
    char *path = ais_test_join(root, "native/tests/fixtures/weatherapi_forecast_ha_noi.json");
    char *body = ais_test_read_file(path);
    assert_non_null(body);
    *len = strlen(body);
    free(path);
    free(root);
    return body;
}

static const json_t *find_event(const json_t *events, const char *event_id)
{
    size_t i;
    const json_t *e;
    json_array_foreach(events, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "event_id")), event_id) == 0)
            return e;
    }
    fail_msg("no event %s", event_id);
    return NULL;
}

static const char *str(const json_t *e, const char *key)
{
    return json_string_value(json_object_get(e, key));
}

static double num(const json_t *e, const char *key)
{
    return json_number_value(json_object_get(e, key));
}

static void issue_time_rules(void **state)
{
    (void)state;
    int64_t issue;
    bool from_body;
    int64_t fetch = iso("2026-03-28T11:39:12Z");
    const char *with = "{\"current\":{\"last_updated_epoch\":1735697700}}";
    assert_int_equal(ais_weather_forecast_issue_time(with, strlen(with), fetch, &issue, &from_body),
                     AIS_OK);
    assert_true(from_body);
    assert_int_equal(issue, iso("2025-01-01T02:00:00Z")); /* 02:15Z floored */
    const char *without[] = {"{\"location\":{}}", "{\"current\":{\"last_updated_epoch\":\"x\"}}",
                             "{\"current\":{\"last_updated_epoch\":1.5e3}}", "not json", ""};
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++) {
        assert_int_equal(ais_weather_forecast_issue_time(without[i], strlen(without[i]), fetch,
                                                         &issue, &from_body),
                         AIS_OK);
        assert_false(from_body);
        assert_int_equal(issue, iso("2026-03-28T11:00:00Z")); /* the fetch hour */
    }
    char id[AIS_WEATHER_FORECAST_EVENT_ID_SIZE];
    assert_int_equal(ais_weather_forecast_event_id("ha_noi", iso("2025-01-01T02:00:00Z"),
                                                   iso("2025-01-02T05:00:00Z"), id, sizeof id),
                     AIS_OK);
    assert_string_equal(id, "weather_forecast_ha_noi_2025-01-01T02Z_2025-01-02T05Z");
    assert_int_equal(ais_weather_forecast_event_id("ha_noi", 0, 0, id, 20), AIS_ERR_RANGE);
}

typedef struct run_out {
    json_t *events, *dead;
    ais_replay_stats stats;
    ais_dlq dlq;
} run_out;

/* the fixture body read once with the given window and fetch time */
static void ingest_fixture(const char *start, const char *end, int64_t fetch, run_out *o)
{
    size_t len;
    char *body = fixture_body(&len);
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "weatherapi", "batch", iso(start), iso(end)), AIS_OK);
    o->events = json_array();
    o->dead = json_array();
    ais_sink sink = {o->events, collect}, dsink = {o->dead, collect};
    assert_int_equal(ais_dlq_init(&o->dlq, &dsink, "weatherapi", "weather-forecast", "r"), AIS_OK);
    memset(&o->stats, 0, sizeof o->stats);
    ais_weather_forecast_ingest *w = NULL;
    assert_int_equal(ais_weather_forecast_ingest_new(&env, &sink, &o->dlq, &o->stats, &w), AIS_OK);
    const ais_weather_province *hn = ais_weather_province_find("Ha_Noi");
    assert_int_equal(ais_weather_forecast_ingest_body(w, hn, "21.0285,105.8542",
                                                      "http://x/forecast.json?key=***", body, len,
                                                      fetch),
                     AIS_OK);
    ais_weather_forecast_ingest_free(w);
    free(body);
}

static void run_out_free(run_out *o)
{
    ais_dlq_release(&o->dlq);
    json_decref(o->events);
    json_decref(o->dead);
}

static void a_recorded_format_body(void **state)
{
    (void)state;
    run_out o;
    ingest_fixture("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", iso("2025-01-01T02:20:00Z"), &o);
    /* 13 hour objects over 3 days, one with humidity 130 */
    assert_int_equal(o.stats.files_read, 1);
    assert_int_equal(o.stats.records_read, 12);
    assert_int_equal(o.stats.records_rejected, 1);
    assert_int_equal(o.stats.events, 12);
    assert_int_equal(json_array_size(o.events), 12);
    assert_int_equal(json_array_size(o.dead), 1);
    const json_t *d = json_array_get(o.dead, 0);
    assert_string_equal(str(d, "reason"), "out_of_range_humidity");
    assert_non_null(strstr(str(d, "raw"), "\"time\":\"2025-01-02 09:00\""));
    assert_string_equal(str(d, "file"), "http://x/forecast.json?key=***");

    /* 2025-01-02 12:00 local = 05:00Z, issued 2025-01-01 02:00Z (current.last_updated 09:15) */
    const json_t *e = find_event(o.events, "weather_forecast_ha_noi_2025-01-01T02Z_2025-01-02T05Z");
    assert_string_equal(str(e, "issue_time"), "2025-01-01T02:00:00Z");
    assert_string_equal(str(e, "event_time"), "2025-01-02T05:00:00Z");
    assert_string_equal(str(e, "available_at"), "2025-01-01T02:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(e, "lead_hours")), 27);
    assert_string_equal(str(e, "province"), "Ha Noi");
    assert_string_equal(str(e, "local_time"), "2025-01-02 12:00");
    assert_string_equal(str(e, "source"), "weatherapi");
    assert_double_near(num(e, "temp_c"), 19.3, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(e, "humidity")), 68);
    assert_double_near(num(e, "wind_kph"), 10.4, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(e, "wind_degree")), 90);
    assert_double_near(num(e, "precip_mm"), 0.4, 1e-9);
    assert_double_near(num(e, "pressure_mb"), 1017.0, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(e, "cloud")), 85);
    assert_int_equal(json_integer_value(json_object_get(e, "chance_of_rain")), 71);
    /* the first hour of today, before the issue, and the last of the third day */
    e = find_event(o.events, "weather_forecast_ha_noi_2025-01-01T02Z_2024-12-31T17Z");
    assert_int_equal(json_integer_value(json_object_get(e, "lead_hours")), -9);
    assert_double_near(num(e, "temp_c"), 15.8, 1e-9);
    e = find_event(o.events, "weather_forecast_ha_noi_2025-01-01T02Z_2025-01-03T11Z");
    assert_int_equal(json_integer_value(json_object_get(e, "lead_hours")), 57);
    assert_double_near(num(e, "pressure_mb"), 1017.0, 1e-9);

    /* the same body fetched later in another run: the same ids (the issue is the body's) */
    run_out again;
    ingest_fixture("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", iso("2025-01-01T04:59:00Z"),
                   &again);
    assert_int_equal(json_array_size(again.events), 12);
    for (size_t i = 0; i < 12; i++)
        assert_string_equal(str(json_array_get(again.events, i), "event_id"),
                            str(json_array_get(o.events, i), "event_id"));
    run_out_free(&again);
    run_out_free(&o);
}

static void the_window_selects_issues(void **state)
{
    (void)state;
    run_out o;
    /* the body's issue (02:00Z) is after this window and the hour after it: read, nothing
     * written */
    ingest_fixture("2024-12-31T00:00:00Z", "2025-01-01T01:00:00Z", iso("2025-01-01T02:20:00Z"), &o);
    assert_int_equal(json_array_size(o.events), 0);
    assert_int_equal(o.stats.records_read, 12);
    assert_int_equal(o.stats.outside_window, 12);
    assert_int_equal(o.stats.records_rejected, 1); /* bad hours are dead letters all the same */
    run_out_free(&o);
    /* a window that ends with the issue hour: fetched in the hour after it, the issue is kept */
    ingest_fixture("2025-01-01T00:00:00Z", "2025-01-01T02:00:00Z", iso("2025-01-01T02:20:00Z"), &o);
    assert_int_equal(json_array_size(o.events), 12);
    assert_int_equal(o.stats.outside_window, 0);
    run_out_free(&o);
}

static void simulated_forecasts(void **state)
{
    (void)state;
    const ais_weather_province *provinces[] = {ais_weather_province_find("Ha Noi"),
                                               ais_weather_province_find("Da Nang")};
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso("2025-01-01T01:00:00Z"),
                                       iso("2025-01-01T13:00:00Z")),
                     AIS_OK);
    json_t *events = json_array();
    ais_sink sink = {events, collect};
    uint64_t n = 0;
    /* issues at 06:00Z and 12:00Z */
    assert_int_equal(ais_weather_forecast_simulate(42, provinces, 2, 6, 7, &env, &sink, &n),
                     AIS_OK);
    assert_int_equal(n, 2 * 2 * 72);
    assert_int_equal(json_array_size(events), n);
    const json_t *first = json_array_get(events, 0);
    assert_string_equal(str(first, "issue_time"), "2025-01-01T06:00:00Z");
    /* local day of 13:00 local starts at 2024-12-31T17:00Z */
    assert_string_equal(str(first, "event_time"), "2024-12-31T17:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(first, "lead_hours")), -13);
    assert_string_equal(str(first, "source"), "simulated");
    const json_t *last = json_array_get(events, n - 1);
    assert_string_equal(str(last, "province"), "Da Nang");
    assert_string_equal(str(last, "issue_time"), "2025-01-01T12:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(last, "lead_hours")), 71 - 19);

    /* no error at or before the issue, an error that grows with the lead, deterministic */
    double err24 = 0.0, err60 = 0.0;
    int n24 = 0, n60 = 0;
    for (int64_t issue = iso("2025-01-01T00:00:00Z"); issue < iso("2025-02-01T00:00:00Z");
         issue += 6 * AIS_SECONDS_PER_HOUR) {
        ais_weather_sim_hour truth, fc, fc2;
        for (int lead = -6; lead <= 60; lead += 1) {
            int64_t valid = issue + (int64_t)lead * AIS_SECONDS_PER_HOUR;
            assert_int_equal(ais_weather_sim_hour_get(42, provinces[0], valid, &truth), AIS_OK);
            assert_int_equal(ais_weather_forecast_sim_hour(42, provinces[0], issue, valid, &fc),
                             AIS_OK);
            assert_int_equal(ais_weather_forecast_sim_hour(42, provinces[0], issue, valid, &fc2),
                             AIS_OK);
            assert_memory_equal(&fc, &fc2, sizeof fc);
            if (lead <= 0) {
                assert_double_near(fc.hour.temp_c, truth.hour.temp_c, 1e-12);
                assert_int_equal(fc.hour.humidity, truth.hour.humidity);
            }
            assert_true(fc.hour.humidity >= 1 && fc.hour.humidity <= 100);
            assert_true(fc.hour.wind_kph >= 0.0 && fc.hour.precip_mm >= 0.0);
            if (lead >= 22 && lead <= 26) {
                err24 += fabs(fc.hour.temp_c - truth.hour.temp_c);
                n24++;
            } else if (lead >= 56) {
                err60 += fabs(fc.hour.temp_c - truth.hour.temp_c);
                n60++;
            }
        }
    }
    err24 /= n24;
    err60 /= n60;
    /* mean |error| of a normal-ish draw scaled by lead/24: ~0.8 at 24 h, ~2.0 at 58 h */
    assert_true(err24 > 0.5 && err24 < 1.2);
    assert_true(err60 > 1.5 * err24);
    json_decref(events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(issue_time_rules),
        cmocka_unit_test(a_recorded_format_body),
        cmocka_unit_test(the_window_selects_issues),
        cmocka_unit_test(simulated_forecasts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
