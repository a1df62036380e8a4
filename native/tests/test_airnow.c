/* AirNow DOS CSV: layouts, the one-line parser on good and malformed lines, the value policy,
 * the DST rule, and the replay (merge across files, DST repair, dead letters) on hand-made
 * files in the real layouts. The real files are tested by test_airnow_real. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/airnow.h"
#include "ais/timeutil.h"

#define HEADER_CURRENT                                                                         \
    "Site,Parameter,Date (LT),Year,Month,Day,Hour,NowCast Conc.,AQI,AQI Category,Raw Conc.," \
    "Conc. Unit,Duration,QC Name"
#define HEADER_2015 "Site,Parameter,Date (LT),Year,Month,Day,Hour,Value,Unit,Duration,QC Name"
#define HEADER_2016_12                                                                         \
    "Site,Parameter,Date (LT),Year,Month,Day,Hour,AQI,AQI Category,24-hr. Midpoint Avg. "    \
    "Conc.,Raw Conc.,Conc. Unit,Duration,QC Name"
#define GOOD                                                                                   \
    "Hanoi,PM2.5 - Principal,2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 " \
    "Hr,Valid"

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static ais_status parse(const char *line, const ais_airnow_layout *l, ais_airnow_row *row,
                        const char **reason)
{
    return ais_airnow_parse_line(line, strlen(line), l, row, reason);
}

/* ----------------------------------------------------------------------------------------- */

static void layouts_are_found_by_column_name(void **state)
{
    (void)state;
    ais_airnow_layout l, expected;
    const char *reason = "unset";
    assert_true(ais_airnow_is_header(HEADER_CURRENT, strlen(HEADER_CURRENT)));
    assert_int_equal(ais_airnow_layout_from_header(HEADER_CURRENT, strlen(HEADER_CURRENT), &l,
                                                   &reason),
                     AIS_OK);
    assert_null(reason);
    ais_airnow_layout_current(&expected);
    assert_memory_equal(&l, &expected, sizeof l);

    assert_int_equal(ais_airnow_layout_from_header(HEADER_2015, strlen(HEADER_2015), &l, &reason),
                     AIS_OK);
    ais_airnow_layout_2015(&expected);
    assert_memory_equal(&l, &expected, sizeof l);
    assert_int_equal(l.value, 7); /* "Value" */
    assert_int_equal(l.unit, 8);  /* "Unit" */

    /* the December 2016 MTD file puts AQI first and has a 24-hour average column */
    assert_int_equal(ais_airnow_layout_from_header(HEADER_2016_12, strlen(HEADER_2016_12), &l,
                                                   &reason),
                     AIS_OK);
    assert_int_equal(l.n_fields, 14);
    assert_int_equal(l.value, 10);
    assert_int_equal(l.unit, 11);
    assert_int_equal(l.qc, 13);

    /* a byte-order mark and CRLF do not matter */
    const char *bom = "\xEF\xBB\xBF" HEADER_2015 "\r";
    assert_true(ais_airnow_is_header(bom, strlen(bom)));
    assert_int_equal(ais_airnow_layout_from_header(bom, strlen(bom), &l, &reason), AIS_OK);
    assert_int_equal(l.qc, 10);

    static const char *const unknown[] = {
        "Site,Parameter,Date (LT),Year,Month,Day,Hour,Raw Conc.,Conc. Unit,Duration",
        ("Site,Parameter,Date (LT),Year,Month,Day,Hour,Raw Conc.,Raw Conc.,Conc. Unit,Duration,"
         "QC Name"),
        "Site,Parameter,Date (LT),Year,Month,Day,Hour,Value,Raw Conc.,Unit,Duration,QC Name",
        "Site,\"Parameter",
        "",
    };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        reason = NULL;
        assert_int_equal(ais_airnow_layout_from_header(unknown[i], strlen(unknown[i]), &l,
                                                       &reason),
                         AIS_ERR_PARSE);
        assert_string_equal(reason, "unknown_layout");
    }
    assert_false(ais_airnow_is_header(GOOD, strlen(GOOD)));
    assert_false(ais_airnow_is_header("Sitex,a", 7));
}

