/* WeatherAPI.com hourly weather (topic weather_history): the history.json parser, the event
 * format, the replay of recorded bodies and the simulator.
 *
 * Event = envelope + the WEATHER_FIELDS of src/ais/tables.py:
 *   province query local_time time_epoch latitude longitude tz_id temp_c feelslike_c humidity
 *   dewpoint_c wind_kph wind_degree wind_dir gust_kph pressure_mb precip_mm cloud vis_km uv
 *   condition_code condition_text is_day will_it_rain chance_of_rain
 * event_id   "weather_<province slug>_<local time>", e.g. weather_ha_noi_2025-01-01T00:00 (the
 *            natural key of CONTRACTS.md section 2: province and local hour)
 * event_time the UTC start of the hour (the body's time_epoch)
 * available_at  one hour after the end of the local day: history.json serves whole local days,
 *            so an hour is known for certain only once its day is over (the hour is a point-in-
 *            time join key downstream; claiming earlier availability would leak the future)
 * latitude/longitude/tz_id are WeatherAPI's resolved location (location.lat/lon/tz_id).
 *
 * Parsing rules for a body (nothing in it is trusted):
 *  - not JSON, or JSON that is not an object: the whole body is rejected ("malformed_json");
 *    an API error body {"error":{...}} is "api_error"; no location object or no numeric
 *    lat/lon: "missing_location"; no forecast.forecastday array: "missing_forecastday";
 *  - each hour object is checked alone: time_epoch (integer) and time ("YYYY-MM-DD HH:MM", on
 *    the forecastday's date) are required; temp_c, humidity, wind_kph, pressure_mb and
 *    precip_mm are required numbers; the other fields may be absent (null in the event) but
 *    must have the right type when present. A missing required field is "missing_<field>", a
 *    wrong type "bad_type_<field>", an impossible value "out_of_range_<field>" (temperature
 *    outside -90..60 °C, humidity/cloud/chance_of_rain outside 0..100, wind_degree outside
 *    0..360, pressure outside 850..1100 mb, negative precipitation/wind/visibility, uv outside
 *    0..30, is_day/will_it_rain not 0/1); the metric value disagreeing with its imperial twin
 *    (temp_f, wind_mph, pressure_in, precip_in) is "unit_mismatch_<field>" (a body in the
 *    wrong units); a local time that disagrees with time_epoch by anything but one fixed UTC
 *    offset for the whole day is "time_mismatch". */
#ifndef AIS_WEATHER_H
#define AIS_WEATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/airnow.h" /* ais_replay_stats */
#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/sink.h"
#include "ais/status.h"

#define AIS_WEATHER_SOURCE "weatherapi"
#define AIS_WEATHER_MAX_BODY_BYTES (16u * 1024u * 1024u)
#define AIS_WEATHER_EVENT_ID_SIZE 160
#define AIS_WEATHER_LOCAL_TIME_SIZE 17 /* "2025-01-01 00:00" */
/* available_at = end of the local day + this */
#define AIS_WEATHER_HISTORY_LAG_SECONDS 3600

/* ------------------------------------------------------------------------------------------ */
/* Provinces                                                                                  */

/* One of the 24 default provinces and cities (CONTRACTS.md section 2), with the climate the
 * simulator uses. Temperatures in °C at the province's main city. */
typedef struct ais_weather_province {
    const char *name;     /* "Ha Noi" */
    const char *slug;     /* "ha_noi", used in event ids */
    double latitude;      /* the main city */
    double longitude;
    double temp_mean_c;   /* annual mean of the hourly temperature */
    double temp_amp_c;    /* half the difference between the warmest and coolest month */
    double warmest_doy;   /* day of year of the warmest time */
    double diurnal_range_c; /* mean daily max - min */
    double rh_mean;       /* annual mean relative humidity, % */
    double wet_peak_doy;  /* centre of the rainy season */
    double wet_half_days; /* half its length */
    double wind_mean_kph;
    double winter_wind_deg; /* prevailing direction in the dry season (from) */
    double summer_wind_deg; /* in the wet season */
} ais_weather_province;

size_t ais_weather_province_count(void);
/* index < count, else NULL. Index 0 is Ha Noi. */
const ais_weather_province *ais_weather_province_at(size_t index);
/* By name, ignoring case, spaces, '_' and '-' ("Ha_Noi", "ha noi", "HaNoi"); NULL if unknown. */
const ais_weather_province *ais_weather_province_find(const char *name);

/* Lower-case ASCII letters and digits, every other run of bytes one '_' ("Ha Noi" ->
 * "ha_noi"). AIS_ERR_RANGE if it does not fit; AIS_ERR_INVALID_ARG if nothing is left. */
ais_status ais_weather_slug(const char *name, char *out, size_t out_size);

/* ------------------------------------------------------------------------------------------ */
/* One hour                                                                                   */

typedef struct ais_opt_double {
    bool set;
    double v;
} ais_opt_double;

typedef struct ais_opt_long {
    bool set;
    long v;
} ais_opt_long;

