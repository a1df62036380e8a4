/* Integration test against a real Apache Kafka broker (KRaft, one node on loopback), started
 * by scripts/kafka.sh from the Apache Kafka jars on Maven Central on a random free port and
 * stopped (data deleted) at the end. ctest label "kafka". Under scripts/test_stack.sh (`make
 * test`) the broker is the run's shared one instead: KAFKA_BOOTSTRAP_SERVERS of the file
 * AIS_TEST_STACK_ENV names. Either way every topic carries a prefix of this run's own
 * (KAFKA_TOPIC_PREFIX), so the assertions meet fresh topics: build/native and build/native-asan
 * run this test against the same broker one after the other.
 *
 * Proves: the admin command creates and validates the configured topics; events reach their
 * topic keyed by event_id with the same payload the landing sink writes; a rerun produces the
 * same keys; a rerun without --start continues from the window state; an event the broker
 * refuses goes to ais-dlq and the run exits 1 without recording its window; bad input goes to
 * ais-dlq; an unreachable broker and a missing topic fail fast with exit 1; the gridded sources
 * (Sentinel-5P, MAIAC, ERA5) go through the same sink with the same payloads. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define SCRIPT AIS_REPO_ROOT "/scripts/kafka.sh"
#define TIMEOUT_MS 10000
#define TOPIC_MAX 128

typedef struct broker {
    int port;
    char bootstrap[64];
    char env_bootstrap[96];
    char prefix[48]; /* in front of every topic name of this run */
    char env_prefix[80];
    char *home_env;
    char *tmp;
    char *config; /* the repository's configuration, copied */
    int started;  /* started by this program (stopped at the end) */
    int shared;   /* the run's broker (scripts/test_stack.sh), left running */
} broker;

static broker g; /* the one broker of this test program (group state) */

typedef struct result {
    int code;
    char *out;
    char *err;
    json_t *summary;
} result;

static result run_ingest(const char *const argv[], const char *const extra_env[])
{
    result r;
    const char *env[8] = {g.env_bootstrap, g.env_prefix, NULL};
    size_t n = 2;
    for (const char *const *e = extra_env; e != NULL && *e != NULL; e++)
        env[n++] = *e;
    env[n] = NULL;
    r.code = ais_test_run(argv, env, &r.out, &r.err);
    r.summary = NULL;
    if (r.out[0] != '\0') {
        json_t *lines = ais_test_parse_json_lines(r.out);
        assert_int_equal(json_array_size(lines), 1);
        r.summary = json_incref(json_array_get(lines, 0));
        json_decref(lines);
    }
    return r;
}

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->summary);
}

static json_int_t jint(const json_t *obj, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(obj, path1);
    if (path2 != NULL)
        v = json_object_get(v, path2);
    if (!json_is_integer(v)) {
        print_error("no integer at %s.%s\n", path1, path2 ? path2 : "");
        fail();
    }
    return json_integer_value(v);
}

