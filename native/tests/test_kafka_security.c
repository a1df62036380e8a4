/* Kafka client security from the configuration (ais_kafka_security_from_config) and the client
 * it builds: with the settings when they are configured, none of them when they are off. No
 * broker: the client is only created and its configuration read back. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "../src/sinks/kafka_client.h"
#include "ais/config.h"
#include "ais/kafka.h"

/* every variable these tests set, unset again after each load */
static const char *const VARS[] = {"KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM",
                                   "KAFKA_SASL_USERNAME",     "KAFKA_SASL_PASSWORD_ENV",
                                   "KAFKA_SSL_CA_LOCATION",   "KAFKA_SASL_PASSWORD",
                                   "ICEBERG_JDBC_PASSWORD",   AIS_CONFIG_ENV_PATH,
                                   NULL};

static void unset_all(void)
{
    for (const char *const *v = VARS; *v != NULL; v++)
        unsetenv(*v);
}

/* The repository's configuration with env ("NAME", "value", ..., NULL) set while it loads. */
static ais_config *load_with(const char *const *env)
{
    unset_all();
    for (const char *const *p = env; p != NULL && p[0] != NULL; p += 2)
        assert_int_equal(setenv(p[0], p[1], 1), 0);
    char *path = ais_test_repo_config();
    ais_config *cfg = NULL;
    char err[AIS_CONFIG_ERRBUF_SIZE];
    ais_status st = ais_config_load_ex(path, &cfg, err, sizeof err);
    free(path);
    unset_all();
    if (st != AIS_OK) {
        print_error("loading the repository config failed: %s\n", err);
        fail();
    }
    return cfg;
}

/* The settings of security as a "name=value;..." string, for exact comparisons. */
static void pairs_text(const ais_kafka_security *s, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; s->conf[i] != NULL; i += 2) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s=%s;", s->conf[i], s->conf[i + 1]);
    }
}

static ais_status security_of(const char *const *env, ais_kafka_security *out, char *err,
                              size_t size)
{
    ais_config *cfg = load_with(env);
    err[0] = '\0';
    ais_status st = ais_kafka_security_from_config(cfg, out, err, size);
    char text[1024] = "";
    if (st == AIS_OK)
        pairs_text(out, text, sizeof text);
    ais_config_free(cfg); /* the values pointed into cfg: keep only the text */
    if (st == AIS_OK)
        snprintf(err, size, "%s", text);
    return st;
}

/* conf's value of name; "" when the setting was never given (librdkafka then answers
 * RD_KAFKA_CONF_UNKNOWN for a string without a default, such as sasl.username). */
static void conf_value(const rd_kafka_conf_t *conf, const char *name, char *buf, size_t size)
{
    size_t n = size;
    buf[0] = '\0';
    rd_kafka_conf_res_t res = rd_kafka_conf_get(conf, name, buf, &n);
    if (res == RD_KAFKA_CONF_UNKNOWN)
        buf[0] = '\0';
    else
        assert_int_equal(res, RD_KAFKA_CONF_OK);
}

static void off_by_default(void **state)
{
    (void)state;
    ais_kafka_security s;
    char text[1024];
    assert_int_equal(security_of(NULL, &s, text, sizeof text), AIS_OK);
    assert_string_equal(text, "");
    assert_null(s.conf[0]);
    /* PLAINTEXT spelt out is the same: nothing set */
    const char *const plain[] = {"KAFKA_SECURITY_PROTOCOL", "plaintext", NULL};
    assert_int_equal(security_of(plain, &s, text, sizeof text), AIS_OK);
    assert_null(s.conf[0]);
}

static void sasl_ssl_sets_every_key(void **state)
{
    (void)state;
    const char *const env[] = {"KAFKA_SECURITY_PROTOCOL", "sasl_ssl",
                               "KAFKA_SASL_MECHANISM",    "scram-sha-512",
                               "KAFKA_SASL_USERNAME",     "ais-ingest",
                               "KAFKA_SASL_PASSWORD",     "pw-123",
                               "KAFKA_SSL_CA_LOCATION",   "/etc/ais/kafka-ca.pem",
                               NULL};
    ais_kafka_security s;
    char text[1024];
    assert_int_equal(security_of(env, &s, text, sizeof text), AIS_OK);
    assert_string_equal(text, "security.protocol=sasl_ssl;sasl.mechanisms=SCRAM-SHA-512;"
                              "sasl.username=ais-ingest;sasl.password=pw-123;"
                              "ssl.ca.location=/etc/ais/kafka-ca.pem;");
}

static void ssl_only_and_a_relative_ca(void **state)
{
    (void)state;
    const char *const env[] = {"KAFKA_SECURITY_PROTOCOL", "SSL", "KAFKA_SSL_CA_LOCATION",
                               "var/tls/ca.pem", NULL};
    ais_kafka_security s;
    char text[1024];
    assert_int_equal(security_of(env, &s, text, sizeof text), AIS_OK);
    char *root = ais_test_repo_root();
    char expected[4200];
    snprintf(expected, sizeof expected, "security.protocol=ssl;ssl.ca.location=%s/var/tls/ca.pem;",
             root);
    free(root);
    assert_string_equal(text, expected);
    /* no CA: the system's store, only the protocol */
    const char *const no_ca[] = {"KAFKA_SECURITY_PROTOCOL", "SSL", NULL};
    assert_int_equal(security_of(no_ca, &s, text, sizeof text), AIS_OK);
    assert_string_equal(text, "security.protocol=ssl;");
}

