#include "testutil.h"

#include <string.h>
#include <time.h>

#include "ais/timeutil.h"

static int64_t parse_ok(const char *text)
{
    int64_t t = 0;
    ais_status st = ais_time_parse_iso(text, &t);
    if (st != AIS_OK) {
        print_error("'%s' did not parse: %s\n", text, ais_status_str(st));
        fail();
    }
    return t;
}

static void parses_utc_forms(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("2026-09-02T00:00:00Z"), 1788307200);
    assert_int_equal(parse_ok("2026-09-02T00:00:00+00:00"), 1788307200);
    assert_int_equal(parse_ok("2026-09-02T00:00:00-00:00"), 1788307200);
    assert_int_equal(parse_ok("2026-09-02"), 1788307200);
    assert_int_equal(parse_ok("2026-09-02t00:00:00z"), 1788307200);
    assert_int_equal(parse_ok("2026-09-02T00:00Z"), 1788307200);
    assert_int_equal(parse_ok("2026-11-21T10:00:00.123Z"), 1795255200); /* fraction dropped */
    assert_int_equal(parse_ok("2000-02-29T12:34:56Z"), 951827696);
    assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1);
    assert_int_equal(parse_ok("1900-03-01T00:00:00Z"), -2203891200LL);
    assert_int_equal(parse_ok("0001-01-01T00:00:00Z"), -62135596800LL);
    assert_int_equal(parse_ok("0000-01-01T00:00:00Z"), -62167219200LL);
    assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), 253402300799LL);
}

static void converts_offsets_to_utc(void **state)
{
    (void)state;
    /* 07:00 in Hanoi is midnight UTC */
    assert_int_equal(parse_ok("2026-09-02T07:00:00+07:00"), 1788307200);
    assert_int_equal(parse_ok("2026-09-01T19:30:00-04:30"), 1788307200);
    /* crossing a year boundary backwards */
    assert_int_equal(parse_ok("2026-01-01T05:00:00+07:00"), parse_ok("2025-12-31T22:00:00Z"));
}

static void rejects_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026",
        "2026-9-2",
        "2026-09-2",
        "26-09-02",
        "2026/09/02",
        "2026-09-02T00:00:00",      /* no zone: would depend on a local clock */
        "2026-09-02 00:00:00Z",     /* space separator */
        "2026-09-02T",
        "2026-09-02T00Z",
        "2026-09-02T00:00:00ZZ",
        "2026-09-02T00:00:00Z ",
        " 2026-09-02T00:00:00Z",
        "2026-09-02T00:00:00.Z",
        "2026-09-02T00:00:00+0700",
        "2026-09-02T00:00:00+07",
        "2026-09-02T00:00:00+24:00",
        "2026-09-02T00:00:00+07:60",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-09-00T00:00:00Z",
        "2026-09-02T24:00:00Z",
        "2026-09-02T00:60:00Z",
        "2026-09-02T00:00:60Z",     /* leap second */
        "2023-02-29",
        "1900-02-29",
        "+2026-09-02",
        "-001-01-01",
        "2026-09-02junk",
        "２０２６-09-02",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 12345;
        ais_status st = ais_time_parse_iso(bad[i], &t);
        if (st != AIS_ERR_TIME_FORMAT) {
            print_error("'%s' gave %s\n", bad[i], ais_status_str(st));
            fail();
        }
        assert_int_equal(t, 12345); /* untouched on failure */
    }
    int64_t t;
    assert_int_equal(ais_time_parse_iso(NULL, &t), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_time_parse_iso("2026-09-02", NULL), AIS_ERR_INVALID_ARG);
}

