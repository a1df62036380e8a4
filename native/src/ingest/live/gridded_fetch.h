/* Internal to the gridded live clients (gridded_live.c, s5p_live.c, maiac_live.c, era5_live.c):
 * one window's fetch and the helpers the three clients share. */
#ifndef AIS_INGEST_LIVE_GRIDDED_FETCH_H
#define AIS_INGEST_LIVE_GRIDDED_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ais/gridded_live.h"
#include "ais/http.h"
#include "ais/timeutil.h"

#define URL_SIZE 4096
#define TOKEN_SIZE 8192

/* One window of one source: where the files go, the dead letters, the stats, the errors. */
typedef struct ais_gf_fetch {
    ais_http_client *http;
    const ais_config *cfg;
    const ais_envelope *env;
    ais_dlq *dlq;
    const char *dir;
    const volatile sig_atomic_t *stop;
    ais_gridded_fetch_stats *stats;
    ais_progress *progress; /* may be NULL */
    long page_size, max_pages;
    double west, south, east, north; /* hanoi.bbox */
    bool download_failed;
    char *errbuf;
    size_t errsize;
} ais_gf_fetch;

/* key's URL from the configuration without trailing slashes (configuration error if empty). */
ais_status ais_gf_cfg_url(ais_gf_fetch *f, const char *key, char *out, size_t size);
/* The secret name from the environment (configuration error if missing). */
ais_status ais_gf_secret(ais_gf_fetch *f, const char *name, const char **out);
/* A file name from a server: a plain name, no path, no hidden file. */
bool ais_gf_safe_name(const char *name);
/* resp's body as a JSON object; otherwise a dead letter malformed_json and AIS_ERR_PARSE. */
ais_status ais_gf_parse_json(ais_gf_fetch *f, const ais_http_request *req,
                             const ais_http_response *resp, const char *what, json_t **out);
/* One page of a search listing as a JSON object, counted in the stats. */
ais_status ais_gf_search_page(ais_gf_fetch *f, const char *url, const char *what, json_t **out);
/* A search page without its list of entries: a dead letter, then the window fails. */
ais_status ais_gf_reject_page(ais_gf_fetch *f, const json_t *root, const char *reason,
                              const char *url, const char *what);
/* A listing entry that names no downloadable file: a dead letter; the window is incomplete. */
ais_status ais_gf_reject_entry(ais_gf_fetch *f, const json_t *entry, const char *reason,
                               const char *detail);
/* Downloads req to dir/name, checked against md5 when given (dead letters as in the header). */
ais_status ais_gf_download(ais_gf_fetch *f, const ais_http_request *req, const char *name,
                           const char *md5);
/* Ends the progress step under way and starts "download <name>" (f->progress may be NULL). */
void ais_gf_progress_step(ais_gf_fetch *f, const char *name);
/* The window's bounds as ISO-8601 UTC. */
ais_status ais_gf_window_iso(const ais_gf_fetch *f, char start[AIS_TIME_ISO_SIZE],
                             char end[AIS_TIME_ISO_SIZE]);

/* The three clients: search the window's files and download them into f->dir. */
ais_status ais_gf_s5p_fetch(ais_gf_fetch *f);
ais_status ais_gf_maiac_fetch(ais_gf_fetch *f);
ais_status ais_gf_era5_fetch(ais_gf_fetch *f);

#endif
