/* MCD19A2 HDF4-EOS granule decoding with mfhdf (rules in ais/maiac.h). */
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <mfhdf.h>

#include "ais/maiac.h"
#include "ais/timeutil.h"

#define DEG (180.0 / 3.14159265358979323846)

/* a rejection with a fixed text */
static ais_status fail(const char **reason, const char *code, char *detail, size_t size,
                       const char *what)
{
    return ais_gridded_fail(reason, code, detail, size, "%s", what);
}

/* "MCD19A2.A2026088.h28v08.061.2026090152546.hdf" */
static bool parse_name(const char *path, ais_maiac_granule *g)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    int year, doy, h, v, coll, pyear, pdoy, phh, pmm, pss;
    char tail[8] = "";
    if (sscanf(base, "MCD19A2.A%4d%3d.h%2dv%2d.%3d.%4d%3d%2d%2d%2d.%7s", &year, &doy, &h, &v,
               &coll, &pyear, &pdoy, &phh, &pmm, &pss, tail) != 11)
        return false;
    if (strcmp(tail, "hdf") != 0 || doy < 1 || doy > 366 || pdoy < 1 || pdoy > 366 || h > 35 ||
        v > 17 || phh > 23 || pmm > 59 || pss > 59)
        return false;
    int64_t jan1, pjan1;
    if (ais_time_from_civil(year, 1, 1, 0, 0, 0, &jan1) != AIS_OK ||
        ais_time_from_civil(pyear, 1, 1, 0, 0, 0, &pjan1) != AIS_OK)
        return false;
    g->acquisition_date = jan1 + (int64_t)(doy - 1) * AIS_SECONDS_PER_DAY;
    g->production_time = pjan1 + (int64_t)(pdoy - 1) * AIS_SECONDS_PER_DAY + phh * 3600 +
                         pmm * 60 + pss;
    snprintf(g->tile, sizeof g->tile, "h%02dv%02d", h, v);
    snprintf(g->granule_id, sizeof g->granule_id, "MCD19A2.A%04d%03d.h%02dv%02d.%03d", year, doy,
             h, v, coll);
    return true;
}

/* A global text attribute as a NUL-terminated string (caller frees). */
static char *global_text(int32 sd, const char *name)
{
    int32 idx = SDfindattr(sd, name);
    if (idx < 0)
        return NULL;
    char aname[H4_MAX_NC_NAME];
    int32 type, count;
    if (SDattrinfo(sd, idx, aname, &type, &count) == FAIL || count <= 0 ||
        (type != DFNT_CHAR8 && type != DFNT_UCHAR8))
        return NULL;
    char *buf = malloc((size_t)count + 1);
    if (buf == NULL)
        return NULL;
    if (SDreadattr(sd, idx, buf) == FAIL) {
        free(buf);
        return NULL;
    }
    buf[count] = '\0';
    return buf;
}

/* "(a,b)" after key= in an ODL text */
static bool odl_pair(const char *text, const char *key, double *a, double *b)
{
    const char *p = strstr(text, key);
    return p != NULL && sscanf(p + strlen(key), "=(%lf,%lf)", a, b) == 2;
}

static bool odl_long(const char *text, const char *key, long *v)
{
    const char *p = strstr(text, key);
    return p != NULL && sscanf(p + strlen(key), "=%ld", v) == 1;
}

/* CoreMetadata: OBJECT = NAME ... VALUE = "text" */
static bool odl_value(const char *text, const char *object, char *out, size_t size)
{
    char pat[96];
    snprintf(pat, sizeof pat, "OBJECT                 = %s", object);
    const char *p = strstr(text, pat);
    if (p == NULL) {
        /* tolerate other spacing: find the object name after "OBJECT" */
        p = strstr(text, object);
        if (p == NULL)
            return false;
    }
    const char *v = strstr(p, "VALUE");
    if (v == NULL)
        return false;
    const char *q = strchr(v, '"');
    if (q == NULL)
        return false;
    const char *e = strchr(q + 1, '"');
    if (e == NULL || (size_t)(e - q - 1) >= size)
        return false;
    memcpy(out, q + 1, (size_t)(e - q - 1));
    out[e - q - 1] = '\0';
    return true;
}