static void headerless_files_are_detected_by_content(void **state)
{
    (void)state;
    ais_airnow_layout l, expected;
    const char *reason = NULL;
    assert_int_equal(ais_airnow_layout_detect(GOOD, strlen(GOOD), &l, &reason), AIS_OK);
    ais_airnow_layout_current(&expected);
    assert_memory_equal(&l, &expected, sizeof l);
    const char *old = "Hanoi,PM2.5 - Principal,2015-12-09 05:00 AM,2015,12,09,05,0.0,UG/M3,1 Hr,"
                      "Invalid";
    assert_int_equal(ais_airnow_layout_detect(old, strlen(old), &l, &reason), AIS_OK);
    ais_airnow_layout_2015(&expected);
    assert_memory_equal(&l, &expected, sizeof l);
    const char *twelve = "Hanoi,PM2.5,2019-10-07 09:00 PM,2019,10,07,21,1,2,3,4,5";
    assert_int_equal(ais_airnow_layout_detect(twelve, strlen(twelve), &l, &reason),
                     AIS_ERR_PARSE);
    assert_string_equal(reason, "unknown_layout");
    const char *nodate = "Hanoi,PM2.5,yesterday,2019,10,07,21,1,2,3,4,5,6,7";
    assert_int_equal(ais_airnow_layout_detect(nodate, strlen(nodate), &l, &reason),
                     AIS_ERR_PARSE);
}

static void good_lines(void **state)
{
    (void)state;
    ais_airnow_layout cur, old, dec16;
    const char *reason = NULL;
    ais_airnow_row row;
    ais_airnow_layout_current(&cur);
    ais_airnow_layout_2015(&old);
    assert_int_equal(ais_airnow_layout_from_header(HEADER_2016_12, strlen(HEADER_2016_12), &dec16,
                                                   &reason),
                     AIS_OK);

    assert_int_equal(parse(GOOD, &cur, &row, &reason), AIS_OK);
    assert_string_equal(row.site, "Hanoi");
    assert_int_equal(row.year, 2019);
    assert_int_equal(row.month, 10);
    assert_int_equal(row.day, 7);
    assert_int_equal(row.hour, 21);
    assert_int_equal(row.label, iso("2019-10-07T21:00:00Z")); /* local wall time as seconds */
    assert_double_near(row.value, 77.0, 0.0);                 /* Raw Conc., not NowCast */
    assert_int_equal(row.qc, AIS_AIRNOW_QC_VALID);

    /* 12 AM is hour 0 (of the next day's date), 12 PM is noon */
    const char *midnight = "Hanoi,PM2.5 - Principal,2020-01-01 12:00 AM,2020,01,01,00,100.0,174,"
                           "Unhealthy,112.0,UG/M3,1 Hr,Valid";
    assert_int_equal(parse(midnight, &cur, &row, &reason), AIS_OK);
    assert_int_equal(row.label, iso("2020-01-01T00:00:00Z"));
    const char *noon = "Hanoi,PM2.5 - Principal,2016-02-29 12:00 PM,2016,02,29,12,81.0,164,"
                       "Unhealthy,-999.0,UG/M3,1 Hr,Missing";
    assert_int_equal(parse(noon, &cur, &row, &reason), AIS_OK);
    assert_int_equal(row.label, iso("2016-02-29T12:00:00Z"));
    assert_double_near(row.value, AIS_AIRNOW_MISSING_VALUE, 0.0);
    assert_int_equal(row.qc, AIS_AIRNOW_QC_MISSING);

    const char *old_line = "Hanoi,PM2.5 - Principal,2015-12-31 07:00 AM,2015,12,31,07,45.4,UG/M3,"
                           "1 Hr,Valid\r";
    assert_int_equal(parse(old_line, &old, &row, &reason), AIS_OK);
    assert_double_near(row.value, 45.4, 1e-12);
    assert_int_equal(row.hour, 7);

    const char *dec_line = "Hanoi,PM2.5 - Principal,2016-12-01 01:00 AM,2016,12,01,01,114,3,40.8,"
                           "34.7,UG/M3,1 Hr,Suspect";
    assert_int_equal(parse(dec_line, &dec16, &row, &reason), AIS_OK);
    assert_double_near(row.value, 34.7, 1e-12);
    assert_int_equal(row.qc, AIS_AIRNOW_QC_SUSPECT);

    /* RFC 4180 quoting, including a comma inside a quoted field */
    const char *quoted = "\"Hanoi\",\"PM2.5 - Principal\",\"2019-10-07 09:00 PM\",2019,10,07,21,"
                         "78.5,163,\"Unhealthy, \"\"very\"\"\",80.0,ug/m3,1 hr,invalid";
    assert_int_equal(parse(quoted, &cur, &row, &reason), AIS_OK);
    assert_double_near(row.value, 80.0, 0.0);
    assert_int_equal(row.qc, AIS_AIRNOW_QC_INVALID);
}

