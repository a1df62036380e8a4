/* Live search and download of the gridded sources (ais/gridded_live.h): what the three
 * clients share (configuration, search pages, dead letters, downloads with checksums) and the
 * entry point; the clients are s5p_live.c (CDSE), maiac_live.c (NASA CMR), era5_live.c (CDS). */
#include "ais/gridded_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ais/gridded.h" /* ais_file_sha256 */
#include "ais/live.h"
#include "ais/timeutil.h"
#include "gridded_fetch.h"


ais_status ais_gf_cfg_url(ais_gf_fetch *f, const char *key, char *out, size_t size)
{
    const char *v = ais_config_get(f->cfg, key);
    if (v == NULL || v[0] == '\0')
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "%s (env %s) is empty", key, key + strlen("runtime."));
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    if (n >= size)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize, "%s is too long",
                               key);
    memcpy(out, v, n);
    out[n] = '\0';
    return AIS_OK;
}

ais_status ais_gf_secret(ais_gf_fetch *f, const char *name, const char **out)
{
    *out = ais_config_secret(f->cfg, name);
    if (*out == NULL || (*out)[0] == '\0')
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "live mode needs the secret %s in the environment", name);
    return AIS_OK;
}

/* A file name from a server: a plain name, no path, no hidden file. */
bool ais_gf_safe_name(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '.' || strlen(name) > 200)
        return false;
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20)
            return false;
    return true;
}

ais_status ais_gf_parse_json(ais_gf_fetch *f, const ais_http_request *req,
                             const ais_http_response *resp, const char *what, json_t **out)
{
    json_error_t jerr;
    *out = json_loadb(resp->body, resp->len, 0, &jerr);
    if (*out == NULL || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        char shown[512];
        size_t raw_len = 0;
        ais_http_redact_url(req->url, req->secrets, shown, sizeof shown);
        char *raw = ais_live_scrub(resp->body, resp->len, req->secrets, &raw_len);
        if (raw == NULL)
            return AIS_ERR_NOMEM;
        ais_dead_letter dl = {.reason = "malformed_json", .detail = what, .raw = raw,
                              .raw_len = raw_len, .file = shown};
        ais_status st = ais_dlq_reject(f->dlq, &dl);
        free(raw);
        return st != AIS_OK ? st
                            : ais_status_fail(AIS_ERR_PARSE, f->errbuf, f->errsize,
                                              "%s %s: %s is not a JSON object (dead letter); "
                                              "the window is incomplete and is not recorded",
                                              req->method != NULL ? req->method : "GET", shown,
                                              what);
    }
    return AIS_OK;
}

/* One page of a search listing as a JSON object, counted in the download stats. A final 4xx
 * (a dead letter) or a body that is not JSON ends the listing, and so the window. */
ais_status ais_gf_search_page(ais_gf_fetch *f, const char *url, const char *what, json_t **out)
{
    const char *headers[] = {"Accept: application/json", NULL};
    ais_http_request req = {.url = url, .headers = headers};
    ais_http_response resp;
    bool dead = false;
    *out = NULL;
    ais_status st = ais_live_get(f->http, &req, f->dlq, &resp, &dead, f->errbuf, f->errsize);
    if (st == AIS_OK && dead) {
        char said[512];
        snprintf(said, sizeof said, "%s", f->errbuf);
        st = ais_status_fail(AIS_ERR_HTTP, f->errbuf, f->errsize,
                             "%s (dead letter): %s is missing; the window is incomplete and is "
                             "not recorded", said, what);
    }
    if (st == AIS_OK)
        st = ais_gf_parse_json(f, &req, &resp, what, out);
    ais_http_response_free(&resp);
    if (st == AIS_OK)
        f->stats->pages++;
    return st;
}

/* A search page that is JSON but not a listing (no array where the entries should be): a dead
 * letter with the page as its raw record, then the window fails. */
