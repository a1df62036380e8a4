/* Credentials stay with their host (ais/live.h): two loopback fixture servers
 * (fixtures/http_server.py), A redirecting to B (same host, another port: another origin) or
 * to itself. What each server saw is read back from its /_log: B never sees X-API-Key,
 * PRIVATE-TOKEN, an Authorization header (whether a plain header or from an ais_http_auth
 * provider) or a key= query parameter; A (and a same-origin redirect) sees all of them.
 *
 * https -> http is not exercised on the wire: the HTTP client takes the system's CA store and
 * exposes no option to trust a test certificate, so a loopback TLS server cannot be reached.
 * The rule that covers it is the origin comparison (the scheme is part of the origin), tested
 * directly in same_origin_rules, and it is the same code path as the port change tested here. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/dlq.h"
#include "ais/http.h"
#include "ais/live.h"
#include "http_fixture.h"

#define KEY "querykey-5ecret"
#define XKEY "xapikey-5ecret"
#define PTOKEN "private-5ecret"
#define BEARER "bearer-5ecret"

static ais_fixture_server a, b;
static ais_http_client *http;

static int setup(void **state)
{
    (void)state;
    ais_fixture_start(&a, NULL, NULL);
    ais_fixture_start(&b, NULL, NULL);
    ais_http_options o = {.connect_timeout_ms = 2000, .total_timeout_ms = 10000,
                          .max_attempts = 2, .backoff_initial_ms = 20, .backoff_max_ms = 50,
                          .retry_after_max_seconds = 1, .max_response_bytes = 1 << 20,
                          .max_download_bytes = 1 << 20};
    assert_int_equal(ais_http_client_new(&o, NULL, &http), AIS_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_http_client_free(http);
    ais_fixture_stop(&a);
    ais_fixture_stop(&b);
    return 0;
}

static const char *const SECRETS[] = {KEY, XKEY, PTOKEN, BEARER, NULL};
static const char *const HEADERS[] = {"Accept: application/json", "X-API-Key: " XKEY,
                                      "PRIVATE-TOKEN: " PTOKEN,
                                      "Authorization: Bearer " BEARER, NULL};

/* "<a.base>/redirect/<code>/127.0.0.1:<port of to>/<rest>" */
static char *redirect_url(long code, const ais_fixture_server *to, const char *rest)
{
    char *url = malloc(512);
    assert_non_null(url);
    snprintf(url, 512, "%s/redirect/%ld/127.0.0.1:%d/%s", a.base, code, to->port, rest);
    return url;
}

/* The one log entry of s under path (exactly one must exist). */
static json_t *only_entry(const ais_fixture_server *s, const char *path)
{
    json_t *log = ais_fixture_log(s), *found = NULL;
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(log, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "path")), path) == 0) {
            found = e;
            n++;
        }
    }
    assert_int_equal(n, 1);
    json_incref(found);
    json_decref(log);
    return found;
}

static size_t entries_under(const ais_fixture_server *s, const char *prefix)
{
    json_t *log = ais_fixture_log_under(s, prefix);
    size_t n = json_array_size(log);
    json_decref(log);
    return n;
}

static void assert_carries_all(const json_t *e)
{
    assert_string_equal(json_string_value(json_object_get(e, "x_api_key")), XKEY);
    assert_string_equal(json_string_value(json_object_get(e, "private_token")), PTOKEN);
    assert_string_equal(json_string_value(json_object_get(e, "authorization")), "Bearer " BEARER);
    assert_non_null(strstr(json_string_value(json_object_get(e, "query")), "key=" KEY));
}

static void assert_carries_none(const json_t *e)
{
    assert_true(json_is_null(json_object_get(e, "x_api_key")));
    assert_true(json_is_null(json_object_get(e, "private_token")));
    assert_true(json_is_null(json_object_get(e, "authorization")));
    const char *q = json_string_value(json_object_get(e, "query"));
    assert_null(strstr(q, "key="));
    assert_null(strstr(q, KEY));
}

/* Every redirect code, GET: A sees the credentials, B none of them; the rest of the query and
 * the answer come through. */
