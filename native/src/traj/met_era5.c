/* ERA5 pressure-level GRIB -> met grid (rules in include/ais/met_era5.h). */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include "ais/met_era5.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/grib.h"
#include "ais/timeutil.h"

#define COORD_EPS 1e-6

static const char *const UPPER_NAMES[AIS_MET_UPPER_COUNT] = {"u", "v", "w", "z", "t"};
/* in ais_met_field order: U, V, W, HGT (from z), T */

/* ---- decoding ------------------------------------------------------------------------------ */

/* lon - west reduced to [0, 360) (within COORD_EPS of 360 counts as 0). */
static double lon_offset(double lon, double west)
{
    double rel = fmod(lon - west, 360.0);
    if (rel < 0)
        rel += 360.0;
    if (rel > 360.0 - COORD_EPS)
        rel = 0.0;
    return rel;
}

typedef struct grib_geom {
    long ni, nj;
    double lat_first, lon_first, di, dj;
    long j_positive;
} grib_geom;

static ais_status read_geom(const ais_grib_message *m, size_t msg, grib_geom *g, char *errbuf,
                            size_t es)
{
    if (!m->has_grid_type || strcmp(m->grid_type, "regular_ll") != 0)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu: gridType \"%s\" is not supported (regular_ll only)",
                               msg, m->grid_type);
    if (!m->has_grid || !m->has_scanning)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es, "message %zu: grid keys missing", msg);
    *g = (grib_geom){.ni = m->ni, .nj = m->nj, .lat_first = m->lat_first,
                     .lon_first = m->lon_first, .di = m->di, .dj = m->dj,
                     .j_positive = m->j_positive};
    if (g->ni < 2 || g->nj < 2 || !(g->di > 0) || !(g->dj > 0) || !isfinite(g->lat_first) ||
        !isfinite(g->lon_first))
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu: impossible grid (Ni %ld, Nj %ld, increments %g, %g)",
                               msg, g->ni, g->nj, g->di, g->dj);
    if (m->i_negative || m->j_consecutive)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu: scanning mode not supported (points must run west "
                               "to east, rows one after the other)",
                               msg);
    return AIS_OK;
}

/* The kept columns (a run of n starting at *i0, possibly wrapping) and rows (GRIB rows whose
 * latitudes lie in the region, listed south to north in rows[]). */
static ais_status cut(const grib_geom *g, const ais_era5_region *region, size_t msg, long *i0,
                      size_t *nx, double *lon0, long *rows, size_t *ny, double *lat0,
                      char *errbuf, size_t es)
{
    long ni = g->ni, nj = g->nj;
    if (region == NULL) {
        *i0 = 0;
        *nx = (size_t)ni;
        *lon0 = g->lon_first;
    } else {
        double span = region->east - region->west;
        long count = 0, start = -1;
        for (long i = 0; i < ni; i++)
            if (lon_offset(g->lon_first + (double)i * g->di, region->west) <= span + COORD_EPS)
                count++;
        for (long i = 0; i < ni && count > 0 && count < ni; i++) {
            long prev = (i + ni - 1) % ni;
            int in = lon_offset(g->lon_first + (double)i * g->di, region->west) <= span + COORD_EPS;
            int prev_in =
                lon_offset(g->lon_first + (double)prev * g->di, region->west) <= span + COORD_EPS;
            if (in && !prev_in) {
                if (start >= 0)
                    return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                                           "message %zu: the region cuts the grid into two "
                                           "pieces of longitude",
                                           msg);
                start = i;
            }
        }
        if (count == ni)
            start = 0;
        if (count < 2)
            return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                                   "message %zu: fewer than 2 grid longitudes inside the region",
                                   msg);
        *i0 = start;
        *nx = (size_t)count;
        *lon0 = region->west + lon_offset(g->lon_first + (double)start * g->di, region->west);
    }
    /* rows south to north */
    size_t n = 0;
    for (long k = 0; k < nj; k++) {
        long r = g->j_positive ? k : nj - 1 - k;
        double lat = g->j_positive ? g->lat_first + (double)r * g->dj
                                   : g->lat_first - (double)r * g->dj;
        if (region != NULL &&
            (lat < region->south - COORD_EPS || lat > region->north + COORD_EPS))
            continue;
        if (n == 0)
            *lat0 = lat;
        rows[n++] = r;
    }
    if (n < 2)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu: fewer than 2 grid latitudes inside the region", msg);
    *ny = n;
    return AIS_OK;
}