/* The password comes from the variable kafka_sasl_password_env names, if it is a listed secret. */
static void password_from_the_named_secret(void **state)
{
    (void)state;
    const char *const other[] = {"KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                                 "KAFKA_SASL_MECHANISM",    "PLAIN",
                                 "KAFKA_SASL_USERNAME",     "u",
                                 "KAFKA_SASL_PASSWORD_ENV", "ICEBERG_JDBC_PASSWORD",
                                 "ICEBERG_JDBC_PASSWORD",   "other-pw",
                                 "KAFKA_SASL_PASSWORD",     "not-this-one",
                                 NULL};
    ais_kafka_security s;
    char text[1024];
    assert_int_equal(security_of(other, &s, text, sizeof text), AIS_OK);
    assert_string_equal(text, "security.protocol=sasl_plaintext;sasl.mechanisms=PLAIN;"
                              "sasl.username=u;sasl.password=other-pw;");
    const char *const unlisted[] = {"KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                                    "KAFKA_SASL_MECHANISM",    "PLAIN",
                                    "KAFKA_SASL_USERNAME",     "u",
                                    "KAFKA_SASL_PASSWORD_ENV", "PATH",
                                    NULL};
    assert_int_equal(security_of(unlisted, &s, text, sizeof text), AIS_ERR_CONFIG_INVALID);
    assert_non_null(strstr(text, "names PATH, which is not listed under secrets:"));
}

static void bad_settings_are_named_errors(void **state)
{
    (void)state;
    struct {
        const char *env[12];
        const char *message;
    } cases[] = {
        {{"KAFKA_SECURITY_PROTOCOL", "tls", NULL}, "must be PLAINTEXT, SSL, SASL_PLAINTEXT or"},
        {{"KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "GSSAPI",
          "KAFKA_SASL_USERNAME", "u", "KAFKA_SASL_PASSWORD", "secret-pw", NULL},
         "kafka_sasl_mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"},
        {{"KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "PLAIN",
          "KAFKA_SASL_PASSWORD", "secret-pw", NULL},
         "kafka_sasl_username is empty"},
        {{"KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "PLAIN",
          "KAFKA_SASL_USERNAME", "u", NULL},
         "(environment variable KAFKA_SASL_PASSWORD) is not set"},
        {{"KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "PLAIN",
          "KAFKA_SASL_USERNAME", "u", "KAFKA_SASL_PASSWORD", "", NULL},
         "(environment variable KAFKA_SASL_PASSWORD) is not set"},
        /* SASL or CA settings with a protocol that does not use them: a mistake, not ignored */
        {{"KAFKA_SASL_USERNAME", "u", NULL}, "need a SASL kafka_security_protocol"},
        {{"KAFKA_SECURITY_PROTOCOL", "SSL", "KAFKA_SASL_MECHANISM", "PLAIN", NULL},
         "need a SASL kafka_security_protocol"},
        {{"KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM", "PLAIN",
          "KAFKA_SASL_USERNAME", "u", "KAFKA_SASL_PASSWORD", "secret-pw",
          "KAFKA_SSL_CA_LOCATION", "/ca.pem", NULL},
         "kafka_ssl_ca_location needs a TLS kafka_security_protocol"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ais_kafka_security s;
        char err[1024];
        assert_int_equal(security_of(cases[i].env, &s, err, sizeof err), AIS_ERR_CONFIG_INVALID);
        if (strstr(err, cases[i].message) == NULL) {
            print_error("case %zu: '%s' does not say '%s'\n", i, err, cases[i].message);
            fail();
        }
        assert_null(strstr(err, "secret-pw")); /* never the password */
    }
}

/* The librdkafka client made with the settings has them; made without, it has none. */
static void the_client_is_built_with_the_settings(void **state)
{
    (void)state;
    const char *const env[] = {"KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                               "KAFKA_SASL_MECHANISM",    "SCRAM-SHA-256",
                               "KAFKA_SASL_USERNAME",     "ais-ingest",
                               "KAFKA_SASL_PASSWORD",     "pw-456",
                               NULL};
    struct {
        const char *const *env;
        const char *protocol, *mechanism, *username;
    } cases[] = {{env, "sasl_plaintext", "SCRAM-SHA-256", "ais-ingest"},
                 {NULL, "plaintext", "GSSAPI", ""}}; /* librdkafka's defaults */
    for (size_t i = 0; i < 2; i++) {
        ais_config *cfg = load_with(cases[i].env);
        ais_kafka_security s;
        char err[512];
        assert_int_equal(ais_kafka_security_from_config(cfg, &s, err, sizeof err), AIS_OK);
        ais_kafka_client_ctx ctx = {0};
        rd_kafka_t *rk = NULL;
        /* nothing listens on port 1; the client is created, not connected */
        assert_int_equal(ais_kafka_client_new("127.0.0.1:1", NULL, s.conf, &ctx, NULL, &rk, err,
                                              sizeof err),
                         AIS_OK);
        const rd_kafka_conf_t *conf = rd_kafka_conf(rk);
        char value[256];
        conf_value(conf, "security.protocol", value, sizeof value);
        assert_string_equal(value, cases[i].protocol);
        conf_value(conf, "sasl.mechanisms", value, sizeof value);
        assert_string_equal(value, cases[i].mechanism);
        conf_value(conf, "sasl.username", value, sizeof value);
        assert_string_equal(value, cases[i].username);
        rd_kafka_destroy(rk);
        ais_config_free(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(off_by_default),
        cmocka_unit_test(sasl_ssl_sets_every_key),
        cmocka_unit_test(ssl_only_and_a_relative_ca),
        cmocka_unit_test(password_from_the_named_secret),
        cmocka_unit_test(bad_settings_are_named_errors),
        cmocka_unit_test(the_client_is_built_with_the_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
