/* ais-traj: air-parcel trajectories through ARL meteorological files.
 *
 * Points (JSON lines) go to --out (stdout by default); each command prints one JSON summary
 * line, on stdout, or on stderr when the points are on stdout; log lines are JSON on stderr.
 * --help (anywhere on the line) prints the usage, --version the version and the commit.
 * Exit codes: 0 ok, 1 runtime failure (including any failed run of a batch), 2 usage error (also:
 * HYSPLIT_EXEC set, since this build runs only its built-in engine). */
#include <stdio.h>
#include <string.h>

#include "ais/git_commit.h" /* generated at build time (native/cmake/git_commit.cmake) */
#include "ais/log.h"
#include "ais/traj_cli.h"
#include "ais/version.h"
#include "commands.h"

static const char USAGE[] =
    "usage:\n"
    "  ais-traj [run] --met FILE.arl --start ISO --lat DEG --lon DEG [--height-m M]\n"
    "           [--hours H] [--run-id ID] [--out FILE.jsonl|-] [--runs-out FILE.jsonl]\n"
    "           [--config PATH]\n"
    "  ais-traj [run] --met FILE.arl --batch RUNS.jsonl|- [--out FILE.jsonl|-]\n"
    "           [--runs-out FILE.jsonl] [--config PATH]\n"
    "  ais-traj simulate-met --start ISO --end ISO --out FILE.arl [--seed N] [--config PATH]\n"
    "  ais-traj parse-tdump --tdump FILE --run-id ID [--out FILE.jsonl|-]\n"
    "  ais-traj arl-info --met FILE.arl\n"
    "  ais-traj met-from-era5 --grib PL.grib [--surface-grib SFC.grib] --out FILE.arl\n"
    "           [--config PATH]   (ERA5 pressure levels, cut to era5.region, as ARL)\n"
    "  ais-traj --help | --version\n"
    "\n"
    "--hours is negative for back-trajectories (default -trajectories.back_hours, i.e. -72);\n"
    "--height-m is metres above ground (default trajectories.release_height_m_agl).\n"
    "Batch lines: {\"run_id\":\"r1\",\"lat\":21.03,\"lon\":105.85,\"start\":\"2026-01-15T00:00:00Z\",\n"
    "              \"height_m\":500,\"hours\":-72}\n"
    "Point lines: run_id, traj_id, age_h, lat, lon, alt_m (above ground), pressure_hpa,\n"
    "             timestamp.\n"
    "Trajectories run on the built-in engine; with HYSPLIT_EXEC set `run` refuses (exit 2): run\n"
    "HYSPLIT yourself and convert its tdump with parse-tdump.\n"
    "Exit codes: 0 ok, 1 runtime failure (or any failed run), 2 usage error.\n";

/* --help or -h anywhere: `ais-traj simulate-met --help` prints the usage too */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    ais_logger *logger = NULL;
    if (ais_logger_new("ais-traj", stderr, &logger) != AIS_OK) {
        fputs("{\"level\":\"error\",\"logger\":\"ais-traj\",\"event\":\"out_of_memory\"}\n",
              stderr);
        return 1;
    }
    ais_traj_args args;
    char errbuf[256];
    ais_status st = AIS_OK;
    if (wants_help(argc, argv))
        args.command = AIS_TRAJ_CMD_HELP;
    else
        st = ais_traj_parse_args(argc, argv, &args, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", errbuf),
                AIS_F_STR("usage", USAGE), AIS_F_END);
    } else {
        switch (args.command) {
        case AIS_TRAJ_CMD_HELP: fputs(USAGE, stdout); break;
        case AIS_TRAJ_CMD_VERSION:
            printf("ais-traj %s (commit %s)\n", AIS_VERSION, AIS_GIT_COMMIT);
            break;
        case AIS_TRAJ_CMD_RUN: st = ais_traj_cmd_run(&args, logger); break;
        case AIS_TRAJ_CMD_SIMULATE_MET: st = ais_traj_cmd_simulate_met(&args, logger); break;
        case AIS_TRAJ_CMD_PARSE_TDUMP: st = ais_traj_cmd_parse_tdump(&args, logger); break;
        case AIS_TRAJ_CMD_ARL_INFO: st = ais_traj_cmd_arl_info(&args, logger); break;
        case AIS_TRAJ_CMD_MET_FROM_ERA5: st = ais_traj_cmd_met_from_era5(&args, logger); break;
        }
    }
    ais_logger_free(logger);
    return ais_status_exit_code(st);
}
