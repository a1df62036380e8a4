#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/log.h"
#include "ais/timeutil.h"

/* A logger writing into memory; take() closes the stream and returns the text. */
typedef struct capture {
    char *buf;
    size_t len;
    FILE *f;
    ais_logger *lg;
} capture;

static void capture_open(capture *c, const char *name)
{
    memset(c, 0, sizeof *c);
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    assert_int_equal(ais_logger_new(name, c->f, &c->lg), AIS_OK);
}

static char *capture_take(capture *c)
{
    ais_logger_free(c->lg);
    assert_int_equal(fclose(c->f), 0);
    return c->buf;
}

static json_t *only_line(const char *text)
{
    size_t len = strlen(text);
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    assert_ptr_equal(strchr(text, '\n'), text + len - 1); /* exactly one line */
    json_t *lines = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(lines), 1);
    json_t *obj = json_incref(json_array_get(lines, 0));
    json_decref(lines);
    assert_true(json_is_object(obj));
    return obj;
}

static void writes_one_json_object_per_line(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, "ais-ingest");
    json_t *extra = json_pack("{s:i}", "rejected", 0);
    assert_int_equal(ais_log(c.lg, AIS_LOG_INFO, "window_done", AIS_F_STR("source", "openaq"),
                             AIS_F_INT("events", 42), AIS_F_INT("big", INT64_C(9007199254740993)),
                             AIS_F_DBL("ratio", 0.25), AIS_F_BOOL("dry_run", false),
                             AIS_F_STR("nothing", NULL), AIS_F_DBL("nan", NAN),
                             AIS_F_JSON("extra", extra), AIS_F_END),
                     AIS_OK);
    json_decref(extra); /* the logger took its own reference */
    char *text = capture_take(&c);
    json_t *obj = only_line(text);

    /* fixed keys first, in order */
    const char *expected_keys[] = {"ts", "level", "logger", "event", "source", "events", "big",
                                   "ratio", "dry_run", "nothing", "nan", "extra"};
    assert_int_equal(json_object_size(obj), 12);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        assert_string_equal(key, expected_keys[i]);
        i++;
    }
    const char *ts = json_string_value(json_object_get(obj, "ts"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), 24); /* 2026-11-21T10:00:00.123Z */
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');
    int64_t t, now;
    assert_int_equal(ais_time_parse_iso(ts, &t), AIS_OK);
    assert_int_equal(ais_time_now(&now, NULL), AIS_OK);
    assert_true(now - t >= 0 && now - t < 60);

    assert_string_equal(json_string_value(json_object_get(obj, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(obj, "logger")), "ais-ingest");
    assert_string_equal(json_string_value(json_object_get(obj, "event")), "window_done");
    assert_string_equal(json_string_value(json_object_get(obj, "source")), "openaq");
    assert_int_equal(json_integer_value(json_object_get(obj, "events")), 42);
    assert_int_equal(json_integer_value(json_object_get(obj, "big")), INT64_C(9007199254740993));
    assert_double_near(json_real_value(json_object_get(obj, "ratio")), 0.25, 0.0);
    assert_true(json_is_false(json_object_get(obj, "dry_run")));
    assert_true(json_is_null(json_object_get(obj, "nothing")));
    assert_true(json_is_null(json_object_get(obj, "nan")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(obj, "extra"), "rejected")),
                     0);
    json_decref(obj);
    free(text);
}

static void escapes_strings(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, "t");
    const char *tricky = "say \"hi\"\\ \n\tnext line \x01 Hà Nội µg/m³ 😷 </script>";
    assert_int_equal(ais_log(c.lg, AIS_LOG_WARNING, "escape", AIS_F_STR("msg", tricky),
                             AIS_F_STR("bad_utf8", "a\xff" "b\xc3" "\xe2\x82"), AIS_F_END),
                     AIS_OK);
    char *text = capture_take(&c);
    /* raw control characters never reach the stream */
    assert_null(strchr(text, '\t'));
    assert_null(strchr(text, '\x01'));
    assert_true(strstr(text, "\\n") != NULL);
    assert_true(strstr(text, "\\\"hi\\\"") != NULL);
    assert_true(strstr(text, "\\u0001") != NULL);

    json_t *obj = only_line(text);
    assert_string_equal(json_string_value(json_object_get(obj, "level")), "warning");
    assert_string_equal(json_string_value(json_object_get(obj, "msg")), tricky);
    /* invalid UTF-8 is replaced, not dropped with the whole line */
    assert_string_equal(json_string_value(json_object_get(obj, "bad_utf8")),
                        "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(obj);
    free(text);
}

static void threshold_filters(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, "t");
    assert_int_equal(ais_logger_set_level(c.lg, AIS_LOG_WARNING), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_DEBUG, "d", AIS_F_END), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_INFO, "i", AIS_F_END), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_WARNING, "w", AIS_F_END), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_ERROR, "e", AIS_F_END), AIS_OK);
    assert_int_equal(ais_logger_set_level(c.lg, (ais_log_level)99), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_log(c.lg, (ais_log_level)99, "x", AIS_F_END), AIS_ERR_INVALID_ARG);
    char *text = capture_take(&c);
    json_t *lines = ais_test_parse_json_lines(text);
    assert_int_equal(json_array_size(lines), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "event")), "w");
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 1), "level")),
                        "error");
    json_decref(lines);
    free(text);
}

