/* The Visual Crossing history replay (ais/weather_vc.h): hand-written daily and hourly exports
 * with good, bad and duplicated rows, then the recorded exports of ../shared/data/
 * visualcrossing-hanoi (SOURCES.md section 3; skipped with a message when absent). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/timeutil.h"
#include "ais/weather_vc.h"

static const char DAILY_HEADER[] =
    "name,datetime,tempmax,tempmin,temp,feelslikemax,feelslikemin,feelslike,dew,humidity,precip,"
    "precipprob,precipcover,preciptype,snow,snowdepth,windgust,windspeed,winddir,"
    "sealevelpressure,cloudcover,visibility,solarradiation,solarenergy,uvindex,severerisk,"
    "sunrise,sunset,moonphase,conditions,description,icon,stations\n";

static const char HOURLY_HEADER[] =
    "name,datetime,temp,feelslike,dew,humidity,precip,precipprob,preciptype,snow,snowdepth,"
    "windgust,windspeed,winddir,sealevelpressure,cloudcover,visibility,solarradiation,"
    "solarenergy,uvindex,severerisk,conditions,icon,stations\n";

static int64_t iso(const char *text)
{
    int64_t t = 0;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static ais_status collect(void *ctx, const json_t *event)
{
    return json_array_append((json_t *)ctx, (json_t *)event) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static const json_t *by_id(const json_t *events, const char *id)
{
    size_t i;
    const json_t *e;
    json_array_foreach(events, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "event_id")), id) == 0)
            return e;
    }
    return NULL;
}

static double num(const json_t *e, const char *key)
{
    const json_t *v = json_object_get(e, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static const char *str(const json_t *e, const char *key)
{
    return json_string_value(json_object_get(e, key));
}

static const char GOOD_DAY[] =
    "Hanoi,2015-01-01,24,11.4,17.7,24,11.4,17.7,9.4,63.8,0,0,0,,0,0,25.2,13,78.3,1023.4,0.4,"
    "7.2,197.4,17.1,7,,2015-01-01T06:33:34,2015-01-01T17:26:18,0.36,Clear,"
    "\"Clear conditions, all day.\",clear-day,\"48820099999,VVNB,remote\"\n";

static void replays_days_and_hours_with_their_availability(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    size_t cap = 8192;
    char *daily = malloc(cap);
    assert_non_null(daily);
    snprintf(daily, cap, "%s%s%s%s%s%s%s%s", DAILY_HEADER, GOOD_DAY,
             /* the same day again: merged */
             GOOD_DAY,
             /* the same day with another temperature: a conflicting duplicate */
             "Hanoi,2015-01-01,24,11.4,18.0,24,11.4,17.7,9.4,63.8,0,0,0,,0,0,25.2,13,78.3,1023.4,"
             "0.4,7.2,197.4,17.1,7,,x,y,0.36,Clear,d,clear-day,VVNB\n",
             /* missing humidity; tempmin above tempmax; a bad date; a short row */
             "Hanoi,2015-01-02,22,11,16.3,22,11,16.3,9.4,,0,0,0,,0,0,23.4,13.9,99.8,1022.7,28.3,"
             "7.7,187.6,16.2,7,,x,y,0.39,Clear,d,i,VVNB\n",
             "Hanoi,2015-01-03,10,11,16.3,22,11,16.3,9.4,60,0,0,0,,0,0,23.4,13.9,99.8,1022.7,28.3,"
             "7.7,187.6,16.2,7,,x,y,0.39,Clear,d,i,VVNB\n",
             "Hanoi,2015-02-30,22,11,16.3,22,11,16.3,9.4,60,0,0,0,,0,0,23.4,13.9,99.8,1022.7,28.3,"
             "7.7,187.6,16.2,7,,x,y,0.39,Clear,d,i,VVNB\n",
             "Hanoi,2015-01-04,22,11\n");
    char *path = ais_test_join(dir, "a_daily.csv");
    ais_test_write_file(path, daily);
    free(path);
    char *hourly = malloc(cap);
    assert_non_null(hourly);
    snprintf(hourly, cap, "%s%s%s%s", HOURLY_HEADER,
             "Hanoi,2015-01-02T00:00:00,26,26,25,94.23,0,0,,0,0,,3.6,158.9,1013,92.8,7,0,0,0,10,"
             "Overcast,cloudy,VVNB\r\n",
             /* pressure impossible; wind not a number */
             "Hanoi,2015-01-02T01:00:00,26,26,25,94.23,0,0,,0,0,13.7,7.6,70,500,89.5,10,0,0,0,10,"
             "Overcast,cloudy,VVNB\n",
             "Hanoi,2015-01-02T02:00:00,26,26,25,94.23,0,0,,0,0,13.7,fast,70,1012,89.5,10,0,0,0,10,"
             "Overcast,cloudy,VVNB\n");
    path = ais_test_join(dir, "b_hourly.csv");
    ais_test_write_file(path, hourly);
    free(path);
    path = ais_test_join(dir, "c_other.csv");
    ais_test_write_file(path, "name,datetime,temp\nHanoi,2015-01-01,20\n");
    free(path);

    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, AIS_VC_SOURCE, "replay", iso("2014-12-31T17:00:00Z"),
                                       iso("2015-01-10T00:00:00Z")),
                     AIS_OK);
    json_t *events = json_array(), *dead = json_array();
    ais_sink sink = {events, collect}, dsink = {dead, collect};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &dsink, AIS_VC_SOURCE, "weather-history-vc", "r"), AIS_OK);
    ais_replay_stats st;
    char err[256];
    /* one human progress line per file, in path order */
    char *lines = NULL;
    size_t lines_len = 0;
    FILE *human = open_memstream(&lines, &lines_len);
    assert_non_null(human);
    ais_progress progress;
    ais_progress_init(&progress, "weather-vc", AIS_LOG_FORMAT_HUMAN, human, NULL);
    assert_int_equal(ais_vc_replay(dir, 7, &env, &sink, &dlq, &st, &progress, err, sizeof err),
                     AIS_OK);
    fclose(human);
    assert_non_null(strstr(lines, "[1/3] weather-vc a_daily.csv \u2026 "));
    assert_non_null(strstr(lines, "[2/3] weather-vc b_hourly.csv \u2026 "));
    assert_non_null(strstr(lines, "[3/3] weather-vc c_other.csv \u2026 "));
    assert_null(strstr(lines, "failed"));
    free(lines);

    assert_int_equal(st.files_read, 3);
    assert_int_equal(st.files_rejected, 1); /* c_other.csv: no humidity column */
    assert_int_equal(st.records_read, 10);
    assert_int_equal(st.records_rejected, 6);
    assert_int_equal(st.duplicates_merged, 2);
    assert_int_equal(st.conflicts_resolved, 1);
    assert_int_equal(json_array_size(events), 2);

    /* the day: local 2015-01-01 = 2014-12-31T17:00Z .. 2015-01-01T17:00Z, known an hour later */
    const json_t *day = by_id(events, "weather_vc_hanoi_2015-01-01");
    assert_non_null(day);
    assert_string_equal(str(day, "event_time"), "2014-12-31T17:00:00Z");
    assert_string_equal(str(day, "period_end"), "2015-01-01T17:00:00Z");
    assert_string_equal(str(day, "available_at"), "2015-01-01T18:00:00Z");
    assert_string_equal(str(day, "resolution"), "day");
    assert_true(json_is_null(json_object_get(day, "local_time")));
    assert_double_near(num(day, "temp_c"), 17.7, 1e-9); /* the first copy */
    assert_double_near(num(day, "tempmax_c"), 24.0, 1e-9);
    assert_double_near(num(day, "tempmin_c"), 11.4, 1e-9);
    assert_double_near(num(day, "humidity"), 63.8, 1e-9);
    assert_double_near(num(day, "windspeed_kph"), 13.0, 1e-9);
    assert_double_near(num(day, "sealevelpressure_hpa"), 1023.4, 1e-9);
    assert_string_equal(str(day, "stations"), "48820099999,VVNB,remote");

    /* the hour: local 00:00 = 17:00Z the day before, known at the end of the hour + 1 h */
    const json_t *hour = by_id(events, "weather_vc_hanoi_2015-01-02T00:00");
    assert_non_null(hour);
    assert_string_equal(str(hour, "event_time"), "2015-01-01T17:00:00Z");
    assert_string_equal(str(hour, "available_at"), "2015-01-01T19:00:00Z");
    assert_string_equal(str(hour, "resolution"), "hour");
    assert_string_equal(str(hour, "local_time"), "2015-01-02T00:00");
    assert_true(json_is_null(json_object_get(hour, "windgust_kph"))); /* empty: null */
    assert_true(json_is_null(json_object_get(hour, "tempmax_c")));
    assert_double_near(num(hour, "winddir_deg"), 158.9, 1e-9);
    assert_string_equal(str(hour, "stations"), "VVNB");

    assert_int_equal(json_array_size(dead), 8);
    static const char *const reasons[] = {"conflicting_duplicate", "missing_humidity",
                                          "out_of_range_tempmin", "bad_datetime", "field_count",
                                          "out_of_range_sealevelpressure",
                                          "bad_number_windspeed", "missing_column_humidity"};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        json_t *n = json_object_get(dlq.by_reason, reasons[i]);
        if (!json_is_integer(n) || json_integer_value(n) != 1) {
            print_error("reason %s not counted once\n", reasons[i]);
            fail();
        }
    }
    ais_dlq_release(&dlq);
    json_decref(events);
    json_decref(dead);
    ais_test_rm_rf(dir);
    free(daily);
    free(hourly);
    free(dir);
}

