/* `ais-ingest <source> ...`: one window of one source into one sink, then one JSON summary
 * line on stdout. Only `openaq --mode simulate --sink landing` runs in this build; the other
 * sources, modes and sinks are recognised and refused with exit code 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/envelope.h"
#include "ais/ingest_cli.h"
#include "ais/jsonutil.h"
#include "ais/landing.h"
#include "ais/openaq.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"
#include "commands.h"

typedef struct run {
    ais_ingest_args args;
    ais_config *cfg;
    ais_sim_params params;
    unsigned stations;
    char *landing_dir;
    ais_landing *landing;
    ais_envelope env;
    ais_landing_stats stats;
    char error[512]; /* why the run failed, for the log and the summary */
} run;

static ais_status stations_from_config(const ais_config *cfg, unsigned *out)
{
    long n;
    ais_status st = ais_config_get_long(cfg, "simulate.openaq_stations", &n);
    if (st == AIS_ERR_KEY_NOT_FOUND) {
        *out = AIS_SIM_DEFAULT_STATIONS;
        return AIS_OK;
    }
    if (st != AIS_OK)
        return st;
    if (n < 1 || n > AIS_SIM_MAX_STATIONS)
        return AIS_ERR_RANGE;
    *out = (unsigned)n;
    return AIS_OK;
}

static ais_status landing_dir_from_config(run *r)
{
    if (r->args.landing_dir != NULL) {
        /* a path typed on the command line is relative to the caller's directory */
        r->landing_dir = strdup(r->args.landing_dir);
        return r->landing_dir != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    const char *configured = ais_config_get(r->cfg, "runtime.landing_dir");
    if (configured == NULL || configured[0] == '\0') {
        snprintf(r->error, sizeof r->error,
                 "runtime.landing_dir (env LANDING_DIR) is empty; set it or pass --landing-dir");
        return AIS_ERR_CONFIG_INVALID;
    }
    return ais_config_resolve_path(r->cfg, configured, &r->landing_dir);
}

/* Everything that must hold before the first event is generated. */
static ais_status prepare(run *r)
{
    char errbuf[AIS_CONFIG_ERRBUF_SIZE];
    ais_status st = ais_config_load_ex(r->args.config_path, &r->cfg, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        snprintf(r->error, sizeof r->error, "%s", errbuf);
        return st;
    }
    if ((st = ais_sim_params_from_config(r->cfg, &r->params)) != AIS_OK) {
        snprintf(r->error, sizeof r->error,
                 "simulate.seed, hanoi.utc_offset_hours or hanoi.bbox.* missing or invalid");
        return st;
    }
    if (r->args.has_seed)
        r->params.seed = r->args.seed;
    if (r->args.has_stations) {
        r->stations = r->args.stations;
    } else if ((st = stations_from_config(r->cfg, &r->stations)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "simulate.openaq_stations must be 1..%d",
                 AIS_SIM_MAX_STATIONS);
        return st;
    }
    if ((st = landing_dir_from_config(r)) != AIS_OK)
        return st;
    if ((st = ais_envelope_init(&r->env, "simulated", "batch", r->args.window_start,
                                r->args.window_end)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "cannot draw a request id");
        return st;
    }
    ais_landing_options opts = {
        .landing_dir = r->landing_dir,
        .topic = AIS_OPENAQ_TOPIC,
        .window_start = r->args.window_start,
        .window_end = r->args.window_end,
        .batch_max_events = r->args.batch_events,
    };
    if ((st = ais_landing_open(&opts, &r->landing)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "cannot create %s/%s: %s", r->landing_dir,
                 AIS_OPENAQ_TOPIC, strerror(errno));
        return st;
    }
    return AIS_OK;
}

static ais_status execute(run *r)
{
    ais_sink sink;
    uint64_t generated = 0;
    ais_status st = ais_landing_as_sink(r->landing, &sink);
    if (st == AIS_OK)
        st = ais_openaq_simulate(&r->params, r->stations, &r->env, &sink, &generated);
    if (st == AIS_OK)
        st = ais_landing_flush(r->landing);
    if (st != AIS_OK)
        snprintf(r->error, sizeof r->error, "%s",
                 ais_landing_error(r->landing)[0] ? ais_landing_error(r->landing)
                                                  : ais_status_str(st));
    ais_landing_get_stats(r->landing, &r->stats);
    return st;
}

static ais_status print_summary(const run *r, ais_status outcome)
{
    char start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE];
    json_t *s = json_object();
    if (s == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = ais_time_format_iso(r->args.window_start, start);
    if (st == AIS_OK)
        st = ais_time_format_iso(r->args.window_end, end);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "source", ais_source_name(r->args.source));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "mode", ais_source_mode_name(r->args.mode));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "sink", ais_sink_kind_name(r->args.sink));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "window_start_utc", start);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "window_end_utc", end);
    if (st == AIS_OK)
        st = ais_json_set(s, "events_written", json_integer((json_int_t)r->stats.events_written));
    if (st == AIS_OK)
        st = ais_json_set(s, "events_rejected", json_integer(0));
    if (st == AIS_OK)
        st = ais_json_set(s, "rejected_by_reason", json_object());
    if (st == AIS_OK)
        st = ais_json_set(s, "files_written", json_integer((json_int_t)r->stats.files_written));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "status", outcome == AIS_OK ? "ok" : "error");
    if (st == AIS_OK && outcome != AIS_OK)
        st = ais_json_set_string(s, "error", r->error);
    char *text = st == AIS_OK ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    if (st != AIS_OK)
        return st;
    if (text == NULL)
        return AIS_ERR_JSON;
    int failed = fputs(text, stdout) < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0;
    free(text);
    return failed ? AIS_ERR_IO : AIS_OK;
}

