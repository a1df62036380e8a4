/* Shared pieces of the gridded sources (ais/gridded.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/evp.h>

#include "ais/gridded.h"
#include "ais/jsonutil.h"
#include "ais/timeutil.h"

#if defined(__SANITIZE_ADDRESS__)
/* Memory the decoding libraries keep, which no call of theirs frees and which does not grow with
 * the number of files: HDF4 (libdfalt) its atom groups and tree nodes once SDstart has run;
 * ecCodes 2.28 a few small buffers when a GRIB message is cut short inside a section (its own
 * error path). LeakSanitizer reads this hook in every program that links the gridded decoders;
 * leaks anywhere else are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libdfalt.so\nleak:libmfhdfalt.so\nleak:libeccodes.so\n";
}
#endif

void ais_stat_add(ais_stat *s, double v)
{
    s->n++;
    if (s->n == 1) {
        s->mean = v;
        s->m2 = 0.0;
        s->min = v;
        s->max = v;
        return;
    }
    double d = v - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (v - s->mean);
    if (v < s->min)
        s->min = v;
    if (v > s->max)
        s->max = v;
}

double ais_stat_std(const ais_stat *s)
{
    if (s->n < 2)
        return 0.0;
    double var = s->m2 / (double)s->n;
    return var > 0.0 ? sqrt(var) : 0.0;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *ais_big_alloc(size_t bytes)
{
    void *p = NULL;
    size_t n = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (n == 0 || posix_memalign(&p, HUGE_PAGE, n) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

void ais_stat_merge(ais_stat *a, const ais_stat *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double d = b->mean - a->mean;
    a->mean += d * nb / n;
    a->m2 += b->m2 + d * d * na * nb / n;
    a->n += b->n;
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
}

static json_t *real_or_null(bool set, double v)
{
    return set && isfinite(v) ? json_real(v) : json_null();
}

ais_status ais_stat_json_set(json_t *event, const char *prefix, const ais_stat *s)
{
    static const char *const names[] = {"mean", "min", "max", "std"};
    double values[] = {s->mean, s->min, s->max, ais_stat_std(s)};
    for (size_t i = 0; i < 4; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", prefix, names[i]);
        ais_status st = ais_json_set(event, key, real_or_null(s->n > 0, values[i]));
        if (st != AIS_OK)
            return st;
    }
    return AIS_OK;
}

bool ais_bbox_contains(const ais_bbox *b, double lat, double lon)
{
    return lat >= b->south && lat <= b->north && lon >= b->west && lon <= b->east;
}

ais_status ais_bbox_from_config(const ais_config *cfg, const char *key, ais_bbox *out)
{
    static const char *const sides[] = {"west", "east", "south", "north"};
    double v[4];
    for (size_t i = 0; i < 4; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s.%s", key, sides[i]);
        ais_status st = ais_config_get_double(cfg, name, &v[i]);
        if (st != AIS_OK)
            return st;
    }
    if (!(v[0] < v[1]) || !(v[2] < v[3]) || v[0] < -180.0 || v[1] > 360.0 || v[2] < -90.0 ||
        v[3] > 90.0)
        return AIS_ERR_RANGE;
    *out = (ais_bbox){.west = v[0], .east = v[1], .south = v[2], .north = v[3]};
    return AIS_OK;
}

ais_status ais_gridded_emit(ais_gridded_out *out, json_t *event, int64_t event_time)
{
    if (event_time < out->env->window_start || event_time >= out->env->window_end) {
        out->stats->outside_window++;
        return AIS_OK;
    }
    ais_status st = ais_sink_write(out->sink, event);
    if (st == AIS_OK)
        out->stats->events++;
    return st;
}

ais_status ais_gridded_file_ref(const ais_gridded_out *out, const char *path, char **ref)
{
    if (out == NULL || path == NULL || ref == NULL)
        return AIS_ERR_INVALID_ARG;
    if (out->local_dir == NULL || out->record_dir == NULL) {
        *ref = strdup(path);
        return *ref != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    size_t n = strlen(out->local_dir);
    while (n > 0 && out->local_dir[n - 1] == '/')
        n--;
    const char *rel;
    if (strncmp(path, out->local_dir, n) == 0 && path[n] == '/') {
        rel = path + n + 1;
    } else {
        /* not under local_dir (the file loop lists that folder, so it is): its name */
        const char *slash = strrchr(path, '/');
        rel = slash != NULL ? slash + 1 : path;
    }
    return ais_fs_path_join(out->record_dir, rel, ref);
}

