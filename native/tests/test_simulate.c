#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/config.h"
#include "ais/openaq.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"

#define SEED 20261121u

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static ais_sim_params hanoi(uint64_t seed)
{
    ais_sim_params p;
    assert_int_equal(ais_sim_params_hanoi(seed, &p), AIS_OK);
    return p;
}

/* A sink that keeps every event in a JSON array. */
static ais_status collect(void *ctx, const json_t *event)
{
    return json_array_append((json_t *)ctx, (json_t *)event) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static json_t *simulate(const ais_sim_params *p, unsigned stations, const char *start,
                        const char *end)
{
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso(start), iso(end)), AIS_OK);
    json_t *events = json_array();
    ais_sink sink = {events, collect};
    uint64_t n = 0;
    assert_int_equal(ais_openaq_simulate(p, stations, &env, &sink, &n), AIS_OK);
    assert_int_equal(n, json_array_size(events));
    return events;
}

/* Mean PM2.5 over [start, end) for stations 0..n-1, optionally only local hours in [h0, h1]. */
static double mean_value(const ais_sim_params *p, unsigned n, int64_t start, int64_t end, int h0,
                         int h1)
{
    double sum = 0.0;
    long count = 0;
    for (unsigned s = 0; s < n; s++) {
        ais_sim_station st;
        assert_int_equal(ais_sim_station_get(p, s, &st), AIS_OK);
        for (int64_t t = start; t < end; t += AIS_SECONDS_PER_HOUR) {
            int local = (int)(((t / AIS_SECONDS_PER_HOUR) + p->utc_offset_hours) % 24);
            if (local < h0 || local > h1)
                continue;
            ais_sim_pm25 pm;
            assert_int_equal(ais_sim_pm25_hour(p, &st, t, &pm), AIS_OK);
            if (pm.has_value) {
                sum += pm.value;
                count++;
            }
        }
    }
    assert_true(count > 0);
    return sum / (double)count;
}

/* ----------------------------------------------------------------------------------------- */

static void params_match_the_config(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    assert_int_equal(p.utc_offset_hours, 7);
    assert_double_near(p.bbox.west, 105.25, 0.0);
    assert_double_near(p.bbox.north, 21.40, 0.0);

    unsetenv(AIS_CONFIG_ENV_PATH);
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(AIS_REPO_ROOT "/config/hanoi_pipeline.yaml", &cfg), AIS_OK);
    ais_sim_params from_cfg;
    assert_int_equal(ais_sim_params_from_config(cfg, &from_cfg), AIS_OK);
    assert_int_equal(from_cfg.seed, SEED);
    assert_int_equal(from_cfg.utc_offset_hours, p.utc_offset_hours);
    assert_double_near(from_cfg.bbox.west, p.bbox.west, 0.0);
    assert_double_near(from_cfg.bbox.east, p.bbox.east, 0.0);
    assert_double_near(from_cfg.bbox.south, p.bbox.south, 0.0);
    assert_double_near(from_cfg.bbox.north, p.bbox.north, 0.0);
    ais_config_free(cfg);
}

