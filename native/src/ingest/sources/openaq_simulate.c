/* Simulated OpenAQ PM2.5 for Hanoi. The model is described in ais/simulate.h; the constants
 * below are its tuning, with the reason for each. */
#include "ais/simulate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ais/noise.h"
#include "ais/openaq.h"
#include "ais/timeutil.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Seasonal base: mean and half-range of the annual cosine, peaking mid-January. */
#define SEASON_MEAN_UGM3 55.0
#define SEASON_AMPLITUDE_UGM3 30.0
#define SEASON_PEAK_DAY_OF_YEAR 14.5

/* Diurnal bumps in local hours: (centre, width, amplitude). */
#define MORNING_PEAK_H 8.0
#define MORNING_WIDTH_H 1.5
#define MORNING_AMPLITUDE 0.25
#define EVENING_PEAK_H 20.5
#define EVENING_WIDTH_H 2.0
#define EVENING_AMPLITUDE 0.35
#define AFTERNOON_LOW_H 14.5
#define AFTERNOON_WIDTH_H 2.5
#define AFTERNOON_AMPLITUDE (-0.30)

/* Synoptic weather: slow (multi-day) and fast (half-day) knots, weights of each. */
#define SYNOPTIC_SLOW_KNOT_H 72.0
#define SYNOPTIC_FAST_KNOT_H 12.0
#define SYNOPTIC_SLOW_WEIGHT 0.42
#define SYNOPTIC_FAST_WEIGHT 0.18

/* Rain: knots every 9 h (showers and frontal rain last hours, not days). Rain happens when the
 * noise exceeds a threshold that is lower in the wet season (more rain in summer). */
#define RAIN_KNOT_H 9.0
#define RAIN_THRESHOLD_MID 0.775
#define RAIN_THRESHOLD_SEASONAL 0.075
#define WASHOUT_DEPTH (1.0 - AIS_SIM_WASHOUT_MIN)

#define HOURLY_NOISE 0.08

/* Cumulative probabilities of observed readings 0, 1, 2, 3 (else 4). */
#define P_OBSERVED_0 0.02
#define P_OBSERVED_LE_1 0.05
#define P_OBSERVED_LE_2 0.09
#define P_OBSERVED_LE_3 0.19

/* One independent random stream per quantity, so adding a quantity never shifts the others. */
enum stream {
    STREAM_STATION_FACTOR = 1,
    STREAM_STATION_LAT,
    STREAM_STATION_LON,
    STREAM_SYNOPTIC_SLOW,
    STREAM_SYNOPTIC_FAST,
    STREAM_RAIN,
    STREAM_HOURLY_NOISE,
    STREAM_COVERAGE
};

/* Positions of extra stations must not move when the seed changes: a fixed key. */
#define POSITION_KEY 0x486e4f69u

typedef struct district {
    const char *name;
    double latitude, longitude;
} district;

static const district DISTRICTS[] = {
    {"Hoan Kiem", 21.0285, 105.8542},  {"Cau Giay", 21.0362, 105.7906},
    {"Hai Ba Trung", 21.0058, 105.8574}, {"Long Bien", 21.0547, 105.8880},
    {"Ha Dong", 20.9710, 105.7788},    {"Tay Ho", 21.0680, 105.8240},
    {"Thanh Xuan", 20.9937, 105.8142}, {"Nam Tu Liem", 21.0122, 105.7650},
};
#define N_DISTRICTS (sizeof DISTRICTS / sizeof DISTRICTS[0])

/* Short names for the shared counter-based generators (ais/noise.h). */
static double uniform(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
    return ais_noise_uniform(seed, stream, a, b);
}

static double value_noise(uint64_t seed, enum stream stream, double t_hours, double spacing_h,
                          ais_knot_kind kind)
{
    return ais_noise_value(seed, (uint64_t)stream, 0, t_hours, spacing_h, kind);
}

