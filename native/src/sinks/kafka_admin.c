/* Topic creation and validation through the Kafka admin API (ais/kafka.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "ais/kafka.h"
#include "ais/status.h"
#include "ais/timeutil.h"
#include "kafka_client.h"

const char *ais_topic_outcome_name(ais_topic_outcome outcome)
{
    switch (outcome) {
    case AIS_TOPIC_OK: return "ok";
    case AIS_TOPIC_CREATED: return "created";
    case AIS_TOPIC_MISSING: return "missing";
    case AIS_TOPIC_MISMATCH: return "mismatch";
    case AIS_TOPIC_ERROR: return "error";
    }
    return "unknown";
}

/* Sends CreateTopics for every spec and records per-topic results (created / exists / error). */
static ais_status create_topics(rd_kafka_t *rk, const ais_topic_spec *specs, size_t n,
                                int timeout_ms, ais_topic_report *reports, int *created,
                                char *errbuf, size_t size)
{
    rd_kafka_NewTopic_t **topics = calloc(n, sizeof *topics);
    if (topics == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = AIS_OK;
    char err[256];
    for (size_t i = 0; i < n && st == AIS_OK; i++) {
        topics[i] = rd_kafka_NewTopic_new(specs[i].name, specs[i].partitions,
                                          specs[i].replication_factor, err, sizeof err);
        if (topics[i] == NULL) {
            ais_format_message(errbuf, size, "topic '%s': %s", specs[i].name, err);
            st = AIS_ERR_KAFKA;
        }
    }
    rd_kafka_AdminOptions_t *options = NULL;
    rd_kafka_queue_t *queue = NULL;
    if (st == AIS_OK) {
        options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        queue = rd_kafka_queue_new(rk);
        if (options == NULL || queue == NULL ||
            rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, err, sizeof err) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, err, sizeof err) !=
                RD_KAFKA_RESP_ERR_NO_ERROR) {
            ais_format_message(errbuf, size, "cannot prepare the CreateTopics request");
            st = AIS_ERR_KAFKA;
        }
    }
    if (st == AIS_OK) {
        rd_kafka_CreateTopics(rk, topics, n, options, queue);
        rd_kafka_event_t *ev = NULL;
        int64_t deadline = ais_time_monotonic_ms() + timeout_ms + 2000;
        /* the main queue carries the client's log lines: serve it while waiting */
        while (ev == NULL && ais_time_monotonic_ms() < deadline) {
            ev = rd_kafka_queue_poll(queue, 200);
            rd_kafka_poll(rk, 0);
        }
        if (ev == NULL) {
            ais_format_message(errbuf, size, "no answer to CreateTopics within %d ms", timeout_ms);
            st = AIS_ERR_KAFKA;
        } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ais_format_message(errbuf, size, "CreateTopics failed: %s", rd_kafka_event_error_string(ev));
            st = AIS_ERR_KAFKA;
        } else {
            const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
            size_t cnt = 0;
            const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(res, &cnt);
            for (size_t r = 0; r < cnt; r++) {
                const char *name = rd_kafka_topic_result_name(results[r]);
                rd_kafka_resp_err_t terr = rd_kafka_topic_result_error(results[r]);
                for (size_t i = 0; i < n; i++) {
                    if (strcmp(specs[i].name, name) != 0)
                        continue;
                    if (terr == RD_KAFKA_RESP_ERR_NO_ERROR) {
                        created[i] = 1;
                    } else if (terr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                        reports[i].outcome = AIS_TOPIC_ERROR;
                        const char *msg = rd_kafka_topic_result_error_string(results[r]);
                        ais_format_message(reports[i].detail, sizeof reports[i].detail, "%s: %s",
                            rd_kafka_err2name(terr), msg != NULL ? msg : "");
                    }
                }
            }
        }
        if (ev != NULL)
            rd_kafka_event_destroy(ev);
    }
    if (queue != NULL)
        rd_kafka_queue_destroy(queue);
    if (options != NULL)
        rd_kafka_AdminOptions_destroy(options);
    for (size_t i = 0; i < n; i++)
        if (topics[i] != NULL)
            rd_kafka_NewTopic_destroy(topics[i]);
    free(topics);
    return st;
}