static void leap_years(void **state)
{
    (void)state;
    int days;
    assert_int_equal(ais_time_days_in_month(2024, 2, &days), AIS_OK);
    assert_int_equal(days, 29);
    assert_int_equal(ais_time_days_in_month(2026, 2, &days), AIS_OK);
    assert_int_equal(days, 28);
    assert_int_equal(ais_time_days_in_month(2000, 2, &days), AIS_OK);
    assert_int_equal(days, 29); /* divisible by 400 */
    assert_int_equal(ais_time_days_in_month(2100, 2, &days), AIS_OK);
    assert_int_equal(days, 28); /* divisible by 100 only */
    assert_int_equal(ais_time_days_in_month(2026, 4, &days), AIS_OK);
    assert_int_equal(days, 30);
    assert_int_equal(ais_time_days_in_month(2026, 13, &days), AIS_ERR_RANGE);

    assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), 1709164800);
    assert_int_equal(parse_ok("2024-03-01") - parse_ok("2024-02-28"), 2 * AIS_SECONDS_PER_DAY);
    assert_int_equal(parse_ok("2023-03-01") - parse_ok("2023-02-28"), AIS_SECONDS_PER_DAY);
    assert_int_equal(parse_ok("2025-01-01") - parse_ok("2024-01-01"), 366 * AIS_SECONDS_PER_DAY);
    assert_int_equal(parse_ok("2101-01-01") - parse_ok("2100-01-01"), 365 * AIS_SECONDS_PER_DAY);

    ais_civil_time c;
    assert_int_equal(ais_time_to_civil(parse_ok("2024-12-31T23:59:59Z"), &c), AIS_OK);
    assert_int_equal(c.yday, 365); /* 0-based: day 366 of a leap year */
    assert_int_equal(c.wday, 2);   /* Tuesday */
}

static void formats(void **state)
{
    (void)state;
    char iso[AIS_TIME_ISO_SIZE], ms[AIS_TIME_ISO_MS_SIZE], compact[AIS_TIME_COMPACT_SIZE];
    assert_int_equal(ais_time_format_iso(1788307200, iso), AIS_OK);
    assert_string_equal(iso, "2026-09-02T00:00:00Z");
    assert_int_equal(ais_time_format_iso(-1, iso), AIS_OK);
    assert_string_equal(iso, "1969-12-31T23:59:59Z");
    assert_int_equal(ais_time_format_iso_ms(1795255200, 123, ms), AIS_OK);
    assert_string_equal(ms, "2026-11-21T10:00:00.123Z");
    assert_int_equal(ais_time_format_iso_ms(1795255200, 7, ms), AIS_OK);
    assert_string_equal(ms, "2026-11-21T10:00:00.007Z");
    assert_int_equal(ais_time_format_iso_ms(0, 1000, ms), AIS_ERR_RANGE);
    assert_int_equal(ais_time_format_compact(1788307200 + 3661, compact), AIS_OK);
    assert_string_equal(compact, "20260902T010101Z");

    /* four-digit years only */
    assert_int_equal(ais_time_format_iso(253402300799LL, iso), AIS_OK);
    assert_string_equal(iso, "9999-12-31T23:59:59Z");
    assert_int_equal(ais_time_format_iso(253402300800LL, iso), AIS_ERR_RANGE);
    assert_int_equal(ais_time_format_iso(-62167219201LL, iso), AIS_ERR_RANGE);
    assert_int_equal(ais_time_format_iso(INT64_MIN, iso), AIS_ERR_RANGE);
    assert_int_equal(ais_time_format_iso(INT64_MAX, iso), AIS_ERR_RANGE);
}

