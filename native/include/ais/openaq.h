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

#endif