typedef struct bad_line {
    const char *line;
    const char *reason;
} bad_line;

static void malformed_lines_are_rejected_with_a_reason(void **state)
{
    (void)state;
#define P "Hanoi,PM2.5 - Principal,"
    static const bad_line cases[] = {
        {"", "wrong_column_count"},
        {"Hanoi", "wrong_column_count"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr", "wrong_column_count"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid,x",
         "wrong_column_count"},
        {",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", "wrong_column_count"},
        {P "2019-13-07 09:00 PM,2019,13,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-02-30 09:00 PM,2019,02,30,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-10-07 13:00 PM,2019,10,07,13,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-10-07 00:00 AM,2019,10,07,00,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-10-07 09:00 XM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019/10/07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-10-07 21:00,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P ",2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-10-07 09:60 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid", "bad_date"},
        {P "2019-10-07 09:30 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "not_on_the_hour"},
        {P "2019-10-07 09:00 PM,2018,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "date_fields_mismatch"},
        {P "2019-10-07 09:00 PM,2019,10,07,09,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "date_fields_mismatch"},
        {P "2019-10-07 09:00 PM,2019,10,07,x,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "date_fields_mismatch"},
        {P "2019-10-07 09:00 PM,2019,10,07,-21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "date_fields_mismatch"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,abc,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,1e5,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,NaN,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,inf,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,--5,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,1.2.3,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,-,UG/M3,1 Hr,Valid", "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,"
           "111111111111111111111111111111111,UG/M3,1 Hr,Valid",
         "bad_value"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid?", "unknown_qc"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,", "unknown_qc"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,PPB,1 Hr,Valid",
         "unexpected_unit"},
        {P "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,24 Hr,Valid",
         "unexpected_duration"},
        {"Hanoi,OZONE,2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "unexpected_parameter"},
        {",PM2.5,2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "empty_site"},
        {"Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi Hanoi,PM2.5,"
         "2019-10-07 09:00 PM,2019,10,07,21,-999.0,-999,N/A,77.0,UG/M3,1 Hr,Valid",
         "site_too_long"},
        {"\"Hanoi,PM2.5 - Principal,2019-10-07 09:00 PM,2019,10,07,21,1,1,N/A,77.0,UG/M3,1 Hr,"
         "Valid",
         "bad_quoting"},
        {"Ha\"noi,PM2.5 - Principal,2019-10-07 09:00 PM,2019,10,07,21,1,1,N/A,77.0,UG/M3,1 Hr,"
         "Valid",
         "bad_quoting"},
        {"\"Hanoi\"x,PM2.5 - Principal,2019-10-07 09:00 PM,2019,10,07,21,1,1,N/A,77.0,UG/M3,1 Hr,"
         "Valid",
         "bad_quoting"},
    };
#undef P
    ais_airnow_layout cur;
    ais_airnow_layout_current(&cur);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ais_airnow_row row;
        const char *reason = NULL;
        ais_status st = parse(cases[i].line, &cur, &row, &reason);
        if (st != AIS_ERR_PARSE || reason == NULL || strcmp(reason, cases[i].reason) != 0) {
            print_error("case %zu: %s -> %s %s, expected %s\n", i, cases[i].line,
                        ais_status_str(st), reason ? reason : "(null)", cases[i].reason);
            fail();
        }
    }

    /* a NUL byte inside the length, and a line longer than any real one */
    char with_nul[] = GOOD;
    with_nul[5] = '\0';
    ais_airnow_row row;
    const char *reason = NULL;
    assert_int_equal(ais_airnow_parse_line(with_nul, sizeof with_nul - 1, &cur, &row, &reason),
                     AIS_ERR_PARSE);
    assert_string_equal(reason, "nul_byte");
    char *long_line = malloc(AIS_AIRNOW_MAX_LINE + 10);
    memset(long_line, 'a', AIS_AIRNOW_MAX_LINE + 9);
    long_line[AIS_AIRNOW_MAX_LINE + 9] = '\0';
    assert_int_equal(parse(long_line, &cur, &row, &reason), AIS_ERR_PARSE);
    assert_string_equal(reason, "line_too_long");
    free(long_line);

    /* the length is honoured: the same good line cut short is not read past its end */
    assert_int_equal(ais_airnow_parse_line(GOOD, strlen(GOOD) - 5, &cur, &row, &reason),
                     AIS_ERR_PARSE);
    assert_string_equal(reason, "unknown_qc");

    /* misuse */
    assert_int_equal(ais_airnow_parse_line(NULL, 3, &cur, &row, &reason), AIS_ERR_INVALID_ARG);
    ais_airnow_layout broken = cur;
    broken.qc = 14;
    assert_int_equal(parse(GOOD, &broken, &row, &reason), AIS_ERR_INVALID_ARG);
}

typedef struct policy_case {
    ais_airnow_qc qc;
    double value;
    bool has_value;
    unsigned flags;
} policy_case;

static void the_value_policy(void **state)
{
    (void)state;
    static const policy_case cases[] = {
        {AIS_AIRNOW_QC_VALID, 50.0, true, 0},
        {AIS_AIRNOW_QC_VALID, -999.0, false, AIS_AIRNOW_FLAG_MISSING},
        {AIS_AIRNOW_QC_MISSING, -999.0, false, AIS_AIRNOW_FLAG_MISSING | AIS_AIRNOW_FLAG_QC_MISSING},
        {AIS_AIRNOW_QC_MISSING, 12.0, false, AIS_AIRNOW_FLAG_QC_MISSING},
        {AIS_AIRNOW_QC_INVALID, 40.0, false, AIS_AIRNOW_FLAG_QC_INVALID},
        {AIS_AIRNOW_QC_SUSPECT, 80.0, true, AIS_AIRNOW_FLAG_QC_SUSPECT},
        {AIS_AIRNOW_QC_VALID, -3.0, false, AIS_AIRNOW_FLAG_NONPOSITIVE},
        {AIS_AIRNOW_QC_VALID, 0.0, false, AIS_AIRNOW_FLAG_NONPOSITIVE},
        {AIS_AIRNOW_QC_SUSPECT, -2.0, false, AIS_AIRNOW_FLAG_QC_SUSPECT | AIS_AIRNOW_FLAG_NONPOSITIVE},
        {AIS_AIRNOW_QC_INVALID, -2.0, false, AIS_AIRNOW_FLAG_QC_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ais_airnow_row row = {.qc = cases[i].qc, .value = cases[i].value};
        bool has_value;
        double value;
        unsigned flags;
        ais_airnow_classify(&row, &has_value, &value, &flags);
        assert_int_equal(has_value, cases[i].has_value);
        assert_int_equal(flags, cases[i].flags);
        if (has_value)
            assert_double_near(value, cases[i].value, 0.0);
    }
    assert_string_equal(ais_airnow_flag_name(AIS_AIRNOW_FLAG_MISSING), "missing");
    assert_string_equal(ais_airnow_flag_name(AIS_AIRNOW_FLAG_DST_REPAIRED),
                        "dst_duplicate_repaired");
    assert_string_equal(ais_airnow_flag_name(AIS_AIRNOW_FLAG_CONFLICT_RESOLVED),
                        "conflict_resolved");
    assert_null(ais_airnow_flag_name(3));
    assert_null(ais_airnow_flag_name(1u << AIS_AIRNOW_FLAG_COUNT));
    assert_string_equal(ais_airnow_qc_name(AIS_AIRNOW_QC_SUSPECT), "Suspect");
}

static void us_dst_start_sundays(void **state)
{
    (void)state;
    /* the five dates SOURCES.md lists, plus the pre-2007 rule */
    static const int expected[][3] = {{2015, 3, 8},  {2016, 3, 13}, {2017, 3, 12}, {2018, 3, 11},
                                      {2019, 3, 10}, {2007, 3, 11}, {2006, 4, 2},  {1987, 4, 5}};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        int m, d;
        assert_int_equal(ais_airnow_us_dst_start(expected[i][0], &m, &d), AIS_OK);
        assert_int_equal(m, expected[i][1]);
        assert_int_equal(d, expected[i][2]);
    }
    int m, d;
    assert_int_equal(ais_airnow_us_dst_start(1986, &m, &d), AIS_ERR_RANGE);
}

static void the_embassy_station(void **state)
{
    (void)state;
    const ais_airnow_station *s = ais_airnow_station_find("Hanoi");
    assert_non_null(s);
    assert_int_equal(s->location_id, 7441);
    assert_int_equal(s->sensor_id, 74411);
    assert_double_near(s->latitude, 21.0219, 0.0);
    assert_double_near(s->longitude, 105.8188, 0.0);
    assert_null(ais_airnow_station_find("HoChiMinhCity"));
    assert_null(ais_airnow_station_find(NULL));
}

/* ----------------------------------------------------------------------------------------- */
/* Replay                                                                                     */

static ais_status collect(void *ctx, const json_t *event)
{
    return json_array_append((json_t *)ctx, (json_t *)event) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static char *row(const char *label, int y, int mo, int d, int h, const char *raw, const char *qc)
{
    char *s = malloc(256);
    assert_non_null(s);
    snprintf(s, 256, "Hanoi,PM2.5 - Principal,%s,%04d,%02d,%02d,%02d,1.0,1,Good,%s,UG/M3,1 Hr,%s\n",
             label, y, mo, d, h, raw, qc);
    return s;
}

static void append(char **text, char *piece)
{
    size_t n = strlen(*text) + strlen(piece) + 1;
    *text = realloc(*text, n);
    assert_non_null(*text);
    strcat(*text, piece);
    free(piece);
}

typedef struct fixture {
    char *dir;
    char *newer;   /* path of the later download */
    char *older;   /* the header-less earlier download */
    char *old2015; /* the 2015 layout */
    char *bad;
    char *unknown;
} fixture;

/* Two downloads of the same 2019 file (the older one without a header, sorted FIRST by path so
 * that path order is not what decides), a 2015-layout file, a file with bad lines and a file in
 * an unknown layout; plus files the replay must ignore. */
static fixture make_fixture(void)
{
    fixture f;
    f.dir = ais_test_mkdtemp();
    char *a = ais_test_join(f.dir, "a_haileebn");
    char *b = ais_test_join(f.dir, "b_chuvanan");
    char *c = ais_test_join(f.dir, "c_old");
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    assert_int_equal(mkdir(c, 0755), 0);
    f.older = ais_test_join(a, "Hanoi_PM2.5_2019_YTD_noheader.csv");
    f.newer = ais_test_join(b, "Hanoi_PM2.5_2019_YTD.CSV");
    f.old2015 = ais_test_join(c, "Hanoi_PM2.5_2015_12_MTD.csv");
    f.bad = ais_test_join(c, "broken.csv");
    f.unknown = ais_test_join(c, "zz_other.csv");

    /* the later download: 2019-03-10 01:00 .. 08:00 with the DST artefact at 03:00 */
    char *t = strdup(HEADER_CURRENT "\r\n");
    append(&t, row("2019-03-10 01:00 AM", 2019, 3, 10, 1, "10.0", "Valid"));
    append(&t, row("2019-03-10 03:00 AM", 2019, 3, 10, 3, "1.2", "Valid"));
    append(&t, row("2019-03-10 03:00 AM", 2019, 3, 10, 3, "6.9", "Valid"));
    append(&t, row("2019-03-10 04:00 AM", 2019, 3, 10, 4, "7.0", "Valid"));
    append(&t, row("2019-03-10 05:00 AM", 2019, 3, 10, 5, "-999.0", "Missing"));
    append(&t, row("2019-03-10 06:00 AM", 2019, 3, 10, 6, "12.0", "Invalid"));
    append(&t, row("2019-03-10 07:00 AM", 2019, 3, 10, 7, "33.0", "Suspect"));
    append(&t, row("2019-03-10 08:00 AM", 2019, 3, 10, 8, "-4.0", "Valid"));
    ais_test_write_file(f.newer, t);
    free(t);

    /* the earlier download, no header, ends at 06:00: agrees on 01:00 and 03:00, disagrees on
     * 04:00 (value) and 06:00 (QC flag revised later) */
    t = strdup("");
    append(&t, row("2019-03-10 01:00 AM", 2019, 3, 10, 1, "10.0", "Valid"));
    append(&t, row("2019-03-10 03:00 AM", 2019, 3, 10, 3, "1.2", "Valid"));
    append(&t, row("2019-03-10 03:00 AM", 2019, 3, 10, 3, "6.9", "Valid"));
    append(&t, row("2019-03-10 04:00 AM", 2019, 3, 10, 4, "7.5", "Valid"));
    append(&t, row("2019-03-10 06:00 AM", 2019, 3, 10, 6, "12.0", "Valid"));
    t[strlen(t) - 1] = '\0'; /* no final newline, like the real file */
    ais_test_write_file(f.older, t);
    free(t);

    ais_test_write_file(f.old2015,
                        HEADER_2015 "\n"
                        "Hanoi,PM2.5 - Principal,2015-12-09 05:00 AM,2015,12,09,05,20.0,UG/M3,1 "
                        "Hr,Valid\n"
                        "\n"
                        "Hanoi,PM2.5 - Principal,2015-12-09 06:00 AM,2015,12,09,06,-999.0,UG/M3,"
                        "1 Hr,Valid\n");
    ais_test_write_file(f.bad,
                        HEADER_CURRENT "\n"
                        "Hanoi,PM2.5 - Principal,2019-02-30 01:00 AM,2019,02,30,01,1,1,Good,5.0,"
                        "UG/M3,1 Hr,Valid\n"
                        "Hanoi,PM2.5 - Principal,2019-03-01 01:00 AM,2019,03,01,01,5.0\n"
                        "HoChiMinhCity,PM2.5 - Principal,2019-03-01 01:00 AM,2019,03,01,01,1,1,"
                        "Good,5.0,UG/M3,1 Hr,Valid\n"
                        "Hanoi,PM2.5 - Principal,2019-03-01 02:00 AM,2019,03,01,02,1,1,Good,9.5,"
                        "UG/M3,1 Hr,Valid\n");
    ais_test_write_file(f.unknown, "station,when,pm25\nHanoi,2019-03-01,5\n");
    char *ignored = ais_test_join(c, "notes.txt");
    ais_test_write_file(ignored, "Site,not a csv\n");
    char *hidden = ais_test_join(c, ".partial.csv");
    ais_test_write_file(hidden, "garbage\n");
    free(ignored);
    free(hidden);
    free(a);
    free(b);
    free(c);
    return f;
}

static void free_fixture(fixture *f)
{
    ais_test_rm_rf(f->dir);
    free(f->dir);
    free(f->newer);
    free(f->older);
    free(f->old2015);
    free(f->bad);
    free(f->unknown);
}

typedef struct replayed {
    json_t *events;
    json_t *dead;
    ais_replay_stats stats;
    json_t *by_reason;
} replayed;

static replayed replay(const char *dir, const char *start, const char *end)
{
    replayed r;
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "airnow", "replay", iso(start), iso(end)), AIS_OK);
    r.events = json_array();
    r.dead = json_array();
    ais_sink sink = {r.events, collect};
    ais_sink dead = {r.dead, collect};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &dead, "airnow", "openaq-hourly", env.request_id), AIS_OK);
    char err[256];
    assert_int_equal(ais_airnow_replay(dir, 7, &env, &sink, &dlq, &r.stats, NULL, err, sizeof err),
                     AIS_OK);
    assert_int_equal(dlq.rejected, json_array_size(r.dead));
    r.by_reason = json_deep_copy(dlq.by_reason);
    ais_dlq_release(&dlq);
    return r;
}

static void replayed_free(replayed *r)
{
    json_decref(r->events);
    json_decref(r->dead);
    json_decref(r->by_reason);
}

static json_t *by_id(const json_t *events)
{
    json_t *map = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        assert_null(json_object_get(map, id)); /* one event per hour */
        json_object_set(map, id, ev);
    }
    return map;
}

static void assert_flags(const json_t *ev, const char *const *expected)
{
    const json_t *flags = json_object_get(ev, "quality_flags");
    size_t n = 0;
    while (expected[n] != NULL)
        n++;
    if (json_array_size(flags) != n) {
        char *text = json_dumps(flags, 0);
        print_error("%s: flags %s\n", json_string_value(json_object_get(ev, "event_id")), text);
        free(text);
        fail();
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(flags, i)), expected[i]);
}

static void assert_value(const json_t *ev, double expected)
{
    const json_t *v = json_object_get(ev, "value");
    assert_true(json_is_real(v));
    assert_double_near(json_real_value(v), expected, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(ev, "coverage_observed_count")), 1);
}

