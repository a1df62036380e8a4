/* Live search and download of Sentinel-5P from the CDSE OData catalogue (ais/gridded_live.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ais/live.h"
#include "ais/timeutil.h"
#include "gridded_fetch.h"

typedef struct cdse_auth {
    ais_gf_fetch *f;
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

static ais_status s5p_search(ais_gf_fetch *f, cdse_auth *auth, const char *odata,
                             const char *dl_base, const char *product)
{
    const char *field = s5p_field(product);
    if (field == NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                               "sentinel5p.products: unknown product '%s'", product);
    char start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE], filter[1024], enc[3072];
    ais_status st = ais_gf_window_iso(f, start, end);
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
        st = ais_gf_search_page(f, url, "a CDSE OData search page", &root);
        if (st != AIS_OK)
            break;
        json_t *value = json_object_get(root, "value");
        if (!json_is_array(value)) {
            /* not a listing: reading it as empty would end the search with part of it */
            st = ais_gf_reject_page(f, root, "missing_value", url, "a CDSE OData search page");
            json_decref(root);
            break;
        }
        for (size_t i = 0; st == AIS_OK && i < json_array_size(value); i++) {
            json_t *p = json_array_get(value, i);
            const char *id = json_string_value(json_object_get(p, "Id"));
            const char *name = json_string_value(json_object_get(p, "Name"));
            char fname[256], dl[URL_SIZE / 2];
            f->stats->found++;
            if (id == NULL || !ais_gf_safe_name(name) ||
                strspn(id, "0123456789abcdefABCDEF-") != strlen(id)) {
                st = ais_gf_reject_entry(f, p, "bad_product",
                                         "a CDSE product needs an Id (UUID) and a plain Name");
                continue;
            }
            size_t nl = strlen(name);
            snprintf(fname, sizeof fname, "%s%s", name,
                     nl > 3 && strcmp(name + nl - 3, ".nc") == 0 ? "" : ".nc");
            snprintf(dl, sizeof dl, "%s/Products(%s)/$value", dl_base, id);
            ais_http_auth a = {.ctx = auth, .authorize = cdse_token};
            ais_http_request dreq = {.url = dl, .auth = &a};
            ais_gf_progress_step(f, fname);
            st = ais_gf_download(f, &dreq, fname, odata_md5(p));
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

ais_status ais_gf_s5p_fetch(ais_gf_fetch *f)
{
    cdse_auth auth = {.f = f};
    char odata[URL_SIZE / 2], dl[URL_SIZE / 4];
    ais_status st =
        ais_gf_cfg_url(f, "runtime.cdse_token_url", auth.token_url, sizeof auth.token_url);
    if (st == AIS_OK)
        st = ais_gf_cfg_url(f, "runtime.cdse_odata_base_url", odata, sizeof odata);
    if (st == AIS_OK)
        st = ais_gf_cfg_url(f, "runtime.cdse_download_base_url", dl, sizeof dl);
    if (st == AIS_OK)
        st = ais_gf_secret(f, "CDSE_USERNAME", &auth.user);
    if (st == AIS_OK)
        st = ais_gf_secret(f, "CDSE_PASSWORD", &auth.password);
    size_t n = 0;
    if (st == AIS_OK && ais_config_list_len(f->cfg, "sentinel5p.products", &n) != AIS_OK)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, f->errbuf, f->errsize,
                             "sentinel5p.products must list products");
    /* one progress step per file downloaded; the search pages do not say how many will come */
    ais_progress_begin(f->progress, 0);
    for (size_t i = 0; st == AIS_OK && i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "sentinel5p.products.%zu", i);
        const char *product = ais_config_get(f->cfg, key);
        st = s5p_search(f, &auth, odata, dl, product != NULL ? product : "");
    }
    ais_progress_end(f->progress, st != AIS_OK);
    explicit_bzero(auth.header, sizeof auth.header);
    return st;
}
