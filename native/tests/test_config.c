#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ais/config.h"

/* Environment variables that could change what the repository's file yields. The group setup
 * clears them so the tests do not depend on the shell they run in. */
static void clear_runtime_env(void)
{
    ais_config *cfg = NULL;
    unsetenv(AIS_CONFIG_ENV_PATH);
    assert_int_equal(ais_config_load(AIS_REPO_ROOT "/config/hanoi_pipeline.yaml", &cfg), AIS_OK);
    for (size_t i = 0; i < ais_config_count(cfg); i++) {
        const char *key, *value;
        assert_int_equal(ais_config_entry(cfg, i, &key, &value), AIS_OK);
        if (strncmp(key, "runtime.", 8) == 0 || strncmp(key, "env_aliases.", 12) == 0) {
            const char *name = strncmp(key, "runtime.", 8) == 0 ? key + 8 : key + 12;
            char upper[128];
            size_t j = 0;
            for (; name[j] && j + 1 < sizeof upper; j++)
                upper[j] = (char)(name[j] >= 'a' && name[j] <= 'z' ? name[j] - 32 : name[j]);
            upper[j] = '\0';
            unsetenv(upper);
        }
    }
    for (size_t i = 0; i < ais_config_secret_count(cfg); i++) {
        const char *name;
        bool is_set;
        assert_int_equal(ais_config_secret_at(cfg, i, &name, &is_set), AIS_OK);
        unsetenv(name);
    }
    ais_config_free(cfg);
}

static int group_setup(void **state)
{
    (void)state;
    clear_runtime_env();
    return 0;
}

static ais_config *load_repo(void)
{
    ais_config *cfg = NULL;
    char err[AIS_CONFIG_ERRBUF_SIZE];
    ais_status st = ais_config_load_ex(AIS_REPO_ROOT "/config/hanoi_pipeline.yaml", &cfg, err,
                                       sizeof err);
    if (st != AIS_OK) {
        print_error("loading the repository config failed: %s: %s\n", ais_status_str(st), err);
        fail();
    }
    return cfg;
}

/* Writes text to <tmp>/config/hanoi_pipeline.yaml and loads it. */
typedef struct temp_config {
    char *dir;
    char *path;
    ais_config *cfg;
    ais_status status;
    char err[AIS_CONFIG_ERRBUF_SIZE];
} temp_config;

static void temp_config_load(temp_config *t, const char *yaml)
{
    memset(t, 0, sizeof *t);
    t->dir = ais_test_mkdtemp();
    char *config_dir = ais_test_join(t->dir, "config");
    assert_int_equal(mkdir(config_dir, 0755), 0);
    t->path = ais_test_join(config_dir, "hanoi_pipeline.yaml");
    free(config_dir);
    ais_test_write_file(t->path, yaml);
    t->status = ais_config_load_ex(t->path, &t->cfg, t->err, sizeof t->err);
    if (t->status != AIS_OK)
        assert_null(t->cfg);
}

static void temp_config_done(temp_config *t)
{
    ais_config_free(t->cfg);
    ais_test_rm_rf(t->dir);
    free(t->dir);
    free(t->path);
}

static void expect_load_error(const char *yaml, ais_status expected, const char *message_suffix)
{
    temp_config t;
    temp_config_load(&t, yaml);
    if (t.status != expected) {
        print_error("expected %s, got %s (%s) for:\n%s\n", ais_status_str(expected),
                    ais_status_str(t.status), t.err, yaml);
        fail();
    }
    /* messages start with the file's path */
    assert_true(strstr(t.err, "hanoi_pipeline.yaml") != NULL);
    size_t n = strlen(t.err), m = strlen(message_suffix);
    if (n < m || strcmp(t.err + n - m, message_suffix) != 0) {
        print_error("message '%s' does not end with '%s'\n", t.err, message_suffix);
        fail();
    }
    temp_config_done(&t);
}

/* ----------------------------------------------------------------------------------------- */

