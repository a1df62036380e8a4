#include "ais/ingest_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/simulate.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

static const char *const SOURCE_NAMES[] = {"openaq", "weather", "sentinel5p", "maiac", "era5",
                                           "weather-vc", "weather-forecast"};
static const char *const MODE_NAMES[] = {"live", "replay", "simulate"};
static const char *const SINK_NAMES[] = {"landing", "kafka"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *ais_source_name(ais_source source)
{
    return (size_t)source < COUNT(SOURCE_NAMES) ? SOURCE_NAMES[source] : "unknown";
}

const char *ais_source_mode_name(ais_source_mode mode)
{
    return (size_t)mode < COUNT(MODE_NAMES) ? MODE_NAMES[mode] : "unknown";
}

const char *ais_sink_kind_name(ais_sink_kind sink)
{
    return (size_t)sink < COUNT(SINK_NAMES) ? SINK_NAMES[sink] : "unknown";
}


static int lookup(const char *const *names, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], text) == 0)
            return (int)i;
    return -1;
}

/* Whole-string unsigned decimal; rejects signs, blanks, junk and overflow. */
static int parse_u64(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

typedef struct raw_flags {
    const char *mode, *start, *end, *sink, *landing_dir, *stations, *seed, *batch, *config;
    const char *replay_dir, *state_dir, *provinces, *kafka_timeout;
    const char *window, *poll_seconds, *max_polls, *provider;
} raw_flags;

static const char **flag_slot(raw_flags *raw, const char *name)
{
    const struct {
        const char *name;
        const char **slot;
    } table[] = {
        {"--mode", &raw->mode},
        {"--start", &raw->start},
        {"--end", &raw->end},
        {"--sink", &raw->sink},
        {"--landing-dir", &raw->landing_dir},
        {"--stations", &raw->stations},
        {"--seed", &raw->seed},
        {"--batch-events", &raw->batch},
        {"--config", &raw->config},
        {"--replay-dir", &raw->replay_dir},
        {"--state-dir", &raw->state_dir},
        {"--provinces", &raw->provinces},
        {"--kafka-timeout-ms", &raw->kafka_timeout},
        {"--window", &raw->window},
        {"--poll-seconds", &raw->poll_seconds},
        {"--max-polls", &raw->max_polls},
        {"--provider", &raw->provider},
    };
    for (size_t i = 0; i < COUNT(table); i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].slot;
    return NULL;
}

/* Collects "--flag value" and "--flag=value" pairs; each flag at most once. */
static ais_status collect_flags(int argc, char **argv, raw_flags *raw, char *errbuf,
                                size_t errsize)
{
    for (int i = 1; i < argc; i++) {
        char name[32];
        const char *arg = argv[i];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        if (strncmp(arg, "--", 2) != 0 || name_len >= sizeof name)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "unexpected argument '%s'", arg);
        memcpy(name, arg, name_len);
        name[name_len] = '\0';
        const char **slot = flag_slot(raw, name);
        if (slot == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "unknown flag '%s'", name);
        if (*slot != NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "flag %s given twice", name);
        if (eq != NULL) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "flag %s needs a value", name);
            value = argv[++i];
        }
        if (value[0] == '\0')
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "flag %s has an empty value", name);
        *slot = value;
    }
    return AIS_OK;
}

static ais_status parse_window(const raw_flags *raw, ais_ingest_args *out, char *errbuf,
                               size_t errsize)
{
    if (raw->window != NULL && strcmp(raw->window, "realtime") == 0) {
        if (out->mode != AIS_MODE_LIVE)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--window realtime applies only to --mode live");
        if (raw->end != NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--window realtime ends each window at the current hour; "
                                   "--end applies only to --window batch");
        out->realtime = true;
        if (raw->start != NULL) {
            if (ais_time_parse_iso(raw->start, &out->start) != AIS_OK ||
                ais_time_floor_hour(out->start, &out->window_start) != AIS_OK)
                return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                       "--start '%s' is not an ISO-8601 UTC time "
                                       "(2026-09-02T00:00:00Z)", raw->start);
            out->has_start = true;
        }
        return AIS_OK;
    }
    if (raw->window != NULL && strcmp(raw->window, "batch") != 0)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                               "unknown --window '%s' (batch|realtime)", raw->window);
    if (raw->poll_seconds != NULL || raw->max_polls != NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                               "--poll-seconds and --max-polls apply only to --window realtime");
    if (raw->end == NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--end is required");
    if (ais_time_parse_iso(raw->end, &out->end) != AIS_OK)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "--end '%s' is not an ISO-8601 UTC time (2026-09-02T00:00:00Z)", raw->end);
    if (ais_time_ceil_hour(out->end, &out->window_end) != AIS_OK)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "window out of range");
    if (raw->start == NULL)
        return AIS_OK; /* continue from the window state */
    if (ais_time_parse_iso(raw->start, &out->start) != AIS_OK)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "--start '%s' is not an ISO-8601 UTC time (2026-09-02T00:00:00Z)",
                     raw->start);
    if (out->end <= out->start)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--end must be after --start");
    if (ais_time_floor_hour(out->start, &out->window_start) != AIS_OK)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "window out of range");
    out->has_start = true;
    return AIS_OK;
}

