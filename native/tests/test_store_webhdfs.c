/* The shared store on HDFS through WebHDFS (ais/store.h) against the loopback fixture server's
 * HAND-MADE WebHDFS emulation (fixtures/http_server.py, /webhdfs/<scenario>/v1/...): the
 * protocol steps, the same-length skip, replacement, retries after a 500, a 403 with its
 * RemoteException, a server that stays down, a refused connection and a rename race. The same
 * code against a real NameNode was checked by hand (native/README.md, "Raw files on the shared
 * store"); no ctest starts HDFS. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/http.h"
#include "ais/store.h"
#include "http_fixture.h"

static ais_fixture_server server;
static ais_http_client *http;
static char *tmp;

static int setup(void **state)
{
    (void)state;
    ais_fixture_start(&server, NULL, NULL);
    ais_http_options o = {.connect_timeout_ms = 2000,
                          .total_timeout_ms = 10000,
                          .max_attempts = 3,
                          .backoff_initial_ms = 20,
                          .backoff_max_ms = 50,
                          .retry_after_max_seconds = 5,
                          .max_response_bytes = 1 << 20,
                          .max_download_bytes = 1 << 20};
    assert_int_equal(ais_http_client_new(&o, NULL, &http), AIS_OK);
    tmp = ais_test_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_http_client_free(http);
    ais_fixture_stop(&server);
    ais_test_rm_rf(tmp);
    free(tmp);
    return 0;
}

static char *local_file(const char *name, size_t n, unsigned seed)
{
    char *path = ais_test_join(tmp, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)((i * 131u + seed) & 0xff), f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void assert_same_bytes(const char *local, const char *body, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = fopen(local, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = (size_t)ftell(f);
    rewind(f);
    text = malloc(n + 1);
    assert_int_equal(fread(text, 1, n, f), n);
    fclose(f);
    assert_int_equal(len, n);
    assert_memory_equal(text, body, n);
    free(text);
}

static ais_store_options opts_for(const char *scenario, char *base, size_t size)
{
    snprintf(base, size, "%s/webhdfs/%s/v1/", server.base, scenario); /* a trailing slash too */
    ais_store_options o = {.webhdfs_base = base, .http = http};
    return o;
}

/* the bytes at an HDFS path of a scenario, read back with OPEN (its 307 followed; again
 * after each 500 of the flaky scenario) */
static long open_file(const char *scenario, const char *path, char **body, size_t *len)
{
    char url[512];
    snprintf(url, sizeof url, "/webhdfs/%s/v1%s?op=OPEN", scenario, path);
    long status = ais_fixture_get(&server, url, body, len);
    for (int retry = 0; status == 500 && retry < 2; retry++) { /* NameNode, then DataNode */
        free(*body);
        status = ais_fixture_get(&server, url, body, len);
    }
    return status;
}

/* names in an HDFS folder of a scenario */
static json_t *list_names(const char *scenario, const char *path)
{
    char url[512], *body = NULL;
    size_t len = 0;
    snprintf(url, sizeof url, "/webhdfs/%s/v1%s?op=LISTSTATUS", scenario, path);
    assert_int_equal(ais_fixture_get(&server, url, &body, &len), 200);
    json_t *root = json_loads(body, 0, NULL), *names = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(json_object_get(root, "FileStatuses"), "FileStatus"), i, e)
        json_array_append(names, json_object_get(e, "pathSuffix"));
    json_decref(root);
    free(body);
    return names;
}

/* "<method> <op>" of each WebHDFS exchange of a scenario since index from */
static json_t *ops_since(const char *scenario, size_t from)
{
    char nn[64], dn[64];
    snprintf(nn, sizeof nn, "/webhdfs/%s/", scenario);
    snprintf(dn, sizeof dn, "/webhdfs-dn/%s/", scenario);
    json_t *log = ais_fixture_log(&server), *out = json_array();
    size_t i;
    json_t *e;
    size_t k = 0;
    json_array_foreach(log, i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        bool is_dn = strncmp(path, dn, strlen(dn)) == 0;
        if (strncmp(path, nn, strlen(nn)) != 0 && !is_dn)
            continue;
        if (k++ < from)
            continue;
        const char *query = json_string_value(json_object_get(e, "query"));
        const char *op = strstr(query, "op=");
        char line[96];
        snprintf(line, sizeof line, "%s%s %.*s", is_dn ? "dn " : "",
                 json_string_value(json_object_get(e, "method")),
                 op != NULL ? (int)strcspn(op + 3, "&") : 0, op != NULL ? op + 3 : "");
        json_array_append_new(out, json_string(line));
        /* no user.name is sent (the NameNode's static user applies) */
        assert_null(strstr(query, "user.name"));
    }
    json_decref(log);
    return out;
}

static size_t ops_count(const char *scenario)
{
    json_t *all = ops_since(scenario, 0);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

static void assert_ops(json_t *ops, const char *const *expected)
{
    size_t n = 0;
    while (expected[n] != NULL)
        n++;
    if (json_array_size(ops) != n) {
        char *text = json_dumps(ops, 0);
        print_error("WebHDFS exchanges: %s\n", text);
        free(text);
    }
    assert_int_equal(json_array_size(ops), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(ops, i)), expected[i]);
}