static bool odl_time(const char *core, const char *date_key, const char *time_key, int64_t *out)
{
    char date[32], tm[32], iso[80];
    if (!odl_value(core, date_key, date, sizeof date) || !odl_value(core, time_key, tm, sizeof tm))
        return false;
    /* "2026-03-29" and "01:10:00.000000" */
    snprintf(iso, sizeof iso, "%sT%sZ", date, tm);
    return ais_time_parse_iso(iso, out) == AIS_OK;
}

static double sds_double_attr(int32 sds, const char *name, double dflt)
{
    int32 idx = SDfindattr(sds, name);
    if (idx < 0)
        return dflt;
    char aname[H4_MAX_NC_NAME];
    int32 type, count;
    if (SDattrinfo(sds, idx, aname, &type, &count) == FAIL || count < 1)
        return dflt;
    union {
        float64 d[4];
        float32 f[8];
        int16 s[16];
        int32 i[8];
    } u;
    if (count > 4 || SDreadattr(sds, idx, &u) == FAIL)
        return dflt;
    switch (type) {
    case DFNT_FLOAT64: return u.d[0];
    case DFNT_FLOAT32: return u.f[0];
    case DFNT_INT16: return u.s[0];
    case DFNT_INT32: return u.i[0];
    default: return dflt;
    }
}

static bool sds_range(int32 sds, int16 *lo, int16 *hi)
{
    int32 idx = SDfindattr(sds, "valid_range");
    char aname[H4_MAX_NC_NAME];
    int32 type, count;
    int16 r[2];
    if (idx < 0 || SDattrinfo(sds, idx, aname, &type, &count) == FAIL || type != DFNT_INT16 ||
        count != 2 || SDreadattr(sds, idx, r) == FAIL)
        return false;
    *lo = r[0];
    *hi = r[1];
    return true;
}

typedef struct sds_info {
    int32 id;
    int32 dims[3];
    int32 type;
} sds_info;

static bool open_sds(int32 sd, const char *name, int32 want_type, sds_info *out)
{
    int32 idx = SDnametoindex(sd, name);
    if (idx < 0)
        return false;
    out->id = SDselect(sd, idx);
    if (out->id < 0)
        return false;
    char n[H4_MAX_NC_NAME];
    int32 rank, nattrs;
    int32 dims[H4_MAX_VAR_DIMS];
    if (SDgetinfo(out->id, n, &rank, dims, &out->type, &nattrs) == FAIL || rank != 3 ||
        out->type != want_type) {
        SDendaccess(out->id);
        out->id = -1;
        return false;
    }
    memcpy(out->dims, dims, sizeof out->dims);
    return true;
}

typedef struct geometry {
    double ulx, uly, w, h, radius;
    long nx, ny;
} geometry;

static bool read_geometry(int32 sd, geometry *g)
{
    char *sm = global_text(sd, "StructMetadata.0");
    if (sm == NULL)
        return false;
    double lrx, lry;
    bool ok = odl_pair(sm, "UpperLeftPointMtrs", &g->ulx, &g->uly) &&
              odl_pair(sm, "LowerRightMtrs", &lrx, &lry) && odl_long(sm, "XDim", &g->nx) &&
              odl_long(sm, "YDim", &g->ny) && strstr(sm, "GCTP_SNSOID") != NULL;
    g->radius = AIS_MAIAC_SPHERE_RADIUS_M;
    const char *pp = strstr(sm, "ProjParams=(");
    double r;
    if (pp != NULL && sscanf(pp + 12, "%lf", &r) == 1 && r > 6.0e6 && r < 6.5e6)
        g->radius = r;
    free(sm);
    if (!ok || g->nx <= 0 || g->ny <= 0 || g->nx > 100000 || g->ny > 100000 || lrx <= g->ulx ||
        lry >= g->uly)
        return false;
    g->w = (lrx - g->ulx) / (double)g->nx;
    g->h = (g->uly - lry) / (double)g->ny;
    return true;
}

