/* Contract test on the real WeatherAPI history.json bodies (../shared/data/
 * weatherapi-history-vn-2025-01, SOURCES.md section 3): 24 provinces x 10 days. Skipped, with a
 * message, when the folder is absent.
 *
 * The replay must give exactly 24 events per province and day (5,760 in all), none rejected,
 * and every event must carry what the body says for that hour: the test reads each body itself
 * with jansson and compares field by field, then checks a few values written out by hand from
 * Ha_Noi/2025-01-01.json. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/fsutil.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

static char *data_dir(void)
{
    const char *base = getenv("AIS_SHARED_DATA");
    char *dir = ais_test_join(base != NULL && base[0] ? base : AIS_SHARED_DATA,
                              "weatherapi-history-vn-2025-01");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        print_message("SKIP: %s is absent; the WeatherAPI contract test needs the recorded "
                      "bodies (SOURCES.md section 3)\n",
                      dir);
        free(dir);
        return NULL;
    }
    return dir;
}

static ais_status keep_by_id(void *ctx, const json_t *ev)
{
    json_t *map = ctx;
    const char *id = json_string_value(json_object_get(ev, "event_id"));
    assert_non_null(id);
    assert_null(json_object_get(map, id)); /* exactly one event per province and hour */
    return json_object_set(map, id, (json_t *)ev) == 0 ? AIS_OK : AIS_ERR_NOMEM;
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

static json_t *replay_all(const char *dir, ais_replay_stats *st)
{
    int64_t start, end;
    assert_int_equal(ais_time_parse_iso("2024-12-31T00:00:00Z", &start), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2025-01-12T00:00:00Z", &end), AIS_OK);
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "weatherapi", "replay", start, end), AIS_OK);
    json_t *events = json_object();
    ais_sink sink = {events, keep_by_id};
    ais_sink dead = {NULL, no_dead_letters};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &dead, "weatherapi", "weather_history", "t"), AIS_OK);
    char err[256];
    assert_int_equal(ais_weather_replay(dir, &env, &sink, &dlq, st, NULL, err, sizeof err),
                     AIS_OK);
    ais_dlq_release(&dlq);
    return events;
}

/* The body's own numbers for one field of one hour, compared with the event's. */
static void same_number(const json_t *hour, const json_t *ev, const char *key)
{
    const json_t *a = json_object_get(hour, key), *b = json_object_get(ev, key);
    assert_true(json_is_number(a));
    if (!json_is_number(b) || json_number_value(a) != json_number_value(b)) {
        print_error("%s: %s differs\n", json_string_value(json_object_get(ev, "event_id")), key);
        fail();
    }
}