/* ------------------------------------------------------------------------------------------ */

static void put_creates_through_a_datanode_and_renames(void **state)
{
    (void)state;
    char base[256], err[1024] = "";
    ais_store_options o = opts_for("ok", base, sizeof base);
    char *src = local_file("era5_single_levels_20170101.grib", 300000, 1);
    const char *uri = "hdfs://127.0.0.1:8020/ais/raw/era5/2017/01/01/era5_single_levels_20170101.grib";
    ais_store_put_result res;
    size_t before = ops_count("ok");
    assert_int_equal(ais_store_put_file(&o, src, uri, &res, err, sizeof err), AIS_OK);
    assert_int_equal(res.bytes, 300000);
    assert_false(res.skipped);
    json_t *ops = ops_since("ok", before);
    const char *expected[] = {"GET GETFILESTATUS", "PUT MKDIRS", "PUT CREATE", "dn PUT CREATE",
                              "PUT RENAME", NULL};
    assert_ops(ops, expected);
    json_decref(ops);
    /* the bytes are there, and only the target is in the folder */
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(open_file("ok", "/ais/raw/era5/2017/01/01/era5_single_levels_20170101.grib",
                               &body, &len),
                     200);
    assert_same_bytes(src, body, len);
    free(body);
    json_t *names = list_names("ok", "/ais/raw/era5/2017/01/01");
    assert_int_equal(json_array_size(names), 1);
    assert_string_equal(json_string_value(json_array_get(names, 0)),
                        "era5_single_levels_20170101.grib");
    json_decref(names);
    /* the upload went as an octet stream, without an Expect: 100-continue round trip; the
     * temporary was a hidden name beside the target */
    json_t *log = ais_fixture_log_under(&server, "/webhdfs-dn/ok/"), *put = NULL, *e;
    size_t i;
    json_array_foreach(log, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "method")), "PUT") == 0)
            put = e;
    }
    assert_non_null(put);
    assert_string_equal(json_string_value(json_object_get(put, "content_type")),
                        "application/octet-stream");
    assert_true(json_is_null(json_object_get(put, "expect")));
    assert_int_equal(json_integer_value(json_object_get(put, "body_len")), 300000);
    const char *path = json_string_value(json_object_get(put, "path"));
    assert_non_null(strstr(path, "/ais/raw/era5/2017/01/01/.era5_single_levels_20170101.grib."));
    assert_int_equal(strcmp(path + strlen(path) - 4, ".tmp"), 0);
    json_decref(log);
    free(src);
}

static void same_length_is_skipped_and_a_new_length_replaces(void **state)
{
    (void)state;
    char base[256], err[1024] = "";
    ais_store_options o = opts_for("ok", base, sizeof base);
    char *first = local_file("a b.hdf", 5000, 2);
    const char *uri = "hdfs://nn:8020/raw/maiac/2026/03/29/a%20b.hdf";
    ais_store_put_result res;
    assert_int_equal(ais_store_put_file(&o, first, uri, &res, err, sizeof err), AIS_OK);
    /* again: the target has that length already */
    size_t before = ops_count("ok");
    assert_int_equal(ais_store_put_file(&o, first, uri, &res, err, sizeof err), AIS_OK);
    assert_true(res.skipped);
    assert_int_equal(res.bytes, 5000);
    json_t *ops = ops_since("ok", before);
    const char *only_status[] = {"GET GETFILESTATUS", NULL};
    assert_ops(ops, only_status);
    json_decref(ops);
    /* another length: uploaded beside it, the old one deleted, the new one renamed in */
    char *second = local_file("second.hdf", 7000, 3);
    before = ops_count("ok");
    assert_int_equal(ais_store_put_file(&o, second, uri, &res, err, sizeof err), AIS_OK);
    assert_false(res.skipped);
    ops = ops_since("ok", before);
    const char *replace[] = {"GET GETFILESTATUS", "PUT MKDIRS", "PUT CREATE", "dn PUT CREATE",
                             "DELETE DELETE", "PUT RENAME", NULL};
    assert_ops(ops, replace);
    json_decref(ops);
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(open_file("ok", "/raw/maiac/2026/03/29/a%20b.hdf", &body, &len), 200);
    assert_same_bytes(second, body, len);
    free(body);
    json_t *names = list_names("ok", "/raw/maiac/2026/03/29");
    assert_int_equal(json_array_size(names), 1);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "a b.hdf");
    json_decref(names);
    free(first);
    free(second);
}

