/* Live search and download of MAIAC MCD19A2 granules from NASA CMR (ais/gridded_live.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ais/live.h"
#include "ais/timeutil.h"
#include "gridded_fetch.h"

static const char *data_link(json_t *entry)
{
    json_t *links = json_object_get(entry, "links");
    for (size_t i = 0; i < json_array_size(links); i++) {
        json_t *l = json_array_get(links, i);
        const char *rel = json_string_value(json_object_get(l, "rel"));
        const char *href = json_string_value(json_object_get(l, "href"));
        size_t rl = rel != NULL ? strlen(rel) : 0, hl = href != NULL ? strlen(href) : 0;
        if (rl >= 6 && strcmp(rel + rl - 6, "/data#") == 0 && hl > 4 &&
            strcmp(href + hl - 4, ".hdf") == 0 && (strncmp(href, "http://", 7) == 0 ||
                                                   strncmp(href, "https://", 8) == 0))
            return href;
    }
    return NULL;
}

ais_status ais_gf_maiac_fetch(ais_gf_fetch *f)
{
    char base[URL_SIZE / 2], start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE];
    const char *product = ais_config_get(f->cfg, "maiac.product");
    const char *version = ais_config_get(f->cfg, "maiac.collection");
    ais_status st = ais_gf_cfg_url(f, "runtime.cmr_base_url", base, sizeof base);
    if (st == AIS_OK)
        st = ais_gf_window_iso(f, start, end);
    if (st == AIS_OK && (product == NULL || version == NULL || !ais_gf_safe_name(product) ||
                         !ais_gf_safe_name(version)))
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "maiac.product and maiac.collection are required");
    /* LP DAAC serves the granules only to an Earthdata Login user: a user token as bearer. */
    const char *edl_token = NULL;
    char edl_header[TOKEN_SIZE];
    if (st == AIS_OK)
        st = ais_gf_secret(f, "EARTHDATA_TOKEN", &edl_token);
    if (st == AIS_OK && strlen(edl_token) + sizeof "Authorization: Bearer " > sizeof edl_header)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "EARTHDATA_TOKEN is longer than %zu bytes", sizeof edl_header);
    if (st == AIS_OK)
        snprintf(edl_header, sizeof edl_header, "Authorization: Bearer %s", edl_token);
    const char *dl_headers[] = {edl_header, NULL};
    /* one progress step per granule downloaded; the pages do not say how many will come */
    ais_progress_begin(f->progress, 0);
    bool more = true;
    for (long page = 1; st == AIS_OK && more; page++) {
        char url[URL_SIZE];
        if (page > f->max_pages) {
            explicit_bzero(edl_header, sizeof edl_header);
            ais_progress_end(f->progress, true);
            return ais_status_fail(AIS_ERR_RANGE, f->errbuf, f->errsize,
                                   "the CMR granule search has more than gridded_live.max_pages="
                                   "%ld pages", f->max_pages);
        }
        snprintf(url, sizeof url,
                 "%s/granules.json?short_name=%s&version=%s&bounding_box=%.4f,%.4f,%.4f,%.4f"
                 "&temporal=%s,%s&page_size=%ld&page_num=%ld",
                 base, product, version, f->west, f->south, f->east, f->north, start, end,
                 f->page_size, page);
        json_t *root = NULL;
        st = ais_gf_search_page(f, url, "a CMR granule search page", &root);
        if (st != AIS_OK)
            break;
        json_t *entries = json_object_get(json_object_get(root, "feed"), "entry");
        if (!json_is_array(entries)) {
            st = ais_gf_reject_page(f, root, "missing_entry", url, "a CMR granule search page");
            json_decref(root);
            break;
        }
        size_t count = json_array_size(entries);
        for (size_t i = 0; st == AIS_OK && i < count; i++) {
            json_t *e = json_array_get(entries, i);
            const char *href = data_link(e);
            const char *name = href != NULL ? strrchr(href, '/') + 1 : NULL;
            f->stats->found++;
            if (!ais_gf_safe_name(name)) {
                st = ais_gf_reject_entry(f, e, "missing_data_link",
                                         "a CMR granule needs an http(s) .hdf data link");
                continue;
            }
            /* the granules.json (Atom) entries of a CMR search carry no checksum (CMR keeps
             * them in the UMM-G records' DataGranule.ArchiveAndDistributionInformation, which
             * this search does not ask for): the granule is not verified */
            ais_http_request dreq = {.url = href, .headers = dl_headers};
            ais_gf_progress_step(f, name);
            st = ais_gf_download(f, &dreq, name, NULL);
        }
        more = count >= (size_t)f->page_size;
        json_decref(root);
    }
    ais_progress_end(f->progress, st != AIS_OK);
    explicit_bzero(edl_header, sizeof edl_header);
    return st;
}