/* The columns of row whose centres are in the box: [*c0, *c1], false if none. */
static bool row_columns(const geometry *g, const ais_bbox *box, double lat_deg, long *c0,
                        long *c1)
{
    double k = g->radius * cos(lat_deg / DEG) / DEG; /* metres per degree of longitude */
    if (k <= 0.0)
        return false;
    double xw = box->west * k, xe = box->east * k;
    double a = ceil((xw - g->ulx) / g->w - 0.5), b = floor((xe - g->ulx) / g->w - 0.5);
    if (a < 0.0)
        a = 0.0;
    if (b > (double)(g->nx - 1))
        b = (double)(g->nx - 1);
    if (a > b)
        return false;
    *c0 = (long)a;
    *c1 = (long)b;
    /* guard the rounding at the edges with the exact test */
    while (*c0 <= *c1 && (g->ulx + ((double)*c0 + 0.5) * g->w) / k < box->west)
        (*c0)++;
    while (*c1 >= *c0 && (g->ulx + ((double)*c1 + 0.5) * g->w) / k > box->east)
        (*c1)--;
    return *c0 <= *c1;
}

typedef struct band {
    sds_info sds;
    int16 lo, hi, fill;
    int16 *buf;
} band;

/* Rows r0.. of every orbit, one orbit at a time in file order. The v061 datasets are deflated
 * as one stream: a single hyperslab across orbits makes HDF4 restart the stream for each orbit
 * (quadratic), reading orbit by orbit only ever seeks forward. */
