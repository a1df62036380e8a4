#include "ais/jsonutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), or 0 if the bytes there are not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        unsigned char hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
        return (s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
        return (s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) ? 4
                                                                                              : 0;
    }
    return 0;
}

ais_status ais_json_string(const char *text, json_t **out)
{
    if (text == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    size_t bad = 0;
    /* The NUL terminator stops every multi-byte check above before it can read past the end. */
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_length(s + i);
        if (n == 0) {
            bad++;
            i++;
        } else {
            i += n;
        }
    }
    if (bad == 0) {
        *out = json_stringn_nocheck(text, len);
        return *out != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    if (bad > (SIZE_MAX - len - 1) / 2)
        return AIS_ERR_NOMEM;
    char *clean = malloc(len + bad * 2 + 1); /* each bad byte grows to 3 bytes */
    if (clean == NULL)
        return AIS_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_length(s + i);
        if (n == 0) {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(clean + o, s + i, n);
            o += n;
            i += n;
        }
    }
    *out = json_stringn_nocheck(clean, o);
    free(clean);
    return *out != NULL ? AIS_OK : AIS_ERR_NOMEM;
}

ais_status ais_json_set(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL)
        return AIS_ERR_NOMEM;
    if (obj == NULL || key == NULL || !json_is_object(obj)) {
        json_decref(value);
        return AIS_ERR_INVALID_ARG;
    }
    /* json_object_set_new releases value itself when it fails. */
    return json_object_set_new(obj, key, value) == 0 ? AIS_OK : AIS_ERR_INVALID_ARG;
}

ais_status ais_json_set_string(json_t *obj, const char *key, const char *text)
{
    json_t *value = NULL;
    if (text == NULL) {
        value = json_null();
    } else {
        ais_status st = ais_json_string(text, &value);
        if (st != AIS_OK)
            return st;
    }
    return ais_json_set(obj, key, value);
}
