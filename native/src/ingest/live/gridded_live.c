/* Live search and download of sentinel5p, maiac and era5 (ais/gridded_live.h). */
#include "ais/gridded_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ais/gridded.h" /* ais_file_sha256 */
#include "ais/live.h"
#include "ais/timeutil.h"

#define URL_SIZE 4096
#define TOKEN_SIZE 8192

typedef struct fetch {
    ais_http_client *http;
    const ais_config *cfg;
    const ais_envelope *env;
    ais_dlq *dlq;
    const char *dir;
    const volatile sig_atomic_t *stop;
    ais_gridded_fetch_stats *stats;
    long page_size, max_pages;
    double west, south, east, north; /* hanoi.bbox */
    bool download_failed;
    char *errbuf;
    size_t errsize;
} fetch;

static ais_status cfg_url(fetch *f, const char *key, char *out, size_t size)
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

static ais_status secret(fetch *f, const char *name, const char **out)
{
    *out = ais_config_secret(f->cfg, name);
    if (*out == NULL || (*out)[0] == '\0')
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "live mode needs the secret %s in the environment", name);
    return AIS_OK;
}

/* A file name from a server: a plain name, no path, no hidden file. */
static bool safe_name(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '.' || strlen(name) > 200)
        return false;
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20)
            return false;
    return true;
}

static ais_status parse_json(fetch *f, const ais_http_request *req,
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
static ais_status search_page(fetch *f, const char *url, const char *what, json_t **out)
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
        st = parse_json(f, &req, &resp, what, out);
    ais_http_response_free(&resp);
    if (st == AIS_OK)
        f->stats->pages++;
    return st;
}

/* A search page that is JSON but not a listing (no array where the entries should be): a dead
 * letter with the page as its raw record, then the window fails. */