static void stations(void **state)
{
    (void)state;
    static const char *const districts[] = {"Hoan Kiem", "Cau Giay", "Hai Ba Trung", "Long Bien",
                                            "Ha Dong", "Tay Ho", "Thanh Xuan", "Nam Tu Liem"};
    ais_sim_params p = hanoi(SEED);
    ais_sim_station st;
    for (unsigned i = 0; i < 8; i++) {
        char name[64];
        assert_int_equal(ais_sim_station_get(&p, i, &st), AIS_OK);
        snprintf(name, sizeof name, "Simulated %s", districts[i]);
        assert_string_equal(st.name, name);
    }
    assert_int_equal(ais_sim_station_get(&p, 0, &st), AIS_OK);
    assert_int_equal(st.location_id, 900001);
    assert_int_equal(st.sensor_id, 9000011);
    assert_double_near(st.latitude, 21.0285, 0.0);
    assert_double_near(st.longitude, 105.8542, 0.0);
    assert_int_equal(ais_sim_station_get(&p, 49, &st), AIS_OK);
    assert_int_equal(st.location_id, 900050);
    assert_int_equal(st.sensor_id, 9000501);
    assert_string_equal(st.name, "Simulated Hanoi Site 50");
    assert_int_equal(ais_sim_station_get(&p, 50, &st), AIS_ERR_RANGE);

    /* every station inside the bbox, no two at the same place */
    ais_sim_station all[AIS_SIM_MAX_STATIONS];
    for (unsigned i = 0; i < AIS_SIM_MAX_STATIONS; i++) {
        assert_int_equal(ais_sim_station_get(&p, i, &all[i]), AIS_OK);
        assert_true(all[i].latitude > p.bbox.south && all[i].latitude < p.bbox.north);
        assert_true(all[i].longitude > p.bbox.west && all[i].longitude < p.bbox.east);
        for (unsigned j = 0; j < i; j++)
            assert_false(all[i].latitude == all[j].latitude &&
                         all[i].longitude == all[j].longitude);
    }

    /* positions do not depend on the seed; factors do, always within range */
    double lo = 10.0, hi = 0.0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        ais_sim_params q = hanoi(seed);
        for (unsigned i = 0; i < AIS_SIM_MAX_STATIONS; i++) {
            assert_int_equal(ais_sim_station_get(&q, i, &st), AIS_OK);
            assert_double_near(st.latitude, all[i].latitude, 0.0);
            assert_double_near(st.longitude, all[i].longitude, 0.0);
            assert_true(st.factor >= AIS_SIM_STATION_FACTOR_MIN);
            assert_true(st.factor <= AIS_SIM_STATION_FACTOR_MAX);
            lo = fmin(lo, st.factor);
            hi = fmax(hi, st.factor);
        }
    }
    assert_true(lo < 0.81 && hi > 1.24); /* the whole range is used */
    ais_sim_params other = hanoi(SEED + 1);
    ais_sim_station a, b;
    assert_int_equal(ais_sim_station_get(&p, 3, &a), AIS_OK);
    assert_int_equal(ais_sim_station_get(&other, 3, &b), AIS_OK);
    assert_true(a.factor != b.factor);
}

static void overlapping_windows_agree(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    json_t *a = simulate(&p, 4, "2026-09-01T00:00:00Z", "2026-09-03T00:00:00Z");
    json_t *b = simulate(&p, 4, "2026-09-02T00:00:00Z", "2026-09-05T00:00:00Z");
    assert_int_equal(json_array_size(a), 48 * 4);
    assert_int_equal(json_array_size(b), 72 * 4);

    json_t *by_id = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(b, i, ev)
        json_object_set(by_id, json_string_value(json_object_get(ev, "event_id")), ev);
    assert_int_equal(json_object_size(by_id), 72 * 4); /* ids are unique */
    size_t shared = 0;
    json_array_foreach(a, i, ev) {
        json_t *other = json_object_get(by_id, json_string_value(json_object_get(ev, "event_id")));
        if (other == NULL)
            continue;
        shared++;
        assert_true(json_equal(json_object_get(ev, "value"), json_object_get(other, "value")));
        assert_true(json_equal(json_object_get(ev, "coverage_observed_count"),
                               json_object_get(other, "coverage_observed_count")));
        assert_true(json_equal(json_object_get(ev, "quality_flags"),
                               json_object_get(other, "quality_flags")));
        /* the window itself is part of the envelope and differs */
        assert_false(json_equal(json_object_get(ev, "window_start_utc"),
                                json_object_get(other, "window_start_utc")));
    }
    assert_int_equal(shared, 24 * 4);
    json_decref(by_id);
    json_decref(a);
    json_decref(b);

    /* the pure function directly, far from any window */
    ais_sim_station st;
    ais_sim_pm25 x, y;
    assert_int_equal(ais_sim_station_get(&p, 2, &st), AIS_OK);
    int64_t t = iso("2031-02-17T13:00:00Z");
    assert_int_equal(ais_sim_pm25_hour(&p, &st, t, &x), AIS_OK);
    assert_int_equal(ais_sim_pm25_hour(&p, &st, t, &y), AIS_OK);
    assert_double_near(x.value, y.value, 0.0);
    assert_int_equal(x.observed_count, y.observed_count);
    assert_int_equal(ais_sim_pm25_hour(&p, &st, t + 1, &x), AIS_ERR_INVALID_ARG);
}

