/* The ais-traj commands and the helpers they share. Each command returns the status the
 * program maps to its exit code, and prints exactly one JSON summary line (see main.c). */
#ifndef AIS_TRAJ_COMMANDS_H
#define AIS_TRAJ_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/log.h"
#include "ais/met.h"
#include "ais/status.h"
#include "ais/traj_cli.h"

ais_status ais_traj_cmd_run(const ais_traj_args *args, ais_logger *logger);
ais_status ais_traj_cmd_simulate_met(const ais_traj_args *args, ais_logger *logger);
ais_status ais_traj_cmd_arl_info(const ais_traj_args *args, ais_logger *logger);
ais_status ais_traj_cmd_met_from_era5(const ais_traj_args *args, ais_logger *logger);
ais_status ais_traj_cmd_parse_tdump(const ais_traj_args *args, ais_logger *logger);

/* Adds "status" ("ok" or "error") and, on failure, "error" to summary, prints it as one line on
 * stdout, or on stderr when points_on_stdout (the points own stdout then), and releases it.
 * Returns outcome, or AIS_ERR_IO/AIS_ERR_JSON if the summary itself cannot be written. */
ais_status ais_traj_print_summary(json_t *summary, ais_status outcome, const char *error,
                                  bool points_on_stdout);

/* Loads the configuration (path NULL = default lookup) and applies it to the logger. On failure
 * error gets a one-line message. */
ais_status ais_traj_load_config(const char *path, ais_logger *logger, ais_config **cfg,
                                char *error, size_t error_size);

/* Opens path for writing, or stdout for "-" (*is_stdout set). error gets a message on failure. */
ais_status ais_traj_open_output(const char *path, FILE **out, bool *is_stdout, char *error,
                                size_t error_size);

/* Flushes and closes (stdout is flushed only); AIS_ERR_IO if anything failed. */
ais_status ais_traj_close_output(FILE *out, bool is_stdout);

/* Summary fields describing a met grid: met_source, met_simulated, nx, ny, nz, nt, first and
 * last time, levels. */
ais_status ais_traj_describe_met(json_t *summary, const ais_met_grid *grid);

/* Seconds on the monotonic clock, for the timings in summaries. */
double ais_traj_now_s(void);

#endif