static void loads_the_repository_config(void **state)
{
    (void)state;
    ais_config *cfg = load_repo();
    char *root = ais_test_repo_root();
    char *path = ais_test_repo_config();
    assert_string_equal(ais_config_project_root(cfg), root);
    assert_string_equal(ais_config_path(cfg), path);

    /* raw scalar text, exactly as written */
    assert_string_equal(ais_config_get(cfg, "runtime.iceberg_catalog"), "ais");
    assert_string_equal(ais_config_get(cfg, "runtime.kafka_bootstrap_servers"), "");
    assert_string_equal(ais_config_get(cfg, "runtime.spark_master"), "local[*]");
    assert_string_equal(ais_config_get(cfg, "runtime.iceberg_catalog_uri"),
                        "jdbc:sqlite:var/iceberg_catalog.db");
    assert_string_equal(ais_config_get(cfg, "runtime.landing_dir"), "var/landing");
    assert_string_equal(ais_config_get(cfg, "runtime.api_port"), "8080");
    assert_string_equal(ais_config_get(cfg, "runtime.log_level"), "info");
    assert_string_equal(ais_config_get(cfg, "hanoi.bbox.west"), "105.25");
    assert_string_equal(ais_config_get(cfg, "hanoi.bbox.east"), "106.10");
    assert_string_equal(ais_config_get(cfg, "hanoi.centre.lat"), "21.0285");
    assert_string_equal(ais_config_get(cfg, "maiac.collection"), "061");
    assert_string_equal(ais_config_get(cfg, "maiac.scale_factor"), "0.001");
    assert_string_equal(ais_config_get(cfg, "kafka.topics.openaq"), "openaq-hourly");
    assert_string_equal(ais_config_get(cfg, "sentinel5p.qa_min.NO2"), "0.75");
    assert_string_equal(ais_config_get(cfg, "simulate.end_utc"), "2026-11-01T00:00:00Z");

    /* sequences numbered from 0 */
    assert_string_equal(ais_config_get(cfg, "features.lags_h.0"), "1");
    assert_string_equal(ais_config_get(cfg, "features.lags_h.4"), "24");
    assert_null(ais_config_get(cfg, "features.lags_h.5"));
    assert_string_equal(ais_config_get(cfg, "trajectories.anchor_ages_h.7"), "-72");
    assert_string_equal(ais_config_get(cfg, "trajectories.path_sampling_ages_h.from"), "-72");
    assert_string_equal(ais_config_get(cfg, "era5.pressure_levels_hpa.6"), "400");

    /* the loader's own sections are plain values too */
    assert_string_equal(ais_config_get(cfg, "env_aliases.READINESS_TIMEOUT_SECONDS"),
                        "ready_timeout_seconds");
    assert_string_equal(ais_config_get(cfg, "secrets.0"), "WEATHER_API_KEY");
    assert_string_equal(ais_config_get(cfg, "secrets.1"), "OPENAQ_API_KEY");

    /* containers are not scalars */
    assert_null(ais_config_get(cfg, "hanoi.bbox"));
    assert_null(ais_config_get(cfg, "features.lags_h"));
    assert_null(ais_config_get(cfg, "runtime"));
    assert_null(ais_config_get(cfg, "no.such.key"));

    size_t n;
    assert_int_equal(ais_config_list_len(cfg, "features.lags_h", &n), AIS_OK);
    assert_int_equal(n, 5);
    /* the listed secrets, in file order, are exactly the secrets.N values */
    assert_int_equal(ais_config_list_len(cfg, "secrets", &n), AIS_OK);
    assert_true(n >= 5);
    assert_int_equal(ais_config_secret_count(cfg), n);
    for (size_t i = 0; i < n; i++) {
        char key[32];
        const char *name;
        bool is_set;
        snprintf(key, sizeof key, "secrets.%zu", i);
        assert_int_equal(ais_config_secret_at(cfg, i, &name, &is_set), AIS_OK);
        assert_string_equal(name, ais_config_get(cfg, key));
        assert_false(is_set); /* the group setup cleared them */
    }
    assert_int_equal(ais_config_list_len(cfg, "hanoi.bbox", &n), AIS_ERR_TYPE);
    assert_int_equal(ais_config_list_len(cfg, "hanoi.location_id", &n), AIS_ERR_TYPE);
    assert_int_equal(ais_config_list_len(cfg, "nope", &n), AIS_ERR_KEY_NOT_FOUND);

    /* the dump iterates exactly the scalars, each retrievable by key */
    size_t count = ais_config_count(cfg);
    assert_true(count > 150);
    for (size_t i = 0; i < count; i++) {
        const char *key, *value;
        assert_int_equal(ais_config_entry(cfg, i, &key, &value), AIS_OK);
        assert_ptr_equal(ais_config_get(cfg, key), value);
    }
    const char *key, *value;
    assert_int_equal(ais_config_entry(cfg, count, &key, &value), AIS_ERR_RANGE);
    assert_int_equal(ais_config_entry(cfg, 0, &key, &value), AIS_OK);
    assert_string_equal(key, "runtime.kafka_bootstrap_servers"); /* file order */

    free(root);
    free(path);
    ais_config_free(cfg);
}

