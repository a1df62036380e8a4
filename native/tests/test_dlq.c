/* Dead letters (ais/dlq.h): the record's shape, deterministic ids, raw bytes that are not text,
 * truncation, counting by reason, and a failing sink. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "ais/dlq.h"
#include "ais/version.h"

static ais_status collect(void *ctx, const json_t *rec)
{
    return json_array_append((json_t *)ctx, (json_t *)rec) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static ais_status refuse(void *ctx, const json_t *rec)
{
    (void)ctx;
    (void)rec;
    return AIS_ERR_IO;
}

static void the_record(void **state)
{
    (void)state;
    ais_dead_letter dl = {.reason = "bad_date", .detail = "no such day", .raw = "a,b,c",
                          .raw_len = 5, .file = "/data/x.csv", .line = 42};
    json_t *rec = NULL;
    assert_int_equal(ais_dead_letter_json("airnow", "openaq-hourly", "req", &dl, 1795251600, &rec),
                     AIS_OK);
    static const char *const keys[] = {"dlq_id", "source", "source_topic", "reason", "detail",
                                       "raw", "raw_truncated", "file", "line", "event_id",
                                       "recorded_at", "request_id", "producer"};
    assert_int_equal(json_object_size(rec), 13);
    for (size_t i = 0; i < 13; i++)
        assert_non_null(json_object_get(rec, keys[i]));
    assert_string_equal(json_string_value(json_object_get(rec, "source")), "airnow");
    assert_string_equal(json_string_value(json_object_get(rec, "reason")), "bad_date");
    assert_string_equal(json_string_value(json_object_get(rec, "raw")), "a,b,c");
    assert_false(json_is_true(json_object_get(rec, "raw_truncated")));
    assert_int_equal(json_integer_value(json_object_get(rec, "line")), 42);
    assert_true(json_is_null(json_object_get(rec, "event_id")));
    assert_string_equal(json_string_value(json_object_get(rec, "recorded_at")),
                        "2026-11-21T09:00:00Z");
    assert_string_equal(json_string_value(json_object_get(rec, "producer")), AIS_PRODUCER);
    const char *id = json_string_value(json_object_get(rec, "dlq_id"));
    assert_int_equal(strlen(id), AIS_DLQ_ID_SIZE - 1);
    assert_memory_equal(id, "dlq_", 4);

    /* the same bad input gets the same id at another time and in another run; another line,
     * another id */
    json_t *again = NULL, *other = NULL;
    assert_int_equal(ais_dead_letter_json("airnow", "openaq-hourly", "other-run", &dl, 1, &again),
                     AIS_OK);
    assert_string_equal(json_string_value(json_object_get(again, "dlq_id")), id);
    dl.line = 43;
    assert_int_equal(ais_dead_letter_json("airnow", "openaq-hourly", "req", &dl, 1, &other),
                     AIS_OK);
    assert_string_not_equal(json_string_value(json_object_get(other, "dlq_id")), id);
    json_decref(rec);
    json_decref(again);
    json_decref(other);

    /* no raw, no file, no line */
    ais_dead_letter bare = {.reason = "file_too_large"};
    assert_int_equal(ais_dead_letter_json("airnow", "t", NULL, &bare, 0, &rec), AIS_OK);
    assert_true(json_is_null(json_object_get(rec, "raw")));
    assert_true(json_is_null(json_object_get(rec, "file")));
    assert_true(json_is_null(json_object_get(rec, "line")));
    json_decref(rec);
    ais_dead_letter no_reason = {.reason = ""};
    assert_int_equal(ais_dead_letter_json("airnow", "t", NULL, &no_reason, 0, &rec),
                     AIS_ERR_INVALID_ARG);
}

static void raw_bytes_that_are_not_text(void **state)
{
    (void)state;
    const char raw[] = {'o', 'k', '\0', (char)0xC3, '(', 'x'};
    ais_dead_letter dl = {.reason = "nul_byte", .raw = raw, .raw_len = sizeof raw};
    json_t *rec = NULL;
    assert_int_equal(ais_dead_letter_json("airnow", "t", "r", &dl, 0, &rec), AIS_OK);
    /* every byte survives as a character: NUL and the broken sequence become U+FFFD */
    assert_string_equal(json_string_value(json_object_get(rec, "raw")),
                        "ok\xEF\xBF\xBD\xEF\xBF\xBD(x");
    json_decref(rec);

    size_t big = AIS_DLQ_RAW_MAX + 100;
    char *huge = malloc(big);
    memset(huge, 'z', big);
    dl.raw = huge;
    dl.raw_len = big;
    assert_int_equal(ais_dead_letter_json("airnow", "t", "r", &dl, 0, &rec), AIS_OK);
    assert_int_equal(strlen(json_string_value(json_object_get(rec, "raw"))), AIS_DLQ_RAW_MAX);
    assert_true(json_is_true(json_object_get(rec, "raw_truncated")));
    json_decref(rec);
    free(huge);
}

static void the_reporter_counts_by_reason(void **state)
{
    (void)state;
    json_t *records = json_array();
    ais_sink sink = {records, collect};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &sink, "weatherapi", "weather_history", "req"), AIS_OK);
    ais_dead_letter a = {.reason = "missing_temp_c", .raw = "{}", .raw_len = 2, .file = "f"};
    ais_dead_letter b = {.reason = "malformed_json", .raw = "{", .raw_len = 1, .file = "g"};
    assert_int_equal(ais_dlq_reject(&dlq, &a), AIS_OK);
    assert_int_equal(ais_dlq_reject(&dlq, &a), AIS_OK);
    assert_int_equal(ais_dlq_reject(&dlq, &b), AIS_OK);
    assert_int_equal(ais_dlq_count(&dlq, "delivery_failed", 5), AIS_OK);
    assert_int_equal(dlq.rejected, 8);
    assert_int_equal(dlq.written, 3);
    assert_int_equal(json_array_size(records), 3);
    assert_int_equal(json_integer_value(json_object_get(dlq.by_reason, "missing_temp_c")), 2);
    assert_int_equal(json_integer_value(json_object_get(dlq.by_reason, "malformed_json")), 1);
    assert_int_equal(json_integer_value(json_object_get(dlq.by_reason, "delivery_failed")), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(records, 2),
                                                          "source_topic")),
                        "weather_history");
    ais_dlq_release(&dlq);
    json_decref(records);

    /* a sink that fails: the record is counted, the failure returned (the run must stop) */
    ais_sink broken = {NULL, refuse};
    assert_int_equal(ais_dlq_init(&dlq, &broken, "airnow", "openaq-hourly", "req"), AIS_OK);
    assert_int_equal(ais_dlq_reject(&dlq, &a), AIS_ERR_IO);
    assert_int_equal(dlq.rejected, 1);
    assert_int_equal(dlq.written, 0);
    ais_dlq_release(&dlq);
    ais_dlq_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_record),
        cmocka_unit_test(raw_bytes_that_are_not_text),
        cmocka_unit_test(the_reporter_counts_by_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
