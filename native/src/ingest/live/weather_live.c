/* WeatherAPI live: history.json per local day and province, through the replay's body path.
 * The key travels as the query parameter key= (WeatherAPI's only way); ais_live_get drops it
 * from a redirect to another origin and every message shows it as key=***. A body the parser
 * rejects as a whole fails the window (after its dead letter); a final 4xx for one
 * province-day (WeatherAPI has no history for that date or place) stays a dead letter "http_<n>"
 * and the window goes on, since asking again gives the same answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/http.h"
#include "ais/live.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

#define URL_SIZE 1024

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

ais_status ais_weather_live_get(ais_http_client *http, const char *base_url, const char *api_key,
                               const char *endpoint, const char *params, ais_dlq *dlq,
                               char **body, size_t *len, char *origin, size_t origin_size,
                               char *errbuf, size_t errsize)
{
    char key[512], url[URL_SIZE];
    *body = NULL;
    *len = 0;
    ais_status st = ais_http_url_encode(api_key, key, sizeof key);
    if (st != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "WEATHER_API_KEY is too long");
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    int n = snprintf(url, sizeof url, "%.*s/%s?key=%s&%s", (int)blen, base_url, endpoint, key,
                     params);
    if (n < 0 || (size_t)n >= sizeof url)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "runtime.weatherapi_base_url is too long");
    const char *secrets[] = {api_key, key, NULL};
    const char *headers[] = {"Accept: application/json", NULL};
    ais_http_request req = {.url = url, .headers = headers, .secrets = secrets};
    ais_http_response resp;
    bool dead = false;
    ais_http_redact_url(req.url, secrets, origin, origin_size);
    st = ais_live_get(http, &req, dlq, &resp, &dead, errbuf, errsize);
    explicit_bzero(url, sizeof url);
    explicit_bzero(key, sizeof key);
    if (st != AIS_OK || dead)
        return st;
    /* a body that echoes the key must not carry it into a dead letter */
    *body = ais_live_scrub(resp.body, resp.len, secrets, len);
    ais_http_response_free(&resp);
    return *body != NULL ? AIS_OK : AIS_ERR_NOMEM;
}

static ais_status fetch_day(ais_http_client *http, const ais_weather_live_params *p,
                            ais_weather_ingest *w, ais_dlq *dlq, const ais_replay_stats *stats,
                            const ais_weather_province *prov, const char *date, char *errbuf,
                            size_t errsize)
{
    char query[64], params[128], origin[URL_SIZE];
    snprintf(query, sizeof query, "%.4f,%.4f", prov->latitude, prov->longitude);
    snprintf(params, sizeof params, "q=%s&dt=%s", query, date);
    char *body = NULL;
    size_t len = 0;
    ais_status st = ais_weather_live_get(http, p->base_url, p->api_key, "history.json", params,
                                         dlq, &body, &len, origin, sizeof origin, errbuf, errsize);
    if (st != AIS_OK || body == NULL)
        return st;
    uint64_t rejected = stats->files_rejected;
    st = ais_weather_ingest_body(w, prov->name, prov->slug, query, origin, body, len);
    free(body);
    if (st == AIS_OK && stats->files_rejected > rejected)
        /* the whole body went to the dead letters (not JSON, cut short, an error object, no
         * forecast): this province-day is missing, so the window is not complete */
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                             "GET %s: the body is not a usable history.json (dead letter); the "
                             "window is incomplete and is not recorded",
                             origin);
    return st;
}

ais_status ais_weather_live(struct ais_http_client *http, const ais_weather_live_params *p,
                            const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                            ais_replay_stats *stats, char *errbuf, size_t errbuf_size)
{
    if (http == NULL || p == NULL || p->base_url == NULL || p->api_key == NULL || env == NULL ||
        sink == NULL || dlq == NULL || stats == NULL || p->n_provinces == 0 ||
        p->n_provinces > ais_weather_province_count() || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    int64_t offset = (int64_t)p->utc_offset_hours * AIS_SECONDS_PER_HOUR;
    int64_t first_day = floor_div(env->window_start + offset, 86400);
    int64_t last_day = floor_div(env->window_end - 1 + offset, 86400);
    ais_weather_ingest *w = NULL;
    ais_status st = ais_weather_ingest_new(env, sink, dlq, stats, &w);
    for (int64_t day = first_day; st == AIS_OK && day <= last_day; day++) {
        ais_civil_time c;
        char date[16];
        if ((st = ais_time_to_civil(day * 86400, &c)) != AIS_OK)
            break;
        snprintf(date, sizeof date, "%04d-%02d-%02d", c.year % 10000, c.month % 100,
                 c.day % 100);
        for (size_t i = 0; st == AIS_OK && i < p->n_provinces; i++)
            st = fetch_day(http, p, w, dlq, stats, ais_weather_province_at(i), date, errbuf,
                           errbuf_size);
    }
    ais_weather_ingest_free(w);
    return st;
}