static ais_status no_dead_letters(void *ctx, const json_t *rec)
{
    (void)ctx;
    char *text = json_dumps(rec, 0);
    print_error("unexpected dead letter: %s\n", text);
    free(text);
    fail();
    return AIS_OK;
}

static void the_recorded_exports(void **state)
{
    (void)state;
    const char *base = getenv("AIS_SHARED_DATA");
    char *dir = ais_test_join(base != NULL && base[0] ? base : AIS_SHARED_DATA,
                              "visualcrossing-hanoi");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        print_message("SKIP: %s is absent; the Visual Crossing replay test needs the recorded "
                      "exports (SOURCES.md section 3)\n", dir);
        free(dir);
        skip();
        return;
    }
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, AIS_VC_SOURCE, "replay", iso("2014-12-31T17:00:00Z"),
                                       iso("2025-11-16T00:00:00Z")),
                     AIS_OK);
    json_t *events = json_array();
    ais_sink sink = {events, collect}, dsink = {NULL, no_dead_letters};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &dsink, AIS_VC_SOURCE, "weather-history-vc", "r"), AIS_OK);
    ais_replay_stats st;
    char err[256];
    assert_int_equal(ais_vc_replay(dir, 7, &env, &sink, &dlq, &st, NULL, err, sizeof err), AIS_OK);
    /* SOURCES.md: 3,927 daily rows and 984 + 96 hourly rows, none bad */
    assert_int_equal(st.files_read, 3);
    assert_int_equal(st.records_read, 3927 + 984 + 96);
    assert_int_equal(st.records_rejected, 0);
    assert_int_equal(st.duplicates_merged, 0);
    assert_int_equal(json_array_size(events), 3927 + 984 + 96);
    /* the first line of hn_daily.csv and of the first hourly export */
    const json_t *day = by_id(events, "weather_vc_hanoi_2015-01-01");
    assert_non_null(day);
    assert_double_near(num(day, "temp_c"), 17.7, 1e-9);
    assert_double_near(num(day, "dewpoint_c"), 9.4, 1e-9);
    assert_double_near(num(day, "winddir_deg"), 78.3, 1e-9);
    assert_string_equal(str(day, "available_at"), "2015-01-01T18:00:00Z");
    const json_t *last = by_id(events, "weather_vc_hanoi_2025-10-01");
    assert_non_null(last);
    const json_t *hour = by_id(events, "weather_vc_hanoi_2025-10-02T01:00");
    assert_non_null(hour);
    assert_double_near(num(hour, "windspeed_kph"), 7.6, 1e-9);
    assert_double_near(num(hour, "sealevelpressure_hpa"), 1012.0, 1e-9);
    assert_string_equal(str(hour, "event_time"), "2025-10-01T18:00:00Z");
    ais_dlq_release(&dlq);
    json_decref(events);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replays_days_and_hours_with_their_availability),
        cmocka_unit_test(the_recorded_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