static ais_status valid_time(const ais_grib_message *m, size_t msg, int64_t *out, char *errbuf,
                             size_t es)
{
    if (!m->has_validity)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es, "message %zu: no validity date/time",
                               msg);
    if (!m->valid_time_ok)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu: impossible validity %ld %04ld", msg,
                               m->validity_date, m->validity_time);
    *out = m->valid_time;
    return AIS_OK;
}

static ais_status decode_message(const ais_grib_message *m, size_t msg,
                                 const ais_era5_region *region, ais_era5_field *f, char *errbuf,
                                 size_t es)
{
    grib_geom g = {0};
    ais_status st = read_geom(m, msg, &g, errbuf, es);
    if (st != AIS_OK)
        return st;
    size_t name_len = strlen(m->short_name), type_len = strlen(m->level_type);
    if (!m->has_short_name || !m->has_level_type || !m->has_level ||
        name_len >= sizeof f->name || type_len >= sizeof f->level_type)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu: shortName, typeOfLevel or level missing", msg);
    memcpy(f->name, m->short_name, name_len + 1);
    memcpy(f->level_type, m->level_type, type_len + 1);
    f->level = m->level;
    f->member = m->member;
    if ((st = valid_time(m, msg, &f->valid_time, errbuf, es)) != AIS_OK)
        return st;
    size_t n = 0;
    if (!ais_grib_values_count(m, &n) || n != (size_t)g.ni * (size_t)g.nj)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "message %zu (%s): %zu values for a %ld x %ld grid", msg, f->name,
                               n, g.ni, g.nj);
    long *rows = malloc((size_t)g.nj * sizeof *rows);
    double *all = malloc(n * sizeof *all);
    if (rows == NULL || all == NULL) {
        free(rows);
        free(all);
        return AIS_ERR_NOMEM;
    }
    long i0 = 0;
    st = cut(&g, region, msg, &i0, &f->nx, &f->lon0, rows, &f->ny, &f->lat0, errbuf, es);
    long bitmap = 0;
    double missing = 0;
    if (st == AIS_OK && !ais_grib_values_read(m, all, n))
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, es, "message %zu (%s): values not decodable",
                             msg, f->name);
    if (st == AIS_OK && m->bitmap) {
        bitmap = m->bitmap;
        if (m->has_missing)
            missing = m->missing;
    }
    if (st == AIS_OK && (f->values = malloc(f->nx * f->ny * sizeof *f->values)) == NULL)
        st = AIS_ERR_NOMEM;
    for (size_t j = 0; st == AIS_OK && j < f->ny; j++) {
        for (size_t i = 0; i < f->nx; i++) {
            size_t col = (size_t)((i0 + (long)i) % g.ni);
            double v = all[(size_t)rows[j] * (size_t)g.ni + col];
            if ((bitmap && v == missing) || !isfinite(v)) {
                st = ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                                     "message %zu (%s level %ld): missing value inside the area "
                                     "at point %zu, %zu",
                                     msg, f->name, f->level, i, j);
                break;
            }
            f->values[j * f->nx + i] = v;
        }
    }
    f->dlon = g.di;
    f->dlat = g.dj;
    free(rows);
    free(all);
    return st;
}

/* One message through ais_grib_each: the fields so far, the region, where the error goes. */
typedef struct read_ctx {
    const char *name;
    const ais_era5_region *region;
    ais_era5_fields *out;
    char *errbuf;
    size_t errbuf_size;
} read_ctx;

