#include "ais/openaq.h"

#include <math.h>
#include <stdio.h>

#include "ais/jsonutil.h"
#include "ais/timeutil.h"

ais_status ais_openaq_event_id(int64_t location_id, int64_t sensor_id, const char *parameter,
                               int64_t hour_start, char *out, size_t out_size)
{
    char iso[AIS_TIME_ISO_SIZE];
    if (parameter == NULL || out == NULL || out_size == 0)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_time_format_iso(hour_start, iso);
    if (st != AIS_OK)
        return st;
    int n = snprintf(out, out_size, "openaq_%lld_%lld_%s_%s", (long long)location_id,
                     (long long)sensor_id, parameter, iso);
    return n > 0 && (size_t)n < out_size ? AIS_OK : AIS_ERR_RANGE;
}

static ais_status set_time(json_t *obj, const char *key, int64_t t)
{
    char iso[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(t, iso);
    return st != AIS_OK ? st : ais_json_set_string(obj, key, iso);
}

static ais_status add_fields(json_t *ev, const ais_openaq_hour *h, double coverage_pct)
{
    int64_t hour_end = h->hour_start + AIS_SECONDS_PER_HOUR;
    ais_status st = ais_json_set(ev, "location_id", json_integer((json_int_t)h->location_id));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "location_name", h->location_name);
    if (st == AIS_OK)
        st = ais_json_set(ev, "sensor_id", json_integer((json_int_t)h->sensor_id));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "parameter", h->parameter);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "units", h->units);
    if (st == AIS_OK)
        st = ais_json_set(ev, "value", h->has_value ? json_real(h->value) : json_null());
    if (st == AIS_OK)
        st = ais_json_set(ev, "latitude", json_real(h->latitude));
    if (st == AIS_OK)
        st = ais_json_set(ev, "longitude", json_real(h->longitude));
    if (st == AIS_OK)
        st = set_time(ev, "datetime_from_utc", h->hour_start);
    if (st == AIS_OK)
        st = set_time(ev, "datetime_to_utc", hour_end);
    if (st == AIS_OK)
        st = ais_json_set(ev, "coverage_expected_count", json_integer(h->expected_count));
    if (st == AIS_OK)
        st = ais_json_set(ev, "coverage_observed_count", json_integer(h->observed_count));
    if (st == AIS_OK)
        st = ais_json_set(ev, "coverage_pct", json_real(coverage_pct));
    if (st == AIS_OK && coverage_pct < AIS_OPENAQ_MIN_COVERAGE_PCT)
        st = ais_event_add_quality_flag(ev, "low_coverage");
    return st;
}

ais_status ais_openaq_event_new(const ais_envelope *env, const ais_openaq_hour *hour,
                                int64_t ingest_time, json_t **out)
{
    char event_id[AIS_OPENAQ_EVENT_ID_SIZE];
    json_t *ev = NULL;

    if (env == NULL || hour == NULL || out == NULL || hour->location_name == NULL ||
        hour->parameter == NULL || hour->units == NULL || hour->expected_count <= 0 ||
        hour->observed_count < 0 || hour->observed_count > hour->expected_count ||
        hour->hour_start % AIS_SECONDS_PER_HOUR != 0 || !isfinite(hour->latitude) ||
        !isfinite(hour->longitude) || (hour->has_value && !isfinite(hour->value)))
        return AIS_ERR_INVALID_ARG;

    double coverage_pct = 100.0 * hour->observed_count / hour->expected_count;
    int64_t hour_end = hour->hour_start + AIS_SECONDS_PER_HOUR;
    ais_status st = ais_openaq_event_id(hour->location_id, hour->sensor_id, hour->parameter,
                                        hour->hour_start, event_id, sizeof event_id);
    if (st == AIS_OK)
        st = ais_event_new(env, event_id, hour->hour_start,
                           hour_end + AIS_OPENAQ_PUBLICATION_LAG_SECONDS, ingest_time, &ev);
    if (st == AIS_OK)
        st = add_fields(ev, hour, coverage_pct);
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}
