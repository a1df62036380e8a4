/* WeatherAPI forecast.json live: one request per configured province through the history
 * adapter's GET (weather_live.c, ais_weather_live_get), each body through
 * ais_weather_forecast_ingest_body. The rules are in ais/weather_forecast.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/http.h"
#include "ais/timeutil.h"
#include "ais/weather_forecast.h"

#define ORIGIN_SIZE 1024

ais_status ais_weather_forecast_live(struct ais_http_client *http,
                                     const ais_weather_forecast_live_params *p,
                                     const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                                     ais_replay_stats *stats, char *errbuf, size_t errbuf_size)
{
    if (http == NULL || p == NULL || p->base_url == NULL || p->api_key == NULL ||
        p->provinces == NULL || p->n_provinces == 0 || env == NULL || sink == NULL ||
        dlq == NULL || stats == NULL || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    ais_weather_forecast_ingest *w = NULL;
    ais_status st = ais_weather_forecast_ingest_new(env, sink, dlq, stats, &w);
    for (size_t i = 0; st == AIS_OK && i < p->n_provinces; i++) {
        const ais_weather_province *prov = p->provinces[i];
        char query[64], params[160], origin[ORIGIN_SIZE];
        snprintf(query, sizeof query, "%.4f,%.4f", prov->latitude, prov->longitude);
        snprintf(params, sizeof params, "q=%s&days=%d&aqi=no&alerts=no", query,
                 AIS_WEATHER_FORECAST_DAYS);
        int64_t fetch_time;
        char *body = NULL;
        size_t len = 0;
        if ((st = ais_time_now(&fetch_time, NULL)) != AIS_OK)
            break;
        st = ais_weather_live_get(http, p->base_url, p->api_key, "forecast.json", params, dlq,
                                  &body, &len, origin, sizeof origin, errbuf, errbuf_size);
        if (st != AIS_OK || body == NULL)
            continue;
        uint64_t rejected = stats->files_rejected;
        st = ais_weather_forecast_ingest_body(w, prov, query, origin, body, len, fetch_time);
        free(body);
        if (st == AIS_OK && stats->files_rejected > rejected)
            /* the province's forecast is missing: the window is not complete */
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size,
                                 "GET %s: the body is not a usable forecast.json (dead letter); "
                                 "the window is incomplete and is not recorded",
                                 origin);
    }
    ais_weather_forecast_ingest_free(w);
    return st;
}
