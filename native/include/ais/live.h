/* What the live adapters share: one GET whose refusal becomes a dead letter instead of a failed
 * run when repeating it cannot help. */
#ifndef AIS_LIVE_H
#define AIS_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "ais/dlq.h"
#include "ais/http.h"
#include "ais/status.h"

/* Sends req. AIS_OK with *dead_lettered false: a 2xx body in resp (caller frees it). AIS_OK with
 * *dead_lettered true: the server gave a final 4xx other than 401/403 (the request names
 * something it does not have or refuses): that answer went to dlq as reason "http_<status>"
 * (raw = the body, file = the URL without secrets) and resp holds nothing. A 401/403 (bad
 * credentials), exhausted retries or an interruption return the client's status with errbuf
 * set: the window cannot be completed. */
ais_status ais_live_get(ais_http_client *http, const ais_http_request *req, ais_dlq *dlq,
                        ais_http_response *resp, bool *dead_lettered, char *errbuf,
                        size_t errbuf_size);

#endif
