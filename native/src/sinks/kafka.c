/* Kafka sink: idempotent producer, every delivery report checked, failures to the dead-letter
 * topic (ais/kafka.h). Everything runs on the caller's thread: librdkafka's callbacks are served
 * by rd_kafka_poll / rd_kafka_flush calls made here. */
#include "ais/kafka.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "ais/dlq.h"
#include "ais/jsonutil.h"
#include "ais/status.h"
#include "ais/timeutil.h"
#include "kafka_client.h"

/* how many lost messages are logged one by one */
#define MAX_LOST_LOGGED 20

/* What a message is, carried as its opaque. */
enum msg_kind { KIND_EVENT = 1, KIND_DEAD_LETTER = 2, KIND_REROUTED = 3 };

/* An event whose delivery failed, waiting to be written as a dead letter. */
typedef struct failed_event {
    char *event_id;
    char *payload;
    size_t len;
    char error[160];
} failed_event;

struct ais_kafka {
    ais_kafka_client_ctx client; /* first: the client's opaque */
    rd_kafka_t *rk;
    rd_kafka_topic_t *events, *dead_letters;
    char *topic, *dlq_topic, *source, *request_id;
    int timeout_ms;
    ais_kafka_stats stats;
    uint64_t partitions[AIS_KAFKA_MAX_PARTITIONS];
    int max_partition; /* highest partition seen, -1 if none */
    failed_event *pending;
    size_t n_pending, cap_pending;
    uint64_t lost_logged;
    char first_failure[256];
    char error[768];
    ais_status failed; /* sticky: a fatal producer error */
    ais_json_buf text;  /* the message being produced (librdkafka copies it) */
};

static void log_lost(ais_kafka *k, const char *what, const char *id, const char *error)
{
    k->stats.lost++;
    if (k->client.logger == NULL || k->lost_logged++ >= MAX_LOST_LOGGED)
        return;
    ais_log(k->client.logger, AIS_LOG_ERROR, "kafka_message_lost", AIS_F_STR("kind", what),
            AIS_F_STR("key", id), AIS_F_STR("error", error), AIS_F_END);
}

static ais_status push_failed(ais_kafka *k, const char *key, size_t key_len, const void *payload,
                              size_t len, const char *error)
{
    if (k->n_pending == k->cap_pending) {
        size_t cap = k->cap_pending ? k->cap_pending * 2 : 64;
        failed_event *grown = realloc(k->pending, cap * sizeof *grown);
        if (grown == NULL)
            return AIS_ERR_NOMEM;
        k->pending = grown;
        k->cap_pending = cap;
    }
    failed_event *f = &k->pending[k->n_pending];
    f->event_id = strndup(key != NULL ? key : "", key != NULL ? key_len : 0);
    f->payload = malloc(len + 1);
    if (f->event_id == NULL || f->payload == NULL) {
        free(f->event_id);
        free(f->payload);
        return AIS_ERR_NOMEM;
    }
    memcpy(f->payload, payload, len);
    f->payload[len] = '\0';
    f->len = len;
    snprintf(f->error, sizeof f->error, "%s", error);
    k->n_pending++;
    if (k->first_failure[0] == '\0')
        snprintf(k->first_failure, sizeof k->first_failure, "%s", error);
    return AIS_OK;
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    ais_kafka *k = opaque;
    enum msg_kind kind = (enum msg_kind)(uintptr_t)msg->_private;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (kind == KIND_EVENT) {
            k->stats.delivered++;
            if (msg->partition >= 0 && msg->partition < AIS_KAFKA_MAX_PARTITIONS) {
                k->partitions[msg->partition]++;
                if (msg->partition > k->max_partition)
                    k->max_partition = msg->partition;
            }
        } else {
            k->stats.dlq_delivered++;
        }
        return;
    }
    char key[256];
    size_t key_len = msg->key_len < sizeof key - 1 ? msg->key_len : sizeof key - 1;
    memcpy(key, msg->key != NULL ? msg->key : "", msg->key != NULL ? key_len : 0);
    key[msg->key != NULL ? key_len : 0] = '\0';
    const char *error = rd_kafka_err2str(msg->err);
    if (kind == KIND_EVENT) {
        k->stats.delivery_failed++;
        if (push_failed(k, msg->key, msg->key_len, msg->payload, msg->len, error) != AIS_OK)
            log_lost(k, "event", key, "out of memory keeping the failed event");
    } else {
        log_lost(k, kind == KIND_REROUTED ? "dead letter of a failed event" : "dead letter", key,
                 error);
    }
}

