/* WeatherAPI history.json bodies -> checked hours, and hours -> events. The rules are in
 * ais/weather.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/jsonutil.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

/* More hour objects than this in one forecastday are not a day: the rest are rejected. */
#define MAX_HOURS_PER_DAY 48
#define MAX_OFFSET_SECONDS (14 * AIS_SECONDS_PER_HOUR)

typedef struct parse_ctx {
    const ais_weather_visitor *v;
    ais_weather_location loc;
} parse_ctx;

static ais_status report_json(const parse_ctx *c, const char *reason, const char *detail,
                              const json_t *raw)
{
    char *text = json_dumps(raw, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        return AIS_ERR_NOMEM;
    ais_status st =
        c->v->on_reject(c->v->ctx, AIS_WEATHER_REJECT_RECORD, reason, detail, text, strlen(text));
    free(text);
    return st;
}

/* Copies a JSON string into a fixed buffer, cut at a UTF-8 character boundary. */
static void copy_string(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--; /* do not split a multi-byte character */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* Field access                                                                               */

typedef struct field_error {
    char reason[64];
    char detail[128];
} field_error;

static int set_reason(field_error *e, const char *reason, const char *detail)
{
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    snprintf(e->detail, sizeof e->detail, "%s", detail);
    return 0;
}

/* reason "<kind>_<key>", e.g. missing_temp_c */
static int set_error(field_error *e, const char *kind, const char *key, const char *detail)
{
    snprintf(e->reason, sizeof e->reason, "%s_%s", kind, key);
    snprintf(e->detail, sizeof e->detail, "%s", detail);
    return 0;
}

/* A number (integer or real). Returns 1 and sets *present when absent and optional. */
static int get_double(const json_t *obj, const char *key, bool required, bool *present,
                      double *out, field_error *e)
{
    const json_t *v = json_object_get(obj, key);
    *present = false;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return set_error(e, "missing", key, "required field absent or null");
        return 1;
    }
    if (!json_is_number(v))
        return set_error(e, "bad_type", key, "expected a number");
    *out = json_number_value(v);
    if (!isfinite(*out))
        return set_error(e, "bad_type", key, "not a finite number");
    *present = true;
    return 1;
}

/* An integer; a real with an integral value (63.0) is accepted. */
static int get_long(const json_t *obj, const char *key, bool required, bool *present, long *out,
                    field_error *e)
{
    double d = 0.0;
    if (!get_double(obj, key, required, present, &d, e))
        return 0;
    if (!*present)
        return 1;
    if (d != floor(d) || d < -1e15 || d > 1e15) {
        *present = false;
        return set_error(e, "bad_type", key, "expected an integer");
    }
    *out = (long)d;
    return 1;
}

static int get_string(const json_t *obj, const char *key, char *dst, size_t size, bool *present,
                      field_error *e)
{
    const json_t *v = json_object_get(obj, key);
    *present = false;
    dst[0] = '\0';
    if (v == NULL || json_is_null(v))
        return 1;
    if (!json_is_string(v))
        return set_error(e, "bad_type", key, "expected a string");
    copy_string(dst, size, json_string_value(v));
    *present = true;
    return 1;
}

static int in_range(double v, double lo, double hi, const char *key, field_error *e)
{
    if (v >= lo && v <= hi)
        return 1;
    char detail[128];
    snprintf(detail, sizeof detail, "%.6g outside %.6g..%.6g", v, lo, hi);
    return set_error(e, "out_of_range", key, detail);
}

/* The metric value against its imperial twin, when the body has both. */
static int twin_agrees(const json_t *hour, const char *twin, double metric, double per_unit,
                       double offset, double tolerance, const char *key, field_error *e)
{
    const json_t *v = json_object_get(hour, twin);
    if (v == NULL || json_is_null(v))
        return 1;
    if (!json_is_number(v))
        return set_error(e, "bad_type", twin, "expected a number");
    double converted = (json_number_value(v) - offset) * per_unit;
    if (fabs(converted - metric) <= tolerance)
        return 1;
    char detail[128];
    snprintf(detail, sizeof detail, "%s=%.6g but %s gives %.6g", key, metric, twin, converted);
    return set_error(e, "unit_mismatch", key, detail);
}

/* "YYYY-MM-DD HH:00" -> seconds of that wall-clock time read as UTC. */
static int parse_local_time(const char *s, int64_t *out)
{
    if (strlen(s) != 16 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':')
        return 0;
    static const int digits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15};
    for (size_t i = 0; i < sizeof digits / sizeof digits[0]; i++)
        if (s[digits[i]] < '0' || s[digits[i]] > '9')
            return 0;
#define NUM(p, n) (n == 4 ? ((p)[0] - '0') * 1000 + ((p)[1] - '0') * 100 + ((p)[2] - '0') * 10 + \
                                ((p)[3] - '0')                                                 \
                          : ((p)[0] - '0') * 10 + ((p)[1] - '0'))
    int y = NUM(s, 4), mo = NUM(s + 5, 2), d = NUM(s + 8, 2), h = NUM(s + 11, 2),
        mi = NUM(s + 14, 2);
