/* Kafka sink (cluster profile) and topic administration, with librdkafka.
 *
 * The producer is idempotent (enable.idempotence=true, acks=all), keys every event with its
 * event_id and every dead letter with its dlq_id, and checks every delivery report:
 *
 *   event delivered            counted per partition
 *   event failed (timeout, broker refused it, ...)
 *                              a dead letter {reason "delivery_failed", detail = the error,
 *                              raw = the event, event_id} goes to the dead-letter topic
 *   dead letter failed too     the event is lost: counted, logged with its id
 *
 * ais_kafka_flush waits for every report (and the re-routed dead letters) and returns
 * AIS_ERR_DELIVERY if any event did not reach its topic, so the run exits non-zero and its
 * window is not recorded as done. Both topics must exist when the sink opens (it asks the broker
 * for their metadata): a missing topic is a configuration error reported up front
 * ("ais-ingest topics --create" makes them), not thousands of failed deliveries.
 *
 * librdkafka's own log lines and error callbacks are routed through the run's JSON logger on
 * the calling thread (log.queue), so stderr stays one JSON object per line. */
#ifndef AIS_KAFKA_H
#define AIS_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/log.h"
#include "ais/sink.h"
#include "ais/status.h"

#define AIS_KAFKA_DEFAULT_TIMEOUT_MS 60000
#define AIS_KAFKA_MAX_PARTITIONS 4096

/* ------------------------------------------------------------------------------------------ */
/* Client security (runtime.kafka_security_protocol and the keys after it)                     */

#define AIS_KAFKA_SECURITY_MAX_SETTINGS 5

/* The librdkafka settings of the client's security: "name", "value", ... pairs ended by NULL
 * (conf[0] == NULL: PLAINTEXT, nothing set). The values point into the ais_config they were read
 * from (the password among them: never log it) and into static strings: valid while that
 * configuration is, and conf may point into ca_location: use the struct where it was filled. */
typedef struct ais_kafka_security {
    const char *conf[2 * AIS_KAFKA_SECURITY_MAX_SETTINGS + 1];
    char ca_location[4096]; /* kafka_ssl_ca_location resolved against the project root */
} ais_kafka_security;

/* Reads the security settings of config/hanoi_pipeline.yaml (runtime.kafka_security_protocol,
 * kafka_sasl_mechanism, kafka_sasl_username, kafka_sasl_password_env, kafka_ssl_ca_location):
 *
 *   protocol "" or PLAINTEXT   nothing
 *   SSL                        security.protocol=ssl [, ssl.ca.location]
 *   SASL_PLAINTEXT             security.protocol=sasl_plaintext, sasl.mechanisms, sasl.username,
 *                              sasl.password
 *   SASL_SSL                   both of the above
 *
 * Protocol and mechanism are matched without regard to case; a relative CA path is relative to
 * the project root. The password is the secret named by kafka_sasl_password_env, which must be
 * listed under `secrets:` and set non-empty. An unknown protocol or mechanism, a missing username
 * or password, or a SASL or CA setting that the protocol does not use is AIS_ERR_CONFIG_INVALID,
 * errbuf naming the key (never a value). */
ais_status ais_kafka_security_from_config(const ais_config *cfg, ais_kafka_security *out,
                                          char *errbuf, size_t errbuf_size);

typedef struct ais_kafka_options {
    const char *bootstrap_servers; /* runtime.kafka_bootstrap_servers; required */
    const char *topic;             /* events */
    const char *dlq_topic;         /* dead letters */
    const char *source;            /* "source" of the dead letters of failed deliveries */
    const char *request_id;        /* the run's, for those dead letters */
    int timeout_ms;  /* per-message delivery timeout (message.timeout.ms); 0 = default */
    ais_logger *logger; /* may be NULL */
    const ais_kafka_security *security; /* NULL: PLAINTEXT */
} ais_kafka_options;