static void typed_getters(void **state)
{
    (void)state;
    ais_config *cfg = load_repo();
    double d;
    long l;
    bool b;
    const char *s;

    assert_int_equal(ais_config_get_double(cfg, "hanoi.bbox.east", &d), AIS_OK);
    assert_double_near(d, 106.10, 1e-12);
    assert_int_equal(ais_config_get_double(cfg, "qc.pm25_max", &d), AIS_OK);
    assert_double_near(d, 1000.0, 0.0);
    assert_int_equal(ais_config_get_long(cfg, "runtime.api_port", &l), AIS_OK);
    assert_int_equal(l, 8080);
    assert_int_equal(ais_config_get_long(cfg, "maiac.collection", &l), AIS_OK);
    assert_int_equal(l, 61); /* decimal, not YAML 1.1 octal */
    assert_int_equal(ais_config_get_long(cfg, "trajectories.back_hours", &l), AIS_OK);
    assert_int_equal(l, 72);
    assert_int_equal(ais_config_get_long(cfg, "trajectories.anchor_ages_h.3", &l), AIS_OK);
    assert_int_equal(l, -24);
    assert_int_equal(ais_config_get_string(cfg, "runtime.model_type", &s), AIS_OK);
    assert_string_equal(s, "lightgbm");

    /* wrong types are statuses, never silent zeros */
    d = -1.0;
    l = -1;
    assert_int_equal(ais_config_get_double(cfg, "runtime.iceberg_catalog", &d), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_double(cfg, "runtime.kafka_bootstrap_servers", &d), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(cfg, "hanoi.bbox.west", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(cfg, "runtime.spark_executor_memory", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(cfg, "hanoi.bbox", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_bool(cfg, "runtime.log_level", &b), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_string(cfg, "features.lags_h", &s), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(cfg, "missing.key", &l), AIS_ERR_KEY_NOT_FOUND);
    assert_int_equal(ais_config_get_double(cfg, "missing.key", &d), AIS_ERR_KEY_NOT_FOUND);
    assert_double_near(d, -1.0, 0.0);
    assert_int_equal(l, -1);
    ais_config_free(cfg);

    temp_config t;
    temp_config_load(&t, "flags: {a: true, b: 'off', c: YES, d: 1, e: maybe, f: No}\n"
                         "nums: {big: 99999999999999999999, junk: 12abc, nan: nan, inf: .inf,\n"
                         "       huge: 1e400, sci: 2.5e-3, neg: -7, plus: +7, hex: 0x10,\n"
                         "       blank: ' 5', empty: ''}\n");
    assert_int_equal(t.status, AIS_OK);
    assert_int_equal(ais_config_get_bool(t.cfg, "flags.a", &b), AIS_OK);
    assert_true(b);
    assert_int_equal(ais_config_get_bool(t.cfg, "flags.b", &b), AIS_OK);
    assert_false(b);
    assert_int_equal(ais_config_get_bool(t.cfg, "flags.c", &b), AIS_OK);
    assert_true(b);
    assert_int_equal(ais_config_get_bool(t.cfg, "flags.d", &b), AIS_OK);
    assert_true(b);
    assert_int_equal(ais_config_get_bool(t.cfg, "flags.e", &b), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_bool(t.cfg, "flags.f", &b), AIS_OK);
    assert_false(b);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.big", &l), AIS_ERR_RANGE);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.junk", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.hex", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.blank", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.empty", &l), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.neg", &l), AIS_OK);
    assert_int_equal(l, -7);
    assert_int_equal(ais_config_get_long(t.cfg, "nums.plus", &l), AIS_OK);
    assert_int_equal(l, 7);
    assert_int_equal(ais_config_get_double(t.cfg, "nums.nan", &d), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_double(t.cfg, "nums.inf", &d), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_double(t.cfg, "nums.hex", &d), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_double(t.cfg, "nums.blank", &d), AIS_ERR_TYPE);
    assert_int_equal(ais_config_get_double(t.cfg, "nums.huge", &d), AIS_ERR_RANGE);
    assert_int_equal(ais_config_get_double(t.cfg, "nums.sci", &d), AIS_OK);
    assert_double_near(d, 0.0025, 1e-15);
    temp_config_done(&t);
}

static void runtime_env_overrides(void **state)
{
    (void)state;
    setenv("API_PORT", "9090", 1);
    setenv("ICEBERG_CATALOG", "", 1); /* empty counts as set */
    setenv("PARTITIONS", "9", 1);     /* kafka.partitions is not a runtime key */
    setenv("LOCATION_ID", "hanoi_test", 1);
    ais_config *cfg = load_repo();
    assert_string_equal(ais_config_get(cfg, "runtime.api_port"), "9090");
    assert_string_equal(ais_config_get(cfg, "runtime.iceberg_catalog"), "");
    assert_string_equal(ais_config_get(cfg, "kafka.partitions"), "3");
    assert_string_equal(ais_config_get(cfg, "runtime.location_id"), "hanoi_test");
    assert_string_equal(ais_config_get(cfg, "hanoi.location_id"), "hanoi"); /* not runtime */
    long port;
    assert_int_equal(ais_config_get_long(cfg, "runtime.api_port", &port), AIS_OK);
    assert_int_equal(port, 9090);
    ais_config_free(cfg);
    unsetenv("API_PORT");
    unsetenv("ICEBERG_CATALOG");
    unsetenv("PARTITIONS");
    unsetenv("LOCATION_ID");

    cfg = load_repo();
    assert_string_equal(ais_config_get(cfg, "runtime.api_port"), "8080");
    assert_string_equal(ais_config_get(cfg, "runtime.iceberg_catalog"), "ais");
    ais_config_free(cfg);
}

static void alias_only_when_canonical_unset(void **state)
{
    (void)state;
    ais_config *cfg;

    setenv("READINESS_TIMEOUT_SECONDS", "7", 1);
    cfg = load_repo();
    assert_string_equal(ais_config_get(cfg, "runtime.ready_timeout_seconds"), "7");
    /* the alias section itself is unchanged */
    assert_string_equal(ais_config_get(cfg, "env_aliases.READINESS_TIMEOUT_SECONDS"),
                        "ready_timeout_seconds");
    ais_config_free(cfg);

    setenv("READY_TIMEOUT_SECONDS", "5", 1);
    cfg = load_repo();
    assert_string_equal(ais_config_get(cfg, "runtime.ready_timeout_seconds"), "5");
    ais_config_free(cfg);

    setenv("READY_TIMEOUT_SECONDS", "", 1); /* set, though empty: still wins */
    cfg = load_repo();
    assert_string_equal(ais_config_get(cfg, "runtime.ready_timeout_seconds"), "");
    ais_config_free(cfg);

    unsetenv("READY_TIMEOUT_SECONDS");
    unsetenv("READINESS_TIMEOUT_SECONDS");
    cfg = load_repo();
    assert_string_equal(ais_config_get(cfg, "runtime.ready_timeout_seconds"), "2");
    ais_config_free(cfg);
}

static void secrets_come_only_from_the_environment(void **state)
{
    (void)state;
    ais_config *cfg = load_repo();
    assert_null(ais_config_secret(cfg, "OPENAQ_API_KEY"));
    ais_config_free(cfg);

    setenv("OPENAQ_API_KEY", "k-123", 1);
    setenv("CDS_KEY", "", 1);
    setenv("API_PORT", "1234", 1);
    cfg = load_repo();
    assert_string_equal(ais_config_secret(cfg, "OPENAQ_API_KEY"), "k-123");
    assert_string_equal(ais_config_secret(cfg, "CDS_KEY"), "");
    assert_null(ais_config_secret(cfg, "WEATHER_API_KEY"));
    assert_null(ais_config_secret(cfg, "API_PORT")); /* not a listed secret */
    assert_null(ais_config_secret(cfg, "secrets.0"));

    size_t n_secrets = ais_config_secret_count(cfg), n_set = 0;
    const char *name;
    bool is_set;
    for (size_t i = 0; i < n_secrets; i++) {
        assert_int_equal(ais_config_secret_at(cfg, i, &name, &is_set), AIS_OK);
        bool expected = strcmp(name, "OPENAQ_API_KEY") == 0 || strcmp(name, "CDS_KEY") == 0;
        assert_int_equal(is_set, expected);
        n_set += is_set;
    }
    assert_int_equal(n_set, 2);
    assert_int_equal(ais_config_secret_at(cfg, n_secrets, &name, &is_set), AIS_ERR_RANGE);

    /* the value never shows up among the flattened values */
    for (size_t i = 0; i < ais_config_count(cfg); i++) {
        const char *key, *value;
        assert_int_equal(ais_config_entry(cfg, i, &key, &value), AIS_OK);
        assert_string_not_equal(value, "k-123");
    }
    ais_config_free(cfg);
    unsetenv("OPENAQ_API_KEY");
    unsetenv("CDS_KEY");
    unsetenv("API_PORT");
}

static void missing_file(void **state)
{
    (void)state;
    ais_config *cfg = (ais_config *)&cfg; /* must be reset to NULL */
    char err[AIS_CONFIG_ERRBUF_SIZE];
    assert_int_equal(ais_config_load_ex("/nonexistent/ais/hanoi_pipeline.yaml", &cfg, err,
                                        sizeof err),
                     AIS_ERR_CONFIG_NOT_FOUND);
    assert_null(cfg);
    assert_string_equal(err, "/nonexistent/ais/hanoi_pipeline.yaml: No such file or directory");

    /* a folder is not a configuration */
    assert_int_equal(ais_config_load_ex("/", &cfg, err, sizeof err), AIS_ERR_IO);
    assert_null(cfg);

    /* the environment variable is used when no path is given */
    setenv(AIS_CONFIG_ENV_PATH, "/nonexistent/env/hanoi_pipeline.yaml", 1);
    assert_int_equal(ais_config_load_ex(NULL, &cfg, err, sizeof err), AIS_ERR_CONFIG_NOT_FOUND);
    assert_true(strstr(err, "/nonexistent/env/") != NULL);
    unsetenv(AIS_CONFIG_ENV_PATH);
    assert_int_equal(ais_config_load(NULL, NULL), AIS_ERR_INVALID_ARG);
}

static void malformed_yaml_reports_line_and_column(void **state)
{
    (void)state;
    expect_load_error("a: b: c\n", AIS_ERR_CONFIG_SYNTAX,
                      ":1:5: mapping values are not allowed in this context");
    expect_load_error("runtime:\n  api_port: \"8080\n", AIS_ERR_CONFIG_SYNTAX,
                      ":3:1: found unexpected end of stream while scanning a quoted scalar "
                      "(line 2, column 13)");
    expect_load_error("features:\n  lags_h: [1, 3\nqc: {}\n", AIS_ERR_CONFIG_SYNTAX,
                      ":3:3: did not find expected ',' or ']' while parsing a flow sequence "
                      "(line 2, column 11)");
    expect_load_error("a:\n\tb: 1\n", AIS_ERR_CONFIG_SYNTAX,
                      ":2:1: found character that cannot start any token while scanning for "
                      "the next token (line 2, column 1)");
    expect_load_error("a: *nowhere\n", AIS_ERR_CONFIG_SYNTAX, ":1:4: undefined alias 'nowhere'");
    expect_load_error("a: \xff\xfe\n", AIS_ERR_CONFIG_SYNTAX, ": byte 3: invalid leading UTF-8 octet");
}

static void loader_rules_are_enforced(void **state)
{
    (void)state;
    expect_load_error("", AIS_ERR_CONFIG_INVALID, ": the configuration is empty");
    expect_load_error("- a\n- b\n", AIS_ERR_CONFIG_INVALID, ":1:1: the top level must be a mapping");
    expect_load_error("a: 1\nb: 2\na: 3\n", AIS_ERR_CONFIG_INVALID, ":3:1: duplicate key 'a'");
    expect_load_error("a: 1\n---\nb: 2\n", AIS_ERR_CONFIG_INVALID, ":2:1: more than one YAML document");
    expect_load_error("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n", AIS_ERR_CONFIG_INVALID,
                      ":3:3: merge keys (<<) are not supported");
    expect_load_error("? [a, b]\n: 1\n", AIS_ERR_CONFIG_INVALID, ":1:3: mapping keys must be scalars");
    expect_load_error("a.b: 1\na: {b: 2}\n", AIS_ERR_CONFIG_INVALID,
                      ": two keys flatten to the same name 'a.b'");
    expect_load_error("runtime:\n  nested: {x: 1}\n", AIS_ERR_CONFIG_INVALID,
                      ":2:11: runtime.nested must be a scalar");
    expect_load_error("runtime: [a]\n", AIS_ERR_CONFIG_INVALID, ":1:10: 'runtime' must be a mapping");
    expect_load_error("runtime: {a: 1}\nenv_aliases: {B: missing}\n", AIS_ERR_CONFIG_INVALID,
                      ":2:18: env_aliases.B must name a runtime key");
    expect_load_error("secrets: {a: 1}\n", AIS_ERR_CONFIG_INVALID,
                      ":1:10: 'secrets' must be a sequence of names");
    expect_load_error("secrets: [A, '']\n", AIS_ERR_CONFIG_INVALID,
                      ":1:14: secrets.1 must be a variable name");
    expect_load_error("a: \"x\\0y\"\n", AIS_ERR_CONFIG_INVALID, ":1:4: scalar contains a NUL character");
    /* a self-referencing anchor cannot make a cycle */
    expect_load_error("a: &x [1, *x]\n", AIS_ERR_CONFIG_SYNTAX, ":1:11: undefined alias 'x'");
    /* exponential alias expansion is bounded */
    expect_load_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
                      AIS_ERR_CONFIG_INVALID, "more than 200000 nodes (alias expansion?)");
}