ais_status ais_gridded_reject_file(ais_gridded_out *out, const char *path, const char *reason,
                                   const char *detail)
{
    char *ref = NULL;
    ais_status st = ais_gridded_file_ref(out, path, &ref);
    if (st != AIS_OK)
        return st;
    /* the bytes that were rejected, so that a later copy of the file can be told apart */
    char sha[65];
    uint64_t size = 0;
    char tail[128];
    if (ais_file_sha256(path, sha, &size) == AIS_OK)
        snprintf(tail, sizeof tail, "sha256=%s; size_bytes=%llu", sha, (unsigned long long)size);
    else
        snprintf(tail, sizeof tail, "sha256=unavailable");
    const char *text = detail != NULL ? detail : "";
    size_t n = strlen(text) + strlen(tail) + 3;
    char *full = malloc(n);
    if (full == NULL) {
        free(ref);
        return AIS_ERR_NOMEM;
    }
    snprintf(full, n, "%s%s%s", text, text[0] != '\0' ? "; " : "", tail);
    out->stats->files_rejected++;
    ais_dead_letter dl = {.reason = reason, .detail = full, .file = ref};
    st = ais_dlq_reject(out->dlq, &dl);
    free(full);
    free(ref);
    return st;
}

ais_status ais_gridded_list(const char *dir, const char *const *suffixes, ais_path_list *out,
                            char *errbuf, size_t errbuf_size)
{
    memset(out, 0, sizeof *out);
    for (size_t s = 0; suffixes[s] != NULL; s++) {
        ais_path_list part;
        if (ais_fs_list_files(dir, suffixes[s], &part) != AIS_OK) {
            ais_path_list_free(out);
            return ais_status_fail(AIS_ERR_IO, errbuf, errbuf_size, "cannot list %s: %s", dir,
                                   strerror(errno));
        }
        char **grown = realloc(out->paths, (out->count + part.count + 1) * sizeof *grown);
        if (grown == NULL) {
            ais_path_list_free(&part);
            ais_path_list_free(out);
            return AIS_ERR_NOMEM;
        }
        out->paths = grown;
        for (size_t i = 0; i < part.count; i++)
            out->paths[out->count++] = part.paths[i];
        free(part.paths);
    }
    /* one sorted list across the suffixes (each part is sorted; merge by a plain sort) */
    for (size_t i = 1; i < out->count; i++) {
        char *p = out->paths[i];
        size_t j = i;
        while (j > 0 && strcmp(out->paths[j - 1], p) > 0) {
            out->paths[j] = out->paths[j - 1];
            j--;
        }
        out->paths[j] = p;
    }
    return AIS_OK;
}

ais_status ais_gridded_finish(const ais_gridded_out *out, char *errbuf, size_t errbuf_size)
{
    if (out->stats->files_rejected == 0)
        return AIS_OK;
    return ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size,
                           "%llu of %llu files could not be decoded (dead letters written); "
                           "the window is incomplete",
                           (unsigned long long)out->stats->files_rejected,
                           (unsigned long long)out->stats->files_read);
}

ais_status ais_file_sha256(const char *path, char out[65], uint64_t *size_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return AIS_ERR_IO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        fclose(f);
        return AIS_ERR_NOMEM;
    }
    unsigned char buf[65536];
    uint64_t total = 0;
    size_t n;
    ais_status st = AIS_OK;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, n) != 1) {
            st = AIS_ERR_NOMEM;
            break;
        }
        total += n;
    }
    if (st == AIS_OK && ferror(f))
        st = AIS_ERR_IO;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (st == AIS_OK && EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
        st = AIS_ERR_NOMEM;
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (st != AIS_OK)
        return st;
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
    if (size_out != NULL)
        *size_out = total;
    return AIS_OK;
}

ais_status ais_gridded_set_time(json_t *obj, const char *key, int64_t t)
{
    char iso[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(t, iso);
    return st == AIS_OK ? ais_json_set_string(obj, key, iso) : st;
}

ais_status ais_gridded_fail(const char **reason, const char *code, char *detail,
                            size_t detail_size, const char *fmt, ...)
{
    *reason = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, detail_size, fmt, ap);
    va_end(ap);
    return AIS_ERR_PARSE;
}

void ais_gridded_progress_begin(ais_gridded_out *out, size_t n_files)
{
    ais_progress_begin(out->progress, n_files);
}

void ais_gridded_progress_file(ais_gridded_out *out, const char *path)
{
    const char *slash = strrchr(path, '/');
    ais_progress_next(out->progress, slash != NULL ? slash + 1 : path);
}