#undef NUM
    if (mi != 0)
        return 0;
    return ais_time_from_civil(y, mo, d, h, 0, 0, out) == AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* One hour                                                                                   */

static int check_hour(const json_t *h, const char *date, ais_weather_hour *out, field_error *e)
{
    bool p;
    memset(out, 0, sizeof *out);

    const json_t *epoch = json_object_get(h, "time_epoch");
    if (epoch == NULL || json_is_null(epoch))
        return set_error(e, "missing", "time_epoch", "required field absent or null");
    if (!json_is_integer(epoch))
        return set_error(e, "bad_type", "time_epoch", "expected an integer");
    json_int_t t = json_integer_value(epoch);
    /* 0000-01-01 .. 9999-12-31 */
    if (t < -62167219200LL || t > 253402300799LL)
        return set_error(e, "out_of_range", "time_epoch", "not a date the calendar handles");
    out->time_epoch = (int64_t)t;

    const json_t *time_v = json_object_get(h, "time");
    if (time_v == NULL || json_is_null(time_v))
        return set_error(e, "missing", "time", "required field absent or null");
    if (!json_is_string(time_v))
        return set_error(e, "bad_type", "time", "expected a string");
    const char *text = json_string_value(time_v);
    int64_t local;
    if (strlen(text) != 16 || !parse_local_time(text, &local))
        return set_reason(e, "bad_local_time", "expected \"YYYY-MM-DD HH:00\"");
    memcpy(out->local_time, text, sizeof out->local_time);
    if (date != NULL && strncmp(out->local_time, date, 10) != 0)
        return set_reason(e, "hour_not_in_day", "the hour's date is not the forecastday's date");
    int64_t offset = local - out->time_epoch;
    if (offset < -MAX_OFFSET_SECONDS || offset > MAX_OFFSET_SECONDS || offset % 900 != 0)
        return set_reason(e, "time_mismatch", "time and time_epoch are not one UTC offset apart");
    out->utc_offset_seconds = (int)offset;

    if (!get_double(h, "temp_c", true, &p, &out->temp_c, e) ||
        !in_range(out->temp_c, -90.0, 60.0, "temp_c", e) ||
        !twin_agrees(h, "temp_f", out->temp_c, 5.0 / 9.0, 32.0, 0.6, "temp_c", e))
        return 0;
    if (!get_long(h, "humidity", true, &p, &out->humidity, e) ||
        !in_range((double)out->humidity, 0, 100, "humidity", e))
        return 0;
    if (!get_double(h, "wind_kph", true, &p, &out->wind_kph, e) ||
        !in_range(out->wind_kph, 0.0, 500.0, "wind_kph", e) ||
        !twin_agrees(h, "wind_mph", out->wind_kph, 1.609344, 0.0, 0.5 + 0.02 * out->wind_kph,
                     "wind_kph", e))
        return 0;
    if (!get_double(h, "pressure_mb", true, &p, &out->pressure_mb, e) ||
        !in_range(out->pressure_mb, 850.0, 1100.0, "pressure_mb", e) ||
        !twin_agrees(h, "pressure_in", out->pressure_mb, 33.8639, 0.0, 1.5, "pressure_mb", e))
        return 0;
    if (!get_double(h, "precip_mm", true, &p, &out->precip_mm, e) ||
        !in_range(out->precip_mm, 0.0, 500.0, "precip_mm", e) ||
        !twin_agrees(h, "precip_in", out->precip_mm, 25.4, 0.0, 0.3 + 0.02 * out->precip_mm,
                     "precip_mm", e))
        return 0;

    ais_opt_double *d = &out->feelslike_c;
    if (!get_double(h, "feelslike_c", false, &d->set, &d->v, e) ||
        (d->set && (!in_range(d->v, -100.0, 80.0, "feelslike_c", e) ||
                    !twin_agrees(h, "feelslike_f", d->v, 5.0 / 9.0, 32.0, 0.6, "feelslike_c", e))))
        return 0;
    d = &out->dewpoint_c;
    if (!get_double(h, "dewpoint_c", false, &d->set, &d->v, e) ||
        (d->set && (!in_range(d->v, -90.0, 40.0, "dewpoint_c", e) ||
                    !twin_agrees(h, "dewpoint_f", d->v, 5.0 / 9.0, 32.0, 0.6, "dewpoint_c", e))))
        return 0;
    d = &out->gust_kph;
    if (!get_double(h, "gust_kph", false, &d->set, &d->v, e) ||
        (d->set && (!in_range(d->v, 0.0, 600.0, "gust_kph", e) ||
                    !twin_agrees(h, "gust_mph", d->v, 1.609344, 0.0, 0.5 + 0.02 * d->v,
                                 "gust_kph", e))))
        return 0;
    d = &out->vis_km;
    if (!get_double(h, "vis_km", false, &d->set, &d->v, e) ||
        (d->set && !in_range(d->v, 0.0, 1000.0, "vis_km", e)))
        return 0;
    d = &out->uv;
    if (!get_double(h, "uv", false, &d->set, &d->v, e) ||
        (d->set && !in_range(d->v, 0.0, 30.0, "uv", e)))
        return 0;

    ais_opt_long *l = &out->wind_degree;
    if (!get_long(h, "wind_degree", false, &l->set, &l->v, e) ||
        (l->set && !in_range((double)l->v, 0, 360, "wind_degree", e)))
        return 0;
    l = &out->cloud;
    if (!get_long(h, "cloud", false, &l->set, &l->v, e) ||
        (l->set && !in_range((double)l->v, 0, 100, "cloud", e)))
        return 0;
    l = &out->is_day;
    if (!get_long(h, "is_day", false, &l->set, &l->v, e) ||
        (l->set && !in_range((double)l->v, 0, 1, "is_day", e)))
        return 0;
    l = &out->will_it_rain;
    if (!get_long(h, "will_it_rain", false, &l->set, &l->v, e) ||
        (l->set && !in_range((double)l->v, 0, 1, "will_it_rain", e)))
        return 0;
    l = &out->chance_of_rain;
    if (!get_long(h, "chance_of_rain", false, &l->set, &l->v, e) ||
        (l->set && !in_range((double)l->v, 0, 100, "chance_of_rain", e)))
        return 0;

    if (!get_string(h, "wind_dir", out->wind_dir, sizeof out->wind_dir, &out->has_wind_dir, e))
        return 0;
    const json_t *cond = json_object_get(h, "condition");
    if (cond != NULL && !json_is_null(cond)) {
        if (!json_is_object(cond))
            return set_error(e, "bad_type", "condition", "expected an object");
        l = &out->condition_code;
        if (!get_long(cond, "code", false, &l->set, &l->v, e) ||
            (l->set && !in_range((double)l->v, 1000, 9999, "condition_code", e)))
            return 0;
        if (!get_string(cond, "text", out->condition_text, sizeof out->condition_text,
                        &out->has_condition_text, e))
            return 0;
    }
    return 1;
}

