/* The live adapters' HTTP client (ais/http.h). One curl easy handle per attempt keeps every
 * attempt independent (no connection state carried over from a failed one). */
#include "ais/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "ais/fsutil.h"
#include "ais/timeutil.h"
#include "ais/version.h"

#define AUTH_HEADER_MAX 8192
#define URL_MSG_MAX 512

struct ais_http_client {
    ais_http_options opts;
    ais_logger *logger;
    ais_http_stats stats;
};

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                              */

static ais_status positive_long(const ais_config *cfg, const char *key, long *out, char *errbuf,
                                size_t errsize)
{
    ais_status st = ais_config_get_long(cfg, key, out);
    if (st != AIS_OK || *out <= 0)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "%s must be a positive integer", key);
    return AIS_OK;
}

ais_status ais_http_options_from_config(const ais_config *cfg, ais_http_options *out,
                                        char *errbuf, size_t errbuf_size)
{
    long connect_s, total_s, attempts, initial, max, ra_max, resp_mb, dl_mb;
    ais_status st;
    if (cfg == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if ((st = positive_long(cfg, "ingest_http.connect_timeout_seconds", &connect_s, errbuf,
                            errbuf_size)) != AIS_OK ||
        (st = positive_long(cfg, "ingest_http.total_timeout_seconds", &total_s, errbuf,
                            errbuf_size)) != AIS_OK ||
        (st = positive_long(cfg, "ingest_http.max_attempts", &attempts, errbuf, errbuf_size)) !=
            AIS_OK ||
        (st = positive_long(cfg, "ingest_http.backoff_initial_ms", &initial, errbuf,
                            errbuf_size)) != AIS_OK ||
        (st = positive_long(cfg, "ingest_http.backoff_max_ms", &max, errbuf, errbuf_size)) !=
            AIS_OK ||
        (st = positive_long(cfg, "ingest_http.retry_after_max_seconds", &ra_max, errbuf,
                            errbuf_size)) != AIS_OK ||
        (st = positive_long(cfg, "ingest_http.max_response_mb", &resp_mb, errbuf,
                            errbuf_size)) != AIS_OK ||
        (st = positive_long(cfg, "ingest_http.max_download_mb", &dl_mb, errbuf, errbuf_size)) !=
            AIS_OK)
        return st;
    if (attempts > 100 || connect_s > 3600 || total_s > 86400 || resp_mb > 4096 ||
        dl_mb > 1024 * 1024)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "ingest_http.* values are out of range (max_attempts <= 100, "
                               "timeouts <= 1 h / 1 d, max_response_mb <= 4096)");
    memset(out, 0, sizeof *out);
    out->connect_timeout_ms = connect_s * 1000;
    out->total_timeout_ms = total_s * 1000;
    out->max_attempts = (unsigned)attempts;
    out->backoff_initial_ms = initial;
    out->backoff_max_ms = max < initial ? initial : max;
    out->retry_after_max_seconds = ra_max;
    out->max_response_bytes = (size_t)resp_mb * 1024u * 1024u;
    out->max_download_bytes = (size_t)dl_mb * 1024u * 1024u;
    return AIS_OK;
}

ais_status ais_http_client_new(const ais_http_options *opts, ais_logger *logger,
                               ais_http_client **out)
{
    if (opts == NULL || out == NULL || opts->max_attempts == 0)
        return AIS_ERR_INVALID_ARG;
    /* reference counted and thread-safe since curl 7.84 */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AIS_ERR_NOMEM;
    ais_http_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        curl_global_cleanup();
        return AIS_ERR_NOMEM;
    }
    c->opts = *opts;
    c->logger = logger;
    *out = c;
    return AIS_OK;
}

void ais_http_client_free(ais_http_client *client)
{
    if (client == NULL)
        return;
    free(client);
    curl_global_cleanup();
}

void ais_http_client_stats(const ais_http_client *client, ais_http_stats *out)
{
    if (client != NULL && out != NULL)
        *out = client->stats;
}

