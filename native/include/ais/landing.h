/* Landing-file sink: the embedded profile's bus.
 *
 * Events are written as JSON lines to
 *
 *   <landing_dir>/<topic>/part-<window start>-<window end>-<hash>.jsonl
 *
 * with the window bounds as UTC "yyyymmddTHHMMSSZ" and <hash> 8 hex digits of a hash of the
 * file's bytes. Each batch (up to batch_max_events events) becomes one file, written first to a
 * temporary dot-file of its own (".part-<window start>-<pid>-<n>.tmp", created with O_EXCL, so
 * no two writers ever share one; Spark's file source ignores dot-files), fsync'ed, then given
 * its final name with link(2), which claims a name only if no file has it, and the folder
 * fsync'ed. A reader therefore sees a whole file or none, and no writer (another thread,
 * process or rerun in the same folder) ever replaces a file another one landed: when the name
 * is taken, a file with the very same bytes means the batch is already there (a rerun with
 * identical content: nothing is added, files_already_present counts it), and a file with other
 * bytes (two batches whose 32-bit hashes meet) sends the batch to its next candidate name
 * (the hash of the bytes and the candidate number), up to 64 candidates. The folder must be on
 * a file system with hard links (every local Linux one: ext4, xfs, btrfs, tmpfs, overlayfs).
 * A crash between the link and the removal of the dot-file leaves that dot-file behind.
 *
 * On a failure (disk full, permission, ...) the temporary file is removed, no file appears under
 * the final name, and the sink stays failed: later writes and flushes return the same status.
 * Files already landed stay: each is a complete batch, and bronze deduplicates on event_id.
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
    uint64_t files_written;  /* batches landed, files_already_present included */
    uint64_t files_already_present; /* batches whose identical file was already there */
    uint64_t name_clashes;   /* names found holding another batch's bytes (then skipped) */
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