static void assert_null_value(const json_t *ev)
{
    assert_true(json_is_null(json_object_get(ev, "value")));
    assert_int_equal(json_integer_value(json_object_get(ev, "coverage_observed_count")), 0);
}

#define ID(t) "openaq_7441_74411_pm25_" t

static void replay_merges_repairs_and_rejects(void **state)
{
    (void)state;
    fixture f = make_fixture();
    replayed r = replay(f.dir, "2015-01-01", "2020-01-01");

    /* 2 hours from 2015 + 8 hours of 2019-03-10 (01..08, with 02:00 repaired) + 1 good line of
     * the broken file */
    assert_int_equal(json_array_size(r.events), 11);
    assert_int_equal(r.stats.events, 11);
    assert_int_equal(r.stats.files_read, 5);
    assert_int_equal(r.stats.files_rejected, 1); /* zz_other.csv */
    assert_int_equal(r.stats.records_read, 19);  /* data lines, the unknown file has none */
    assert_int_equal(r.stats.records_rejected, 3);
    assert_int_equal(r.stats.duplicates_merged, 5);
    assert_int_equal(r.stats.conflicts_resolved, 2);
    assert_int_equal(r.stats.dst_repaired, 2); /* once in each copy */
    assert_int_equal(r.stats.outside_window, 0);

    json_t *ev = by_id(r.events);
    /* label 2019-03-10 01:00 (UTC+7, hour-ending) = the hour starting 2019-03-09T17:00Z */
    const json_t *e = json_object_get(ev, ID("2019-03-09T17:00:00Z"));
    assert_non_null(e);
    assert_value(e, 10.0);
    assert_flags(e, (const char *const[]){NULL});
    assert_string_equal(json_string_value(json_object_get(e, "source")), "airnow");
    assert_string_equal(json_string_value(json_object_get(e, "window_mode")), "replay");
    assert_string_equal(json_string_value(json_object_get(e, "event_time")),
                        "2019-03-09T17:00:00Z");
    assert_string_equal(json_string_value(json_object_get(e, "datetime_to_utc")),
                        "2019-03-09T18:00:00Z");
    assert_string_equal(json_string_value(json_object_get(e, "units")), "µg/m³");
    assert_string_equal(json_string_value(json_object_get(e, "parameter")), "pm25");
    assert_int_equal(json_integer_value(json_object_get(e, "location_id")), 7441);
    assert_int_equal(json_integer_value(json_object_get(e, "sensor_id")), 74411);
    assert_int_equal(json_integer_value(json_object_get(e, "coverage_expected_count")), 1);
    assert_double_near(json_real_value(json_object_get(e, "coverage_pct")), 100.0, 0.0);
    assert_double_near(json_real_value(json_object_get(e, "latitude")), 21.0219, 0.0);

    /* the first 03:00 row is the missing 02:00 hour; the second is 03:00 */
    e = json_object_get(ev, ID("2019-03-09T18:00:00Z"));
    assert_value(e, 1.2);
    assert_flags(e, (const char *const[]){"dst_duplicate_repaired", NULL});
    e = json_object_get(ev, ID("2019-03-09T19:00:00Z"));
    assert_value(e, 6.9);
    assert_flags(e, (const char *const[]){NULL});
    /* 04:00: the copies disagree; the later download (whose last row is later) wins */
    e = json_object_get(ev, ID("2019-03-09T20:00:00Z"));
    assert_value(e, 7.0);
    assert_flags(e, (const char *const[]){"conflict_resolved", NULL});
    e = json_object_get(ev, ID("2019-03-09T21:00:00Z"));
    assert_null_value(e);
    assert_flags(e, (const char *const[]){"low_coverage", "missing", "qc_missing", NULL});
    /* 06:00: Valid in the earlier download, Invalid in the later one */
    e = json_object_get(ev, ID("2019-03-09T22:00:00Z"));
    assert_null_value(e);
    assert_flags(e, (const char *const[]){"low_coverage", "qc_invalid", "conflict_resolved", NULL});
    e = json_object_get(ev, ID("2019-03-09T23:00:00Z"));
    assert_value(e, 33.0);
    assert_flags(e, (const char *const[]){"qc_suspect", NULL});
    e = json_object_get(ev, ID("2019-03-10T00:00:00Z"));
    assert_null_value(e);
    assert_flags(e, (const char *const[]){"low_coverage", "nonpositive_value", NULL});
    /* the 2015 layout; -999 flagged Valid is still no measurement */
    e = json_object_get(ev, ID("2015-12-08T21:00:00Z"));
    assert_value(e, 20.0);
    e = json_object_get(ev, ID("2015-12-08T22:00:00Z"));
    assert_null_value(e);
    assert_flags(e, (const char *const[]){"low_coverage", "missing", NULL});
    /* the good line among bad ones */
    e = json_object_get(ev, ID("2019-02-28T18:00:00Z"));
    assert_value(e, 9.5);

    /* events come in hour order */
    const char *prev = "";
    size_t i;
    json_array_foreach(r.events, i, e) {
        const char *t = json_string_value(json_object_get(e, "event_time"));
        assert_true(strcmp(prev, t) < 0);
        prev = t;
    }

    /* dead letters: the reason, the raw line, the file and the line number */
    assert_int_equal(json_array_size(r.dead), 4);
    assert_int_equal(json_integer_value(json_object_get(r.by_reason, "bad_date")), 1);
    assert_int_equal(json_integer_value(json_object_get(r.by_reason, "wrong_column_count")), 1);
    assert_int_equal(json_integer_value(json_object_get(r.by_reason, "unknown_site")), 1);
    assert_int_equal(json_integer_value(json_object_get(r.by_reason, "unknown_layout")), 1);
    json_t *d = json_array_get(r.dead, 0);
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "bad_date");
    assert_string_equal(json_string_value(json_object_get(d, "file")), f.bad);
    assert_int_equal(json_integer_value(json_object_get(d, "line")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "source")), "airnow");
    assert_non_null(strstr(json_string_value(json_object_get(d, "raw")), "2019-02-30 01:00 AM"));
    d = json_array_get(r.dead, 3);
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "unknown_layout");
    assert_string_equal(json_string_value(json_object_get(d, "file")), f.unknown);
    assert_string_equal(json_string_value(json_object_get(d, "raw")), "station,when,pm25");

    json_decref(ev);
    replayed_free(&r);
    free_fixture(&f);
}