static void scalars_keep_their_text(void **state)
{
    (void)state;
    temp_config t;
    temp_config_load(&t, "empty:\n"
                         "tilde: ~\n"
                         "null_word: null\n"
                         "quoted: ''\n"
                         "octal: 0755\n"
                         "float: 1.50\n"
                         "bool: Yes\n"
                         "folded: >\n  one\n  two\n"
                         "utf8: \"Hà Nội µg/m³\"\n"
                         "tagged: !!str 12\n"
                         "base: &b {x: 1, y: [p, q]}\n"
                         "copy: *b\n"
                         "nested: {list: [{k: v}, [a, b]], empty_map: {}, empty_list: []}\n");
    assert_int_equal(t.status, AIS_OK);
    assert_string_equal(ais_config_get(t.cfg, "empty"), "");
    assert_string_equal(ais_config_get(t.cfg, "tilde"), "~");
    assert_string_equal(ais_config_get(t.cfg, "null_word"), "null");
    assert_string_equal(ais_config_get(t.cfg, "quoted"), "");
    assert_string_equal(ais_config_get(t.cfg, "octal"), "0755");
    assert_string_equal(ais_config_get(t.cfg, "float"), "1.50");
    assert_string_equal(ais_config_get(t.cfg, "bool"), "Yes");
    assert_string_equal(ais_config_get(t.cfg, "folded"), "one two\n");
    assert_string_equal(ais_config_get(t.cfg, "utf8"), "Hà Nội µg/m³");
    assert_string_equal(ais_config_get(t.cfg, "tagged"), "12");
    assert_string_equal(ais_config_get(t.cfg, "copy.x"), "1");
    assert_string_equal(ais_config_get(t.cfg, "copy.y.1"), "q");
    assert_string_equal(ais_config_get(t.cfg, "nested.list.0.k"), "v");
    assert_string_equal(ais_config_get(t.cfg, "nested.list.1.0"), "a");
    assert_null(ais_config_get(t.cfg, "nested.empty_map"));
    size_t n;
    assert_int_equal(ais_config_list_len(t.cfg, "nested.empty_list", &n), AIS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ais_config_count(t.cfg), 19); /* 10 plain + base 3 + copy 3 + nested 3 */
    /* project root is the parent of the file's folder */
    assert_string_equal(ais_config_project_root(t.cfg), t.dir);
    temp_config_done(&t);
}

