/* Event ids a replay has emitted, with fingerprints (ais/seen_events.h). */
#include "ais/seen_events.h"

#include <stdlib.h>
#include <string.h>

struct ais_seen_slot {
    char *event_id; /* owned copy; NULL: free slot */
    uint64_t fingerprint;
};

uint64_t ais_fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static size_t slot_of(const char *id, size_t cap)
{
    return (size_t)(ais_fnv1a64(id, strlen(id)) & (cap - 1));
}

static ais_status grow(ais_seen_events *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    ais_seen_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return AIS_ERR_NOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i].event_id == NULL)
            continue;
        size_t j = slot_of(s->slots[i].event_id, cap);
        while (slots[j].event_id != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return AIS_OK;
}

/* What the event says, without the fields that change from run to run. */
static ais_status fingerprint(const json_t *event, uint64_t *out)
{
    json_t *copy = json_copy((json_t *)event);
    if (copy == NULL)
        return AIS_ERR_NOMEM;
    json_object_del(copy, "ingest_time");
    json_object_del(copy, "trace");
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(copy);
    if (text == NULL)
        return AIS_ERR_NOMEM;
    *out = ais_fnv1a64(text, strlen(text));
    free(text);
    return AIS_OK;
}

ais_status ais_seen_events_check(ais_seen_events *s, const json_t *event, int *found)
{
    const char *id = json_string_value(json_object_get(event, "event_id"));
    if (s == NULL || found == NULL || id == NULL)
        return AIS_ERR_INVALID_ARG;
    uint64_t fp = 0;
    ais_status st = fingerprint(event, &fp);
    if (st != AIS_OK)
        return st;
    if ((s->count + 1) * 2 > s->cap && (st = grow(s)) != AIS_OK)
        return st;
    size_t j = slot_of(id, s->cap);
    while (s->slots[j].event_id != NULL) {
        if (strcmp(s->slots[j].event_id, id) == 0) {
            *found = s->slots[j].fingerprint == fp ? AIS_SEEN_SAME : AIS_SEEN_CONFLICT;
            return AIS_OK;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j].event_id = strdup(id);
    if (s->slots[j].event_id == NULL)
        return AIS_ERR_NOMEM;
    s->slots[j].fingerprint = fp;
    s->count++;
    *found = AIS_SEEN_NEW;
    return AIS_OK;
}

void ais_seen_events_free(ais_seen_events *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].event_id);
    free(s->slots);
    s->slots = NULL;
    s->cap = s->count = 0;
}