static ais_status reject_page(fetch *f, const json_t *root, const char *reason, const char *url,
                              const char *what)
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
static ais_status reject_entry(fetch *f, const json_t *entry, const char *reason,
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
static ais_status reject_checksum(fetch *f, const ais_http_request *req, const char *path,
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
static ais_status download(fetch *f, const ais_http_request *req, const char *name,
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

static ais_status window_iso(const fetch *f, char start[AIS_TIME_ISO_SIZE],
                             char end[AIS_TIME_ISO_SIZE])
{
    ais_status st = ais_time_format_iso(f->env->window_start, start);
    return st != AIS_OK ? st : ais_time_format_iso(f->env->window_end, end);
}

/* ------------------------------------------------------------------------------------------ */
/* Sentinel-5P: CDSE                                                                          */

typedef struct cdse_auth {
    fetch *f;
    char token_url[URL_SIZE];
    const char *user, *password;
    char header[TOKEN_SIZE]; /* "Bearer ...", kept until the server refuses it */
} cdse_auth;

static ais_status cdse_token(void *ctx, bool refresh, char *out, size_t out_size, char *errbuf,
                             size_t errsize)
{
    cdse_auth *a = ctx;
    char user[512], pass[512], body[1200];
    if (!refresh && a->header[0] != '\0') {
        if (strlen(a->header) >= out_size)
            return AIS_ERR_RANGE;
        memcpy(out, a->header, strlen(a->header) + 1);
        return AIS_OK;
    }
    if (ais_http_url_encode(a->user, user, sizeof user) != AIS_OK ||
        ais_http_url_encode(a->password, pass, sizeof pass) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "CDSE_USERNAME or CDSE_PASSWORD is too long");
    int n = snprintf(body, sizeof body,
                     "grant_type=password&username=%s&password=%s&client_id=cdse-public", user,
                     pass);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", NULL};
    const char *secrets[] = {a->password, pass, NULL};
    ais_http_request req = {.method = "POST", .url = a->token_url, .headers = headers,
                            .body = body, .body_len = (size_t)n, .secrets = secrets};
    ais_http_response resp;
    ais_status st = ais_live_send(a->f->http, &req, &resp, errbuf, errsize);
    explicit_bzero(body, sizeof body);
    explicit_bzero(pass, sizeof pass);
    if (st != AIS_OK) {
        ais_http_response_free(&resp);
        return st;
    }
    json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    if (tok == NULL || strlen(tok) + 8 > out_size || strlen(tok) + 8 > sizeof a->header) {
        st = ais_status_fail(AIS_ERR_HTTP, errbuf, errsize,
                             "the CDSE identity endpoint gave no usable access_token");
    } else {
        snprintf(a->header, sizeof a->header, "Bearer %s", tok);
        memcpy(out, a->header, strlen(a->header) + 1);
    }
    json_decref(j);
    explicit_bzero(resp.body, resp.len);
    ais_http_response_free(&resp);
    return st;
}

static const char *s5p_field(const char *product)
{
    /* the 6-character product field of the file names */
    static const struct {
        const char *name, *field;
    } map[] = {{"NO2", "NO2___"}, {"CO", "CO____"}, {"SO2", "SO2___"}, {"O3", "O3____"},
               {"AER_AI", "AER_AI"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, product) == 0)
            return map[i].field;
    return NULL;
}

/* The product's MD5 from its OData "Checksum" list ([{"Value", "Algorithm": "MD5" | "BLAKE3",
 * "ChecksumDate"}]), or NULL when it lists none. BLAKE3 alone is not checked: libcrypto has no
 * BLAKE3 and this program carries no hash code of its own. */
static const char *odata_md5(const json_t *product)
{
    const json_t *list = json_object_get(product, "Checksum");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *c = json_array_get(list, i);
        const char *alg = json_string_value(json_object_get(c, "Algorithm"));
        const char *value = json_string_value(json_object_get(c, "Value"));
        if (alg != NULL && value != NULL && strcasecmp(alg, "MD5") == 0 &&
            strlen(value) == 32 && strspn(value, "0123456789abcdefABCDEF") == 32)
            return value;
    }
    return NULL;
}

static ais_status s5p_search(fetch *f, cdse_auth *auth, const char *odata, const char *dl_base,
                             const char *product)
{
    const char *field = s5p_field(product);
    if (field == NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "sentinel5p.products: unknown product '%s'", product);
    char start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE], filter[1024], enc[3072];
    ais_status st = window_iso(f, start, end);
    if (st != AIS_OK)
        return st;
    snprintf(filter, sizeof filter,
             "Collection/Name eq 'SENTINEL-5P' and contains(Name,'L2__%s') and "
             "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((%.4f %.4f,%.4f %.4f,%.4f "
             "%.4f,%.4f %.4f,%.4f %.4f))') and ContentDate/Start lt %s and ContentDate/End gt %s",
             field, f->west, f->south, f->east, f->south, f->east, f->north, f->west, f->north,
             f->west, f->south, end, start);
    if ((st = ais_http_url_encode(filter, enc, sizeof enc)) != AIS_OK)
        return st;
    char *url = malloc(URL_SIZE);
    if (url == NULL)
        return AIS_ERR_NOMEM;
    int un = snprintf(url, URL_SIZE,
                      "%s/Products?$filter=%s&$orderby=ContentDate/Start%%20asc&$top=%ld", odata,
                      enc, f->page_size);
    if (un < 0 || un >= URL_SIZE) {
        free(url);
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "runtime.cdse_odata_base_url is too long");
    }
    for (long page = 1; st == AIS_OK && url[0] != '\0'; page++) {
        if (page > f->max_pages) {
            st = ais_status_fail(AIS_ERR_RANGE, f->errbuf, f->errsize,
                                 "the %s product search has more than gridded_live.max_pages="
                                 "%ld pages", product, f->max_pages);
            break;
        }
        json_t *root = NULL;
        st = search_page(f, url, "a CDSE OData search page", &root);
        if (st != AIS_OK)
            break;
        json_t *value = json_object_get(root, "value");
        if (!json_is_array(value)) {
            /* not a listing: reading it as empty would end the search with part of it */
            st = reject_page(f, root, "missing_value", url, "a CDSE OData search page");
            json_decref(root);
            break;
        }
        for (size_t i = 0; st == AIS_OK && i < json_array_size(value); i++) {
            json_t *p = json_array_get(value, i);
            const char *id = json_string_value(json_object_get(p, "Id"));
            const char *name = json_string_value(json_object_get(p, "Name"));
            char fname[256], dl[URL_SIZE / 2];
            f->stats->found++;
            if (id == NULL || !safe_name(name) || strspn(id, "0123456789abcdefABCDEF-") != strlen(id)) {
                st = reject_entry(f, p, "bad_product",
                                  "a CDSE product needs an Id (UUID) and a plain Name");
                continue;
            }
            size_t nl = strlen(name);
            snprintf(fname, sizeof fname, "%s%s", name,
                     nl > 3 && strcmp(name + nl - 3, ".nc") == 0 ? "" : ".nc");
            snprintf(dl, sizeof dl, "%s/Products(%s)/$value", dl_base, id);
            ais_http_auth a = {.ctx = auth, .authorize = cdse_token};
            ais_http_request dreq = {.url = dl, .auth = &a};
            st = download(f, &dreq, fname, odata_md5(p));
        }
        const char *next = json_string_value(json_object_get(root, "@odata.nextLink"));
        if (st == AIS_OK && next != NULL && strlen(next) >= URL_SIZE)
            st = ais_status_fail(AIS_ERR_HTTP, f->errbuf, f->errsize, "@odata.nextLink too long");
        else if (st == AIS_OK)
            snprintf(url, URL_SIZE, "%s", next != NULL ? next : "");
        json_decref(root);
    }
    free(url);
    return st;
}