/* The offset most hours of a day agree on (hours that disagree are rejected). */
static int day_offset(const int *offsets, size_t n)
{
    int best = 0;
    size_t best_count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = 0;
        for (size_t j = 0; j < n; j++)
            count += offsets[j] == offsets[i];
        if (count > best_count) {
            best = offsets[i];
            best_count = count;
        }
    }
    return best;
}

static ais_status parse_day(parse_ctx *c, const json_t *day)
{
    const json_t *date = json_object_get(day, "date");
    const json_t *hours = json_object_get(day, "hour");
    if (!json_is_object(day) || !json_is_string(date) || strlen(json_string_value(date)) != 10 ||
        !json_is_array(hours))
        return report_json(c, "bad_forecastday", "a forecastday needs a date and an hour array",
                           day);

    size_t n = json_array_size(hours);
    ais_weather_hour *good = calloc(n < MAX_HOURS_PER_DAY ? (n ? n : 1) : MAX_HOURS_PER_DAY,
                                    sizeof *good);
    const json_t **good_raw = calloc(MAX_HOURS_PER_DAY, sizeof *good_raw);
    int *offsets = calloc(MAX_HOURS_PER_DAY, sizeof *offsets);
    if (good == NULL || good_raw == NULL || offsets == NULL) {
        free(good);
        free(good_raw);
        free(offsets);
        return AIS_ERR_NOMEM;
    }
    ais_status st = AIS_OK;
    size_t n_good = 0;
    for (size_t i = 0; i < n && st == AIS_OK; i++) {
        const json_t *h = json_array_get(hours, i);
        field_error e = {{0}, {0}};
        if (i >= MAX_HOURS_PER_DAY) {
            st = report_json(c, "too_many_hours", "more hours than a day can have", h);
            continue;
        }
        if (!json_is_object(h)) {
            st = report_json(c, "bad_type_hour", "an hour must be an object", h);
            continue;
        }
        if (!check_hour(h, json_string_value(date), &good[n_good], &e)) {
            st = report_json(c, e.reason, e.detail, h);
            continue;
        }
        good_raw[n_good] = h;
        offsets[n_good] = good[n_good].utc_offset_seconds;
        n_good++;
    }
    int offset = day_offset(offsets, n_good);
    for (size_t i = 0; i < n_good && st == AIS_OK; i++) {
        if (good[i].utc_offset_seconds != offset)
            st = report_json(c, "time_mismatch",
                             "this hour's UTC offset differs from the rest of its day",
                             good_raw[i]);
        else
            st = c->v->on_hour(c->v->ctx, &c->loc, &good[i]);
    }
    free(good);
    free(good_raw);
    free(offsets);
    return st;
}

