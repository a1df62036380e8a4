#include "ais/arl.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ais/fsutil.h"
#include "ais/timeutil.h"

#define MAX_LEVELS_IN_FILE (AIS_MET_MAX_LEVELS + 1) /* surface + upper levels */
#define MAX_VARS_PER_LEVEL 99                       /* the I2 count field */
#define N_SFC_VARS 5
#define N_UPPER_VARS 5

/* A variable of the file and where it lives in the grid. scale converts grid units to file
 * units (Pa -> hPa for PRSS and WWND). */
typedef struct arl_var {
    char name[5];
    int field; /* ais_met_field or ais_met_sfc_field; -1 for terrain */
    double scale;
} arl_var;

static const arl_var SFC_VARS[N_SFC_VARS] = {
    {"PRSS", AIS_MET_PSFC, 0.01},
    {"SHGT", -1, 1.0},
    {"T02M", AIS_MET_T2M, 1.0},
    {"U10M", AIS_MET_U10, 1.0},
    {"V10M", AIS_MET_V10, 1.0},
};

static const arl_var UPPER_VARS[N_UPPER_VARS] = {
    {"HGTS", AIS_MET_HGT, 1.0},
    {"TEMP", AIS_MET_T, 1.0},
    {"UWND", AIS_MET_U, 1.0},
    {"VWND", AIS_MET_V, 1.0},
    {"WWND", AIS_MET_W, 0.01},
};

const char *ais_arl_problem_name(ais_arl_problem problem)
{
    switch (problem) {
    case AIS_ARL_PROBLEM_NONE: return "none";
    case AIS_ARL_TRUNCATED: return "truncated";
    case AIS_ARL_BAD_LABEL: return "bad_label";
    case AIS_ARL_BAD_INDEX: return "bad_index";
    case AIS_ARL_UNEXPECTED_RECORD: return "unexpected_record";
    case AIS_ARL_CHECKSUM: return "checksum";
    case AIS_ARL_BAD_VALUE: return "bad_value";
    case AIS_ARL_UNSUPPORTED: return "unsupported";
    case AIS_ARL_SYSTEM: return "system";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------------------------ */
/* Fixed-width Fortran fields */

ais_status ais_arl_format_e14(double v, char out[15])
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (!isfinite(v) || fabs(v) >= 1e99)
        return AIS_ERR_RANGE;
    if (fabs(v) < 1e-99) {
        memcpy(out, " 0.0000000E+00", 15);
        return AIS_OK;
    }
    /* d.ddddddE+xx has the same 7 significant digits as Fortran's 0.dddddddE+xx */
    char buf[32];
    snprintf(buf, sizeof buf, "%.6E", fabs(v));
    int exp10 = atoi(buf + 9) + 1;
    if (exp10 > 99)
        return AIS_ERR_RANGE;
    if (exp10 < -99) {
        memcpy(out, " 0.0000000E+00", 15);
        return AIS_OK;
    }
    snprintf(out, 15, "%c0.%c%.6sE%c%02d", v < 0.0 ? '-' : ' ', buf[0], buf + 2,
             exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    return AIS_OK;
}

/* Integer in a fixed-width field: blanks, optional sign, digits, blanks. All blanks read as 0,
 * as Fortran does. */
static int parse_int_field(const char *s, size_t w, int *out)
{
    size_t i = 0;
    while (i < w && s[i] == ' ')
        i++;
    if (i == w) {
        *out = 0;
        return 1;
    }
    int neg = 0;
    if (s[i] == '-' || s[i] == '+') {
        neg = s[i] == '-';
        i++;
    }
    size_t digits = 0;
    long v = 0;
    while (i < w && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i] - '0');
        digits++;
        i++;
    }
    while (i < w && s[i] == ' ')
        i++;
    if (digits == 0 || i != w || digits > 9)
        return 0;
    *out = (int)(neg ? -v : v);
    return 1;
}

/* Real number in a fixed-width field (F or E edit descriptor text, D exponent allowed). */
static int parse_real_field(const char *s, size_t w, double *out)
{
    char buf[40];
    size_t n = 0;
    if (w >= sizeof buf)
        return 0;
    for (size_t i = 0; i < w; i++) {
        char c = s[i];
        if (c == ' ')
            continue;
        if (c == 'D' || c == 'd')
            c = 'E';
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'E' ||
              c == 'e'))
            return 0;
        buf[n++] = c;
    }
    if (n == 0) {
        *out = 0.0;
        return 1;
    }
    buf[n] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int printable4(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s[i] < 0x20 || s[i] > 0x7E)
            return 0;
    return 1;
}

