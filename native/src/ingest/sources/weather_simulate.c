/* Simulated WeatherAPI hours for the 24 provinces. The model is described in ais/weather.h;
 * the constants here are its tuning. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ais/noise.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define UTC_OFFSET_SECONDS (7 * AIS_SECONDS_PER_HOUR) /* all of Vietnam, no DST */
#define TZ_ID "Asia/Ho_Chi_Minh"
#define DAYS_PER_YEAR 365.2425

#define DAILY_MIN_HOUR 6.0  /* local time of the coolest hour */
#define DAILY_MAX_HOUR 14.0 /* and of the warmest */
#define SYNOPTIC_KNOT_H 48.0
#define SYNOPTIC_SIGMA_C 1.0
#define COLD_SURGE_SIGMA_C 1.6 /* extra synoptic spread in the northern winter */
#define RAIN_KNOT_H 6.0
#define RAIN_THRESHOLD_DRY 1.9 /* normal-ish noise above this rains: ~2 % of dry-season hours */
#define RAIN_THRESHOLD_DROP 1.15 /* ... lowered by this at the height of the rainy season */
#define RAIN_RATE_MM 6.0
#define RAIN_MAX_MM 60.0
#define CLOUD_KNOT_H 8.0
#define WIND_KNOT_H 12.0
#define PRESSURE_KNOT_H 72.0

enum stream {
    STREAM_SYNOPTIC = 101,
    STREAM_RAIN,
    STREAM_CLOUD,
    STREAM_HUMIDITY,
    STREAM_WIND_SPEED,
    STREAM_WIND_DIR,
    STREAM_GUST,
    STREAM_PRESSURE
};

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static double round_to(double v, double step)
{
    return round(v / step) * step;
}

/* Distance in days between two days of the year, on the circle. */
static double doy_distance(double a, double b)
{
    double d = fmod(fabs(a - b), DAYS_PER_YEAR);
    return d > DAYS_PER_YEAR / 2 ? DAYS_PER_YEAR - d : d;
}

/* -0.5 at the daily minimum, +0.5 at the maximum: half-cosines up 06->14 and down 14->06. */
static double diurnal(double local_hour)
{
    double rise = DAILY_MAX_HOUR - DAILY_MIN_HOUR;
    double h = fmod(local_hour - DAILY_MIN_HOUR + 24.0, 24.0);
    if (h <= rise)
        return -0.5 * cos(M_PI * h / rise);
    return 0.5 * cos(M_PI * (h - rise) / (24.0 - rise));
}

/* Solar elevation in degrees (declination and equation-of-time free approximation; within a
 * degree or two, plenty for is_day and uv). */
static double solar_elevation(double lat, double lon, double doy, double utc_hour)
{
    double decl = 23.44 * sin(2.0 * M_PI * (284.0 + doy) / 365.0) * M_PI / 180.0;
    double solar_time = utc_hour + lon / 15.0;
    double hour_angle = (solar_time - 12.0) * 15.0 * M_PI / 180.0;
    double phi = lat * M_PI / 180.0;
    double s = sin(phi) * sin(decl) + cos(phi) * cos(decl) * cos(hour_angle);
    return asin(clamp(s, -1.0, 1.0)) * 180.0 / M_PI;
}

static const char *const COMPASS[16] = {"N",  "NNE", "NE", "ENE", "E",  "ESE", "SE", "SSE",
                                        "S",  "SSW", "SW", "WSW", "W",  "WNW", "NW", "NNW"};

/* Dew point from temperature and relative humidity (Magnus, Alduchov-Eskridge constants). */
static double dew_point(double t, double rh)
{
    double g = log(rh / 100.0) + 17.625 * t / (243.04 + t);
    return 243.04 * g / (17.625 - g);
}