/* ---------------------------------------------------------------------------------------- */
/* Physics                                                                                  */

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Angle of the annual cycle: 0 at the winter peak. */
static ais_status season_phase(const ais_sim_params *p, int64_t hour_start, double *phase,
                               double *local_hour)
{
    ais_civil_time local;
    ais_status st =
        ais_time_to_civil(hour_start + (int64_t)p->utc_offset_hours * AIS_SECONDS_PER_HOUR, &local);
    if (st != AIS_OK)
        return st;
    int feb;
    st = ais_time_days_in_month(local.year, 2, &feb);
    if (st != AIS_OK)
        return st;
    double year_days = feb == 29 ? 366.0 : 365.0;
    /* middle of the hour, so each hour stands for its average */
    double day = local.yday + (local.hour + 0.5) / 24.0;
    *phase = 2.0 * M_PI * (day - SEASON_PEAK_DAY_OF_YEAR) / year_days;
    *local_hour = local.hour + 0.5;
    return AIS_OK;
}

static double bump(double hour, double centre, double width)
{
    double d = fabs(hour - centre);
    if (d > 12.0)
        d = 24.0 - d; /* the day is a circle */
    return exp(-0.5 * d * d / (width * width));
}

/* Mean-one daily shape. The bumps' daily mean (amplitude x width x sqrt(2 pi) / 24, exact to
 * well under 0.1 % because they are narrow) is subtracted so the shape moves pollution between
 * hours without changing the daily mean. */
static double diurnal_shape(double local_hour)
{
    const double norm = sqrt(2.0 * M_PI) / 24.0;
    double mean = (MORNING_AMPLITUDE * MORNING_WIDTH_H + EVENING_AMPLITUDE * EVENING_WIDTH_H +
                   AFTERNOON_AMPLITUDE * AFTERNOON_WIDTH_H) *
                  norm;
    return 1.0 + MORNING_AMPLITUDE * bump(local_hour, MORNING_PEAK_H, MORNING_WIDTH_H) +
           EVENING_AMPLITUDE * bump(local_hour, EVENING_PEAK_H, EVENING_WIDTH_H) +
           AFTERNOON_AMPLITUDE * bump(local_hour, AFTERNOON_LOW_H, AFTERNOON_WIDTH_H) - mean;
}

/* Log-normal-like near 1 (slope 1 in x, like exp(x)) but bounded: a logistic curve from
 * AIS_SIM_SYNOPTIC_MIN to AIS_SIM_SYNOPTIC_MAX passing through 1 at x = 0. */
static double synoptic_factor(double x)
{
    const double span = AIS_SIM_SYNOPTIC_MAX - AIS_SIM_SYNOPTIC_MIN;
    const double s0 = (1.0 - AIS_SIM_SYNOPTIC_MIN) / span; /* logistic value at x = 0 */
    const double offset = log(s0 / (1.0 - s0));
    const double slope = 1.0 / (span * s0 * (1.0 - s0));
    return AIS_SIM_SYNOPTIC_MIN + span / (1.0 + exp(-(slope * x + offset)));
}