/* Hands one message to librdkafka, waiting while its queue is full. */
static rd_kafka_resp_err_t produce(ais_kafka *k, rd_kafka_topic_t *topic, enum msg_kind kind,
                                   const char *key, const char *payload, size_t len)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            k->rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)kind), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(k->rk, 0);
            return err;
        }
        rd_kafka_poll(k->rk, 100); /* deliveries free room */
    }
}

/* Writes the dead letters of the failed events collected so far. */
static ais_status reroute_failed(ais_kafka *k)
{
    /* the list may grow while we produce (a report served by poll): take it first */
    failed_event *list = k->pending;
    size_t n = k->n_pending;
    k->pending = NULL;
    k->n_pending = k->cap_pending = 0;
    ais_status st = AIS_OK;
    for (size_t i = 0; i < n; i++) {
        failed_event *f = &list[i];
        json_t *rec = NULL;
        int64_t now = 0;
        ais_dead_letter dl = {.reason = "delivery_failed", .detail = f->error, .raw = f->payload,
                              .raw_len = f->len, .event_id = f->event_id};
        ais_status rst = ais_time_now(&now, NULL);
        if (rst == AIS_OK)
            rst = ais_dead_letter_json(k->source, k->topic, k->request_id, &dl, now, &rec);
        k->text.len = 0;
        if (rst == AIS_OK)
            rst = ais_json_append_compact(&k->text, rec);
        if (rst == AIS_OK) {
            const char *dlq_id = json_string_value(json_object_get(rec, "dlq_id"));
            rd_kafka_resp_err_t err =
                produce(k, k->dead_letters, KIND_REROUTED, dlq_id, k->text.data, k->text.len);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                k->stats.dlq_produced++;
            else
                log_lost(k, "event", f->event_id, rd_kafka_err2str(err));
        } else {
            log_lost(k, "event", f->event_id, ais_status_str(rst));
            if (st == AIS_OK)
                st = rst;
        }
        json_decref(rec);
        free(f->event_id);
        free(f->payload);
    }
    free(list);
    return st;
}

static ais_status check_fatal(ais_kafka *k)
{
    if (k->failed != AIS_OK)
        return k->failed;
    char fatal[400];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(k->rk, fatal, sizeof fatal);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return AIS_OK;
    ais_format_message(k->error, sizeof k->error, "fatal Kafka producer error %s: %s",
              rd_kafka_err2name(err), fatal);
    k->failed = AIS_ERR_KAFKA;
    return k->failed;
}