/* Heat index (Rothfusz regression, NWS) above 27 °C; wind chill below 10 °C in wind. */
static double feels_like(double t, double rh, double wind_kph)
{
    if (t >= 27.0 && rh >= 40.0) {
        double f = t * 9.0 / 5.0 + 32.0;
        double hi = -42.379 + 2.04901523 * f + 10.14333127 * rh - 0.22475541 * f * rh -
                    6.83783e-3 * f * f - 5.481717e-2 * rh * rh + 1.22874e-3 * f * f * rh +
                    8.5282e-4 * f * rh * rh - 1.99e-6 * f * f * rh * rh;
        return (hi - 32.0) * 5.0 / 9.0;
    }
    if (t <= 10.0 && wind_kph > 4.8) {
        double v = pow(wind_kph, 0.16);
        return 13.12 + 0.6215 * t - 11.37 * v + 0.3965 * t * v;
    }
    return t;
}

typedef struct condition {
    int code;
    const char *day, *night;
} condition;

static condition classify(double precip, double cloud, double vis)
{
    if (precip >= 7.6)
        return (condition){1195, "Heavy rain", "Heavy rain"};
    if (precip >= 2.5)
        return (condition){1189, "Moderate rain", "Moderate rain"};
    if (precip >= 0.5)
        return (condition){1183, "Light rain", "Light rain"};
    if (precip > 0.0)
        return (condition){1063, "Patchy rain possible", "Patchy rain possible"};
    if (vis < 5.0)
        return (condition){1030, "Mist", "Mist"};
    if (cloud < 20.0)
        return (condition){1000, "Sunny", "Clear"};
    if (cloud < 50.0)
        return (condition){1003, "Partly cloudy", "Partly cloudy"};
    if (cloud < 80.0)
        return (condition){1006, "Cloudy", "Cloudy"};
    return (condition){1009, "Overcast", "Overcast"};
}

