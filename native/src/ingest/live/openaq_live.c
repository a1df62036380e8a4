/* OpenAQ v3 live: locations in the area, their sensors, each sensor's hours over the window,
 * every page (ais/openaq.h). Hours become events through ais_openaq_event_new, the format the
 * replay and the simulator use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ais/airnow.h" /* ais_replay_stats */
#include "ais/dlq.h"
#include "ais/http.h"
#include "ais/live.h"
#include "ais/openaq.h"
#include "ais/sink.h"
#include "ais/timeutil.h"

#define URL_SIZE 2048

/* ------------------------------------------------------------------------------------------ */
/* One page of /sensors/{id}/hours                                                            */

static ais_status reject_result(const ais_openaq_hours_visitor *v, json_t *res, const char *reason,
                                const char *detail)
{
    char *raw = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);
    ais_status st = v->on_reject(v->ctx, reason, detail, raw, raw != NULL ? strlen(raw) : 0);
    free(raw);
    return st;
}

static bool json_int_of(json_t *j, int64_t *out)
{
    if (!json_is_integer(j))
        return false;
    *out = (int64_t)json_integer_value(j);
    return true;
}

static const char *utc_of(json_t *period, const char *key)
{
    return json_string_value(json_object_get(json_object_get(period, key), "utc"));
}

/* 0 when the result made an hour (or was outside the window), else the reject status. */
static ais_status read_result(json_t *res, const ais_openaq_sensor_ref *ref, int64_t ws,
                              int64_t we, const ais_openaq_hours_visitor *v, uint64_t *outside)
{
    json_t *period = json_object_get(res, "period");
    const char *from_s = utc_of(period, "datetimeFrom");
    const char *to_s = utc_of(period, "datetimeTo");
    int64_t from, to;
    if (!json_is_object(res))
        return reject_result(v, res, "bad_result", "an hours result must be an object");
    if (from_s == NULL || to_s == NULL)
        return reject_result(v, res, "missing_period",
                             "period.datetimeFrom.utc and period.datetimeTo.utc are required");
    if (ais_time_parse_iso(from_s, &from) != AIS_OK || ais_time_parse_iso(to_s, &to) != AIS_OK ||
        to - from != AIS_SECONDS_PER_HOUR || from % AIS_SECONDS_PER_HOUR != 0)
        return reject_result(v, res, "bad_period",
                             "the period must be one hour starting on an hour boundary");
    json_t *param = json_object_get(res, "parameter");
    const char *pname = json_string_value(json_object_get(param, "name"));
    if (pname != NULL && strcmp(pname, ref->parameter) != 0)
        return reject_result(v, res, "parameter_mismatch",
                             "the result's parameter is not the sensor's");
    json_t *value = json_object_get(res, "value");
    if (value != NULL && !json_is_null(value) && !json_is_number(value))
        return reject_result(v, res, "bad_type_value", "value must be a number or null");
    json_t *cov = json_object_get(res, "coverage");
    int64_t expected, observed;
    if (!json_is_object(cov))
        return reject_result(v, res, "missing_coverage", "coverage is required");
    if (!json_int_of(json_object_get(cov, "expectedCount"), &expected) ||
        !json_int_of(json_object_get(cov, "observedCount"), &observed) || expected < 1 ||
        expected > 1000000 || observed < 0 || observed > expected)
        return reject_result(v, res, "bad_coverage",
                             "coverage.expectedCount must be >= 1 and observedCount within "
                             "0..expectedCount");
    if (from < ws || from >= we) {
        (*outside)++;
        return AIS_OK;
    }
    const char *units = json_string_value(json_object_get(param, "units"));
    ais_openaq_hour h = {.location_id = ref->location_id,
                         .sensor_id = ref->sensor_id,
                         .location_name = ref->location_name,
                         .parameter = ref->parameter,
                         .units = units != NULL ? units : ref->units,
                         .has_value = json_is_number(value),
                         .value = json_is_number(value) ? json_number_value(value) : 0.0,
                         .latitude = ref->latitude,
                         .longitude = ref->longitude,
                         .hour_start = from,
                         .expected_count = (int)expected,
                         .observed_count = (int)observed};
    return v->on_hour(v->ctx, &h);
}