static void replay_honours_the_window_and_is_repeatable(void **state)
{
    (void)state;
    fixture f = make_fixture();
    /* only 2019-03-09T18:00Z .. 21:00Z */
    replayed r = replay(f.dir, "2019-03-09T18:00:00Z", "2019-03-09T21:00:00Z");
    assert_int_equal(json_array_size(r.events), 3);
    /* 16 good rows, of which 6 (3 hours x 2 copies) are in the window */
    assert_int_equal(r.stats.outside_window, 10);
    json_t *ids = by_id(r.events);
    assert_non_null(json_object_get(ids, ID("2019-03-09T18:00:00Z")));
    assert_non_null(json_object_get(ids, ID("2019-03-09T20:00:00Z")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.events, 0),
                                                          "window_start_utc")),
                        "2019-03-09T18:00:00Z");

    /* a second replay of the whole range gives the same events, value for value */
    replayed a = replay(f.dir, "2015-01-01", "2020-01-01");
    replayed b = replay(f.dir, "2015-01-01", "2020-01-01");
    assert_int_equal(json_array_size(a.events), json_array_size(b.events));
    size_t i;
    json_t *ea;
    json_array_foreach(a.events, i, ea) {
        json_t *eb = json_array_get(b.events, i);
        json_t *ca = json_deep_copy(ea), *cb = json_deep_copy(eb);
        json_object_del(ca, "ingest_time");
        json_object_del(cb, "ingest_time");
        json_object_del(ca, "trace");
        json_object_del(cb, "trace");
        assert_true(json_equal(ca, cb));
        json_decref(ca);
        json_decref(cb);
    }
    json_decref(ids);
    replayed_free(&r);
    replayed_free(&a);
    replayed_free(&b);
    free_fixture(&f);
}