static ais_status write_message(ais_kafka *k, const json_t *obj, enum msg_kind kind,
                                const char *key_field)
{
    if (k == NULL || obj == NULL || !json_is_object(obj))
        return AIS_ERR_INVALID_ARG;
    ais_status st = check_fatal(k);
    if (st != AIS_OK)
        return st;
    const char *key = json_string_value(json_object_get(obj, key_field));
    if (key == NULL || key[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    k->text.len = 0;
    if ((st = ais_json_append_compact(&k->text, obj)) != AIS_OK)
        return st == AIS_ERR_NOMEM ? st : AIS_ERR_JSON;
    const char *payload = k->text.data;
    size_t len = k->text.len;
    rd_kafka_topic_t *topic = kind == KIND_EVENT ? k->events : k->dead_letters;
    rd_kafka_resp_err_t err = produce(k, topic, kind, key, payload, len);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (kind == KIND_EVENT)
            k->stats.produced++;
        else
            k->stats.dlq_produced++;
    } else if (kind == KIND_EVENT) {
        /* refused before it left (too large, fatal state, ...): a failed delivery */
        k->stats.produced++;
        k->stats.delivery_failed++;
        st = push_failed(k, key, strlen(key), payload, len, rd_kafka_err2str(err));
    } else {
        log_lost(k, "dead letter", key, rd_kafka_err2str(err));
    }
    if (st == AIS_OK && k->n_pending > 0)
        st = reroute_failed(k);
    if (st == AIS_OK)
        st = check_fatal(k);
    return st;
}

static ais_status events_write(void *ctx, const json_t *event)
{
    return write_message(ctx, event, KIND_EVENT, "event_id");
}

static ais_status dlq_write(void *ctx, const json_t *record)
{
    return write_message(ctx, record, KIND_DEAD_LETTER, "dlq_id");
}

/* Asks the broker whether the topic exists. */
static ais_status check_topic(ais_kafka *k, rd_kafka_topic_t *topic, const char *name,
                              const char *bootstrap, int timeout_ms, char *errbuf, size_t size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(k->rk, 0, topic, &md, timeout_ms);
    rd_kafka_poll(k->rk, 0); /* serve the log lines and errors of the attempt */
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ais_format_message(errbuf, size, "cannot get metadata for topic '%s' from %s: %s", name,
                  bootstrap, rd_kafka_err2str(err));
        return AIS_ERR_KAFKA;
    }
    ais_status st = AIS_OK;
    if (md->topic_cnt < 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_resp_err_t terr =
            md->topic_cnt < 1 ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : md->topics[0].err;
        if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            ais_format_message(errbuf, size,
                      "topic '%s' does not exist (create the topics with `ais-ingest topics "
                      "--create`)",
                      name);
        else
            ais_format_message(errbuf, size, "topic '%s': %s", name, rd_kafka_err2str(terr));
        st = AIS_ERR_KAFKA;
    } else if (md->topics[0].partition_cnt < 1) {
        ais_format_message(errbuf, size, "topic '%s' has no partitions", name);
        st = AIS_ERR_KAFKA;
    }
    rd_kafka_metadata_destroy(md);
    return st;
}

