/* Simulated WeatherAPI.com: the history.json bodies `ais-ingest weather --mode live` would fetch
 * for a window, with the values of AIS's weather simulator (ais_weather_sim_hour_get, the
 * function behind `--mode simulate`), so the live path over these bodies gives the simulate
 * mode's events.
 *
 *   <out>/weather-provinces.json              {"<lat>,<lon>": "<folder>"}: the q the live
 *                                             adapter sends for each of the 24 provinces (beside
 *                                             weather/, so that weather/ stays a folder
 *                                             `--mode replay` reads as it is)
 *   <out>/weather/<folder>/<YYYY-MM-DD>.json  one body per province and local date
 *   <out>/weather-forecast/<folder>.json      one forecast.json body per province: the issue of
 *                                             the window's last hour (current.last_updated_epoch
 *                                             = window end - 45 min), three local days of
 *                                             ais_weather_forecast_sim_hour (weather_forecast.h),
 *                                             what `ais-ingest weather-forecast --mode live`
 *                                             fetches during that hour
 *
 * Which dates: the live adapter asks for every LOCAL date (hanoi.utc_offset_hours) the window
 * touches, so a window of N whole UTC days in Vietnam (UTC+7) is N + 1 dates: the first date's
 * early hours and the last date's late hours lie outside the window and the adapter drops them.
 * Folders are the province names with '_' for spaces (Ha_Noi), the layout of the recorded
 * bodies (../shared/data/weatherapi-history-vn-2025-01).
 *
 * A body has the shape of the recorded ones: location{name, region, country, lat, lon, tz_id,
 * localtime_epoch, localtime}, forecast.forecastday[1]{date, date_epoch, day, astro, hour[24]}.
 * The hours carry the simulator's values and their imperial twins; windchill and heatindex are
 * the simulator's feels-like where that formula applies (wind chill at 10 °C and below, heat
 * index from 27 °C) and the temperature elsewhere; the day is the hours' aggregates (uv the
 * highest), its condition that of the wettest hour, or of noon on a dry day. The location is the simulator's:
 * the province's main city and tz_id "Asia/Ho_Chi_Minh" (WeatherAPI itself resolves a q to the
 * nearest place of its own and names northern places "Asia/Bangkok"). localtime, the wall
 * clock of a real response, is here the first moment the day is served in full (the end of the
 * local day + AIS_WEATHER_HISTORY_LAG_SECONDS), so the bytes depend on nothing but the
 * (seed, window, configuration). Sunrise and sunset come from the simulator's solar model (the
 * same declination, no equation of time); the moon from its mean synodic month, moonrise and
 * moonset placed as far after sunrise and sunset as the moon's age (a rough rule, but a
 * plausible one). Nothing here is an observation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/fsutil.h"
#include "ais/provsim.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"
#include "ais/weather.h"
#include "ais/weather_forecast.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define HOURS_PER_DAY 24
#define NOON_HOUR 12
#define KM_PER_MILE 1.609344
#define MB_PER_INCH 33.8639
#define MM_PER_INCH 25.4
#define WIND_CHILL_MAX_C 10.0 /* the simulator's feels-like: wind chill at or below this */
#define HEAT_INDEX_MIN_C 27.0 /* ... heat index at or above this */
#define SUN_HORIZON_DEG (-0.833) /* refraction and the sun's radius, as the simulator's is_day */
#define SYNODIC_MONTH_DAYS 29.530588853
#define NEW_MOON_EPOCH 947182440 /* 2000-01-06T18:14:00Z */
#define ICON_PREFIX "//cdn.weatherapi.com/weather/64x64/"
#define QUERY_SIZE 64
#define FOLDER_SIZE 64

/* ------------------------------------------------------------------------------------------ */
/* Units and small formats                                                                    */

static double round_places(double v, double scale)
{
    return round(v * scale) / scale;
}

static double c_to_f(double c)
{
    return round_places(c * 9.0 / 5.0 + 32.0, 10.0);
}

static double kph_to_mph(double kph)
{
    return round_places(kph / KM_PER_MILE, 10.0);
}

