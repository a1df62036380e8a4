/* Live search and download of ERA5 days from CDS API jobs (ais/gridded_live.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ais/live.h"
#include "ais/timeutil.h"
#include "gridded_fetch.h"

static const char *cds_name(const char *short_name)
{
    static const struct {
        const char *s, *cds;
    } map[] = {{"u10", "10m_u_component_of_wind"}, {"v10", "10m_v_component_of_wind"},
               {"blh", "boundary_layer_height"},   {"sp", "surface_pressure"},
               {"t2m", "2m_temperature"},          {"d2m", "2m_dewpoint_temperature"},
               {"tp", "total_precipitation"},      {"msl", "mean_sea_level_pressure"},
               {"u", "u_component_of_wind"},       {"v", "v_component_of_wind"},
               {"w", "vertical_velocity"},         {"z", "geopotential"},
               {"t", "temperature"},               {"q", "specific_humidity"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].s, short_name) == 0)
            return map[i].cds;
    return NULL;
}

static ais_status list_to_json(ais_gf_fetch *f, const char *key, bool names, bool pad_hours,
                               json_t **out)
{
    size_t n = 0;
    if (ais_config_list_len(f->cfg, key, &n) != AIS_OK || n == 0)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "%s must be a non-empty list", key);
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char k[96], hh[8];
        snprintf(k, sizeof k, "%s.%zu", key, i);
        const char *v = ais_config_get(f->cfg, k);
        const char *item = v;
        if (v != NULL && names)
            item = cds_name(v);
        if (v != NULL && pad_hours) {
            snprintf(hh, sizeof hh, "%02ld:00", strtol(v, NULL, 10));
            item = hh;
        }
        if (item == NULL) {
            json_decref(arr);
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                                   "%s: '%s' has no CDS name", k, v != NULL ? v : "");
        }
        json_array_append_new(arr, json_string(item));
    }
    if (arr == NULL)
        return AIS_ERR_NOMEM;
    *out = arr;
    return AIS_OK;
}

static ais_status era5_inputs(ais_gf_fetch *f, bool pressure, const ais_civil_time *day,
                               json_t **out)
{
    json_t *in = json_object(), *vars = NULL, *levels = NULL, *times = NULL;
    char y[8], m[4], d[4];
    ais_status st = list_to_json(f, pressure ? "era5.pressure_vars" : "era5.surface_vars", true,
                                 false, &vars);
    if (st == AIS_OK && pressure)
        st = list_to_json(f, "era5.pressure_levels_hpa", false, false, &levels);
    if (st == AIS_OK && pressure)
        st = list_to_json(f, "era5.pressure_hours_utc", false, true, &times);
    if (st == AIS_OK && !pressure) {
        times = json_array();
        for (int h = 0; times != NULL && h < 24; h++) {
            char hh[8];
            snprintf(hh, sizeof hh, "%02d:00", h);
            json_array_append_new(times, json_string(hh));
        }
    }
    double north, west, south, east;
    if (st == AIS_OK && (ais_config_get_double(f->cfg, "era5.region.north", &north) != AIS_OK ||
                         ais_config_get_double(f->cfg, "era5.region.west", &west) != AIS_OK ||
                         ais_config_get_double(f->cfg, "era5.region.south", &south) != AIS_OK ||
                         ais_config_get_double(f->cfg, "era5.region.east", &east) != AIS_OK))
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "era5.region.north/west/south/east are required");
    if (st != AIS_OK || in == NULL || times == NULL) {
        json_decref(in);
        json_decref(vars);
        json_decref(levels);
        json_decref(times);
        return st != AIS_OK ? st : AIS_ERR_NOMEM;
    }
    snprintf(y, sizeof y, "%04d", day->year % 10000);
    snprintf(m, sizeof m, "%02d", day->month % 100);
    snprintf(d, sizeof d, "%02d", day->day % 100);
    json_object_set_new(in, "product_type", json_pack("[s]", "reanalysis"));
    json_object_set_new(in, "variable", vars);
    if (levels != NULL)
        json_object_set_new(in, "pressure_level", levels);
    json_object_set_new(in, "year", json_pack("[s]", y));
    json_object_set_new(in, "month", json_pack("[s]", m));
    json_object_set_new(in, "day", json_pack("[s]", d));
    json_object_set_new(in, "time", times);
    json_object_set_new(in, "area", json_pack("[ffff]", north, west, south, east));
    json_object_set_new(in, "data_format", json_string("grib"));
    json_object_set_new(in, "download_format", json_string("unarchived"));
    *out = json_pack("{so}", "inputs", in);
    return *out != NULL ? AIS_OK : AIS_ERR_NOMEM;
}

static bool sleep_or_stop(const ais_gf_fetch *f, long seconds)
{
    for (long i = 0; i < seconds * 10; i++) {
        if (f->stop != NULL && *f->stop)
            return false;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000L};
        nanosleep(&ts, NULL);
    }
    return !(f->stop != NULL && *f->stop);
}

/* GET url as JSON (a failure of any kind ends the window). */
static ais_status get_json(ais_gf_fetch *f, const char *url, const char *const *headers,
                           const char *const *secrets, const char *what, json_t **out)
{
    ais_http_request req = {.url = url, .headers = headers, .secrets = secrets};
    ais_http_response resp;
    ais_status st = ais_live_send(f->http, &req, &resp, f->errbuf, f->errsize);
    if (st == AIS_OK)
        st = ais_gf_parse_json(f, &req, &resp, what, out);
    ais_http_response_free(&resp);
    return st;
}

