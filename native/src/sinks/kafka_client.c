#include "kafka_client.h"

#include <stdio.h>
#include <string.h>

#include "ais/version.h"

/* librdkafka reports the same broker failure over and over while it retries; the first few are
 * logged as warnings, the rest only at debug level. */
#define MAX_ERRORS_LOGGED 10

static ais_log_level syslog_level(int level)
{
    if (level <= 3)
        return AIS_LOG_ERROR;
    if (level == 4)
        return AIS_LOG_WARNING;
    if (level <= 6)
        return AIS_LOG_INFO;
    return AIS_LOG_DEBUG;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    ais_kafka_client_ctx *ctx = rd_kafka_opaque(rk);
    if (ctx == NULL || ctx->logger == NULL)
        return;
    ais_log(ctx->logger, syslog_level(level), "kafka_client_log", AIS_F_STR("facility", facility),
            AIS_F_STR("message", buf), AIS_F_END);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ais_kafka_client_ctx *ctx = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[400];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        snprintf(ctx->fatal, sizeof ctx->fatal, "%s: %s", rd_kafka_err2name(orig), fatal);
    }
    if (ctx->logger == NULL)
        return;
    ais_log_level level = ctx->errors_logged < MAX_ERRORS_LOGGED || err == RD_KAFKA_RESP_ERR__FATAL
                              ? AIS_LOG_WARNING
                              : AIS_LOG_DEBUG;
    ctx->errors_logged++;
    ais_log(ctx->logger, level, "kafka_client_error",
            AIS_F_STR("error", rd_kafka_err2name((rd_kafka_resp_err_t)err)),
            AIS_F_STR("message", reason), AIS_F_END);
}

static ais_status set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errbuf,
                      size_t size)
{
    char err[256];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof err) == RD_KAFKA_CONF_OK)
        return AIS_OK;
    return ais_status_fail(AIS_ERR_KAFKA, errbuf, size, "librdkafka setting %s: %s", name, err);
}

ais_status ais_kafka_client_new(const char *bootstrap_servers, const char *const *conf_pairs,
                                const char *const *security_pairs, ais_kafka_client_ctx *ctx,
                                void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *,
                                                  void *),
                                rd_kafka_t **out, char *errbuf, size_t errbuf_size)
{
    if (bootstrap_servers == NULL || bootstrap_servers[0] == '\0' || ctx == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = set(conf, "bootstrap.servers", bootstrap_servers, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = set(conf, "client.id", AIS_PRODUCER, errbuf, errbuf_size);
    /* log lines are queued and served by rd_kafka_poll on our thread, like every callback */
    if (st == AIS_OK)
        st = set(conf, "log.queue", "true", errbuf, errbuf_size);
    /* topics are made by `ais-ingest topics --create` with the configured partitions, never by
     * a metadata request that happens to name them */
    if (st == AIS_OK)
        st = set(conf, "allow.auto.create.topics", "false", errbuf, errbuf_size);
    for (const char *const *p = conf_pairs; st == AIS_OK && p != NULL && p[0] != NULL; p += 2)
        st = set(conf, p[0], p[1], errbuf, errbuf_size);
    for (const char *const *p = security_pairs; st == AIS_OK && p != NULL && p[0] != NULL; p += 2)
        st = set(conf, p[0], p[1], errbuf, errbuf_size);
    if (st != AIS_OK) {
        rd_kafka_conf_destroy(conf);
        return st;
    }
    rd_kafka_conf_set_opaque(conf, ctx);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    if (dr_msg_cb != NULL)
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);

    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return ais_status_fail(AIS_ERR_KAFKA, errbuf, errbuf_size,
                               "cannot create the Kafka client: %s", err);
    }
    /* conf now belongs to rk */
    rd_kafka_resp_err_t qerr = rd_kafka_set_log_queue(rk, NULL);
    if (qerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_destroy(rk);
        return ais_status_fail(AIS_ERR_KAFKA, errbuf, errbuf_size,
                               "cannot route Kafka client logs: %s", rd_kafka_err2str(qerr));
    }
    *out = rk;
    return AIS_OK;
}