/* WeatherAPI gives visibility in whole miles (10 km -> 6.0). */
static double km_to_miles(double km)
{
    return round(km / KM_PER_MILE);
}

/* "06:33 AM" from minutes after local midnight (any integer, taken modulo a day). */
static void format_clock(long minutes, char out[16])
{
    long m = ((minutes % 1440) + 1440) % 1440;
    long h = m / 60;
    snprintf(out, 16, "%02ld:%02ld %s", h % 12 == 0 ? 12 : h % 12, m % 60, h < 12 ? "AM" : "PM");
}

/* WeatherAPI's icon number of a condition code (its conditions list; the codes a Vietnamese
 * sky needs). 0 for a code not listed. */
static int icon_of(long code)
{
    static const int ICONS[][2] = {
        {1000, 113}, {1003, 116}, {1006, 119}, {1009, 122}, {1030, 143}, {1063, 176},
        {1087, 200}, {1135, 248}, {1150, 263}, {1153, 266}, {1180, 293}, {1183, 296},
        {1186, 299}, {1189, 302}, {1192, 305}, {1195, 308}, {1240, 353}, {1243, 356},
        {1246, 359}, {1273, 389}, {1276, 392},
    };
    for (size_t i = 0; i < sizeof ICONS / sizeof ICONS[0]; i++)
        if (ICONS[i][0] == code)
            return ICONS[i][1];
    return 0;
}

static json_t *condition_json(const char *text, long code, bool day)
{
    char icon[96];
    snprintf(icon, sizeof icon, ICON_PREFIX "%s/%d.png", day ? "day" : "night", icon_of(code));
    return json_pack("{s:s, s:s, s:i}", "text", text, "icon", icon, "code", (int)code);
}

/* ------------------------------------------------------------------------------------------ */
/* One province-day                                                                           */

typedef struct sim_day {
    const ais_weather_province *province;
    int64_t date_epoch;  /* the local date's midnight read as UTC (WeatherAPI's date_epoch) */
    int64_t first_hour;  /* UTC start of the local date's first hour */
    int utc_offset;      /* the simulator's local time, seconds */
    ais_weather_sim_hour hours[HOURS_PER_DAY];
} sim_day;

/* The hours of a local date: the simulator's (issue NO_ISSUE) or an issue's forecast of them. */
#define NO_ISSUE INT64_MIN

static ais_status sim_hour(uint64_t seed, const ais_weather_province *p, int64_t issue,
                           int64_t t, ais_weather_sim_hour *out)
{
    return issue == NO_ISSUE ? ais_weather_sim_hour_get(seed, p, t, out)
                             : ais_weather_forecast_sim_hour(seed, p, issue, t, out);
}

static ais_status simulate_day(uint64_t seed, const ais_weather_province *p, int64_t date_epoch,
                               int64_t issue, sim_day *d, char *errbuf, size_t errsize)
{
    d->province = p;
    d->date_epoch = date_epoch;
    /* the simulator decides the local time; one hour of the date tells it */
    ais_status st = ais_weather_sim_hour_get(seed, p, date_epoch, &d->hours[0]);
    d->utc_offset = d->hours[0].hour.utc_offset_seconds;
    d->first_hour = date_epoch - d->utc_offset;
    for (int k = 0; st == AIS_OK && k < HOURS_PER_DAY; k++)
        st = sim_hour(seed, p, issue, d->first_hour + (int64_t)k * AIS_SECONDS_PER_HOUR,
                      &d->hours[k]);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errsize, "weather: simulating %s: %s", p->name,
                               ais_status_str(st));
    return AIS_OK;
}