static void cross_origin_redirect_drops_credentials(void **state)
{
    (void)state;
    const long codes[] = {301, 302, 303, 307, 308};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char rest[64], echo_path[64], from_path[128];
        snprintf(rest, sizeof rest, "echo/cross-%ld?key=" KEY "&q=21.0285", codes[i]);
        snprintf(echo_path, sizeof echo_path, "/echo/cross-%ld", codes[i]);
        snprintf(from_path, sizeof from_path, "/redirect/%ld/127.0.0.1:%d/echo/cross-%ld",
                 codes[i], b.port, codes[i]);
        char *url = redirect_url(codes[i], &b, rest);
        ais_http_request req = {.url = url, .headers = HEADERS, .secrets = SECRETS};
        ais_http_response resp;
        char err[512] = "";
        assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_OK);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.attempts, 2); /* the 3xx and the answer */
        assert_non_null(strstr(resp.body, echo_path));
        ais_http_response_free(&resp);

        json_t *first = only_entry(&a, from_path);
        assert_carries_all(first);
        json_t *second = only_entry(&b, echo_path);
        assert_carries_none(second);
        assert_string_equal(json_string_value(json_object_get(second, "query")), "q=21.0285");
        assert_string_equal(json_string_value(json_object_get(second, "method")), "GET");
        json_decref(first);
        json_decref(second);
        free(url);
    }
}

/* A redirect on the same origin keeps everything. */
static void same_origin_redirect_keeps_credentials(void **state)
{
    (void)state;
    char *url = redirect_url(302, &a, "echo/same?key=" KEY "&q=1");
    ais_http_request req = {.url = url, .headers = HEADERS, .secrets = SECRETS};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.status, 200);
    ais_http_response_free(&resp);
    json_t *e = only_entry(&a, "/echo/same");
    assert_carries_all(e);
    json_decref(e);
    free(url);
}

/* Same port, another host name (localhost vs 127.0.0.1): another origin too. */
static void other_host_name_is_another_origin(void **state)
{
    (void)state;
    char url[512];
    snprintf(url, sizeof url, "%s/redirect/302/localhost:%d/echo/lh?key=" KEY, a.base, a.port);
    ais_http_request req = {.url = url, .headers = HEADERS, .secrets = SECRETS};
    ais_http_response resp;
    char err[512] = "";
    ais_status st = ais_live_send(http, &req, &resp, err, sizeof err);
    ais_http_response_free(&resp);
    if (st != AIS_OK) { /* localhost may resolve to ::1 first where nothing listens */
        print_message("localhost did not reach the fixture (%s); skipped\n", err);
        return;
    }
    json_t *e = only_entry(&a, "/echo/lh");
    assert_carries_none(e);
    json_decref(e);
}

typedef struct token_provider {
    int calls;
} token_provider;

static ais_status give_token(void *ctx, bool refresh, char *out, size_t out_size, char *errbuf,
                             size_t errsize)
{
    (void)refresh;
    (void)errbuf;
    (void)errsize;
    token_provider *p = ctx;
    p->calls++;
    snprintf(out, out_size, "Bearer %s", BEARER);
    return AIS_OK;
}

/* The token of an ais_http_auth provider (CDSE's) follows the same rule. */
static void auth_provider_token_stays_with_its_origin(void **state)
{
    (void)state;
    token_provider p = {0};
    ais_http_auth auth = {.ctx = &p, .authorize = give_token};
    char *url = redirect_url(307, &b, "echo/token");
    ais_http_request req = {.url = url, .auth = &auth, .secrets = SECRETS};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_OK);
    ais_http_response_free(&resp);
    char from[128];
    snprintf(from, sizeof from, "/redirect/307/127.0.0.1:%d/echo/token", b.port);
    json_t *first = only_entry(&a, from);
    assert_string_equal(json_string_value(json_object_get(first, "authorization")),
                        "Bearer " BEARER);
    json_t *second = only_entry(&b, "/echo/token");
    assert_true(json_is_null(json_object_get(second, "authorization")));
    assert_int_equal(p.calls, 1);
    json_decref(first);
    json_decref(second);
    free(url);
}

/* A POST body may hold a password (the CDSE token request): a 307/308 to another origin is not
 * followed; a 303 continues as a GET without it; a 307 on the same origin repeats it. */