static ais_status s5p_fetch(fetch *f)
{
    cdse_auth auth = {.f = f};
    char odata[URL_SIZE / 2], dl[URL_SIZE / 4];
    ais_status st = cfg_url(f, "runtime.cdse_token_url", auth.token_url, sizeof auth.token_url);
    if (st == AIS_OK)
        st = cfg_url(f, "runtime.cdse_odata_base_url", odata, sizeof odata);
    if (st == AIS_OK)
        st = cfg_url(f, "runtime.cdse_download_base_url", dl, sizeof dl);
    if (st == AIS_OK)
        st = secret(f, "CDSE_USERNAME", &auth.user);
    if (st == AIS_OK)
        st = secret(f, "CDSE_PASSWORD", &auth.password);
    size_t n = 0;
    if (st == AIS_OK && ais_config_list_len(f->cfg, "sentinel5p.products", &n) != AIS_OK)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "sentinel5p.products must list products");
    for (size_t i = 0; st == AIS_OK && i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "sentinel5p.products.%zu", i);
        const char *product = ais_config_get(f->cfg, key);
        st = s5p_search(f, &auth, odata, dl, product != NULL ? product : "");
    }
    explicit_bzero(auth.header, sizeof auth.header);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* MAIAC: NASA CMR                                                                            */

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