static const struct rd_kafka_metadata_topic *find_topic(const struct rd_kafka_metadata *md,
                                                        const char *name)
{
    for (int t = 0; t < md->topic_cnt; t++)
        if (strcmp(md->topics[t].topic, name) == 0 &&
            md->topics[t].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return &md->topics[t];
    return NULL;
}

/* Compares what the broker has with the specs. Returns 1 if a created topic is not visible
 * yet (metadata propagates asynchronously), so the caller asks again. */
static int compare(const struct rd_kafka_metadata *md, const ais_topic_spec *specs, size_t n,
                   const int *created, ais_topic_report *reports)
{
    int retry = 0;
    for (size_t i = 0; i < n; i++) {
        ais_topic_report *r = &reports[i];
        if (r->outcome == AIS_TOPIC_ERROR)
            continue;
        const struct rd_kafka_metadata_topic *t = find_topic(md, specs[i].name);
        if (t == NULL) {
            r->outcome = AIS_TOPIC_MISSING;
            r->partitions = r->replication_factor = 0;
            ais_format_message(r->detail, sizeof r->detail, "topic does not exist");
            retry |= created[i];
            continue;
        }
        int min_replicas = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
        for (int p = 1; p < t->partition_cnt; p++)
            if (t->partitions[p].replica_cnt < min_replicas)
                min_replicas = t->partitions[p].replica_cnt;
        r->partitions = t->partition_cnt;
        r->replication_factor = min_replicas;
        if (t->partition_cnt < specs[i].partitions && created[i]) {
            retry = 1; /* partitions still appearing */
            r->outcome = AIS_TOPIC_MISMATCH;
        } else if (t->partition_cnt != specs[i].partitions ||
                   min_replicas != specs[i].replication_factor) {
            r->outcome = AIS_TOPIC_MISMATCH;
            ais_format_message(r->detail, sizeof r->detail,
                "has %d partitions and replication factor %d; configured %d and %d",
                t->partition_cnt, min_replicas, specs[i].partitions, specs[i].replication_factor);
        } else {
            r->outcome = created[i] ? AIS_TOPIC_CREATED : AIS_TOPIC_OK;
            r->detail[0] = '\0';
        }
    }
    return retry;
}

ais_status ais_kafka_topics_ensure(const char *bootstrap_servers, const ais_topic_spec *specs,
                                   size_t n, bool create, int timeout_ms, ais_logger *logger,
                                   ais_topic_report *reports, char *errbuf, size_t errbuf_size)
{
    return ais_kafka_topics_ensure_secure(bootstrap_servers, NULL, specs, n, create, timeout_ms,
                                          logger, reports, errbuf, errbuf_size);
}

ais_status ais_kafka_topics_ensure_secure(const char *bootstrap_servers,
                                          const ais_kafka_security *security,
                                          const ais_topic_spec *specs, size_t n, bool create,
                                          int timeout_ms, ais_logger *logger,
                                          ais_topic_report *reports, char *errbuf,
                                          size_t errbuf_size)
{
    if (bootstrap_servers == NULL || specs == NULL || reports == NULL || n == 0 ||
        timeout_ms <= 0)
        return AIS_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++) {
        if (specs[i].name == NULL || specs[i].name[0] == '\0' || specs[i].partitions < 1 ||
            specs[i].replication_factor < 1)
            return AIS_ERR_INVALID_ARG;
        memset(&reports[i], 0, sizeof reports[i]);
    }
    int *created = calloc(n, sizeof *created);
    if (created == NULL)
        return AIS_ERR_NOMEM;
    ais_kafka_client_ctx ctx = {.logger = logger};
    rd_kafka_t *rk = NULL;
    ais_status st = ais_kafka_client_new(bootstrap_servers, NULL,
                                         security != NULL ? security->conf : NULL, &ctx, NULL,
                                         &rk, errbuf, errbuf_size);
    if (st == AIS_OK && create)
        st = create_topics(rk, specs, n, timeout_ms, reports, created, errbuf, errbuf_size);

    int64_t deadline = ais_time_monotonic_ms() + timeout_ms;
    while (st == AIS_OK) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
        rd_kafka_poll(rk, 0);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ais_format_message(errbuf, errbuf_size, "cannot get metadata from %s: %s", bootstrap_servers,
                rd_kafka_err2str(err));
            st = AIS_ERR_KAFKA;
            break;
        }
        int retry = compare(md, specs, n, created, reports);
        rd_kafka_metadata_destroy(md);
        if (!retry || ais_time_monotonic_ms() >= deadline)
            break;
        struct timespec pause = {0, 200 * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (st == AIS_OK) {
        for (size_t i = 0; i < n; i++) {
            if (reports[i].outcome != AIS_TOPIC_OK && reports[i].outcome != AIS_TOPIC_CREATED) {
                ais_format_message(errbuf, errbuf_size, "topic '%s' is %s%s%s", specs[i].name,
                    ais_topic_outcome_name(reports[i].outcome), reports[i].detail[0] ? ": " : "",
                    reports[i].detail);
                st = AIS_ERR_KAFKA;
                break;
            }
        }
    }
    if (rk != NULL)
        rd_kafka_destroy(rk);
    free(created);
    return st;
}
