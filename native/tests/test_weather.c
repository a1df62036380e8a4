/* WeatherAPI history.json: the parser on good and malformed bodies and hours, the event format,
 * the province table, the simulator's physics, and the replay of a folder of bodies. The real
 * recorded bodies are tested by test_weather_real. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/timeutil.h"
#include "ais/weather.h"

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

/* One hour as WeatherAPI writes it (values of Ha_Noi/2025-01-01.json 00:00). */
static json_t *base_hour(const char *time, json_int_t epoch)
{
    json_t *h = json_pack(
        "{s:I, s:s, s:f, s:f, s:i, s:{s:s, s:s, s:i}, s:f, s:f, s:i, s:s, s:f, s:f, s:f, s:f, "
        "s:i, s:i, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:f, s:f, s:f, s:f}",
        "time_epoch", epoch, "time", time, "temp_c", 16.5, "temp_f", 61.6, "is_day", 0,
        "condition", "text", "Partly cloudy", "icon", "//cdn/night/116.png", "code", 1003,
        "wind_mph", 3.6, "wind_kph", 5.8, "wind_degree", 325, "wind_dir", "NW", "pressure_mb",
        1018.0, "pressure_in", 30.06, "precip_mm", 0.0, "precip_in", 0.0, "humidity", 63,
        "cloud", 44, "feelslike_c", 16.5, "feelslike_f", 61.6, "dewpoint_c", 12.2, "dewpoint_f",
        54.0, "will_it_rain", 0, "chance_of_rain", 0, "vis_km", 10.0, "vis_miles", 6.0,
        "gust_mph", 5.8, "gust_kph", 9.4, "uv", 0.0);
    assert_non_null(h);
    return h;
}

static json_t *body_with(json_t *hours)
{
    json_t *b = json_pack("{s:{s:s, s:s, s:s, s:f, s:f, s:s, s:I, s:s}, s:{s:[{s:s, s:I, s:o}]}}",
                          "location", "name", "Hanoi", "region", "", "country", "Vietnam", "lat",
                          21.033, "lon", 105.85, "tz_id", "Asia/Bangkok", "localtime_epoch",
                          (json_int_t)1774697990, "localtime", "2026-03-28 18:39", "forecast",
                          "forecastday", "date", "2025-01-01", "date_epoch",
                          (json_int_t)1735689600, "hour", hours);
    assert_non_null(b);
    return b;
}

/* Two good hours, 00:00 and 13:00 of 2025-01-01 (UTC+7). */
static json_t *two_hours(void)
{
    json_t *hours = json_array();
    json_array_append_new(hours, base_hour("2025-01-01 00:00", 1735664400));
    json_t *h13 = base_hour("2025-01-01 13:00", 1735711200);
    json_object_set_new(h13, "temp_c", json_real(24.3));
    json_object_set_new(h13, "temp_f", json_real(75.8));
    json_object_set_new(h13, "is_day", json_integer(1));
    json_array_append_new(hours, h13);
    return hours;
}

typedef struct collected {
    ais_weather_location loc;
    ais_weather_hour hours[64];
    size_t n_hours;
    char reasons[64][64];
    ais_weather_reject_scope scopes[64];
    size_t n_rejects;
} collected;

static ais_status on_hour(void *ctx, const ais_weather_location *loc, const ais_weather_hour *h)
{
    collected *c = ctx;
    c->loc = *loc;
    if (c->n_hours < 64)
        c->hours[c->n_hours] = *h;
    c->n_hours++;
    return AIS_OK;
}

static ais_status on_reject(void *ctx, ais_weather_reject_scope scope, const char *reason,
                            const char *detail, const char *raw, size_t raw_len)
{
    collected *c = ctx;
    assert_non_null(detail);
    assert_true(raw != NULL || raw_len == 0);
    if (c->n_rejects < 64) {
        snprintf(c->reasons[c->n_rejects], sizeof c->reasons[0], "%s", reason);
        c->scopes[c->n_rejects] = scope;
    }
    c->n_rejects++;
    return AIS_OK;
}

static collected *parse_text(const char *text, size_t len)
{
    collected *c = calloc(1, sizeof *c);
    ais_weather_visitor v = {c, on_hour, on_reject};
    assert_int_equal(ais_weather_parse_history(text, len, &v), AIS_OK);
    return c;
}

static collected *parse_json(json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    collected *c = parse_text(text, strlen(text));
    free(text);
    json_decref(body);
    return c;
}

/* ----------------------------------------------------------------------------------------- */