ais_status ais_openaq_parse_hours(const char *body, size_t len, const ais_openaq_sensor_ref *ref,
                                  int64_t window_start, int64_t window_end,
                                  const ais_openaq_hours_visitor *v, size_t *results_out,
                                  uint64_t *outside, const char **reason)
{
    if (body == NULL || ref == NULL || v == NULL || results_out == NULL || outside == NULL ||
        reason == NULL)
        return AIS_ERR_INVALID_ARG;
    *reason = NULL;
    *results_out = 0;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        *reason = "malformed_json";
        return AIS_ERR_PARSE;
    }
    json_t *results = json_object_get(root, "results");
    if (!json_is_array(results)) {
        json_decref(root);
        *reason = "missing_results";
        return AIS_ERR_PARSE;
    }
    *results_out = json_array_size(results);
    ais_status st = AIS_OK;
    for (size_t i = 0; i < json_array_size(results) && st == AIS_OK; i++)
        st = read_result(json_array_get(results, i), ref, window_start, window_end, v, outside);
    json_decref(root);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* The crawl                                                                                  */

typedef struct sensor {
    int64_t location_id, sensor_id;
    char *location_name, *parameter, *units;
    double latitude, longitude;
} sensor;

typedef struct crawl {
    ais_http_client *http;
    const ais_openaq_live_params *p;
    const ais_envelope *env;
    const ais_sink *sink;
    ais_dlq *dlq;
    ais_replay_stats *stats;
    char base[URL_SIZE / 2];
    char key_header[600];
    const char *secrets[2];
    sensor *sensors;
    size_t n_sensors, cap_sensors;
    const char *url; /* the page being read (no secret in OpenAQ URLs: the key is a header) */
    char *errbuf;
    size_t errsize;
} crawl;

static ais_status get_page(crawl *c, const char *url, ais_http_response *resp, bool *dead)
{
    const char *headers[] = {"Accept: application/json", c->key_header, NULL};
    ais_http_request req = {.url = url, .headers = headers, .secrets = c->secrets};
    return ais_live_get(c->http, &req, c->dlq, resp, dead, c->errbuf, c->errsize);
}

static ais_status dead_letter(crawl *c, const char *reason, const char *detail, const char *raw,
                              size_t raw_len)
{
    /* a body that echoes the key must not carry it into the dead letters */
    size_t len = 0;
    char *clean = ais_live_scrub(raw, raw_len, c->secrets, &len);
    if (clean == NULL)
        return AIS_ERR_NOMEM;
    ais_dead_letter dl = {.reason = reason, .detail = detail, .raw = clean, .raw_len = len,
                          .file = c->url};
    ais_status st = ais_dlq_reject(c->dlq, &dl);
    free(clean);
    return st;
}

static bool parameter_wanted(const crawl *c, const char *name)
{
    for (size_t i = 0; name != NULL && i < c->p->n_parameters; i++)
        if (strcmp(c->p->parameters[i], name) == 0)
            return true;
    return false;
}

static ais_status add_sensor(crawl *c, const sensor *s)
{
    if (c->n_sensors == c->cap_sensors) {
        size_t cap = c->cap_sensors ? c->cap_sensors * 2 : 64;
        sensor *grown = realloc(c->sensors, cap * sizeof *grown);
        if (grown == NULL)
            return AIS_ERR_NOMEM;
        c->sensors = grown;
        c->cap_sensors = cap;
    }
    sensor *d = &c->sensors[c->n_sensors];
    d->location_id = s->location_id;
    d->sensor_id = s->sensor_id;
    d->latitude = s->latitude;
    d->longitude = s->longitude;
    d->location_name = strdup(s->location_name);
    d->parameter = strdup(s->parameter);
    d->units = strdup(s->units);
    if (d->location_name == NULL || d->parameter == NULL || d->units == NULL) {
        free(d->location_name);
        free(d->parameter);
        free(d->units);
        return AIS_ERR_NOMEM;
    }
    c->n_sensors++;
    return AIS_OK;
}