static void level_names(void **state)
{
    (void)state;
    ais_log_level level;
    assert_int_equal(ais_log_level_parse("debug", &level), AIS_OK);
    assert_int_equal(level, AIS_LOG_DEBUG);
    assert_int_equal(ais_log_level_parse("WARNING", &level), AIS_OK);
    assert_int_equal(level, AIS_LOG_WARNING);
    assert_int_equal(ais_log_level_parse("Error", &level), AIS_OK);
    assert_int_equal(level, AIS_LOG_ERROR);
    assert_int_equal(ais_log_level_parse("warn", &level), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_log_level_parse("", &level), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_log_level_parse("infos", &level), AIS_ERR_INVALID_ARG);
    assert_string_equal(ais_log_level_name(AIS_LOG_INFO), "info");
    assert_string_equal(ais_log_level_name((ais_log_level)3), "unknown");
}

static char *write_config(const char *dir, const char *yaml)
{
    char *config_dir = ais_test_join(dir, "config");
    assert_int_equal(mkdir(config_dir, 0755), 0);
    char *path = ais_test_join(config_dir, "hanoi_pipeline.yaml");
    ais_test_write_file(path, yaml);
    free(config_dir);
    return path;
}

static void threshold_and_secrets_from_config(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *path = write_config(dir, "runtime: {log_level: warning}\n"
                                   "secrets: [AIS_TEST_LOG_SECRET, AIS_TEST_UNSET_SECRET]\n");
    unsetenv("LOG_LEVEL");
    unsetenv("AIS_TEST_UNSET_SECRET");
    setenv("AIS_TEST_LOG_SECRET", "s3cr3t-t0ken", 1);
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(path, &cfg), AIS_OK);

    capture c;
    capture_open(&c, "t");
    assert_int_equal(ais_logger_apply_config(c.lg, cfg), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_INFO, "hidden", AIS_F_END), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_WARNING, "request",
                             AIS_F_STR("url", "https://api.example/v3?key=s3cr3t-t0ken"),
                             AIS_F_STR("safe", "s3cr3t"), AIS_F_END),
                     AIS_OK);
    char *text = capture_take(&c);
    assert_null(strstr(text, "s3cr3t-t0ken"));
    json_t *obj = only_line(text);
    assert_string_equal(json_string_value(json_object_get(obj, "event")), "request");
    assert_string_equal(json_string_value(json_object_get(obj, "url")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(obj, "safe")), "s3cr3t");
    json_decref(obj);
    free(text);
    ais_config_free(cfg);

    /* LOG_LEVEL overrides the file like any runtime key */
    setenv("LOG_LEVEL", "debug", 1);
    assert_int_equal(ais_config_load(path, &cfg), AIS_OK);
    capture_open(&c, "t");
    assert_int_equal(ais_logger_apply_config(c.lg, cfg), AIS_OK);
    assert_int_equal(ais_log(c.lg, AIS_LOG_DEBUG, "visible", AIS_F_END), AIS_OK);
    text = capture_take(&c);
    obj = only_line(text);
    assert_string_equal(json_string_value(json_object_get(obj, "level")), "debug");
    json_decref(obj);
    free(text);
    ais_config_free(cfg);

    /* an unknown level is a configuration error */
    setenv("LOG_LEVEL", "loud", 1);
    assert_int_equal(ais_config_load(path, &cfg), AIS_OK);
    capture_open(&c, "t");
    assert_int_equal(ais_logger_apply_config(c.lg, cfg), AIS_ERR_CONFIG_INVALID);
    free(capture_take(&c));
    ais_config_free(cfg);

    unsetenv("LOG_LEVEL");
    unsetenv("AIS_TEST_LOG_SECRET");
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
}

static void reserved_keys_and_bad_arguments(void **state)
{
    (void)state;
    capture c;
    capture_open(&c, "t");
    assert_int_equal(ais_log(c.lg, AIS_LOG_INFO, "x", AIS_F_STR("event", "spoof"), AIS_F_END),
                     AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_log(c.lg, AIS_LOG_INFO, "x", AIS_F_INT("ts", 1), AIS_F_END),
                     AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_log(NULL, AIS_LOG_INFO, "x", AIS_F_END), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_log(c.lg, AIS_LOG_INFO, NULL, AIS_F_END), AIS_ERR_INVALID_ARG);
    char *text = capture_take(&c);
    assert_string_equal(text, ""); /* nothing half-written */
    free(text);
    ais_logger *lg = NULL;
    assert_int_equal(ais_logger_new(NULL, NULL, &lg), AIS_ERR_INVALID_ARG);
    assert_null(lg);
}

static void write_failure_is_reported(void **state)
{
    (void)state;
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    ais_logger *lg = NULL;
    assert_int_equal(ais_logger_new("t", ro, &lg), AIS_OK);
    assert_int_equal(ais_log(lg, AIS_LOG_ERROR, "lost", AIS_F_END), AIS_ERR_IO);
    ais_logger_free(lg);
    fclose(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_one_json_object_per_line),
        cmocka_unit_test(escapes_strings),
        cmocka_unit_test(threshold_filters),
        cmocka_unit_test(level_names),
        cmocka_unit_test(threshold_and_secrets_from_config),
        cmocka_unit_test(reserved_keys_and_bad_arguments),
        cmocka_unit_test(write_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
