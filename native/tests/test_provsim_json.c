/* ais-provider-sim's WeatherAPI and OpenAQ files (src/provsim/weather.c, openaq.c), read back
 * by the live adapters' own code: every WeatherAPI body goes through ais_weather_ingest_body
 * (what weather_live.c calls per response), every OpenAQ hours file through
 * ais_openaq_parse_hours and ais_openaq_event_new (what openaq_live.c calls per page). The
 * events must be those of `--mode simulate` for the same seed and hours, computed here by the
 * simulators themselves (ais_weather_simulate, ais_openaq_simulate), byte for byte as a sink
 * writes them. Also: the file set is what the live adapters ask for, a second run writes the
 * same bytes, and an output folder that cannot be made is a clear error naming it.
 *
 * The window, 2026-10-30 .. 2026-11-02 (3 UTC days), is in the central coast's rainy season so
 * rain hours are among the bodies; the seed differs from simulate.seed so the request's seed is
 * seen to be the one used. */
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/dlq.h"
#include "ais/fsutil.h"
#include "ais/jsonutil.h"
#include "ais/openaq.h"
#include "ais/provsim.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"
#include "ais/weather.h"
#include "ais/weather_forecast.h"

#define SEED 4242u
#define WINDOW_START "2026-10-30T00:00:00Z"
#define WINDOW_END "2026-11-02T00:00:00Z"
#define WINDOW_DAYS 3
#define WINDOW_HOURS (WINDOW_DAYS * 24)

