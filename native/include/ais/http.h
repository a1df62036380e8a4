/* HTTP client of the live adapters (libcurl): GET/POST with headers, connect and total
 * timeouts, bounded retries with exponential backoff for what can succeed on a second try,
 * a response size cap, and downloads to a file (temporary name, sha256, rename).
 *
 * Retried (up to max_attempts in all): connection errors and timeouts, HTTP 5xx, and 429 (after
 * its Retry-After, in seconds or as an HTTP date, capped by retry_after_max_seconds; without the
 * header the backoff applies). Never retried: any other 4xx, a response over the size cap, a
 * TLS or URL error. A 401 on a request with an ais_http_auth asks the provider for a fresh
 * token once and repeats the request (this does not count against the retries).
 *
 * Methods: GET, POST (a body from memory), PUT (a body from a file or memory, sent without
 * "Expect: 100-continue") and DELETE. Redirects are followed (at most 5) unless the request says
 * no_redirect (WebHDFS answers a CREATE with a 307 whose Location the caller must see); a PUT is
 * never redirected: its 3xx is the answer (a success with no_redirect, else a final failure).
 *
 * Error messages name the method, the URL with its secrets hidden (query values of key, apikey,
 * api_key, token, access_token, password and every string in request.secrets), the last HTTP
 * status and the number of attempts. Nothing here writes a secret to a log. */
#ifndef AIS_HTTP_H
#define AIS_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/config.h"
#include "ais/log.h"
#include "ais/status.h"

typedef struct ais_http_options {
    long connect_timeout_ms;
    long total_timeout_ms;      /* one attempt, connection included */
    unsigned max_attempts;      /* >= 1: the first try plus the retries */
    long backoff_initial_ms;    /* wait before the second attempt; doubles each time */
    long backoff_max_ms;
    long retry_after_max_seconds;
    size_t max_response_bytes;  /* bodies kept in memory */
    size_t max_download_bytes;  /* files written by ais_http_download */
    /* set (by a signal handler) to stop: waits end early and transfers abort with
     * AIS_ERR_INTERRUPTED. May be NULL. */
    const volatile sig_atomic_t *stop;
} ais_http_options;

/* ingest_http.* of the configuration: connect_timeout_seconds, total_timeout_seconds,
 * max_attempts, backoff_initial_ms, backoff_max_ms, retry_after_max_seconds, max_response_mb,
 * max_download_mb (all required, positive). AIS_ERR_CONFIG_INVALID with errbuf naming the key. */
ais_status ais_http_options_from_config(const ais_config *cfg, ais_http_options *out,
                                        char *errbuf, size_t errbuf_size);

/* Supplies the Authorization header value ("Bearer ...") of a request. refresh is false for
 * the first request and true after a 401: the provider must then fetch a new token. */
typedef struct ais_http_auth {
    void *ctx;
    ais_status (*authorize)(void *ctx, bool refresh, char *out, size_t out_size, char *errbuf,
                            size_t errbuf_size);
} ais_http_auth;

typedef struct ais_http_request {
    const char *method;          /* "GET" (also when NULL), "POST", "PUT" or "DELETE" */
    const char *url;
    const char *const *headers;  /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *body;            /* POST or PUT body, body_len bytes */
    size_t body_len;
    const ais_http_auth *auth;   /* NULL: no Authorization header */
    const char *const *secrets;  /* extra strings to hide in messages, NULL-terminated */
    /* PUT: the body is this file, opened again for every attempt (body is then ignored). A file
     * that cannot be opened ends the request with AIS_ERR_IO. */
    const char *upload_path;
    /* A 3xx answer is not followed: it ends the request like a 2xx (AIS_OK; resp->status says
     * which, resp->location holds the absolute target of its Location header). */
    bool no_redirect;
    /* Also keep the body of the last answer when the retries ran out (a 5xx or 429), as the
     * body of a final 4xx always is, so the caller can report what the server said. */
    bool keep_error_body;
} ais_http_request;

typedef struct ais_http_response {
    long status;       /* last HTTP status, 0 if no response arrived */
    char *body;        /* NUL-terminated (len excludes it); NULL for downloads */
    size_t len;
    unsigned attempts; /* requests sent, token refreshes included */
    bool token_refreshed;
    bool too_large;    /* the body exceeded the cap */
    char sha256[65];   /* downloads: lower-case hex of the file */
    char *location;    /* no_redirect requests answered with a 3xx: where it points; else NULL */
} ais_http_response;

typedef struct ais_http_client ais_http_client;

/* logger may be NULL (no retry warnings). The client keeps a copy of opts. */
ais_status ais_http_client_new(const ais_http_options *opts, ais_logger *logger,
                               ais_http_client **out);
void ais_http_client_free(ais_http_client *client);

/* Sends req until it succeeds or may not be retried. AIS_OK: a 2xx response (or a 3xx with
 * no_redirect) in resp. AIS_ERR_HTTP: no success; resp->status tells why (a 4xx other than 429
 * was final at once, the body kept; 5xx, 429 or 0 after every attempt, the body kept only with
 * keep_error_body) and errbuf holds the message. AIS_ERR_INTERRUPTED when options.stop was set.
 * Either way, release resp with ais_http_response_free. */
ais_status ais_http_send(ais_http_client *client, const ais_http_request *req,
                         ais_http_response *resp, char *errbuf, size_t errbuf_size);

/* Same, streaming a 2xx body to dest_path: written to "<dir>/.<name>.part", fsync'ed, renamed
 * over dest_path; resp->len is its size and resp->sha256 its digest. On failure nothing is left
 * at either name. */
ais_status ais_http_download(ais_http_client *client, const ais_http_request *req,
                             const char *dest_path, ais_http_response *resp, char *errbuf,
                             size_t errbuf_size);

void ais_http_response_free(ais_http_response *resp);

/* What a client did so far (for the run summary). */
typedef struct ais_http_stats {
    uint64_t requests;        /* ais_http_send / ais_http_download calls */
    uint64_t attempts;        /* HTTP exchanges tried */
    uint64_t retries;         /* attempts repeated after a retryable failure */
    uint64_t token_refreshes;
    uint64_t failed;          /* requests that did not end in a 2xx */
    uint64_t bytes;           /* 2xx bodies and files */
} ais_http_stats;
void ais_http_client_stats(const ais_http_client *client, ais_http_stats *out);

/* A 4xx status other than 429: the request is wrong and repeating it cannot help. */
bool ais_http_status_is_final_client_error(long status);

/* The URL with secrets hidden (see the header comment), truncated to fit out. */
void ais_http_redact_url(const char *url, const char *const *secrets, char *out, size_t out_size);

/* Retry-After value: delta seconds ("120") or an HTTP date, relative to now (epoch seconds).
 * A date in the past gives 0. AIS_ERR_PARSE for anything else. */
ais_status ais_http_parse_retry_after(const char *value, int64_t now, long *seconds_out);

/* "a%20b" style percent-encoding of text (unreserved characters kept) into out. AIS_ERR_RANGE if
 * it does not fit. */
ais_status ais_http_url_encode(const char *text, char *out, size_t out_size);

#endif