static void a_good_body(void **state)
{
    (void)state;
    collected *c = parse_json(body_with(two_hours()));
    assert_int_equal(c->n_rejects, 0);
    assert_int_equal(c->n_hours, 2);
    assert_string_equal(c->loc.name, "Hanoi");
    assert_string_equal(c->loc.tz_id, "Asia/Bangkok");
    assert_double_near(c->loc.latitude, 21.033, 0.0);
    const ais_weather_hour *h = &c->hours[0];
    assert_string_equal(h->local_time, "2025-01-01 00:00");
    assert_int_equal(h->time_epoch, 1735664400);
    assert_int_equal(h->utc_offset_seconds, 7 * 3600);
    assert_double_near(h->temp_c, 16.5, 0.0);
    assert_int_equal(h->humidity, 63);
    assert_double_near(h->wind_kph, 5.8, 0.0);
    assert_double_near(h->pressure_mb, 1018.0, 0.0);
    assert_true(h->dewpoint_c.set);
    assert_double_near(h->dewpoint_c.v, 12.2, 0.0);
    assert_true(h->wind_degree.set);
    assert_int_equal(h->wind_degree.v, 325);
    assert_string_equal(h->wind_dir, "NW");
    assert_int_equal(h->condition_code.v, 1003);
    assert_string_equal(h->condition_text, "Partly cloudy");
    assert_int_equal(c->hours[1].is_day.v, 1);
    free(c);

    /* optional fields may be absent (or null); required ones are enough */
    json_t *hours = json_array();
    json_array_append_new(hours, json_pack("{s:I, s:s, s:f, s:i, s:f, s:f, s:f, s:n}",
                                           "time_epoch", (json_int_t)1735664400, "time",
                                           "2025-01-01 00:00", "temp_c", 16.5, "humidity", 63,
                                           "wind_kph", 5.8, "pressure_mb", 1018.0, "precip_mm",
                                           0.0, "uv"));
    c = parse_json(body_with(hours));
    assert_int_equal(c->n_rejects, 0);
    assert_int_equal(c->n_hours, 1);
    assert_false(c->hours[0].uv.set);
    assert_false(c->hours[0].gust_kph.set);
    assert_false(c->hours[0].has_wind_dir);
    assert_false(c->hours[0].condition_code.set);
    free(c);
}

typedef struct body_case {
    const char *text;
    const char *reason;
} body_case;

