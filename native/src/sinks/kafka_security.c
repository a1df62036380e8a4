/* The Kafka client's security settings from the configuration (ais/kafka.h). The same rules as
 * src/ais/spark/kafka_security.py, which gives them to Spark's Kafka source. */
#include "ais/kafka.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct name_map {
    const char *configured; /* as written in the configuration, any case */
    const char *librdkafka; /* as set on the client */
} name_map;

static const name_map PROTOCOLS[] = {{"PLAINTEXT", "plaintext"},
                                     {"SSL", "ssl"},
                                     {"SASL_PLAINTEXT", "sasl_plaintext"},
                                     {"SASL_SSL", "sasl_ssl"}};

static const name_map MECHANISMS[] = {{"PLAIN", "PLAIN"},
                                      {"SCRAM-SHA-256", "SCRAM-SHA-256"},
                                      {"SCRAM-SHA-512", "SCRAM-SHA-512"}};

static const char *lookup(const name_map *map, size_t n, const char *value)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(map[i].configured, value) == 0)
            return map[i].librdkafka;
    return NULL;
}

/* runtime.<name>, "" when absent */
static const char *runtime(const ais_config *cfg, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "runtime.%s", name);
    const char *value = ais_config_get(cfg, key);
    return value != NULL ? value : "";
}

ais_status ais_kafka_security_from_config(const ais_config *cfg, ais_kafka_security *out,
                                          char *errbuf, size_t errbuf_size)
{
    if (cfg == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    const char *protocol_text = runtime(cfg, "kafka_security_protocol");
    const char *mechanism_text = runtime(cfg, "kafka_sasl_mechanism");
    const char *username = runtime(cfg, "kafka_sasl_username");
    const char *password_env = runtime(cfg, "kafka_sasl_password_env");
    const char *ca_location = runtime(cfg, "kafka_ssl_ca_location");

    const char *protocol = protocol_text[0] == '\0'
                               ? "plaintext"
                               : lookup(PROTOCOLS, sizeof PROTOCOLS / sizeof *PROTOCOLS,
                                        protocol_text);
    if (protocol == NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "runtime.kafka_security_protocol must be PLAINTEXT, SSL, "
                               "SASL_PLAINTEXT or SASL_SSL, not '%s'",
                               protocol_text);
    bool sasl = strncmp(protocol, "sasl_", 5) == 0;
    bool tls = strcmp(protocol, "ssl") == 0 || strcmp(protocol, "sasl_ssl") == 0;
    if (!sasl && (mechanism_text[0] != '\0' || username[0] != '\0'))
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "runtime.kafka_sasl_mechanism and kafka_sasl_username need a SASL "
                               "kafka_security_protocol (SASL_PLAINTEXT or SASL_SSL), not %s",
                               protocol_text[0] != '\0' ? protocol_text : "PLAINTEXT");
    if (!tls && ca_location[0] != '\0')
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "runtime.kafka_ssl_ca_location needs a TLS kafka_security_protocol "
                               "(SSL or SASL_SSL), not %s",
                               protocol_text[0] != '\0' ? protocol_text : "PLAINTEXT");
    if (strcmp(protocol, "plaintext") == 0)
        return AIS_OK; /* nothing set: librdkafka's default */

    size_t n = 0;
    out->conf[n++] = "security.protocol";
    out->conf[n++] = protocol;
    if (sasl) {
        const char *mechanism =
            lookup(MECHANISMS, sizeof MECHANISMS / sizeof *MECHANISMS, mechanism_text);
        if (mechanism == NULL)
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "runtime.kafka_sasl_mechanism must be PLAIN, SCRAM-SHA-256 or "
                                   "SCRAM-SHA-512 with a SASL protocol, not '%s'",
                                   mechanism_text);
        if (username[0] == '\0')
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "runtime.kafka_sasl_username is empty (%s)",
                                   "a SASL protocol logs in as a user");
        if (password_env[0] == '\0')
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "runtime.kafka_sasl_password_env is empty (%s)",
                                   "it names the environment variable of the SASL password");
        bool listed = false;
        for (size_t i = 0; i < ais_config_secret_count(cfg); i++) {
            const char *name;
            bool is_set;
            if (ais_config_secret_at(cfg, i, &name, &is_set) == AIS_OK &&
                strcmp(name, password_env) == 0)
                listed = true;
        }
        if (!listed)
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "runtime.kafka_sasl_password_env names %s, which is not listed "
                                   "under secrets:",
                                   password_env);
        const char *password = ais_config_secret(cfg, password_env);
        if (password == NULL || password[0] == '\0')
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "the Kafka SASL password (environment variable %s) is not set",
                                   password_env);
        out->conf[n++] = "sasl.mechanisms";
        out->conf[n++] = mechanism;
        out->conf[n++] = "sasl.username";
        out->conf[n++] = username;
        out->conf[n++] = "sasl.password";
        out->conf[n++] = password;
    }
    if (tls && ca_location[0] != '\0') {
        char *resolved = NULL;
        ais_status st = ais_config_resolve_path(cfg, ca_location, &resolved);
        if (st != AIS_OK)
            return st;
        size_t len = strlen(resolved);
        if (len >= sizeof out->ca_location) {
            free(resolved);
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "runtime.kafka_ssl_ca_location is too long (%s)",
                                   "4095 bytes at most");
        }
        memcpy(out->ca_location, resolved, len + 1);
        free(resolved);
        out->conf[n++] = "ssl.ca.location";
        out->conf[n++] = out->ca_location;
    }
    out->conf[n] = NULL;
    return AIS_OK;
}
