#include "ais/envelope.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "ais/jsonutil.h"
#include "ais/timeutil.h"
#include "ais/version.h"

ais_status ais_request_id_new(char out[AIS_REQUEST_ID_SIZE])
{
    unsigned char bytes[8];
    size_t got = 0;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return AIS_ERR_IO;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return AIS_OK;
}

ais_status ais_envelope_init(ais_envelope *env, const char *source, const char *window_mode,
                             int64_t window_start, int64_t window_end)
{
    if (env == NULL || source == NULL || window_mode == NULL || window_end <= window_start)
        return AIS_ERR_INVALID_ARG;
    env->source = source;
    env->window_mode = window_mode;
    env->window_start = window_start;
    env->window_end = window_end;
    env->retry_count = 0;
    return ais_request_id_new(env->request_id);
}

static ais_status set_time(json_t *obj, const char *key, int64_t t)
{
    char iso[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(t, iso);
    return st != AIS_OK ? st : ais_json_set_string(obj, key, iso);
}

static ais_status build_trace(const ais_envelope *env, json_t **out)
{
    json_t *trace = json_object();
    if (trace == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = ais_json_set_string(trace, "request_id", env->request_id);
    if (st == AIS_OK)
        st = ais_json_set_string(trace, "producer", AIS_PRODUCER);
    if (st == AIS_OK)
        st = ais_json_set(trace, "retry_count", json_integer(env->retry_count));
    if (st != AIS_OK) {
        json_decref(trace);
        return st;
    }
    *out = trace;
    return AIS_OK;
}

ais_status ais_event_new(const ais_envelope *env, const char *event_id, int64_t event_time,
                         int64_t available_at, int64_t ingest_time, json_t **out)
{
    if (env == NULL || event_id == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    json_t *ev = json_object();
    json_t *trace = NULL;
    if (ev == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = ais_json_set_string(ev, "event_id", event_id);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "source", env->source);
    if (st == AIS_OK)
        st = set_time(ev, "event_time", event_time);
    if (st == AIS_OK)
        st = set_time(ev, "ingest_time", ingest_time);
    if (st == AIS_OK)
        st = set_time(ev, "available_at", available_at);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "schema_version", AIS_SCHEMA_VERSION);
    if (st == AIS_OK)
        st = ais_json_set(ev, "quality_flags", json_array());
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "window_mode", env->window_mode);
    if (st == AIS_OK)
        st = set_time(ev, "window_start_utc", env->window_start);
    if (st == AIS_OK)
        st = set_time(ev, "window_end_utc", env->window_end);
    if (st == AIS_OK)
        st = build_trace(env, &trace);
    if (st == AIS_OK)
        st = ais_json_set(ev, "trace", trace);
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}

ais_status ais_event_add_quality_flag(json_t *event, const char *flag)
{
    if (event == NULL || flag == NULL)
        return AIS_ERR_INVALID_ARG;
    json_t *flags = json_object_get(event, "quality_flags");
    if (!json_is_array(flags))
        return AIS_ERR_INVALID_ARG;
    json_t *value = NULL;
    ais_status st = ais_json_string(flag, &value);
    if (st != AIS_OK)
        return st;
    return json_array_append_new(flags, value) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}
