/* ais-ingest: the ingest adapters' command-line entry point.
 *
 *   ais-ingest config-dump [--config PATH]
 *   ais-ingest topics --create|--check [--config PATH] [--timeout-ms N]
 *   ais-ingest <openaq|weather|sentinel5p|maiac|era5> --mode live|replay|simulate
 *              [--start ISO] --end ISO --sink landing|kafka [options]
 *
 * stdout carries exactly one JSON document (the dump, or the run summary); stderr carries JSON
 * log lines and, in the human log format (AIS_LOG_FORMAT, ais/progress.h), one progress line
 * per file of a replay or gridded backfill ("[3/31] maiac <file> … 1.2 s"). --help (anywhere on the line) prints the usage and --version the version and the
 * commit, both on stdout. Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
#include <stdio.h>
#include <string.h>

#include "ais/git_commit.h" /* generated at build time (native/cmake/git_commit.cmake) */
#include "ais/log.h"
#include "ais/version.h"
#include "commands.h"

static const char USAGE[] =
    "usage:\n"
    "  ais-ingest config-dump [--config PATH]\n"
    "  ais-ingest topics --create|--check [--config PATH] [--timeout-ms N]\n"
    "  ais-ingest openaq --mode simulate|replay [--start ISO] --end ISO --sink landing|kafka\n"
    "             [--replay-dir DIR] [--landing-dir DIR] [--state-dir DIR] [--stations N]\n"
    "             [--seed S] [--batch-events N] [--kafka-timeout-ms N] [--config PATH]\n"
    "  ais-ingest weather --mode simulate|replay [--start ISO] --end ISO --sink landing|kafka\n"
    "             [--replay-dir DIR] [--provinces N] [other options as above]\n"
    "  ais-ingest openaq|weather|sentinel5p|maiac|era5 --mode live [...]\n"
    "             [--provider real|simulated]\n"
    "             (openaq|weather also --window realtime [--poll-seconds N] [--max-polls N])\n"
    "  ais-ingest sentinel5p|maiac|era5 --mode simulate|replay [...]\n"
    "  ais-ingest --help | --version\n"
    "\n"
    "openaq --mode replay reads AirNow DOS CSV files; weather --mode replay reads WeatherAPI\n"
    "history.json bodies under <Province>/ folders; sentinel5p|maiac|era5 --mode replay read S5P\n"
    "L2 netCDF, MCD19A2 HDF4 and ERA5 GRIB/netCDF files. Settings come from\n"
    "config/hanoi_pipeline.yaml; every runtime: key is overridden by its upper-case env var.\n"
    "sentinel5p|maiac|era5 --mode live put each downloaded file on the shared store,\n"
    "RAW_STORE_URI (a path, file:// or hdfs://; empty: <ICEBERG_WAREHOUSE>/raw), as\n"
    "<store>/<source>/YYYY/MM/DD/<name>; hdfs:// goes through WebHDFS at HDFS_WEBHDFS_BASE.\n"
    "--provider simulated says the live endpoints serve simulated data (ais-provider-sim's files\n"
    "played by the fixture server): every record then carries source \"simulated\".\n"
    "Times are ISO-8601 UTC (2026-09-02T00:00:00Z, 2026-09-02T00:00:00+00:00 or 2026-09-02).\n"
    "The window is [start floored to the hour, end ceiled to the hour). Without --start a run\n"
    "continues where the last successful run of the same source, mode and sink ended.\n"
    "stderr: JSON log lines; AIS_LOG_FORMAT=human (the default outside a Kubernetes pod or an\n"
    "Airflow task) adds one progress line per file of a replay (every source) or backfill\n"
    "(\"[3/31] maiac <file> ... 1.2 s (~36 s left)\"); AIS_LOG_FORMAT=json logs step_done instead.\n"
    "Exit codes: 0 ok, 1 runtime failure (also: events not delivered), 2 usage error.\n";

/* --help or -h anywhere: `ais-ingest openaq --help` prints the usage too */
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
    if (ais_logger_new("ais-ingest", stderr, &logger) != AIS_OK) {
        fputs("{\"level\":\"error\",\"logger\":\"ais-ingest\",\"event\":\"out_of_memory\"}\n",
              stderr);
        return 1;
    }

    ais_status st;
    const char *command = argc > 1 ? argv[1] : NULL;
    if (command == NULL) {
        ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", "missing command"),
                AIS_F_STR("usage", USAGE), AIS_F_END);
        st = AIS_ERR_USAGE;
    } else if (strcmp(command, "help") == 0 || wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        st = AIS_OK;
    } else if (strcmp(command, "--version") == 0) {
        printf("ais-ingest %s (commit %s)\n", AIS_VERSION, AIS_GIT_COMMIT);
        st = AIS_OK;
    } else if (strcmp(command, "config-dump") == 0) {
        st = ais_cmd_config_dump(argc - 1, argv + 1, logger);
    } else if (strcmp(command, "topics") == 0) {
        st = ais_cmd_topics(argc - 1, argv + 1, logger);
    } else if (command[0] != '-') {
        /* sources, including the ones this build only recognises */
        st = ais_cmd_ingest(argc - 1, argv + 1, logger);
    } else {
        ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", "unknown command"),
                AIS_F_STR("command", command), AIS_F_STR("usage", USAGE), AIS_F_END);
        st = AIS_ERR_USAGE;
    }
    ais_logger_free(logger);
    return ais_status_exit_code(st);
}