ais_status ais_kafka_open(const ais_kafka_options *o, ais_kafka **out, char *errbuf,
                          size_t errbuf_size)
{
    if (o == NULL || out == NULL || o->bootstrap_servers == NULL ||
        o->bootstrap_servers[0] == '\0' || o->topic == NULL || o->dlq_topic == NULL ||
        o->source == NULL || o->timeout_ms < 0)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    ais_kafka *k = calloc(1, sizeof *k);
    if (k == NULL)
        return AIS_ERR_NOMEM;
    k->client.logger = o->logger;
    k->max_partition = -1;
    k->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : AIS_KAFKA_DEFAULT_TIMEOUT_MS;
    k->topic = strdup(o->topic);
    k->dlq_topic = strdup(o->dlq_topic);
    k->source = strdup(o->source);
    k->request_id = strdup(o->request_id != NULL ? o->request_id : "");
    if (k->topic == NULL || k->dlq_topic == NULL || k->source == NULL || k->request_id == NULL) {
        ais_kafka_free(k);
        return AIS_ERR_NOMEM;
    }
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%d", k->timeout_ms);
    /* idempotence implies acks=all, retries and at most 5 requests in flight per connection;
     * acks is spelled out so nobody "tunes" it down */
    const char *const conf[] = {"enable.idempotence", "true",    "acks",
                                "all",                "message.timeout.ms", timeout,
                                "linger.ms",          "10",      NULL};
    ais_status st =
        ais_kafka_client_new(o->bootstrap_servers, conf,
                             o->security != NULL ? o->security->conf : NULL, &k->client,
                             dr_msg_cb, &k->rk, errbuf,
                             errbuf_size);
    if (st != AIS_OK) {
        ais_kafka_free(k);
        return st;
    }
    /* the delivery-report callback gets k through the client opaque: k starts with client */
    k->events = rd_kafka_topic_new(k->rk, k->topic, NULL);
    k->dead_letters = rd_kafka_topic_new(k->rk, k->dlq_topic, NULL);
    if (k->events == NULL || k->dead_letters == NULL) {
        ais_format_message(errbuf, errbuf_size, "cannot create topic handles: %s",
                  rd_kafka_err2str(rd_kafka_last_error()));
        ais_kafka_free(k);
        return AIS_ERR_KAFKA;
    }
    int check_ms = k->timeout_ms < 15000 ? k->timeout_ms : 15000;
    st = check_topic(k, k->events, k->topic, o->bootstrap_servers, check_ms, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = check_topic(k, k->dead_letters, k->dlq_topic, o->bootstrap_servers, check_ms,
                         errbuf, errbuf_size);
    if (st != AIS_OK) {
        ais_kafka_free(k);
        return st;
    }
    *out = k;
    return AIS_OK;
}

ais_status ais_kafka_events_sink(ais_kafka *k, ais_sink *out)
{
    if (k == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    out->ctx = k;
    out->write = events_write;
    return AIS_OK;
}

ais_status ais_kafka_dlq_sink(ais_kafka *k, ais_sink *out)
{
    if (k == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    out->ctx = k;
    out->write = dlq_write;
    return AIS_OK;
}

/* Drops whatever is still queued; the reports come back as failures and are counted lost. */
static void purge_all(ais_kafka *k)
{
    if (rd_kafka_outq_len(k->rk) == 0)
        return;
    rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(k->rk, 2000); /* serves the purged messages' reports */
    for (size_t i = 0; i < k->n_pending; i++) {
        log_lost(k, "event", k->pending[i].event_id, k->pending[i].error);
        free(k->pending[i].event_id);
        free(k->pending[i].payload);
    }
    k->n_pending = 0;
}

ais_status ais_kafka_flush(ais_kafka *k)
{
    if (k == NULL)
        return AIS_ERR_INVALID_ARG;
    /* one delivery timeout for the events, one for the dead letters of failures, and slack */
    int64_t deadline = ais_time_monotonic_ms() + 2 * (int64_t)k->timeout_ms + 5000;
    ais_status st = AIS_OK;
    for (;;) {
        if (k->n_pending > 0 && (st = reroute_failed(k)) != AIS_OK)
            break;
        int64_t left = deadline - ais_time_monotonic_ms();
        if (left <= 0)
            break;
        rd_kafka_flush(k->rk, (int)(left < 1000 ? left : 1000));
        if (rd_kafka_outq_len(k->rk) == 0 && k->n_pending == 0)
            break;
        if (check_fatal(k) != AIS_OK)
            break;
    }
    if (rd_kafka_outq_len(k->rk) > 0 || k->n_pending > 0) {
        purge_all(k);
        if (k->first_failure[0] == '\0')
            snprintf(k->first_failure, sizeof k->first_failure,
                     "delivery reports did not arrive within %d ms", 2 * k->timeout_ms + 5000);
    }
    if (st == AIS_OK)
        st = check_fatal(k);
    if (st != AIS_OK)
        return st;
    if (k->stats.delivery_failed > 0 || k->stats.lost > 0) {
        ais_format_message(k->error, sizeof k->error,
                  "%llu of %llu events were not delivered to topic '%s' (first error: %s); "
                  "%llu dead letters delivered to '%s'; %llu messages lost",
                  (unsigned long long)k->stats.delivery_failed,
                  (unsigned long long)k->stats.produced, k->topic, k->first_failure,
                  (unsigned long long)k->stats.dlq_delivered, k->dlq_topic,
                  (unsigned long long)k->stats.lost);
        return AIS_ERR_DELIVERY;
    }
    return AIS_OK;
}

ais_status ais_kafka_get_stats(const ais_kafka *k, ais_kafka_stats *out)
{
    if (k == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = k->stats;
    return AIS_OK;
}

json_t *ais_kafka_partition_counts(const ais_kafka *k)
{
    json_t *obj = json_object();
    if (obj == NULL || k == NULL)
        return obj;
    for (int p = 0; p <= k->max_partition; p++) {
        char name[16];
        snprintf(name, sizeof name, "%d", p);
        if (json_object_set_new(obj, name, json_integer((json_int_t)k->partitions[p])) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

const char *ais_kafka_error(const ais_kafka *k)
{
    return k != NULL ? k->error : "";
}

void ais_kafka_free(ais_kafka *k)
{
    if (k == NULL)
        return;
    if (k->rk != NULL)
        purge_all(k);
    if (k->events != NULL)
        rd_kafka_topic_destroy(k->events);
    if (k->dead_letters != NULL)
        rd_kafka_topic_destroy(k->dead_letters);
    if (k->rk != NULL)
        rd_kafka_destroy(k->rk);
    for (size_t i = 0; i < k->n_pending; i++) {
        free(k->pending[i].event_id);
        free(k->pending[i].payload);
    }
    free(k->pending);
    free(k->topic);
    free(k->dlq_topic);
    free(k->source);
    free(k->request_id);
    free(k->text.data);
    free(k);
}
