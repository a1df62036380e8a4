#include "ais/live.h"

#include <stdio.h>

ais_status ais_live_get(ais_http_client *http, const ais_http_request *req, ais_dlq *dlq,
                        ais_http_response *resp, bool *dead_lettered, char *errbuf,
                        size_t errbuf_size)
{
    if (http == NULL || req == NULL || dlq == NULL || resp == NULL || dead_lettered == NULL)
        return AIS_ERR_INVALID_ARG;
    *dead_lettered = false;
    ais_status st = ais_http_send(http, req, resp, errbuf, errbuf_size);
    if (st != AIS_ERR_HTTP || !ais_http_status_is_final_client_error(resp->status) ||
        resp->status == 401 || resp->status == 403 || resp->too_large)
        return st;
    char reason[32], url[512];
    snprintf(reason, sizeof reason, "http_%ld", resp->status);
    ais_http_redact_url(req->url, req->secrets, url, sizeof url);
    ais_dead_letter dl = {.reason = reason,
                          .detail = errbuf,
                          .raw = resp->body,
                          .raw_len = resp->len,
                          .file = url};
    st = ais_dlq_reject(dlq, &dl);
    ais_http_response_free(resp);
    if (st == AIS_OK)
        *dead_lettered = true;
    return st;
}
