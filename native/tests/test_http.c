/* The HTTP client (ais/http.h): pure helpers, and every retry rule against the loopback fixture
 * server's generic routes (fixtures/http_server.py, /http/...). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ais/http.h"
#include "http_fixture.h"

static ais_fixture_server server;

static int setup(void **state)
{
    (void)state;
    ais_fixture_start(&server, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_fixture_stop(&server);
    return 0;
}

static ais_http_options test_options(void)
{
    ais_http_options o = {.connect_timeout_ms = 2000,
                          .total_timeout_ms = 1000,
                          .max_attempts = 3,
                          .backoff_initial_ms = 20,
                          .backoff_max_ms = 50,
                          .retry_after_max_seconds = 5,
                          .max_response_bytes = 4096,
                          .max_download_bytes = 1 << 20};
    return o;
}

static ais_http_client *client_with(const ais_http_options *o)
{
    ais_http_client *c = NULL;
    assert_int_equal(ais_http_client_new(o, NULL, &c), AIS_OK);
    return c;
}

static char *url_of(const char *path)
{
    char *u = malloc(256);
    snprintf(u, 256, "%s%s", server.base, path);
    return u;
}

/* ------------------------------------------------------------------------------------------ */

static void redaction_hides_keys_and_secrets(void **state)
{
    (void)state;
    char out[256];
    ais_http_redact_url("https://h/v1/history.json?key=abc123&q=21.0,105.8&dt=2025-01-01", NULL,
                        out, sizeof out);
    assert_string_equal(out, "https://h/v1/history.json?key=***&q=21.0,105.8&dt=2025-01-01");
    ais_http_redact_url("https://h/a?Token=t1&x=1&api_key=k&password=p", NULL, out, sizeof out);
    assert_string_equal(out, "https://h/a?Token=***&x=1&api_key=***&password=***");
    const char *secrets[] = {"s3cr3t", NULL};
    ais_http_redact_url("https://h/files/s3cr3t/x?y=s3cr3t", secrets, out, sizeof out);
    assert_string_equal(out, "https://h/files/***/x?y=***");
    ais_http_redact_url("https://h/a?key=abcdefgh", NULL, out, 12);
    assert_string_equal(out, "https://h/a");
}

static void retry_after_seconds_and_dates(void **state)
{
    (void)state;
    long s = -1;
    assert_int_equal(ais_http_parse_retry_after("120", 0, &s), AIS_OK);
    assert_int_equal(s, 120);
    assert_int_equal(ais_http_parse_retry_after(" 7 ", 0, &s), AIS_OK);
    assert_int_equal(s, 7);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    assert_int_equal(ais_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30,
                                                &s), AIS_OK);
    assert_int_equal(s, 30);
    assert_int_equal(ais_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30,
                                                &s), AIS_OK);
    assert_int_equal(s, 0);
    assert_int_equal(ais_http_parse_retry_after("soon", 0, &s), AIS_ERR_PARSE);
    assert_int_equal(ais_http_parse_retry_after("12abc", 0, &s), AIS_ERR_PARSE);
}

static void url_encoding(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ais_http_url_encode("2025-01-01T00:00:00Z", out, sizeof out), AIS_OK);
    assert_string_equal(out, "2025-01-01T00%3A00%3A00Z");
    assert_int_equal(ais_http_url_encode("a b/c+d~", out, sizeof out), AIS_OK);
    assert_string_equal(out, "a%20b%2Fc%2Bd~");
    assert_int_equal(ais_http_url_encode("::::", out, 8), AIS_ERR_RANGE);
}

static void options_from_config(void **state)
{
    (void)state;
    char *cfgpath = ais_test_repo_config();
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(cfgpath, &cfg), AIS_OK);
    ais_http_options o;
    char err[256];
    assert_int_equal(ais_http_options_from_config(cfg, &o, err, sizeof err), AIS_OK);
    assert_int_equal(o.connect_timeout_ms, 10000);
    assert_int_equal(o.total_timeout_ms, 120000);
    assert_int_equal(o.max_attempts, 5);
    assert_int_equal(o.retry_after_max_seconds, 300);
    assert_int_equal(o.max_response_bytes, 64u * 1024u * 1024u);
    ais_config_free(cfg);
    free(cfgpath);
}

/* ------------------------------------------------------------------------------------------ */

static void server_error_then_success(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/flaky/a?fail=2&code=503");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.attempts, 3);
    assert_string_equal(resp.body, "{\"attempt\": 3}");
    ais_http_stats st;
    ais_http_client_stats(c, &st);
    assert_int_equal(st.retries, 2);
    assert_int_equal(st.requests, 1);
    ais_http_response_free(&resp);
    free(url);
    ais_http_client_free(c);
}