static ais_status read_location(crawl *c, json_t *loc)
{
    json_t *coords = json_object_get(loc, "coordinates");
    json_t *lat = json_object_get(coords, "latitude"), *lon = json_object_get(coords, "longitude");
    json_t *sensors = json_object_get(loc, "sensors");
    int64_t id;
    if (!json_int_of(json_object_get(loc, "id"), &id) || !json_is_number(lat) ||
        !json_is_number(lon) || !json_is_array(sensors)) {
        char *raw = json_dumps(loc, JSON_COMPACT | JSON_ENCODE_ANY);
        ais_status st = dead_letter(c, "bad_location",
                                    "a location needs an integer id, numeric coordinates and a "
                                    "sensors array",
                                    raw, raw != NULL ? strlen(raw) : 0);
        free(raw);
        c->stats->records_rejected++;
        return st;
    }
    const char *name = json_string_value(json_object_get(loc, "name"));
    for (size_t i = 0; i < json_array_size(sensors); i++) {
        json_t *js = json_array_get(sensors, i);
        json_t *param = json_object_get(js, "parameter");
        const char *pname = json_string_value(json_object_get(param, "name"));
        const char *units = json_string_value(json_object_get(param, "units"));
        int64_t sid;
        if (!parameter_wanted(c, pname))
            continue;
        if (!json_int_of(json_object_get(js, "id"), &sid) || units == NULL) {
            char *raw = json_dumps(js, JSON_COMPACT | JSON_ENCODE_ANY);
            ais_status st = dead_letter(c, "bad_sensor",
                                        "a sensor needs an integer id and parameter.units", raw,
                                        raw != NULL ? strlen(raw) : 0);
            free(raw);
            c->stats->records_rejected++;
            if (st != AIS_OK)
                return st;
            continue;
        }
        sensor s = {.location_id = id, .sensor_id = sid, .location_name = (char *)(name ? name : ""),
                    .parameter = (char *)pname, .units = (char *)units,
                    .latitude = json_number_value(lat), .longitude = json_number_value(lon)};
        ais_status st = add_sensor(c, &s);
        if (st != AIS_OK)
            return st;
    }
    return AIS_OK;
}

/* Whether another page may follow: a full page, unless meta.found (when a number) is reached. */
static bool more_pages(json_t *root, size_t got, unsigned limit, unsigned page)
{
    if (got < limit)
        return false;
    json_int_t found;
    json_t *jf = json_object_get(json_object_get(root, "meta"), "found");
    if (json_is_integer(jf)) {
        found = json_integer_value(jf);
        return (json_int_t)page * (json_int_t)limit < found;
    }
    return true; /* OpenAQ may say ">1000": keep reading until a short page */
}

static ais_status too_many_pages(crawl *c, const char *what)
{
    return ais_status_fail(AIS_ERR_RANGE, c->errbuf, c->errsize,
                           "%s has more than openaq.max_pages=%u pages of %u; raise the limit "
                           "rather than ingest part of it",
                           what, c->p->max_pages, c->p->page_limit);
}

/* A page answered with a final 4xx (already a dead letter; errbuf holds the client's message,
 * which names the URL and the status): the window cannot be complete. */
static ais_status answered_4xx(crawl *c, unsigned page, const char *what)
{
    char said[512];
    snprintf(said, sizeof said, "%s", c->errbuf != NULL ? c->errbuf : "");
    return ais_status_fail(AIS_ERR_HTTP, c->errbuf, c->errsize,
                           "%s (dead letter): page %u of %s is missing; the window is "
                           "incomplete and is not recorded",
                           said, page, what);
}

