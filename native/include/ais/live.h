/* What the live adapters share: requests whose credentials stay with their host, and one GET
 * whose refusal becomes a dead letter instead of a failed run when repeating it cannot help.
 *
 * Redirects. libcurl, following a redirect by itself, drops only Authorization and cookies when
 * the host changes; a custom header (X-API-Key, PRIVATE-TOKEN, a bearer token passed as a plain
 * header) and a key in the query string would go to whatever host the Location names. So every
 * live request is sent with no_redirect and the redirects are followed here, at most
 * AIS_LIVE_MAX_REDIRECTS hops. A hop whose origin (scheme, host, port; the default port of the
 * scheme when none is written) is not the origin of the first URL is a cross-origin hop; so is
 * any https -> http step, since the scheme is part of the origin. A cross-origin hop is sent:
 *   - without the ais_http_auth provider (no Authorization) and with only the request headers
 *     that carry no credential: Accept, Accept-Encoding, Accept-Language, Cache-Control,
 *     Content-Language, Content-Type, If-Match, If-Modified-Since, If-None-Match,
 *     If-Unmodified-Since, Range, User-Agent (every other header is dropped, and so is a kept
 *     header whose value contains one of request.secrets);
 *   - without the query parameters named like a credential (key, apikey, api_key, token,
 *     access_token, password, client_secret) or whose value contains one of request.secrets;
 *   - not at all (AIS_ERR_HTTP) if one of request.secrets is still somewhere in its URL, or if
 *     it would repeat a request body (307/308 after a POST: the body may hold a password).
 * A 303, and a 301/302 after a POST, continue as a GET without the body, as browsers and curl
 * do; 307/308 repeat the method and body (same origin only). A PUT is never redirected (its 3xx
 * ends the request as in ais/http.h). A target that is not http(s), a 3xx without a Location
 * and more than AIS_LIVE_MAX_REDIRECTS hops fail the request with AIS_ERR_HTTP. A request with
 * no_redirect set by the caller is passed through unchanged (the caller sees the 3xx).
 *
 * Nothing here writes a secret anywhere: error messages carry URLs through ais_http_redact_url
 * with request.secrets, and a dead letter's detail and raw body have every secret replaced by
 * "***" (a server may echo the request, key included, in its error body). */
#ifndef AIS_LIVE_H
#define AIS_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "ais/dlq.h"
#include "ais/http.h"
#include "ais/status.h"

#define AIS_LIVE_MAX_REDIRECTS 5

/* ais_http_send with the redirects followed as described above. Same results and the same
 * response (the last hop's); resp->attempts counts every hop's attempts. */
ais_status ais_live_send(ais_http_client *http, const ais_http_request *req,
                         ais_http_response *resp, char *errbuf, size_t errbuf_size);

/* ais_http_download with the redirects followed as described above. A hop's 3xx body never
 * reaches dest_path (each hop is written to "<dir>/.<name>.hop" and only a 2xx is renamed over
 * dest_path); on failure nothing new is left at either name. */
ais_status ais_live_download(ais_http_client *http, const ais_http_request *req,
                             const char *dest_path, ais_http_response *resp, char *errbuf,
                             size_t errbuf_size);

/* Whether two absolute http(s) URLs have the same origin: scheme and host (both compared
 * without regard to case) and port, a missing port being the scheme's default. false if either
 * cannot be parsed. */
bool ais_live_same_origin(const char *a, const char *b);

/* Sends req with ais_live_send. AIS_OK with *dead_lettered false: a 2xx body in resp (caller
 * frees it). AIS_OK with *dead_lettered true: the server gave a final 4xx other than 401/403
 * (the request names something it does not have or refuses): that answer went to dlq as reason
 * "http_<status>" (raw = the body, file = the URL without secrets, secrets in raw and detail
 * replaced by "***") and resp holds nothing. A 401/403 (bad credentials), exhausted retries or
 * an interruption return the client's status with errbuf set: the window cannot be completed. */
ais_status ais_live_get(ais_http_client *http, const ais_http_request *req, ais_dlq *dlq,
                        ais_http_response *resp, bool *dead_lettered, char *errbuf,
                        size_t errbuf_size);

/* A copy of text (len bytes; NULL is empty) with every string of secrets of 3 bytes or more
 * replaced by "***" (so the copy is never longer), NUL-terminated, its length in *out_len (may
 * be NULL); NULL when out of memory. The caller frees it. */
char *ais_live_scrub(const char *text, size_t len, const char *const *secrets, size_t *out_len);

#endif
