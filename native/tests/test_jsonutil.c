/* ais_json_append_compact against jansson's own json_dumpb with the sinks' flags: byte for
 * byte on hand-picked edge cases, on seeded random trees (random doubles, integers, strings with
 * control bytes and multi-byte UTF-8) and on the simulated events of the openaq and weather
 * adapters; the depth bound; appending after existing text. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ais/envelope.h"
#include "ais/jsonutil.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(AIS_JSON_REAL_DIGITS))

/* jansson's text of v and ours must be the same bytes */
static void assert_same(const json_t *v)
{
    char *want = json_dumps(v, FLAGS);
    assert_non_null(want);
    ais_json_buf b = {0};
    assert_int_equal(ais_json_append_compact(&b, v), AIS_OK);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        fail_msg("differs:\n jansson %s\n ours    %.*s", want, (int)b.len, b.data);
    free(b.data);
    free(want);
}

static void edge_cases(void **state)
{
    (void)state;
    static const double reals[] = {0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, 100.0, 116.7, 21.0285,
                                   105.8542, 1e15, 1e16, 123456789012345.0, 1234567890123456.0,
                                   1e20, 1e100, 1e-4, 1e-5, 1.5e-7, 5e-324, DBL_MAX, -DBL_MAX,
                                   DBL_MIN, 9.96921e36, 6371007.181, -273.15, 2.5e-300,
                                   1e-4, 9.99e-5, 0.000123, 999999999.999999, 1e9, -1e9,
                                   123456789.123456, 0.1 + 0.2, 1.0000005, 5e-7, 100.5};
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        json_array_append_new(arr, json_real(reals[i]));
    static const json_int_t ints[] = {0, 1, -1, 9, 10, -10, 1234567890, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        json_array_append_new(arr, json_integer(ints[i]));
    json_array_append_new(arr, json_true());
    json_array_append_new(arr, json_false());
    json_array_append_new(arr, json_null());
    json_array_append_new(arr, json_string(""));
    json_array_append_new(arr, json_string("µg/m³ Hà Nội \"q\" back\\slash a/b 😷"));
    char ctl[33];
    for (int c = 1; c < 32; c++)
        ctl[c - 1] = (char)c;
    ctl[31] = '\x7f';
    ctl[32] = '\0';
    json_array_append_new(arr, json_string(ctl));
    json_array_append_new(arr, json_stringn("nul\0inside", 10));
    json_array_append_new(arr, json_object());
    json_array_append_new(arr, json_array());
    json_t *obj = json_object();
    json_object_set_new(obj, "z", json_integer(1));
    json_object_set_new(obj, "a\tkey", arr);
    json_object_set_new(obj, "m", json_pack("{s:[i,{}],s:{}}", "x", 2, "y"));
    json_object_set_new(obj, "a", json_null());
    assert_same(obj);
    json_decref(obj);
}

/* splitmix64 */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static json_t *random_string(uint64_t *s)
{
    static const char *const pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01",
                                         "\x1f", "\x7f", "é", "µ", "³", "Nội", "😷", "𝄞"};
    char text[256] = "";
    size_t n = next(s) % 12;
    for (size_t i = 0; i < n; i++)
        strcat(text, pieces[next(s) % (sizeof pieces / sizeof pieces[0])]);
    return json_string(text);
}

static double random_real(uint64_t *s)
{
    for (;;) {
        uint64_t r = next(s);
        double d;
        switch (r % 5) {
        case 4: /* up to 6 decimals, any magnitude below 1e9 */
            d = (double)(int64_t)(next(s) % 2000000000000000ULL - 1000000000000000LL) /
                (double)(r % 3 == 0 ? 1e6 : r % 3 == 1 ? 1e3 : 1e5);
            break;
        case 0: /* any bit pattern */
            memcpy(&d, &r, sizeof d);
            break;
        case 1: /* a measurement-like value with one or two decimals */
            d = (double)(int64_t)(next(s) % 2000001 - 1000000) / (r % 8 < 4 ? 10.0 : 100.0);
            break;
        case 2: /* a small or large magnitude */
            d = ldexp((double)(next(s) % 1000000) / 1000.0, (int)(next(s) % 200) - 100);
            break;
        default: /* an integer-valued real */
            d = (double)(int64_t)(next(s) % 100000000000000000ULL) - 5e16;
        }
        if (isfinite(d))
            return d;
    }
}