static ais_status reject_body(const parse_ctx *c, const char *reason, const char *detail,
                              const char *body, size_t len)
{
    return c->v->on_reject(c->v->ctx, AIS_WEATHER_REJECT_BODY, reason, detail, body, len);
}

ais_status ais_weather_parse_history(const char *body, size_t len, const ais_weather_visitor *v)
{
    if ((body == NULL && len > 0) || v == NULL || v->on_hour == NULL || v->on_reject == NULL)
        return AIS_ERR_INVALID_ARG;
    parse_ctx c = {.v = v};
    json_error_t err;
    json_t *root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        char detail[256];
        snprintf(detail, sizeof detail, "line %d column %d: %s", err.line, err.column, err.text);
        return reject_body(&c, "malformed_json", detail, body, len);
    }
    ais_status st = AIS_OK;
    const json_t *error = json_object_get(root, "error");
    const json_t *location = json_object_get(root, "location");
    const json_t *forecast = json_object_get(root, "forecast");
    const json_t *days = json_object_get(forecast, "forecastday");
    if (!json_is_object(root)) {
        st = reject_body(&c, "malformed_json", "the body is not a JSON object", body, len);
    } else if (error != NULL) {
        const char *message = json_string_value(json_object_get(error, "message"));
        st = reject_body(&c, "api_error", message != NULL ? message : "error object", body, len);
    } else if (!json_is_object(location) ||
               !json_is_number(json_object_get(location, "lat")) ||
               !json_is_number(json_object_get(location, "lon")) ||
               fabs(json_number_value(json_object_get(location, "lat"))) > 90.0 ||
               fabs(json_number_value(json_object_get(location, "lon"))) > 180.0) {
        st = reject_body(&c, "missing_location", "no location object with numeric lat and lon",
                         body, len);
    } else if (!json_is_array(days)) {
        st = reject_body(&c, "missing_forecastday", "no forecast.forecastday array", body, len);
    } else {
        c.loc.latitude = json_number_value(json_object_get(location, "lat"));
        c.loc.longitude = json_number_value(json_object_get(location, "lon"));
        const char *name = json_string_value(json_object_get(location, "name"));
        const char *tz = json_string_value(json_object_get(location, "tz_id"));
        copy_string(c.loc.name, sizeof c.loc.name, name != NULL ? name : "");
        copy_string(c.loc.tz_id, sizeof c.loc.tz_id, tz != NULL ? tz : "");
        size_t i;
        const json_t *day;
        json_array_foreach(days, i, day) {
            if ((st = parse_day(&c, day)) != AIS_OK)
                break;
        }
    }
    json_decref(root);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Events                                                                                     */

