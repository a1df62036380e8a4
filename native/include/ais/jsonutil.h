/* jansson helpers that turn jansson's NULL-on-failure style into ais_status. */
#ifndef AIS_JSONUTIL_H
#define AIS_JSONUTIL_H

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

#endif