ais_status ais_arl_label_format(const ais_arl_label *label, char out[AIS_ARL_LABEL_LEN])
{
    if (label == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (strlen(label->var) != 4 || !printable4(label->var))
        return AIS_ERR_INVALID_ARG;
    if (label->year < 0 || label->month < 1 || label->month > 12 || label->day < 1 ||
        label->day > 31 || label->hour < 0 || label->hour > 23 || label->forecast_hour < -9 ||
        label->forecast_hour > 99 || label->level < 0 || label->level > 99 || label->grid < 0 ||
        label->grid > 99 || label->nexp < -999 || label->nexp > 9999)
        return AIS_ERR_RANGE;
    char prec[15], var1[15];
    if (ais_arl_format_e14(label->prec, prec) != AIS_OK ||
        ais_arl_format_e14(label->var1, var1) != AIS_OK)
        return AIS_ERR_RANGE;
    char buf[AIS_ARL_LABEL_LEN + 16];
    int n = snprintf(buf, sizeof buf, "%2d%2d%2d%2d%2d%2d%2d%.4s%4d%s%s", label->year % 100,
                     label->month, label->day, label->hour, label->forecast_hour, label->level,
                     label->grid, label->var, label->nexp, prec, var1);
    if (n != AIS_ARL_LABEL_LEN)
        return AIS_ERR_RANGE;
    memcpy(out, buf, AIS_ARL_LABEL_LEN);
    return AIS_OK;
}

ais_status ais_arl_label_parse(const char in[AIS_ARL_LABEL_LEN], ais_arl_label *out)
{
    if (in == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_arl_label l;
    memset(&l, 0, sizeof l);
    int yy;
    if (!parse_int_field(in, 2, &yy) || !parse_int_field(in + 2, 2, &l.month) ||
        !parse_int_field(in + 4, 2, &l.day) || !parse_int_field(in + 6, 2, &l.hour) ||
        !parse_int_field(in + 8, 2, &l.forecast_hour) || !parse_int_field(in + 10, 2, &l.level) ||
        !parse_int_field(in + 12, 2, &l.grid) || !parse_int_field(in + 18, 4, &l.nexp) ||
        !parse_real_field(in + 22, 14, &l.prec) || !parse_real_field(in + 36, 14, &l.var1))
        return AIS_ERR_PARSE;
    if (!printable4(in + 14))
        return AIS_ERR_PARSE;
    memcpy(l.var, in + 14, 4);
    l.var[4] = '\0';
    if (yy < 0 || yy > 99 || l.level < 0)
        return AIS_ERR_PARSE;
    l.year = yy < 40 ? 2000 + yy : 1900 + yy;
    int64_t epoch;
    if (ais_time_from_civil(l.year, l.month, l.day, l.hour, 0, 0, &epoch) != AIS_OK)
        return AIS_ERR_PARSE;
    *out = l;
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Packing */

unsigned ais_arl_checksum(const unsigned char *packed, size_t n)
{
    unsigned sum = 0;
    if (packed == NULL)
        return 0;
    for (size_t k = 0; k < n; k++) {
        sum += packed[k];
        if (sum >= 256)
            sum -= 255;
    }
    return sum;
}

ais_status ais_arl_pack(const double *values, size_t nx, size_t ny, unsigned char *packed,
                        ais_arl_packing *info)
{
    if (values == NULL || packed == NULL || info == NULL || nx == 0 || ny == 0 ||
        nx > SIZE_MAX / ny)
        return AIS_ERR_INVALID_ARG;
    size_t n = nx * ny;
    for (size_t k = 0; k < n; k++)
        if (!isfinite(values[k]) || fabs(values[k]) > FLT_MAX)
            return AIS_ERR_RANGE;
    char text[15];
    if (ais_arl_format_e14(values[0], text) != AIS_OK)
        return AIS_ERR_RANGE;
    double var1 = strtod(text, NULL);

    /* largest difference between neighbours in packing order */
    double rmax = 0.0;
    for (size_t j = 0; j < ny; j++) {
        double rold = j == 0 ? var1 : values[(j - 1) * nx];
        for (size_t i = 0; i < nx; i++) {
            double d = fabs(values[j * nx + i] - rold);
            if (d > rmax)
                rmax = d;
            rold = values[j * nx + i];
        }
    }
    /* NEXP = floor(log2 rmax) + 1: 2^NEXP > rmax, so every scaled difference is below 128 */
    int nexp = rmax > 0.0 ? (int)floor(log2(rmax)) + 1 : 1;
    if (nexp > AIS_ARL_MAX_NEXP)
        return AIS_ERR_RANGE;
    if (nexp < -AIS_ARL_MAX_NEXP)
        nexp = -AIS_ARL_MAX_NEXP;
    double scale = ldexp(1.0, 7 - nexp);
    double prec = ldexp(1.0, nexp - 7);

    unsigned sum = 0;
    double rcol = var1;
    for (size_t j = 0; j < ny; j++) {
        double rold = rcol;
        for (size_t i = 0; i < nx; i++) {
            double c = floor((values[j * nx + i] - rold) * scale + 127.5);
            /* the difference is taken from the unpacked previous value, which may sit half a
             * step away from the original: the extremes can round one past the byte range */
            if (c < 0.0)
                c = 0.0;
            if (c > 255.0)
                c = 255.0;
            int icval = (int)c;
            /* the same arithmetic as ais_arl_unpack, so both reconstruct identical values */
            rold = (double)(icval - 127) * prec + rold;
            if (i == 0)
                rcol = rold;
            packed[j * nx + i] = (unsigned char)icval;
            sum += (unsigned)icval;
            if (sum >= 256)
                sum -= 255;
        }
    }
    info->nexp = nexp;
    info->prec = prec;
    info->var1 = var1;
    info->checksum = sum;
    return AIS_OK;
}

ais_status ais_arl_unpack(const unsigned char *packed, size_t nx, size_t ny, int nexp,
                          double var1, double *values)
{
    if (packed == NULL || values == NULL || nx == 0 || ny == 0)
        return AIS_ERR_INVALID_ARG;
    if (nexp < -AIS_ARL_MAX_NEXP || nexp > AIS_ARL_MAX_NEXP || !isfinite(var1))
        return AIS_ERR_RANGE;
    double prec = ldexp(1.0, nexp - 7);
    double vold = var1;
    for (size_t j = 0; j < ny; j++) {
        for (size_t i = 0; i < nx; i++) {
            double v = (double)((int)packed[j * nx + i] - 127) * prec + vold;
            values[j * nx + i] = v;
            vold = v;
        }
        vold = values[j * nx];
    }
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors */

static void set_problem(ais_arl_problem *problem, ais_arl_problem pr)
{
    if (problem != NULL)
        *problem = pr;
}

/* *problem = pr (problem may be NULL), then the message into errbuf (ais_status_fail) */
#define fail(st, pr, problem, errbuf, errsize, ...)                                                \
    (set_problem((problem), (pr)), ais_status_fail((st), (errbuf), (errsize), __VA_ARGS__))

/* ------------------------------------------------------------------------------------------ */
/* Index record */

typedef struct arl_index {
    char source[5];
    int fcst, minutes;
    double grid[12];
    int nx, ny, nz, vflag, lenh;
    double height[MAX_LEVELS_IN_FILE];
    int nvar[MAX_LEVELS_IN_FILE];
    char var[MAX_LEVELS_IN_FILE][MAX_VARS_PER_LEVEL][5];
    int checksum[MAX_LEVELS_IN_FILE][MAX_VARS_PER_LEVEL];
} arl_index;

/* Level height in 6 characters with as many decimals as fit. */
static void format_level_height(double h, char out[7])
{
    int decimals = h >= 10000.0 ? 0 : h >= 1000.0 ? 1 : h >= 100.0 ? 2 : h >= 10.0 ? 3 : 4;
    if (h == 0.0)
        decimals = 2;
    snprintf(out, 7, "%6.*f", decimals, h);
}

/* Whole hundredths below 1000 in magnitude: what F7.2 represents exactly. */
static int f72_exact(double v)
{
    return isfinite(v) && fabs(v) < 1000.0 && fabs(v * 100.0 - round(v * 100.0)) < 1e-6;
}

static void grid_parameters(const ais_met_grid *g, double p[12])
{
    p[0] = ais_met_lat(g, g->ny - 1);
    p[1] = ais_met_lon(g, g->nx - 1);
    p[2] = g->dlat;
    p[3] = g->dlon;
    p[4] = 0.0;
    p[5] = 0.0;
    p[6] = 0.0;
    p[7] = 1.0;
    p[8] = 1.0;
    p[9] = g->lat0;
    p[10] = g->lon0;
    p[11] = 0.0;
}

static size_t index_length(size_t nz_upper)
{
    return AIS_ARL_INDEX_FIXED_LEN + (nz_upper + 1) * 8 + (N_SFC_VARS + nz_upper * N_UPPER_VARS) * 8;
}

/* Writes the index text for one period into data (nxy bytes, blank-padded). checksums are in
 * record order (surface variables, then each level's). */
static ais_status format_index(const ais_met_grid *g, const unsigned *checksums, char *data,
                               size_t nxy)
{
    size_t lenh = index_length(g->nz);
    if (lenh > nxy)
        return AIS_ERR_INVALID_ARG;
    memset(data, ' ', nxy);
    char source[5] = "    ";
    memcpy(source, g->source, strlen(g->source));
    char buf[128];
    double p[12];
    grid_parameters(g, p);
    int n = snprintf(buf, sizeof buf, "%.4s%3d%2d", source, 0, 0);
    size_t pos = 0;
    memcpy(data + pos, buf, (size_t)n);
    pos += (size_t)n;
    for (int k = 0; k < 12; k++) {
        n = snprintf(buf, sizeof buf, "%7.2f", p[k]);
        if (n != 7)
            return AIS_ERR_INVALID_ARG;
        memcpy(data + pos, buf, 7);
        pos += 7;
    }
    n = snprintf(buf, sizeof buf, "%3d%3d%3d%2d%4d", (int)g->nx, (int)g->ny, (int)g->nz + 1, 2,
                 (int)lenh);
    if (n != 15)
        return AIS_ERR_INVALID_ARG;
    memcpy(data + pos, buf, 15);
    pos += 15;
    size_t rec = 0;
    for (size_t l = 0; l <= g->nz; l++) {
        char h[7];
        format_level_height(l == 0 ? 0.0 : g->levels_hpa[l - 1], h);
        const arl_var *vars = l == 0 ? SFC_VARS : UPPER_VARS;
        int nv = l == 0 ? N_SFC_VARS : N_UPPER_VARS;
        n = snprintf(buf, sizeof buf, "%.6s%2d", h, nv);
        memcpy(data + pos, buf, 8);
        pos += 8;
        for (int v = 0; v < nv; v++) {
            n = snprintf(buf, sizeof buf, "%.4s%3u ", vars[v].name, checksums[rec++]);
            memcpy(data + pos, buf, 8);
            pos += 8;
        }
    }
    return pos == lenh ? AIS_OK : AIS_ERR_INVALID_ARG;
}

/* Parses the index information in the data part of an index record (nxy bytes). */
static ais_status parse_index(const unsigned char *data, size_t nxy, arl_index *ix,
                              ais_arl_problem *problem, char *errbuf, size_t errsize,
                              size_t offset)
{
    const char *s = (const char *)data;
    if (nxy < AIS_ARL_INDEX_FIXED_LEN)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, problem, errbuf, errsize,
                    "index record at byte %zu: %zu data bytes cannot hold the %d-byte header",
                    offset, nxy, AIS_ARL_INDEX_FIXED_LEN);
    if (!printable4(s))
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, problem, errbuf, errsize,
                    "index record at byte %zu: data source is not text", offset);
    memcpy(ix->source, s, 4);
    ix->source[4] = '\0';
    int ok = parse_int_field(s + 4, 3, &ix->fcst) && parse_int_field(s + 7, 2, &ix->minutes);
    for (int k = 0; ok && k < 12; k++)
        ok = parse_real_field(s + 9 + 7 * k, 7, &ix->grid[k]);
    ok = ok && parse_int_field(s + 93, 3, &ix->nx) && parse_int_field(s + 96, 3, &ix->ny) &&
         parse_int_field(s + 99, 3, &ix->nz) && parse_int_field(s + 102, 2, &ix->vflag) &&
         parse_int_field(s + 104, 4, &ix->lenh);
    if (!ok)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, problem, errbuf, errsize,
                    "index record at byte %zu: a header field is not a number", offset);
    if (ix->nx < 1 || ix->ny < 1 || (size_t)ix->nx * (size_t)ix->ny != nxy)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, problem, errbuf, errsize,
                    "index record at byte %zu: grid %d x %d does not match the %zu-byte records",
                    offset, ix->nx, ix->ny, nxy);
    if (ix->nz < 1 || ix->nz > MAX_LEVELS_IN_FILE)
        return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                    "index record at byte %zu: %d levels (1..%d supported)", offset, ix->nz,
                    MAX_LEVELS_IN_FILE);
    if (ix->lenh < AIS_ARL_INDEX_FIXED_LEN || (size_t)ix->lenh > nxy)
        return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                    "index record at byte %zu: index length %d outside %d..%zu (index records "
                    "spanning several records are not supported)",
                    offset, ix->lenh, AIS_ARL_INDEX_FIXED_LEN, nxy);
    size_t pos = AIS_ARL_INDEX_FIXED_LEN, lenh = (size_t)ix->lenh;
    for (int l = 0; l < ix->nz; l++) {
        if (pos + 8 > lenh || !parse_real_field(s + pos, 6, &ix->height[l]) ||
            !parse_int_field(s + pos + 6, 2, &ix->nvar[l]) || ix->nvar[l] < 0 ||
            ix->nvar[l] > MAX_VARS_PER_LEVEL)
            return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, problem, errbuf, errsize,
                        "index record at byte %zu: level %d entry malformed or beyond the index "
                        "length %d",
                        offset, l, ix->lenh);
        pos += 8;
        for (int v = 0; v < ix->nvar[l]; v++) {
            if (pos + 8 > lenh || !printable4(s + pos) ||
                !parse_int_field(s + pos + 4, 3, &ix->checksum[l][v]))
                return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, problem, errbuf, errsize,
                            "index record at byte %zu: variable %d of level %d malformed or "
                            "beyond the index length %d",
                            offset, v + 1, l, ix->lenh);
            memcpy(ix->var[l][v], s + pos, 4);
            ix->var[l][v][4] = '\0';
            pos += 8;
        }
    }
    return AIS_OK;
}