static void seeds_differ(void **state)
{
    (void)state;
    ais_sim_params p1 = hanoi(1), p2 = hanoi(2);
    ais_sim_station s1, s2;
    assert_int_equal(ais_sim_station_get(&p1, 0, &s1), AIS_OK);
    assert_int_equal(ais_sim_station_get(&p2, 0, &s2), AIS_OK);
    int differ = 0;
    for (int64_t t = iso("2026-01-01"); t < iso("2026-01-03"); t += AIS_SECONDS_PER_HOUR) {
        ais_sim_pm25 a, b;
        assert_int_equal(ais_sim_pm25_hour(&p1, &s1, t, &a), AIS_OK);
        assert_int_equal(ais_sim_pm25_hour(&p2, &s2, t, &b), AIS_OK);
        differ += a.value != b.value;
    }
    assert_true(differ > 40);
}

static void values_and_coverage_are_plausible(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    const int64_t start = iso("2025-01-01"), end = iso("2027-01-01");
    long hours = 0, missing = 0, below_half = 0, full = 0;
    double sum = 0.0;
    for (unsigned s = 0; s < 6; s++) {
        ais_sim_station st;
        assert_int_equal(ais_sim_station_get(&p, s, &st), AIS_OK);
        for (int64_t t = start; t < end; t += AIS_SECONDS_PER_HOUR) {
            ais_sim_pm25 pm;
            assert_int_equal(ais_sim_pm25_hour(&p, &st, t, &pm), AIS_OK);
            hours++;
            assert_int_equal(pm.expected_count, 4);
            assert_true(pm.observed_count >= 0 && pm.observed_count <= 4);
            if (!pm.has_value) {
                assert_int_equal(pm.observed_count, 0);
                missing++;
                continue;
            }
            below_half += pm.observed_count * 2 < pm.expected_count;
            full += pm.observed_count == 4;
            assert_true(pm.value >= AIS_SIM_VALUE_MIN && pm.value <= AIS_SIM_VALUE_MAX);
            assert_double_near(pm.value * 10.0, round(pm.value * 10.0), 1e-6); /* 0.1 steps */
            sum += pm.value;
        }
    }
    double p_missing = (double)missing / (double)hours;
    double p_low = (double)below_half / (double)hours;
    double p_full = (double)full / (double)hours;
    assert_true(p_missing > 0.015 && p_missing < 0.025);
    assert_true(p_low > 0.025 && p_low < 0.035);
    assert_true(p_full > 0.78 && p_full < 0.84);
    double mean = sum / (double)(hours - missing);
    assert_true(mean > 40.0 && mean < 75.0); /* Hanoi annual mean PM2.5 is ~40-60 µg/m³ */

    /* the city components stay in their documented ranges */
    double smin = 10, smax = 0, wmin = 10, dmin = 10, dmax = 0;
    for (int64_t t = start; t < end; t += AIS_SECONDS_PER_HOUR) {
        ais_sim_city c;
        assert_int_equal(ais_sim_city_hour(&p, t, &c), AIS_OK);
        assert_true(c.seasonal >= 25.0 - 1e-9 && c.seasonal <= 85.0 + 1e-9);
        assert_double_near(c.level, c.seasonal * c.diurnal * c.synoptic * c.washout, 1e-9);
        smin = fmin(smin, c.synoptic);
        smax = fmax(smax, c.synoptic);
        wmin = fmin(wmin, c.washout);
        assert_true(c.washout <= 1.0);
        dmin = fmin(dmin, c.diurnal);
        dmax = fmax(dmax, c.diurnal);
    }
    assert_true(smin >= AIS_SIM_SYNOPTIC_MIN && smax <= AIS_SIM_SYNOPTIC_MAX);
    assert_true(smin < 0.65 && smax > 1.6); /* real episodes and clean spells occur */
    assert_true(wmin >= AIS_SIM_WASHOUT_MIN && wmin < 0.7);
    assert_true(dmin > 0.5 && dmax < 1.5);
}

static void winter_is_dirtier_than_summer(void **state)
{
    (void)state;
    for (uint64_t seed = SEED; seed < SEED + 3; seed++) {
        ais_sim_params p = hanoi(seed);
        double winter = mean_value(&p, 6, iso("2025-12-01"), iso("2026-03-01"), 0, 23);
        double summer = mean_value(&p, 6, iso("2026-06-01"), iso("2026-09-01"), 0, 23);
        assert_true(winter > 60.0 && winter < 120.0);
        assert_true(summer > 12.0 && summer < 35.0);
        assert_true(winter / summer > 2.5);
    }
}