/* Where the hours are (the body's location object). */
typedef struct ais_weather_location {
    char name[128];
    char tz_id[64]; /* "" if absent */
    double latitude, longitude;
} ais_weather_location;

typedef struct ais_weather_hour {
    char local_time[AIS_WEATHER_LOCAL_TIME_SIZE];
    int64_t time_epoch;         /* UTC start of the hour */
    int utc_offset_seconds;     /* local_time - time_epoch */
    double temp_c;
    long humidity;
    double wind_kph;
    double pressure_mb;
    double precip_mm;
    ais_opt_double feelslike_c, dewpoint_c, gust_kph, vis_km, uv;
    ais_opt_long wind_degree, cloud, condition_code, is_day, will_it_rain, chance_of_rain;
    char wind_dir[8];           /* "" if absent */
    char condition_text[96];    /* "" if absent */
    bool has_wind_dir, has_condition_text;
} ais_weather_hour;

typedef enum ais_weather_reject_scope {
    AIS_WEATHER_REJECT_BODY,  /* nothing in the body could be used */
    AIS_WEATHER_REJECT_RECORD /* one hour (or one forecastday) */
} ais_weather_reject_scope;

/* What the parser reports. on_hour gets each good hour; on_reject each bad hour or forecastday
 * (raw = that object as compact JSON) or a bad body (raw = the body). A callback's non-OK
 * status stops the parse and is returned. */
typedef struct ais_weather_visitor {
    void *ctx;
    ais_status (*on_hour)(void *ctx, const ais_weather_location *loc,
                          const ais_weather_hour *hour);
    ais_status (*on_reject)(void *ctx, ais_weather_reject_scope scope, const char *reason,
                            const char *detail, const char *raw, size_t raw_len);
} ais_weather_visitor;

/* Parses one history.json body (the rules in the header comment). Pure: no I/O, no global
 * state; reads exactly len bytes. Returns AIS_OK when every record was reported (bad ones
 * through on_reject), a callback's status, or AIS_ERR_NOMEM / AIS_ERR_INVALID_ARG. */
ais_status ais_weather_parse_history(const char *body, size_t len, const ais_weather_visitor *v);

/* "weather_<slug>_<YYYY-MM-DDTHH:MM>" from the province slug and "YYYY-MM-DD HH:MM". */
ais_status ais_weather_event_id(const char *slug, const char *local_time, char *out,
                                size_t out_size);

/* A new event (reference owned by the caller): envelope + the source fields. query may be NULL
 * (a recorded body does not say what was asked). ingest_time is metadata. */
ais_status ais_weather_event_new(const ais_envelope *env, const char *province, const char *slug,
                                 const char *query, const ais_weather_location *loc,
                                 const ais_weather_hour *hour, int64_t ingest_time,
                                 json_t **out);

/* ------------------------------------------------------------------------------------------ */
/* Replay and simulation                                                                      */

/* Turns history.json bodies into events, the one path of replay and live (so the same body gives
 * the same events): hours in env's window go to sink, the same event id twice in one run is
 * emitted once (identical copies counted in duplicates_merged; a differing copy is a dead letter
 * "conflicting_duplicate"), bad bodies and hours go to dlq. stats->files_read counts bodies. */
typedef struct ais_weather_ingest ais_weather_ingest;
ais_status ais_weather_ingest_new(const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                                 ais_replay_stats *stats, ais_weather_ingest **out);
/* province and slug name the body's place; query is what was asked ("21.0285,105.8542"), NULL
 * for a recording that does not say; origin (the file or the URL without secrets) is written
 * into dead letters. */
/* The same with another event per good hour (forecast.json, ais/weather_forecast.h): maker
 * builds it (*out NULL: the hour is outside the window, counted in outside_window) instead of
 * ais_weather_event_new's for an hour in env's window; dedup and dead letters as above. */
typedef struct ais_weather_event_maker {
    void *ctx;
    ais_status (*make)(void *ctx, const ais_envelope *env, const char *province, const char *slug,
                       const char *query, const ais_weather_location *loc,
                       const ais_weather_hour *hour, int64_t ingest_time, json_t **out);
} ais_weather_event_maker;
ais_status ais_weather_ingest_new_with(const ais_envelope *env, const ais_sink *sink,
                                       ais_dlq *dlq, ais_replay_stats *stats,
                                       const ais_weather_event_maker *maker,
                                       ais_weather_ingest **out);
ais_status ais_weather_ingest_body(ais_weather_ingest *w, const char *province, const char *slug,
                                   const char *query, const char *origin, const char *body,
                                   size_t len);
void ais_weather_ingest_free(ais_weather_ingest *w);

/* Every *.json under dir (recursively, path order) is one recorded body; its parent folder
 * names the province (the recorder wrote <Province>/<YYYY-MM-DD>.json, e.g. Ha_Noi/...). A
 * folder that is one of the 24 provinces gets its canonical name ("Ha Noi"); another folder
 * name is used with '_' read as a space. Events whose hour starts in env's window go to sink in
 * file order; the same event id twice in one run is emitted once (identical copies are counted
 * as duplicates_merged; a copy that differs is a dead letter "conflicting_duplicate"). Bad
 * bodies and hours go to dlq. AIS_ERR_IO if dir or a file cannot be read (errbuf says which).
 * progress (may be NULL): one step per file (ais/progress.h). */
