/* Persisted window state: where the last successful run of a source ended, so that a rerun
 * without --start continues there (ARCHITECTURE.md "Source modes": a persisted window
 * checkpoint so a rerun does not duplicate).
 *
 * One small JSON file per source, <state_dir>/<source>.json (default state_dir:
 * <project root>/var/state/ingest), replaced atomically (temporary file, fsync, rename):
 *
 *   {"source": "openaq", "windows": {"replay/landing": {"last_window_start_utc": "...Z",
 *     "last_window_end_utc": "...Z", "next_start_utc": "...Z", "events_written": 720,
 *     "request_id": "...", "updated_at": "...Z"}, "simulate/kafka": {...}}}
 *
 * Each "<mode>/<sink>" pair continues on its own: a replay into landing files says nothing about
 * what a simulation sent to Kafka. next_start_utc only moves forward: an explicit backfill of an
 * older window is recorded as the last window but does not rewind the continuation point.
 * A state file that is not what this module writes is an error, never silently reset. */
#ifndef AIS_WINDOW_STATE_H
#define AIS_WINDOW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/status.h"

typedef struct ais_window_state {
    bool found;         /* false: no state for this source and key yet */
    int64_t next_start; /* epoch seconds */
    int64_t last_start;
    int64_t last_end;
} ais_window_state;

/* An exclusive lock on <dir>/<source>.lock (flock), held for a whole run so two runs of the
 * same source cannot both continue from the same point. Creates dir if needed. AIS_ERR_BUSY if
 * another process holds it. Release with ais_window_lock_release (NULL is a no-op). */
typedef struct ais_window_lock ais_window_lock;
ais_status ais_window_lock_acquire(const char *dir, const char *source, ais_window_lock **out);
void ais_window_lock_release(ais_window_lock *lock);

/* Path of the state file: "<dir>/<source>.json". Caller frees. */
ais_status ais_window_state_path(const char *dir, const char *source, char **out);

/* Reads the state of key ("replay/landing") for source. A missing file or key gives AIS_OK with
 * found = false. AIS_ERR_PARSE if the file is not valid state (errbuf says why); AIS_ERR_IO if it
 * cannot be read. */
ais_status ais_window_state_load(const char *dir, const char *source, const char *key,
                                 ais_window_state *out, char *errbuf, size_t errbuf_size);

/* Records a successful window [start, end) for key, keeping the other keys of the file. */
ais_status ais_window_state_save(const char *dir, const char *source, const char *key,
                                 int64_t start, int64_t end, uint64_t events_written,
                                 const char *request_id, char *errbuf, size_t errbuf_size);

#endif