ais_status ais_gf_reject_page(ais_gf_fetch *f, const json_t *root, const char *reason,
                              const char *url, const char *what)
{
    char *raw = json_dumps(root, JSON_COMPACT);
    char shown[512];
    ais_http_redact_url(url, NULL, shown, sizeof shown);
    ais_dead_letter d = {.reason = reason, .detail = what, .raw = raw,
                         .raw_len = raw != NULL ? strlen(raw) : 0, .file = shown};
    ais_status st = ais_dlq_reject(f->dlq, &d);
    free(raw);
    return st != AIS_OK ? st
                        : ais_status_fail(AIS_ERR_PARSE, f->errbuf, f->errsize,
                                          "GET %s: %s without its list of entries (%s, dead "
                                          "letter); the window is incomplete and is not "
                                          "recorded",
                                          shown, what, reason);
}

/* A listing entry that names no downloadable file: a dead letter with the entry as its raw
 * record; the window is then incomplete. */
ais_status ais_gf_reject_entry(ais_gf_fetch *f, const json_t *entry, const char *reason,
                               const char *detail)
{
    char *raw = json_dumps(entry, JSON_COMPACT);
    ais_dead_letter d = {.reason = reason, .detail = detail, .raw = raw,
                         .raw_len = raw != NULL ? strlen(raw) : 0};
    ais_status st = ais_dlq_reject(f->dlq, &d);
    free(raw);
    f->download_failed = true;
    return st;
}