/* name (as the configuration spells it) with this run's prefix, as ais-ingest sees it; in buf */
static const char *topic_name(char buf[TOPIC_MAX], const char *name)
{
    snprintf(buf, TOPIC_MAX, "%s%s", g.prefix, name);
    return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* The broker                                                                                 */

static void set_bootstrap(const char *servers)
{
    snprintf(g.bootstrap, sizeof g.bootstrap, "%s", servers);
    snprintf(g.env_bootstrap, sizeof g.env_bootstrap, "KAFKA_BOOTSTRAP_SERVERS=%s", g.bootstrap);
}

/* The run's broker: the KAFKA_BOOTSTRAP_SERVERS line of the file scripts/test_stack.sh wrote. */
static int use_shared_broker(const char *env_file)
{
    static const char key[] = "KAFKA_BOOTSTRAP_SERVERS=";
    char *text = ais_test_read_file(env_file);
    if (text == NULL) {
        fprintf(stderr, "cannot read AIS_TEST_STACK_ENV=%s\n", env_file);
        return -1;
    }
    const char *servers = NULL;
    for (char *line = text; line != NULL && servers == NULL;) {
        char *end = strchr(line, '\n');
        if (end != NULL)
            *end = '\0';
        if (strncmp(line, key, sizeof key - 1) == 0 && line[sizeof key - 1] != '\0')
            servers = line + sizeof key - 1;
        line = end != NULL ? end + 1 : NULL;
    }
    int ok = servers != NULL && strlen(servers) < sizeof g.bootstrap;
    if (ok)
        set_bootstrap(servers);
    else
        fprintf(stderr, "AIS_TEST_STACK_ENV=%s names no usable KAFKA_BOOTSTRAP_SERVERS\n", env_file);
    free(text);
    g.shared = ok;
    return ok ? 0 : -1;
}

static int group_setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof g);
    g.tmp = ais_test_mkdtemp();
    g.config = ais_test_project_config(g.tmp, NULL);
    /* unique across runs on one broker: a pid is not reused within the same second */
    snprintf(g.prefix, sizeof g.prefix, "it%lld-%ld-", (long long)time(NULL), (long)getpid());
    snprintf(g.env_prefix, sizeof g.env_prefix, "KAFKA_TOPIC_PREFIX=%s", g.prefix);
    const char *shared = getenv("AIS_TEST_STACK_ENV");
    if (shared != NULL && shared[0] != '\0')
        return use_shared_broker(shared);

    if (system("command -v java >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP: java is not installed; the Kafka integration test needs it\n");
        return 0;
    }
    const char *home = getenv("HOME");
    size_t n = strlen(home != NULL ? home : "/root") + 8;
    g.home_env = malloc(n);
    snprintf(g.home_env, n, "HOME=%s", home != NULL ? home : "/root");

    /* a free port can be taken by someone else before the broker binds it: try a few */
    char *out = NULL, *err = NULL;
    int code = -1;
    for (int attempt = 0; attempt < 3 && code != 0; attempt++) {
        free(out);
        free(err);
        g.port = ais_test_free_port();
        char port[16], owner[16], servers[32];
        snprintf(servers, sizeof servers, "127.0.0.1:%d", g.port);
        set_bootstrap(servers);
        snprintf(port, sizeof port, "%d", g.port);
        snprintf(owner, sizeof owner, "%d", (int)getpid());
        const char *argv[] = {"/bin/bash", SCRIPT, "start", "--port", port, "--owner-pid",
                              owner, NULL};
        const char *env[] = {g.home_env, NULL};
        code = ais_test_run(argv, env, &out, &err);
        if (code != 0) {
            fprintf(stderr, "scripts/kafka.sh start on port %d failed (%d): %s\n", g.port, code,
                    err);
            const char *stop[] = {"/bin/bash", SCRIPT, "stop", "--port", port, "--purge", NULL};
            char *sout = NULL, *serr = NULL;
            ais_test_run(stop, NULL, &sout, &serr);
            free(sout);
            free(serr);
        }
    }
    if (code != 0) {
        fprintf(stderr, "scripts/kafka.sh start failed (%d):\n%s\n%s\n", code, out, err);
        free(out);
        free(err);
        return -1;
    }
    /* stdout is the bootstrap address */
    if (strncmp(out, g.bootstrap, strlen(g.bootstrap)) != 0) {
        fprintf(stderr, "unexpected bootstrap '%s'\n", out);
        free(out);
        free(err);
        return -1;
    }
    free(out);
    free(err);
    g.started = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g.started) {
        char port[16];
        snprintf(port, sizeof port, "%d", g.port);
        const char *argv[] = {"/bin/bash", SCRIPT, "stop", "--port", port, "--purge", NULL};
        char *out = NULL, *err = NULL;
        int code = ais_test_run(argv, NULL, &out, &err);
        if (code != 0)
            fprintf(stderr, "scripts/kafka.sh stop failed: %s\n", err);
        free(out);
        free(err);
    }
    if (g.tmp != NULL)
        ais_test_rm_rf(g.tmp);
    free(g.tmp);
    free(g.config);
    free(g.home_env);
    return 0;
}