static void finds_the_file_from_env_then_upward(void **state)
{
    (void)state;
    temp_config t;
    temp_config_load(&t, "runtime: {landing_dir: land}\n");
    assert_int_equal(t.status, AIS_OK);
    char *sub = ais_test_join(t.dir, "a");
    char *subsub = ais_test_join(sub, "b");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(mkdir(subsub, 0755), 0);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));

    /* from a sub-folder, upward */
    assert_int_equal(chdir(subsub), 0);
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(NULL, &cfg), AIS_OK);
    assert_string_equal(ais_config_path(cfg), t.path);
    assert_string_equal(ais_config_project_root(cfg), t.dir);
    assert_string_equal(ais_config_get(cfg, "runtime.landing_dir"), "land");
    ais_config_free(cfg);

    /* the environment variable beats the search, the argument beats both */
    setenv(AIS_CONFIG_ENV_PATH, AIS_REPO_ROOT "/config/hanoi_pipeline.yaml", 1);
    assert_int_equal(ais_config_load(NULL, &cfg), AIS_OK);
    assert_string_equal(ais_config_get(cfg, "runtime.landing_dir"), "var/landing");
    ais_config_free(cfg);
    assert_int_equal(ais_config_load(t.path, &cfg), AIS_OK);
    assert_string_equal(ais_config_get(cfg, "runtime.landing_dir"), "land");
    ais_config_free(cfg);
    /* an empty variable counts as unset for the file location */
    setenv(AIS_CONFIG_ENV_PATH, "", 1);
    assert_int_equal(ais_config_load(NULL, &cfg), AIS_OK);
    assert_string_equal(ais_config_path(cfg), t.path);
    ais_config_free(cfg);
    unsetenv(AIS_CONFIG_ENV_PATH);

    /* a folder with no config/ above it */
    char *lonely = ais_test_mkdtemp();
    char *probe_tmp = ais_test_join(lonely, "../config/hanoi_pipeline.yaml");
    if (access(probe_tmp, F_OK) != 0 && access("/config/hanoi_pipeline.yaml", F_OK) != 0) {
        char err[AIS_CONFIG_ERRBUF_SIZE];
        assert_int_equal(chdir(lonely), 0);
        assert_int_equal(ais_config_load_ex(NULL, &cfg, err, sizeof err), AIS_ERR_CONFIG_NOT_FOUND);
        assert_null(cfg);
        assert_true(strstr(err, AIS_CONFIG_ENV_PATH) != NULL);
    }
    assert_int_equal(chdir(cwd), 0);
    ais_test_rm_rf(lonely);
    free(lonely);
    free(probe_tmp);
    free(sub);
    free(subsub);
    temp_config_done(&t);
}

