/* The Kafka sink against librdkafka's in-process mock cluster: no JVM, so it runs everywhere
 * (sanitizer build included) and can inject broker errors the real-broker test cannot:
 * a refused produce request is re-routed to the dead letters, and when the dead letter is
 * refused too the event is counted as lost. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "ais/kafka.h"

/* The Produce request's API key in the Kafka protocol. */
#define API_PRODUCE 0

typedef struct mock {
    rd_kafka_t *host;
    rd_kafka_mock_cluster_t *cluster;
    char bootstrap[256];
} mock;

static int setup(void **state)
{
    static mock m;
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    m.host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (m.host == NULL)
        return -1;
    m.cluster = rd_kafka_mock_cluster_new(m.host, 1);
    if (m.cluster == NULL)
        return -1;
    snprintf(m.bootstrap, sizeof m.bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(m.cluster));
    if (rd_kafka_mock_topic_create(m.cluster, "events", 3, 1) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_mock_topic_create(m.cluster, "dead", 1, 1) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    *state = &m;
    return 0;
}

static int teardown(void **state)
{
    mock *m = *state;
    rd_kafka_mock_cluster_destroy(m->cluster);
    rd_kafka_destroy(m->host);
    return 0;
}

static ais_kafka *open_sink(mock *m, const char *topic, char *err, size_t size)
{
    ais_kafka_options o = {.bootstrap_servers = m->bootstrap, .topic = topic,
                           .dlq_topic = "dead", .source = "simulated", .request_id = "req",
                           .timeout_ms = 5000};
    ais_kafka *k = NULL;
    ais_status st = ais_kafka_open(&o, &k, err, size);
    return st == AIS_OK ? k : NULL;
}

static void write_events(ais_kafka *k, int n, int offset)
{
    ais_sink sink;
    assert_int_equal(ais_kafka_events_sink(k, &sink), AIS_OK);
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof id, "openaq_1_11_pm25_2026-01-01T%02d:00:00Z", i + offset);
        json_t *ev = json_pack("{s:s, s:f}", "event_id", id, "value", 10.5 + i);
        assert_int_equal(ais_sink_write(&sink, ev), AIS_OK);
        json_decref(ev);
    }
}

static void events_and_dead_letters_are_delivered(void **state)
{
    mock *m = *state;
    char err[512] = "";
    ais_kafka *k = open_sink(m, "events", err, sizeof err);
    if (k == NULL)
        fail_msg("open: %s", err);
    write_events(k, 30, 0);
    ais_sink dlq;
    assert_int_equal(ais_kafka_dlq_sink(k, &dlq), AIS_OK);
    json_t *rec = json_pack("{s:s, s:s}", "dlq_id", "dlq_0123456789abcdef", "reason", "bad_date");
    assert_int_equal(ais_sink_write(&dlq, rec), AIS_OK);
    json_decref(rec);
    /* an event without an id cannot be keyed */
    ais_sink events;
    assert_int_equal(ais_kafka_events_sink(k, &events), AIS_OK);
    json_t *anonymous = json_pack("{s:f}", "value", 1.0);
    assert_int_equal(ais_sink_write(&events, anonymous), AIS_ERR_INVALID_ARG);
    json_decref(anonymous);

    assert_int_equal(ais_kafka_flush(k), AIS_OK);
    ais_kafka_stats st;
    assert_int_equal(ais_kafka_get_stats(k, &st), AIS_OK);
    assert_int_equal(st.produced, 30);
    assert_int_equal(st.delivered, 30);
    assert_int_equal(st.delivery_failed, 0);
    assert_int_equal(st.dlq_produced, 1);
    assert_int_equal(st.dlq_delivered, 1);
    assert_int_equal(st.lost, 0);
    json_t *parts = ais_kafka_partition_counts(k);
    json_int_t sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach(parts, key, v) sum += json_integer_value(v);
    assert_int_equal(sum, 30);
    assert_true(json_object_size(parts) >= 1 && json_object_size(parts) <= 3);
    json_decref(parts);
    assert_string_equal(ais_kafka_error(k), "");
    ais_kafka_free(k);
}