ais_status ais_sim_city_hour(const ais_sim_params *params, int64_t hour_start, ais_sim_city *out)
{
    double phase, local_hour;
    if (params == NULL || out == NULL || hour_start % AIS_SECONDS_PER_HOUR != 0)
        return AIS_ERR_INVALID_ARG;
    ais_status st = season_phase(params, hour_start, &phase, &local_hour);
    if (st != AIS_OK)
        return st;

    double t_hours = (double)(hour_start / AIS_SECONDS_PER_HOUR) + 0.5;
    double season = cos(phase); /* +1 mid-winter, -1 mid-summer */

    double x = SYNOPTIC_SLOW_WEIGHT * value_noise(params->seed, STREAM_SYNOPTIC_SLOW, t_hours,
                                                  SYNOPTIC_SLOW_KNOT_H, AIS_KNOT_NORMAL) +
               SYNOPTIC_FAST_WEIGHT * value_noise(params->seed, STREAM_SYNOPTIC_FAST, t_hours,
                                                  SYNOPTIC_FAST_KNOT_H, AIS_KNOT_NORMAL);
    double rain = value_noise(params->seed, STREAM_RAIN, t_hours, RAIN_KNOT_H, AIS_KNOT_UNIFORM);
    double threshold = RAIN_THRESHOLD_MID + RAIN_THRESHOLD_SEASONAL * season;
    double wetness = clamp((rain - threshold) / (1.0 - threshold), 0.0, 1.0);

    out->seasonal = SEASON_MEAN_UGM3 + SEASON_AMPLITUDE_UGM3 * season;
    out->diurnal = diurnal_shape(local_hour);
    out->synoptic = synoptic_factor(x);
    out->washout = 1.0 - WASHOUT_DEPTH * wetness;
    out->level = out->seasonal * out->diurnal * out->synoptic * out->washout;
    return AIS_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Stations and station-hours                                                               */

ais_status ais_sim_params_hanoi(uint64_t seed, ais_sim_params *out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    out->seed = seed;
    out->utc_offset_hours = 7;
    out->bbox.west = 105.25;
    out->bbox.east = 106.10;
    out->bbox.south = 20.55;
    out->bbox.north = 21.40;
    return AIS_OK;
}

ais_status ais_sim_params_from_config(const ais_config *cfg, ais_sim_params *out)
{
    long seed, offset;
    ais_bbox b;
    if (cfg == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_config_get_long(cfg, "simulate.seed", &seed);
    if (st == AIS_OK)
        st = ais_config_get_long(cfg, "hanoi.utc_offset_hours", &offset);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "hanoi.bbox.west", &b.west);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "hanoi.bbox.east", &b.east);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "hanoi.bbox.south", &b.south);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "hanoi.bbox.north", &b.north);
    if (st != AIS_OK)
        return st;
    if (seed < 0 || offset < -12 || offset > 14 || !(b.west < b.east) || !(b.south < b.north))
        return AIS_ERR_RANGE;
    out->seed = (uint64_t)seed;
    out->utc_offset_hours = (int)offset;
    out->bbox = b;
    return AIS_OK;
}