static void unusable_bodies(void **state)
{
    (void)state;
    static const body_case cases[] = {
        {"", "malformed_json"},
        {"{\"location\": {\"lat\": 21.0, \"lon\": 105.8,", "malformed_json"},
        {"[1, 2]", "malformed_json"},
        {"\"text\"", "malformed_json"},
        {"{\"a\": 1, \"a\": 2}", "malformed_json"},
        {"{\"location\": {\"lat\": 1e999}}", "malformed_json"},
        {"{\"error\": {\"code\": 1006, \"message\": \"No matching location found.\"}}",
         "api_error"},
        {"{\"forecast\": {\"forecastday\": []}}", "missing_location"},
        {"{\"location\": {\"lat\": \"21\", \"lon\": 105.8}, \"forecast\": {\"forecastday\": []}}",
         "missing_location"},
        {"{\"location\": {\"lat\": 121.0, \"lon\": 105.8}, \"forecast\": {\"forecastday\": []}}",
         "missing_location"},
        {"{\"location\": {\"lat\": 21.0, \"lon\": 105.8}}", "missing_forecastday"},
        {"{\"location\": {\"lat\": 21.0, \"lon\": 105.8}, \"forecast\": {\"forecastday\": {}}}",
         "missing_forecastday"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        collected *c = parse_text(cases[i].text, strlen(cases[i].text));
        if (c->n_rejects != 1 || strcmp(c->reasons[0], cases[i].reason) != 0 ||
            c->scopes[0] != AIS_WEATHER_REJECT_BODY) {
            print_error("case %zu: %zu rejects, first '%s', expected '%s'\n", i, c->n_rejects,
                        c->n_rejects ? c->reasons[0] : "", cases[i].reason);
            fail();
        }
        assert_int_equal(c->n_hours, 0);
        free(c);
    }
    /* a NUL byte inside the given length */
    const char nul[] = "{\"location\": {\"lat\": 1, \0 \"lon\": 2}}";
    collected *c = parse_text(nul, sizeof nul - 1);
    assert_string_equal(c->reasons[0], "malformed_json");
    free(c);
    /* a forecastday that is not a day, next to a good one */
    json_t *b = body_with(two_hours());
    json_array_append_new(json_object_get(json_object_get(b, "forecast"), "forecastday"),
                          json_string("tomorrow"));
    c = parse_json(b);
    assert_int_equal(c->n_hours, 2);
    assert_int_equal(c->n_rejects, 1);
    assert_string_equal(c->reasons[0], "bad_forecastday");
    assert_int_equal(c->scopes[0], AIS_WEATHER_REJECT_RECORD);
    free(c);
}

typedef struct hour_case {
    const char *key;
    json_t *(*value)(void);
    const char *reason;
} hour_case;

static json_t *v_hot(void) { return json_string("hot"); }
static json_t *v_63_5(void) { return json_real(63.5); }
static json_t *v_140(void) { return json_integer(140); }
static json_t *v_90(void) { return json_real(90.0); }
static json_t *v_inches(void) { return json_real(30.06); }
static json_t *v_20(void) { return json_real(20.0); }
static json_t *v_iso(void) { return json_string("2025-01-01T00:00"); }
static json_t *v_next_day(void) { return json_string("2025-01-02 00:00"); }
static json_t *v_half_past(void) { return json_string("2025-01-01 00:30"); }
static json_t *v_epoch_text(void) { return json_string("1735664400"); }
static json_t *v_epoch_shifted(void) { return json_integer(1735664400 + 100); }
static json_t *v_400(void) { return json_integer(400); }
static json_t *v_2(void) { return json_integer(2); }
static json_t *v_negative(void) { return json_real(-0.5); }
static json_t *v_array(void) { return json_array(); }
static json_t *v_null(void) { return json_null(); }
static json_t *v_minus_120(void) { return json_real(-120.0); }
static json_t *v_uv_99(void) { return json_real(99.0); }

static void bad_hours_are_rejected_one_by_one(void **state)
{
    (void)state;
    static const hour_case cases[] = {
        {"temp_c", NULL, "missing_temp_c"},
        {"temp_c", v_null, "missing_temp_c"},
        {"temp_c", v_hot, "bad_type_temp_c"},
        {"temp_c", v_minus_120, "out_of_range_temp_c"},
        {"temp_f", v_90, "unit_mismatch_temp_c"},
        {"humidity", v_63_5, "bad_type_humidity"},
        {"humidity", v_140, "out_of_range_humidity"},
        {"humidity", NULL, "missing_humidity"},
        {"wind_kph", NULL, "missing_wind_kph"},
        {"wind_mph", v_20, "unit_mismatch_wind_kph"},
        {"pressure_mb", v_inches, "out_of_range_pressure_mb"},
        {"pressure_in", v_20, "unit_mismatch_pressure_mb"},
        {"precip_mm", v_negative, "out_of_range_precip_mm"},
        {"precip_in", v_20, "unit_mismatch_precip_mm"},
        {"dewpoint_c", v_hot, "bad_type_dewpoint_c"},
        {"wind_degree", v_400, "out_of_range_wind_degree"},
        {"is_day", v_2, "out_of_range_is_day"},
        {"uv", v_uv_99, "out_of_range_uv"},
        {"condition", v_array, "bad_type_condition"},
        {"wind_dir", v_400, "bad_type_wind_dir"},
        {"time", v_iso, "bad_local_time"},
        {"time", v_half_past, "bad_local_time"},
        {"time", NULL, "missing_time"},
        {"time", v_next_day, "hour_not_in_day"},
        {"time_epoch", v_epoch_text, "bad_type_time_epoch"},
        {"time_epoch", NULL, "missing_time_epoch"},
        {"time_epoch", v_epoch_shifted, "time_mismatch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *hours = two_hours();
        json_t *first = json_array_get(hours, 0);
        if (cases[i].value == NULL)
            json_object_del(first, cases[i].key);
        else
            json_object_set_new(first, cases[i].key, cases[i].value());
        collected *c = parse_json(body_with(hours));
        if (c->n_rejects != 1 || strcmp(c->reasons[0], cases[i].reason) != 0 ||
            c->scopes[0] != AIS_WEATHER_REJECT_RECORD || c->n_hours != 1) {
            print_error("case %zu (%s): %zu rejects '%s', %zu hours; expected '%s'\n", i,
                        cases[i].key, c->n_rejects, c->n_rejects ? c->reasons[0] : "",
                        c->n_hours, cases[i].reason);
            fail();
        }
        assert_string_equal(c->hours[0].local_time, "2025-01-01 13:00"); /* the other hour */
        free(c);
    }

    /* an hour whose offset (a whole UTC+6) disagrees with the rest of its day (UTC+7) */
    json_t *hours = two_hours();
    json_t *h2 = base_hour("2025-01-01 02:00", 1735664400 + 2 * 3600);
    json_t *h3 = base_hour("2025-01-01 03:00", 1735664400 + 4 * 3600); /* reads as UTC+6 */
    json_array_append_new(hours, h2);
    json_array_append_new(hours, h3);
    collected *c = parse_json(body_with(hours));
    assert_int_equal(c->n_hours, 3);
    assert_int_equal(c->n_rejects, 1);
    assert_string_equal(c->reasons[0], "time_mismatch");
    free(c);

    /* not an object; and far more hours than a day has */
    hours = two_hours();
    json_array_append_new(hours, json_integer(7));
    c = parse_json(body_with(hours));
    assert_int_equal(c->n_hours, 2);
    assert_string_equal(c->reasons[0], "bad_type_hour");
    free(c);
    hours = json_array();
    for (int i = 0; i < 50; i++)
        json_array_append_new(hours, base_hour("2025-01-01 00:00", 1735664400));
    c = parse_json(body_with(hours));
    assert_int_equal(c->n_hours, 48);
    assert_int_equal(c->n_rejects, 2);
    assert_string_equal(c->reasons[1], "too_many_hours");
    free(c);
}

/* ----------------------------------------------------------------------------------------- */

static const char *const WEATHER_FIELDS[] = {
    "province", "query", "local_time", "time_epoch", "latitude", "longitude", "tz_id",
    "temp_c", "feelslike_c", "humidity", "dewpoint_c", "wind_kph", "wind_degree", "wind_dir",
    "gust_kph", "pressure_mb", "precip_mm", "cloud", "vis_km", "uv", "condition_code",
    "condition_text", "is_day", "will_it_rain", "chance_of_rain"};
static const char *const ENVELOPE[] = {"event_id", "source", "event_time", "ingest_time",
                                       "available_at", "schema_version", "quality_flags",
                                       "window_mode", "window_start_utc", "window_end_utc",
                                       "trace"};

static void assert_contract_keys(const json_t *ev)
{
    assert_int_equal(json_object_size(ev), 11 + 25);
    const char *key;
    json_t *value;
    size_t i = 0;
    /* jansson keeps insertion order: envelope first, then the source fields in table order */
    json_object_foreach((json_t *)ev, key, value) {
        const char *expected = i < 11 ? ENVELOPE[i] : WEATHER_FIELDS[i - 11];
        assert_string_equal(key, expected);
        i++;
    }
}

static void events_have_the_table_columns(void **state)
{
    (void)state;
    collected *c = parse_json(body_with(two_hours()));
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "weatherapi", "replay", iso("2025-01-01"),
                                       iso("2025-01-02")),
                     AIS_OK);
    json_t *ev = NULL;
    assert_int_equal(ais_weather_event_new(&env, "Ha Noi", "ha_noi", NULL, &c->loc, &c->hours[1],
                                           iso("2026-11-21T00:00:00Z"), &ev),
                     AIS_OK);
    assert_contract_keys(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "event_id")),
                        "weather_ha_noi_2025-01-01T13:00");
    assert_string_equal(json_string_value(json_object_get(ev, "event_time")),
                        "2025-01-01T06:00:00Z");
    /* the local day 2025-01-01 ends at 2025-01-01T17:00Z; + 1 h */
    assert_string_equal(json_string_value(json_object_get(ev, "available_at")),
                        "2025-01-01T18:00:00Z");
    assert_string_equal(json_string_value(json_object_get(ev, "source")), "weatherapi");
    assert_string_equal(json_string_value(json_object_get(ev, "province")), "Ha Noi");
    assert_true(json_is_null(json_object_get(ev, "query")));
    assert_string_equal(json_string_value(json_object_get(ev, "local_time")), "2025-01-01 13:00");
    assert_int_equal(json_integer_value(json_object_get(ev, "time_epoch")), 1735711200);
    assert_string_equal(json_string_value(json_object_get(ev, "tz_id")), "Asia/Bangkok");
    assert_double_near(json_real_value(json_object_get(ev, "temp_c")), 24.3, 0.0);
    assert_int_equal(json_integer_value(json_object_get(ev, "humidity")), 63);
    assert_int_equal(json_integer_value(json_object_get(ev, "is_day")), 1);
    assert_string_equal(json_string_value(json_object_get(ev, "condition_text")), "Partly cloudy");
    json_decref(ev);

    /* 00:00 belongs to the same local day: same availability */
    assert_int_equal(ais_weather_event_new(&env, "Ha Noi", "ha_noi", "21.0285,105.8542", &c->loc,
                                           &c->hours[0], 0, &ev),
                     AIS_OK);
    assert_string_equal(json_string_value(json_object_get(ev, "available_at")),
                        "2025-01-01T18:00:00Z");
    assert_string_equal(json_string_value(json_object_get(ev, "query")), "21.0285,105.8542");
    json_decref(ev);
    free(c);

    char id[AIS_WEATHER_EVENT_ID_SIZE];
    assert_int_equal(ais_weather_event_id("x", "2025-01-01", id, sizeof id), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_weather_event_id("ha_noi", "2025-01-01 05:00", id, 10), AIS_ERR_RANGE);
}