static void a_500_is_retried(void **state)
{
    (void)state;
    char base[256], err[1024] = "";
    ais_store_options o = opts_for("flaky", base, sizeof base);
    char *src = local_file("flaky.nc", 10000, 4);
    ais_http_stats before, after;
    ais_http_client_stats(http, &before);
    assert_int_equal(ais_store_put_file(&o, src, "hdfs://nn:8020/raw/s5p/flaky.nc", NULL, err,
                                        sizeof err),
                     AIS_OK);
    ais_http_client_stats(http, &after);
    /* each of the five exchanges answered 500 once */
    assert_int_equal(after.retries - before.retries, 5);
    json_t *ops = ops_since("flaky", 0);
    const char *expected[] = {"GET GETFILESTATUS", "GET GETFILESTATUS", "PUT MKDIRS", "PUT MKDIRS",
                              "PUT CREATE", "PUT CREATE", "dn PUT CREATE", "dn PUT CREATE",
                              "PUT RENAME", "PUT RENAME", NULL};
    assert_ops(ops, expected);
    json_decref(ops);
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(open_file("flaky", "/raw/s5p/flaky.nc", &body, &len), 200);
    assert_same_bytes(src, body, len);
    free(body);
    free(src);
}

static void a_403_names_the_uri_and_the_server_message(void **state)
{
    (void)state;
    char base[256], err[1024] = "";
    ais_store_options o = opts_for("forbidden", base, sizeof base);
    char *src = local_file("denied.grib", 100, 5);
    const char *uri = "hdfs://nn:8020/raw/era5/denied.grib";
    assert_int_equal(ais_store_put_file(&o, src, uri, NULL, err, sizeof err), AIS_ERR_HTTP);
    assert_non_null(strstr(err, uri));
    assert_non_null(strstr(err, src));
    assert_non_null(strstr(err, "MKDIRS of /raw/era5"));
    assert_non_null(strstr(err, "AccessControlException: hand-made: Permission denied"));
    assert_non_null(strstr(err, "HTTP 403"));
    /* not retried, nothing created */
    json_t *ops = ops_since("forbidden", 0);
    const char *expected[] = {"GET GETFILESTATUS", "PUT MKDIRS", NULL};
    assert_ops(ops, expected);
    json_decref(ops);
    free(src);
}

static void a_server_that_stays_down_fails_after_the_retries(void **state)
{
    (void)state;
    char base[256], err[1024] = "";
    ais_store_options o = opts_for("down", base, sizeof base);
    char *src = local_file("down.grib", 100, 6);
    assert_int_equal(ais_store_put_file(&o, src, "hdfs://nn:8020/raw/down.grib", NULL, err,
                                        sizeof err),
                     AIS_ERR_HTTP);
    assert_non_null(strstr(err, "hdfs://nn:8020/raw/down.grib"));
    assert_non_null(strstr(err, "GETFILESTATUS"));
    assert_non_null(strstr(err, "RetriableException: hand-made: the NameNode is not ready"));
    assert_non_null(strstr(err, "after 3 attempts"));
    free(src);
}

static void a_refused_connection_is_a_clear_error(void **state)
{
    (void)state;
    char base[128], err[1024] = "";
    snprintf(base, sizeof base, "http://127.0.0.1:%d/webhdfs/v1", ais_test_free_port());
    ais_store_options o = {.webhdfs_base = base, .http = http};
    char *src = local_file("refused.grib", 100, 7);
    assert_int_equal(ais_store_put_file(&o, src, "hdfs://nn:8020/raw/refused.grib", NULL, err,
                                        sizeof err),
                     AIS_ERR_HTTP);
    assert_non_null(strstr(err, "hdfs://nn:8020/raw/refused.grib"));
    assert_non_null(strstr(err, base));
    assert_non_null(strstr(err, "after 3 attempts"));
    assert_true(strstr(err, "onnect") != NULL); /* curl's "Couldn't connect" / "Connection refused" */
    free(src);
}

static void a_target_created_meanwhile_is_replaced(void **state)
{
    (void)state;
    char base[256], err[1024] = "";
    ais_store_options o = opts_for("race", base, sizeof base);
    char *src = local_file("race.nc", 4096, 8);
    assert_int_equal(ais_store_put_file(&o, src, "hdfs://nn:8020/raw/race.nc", NULL, err,
                                        sizeof err),
                     AIS_OK);
    json_t *ops = ops_since("race", 0);
    const char *expected[] = {"GET GETFILESTATUS", "PUT MKDIRS", "PUT CREATE", "dn PUT CREATE",
                              "PUT RENAME", "DELETE DELETE", "PUT RENAME", NULL};
    assert_ops(ops, expected);
    json_decref(ops);
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(open_file("race", "/raw/race.nc", &body, &len), 200);
    assert_same_bytes(src, body, len);
    free(body);
    json_t *names = list_names("race", "/raw");
    assert_int_equal(json_array_size(names), 1);
    json_decref(names);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_creates_through_a_datanode_and_renames),
        cmocka_unit_test(same_length_is_skipped_and_a_new_length_replaces),
        cmocka_unit_test(a_500_is_retried),
        cmocka_unit_test(a_403_names_the_uri_and_the_server_message),
        cmocka_unit_test(a_server_that_stays_down_fails_after_the_retries),
        cmocka_unit_test(a_refused_connection_is_a_clear_error),
        cmocka_unit_test(a_target_created_meanwhile_is_replaced),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
