/* ais-provider-sim: writes what the five remote APIs would serve, simulated, in their formats
 * (ais/provsim.h), for the fixture server to play to `ais-ingest --mode live`.
 *
 *   ais-provider-sim <weather|openaq|sentinel5p|maiac|era5|all> --start ISO --end ISO --out DIR
 *                    [--seed N] [--config PATH]
 *
 * stdout carries one JSON document: per source, the files written and their bytes. stderr carries
 * JSON log lines. Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/log.h"
#include "ais/provsim.h"
#include "ais/timeutil.h"
#include "ais/version.h"

static const char USAGE[] =
    "usage:\n"
    "  ais-provider-sim <weather|openaq|sentinel5p|maiac|era5|all> --start ISO --end ISO\n"
    "                   --out DIR [--seed N] [--config PATH]\n"
    "  ais-provider-sim --help | --version\n"
    "\n"
    "Writes, for the window [start, end) (whole UTC days), the files the providers' APIs would\n"
    "serve, SIMULATED: WeatherAPI history.json bodies, OpenAQ v3 locations and sensor hours,\n"
    "Sentinel-5P L2 netCDF products, MCD19A2 HDF4 granules and ERA5 GRIB files, under\n"
    "DIR/<source>/ (layout in native/include/ais/provsim.h). The fixture server\n"
    "(native/tests/fixtures/http_server.py --sim-dir DIR) plays them over HTTP to\n"
    "`ais-ingest <source> --mode live --provider simulated`. Deterministic: the same seed\n"
    "(default simulate.seed), window and configuration give the same bytes.\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n";

static const struct {
    const char *name;
    ais_provsim_fn fn;
} SOURCES[] = {
    {"weather", ais_provsim_weather},       {"openaq", ais_provsim_openaq},
    {"sentinel5p", ais_provsim_sentinel5p}, {"maiac", ais_provsim_maiac},
    {"era5", ais_provsim_era5},
};
#define N_SOURCES (sizeof SOURCES / sizeof SOURCES[0])

typedef struct args {
    const char *source, *start, *end, *out, *seed, *config;
} args;

static ais_status usage_error(ais_logger *logger, const char *message, const char *detail)
{
    ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", message),
            AIS_F_STR("detail", detail), AIS_F_STR("usage", USAGE), AIS_F_END);
    return AIS_ERR_USAGE;
}

static ais_status parse_args(int argc, char **argv, args *a, ais_logger *logger)
{
    memset(a, 0, sizeof *a);
    a->source = argv[1];
    for (int i = 2; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--start") == 0    ? &a->start
                             : strcmp(argv[i], "--end") == 0    ? &a->end
                             : strcmp(argv[i], "--out") == 0    ? &a->out
                             : strcmp(argv[i], "--seed") == 0   ? &a->seed
                             : strcmp(argv[i], "--config") == 0 ? &a->config
                                                                : NULL;
        if (slot == NULL)
            return usage_error(logger, "unknown option", argv[i]);
        if (i + 1 >= argc)
            return usage_error(logger, "option needs a value", argv[i]);
        *slot = argv[++i];
    }
    if (a->start == NULL || a->end == NULL || a->out == NULL)
        return usage_error(logger, "--start, --end and --out are required", a->source);
    return AIS_OK;
}

static ais_status window(const args *a, ais_provsim_request *req, ais_logger *logger)
{
    if (ais_time_parse_iso(a->start, &req->start) != AIS_OK)
        return usage_error(logger, "--start is not an ISO-8601 UTC time", a->start);
    if (ais_time_parse_iso(a->end, &req->end) != AIS_OK)
        return usage_error(logger, "--end is not an ISO-8601 UTC time", a->end);
    if (req->start % 86400 != 0 || req->end % 86400 != 0 || req->end <= req->start)
        return usage_error(logger, "the window must be whole UTC days, start before end",
                           a->start);
    return AIS_OK;
}

static ais_status seed_of(const args *a, const ais_config *cfg, uint64_t *seed, ais_logger *logger)
{
    const char *text = a->seed != NULL ? a->seed : ais_config_get(cfg, "simulate.seed");
    char *end = NULL;
    errno = 0;
    unsigned long long v = text != NULL ? strtoull(text, &end, 10) : 0;
    if (text == NULL || text[0] == '\0' || text[0] == '-' || errno != 0 || *end != '\0')
        return usage_error(logger, "the seed (--seed or simulate.seed) must be a non-negative integer",
                           text != NULL ? text : "(missing)");
    *seed = (uint64_t)v;
    return AIS_OK;
}

static ais_status run(const args *a, ais_logger *logger)
{
    size_t first = N_SOURCES, last = N_SOURCES;
    if (strcmp(a->source, "all") == 0) {
        first = 0;
    } else {
        for (size_t i = 0; i < N_SOURCES; i++)
            if (strcmp(a->source, SOURCES[i].name) == 0)
                first = i, last = i + 1;
    }
    if (first == N_SOURCES)
        return usage_error(logger, "unknown source", a->source);

    ais_provsim_request req = {.out_dir = a->out};
    ais_status st = window(a, &req, logger);
    if (st != AIS_OK)
        return st;
    char err[1024] = "";
    ais_config *cfg = NULL;
    if ((st = ais_config_load_ex(a->config, &cfg, err, sizeof err)) != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR, "config_error", AIS_F_STR("message", err), AIS_F_END);
        return st;
    }
    req.cfg = cfg;
    if ((st = seed_of(a, cfg, &req.seed, logger)) != AIS_OK) {
        ais_config_free(cfg);
        return st;
    }
    json_t *summary = json_object();
    if (summary == NULL) {
        ais_config_free(cfg);
        return AIS_ERR_NOMEM;
    }
    for (size_t i = first; st == AIS_OK && i < last; i++) {
        ais_provsim_stats stats = {0};
        int64_t t0 = ais_time_monotonic_ms();
        st = SOURCES[i].fn(&req, &stats, err, sizeof err);
        double seconds = (double)(ais_time_monotonic_ms() - t0) / 1000.0;
        ais_log(logger, st == AIS_OK ? AIS_LOG_INFO : AIS_LOG_ERROR, "provider_files",
                AIS_F_STR("source", SOURCES[i].name), AIS_F_STR("status", ais_status_str(st)),
                AIS_F_INT("files", (int64_t)stats.files), AIS_F_INT("bytes", (int64_t)stats.bytes),
                AIS_F_DBL("seconds", seconds),
                AIS_F_STR("message", st == AIS_OK ? "" : err), AIS_F_END);
        if (st == AIS_OK &&
            json_object_set_new(summary, SOURCES[i].name,
                                json_pack("{sIsIsf}", "files", (json_int_t)stats.files, "bytes",
                                          (json_int_t)stats.bytes, "seconds", seconds)) != 0)
            st = AIS_ERR_NOMEM;
    }
    if (st == AIS_OK) {
        json_object_set_new(summary, "out", json_string(a->out));
        json_object_set_new(summary, "simulated", json_true());
        if (json_dumpf(summary, stdout, JSON_COMPACT | JSON_SORT_KEYS) != 0 || fputc('\n', stdout) == EOF)
            st = AIS_ERR_IO;
    }
    json_decref(summary);
    ais_config_free(cfg);
    return st;
}

int main(int argc, char **argv)
{
    ais_logger *logger = NULL;
    if (ais_logger_new("ais-provider-sim", stderr, &logger) != AIS_OK) {
        fputs("{\"level\":\"error\",\"logger\":\"ais-provider-sim\",\"event\":\"out_of_memory\"}\n",
              stderr);
        return 1;
    }
    ais_status st;
    const char *command = argc > 1 ? argv[1] : NULL;
    if (command == NULL) {
        st = usage_error(logger, "missing source", "");
    } else if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        fputs(USAGE, stdout);
        st = AIS_OK;
    } else if (strcmp(command, "--version") == 0) {
        printf("ais-provider-sim/%s\n", AIS_VERSION);
        st = AIS_OK;
    } else {
        args a;
        st = parse_args(argc, argv, &a, logger);
        if (st == AIS_OK)
            st = run(&a, logger);
    }
    ais_logger_free(logger);
    return ais_status_exit_code(st);
}