static void resolves_paths_against_the_project_root(void **state)
{
    (void)state;
    ais_config *cfg = load_repo();
    char *root = ais_test_repo_root();
    char *expected = ais_test_join(root, "var/landing");
    char *out = NULL;

    assert_int_equal(ais_config_resolve_path(cfg, "var/landing", &out), AIS_OK);
    assert_string_equal(out, expected);
    free(out);
    assert_int_equal(ais_config_resolve_path(cfg, "/data/landing", &out), AIS_OK);
    assert_string_equal(out, "/data/landing");
    free(out);
    assert_int_equal(ais_config_resolve_path(cfg, "hdfs://namenode:8020/ais/landing", &out), AIS_OK);
    assert_string_equal(out, "hdfs://namenode:8020/ais/landing");
    free(out);
    assert_int_equal(ais_config_resolve_path(cfg, "s3a://bucket/models", &out), AIS_OK);
    assert_string_equal(out, "s3a://bucket/models");
    free(out);
    /* no "://": an ordinary relative path, even with a colon in it */
    assert_int_equal(ais_config_resolve_path(cfg, "a:b", &out), AIS_OK);
    free(expected);
    expected = ais_test_join(root, "a:b");
    assert_string_equal(out, expected);
    free(out);
    /* a scheme must start with a letter */
    assert_int_equal(ais_config_resolve_path(cfg, "1x://y", &out), AIS_OK);
    assert_true(strncmp(out, root, strlen(root)) == 0);
    free(out);
    out = NULL;
    assert_int_equal(ais_config_resolve_path(cfg, "", &out), AIS_ERR_INVALID_ARG);
    assert_null(out);

    free(expected);
    free(root);
    ais_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_the_repository_config),
        cmocka_unit_test(typed_getters),
        cmocka_unit_test(runtime_env_overrides),
        cmocka_unit_test(alias_only_when_canonical_unset),
        cmocka_unit_test(secrets_come_only_from_the_environment),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(malformed_yaml_reports_line_and_column),
        cmocka_unit_test(loader_rules_are_enforced),
        cmocka_unit_test(scalars_keep_their_text),
        cmocka_unit_test(finds_the_file_from_env_then_upward),
        cmocka_unit_test(resolves_paths_against_the_project_root),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