ais_status ais_weather_event_id(const char *slug, const char *local_time, char *out,
                                size_t out_size)
{
    if (slug == NULL || local_time == NULL || out == NULL || strlen(local_time) != 16)
        return AIS_ERR_INVALID_ARG;
    int n = snprintf(out, out_size, "weather_%s_%.10sT%.5s", slug, local_time, local_time + 11);
    return n > 0 && (size_t)n < out_size ? AIS_OK : AIS_ERR_RANGE;
}

static json_t *opt_real(const ais_opt_double *d)
{
    return d->set ? json_real(d->v) : json_null();
}

static json_t *opt_int(const ais_opt_long *l)
{
    return l->set ? json_integer(l->v) : json_null();
}

ais_status ais_weather_event_new(const ais_envelope *env, const char *province, const char *slug,
                                 const char *query, const ais_weather_location *loc,
                                 const ais_weather_hour *h, int64_t ingest_time, json_t **out)
{
    char event_id[AIS_WEATHER_EVENT_ID_SIZE];
    if (env == NULL || province == NULL || slug == NULL || loc == NULL || h == NULL ||
        out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_weather_event_id(slug, h->local_time, event_id, sizeof event_id);
    if (st != AIS_OK)
        return st;
    /* the local day this hour belongs to ends at local midnight */
    int64_t local = h->time_epoch + h->utc_offset_seconds;
    int64_t day_start_local = local - (((local % AIS_SECONDS_PER_DAY) + AIS_SECONDS_PER_DAY) %
                                       AIS_SECONDS_PER_DAY);
    int64_t day_end_utc = day_start_local + AIS_SECONDS_PER_DAY - h->utc_offset_seconds;
    json_t *ev = NULL;
    st = ais_event_new(env, event_id, h->time_epoch, day_end_utc + AIS_WEATHER_HISTORY_LAG_SECONDS,
                       ingest_time, &ev);
    if (st != AIS_OK)
        return st;
    st = ais_json_set_string(ev, "province", province);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "query", query);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "local_time", h->local_time);
    if (st == AIS_OK)
        st = ais_json_set(ev, "time_epoch", json_integer((json_int_t)h->time_epoch));
    if (st == AIS_OK)
        st = ais_json_set(ev, "latitude", json_real(loc->latitude));
    if (st == AIS_OK)
        st = ais_json_set(ev, "longitude", json_real(loc->longitude));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "tz_id", loc->tz_id[0] ? loc->tz_id : NULL);
    if (st == AIS_OK)
        st = ais_json_set(ev, "temp_c", json_real(h->temp_c));
    if (st == AIS_OK)
        st = ais_json_set(ev, "feelslike_c", opt_real(&h->feelslike_c));
    if (st == AIS_OK)
        st = ais_json_set(ev, "humidity", json_integer(h->humidity));
    if (st == AIS_OK)
        st = ais_json_set(ev, "dewpoint_c", opt_real(&h->dewpoint_c));
    if (st == AIS_OK)
        st = ais_json_set(ev, "wind_kph", json_real(h->wind_kph));
    if (st == AIS_OK)
        st = ais_json_set(ev, "wind_degree", opt_int(&h->wind_degree));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "wind_dir", h->has_wind_dir ? h->wind_dir : NULL);
    if (st == AIS_OK)
        st = ais_json_set(ev, "gust_kph", opt_real(&h->gust_kph));
    if (st == AIS_OK)
        st = ais_json_set(ev, "pressure_mb", json_real(h->pressure_mb));
    if (st == AIS_OK)
        st = ais_json_set(ev, "precip_mm", json_real(h->precip_mm));
    if (st == AIS_OK)
        st = ais_json_set(ev, "cloud", opt_int(&h->cloud));
    if (st == AIS_OK)
        st = ais_json_set(ev, "vis_km", opt_real(&h->vis_km));
    if (st == AIS_OK)
        st = ais_json_set(ev, "uv", opt_real(&h->uv));
    if (st == AIS_OK)
        st = ais_json_set(ev, "condition_code", opt_int(&h->condition_code));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "condition_text",
                                 h->has_condition_text ? h->condition_text : NULL);
    if (st == AIS_OK)
        st = ais_json_set(ev, "is_day", opt_int(&h->is_day));
    if (st == AIS_OK)
        st = ais_json_set(ev, "will_it_rain", opt_int(&h->will_it_rain));
    if (st == AIS_OK)
        st = ais_json_set(ev, "chance_of_rain", opt_int(&h->chance_of_rain));
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}
