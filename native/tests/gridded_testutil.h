/* Helpers of the gridded-source tests (test_maiac*, test_s5p*, test_era5*): a sink that keeps
 * events in a JSON array, a dead-letter reporter on another one, a window, the shared data. */
#ifndef AIS_GRIDDED_TESTUTIL_H
#define AIS_GRIDDED_TESTUTIL_H

#include "testutil.h"

#include "ais/gridded.h"

typedef struct gt_run {
    json_t *events;  /* array */
    json_t *letters; /* array of dead letters */
    ais_sink sink, dlq_sink;
    ais_dlq dlq;
    ais_envelope env;
    ais_replay_stats stats;
    ais_gridded_out out;
} gt_run;

/* A sink write function that appends a copy of each event to the JSON array ctx. */
ais_status gt_keep(void *ctx, const json_t *ev);

/* window [start, end) (ISO), source as the envelope's */
void gt_run_init(gt_run *r, const char *source, const char *start, const char *end);
void gt_run_free(gt_run *r);

/* <shared data>/<name>, or NULL (after a SKIP message) if absent. Caller frees. */
char *gt_shared_dir(const char *name);

/* Copies the first keep bytes of src to dst (a truncated download). */
void gt_copy_prefix(const char *src, const char *dst, long keep);

/* The dead letter reasons, comma-joined in order (caller frees). */
char *gt_reasons(const gt_run *r);

#endif
