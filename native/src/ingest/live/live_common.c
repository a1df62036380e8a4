/* Requests of the live adapters (ais/live.h): redirects followed here so that credentials stay
 * with the origin they were meant for, and final 4xx answers turned into dead letters. */
#include "ais/live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#define URL_MSG_MAX 512

/* ------------------------------------------------------------------------------------------ */
/* Secrets in text                                                                            */

static const char *find_bytes(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0 || n > hay_len)
        return NULL;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

static bool contains_secret(const char *text, size_t len, const char *const *secrets)
{
    for (size_t i = 0; secrets != NULL && secrets[i] != NULL; i++)
        if (secrets[i][0] != '\0' && find_bytes(text, len, secrets[i], strlen(secrets[i])) != NULL)
            return true;
    return false;
}

char *ais_live_scrub(const char *text, size_t len, const char *const *secrets, size_t *out_len)
{
    if (text == NULL)
        len = 0;
    /* secrets of 3 bytes or more only: "***" then never makes the text longer */
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, text != NULL ? text : "", len);
    out[len] = '\0';
    size_t n = len;
    for (size_t i = 0; secrets != NULL && secrets[i] != NULL; i++) {
        size_t sl = strlen(secrets[i]);
        if (sl < 3)
            continue;
        size_t from = 0;
        const char *hit;
        while ((hit = find_bytes(out + from, n - from, secrets[i], sl)) != NULL) {
            size_t at = (size_t)(hit - out);
            memcpy(out + at, "***", 3);
            memmove(out + at + 3, out + at + sl, n - at - sl + 1);
            n = n - sl + 3;
            from = at + 3;
        }
    }
    if (out_len != NULL)
        *out_len = n;
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Origins                                                                                    */

typedef struct origin {
    char *scheme, *host, *port;
} origin;

static void origin_free(origin *o)
{
    curl_free(o->scheme);
    curl_free(o->host);
    curl_free(o->port);
    memset(o, 0, sizeof *o);
}

/* The origin of an absolute http(s) URL; false for anything else. */
static bool origin_of(const char *url, origin *o)
{
    memset(o, 0, sizeof *o);
    if (url == NULL)
        return false;
    CURLU *u = curl_url();
    if (u == NULL)
        return false;
    bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
              (strcasecmp(o->scheme, "http") == 0 || strcasecmp(o->scheme, "https") == 0);
    curl_url_cleanup(u);
    if (!ok)
        origin_free(o);
    return ok;
}

bool ais_live_same_origin(const char *a, const char *b)
{
    origin oa, ob;
    if (!origin_of(a, &oa))
        return false;
    if (!origin_of(b, &ob)) {
        origin_free(&oa);
        return false;
    }
    bool same = strcasecmp(oa.scheme, ob.scheme) == 0 && strcasecmp(oa.host, ob.host) == 0 &&
                strcmp(oa.port, ob.port) == 0;
    origin_free(&oa);
    origin_free(&ob);
    return same;
}

/* ------------------------------------------------------------------------------------------ */
/* What a cross-origin hop may carry                                                          */

static bool credential_param(const char *name, size_t len)
{
    static const char *const names[] = {"key", "apikey", "api_key", "token", "access_token",
                                        "password", "client_secret"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return true;
    return false;
}

/* target without its credential query parameters (*out, caller frees). AIS_ERR_HTTP if it
 * cannot be parsed. */
static ais_status strip_query(const char *target, const char *const *secrets, char **out)
{
    *out = NULL;
    CURLU *u = curl_url();
    char *query = NULL, *full = NULL, *kept = NULL;
    ais_status st = AIS_OK;
    if (u == NULL)
        return AIS_ERR_NOMEM;
    if (curl_url_set(u, CURLUPART_URL, target, 0) != CURLUE_OK) {
        st = AIS_ERR_HTTP;
        goto done;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query != NULL) {
        size_t qlen = strlen(query), pos = 0;
        if ((kept = malloc(qlen + 1)) == NULL) {
            st = AIS_ERR_NOMEM;
            goto done;
        }
        for (const char *p = query; *p != '\0';) {
            size_t plen = strcspn(p, "&");
            size_t nlen = strcspn(p, "=&");
            if (plen > 0 && !credential_param(p, nlen) && !contains_secret(p, plen, secrets)) {
                if (pos > 0)
                    kept[pos++] = '&';
                memcpy(kept + pos, p, plen);
                pos += plen;
            }
            p += plen;
            if (*p == '&')
                p++;
        }
        kept[pos] = '\0';
        if (curl_url_set(u, CURLUPART_QUERY, pos > 0 ? kept : NULL, 0) != CURLUE_OK) {
            st = AIS_ERR_HTTP;
            goto done;
        }
    }
    if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        st = AIS_ERR_HTTP;
        goto done;
    }
    if ((*out = strdup(full)) == NULL)
        st = AIS_ERR_NOMEM;
done:
    free(kept);
    curl_free(query);
    curl_free(full);
    curl_url_cleanup(u);
    return st;
}

