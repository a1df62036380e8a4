/* ais-ingest: the ingest adapters' command-line entry point.
 *
 *   ais-ingest config-dump [--config PATH]
 *   ais-ingest topics --create|--check [--config PATH] [--timeout-ms N]
 *   ais-ingest <openaq|weather|sentinel5p|maiac|era5> --mode live|replay|simulate
 *              [--start ISO] --end ISO --sink landing|kafka [options]
 *
 * stdout carries exactly one JSON document (the dump, or the run summary). stderr depends on the
 * log format (--log-format, else AIS_LOG_FORMAT, else json inside a Kubernetes pod or an Airflow
 * task and human otherwise; ais/progress.h): json: the JSON log lines; human: one progress line
 * per file of a replay or gridded backfill ("[3/31] maiac <file> … 1.2 s"), warnings and errors
 * as text, and the JSON log lines in <project>/var/log/ais-ingest-<command>-<time>-<pid>.jsonl.
 * --help (anywhere on the line) prints the usage and --version the version and the commit, both
 * on stdout. Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ais/git_commit.h" /* generated at build time (native/cmake/git_commit.cmake) */
#include "ais/log.h"
#include "ais/progress.h"
#include "ais/version.h"
#include "commands.h"

#define LOG_DIR "var/log"

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
    "  every command also takes --log-format human|json\n"
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
    "--log-format (default: $AIS_LOG_FORMAT, else json in a Kubernetes pod or an Airflow task,\n"
    "else human) says who reads stderr. human: one progress line per file of a replay or per\n"
    "file (day, for ERA5) of a live download (\"[3/31] maiac <file> ... 1.2 s (~36 s left)\"),\n"
    "warnings and errors as text, the JSON log lines in\n"
    "<project>/var/log/ais-ingest-<command>-<time>-<pid>.jsonl; json: the JSON log lines on\n"
    "stderr (a step_done line per file instead of the progress line).\n"
    "Exit codes: 0 ok, 1 runtime failure (also: events not delivered), 2 usage error.\n";

/* --help or -h anywhere: `ais-ingest openaq --help` prints the usage too */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* --log-format F or --log-format=F anywhere on the line: taken out of argv and exported as
 * AIS_LOG_FORMAT, so the progress lines and child processes follow it. NULL, or the message of a
 * bad value. */
static const char *take_log_format(int *argc, char **argv)
{
    for (int i = 1; i < *argc; i++) {
        const char *value = NULL;
        int used = 0;
        if (strcmp(argv[i], "--log-format") == 0) {
            if (i + 1 >= *argc)
                return "--log-format needs a value: human or json";
            value = argv[i + 1];
            used = 2;
        } else if (strncmp(argv[i], "--log-format=", 13) == 0) {
            value = argv[i] + 13;
            used = 1;
        } else {
            continue;
        }
        if (strcmp(value, "human") != 0 && strcmp(value, "json") != 0)
            return "--log-format must be human or json";
        if (setenv("AIS_LOG_FORMAT", value, 1) != 0)
            return "cannot set AIS_LOG_FORMAT";
        memmove(argv + i, argv + i + used, sizeof *argv * (size_t)(*argc - i - used + 1));
        *argc -= used;
        i--;
    }
    return NULL;
}

/* the command line, for the run_started line */
static int run_argc;
static char **run_argv;

void ais_cli_log_file(ais_logger *logger, const ais_config *cfg, const char *command)
{
    if (ais_log_format_from_env() != AIS_LOG_FORMAT_HUMAN || cfg == NULL ||
        ais_logger_file(logger) != NULL)
        return;
    char stamp[32], path[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(path, sizeof path, "%s/%s/ais-ingest-%s-%s-%ld.jsonl", ais_config_project_root(cfg),
             LOG_DIR, command, stamp, (long)getpid());
    if (ais_logger_set_human(logger, stderr, path) != AIS_OK) {
        /* the lines are dropped, the warnings and errors still shown */
        ais_log(logger, AIS_LOG_WARNING, "log_file_unwritable", AIS_F_STR("path", path),
                AIS_F_STR("error", strerror(errno)), AIS_F_END);
        return;
    }
    json_t *args = json_array();
    for (int i = 1; args != NULL && i < run_argc; i++)
        json_array_append_new(args, json_string(run_argv[i]));
    ais_log(logger, AIS_LOG_INFO, "run_started", AIS_F_STR("command", command),
            AIS_F_JSON("argv", args), AIS_F_END);
    json_decref(args);
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
    const char *bad_format = take_log_format(&argc, argv);
    /* human: no JSON line on stderr; until a command opens its file (ais_cli_log_file), only
     * the warnings and errors, as text */
    if (ais_log_format_from_env() == AIS_LOG_FORMAT_HUMAN)
        ais_logger_set_human(logger, stderr, NULL);
    run_argc = argc;
    run_argv = argv;
    const char *command = argc > 1 ? argv[1] : NULL;
    if (bad_format != NULL) {
        ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", bad_format),
                AIS_F_STR("usage", USAGE), AIS_F_END);
        st = AIS_ERR_USAGE;
    } else if (command == NULL) {
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
    int code = ais_status_exit_code(st);
    if (code == 1 && ais_logger_file(logger) != NULL)
        fprintf(stderr, "(the JSON log of this run: %s)\n", ais_logger_file(logger));
    ais_logger_free(logger);
    return code;
}