static int need_broker(void)
{
    if (!g.started && !g.shared) {
        skip();
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* A consumer that reads a whole topic                                                        */

static rd_kafka_t *client(rd_kafka_type_t type)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", g.bootstrap, err, sizeof err),
                     RD_KAFKA_CONF_OK);
    if (type == RD_KAFKA_CONSUMER) {
        assert_int_equal(rd_kafka_conf_set(conf, "group.id", "ais-test-reader", err, sizeof err),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err),
                         RD_KAFKA_CONF_OK);
    }
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    assert_non_null(rk);
    return rk;
}

/* Every message of every partition of the topic the configuration calls name (this run's prefix
 * put in front), as [{"key":..., "value": <parsed JSON>, "partition": n}], read from the start up
 * to the high watermarks. */
static json_t *read_topic(const char *name)
{
    char buf[TOPIC_MAX];
    const char *topic = topic_name(buf, name);
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    assert_int_equal(rd_kafka_metadata(rk, 0, rkt, &md, TIMEOUT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(md->topic_cnt, 1);
    int partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    int64_t expected = 0;
    for (int p = 0; p < partitions; p++) {
        int64_t lo = 0, hi = 0;
        assert_int_equal(rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, TIMEOUT_MS),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        expected += hi - lo;
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    assert_int_equal(rd_kafka_assign(rk, list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);

    json_t *all = json_array();
    time_t deadline = time(NULL) + 30;
    while ((int64_t)json_array_size(all) < expected && time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            continue;
        }
        assert_int_equal(m->err, RD_KAFKA_RESP_ERR_NO_ERROR);
        json_error_t jerr;
        json_t *value = json_loadb(m->payload, m->len, 0, &jerr);
        assert_non_null(value);
        json_t *entry = json_pack("{s:s%, s:o, s:i}", "key", (const char *)m->key, m->key_len,
                                  "value", value, "partition", (int)m->partition);
        assert_non_null(entry);
        json_array_append_new(all, entry);
        rd_kafka_message_destroy(m);
    }
    assert_int_equal((int64_t)json_array_size(all), expected);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return all;
}

/* Creates a topic the ingest config does not know (named as a config would; this run's prefix
 * put in front), with topic-level settings. */
static void create_topic(const char *base, int partitions, const char *config_name,
                         const char *config_value)
{
    char buf[TOPIC_MAX];
    const char *name = topic_name(buf, base);
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER);
    char err[256];
    rd_kafka_NewTopic_t *t = rd_kafka_NewTopic_new(name, partitions, 1, err, sizeof err);
    assert_non_null(t);
    if (config_name != NULL)
        assert_int_equal(rd_kafka_NewTopic_set_config(t, config_name, config_value),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &t, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
    assert_non_null(ev);
    size_t cnt = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    assert_int_equal(cnt, 1);
    assert_int_equal(rd_kafka_topic_result_error(res[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(t);

    /* metadata reaches the broker's cache a moment after the controller created the topic */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, name, NULL);
    int visible = 0;
    for (int attempt = 0; attempt < 100 && !visible; attempt++) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 0, rkt, &md, TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            visible = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                      md->topics[0].partition_cnt == partitions;
            rd_kafka_metadata_destroy(md);
        }
        if (!visible)
            usleep(100 * 1000);
    }
    assert_true(visible);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

/* An event without the fields that differ between runs. */
static json_t *stable(const json_t *event)
{
    json_t *copy = json_deep_copy(event);
    json_object_del(copy, "ingest_time");
    json_object_del(copy, "trace");
    return copy;
}

/* ------------------------------------------------------------------------------------------ */

static void topics_are_created_and_checked(void **state)
{
    (void)state;
    if (!need_broker())
        return;
    const char *check[] = {AIS_INGEST_BIN, "topics", "--check", "--config", g.config, NULL};
    result r = run_ingest(check, NULL);
    assert_int_equal(r.code, 1); /* nothing exists yet */
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
    json_t *topics = json_object_get(r.summary, "topics");
    assert_int_equal(json_array_size(topics), 8);
    assert_string_equal(json_string_value(json_object_get(json_array_get(topics, 0), "outcome")),
                        "missing");
    result_free(&r);

    const char *create[] = {AIS_INGEST_BIN, "topics", "--create", "--config", g.config, NULL};
    r = run_ingest(create, NULL);
    assert_int_equal(r.code, 0);
    topics = json_object_get(r.summary, "topics");
    const char *names[] = {"weather_history", "openaq-hourly",      "sentinel5p-summary",
                           "maiac-summary",   "era5-files",         "weather-history-vc",
                           "weather-forecast", "ais-dlq"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        json_t *t = json_array_get(topics, i);
        char name[TOPIC_MAX];
        assert_string_equal(json_string_value(json_object_get(t, "name")),
                            topic_name(name, names[i]));
        assert_string_equal(json_string_value(json_object_get(t, "outcome")), "created");
        assert_int_equal(jint(t, "partitions", NULL), 3);
        assert_int_equal(jint(t, "replication_factor", NULL), 1);
    }
    result_free(&r);

    /* creating again changes nothing; checking finds everything as configured */
    r = run_ingest(create, NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r.summary, "topics"), 7), "outcome")),
                        "ok");
    result_free(&r);
    r = run_ingest(check, NULL);
    assert_int_equal(r.code, 0);
    result_free(&r);

    /* a topic with other partitions than configured is a mismatch */
    create_topic("openaq-one-partition", 1, NULL, NULL);
    char *project = ais_test_join(g.tmp, "mismatch");
    assert_int_equal(mkdir(project, 0755), 0);
    const char *repl[] = {"openaq: openaq-hourly", "openaq: openaq-one-partition", NULL};
    char *config = ais_test_project_config(project, repl);
    const char *check2[] = {AIS_INGEST_BIN, "topics", "--check", "--config", config, NULL};
    r = run_ingest(check2, NULL);
    assert_int_equal(r.code, 1);
    json_t *t = json_array_get(json_object_get(r.summary, "topics"), 1);
    assert_string_equal(json_string_value(json_object_get(t, "outcome")), "mismatch");
    assert_int_equal(jint(t, "partitions", NULL), 1);
    result_free(&r);
    free(config);
    free(project);
}