static ais_status era5_job(ais_gf_fetch *f, const char *base, const char *key_header,
                           const char *const *secrets, bool pressure, const ais_civil_time *day,
                           long poll_s, long max_wait_s)
{
    const char *dataset = pressure ? "reanalysis-era5-pressure-levels"
                                   : "reanalysis-era5-single-levels";
    char url[URL_SIZE], job_url[URL_SIZE], name[160];
    json_t *body = NULL, *root = NULL;
    ais_status st = era5_inputs(f, pressure, day, &body);
    if (st != AIS_OK)
        return st;
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return AIS_ERR_NOMEM;
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json",
                             key_header, NULL};
    snprintf(url, sizeof url, "%s/retrieve/v1/processes/%s/execution", base, dataset);
    ais_http_request req = {.method = "POST", .url = url, .headers = headers, .body = text,
                            .body_len = strlen(text), .secrets = secrets};
    ais_http_response resp;
    st = ais_live_send(f->http, &req, &resp, f->errbuf, f->errsize);
    free(text);
    if (st == AIS_OK)
        st = ais_gf_parse_json(f, &req, &resp, "a CDS job submission answer", &root);
    ais_http_response_free(&resp);
    if (st != AIS_OK)
        return st;
    f->stats->found++;
    const char *jid = json_string_value(json_object_get(root, "jobID"));
    char job[72];
    if (jid == NULL || strspn(jid, "0123456789abcdefABCDEF-") != strlen(jid) || strlen(jid) > 64) {
        json_decref(root);
        return ais_status_fail(AIS_ERR_HTTP, f->errbuf, f->errsize,
                               "POST %s: the answer has no usable jobID", url);
    }
    snprintf(job, sizeof job, "%s", jid);
    snprintf(job_url, sizeof job_url, "%s/retrieve/v1/jobs/%s", base, job);
    json_decref(root);
    root = NULL;
    for (long waited = 0;; waited += poll_s) {
        if ((st = get_json(f, job_url, headers + 1, secrets, "a CDS job status", &root)) != AIS_OK)
            return st;
        const char *status = json_string_value(json_object_get(root, "status"));
        char seen[32];
        snprintf(seen, sizeof seen, "%s", status != NULL ? status : "(none)");
        json_decref(root);
        root = NULL;
        if (strcmp(seen, "successful") == 0)
            break;
        if (strcmp(seen, "accepted") != 0 && strcmp(seen, "running") != 0)
            return ais_status_fail(AIS_ERR_HTTP, f->errbuf, f->errsize,
                                   "CDS job %s (%s %04d-%02d-%02d) ended with status '%s'", job,
                                   dataset, day->year, day->month, day->day, seen);
        if (waited >= max_wait_s)
            return ais_status_fail(AIS_ERR_HTTP, f->errbuf, f->errsize,
                                   "CDS job %s did not finish within %ld s", job, max_wait_s);
        if (!sleep_or_stop(f, poll_s))
            return ais_status_fail(AIS_ERR_INTERRUPTED, f->errbuf, f->errsize,
                                   "interrupted while waiting for CDS job %s", job);
    }
    int un = snprintf(url, sizeof url, "%s/results", job_url);
    if (un < 0 || (size_t)un >= sizeof url)
        return AIS_ERR_RANGE;
    if ((st = get_json(f, url, headers + 1, secrets, "a CDS job result", &root)) != AIS_OK)
        return st;
    const char *href = json_string_value(
        json_object_get(json_object_get(json_object_get(root, "asset"), "value"), "href"));
    if (href == NULL || (strncmp(href, "http://", 7) != 0 && strncmp(href, "https://", 8) != 0)) {
        json_decref(root);
        return ais_status_fail(AIS_ERR_HTTP, f->errbuf, f->errsize,
                               "GET %s: no asset.value.href to download", url);
    }
    /* the job id in the name becomes the events' request_id (ais_era5_request_from_name) */
    snprintf(name, sizeof name, "era5_%s_%04d%02d%02d.cds-%s.grib",
             pressure ? "pressure_levels" : "single_levels", day->year, day->month, day->day, job);
    /* the job's result (asset.value: href, type, size) carries no checksum whose algorithm
     * the CDS API documents: the file is not verified */
    ais_http_request dreq = {.url = href, .secrets = secrets};
    st = ais_gf_download(f, &dreq, name, NULL);
    json_decref(root);
    return st;
}

