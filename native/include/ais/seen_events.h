/* The events a replay has already emitted, by event_id, each with a fingerprint of what it said
 * (the event without the fields that change from run to run: ingest_time and trace). A recording
 * may hold the same record twice (overlapping exports, a day fetched twice): the same content
 * again is merged, other content under the same id is a conflict the caller dead-letters. */
#ifndef AIS_SEEN_EVENTS_H
#define AIS_SEEN_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/status.h"

typedef struct ais_seen_slot ais_seen_slot;

/* Zero-initialise ({0}) before the first check; release with ais_seen_events_free. */
typedef struct ais_seen_events {
    ais_seen_slot *slots; /* open addressing, a power-of-two capacity */
    size_t cap, count;
} ais_seen_events;

enum { AIS_SEEN_NEW = 0, AIS_SEEN_SAME = 1, AIS_SEEN_CONFLICT = 2 };

/* Looks event's "event_id" up: *found AIS_SEEN_NEW (now recorded), AIS_SEEN_SAME (recorded
 * before with the same content) or AIS_SEEN_CONFLICT (recorded before with other content).
 * AIS_ERR_INVALID_ARG when the event has no string event_id, AIS_ERR_NOMEM. */
ais_status ais_seen_events_check(ais_seen_events *s, const json_t *event, int *found);

/* FNV-1a 64 of n bytes (the table's hash and the fingerprint). */
uint64_t ais_fnv1a64(const void *data, size_t n);

void ais_seen_events_free(ais_seen_events *s);

#endif