static void events_round_trip_with_their_keys(void **state)
{
    (void)state;
    if (!need_broker())
        return;
    char *states = ais_test_join(g.tmp, "state-roundtrip");
    char *landing = ais_test_join(g.tmp, "landing-roundtrip");
    const char *to_kafka[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--start",
                              "2026-10-01T00:00:00Z", "--end", "2026-10-02T00:00:00Z", "--sink",
                              "kafka", "--stations", "3", "--config", g.config, "--state-dir",
                              states, NULL};
    result r = run_ingest(to_kafka, NULL);
    if (r.code != 0)
        print_error("%s\n%s\n", r.out, r.err);
    assert_int_equal(r.code, 0);
    assert_int_equal(jint(r.summary, "events_written", NULL), 72);
    assert_int_equal(jint(r.summary, "kafka", "produced"), 72);
    assert_int_equal(jint(r.summary, "kafka", "delivered"), 72);
    assert_int_equal(jint(r.summary, "kafka", "delivery_failed"), 0);
    assert_int_equal(jint(r.summary, "kafka", "lost"), 0);
    json_t *parts = json_object_get(json_object_get(r.summary, "kafka"), "partitions");
    json_int_t sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(parts, k, v) sum += json_integer_value(v);
    assert_int_equal(sum, 72);
    result_free(&r);

    /* the same window into landing files: the reference payloads */
    const char *to_landing[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--start",
                                "2026-10-01T00:00:00Z", "--end", "2026-10-02T00:00:00Z",
                                "--sink", "landing", "--landing-dir", landing, "--stations", "3",
                                "--config", g.config, "--state-dir", states, NULL};
    r = run_ingest(to_landing, NULL);
    assert_int_equal(r.code, 0);
    result_free(&r);
    char name[TOPIC_MAX];
    char *topic_dir = ais_test_join(landing, topic_name(name, "openaq-hourly"));
    json_t *landed = ais_test_read_landing(topic_dir);
    json_t *by_id = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(landed, i, ev)
        json_object_set_new(by_id, json_string_value(json_object_get(ev, "event_id")), stable(ev));

    json_t *msgs = read_topic("openaq-hourly");
    assert_int_equal(json_array_size(msgs), 72);
    json_t *m;
    json_array_foreach(msgs, i, m) {
        const char *key = json_string_value(json_object_get(m, "key"));
        json_t *value = json_object_get(m, "value");
        assert_string_equal(key, json_string_value(json_object_get(value, "event_id")));
        json_t *s = stable(value);
        json_t *expected = json_object_get(by_id, key);
        assert_non_null(expected);
        if (!json_equal(s, expected)) {
            char *a = json_dumps(s, JSON_SORT_KEYS), *b = json_dumps(expected, JSON_SORT_KEYS);
            print_error("kafka %s\nlanding %s\n", a, b);
            free(a);
            free(b);
            fail();
        }
        json_decref(s);
    }

    /* a rerun of the same window: the same 72 keys again, each now twice */
    r = run_ingest(to_kafka, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(jint(r.summary, "kafka", "delivered"), 72);
    result_free(&r);
    json_t *again = read_topic("openaq-hourly");
    assert_int_equal(json_array_size(again), 144);
    json_t *counts = json_object();
    json_array_foreach(again, i, m) {
        const char *key = json_string_value(json_object_get(m, "key"));
        json_t *c = json_object_get(counts, key);
        json_object_set_new(counts, key, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    assert_int_equal(json_object_size(counts), 72);
    json_object_foreach(counts, k, v) {
        assert_non_null(json_object_get(by_id, k));
        assert_int_equal(json_integer_value(v), 2);
    }

    /* without --start the run continues where the last kafka run ended */
    const char *next[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--end",
                          "2026-10-02T06:00:00Z", "--sink", "kafka", "--stations", "3",
                          "--config", g.config, "--state-dir", states, NULL};
    r = run_ingest(next, NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(json_string_value(json_object_get(r.summary, "window_from")), "state");
    assert_string_equal(json_string_value(json_object_get(r.summary, "window_start_utc")),
                        "2026-10-02T00:00:00Z");
    assert_int_equal(jint(r.summary, "events_written", NULL), 18);
    result_free(&r);

    /* weather events keyed by their natural key */
    const char *weather[] = {AIS_INGEST_BIN, "weather", "--mode", "simulate", "--start",
                             "2026-10-01T00:00:00Z", "--end", "2026-10-01T12:00:00Z", "--sink",
                             "kafka", "--provinces", "2", "--config", g.config, "--state-dir",
                             states, NULL};
    r = run_ingest(weather, NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(jint(r.summary, "events_written", NULL), 24);
    result_free(&r);
    json_t *wx = read_topic("weather_history");
    assert_int_equal(json_array_size(wx), 24);
    int hanoi_7am = 0;
    json_array_foreach(wx, i, m) {
        const char *key = json_string_value(json_object_get(m, "key"));
        json_t *value = json_object_get(m, "value");
        assert_string_equal(key, json_string_value(json_object_get(value, "event_id")));
        if (strcmp(key, "weather_ha_noi_2026-10-01T07:00") == 0) {
            hanoi_7am = 1;
            assert_string_equal(json_string_value(json_object_get(value, "event_time")),
                                "2026-10-01T00:00:00Z");
            assert_string_equal(json_string_value(json_object_get(value, "province")), "Ha Noi");
            assert_string_equal(json_string_value(json_object_get(value, "source")), "simulated");
        }
    }
    assert_true(hanoi_7am);

    json_decref(wx);
    json_decref(counts);
    json_decref(again);
    json_decref(msgs);
    json_decref(by_id);
    json_decref(landed);
    free(topic_dir);
    free(landing);
    free(states);
}

/* The three gridded sources (simulate) through the same Kafka sink: every event on its topic,
 * keyed by its event_id, the same payload as the landing sink writes for the same window. */
static void gridded_events_round_trip(void **state)
{
    (void)state;
    if (!need_broker())
        return;
    static const struct {
        const char *source, *topic, *end;
        size_t events; /* per source and window: products x days, granules, files x days */
    } cases[] = {{"sentinel5p", "sentinel5p-summary", "2026-10-02T00:00:00Z", 5},
                 {"maiac", "maiac-summary", "2026-10-03T00:00:00Z", 2},
                 {"era5", "era5-files", "2026-10-02T00:00:00Z", 2}};
    char *states = ais_test_join(g.tmp, "state-gridded");
    char *landing = ais_test_join(g.tmp, "landing-gridded");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *to_kafka[] = {AIS_INGEST_BIN, cases[c].source, "--mode", "simulate", "--start",
                                  "2026-10-01T00:00:00Z", "--end", cases[c].end, "--sink", "kafka",
                                  "--config", g.config, "--state-dir", states, NULL};
        result r = run_ingest(to_kafka, NULL);
        if (r.code != 0)
            print_error("%s\n%s\n", r.out, r.err);
        assert_int_equal(r.code, 0);
        assert_int_equal(jint(r.summary, "events_written", NULL), (json_int_t)cases[c].events);
        assert_int_equal(jint(r.summary, "kafka", "delivered"), (json_int_t)cases[c].events);
        assert_int_equal(jint(r.summary, "kafka", "delivery_failed"), 0);
        result_free(&r);
        const char *to_landing[] = {AIS_INGEST_BIN, cases[c].source, "--mode", "simulate",
                                    "--start", "2026-10-01T00:00:00Z", "--end", cases[c].end,
                                    "--sink", "landing", "--landing-dir", landing, "--config",
                                    g.config, "--state-dir", states, NULL};
        r = run_ingest(to_landing, NULL);
        assert_int_equal(r.code, 0);
        result_free(&r);

        char name[TOPIC_MAX];
        char *topic_dir = ais_test_join(landing, topic_name(name, cases[c].topic));
        json_t *landed = ais_test_read_landing(topic_dir);
        assert_int_equal(json_array_size(landed), cases[c].events);
        json_t *by_id = json_object();
        size_t i;
        json_t *ev;
        json_array_foreach(landed, i, ev) {
            assert_string_equal(json_string_value(json_object_get(ev, "source")), "simulated");
            json_object_set_new(by_id, json_string_value(json_object_get(ev, "event_id")),
                                stable(ev));
        }
        json_t *msgs = read_topic(cases[c].topic);
        assert_int_equal(json_array_size(msgs), cases[c].events);
        json_array_foreach(msgs, i, ev) {
            const char *key = json_string_value(json_object_get(ev, "key"));
            json_t *value = stable(json_object_get(ev, "value"));
            assert_string_equal(key, json_string_value(json_object_get(value, "event_id")));
            json_t *expected = json_object_get(by_id, key);
            assert_non_null(expected);
            assert_true(json_equal(value, expected));
            json_decref(value);
        }
        json_decref(msgs);
        json_decref(by_id);
        json_decref(landed);
        free(topic_dir);
    }
    free(landing);
    free(states);
}

static json_t *dead_letters_with(const char *reason)
{
    json_t *all = read_topic("ais-dlq");
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m) {
        json_t *value = json_object_get(m, "value");
        assert_string_equal(json_string_value(json_object_get(m, "key")),
                            json_string_value(json_object_get(value, "dlq_id")));
        if (strcmp(json_string_value(json_object_get(value, "reason")), reason) == 0)
            json_array_append(out, value);
    }
    json_decref(all);
    return out;
}

static void refused_events_go_to_the_dead_letters(void **state)
{
    (void)state;
    if (!need_broker())
        return;
    /* the broker refuses any message over 300 bytes on this topic; an event is ~700 */
    create_topic("openaq-tiny", 1, "max.message.bytes", "300");
    char *project = ais_test_join(g.tmp, "tiny");
    assert_int_equal(mkdir(project, 0755), 0);
    const char *repl[] = {"openaq: openaq-hourly", "openaq: openaq-tiny", NULL};
    char *config = ais_test_project_config(project, repl);
    char *states = ais_test_join(project, "state");
    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--start",
                          "2026-10-05T00:00:00Z", "--end", "2026-10-05T02:00:00Z", "--sink",
                          "kafka", "--stations", "2", "--kafka-timeout-ms", "5000", "--config",
                          config, "--state-dir", states, NULL};
    result r = run_ingest(argv, NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
    assert_int_equal(jint(r.summary, "events_written", NULL), 0);
    assert_int_equal(jint(r.summary, "kafka", "produced"), 4);
    assert_int_equal(jint(r.summary, "kafka", "delivery_failed"), 4);
    assert_int_equal(jint(r.summary, "kafka", "dead_letters_delivered"), 4);
    assert_int_equal(jint(r.summary, "kafka", "lost"), 0);
    char tiny[TOPIC_MAX], expected[256];
    topic_name(tiny, "openaq-tiny");
    snprintf(expected, sizeof expected, "4 of 4 events were not delivered to topic '%s'", tiny);
    assert_non_null(strstr(json_string_value(json_object_get(r.summary, "error")), expected));
    result_free(&r);

    /* the window was not recorded: a rerun without --start has nowhere to continue from */
    char *state_file = ais_test_join(states, "openaq.json");
    assert_int_equal(access(state_file, F_OK), -1);

    json_t *dl = dead_letters_with("delivery_failed");
    assert_int_equal(json_array_size(dl), 4);
    size_t i;
    json_t *rec;
    json_array_foreach(dl, i, rec) {
        assert_string_equal(json_string_value(json_object_get(rec, "source")), "simulated");
        assert_string_equal(json_string_value(json_object_get(rec, "source_topic")), tiny);
        const char *event_id = json_string_value(json_object_get(rec, "event_id"));
        assert_non_null(strstr(event_id, "openaq_90000"));
        json_error_t jerr;
        json_t *event = json_loads(json_string_value(json_object_get(rec, "raw")), 0, &jerr);
        assert_non_null(event);
        assert_string_equal(json_string_value(json_object_get(event, "event_id")), event_id);
        json_decref(event);
        assert_non_null(strstr(json_string_value(json_object_get(rec, "detail")), "too large"));
    }
    json_decref(dl);
    free(state_file);
    free(states);
    free(config);
    free(project);
}

static void bad_input_goes_to_the_dead_letters(void **state)
{
    (void)state;
    if (!need_broker())
        return;
    char *dir = ais_test_join(g.tmp, "wx-bad");
    char *province = ais_test_join(dir, "Ha_Noi");
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(province, 0755), 0);
    char *file = ais_test_join(province, "2025-01-01.json");
    ais_test_write_file(file, "{\"location\": {\"lat\": 21.0, \"lon\": 105.8,");
    char *states = ais_test_join(dir, "state");
    const char *argv[] = {AIS_INGEST_BIN, "weather", "--mode", "replay", "--replay-dir", dir,
                          "--start", "2025-01-01", "--end", "2025-01-02", "--sink", "kafka",
                          "--config", g.config, "--state-dir", states, NULL};
    result r = run_ingest(argv, NULL);
    assert_int_equal(r.code, 0); /* bad input is data quality, not a failed run */
    assert_int_equal(jint(r.summary, "events_rejected", NULL), 1);
    assert_int_equal(jint(r.summary, "rejected_by_reason", "malformed_json"), 1);
    assert_int_equal(jint(r.summary, "dead_letters_written", NULL), 1);
    result_free(&r);
    json_t *dl = dead_letters_with("malformed_json");
    assert_int_equal(json_array_size(dl), 1);
    json_t *rec = json_array_get(dl, 0);
    assert_string_equal(json_string_value(json_object_get(rec, "file")), file);
    assert_string_equal(json_string_value(json_object_get(rec, "source")), "weatherapi");
    char weather[TOPIC_MAX];
    assert_string_equal(json_string_value(json_object_get(rec, "source_topic")),
                        topic_name(weather, "weather_history"));
    json_decref(dl);
    free(states);
    free(file);
    free(province);
    free(dir);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void unreachable_broker_and_missing_topic_fail_fast(void **state)
{
    (void)state;
    if (!need_broker())
        return;
    char *states = ais_test_join(g.tmp, "state-fail");
    char env[64];
    snprintf(env, sizeof env, "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:%d", ais_test_free_port());
    const char *argv[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--start",
                          "2026-10-05T00:00:00Z", "--end", "2026-10-05T02:00:00Z", "--sink",
                          "kafka", "--kafka-timeout-ms", "2000", "--config", g.config,
                          "--state-dir", states, NULL};
    const char *child_env[] = {env, g.env_prefix, NULL};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *out = NULL, *err = NULL;
    int code = ais_test_run(argv, child_env, &out, &err);
    double took = seconds_since(&t0);
    assert_int_equal(code, 1);
    json_t *summary = json_loads(out, 0, NULL);
    assert_non_null(summary);
    const char *error = json_string_value(json_object_get(summary, "error"));
    char name[TOPIC_MAX], expected[256];
    snprintf(expected, sizeof expected, "cannot get metadata for topic '%s'",
             topic_name(name, "openaq-hourly"));
    assert_non_null(strstr(error, expected));
    assert_true(took < 10.0 * AIS_TEST_TIME_FACTOR);
    json_decref(summary);
    free(out);
    free(err);

    char *project = ais_test_join(g.tmp, "missing");
    assert_int_equal(mkdir(project, 0755), 0);
    const char *repl[] = {"openaq: openaq-hourly", "openaq: no-such-topic", NULL};
    char *config = ais_test_project_config(project, repl);
    const char *argv2[] = {AIS_INGEST_BIN, "openaq", "--mode", "simulate", "--start",
                           "2026-10-05T00:00:00Z", "--end", "2026-10-05T02:00:00Z", "--sink",
                           "kafka", "--config", config, "--state-dir", states, NULL};
    result r = run_ingest(argv2, NULL);
    assert_int_equal(r.code, 1);
    snprintf(expected, sizeof expected,
             "topic '%s' does not exist (create the topics with `ais-ingest topics --create`)",
             topic_name(name, "no-such-topic"));
    assert_string_equal(json_string_value(json_object_get(r.summary, "error")), expected);
    result_free(&r);
    free(config);
    free(project);
    free(states);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(topics_are_created_and_checked),
        cmocka_unit_test(events_round_trip_with_their_keys),
        cmocka_unit_test(gridded_events_round_trip),
        cmocka_unit_test(refused_events_go_to_the_dead_letters),
        cmocka_unit_test(bad_input_goes_to_the_dead_letters),
        cmocka_unit_test(unreachable_broker_and_missing_topic_fail_fast),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