static json_t *hour_json(const ais_weather_hour *h)
{
    double t = h->temp_c, feels = h->feelslike_c.v;
    double chill = t <= WIND_CHILL_MAX_C ? feels : t;
    double heat = t >= HEAT_INDEX_MIN_C ? feels : t;
    return json_pack(
        "{s:I, s:s, s:f, s:f, s:i, s:o, s:f, s:f, s:i, s:s, s:f, s:f, s:f, s:f, s:f, s:i, s:i,"
        " s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f}",
        "time_epoch", (json_int_t)h->time_epoch, "time", h->local_time, "temp_c", t, "temp_f",
        c_to_f(t), "is_day", (int)h->is_day.v, "condition",
        condition_json(h->condition_text, h->condition_code.v, h->is_day.v != 0), "wind_mph",
        kph_to_mph(h->wind_kph), "wind_kph", h->wind_kph, "wind_degree", (int)h->wind_degree.v,
        "wind_dir", h->wind_dir, "pressure_mb", h->pressure_mb, "pressure_in",
        round_places(h->pressure_mb / MB_PER_INCH, 100.0), "precip_mm", h->precip_mm,
        "precip_in", round_places(h->precip_mm / MM_PER_INCH, 100.0), "snow_cm", 0.0,
        "humidity", (int)h->humidity, "cloud", (int)h->cloud.v, "feelslike_c", feels,
        "feelslike_f", c_to_f(feels), "windchill_c", chill, "windchill_f", c_to_f(chill),
        "heatindex_c", heat, "heatindex_f", c_to_f(heat), "dewpoint_c", h->dewpoint_c.v,
        "dewpoint_f", c_to_f(h->dewpoint_c.v), "will_it_rain", (int)h->will_it_rain.v,
        "chance_of_rain", (int)h->chance_of_rain.v, "will_it_snow", 0, "chance_of_snow", 0,
        "vis_km", h->vis_km.v, "vis_miles", km_to_miles(h->vis_km.v), "gust_mph",
        kph_to_mph(h->gust_kph.v), "gust_kph", h->gust_kph.v, "uv", h->uv.v);
}

static json_t *day_json(const sim_day *d)
{
    const ais_weather_hour *first = &d->hours[0].hour;
    double tmax = first->temp_c, tsum = 0.0, wind = 0.0, precip = 0.0;
    double tmin = tmax;
    double vis = 0.0, rh = 0.0, uv = 0.0;
    long rain = 0, chance = 0;
    const ais_weather_hour *sky = &d->hours[NOON_HOUR].hour;
    for (int k = 0; k < HOURS_PER_DAY; k++) {
        const ais_weather_hour *h = &d->hours[k].hour;
        tmax = fmax(tmax, h->temp_c);
        tmin = fmin(tmin, h->temp_c);
        tsum += h->temp_c;
        wind = fmax(wind, h->wind_kph);
        precip += h->precip_mm;
        vis += h->vis_km.v;
        rh += (double)h->humidity;
        uv = fmax(uv, h->uv.v);
        rain |= h->will_it_rain.v;
        chance = h->chance_of_rain.v > chance ? h->chance_of_rain.v : chance;
        if (h->precip_mm > sky->precip_mm)
            sky = h;
    }
    double tavg = round_places(tsum / HOURS_PER_DAY, 10.0);
    double vavg = round_places(vis / HOURS_PER_DAY, 10.0);
    precip = round_places(precip, 100.0);
    return json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:i, s:i,"
        " s:i, s:o, s:f}",
        "maxtemp_c", tmax, "maxtemp_f", c_to_f(tmax), "mintemp_c", tmin, "mintemp_f",
        c_to_f(tmin), "avgtemp_c", tavg, "avgtemp_f", c_to_f(tavg), "maxwind_mph",
        kph_to_mph(wind), "maxwind_kph", wind, "totalprecip_mm", precip, "totalprecip_in",
        round_places(precip / MM_PER_INCH, 100.0), "totalsnow_cm", 0.0, "avgvis_km", vavg,
        "avgvis_miles", km_to_miles(vavg), "avghumidity", (int)lround(rh / HOURS_PER_DAY),
        "daily_will_it_rain", (int)rain, "daily_chance_of_rain", (int)chance,
        "daily_will_it_snow", 0, "daily_chance_of_snow", 0, "condition",
        condition_json(sky->condition_text, sky->condition_code.v, true), "uv", uv);
}