static ais_status read_message(void *ctx, const ais_grib_message *m)
{
    read_ctx *c = ctx;
    ais_era5_fields *out = c->out;
    if (out->count % 64 == 0) {
        ais_era5_field *grown = realloc(out->items, (out->count + 64) * sizeof *grown);
        if (grown == NULL)
            return AIS_ERR_NOMEM;
        out->items = grown;
    }
    ais_era5_field *f = &out->items[out->count];
    memset(f, 0, sizeof *f);
    out->count++;
    char why[256] = "";
    ais_status st = decode_message(m, m->index, c->region, f, why, sizeof why);
    if (st != AIS_OK)
        ais_status_fail(st, c->errbuf, c->errbuf_size, "%s: %s", c->name,
                        why[0] ? why : "out of memory");
    return st;
}

/* Decodes every message of an open stream; name labels the errors. */
static ais_status read_stream(FILE *in, const char *name, const ais_era5_region *region,
                              ais_era5_fields *out, char *errbuf, size_t errbuf_size)
{
    read_ctx c = {.name = name, .region = region, .out = out, .errbuf = errbuf,
                  .errbuf_size = errbuf_size};
    const char *codes_error = NULL; /* set only when ecCodes cannot read a message */
    ais_status st = ais_grib_each(in, read_message, &c, &out->messages_read, &codes_error);
    if (codes_error != NULL)
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size, "%s: message %zu: %s", name,
                             out->messages_read + 1, codes_error);
    if (st == AIS_OK && out->messages_read == 0)
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size, "%s: no GRIB message", name);
    return st;
}

static ais_status check_read_args(const void *source, const ais_era5_region *region,
                                  const ais_era5_fields *out, char *errbuf, size_t errbuf_size)
{
    if (source == NULL || out == NULL)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "NULL argument");
    if (region != NULL && !(region->west < region->east && region->south < region->north))
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "empty region");
    return AIS_OK;
}

ais_status ais_era5_fields_read(const char *path, const ais_era5_region *region,
                                ais_era5_fields *out, char *errbuf, size_t errbuf_size)
{
    ais_status st = check_read_args(path, region, out, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return ais_status_fail(AIS_ERR_IO, errbuf, errbuf_size, "cannot open %s", path);
    st = read_stream(in, path, region, out, errbuf, errbuf_size);
    fclose(in);
    return st;
}

ais_status ais_era5_fields_read_mem(const unsigned char *data, size_t len,
                                    const ais_era5_region *region, ais_era5_fields *out,
                                    char *errbuf, size_t errbuf_size)
{
    ais_status st = check_read_args(data, region, out, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;
    if (len == 0)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size, "(memory): no GRIB message");
    FILE *in = fmemopen((void *)(uintptr_t)data, len, "rb");
    if (in == NULL)
        return ais_status_fail(AIS_ERR_NOMEM, errbuf, errbuf_size, "cannot open the buffer");
    st = read_stream(in, "(memory)", region, out, errbuf, errbuf_size);
    fclose(in);
    return st;
}

void ais_era5_fields_free(ais_era5_fields *fields)
{
    if (fields == NULL)
        return;
    for (size_t k = 0; k < fields->count; k++)
        free(fields->items[k].values);
    free(fields->items);
    memset(fields, 0, sizeof *fields);
}

/* ---- assembly ------------------------------------------------------------------------------ */

static int same_geometry(const ais_era5_field *a, const ais_era5_field *b)
{
    return a->nx == b->nx && a->ny == b->ny && fabs(a->lon0 - b->lon0) < COORD_EPS &&
           fabs(a->lat0 - b->lat0) < COORD_EPS && fabs(a->dlon - b->dlon) < COORD_EPS &&
           fabs(a->dlat - b->dlat) < COORD_EPS;
}

static int upper_index(const ais_era5_field *f)
{
    if (strcmp(f->level_type, "isobaricInhPa") != 0)
        return -1;
    for (int v = 0; v < AIS_MET_UPPER_COUNT; v++)
        if (strcmp(f->name, UPPER_NAMES[v]) == 0)
            return v;
    return -1;
}

static int cmp_i64_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

static int cmp_i64_asc(const void *a, const void *b)
{
    return cmp_i64_desc(b, a);
}

/* Sorts v (descending or ascending) and drops repeats, in place; returns the count. */
static size_t distinct_i64(int64_t *v, size_t n, int descending)
{
    qsort(v, n, sizeof *v, descending ? cmp_i64_desc : cmp_i64_asc);
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (m == 0 || v[m - 1] != v[k])
            v[m++] = v[k];
    return m;
}

static size_t find_i64(const int64_t *v, size_t n, int64_t x)
{
    for (size_t k = 0; k < n; k++)
        if (v[k] == x)
            return k;
    return n;
}

/* The member to use: the requested one, or the only one present among the upper fields. */
static ais_status pick_member(const ais_era5_fields *pl, long member, long *out, char *errbuf,
                              size_t es)
{
    long lo = 0, hi = 0;
    int seen = 0;
    for (size_t k = 0; k < pl->count; k++) {
        if (upper_index(&pl->items[k]) < 0)
            continue;
        long m = pl->items[k].member;
        if (!seen || m < lo)
            lo = m;
        if (!seen || m > hi)
            hi = m;
        seen = 1;
    }
    if (!seen)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "no u, v, w, t or z message on isobaricInhPa levels");
    if (member < 0 && lo != hi)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "several ensemble members (numbers %ld..%ld): choose one", lo, hi);
    *out = member < 0 ? lo : member;
    return AIS_OK;
}