static void provinces_and_slugs(void **state)
{
    (void)state;
    static const char *const NAMES[] = {
        "Ha Noi", "Hai Phong", "Quang Ninh", "Lao Cai", "Thanh Hoa", "Nghe An", "Ha Tinh", "Hue",
        "Da Nang", "Quang Nam", "Quang Ngai", "Binh Dinh", "Phu Yen", "Khanh Hoa", "Gia Lai",
        "Dak Lak", "Lam Dong", "Ho Chi Minh City", "Binh Duong", "Dong Nai", "Can Tho",
        "An Giang", "Kien Giang", "Ca Mau"};
    assert_int_equal(ais_weather_province_count(), 24);
    for (size_t i = 0; i < 24; i++) {
        const ais_weather_province *p = ais_weather_province_at(i);
        assert_string_equal(p->name, NAMES[i]); /* CONTRACTS.md order, Hanoi first */
        char slug[64];
        assert_int_equal(ais_weather_slug(p->name, slug, sizeof slug), AIS_OK);
        assert_string_equal(slug, p->slug);
        assert_true(p->latitude > 8.0 && p->latitude < 23.5);
        assert_true(p->longitude > 102.0 && p->longitude < 110.0);
    }
    assert_null(ais_weather_province_at(24));
    assert_ptr_equal(ais_weather_province_find("Ha_Noi"), ais_weather_province_at(0));
    assert_ptr_equal(ais_weather_province_find("HA NOI"), ais_weather_province_at(0));
    assert_ptr_equal(ais_weather_province_find("Ho_Chi_Minh_City"), ais_weather_province_at(17));
    assert_null(ais_weather_province_find("Hanoi City"));
    assert_null(ais_weather_province_find(""));
    char slug[16];
    assert_int_equal(ais_weather_slug("  Xuân--Đài 2 ", slug, sizeof slug), AIS_OK);
    assert_string_equal(slug, "xu_n_i_2");
    assert_int_equal(ais_weather_slug("__", slug, sizeof slug), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_weather_slug("a very long province name", slug, sizeof slug),
                     AIS_ERR_RANGE);
}