typedef struct fixture {
    char *tmp;
    char *out;
    ais_config *cfg;
    ais_provsim_request req;
    ais_provsim_stats weather, openaq;
} fixture;

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static ais_status keep(void *ctx, const json_t *ev)
{
    return json_array_append_new(ctx, json_deep_copy(ev)) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

/* The bytes a sink writes for v (15 significant digits), NUL-terminated; caller frees. */
static char *sink_bytes(const json_t *v)
{
    ais_json_buf b = {0};
    assert_int_equal(ais_json_append_compact(&b, v), AIS_OK);
    assert_int_equal(ais_json_buf_reserve(&b, 1), AIS_OK);
    b.data[b.len] = '\0';
    return b.data;
}

static json_t *load_json(const char *path)
{
    char *text = ais_test_read_file(path);
    assert_non_null(text);
    json_error_t err;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (v == NULL)
        fail_msg("%s: %s", path, err.text);
    free(text);
    return v;
}

static void run_writers(fixture *f, const char *out, ais_provsim_stats *weather,
                        ais_provsim_stats *openaq)
{
    char err[1024] = "";
    ais_provsim_request req = f->req;
    req.out_dir = out;
    if (ais_provsim_weather(&req, weather, err, sizeof err) != AIS_OK)
        fail_msg("weather: %s", err);
    if (ais_provsim_openaq(&req, openaq, err, sizeof err) != AIS_OK)
        fail_msg("openaq: %s", err);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char *config = ais_test_repo_config();
    char err[AIS_CONFIG_ERRBUF_SIZE];
    if (f == NULL || ais_config_load_ex(config, &f->cfg, err, sizeof err) != AIS_OK)
        return -1;
    free(config);
    f->tmp = ais_test_mkdtemp();
    f->out = ais_test_join(f->tmp, "out");
    f->req = (ais_provsim_request){.cfg = f->cfg, .seed = SEED, .start = iso(WINDOW_START),
                                   .end = iso(WINDOW_END), .out_dir = f->out};
    run_writers(f, f->out, &f->weather, &f->openaq);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ais_test_rm_rf(f->tmp);
    free(f->tmp);
    free(f->out);
    ais_config_free(f->cfg);
    free(f);
    return 0;
}

/* Each event of got must be the simulator's event of the same id, byte for byte as a sink
 * writes it (ingest_time, the wall clock of writing, aside), and the two sets the same size. */
static void assert_same_events(const json_t *got, const json_t *simulated)
{
    json_t *by_id = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(simulated, i, ev) {
        assert_int_equal(
            json_object_set(by_id, json_string_value(json_object_get(ev, "event_id")), ev), 0);
    }
    assert_int_equal(json_object_size(by_id), json_array_size(simulated));
    assert_int_equal(json_array_size(got), json_array_size(simulated));
    json_array_foreach(got, i, ev) {
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        json_t *want = json_object_get(by_id, id);
        if (want == NULL)
            fail_msg("event %s is not one of the simulator's", id);
        json_t *copy = json_deep_copy(ev);
        json_object_set(copy, "ingest_time", json_object_get(want, "ingest_time"));
        char *a = sink_bytes(copy), *b = sink_bytes(want);
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(copy);
    }
    json_decref(by_id);
}

static size_t count_where(const json_t *events, const char *key, int (*pred)(const json_t *))
{
    size_t i, n = 0;
    json_t *ev;
    json_array_foreach(events, i, ev) n += (size_t)pred(json_object_get(ev, key));
    return n;
}

static int is_positive(const json_t *v)
{
    return json_number_value(v) > 0.0;
}

static int is_null(const json_t *v)
{
    return json_is_null(v);
}

/* ------------------------------------------------------------------------------------------ */
/* WeatherAPI                                                                                 */

/* The local dates weather_live.c requests for the window, "YYYY-MM-DD.json". */
static size_t live_dates(const fixture *f, char names[][32], size_t max)
{
    long offset_h;
    assert_int_equal(ais_config_get_long(f->cfg, "hanoi.utc_offset_hours", &offset_h), AIS_OK);
    int64_t first = (f->req.start + offset_h * 3600) / 86400;
    int64_t last = (f->req.end - 1 + offset_h * 3600) / 86400;
    size_t n = 0;
    for (int64_t day = first; day <= last; day++) {
        ais_civil_time c;
        assert_true(n < max);
        assert_int_equal(ais_time_to_civil(day * 86400, &c), AIS_OK);
        snprintf(names[n++], 32, "%04d-%02d-%02d.json", c.year, c.month, c.day);
    }
    return n;
}

static void weather_file_set_is_what_live_requests(void **state)
{
    fixture *f = *state;
    char dates[8][32];
    size_t n_dates = live_dates(f, dates, 8);
    /* UTC+7: three UTC days touch four local dates */
    assert_int_equal(n_dates, WINDOW_DAYS + 1);
    assert_string_equal(dates[0], "2026-10-30.json");
    assert_string_equal(dates[3], "2026-11-02.json");

    char *dir = ais_test_join(f->out, "weather");
    char *map_path = ais_test_join(f->out, "weather-provinces.json");
    json_t *map = load_json(map_path);
    size_t n_provinces = ais_weather_province_count();
    assert_int_equal(json_object_size(map), n_provinces);
    for (size_t i = 0; i < n_provinces; i++) {
        const ais_weather_province *p = ais_weather_province_at(i);
        char q[64];
        snprintf(q, sizeof q, "%.4f,%.4f", p->latitude, p->longitude); /* weather_live.c */
        const char *folder = json_string_value(json_object_get(map, q));
        if (folder == NULL)
            fail_msg("weather-provinces.json has no entry for %s (%s)", q, p->name);
        assert_ptr_equal(ais_weather_province_find(folder), p);
        char *pdir = ais_test_join(dir, folder);
        size_t n_files;
        char **files = ais_test_list_dir(pdir, &n_files);
        assert_int_equal(n_files, n_dates);
        for (size_t k = 0; k < n_dates; k++)
            assert_string_equal(files[k], dates[k]);
        ais_test_free_names(files);
        free(pdir);
    }
    size_t n_entries;
    char **entries = ais_test_list_dir(dir, &n_entries);
    assert_int_equal(n_entries, n_provinces); /* the folders only: a folder replay reads as is */
    ais_test_free_names(entries);
    /* + weather-forecast/<folder>.json per province */
    assert_int_equal(f->weather.files, n_provinces * (n_dates + 1) + 1);
    json_decref(map);
    free(map_path);
    free(dir);
}

static void weather_bodies_give_the_simulated_events(void **state)
{
    fixture *f = *state;
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", f->req.start, f->req.end),
                     AIS_OK);
    json_t *live = json_array(), *letters = json_array(), *simulated = json_array();
    ais_sink sink = {live, keep}, dead = {letters, keep}, sim_sink = {simulated, keep};
    ais_dlq dlq;
    ais_replay_stats stats = {0};
    ais_weather_ingest *w = NULL;
    assert_int_equal(ais_dlq_init(&dlq, &dead, "simulated", "weather_history", env.request_id),
                     AIS_OK);
    assert_int_equal(ais_weather_ingest_new(&env, &sink, &dlq, &stats, &w), AIS_OK);

    char dates[8][32];
    size_t n_dates = live_dates(f, dates, 8);
    char *dir = ais_test_join(f->out, "weather");
    char *map_path = ais_test_join(f->out, "weather-provinces.json");
    json_t *map = load_json(map_path);
    /* day by day, province by province, as weather_live.c fetches them */
    for (size_t k = 0; k < n_dates; k++) {
        const char *q;
        json_t *folder;
        json_object_foreach(map, q, folder) {
            const ais_weather_province *p = ais_weather_province_find(json_string_value(folder));
            char *pdir = ais_test_join(dir, json_string_value(folder));
            char *path = ais_test_join(pdir, dates[k]);
            char *body;
            size_t len;
            assert_int_equal(ais_fs_read_file(path, AIS_WEATHER_MAX_BODY_BYTES, &body, &len),
                             AIS_OK);
            assert_int_equal(ais_weather_ingest_body(w, p->name, p->slug, q, path, body, len),
                             AIS_OK);
            free(body);
            free(path);
            free(pdir);
        }
    }
    ais_weather_ingest_free(w);
    if (json_array_size(letters) > 0) {
        char *text = json_dumps(json_array_get(letters, 0), 0);
        fail_msg("dead letter: %s", text);
    }
    size_t n_provinces = ais_weather_province_count();
    assert_int_equal(stats.files_read, n_dates * n_provinces);
    assert_int_equal(stats.records_rejected, 0);
    assert_int_equal(stats.events, WINDOW_HOURS * n_provinces);
    /* the first and the last local date reach 7 and 17 hours beyond the window */
    assert_int_equal(stats.outside_window, 24 * n_provinces);

    uint64_t n_simulated = 0;
    assert_int_equal(ais_weather_simulate(SEED, n_provinces, &env, &sim_sink, &n_simulated),
                     AIS_OK);
    assert_int_equal(n_simulated, WINDOW_HOURS * n_provinces);
    assert_same_events(live, simulated);
    /* the bodies carry rain, not only dry hours */
    assert_true(count_where(simulated, "precip_mm", is_positive) > 0);

    ais_dlq_release(&dlq);
    json_decref(map);
    json_decref(live);
    json_decref(letters);
    json_decref(simulated);
    free(map_path);
    free(dir);
}