static ais_status parse_numbers(const raw_flags *raw, ais_ingest_args *out, char *errbuf,
                                size_t errsize)
{
    uint64_t v;
    if (raw->stations != NULL) {
        if (!parse_u64(raw->stations, &v) || v < 1 || v > AIS_SIM_MAX_STATIONS)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--stations must be 1..%d",
                         AIS_SIM_MAX_STATIONS);
        out->has_stations = true;
        out->stations = (unsigned)v;
    }
    if (raw->seed != NULL) {
        if (!parse_u64(raw->seed, &out->seed))
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                         "--seed must be a non-negative decimal integer");
        out->has_seed = true;
    }
    if (raw->provinces != NULL) {
        size_t max = ais_weather_province_count();
        if (!parse_u64(raw->provinces, &v) || v < 1 || v > max)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--provinces must be 1..%zu", max);
        out->has_provinces = true;
        out->provinces = (unsigned)v;
    }
    if (raw->batch != NULL) {
        if (!parse_u64(raw->batch, &v) || v < 1 || v > 10000000)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--batch-events must be 1..10000000");
        out->batch_events = (size_t)v;
    }
    if (raw->poll_seconds != NULL) {
        if (!parse_u64(raw->poll_seconds, &v) || v < 1 || v > 86400)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--poll-seconds must be 1..86400");
        out->poll_seconds = (unsigned)v;
    }
    if (raw->max_polls != NULL) {
        if (!parse_u64(raw->max_polls, &v) || v < 1 || v > 1000000000)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--max-polls must be 1..1000000000");
        out->max_polls = (unsigned)v;
    }
    if (raw->kafka_timeout != NULL) {
        if (!parse_u64(raw->kafka_timeout, &v) || v < 100 || v > 3600000)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                         "--kafka-timeout-ms must be 100..3600000");
        out->kafka_timeout_ms = (int)v;
    }
    return AIS_OK;
}

/* Flags that only mean something for some sources or modes. */
static ais_status check_applicable(const raw_flags *raw, const ais_ingest_args *a, char *errbuf,
                                   size_t errsize)
{
    const char *src = ais_source_name(a->source);
    const char *mode = ais_source_mode_name(a->mode);
    if (a->source == AIS_SOURCE_WEATHER_VC && a->mode != AIS_MODE_REPLAY)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "weather-vc has only --mode replay (recorded Visual Crossing exports)");
    if (a->source == AIS_SOURCE_WEATHER_FORECAST && a->mode == AIS_MODE_REPLAY)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "weather-forecast has --mode live|simulate only (no archive of past forecasts)");
    if (a->mode == AIS_MODE_REPLAY && raw->replay_dir == NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--mode replay needs --replay-dir DIR");
    if (a->mode != AIS_MODE_REPLAY && raw->replay_dir != NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--replay-dir applies only to --mode replay");
    if (raw->stations != NULL && !(a->source == AIS_SOURCE_OPENAQ && a->mode == AIS_MODE_SIMULATE))
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "--stations applies only to openaq --mode simulate, not %s --mode %s", src,
                     mode);
    if (raw->provinces != NULL && !(a->source == AIS_SOURCE_WEATHER && a->mode != AIS_MODE_REPLAY))
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "--provinces applies only to weather --mode simulate|live, not %s --mode %s",
                     src, mode);
    if (raw->provider != NULL && a->mode != AIS_MODE_LIVE)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--provider applies only to --mode live");
    if (raw->seed != NULL && a->mode != AIS_MODE_SIMULATE)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--seed applies only to --mode simulate");
    if (raw->batch != NULL && a->sink != AIS_SINK_LANDING)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--batch-events applies only to --sink landing");
    if (raw->kafka_timeout != NULL && a->sink != AIS_SINK_KAFKA)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                     "--kafka-timeout-ms applies only to --sink kafka");
    return AIS_OK;
}

ais_status ais_ingest_parse_args(int argc, char **argv, ais_ingest_args *out, char *errbuf,
                                 size_t errbuf_size)
{
    raw_flags raw;
    if (argv == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    memset(out, 0, sizeof *out);
    memset(&raw, 0, sizeof raw);
    if (argc < 1 || argv[0] == NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "missing source");

    int source = lookup(SOURCE_NAMES, COUNT(SOURCE_NAMES), argv[0]);
    if (source < 0)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "unknown source '%s'", argv[0]);
    out->source = (ais_source)source;

    ais_status st = collect_flags(argc, argv, &raw, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;

    if (raw.mode == NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "--mode live|replay|simulate is required");
    int mode = lookup(MODE_NAMES, COUNT(MODE_NAMES), raw.mode);
    if (mode < 0)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "unknown --mode '%s'", raw.mode);
    out->mode = (ais_source_mode)mode;

    if (raw.sink == NULL)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "--sink landing|kafka is required");
    int sink = lookup(SINK_NAMES, COUNT(SINK_NAMES), raw.sink);
    if (sink < 0)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "unknown --sink '%s'", raw.sink);
    out->sink = (ais_sink_kind)sink;

    if ((st = parse_window(&raw, out, errbuf, errbuf_size)) != AIS_OK)
        return st;
    if ((st = parse_numbers(&raw, out, errbuf, errbuf_size)) != AIS_OK)
        return st;
    if ((st = check_applicable(&raw, out, errbuf, errbuf_size)) != AIS_OK)
        return st;
    if (raw.provider != NULL && strcmp(raw.provider, "simulated") != 0 &&
        strcmp(raw.provider, "real") != 0)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size,
                               "unknown --provider '%s' (real|simulated)", raw.provider);
    out->simulated_provider = raw.provider != NULL && strcmp(raw.provider, "simulated") == 0;
    out->config_path = raw.config;
    out->landing_dir = raw.landing_dir;
    out->replay_dir = raw.replay_dir;
    out->state_dir = raw.state_dir;
    return AIS_OK;
}