static void post_bodies_do_not_cross_origins(void **state)
{
    (void)state;
    const char *body = "grant_type=password&password=" KEY;
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    char err[512] = "";
    ais_http_response resp;

    char *url = redirect_url(307, &b, "echo/post307");
    ais_http_request req = {.method = "POST", .url = url, .headers = form, .body = body,
                            .body_len = strlen(body), .secrets = SECRETS};
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_non_null(strstr(err, "would send the request body there"));
    assert_null(strstr(err, KEY));
    ais_http_response_free(&resp);
    assert_int_equal(entries_under(&b, "/echo/post307"), 0);
    free(url);

    url = redirect_url(303, &b, "echo/post303");
    req.url = url;
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_OK);
    ais_http_response_free(&resp);
    json_t *e = only_entry(&b, "/echo/post303");
    assert_string_equal(json_string_value(json_object_get(e, "method")), "GET");
    assert_int_equal(json_integer_value(json_object_get(e, "body_len")), 0);
    json_decref(e);
    free(url);

    url = redirect_url(307, &a, "echo/post307same");
    req.url = url;
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_OK);
    ais_http_response_free(&resp);
    e = only_entry(&a, "/echo/post307same");
    assert_string_equal(json_string_value(json_object_get(e, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(e, "body")), body);
    json_decref(e);
    free(url);
}

/* A secret somewhere else in the target (its path) cannot be stripped: not followed, and the
 * message shows it as ***. Six hops are one too many. */
static void unsafe_or_endless_redirects_fail(void **state)
{
    (void)state;
    char err[512] = "";
    ais_http_response resp;
    char *url = redirect_url(302, &b, "echo/" KEY);
    ais_http_request req = {.url = url, .headers = HEADERS, .secrets = SECRETS};
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_non_null(strstr(err, "whose URL holds a credential"));
    assert_non_null(strstr(err, "/echo/***"));
    assert_null(strstr(err, KEY));
    ais_http_response_free(&resp);
    assert_int_equal(entries_under(&b, "/echo/"), entries_under(&b, "/echo/cross") +
                                                      entries_under(&b, "/echo/token") +
                                                      entries_under(&b, "/echo/post"));
    free(url);

    /* A -> A -> ... seven redirects before the answer */
    char chain[1024];
    int n = snprintf(chain, sizeof chain, "%s", a.base);
    for (int i = 0; i < 7; i++)
        n += snprintf(chain + n, sizeof chain - (size_t)n, "/redirect/302/127.0.0.1:%d", a.port);
    snprintf(chain + n, sizeof chain - (size_t)n, "/echo/endless");
    req.url = chain;
    assert_int_equal(ais_live_send(http, &req, &resp, err, sizeof err), AIS_ERR_HTTP);
    assert_non_null(strstr(err, "more than 5 redirects"));
    ais_http_response_free(&resp);
    assert_int_equal(entries_under(&a, "/echo/endless"), 0);
}

/* A download through a cross-origin redirect: B sees no credential, the file holds B's answer,
 * no hop file is left. */
static void download_follows_without_credentials(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *dest = ais_test_join(dir, "granule.hdf");
    char *url = redirect_url(302, &b, "echo/granule.hdf?token=" KEY);
    ais_http_request req = {.url = url, .headers = HEADERS, .secrets = SECRETS};
    ais_http_response resp;
    char err[512] = "";
    assert_int_equal(ais_live_download(http, &req, dest, &resp, err, sizeof err), AIS_OK);
    assert_int_equal(resp.status, 200);
    char *text = ais_test_read_file(dest);
    assert_non_null(text);
    assert_non_null(strstr(text, "/echo/granule.hdf"));
    assert_int_equal(resp.len, strlen(text));
    ais_http_response_free(&resp);
    size_t count;
    char **names = ais_test_list_dir(dir, &count);
    assert_int_equal(count, 1);
    assert_string_equal(names[0], "granule.hdf");
    ais_test_free_names(names);
    json_t *e = only_entry(&b, "/echo/granule.hdf");
    assert_carries_none(e);
    assert_string_equal(json_string_value(json_object_get(e, "query")), "");
    json_decref(e);
    free(text);
    free(url);
    free(dest);
    ais_test_rm_rf(dir);
    free(dir);
}