/* The forecast.json bodies (the issue of the window's last hour) through the live adapter's body
 * path give the events of weather-forecast --mode simulate for that issue. */
static void forecast_bodies_give_the_simulated_events(void **state)
{
    fixture *f = *state;
    ais_envelope env;
    int64_t issue = f->req.end - AIS_SECONDS_PER_HOUR;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", issue, f->req.end), AIS_OK);
    json_t *live = json_array(), *letters = json_array(), *simulated = json_array();
    ais_sink sink = {live, keep}, dead = {letters, keep}, sim_sink = {simulated, keep};
    ais_dlq dlq;
    ais_replay_stats stats = {0};
    ais_weather_forecast_ingest *w = NULL;
    assert_int_equal(ais_dlq_init(&dlq, &dead, "simulated", "weather-forecast", env.request_id),
                     AIS_OK);
    assert_int_equal(ais_weather_forecast_ingest_new(&env, &sink, &dlq, &stats, &w), AIS_OK);
    const ais_weather_province *provinces[] = {ais_weather_province_find("Ha Noi"),
                                               ais_weather_province_find("Lam Dong")};
    char *dir = ais_test_join(f->out, "weather-forecast");
    for (size_t i = 0; i < 2; i++) {
        char name[64], q[64], *body;
        size_t len;
        snprintf(name, sizeof name, "%s.json", i == 0 ? "Ha_Noi" : "Lam_Dong");
        snprintf(q, sizeof q, "%.4f,%.4f", provinces[i]->latitude, provinces[i]->longitude);
        char *path = ais_test_join(dir, name);
        assert_int_equal(ais_fs_read_file(path, AIS_WEATHER_MAX_BODY_BYTES, &body, &len), AIS_OK);
        /* a fetch time days later: the issue is the body's */
        assert_int_equal(ais_weather_forecast_ingest_body(w, provinces[i], q, path, body, len,
                                                          f->req.end + 5 * AIS_SECONDS_PER_DAY),
                         AIS_OK);
        free(body);
        free(path);
    }
    ais_weather_forecast_ingest_free(w);
    assert_int_equal(json_array_size(letters), 0);
    assert_int_equal(stats.events, 2 * AIS_WEATHER_FORECAST_DAYS * 24);
    uint64_t n = 0;
    assert_int_equal(ais_weather_forecast_simulate(SEED, provinces, 2, 1, 7, &env, &sim_sink, &n),
                     AIS_OK);
    assert_same_events(live, simulated);
    ais_dlq_release(&dlq);
    json_decref(live);
    json_decref(letters);
    json_decref(simulated);
    free(dir);
}