typedef struct ais_kafka_stats {
    uint64_t produced;        /* events handed to the producer */
    uint64_t delivered;       /* events acknowledged by all in-sync replicas */
    uint64_t delivery_failed; /* events whose delivery failed */
    uint64_t dlq_produced;    /* dead letters (bad input and failed deliveries) */
    uint64_t dlq_delivered;
    uint64_t lost; /* events and dead letters delivered nowhere */
} ais_kafka_stats;

typedef struct ais_kafka ais_kafka;

/* Creates the producer and checks that both topics exist. On failure errbuf (if not NULL) says
 * why ("topic 'x' does not exist ...", "broker metadata request failed: ...") and the status is
 * AIS_ERR_KAFKA (AIS_ERR_INVALID_ARG for missing options). Strings are copied. */
ais_status ais_kafka_open(const ais_kafka_options *opts, ais_kafka **out, char *errbuf,
                          size_t errbuf_size);

/* Sinks writing to the events topic (key = the event's event_id) and to the dead-letter topic
 * (key = the record's dlq_id). Borrowed views of k. */
ais_status ais_kafka_events_sink(ais_kafka *k, ais_sink *out);
ais_status ais_kafka_dlq_sink(ais_kafka *k, ais_sink *out);

/* Waits for every delivery report, re-routes failed events to the dead-letter topic and waits
 * for those too, within about twice the delivery timeout. AIS_OK when every event was
 * delivered; AIS_ERR_DELIVERY otherwise (see ais_kafka_error); AIS_ERR_KAFKA on a fatal
 * producer error. */
ais_status ais_kafka_flush(ais_kafka *k);

ais_status ais_kafka_get_stats(const ais_kafka *k, ais_kafka_stats *out);

/* {"<partition>": events delivered, ...} for the events topic (reference owned by the caller). */
json_t *ais_kafka_partition_counts(const ais_kafka *k);

/* The first error that made a write or the flush fail ("" if none). Owned by k. */
const char *ais_kafka_error(const ais_kafka *k);

/* Destroys the producer. Messages not yet delivered are purged and counted as lost: call
 * ais_kafka_flush first. NULL is a no-op. */
void ais_kafka_free(ais_kafka *k);

/* ------------------------------------------------------------------------------------------ */
/* Topics                                                                                     */

typedef struct ais_topic_spec {
    const char *name;
    int partitions;
    int replication_factor;
} ais_topic_spec;

typedef enum ais_topic_outcome {
    AIS_TOPIC_OK,       /* exists as configured */
    AIS_TOPIC_CREATED,  /* created now, as configured */
    AIS_TOPIC_MISSING,  /* does not exist (check only) */
    AIS_TOPIC_MISMATCH, /* exists with other partitions or replication */
    AIS_TOPIC_ERROR     /* the broker refused to create it */
} ais_topic_outcome;

const char *ais_topic_outcome_name(ais_topic_outcome outcome);

typedef struct ais_topic_report {
    ais_topic_outcome outcome;
    int partitions;         /* as found (0 if missing) */
    int replication_factor; /* as found: the smallest replica count over the partitions */
    char detail[256];
} ais_topic_report;

/* For each spec: with create, creates missing topics through the admin API; then checks
 * existence, partition count and replication factor against the spec. reports[i] belongs to
 * specs[i]. AIS_OK when every topic is OK or CREATED; AIS_ERR_KAFKA if the broker could not be
 * asked (errbuf says why) or any topic is MISSING, MISMATCH or ERROR. */
ais_status ais_kafka_topics_ensure(const char *bootstrap_servers, const ais_topic_spec *specs,
                                   size_t n, bool create, int timeout_ms, ais_logger *logger,
                                   ais_topic_report *reports, char *errbuf, size_t errbuf_size);

/* The same over a client with the given security settings (NULL: PLAINTEXT). */
ais_status ais_kafka_topics_ensure_secure(const char *bootstrap_servers,
                                          const ais_kafka_security *security,
                                          const ais_topic_spec *specs, size_t n, bool create,
                                          int timeout_ms, ais_logger *logger,
                                          ais_topic_report *reports, char *errbuf,
                                          size_t errbuf_size);

#endif