static void a_refused_event_becomes_a_dead_letter(void **state)
{
    mock *m = *state;
    char err[512] = "";
    ais_kafka *k = open_sink(m, "events", err, sizeof err);
    assert_non_null(k);
    /* the next produce request is refused for good (not retriable) */
    rd_kafka_mock_push_request_errors(m->cluster, API_PRODUCE, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    write_events(k, 1, 0);
    assert_int_equal(ais_kafka_flush(k), AIS_ERR_DELIVERY);
    ais_kafka_stats st;
    ais_kafka_get_stats(k, &st);
    assert_int_equal(st.produced, 1);
    assert_int_equal(st.delivered, 0);
    assert_int_equal(st.delivery_failed, 1);
    assert_int_equal(st.dlq_delivered, 1);
    assert_int_equal(st.lost, 0);
    assert_non_null(strstr(ais_kafka_error(k), "1 of 1 events were not delivered to topic "
                                               "'events'"));
    assert_non_null(strstr(ais_kafka_error(k), "1 dead letters delivered to 'dead'"));
    ais_kafka_free(k);
}

static void when_the_dead_letter_is_refused_too_the_event_is_lost(void **state)
{
    mock *m = *state;
    char err[512] = "";
    ais_kafka *k = open_sink(m, "events", err, sizeof err);
    assert_non_null(k);
    rd_kafka_mock_push_request_errors(m->cluster, API_PRODUCE, 2,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    write_events(k, 1, 5);
    assert_int_equal(ais_kafka_flush(k), AIS_ERR_DELIVERY);
    ais_kafka_stats st;
    ais_kafka_get_stats(k, &st);
    assert_int_equal(st.delivery_failed, 1);
    assert_int_equal(st.dlq_delivered, 0);
    assert_int_equal(st.lost, 1);
    assert_non_null(strstr(ais_kafka_error(k), "1 messages lost"));
    ais_kafka_free(k);
}

/* (A missing topic is refused up front too; the mock cluster creates every topic it is asked
 * about, so test_kafka_integration checks that against a real broker.) */
static void bad_options(void **state)
{
    (void)state;
    char err[512] = "";
    ais_kafka_options o = {.bootstrap_servers = "", .topic = "events", .dlq_topic = "dead",
                           .source = "x"};
    ais_kafka *k = NULL;
    assert_int_equal(ais_kafka_open(&o, &k, err, sizeof err), AIS_ERR_INVALID_ARG);
    assert_null(k);
    ais_kafka_free(NULL);
}

static void topics_are_checked_against_the_configuration(void **state)
{
    mock *m = *state;
    ais_topic_spec specs[] = {{"events", 3, 1}, {"dead", 3, 1}, {"absent", 3, 1}};
    ais_topic_report reports[3];
    char err[512] = "";
    assert_int_equal(ais_kafka_topics_ensure(m->bootstrap, specs, 3, false, 5000, NULL, reports,
                                             err, sizeof err),
                     AIS_ERR_KAFKA);
    assert_int_equal(reports[0].outcome, AIS_TOPIC_OK);
    assert_int_equal(reports[0].partitions, 3);
    assert_int_equal(reports[0].replication_factor, 1);
    assert_int_equal(reports[1].outcome, AIS_TOPIC_MISMATCH);
    assert_int_equal(reports[1].partitions, 1);
    assert_string_equal(reports[1].detail,
                        "has 1 partitions and replication factor 1; configured 3 and 1");
    assert_int_equal(reports[2].outcome, AIS_TOPIC_MISSING);
    assert_string_equal(err, "topic 'dead' is mismatch: has 1 partitions and replication factor "
                             "1; configured 3 and 1");
    assert_string_equal(ais_topic_outcome_name(AIS_TOPIC_CREATED), "created");
    assert_int_equal(ais_kafka_topics_ensure(m->bootstrap, specs, 0, false, 5000, NULL, reports,
                                             err, sizeof err),
                     AIS_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_and_dead_letters_are_delivered),
        cmocka_unit_test(a_refused_event_becomes_a_dead_letter),
        cmocka_unit_test(when_the_dead_letter_is_refused_too_the_event_is_lost),
        cmocka_unit_test(bad_options),
        cmocka_unit_test(topics_are_checked_against_the_configuration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
