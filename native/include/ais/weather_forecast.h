/* WeatherAPI.com hourly forecasts (topic weather_forecast): `ais-ingest weather-forecast`.
 *
 * A forecast.json body (GET <base>/forecast.json?key=&q=<lat>,<lon>&days=3&aqi=no&alerts=no) has
 * the shape of history.json (ais/weather.h) with three forecastday items (today and the next two
 * local days, 24 hours each) and a `current` object. Its hours are read by the history parser,
 * ais_weather_parse_history, with the same rules and the same dead-letter reasons (a bad hour is
 * a dead letter "missing_temp_c", "out_of_range_humidity", ...; a bad body "malformed_json",
 * "api_error", "missing_location", "missing_forecastday").
 *
 * One event per (province, issue, valid hour) = the WEATHER_FORECAST_FIELDS of src/ais/tables.py:
 * the history event's fields (province query local_time time_epoch ... chance_of_rain) plus
 *   issue_time  the hour the forecast was issued, decided per body:
 *               - the body's current.last_updated_epoch (an integer, the time WeatherAPI last
 *                 updated the model run it serves) floored to the hour, when present: the
 *                 provider's own statement, the same for every client fetching during that
 *                 update, and reproducible from a recording (the simulated provider's past
 *                 windows depend on it);
 *               - else the fetch hour: the request time (UTC) floored to the hour.
 *               Never later than the fetch hour when it comes from a live request.
 *   lead_hours  (valid hour - issue hour) / 1 h; negative for the hours of today already past
 *               at the issue (forecast.json serves the whole local day), kept as WeatherAPI
 *               gives them.
 * event_id      "weather_forecast_<province slug>_<issue>_<valid>", both UTC hours written
 *               YYYY-MM-DDTHHZ, e.g. weather_forecast_ha_noi_2025-01-01T02Z_2025-01-02T05Z: a
 *               pure function of (province, issue_time, valid_time), so a re-fetch of the same
 *               issue merges in bronze.
 * event_time    the valid hour (UTC start, the hour's time_epoch).
 * available_at  issue_time: a forecast is known once issued.
 *
 * The window [start, end) of a live run selects issues: a run fetches in the hour after its
 * window (the scheduled runs end their window with the hour they start in), so it keeps a body
 * whose issue_time is in [start, end + 1 h); another body is read (its hours counted in
 * records_read and outside_window) but writes nothing: a past window fetched today finds today's
 * issue, not an archive. The valid hours are not filtered (they run up to three days past the
 * window). --mode simulate issues in [start, end). */
#ifndef AIS_WEATHER_FORECAST_H
#define AIS_WEATHER_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/weather.h"

#define AIS_WEATHER_FORECAST_DAYS 3
#define AIS_WEATHER_FORECAST_EVENT_ID_SIZE 96

/* The issue hour of a body (the rule above): *issue = floor_hour(current.last_updated_epoch)
 * and *from_body true when the body is a JSON object with an integer current.last_updated_epoch
 * in the calendar's range; else floor_hour(fetch_time) and *from_body false. Pure. */
ais_status ais_weather_forecast_issue_time(const char *body, size_t len, int64_t fetch_time,
                                           int64_t *issue, bool *from_body);

ais_status ais_weather_forecast_event_id(const char *slug, int64_t issue_time, int64_t valid_time,
                                         char *out, size_t out_size);

/* A new event (reference owned by the caller): ais_weather_event_new's fields with the
 * forecast's event_id, available_at = issue_time, issue_time and lead_hours. */
ais_status ais_weather_forecast_event_new(const ais_envelope *env, const char *province,
                                          const char *slug, const char *query,
                                          const ais_weather_location *loc,
                                          const ais_weather_hour *hour, int64_t issue_time,
                                          int64_t ingest_time, json_t **out);

/* One forecast.json body of one province into events: hours of a body whose issue is in env's
 * window go to sink (the same event id twice in one run is emitted once; a differing copy is a
 * dead letter "conflicting_duplicate"), bad bodies and hours go to dlq with origin (the URL
 * without secrets) as their file. stats->files_read counts bodies, files_rejected bodies
 * rejected as a whole. */
typedef struct ais_weather_forecast_ingest ais_weather_forecast_ingest;
ais_status ais_weather_forecast_ingest_new(const ais_envelope *env, const ais_sink *sink,
                                           ais_dlq *dlq, ais_replay_stats *stats,
                                           ais_weather_forecast_ingest **out);
ais_status ais_weather_forecast_ingest_body(ais_weather_forecast_ingest *w,
                                            const ais_weather_province *province,
                                            const char *query, const char *origin,
                                            const char *body, size_t len, int64_t fetch_time);
void ais_weather_forecast_ingest_free(ais_weather_forecast_ingest *w);

/* Live: for each of the n_provinces provinces, GET
 * <base_url>/forecast.json?key=<key>&q=<lat>,<lon>&days=3&aqi=no&alerts=no (the province's
 * coordinates, as weather --mode live sends them) through ais_weather_live_get (ais/weather.h:
 * the same HTTP path, redirects, secrets and dead letters as history.json), each body through
 * ais_weather_forecast_ingest_body with the request time as fetch_time. A final 4xx other than
 * 401/403 is a dead letter "http_<status>" and the run goes on; a 2xx body rejected as a whole
 * ends the run with AIS_ERR_PARSE after its dead letter (the window is incomplete). */
typedef struct ais_weather_forecast_live_params {
    const char *base_url; /* runtime.weatherapi_base_url */
    const char *api_key;  /* secret WEATHER_API_KEY */
    const ais_weather_province *const *provinces; /* weather_forecast.provinces */
    size_t n_provinces;
} ais_weather_forecast_live_params;

struct ais_http_client;
ais_status ais_weather_forecast_live(struct ais_http_client *http,
                                     const ais_weather_forecast_live_params *p,
                                     const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                                     ais_replay_stats *stats, char *errbuf, size_t errbuf_size);

/* Simulated forecast (source "simulated", nothing here is a forecast anyone made): the weather
 * simulator's hour at valid_time (ais_weather_sim_hour_get) with an error growing with the lead
 * (lead/24 h times a bounded normal-ish draw per (seed, province, issue, valid): 1.0 °C, 5 %
 * humidity, 20 % wind, 1.5 mb, 50 % precipitation at 24 h; none at or before the issue),
 * rounded as WeatherAPI writes them and kept in the parser's ranges. */
ais_status ais_weather_forecast_sim_hour(uint64_t seed, const ais_weather_province *province,
                                         int64_t issue_time, int64_t valid_time,
                                         ais_weather_sim_hour *out);

/* The valid hours of an issue: the UTC start of the local day (utc_offset_hours) holding the
 * issue hour, then AIS_WEATHER_FORECAST_DAYS * 24 hours (forecast.json's days=3). */
int64_t ais_weather_forecast_first_valid(int64_t issue_time, int utc_offset_hours);

/* --mode simulate: an issue every issue_every_hours hours (on multiples of it since the epoch)
 * in env's window, for each province, every valid hour of the issue. */
ais_status ais_weather_forecast_simulate(uint64_t seed, const ais_weather_province *const *provinces,
                                         size_t n_provinces, unsigned issue_every_hours,
                                         int utc_offset_hours, const ais_envelope *env,
                                         const ais_sink *sink, uint64_t *events_out);

#endif