/* Lower-case hex MD5 of a file (33 bytes with the NUL), through libcrypto. */
static ais_status file_md5(const char *path, char out[33])
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return AIS_ERR_IO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ais_status st = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 ? AIS_OK
                                                                               : AIS_ERR_NOMEM;
    unsigned char buf[65536];
    size_t n;
    while (st == AIS_OK && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            st = AIS_ERR_NOMEM;
    if (st == AIS_OK && ferror(fp))
        st = AIS_ERR_IO;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (st == AIS_OK && (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 16))
        st = AIS_ERR_NOMEM;
    EVP_MD_CTX_free(ctx);
    fclose(fp);
    for (unsigned int i = 0; st == AIS_OK && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return st;
}

/* A downloaded file whose MD5 is not the provider's: renamed to <path>.checksum-mismatch (kept,
 * but no longer one of the names the file loop decodes) and one dead letter checksum_mismatch;
 * the window is then incomplete. */
static ais_status reject_checksum(ais_gf_fetch *f, const ais_http_request *req, const char *path,
                                  const char *want, const char *got)
{
    char sha[65] = "unavailable", *kept = NULL;
    uint64_t size = 0;
    (void)ais_file_sha256(path, sha, &size);
    size_t n = strlen(path) + sizeof ".checksum-mismatch";
    if ((kept = malloc(n)) == NULL)
        return AIS_ERR_NOMEM;
    snprintf(kept, n, "%s.checksum-mismatch", path);
    if (rename(path, kept) != 0) {
        ais_status st = ais_status_fail(AIS_ERR_IO, f->errbuf, f->errsize, "cannot rename %s: %s",
                                        path, strerror(errno));
        free(kept);
        return st;
    }
    char detail[512], url[512];
    snprintf(detail, sizeof detail,
             "the download's MD5 is %s, the provider's Checksum says %s; kept as %s; "
             "sha256=%s; size_bytes=%llu",
             got, want, kept, sha, (unsigned long long)size);
    free(kept);
    ais_http_redact_url(req->url, req->secrets, url, sizeof url);
    ais_dead_letter dl = {.reason = "checksum_mismatch", .detail = detail, .file = url};
    f->stats->failed++;
    f->download_failed = true;
    return ais_dlq_reject(f->dlq, &dl);
}

/* Downloads url to dir/name and, when md5 (32 hex digits, the provider's checksum) is given,
 * checks the bytes against it. A final 4xx or a checksum mismatch is a dead letter; the window
 * is then incomplete. */
void ais_gf_progress_step(ais_gf_fetch *f, const char *name)
{
    char label[300];
    snprintf(label, sizeof label, "download %s", name);
    ais_progress_next(f->progress, label);
}

ais_status ais_gf_download(ais_gf_fetch *f, const ais_http_request *req, const char *name,
                           const char *md5)
{
    char *path = NULL;
    ais_status st = ais_fs_path_join(f->dir, name, &path);
    if (st != AIS_OK)
        return st;
    ais_http_response resp;
    st = ais_live_download(f->http, req, path, &resp, f->errbuf, f->errsize);
    if (st == AIS_OK && md5 != NULL) {
        char got[33];
        if ((st = file_md5(path, got)) == AIS_OK && strcasecmp(got, md5) != 0) {
            st = reject_checksum(f, req, path, md5, got);
            free(path);
            return st;
        }
        if (st == AIS_OK)
            f->stats->verified++;
    }
    free(path);
    if (st == AIS_OK) {
        f->stats->downloaded++;
        f->stats->bytes += resp.len;
        return AIS_OK;
    }
    if (st == AIS_ERR_HTTP && ais_http_status_is_final_client_error(resp.status) &&
        resp.status != 401 && resp.status != 403) {
        char reason[32], url[512];
        snprintf(reason, sizeof reason, "http_%ld", resp.status);
        ais_http_redact_url(req->url, req->secrets, url, sizeof url);
        ais_dead_letter dl = {.reason = reason, .detail = f->errbuf, .file = url};
        f->stats->failed++;
        f->download_failed = true;
        return ais_dlq_reject(f->dlq, &dl);
    }
    return st;
}

ais_status ais_gf_window_iso(const ais_gf_fetch *f, char start[AIS_TIME_ISO_SIZE],
                             char end[AIS_TIME_ISO_SIZE])
{
    ais_status st = ais_time_format_iso(f->env->window_start, start);
    return st != AIS_OK ? st : ais_time_format_iso(f->env->window_end, end);
}
/* ------------------------------------------------------------------------------------------ */

ais_status ais_gridded_live_fetch(ais_gridded_kind kind, ais_http_client *http,
                                  const ais_config *cfg, const ais_envelope *env, ais_dlq *dlq,
                                  const char *dir, const volatile sig_atomic_t *stop,
                                  ais_progress *progress, ais_gridded_fetch_stats *stats,
                                  char *errbuf, size_t errbuf_size)
{
    if (http == NULL || cfg == NULL || env == NULL || dlq == NULL || dir == NULL ||
        stats == NULL || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    ais_gf_fetch f = {.http = http, .cfg = cfg, .env = env, .dlq = dlq, .dir = dir, .stop = stop,
               .stats = stats, .progress = progress, .errbuf = errbuf,
               .errsize = errbuf_size};
    if (ais_config_get_long(cfg, "gridded_live.page_size", &f.page_size) != AIS_OK ||
        f.page_size < 1 || f.page_size > 10000 ||
        ais_config_get_long(cfg, "gridded_live.max_pages", &f.max_pages) != AIS_OK ||
        f.max_pages < 1)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "gridded_live.page_size (1..10000) and max_pages are required");
    if (ais_config_get_double(cfg, "hanoi.bbox.west", &f.west) != AIS_OK ||
        ais_config_get_double(cfg, "hanoi.bbox.south", &f.south) != AIS_OK ||
        ais_config_get_double(cfg, "hanoi.bbox.east", &f.east) != AIS_OK ||
        ais_config_get_double(cfg, "hanoi.bbox.north", &f.north) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "hanoi.bbox.west/south/east/north are required");
    if (ais_fs_mkdir_p(dir, 0755) != AIS_OK)
        return ais_status_fail(AIS_ERR_IO, errbuf, errbuf_size, "cannot create %s: %s", dir,
                               strerror(errno));
    ais_status st = kind == AIS_GRIDDED_S5P     ? ais_gf_s5p_fetch(&f)
                    : kind == AIS_GRIDDED_MAIAC ? ais_gf_maiac_fetch(&f)
                                                : ais_gf_era5_fetch(&f);
    if (st == AIS_OK && f.download_failed)
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size,
                             "%llu file(s) of the window could not be downloaded (dead letters)",
                             (unsigned long long)stats->failed);
    return st;
}