static void evenings_are_dirtier_than_afternoons(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    const int64_t start = iso("2026-11-01"), end = iso("2026-12-01");
    double evening = mean_value(&p, 6, start, end, 19, 22);
    double afternoon = mean_value(&p, 6, start, end, 13, 16);
    double morning = mean_value(&p, 6, start, end, 7, 9);
    assert_true(evening / afternoon > 1.5);
    assert_true(morning / afternoon > 1.3);

    /* the shape itself: evening peak near 20-21 local, minimum near 14-15 local */
    ais_sim_city c;
    int64_t day = iso("2026-11-10"); /* 00 UTC = 07 local */
    double best = 0, worst = 10;
    int best_h = -1, worst_h = -1;
    for (int h = 0; h < 24; h++) {
        assert_int_equal(ais_sim_city_hour(&p, day + h * AIS_SECONDS_PER_HOUR, &c), AIS_OK);
        int local = (h + 7) % 24;
        if (c.diurnal > best) {
            best = c.diurnal;
            best_h = local;
        }
        if (c.diurnal < worst) {
            worst = c.diurnal;
            worst_h = local;
        }
    }
    assert_true(best_h >= 19 && best_h <= 21);
    assert_true(worst_h >= 13 && worst_h <= 15);
}

/* Episodes last days: the synoptic factor of one day predicts the next. */
static void episodes_persist(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    const int64_t start = iso("2026-01-01");
    enum { N = 24 * 365 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    double mean = 0.0;
    for (int i = 0; i < N; i++) {
        ais_sim_city c;
        assert_int_equal(ais_sim_city_hour(&p, start + i * AIS_SECONDS_PER_HOUR, &c), AIS_OK);
        x[i] = log(c.synoptic);
        mean += x[i];
    }
    mean /= N;
    double var = 0.0, cov24 = 0.0, cov1 = 0.0;
    for (int i = 0; i < N; i++)
        var += (x[i] - mean) * (x[i] - mean);
    for (int i = 0; i + 24 < N; i++)
        cov24 += (x[i] - mean) * (x[i + 24] - mean);
    for (int i = 0; i + 1 < N; i++)
        cov1 += (x[i] - mean) * (x[i + 1] - mean);
    free(x);
    assert_true(cov24 / var > 0.5);
    assert_true(cov1 / var > 0.95); /* smooth from hour to hour, not white noise */
}

static const char *const EVENT_KEYS[] = {
    "event_id", "source", "event_time", "ingest_time", "available_at", "schema_version",
    "quality_flags", "window_mode", "window_start_utc", "window_end_utc", "trace",
    "location_id", "location_name", "sensor_id", "parameter", "units", "value", "latitude",
    "longitude", "datetime_from_utc", "datetime_to_utc", "coverage_expected_count",
    "coverage_observed_count", "coverage_pct"};

static void events_have_the_contract_shape(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    json_t *events = simulate(&p, 3, "2026-09-02T00:00:00Z", "2026-09-22T00:00:00Z");
    assert_int_equal(json_array_size(events), 20 * 24 * 3);

    json_t *first = json_array_get(events, 0);
    size_t k = 0;
    const char *key;
    json_t *value;
    json_object_foreach(first, key, value) {
        assert_true(k < sizeof EVENT_KEYS / sizeof EVENT_KEYS[0]);
        assert_string_equal(key, EVENT_KEYS[k]);
        k++;
    }
    assert_int_equal(k, sizeof EVENT_KEYS / sizeof EVENT_KEYS[0]);

    assert_string_equal(json_string_value(json_object_get(first, "event_id")),
                        "openaq_900001_9000011_pm25_2026-09-02T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "source")), "simulated");
    assert_string_equal(json_string_value(json_object_get(first, "event_time")),
                        "2026-09-02T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "available_at")),
                        "2026-09-02T01:10:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "schema_version")), "v1");
    assert_string_equal(json_string_value(json_object_get(first, "window_mode")), "batch");
    assert_string_equal(json_string_value(json_object_get(first, "window_start_utc")),
                        "2026-09-02T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "window_end_utc")),
                        "2026-09-22T00:00:00Z");
    json_t *trace = json_object_get(first, "trace");
    assert_int_equal(json_object_size(trace), 3);
    const char *rid = json_string_value(json_object_get(trace, "request_id"));
    assert_int_equal(strlen(rid), 16);
    assert_int_equal(strspn(rid, "0123456789abcdef"), 16);
    assert_true(strncmp(json_string_value(json_object_get(trace, "producer")), "ais-ingest/", 11) == 0);
    assert_int_equal(json_integer_value(json_object_get(trace, "retry_count")), 0);
    assert_int_equal(json_integer_value(json_object_get(first, "location_id")), 900001);
    assert_string_equal(json_string_value(json_object_get(first, "location_name")),
                        "Simulated Hoan Kiem");
    assert_int_equal(json_integer_value(json_object_get(first, "sensor_id")), 9000011);
    assert_string_equal(json_string_value(json_object_get(first, "parameter")), "pm25");
    assert_string_equal(json_string_value(json_object_get(first, "units")), "µg/m³");
    assert_double_near(json_real_value(json_object_get(first, "latitude")), 21.0285, 0.0);
    assert_double_near(json_real_value(json_object_get(first, "longitude")), 105.8542, 0.0);
    assert_string_equal(json_string_value(json_object_get(first, "datetime_from_utc")),
                        "2026-09-02T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(first, "datetime_to_utc")),
                        "2026-09-02T01:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(first, "coverage_expected_count")), 4);

    /* the same request id on every event of a run; ingest_time is a valid recent time */
    int64_t now, ingest;
    assert_int_equal(ais_time_now(&now, NULL), AIS_OK);
    assert_int_equal(ais_time_parse_iso(json_string_value(json_object_get(first, "ingest_time")),
                                        &ingest), AIS_OK);
    assert_true(now - ingest >= 0 && now - ingest < 60);

    /* hour-major order, coverage and flags consistent with the value */
    size_t i;
    json_t *ev;
    int seen_null = 0, seen_low = 0, seen_ok = 0;
    json_array_foreach(events, i, ev) {
        assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "trace"),
                                                              "request_id")), rid);
        assert_int_equal(json_integer_value(json_object_get(ev, "location_id")),
                         900001 + (json_int_t)(i % 3));
        json_int_t observed = json_integer_value(json_object_get(ev, "coverage_observed_count"));
        double pct = json_real_value(json_object_get(ev, "coverage_pct"));
        assert_double_near(pct, (double)observed * 25.0, 0.0);
        json_t *flags = json_object_get(ev, "quality_flags");
        json_t *v = json_object_get(ev, "value");
        if (observed == 0) {
            assert_true(json_is_null(v));
            seen_null++;
        } else {
            assert_true(json_is_real(v));
        }
        if (pct < 50.0) {
            assert_int_equal(json_array_size(flags), 1);
            assert_string_equal(json_string_value(json_array_get(flags, 0)), "low_coverage");
            seen_low++;
        } else {
            assert_int_equal(json_array_size(flags), 0);
            seen_ok++;
        }
    }
    assert_true(seen_null > 0 && seen_low > seen_null && seen_ok > 1000);
    json_decref(events);
}

