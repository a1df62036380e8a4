/* Simulated OpenAQ v3: what `ais-ingest openaq --mode live` would read for a window, with the
 * stations and PM2.5 of AIS's simulator (ais/simulate.h, the model behind `--mode simulate`),
 * so the live path over these files gives the simulate mode's events.
 *
 *   <out>/openaq/locations.json            /v3/locations results (an array): one location per
 *                                          simulated station (simulate.openaq_stations), each
 *                                          with one pm25 sensor
 *   <out>/openaq/sensors/<sensor id>.json  /v3/sensors/{id}/hours results (an array), one per
 *                                          hour of the window, ascending
 *
 * Ids are the simulator's, so events keep their natural keys: location id
 * AIS_SIM_LOCATION_ID_BASE + station index (900001, 900002, ...; far above real OpenAQ ids),
 * sensor id location id * 10 + 1 (9000011, ...). Parameter id 2 is OpenAQ's id of pm25.
 *
 * An hour the simulator has no reading for (observed_count 0) is a result with value null and
 * coverage.observedCount 0, not an absent result: the live adapter turns it into the same
 * event as `--mode simulate` (value null, coverage 0 %, quality flag low_coverage). The real
 * API tends to leave such hours out; the live path handles both.
 *
 * The simulator gives one value per hour and no readings within it, so summary is null (the
 * API allows it) rather than quantiles of readings that do not exist; coverage counts quarter-
 * hour readings (expectedCount 4, AIS_SIM_READINGS_PER_HOUR). Local times use
 * hanoi.utc_offset_hours. Owner, provider and instrument name the simulator: nothing here is a
 * measurement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/fsutil.h"
#include "ais/provsim.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"

#define PM25_PARAMETER_ID 2
#define PM25_NAME "pm25"
#define PM25_UNITS "µg/m³"
#define PM25_DISPLAY_NAME "PM2.5"
#define MINUTES_PER_READING (60 / AIS_SIM_READINGS_PER_HOUR)
#define TIMEZONE "Asia/Ho_Chi_Minh"
#define SIMULATOR_NAME "AIS simulator (simulated data)"

/* {"utc": "2025-01-01T00:00:00Z", "local": "2025-01-01T07:00:00+07:00"} */
static json_t *times_json(int64_t t, int offset_hours)
{
    char utc[AIS_TIME_ISO_SIZE], local[40];
    ais_civil_time c;
    if (ais_time_format_iso(t, utc) != AIS_OK ||
        ais_time_to_civil(t + (int64_t)offset_hours * AIS_SECONDS_PER_HOUR, &c) != AIS_OK)
        return NULL;
    int h = offset_hours < 0 ? -offset_hours : offset_hours;
    snprintf(local, sizeof local, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:00", c.year, c.month,
             c.day, c.hour, c.minute, c.second, offset_hours < 0 ? '-' : '+', h % 100);
    return json_pack("{s:s, s:s}", "utc", utc, "local", local);
}

static json_t *parameter_json(void)
{
    return json_pack("{s:i, s:s, s:s, s:s}", "id", PM25_PARAMETER_ID, "name", PM25_NAME, "units",
                     PM25_UNITS, "displayName", PM25_DISPLAY_NAME);
}

/* One /v3/sensors/{id}/hours result. */
static json_t *hour_json(const ais_sim_pm25 *pm, int64_t hour_start, int offset_hours)
{
    char observed[16];
    int minutes = pm->observed_count * MINUTES_PER_READING;
    double pct = 100.0 * pm->observed_count / pm->expected_count;
    snprintf(observed, sizeof observed, "%02d:%02d:00", (minutes / 60) % 100, minutes % 60);
    json_t *from = times_json(hour_start, offset_hours);
    json_t *to = times_json(hour_start + AIS_SECONDS_PER_HOUR, offset_hours);
    /* "O" for the coverage's copies: the same objects, one more reference each */
    json_t *hour = json_pack(
        "{s:o, s:{s:b}, s:o, s:{s:s, s:s, s:O, s:O}, s:n, s:n,"
        " s:{s:i, s:s, s:i, s:s, s:f, s:f, s:O, s:O}}",
        "value", pm->has_value ? json_real(pm->value) : json_null(), "flagInfo", "hasFlags", 0,
        "parameter", parameter_json(), "period", "label", "1hour", "interval", "01:00:00",
        "datetimeFrom", from, "datetimeTo", to, "coordinates", "summary", "coverage",
        "expectedCount", pm->expected_count, "expectedInterval", "01:00:00", "observedCount",
        pm->observed_count, "observedInterval", observed, "percentComplete", pct,
        "percentCoverage", pct, "datetimeFrom", from, "datetimeTo", to);
    json_decref(from);
    json_decref(to);
    return hour;
}

