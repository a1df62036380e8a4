/* What the Kafka sink and the topic administration share: one way to configure a librdkafka
 * client, with its log lines and error callbacks going through the run's JSON logger. Internal
 * to src/sinks. */
#ifndef AIS_SINKS_KAFKA_CLIENT_H
#define AIS_SINKS_KAFKA_CLIENT_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "ais/log.h"
#include "ais/status.h"

/* Must be the first member of the struct given as the client's opaque. */
typedef struct ais_kafka_client_ctx {
    ais_logger *logger; /* may be NULL */
    unsigned errors_logged;
    char fatal[512]; /* the fatal error, "" if none */
} ais_kafka_client_ctx;

/* A producer-type client for bootstrap_servers with the settings in conf_pairs and then
 * security_pairs (each a NULL-terminated "name", "value", ... list, or NULL) on top of the shared
 * ones (client.id, log routing, allow.auto.create.topics=false). ctx must stay valid for the
 * client's life. On failure errbuf says why (naming a setting, never its value) and the status
 * is AIS_ERR_KAFKA. */
ais_status ais_kafka_client_new(const char *bootstrap_servers, const char *const *conf_pairs,
                                const char *const *security_pairs, ais_kafka_client_ctx *ctx,
                                void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *,
                                                  void *),
                                rd_kafka_t **out, char *errbuf, size_t errbuf_size);

#endif
