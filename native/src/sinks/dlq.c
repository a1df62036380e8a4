#include "ais/dlq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/jsonutil.h"
#include "ais/timeutil.h"
#include "ais/version.h"

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* Each part is followed by a 0xff byte, which cannot occur in UTF-8 text, so ("ab","c") and
 * ("a","bc") hash differently. */
static uint64_t fnv1a_part(uint64_t h, const void *data, size_t len)
{
    static const unsigned char sep = 0xff;
    if (data != NULL)
        h = fnv1a(h, data, len);
    return fnv1a(h, &sep, 1);
}

static uint64_t fnv1a_str(uint64_t h, const char *s)
{
    return fnv1a_part(h, s, s != NULL ? strlen(s) : 0);
}

/* Text for a JSON string: at most AIS_DLQ_RAW_MAX bytes, NUL bytes replaced by 0xff (which
 * ais_json_string turns into U+FFFD like every other invalid byte). */
static ais_status raw_text(const char *raw, size_t len, json_t **out, int *truncated)
{
    *truncated = len > AIS_DLQ_RAW_MAX;
    if (*truncated)
        len = AIS_DLQ_RAW_MAX;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return AIS_ERR_NOMEM;
    for (size_t i = 0; i < len; i++)
        copy[i] = raw[i] == '\0' ? (char)0xff : raw[i];
    copy[len] = '\0';
    ais_status st = ais_json_string(copy, out);
    free(copy);
    return st;
}

ais_status ais_dead_letter_json(const char *source, const char *source_topic,
                                const char *request_id, const ais_dead_letter *dl,
                                int64_t recorded_at, json_t **out)
{
    if (source == NULL || source_topic == NULL || dl == NULL || dl->reason == NULL ||
        dl->reason[0] == '\0' || out == NULL || (dl->raw == NULL && dl->raw_len > 0))
        return AIS_ERR_INVALID_ARG;

    size_t raw_len = dl->raw_len > AIS_DLQ_RAW_MAX ? AIS_DLQ_RAW_MAX : dl->raw_len;
    uint64_t h = 0xcbf29ce484222325u;
    h = fnv1a_str(h, source);
    h = fnv1a_str(h, source_topic);
    h = fnv1a_str(h, dl->reason);
    h = fnv1a_str(h, dl->file);
    char line_text[24];
    snprintf(line_text, sizeof line_text, "%ld", dl->line);
    h = fnv1a_str(h, line_text);
    h = fnv1a_str(h, dl->event_id);
    h = fnv1a_part(h, dl->raw, raw_len);
    char dlq_id[AIS_DLQ_ID_SIZE];
    snprintf(dlq_id, sizeof dlq_id, "dlq_%016llx", (unsigned long long)h);

    char recorded[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(recorded_at, recorded);
    if (st != AIS_OK)
        return st;
    json_t *rec = json_object();
    if (rec == NULL)
        return AIS_ERR_NOMEM;
    json_t *raw = NULL;
    int truncated = 0;
    st = ais_json_set_string(rec, "dlq_id", dlq_id);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "source", source);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "source_topic", source_topic);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "reason", dl->reason);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "detail", dl->detail);
    if (st == AIS_OK) {
        if (dl->raw != NULL)
            st = raw_text(dl->raw, dl->raw_len, &raw, &truncated);
        else
            raw = json_null();
    }
    if (st == AIS_OK)
        st = ais_json_set(rec, "raw", raw);
    if (st == AIS_OK)
        st = ais_json_set(rec, "raw_truncated", json_boolean(truncated));
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "file", dl->file);
    if (st == AIS_OK)
        st = ais_json_set(rec, "line", dl->line > 0 ? json_integer(dl->line) : json_null());
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "event_id", dl->event_id);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "recorded_at", recorded);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "request_id", request_id);
    if (st == AIS_OK)
        st = ais_json_set_string(rec, "producer", AIS_PRODUCER);
    if (st != AIS_OK) {
        json_decref(rec);
        return st;
    }
    *out = rec;
    return AIS_OK;
}

ais_status ais_dlq_init(ais_dlq *dlq, const ais_sink *sink, const char *source,
                        const char *source_topic, const char *request_id)
{
    if (dlq == NULL || sink == NULL || source == NULL || source_topic == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(dlq, 0, sizeof *dlq);
    dlq->by_reason = json_object();
    if (dlq->by_reason == NULL)
        return AIS_ERR_NOMEM;
    dlq->sink = sink;
    dlq->source = source;
    dlq->source_topic = source_topic;
    dlq->request_id = request_id;
    return AIS_OK;
}

ais_status ais_dlq_count(ais_dlq *dlq, const char *reason, uint64_t n)
{
    if (dlq == NULL || dlq->by_reason == NULL || reason == NULL)
        return AIS_ERR_INVALID_ARG;
    if (n == 0)
        return AIS_OK;
    json_t *count = json_object_get(dlq->by_reason, reason);
    json_int_t current = json_is_integer(count) ? json_integer_value(count) : 0;
    ais_status st = ais_json_set(dlq->by_reason, reason, json_integer(current + (json_int_t)n));
    if (st == AIS_OK)
        dlq->rejected += n;
    return st;
}

ais_status ais_dlq_reject(ais_dlq *dlq, const ais_dead_letter *dl)
{
    if (dlq == NULL || dl == NULL || dl->reason == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_dlq_count(dlq, dl->reason, 1);
    if (st != AIS_OK)
        return st;
    int64_t now;
    json_t *rec = NULL;
    if ((st = ais_time_now(&now, NULL)) != AIS_OK)
        return st;
    st = ais_dead_letter_json(dlq->source, dlq->source_topic, dlq->request_id, dl, now, &rec);
    if (st == AIS_OK)
        st = ais_sink_write(dlq->sink, rec);
    json_decref(rec);
    if (st == AIS_OK)
        dlq->written++;
    return st;
}

void ais_dlq_release(ais_dlq *dlq)
{
    if (dlq == NULL)
        return;
    json_decref(dlq->by_reason);
    dlq->by_reason = NULL;
}