/* One /v3/locations result. datetimeFirst and datetimeLast are the window's first and last
 * hours; country.id is openaq.countries_id when that is a number, else null (this code does not
 * claim to know OpenAQ's id for Viet Nam). */
static json_t *location_json(const ais_sim_station *s, const ais_provsim_request *req,
                             int offset_hours)
{
    const char *locality = ais_config_get(req->cfg, "hanoi.location_name");
    long country_id;
    json_t *country = ais_config_get_long(req->cfg, "openaq.countries_id", &country_id) == AIS_OK
                          ? json_integer(country_id)
                          : json_null();
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:{s:o, s:s, s:s}, s:{s:i, s:s}, s:{s:i, s:s}, s:b, s:b,"
        " s:[{s:i, s:s}], s:[{s:I, s:s, s:o}], s:{s:f, s:f}, s:n, s:[f, f, f, f], s:n, s:o,"
        " s:o}",
        "id", (json_int_t)s->location_id, "name", s->name, "locality",
        locality != NULL ? locality : "", "timezone", TIMEZONE, "country", "id", country, "code",
        "VN", "name", "Vietnam", "owner", "id", 0, "name", SIMULATOR_NAME, "provider", "id", 0,
        "name", SIMULATOR_NAME, "isMobile", 0, "isMonitor", 1, "instruments", "id", 0, "name",
        SIMULATOR_NAME, "sensors", "id", (json_int_t)s->sensor_id, "name", PM25_NAME " " PM25_UNITS,
        "parameter", parameter_json(), "coordinates", "latitude", s->latitude, "longitude",
        s->longitude, "licenses", "bounds", s->longitude, s->latitude, s->longitude, s->latitude,
        "distance", "datetimeFirst", times_json(req->start, offset_hours), "datetimeLast",
        times_json(req->end - AIS_SECONDS_PER_HOUR, offset_hours));
}

/* <sensors dir>/<sensor id>.json: the station's hours over the window. */
static ais_status write_sensor(const ais_provsim_request *req, const ais_sim_params *params,
                               const ais_sim_station *s, const char *dir,
                               ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    char name[48];
    snprintf(name, sizeof name, "%lld.json", (long long)s->sensor_id);
    json_t *hours = json_array();
    if (hours == NULL)
        return ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "openaq: out of memory");
    ais_status st = AIS_OK;
    for (int64_t t = req->start; st == AIS_OK && t < req->end; t += AIS_SECONDS_PER_HOUR) {
        ais_sim_pm25 pm;
        if ((st = ais_sim_pm25_hour(params, s, t, &pm)) != AIS_OK)
            ais_status_fail(st, errbuf, errsize, "openaq: simulating %s: %s", s->name,
                            ais_status_str(st));
        else if (json_array_append_new(hours, hour_json(&pm, t, params->utc_offset_hours)) != 0)
            st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "openaq: %s/%s: out of memory",
                                 dir, name);
    }
    if (st == AIS_OK)
        st = ais_provsim_write_json(dir, name, hours, stats, errbuf, errsize);
    json_decref(hours);
    return st;
}

ais_status ais_provsim_openaq(const ais_provsim_request *req, ais_provsim_stats *stats,
                              char *errbuf, size_t errsize)
{
    ais_sim_params params;
    unsigned n_stations;
    ais_status st = ais_provsim_begin(req, stats, "openaq", &params, errbuf, errsize);
    if (st != AIS_OK)
        return st;
    if ((st = ais_sim_stations_from_config(req->cfg, &n_stations)) != AIS_OK)
        return ais_status_fail(st, errbuf, errsize, "openaq: simulate.openaq_stations must be "
                               "1..%d (%s)", AIS_SIM_MAX_STATIONS, ais_status_str(st));

    char *dir = NULL, *sensors_dir = NULL;
    json_t *locations = json_array();
    if (ais_fs_path_join(req->out_dir, "openaq", &dir) != AIS_OK ||
        ais_fs_path_join(dir, "sensors", &sensors_dir) != AIS_OK || locations == NULL)
        st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "openaq: out of memory");
    for (unsigned i = 0; st == AIS_OK && i < n_stations; i++) {
        ais_sim_station s;
        if ((st = ais_sim_station_get(&params, i, &s)) != AIS_OK)
            ais_status_fail(st, errbuf, errsize, "openaq: station %u: %s", i, ais_status_str(st));
        else if (json_array_append_new(locations,
                                       location_json(&s, req, params.utc_offset_hours)) != 0)
            st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "openaq: out of memory");
        else
            st = write_sensor(req, &params, &s, sensors_dir, stats, errbuf, errsize);
    }
    if (st == AIS_OK)
        st = ais_provsim_write_json(dir, "locations.json", locations, stats, errbuf, errsize);
    json_decref(locations);
    free(sensors_dir);
    free(dir);
    return st;
}
