/* OpenAQ hourly PM2.5 events (topic openaq-hourly), the same format whether the hour comes from
 * the live API (/v3/sensors/{id}/hours), a replayed recording, or the simulator. */
#ifndef AIS_OPENAQ_H
#define AIS_OPENAQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/envelope.h"
#include "ais/status.h"

#define AIS_OPENAQ_TOPIC "openaq-hourly"
/* OpenAQ publishes an hour's aggregate some minutes after the hour ends; available_at models it
 * so point-in-time joins never see an hour before it could have been known. */
#define AIS_OPENAQ_PUBLICATION_LAG_SECONDS 600
/* Below this coverage an hour carries the quality flag "low_coverage" (CONTRACTS.md QC rule). */
#define AIS_OPENAQ_MIN_COVERAGE_PCT 50.0
#define AIS_OPENAQ_EVENT_ID_SIZE 128

/* One sensor-hour. Strings are borrowed. */
typedef struct ais_openaq_hour {
    int64_t location_id;
    int64_t sensor_id;
    const char *location_name;
    const char *parameter; /* "pm25" */
    const char *units;     /* "µg/m³" */
    bool has_value;        /* false: value is written as null */
    double value;
    double latitude;
    double longitude;
    int64_t hour_start; /* epoch seconds on an hour boundary: datetime_from_utc */
    int expected_count; /* readings the hour should hold (> 0) */
    int observed_count; /* 0..expected_count */
} ais_openaq_hour;

/* "openaq_<location>_<sensor>_<parameter>_<hour start ISO>", the natural key. */
ais_status ais_openaq_event_id(int64_t location_id, int64_t sensor_id, const char *parameter,
                               int64_t hour_start, char *out, size_t out_size);

/* A new event object (reference owned by the caller): the envelope from env, then the OpenAQ
 * fields. ingest_time is the wall-clock time of writing (metadata only). */
ais_status ais_openaq_event_new(const ais_envelope *env, const ais_openaq_hour *hour,
                                int64_t ingest_time, json_t **out);

/* ------------------------------------------------------------------------------------------ */
/* Live: the OpenAQ v3 API                                                                    */

#define AIS_OPENAQ_LIVE_SOURCE "openaq"

struct ais_http_client;
struct ais_sink;
struct ais_dlq;
struct ais_replay_stats;

/* One /sensors/{id}/hours result page (the body as served). Pure: no I/O. For each result whose
 * period starts in [window_start, window_end) on an hour boundary, on_hour gets the hour (strings
 * borrowed for the call; location fields come from loc); results outside the window are counted
 * in *outside. A result that cannot be read is reported to on_reject with a reason:
 * "missing_period", "bad_period" (not a one-hour period on an hour boundary), "bad_type_value",
 * "missing_coverage" / "bad_coverage" (expectedCount < 1 or observedCount outside
 * 0..expectedCount), "parameter_mismatch" (not the sensor's parameter). A body that is not
 * JSON or has no results array is AIS_ERR_PARSE with reason set ("malformed_json",
 * "missing_results"); *results_out is the number of results on the page. */
typedef struct ais_openaq_sensor_ref {
    int64_t location_id;
    const char *location_name;
    double latitude, longitude;
    int64_t sensor_id;
    const char *parameter; /* "pm25" */
    const char *units;     /* the sensor's units */
} ais_openaq_sensor_ref;

typedef struct ais_openaq_hours_visitor {
    void *ctx;
    ais_status (*on_hour)(void *ctx, const ais_openaq_hour *hour);
    ais_status (*on_reject)(void *ctx, const char *reason, const char *detail, const char *raw,
                            size_t raw_len);
} ais_openaq_hours_visitor;

ais_status ais_openaq_parse_hours(const char *body, size_t len, const ais_openaq_sensor_ref *ref,
                                  int64_t window_start, int64_t window_end,
                                  const ais_openaq_hours_visitor *v, size_t *results_out,
                                  uint64_t *outside, const char **reason);

typedef struct ais_openaq_live_params {
    const char *base_url;     /* runtime.openaq_base_url */
    const char *api_key;      /* secret OPENAQ_API_KEY, sent as X-API-Key */
    double west, south, east, north; /* hanoi.bbox */
    const char *countries_id; /* openaq.countries_id: "" to search the bbox */
    const char *const *parameters; /* openaq.parameters */
    size_t n_parameters;
    unsigned page_limit;      /* openaq.page_limit: results per page */
    unsigned max_pages;       /* openaq.max_pages: more pages fail the run */
} ais_openaq_live_params;

/* GET /locations (bbox=west,south,east,north or countries_id=, every page), keep each sensor
 * whose parameter is listed, then GET /sensors/{id}/hours?datetime_from=&datetime_to= over the
 * window, every page; every hour in the window becomes an event (ais_openaq_event_new: id,
 * coverage and low_coverage flag as for replay), bad results and bad pages go to dlq, a final
 * 4xx (not 401/403) is a dead letter "http_<status>". stats: files_read = pages read,
 * records_read = hour results, records_rejected, outside_window, duplicates_merged (an hour a
 * later page gave again), events. Fails with AIS_ERR_HTTP/AIS_ERR_INTERRUPTED (errbuf) when a
 * page cannot be had; AIS_ERR_RANGE when a listing exceeds max_pages.
 *
 * No partial window: a page that is not a JSON object with a results array (after its dead
 * letter), a body cut short (retried, then AIS_ERR_HTTP), or a final 4xx on any page but a
 * sensor's first fails the run with errbuf naming the page's URL, so the window is not recorded
 * and the next run asks again. A final 4xx on a sensor's first page (say 404: the sensor is
 * gone) is a dead letter and the other sensors go on: that sensor gave nothing, not part of its
 * hours. Requests go through ais/live.h: X-API-Key is not sent to another origin. */
ais_status ais_openaq_live(struct ais_http_client *http, const ais_openaq_live_params *p,
                           const ais_envelope *env, const struct ais_sink *sink,
                           struct ais_dlq *dlq, struct ais_replay_stats *stats, char *errbuf,
                           size_t errbuf_size);

#endif
