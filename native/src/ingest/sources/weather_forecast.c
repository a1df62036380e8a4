/* WeatherAPI forecast.json bodies -> forecast events (the hours read by the history.json parser,
 * weather_parse.c), and the simulated forecasts. The rules are in ais/weather_forecast.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/jsonutil.h"
#include "ais/noise.h"
#include "ais/seen_events.h" /* ais_fnv1a64 */
#include "ais/timeutil.h"
#include "ais/weather_forecast.h"

/* noise streams of the simulated forecast errors (apart from the simulator's own) */
#define STREAM_FORECAST 0x77786600u
#define ERROR_LEAD_SCALE_H 24.0

static int64_t floor_hour(int64_t t)
{
    int64_t r = t % AIS_SECONDS_PER_HOUR;
    return t - (r < 0 ? r + AIS_SECONDS_PER_HOUR : r);
}

ais_status ais_weather_forecast_issue_time(const char *body, size_t len, int64_t fetch_time,
                                           int64_t *issue, bool *from_body)
{
    if ((body == NULL && len > 0) || issue == NULL || from_body == NULL)
        return AIS_ERR_INVALID_ARG;
    *from_body = false;
    *issue = floor_hour(fetch_time);
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const json_t *v = json_object_get(json_object_get(root, "current"), "last_updated_epoch");
    if (json_is_integer(v)) {
        json_int_t t = json_integer_value(v);
        /* 0000-01-01 .. 9999-12-31, as the parser's time_epoch */
        if (t >= -62167219200LL && t <= 253402300799LL) {
            *issue = floor_hour((int64_t)t);
            *from_body = true;
        }
    }
    json_decref(root);
    return AIS_OK;
}