void ais_http_response_free(ais_http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
    free(resp->location);
    resp->location = NULL;
}

bool ais_http_status_is_final_client_error(long status)
{
    return status >= 400 && status < 500 && status != 429;
}

/* ------------------------------------------------------------------------------------------ */
/* Small pure helpers                                                                         */

static bool secret_param(const char *name, size_t len)
{
    static const char *const names[] = {"key", "apikey", "api_key", "token", "access_token",
                                        "password", "client_secret"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return true;
    return false;
}

static void append(char *out, size_t size, size_t *pos, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *pos + 1 < size; i++)
        out[(*pos)++] = s[i];
    out[*pos < size ? *pos : size - 1] = '\0';
}

void ais_http_redact_url(const char *url, const char *const *secrets, char *out, size_t out_size)
{
    if (out == NULL || out_size == 0)
        return;
    out[0] = '\0';
    if (url == NULL)
        return;
    size_t pos = 0;
    const char *q = strchr(url, '?');
    append(out, out_size, &pos, url, q != NULL ? (size_t)(q - url) : strlen(url));
    if (q != NULL) {
        const char *p = q;
        while (*p != '\0') {
            /* p at '?' or '&' */
            append(out, out_size, &pos, p, 1);
            p++;
            size_t plen = strcspn(p, "&");
            const char *eq = memchr(p, '=', plen);
            if (eq != NULL && secret_param(p, (size_t)(eq - p))) {
                append(out, out_size, &pos, p, (size_t)(eq - p) + 1);
                append(out, out_size, &pos, "***", 3);
            } else {
                append(out, out_size, &pos, p, plen);
            }
            p += plen;
        }
    }
    /* explicit secrets anywhere (a token in a path, a key not named like one) */
    for (size_t i = 0; secrets != NULL && secrets[i] != NULL; i++) {
        size_t sl = strlen(secrets[i]);
        if (sl == 0)
            continue;
        char *hit;
        while ((hit = strstr(out, secrets[i])) != NULL) {
            memmove(hit + 3, hit + sl, strlen(hit + sl) + 1);
            memcpy(hit, "***", 3);
        }
    }
}

ais_status ais_http_parse_retry_after(const char *value, int64_t now, long *seconds_out)
{
    if (value == NULL || seconds_out == NULL)
        return AIS_ERR_INVALID_ARG;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value >= '0' && *value <= '9') {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end != '\0' || errno == ERANGE)
            return AIS_ERR_PARSE;
        *seconds_out = v;
        return AIS_OK;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return AIS_ERR_PARSE;
    *seconds_out = (int64_t)t > now ? (long)((int64_t)t - now) : 0;
    return AIS_OK;
}

ais_status ais_http_url_encode(const char *text, char *out, size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t pos = 0;
    if (text == NULL || out == NULL || out_size == 0)
        return AIS_ERR_INVALID_ARG;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~';
        size_t need = keep ? 1 : 3;
        if (pos + need >= out_size)
            return AIS_ERR_RANGE;
        if (keep) {
            out[pos++] = (char)*p;
        } else {
            out[pos++] = '%';
            out[pos++] = hex[*p >> 4];
            out[pos++] = hex[*p & 15];
        }
    }
    out[pos] = '\0';
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* One attempt                                                                                */

