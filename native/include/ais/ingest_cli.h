/* Command line of `ais-ingest <source> ...`, parsed without side effects so it can be tested
 * alone. The program maps AIS_ERR_USAGE and AIS_ERR_NOT_IMPLEMENTED to exit code 2. */
#ifndef AIS_INGEST_CLI_H
#define AIS_INGEST_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/status.h"

typedef enum ais_source {
    AIS_SOURCE_OPENAQ,
    AIS_SOURCE_WEATHER,
    AIS_SOURCE_SENTINEL5P,
    AIS_SOURCE_MAIAC,
    AIS_SOURCE_ERA5,
    AIS_SOURCE_WEATHER_VC, /* Visual Crossing history exports, replay only (ais/weather_vc.h) */
    AIS_SOURCE_WEATHER_FORECAST /* WeatherAPI forecast.json, live and simulate only
                                   (ais/weather_forecast.h) */
} ais_source;

typedef enum ais_source_mode { AIS_MODE_LIVE, AIS_MODE_REPLAY, AIS_MODE_SIMULATE } ais_source_mode;

typedef enum ais_sink_kind { AIS_SINK_LANDING, AIS_SINK_KAFKA } ais_sink_kind;

typedef struct ais_ingest_args {
    ais_source source;
    ais_source_mode mode;
    ais_sink_kind sink;
    bool has_start;       /* false: the run continues from the persisted window state */
    int64_t start;        /* --start as given, epoch seconds */
    int64_t end;          /* --end as given */
    int64_t window_start; /* start floored to the hour (if has_start): the window is
                             [window_start, window_end) */
    int64_t window_end;   /* end ceiled to the hour */
    const char *config_path; /* --config, NULL for the default lookup; points into argv */
    const char *landing_dir; /* --landing-dir, NULL for runtime.landing_dir; points into argv */
    const char *replay_dir;  /* --replay-dir (replay mode only); points into argv */
    const char *state_dir;   /* --state-dir, NULL for <project root>/var/state/ingest */
    bool has_stations;
    unsigned stations; /* --stations, 1..AIS_SIM_MAX_STATIONS (openaq simulate) */
    bool has_provinces;
    unsigned provinces; /* --provinces, 1..24 (weather simulate): the first N of the list */
    bool has_seed;
    uint64_t seed;       /* --seed (simulate) */
    size_t batch_events; /* --batch-events, 0 for the landing default */
    int kafka_timeout_ms; /* --kafka-timeout-ms, 0 for the default */
    bool realtime;         /* --window realtime (live only): poll, each window ending at the
                              current hour; end/window_end are then unset */
    unsigned poll_seconds; /* --poll-seconds, 0 for ingest_realtime.poll_seconds */
    unsigned max_polls;    /* --max-polls, 0 for no limit (until SIGTERM/SIGINT) */
    bool simulated_provider; /* --provider simulated (live only): the endpoints serve simulated
                                data (ais-provider-sim files played by the fixture server), so
                                every record carries source "simulated" */
} ais_ingest_args;

/* Names as written on the command line ("openaq", "simulate", "landing", ...). */
const char *ais_source_name(ais_source source);
const char *ais_source_mode_name(ais_source_mode mode);
const char *ais_sink_kind_name(ais_sink_kind sink);

/* argv[0] is the source name, the rest its flags (--flag value or --flag=value):
 *   --mode live|replay|simulate  [--start ISO]  --end ISO  --sink landing|kafka
 *   [--replay-dir DIR] [--landing-dir DIR] [--state-dir DIR] [--stations N] [--provinces N]
 *   [--seed S] [--batch-events N] [--kafka-timeout-ms N] [--config PATH]
 *   [--window batch|realtime] [--poll-seconds N] [--max-polls N] [--provider real|simulated]
 * --window realtime (live mode only) takes no --end: each poll's window runs from the persisted
 * state (or --start, first poll) to the start of the current hour.
 * Without --start the window starts where the last successful run of the same source, mode and
 * sink ended (ais/window_state.h). AIS_ERR_USAGE for unknown or malformed flags, missing
 * required ones, flags that do not apply to the source or mode, a bad time, or end <= start.
 * Every source parses here (the gridded ones, sentinel5p, maiac and era5, are run by
 * cmd_gridded.c). errbuf (if not NULL) receives a one-line message. */
ais_status ais_ingest_parse_args(int argc, char **argv, ais_ingest_args *out, char *errbuf,
                                 size_t errbuf_size);

#endif
