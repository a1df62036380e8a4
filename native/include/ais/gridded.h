/* What the three gridded sources (sentinel5p, maiac, era5) share: running statistics over
 * pixels, where their events go, and the file loop of their replays.
 *
 * Statistics are over the pixels whose centre lies in a box (edges included): count, mean,
 * population standard deviation (divisor n, as numpy's default), min, max; Welford's update,
 * so a single pass over any number of pixels stays exact to double rounding.
 *
 * File loop (replay, and live mode after its downloads): every file is decoded on its own; a
 * file that cannot be decoded (truncated, corrupt, not the expected product, a variable
 * missing, or, when out->isolate is set, a decoder that crashed, hung or hit a limit in its
 * child process) becomes ONE dead letter with a stable reason code, the path and the file's
 * sha256 (the file itself is left where it is, nothing is lost), and the loop goes on with the
 * next file. At the end,
 * any such file makes the call return AIS_ERR_PARSE ("the window could not be completed"), so
 * the run exits 1 and does not advance its window state; the events of the good files are
 * written all the same (their ids are deterministic: the rerun replaces them). */
#ifndef AIS_GRIDDED_H
#define AIS_GRIDDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/airnow.h" /* ais_replay_stats */
#include "ais/config.h"
#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/fsutil.h"
#include "ais/progress.h"
#include "ais/simulate.h" /* ais_bbox */
#include "ais/sink.h"
#include "ais/status.h"

typedef struct ais_stat {
    uint64_t n;
    double mean, m2, min, max;
} ais_stat;

void ais_stat_add(ais_stat *s, double v);
/* population standard deviation; 0 for n < 2 */
double ais_stat_std(const ais_stat *s);
/* A decode buffer of megabytes, freed with free(): 2 MiB-aligned and marked for transparent
 * huge pages, so the kernel maps it in a few faults rather than one per 4 KiB page (per-page
 * faults and their bookkeeping were 40% of a MAIAC granule's decode time). Plain pages where
 * THP is off. NULL when out of memory or bytes is 0. */
void *ais_big_alloc(size_t bytes);
/* Chan's parallel combination: a becomes the statistics of a and b together. */
void ais_stat_merge(ais_stat *a, const ais_stat *b);

/* Sets <prefix>mean/min/max/std (JSON null when s->n == 0), e.g. prefix "stats_" or
 * "aod_047_". */
ais_status ais_stat_json_set(json_t *event, const char *prefix, const ais_stat *s);

/* lon in [west, east] and lat in [south, north] */
bool ais_bbox_contains(const ais_bbox *b, double lat, double lon);

/* "<key>.west/east/south/north" from the configuration; AIS_ERR_RANGE unless west < east and
 * south < north within -180..360 / -90..90. */
ais_status ais_bbox_from_config(const ais_config *cfg, const char *key, ais_bbox *out);

/* Where one run's events go. */
typedef struct ais_gridded_out {
    const ais_envelope *env; /* window and envelope of every event */
    const ais_sink *sink;
    ais_dlq *dlq;
    ais_replay_stats *stats; /* files_read, files_rejected, records_*, outside_window, events */
    uint64_t outside_area;   /* decoded files with no pixel in the area: no event */
    uint64_t skipped;        /* files of products not configured (e.g. S5P CH4): not read */
    /* Live mode: a file <local_dir>/<rel> is recorded (the events' file_path, the dead
     * letters' file) as <record_dir>/<rel>, the shared-store URI it was put at (ais/store.h).
     * Both NULL: files are recorded by the paths they were read from. */
    const char *local_dir;
    const char *record_dir;
    /* Each file decoded in a child process under these limits (ais-ingest's runs, from
     * ingest_decode.*: a decoder's crash, hang or limit hit is that file's dead letter); NULL:
     * decoded in this process. */
    const struct ais_decode_limits *isolate;
    /* One progress step per file of the loop (ais/progress.h); NULL: none. */
    ais_progress *progress;
} ais_gridded_out;

/* What events and dead letters name a file read from path (see local_dir/record_dir): a new
 * string in *out, freed by the caller. */
ais_status ais_gridded_file_ref(const ais_gridded_out *out, const char *path, char **ref);

/* Writes the event if its event_time is in the window (else counts outside_window). */
ais_status ais_gridded_emit(ais_gridded_out *out, json_t *event, int64_t event_time);

/* One dead letter for a whole file (raw = NULL: the file stays at path, named as
 * ais_gridded_file_ref names it); the detail ends with "; sha256=<64 hex>; size_bytes=<n>" of
 * the file as it was read ("; sha256=unavailable" when it cannot be read). */
ais_status ais_gridded_reject_file(ais_gridded_out *out, const char *path, const char *reason,
                                   const char *detail);

/* Every file under dir whose name ends with one of the suffixes (NULL-terminated list), sorted
 * by path. */
ais_status ais_gridded_list(const char *dir, const char *const *suffixes, ais_path_list *out,
                            char *errbuf, size_t errbuf_size);

/* The file loop's progress (out->progress): ais_gridded_progress_begin before the loop, then
 * ais_gridded_progress_file at the top of each file (the step is named by the file's name) and
 * ais_progress_end(out->progress, false) after the loop. */
void ais_gridded_progress_begin(ais_gridded_out *out, size_t n_files);
void ais_gridded_progress_file(ais_gridded_out *out, const char *path);

/* The end of a file loop: AIS_ERR_PARSE with errbuf naming the count if any file was
 * rejected, else AIS_OK. */
ais_status ais_gridded_finish(const ais_gridded_out *out, char *errbuf, size_t errbuf_size);

/* obj[key] = "YYYY-MM-DDTHH:MM:SSZ" */
ais_status ais_gridded_set_time(json_t *obj, const char *key, int64_t t);

/* A decoder's rejection: *reason = code (a stable dead-letter reason), detail = the formatted
 * text; returns AIS_ERR_PARSE. */
__attribute__((format(printf, 5, 6))) ais_status ais_gridded_fail(const char **reason,
                                                                  const char *code, char *detail,
                                                                  size_t detail_size,
                                                                  const char *fmt, ...);

/* Lower-case hex sha256 of a whole file (65 bytes with the NUL). */
ais_status ais_file_sha256(const char *path, char out[65], uint64_t *size_out);

#endif