typedef struct attempt_sink {
    const ais_http_client *client;
    /* memory */
    char *buf;
    size_t len, cap, max;
    /* file */
    int fd;
    EVP_MD_CTX *md;
    bool too_large;
    bool write_failed;
} attempt_sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    attempt_sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > s->max) {
        s->too_large = true;
        return 0;
    }
    if (s->fd >= 0) {
        if (ais_fs_write_all(s->fd, data, n) != AIS_OK ||
            EVP_DigestUpdate(s->md, data, n) != 1) {
            s->write_failed = true;
            return 0;
        }
        s->len += n;
        return n;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (grown == NULL) {
            s->write_failed = true;
            return 0;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    const attempt_sink *s = userdata;
    return s->client->opts.stop != NULL && *s->client->opts.stop ? 1 : 0;
}

typedef struct attempt_result {
    CURLcode code;
    long status;
    long retry_after_s; /* -1: no usable header */
    char *location;     /* no_redirect: the 3xx answer's target */
    int upload_errno;   /* the upload file could not be opened */
    char curl_error[CURL_ERROR_SIZE];
} attempt_result;

/* A PUT body from memory. */
typedef struct upload_mem {
    const char *p;
    size_t left;
} upload_mem;

static size_t on_upload_mem(char *dest, size_t size, size_t nmemb, void *userdata)
{
    upload_mem *m = userdata;
    size_t n = size * nmemb < m->left ? size * nmemb : m->left;
    memcpy(dest, m->p, n);
    m->p += n;
    m->left -= n;
    return n;
}

/* PUT: the body from req->upload_path (opened into *file) or from memory. */
static ais_status setup_put(CURL *h, const ais_http_request *req, FILE **file, upload_mem *mem,
                            attempt_result *res)
{
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (req->upload_path == NULL) {
        mem->p = req->body != NULL ? req->body : "";
        mem->left = req->body != NULL ? req->body_len : 0;
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload_mem);
        curl_easy_setopt(h, CURLOPT_READDATA, mem);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)mem->left);
        return AIS_OK;
    }
    struct stat sb;
    *file = fopen(req->upload_path, "rb");
    if (*file == NULL || fstat(fileno(*file), &sb) != 0) {
        res->upload_errno = errno;
        return AIS_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        res->upload_errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        return AIS_ERR_IO;
    }
    /* curl's default read function is fread() on this FILE */
    curl_easy_setopt(h, CURLOPT_READDATA, *file);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
    return AIS_OK;
}

static ais_status one_attempt(ais_http_client *c, const ais_http_request *req,
                              const char *auth_value, attempt_sink *sink, attempt_result *res)
{
    CURL *h = curl_easy_init();
    struct curl_slist *headers = NULL;
    FILE *upload = NULL;
    upload_mem mem = {0};
    char auth_line[AUTH_HEADER_MAX + 32];
    ais_status st = AIS_OK;
    memset(res, 0, sizeof *res);
    res->retry_after_s = -1;
    if (h == NULL)
        return AIS_ERR_NOMEM;
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        struct curl_slist *n = curl_slist_append(headers, req->headers[i]);
        if (n == NULL) {
            st = AIS_ERR_NOMEM;
            goto done;
        }
        headers = n;
    }
    if (auth_value != NULL) {
        snprintf(auth_line, sizeof auth_line, "Authorization: %s", auth_value);
        struct curl_slist *n = curl_slist_append(headers, auth_line);
        explicit_bzero(auth_line, sizeof auth_line);
        if (n == NULL) {
            st = AIS_ERR_NOMEM;
            goto done;
        }
        headers = n;
    }
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opts.total_timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ais-ingest/" AIS_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, sink);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->curl_error);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (req->no_redirect)
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (req->method != NULL && strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else if (req->method != NULL && strcmp(req->method, "PUT") == 0) {
        /* the body is not sent again to a redirect's target: its 3xx is the answer */
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        /* no "Expect: 100-continue" round trip before the body */
        struct curl_slist *n = curl_slist_append(headers, "Expect:");
        if (n == NULL) {
            st = AIS_ERR_NOMEM;
            goto done;
        }
        headers = n;
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        if ((st = setup_put(h, req, &upload, &mem, res)) != AIS_OK)
            goto done;
    } else if (req->method != NULL && strcmp(req->method, "DELETE") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else if (req->method != NULL && strcmp(req->method, "GET") != 0) {
        st = AIS_ERR_INVALID_ARG;
        goto done;
    }
    res->code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    char *target = NULL;
    if (req->no_redirect && res->code == CURLE_OK && res->status >= 300 && res->status < 400 &&
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &target) == CURLE_OK && target != NULL &&
        (res->location = strdup(target)) == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    struct curl_header *ra = NULL;
    if (res->status == 429 &&
        curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &ra) == CURLHE_OK) {
        int64_t now = 0;
        long secs;
        if (ais_time_now(&now, NULL) == AIS_OK &&
            ais_http_parse_retry_after(ra->value, now, &secs) == AIS_OK)
            res->retry_after_s = secs;
    }
done:
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    if (upload != NULL)
        fclose(upload);
    return st;
}