static json_t *random_tree(uint64_t *s, int depth)
{
    uint64_t k = next(s) % (depth < 4 ? 9 : 7);
    switch (k) {
    case 0: return json_null();
    case 1: return json_boolean(next(s) & 1);
    case 2: return json_integer((json_int_t)next(s) >> (next(s) % 64));
    case 3:
    case 4: return json_real(random_real(s));
    case 5:
    case 6: return random_string(s);
    case 7: {
        json_t *a = json_array();
        for (uint64_t i = next(s) % 6; i > 0; i--)
            json_array_append_new(a, random_tree(s, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint64_t i = next(s) % 6; i > 0; i--) {
            json_t *key = random_string(s);
            json_object_set_new(o, json_string_value(key), random_tree(s, depth + 1));
            json_decref(key);
        }
        return o;
    }
    }
}

static void random_trees(void **state)
{
    (void)state;
    uint64_t seed = 20261121;
    for (int i = 0; i < 20000; i++) {
        json_t *root = json_object();
        json_object_set_new(root, "v", random_tree(&seed, 0));
        json_object_set_new(root, "w", random_tree(&seed, 0));
        assert_same(root);
        json_decref(root);
    }
}

static ais_status check_event(void *ctx, const json_t *event)
{
    (*(size_t *)ctx)++;
    assert_same(event);
    return AIS_OK;
}

static void simulated_events(void **state)
{
    (void)state;
    int64_t start, end;
    assert_int_equal(ais_time_parse_iso("2026-01-01T00:00:00Z", &start), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2026-01-03T00:00:00Z", &end), AIS_OK);
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", start, end), AIS_OK);
    size_t seen = 0;
    ais_sink sink = {&seen, check_event};
    ais_sim_params p;
    assert_int_equal(ais_sim_params_hanoi(7, &p), AIS_OK);
    uint64_t n = 0;
    assert_int_equal(ais_openaq_simulate(&p, 5, &env, &sink, &n), AIS_OK);
    assert_int_equal(n, 48 * 5);
    assert_int_equal(ais_weather_simulate(7, 3, &env, &sink, &n), AIS_OK);
    assert_int_equal(n, 48 * 3);
    assert_int_equal(seen, 48 * 8);
}

static void depth_bound_and_append(void **state)
{
    (void)state;
    ais_json_buf b = {0};
    json_t *shallow = json_pack("{s:i}", "a", 1);
    assert_int_equal(ais_json_append_compact(&b, shallow), AIS_OK);
    assert_int_equal(ais_json_append_compact(&b, shallow), AIS_OK);
    assert_int_equal(b.len, 14);
    assert_memory_equal(b.data, "{\"a\":1}{\"a\":1}", 14);
    /* 64 nested arrays are written, 65 are refused and nothing is appended */
    json_t *deep = json_array();
    for (int i = 1; i < 64; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    assert_int_equal(ais_json_append_compact(&b, deep), AIS_OK);
    assert_int_equal(b.len, 14 + 128);
    json_t *deeper = json_array();
    json_array_append_new(deeper, deep);
    assert_int_equal(ais_json_append_compact(&b, deeper), AIS_ERR_RANGE);
    assert_int_equal(b.len, 14 + 128);
    /* only objects and arrays, as json_dumps without JSON_ENCODE_ANY */
    json_t *num = json_integer(3);
    assert_int_equal(ais_json_append_compact(&b, num), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_json_append_compact(NULL, shallow), AIS_ERR_INVALID_ARG);
    json_decref(num);
    json_decref(deeper);
    json_decref(shallow);
    free(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(random_trees),
        cmocka_unit_test(simulated_events),
        cmocka_unit_test(depth_bound_and_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