/* ----------------------------------------------------------------------------------------- */
/* Simulation                                                                                 */

#define SEED 20261121u

typedef struct sim_stats {
    double temp_sum, rh_sum;
    long n, rain_hours;
} sim_stats;

/* Hours of one province over [start, end), optionally only at one local hour. */
static sim_stats sim_over(size_t province, const char *start, const char *end, int local_hour)
{
    sim_stats s = {0};
    const ais_weather_province *p = ais_weather_province_at(province);
    for (int64_t t = iso(start); t < iso(end); t += 3600) {
        if (local_hour >= 0 && ((t / 3600) + 7) % 24 != local_hour)
            continue;
        ais_weather_sim_hour h;
        assert_int_equal(ais_weather_sim_hour_get(SEED, p, t, &h), AIS_OK);
        s.temp_sum += h.hour.temp_c;
        s.rh_sum += (double)h.hour.humidity;
        s.rain_hours += h.hour.precip_mm > 0.0;
        s.n++;
    }
    return s;
}

static void simulated_climate_is_plausible(void **state)
{
    (void)state;
    /* Hanoi: ~16.5 °C in January, ~30 °C in July (climate normals 16.4 and 29.8) */
    sim_stats jan = sim_over(0, "2026-01-01", "2026-02-01", -1);
    sim_stats jul = sim_over(0, "2026-07-01", "2026-08-01", -1);
    assert_double_near(jan.temp_sum / (double)jan.n, 16.5, 1.5);
    assert_double_near(jul.temp_sum / (double)jul.n, 30.0, 1.5);
    /* summer monsoon: rain in July far more often than in January */
    assert_true(jul.rain_hours > 2 * jan.rain_hours);
    assert_true(jul.rain_hours > 60 && jul.rain_hours < 250);
    /* the diurnal cycle: afternoons warmer and drier than dawn */
    sim_stats dawn = sim_over(0, "2026-04-01", "2026-05-01", 6);
    sim_stats afternoon = sim_over(0, "2026-04-01", "2026-05-01", 14);
    assert_true(afternoon.temp_sum / 30.0 > dawn.temp_sum / 30.0 + 4.0);
    assert_true(afternoon.rh_sum / 30.0 < dawn.rh_sum / 30.0 - 10.0);
    /* Ho Chi Minh City is warm all year; Da Lat (Lam Dong) cool */
    sim_stats hcm = sim_over(17, "2026-01-01", "2026-02-01", -1);
    assert_double_near(hcm.temp_sum / (double)hcm.n, 27.0, 1.5);
    sim_stats dalat = sim_over(16, "2026-01-01", "2027-01-01", -1);
    assert_double_near(dalat.temp_sum / (double)dalat.n, 18.0, 1.5);
    /* the central coast's rains come in autumn, not in July */
    sim_stats dn_jul = sim_over(8, "2026-07-01", "2026-08-01", -1);
    sim_stats dn_oct = sim_over(8, "2026-10-01", "2026-11-01", -1);
    assert_true(dn_oct.rain_hours > 2 * dn_jul.rain_hours);
}