/* gmtime_r is an independent oracle (it does not consult the local zone either). */
static void civil_matches_gmtime_and_round_trips(void **state)
{
    (void)state;
    const int64_t lo = -62135596800LL; /* 0001-01-01, gmtime's tm_year range is safe there */
    const int64_t hi = 253402300799LL;
    uint64_t x = 0x1234567u;
    for (int i = 0; i < 200000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int64_t t = lo + (int64_t)((x >> 11) % (uint64_t)(hi - lo));
        if (i < 1000)
            t = -500000 + (int64_t)i * 997; /* dense around the epoch */
        ais_civil_time c;
        assert_int_equal(ais_time_to_civil(t, &c), AIS_OK);
        time_t tt = (time_t)t;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        assert_int_equal(c.year, tm.tm_year + 1900);
        assert_int_equal(c.month, tm.tm_mon + 1);
        assert_int_equal(c.day, tm.tm_mday);
        assert_int_equal(c.hour, tm.tm_hour);
        assert_int_equal(c.minute, tm.tm_min);
        assert_int_equal(c.second, tm.tm_sec);
        assert_int_equal(c.yday, tm.tm_yday);
        assert_int_equal(c.wday, tm.tm_wday);

        char iso[AIS_TIME_ISO_SIZE];
        int64_t back;
        assert_int_equal(ais_time_format_iso(t, iso), AIS_OK);
        assert_int_equal(ais_time_parse_iso(iso, &back), AIS_OK);
        assert_int_equal(back, t);
        assert_int_equal(ais_time_from_civil(c.year, c.month, c.day, c.hour, c.minute, c.second,
                                             &back),
                         AIS_OK);
        assert_int_equal(back, t);
    }
}

static void from_civil_validates(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(ais_time_from_civil(2026, 2, 29, 0, 0, 0, &t), AIS_ERR_RANGE);
    assert_int_equal(ais_time_from_civil(2026, 1, 1, 24, 0, 0, &t), AIS_ERR_RANGE);
    assert_int_equal(ais_time_from_civil(2026, 1, 1, 0, -1, 0, &t), AIS_ERR_RANGE);
    assert_int_equal(ais_time_from_civil(10000, 1, 1, 0, 0, 0, &t), AIS_ERR_RANGE);
    assert_int_equal(ais_time_from_civil(-1, 1, 1, 0, 0, 0, &t), AIS_ERR_RANGE);
    assert_int_equal(ais_time_from_civil(2026, 9, 2, 0, 0, 0, NULL), AIS_ERR_INVALID_ARG);
}

static void floor_and_ceil_hours(void **state)
{
    (void)state;
    int64_t t;
    const int64_t h = parse_ok("2026-09-02T05:00:00Z");
    assert_int_equal(ais_time_floor_hour(h, &t), AIS_OK);
    assert_int_equal(t, h);
    assert_int_equal(ais_time_floor_hour(h + 3599, &t), AIS_OK);
    assert_int_equal(t, h);
    assert_int_equal(ais_time_ceil_hour(h, &t), AIS_OK);
    assert_int_equal(t, h);
    assert_int_equal(ais_time_ceil_hour(h + 1, &t), AIS_OK);
    assert_int_equal(t, h + 3600);
    /* before the epoch: floor, not truncation toward zero */
    assert_int_equal(ais_time_floor_hour(-1, &t), AIS_OK);
    assert_int_equal(t, -3600);
    assert_int_equal(ais_time_ceil_hour(-1, &t), AIS_OK);
    assert_int_equal(t, 0);
    assert_int_equal(ais_time_ceil_hour(-3601, &t), AIS_OK);
    assert_int_equal(t, -3600);
    assert_int_equal(ais_time_ceil_hour(INT64_MAX, &t), AIS_ERR_RANGE);
}

static void now_is_plausible(void **state)
{
    (void)state;
    int64_t t;
    int ms;
    assert_int_equal(ais_time_now(&t, &ms), AIS_OK);
    assert_true(t > parse_ok("2024-01-01"));
    assert_true(ms >= 0 && ms <= 999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_utc_forms),
        cmocka_unit_test(converts_offsets_to_utc),
        cmocka_unit_test(rejects_bad_input),
        cmocka_unit_test(leap_years),
        cmocka_unit_test(formats),
        cmocka_unit_test(civil_matches_gmtime_and_round_trips),
        cmocka_unit_test(from_civil_validates),
        cmocka_unit_test(floor_and_ceil_hours),
        cmocka_unit_test(now_is_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