/* Same grid, levels and variables (checksums and times may differ). */
static int same_layout(const arl_index *a, const arl_index *b)
{
    if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz || a->vflag != b->vflag)
        return 0;
    for (int k = 0; k < 12; k++)
        if (a->grid[k] != b->grid[k])
            return 0;
    for (int l = 0; l < a->nz; l++) {
        if (a->height[l] != b->height[l] || a->nvar[l] != b->nvar[l])
            return 0;
        for (int v = 0; v < a->nvar[l]; v++)
            if (memcmp(a->var[l][v], b->var[l][v], 4) != 0)
                return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Writer */

static ais_status check_writable(const ais_met_grid *g, char *errbuf, size_t errsize)
{
    double p[12];
    grid_parameters(g, p);
    for (int k = 0; k < 12; k++)
        if (!f72_exact(p[k]))
            return fail(AIS_ERR_INVALID_ARG, AIS_ARL_UNSUPPORTED, NULL, errbuf, errsize,
                        "grid parameter %d (%.6f) is not a whole hundredth of a degree below "
                        "1000: ARL stores it as F7.2",
                        k + 1, p[k]);
    size_t lenh = index_length(g->nz);
    if (lenh > g->nx * g->ny)
        return fail(AIS_ERR_INVALID_ARG, AIS_ARL_UNSUPPORTED, NULL, errbuf, errsize,
                    "grid of %zu points cannot hold the %zu-byte index in one record",
                    g->nx * g->ny, lenh);
    for (size_t it = 0; it < g->nt; it++) {
        ais_civil_time c;
        if (g->times[it] % AIS_SECONDS_PER_HOUR != 0 ||
            ais_time_to_civil(g->times[it], &c) != AIS_OK || c.year < 1940 || c.year > 2039)
            return fail(AIS_ERR_INVALID_ARG, AIS_ARL_UNSUPPORTED, NULL, errbuf, errsize,
                        "time %zu (epoch %lld) is not a whole hour in 1940..2039", it,
                        (long long)g->times[it]);
    }
    for (size_t k = 0; k < g->nz; k++)
        if (g->levels_hpa[k] >= 100000.0)
            return fail(AIS_ERR_INVALID_ARG, AIS_ARL_UNSUPPORTED, NULL, errbuf, errsize,
                        "level %.1f hPa does not fit the index's 6-character field",
                        g->levels_hpa[k]);
    return AIS_OK;
}

/* Fills values (grid units x scale) for one record. */
static void record_values(const ais_met_grid *g, size_t it, size_t level, const arl_var *var,
                          double *values)
{
    size_t nxy = g->nx * g->ny;
    const float *src;
    if (level == 0)
        src = var->field < 0 ? g->terrain_m : g->sfc[var->field] + it * nxy;
    else
        src = g->upper[var->field] + (it * g->nz + (level - 1)) * nxy;
    for (size_t k = 0; k < nxy; k++)
        values[k] = (double)src[k] * var->scale;
}

/* Builds all records of period it into buf (records_per_time x reclen bytes). */
static ais_status build_period(const ais_met_grid *g, size_t it, unsigned char *buf,
                               double *values, unsigned *checksums, char *errbuf, size_t errsize)
{
    size_t nxy = g->nx * g->ny, reclen = nxy + AIS_ARL_LABEL_LEN;
    ais_civil_time c;
    ais_status st = ais_time_to_civil(g->times[it], &c);
    if (st != AIS_OK)
        return st;
    ais_arl_label lab = {.year = c.year, .month = c.month, .day = c.day, .hour = c.hour,
                         .forecast_hour = 0, .grid = AIS_ARL_GRID_NUMBER};
    size_t rec = 1;
    for (size_t level = 0; level <= g->nz; level++) {
        const arl_var *vars = level == 0 ? SFC_VARS : UPPER_VARS;
        int nv = level == 0 ? N_SFC_VARS : N_UPPER_VARS;
        for (int v = 0; v < nv; v++, rec++) {
            unsigned char *r = buf + rec * reclen;
            ais_arl_packing pk;
            record_values(g, it, level, &vars[v], values);
            if ((st = ais_arl_pack(values, g->nx, g->ny, r + AIS_ARL_LABEL_LEN, &pk)) != AIS_OK)
                return fail(AIS_ERR_INVALID_ARG, AIS_ARL_BAD_VALUE, NULL, errbuf, errsize,
                            "%s at time %zu level %zu: values cannot be packed (not finite or "
                            "beyond float range)",
                            vars[v].name, it, level);
            lab.level = (int)level;
            memcpy(lab.var, vars[v].name, 5);
            lab.nexp = pk.nexp;
            lab.prec = pk.prec;
            lab.var1 = pk.var1;
            if ((st = ais_arl_label_format(&lab, (char *)r)) != AIS_OK)
                return fail(st, AIS_ARL_BAD_LABEL, NULL, errbuf, errsize,
                            "%s at time %zu level %zu: label does not format", vars[v].name, it,
                            level);
            checksums[rec - 1] = pk.checksum;
        }
    }
    lab.level = 0;
    memcpy(lab.var, "INDX", 5);
    lab.nexp = 0;
    lab.prec = 0.0;
    lab.var1 = 0.0;
    if ((st = ais_arl_label_format(&lab, (char *)buf)) != AIS_OK)
        return st;
    return format_index(g, checksums, (char *)buf + AIS_ARL_LABEL_LEN, nxy);
}

ais_status ais_arl_write_met(const ais_met_grid *grid, const char *path, char *errbuf,
                             size_t errbuf_size)
{
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (grid == NULL || path == NULL || path[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    ais_status st = check_writable(grid, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;

    size_t nxy = grid->nx * grid->ny, reclen = nxy + AIS_ARL_LABEL_LEN;
    size_t rpt = 1 + N_SFC_VARS + grid->nz * N_UPPER_VARS;
    unsigned char *buf = malloc(rpt * reclen);
    double *values = malloc(nxy * sizeof *values);
    unsigned *checksums = malloc(rpt * sizeof *checksums);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 12);
    if (buf == NULL || values == NULL || checksums == NULL || tmp == NULL) {
        free(buf);
        free(values);
        free(checksums);
        free(tmp);
        return AIS_ERR_NOMEM;
    }
    snprintf(tmp, plen + 12, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = fail(AIS_ERR_IO, AIS_ARL_SYSTEM, NULL, errbuf, errbuf_size,
                  "cannot create a temporary file next to %s: %s", path, strerror(errno));
    } else {
        for (size_t it = 0; st == AIS_OK && it < grid->nt; it++) {
            st = build_period(grid, it, buf, values, checksums, errbuf, errbuf_size);
            if (st == AIS_OK && (st = ais_fs_write_all(fd, buf, rpt * reclen)) != AIS_OK)
                fail(st, AIS_ARL_SYSTEM, NULL, errbuf, errbuf_size, "cannot write %s: %s", tmp,
                     strerror(errno));
        }
        if (st == AIS_OK && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
            st = fail(AIS_ERR_IO, AIS_ARL_SYSTEM, NULL, errbuf, errbuf_size,
                      "cannot flush %s: %s", tmp, strerror(errno));
        if (close(fd) != 0 && st == AIS_OK)
            st = fail(AIS_ERR_IO, AIS_ARL_SYSTEM, NULL, errbuf, errbuf_size,
                      "cannot close %s: %s", tmp, strerror(errno));
        if (st == AIS_OK && rename(tmp, path) != 0)
            st = fail(AIS_ERR_IO, AIS_ARL_SYSTEM, NULL, errbuf, errbuf_size,
                      "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (st != AIS_OK)
            unlink(tmp);
    }
    free(buf);
    free(values);
    free(checksums);
    free(tmp);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Reader */

static int find_var(const arl_var *vars, int n, const char *name)
{
    for (int v = 0; v < n; v++)
        if (memcmp(vars[v].name, name, 4) == 0)
            return v;
    return -1;
}

/* The file's index must describe what this reader can turn into a grid. */
static ais_status check_supported(const arl_index *ix, ais_arl_problem *problem, char *errbuf,
                                  size_t errsize)
{
    if (ix->vflag != 2)
        return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                    "vertical coordinate %d: only pressure levels (2) are supported", ix->vflag);
    if (ix->grid[4] != 0.0)
        return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                    "grid size %.2f km: only latitude/longitude grids (0) are supported",
                    ix->grid[4]);
    if (ix->nx < 2 || ix->ny < 2 || ix->nz < 2)
        return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                    "grid %d x %d with %d levels: need at least 2 x 2 points and one level "
                    "above the surface",
                    ix->nx, ix->ny, ix->nz);
    for (int l = 0; l < ix->nz; l++) {
        const arl_var *vars = l == 0 ? SFC_VARS : UPPER_VARS;
        int nv = l == 0 ? N_SFC_VARS : N_UPPER_VARS;
        for (int r = 0; r < nv; r++) {
            int found = 0;
            for (int v = 0; v < ix->nvar[l]; v++)
                found |= memcmp(ix->var[l][v], vars[r].name, 4) == 0;
            if (!found)
                return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                            "level %d has no %s", l, vars[r].name);
        }
        if (l > 0 && (!(ix->height[l] > 0.0) || (l > 1 && !(ix->height[l] < ix->height[l - 1]))))
            return fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, problem, errbuf, errsize,
                        "level %d at %.2f hPa: pressure levels must be positive and decrease "
                        "upward",
                        l, ix->height[l]);
    }
    return AIS_OK;
}

static ais_status period_time(const ais_arl_label *lab, const arl_index *ix, int64_t *out)
{
    if (ix->minutes < 0 || ix->minutes > 59)
        return AIS_ERR_RANGE;
    return ais_time_from_civil(lab->year, lab->month, lab->day, lab->hour, ix->minutes, 0, out);
}

typedef struct reader {
    const unsigned char *data;
    size_t len, nxy, reclen, rpt, nt;
    arl_index *first, *cur;
    double *values;
    ais_met_grid *grid;
    ais_arl_problem *problem;
    char *errbuf;
    size_t errsize;
} reader;

/* Unpacks one record into the grid if it is one of the variables we keep. */
static ais_status store_record(reader *rd, size_t it, int level, const ais_arl_label *lab,
                               const unsigned char *data, size_t offset)
{
    ais_met_grid *g = rd->grid;
    const arl_var *vars = level == 0 ? SFC_VARS : UPPER_VARS;
    int v = find_var(vars, level == 0 ? N_SFC_VARS : N_UPPER_VARS, lab->var);
    if (v < 0)
        return AIS_OK;
    if (ais_arl_unpack(data, g->nx, g->ny, lab->nexp, lab->var1, rd->values) != AIS_OK)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_LABEL, rd->problem, rd->errbuf, rd->errsize,
                    "record at byte %zu (%s): exponent %d outside -127..127", offset, lab->var,
                    lab->nexp);
    float *dst;
    if (level == 0) {
        if (vars[v].field < 0) {
            if (it > 0) /* terrain is time-invariant: the first period's is kept */
                return AIS_OK;
            dst = g->terrain_m;
        } else {
            dst = g->sfc[vars[v].field] + it * rd->nxy;
        }
    } else {
        dst = g->upper[vars[v].field] + (it * g->nz + (size_t)(level - 1)) * rd->nxy;
    }
    for (size_t k = 0; k < rd->nxy; k++) {
        double x = rd->values[k] / vars[v].scale;
        if (!(fabs(x) <= FLT_MAX))
            return fail(AIS_ERR_PARSE, AIS_ARL_BAD_VALUE, rd->problem, rd->errbuf, rd->errsize,
                        "record at byte %zu (%s): unpacked value beyond float range", offset,
                        lab->var);
        dst[k] = (float)x;
    }
    return AIS_OK;
}