static ais_status read_rows(const sds_info *s, long r0, long nrows, void *buf, size_t elem)
{
    size_t per_orbit = (size_t)nrows * (size_t)s->dims[2] * elem;
    for (int32 o = 0; o < s->dims[0]; o++) {
        int32 start[3] = {o, (int32)r0, 0};
        int32 edge[3] = {1, (int32)nrows, s->dims[2]};
        if (SDreaddata(s->id, start, NULL, edge, (char *)buf + (size_t)o * per_orbit) == FAIL)
            return AIS_ERR_PARSE;
    }
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Parallel inflate. A v061 dataset is one deflate block (SDgetdatainfo gives its offset and
 * length in the file); HDF4 inflates the three datasets one after the other on one core, which
 * is most of the decoding time. Here each block is read with pread and inflated by its own
 * thread (libdeflate, checksum verified). The values stay in the file's big-endian order; the
 * statistics loop swaps only the pixels it reads (most granules hold few pixels of the box).
 * Any surprise (another compression, several blocks, a short read, a stream that does not end
 * exactly at the dataset's size) returns false and the caller reads through HDF4, which reports
 * what is wrong. */

/* from <mfdatainfo.h>, which declares it only under DATAINFO_MASTER */
intn SDgetdatainfo(int32 sdsid, int32 *chk_coord, uintn start_block, uintn info_count,
                   int32 *offsetarray, int32 *lengtharray);

/* Runs fn over n jobs of `size` bytes each: jobs 1.. on their own threads, job 0 (and any job
 * whose thread did not start) on the caller's; returns when all are done. */
static void run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n)
{
    pthread_t threads[4];
    bool started[4] = {false, false, false, false};
    if (n > 4)
        n = 4;
    for (int k = 1; k < n; k++)
        started[k] = pthread_create(&threads[k], NULL, fn, (char *)jobs + (size_t)k * size) == 0;
    for (int k = 0; k < n; k++)
        if (!started[k])
            fn((char *)jobs + (size_t)k * size);
    for (int k = 1; k < n; k++)
        if (started[k])
            pthread_join(threads[k], NULL);
}

typedef struct inflate_job {
    int fd;
    off_t offset;
    size_t src_len;
    unsigned char *dst;
    size_t dst_len;
    bool ok;
} inflate_job;

static void *inflate_worker(void *arg)
{
    inflate_job *j = arg;
    j->ok = false;
    unsigned char *src = ais_big_alloc(j->src_len);
    if (src == NULL)
        return NULL;
    size_t got = 0;
    while (got < j->src_len) {
        ssize_t n = pread(j->fd, src + got, j->src_len - got, j->offset + (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    /* libdeflate: the whole zlib stream into its known size, Adler-32 checked; about twice
     * zlib's inflate speed, which is most of the decoding time */
    struct libdeflate_decompressor *d = got == j->src_len ? libdeflate_alloc_decompressor() : NULL;
    if (d != NULL) {
        size_t out_len = 0;
        j->ok = libdeflate_zlib_decompress(d, src, j->src_len, j->dst, j->dst_len, &out_len) ==
                    LIBDEFLATE_SUCCESS &&
                out_len == j->dst_len;
        libdeflate_free_decompressor(d);
    }
    free(src);
    return NULL;
}

/* A 16-bit value of a dataset buffer: big-endian as in the file (parallel inflate) or host order
 * (read through HDF4). */
static inline uint16 load_u16(const uint16 *p, bool big_endian)
{
    return big_endian ? be16toh(*p) : *p;
}

static bool read_parallel(const char *path, const int32 *sds, void *const *bufs, size_t bytes)
{
    inflate_job jobs[3];
    for (int k = 0; k < 3; k++) {
        comp_coder_t type;
        comp_info info;
        int32 off = 0, len = 0;
        if (SDgetcompinfo(sds[k], &type, &info) == FAIL || type != COMP_CODE_DEFLATE ||
            SDgetdatainfo(sds[k], NULL, 0, 1, &off, &len) != 1 || off <= 0 || len <= 2)
            return false;
        jobs[k] = (inflate_job){.offset = off, .src_len = (size_t)len, .dst = bufs[k],
                                .dst_len = bytes};
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    for (int k = 0; k < 3; k++)
        jobs[k].fd = fd;
    run_jobs(inflate_worker, jobs, sizeof jobs[0], 3);
    bool ok = jobs[0].ok && jobs[1].ok && jobs[2].ok;
    close(fd);
    return ok;
}

/* The statistics over rows [ra, rb] of the box: a fixed number of row ranges (STATS_PARTS, not
 * the host's core count, so the merged figures are the same bits on every machine), each on its
 * own thread, merged in row order. */
#define STATS_PARTS 2

typedef struct stats_job {
    const geometry *geo;
    const ais_bbox *box;
    const band *b47, *b55;
    const uint16 *qbuf;
    uint16 qfill;
    bool big_endian;
    int orbits;
    long ra, rb, row0;
    size_t per_orbit;
    double s47, o47, s55, o55;
    uint64_t box_pixels;
    ais_stat aod047, aod055;
} stats_job;

/* The best-quality QA test on the values as stored, without swapping: the QA bits 8-11 mask
 * and the fill value are swapped once instead (big-endian buffers). */
typedef struct qa_test {
    uint16 mask, fill;
} qa_test;

static inline bool qa_best(uint16 raw, qa_test t)
{
    return (raw & t.mask) == 0 && raw != t.fill;
}

/* Eight QA values at a time (GCC/Clang vector extension, SSE2 or NEON): false when none of
 * them is best quality, which is the common case (about 2% of the pixel-orbits of a tile). */
typedef uint16 u16x8 __attribute__((vector_size(16)));

static inline bool qa_any_best8(const uint16 *p, u16x8 mask, u16x8 fill)
{
    u16x8 q;
    memcpy(&q, p, sizeof q);
    u16x8 hit = (u16x8)((q & mask) == 0) & (u16x8)(q != fill);
    uint64_t lanes[2];
    memcpy(lanes, &hit, sizeof lanes);
    return (lanes[0] | lanes[1]) != 0;
}

static inline void add_pixel(stats_job *j, size_t i)
{
    int16 v55 = (int16)load_u16((const uint16 *)&j->b55->buf[i], j->big_endian);
    int16 v47 = (int16)load_u16((const uint16 *)&j->b47->buf[i], j->big_endian);
    if (v55 != j->b55->fill && v55 >= j->b55->lo && v55 <= j->b55->hi)
        ais_stat_add(&j->aod055, ((double)v55 - j->o55) * j->s55);
    if (v47 != j->b47->fill && v47 >= j->b47->lo && v47 <= j->b47->hi)
        ais_stat_add(&j->aod047, ((double)v47 - j->o47) * j->s47);
}

static void *stats_worker(void *arg)
{
    stats_job *j = arg;
    qa_test t = {.mask = j->big_endian ? htobe16(0x0F00) : 0x0F00,
                 .fill = j->big_endian ? htobe16(j->qfill) : j->qfill};
    u16x8 vmask = {0}, vfill = {0};
    vmask += t.mask;
    vfill += t.fill;
    for (long r = j->ra; r <= j->rb; r++) {
        double lat = (j->geo->uly - ((double)r + 0.5) * j->geo->h) / j->geo->radius * DEG;
        long c0, c1;
        if (!row_columns(j->geo, j->box, lat, &c0, &c1))
            continue;
        j->box_pixels += (uint64_t)(c1 - c0 + 1);
        for (int o = 0; o < j->orbits; o++) {
            size_t base = (size_t)o * j->per_orbit + (size_t)(r - j->row0) * (size_t)j->geo->nx;
            const uint16 *q = j->qbuf + base;
            long c = c0;
            for (; c + 8 <= c1 + 1; c += 8) {
                if (!qa_any_best8(q + c, vmask, vfill))
                    continue;
                for (long k = c; k < c + 8; k++)
                    if (qa_best(q[k], t))
                        add_pixel(j, base + (size_t)k);
            }
            for (; c <= c1; c++)
                if (qa_best(q[c], t))
                    add_pixel(j, base + (size_t)c);
        }
    }
    return NULL;
}

static void box_statistics(stats_job *proto, long r0, long r1, ais_maiac_granule *out)
{
    stats_job jobs[STATS_PARTS];
    long rows = r1 - r0 + 1;
    for (int k = 0; k < STATS_PARTS; k++) {
        jobs[k] = *proto;
        jobs[k].ra = r0 + rows * k / STATS_PARTS;
        jobs[k].rb = r0 + rows * (k + 1) / STATS_PARTS - 1;
    }
    run_jobs(stats_worker, jobs, sizeof jobs[0], STATS_PARTS);
    for (int k = 0; k < STATS_PARTS; k++) {
        out->box_pixels += jobs[k].box_pixels;
        ais_stat_merge(&out->aod047, &jobs[k].aod047);
        ais_stat_merge(&out->aod055, &jobs[k].aod055);
    }
}

static ais_status decode_open(int32 sd, const char *path, const ais_bbox *box,
                              ais_maiac_granule *out, const char **reason, char *detail,
                              size_t dsize)
{
    geometry geo;
    if (!read_geometry(sd, &geo))
        return fail(reason, "bad_struct_metadata", detail, dsize,
                    "StructMetadata.0 has no sinusoidal grid (XDim, YDim, corners)");
    char *core = global_text(sd, "CoreMetadata.0");
    bool times = core != NULL &&
                 odl_time(core, "RANGEBEGINNINGDATE", "RANGEBEGINNINGTIME", &out->time_start) &&
                 odl_time(core, "RANGEENDINGDATE", "RANGEENDINGTIME", &out->time_end);
    free(core);
    if (!times)
        return fail(reason, "bad_core_metadata", detail, dsize,
                    "CoreMetadata.0 has no RANGEBEGINNING/ENDING date and time");

    band b47 = {0}, b55 = {0};
    sds_info qa = {.id = -1};
    b47.sds.id = b55.sds.id = -1;
    ais_status st = AIS_OK;
    uint16 *qbuf = NULL;
    if (!open_sds(sd, "Optical_Depth_047", DFNT_INT16, &b47.sds) ||
        !open_sds(sd, "Optical_Depth_055", DFNT_INT16, &b55.sds) ||
        !open_sds(sd, "AOD_QA", DFNT_UINT16, &qa)) {
        st = fail(reason, "missing_sds", detail, dsize,
                  "Optical_Depth_047 (int16), Optical_Depth_055 (int16) and AOD_QA (uint16) "
                  "with 3 dimensions are required");
        goto done;
    }
    for (int i = 0; i < 3; i++)
        if (b47.sds.dims[i] != b55.sds.dims[i] || b47.sds.dims[i] != qa.dims[i]) {
            st = fail(reason, "bad_dimensions", detail, dsize,
                      "the AOD and QA datasets differ in shape");
            goto done;
        }
    if (qa.dims[1] != geo.ny || qa.dims[2] != geo.nx || qa.dims[0] < 1 || qa.dims[0] > 64) {
        st = fail(reason, "bad_dimensions", detail, dsize,
                  "datasets are not Orbits x YDim x XDim of the grid");
        goto done;
    }
    out->orbits = (int)qa.dims[0];
    out->scale_factor = sds_double_attr(b55.sds.id, "scale_factor", 0.001);
    out->add_offset = sds_double_attr(b55.sds.id, "add_offset", 0.0);
    double s47 = sds_double_attr(b47.sds.id, "scale_factor", 0.001);
    double o47 = sds_double_attr(b47.sds.id, "add_offset", 0.0);
    b47.fill = (int16)sds_double_attr(b47.sds.id, "_FillValue", AIS_MAIAC_FILL);
    b55.fill = (int16)sds_double_attr(b55.sds.id, "_FillValue", AIS_MAIAC_FILL);
    uint16 qfill = (uint16)sds_double_attr(qa.id, "_FillValue", 0);
    if (!sds_range(b47.sds.id, &b47.lo, &b47.hi)) {
        b47.lo = -100;
        b47.hi = 6000;
    }
    if (!sds_range(b55.sds.id, &b55.lo, &b55.hi)) {
        b55.lo = -100;
        b55.hi = 6000;
    }
    if (!(out->scale_factor > 0.0) || !(s47 > 0.0)) {
        st = fail(reason, "bad_dimensions", detail, dsize, "scale_factor must be positive");
        goto done;
    }

    /* rows whose centre latitude is in the box */
    long r0 = -1, r1 = -2;
    for (long r = 0; r < geo.ny; r++) {
        double lat = (geo.uly - ((double)r + 0.5) * geo.h) / geo.radius * DEG;
        if (lat >= box->south && lat <= box->north) {
            if (r0 < 0)
                r0 = r;
            r1 = r;
        }
    }
    if (r0 < 0)
        goto done; /* no pixel in the box */
    /* the whole datasets through the parallel inflate when they are single deflate blocks
     * (v061 granules are), else the rows of the box through HDF4 */
    size_t full = (size_t)out->orbits * (size_t)geo.ny * (size_t)geo.nx;
    long row0 = 0, nrows = geo.ny;
    b47.buf = ais_big_alloc(full * sizeof *b47.buf);
    b55.buf = ais_big_alloc(full * sizeof *b55.buf);
    qbuf = ais_big_alloc(full * sizeof *qbuf);
    if (b47.buf == NULL || b55.buf == NULL || qbuf == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    int32 ids[3] = {b47.sds.id, b55.sds.id, qa.id};
    void *bufs[3] = {b47.buf, b55.buf, qbuf};
    bool big_endian = read_parallel(path, ids, bufs, full * 2);
    if (!big_endian) {
        row0 = r0;
        nrows = r1 - r0 + 1;
        if (read_rows(&b47.sds, r0, nrows, b47.buf, sizeof *b47.buf) != AIS_OK ||
            read_rows(&b55.sds, r0, nrows, b55.buf, sizeof *b55.buf) != AIS_OK ||
            read_rows(&qa, r0, nrows, qbuf, sizeof *qbuf) != AIS_OK) {
            st = fail(reason, "read_failed", detail, dsize,
                      "SDreaddata failed (truncated or corrupt granule)");
            goto done;
        }
    }
    stats_job proto = {.geo = &geo, .box = box, .b47 = &b47, .b55 = &b55, .qbuf = qbuf,
                       .qfill = qfill, .big_endian = big_endian, .orbits = out->orbits,
                       .row0 = row0, .per_orbit = (size_t)nrows * (size_t)geo.nx, .s47 = s47,
                       .o47 = o47, .s55 = out->scale_factor, .o55 = out->add_offset};
    box_statistics(&proto, r0, r1, out);
    out->total = out->box_pixels * (uint64_t)out->orbits;
done:
    free(b47.buf);
    free(b55.buf);
    free(qbuf);
    if (b47.sds.id >= 0)
        SDendaccess(b47.sds.id);
    if (b55.sds.id >= 0)
        SDendaccess(b55.sds.id);
    if (qa.id >= 0)
        SDendaccess(qa.id);
    return st;
}

ais_status ais_maiac_decode(const char *path, const ais_bbox *box, ais_maiac_granule *out,
                            const char **reason, char *detail, size_t detail_size)
{
    if (path == NULL || box == NULL || out == NULL || reason == NULL || detail == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    *reason = NULL;
    detail[0] = '\0';
    if (!parse_name(path, out))
        return fail(reason, "bad_file_name", detail, detail_size,
                    "not MCD19A2.AYYYYDDD.hHHvVV.CCC.YYYYDDDHHMMSS.hdf");
    int32 sd = SDstart(path, DFACC_READ);
    if (sd == FAIL)
        return fail(reason, "hdf4_open_failed", detail, detail_size,
                    "SDstart failed: not an HDF4 file, or truncated");
    ais_status st = decode_open(sd, path, box, out, reason, detail, detail_size);
    SDend(sd);
    return st;
}