static ais_status list_locations(crawl *c)
{
    char url[URL_SIZE];
    bool more = true;
    for (unsigned page = 1; more; page++) {
        if (page > c->p->max_pages)
            return too_many_pages(c, "the locations listing");
        if (c->p->countries_id != NULL && c->p->countries_id[0] != '\0')
            snprintf(url, sizeof url, "%s/locations?countries_id=%s&limit=%u&page=%u", c->base,
                     c->p->countries_id, c->p->page_limit, page);
        else
            snprintf(url, sizeof url, "%s/locations?bbox=%.4f,%.4f,%.4f,%.4f&limit=%u&page=%u",
                     c->base, c->p->west, c->p->south, c->p->east, c->p->north,
                     c->p->page_limit, page);
        c->url = url;
        ais_http_response resp;
        bool dead = false;
        ais_status st = get_page(c, url, &resp, &dead);
        if (st != AIS_OK)
            return st;
        if (dead) /* the area itself is refused: nothing to list, the run cannot be complete */
            return answered_4xx(c, page, "the locations listing");
        c->stats->files_read++;
        json_t *root = json_loadb(resp.body, resp.len, JSON_REJECT_DUPLICATES, NULL);
        json_t *results = json_object_get(root, "results");
        if (!json_is_array(results)) {
            st = dead_letter(c, root == NULL ? "malformed_json" : "missing_results",
                             "a locations page must be a JSON object with a results array",
                             resp.body, resp.len);
            c->stats->files_rejected++;
            json_decref(root);
            ais_http_response_free(&resp);
            /* the sensors behind this page are unknown: the window cannot be complete */
            return st != AIS_OK ? st
                                : ais_status_fail(AIS_ERR_PARSE, c->errbuf, c->errsize,
                                                  "GET %s: page %u is not a locations page "
                                                  "(dead letter); the window is incomplete and "
                                                  "is not recorded",
                                                  url, page);
        }
        for (size_t i = 0; i < json_array_size(results) && st == AIS_OK; i++)
            st = read_location(c, json_array_get(results, i));
        more = more_pages(root, json_array_size(results), c->p->page_limit, page);
        json_decref(root);
        ais_http_response_free(&resp);
        if (st != AIS_OK)
            return st;
    }
    return AIS_OK;
}

static ais_status on_hour(void *ctx, const ais_openaq_hour *h)
{
    crawl *c = ctx;
    int64_t now;
    json_t *ev = NULL;
    c->stats->records_read++;
    ais_status st = ais_time_now(&now, NULL);
    if (st == AIS_OK)
        st = ais_openaq_event_new(c->env, h, now, &ev);
    if (st == AIS_OK)
        st = ais_sink_write(c->sink, ev);
    if (st == AIS_OK)
        c->stats->events++;
    json_decref(ev);
    return st;
}

static ais_status on_reject(void *ctx, const char *reason, const char *detail, const char *raw,
                            size_t raw_len)
{
    crawl *c = ctx;
    c->stats->records_read++;
    c->stats->records_rejected++;
    return dead_letter(c, reason, detail, raw, raw_len);
}

