/* The event envelope every source carries (CONTRACTS.md section 2):
 *
 *   event_id source event_time ingest_time available_at schema_version quality_flags
 *   window_mode window_start_utc window_end_utc trace{request_id, producer, retry_count}
 */
#ifndef AIS_ENVELOPE_H
#define AIS_ENVELOPE_H

#include <stdint.h>

#include <jansson.h>

#include "ais/status.h"

#define AIS_SCHEMA_VERSION "v1"
#define AIS_REQUEST_ID_SIZE 17 /* 16 hex digits + NUL */

/* What is common to all events of one run. The strings are borrowed (normally literals). */
typedef struct ais_envelope {
    const char *source;      /* "simulated" for generated data, else the real source */
    const char *window_mode; /* "batch" */
    int64_t window_start;    /* epoch seconds, the run's window [start, end) */
    int64_t window_end;
    char request_id[AIS_REQUEST_ID_SIZE];
    int retry_count;
} ais_envelope;

/* 16 lower-case hex digits from the kernel's random source (getrandom). */
ais_status ais_request_id_new(char out[AIS_REQUEST_ID_SIZE]);

/* Fills env for a run with a new random request id and retry_count 0. */
ais_status ais_envelope_init(ais_envelope *env, const char *source, const char *window_mode,
                             int64_t window_start, int64_t window_end);

/* A new JSON object (reference owned by the caller) holding the envelope keys in contract order
 * with quality_flags = []. The source then appends its own keys and flags. */
ais_status ais_event_new(const ais_envelope *env, const char *event_id, int64_t event_time,
                         int64_t available_at, int64_t ingest_time, json_t **out);

/* Appends a flag to the event's quality_flags array. */
ais_status ais_event_add_quality_flag(json_t *event, const char *flag);

#endif