static double num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        fail_msg("%s is not a number", key);
    return json_number_value(v);
}

/* "06:33 AM" -> minutes after midnight */
static int clock_minutes(const char *text)
{
    int h, m;
    char half[3];
    assert_int_equal(sscanf(text, "%2d:%2d %2s", &h, &m, half), 3);
    assert_true(h >= 1 && h <= 12 && m >= 0 && m < 60);
    return (h % 12 + (strcmp(half, "PM") == 0 ? 12 : 0)) * 60 + m;
}

/* The parts of one body the parser does not read: imperial twins, feels-like variants, day
 * aggregates, astro and location, all consistent with the hours. */
static void check_body(const char *path, const ais_weather_province *p, const char *date)
{
    json_t *body = load_json(path);
    json_t *loc = json_object_get(body, "location");
    int64_t midnight = iso(date), first_hour = midnight - 7 * 3600; /* UTC+7 */
    assert_string_equal(json_string_value(json_object_get(loc, "name")), p->name);
    assert_true(num(loc, "lat") == p->latitude && num(loc, "lon") == p->longitude);
    assert_string_equal(json_string_value(json_object_get(loc, "tz_id")), "Asia/Ho_Chi_Minh");
    /* served in full one hour after the local day: <next date> 01:00 */
    assert_int_equal(json_integer_value(json_object_get(loc, "localtime_epoch")),
                     first_hour + 86400 + 3600);
    ais_civil_time next;
    char localtime[32];
    assert_int_equal(ais_time_to_civil(midnight + 86400, &next), AIS_OK);
    snprintf(localtime, sizeof localtime, "%04d-%02d-%02d 01:00", next.year, next.month,
             next.day);
    assert_string_equal(json_string_value(json_object_get(loc, "localtime")), localtime);

    json_t *days = json_object_get(json_object_get(body, "forecast"), "forecastday");
    assert_int_equal(json_array_size(days), 1);
    json_t *fd = json_array_get(days, 0);
    assert_string_equal(json_string_value(json_object_get(fd, "date")), date);
    assert_int_equal(json_integer_value(json_object_get(fd, "date_epoch")), midnight);
    json_t *hours = json_object_get(fd, "hour"), *day = json_object_get(fd, "day");
    assert_int_equal(json_array_size(hours), 24);

    double tmax = -100, tmin = 100, precip = 0, wettest = 0, chance = 0, rain = 0;
    long sky_code = json_integer_value(
        json_object_get(json_object_get(json_array_get(hours, 12), "condition"), "code"));
    int first_day_hour = -1, last_day_hour = -1;
    size_t i;
    json_t *h;
    json_array_foreach(hours, i, h) {
        double t = num(h, "temp_c"), feels = num(h, "feelslike_c");
        json_t *cond = json_object_get(h, "condition");
        assert_int_equal(json_integer_value(json_object_get(h, "time_epoch")),
                         first_hour + (int64_t)i * 3600);
        assert_double_near(num(h, "temp_f"), t * 1.8 + 32.0, 0.051);
        assert_double_near(num(h, "feelslike_f"), feels * 1.8 + 32.0, 0.051);
        assert_double_near(num(h, "dewpoint_f"), num(h, "dewpoint_c") * 1.8 + 32.0, 0.051);
        assert_double_near(num(h, "wind_mph") * 1.609344, num(h, "wind_kph"), 0.09);
        assert_double_near(num(h, "gust_mph") * 1.609344, num(h, "gust_kph"), 0.09);
        assert_double_near(num(h, "pressure_in") * 33.8639, num(h, "pressure_mb"), 0.17);
        assert_double_near(num(h, "precip_in") * 25.4, num(h, "precip_mm"), 0.13);
        /* the simulator's feels-like is wind chill at 10 °C and below, heat index from 27 °C */
        assert_double_near(num(h, "windchill_c"), t <= 10.0 ? feels : t, 0.0);
        assert_double_near(num(h, "heatindex_c"), t >= 27.0 ? feels : t, 0.0);
        assert_true(num(h, "dewpoint_c") <= t);
        bool is_day = json_integer_value(json_object_get(h, "is_day")) == 1;
        const char *icon = json_string_value(json_object_get(cond, "icon"));
        assert_non_null(strstr(icon, is_day ? "/64x64/day/" : "/64x64/night/"));
        if (is_day && first_day_hour < 0)
            first_day_hour = (int)i;
        if (is_day)
            last_day_hour = (int)i;
        tmax = t > tmax ? t : tmax;
        tmin = t < tmin ? t : tmin;
        precip += num(h, "precip_mm");
        if (num(h, "precip_mm") > wettest) {
            wettest = num(h, "precip_mm");
            sky_code = json_integer_value(json_object_get(cond, "code"));
        }
        chance = num(h, "chance_of_rain") > chance ? num(h, "chance_of_rain") : chance;
        rain = num(h, "will_it_rain") > rain ? num(h, "will_it_rain") : rain;
    }
    assert_double_near(num(day, "maxtemp_c"), tmax, 0.0);
    assert_double_near(num(day, "mintemp_c"), tmin, 0.0);
    assert_double_near(num(day, "totalprecip_mm"), precip, 0.005);
    assert_double_near(num(day, "daily_chance_of_rain"), chance, 0.0);
    assert_double_near(num(day, "daily_will_it_rain"), rain, 0.0);
    assert_true(num(day, "avgtemp_c") >= tmin && num(day, "avgtemp_c") <= tmax);
    /* the day's sky: its wettest hour, or noon when dry */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(day, "condition"), "code")),
                     sky_code);

    /* is_day is the sun above the horizon at the hour's start: the first day hour is the
     * first at or after sunrise, the last the last before sunset (to the minute the clock
     * times are rounded to) */
    json_t *astro = json_object_get(fd, "astro");
    int sunrise = clock_minutes(json_string_value(json_object_get(astro, "sunrise")));
    int sunset = clock_minutes(json_string_value(json_object_get(astro, "sunset")));
    assert_in_range(sunrise, (first_day_hour - 1) * 60, first_day_hour * 60 + 1);
    assert_in_range(sunset, last_day_hour * 60 - 1, (last_day_hour + 1) * 60);
    double illumination = num(astro, "moon_illumination");
    assert_true(illumination >= 0 && illumination <= 100);
    json_decref(body);
}