static int64_t elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void log_start(ais_logger *logger, const run *r)
{
    char start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE];
    if (ais_time_format_iso(r->args.window_start, start) != AIS_OK ||
        ais_time_format_iso(r->args.window_end, end) != AIS_OK)
        return;
    ais_log(logger, AIS_LOG_INFO, "run_start", AIS_F_STR("source", ais_source_name(r->args.source)),
            AIS_F_STR("mode", ais_source_mode_name(r->args.mode)),
            AIS_F_STR("sink", ais_sink_kind_name(r->args.sink)),
            AIS_F_STR("window_start_utc", start), AIS_F_STR("window_end_utc", end),
            AIS_F_INT("stations", r->stations), AIS_F_STR("seed_source", r->args.has_seed ? "flag" : "config"),
            AIS_F_STR("landing_dir", r->landing_dir), AIS_F_STR("request_id", r->env.request_id),
            AIS_F_STR("config_path", ais_config_path(r->cfg)), AIS_F_END);
}

ais_status ais_cmd_ingest(int argc, char **argv, ais_logger *logger)
{
    run r;
    char errbuf[512];
    struct timespec t0;
    memset(&r, 0, sizeof r);
    clock_gettime(CLOCK_MONOTONIC, &t0);

    ais_status st = ais_ingest_parse_args(argc, argv, &r.args, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR,
                st == AIS_ERR_NOT_IMPLEMENTED ? "not_implemented" : "usage_error",
                AIS_F_STR("message", errbuf), AIS_F_STR("status", ais_status_str(st)), AIS_F_END);
        return st;
    }

    st = prepare(&r);
    if (st == AIS_OK) {
        st = ais_logger_apply_config(logger, r.cfg);
        if (st != AIS_OK)
            snprintf(r.error, sizeof r.error,
                     "runtime.log_level must be debug, info, warning or error");
    }
    if (st == AIS_OK) {
        log_start(logger, &r);
        st = execute(&r);
    }

    if (st == AIS_OK) {
        ais_log(logger, AIS_LOG_INFO, "window_done",
                AIS_F_STR("source", ais_source_name(r.args.source)),
                AIS_F_INT("events_written", (int64_t)r.stats.events_written),
                AIS_F_INT("files_written", (int64_t)r.stats.files_written),
                AIS_F_INT("duration_ms", elapsed_ms(&t0)), AIS_F_STR("status", "ok"), AIS_F_END);
    } else {
        ais_log(logger, AIS_LOG_ERROR, "run_failed",
                AIS_F_STR("source", ais_source_name(r.args.source)),
                AIS_F_STR("status", ais_status_str(st)), AIS_F_STR("message", r.error),
                AIS_F_INT("events_written", (int64_t)r.stats.events_written),
                AIS_F_INT("files_written", (int64_t)r.stats.files_written), AIS_F_END);
    }
    ais_status printed = print_summary(&r, st);
    if (st == AIS_OK)
        st = printed;

    /* The logger borrowed the configuration for secret redaction. */
    ais_logger_apply_config(logger, NULL);
    ais_landing_free(r.landing);
    free(r.landing_dir);
    ais_config_free(r.cfg);
    return st;
}