static void simulated_hours_are_consistent(void **state)
{
    (void)state;
    static const char *const COMPASS[16] = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                            "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
    for (size_t p = 0; p < 24; p++) {
        const ais_weather_province *prov = ais_weather_province_at(p);
        for (int64_t t = iso("2026-01-01"); t < iso("2027-01-01"); t += 7 * 3600) {
            ais_weather_sim_hour s;
            assert_int_equal(ais_weather_sim_hour_get(SEED, prov, t, &s), AIS_OK);
            const ais_weather_hour *h = &s.hour;
            assert_int_equal(h->time_epoch, t);
            assert_true(h->temp_c > 0.0 && h->temp_c < 45.0);
            assert_true(h->humidity >= 25 && h->humidity <= 100);
            assert_true(h->dewpoint_c.v <= h->temp_c);
            assert_true(h->pressure_mb > 985.0 && h->pressure_mb < 1040.0);
            assert_true(h->precip_mm >= 0.0 && h->precip_mm <= 60.0);
            assert_int_equal(h->will_it_rain.v, h->precip_mm > 0.0);
            assert_true(h->cloud.v >= 0 && h->cloud.v <= 100);
            assert_true(h->wind_degree.v >= 0 && h->wind_degree.v < 360);
            assert_string_equal(h->wind_dir, COMPASS[((h->wind_degree.v * 2 + 22) / 45) % 16]);
            assert_true(h->gust_kph.v >= h->wind_kph);
            assert_true(h->uv.v == 0.0 || h->is_day.v == 1);
            assert_true(h->chance_of_rain.v >= 0 && h->chance_of_rain.v <= 100);
            assert_true(h->precip_mm == 0.0 || h->chance_of_rain.v >= 70);
            assert_true(h->condition_code.v >= 1000 && h->condition_code.v <= 1195);
            /* night hours are never "Sunny" */
            if (h->is_day.v == 0)
                assert_string_not_equal(h->condition_text, "Sunny");
            assert_string_equal(s.location.tz_id, "Asia/Ho_Chi_Minh");
        }
    }
    /* deterministic, and the seed matters */
    ais_weather_sim_hour a, b, c;
    int64_t t = iso("2026-07-15T06:00:00Z");
    assert_int_equal(ais_weather_sim_hour_get(SEED, ais_weather_province_at(0), t, &a), AIS_OK);
    assert_int_equal(ais_weather_sim_hour_get(SEED, ais_weather_province_at(0), t, &b), AIS_OK);
    assert_int_equal(ais_weather_sim_hour_get(SEED + 1, ais_weather_province_at(0), t, &c), AIS_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.hour.temp_c != c.hour.temp_c || a.hour.humidity != c.hour.humidity ||
                a.hour.wind_kph != c.hour.wind_kph);
    assert_int_equal(ais_weather_sim_hour_get(SEED, ais_weather_province_at(0), t + 1, &a),
                     AIS_ERR_INVALID_ARG);
}

