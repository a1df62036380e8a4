/* Landing-file sink: the embedded profile's bus.
 *
 * Events are written as JSON lines to
 *
 *   <landing_dir>/<topic>/part-<window start>-<window end>-<hash>.jsonl
 *
 * with the window bounds as UTC "yyyymmddTHHMMSSZ" and <hash> 8 hex digits of a hash of the
 * file's bytes. Each batch (up to batch_max_events events) becomes one file, written first as
 * ".<final name>.tmp" in the same folder (Spark's file source ignores dot-files), fsync'ed, then
 * renamed, and the folder fsync'ed. A reader therefore sees a whole file or none. A rerun with
 * identical content produces the same name, and rename replaces it with identical bytes.
 *
 * On a failure (disk full, permission, ...) the temporary file is removed, no file appears under
 * the final name, and the sink stays failed: later writes and flushes return the same status.
 * Files already renamed stay: each is a complete batch, and bronze deduplicates on event_id.
 *
 * Numbers are written with 15 significant digits, which prints every decimal of up to 15 digits
 * in its shortest form (45.3, not 45.299999999999997); no measurement we carry has more. */
#ifndef AIS_LANDING_H
#define AIS_LANDING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/sink.h"
#include "ais/status.h"

#define AIS_LANDING_DEFAULT_BATCH_EVENTS 50000

typedef struct ais_landing_options {
    const char *landing_dir; /* created with its parents if missing */
    const char *topic;       /* one path segment, e.g. "openaq-hourly" */
    int64_t window_start;    /* epoch seconds, only used in file names */
    int64_t window_end;
    size_t batch_max_events; /* 0 means AIS_LANDING_DEFAULT_BATCH_EVENTS */
} ais_landing_options;

typedef struct ais_landing_stats {
    uint64_t events_written; /* events in files that reached their final name */
    uint64_t files_written;
} ais_landing_stats;

typedef struct ais_landing ais_landing;

/* Validates the options, creates <landing_dir>/<topic>, and returns a sink the caller releases
 * with ais_landing_free. The options' strings are copied. If the folder cannot be created the
 * result is AIS_ERR_IO with errno set by the failing call. */
ais_status ais_landing_open(const ais_landing_options *opts, ais_landing **out);

/* Buffers one event (a JSON object; the caller keeps its reference). Writes a file when the
 * batch is full. */
ais_status ais_landing_write(ais_landing *sink, const json_t *event);

/* Writes the pending partial batch, if any. Call once after the last event. */
ais_status ais_landing_flush(ais_landing *sink);

ais_status ais_landing_get_stats(const ais_landing *sink, ais_landing_stats *out);

/* One-line description of the last failure ("" if none), owned by the sink. Contains paths and
 * the system error, never event content. */
const char *ais_landing_error(const ais_landing *sink);

/* Fills *out so that ais_sink_write goes to this landing sink (borrowed, not owned). */
ais_status ais_landing_as_sink(ais_landing *sink, ais_sink *out);

/* Releases the sink. Events buffered since the last file are discarded, not written: call
 * ais_landing_flush first. NULL is a no-op. */
void ais_landing_free(ais_landing *sink);

#endif