static json_t *astro_json(const sim_day *d)
{
    static const char *const PHASES[8] = {"New Moon",        "Waxing Crescent", "First Quarter",
                                          "Waxing Gibbous",  "Full Moon",       "Waning Gibbous",
                                          "Last Quarter",    "Waning Crescent"};
    ais_civil_time c;
    if (ais_time_to_civil(d->date_epoch, &c) != AIS_OK)
        return NULL;
    double deg = M_PI / 180.0;
    double phi = d->province->latitude * deg;
    double decl = 23.44 * sin(2.0 * M_PI * (284.0 + c.yday + 0.5) / 365.0) * deg;
    double cos_h = (sin(SUN_HORIZON_DEG * deg) - sin(phi) * sin(decl)) / (cos(phi) * cos(decl));
    double half_day_h = acos(fmax(-1.0, fmin(1.0, cos_h))) / deg / 15.0;
    double noon_h = 12.0 - d->province->longitude / 15.0 + d->utc_offset / 3600.0;
    double rise_min = (noon_h - half_day_h) * 60.0, set_min = (noon_h + half_day_h) * 60.0;

    double age = fmod((double)(d->first_hour + NOON_HOUR * AIS_SECONDS_PER_HOUR -
                               NEW_MOON_EPOCH) / AIS_SECONDS_PER_DAY,
                      SYNODIC_MONTH_DAYS);
    double lunation = (age < 0.0 ? age + SYNODIC_MONTH_DAYS : age) / SYNODIC_MONTH_DAYS;
    double moon_shift_min = lunation * 24.0 * 60.0;
    char sunrise[16], sunset[16], moonrise[16], moonset[16];
    format_clock(lround(rise_min), sunrise);
    format_clock(lround(set_min), sunset);
    format_clock(lround(rise_min + moon_shift_min), moonrise);
    format_clock(lround(set_min + moon_shift_min), moonset);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "sunrise", sunrise, "sunset", sunset,
                     "moonrise", moonrise, "moonset", moonset, "moon_phase",
                     PHASES[(int)floor(lunation * 8.0 + 0.5) % 8], "moon_illumination",
                     (int)lround(50.0 * (1.0 - cos(2.0 * M_PI * lunation))));
}

static json_t *location_json(const sim_day *d)
{
    const ais_weather_location *loc = &d->hours[0].location;
    int64_t served = d->first_hour + AIS_SECONDS_PER_DAY + AIS_WEATHER_HISTORY_LAG_SECONDS;
    ais_civil_time c;
    char localtime[32];
    if (ais_time_to_civil(served + d->utc_offset, &c) != AIS_OK)
        return NULL;
    snprintf(localtime, sizeof localtime, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day,
             c.hour, c.minute);
    return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:I, s:s}", "name", loc->name, "region", "",
                     "country", "Vietnam", "lat", loc->latitude, "lon", loc->longitude, "tz_id",
                     loc->tz_id, "localtime_epoch", (json_int_t)served, "localtime", localtime);
}

/* The history.json body of one province-day (*out a new reference). AIS_ERR_RANGE when the
 * simulator gave a condition code without a WeatherAPI icon, AIS_ERR_NOMEM. */
static ais_status body_json(const sim_day *d, const char *date, json_t **out)
{
    for (int k = 0; k < HOURS_PER_DAY; k++)
        if (icon_of(d->hours[k].hour.condition_code.v) == 0)
            return AIS_ERR_RANGE;
    json_t *hours = json_array();
    for (int k = 0; hours != NULL && k < HOURS_PER_DAY; k++) {
        if (json_array_append_new(hours, hour_json(&d->hours[k].hour)) != 0) {
            json_decref(hours);
            hours = NULL;
        }
    }
    if (hours == NULL)
        return AIS_ERR_NOMEM;
    *out = json_pack("{s:o, s:{s:[{s:s, s:I, s:o, s:o, s:o}]}}", "location", location_json(d),
                     "forecast", "forecastday", "date", date, "date_epoch",
                     (json_int_t)d->date_epoch, "day", day_json(d), "astro", astro_json(d),
                     "hour", hours);
    return *out != NULL ? AIS_OK : AIS_ERR_NOMEM;
}

/* ------------------------------------------------------------------------------------------ */
/* The window                                                                                 */

static int64_t floor_day(int64_t t)
{
    return (t >= 0 ? t : t - (AIS_SECONDS_PER_DAY - 1)) / AIS_SECONDS_PER_DAY;
}