static ais_status read_period(reader *rd, size_t it)
{
    size_t base = it * rd->rpt * rd->reclen;
    ais_status st = parse_index(rd->data + base + AIS_ARL_LABEL_LEN, rd->nxy, rd->cur,
                                rd->problem, rd->errbuf, rd->errsize, base);
    if (st != AIS_OK)
        return st;
    ais_civil_time c;
    if ((st = ais_time_to_civil(rd->grid->times[it], &c)) != AIS_OK)
        return st;
    size_t rec = 1;
    for (int l = 0; l < rd->cur->nz; l++) {
        for (int v = 0; v < rd->cur->nvar[l]; v++, rec++) {
            size_t off = base + rec * rd->reclen;
            const unsigned char *r = rd->data + off;
            ais_arl_label lab;
            if (ais_arl_label_parse((const char *)r, &lab) != AIS_OK)
                return fail(AIS_ERR_PARSE, AIS_ARL_BAD_LABEL, rd->problem, rd->errbuf,
                            rd->errsize, "record at byte %zu: label does not parse: %.50s", off,
                            (const char *)r);
            if (lab.year != c.year || lab.month != c.month || lab.day != c.day ||
                lab.hour != c.hour || lab.level != l || memcmp(lab.var, rd->cur->var[l][v], 4))
                return fail(AIS_ERR_PARSE, AIS_ARL_UNEXPECTED_RECORD, rd->problem, rd->errbuf,
                            rd->errsize,
                            "record at byte %zu: label says %s level %d %04d-%02d-%02d %02dh, "
                            "index expects %s level %d %04d-%02d-%02d %02dh",
                            off, lab.var, lab.level, lab.year, lab.month, lab.day, lab.hour,
                            rd->cur->var[l][v], l, c.year, c.month, c.day, c.hour);
            unsigned sum = ais_arl_checksum(r + AIS_ARL_LABEL_LEN, rd->nxy);
            if ((int)sum != rd->cur->checksum[l][v])
                return fail(AIS_ERR_PARSE, AIS_ARL_CHECKSUM, rd->problem, rd->errbuf,
                            rd->errsize,
                            "record at byte %zu (%s level %d): checksum %u, index says %d", off,
                            lab.var, l, sum, rd->cur->checksum[l][v]);
            if ((st = store_record(rd, it, l, &lab, r + AIS_ARL_LABEL_LEN, off)) != AIS_OK)
                return st;
        }
    }
    return AIS_OK;
}