static void time_text(int64_t t, char out[AIS_TIME_ISO_SIZE])
{
    if (ais_time_format_iso(t, out) != AIS_OK)
        snprintf(out, AIS_TIME_ISO_SIZE, "%lld", (long long)t);
}

static ais_status fill_surface_from_sfc(ais_met_grid *g, const ais_era5_fields *sfc, long member,
                                        const ais_era5_field *ref, char *errbuf, size_t es)
{
    static const char *const names[AIS_MET_SFC_COUNT] = {"sp", "2t", "10u", "10v"};
    size_t plane = g->nx * g->ny;
    unsigned char *seen = calloc(AIS_MET_SFC_COUNT * g->nt, 1);
    if (seen == NULL)
        return AIS_ERR_NOMEM;
    int have_terrain = 0;
    ais_status st = AIS_OK;
    for (size_t k = 0; k < sfc->count && st == AIS_OK; k++) {
        const ais_era5_field *f = &sfc->items[k];
        if (f->member != member)
            continue;
        int var = -1;
        for (int v = 0; v < AIS_MET_SFC_COUNT; v++)
            if (strcmp(f->name, names[v]) == 0)
                var = v;
        int terrain = strcmp(f->name, "z") == 0 && strcmp(f->level_type, "surface") == 0;
        if (var < 0 && !terrain)
            continue;
        if (!same_geometry(f, ref)) {
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                                 "single-level %s is on another grid than the pressure levels",
                                 f->name);
            break;
        }
        if (terrain) {
            if (!have_terrain)
                for (size_t p = 0; p < plane; p++)
                    g->terrain_m[p] = (float)(f->values[p] / AIS_MET_G0);
            have_terrain = 1;
            continue;
        }
        size_t it = find_i64(g->times, g->nt, f->valid_time);
        if (it == g->nt)
            continue; /* a time the pressure levels do not have */
        if (seen[(size_t)var * g->nt + it]++) {
            char when[AIS_TIME_ISO_SIZE];
            time_text(f->valid_time, when);
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, es, "single-level %s at %s given twice",
                                 f->name, when);
            break;
        }
        float *dst = g->sfc[var] + it * plane;
        for (size_t p = 0; p < plane; p++)
            dst[p] = (float)f->values[p];
    }
    for (size_t k = 0; st == AIS_OK && k < AIS_MET_SFC_COUNT * g->nt; k++) {
        if (!seen[k]) {
            char when[AIS_TIME_ISO_SIZE];
            time_text(g->times[k % g->nt], when);
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, es, "single-level %s missing at %s",
                                 names[k / g->nt], when);
        }
    }
    if (st == AIS_OK && !have_terrain)
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                             "no surface geopotential (z on the surface) in the single-level "
                             "file: the terrain is unknown");
    free(seen);
    return st;
}

