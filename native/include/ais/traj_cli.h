/* Command line of `ais-traj`, parsed without side effects so it can be tested alone.
 *
 *   ais-traj [run] --met FILE.arl --start ISO --lat DEG --lon DEG [--height-m M] [--hours H]
 *                  [--run-id ID] [--out FILE.jsonl|-] [--runs-out FILE.jsonl] [--config PATH]
 *   ais-traj [run] --met FILE.arl --batch RUNS.jsonl|- [--out FILE.jsonl|-]
 *                  [--runs-out FILE.jsonl] [--config PATH]
 *   ais-traj simulate-met --start ISO --end ISO --out FILE.arl [--seed N] [--config PATH]
 *   ais-traj parse-tdump --tdump FILE --run-id ID [--out FILE.jsonl|-]
 *   ais-traj arl-info --met FILE.arl
 *   ais-traj met-from-era5 --grib PL.grib [--surface-grib SFC.grib] --out FILE.arl
 *                          [--config PATH]
 *   ais-traj --help | --version
 *
 * Flags take their value as the next argument (so "--hours -72" works) or after "=". The
 * program maps AIS_ERR_USAGE and AIS_ERR_NOT_IMPLEMENTED to exit code 2. */
#ifndef AIS_TRAJ_CLI_H
#define AIS_TRAJ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/status.h"

typedef enum ais_traj_command {
    AIS_TRAJ_CMD_RUN,
    AIS_TRAJ_CMD_SIMULATE_MET,
    AIS_TRAJ_CMD_PARSE_TDUMP,
    AIS_TRAJ_CMD_ARL_INFO,
    AIS_TRAJ_CMD_MET_FROM_ERA5,
    AIS_TRAJ_CMD_HELP,
    AIS_TRAJ_CMD_VERSION
} ais_traj_command;

typedef struct ais_traj_args {
    ais_traj_command command;
    /* strings point into argv; NULL when not given */
    const char *config_path, *met_path, *out_path, *runs_out_path, *batch_path, *tdump_path,
        *run_id, *grib_path, *surface_grib_path;
    bool has_start, has_end, has_lat, has_lon, has_height, has_hours, has_seed;
    int64_t start, end; /* epoch seconds */
    double lat, lon, height_m;
    int hours;
    uint64_t seed;
} ais_traj_args;

/* argv[0] is the program name. out_path defaults to "-" (stdout) for run and parse-tdump.
 * AIS_ERR_USAGE (errbuf says why) for unknown or repeated flags, flags that do not belong to
 * the command, missing required flags, malformed numbers or times, end before start, a latitude
 * outside -90..90, hours 0 or beyond AIS_TRAJ_MAX_HOURS, a negative height or a bad run id. */
ais_status ais_traj_parse_args(int argc, char **argv, ais_traj_args *out, char *errbuf,
                               size_t errbuf_size);

#endif