static void weather_bodies_are_consistent(void **state)
{
    fixture *f = *state;
    char dates[8][32];
    size_t n_dates = live_dates(f, dates, 8);
    for (size_t i = 0; i < ais_weather_province_count(); i++) {
        const ais_weather_province *p = ais_weather_province_at(i);
        for (size_t k = 0; k < n_dates; k++) {
            char rel[128], date[16];
            snprintf(date, sizeof date, "%.10s", dates[k]);
            snprintf(rel, sizeof rel, "weather/%s/%s", p->name, dates[k]);
            for (char *c = rel; *c; c++)
                *c = *c == ' ' ? '_' : *c;
            char *path = ais_test_join(f->out, rel);
            check_body(path, p, date);
            free(path);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* OpenAQ                                                                                     */

static ais_status reject_hour(void *ctx, const char *reason, const char *detail, const char *raw,
                              size_t raw_len)
{
    (void)ctx;
    fail_msg("rejected hour: %s (%s): %.*s", reason, detail, (int)raw_len, raw);
    return AIS_ERR_PARSE;
}

typedef struct hours_ctx {
    const ais_envelope *env;
    json_t *events;
} hours_ctx;

/* what openaq_live.c's on_hour does, but with a fixed ingest_time */
static ais_status hour_to_event(void *ctx, const ais_openaq_hour *h)
{
    hours_ctx *c = ctx;
    json_t *ev = NULL;
    ais_status st = ais_openaq_event_new(c->env, h, 0, &ev);
    if (st == AIS_OK)
        st = json_array_append_new(c->events, ev) == 0 ? AIS_OK : AIS_ERR_NOMEM;
    return st;
}

static void sim_params(const fixture *f, ais_sim_params *params, unsigned *n)
{
    assert_int_equal(ais_sim_params_from_config(f->cfg, params), AIS_OK);
    params->seed = SEED;
    assert_int_equal(ais_sim_stations_from_config(f->cfg, n), AIS_OK);
}

static void openaq_files_give_the_simulated_events(void **state)
{
    fixture *f = *state;
    ais_sim_params params;
    unsigned n;
    sim_params(f, &params, &n);
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", f->req.start, f->req.end),
                     AIS_OK);
    hours_ctx ctx = {.env = &env, .events = json_array()};
    ais_openaq_hours_visitor v = {.ctx = &ctx, .on_hour = hour_to_event, .on_reject = reject_hour};

    char *dir = ais_test_join(f->out, "openaq");
    char *locations_path = ais_test_join(dir, "locations.json");
    json_t *locations = load_json(locations_path);
    assert_true(json_is_array(locations));
    assert_int_equal(json_array_size(locations), n);
    for (unsigned i = 0; i < n; i++) {
        ais_sim_station s;
        assert_int_equal(ais_sim_station_get(&params, i, &s), AIS_OK);
        /* the fields openaq_live.c's read_location takes */
        json_t *loc = json_array_get(locations, i);
        json_t *coords = json_object_get(loc, "coordinates");
        json_t *sensors = json_object_get(loc, "sensors");
        json_t *sensor = json_array_get(sensors, 0);
        json_t *param = json_object_get(sensor, "parameter");
        assert_int_equal(json_integer_value(json_object_get(loc, "id")), s.location_id);
        assert_string_equal(json_string_value(json_object_get(loc, "name")), s.name);
        assert_true(num(coords, "latitude") == s.latitude);
        assert_true(num(coords, "longitude") == s.longitude);
        assert_true(s.longitude > params.bbox.west && s.longitude < params.bbox.east);
        assert_true(s.latitude > params.bbox.south && s.latitude < params.bbox.north);
        assert_int_equal(json_array_size(sensors), 1);
        assert_int_equal(json_integer_value(json_object_get(sensor, "id")), s.sensor_id);
        assert_string_equal(json_string_value(json_object_get(param, "name")), "pm25");
        assert_string_equal(json_string_value(json_object_get(param, "units")), "µg/m³");
        ais_openaq_sensor_ref ref = {
            .location_id = s.location_id,
            .location_name = json_string_value(json_object_get(loc, "name")),
            .latitude = num(coords, "latitude"),
            .longitude = num(coords, "longitude"),
            .sensor_id = s.sensor_id,
            .parameter = "pm25",
            .units = json_string_value(json_object_get(param, "units"))};

        char name[48];
        snprintf(name, sizeof name, "sensors/%lld.json", (long long)s.sensor_id);
        char *path = ais_test_join(dir, name);
        json_t *results = load_json(path);
        assert_int_equal(json_array_size(results), WINDOW_HOURS);
        for (size_t k = 0; k < WINDOW_HOURS; k++) {
            json_t *period = json_object_get(json_array_get(results, k), "period");
            const char *from = json_string_value(
                json_object_get(json_object_get(period, "datetimeFrom"), "utc"));
            assert_int_equal(iso(from), f->req.start + (int64_t)k * 3600); /* ascending */
        }
        /* one page, as the fixture server serves it */
        json_t *page = json_pack("{s:{s:i}, s:O}", "meta", "found", WINDOW_HOURS, "results",
                                 results);
        char *body = json_dumps(page, JSON_COMPACT);
        size_t got = 0;
        uint64_t outside = 0;
        const char *reason = NULL;
        assert_int_equal(ais_openaq_parse_hours(body, strlen(body), &ref, f->req.start,
                                                f->req.end, &v, &got, &outside, &reason),
                         AIS_OK);
        assert_int_equal(got, WINDOW_HOURS);
        assert_int_equal(outside, 0);
        free(body);
        json_decref(page);
        json_decref(results);
        free(path);
    }
    size_t n_files;
    char *sensors_dir = ais_test_join(dir, "sensors");
    char **files = ais_test_list_dir(sensors_dir, &n_files);
    assert_int_equal(n_files, n);
    ais_test_free_names(files);
    assert_int_equal(f->openaq.files, n + 1);

    json_t *simulated = json_array();
    ais_sink sim_sink = {simulated, keep};
    uint64_t n_simulated = 0;
    assert_int_equal(ais_openaq_simulate(&params, n, &env, &sim_sink, &n_simulated), AIS_OK);
    assert_int_equal(n_simulated, (uint64_t)n * WINDOW_HOURS);
    assert_same_events(ctx.events, simulated);
    /* hours without a reading are among them (value null, observedCount 0) */
    assert_true(count_where(ctx.events, "value", is_null) > 0);

    json_decref(simulated);
    json_decref(ctx.events);
    json_decref(locations);
    free(sensors_dir);
    free(locations_path);
    free(dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Determinism and failures                                                                   */

static void second_run_writes_the_same_bytes(void **state)
{
    fixture *f = *state;
    char *again = ais_test_join(f->tmp, "again");
    ais_provsim_stats weather = {0}, openaq = {0};
    run_writers(f, again, &weather, &openaq);
    assert_int_equal(weather.files, f->weather.files);
    assert_int_equal(weather.bytes, f->weather.bytes);
    assert_int_equal(openaq.files, f->openaq.files);
    assert_int_equal(openaq.bytes, f->openaq.bytes);

    ais_path_list a, b;
    assert_int_equal(ais_fs_list_files(f->out, "", &a), AIS_OK);
    assert_int_equal(ais_fs_list_files(again, "", &b), AIS_OK);
    assert_int_equal(a.count, f->weather.files + f->openaq.files);
    assert_int_equal(a.count, b.count);
    uint64_t bytes = 0;
    for (size_t i = 0; i < a.count; i++) {
        assert_string_equal(a.paths[i] + strlen(f->out), b.paths[i] + strlen(again));
        char *x, *y;
        size_t xl, yl;
        assert_int_equal(ais_fs_read_file(a.paths[i], 1u << 26, &x, &xl), AIS_OK);
        assert_int_equal(ais_fs_read_file(b.paths[i], 1u << 26, &y, &yl), AIS_OK);
        assert_int_equal(xl, yl);
        if (memcmp(x, y, xl) != 0)
            fail_msg("%s differs between two runs", a.paths[i]);
        bytes += xl;
        free(x);
        free(y);
    }
    assert_int_equal(bytes, f->weather.bytes + f->openaq.bytes);
    ais_path_list_free(&a);
    ais_path_list_free(&b);
    free(again);
}

static void blocked_output_folder_is_a_clear_error(void **state)
{
    fixture *f = *state;
    char *blocker = ais_test_join(f->tmp, "blocker");
    ais_test_write_file(blocker, "a file where a folder should be\n");
    char *out = ais_test_join(blocker, "out");
    ais_provsim_request req = f->req;
    req.out_dir = out;
    /* cppcheck-suppress uninitvar ; cppcheck 2.10 misreads an array of function pointers */
    ais_provsim_fn writers[] = {ais_provsim_weather, ais_provsim_openaq};
    const char *folders[] = {"/out/weather", "/out/openaq"};
    for (size_t i = 0; i < 2; i++) {
        ais_provsim_stats stats = {0};
        char err[1024] = "";
        assert_int_equal(writers[i](&req, &stats, err, sizeof err), AIS_ERR_IO);
        char *where = ais_test_join(f->tmp, "blocker");
        size_t size = strlen(where) + 32;
        char *expected = malloc(size);
        snprintf(expected, size, "%s%s", where, folders[i]);
        if (strstr(err, expected) == NULL || strstr(err, "Not a directory") == NULL)
            fail_msg("the message should name %s and why: %s", expected, err);
        assert_int_equal(stats.files, 0);
        free(expected);
        free(where);
    }

    /* a file where the OpenAQ sensors folder goes: the message names that folder */
    char *out2 = ais_test_join(f->tmp, "out2");
    char *openaq = ais_test_join(out2, "openaq");
    char *sensors = ais_test_join(openaq, "sensors");
    assert_int_equal(ais_fs_mkdir_p(openaq, 0755), AIS_OK);
    ais_test_write_file(sensors, "");
    req.out_dir = out2;
    ais_provsim_stats stats = {0};
    char err[1024] = "";
    assert_int_equal(ais_provsim_openaq(&req, &stats, err, sizeof err), AIS_ERR_IO);
    if (strstr(err, sensors) == NULL)
        fail_msg("the message should name %s: %s", sensors, err);
    free(sensors);
    free(openaq);
    free(out2);
    free(out);
    free(blocker);
}

static void bad_requests_are_refused(void **state)
{
    fixture *f = *state;
    /* cppcheck-suppress uninitvar ; cppcheck 2.10 misreads an array of function pointers */
    ais_provsim_fn writers[] = {ais_provsim_weather, ais_provsim_openaq};
    for (size_t i = 0; i < 2; i++) {
        ais_provsim_request req = f->req;
        ais_provsim_stats stats = {0};
        char err[512] = "";
        req.out_dir = f->tmp;
        req.end = req.start + 3600; /* not whole days */
        assert_int_equal(writers[i](&req, &stats, err, sizeof err), AIS_ERR_INVALID_ARG);
        assert_non_null(strstr(err, "whole UTC days"));
        req.end = req.start; /* empty */
        assert_int_equal(writers[i](&req, &stats, err, sizeof err), AIS_ERR_INVALID_ARG);
        req = f->req;
        req.cfg = NULL;
        assert_int_equal(writers[i](&req, &stats, err, sizeof err), AIS_ERR_INVALID_ARG);
        assert_int_equal(writers[i](&f->req, NULL, err, sizeof err), AIS_ERR_INVALID_ARG);
        assert_int_equal(stats.files, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weather_file_set_is_what_live_requests),
        cmocka_unit_test(weather_bodies_give_the_simulated_events),
        cmocka_unit_test(forecast_bodies_give_the_simulated_events),
        cmocka_unit_test(weather_bodies_are_consistent),
        cmocka_unit_test(openaq_files_give_the_simulated_events),
        cmocka_unit_test(second_run_writes_the_same_bytes),
        cmocka_unit_test(blocked_output_folder_is_a_clear_error),
        cmocka_unit_test(bad_requests_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