/* "YYYY-MM-DDTHHZ" */
static ais_status hour_text(int64_t t, char out[16])
{
    char iso[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(t, iso);
    if (st == AIS_OK)
        snprintf(out, 16, "%.13sZ", iso);
    return st;
}

ais_status ais_weather_forecast_event_id(const char *slug, int64_t issue_time, int64_t valid_time,
                                         char *out, size_t out_size)
{
    char issue[16], valid[16];
    if (slug == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = hour_text(issue_time, issue);
    if (st == AIS_OK)
        st = hour_text(valid_time, valid);
    if (st != AIS_OK)
        return st;
    int n = snprintf(out, out_size, "weather_forecast_%s_%s_%s", slug, issue, valid);
    return n > 0 && (size_t)n < out_size ? AIS_OK : AIS_ERR_RANGE;
}

ais_status ais_weather_forecast_event_new(const ais_envelope *env, const char *province,
                                          const char *slug, const char *query,
                                          const ais_weather_location *loc,
                                          const ais_weather_hour *hour, int64_t issue_time,
                                          int64_t ingest_time, json_t **out)
{
    char event_id[AIS_WEATHER_FORECAST_EVENT_ID_SIZE], issue[AIS_TIME_ISO_SIZE];
    if (hour == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_weather_forecast_event_id(slug, issue_time, hour->time_epoch, event_id,
                                                  sizeof event_id);
    if (st == AIS_OK)
        st = ais_time_format_iso(issue_time, issue);
    json_t *ev = NULL;
    if (st == AIS_OK)
        st = ais_weather_event_new(env, province, slug, query, loc, hour, ingest_time, &ev);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "event_id", event_id);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "available_at", issue);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "issue_time", issue);
    if (st == AIS_OK)
        st = ais_json_set(ev, "lead_hours",
                          json_integer((json_int_t)((hour->time_epoch - issue_time) /
                                                    AIS_SECONDS_PER_HOUR)));
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Bodies                                                                                     */

/* The history body path (weather_replay.c) with the forecast's event per hour. */
struct ais_weather_forecast_ingest {
    ais_weather_ingest *inner;
    const ais_envelope *env;
    int64_t issue_time; /* of the body being read */
    bool in_window;
};

static ais_status make_event(void *ctx, const ais_envelope *env, const char *province,
                             const char *slug, const char *query, const ais_weather_location *loc,
                             const ais_weather_hour *hour, int64_t ingest_time, json_t **out)
{
    const ais_weather_forecast_ingest *w = ctx;
    *out = NULL;
    if (!w->in_window)
        return AIS_OK;
    return ais_weather_forecast_event_new(env, province, slug, query, loc, hour, w->issue_time,
                                          ingest_time, out);
}

ais_status ais_weather_forecast_ingest_new(const ais_envelope *env, const ais_sink *sink,
                                           ais_dlq *dlq, ais_replay_stats *stats,
                                           ais_weather_forecast_ingest **out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_weather_forecast_ingest *w = calloc(1, sizeof *w);
    if (w == NULL)
        return AIS_ERR_NOMEM;
    ais_weather_event_maker maker = {.ctx = w, .make = make_event};
    w->env = env;
    ais_status st = ais_weather_ingest_new_with(env, sink, dlq, stats, &maker, &w->inner);
    if (st != AIS_OK) {
        free(w);
        return st;
    }
    *out = w;
    return AIS_OK;
}

void ais_weather_forecast_ingest_free(ais_weather_forecast_ingest *w)
{
    if (w == NULL)
        return;
    ais_weather_ingest_free(w->inner);
    free(w);
}

ais_status ais_weather_forecast_ingest_body(ais_weather_forecast_ingest *w,
                                            const ais_weather_province *province,
                                            const char *query, const char *origin,
                                            const char *body, size_t len, int64_t fetch_time)
{
    if (w == NULL || province == NULL || body == NULL)
        return AIS_ERR_INVALID_ARG;
    bool from_body = false;
    ais_status st =
        ais_weather_forecast_issue_time(body, len, fetch_time, &w->issue_time, &from_body);
    if (st != AIS_OK)
        return st;
    /* fetched in the hour after the window (weather_forecast.h) */
    w->in_window = w->issue_time >= w->env->window_start &&
                   w->issue_time < w->env->window_end + AIS_SECONDS_PER_HOUR;
    return ais_weather_ingest_body(w->inner, province->name, province->slug, query, origin, body,
                                   len);
}

/* ------------------------------------------------------------------------------------------ */
/* Simulated forecasts                                                                        */

static uint64_t province_key(const ais_weather_province *p)
{
    return ais_fnv1a64(p->slug, strlen(p->slug));
}

static double round_to(double v, double scale)
{
    return round(v * scale) / scale;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

ais_status ais_weather_forecast_sim_hour(uint64_t seed, const ais_weather_province *province,
                                         int64_t issue_time, int64_t valid_time,
                                         ais_weather_sim_hour *out)
{
    if (province == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_weather_sim_hour_get(seed, province, valid_time, out);
    if (st != AIS_OK || valid_time <= issue_time)
        return st;
    double s = (double)(valid_time - issue_time) / AIS_SECONDS_PER_HOUR / ERROR_LEAD_SCALE_H;
    uint64_t a = ais_noise_hash4(seed, STREAM_FORECAST, province_key(province),
                                 (uint64_t)issue_time);
    uint64_t b = (uint64_t)valid_time;
    ais_weather_hour *h = &out->hour;
    h->temp_c = round_to(clamp(h->temp_c + 1.0 * s * ais_noise_normalish(seed, 1, a, b), -89.0,
                               59.0),
                         10.0);
    h->humidity = (long)clamp((double)h->humidity +
                                  round(5.0 * s * ais_noise_normalish(seed, 2, a, b)),
                              1.0, 100.0);
    h->wind_kph = round_to(
        fmax(0.0, h->wind_kph * (1.0 + 0.2 * s * ais_noise_normalish(seed, 3, a, b))), 10.0);
    h->pressure_mb = round_to(
        clamp(h->pressure_mb + 1.5 * s * ais_noise_normalish(seed, 4, a, b), 851.0, 1099.0),
        10.0);
    h->precip_mm = round_to(
        fmax(0.0, h->precip_mm * (1.0 + 0.5 * s * ais_noise_normalish(seed, 5, a, b))), 100.0);
    h->will_it_rain = (ais_opt_long){true, h->precip_mm > 0.0};
    return AIS_OK;
}

int64_t ais_weather_forecast_first_valid(int64_t issue_time, int utc_offset_hours)
{
    int64_t off = (int64_t)utc_offset_hours * AIS_SECONDS_PER_HOUR;
    int64_t local = issue_time + off;
    int64_t r = local % AIS_SECONDS_PER_DAY;
    return local - (r < 0 ? r + AIS_SECONDS_PER_DAY : r) - off;
}

ais_status ais_weather_forecast_simulate(uint64_t seed, const ais_weather_province *const *provinces,
                                         size_t n_provinces, unsigned issue_every_hours,
                                         int utc_offset_hours, const ais_envelope *env,
                                         const ais_sink *sink, uint64_t *events_out)
{
    if (provinces == NULL || n_provinces == 0 || issue_every_hours == 0 || env == NULL ||
        sink == NULL || events_out == NULL || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;
    *events_out = 0;
    int64_t every = (int64_t)issue_every_hours * AIS_SECONDS_PER_HOUR;
    int64_t r = ((env->window_start % every) + every) % every;
    int64_t first = r != 0 ? env->window_start + every - r : env->window_start;
    for (int64_t issue = first; issue < env->window_end; issue += every) {
        int64_t v0 = ais_weather_forecast_first_valid(issue, utc_offset_hours);
        for (size_t i = 0; i < n_provinces; i++) {
            const ais_weather_province *p = provinces[i];
            char query[64];
            snprintf(query, sizeof query, "%.4f,%.4f", p->latitude, p->longitude);
            for (int k = 0; k < AIS_WEATHER_FORECAST_DAYS * 24; k++) {
                ais_weather_sim_hour sim;
                int64_t now;
                json_t *event = NULL;
                ais_status st = ais_weather_forecast_sim_hour(
                    seed, p, issue, v0 + (int64_t)k * AIS_SECONDS_PER_HOUR, &sim);
                if (st == AIS_OK)
                    st = ais_time_now(&now, NULL);
                if (st == AIS_OK)
                    st = ais_weather_forecast_event_new(env, p->name, p->slug, query,
                                                        &sim.location, &sim.hour, issue, now,
                                                        &event);
                if (st == AIS_OK)
                    st = ais_sink_write(sink, event);
                json_decref(event);
                if (st != AIS_OK)
                    return st;
                (*events_out)++;
            }
        }
    }
    return AIS_OK;
}