/* Source id for the grid: the index's four characters without trailing blanks; other blanks
 * and unprintable characters become '_'. */
static void grid_source(const char *src, char out[5])
{
    size_t n = 4;
    while (n > 0 && src[n - 1] == ' ')
        n--;
    if (n == 0) {
        memcpy(out, "ARL?", 5);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = src[i] > 0x20 && src[i] < 0x7F ? src[i] : '_';
    out[n] = '\0';
}

static ais_status read_all(reader *rd)
{
    const unsigned char *d = rd->data;
    if (rd->len < AIS_ARL_LABEL_LEN + AIS_ARL_INDEX_FIXED_LEN)
        return fail(AIS_ERR_PARSE, AIS_ARL_TRUNCATED, rd->problem, rd->errbuf, rd->errsize,
                    "%zu bytes: shorter than one label and index header (%d bytes)", rd->len,
                    AIS_ARL_LABEL_LEN + AIS_ARL_INDEX_FIXED_LEN);
    ais_arl_label lab;
    if (ais_arl_label_parse((const char *)d, &lab) != AIS_OK)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_LABEL, rd->problem, rd->errbuf, rd->errsize,
                    "first label does not parse: not an ARL file");
    if (memcmp(lab.var, "INDX", 4) != 0)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_LABEL, rd->problem, rd->errbuf, rd->errsize,
                    "first record is %s, not an index record (INDX)", lab.var);
    /* the grid size comes from the header; check it against the file before trusting it */
    int nx, ny;
    const char *h = (const char *)d + AIS_ARL_LABEL_LEN;
    if (!parse_int_field(h + 93, 3, &nx) || !parse_int_field(h + 96, 3, &ny) || nx < 1 || ny < 1)
        return fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, rd->problem, rd->errbuf, rd->errsize,
                    "first index record: grid size is not two positive numbers");
    rd->nxy = (size_t)nx * (size_t)ny;
    rd->reclen = rd->nxy + AIS_ARL_LABEL_LEN;
    if (rd->len < rd->reclen)
        return fail(AIS_ERR_PARSE, AIS_ARL_TRUNCATED, rd->problem, rd->errbuf, rd->errsize,
                    "%zu bytes: shorter than one %zu-byte record of a %d x %d grid", rd->len,
                    rd->reclen, nx, ny);
    ais_status st = parse_index(d + AIS_ARL_LABEL_LEN, rd->nxy, rd->first, rd->problem,
                                rd->errbuf, rd->errsize, 0);
    if (st != AIS_OK)
        return st;
    if ((st = check_supported(rd->first, rd->problem, rd->errbuf, rd->errsize)) != AIS_OK)
        return st;
    rd->rpt = 1;
    for (int l = 0; l < rd->first->nz; l++)
        rd->rpt += (size_t)rd->first->nvar[l];
    if (rd->len % rd->reclen != 0)
        return fail(AIS_ERR_PARSE, AIS_ARL_TRUNCATED, rd->problem, rd->errbuf, rd->errsize,
                    "%zu bytes is not a whole number of %zu-byte records (the last one has %zu)",
                    rd->len, rd->reclen, rd->len % rd->reclen);
    size_t nrec = rd->len / rd->reclen;
    if (nrec % rd->rpt != 0)
        return fail(AIS_ERR_PARSE, AIS_ARL_TRUNCATED, rd->problem, rd->errbuf, rd->errsize,
                    "%zu records do not make whole time periods of %zu records (the last "
                    "period has %zu)",
                    nrec, rd->rpt, nrec % rd->rpt);
    rd->nt = nrec / rd->rpt;

    /* pass 1: the times, and every index agrees with the first */
    int64_t *times = malloc(rd->nt * sizeof *times);
    if (times == NULL)
        return fail(AIS_ERR_NOMEM, AIS_ARL_SYSTEM, rd->problem, rd->errbuf, rd->errsize,
                    "out of memory");
    for (size_t it = 0; st == AIS_OK && it < rd->nt; it++) {
        size_t off = it * rd->rpt * rd->reclen;
        if (ais_arl_label_parse((const char *)d + off, &lab) != AIS_OK ||
            memcmp(lab.var, "INDX", 4) != 0) {
            st = fail(AIS_ERR_PARSE, AIS_ARL_UNEXPECTED_RECORD, rd->problem, rd->errbuf,
                      rd->errsize, "record at byte %zu: expected the index record of period %zu",
                      off, it + 1);
            break;
        }
        st = parse_index(d + off + AIS_ARL_LABEL_LEN, rd->nxy, rd->cur, rd->problem, rd->errbuf,
                         rd->errsize, off);
        if (st != AIS_OK)
            break;
        if (!same_layout(rd->first, rd->cur))
            st = fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, rd->problem, rd->errbuf, rd->errsize,
                      "index record at byte %zu: grid, levels or variables differ from the "
                      "first period's",
                      off);
        else if (period_time(&lab, rd->cur, &times[it]) != AIS_OK)
            st = fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, rd->problem, rd->errbuf, rd->errsize,
                      "index record at byte %zu: minutes %d outside 0..59", off,
                      rd->cur->minutes);
        else if (it > 0 && times[it] <= times[it - 1])
            st = fail(AIS_ERR_PARSE, AIS_ARL_BAD_INDEX, rd->problem, rd->errbuf, rd->errsize,
                      "index record at byte %zu: time does not follow the previous period's",
                      off);
    }

    double levels[MAX_LEVELS_IN_FILE];
    const arl_index *ix = rd->first;
    for (int l = 1; l < ix->nz; l++)
        levels[l - 1] = ix->height[l];
    /* sync point (grid[7], grid[8]) at (grid[9], grid[10]); spacing grid[2] (lat), grid[3] */
    ais_met_dims dims = {.nx = (size_t)ix->nx, .ny = (size_t)ix->ny, .nz = (size_t)ix->nz - 1,
                         .nt = rd->nt, .dlat = ix->grid[2], .dlon = ix->grid[3],
                         .lat0 = ix->grid[9] - (ix->grid[8] - 1.0) * ix->grid[2],
                         .lon0 = ix->grid[10] - (ix->grid[7] - 1.0) * ix->grid[3],
                         .levels_hpa = levels, .times = times};
    if (st == AIS_OK) {
        st = ais_met_grid_new(&dims, &rd->grid);
        if (st == AIS_ERR_INVALID_ARG)
            st = fail(AIS_ERR_PARSE, AIS_ARL_UNSUPPORTED, rd->problem, rd->errbuf, rd->errsize,
                      "grid (first point %.2f N %.2f E, spacing %.2f x %.2f deg) is not a valid "
                      "regional lat/lon grid",
                      dims.lat0, dims.lon0, dims.dlat, dims.dlon);
        else if (st != AIS_OK)
            st = fail(st, AIS_ARL_SYSTEM, rd->problem, rd->errbuf, rd->errsize,
                      "out of memory for a %zu-period grid", rd->nt);
    }
    free(times);
    if (st != AIS_OK)
        return st;
    grid_source(ix->source, rd->grid->source);

    rd->values = malloc(rd->nxy * sizeof *rd->values);
    if (rd->values == NULL)
        return fail(AIS_ERR_NOMEM, AIS_ARL_SYSTEM, rd->problem, rd->errbuf, rd->errsize,
                    "out of memory");
    for (size_t it = 0; st == AIS_OK && it < rd->nt; it++)
        st = read_period(rd, it);
    return st;
}