/* A final 4xx through ais_live_get: the dead letter's detail and raw (the server echoing the
 * request, key included) show *** instead of the key. */
static ais_status collect(void *ctx, const json_t *event)
{
    return json_array_append_new(ctx, json_deep_copy(event)) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static void dead_letter_hides_the_key(void **state)
{
    (void)state;
    json_t *records = json_array();
    ais_sink sink = {.ctx = records, .write = collect};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &sink, "weatherapi", "weather_history", "req-1"), AIS_OK);
    char url[256];
    snprintf(url, sizeof url,
             "%s/weather/echo400/history.json?key=test-weather-key&q=1&dt=2025-01-01", a.base);
    const char *secrets[] = {"test-weather-key", NULL};
    ais_http_request req = {.url = url, .secrets = secrets};
    ais_http_response resp;
    bool dead = false;
    char err[512] = "";
    assert_int_equal(ais_live_get(http, &req, &dlq, &resp, &dead, err, sizeof err), AIS_OK);
    assert_true(dead);
    assert_int_equal(json_array_size(records), 1);
    char *text = json_dumps(records, 0);
    assert_null(strstr(text, "test-weather-key"));
    json_t *d = json_array_get(records, 0);
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "http_400");
    /* the server echoed the request line: the key is there, hidden */
    assert_non_null(strstr(json_string_value(json_object_get(d, "raw")), "key=***&q=1"));
    assert_non_null(strstr(json_string_value(json_object_get(d, "file")), "key=***"));
    assert_non_null(strstr(json_string_value(json_object_get(d, "detail")), "HTTP 400"));
    free(text);
    ais_dlq_release(&dlq);
    json_decref(records);
}

static void same_origin_rules(void **state)
{
    (void)state;
    assert_true(ais_live_same_origin("https://api.openaq.org/v3/x", "https://API.openaq.org/y"));
    assert_true(ais_live_same_origin("https://a.example/x", "https://a.example:443/y"));
    assert_true(ais_live_same_origin("http://a.example/x", "http://a.example:80/y?z"));
    assert_false(ais_live_same_origin("https://a.example/x", "http://a.example/x"));
    assert_false(ais_live_same_origin("https://a.example/x", "https://a.example:8443/x"));
    assert_false(ais_live_same_origin("https://a.example/x", "https://b.example/x"));
    assert_false(ais_live_same_origin("https://a.example/x", "https://a.example.evil/x"));
    assert_false(ais_live_same_origin("http://127.0.0.1:8000/", "http://127.0.0.1:8001/"));
    assert_false(ais_live_same_origin("https://a.example/x", "ftp://a.example/x"));
    assert_false(ais_live_same_origin("https://a.example/x", "/relative"));
    assert_false(ais_live_same_origin(NULL, "https://a.example/x"));
}

static void scrub_replaces_every_secret(void **state)
{
    (void)state;
    const char *secrets[] = {"abc123", "zz", "k3y", NULL};
    const char text[] = "abc123 and abc123abc123, k3y; zz stays (too short)";
    size_t n = 0;
    char *out = ais_live_scrub(text, strlen(text), secrets, &n);
    assert_string_equal(out, "*** and ******, ***; zz stays (too short)");
    assert_int_equal(n, strlen(out));
    free(out);
    out = ais_live_scrub(NULL, 0, secrets, &n);
    assert_string_equal(out, "");
    assert_int_equal(n, 0);
    free(out);
    /* bytes after a NUL are scrubbed too (a binary body) */
    const char bin[] = {'x', '\0', 'k', '3', 'y', '!'};
    out = ais_live_scrub(bin, sizeof bin, secrets, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "x\0***!", 6);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_origin_rules),
        cmocka_unit_test(scrub_replaces_every_secret),
        cmocka_unit_test(cross_origin_redirect_drops_credentials),
        cmocka_unit_test(same_origin_redirect_keeps_credentials),
        cmocka_unit_test(other_host_name_is_another_origin),
        cmocka_unit_test(auth_provider_token_stays_with_its_origin),
        cmocka_unit_test(post_bodies_do_not_cross_origins),
        cmocka_unit_test(unsafe_or_endless_redirects_fail),
        cmocka_unit_test(download_follows_without_credentials),
        cmocka_unit_test(dead_letter_hides_the_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