static void fill_surface_from_lowest(ais_met_grid *g)
{
    size_t plane = g->nx * g->ny;
    for (size_t p = 0; p < plane; p++) {
        double sum = 0;
        for (size_t it = 0; it < g->nt; it++)
            sum += g->upper[AIS_MET_HGT][(it * g->nz) * plane + p];
        g->terrain_m[p] = (float)(sum / (double)g->nt);
    }
    for (size_t it = 0; it < g->nt; it++) {
        const size_t base = it * g->nz * plane; /* level 0 of time it */
        for (size_t p = 0; p < plane; p++) {
            g->sfc[AIS_MET_PSFC][it * plane + p] = (float)(g->levels_hpa[0] * 100.0);
            g->sfc[AIS_MET_T2M][it * plane + p] = g->upper[AIS_MET_T][base + p];
            g->sfc[AIS_MET_U10][it * plane + p] = g->upper[AIS_MET_U][base + p];
            g->sfc[AIS_MET_V10][it * plane + p] = g->upper[AIS_MET_V][base + p];
        }
    }
}

/* Levels and times carried by the upper fields of the member. */
static ais_status axes(const ais_era5_fields *pl, long member, int64_t **levels, size_t *nz,
                       int64_t **times, size_t *nt, const ais_era5_field **ref, char *errbuf,
                       size_t es)
{
    *levels = malloc((pl->count + 1) * sizeof **levels);
    *times = malloc((pl->count + 1) * sizeof **times);
    if (*levels == NULL || *times == NULL)
        return AIS_ERR_NOMEM;
    size_t n = 0;
    *ref = NULL;
    for (size_t k = 0; k < pl->count; k++) {
        const ais_era5_field *f = &pl->items[k];
        if (upper_index(f) < 0 || f->member != member)
            continue;
        if (*ref == NULL)
            *ref = f;
        else if (!same_geometry(f, *ref))
            return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                                   "%s at %ld hPa is on another grid than %s at %ld hPa", f->name,
                                   f->level, (*ref)->name, (*ref)->level);
        (*levels)[n] = f->level;
        (*times)[n] = f->valid_time;
        n++;
    }
    if (n == 0)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es, "no message of member %ld", member);
    *nz = distinct_i64(*levels, n, 1);
    *nt = distinct_i64(*times, n, 0);
    if (*nz > AIS_MET_MAX_LEVELS || (*ref)->nx > AIS_MET_MAX_POINTS ||
        (*ref)->ny > AIS_MET_MAX_POINTS)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, es,
                               "grid too large (%zu x %zu points, %zu levels; at most %d x %d, %d)",
                               (*ref)->nx, (*ref)->ny, *nz, AIS_MET_MAX_POINTS, AIS_MET_MAX_POINTS,
                               AIS_MET_MAX_LEVELS);
    return AIS_OK;
}

