/* Helpers of the gridded-source tests (test_maiac*, test_s5p*, test_era5*, test_gridded_cli,
 * test_decode_isolation): a sink that keeps events in a JSON array, a dead-letter reporter on
 * another one, a window, the shared data, the hand-made S5P swath, an ais-ingest run. */
#ifndef AIS_GRIDDED_TESTUTIL_H
#define AIS_GRIDDED_TESTUTIL_H

#include "testutil.h"

#include <math.h>
#include <stdbool.h>

#include "ais/gridded.h"
#include "ais/s5p.h"

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

/* The hand-made Sentinel-5P swath of the tests: GT_S5P_NS scanlines of GT_S5P_NP ground pixels
 * over Hanoi, pixel (s, p) at gt_s5p_lat/lon with value gt_s5p_value, qa gt_s5p_qa, a fill value
 * where gt_s5p_fill (these formulas are the expected values' source too). */
#define GT_S5P_NS 20
#define GT_S5P_NP 10
static inline double gt_s5p_lat(int s, int p) { return 20.025 + 0.1 * s + 0.002 * p; }
static inline double gt_s5p_lon(int s, int p) { return 105.025 + 0.1 * p + 0.001 * s; }
static inline int gt_s5p_qa(int s, int p) { return (s * 37 + p * 11) % 101; }
static inline bool gt_s5p_fill(int s, int p) { return (s + 2 * p) % 13 == 0; }
static inline double gt_s5p_value(int s, int p)
{
    return 1.0e-4 * (1.0 + 0.5 * sin(s * 0.7) + 0.05 * p);
}

/* Writes that swath to path in the S5P L2 layout (the provider simulator's writer,
 * ais_s5p_swath_write), sensing from start (ISO) to 2026-10-15T06:40:00Z, orbit 46001.
 * all_good: every pixel qa 100 and none filled (the formulas' qa and fill otherwise). */
void gt_write_s5p(const char *path, ais_s5p_product product, const char *start, bool all_good);

/* One `ais-ingest` run of the command-line tests: exit code, the stdout summary, stderr. */
typedef struct gt_cli_result {
    int code;
    json_t *summary;
    char *err;
} gt_cli_result;

/* Runs ais-ingest <args...> --sink landing --landing-dir <tmp>/landing --state-dir <tmp>/state
 * --config config with extra_env ("NAME=value", NULL-terminated, may be NULL); fails the test
 * if stdout is not one JSON summary. */
gt_cli_result gt_cli_run(const char *tmp, const char *config, const char *const *args,
                         const char *const *extra_env);
void gt_cli_result_free(gt_cli_result *r);

#endif