static ais_status sensor_hours(crawl *c, const sensor *s)
{
    char url[URL_SIZE], from[AIS_TIME_ISO_SIZE], to[AIS_TIME_ISO_SIZE];
    char from_q[64], to_q[64];
    ais_status st = ais_time_format_iso(c->env->window_start, from);
    if (st == AIS_OK)
        st = ais_time_format_iso(c->env->window_end, to);
    if (st == AIS_OK)
        st = ais_http_url_encode(from, from_q, sizeof from_q);
    if (st == AIS_OK)
        st = ais_http_url_encode(to, to_q, sizeof to_q);
    if (st != AIS_OK)
        return st;
    ais_openaq_sensor_ref ref = {.location_id = s->location_id, .location_name = s->location_name,
                                 .latitude = s->latitude, .longitude = s->longitude,
                                 .sensor_id = s->sensor_id, .parameter = s->parameter,
                                 .units = s->units};
    ais_openaq_hours_visitor v = {.ctx = c, .on_hour = on_hour, .on_reject = on_reject};
    bool more = true;
    for (unsigned page = 1; more; page++) {
        char what[96];
        snprintf(what, sizeof what, "sensor %lld's hours", (long long)s->sensor_id);
        if (page > c->p->max_pages)
            return too_many_pages(c, what);
        snprintf(url, sizeof url,
                 "%s/sensors/%lld/hours?datetime_from=%s&datetime_to=%s&limit=%u&page=%u",
                 c->base, (long long)s->sensor_id, from_q, to_q, c->p->page_limit, page);
        c->url = url;
        ais_http_response resp;
        bool dead = false;
        if ((st = get_page(c, url, &resp, &dead)) != AIS_OK)
            return st;
        if (dead && page == 1) /* say 404 for a sensor that went away: it gives nothing (a dead
                                  letter), the others go on */
            return AIS_OK;
        if (dead) /* the sensor failed after some of its hours: they would be a part */
            return answered_4xx(c, page, what);
        c->stats->files_read++;
        size_t got = 0;
        const char *reason = NULL;
        st = ais_openaq_parse_hours(resp.body, resp.len, &ref, c->env->window_start,
                                    c->env->window_end, &v, &got, &c->stats->outside_window,
                                    &reason);
        if (st == AIS_ERR_PARSE && reason != NULL) {
            /* the page's hours are in the dead letter, and the following pages cannot be
             * found without it: the window fails rather than land part of this sensor */
            c->stats->files_rejected++;
            st = dead_letter(c, reason, "an hours page must be a JSON object with a results array",
                             resp.body, resp.len);
            ais_http_response_free(&resp);
            return st != AIS_OK ? st
                                : ais_status_fail(AIS_ERR_PARSE, c->errbuf, c->errsize,
                                                  "GET %s: page %u of %s is not an hours page "
                                                  "(%s, dead letter); the window is incomplete "
                                                  "and is not recorded",
                                                  url, page, what, reason);
        }
        if (st == AIS_OK) {
            json_t *root = json_loadb(resp.body, resp.len, 0, NULL);
            more = more_pages(root, got, c->p->page_limit, page);
            json_decref(root);
        }
        ais_http_response_free(&resp);
        if (st != AIS_OK)
            return st;
    }
    return AIS_OK;
}

ais_status ais_openaq_live(struct ais_http_client *http, const ais_openaq_live_params *p,
                           const ais_envelope *env, const struct ais_sink *sink,
                           struct ais_dlq *dlq, struct ais_replay_stats *stats, char *errbuf,
                           size_t errbuf_size)
{
    if (http == NULL || p == NULL || p->base_url == NULL || p->api_key == NULL || env == NULL ||
        sink == NULL || dlq == NULL || stats == NULL || p->parameters == NULL ||
        p->n_parameters == 0 || p->page_limit == 0 || p->max_pages == 0)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    crawl c = {.http = http, .p = p, .env = env, .sink = sink, .dlq = dlq, .stats = stats,
               .errbuf = errbuf, .errsize = errbuf_size};
    size_t blen = strlen(p->base_url);
    while (blen > 0 && p->base_url[blen - 1] == '/')
        blen--;
    if (blen >= sizeof c.base || strlen(p->api_key) > 500)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "runtime.openaq_base_url or OPENAQ_API_KEY is too long");
    memcpy(c.base, p->base_url, blen);
    c.base[blen] = '\0';
    snprintf(c.key_header, sizeof c.key_header, "X-API-Key: %s", p->api_key);
    c.secrets[0] = p->api_key;
    c.secrets[1] = NULL;
    ais_status st = list_locations(&c);
    for (size_t i = 0; i < c.n_sensors && st == AIS_OK; i++)
        st = sensor_hours(&c, &c.sensors[i]);
    for (size_t i = 0; i < c.n_sensors; i++) {
        free(c.sensors[i].location_name);
        free(c.sensors[i].parameter);
        free(c.sensors[i].units);
    }
    free(c.sensors);
    explicit_bzero(c.key_header, sizeof c.key_header);
    return st;
}