ais_status ais_gf_era5_fetch(ais_gf_fetch *f)
{
    char base[URL_SIZE / 2], key_header[600];
    const char *key = NULL;
    long poll_s = 0, max_wait_min = 0;
    ais_status st = ais_gf_cfg_url(f, "runtime.cds_api_base_url", base, sizeof base);
    if (st == AIS_OK)
        st = ais_gf_secret(f, "CDS_KEY", &key);
    if (st == AIS_OK &&
        (ais_config_get_long(f->cfg, "gridded_live.cds_poll_seconds", &poll_s) != AIS_OK ||
         poll_s < 1 ||
         ais_config_get_long(f->cfg, "gridded_live.cds_max_wait_minutes", &max_wait_min) !=
             AIS_OK ||
         max_wait_min < 1))
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "gridded_live.cds_poll_seconds and cds_max_wait_minutes must be "
                             "positive");
    if (st == AIS_OK && strlen(key) > 500)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize, "CDS_KEY is too long");
    if (st != AIS_OK)
        return st;
    snprintf(key_header, sizeof key_header, "PRIVATE-TOKEN: %s", key);
    const char *secrets[] = {key, NULL};
    int64_t first = f->env->window_start / AIS_SECONDS_PER_DAY;
    int64_t last = (f->env->window_end - 1) / AIS_SECONDS_PER_DAY;
    ais_progress_begin(f->progress, (size_t)(last - first + 1));
    for (int64_t d = first; st == AIS_OK && d <= last; d++) {
        ais_civil_time day;
        if ((st = ais_time_to_civil(d * AIS_SECONDS_PER_DAY, &day)) != AIS_OK)
            break;
        char label[40];
        snprintf(label, sizeof label, "download %04d-%02d-%02d", day.year, day.month, day.day);
        ais_progress_next(f->progress, label);
        st = era5_job(f, base, key_header, secrets, false, &day, poll_s, max_wait_min * 60);
        if (st == AIS_OK)
            st = era5_job(f, base, key_header, secrets, true, &day, poll_s, max_wait_min * 60);
    }
    ais_progress_end(f->progress, st != AIS_OK);
    explicit_bzero(key_header, sizeof key_header);
    return st;
}