static void every_hour_of_every_body(void **state)
{
    (void)state;
    char *dir = data_dir();
    if (dir == NULL) {
        skip();
        return;
    }
    ais_replay_stats st;
    json_t *events = replay_all(dir, &st);
    assert_int_equal(st.files_read, 240);
    assert_int_equal(st.files_rejected, 0);
    assert_int_equal(st.records_read, 5760);
    assert_int_equal(st.records_rejected, 0);
    assert_int_equal(st.duplicates_merged, 0);
    assert_int_equal(json_object_size(events), 5760);

    /* 24 events per province and local day */
    json_t *per_day = json_object();
    const char *id;
    json_t *ev;
    json_object_foreach(events, id, ev) {
        char key[160];
        snprintf(key, sizeof key, "%s|%.10s", json_string_value(json_object_get(ev, "province")),
                 json_string_value(json_object_get(ev, "local_time")));
        json_t *c = json_object_get(per_day, key);
        json_object_set_new(per_day, key, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    assert_int_equal(json_object_size(per_day), 24 * 10);
    const char *k;
    json_t *v;
    json_object_foreach(per_day, k, v) assert_int_equal(json_integer_value(v), 24);
    json_decref(per_day);

    /* every hour against the body, read here with jansson */
    ais_path_list files;
    assert_int_equal(ais_fs_list_files(dir, ".json", &files), AIS_OK);
    assert_int_equal(files.count, 240);
    size_t compared = 0;
    for (size_t f = 0; f < files.count; f++) {
        const char *path = files.paths[f];
        char folder[64];
        const char *slash = strrchr(path, '/');
        const char *start = slash - 1;
        while (*start != '/')
            start--;
        snprintf(folder, sizeof folder, "%.*s", (int)(slash - start - 1), start + 1);
        const ais_weather_province *p = ais_weather_province_find(folder);
        assert_non_null(p);
        json_error_t err;
        json_t *body = json_load_file(path, 0, &err);
        assert_non_null(body);
        json_t *loc = json_object_get(body, "location");
        json_t *day = json_array_get(json_object_get(json_object_get(body, "forecast"),
                                                     "forecastday"),
                                     0);
        size_t i;
        json_t *hour;
        json_array_foreach(json_object_get(day, "hour"), i, hour) {
            const char *time = json_string_value(json_object_get(hour, "time"));
            char event_id[160];
            snprintf(event_id, sizeof event_id, "weather_%s_%.10sT%s", p->slug, time, time + 11);
            json_t *e = json_object_get(events, event_id);
            assert_non_null(e);
            assert_string_equal(json_string_value(json_object_get(e, "province")), p->name);
            assert_string_equal(json_string_value(json_object_get(e, "local_time")), time);
            assert_string_equal(json_string_value(json_object_get(e, "source")), "weatherapi");
            assert_true(json_is_null(json_object_get(e, "query")));
            assert_int_equal(json_integer_value(json_object_get(e, "time_epoch")),
                             json_integer_value(json_object_get(hour, "time_epoch")));
            char utc[AIS_TIME_ISO_SIZE];
            assert_int_equal(ais_time_format_iso(
                                 json_integer_value(json_object_get(hour, "time_epoch")), utc),
                             AIS_OK);
            assert_string_equal(json_string_value(json_object_get(e, "event_time")), utc);
            assert_true(json_number_value(json_object_get(loc, "lat")) ==
                        json_real_value(json_object_get(e, "latitude")));
            assert_string_equal(json_string_value(json_object_get(loc, "tz_id")),
                                json_string_value(json_object_get(e, "tz_id")));
            static const char *const numbers[] = {
                "temp_c", "feelslike_c", "humidity", "dewpoint_c", "wind_kph", "wind_degree",
                "gust_kph", "pressure_mb", "precip_mm", "cloud", "vis_km", "uv", "is_day",
                "will_it_rain", "chance_of_rain"};
            for (size_t n = 0; n < sizeof numbers / sizeof numbers[0]; n++)
                same_number(hour, e, numbers[n]);
            assert_string_equal(json_string_value(json_object_get(hour, "wind_dir")),
                                json_string_value(json_object_get(e, "wind_dir")));
            json_t *cond = json_object_get(hour, "condition");
            assert_int_equal(json_integer_value(json_object_get(cond, "code")),
                             json_integer_value(json_object_get(e, "condition_code")));
            assert_string_equal(json_string_value(json_object_get(cond, "text")),
                                json_string_value(json_object_get(e, "condition_text")));
            compared++;
        }
        json_decref(body);
    }
    assert_int_equal(compared, 5760);
    ais_path_list_free(&files);

    /* by hand, from Ha_Noi/2025-01-01.json */
    json_t *e = json_object_get(events, "weather_ha_noi_2025-01-01T00:00");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "event_time")),
                        "2024-12-31T17:00:00Z");
    assert_string_equal(json_string_value(json_object_get(e, "available_at")),
                        "2025-01-01T18:00:00Z");
    assert_string_equal(json_string_value(json_object_get(e, "tz_id")), "Asia/Bangkok");
    assert_double_near(json_real_value(json_object_get(e, "latitude")), 21.033, 0.0);
    assert_double_near(json_real_value(json_object_get(e, "temp_c")), 16.5, 0.0);
    assert_int_equal(json_integer_value(json_object_get(e, "humidity")), 63);
    assert_double_near(json_real_value(json_object_get(e, "dewpoint_c")), 12.2, 0.0);
    assert_string_equal(json_string_value(json_object_get(e, "wind_dir")), "NW");
    assert_int_equal(json_integer_value(json_object_get(e, "wind_degree")), 325);
    assert_double_near(json_real_value(json_object_get(e, "pressure_mb")), 1018.0, 0.0);
    e = json_object_get(events, "weather_ha_noi_2025-01-01T13:00");
    assert_double_near(json_real_value(json_object_get(e, "temp_c")), 24.3, 0.0);
    assert_int_equal(json_integer_value(json_object_get(e, "humidity")), 38);
    assert_int_equal(json_integer_value(json_object_get(e, "condition_code")), 1000);
    assert_string_equal(json_string_value(json_object_get(e, "condition_text")), "Sunny");
    assert_double_near(json_real_value(json_object_get(e, "uv")), 3.0, 0.0);
    /* the province comes from the folder, not from WeatherAPI's resolved place name */
    e = json_object_get(events, "weather_ho_chi_minh_city_2025-01-10T23:00");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "province")), "Ho Chi Minh City");
    assert_string_equal(json_string_value(json_object_get(e, "available_at")),
                        "2025-01-10T18:00:00Z");

    json_decref(events);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_hour_of_every_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