/* "Ha Noi" -> "Ha_Noi" */
static void folder_of(const char *name, char out[FOLDER_SIZE])
{
    snprintf(out, FOLDER_SIZE, "%s", name);
    for (char *c = out; *c; c++)
        if (*c == ' ')
            *c = '_';
}

/* q as the live adapter sends it (weather_live.c, fetch_day). */
static void query_of(const ais_weather_province *p, char out[QUERY_SIZE])
{
    snprintf(out, QUERY_SIZE, "%.4f,%.4f", p->latitude, p->longitude);
}

static ais_status write_province(uint64_t seed, const char *dir,
                                 const ais_weather_province *p, int64_t first_day,
                                 int64_t last_day, sim_day *d, ais_provsim_stats *stats,
                                 char *errbuf, size_t errsize)
{
    char folder[FOLDER_SIZE];
    char *pdir = NULL;
    folder_of(p->name, folder);
    if (ais_fs_path_join(dir, folder, &pdir) != AIS_OK)
        return ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "weather: out of memory");
    ais_status st = AIS_OK;
    for (int64_t day = first_day; st == AIS_OK && day <= last_day; day++) {
        ais_civil_time c;
        char date[16], name[32];
        if ((st = ais_time_to_civil(day * AIS_SECONDS_PER_DAY, &c)) != AIS_OK) {
            ais_status_fail(st, errbuf, errsize, "weather: day %lld is outside the calendar",
                            (long long)day);
            break;
        }
        snprintf(date, sizeof date, "%04d-%02d-%02d", c.year, c.month, c.day);
        snprintf(name, sizeof name, "%s.json", date);
        if ((st = simulate_day(seed, p, day * AIS_SECONDS_PER_DAY, NO_ISSUE, d, errbuf,
                               errsize)) != AIS_OK)
            break;
        json_t *body = NULL;
        if ((st = body_json(d, date, &body)) != AIS_OK) {
            ais_status_fail(st, errbuf, errsize, "weather: %s/%s: %s", pdir, name,
                            st == AIS_ERR_RANGE ? "a condition code without a WeatherAPI icon "
                                                  "(add it to icon_of)"
                                                : "out of memory");
            break;
        }
        st = ais_provsim_write_json(pdir, name, body, stats, errbuf, errsize);
        json_decref(body);
    }
    free(pdir);
    return st;
}

/* The forecast.json body of one province for the issue of the hour before end: the three
 * forecastday items of the issue's local dates (each built as a history.json body is) and a
 * `current` object (the simulator's hour of the issue, last updated 15 minutes into it). */