static bool curl_code_retryable(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* Sleeps ms in short slices so a stop request ends the wait. false if stopped. */
static bool wait_ms(const ais_http_client *c, long ms)
{
    while (ms > 0) {
        if (c->opts.stop != NULL && *c->opts.stop)
            return false;
        long slice = ms < 100 ? ms : 100;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return !(c->opts.stop != NULL && *c->opts.stop);
}

static long backoff_ms(const ais_http_client *c, unsigned failed)
{
    long ms = c->opts.backoff_initial_ms;
    for (unsigned i = 1; i < failed && ms < c->opts.backoff_max_ms; i++)
        ms *= 2;
    return ms > c->opts.backoff_max_ms ? c->opts.backoff_max_ms : ms;
}

static void describe(const attempt_result *res, const attempt_sink *sink, char *out, size_t size)
{
    if (sink->too_large)
        snprintf(out, size, "response larger than %zu bytes", sink->max);
    else if (sink->write_failed)
        snprintf(out, size, "cannot store the response: %s", strerror(errno));
    else if (res->code != CURLE_OK)
        snprintf(out, size, "%s%s%s", curl_easy_strerror(res->code),
                 res->curl_error[0] ? ": " : "", res->curl_error);
    else
        snprintf(out, size, "HTTP %ld", res->status);
}

typedef struct send_ctx {
    const char *dest_path;  /* downloads */
    char *part_path;
} send_ctx;

static ais_status open_part(send_ctx *x, attempt_sink *sink, char *errbuf, size_t errsize)
{
    sink->fd = open(x->part_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (sink->fd < 0)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot create %s: %s",
                               x->part_path, strerror(errno));
    if (EVP_DigestInit_ex(sink->md, EVP_sha256(), NULL) != 1) {
        close(sink->fd);
        sink->fd = -1;
        return AIS_ERR_NOMEM;
    }
    return AIS_OK;
}

static ais_status finish_part(send_ctx *x, attempt_sink *sink, ais_http_response *resp,
                              char *errbuf, size_t errsize)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = fsync(sink->fd);
    int crc = close(sink->fd);
    sink->fd = -1;
    if (rc != 0 || crc != 0 || EVP_DigestFinal_ex(sink->md, md, &mdlen) != 1 || mdlen != 32)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot write %s: %s",
                               x->part_path, strerror(errno));
    for (unsigned i = 0; i < 32; i++)
        snprintf(resp->sha256 + 2 * i, 3, "%02x", md[i]);
    if (rename(x->part_path, x->dest_path) != 0)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot rename %s to %s: %s",
                               x->part_path, x->dest_path, strerror(errno));
    resp->len = sink->len;
    return AIS_OK;
}