static void rejects_bad_runs(void **state)
{
    (void)state;
    ais_sim_params p = hanoi(SEED);
    ais_envelope env;
    json_t *events = json_array();
    ais_sink sink = {events, collect};
    uint64_t n = 99;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso("2026-09-02"),
                                       iso("2026-09-03")), AIS_OK);
    assert_int_equal(ais_openaq_simulate(&p, 0, &env, &sink, &n), AIS_ERR_RANGE);
    assert_int_equal(n, 0);
    assert_int_equal(ais_openaq_simulate(&p, AIS_SIM_MAX_STATIONS + 1, &env, &sink, &n),
                     AIS_ERR_RANGE);
    env.window_start += 60; /* not on an hour */
    assert_int_equal(ais_openaq_simulate(&p, 1, &env, &sink, &n), AIS_ERR_INVALID_ARG);
    assert_int_equal(json_array_size(events), 0);
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso("2026-09-03"),
                                       iso("2026-09-02")), AIS_ERR_INVALID_ARG);
    json_decref(events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(params_match_the_config),
        cmocka_unit_test(stations),
        cmocka_unit_test(overlapping_windows_agree),
        cmocka_unit_test(seeds_differ),
        cmocka_unit_test(values_and_coverage_are_plausible),
        cmocka_unit_test(winter_is_dirtier_than_summer),
        cmocka_unit_test(evenings_are_dirtier_than_afternoons),
        cmocka_unit_test(episodes_persist),
        cmocka_unit_test(events_have_the_contract_shape),
        cmocka_unit_test(rejects_bad_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