static bool header_kept(const char *header, const char *const *secrets)
{
    static const char *const names[] = {
        "Accept",        "Accept-Encoding",     "Accept-Language",   "Cache-Control",
        "Content-Language", "Content-Type",     "If-Match",          "If-Modified-Since",
        "If-None-Match", "If-Unmodified-Since", "Range",             "User-Agent"};
    size_t n = strcspn(header, ":;");
    while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == '\t'))
        n--;
    if (contains_secret(header, strlen(header), secrets))
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], header, n) == 0)
            return true;
    return false;
}

/* The headers of req a cross-origin hop keeps (NULL-terminated; caller frees the array). */
static const char **kept_headers(const ais_http_request *req)
{
    size_t n = 0;
    while (req->headers != NULL && req->headers[n] != NULL)
        n++;
    const char **out = calloc(n + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (header_kept(req->headers[i], req->secrets))
            out[k++] = req->headers[i];
    out[k] = NULL;
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Following redirects                                                                        */

typedef struct hop_ctx {
    ais_http_client *http;
    const ais_http_request *req;
    const char *dest_path; /* downloads */
    char *hop_path;        /* downloads: "<dir>/.<name>.hop" */
    char *errbuf;
    size_t errsize;
} hop_ctx;

static ais_status send_hop(hop_ctx *x, const ais_http_request *cur, ais_http_response *resp)
{
    if (x->dest_path != NULL)
        return ais_http_download(x->http, cur, x->hop_path, resp, x->errbuf, x->errsize);
    return ais_http_send(x->http, cur, resp, x->errbuf, x->errsize);
}

/* The request of the next hop to target (taken over), or a failure with errbuf set. */
static ais_status next_hop(hop_ctx *x, ais_http_request *cur, long status, char *target,
                           const char **kept, char **url)
{
    const ais_http_request *req = x->req;
    const char *method = cur->method != NULL ? cur->method : "GET";
    char from[URL_MSG_MAX], to[URL_MSG_MAX];
    ais_http_redact_url(cur->url, req->secrets, from, sizeof from);
    ais_http_redact_url(target, req->secrets, to, sizeof to);
    origin o;
    if (!origin_of(target, &o)) {
        free(target);
        return ais_status_fail(AIS_ERR_HTTP, x->errbuf, x->errsize,
                               "%s %s: HTTP %ld to %s, which is not an http(s) URL", method,
                               from, status, to);
    }
    origin_free(&o);
    bool to_get = status == 303 || ((status == 301 || status == 302) &&
                                     strcmp(method, "POST") == 0);
    if (ais_live_same_origin(req->url, target)) {
        cur->auth = req->auth;
        cur->headers = req->headers;
    } else {
        if (!to_get && strcmp(method, "POST") == 0) {
            free(target);
            return ais_status_fail(AIS_ERR_HTTP, x->errbuf, x->errsize,
                                   "%s %s: HTTP %ld to another origin (%s) would send the "
                                   "request body there; not followed",
                                   method, from, status, to);
        }
        char *clean = NULL;
        ais_status st = strip_query(target, req->secrets, &clean);
        free(target);
        if (st != AIS_OK)
            return st == AIS_ERR_NOMEM ? st
                                       : ais_status_fail(st, x->errbuf, x->errsize,
                                                         "%s %s: HTTP %ld to %s, which cannot "
                                                         "be parsed", method, from, status, to);
        if (contains_secret(clean, strlen(clean), req->secrets)) {
            free(clean);
            return ais_status_fail(AIS_ERR_HTTP, x->errbuf, x->errsize,
                                   "%s %s: HTTP %ld to another origin (%s) whose URL holds a "
                                   "credential; not followed",
                                   method, from, status, to);
        }
        target = clean;
        cur->auth = NULL;
        cur->headers = kept;
    }
    if (to_get) {
        cur->method = "GET";
        cur->body = NULL;
        cur->body_len = 0;
    }
    free(*url);
    *url = target;
    cur->url = target;
    return AIS_OK;
}

static ais_status follow(hop_ctx *x, ais_http_response *resp)
{
    const ais_http_request *req = x->req;
    ais_http_request cur = *req;
    cur.no_redirect = true;
    char *url = NULL; /* the current hop's URL once it is not req->url */
    const char **kept = kept_headers(req);
    unsigned attempts = 0;
    bool refreshed = false;
    ais_status st = AIS_OK;
    if (kept == NULL)
        return AIS_ERR_NOMEM;
    for (unsigned hop = 0;; hop++) {
        st = send_hop(x, &cur, resp);
        attempts += resp->attempts;
        refreshed = refreshed || resp->token_refreshed;
        if (st != AIS_OK || resp->status < 300 || resp->status >= 400)
            break;
        /* a 3xx: its body is not the answer */
        if (x->dest_path != NULL)
            unlink(x->hop_path);
        long status = resp->status;
        char *target = resp->location;
        resp->location = NULL;
        ais_http_response_free(resp);
        if (target == NULL || hop >= AIS_LIVE_MAX_REDIRECTS) {
            char shown[URL_MSG_MAX];
            const char *method = cur.method != NULL ? cur.method : "GET";
            ais_http_redact_url(cur.url, req->secrets, shown, sizeof shown);
            if (target == NULL)
                st = ais_status_fail(AIS_ERR_HTTP, x->errbuf, x->errsize,
                                     "%s %s: HTTP %ld without a Location", method, shown,
                                     status);
            else
                st = ais_status_fail(AIS_ERR_HTTP, x->errbuf, x->errsize,
                                     "%s %s: HTTP %ld, more than %d redirects", method, shown,
                                     status, AIS_LIVE_MAX_REDIRECTS);
            free(target);
            break;
        }
        if ((st = next_hop(x, &cur, status, target, kept, &url)) != AIS_OK)
            break;
    }
    resp->attempts = attempts;
    resp->token_refreshed = refreshed;
    free(url);
    free(kept);
    return st;
}

ais_status ais_live_send(ais_http_client *http, const ais_http_request *req,
                         ais_http_response *resp, char *errbuf, size_t errbuf_size)
{
    if (http == NULL || req == NULL || req->url == NULL || resp == NULL)
        return AIS_ERR_INVALID_ARG;
    /* the caller handles the 3xx itself; a PUT is never redirected (ais/http.h) */
    if (req->no_redirect || (req->method != NULL && strcmp(req->method, "PUT") == 0))
        return ais_http_send(http, req, resp, errbuf, errbuf_size);
    hop_ctx x = {.http = http, .req = req, .errbuf = errbuf, .errsize = errbuf_size};
    return follow(&x, resp);
}

ais_status ais_live_download(ais_http_client *http, const ais_http_request *req,
                             const char *dest_path, ais_http_response *resp, char *errbuf,
                             size_t errbuf_size)
{
    if (http == NULL || req == NULL || req->url == NULL || resp == NULL || dest_path == NULL)
        return AIS_ERR_INVALID_ARG;
    if (req->no_redirect)
        return ais_http_download(http, req, dest_path, resp, errbuf, errbuf_size);
    const char *slash = strrchr(dest_path, '/');
    size_t dirlen = slash != NULL ? (size_t)(slash - dest_path) + 1 : 0;
    const char *name = dest_path + dirlen;
    if (name[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    size_t n = strlen(dest_path) + sizeof "..hop";
    hop_ctx x = {.http = http, .req = req, .dest_path = dest_path, .hop_path = malloc(n),
                 .errbuf = errbuf, .errsize = errbuf_size};
    if (x.hop_path == NULL)
        return AIS_ERR_NOMEM;
    snprintf(x.hop_path, n, "%.*s.%s.hop", (int)dirlen, dest_path, name);
    ais_status st = follow(&x, resp);
    if (st == AIS_OK && rename(x.hop_path, dest_path) != 0) {
        int saved = errno;
        unlink(x.hop_path);
        st = ais_status_fail(AIS_ERR_IO, errbuf, errbuf_size, "cannot rename %s to %s: %s",
                             x.hop_path, dest_path, strerror(saved));
    }
    free(x.hop_path);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* One GET, a final 4xx as a dead letter                                                      */

ais_status ais_live_get(ais_http_client *http, const ais_http_request *req, ais_dlq *dlq,
                        ais_http_response *resp, bool *dead_lettered, char *errbuf,
                        size_t errbuf_size)
{
    if (http == NULL || req == NULL || dlq == NULL || resp == NULL || dead_lettered == NULL)
        return AIS_ERR_INVALID_ARG;
    *dead_lettered = false;
    ais_status st = ais_live_send(http, req, resp, errbuf, errbuf_size);
    if (st != AIS_ERR_HTTP || !ais_http_status_is_final_client_error(resp->status) ||
        resp->status == 401 || resp->status == 403 || resp->too_large)
        return st;
    char reason[32], url[URL_MSG_MAX];
    snprintf(reason, sizeof reason, "http_%ld", resp->status);
    ais_http_redact_url(req->url, req->secrets, url, sizeof url);
    size_t raw_len = 0;
    const char *detail_in = errbuf != NULL ? errbuf : "";
    char *raw = ais_live_scrub(resp->body, resp->len, req->secrets, &raw_len);
    char *detail = ais_live_scrub(detail_in, strlen(detail_in), req->secrets, NULL);
    if (raw == NULL || detail == NULL) {
        free(raw);
        free(detail);
        ais_http_response_free(resp);
        return AIS_ERR_NOMEM;
    }
    ais_dead_letter dl = {.reason = reason,
                          .detail = detail,
                          .raw = raw,
                          .raw_len = raw_len,
                          .file = url};
    st = ais_dlq_reject(dlq, &dl);
    free(raw);
    free(detail);
    ais_http_response_free(resp);
    if (st == AIS_OK)
        *dead_lettered = true;
    return st;
}
