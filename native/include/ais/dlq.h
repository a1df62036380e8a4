/* Dead letters: input that could not become an event, kept with the reason (ARCHITECTURE.md
 * principle 6: bad input loses nothing). Each dead letter is one JSON object
 *
 *   {"dlq_id": "dlq_<16 hex>", "source": "airnow", "source_topic": "openaq-hourly",
 *    "reason": "bad_date", "detail": "...", "raw": "<the offending bytes>", "raw_truncated": false,
 *    "file": "<path>", "line": 42, "event_id": null, "recorded_at": "...Z",
 *    "request_id": "...", "producer": "ais-ingest/x.y.z"}
 *
 * written to the dead-letter sink: landing files under <landing_dir>/ais-dlq/, or the Kafka topic
 * ais-dlq (kafka.topics.dlq). "reason" is a stable snake_case code, counted per run for the
 * summary's rejected_by_reason; "detail" is free text for people. dlq_id is a hash of source,
 * source_topic, reason, file, line and raw, so replaying the same bad input gives the same id
 * (and the same Kafka key). */
#ifndef AIS_DLQ_H
#define AIS_DLQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/sink.h"
#include "ais/status.h"

/* raw is cut to this many bytes (a whole malformed file body would not help anyone more) */
#define AIS_DLQ_RAW_MAX 65536
#define AIS_DLQ_ID_SIZE 21 /* "dlq_" + 16 hex + NUL */

typedef struct ais_dead_letter {
    const char *reason;   /* required: stable code such as "bad_date", "missing_temp_c" */
    const char *detail;   /* optional free text */
    const char *raw;      /* the offending bytes (any bytes, NUL included); may be NULL */
    size_t raw_len;
    const char *file;     /* input file, NULL if none */
    long line;            /* 1-based line in file, 0 if not applicable */
    const char *event_id; /* set for events that failed delivery, else NULL */
} ais_dead_letter;

/* A new dead-letter object (reference owned by the caller). source, source_topic and
 * request_id are copied into the record; recorded_at is an epoch (metadata only). */
ais_status ais_dead_letter_json(const char *source, const char *source_topic,
                                const char *request_id, const ais_dead_letter *dl,
                                int64_t recorded_at, json_t **out);

/* The per-run reporter adapters call for every record they reject. */
typedef struct ais_dlq {
    const ais_sink *sink;     /* borrowed; where the records go */
    const char *source;       /* borrowed: "airnow", "weatherapi", ... */
    const char *source_topic; /* borrowed: the topic the input was meant for */
    const char *request_id;   /* borrowed */
    json_t *by_reason;        /* owned: reason -> count */
    uint64_t rejected;        /* records reported */
    uint64_t written;         /* records the sink accepted */
} ais_dlq;

/* All strings are borrowed and must outlive the reporter. Release with ais_dlq_release. */
ais_status ais_dlq_init(ais_dlq *dlq, const ais_sink *sink, const char *source,
                        const char *source_topic, const char *request_id);

/* Counts the reason and writes the record. A sink failure is returned (and the record stays
 * counted as rejected but not written): the caller must then fail the run, since the record
 * would otherwise be lost. */
ais_status ais_dlq_reject(ais_dlq *dlq, const ais_dead_letter *dl);

/* Adds n to reason's count without writing anything (for records a sink reports itself). */
ais_status ais_dlq_count(ais_dlq *dlq, const char *reason, uint64_t n);

void ais_dlq_release(ais_dlq *dlq);

#endif