static ais_status collect(void *ctx, const json_t *event)
{
    return json_array_append((json_t *)ctx, (json_t *)event) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static void simulated_events_for_all_provinces(void **state)
{
    (void)state;
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", iso("2026-07-01"),
                                       iso("2026-07-02")),
                     AIS_OK);
    json_t *events = json_array();
    ais_sink sink = {events, collect};
    uint64_t n = 0;
    assert_int_equal(ais_weather_simulate(SEED, 24, &env, &sink, &n), AIS_OK);
    assert_int_equal(n, 24 * 24);
    json_t *first = json_array_get(events, 0);
    assert_contract_keys(first);
    assert_string_equal(json_string_value(json_object_get(first, "event_id")),
                        "weather_ha_noi_2026-07-01T07:00");
    assert_string_equal(json_string_value(json_object_get(first, "source")), "simulated");
    assert_string_equal(json_string_value(json_object_get(first, "query")), "21.0285,105.8542");
    assert_string_equal(json_string_value(json_object_get(first, "province")), "Ha Noi");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 23), "province")),
                        "Ca Mau");
    json_t *ids = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        assert_null(json_object_get(ids, id));
        json_object_set_new(ids, id, json_true());
    }
    json_decref(ids);

    /* an overlapping window gives the same hours */
    ais_envelope env2;
    assert_int_equal(ais_envelope_init(&env2, "simulated", "batch", iso("2026-07-01T12:00:00Z"),
                                       iso("2026-07-03")),
                     AIS_OK);
    json_t *events2 = json_array();
    ais_sink sink2 = {events2, collect};
    assert_int_equal(ais_weather_simulate(SEED, 2, &env2, &sink2, &n), AIS_OK);
    assert_int_equal(n, 36 * 2);
    json_t *a = json_array_get(events, 12 * 24);  /* Hanoi at 12:00Z */
    json_t *b = json_array_get(events2, 0);
    assert_string_equal(json_string_value(json_object_get(a, "event_id")),
                        json_string_value(json_object_get(b, "event_id")));
    assert_true(json_equal(json_object_get(a, "temp_c"), json_object_get(b, "temp_c")));
    assert_true(json_equal(json_object_get(a, "precip_mm"), json_object_get(b, "precip_mm")));
    json_decref(events);
    json_decref(events2);
    assert_int_equal(ais_weather_simulate(SEED, 25, &env, &sink, &n), AIS_ERR_RANGE);
}

/* ----------------------------------------------------------------------------------------- */
/* Replay                                                                                     */

static void write_body(const char *dir, const char *sub, const char *name, json_t *body)
{
    char *folder = sub != NULL ? ais_test_join(dir, sub) : strdup(dir);
    mkdir(folder, 0755);
    char *path = ais_test_join(folder, name);
    char *text = body != NULL ? json_dumps(body, JSON_INDENT(2)) : strdup("{\"location\":");
    ais_test_write_file(path, text);
    free(text);
    free(path);
    free(folder);
    json_decref(body);
}