ais_status ais_arl_read_met_mem(const unsigned char *data, size_t len, ais_met_grid **out,
                                ais_arl_problem *problem, char *errbuf, size_t errbuf_size)
{
    if (problem != NULL)
        *problem = AIS_ARL_PROBLEM_NONE;
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    if (data == NULL && len > 0)
        return AIS_ERR_INVALID_ARG;
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.data = data;
    rd.len = len;
    rd.problem = problem;
    rd.errbuf = errbuf;
    rd.errsize = errbuf_size;
    rd.first = malloc(sizeof *rd.first);
    rd.cur = malloc(sizeof *rd.cur);
    ais_status st;
    if (rd.first == NULL || rd.cur == NULL)
        st = fail(AIS_ERR_NOMEM, AIS_ARL_SYSTEM, problem, errbuf, errbuf_size, "out of memory");
    else
        st = read_all(&rd);
    free(rd.first);
    free(rd.cur);
    free(rd.values);
    if (st != AIS_OK) {
        ais_met_grid_free(rd.grid);
        return st;
    }
    *out = rd.grid;
    return AIS_OK;
}

ais_status ais_arl_read_met(const char *path, ais_met_grid **out, ais_arl_problem *problem,
                            char *errbuf, size_t errbuf_size)
{
    if (problem != NULL)
        *problem = AIS_ARL_PROBLEM_NONE;
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(AIS_ERR_IO, AIS_ARL_SYSTEM, problem, errbuf, errbuf_size, "cannot open %s: %s",
                    path, strerror(errno));
    struct stat sb;
    size_t cap = 1 << 16;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (unsigned long long)sb.st_size < (unsigned long long)SIZE_MAX)
        cap = (size_t)sb.st_size + 1;
    unsigned char *data = malloc(cap);
    size_t len = 0;
    ais_status st = AIS_OK;
    int saved = 0;
    while (data != NULL) {
        if (len == cap) {
            unsigned char *bigger = cap < SIZE_MAX / 2 ? realloc(data, cap * 2) : NULL;
            if (bigger == NULL) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
            cap *= 2;
        }
        /* cppcheck-suppress nullPointerArithmeticRedundantCheck ; data is not NULL inside the loop */
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            st = AIS_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (data == NULL)
        return fail(AIS_ERR_NOMEM, AIS_ARL_SYSTEM, problem, errbuf, errbuf_size,
                    "out of memory reading %s", path);
    if (st == AIS_OK) {
        st = ais_arl_read_met_mem(data, len, out, problem, errbuf, errbuf_size);
    } else {
        errno = saved;
        fail(st, AIS_ARL_SYSTEM, problem, errbuf, errbuf_size, "cannot read %s: %s", path,
             strerror(saved));
    }
    free(data);
    return st;
}