static void persistent_server_error_gives_up(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/status/502?key=hidden-key");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_int_equal(resp.status, 502);
    assert_int_equal(resp.attempts, 3);
    assert_non_null(strstr(err, "HTTP 502 after 3 attempts"));
    assert_non_null(strstr(err, "/http/status/502?key=***"));
    assert_null(strstr(err, "hidden-key"));
    ais_http_response_free(&resp);
    free(url);
    ais_http_client_free(c);
}

/* Other 4xx are final: one attempt, the body kept for the dead letter. */
static void client_error_is_not_retried(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/status/404");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_int_equal(resp.status, 404);
    assert_int_equal(resp.attempts, 1);
    assert_true(ais_http_status_is_final_client_error(resp.status));
    assert_false(ais_http_status_is_final_client_error(429));
    assert_string_equal(resp.body, "{\"status\": 404}");
    assert_non_null(strstr(err, "HTTP 404, not retryable (attempt 1)"));
    ais_http_response_free(&resp);
    free(url);
    ais_http_client_free(c);
}

static double request_gap(const char *path)
{
    json_t *log = ais_fixture_log_under(&server, path);
    assert_int_equal(json_array_size(log), 2);
    double gap = json_number_value(json_object_get(json_array_get(log, 1), "t")) -
                 json_number_value(json_object_get(json_array_get(log, 0), "t"));
    json_decref(log);
    return gap;
}

static void rate_limit_honours_retry_after(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/retry-after/a?value=1");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.attempts, 2);
    assert_true(request_gap("/http/retry-after/a") >= 0.9);
    ais_http_response_free(&resp);
    free(url);

    /* a Retry-After longer than retry_after_max_seconds waits only the cap (1 s here) */
    o.retry_after_max_seconds = 1;
    ais_http_client *capped = client_with(&o);
    url = url_of("/http/retry-after/b?value=3600");
    req.url = url;
    assert_int_equal(ais_http_send(capped, &req, &resp, err, sizeof err), AIS_OK);
    double gap = request_gap("/http/retry-after/b");
    assert_true(gap >= 0.9);
    assert_true(gap < 60.0); /* not the hour the server asked for */
    ais_http_response_free(&resp);
    free(url);
    ais_http_client_free(capped);
    ais_http_client_free(c);
}

static void slow_response_times_out(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    o.total_timeout_ms = 300;
    o.max_attempts = 2;
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/slow?ms=2000");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_int_equal(resp.status, 0);
    assert_int_equal(resp.attempts, 2);
    assert_non_null(strstr(err, "Timeout was reached"));
    assert_non_null(strstr(err, "after 2 attempts"));
    free(url);
    ais_http_client_free(c);
}

static void too_large_response_is_refused(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/bytes?n=5000");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_true(resp.too_large);
    assert_int_equal(resp.attempts, 1);
    assert_non_null(strstr(err, "response larger than 4096 bytes"));
    free(url);
    ais_http_client_free(c);
}

/* A token provider that asks the fixture's token endpoint each time it is called. */
typedef struct token_ctx {
    ais_http_client *http;
    int calls, refreshes;
} token_ctx;

static ais_status fetch_token(void *ctx, bool refresh, char *out, size_t size, char *errbuf,
                              size_t errsize)
{
    token_ctx *t = ctx;
    t->calls++;
    t->refreshes += refresh ? 1 : 0;
    char *url = url_of("/http/token");
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    ais_http_request req = {.method = "POST", .url = url, .headers = headers,
                            .body = "grant_type=password", .body_len = 19};
    ais_http_response resp;
    ais_status st = ais_http_send(t->http, &req, &resp, errbuf, errsize);
    free(url);
    if (st != AIS_OK)
        return st;
    json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
    snprintf(out, size, "Bearer %s", json_string_value(json_object_get(j, "access_token")));
    json_decref(j);
    ais_http_response_free(&resp);
    return AIS_OK;
}

static void expired_token_is_refreshed_once(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    token_ctx t = {.http = c};
    ais_http_auth auth = {.ctx = &t, .authorize = fetch_token};
    char *url = url_of("/http/protected/x");
    ais_http_request req = {.url = url, .auth = &auth};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.attempts, 2);
    assert_true(resp.token_refreshed);
    assert_int_equal(t.calls, 2);
    assert_int_equal(t.refreshes, 1);
    json_t *log = ais_fixture_log_under(&server, "/http/protected/x");
    assert_int_equal(json_array_size(log), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "authorization")),
                        "Bearer tok-1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 1), "authorization")),
                        "Bearer tok-2");
    json_decref(log);
    ais_http_response_free(&resp);
    free(url);
    ais_http_client_free(c);
}

