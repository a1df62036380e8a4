#include "ais/jsonutil.h"

#include <math.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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
        if (s[i] < 0x80) { /* most of our text is ASCII */
            i++;
            continue;
        }
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

/* ---- compact serialisation ------------------------------------------------------------- */

#define COMPACT_MAX_DEPTH 64

ais_status ais_json_buf_reserve(ais_json_buf *b, size_t extra)
{
    if (b == NULL)
        return AIS_ERR_INVALID_ARG;
    if (b->cap - b->len >= extra)
        return AIS_OK;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2)
            return AIS_ERR_NOMEM;
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (data == NULL)
        return AIS_ERR_NOMEM;
    b->data = data;
    b->cap = cap;
    return AIS_OK;
}

/* room reserved by the caller */
static void put(ais_json_buf *b, const char *s, size_t n)
{
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static ais_status put_string(ais_json_buf *b, const char *s, size_t n)
{
    /* worst case: every byte a \u00XX escape, plus the quotes */
    if (n > (SIZE_MAX - 2) / 6)
        return AIS_ERR_RANGE;
    ais_status st = ais_json_buf_reserve(b, 6 * n + 2);
    if (st != AIS_OK)
        return st;
    static const char hex[] = "0123456789ABCDEF";
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n) {
            unsigned char c = (unsigned char)s[run];
            if (c < 0x20 || c == '"' || c == '\\')
                break;
            run++;
        }
        memcpy(o, s + i, run - i);
        o += run - i;
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 0xF];
            o += 5;
        }
        i = run + 1;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return AIS_OK;
}

static void put_integer(ais_json_buf *b, json_int_t v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[n++] = '-';
    char *o = b->data + b->len;
    for (size_t k = 0; k < n; k++)
        o[k] = tmp[n - 1 - k];
    b->len += n;
}

/* The fast path of put_real for the common reals of our events (a coordinate, a measurement
 * with a few decimals): v is the double nearest to a decimal d with at most 6 decimals and
 * 1e-4 <= |d| < 1e9. Then d has at most 15 significant digits and v is within half an ulp of
 * it, so %.15g prints d in fixed notation, trailing zeros dropped, which is written here
 * without snprintf. False for any other v (the caller uses snprintf). */
static bool put_real_short(ais_json_buf *b, double v)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e9))
        return false;
    long long r = llround(a * 1e6);
    if ((double)r / 1e6 != a)
        return false;
    char tmp[24];
    size_t n = 0;
    if (v < 0)
        tmp[n++] = '-';
    long long ip = r / 1000000, fp = r % 1000000;
    char digits[12];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip != 0);
    while (nd > 0)
        tmp[n++] = digits[--nd];
    tmp[n++] = '.';
    if (fp == 0) {
        tmp[n++] = '0';
    } else {
        int width = 6;
        while (fp % 10 == 0) {
            fp /= 10;
            width--;
        }
        for (int i = width - 1; i >= 0; i--) {
            tmp[n + (size_t)i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        n += (size_t)width;
    }
    put(b, tmp, n);
    return true;
}

/* %.15g, then as jansson: a '.' decimal point whatever the locale, ".0" when neither a point
 * nor an exponent is present, and the exponent without '+' or leading zeros ("1e+20" -> "1e20",
 * "1e-05" -> "1e-5"). */
static ais_status put_real(ais_json_buf *b, double v)
{
    if (put_real_short(b, v))
        return AIS_OK;
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%.*g", AIS_JSON_REAL_DIGITS, v);
    if (n < 0 || (size_t)n >= sizeof tmp - 3)
        return AIS_ERR_JSON;
    size_t len = (size_t)n;
    char *comma = memchr(tmp, ',', len);
    if (comma != NULL)
        *comma = '.';
    char *e = memchr(tmp, 'e', len);
    if (e == NULL && memchr(tmp, '.', len) == NULL) {
        memcpy(tmp + len, ".0", 2);
        len += 2;
    }
    if (e != NULL) {
        char *digits = e + 1, *first = e + 1;
        if (*digits == '-')
            digits++, first++;
        else if (*digits == '+')
            first++;
        while (*first == '0' && first + 1 < tmp + len)
            first++;
        size_t tail = (size_t)(tmp + len - first);
        memmove(digits, first, tail);
        len = (size_t)(digits - tmp) + tail;
    }
    put(b, tmp, len);
    return AIS_OK;
}

static ais_status put_value(ais_json_buf *b, const json_t *v, int depth)
{
    ais_status st = ais_json_buf_reserve(b, 48);
    if (st != AIS_OK)
        return st;
    switch (json_typeof(v)) {
    case JSON_NULL: put(b, "null", 4); return AIS_OK;
    case JSON_TRUE: put(b, "true", 4); return AIS_OK;
    case JSON_FALSE: put(b, "false", 5); return AIS_OK;
    case JSON_INTEGER: put_integer(b, json_integer_value(v)); return AIS_OK;
    case JSON_REAL: return put_real(b, json_real_value(v));
    case JSON_STRING: return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        if (depth >= COMPACT_MAX_DEPTH)
            return AIS_ERR_RANGE;
        put(b, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i > 0) {
                if ((st = ais_json_buf_reserve(b, 1)) != AIS_OK)
                    return st;
                put(b, ",", 1);
            }
            if ((st = put_value(b, json_array_get(v, i), depth + 1)) != AIS_OK)
                return st;
        }
        if ((st = ais_json_buf_reserve(b, 1)) != AIS_OK)
            return st;
        put(b, "]", 1);
        return AIS_OK;
    }
    case JSON_OBJECT: {
        if (depth >= COMPACT_MAX_DEPTH)
            return AIS_ERR_RANGE;
        put(b, "{", 1);
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first) {
                if ((st = ais_json_buf_reserve(b, 1)) != AIS_OK)
                    return st;
                put(b, ",", 1);
            }
            first = false;
            const char *key = json_object_iter_key(it);
            if ((st = put_string(b, key, json_object_iter_key_len(it))) != AIS_OK ||
                (st = ais_json_buf_reserve(b, 1)) != AIS_OK)
                return st;
            put(b, ":", 1);
            if ((st = put_value(b, json_object_iter_value(it), depth + 1)) != AIS_OK)
                return st;
        }
        if ((st = ais_json_buf_reserve(b, 1)) != AIS_OK)
            return st;
        put(b, "}", 1);
        return AIS_OK;
    }
    default: return AIS_ERR_JSON;
    }
}

ais_status ais_json_append_compact(ais_json_buf *b, const json_t *v)
{
    if (b == NULL || v == NULL || (!json_is_object(v) && !json_is_array(v)))
        return AIS_ERR_INVALID_ARG;
    size_t start = b->len;
    ais_status st = put_value(b, v, 0);
    if (st != AIS_OK)
        b->len = start;
    return st;
}
