/* Progress a person can read, for the long runs of the native programs (a replay over a folder
 * of files, the gridded backfills): one line per finished step on stderr,
 *
 *   [3/31] maiac MCD19A2.A2025003.h28v07.061.2025005.hdf … 1.2 s (~34 s left)
 *
 * the same line format as the Python side's src/ais/progress.py ("[i/n] label … 1.2 s", "[i]"
 * when the count is unknown, "failed after 1.2 s" for a step that ended the run), plus the time
 * left (the mean time of the steps so far times the steps left) while steps remain.
 *
 * The log format decides who reads stderr (AIS_LOG_FORMAT, as `ais --log-format`): "human"
 * prints these lines; "json" prints none and logs each step as a JSON line instead
 * (event step_done / step_failed: command, step, index, total, seconds). Without
 * AIS_LOG_FORMAT the format is json inside a Kubernetes pod (KUBERNETES_SERVICE_HOST) or an
 * Airflow task (AIRFLOW_CTX_DAG_ID), whose collectors read stderr, and human otherwise. */
#ifndef AIS_PROGRESS_H
#define AIS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "ais/log.h"

typedef enum ais_log_format { AIS_LOG_FORMAT_HUMAN, AIS_LOG_FORMAT_JSON } ais_log_format;

/* The format from the environment, by the rules above. */
ais_log_format ais_log_format_from_env(void);

typedef struct ais_progress {
    const char *command; /* the label's first word: "maiac", "era5", ... (borrowed) */
    ais_log_format format;
    FILE *out;          /* where human lines go (stderr) */
    ais_logger *logger; /* where json steps go (may be NULL: then nothing) */
    size_t total;       /* 0: not known */
    size_t done;
    double seconds; /* sum over the steps done */
    bool running;   /* a step is under way */
    char label[256];
    struct timespec started;
} ais_progress;

/* A progress for command in format; out NULL means stderr. Counts nothing yet. */
void ais_progress_init(ais_progress *p, const char *command, ais_log_format format, FILE *out,
                       ais_logger *logger);

/* The number of steps to come (0: unknown). Every function takes p NULL as "no progress". */
void ais_progress_begin(ais_progress *p, size_t total);

/* Ends the step under way (if any) as done, then starts the step named label. */
void ais_progress_next(ais_progress *p, const char *label);

/* Ends the step under way, if any: done, or failed (the run stops there). */
void ais_progress_end(ais_progress *p, bool failed);

/* "[index/total] label … 1.2 s" ("[index]" when total is 0, "failed after " before the time),
 * then " (~1 min 20 s left)" / " (~34 s left)" when eta_seconds >= 0.5. */
void ais_progress_format_line(char *buf, size_t size, size_t index, size_t total,
                              const char *label, double seconds, bool failed, double eta_seconds);

#endif