static ais_status send_loop(ais_http_client *c, const ais_http_request *req, send_ctx *x,
                            ais_http_response *resp, char *errbuf, size_t errsize)
{
    char url[URL_MSG_MAX], why[CURL_ERROR_SIZE + 128] = "";
    char *auth_value = NULL;
    bool refreshed = false;
    unsigned failed = 0;
    ais_status st = AIS_OK;
    attempt_sink sink = {.client = c, .fd = -1};
    const char *method = req->method != NULL ? req->method : "GET";

    ais_http_redact_url(req->url, req->secrets, url, sizeof url);
    if (req->auth != NULL && (auth_value = malloc(AUTH_HEADER_MAX)) == NULL)
        return AIS_ERR_NOMEM;
    if (x->dest_path != NULL && (sink.md = EVP_MD_CTX_new()) == NULL) {
        free(auth_value);
        return AIS_ERR_NOMEM;
    }
    if (req->auth != NULL) {
        char aerr[256] = "";
        st = req->auth->authorize(req->auth->ctx, false, auth_value, AUTH_HEADER_MAX, aerr,
                                  sizeof aerr);
        if (st != AIS_OK) {
            st = ais_status_fail(st == AIS_ERR_INTERRUPTED ? st : AIS_ERR_HTTP, errbuf, errsize,
                                 "%s %s: no token: %s", method, url, aerr);
            goto out;
        }
    }
    for (;;) {
        attempt_result res;
        free(sink.buf);
        sink.buf = NULL;
        sink.len = sink.cap = 0;
        sink.too_large = sink.write_failed = false;
        sink.max = x->dest_path != NULL ? c->opts.max_download_bytes : c->opts.max_response_bytes;
        if (x->dest_path != NULL && (st = open_part(x, &sink, errbuf, errsize)) != AIS_OK)
            goto out;
        st = one_attempt(c, req, auth_value, &sink, &res);
        if (st != AIS_OK) {
            free(res.location);
            if (st == AIS_ERR_IO && res.upload_errno != 0)
                st = ais_status_fail(AIS_ERR_IO, errbuf, errsize, "%s %s: cannot read %s: %s",
                                     method, url, req->upload_path, strerror(res.upload_errno));
            goto out;
        }
        resp->attempts++;
        resp->status = res.code == CURLE_OK ? res.status : (res.status > 0 ? res.status : 0);
        if (res.code == CURLE_ABORTED_BY_CALLBACK) {
            st = ais_status_fail(AIS_ERR_INTERRUPTED, errbuf, errsize, "%s %s: interrupted",
                                 method, url);
            goto out;
        }
        describe(&res, &sink, why, sizeof why);
        bool redirected = req->no_redirect && res.status >= 300 && res.status < 400;
        if (res.code == CURLE_OK && ((res.status >= 200 && res.status < 300) || redirected)) {
            resp->location = res.location;
            res.location = NULL;
            if (x->dest_path != NULL) {
                st = finish_part(x, &sink, resp, errbuf, errsize);
            } else {
                resp->body = sink.buf != NULL ? sink.buf : calloc(1, 1);
                sink.buf = NULL;
                resp->len = sink.len;
                st = resp->body != NULL ? AIS_OK : AIS_ERR_NOMEM;
            }
            goto out;
        }
        free(res.location); /* only a redirected answer has one */
        if (x->dest_path != NULL && sink.fd >= 0) {
            close(sink.fd);
            sink.fd = -1;
        }
        if (sink.too_large || sink.write_failed) {
            resp->too_large = sink.too_large;
            st = ais_status_fail(AIS_ERR_HTTP, errbuf, errsize, "%s %s: %s (attempt %u)",
                                 method, url, why, resp->attempts);
            goto out;
        }
        if (res.code == CURLE_OK && res.status == 401 && req->auth != NULL && !refreshed) {
            char aerr[256] = "";
            refreshed = true;
            resp->token_refreshed = true;
            ais_log(c->logger, AIS_LOG_WARNING, "http_token_refresh", AIS_F_STR("url", url),
                    AIS_F_INT("attempt", resp->attempts), AIS_F_END);
            st = req->auth->authorize(req->auth->ctx, true, auth_value, AUTH_HEADER_MAX, aerr,
                                      sizeof aerr);
            if (st != AIS_OK) {
                st = ais_status_fail(st == AIS_ERR_INTERRUPTED ? st : AIS_ERR_HTTP, errbuf,
                                     errsize, "%s %s: HTTP 401 and the token refresh failed: %s",
                                     method, url, aerr);
                goto out;
            }
            continue;
        }
        bool retryable = res.code == CURLE_OK ? (res.status >= 500 || res.status == 429)
                                              : curl_code_retryable(res.code);
        if (!retryable) {
            /* a final answer: keep the body so the caller can record what the server said */
            if (x->dest_path == NULL && res.code == CURLE_OK) {
                resp->body = sink.buf != NULL ? sink.buf : calloc(1, 1);
                sink.buf = NULL;
                resp->len = sink.len;
            }
            st = ais_status_fail(AIS_ERR_HTTP, errbuf, errsize,
                                 "%s %s: %s, not retryable (attempt %u)", method, url, why,
                                 resp->attempts);
            goto out;
        }
        failed++;
        if (failed >= c->opts.max_attempts) {
            if (req->keep_error_body && x->dest_path == NULL && res.code == CURLE_OK) {
                resp->body = sink.buf != NULL ? sink.buf : calloc(1, 1);
                sink.buf = NULL;
                resp->len = sink.len;
            }
            st = ais_status_fail(AIS_ERR_HTTP, errbuf, errsize,
                                 "%s %s: %s after %u attempts", method, url, why,
                                 resp->attempts);
            goto out;
        }
        c->stats.retries++;
        long delay = backoff_ms(c, failed);
        if (res.code == CURLE_OK && res.status == 429 && res.retry_after_s >= 0) {
            long cap = c->opts.retry_after_max_seconds;
            delay = (res.retry_after_s < cap ? res.retry_after_s : cap) * 1000;
        }
        ais_log(c->logger, AIS_LOG_WARNING, "http_retry", AIS_F_STR("method", method),
                AIS_F_STR("url", url), AIS_F_INT("http_status", res.status),
                AIS_F_STR("error", why), AIS_F_INT("attempt", resp->attempts),
                AIS_F_INT("wait_ms", delay), AIS_F_END);
        if (!wait_ms(c, delay)) {
            st = ais_status_fail(AIS_ERR_INTERRUPTED, errbuf, errsize,
                                 "%s %s: interrupted while waiting to retry", method, url);
            goto out;
        }
    }
out:
    c->stats.requests++;
    c->stats.attempts += resp->attempts;
    c->stats.token_refreshes += resp->token_refreshed ? 1u : 0u;
    if (st == AIS_OK)
        c->stats.bytes += resp->len;
    else
        c->stats.failed++;
    if (sink.fd >= 0)
        close(sink.fd);
    if (x->part_path != NULL && st != AIS_OK)
        unlink(x->part_path);
    free(sink.buf);
    EVP_MD_CTX_free(sink.md);
    if (auth_value != NULL) {
        explicit_bzero(auth_value, AUTH_HEADER_MAX);
        free(auth_value);
    }
    return st;
}

