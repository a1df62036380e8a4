/* `ais-ingest topics --create|--check`: the topics of kafka.topics.* with kafka.partitions and
 * kafka.replication_factor, on runtime.kafka_bootstrap_servers, through the Kafka admin API.
 * --create makes the missing ones and then checks all; --check only checks. One JSON summary on
 * stdout; exit 0 when every topic exists as configured, 1 otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/jsonutil.h"
#include "ais/kafka.h"
#include "commands.h"

#define TOPIC_PREFIX "kafka.topics."
#define MAX_TOPICS 64
#define DEFAULT_TIMEOUT_MS 15000

typedef struct topics_args {
    bool create;
    const char *config_path;
    int timeout_ms;
} topics_args;

static ais_status parse(int argc, char **argv, topics_args *a, char *err, size_t size)
{
    bool create = false, check = false;
    memset(a, 0, sizeof *a);
    a->timeout_ms = DEFAULT_TIMEOUT_MS;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--create") == 0) {
            create = true;
        } else if (strcmp(arg, "--check") == 0) {
            check = true;
        } else if (strcmp(arg, "--config") == 0 && i + 1 < argc && a->config_path == NULL) {
            a->config_path = argv[++i];
        } else if (strcmp(arg, "--timeout-ms") == 0 && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || v < 100 || v > 600000) {
                snprintf(err, size, "--timeout-ms must be 100..600000");
                return AIS_ERR_USAGE;
            }
            a->timeout_ms = (int)v;
        } else {
            snprintf(err, size, "usage: ais-ingest topics --create|--check [--config PATH] "
                                "[--timeout-ms N]");
            return AIS_ERR_USAGE;
        }
    }
    if (create == check) {
        snprintf(err, size, "topics needs exactly one of --create and --check");
        return AIS_ERR_USAGE;
    }
    a->create = create;
    return AIS_OK;
}

/* Every kafka.topics.<key> entry, in file order. */
static ais_status collect_specs(const ais_config *cfg, ais_topic_spec *specs, const char **keys,
                                size_t *n, char *err, size_t size)
{
    long partitions = 0, replication = 0;
    ais_status st = ais_config_get_long(cfg, "kafka.partitions", &partitions);
    if (st == AIS_OK)
        st = ais_config_get_long(cfg, "kafka.replication_factor", &replication);
    if (st != AIS_OK || partitions < 1 || partitions > 10000 || replication < 1 ||
        replication > 100) {
        snprintf(err, size, "kafka.partitions and kafka.replication_factor must be positive "
                            "integers");
        return st != AIS_OK ? st : AIS_ERR_RANGE;
    }
    *n = 0;
    for (size_t i = 0; i < ais_config_count(cfg); i++) {
        const char *key, *value;
        if (ais_config_entry(cfg, i, &key, &value) != AIS_OK ||
            strncmp(key, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) != 0)
            continue;
        if (value[0] == '\0' || *n == MAX_TOPICS) {
            snprintf(err, size, "%s must name a topic (at most %d topics)", key, MAX_TOPICS);
            return AIS_ERR_CONFIG_INVALID;
        }
        keys[*n] = key + strlen(TOPIC_PREFIX);
        specs[*n] = (ais_topic_spec){value, (int)partitions, (int)replication};
        (*n)++;
    }
    if (*n == 0) {
        snprintf(err, size, "no kafka.topics.* in the configuration");
        return AIS_ERR_CONFIG_INVALID;
    }
    return AIS_OK;
}