static void replay_of_a_folder(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    write_body(dir, "Ha_Noi", "2025-01-01.json", body_with(two_hours()));
    write_body(dir, "Ho_Chi_Minh_City", "2025-01-01.json", body_with(two_hours()));
    /* the same Hanoi body recorded twice, and a copy that says something else */
    char *copies = ais_test_join(dir, "zz_copies");
    mkdir(copies, 0755);
    write_body(copies, "Ha_Noi", "2025-01-01.json", body_with(two_hours()));
    json_t *other = two_hours();
    json_object_set_new(json_array_get(other, 0), "humidity", json_integer(64));
    char *copies2 = ais_test_join(dir, "zz_copies2");
    mkdir(copies2, 0755);
    write_body(copies2, "Ha_Noi", "2025-01-01.json", body_with(other));
    /* a province outside the default list; a body that is not JSON; a file with no province */
    write_body(dir, "Son_La", "2025-01-01.json", body_with(two_hours()));
    write_body(dir, "Ha_Noi", "2025-01-02.json", NULL);
    write_body(dir, NULL, "stray.json", body_with(two_hours()));

    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "weatherapi", "replay", iso("2024-12-31T17:00:00Z"),
                                       iso("2025-01-01T06:00:00Z")),
                     AIS_OK);
    json_t *events = json_array(), *dead = json_array();
    ais_sink sink = {events, collect}, dsink = {dead, collect};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &dsink, "weatherapi", "weather_history", "r"), AIS_OK);
    ais_replay_stats st;
    char err[256];
    FILE *lines = tmpfile(); /* the human progress lines: one per file, in path order */
    assert_non_null(lines);
    ais_progress progress;
    ais_progress_init(&progress, "weather", AIS_LOG_FORMAT_HUMAN, lines, NULL);
    assert_int_equal(ais_weather_replay(dir, &env, &sink, &dlq, &st, &progress, err, sizeof err),
                     AIS_OK);
    assert_int_equal(progress.done, 7);
    char line[256];
    rewind(lines);
    const char *names[] = {"Ha_Noi/2025-01-01.json", "Ha_Noi/2025-01-02.json",
                           "Ho_Chi_Minh_City/2025-01-01.json", "Son_La/2025-01-01.json",
                           "stray.json", "zz_copies/Ha_Noi/2025-01-01.json",
                           "zz_copies2/Ha_Noi/2025-01-01.json"};
    for (size_t i = 0; i < 7; i++) {
        assert_non_null(fgets(line, sizeof line, lines));
        char want[128];
        snprintf(want, sizeof want, "[%zu/7] weather %s \xe2\x80\xa6 ", i + 1, names[i]);
        assert_memory_equal(line, want, strlen(want));
    }
    assert_null(fgets(line, sizeof line, lines));
    fclose(lines);

    /* the window holds 00:00 local only (13:00 local = 06:00Z is its end) */
    assert_int_equal(json_array_size(events), 3); /* Ha Noi, Ho Chi Minh City, Son La */
    assert_int_equal(st.events, 3);
    assert_int_equal(st.files_read, 6);
    assert_int_equal(st.files_rejected, 2); /* malformed_json, unknown_province */
    assert_int_equal(st.records_read, 10);
    assert_int_equal(st.outside_window, 5);
    assert_int_equal(st.duplicates_merged, 2);
    assert_int_equal(st.conflicts_resolved, 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "event_id")),
                        "weather_ha_noi_2025-01-01T00:00");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 0), "humidity")),
                     63); /* the first copy in path order */
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 1), "province")),
                        "Ho Chi Minh City");
    json_t *son_la = json_array_get(events, 2);
    assert_string_equal(json_string_value(json_object_get(son_la, "province")), "Son La");
    assert_string_equal(json_string_value(json_object_get(son_la, "event_id")),
                        "weather_son_la_2025-01-01T00:00");

    assert_int_equal(json_array_size(dead), 3);
    assert_int_equal(json_integer_value(json_object_get(dlq.by_reason, "malformed_json")), 1);
    assert_int_equal(json_integer_value(json_object_get(dlq.by_reason, "unknown_province")), 1);
    assert_int_equal(json_integer_value(json_object_get(dlq.by_reason, "conflicting_duplicate")),
                     1);
    size_t i;
    json_t *d;
    json_array_foreach(dead, i, d) {
        const char *reason = json_string_value(json_object_get(d, "reason"));
        const char *file = json_string_value(json_object_get(d, "file"));
        if (strcmp(reason, "conflicting_duplicate") == 0) {
            assert_non_null(strstr(file, "zz_copies2/Ha_Noi/2025-01-01.json"));
            assert_string_equal(json_string_value(json_object_get(d, "event_id")),
                                "weather_ha_noi_2025-01-01T00:00");
        } else if (strcmp(reason, "malformed_json") == 0) {
            assert_non_null(strstr(file, "Ha_Noi/2025-01-02.json"));
            assert_string_equal(json_string_value(json_object_get(d, "raw")), "{\"location\":");
        } else {
            assert_string_equal(reason, "unknown_province");
            assert_non_null(strstr(file, "/stray.json"));
        }
    }
    ais_dlq_release(&dlq);
    json_decref(events);
    json_decref(dead);
    ais_test_rm_rf(dir);
    free(copies);
    free(copies2);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_body),
        cmocka_unit_test(unusable_bodies),
        cmocka_unit_test(bad_hours_are_rejected_one_by_one),
        cmocka_unit_test(events_have_the_table_columns),
        cmocka_unit_test(provinces_and_slugs),
        cmocka_unit_test(simulated_climate_is_plausible),
        cmocka_unit_test(simulated_hours_are_consistent),
        cmocka_unit_test(simulated_events_for_all_provinces),
        cmocka_unit_test(replay_of_a_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