static void replay_of_a_missing_folder_fails(void **state)
{
    (void)state;
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "airnow", "replay", iso("2019-01-01"),
                                       iso("2019-02-01")),
                     AIS_OK);
    json_t *events = json_array();
    ais_sink sink = {events, collect};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &sink, "airnow", "openaq-hourly", "x"), AIS_OK);
    ais_replay_stats stats;
    char err[256];
    assert_int_equal(ais_airnow_replay("/nonexistent/airnow", 7, &env, &sink, &dlq, &stats, NULL,
                                       err, sizeof err),
                     AIS_ERR_IO);
    assert_string_equal(err, "cannot list /nonexistent/airnow: No such file or directory");
    ais_dlq_release(&dlq);
    json_decref(events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layouts_are_found_by_column_name),
        cmocka_unit_test(headerless_files_are_detected_by_content),
        cmocka_unit_test(good_lines),
        cmocka_unit_test(malformed_lines_are_rejected_with_a_reason),
        cmocka_unit_test(the_value_policy),
        cmocka_unit_test(us_dst_start_sundays),
        cmocka_unit_test(the_embassy_station),
        cmocka_unit_test(replay_merges_repairs_and_rejects),
        cmocka_unit_test(replay_honours_the_window_and_is_repeatable),
        cmocka_unit_test(replay_of_a_missing_folder_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