static ais_status write_forecast(uint64_t seed, const char *dir, const ais_weather_province *p,
                                 int utc_offset_hours, int64_t end, sim_day *d,
                                 ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    int64_t issue = end - AIS_SECONDS_PER_HOUR;
    int64_t updated = issue + 15 * 60;
    int64_t first_date = floor_day(issue + (int64_t)utc_offset_hours * AIS_SECONDS_PER_HOUR);
    json_t *days = json_array(), *location = NULL;
    ais_status st = days != NULL ? AIS_OK : AIS_ERR_NOMEM;
    for (int k = 0; st == AIS_OK && k < AIS_WEATHER_FORECAST_DAYS; k++) {
        ais_civil_time c;
        char date[16];
        json_t *body = NULL;
        if ((st = ais_time_to_civil((first_date + k) * AIS_SECONDS_PER_DAY, &c)) != AIS_OK)
            break;
        snprintf(date, sizeof date, "%04d-%02d-%02d", c.year, c.month, c.day);
        if ((st = simulate_day(seed, p, (first_date + k) * AIS_SECONDS_PER_DAY, issue, d, errbuf,
                               errsize)) != AIS_OK)
            break;
        if ((st = body_json(d, date, &body)) != AIS_OK)
            break;
        if (location == NULL)
            location = json_incref(json_object_get(body, "location"));
        json_array_extend(days,
                          json_object_get(json_object_get(body, "forecast"), "forecastday"));
        json_decref(body);
    }
    ais_weather_sim_hour now;
    if (st == AIS_OK)
        st = ais_weather_sim_hour_get(seed, p, issue, &now);
    json_t *doc = NULL;
    if (st == AIS_OK) {
        ais_civil_time c;
        char local[32];
        ais_time_to_civil(updated + (int64_t)utc_offset_hours * AIS_SECONDS_PER_HOUR, &c);
        snprintf(local, sizeof local, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour,
                 c.minute);
        /* a real response's location.localtime is the fetch time: here the update time */
        json_object_set_new(location, "localtime_epoch", json_integer((json_int_t)updated));
        json_object_set_new(location, "localtime", json_string(local));
        json_t *current = hour_json(&now.hour);
        json_object_del(current, "time_epoch");
        json_object_del(current, "time");
        json_object_set_new(current, "last_updated_epoch", json_integer((json_int_t)updated));
        json_object_set_new(current, "last_updated", json_string(local));
        doc = json_pack("{s:O, s:o, s:{s:O}}", "location", location, "current", current,
                        "forecast", "forecastday", days);
        st = doc != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    if (st == AIS_OK) {
        char name[FOLDER_SIZE + 8];
        folder_of(p->name, name);
        strcat(name, ".json");
        st = ais_provsim_write_json(dir, name, doc, stats, errbuf, errsize);
    } else if (errbuf != NULL && errbuf[0] == '\0') {
        ais_status_fail(st, errbuf, errsize, "weather-forecast: %s: %s", p->name,
                        ais_status_str(st));
    }
    json_decref(doc);
    json_decref(location);
    json_decref(days);
    return st;
}

/* weather-provinces.json: {"<q>": "<folder>"} for every province, Ha Noi first (a new
 * reference, NULL when out of memory). */
static json_t *provinces_json(void)
{
    json_t *map = json_object();
    for (size_t i = 0; map != NULL && i < ais_weather_province_count(); i++) {
        const ais_weather_province *p = ais_weather_province_at(i);
        char query[QUERY_SIZE], folder[FOLDER_SIZE];
        query_of(p, query);
        folder_of(p->name, folder);
        if (json_object_set_new(map, query, json_string(folder)) != 0) {
            json_decref(map);
            map = NULL;
        }
    }
    return map;
}

ais_status ais_provsim_weather(const ais_provsim_request *req, ais_provsim_stats *stats,
                               char *errbuf, size_t errsize)
{
    ais_sim_params params;
    ais_status st = ais_provsim_begin(req, stats, "weather", &params, errbuf, errsize);
    if (st != AIS_OK)
        return st;
    /* the local dates the live adapter requests for the window (weather_live.c) */
    int64_t offset = (int64_t)params.utc_offset_hours * AIS_SECONDS_PER_HOUR;
    int64_t first_day = floor_day(req->start + offset);
    int64_t last_day = floor_day(req->end - 1 + offset);

    char *dir = NULL;
    sim_day *d = malloc(sizeof *d);
    if (ais_fs_path_join(req->out_dir, "weather", &dir) != AIS_OK || d == NULL)
        st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "weather: out of memory");
    for (size_t i = 0; st == AIS_OK && i < ais_weather_province_count(); i++)
        st = write_province(params.seed, dir, ais_weather_province_at(i), first_day, last_day, d,
                            stats, errbuf, errsize);
    char *fdir = NULL;
    if (st == AIS_OK && ais_fs_path_join(req->out_dir, "weather-forecast", &fdir) != AIS_OK)
        st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "weather: out of memory");
    for (size_t i = 0; st == AIS_OK && i < ais_weather_province_count(); i++)
        st = write_forecast(params.seed, fdir, ais_weather_province_at(i),
                            params.utc_offset_hours, req->end, d, stats, errbuf, errsize);
    free(fdir);
    free(d);
    json_t *map = st == AIS_OK ? provinces_json() : NULL;
    if (st == AIS_OK && map == NULL)
        st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "weather: out of memory");
    else if (st == AIS_OK)
        st = ais_provsim_write_json(req->out_dir, "weather-provinces.json", map, stats, errbuf,
                                    errsize);
    json_decref(map);
    free(dir);
    return st;
}
