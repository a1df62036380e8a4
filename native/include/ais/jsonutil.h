/* jansson helpers that turn jansson's NULL-on-failure style into ais_status. */
#ifndef AIS_JSONUTIL_H
#define AIS_JSONUTIL_H

#include <stddef.h>

#include <jansson.h>

#include "ais/status.h"

/* A new JSON string (reference owned by the caller) from arbitrary bytes: valid UTF-8 is kept
 * as is; every byte that is not part of a valid UTF-8 sequence becomes U+FFFD. jansson alone
 * would refuse such text and a log line or an event would be lost. */
ais_status ais_json_string(const char *text, json_t **out);

/* Sets obj[key] = value, taking the caller's reference to value in every case. A NULL value
 * (a jansson constructor that failed) gives AIS_ERR_NOMEM; a key that is not valid UTF-8 or a
 * non-object gives AIS_ERR_INVALID_ARG. */
ais_status ais_json_set(json_t *obj, const char *key, json_t *value);

/* Same as ais_json_set with ais_json_string(text); text NULL stores JSON null. */
ais_status ais_json_set_string(json_t *obj, const char *key, const char *text);

/* A growable text buffer for ais_json_append_compact (free data with free()). */
typedef struct ais_json_buf {
    char *data;
    size_t len, cap;
} ais_json_buf;

/* Room for extra more bytes after b->len (the capacity doubles, from 1 KiB). */
ais_status ais_json_buf_reserve(ais_json_buf *b, size_t extra);

/* The precision of the reals the sinks write: 15 significant digits, as in
 * JSON_REAL_PRECISION(15). */
#define AIS_JSON_REAL_DIGITS 15

/* Appends the compact JSON text of an object or array to b (not NUL-terminated): the same bytes
 * as json_dumpb(v, JSON_COMPACT | JSON_REAL_PRECISION(AIS_JSON_REAL_DIGITS)), keys in insertion
 * order. The sinks' hot path: jansson's dump registers every object and array in a hash table
 * of visited pointers (formatted with snprintf) and prints each integer with snprintf, which
 * made serialisation half of an ingest run's time. Here integers are written digit by digit
 * and the nesting depth is bounded (AIS_ERR_RANGE past 64 levels, which also stops a cycle).
 * Strings are expected valid UTF-8 (jansson's constructors ensure it) and are copied with only
 * the mandatory escapes. On error b->len is unchanged. */
ais_status ais_json_append_compact(ais_json_buf *b, const json_t *v);

#endif
