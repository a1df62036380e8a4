/* Deterministic, physically plausible simulated Hanoi PM2.5 (the OpenAQ source in simulate mode).
 *
 * Every number is a pure function of (seed, station, hour): a counter-based hash (splitmix64 over
 * seed, stream, station and hour index) replaces a sequential random generator, and slow
 * variation comes from value noise (random knots on a fixed time grid, smoothly interpolated).
 * Nothing depends on the requested window, so overlapping windows give identical values and a
 * backfill equals the original run.
 *
 * Model of one station-hour, in µg/m³:
 *
 *   city level = seasonal base    cosine over the year: ~85 mid-January (winter monsoon, shallow
 *                                 boundary layer, straw burning), ~25 mid-July (summer rains)
 *              x diurnal shape    Hanoi local time: morning traffic peak 7-9, evening peak 19-22,
 *                                 afternoon minimum 13-16 when the boundary layer is deepest;
 *                                 mean 1 over the day
 *              x synoptic factor  value noise on 72 h and 12 h knots through a bounded log-normal-
 *                                 like map, 0.4..2.2, so pollution episodes last days
 *              x washout factor   rain value noise on 9 h knots; more often in the wet season;
 *                                 0.4..1
 *   station    = city level x station factor (0.8..1.25, fixed per station)
 *                           x hourly noise (+-8 %), clamped to [1, 600], rounded to 0.1
 *
 * Coverage: 4 quarter-hour readings expected; ~81 % of hours have 4, ~10 % 3, ~4 % 2, ~3 % 1
 * (below 50 %) and ~2 % none (value null). */
#ifndef AIS_SIMULATE_H
#define AIS_SIMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ais/config.h"
#include "ais/envelope.h"
#include "ais/sink.h"
#include "ais/status.h"

#define AIS_SIM_MAX_STATIONS 50
#define AIS_SIM_DEFAULT_STATIONS 6
/* Simulated location ids start far above real OpenAQ ids so the two can never collide. */
#define AIS_SIM_LOCATION_ID_BASE 900001
#define AIS_SIM_READINGS_PER_HOUR 4
#define AIS_SIM_VALUE_MIN 1.0
#define AIS_SIM_VALUE_MAX 600.0
#define AIS_SIM_STATION_FACTOR_MIN 0.8
#define AIS_SIM_STATION_FACTOR_MAX 1.25
#define AIS_SIM_SYNOPTIC_MIN 0.4
#define AIS_SIM_SYNOPTIC_MAX 2.2
#define AIS_SIM_WASHOUT_MIN 0.4

typedef struct ais_bbox {
    double west, east, south, north; /* degrees */
} ais_bbox;

typedef struct ais_sim_params {
    uint64_t seed;
    int utc_offset_hours; /* local time of the diurnal cycle and the season: Hanoi is +7 */
    ais_bbox bbox;        /* where stations beyond the named districts are placed */
} ais_sim_params;

/* Hanoi's constants from CONTRACTS.md section 1 (UTC+7, bbox 105.25-106.10 E, 20.55-21.40 N). */
ais_status ais_sim_params_hanoi(uint64_t seed, ais_sim_params *out);

/* The same from the configuration: simulate.seed (a non-negative integer), hanoi.bbox.* and
 * hanoi.utc_offset_hours. Missing keys and bad values are reported with their status. */
ais_status ais_sim_params_from_config(const ais_config *cfg, ais_sim_params *out);

/* How many stations to simulate: simulate.openaq_stations, AIS_SIM_DEFAULT_STATIONS when the key
 * is absent; AIS_ERR_RANGE outside 1..AIS_SIM_MAX_STATIONS, AIS_ERR_TYPE if not an integer. */
ais_status ais_sim_stations_from_config(const ais_config *cfg, unsigned *out);

typedef struct ais_sim_station {
    unsigned index;      /* 0-based */
    int64_t location_id; /* AIS_SIM_LOCATION_ID_BASE + index */
    int64_t sensor_id;   /* location_id * 10 + 1 */
    char name[64];       /* "Simulated Hoan Kiem", ..., "Simulated Hanoi Site 09" */
    double latitude;
    double longitude;
    double factor; /* AIS_SIM_STATION_FACTOR_MIN..MAX, depends on seed and station */
} ais_sim_station;

/* Station index 0..AIS_SIM_MAX_STATIONS-1 (AIS_ERR_RANGE otherwise). The first eight are the
 * inner districts at their real centres; the rest sit at positions that depend only on the index,
 * inside the middle 80 % of params->bbox. */
ais_status ais_sim_station_get(const ais_sim_params *params, unsigned index,
                               ais_sim_station *out);

/* The city-wide components of one hour (hour_start on an hour boundary, else
 * AIS_ERR_INVALID_ARG). */
typedef struct ais_sim_city {
    double seasonal; /* µg/m³ */
    double diurnal;  /* multiplier */
    double synoptic; /* multiplier */
    double washout;  /* multiplier */
    double level;    /* product of the above, µg/m³ */
} ais_sim_city;

ais_status ais_sim_city_hour(const ais_sim_params *params, int64_t hour_start, ais_sim_city *out);

/* One station-hour of PM2.5. */
typedef struct ais_sim_pm25 {
    int expected_count; /* AIS_SIM_READINGS_PER_HOUR */
    int observed_count; /* 0..expected_count */
    bool has_value;     /* false when observed_count is 0 */
    double value;       /* µg/m³, 0.1 resolution, in [1, 600]; 0 when !has_value */
} ais_sim_pm25;

ais_status ais_sim_pm25_hour(const ais_sim_params *params, const ais_sim_station *station,
                             int64_t hour_start, ais_sim_pm25 *out);

/* Generates one OpenAQ event per (hour, station) for the hours of env's window (which must start
 * and end on hour boundaries) and stations 0..n_stations-1, in hour-major order, into sink.
 * Events carry source "simulated". *events_out counts events accepted by the sink, also when a
 * later one fails. */
ais_status ais_openaq_simulate(const ais_sim_params *params, unsigned n_stations,
                               const ais_envelope *env, const ais_sink *sink,
                               uint64_t *events_out);

#endif