ais_status ais_weather_replay(const char *dir, const ais_envelope *env, const ais_sink *sink,
                              ais_dlq *dlq, ais_replay_stats *stats, ais_progress *progress,
                              char *errbuf, size_t errbuf_size);

/* Live: WeatherAPI history.json (GET <base_url>/history.json?key=&q=<lat>,<lon>&dt=<local
 * date>) for every local day the window touches, day by day, and in each day for the first
 * n_provinces provinces (Ha Noi first), queried by the province's coordinates. Each body goes
 * through ais_weather_ingest_body (query "<lat>,<lon>", origin the URL without the key). A final
 * 4xx other than 401/403 (say WeatherAPI's 400 for a date it does not serve) is a dead letter
 * "http_<status>" with the body, and the run goes on; 401/403 (a bad key), retries exhausted (a
 * body cut short by the connection is retried like a 5xx) or an interruption end the run with
 * AIS_ERR_HTTP / AIS_ERR_INTERRUPTED (errbuf says why). A 2xx body rejected as a whole (not
 * JSON, an error object, no forecast) is a dead letter and then ends the run with AIS_ERR_PARSE
 * naming the URL without the key: the window is incomplete, so it is not recorded and the next
 * run asks again. Requests go through ais/live.h (the key is not sent to another origin). */
typedef struct ais_weather_live_params {
    const char *base_url;  /* runtime.weatherapi_base_url, no trailing '/' needed */
    const char *api_key;   /* secret WEATHER_API_KEY */
    int utc_offset_hours;  /* the provinces' local time (Vietnam: 7) */
    size_t n_provinces;    /* 1..ais_weather_province_count() */
} ais_weather_live_params;

struct ais_http_client;
ais_status ais_weather_live(struct ais_http_client *http, const ais_weather_live_params *p,
                            const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                            ais_replay_stats *stats, char *errbuf, size_t errbuf_size);

/* The one WeatherAPI GET of the live adapters (history.json here, forecast.json in
 * ais/weather_forecast.h): <base_url>/<endpoint>?key=<api_key, URL-encoded>&<params> through
 * ais_live_get. AIS_OK with *body (NUL-terminated, *len bytes, every secret replaced by "***";
 * the caller frees it) on a 2xx; AIS_OK with *body NULL when the answer went to dlq (a final 4xx
 * other than 401/403); else the failure with errbuf set. origin receives the URL without the key
 * (for dead letters and messages). */
ais_status ais_weather_live_get(struct ais_http_client *http, const char *base_url,
                                const char *api_key, const char *endpoint, const char *params,
                                ais_dlq *dlq, char **body, size_t *len, char *origin,
                                size_t origin_size, char *errbuf, size_t errsize);

/* Simulated weather (source "simulated"): a pure function of (seed, province, hour), the same
 * counter-based noise as the PM2.5 simulator, so windows overlap consistently.
 *
 *   temperature  annual cosine (per-province mean, amplitude and warmest day: Hanoi ~16.5 °C in
 *                January, ~30 °C in July; Ho Chi Minh City 26-29 °C all year; Lam Dong (Da
 *                Lat) ~18 °C) + a diurnal cycle (minimum near 06:00, maximum near 14:00 local)
 *                + synoptic value noise (48 h knots; bigger in the northern winter: cold surges)
 *                - rain cooling
 *   humidity     annual mean + wetter in the rainy season + the diurnal cycle mirrored (lowest
 *                in the afternoon), near saturation in rain; dew point from temperature and
 *                humidity (Magnus formula), never above the temperature
 *   rain         value noise on 6 h knots over a threshold that drops in the province's rainy
 *                season (northern and southern summer monsoon, central-coast autumn);
 *                intensity grows with the excess, up to tens of mm/h
 *   wind         prevailing monsoon direction (dry-season / wet-season) + noise, speed with an
 *                afternoon maximum, gusts 1.3-1.9 x
 *   pressure     sea level, higher in the cold season, a semi-diurnal tide (+-1.2 mb), noise
 *   clouds, visibility, uv, is_day (solar elevation), condition code/text (WeatherAPI's codes
 *   for the same cloud/rain classes), feels-like (heat index above 27 °C)
 * query is "<lat>,<lon>" of the province, tz_id "Asia/Ho_Chi_Minh". */
typedef struct ais_weather_sim_hour {
    ais_weather_location location;
    ais_weather_hour hour;
} ais_weather_sim_hour;

ais_status ais_weather_sim_hour_get(uint64_t seed, const ais_weather_province *province,
                                    int64_t hour_start, ais_weather_sim_hour *out);

/* One event per (hour, province) for the window's hours (hour-major) and provinces
 * 0..n_provinces-1 (1..ais_weather_province_count()). */
ais_status ais_weather_simulate(uint64_t seed, size_t n_provinces, const ais_envelope *env,
                                const ais_sink *sink, uint64_t *events_out);

#endif