static ais_status print_summary(const topics_args *a, const ais_topic_spec *specs,
                                const char **keys, const ais_topic_report *reports, size_t n,
                                bool checked, ais_status outcome, const char *error)
{
    json_t *s = json_object();
    json_t *list = json_array();
    if (s == NULL || list == NULL) {
        json_decref(s);
        json_decref(list);
        return AIS_ERR_NOMEM;
    }
    ais_status st = AIS_OK;
    for (size_t i = 0; i < n && checked && st == AIS_OK; i++) {
        json_t *t = json_object();
        if (t == NULL) {
            st = AIS_ERR_NOMEM;
            break;
        }
        st = ais_json_set_string(t, "key", keys[i]);
        if (st == AIS_OK)
            st = ais_json_set_string(t, "name", specs[i].name);
        if (st == AIS_OK)
            st = ais_json_set_string(t, "outcome", ais_topic_outcome_name(reports[i].outcome));
        if (st == AIS_OK)
            st = ais_json_set(t, "partitions", json_integer(reports[i].partitions));
        if (st == AIS_OK)
            st = ais_json_set(t, "replication_factor", json_integer(reports[i].replication_factor));
        if (st == AIS_OK)
            st = ais_json_set(t, "configured_partitions", json_integer(specs[i].partitions));
        if (st == AIS_OK)
            st = ais_json_set(t, "configured_replication_factor",
                              json_integer(specs[i].replication_factor));
        if (st == AIS_OK && reports[i].detail[0])
            st = ais_json_set_string(t, "detail", reports[i].detail);
        if (st == AIS_OK)
            st = json_array_append_new(list, t) == 0 ? AIS_OK : AIS_ERR_NOMEM;
        else
            json_decref(t);
    }
    if (st == AIS_OK)
        st = ais_json_set_string(s, "command", "topics");
    if (st == AIS_OK)
        st = ais_json_set_string(s, "action", a->create ? "create" : "check");
    if (st == AIS_OK) {
        st = ais_json_set(s, "topics", list);
        list = NULL;
    }
    if (st == AIS_OK)
        st = ais_json_set_string(s, "status", outcome == AIS_OK ? "ok" : "error");
    if (st == AIS_OK && outcome != AIS_OK)
        st = ais_json_set_string(s, "error", error);
    json_decref(list);
    char *text = st == AIS_OK ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    if (st != AIS_OK)
        return st;
    if (text == NULL)
        return AIS_ERR_JSON;
    int failed = fputs(text, stdout) < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0;
    free(text);
    return failed ? AIS_ERR_IO : AIS_OK;
}

ais_status ais_cmd_topics(int argc, char **argv, ais_logger *logger)
{
    topics_args a;
    char err[1024] = "";
    ais_status st = parse(argc, argv, &a, err, sizeof err);
    if (st != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", err), AIS_F_END);
        return st;
    }
    ais_config *cfg = NULL;
    ais_topic_spec specs[MAX_TOPICS];
    const char *keys[MAX_TOPICS];
    ais_topic_report reports[MAX_TOPICS];
    size_t n = 0;
    bool checked = false;
    st = ais_config_load_ex(a.config_path, &cfg, err, sizeof err);
    if (st == AIS_OK && (st = ais_logger_apply_config(logger, cfg)) != AIS_OK)
        snprintf(err, sizeof err, "runtime.log_level must be debug, info, warning or error");
    if (st == AIS_OK)
        ais_cli_log_file(logger, cfg, "topics");
    if (st == AIS_OK)
        st = collect_specs(cfg, specs, keys, &n, err, sizeof err);
    const char *bootstrap = NULL;
    if (st == AIS_OK) {
        bootstrap = ais_config_get(cfg, "runtime.kafka_bootstrap_servers");
        if (bootstrap == NULL || bootstrap[0] == '\0') {
            snprintf(err, sizeof err,
                     "runtime.kafka_bootstrap_servers (env KAFKA_BOOTSTRAP_SERVERS) is empty");
            st = AIS_ERR_CONFIG_INVALID;
        }
    }
    ais_kafka_security security;
    if (st == AIS_OK)
        st = ais_kafka_security_from_config(cfg, &security, err, sizeof err);
    if (st == AIS_OK) {
        st = ais_kafka_topics_ensure_secure(bootstrap, &security, specs, n, a.create, a.timeout_ms,
                                            logger, reports, err, sizeof err);
        /* per-topic outcomes are known unless the broker could not be asked at all */
        checked = st == AIS_OK || strncmp(err, "topic '", 7) == 0;
    }
    if (st == AIS_OK)
        ais_log(logger, AIS_LOG_INFO, "topics_done", AIS_F_STR("action", a.create ? "create" : "check"),
                AIS_F_INT("topics", (int64_t)n), AIS_F_STR("status", "ok"), AIS_F_END);
    else
        ais_log(logger, AIS_LOG_ERROR, "topics_failed", AIS_F_STR("message", err),
                AIS_F_STR("status", ais_status_str(st)), AIS_F_END);
    ais_status printed = print_summary(&a, specs, keys, reports, n, checked, st, err);
    if (st == AIS_OK)
        st = printed;
    ais_logger_apply_config(logger, NULL);
    ais_config_free(cfg);
    return st;
}