static ais_status fill_upper(ais_met_grid *g, const ais_era5_fields *pl, long member,
                             const int64_t *levels, size_t *used, char *errbuf, size_t es)
{
    size_t plane = g->nx * g->ny;
    size_t cells = AIS_MET_UPPER_COUNT * g->nt * g->nz;
    unsigned char *seen = calloc(cells, 1);
    if (seen == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = AIS_OK;
    *used = 0;
    for (size_t k = 0; k < pl->count && st == AIS_OK; k++) {
        const ais_era5_field *f = &pl->items[k];
        int var = upper_index(f);
        if (var < 0 || f->member != member)
            continue;
        size_t it = find_i64(g->times, g->nt, f->valid_time);
        size_t iz = find_i64(levels, g->nz, f->level);
        size_t cell = ((size_t)var * g->nt + it) * g->nz + iz;
        if (seen[cell]++) {
            char when[AIS_TIME_ISO_SIZE];
            time_text(f->valid_time, when);
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, es, "%s at %ld hPa, %s given twice",
                                 f->name, f->level, when);
            break;
        }
        double scale = var == AIS_MET_HGT ? 1.0 / AIS_MET_G0 : 1.0;
        float *dst = g->upper[var] + (it * g->nz + iz) * plane;
        for (size_t p = 0; p < plane; p++)
            dst[p] = (float)(f->values[p] * scale);
        (*used)++;
    }
    for (size_t c = 0; st == AIS_OK && c < cells; c++) {
        if (!seen[c]) {
            size_t iz = c % g->nz, it = (c / g->nz) % g->nt, var = c / (g->nz * g->nt);
            char when[AIS_TIME_ISO_SIZE];
            time_text(g->times[it], when);
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, es, "%s missing at %lld hPa, %s",
                                 UPPER_NAMES[var], (long long)levels[iz], when);
        }
    }
    free(seen);
    return st;
}

ais_status ais_met_from_era5(const ais_era5_fields *pl, const ais_era5_fields *sfc, long member,
                             ais_met_grid **out, ais_met_era5_report *report, char *errbuf,
                             size_t errbuf_size)
{
    if (pl == NULL || out == NULL)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "NULL argument");
    *out = NULL;
    ais_met_era5_report rep;
    memset(&rep, 0, sizeof rep);
    int64_t *levels = NULL;
    int64_t *times = NULL;
    double *levels_hpa = NULL;
    size_t nz = 0, nt = 0;
    const ais_era5_field *ref = NULL;
    ais_met_grid *g = NULL;
    ais_status st = pick_member(pl, member, &rep.member, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = axes(pl, rep.member, &levels, &nz, &times, &nt, &ref, errbuf, errbuf_size);
    if (st == AIS_OK && (levels_hpa = malloc(nz * sizeof *levels_hpa)) == NULL)
        st = AIS_ERR_NOMEM;
    if (st == AIS_OK) {
        for (size_t k = 0; k < nz; k++)
            levels_hpa[k] = (double)levels[k];
        ais_met_dims dims = {.nx = ref->nx, .ny = ref->ny, .nz = nz, .nt = nt,
                             .lon0 = ref->lon0, .lat0 = ref->lat0, .dlon = ref->dlon,
                             .dlat = ref->dlat, .levels_hpa = levels_hpa, .times = times};
        st = ais_met_grid_new(&dims, &g);
        if (st == AIS_ERR_INVALID_ARG)
            st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size,
                                 "the fields do not make a valid grid");
    }
    if (st == AIS_OK)
        st = fill_upper(g, pl, rep.member, levels, &rep.pressure_messages_used, errbuf,
                        errbuf_size);
    if (st == AIS_OK && sfc != NULL && sfc->count > 0) {
        st = fill_surface_from_sfc(g, sfc, rep.member, ref, errbuf, errbuf_size);
    } else if (st == AIS_OK) {
        fill_surface_from_lowest(g);
        rep.surface_from_lowest_level = 1;
    }
    if (st == AIS_OK)
        st = ais_met_set_source(g, "ERA5");
    if (st == AIS_OK) {
        rep.messages_skipped = pl->count - rep.pressure_messages_used;
        *out = g;
        g = NULL;
    }
    if (report != NULL)
        *report = rep;
    ais_met_grid_free(g);
    free(levels);
    free(times);
    free(levels_hpa);
    return st;
}