ais_status ais_weather_sim_hour_get(uint64_t seed, const ais_weather_province *p,
                                    int64_t hour_start, ais_weather_sim_hour *out)
{
    if (p == NULL || out == NULL || hour_start % AIS_SECONDS_PER_HOUR != 0)
        return AIS_ERR_INVALID_ARG;
    ais_civil_time local;
    ais_status st = ais_time_to_civil(hour_start + UTC_OFFSET_SECONDS, &local);
    if (st != AIS_OK)
        return st;
    memset(out, 0, sizeof *out);

    uint64_t key = (uint64_t)(p - ais_weather_province_at(0)) + 1;
    double t_hours = (double)(hour_start / AIS_SECONDS_PER_HOUR);
    double doy = local.yday + local.hour / 24.0;
    double local_hour = local.hour;
    double utc_hour = fmod(local_hour - UTC_OFFSET_SECONDS / 3600.0 + 24.0, 24.0);
    /* 1 in mid-winter, -1 in mid-summer (for the pressure and cold-surge cycle) */
    double winter = cos(2.0 * M_PI * (doy - 15.0) / DAYS_PER_YEAR);
    double wet = exp(-0.5 * pow(doy_distance(doy, p->wet_peak_doy) / p->wet_half_days, 2.0));
    int north = p->latitude > 17.0;

    /* rain */
    double rain_noise = ais_noise_value(seed, STREAM_RAIN, key, t_hours, RAIN_KNOT_H,
                                        AIS_KNOT_NORMAL);
    double threshold = RAIN_THRESHOLD_DRY - RAIN_THRESHOLD_DROP * wet;
    double excess = rain_noise - threshold;
    double precip = excess > 0.0 ? clamp(0.2 + RAIN_RATE_MM * excess * excess, 0.0, RAIN_MAX_MM)
                                 : 0.0;
    precip = round_to(precip, 0.1);

    /* clouds */
    double cloud_noise = ais_noise_value(seed, STREAM_CLOUD, key, t_hours, CLOUD_KNOT_H,
                                         AIS_KNOT_NORMAL);
    double cloud = 100.0 * clamp(0.35 + 0.25 * wet + 0.3 * cloud_noise, 0.0, 1.0);
    if (precip > 0.0)
        cloud = fmax(cloud, 75.0 + 5.0 * fmin(precip, 5.0));
    cloud = round(clamp(cloud, 0.0, 100.0));

    /* temperature */
    double seasonal = p->temp_mean_c +
                      p->temp_amp_c * cos(2.0 * M_PI * (doy - p->warmest_doy) / DAYS_PER_YEAR);
    double sigma = SYNOPTIC_SIGMA_C + (north ? COLD_SURGE_SIGMA_C * fmax(winter, 0.0) : 0.0);
    double synoptic = sigma * ais_noise_value(seed, STREAM_SYNOPTIC, key, t_hours,
                                              SYNOPTIC_KNOT_H, AIS_KNOT_NORMAL);
    double d = diurnal(local_hour);
    /* clouds damp the daily swing */
    double swing = p->diurnal_range_c * (1.0 - 0.45 * cloud / 100.0);
    double temp = seasonal + swing * d + synoptic;
    if (precip > 0.0)
        temp -= fmin(4.0, 1.0 + 0.3 * precip);
    temp = round_to(temp, 0.1);

    /* humidity: the daily swing mirrored, wetter in the rainy season and in rain */
    double rh = p->rh_mean + 4.0 * wet - 50.0 * d * (swing / 10.0) +
                5.0 * ais_noise_value(seed, STREAM_HUMIDITY, key, t_hours, 24.0, AIS_KNOT_NORMAL);
    if (precip > 0.0)
        rh = fmax(rh, 90.0 + fmin(precip, 9.0));
    rh = round(clamp(rh, 25.0, 100.0));
    double dew = fmin(dew_point(temp, rh), temp);

    /* wind: the monsoon turns the prevailing direction between the seasons */
    double monsoon = 0.5 - 0.5 * winter; /* 0 in winter, 1 in summer */
    double turn = fmod(p->summer_wind_deg - p->winter_wind_deg + 540.0, 360.0) - 180.0;
    double dir = p->winter_wind_deg + monsoon * turn +
                 35.0 * ais_noise_value(seed, STREAM_WIND_DIR, key, t_hours, WIND_KNOT_H,
                                        AIS_KNOT_NORMAL);
    long degree = (long)fmod(fmod(round(dir), 360.0) + 360.0, 360.0);
    double speed = p->wind_mean_kph * (0.75 + 0.5 * (d + 0.5)) *
                   exp(0.35 * ais_noise_value(seed, STREAM_WIND_SPEED, key, t_hours, WIND_KNOT_H,
                                              AIS_KNOT_NORMAL));
    speed = round_to(clamp(speed, 0.0, 120.0), 0.1);
    double gust = speed * (1.3 + 0.6 * ais_noise_uniform(seed, STREAM_GUST, key,
                                                         (uint64_t)(hour_start / 3600))) +
                  (precip > 2.5 ? 8.0 : 0.0);
    gust = round_to(gust, 0.1);

    /* sea-level pressure */
    double pressure = 1011.0 + (north ? 7.0 : 3.0) * winter +
                      1.2 * cos(4.0 * M_PI * (local_hour - 10.0) / 24.0) +
                      3.0 * ais_noise_value(seed, STREAM_PRESSURE, key, t_hours, PRESSURE_KNOT_H,
                                            AIS_KNOT_NORMAL);
    pressure = round(pressure);

    /* sun, visibility, sky */
    double elevation = solar_elevation(p->latitude, p->longitude, doy, utc_hour);
    long is_day = elevation > -0.833;
    double uv = elevation > 0.0
                    ? 12.5 * pow(sin(elevation * M_PI / 180.0), 1.3) * (1.0 - 0.6 * cloud / 100.0)
                    : 0.0;
    uv = round_to(uv, 0.1);
    double vis = 10.0;
    if (precip > 0.0)
        vis = clamp(10.0 - 1.5 * precip, 1.0, 10.0);
    else if (rh >= 96.0 && !is_day)
        vis = 4.0;
    vis = round(vis);
    condition cond = classify(precip, cloud, vis);
    long chance = precip > 0.0 ? (long)round(clamp(70.0 + 30.0 * excess, 70.0, 100.0))
                               : (long)round(clamp(70.0 * (excess + 1.2) / 1.2, 0.0, 69.0));

    ais_weather_location *loc = &out->location;
    snprintf(loc->name, sizeof loc->name, "%s", p->name);
    snprintf(loc->tz_id, sizeof loc->tz_id, "%s", TZ_ID);
    loc->latitude = p->latitude;
    loc->longitude = p->longitude;

    ais_weather_hour *h = &out->hour;
    snprintf(h->local_time, sizeof h->local_time, "%04d-%02d-%02d %02d:00", local.year,
             local.month, local.day, local.hour);
    h->time_epoch = hour_start;
    h->utc_offset_seconds = UTC_OFFSET_SECONDS;
    h->temp_c = temp;
    h->humidity = (long)rh;
    h->wind_kph = speed;
    h->pressure_mb = pressure;
    h->precip_mm = precip;
    h->feelslike_c = (ais_opt_double){true, round_to(feels_like(temp, rh, speed), 0.1)};
    h->dewpoint_c = (ais_opt_double){true, round_to(dew, 0.1)};
    h->gust_kph = (ais_opt_double){true, gust};
    h->vis_km = (ais_opt_double){true, vis};
    h->uv = (ais_opt_double){true, uv};
    h->wind_degree = (ais_opt_long){true, degree};
    h->cloud = (ais_opt_long){true, (long)cloud};
    h->condition_code = (ais_opt_long){true, cond.code};
    h->is_day = (ais_opt_long){true, is_day};
    h->will_it_rain = (ais_opt_long){true, precip > 0.0};
    h->chance_of_rain = (ais_opt_long){true, chance};
    snprintf(h->wind_dir, sizeof h->wind_dir, "%s", COMPASS[((degree * 2 + 22) / 45) % 16]);
    h->has_wind_dir = true;
    snprintf(h->condition_text, sizeof h->condition_text, "%s", is_day ? cond.day : cond.night);
    h->has_condition_text = true;
    return AIS_OK;
}