static void put_delete_and_kept_error_bodies(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    ais_http_response resp;
    char err[512] = "";
    /* PUT from memory, without an Expect: 100-continue round trip */
    char *url = url_of("/http/status/201");
    ais_http_request put = {.method = "PUT", .url = url, .body = "abc", .body_len = 3};
    assert_int_equal(ais_http_send(c, &put, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.status, 201);
    assert_null(resp.location);
    ais_http_response_free(&resp);
    json_t *log = ais_fixture_log_under(&server, "/http/status/201");
    json_t *e = json_array_get(log, json_array_size(log) - 1);
    assert_string_equal(json_string_value(json_object_get(e, "method")), "PUT");
    assert_int_equal(json_integer_value(json_object_get(e, "body_len")), 3);
    assert_true(json_is_null(json_object_get(e, "expect")));
    json_decref(log);
    /* a file that cannot be read is the caller's error, named */
    put.upload_path = "/nonexistent/upload.bin";
    assert_int_equal(ais_http_send(c, &put, &resp, err, sizeof err), AIS_ERR_IO);
    assert_non_null(strstr(err, "cannot read /nonexistent/upload.bin"));
    ais_http_response_free(&resp);
    free(url);
    /* DELETE */
    url = url_of("/http/status/200");
    ais_http_request del = {.method = "DELETE", .url = url};
    assert_int_equal(ais_http_send(c, &del, &resp, err, sizeof err), AIS_OK);
    ais_http_response_free(&resp);
    log = ais_fixture_log_under(&server, "/http/status/200");
    e = json_array_get(log, json_array_size(log) - 1);
    assert_string_equal(json_string_value(json_object_get(e, "method")), "DELETE");
    json_decref(log);
    free(url);
    /* after the retries, the last body is kept only when asked for */
    url = url_of("/http/status/503");
    ais_http_request get = {.url = url};
    assert_int_equal(ais_http_send(c, &get, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_null(resp.body);
    ais_http_response_free(&resp);
    get.keep_error_body = true;
    assert_int_equal(ais_http_send(c, &get, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_int_equal(resp.status, 503);
    assert_int_equal(resp.attempts, 3);
    assert_non_null(strstr(resp.body, "503"));
    ais_http_response_free(&resp);
    get.method = "PATCH";
    assert_int_equal(ais_http_send(c, &get, &resp, err, sizeof err), AIS_ERR_INVALID_ARG);
    ais_http_response_free(&resp);
    free(url);
    ais_http_client_free(c);
}

static void download_writes_file_and_sha256(void **state)
{
    (void)state;
    ais_http_options o = test_options();
    ais_http_client *c = client_with(&o);
    char *dir = ais_test_mkdtemp();
    char *dest = ais_test_join(dir, "granule.hdf");
    char *url = url_of("/http/bytes?n=100000");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_download(c, &req, dest, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.len, 100000);
    struct stat sb;
    assert_int_equal(stat(dest, &sb), 0);
    assert_int_equal(sb.st_size, 100000);
    /* the expected digest of the same pattern, computed here */
    unsigned char pattern[100000], md[32];
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (unsigned char)(i % 256);
    unsigned int mdlen = 0;
    assert_int_equal(EVP_Digest(pattern, sizeof pattern, md, &mdlen, EVP_sha256(), NULL), 1);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_string_equal(resp.sha256, hex);
    size_t n = 0;
    char **names = ais_test_list_dir(dir, &n);
    assert_int_equal(n, 1); /* no .part left behind */
    ais_test_free_names(names);
    free(url);

    /* a failed download leaves nothing at either name */
    char *dest2 = ais_test_join(dir, "missing.hdf");
    url = url_of("/http/status/500");
    req.url = url;
    assert_int_equal(ais_http_download(c, &req, dest2, &resp, err, sizeof err), AIS_ERR_HTTP);
    names = ais_test_list_dir(dir, &n);
    assert_int_equal(n, 1);
    ais_test_free_names(names);
    free(url);
    free(dest2);
    free(dest);
    ais_test_rm_rf(dir);
    free(dir);
    ais_http_client_free(c);
}

static void stop_flag_interrupts_waits(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 1;
    ais_http_options o = test_options();
    o.stop = &stop;
    ais_http_client *c = client_with(&o);
    char *url = url_of("/http/status/503");
    ais_http_request req = {.url = url};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_http_send(c, &req, &resp, err, sizeof err), AIS_ERR_INTERRUPTED);
    assert_non_null(strstr(err, "interrupted"));
    free(url);
    ais_http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redaction_hides_keys_and_secrets),
        cmocka_unit_test(retry_after_seconds_and_dates),
        cmocka_unit_test(url_encoding),
        cmocka_unit_test(options_from_config),
        cmocka_unit_test(server_error_then_success),
        cmocka_unit_test(persistent_server_error_gives_up),
        cmocka_unit_test(client_error_is_not_retried),
        cmocka_unit_test(rate_limit_honours_retry_after),
        cmocka_unit_test(slow_response_times_out),
        cmocka_unit_test(too_large_response_is_refused),
        cmocka_unit_test(expired_token_is_refreshed_once),
        cmocka_unit_test(put_delete_and_kept_error_bodies),
        cmocka_unit_test(download_writes_file_and_sha256),
        cmocka_unit_test(stop_flag_interrupts_waits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