static ais_status maiac_fetch(fetch *f)
{
    char base[URL_SIZE / 2], start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE];
    const char *product = ais_config_get(f->cfg, "maiac.product");
    const char *version = ais_config_get(f->cfg, "maiac.collection");
    ais_status st = cfg_url(f, "runtime.cmr_base_url", base, sizeof base);
    if (st == AIS_OK)
        st = window_iso(f, start, end);
    if (st == AIS_OK && (product == NULL || version == NULL || !safe_name(product) ||
                         !safe_name(version)))
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "maiac.product and maiac.collection are required");
    /* LP DAAC serves the granules only to an Earthdata Login user: a user token as bearer. */
    const char *edl_token = NULL;
    char edl_header[TOKEN_SIZE];
    if (st == AIS_OK)
        st = secret(f, "EARTHDATA_TOKEN", &edl_token);
    if (st == AIS_OK && strlen(edl_token) + sizeof "Authorization: Bearer " > sizeof edl_header)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "EARTHDATA_TOKEN is longer than %zu bytes", sizeof edl_header);
    if (st == AIS_OK)
        snprintf(edl_header, sizeof edl_header, "Authorization: Bearer %s", edl_token);
    const char *dl_headers[] = {edl_header, NULL};
    bool more = true;
    for (long page = 1; st == AIS_OK && more; page++) {
        char url[URL_SIZE];
        if (page > f->max_pages) {
            explicit_bzero(edl_header, sizeof edl_header);
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
        st = search_page(f, url, "a CMR granule search page", &root);
        if (st != AIS_OK)
            break;
        json_t *entries = json_object_get(json_object_get(root, "feed"), "entry");
        if (!json_is_array(entries)) {
            st = reject_page(f, root, "missing_entry", url, "a CMR granule search page");
            json_decref(root);
            break;
        }
        size_t count = json_array_size(entries);
        for (size_t i = 0; st == AIS_OK && i < count; i++) {
            json_t *e = json_array_get(entries, i);
            const char *href = data_link(e);
            const char *name = href != NULL ? strrchr(href, '/') + 1 : NULL;
            f->stats->found++;
            if (!safe_name(name)) {
                st = reject_entry(f, e, "missing_data_link",
                                  "a CMR granule needs an http(s) .hdf data link");
                continue;
            }
            /* the granules.json (Atom) entries of a CMR search carry no checksum (CMR keeps
             * them in the UMM-G records' DataGranule.ArchiveAndDistributionInformation, which
             * this search does not ask for): the granule is not verified */
            ais_http_request dreq = {.url = href, .headers = dl_headers};
            st = download(f, &dreq, name, NULL);
        }
        more = count >= (size_t)f->page_size;
        json_decref(root);
    }
    explicit_bzero(edl_header, sizeof edl_header);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* ERA5: CDS API                                                                              */

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

static ais_status list_to_json(fetch *f, const char *key, bool names, bool pad_hours,
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

static ais_status era5_inputs(fetch *f, bool pressure, const ais_civil_time *day, json_t **out)
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

static bool sleep_or_stop(const fetch *f, long seconds)
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
static ais_status get_json(fetch *f, const char *url, const char *const *headers,
                           const char *const *secrets, const char *what, json_t **out)
{
    ais_http_request req = {.url = url, .headers = headers, .secrets = secrets};
    ais_http_response resp;
    ais_status st = ais_live_send(f->http, &req, &resp, f->errbuf, f->errsize);
    if (st == AIS_OK)
        st = parse_json(f, &req, &resp, what, out);
    ais_http_response_free(&resp);
    return st;
}

static ais_status era5_job(fetch *f, const char *base, const char *key_header,
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
        st = parse_json(f, &req, &resp, "a CDS job submission answer", &root);
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
    st = download(f, &dreq, name, NULL);
    json_decref(root);
    return st;
}

static ais_status era5_fetch(fetch *f)
{
    char base[URL_SIZE / 2], key_header[600];
    const char *key = NULL;
    long poll_s = 0, max_wait_min = 0;
    ais_status st = cfg_url(f, "runtime.cds_api_base_url", base, sizeof base);
    if (st == AIS_OK)
        st = secret(f, "CDS_KEY", &key);
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
    for (int64_t d = first; st == AIS_OK && d <= last; d++) {
        ais_civil_time day;
        if ((st = ais_time_to_civil(d * AIS_SECONDS_PER_DAY, &day)) != AIS_OK)
            break;
        st = era5_job(f, base, key_header, secrets, false, &day, poll_s, max_wait_min * 60);
        if (st == AIS_OK)
            st = era5_job(f, base, key_header, secrets, true, &day, poll_s, max_wait_min * 60);
    }
    explicit_bzero(key_header, sizeof key_header);
    return st;
}

/* ------------------------------------------------------------------------------------------ */

ais_status ais_gridded_live_fetch(ais_gridded_kind kind, ais_http_client *http,
                                  const ais_config *cfg, const ais_envelope *env, ais_dlq *dlq,
                                  const char *dir, const volatile sig_atomic_t *stop,
                                  ais_gridded_fetch_stats *stats, char *errbuf,
                                  size_t errbuf_size)
{
    if (http == NULL || cfg == NULL || env == NULL || dlq == NULL || dir == NULL ||
        stats == NULL || env->window_end <= env->window_start)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    fetch f = {.http = http, .cfg = cfg, .env = env, .dlq = dlq, .dir = dir, .stop = stop,
               .stats = stats, .errbuf = errbuf, .errsize = errbuf_size};
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
    ais_status st = kind == AIS_GRIDDED_S5P     ? s5p_fetch(&f)
                    : kind == AIS_GRIDDED_MAIAC ? maiac_fetch(&f)
                                                : era5_fetch(&f);
    if (st == AIS_OK && f.download_failed)
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size,
                             "%llu file(s) of the window could not be downloaded (dead letters)",
                             (unsigned long long)stats->failed);
    return st;
}