ais_status ais_http_send(ais_http_client *client, const ais_http_request *req,
                         ais_http_response *resp, char *errbuf, size_t errbuf_size)
{
    if (client == NULL || req == NULL || req->url == NULL || resp == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(resp, 0, sizeof *resp);
    send_ctx x = {0};
    return send_loop(client, req, &x, resp, errbuf, errbuf_size);
}

ais_status ais_http_download(ais_http_client *client, const ais_http_request *req,
                             const char *dest_path, ais_http_response *resp, char *errbuf,
                             size_t errbuf_size)
{
    if (client == NULL || req == NULL || req->url == NULL || resp == NULL || dest_path == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(resp, 0, sizeof *resp);
    const char *slash = strrchr(dest_path, '/');
    size_t dirlen = slash != NULL ? (size_t)(slash - dest_path) + 1 : 0;
    const char *name = dest_path + dirlen;
    if (name[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    size_t n = strlen(dest_path) + 8;
    send_ctx x = {.dest_path = dest_path, .part_path = malloc(n)};
    if (x.part_path == NULL)
        return AIS_ERR_NOMEM;
    snprintf(x.part_path, n, "%.*s.%s.part", (int)dirlen, dest_path, name);
    ais_status st = send_loop(client, req, &x, resp, errbuf, errbuf_size);
    free(x.part_path);
    return st;
}