ais_status ais_sim_stations_from_config(const ais_config *cfg, unsigned *out)
{
    long n;
    if (cfg == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
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

ais_status ais_sim_station_get(const ais_sim_params *params, unsigned index, ais_sim_station *out)
{
    if (params == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (index >= AIS_SIM_MAX_STATIONS)
        return AIS_ERR_RANGE;
    memset(out, 0, sizeof *out);
    out->index = index;
    out->location_id = AIS_SIM_LOCATION_ID_BASE + (int64_t)index;
    out->sensor_id = out->location_id * 10 + 1;
    if (index < N_DISTRICTS) {
        snprintf(out->name, sizeof out->name, "Simulated %s", DISTRICTS[index].name);
        out->latitude = DISTRICTS[index].latitude;
        out->longitude = DISTRICTS[index].longitude;
    } else {
        const ais_bbox *b = &params->bbox;
        double u_lat = uniform(POSITION_KEY, STREAM_STATION_LAT, index, 0);
        double u_lon = uniform(POSITION_KEY, STREAM_STATION_LON, index, 0);
        snprintf(out->name, sizeof out->name, "Simulated Hanoi Site %02u", index + 1);
        /* 4 decimals, like the district centres (about 10 m) */
        out->latitude = round((b->south + (0.1 + 0.8 * u_lat) * (b->north - b->south)) * 1e4) / 1e4;
        out->longitude = round((b->west + (0.1 + 0.8 * u_lon) * (b->east - b->west)) * 1e4) / 1e4;
    }
    out->factor = AIS_SIM_STATION_FACTOR_MIN +
                  (AIS_SIM_STATION_FACTOR_MAX - AIS_SIM_STATION_FACTOR_MIN) *
                      uniform(params->seed, STREAM_STATION_FACTOR, (uint64_t)out->location_id, 0);
    return AIS_OK;
}

static int observed_readings(double u)
{
    if (u < P_OBSERVED_0)
        return 0;
    if (u < P_OBSERVED_LE_1)
        return 1;
    if (u < P_OBSERVED_LE_2)
        return 2;
    if (u < P_OBSERVED_LE_3)
        return 3;
    return AIS_SIM_READINGS_PER_HOUR;
}

ais_status ais_sim_pm25_hour(const ais_sim_params *params, const ais_sim_station *station,
                             int64_t hour_start, ais_sim_pm25 *out)
{
    ais_sim_city city;
    if (station == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_sim_city_hour(params, hour_start, &city);
    if (st != AIS_OK)
        return st;

    uint64_t id = (uint64_t)station->location_id;
    uint64_t hour_index = (uint64_t)(hour_start / AIS_SECONDS_PER_HOUR);
    double noise =
        1.0 + HOURLY_NOISE * (2.0 * uniform(params->seed, STREAM_HOURLY_NOISE, id, hour_index) - 1.0);
    double value = clamp(city.level * station->factor * noise, AIS_SIM_VALUE_MIN, AIS_SIM_VALUE_MAX);

    out->expected_count = AIS_SIM_READINGS_PER_HOUR;
    out->observed_count = observed_readings(uniform(params->seed, STREAM_COVERAGE, id, hour_index));
    out->has_value = out->observed_count > 0;
    out->value = out->has_value ? round(value * 10.0) / 10.0 : 0.0;
    return AIS_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Events                                                                                   */

static ais_status emit_hour(const ais_sim_params *params, const ais_sim_station *station,
                            int64_t hour_start, const ais_envelope *env, const ais_sink *sink)
{
    ais_sim_pm25 pm;
    int64_t now;
    json_t *event = NULL;

    ais_status st = ais_sim_pm25_hour(params, station, hour_start, &pm);
    if (st == AIS_OK)
        st = ais_time_now(&now, NULL);
    if (st != AIS_OK)
        return st;

    ais_openaq_hour hour = {
        .location_id = station->location_id,
        .sensor_id = station->sensor_id,
        .location_name = station->name,
        .parameter = "pm25",
        .units = "µg/m³",
        .has_value = pm.has_value,
        .value = pm.value,
        .latitude = station->latitude,
        .longitude = station->longitude,
        .hour_start = hour_start,
        .expected_count = pm.expected_count,
        .observed_count = pm.observed_count,
    };
    st = ais_openaq_event_new(env, &hour, now, &event);
    if (st != AIS_OK)
        return st;
    st = ais_sink_write(sink, event);
    json_decref(event);
    return st;
}

ais_status ais_openaq_simulate(const ais_sim_params *params, unsigned n_stations,
                               const ais_envelope *env, const ais_sink *sink,
                               uint64_t *events_out)
{
    ais_sim_station stations[AIS_SIM_MAX_STATIONS];

    if (params == NULL || env == NULL || sink == NULL || events_out == NULL)
        return AIS_ERR_INVALID_ARG;
    *events_out = 0;
    if (n_stations == 0 || n_stations > AIS_SIM_MAX_STATIONS)
        return AIS_ERR_RANGE;
    if (env->window_start % AIS_SECONDS_PER_HOUR != 0 ||
        env->window_end % AIS_SECONDS_PER_HOUR != 0 || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;

    for (unsigned i = 0; i < n_stations; i++) {
        ais_status st = ais_sim_station_get(params, i, &stations[i]);
        if (st != AIS_OK)
            return st;
    }
    for (int64_t hour = env->window_start; hour < env->window_end; hour += AIS_SECONDS_PER_HOUR) {
        for (unsigned i = 0; i < n_stations; i++) {
            ais_status st = emit_hour(params, &stations[i], hour, env, sink);
            if (st != AIS_OK)
                return st;
            (*events_out)++;
        }
    }
    return AIS_OK;
}