ais_status ais_weather_simulate(uint64_t seed, size_t n_provinces, const ais_envelope *env,
                                const ais_sink *sink, uint64_t *events_out)
{
    if (env == NULL || sink == NULL || events_out == NULL)
        return AIS_ERR_INVALID_ARG;
    *events_out = 0;
    if (n_provinces == 0 || n_provinces > ais_weather_province_count())
        return AIS_ERR_RANGE;
    if (env->window_start % AIS_SECONDS_PER_HOUR != 0 ||
        env->window_end % AIS_SECONDS_PER_HOUR != 0 || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;

    for (int64_t t = env->window_start; t < env->window_end; t += AIS_SECONDS_PER_HOUR) {
        for (size_t i = 0; i < n_provinces; i++) {
            const ais_weather_province *p = ais_weather_province_at(i);
            ais_weather_sim_hour sim;
            int64_t now;
            json_t *event = NULL;
            char query[64];
            ais_status st = ais_weather_sim_hour_get(seed, p, t, &sim);
            if (st == AIS_OK)
                st = ais_time_now(&now, NULL);
            if (st != AIS_OK)
                return st;
            snprintf(query, sizeof query, "%.4f,%.4f", p->latitude, p->longitude);
            st = ais_weather_event_new(env, p->name, p->slug, query, &sim.location, &sim.hour,
                                       now, &event);
            if (st == AIS_OK)
                st = ais_sink_write(sink, event);
            json_decref(event);
            if (st != AIS_OK)
                return st;
            (*events_out)++;
        }
    }
    return AIS_OK;
}
