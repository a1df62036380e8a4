/* ERA5 GRIB (ecCodes) and CDS netCDF (libnetcdf) decoding into a file summary (ais/era5.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>
#include <netcdf_mem.h>

#include "ais/era5.h"
#include "ais/grib.h"
#include "ais/timeutil.h"

static const char *const SURFACE[AIS_ERA5_SURFACE_VARS] = {"u10", "v10", "blh", "sp",
                                                           "t2m", "d2m", "tp",  "msl"};

const char *ais_era5_surface_var(size_t index)
{
    return index < AIS_ERA5_SURFACE_VARS ? SURFACE[index] : NULL;
}

void ais_era5_file_info_free(ais_era5_file_info *info)
{
    if (info == NULL)
        return;
    free(info->hours);
    info->hours = NULL;
    info->n_hours = 0;
}

/* ERA5 netCDF name of a GRIB shortName */
static const char *era5_name(const char *short_name)
{
    static const char *const map[][2] = {{"10u", "u10"}, {"10v", "v10"}, {"2t", "t2m"},
                                         {"2d", "d2m"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(short_name, map[i][0]) == 0)
            return map[i][1];
    return short_name;
}

static int surface_index(const char *name)
{
    for (int i = 0; i < AIS_ERA5_SURFACE_VARS; i++)
        if (strcmp(name, SURFACE[i]) == 0)
            return i;
    return -1;
}

static void add_variable(ais_era5_file_info *f, const char *name)
{
    for (size_t i = 0; i < f->n_variables; i++)
        if (strcmp(f->variables[i], name) == 0)
            return;
    if (f->n_variables < AIS_ERA5_MAX_VARS)
        snprintf(f->variables[f->n_variables++], sizeof f->variables[0], "%s", name);
}

static void add_level(ais_era5_file_info *f, long level)
{
    size_t i = 0;
    while (i < f->n_levels && f->levels[i] < level)
        i++;
    if ((i < f->n_levels && f->levels[i] == level) || f->n_levels >= AIS_ERA5_MAX_LEVELS)
        return;
    memmove(&f->levels[i + 1], &f->levels[i], (f->n_levels - i) * sizeof f->levels[0]);
    f->levels[i] = level;
    f->n_levels++;
}

static void note_time(ais_era5_file_info *f, int64_t t, bool *first)
{
    if (*first || t < f->period_start)
        f->period_start = t;
    if (*first || t > f->period_end)
        f->period_end = t;
    *first = false;
}

static ais_era5_hour_values *hour_slot(ais_era5_file_info *f, int64_t t)
{
    size_t i = 0;
    while (i < f->n_hours && f->hours[i].time < t)
        i++;
    if (i < f->n_hours && f->hours[i].time == t)
        return &f->hours[i];
    ais_era5_hour_values *grown = realloc(f->hours, (f->n_hours + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    f->hours = grown;
    memmove(&grown[i + 1], &grown[i], (f->n_hours - i) * sizeof *grown);
    memset(&grown[i], 0, sizeof *grown);
    grown[i].time = t;
    f->n_hours++;
    return &grown[i];
}

/* A regular lat/lon grid: point (j, i) at lat0 + j * dlat, lon0 + i * dlon. */
typedef struct grid {
    size_t ni, nj;
    double lat0, dlat, lon0, dlon;
} grid;

/* lon moved into [lon0, lon0 + 360) */
static double norm_lon(const grid *g, double lon)
{
    double d = fmod(lon - g->lon0 + 1e-9, 360.0);
    if (d < 0)
        d += 360.0;
    return g->lon0 + d - 1e-9;
}

/* A grid a decoder may trust: finite, on the globe, steps of at most 90 degrees. */
static bool grid_plausible(const grid *g)
{
    double lat_last = g->lat0 + (double)(g->nj - 1) * g->dlat;
    return g->ni >= 1 && g->nj >= 1 && g->ni * g->nj <= 4000000u && isfinite(g->lat0) &&
           isfinite(g->lon0) && isfinite(g->dlat) && isfinite(g->dlon) && g->dlon > 0 &&
           g->dlon <= 90 && g->dlat != 0 && fabs(g->dlat) <= 90 && fabs(g->lat0) <= 90.001 &&
           fabs(lat_last) <= 90.001 && g->lon0 >= -360 && g->lon0 <= 720;
}

/* The grid points used for the box: a list of indices (j * ni + i). */
typedef struct selection {
    size_t *idx;
    size_t n;
    ais_era5_hanoi_method method;
} selection;

static ais_status select_points(const grid *g, const ais_bbox *b, selection *s)
{
    s->n = 0;
    s->idx = NULL;
    size_t cap = 0;
    for (size_t j = 0; j < g->nj; j++) {
        double lat = g->lat0 + (double)j * g->dlat;
        if (lat < b->south - 1e-9 || lat > b->north + 1e-9)
            continue;
        for (size_t i = 0; i < g->ni; i++) {
            double lon = g->lon0 + (double)i * g->dlon;
            double w = norm_lon(g, b->west);
            double d = lon - w;
            if (d < -1e-9)
                d += 360.0;
            if (d > (b->east - b->west) + 1e-9)
                continue;
            if (s->n == cap) {
                cap = cap ? cap * 2 : 64;
                size_t *grown = realloc(s->idx, cap * sizeof *grown);
                if (grown == NULL)
                    return AIS_ERR_NOMEM;
                s->idx = grown;
            }
            s->idx[s->n++] = j * g->ni + i;
        }
    }
    if (s->n > 0) {
        s->method = AIS_ERA5_HANOI_BOX;
        return AIS_OK;
    }
    double clat = 0.5 * (b->south + b->north), clon = norm_lon(g, 0.5 * (b->west + b->east));
    double fj = (clat - g->lat0) / g->dlat, fi = (clon - g->lon0) / g->dlon;
    long j = lround(fj), i = lround(fi);
    if (j < 0 || j >= (long)g->nj || i < 0 || i >= (long)g->ni) {
        s->method = AIS_ERA5_HANOI_OUTSIDE;
        return AIS_OK;
    }
    double lat = g->lat0 + (double)j * g->dlat, lon = g->lon0 + (double)i * g->dlon;
    double out_lat = lat < b->south ? b->south - lat : (lat > b->north ? lat - b->north : 0.0);
    double lw = norm_lon(g, b->west), le = lw + (b->east - b->west);
    double out_lon = lon < lw ? lw - lon : (lon > le ? lon - le : 0.0);
    if (out_lat > fabs(g->dlat) + 1e-9 || out_lon > fabs(g->dlon) + 1e-9) {
        s->method = AIS_ERA5_HANOI_OUTSIDE;
        return AIS_OK;
    }
    s->idx = malloc(sizeof *s->idx);
    if (s->idx == NULL)
        return AIS_ERR_NOMEM;
    s->idx[0] = (size_t)j * g->ni + (size_t)i;
    s->n = 1;
    s->method = AIS_ERA5_HANOI_NEAREST;
    return AIS_OK;
}

static bool same_grid(const grid *a, const grid *b)
{
    return a->ni == b->ni && a->nj == b->nj && fabs(a->lat0 - b->lat0) < 1e-6 &&
           fabs(a->lon0 - b->lon0) < 1e-6 && fabs(a->dlat - b->dlat) < 1e-9 &&
           fabs(a->dlon - b->dlon) < 1e-9;
}

/* State shared by both formats while a file is read. */
typedef struct reader {
    ais_era5_file_info *f;
    const ais_bbox *box;
    grid g;
    bool have_grid;
    selection sel;
    bool first_time;
    bool any_pressure, any_single;
} reader;

static ais_status set_grid(reader *r, const grid *g, const char **reason, char *detail,
                           size_t dsize)
{
    if (!grid_plausible(g))
        return ais_gridded_fail(reason, "unsupported_grid", detail, dsize,
                                "%zux%zu points from %g N %g E by %g x %g degrees: not a grid on "
                                "the globe (at most 4 million points)",
                                g->nj, g->ni, g->lat0, g->lon0, g->dlat, g->dlon);
    if (r->have_grid) {
        if (!same_grid(&r->g, g))
            return ais_gridded_fail(reason, "unsupported_grid", detail, dsize,
                        "messages on different grids in one file");
        return AIS_OK;
    }
    r->g = *g;
    r->have_grid = true;
    double lat_last = g->lat0 + (double)(g->nj - 1) * g->dlat;
    r->f->north = fmax(g->lat0, lat_last);
    r->f->south = fmin(g->lat0, lat_last);
    r->f->west = g->lon0;
    r->f->east = g->lon0 + (double)(g->ni - 1) * g->dlon;
    ais_status st = select_points(g, r->box, &r->sel);
    if (st == AIS_OK)
        r->f->hanoi_points = r->sel.n;
    return st;
}

/* Mean over the selection of values (NaN = missing) into the hour's variable. */
static ais_status add_surface(reader *r, int var, int64_t t, const double *values)
{
    if (r->sel.n == 0)
        return AIS_OK;
    double sum = 0.0;
    size_t n = 0;
    for (size_t k = 0; k < r->sel.n; k++) {
        double v = values[r->sel.idx[k]];
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    ais_era5_hour_values *h = hour_slot(r->f, t);
    if (h == NULL)
        return AIS_ERR_NOMEM;
    if (n > 0) {
        h->v[var] = sum / (double)n;
        h->set[var] = true;
    }
    return AIS_OK;
}

static void finish(reader *r)
{
    ais_era5_file_info *f = r->f;
    snprintf(f->dataset_type, sizeof f->dataset_type, "%s",
             r->any_pressure && !r->any_single ? "pressure_levels" : "single_levels");
    if (strcmp(f->dataset_type, "pressure_levels") == 0) {
        f->hanoi = AIS_ERA5_HANOI_NONE;
        free(f->hours);
        f->hours = NULL;
        f->n_hours = 0;
    } else {
        f->hanoi = r->have_grid ? r->sel.method : AIS_ERA5_HANOI_OUTSIDE;
    }
    free(r->sel.idx);
    r->sel.idx = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* GRIB                                                                                       */

static ais_status grib_message(reader *r, const ais_grib_message *m, const char **reason,
                               char *detail, size_t dsize)
{
    const char *short_name = m->short_name, *grid_type = m->grid_type;
    long ni = m->ni, nj = m->nj, date = m->validity_date, tm = m->validity_time;
    if (!m->has_short_name)
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize, "message %zu has no shortName",
                    r->f->messages);
    if (!m->has_grid_type || strcmp(grid_type, "regular_ll") != 0)
        return ais_gridded_fail(reason, "unsupported_grid", detail, dsize,
                    "message %zu (%s): gridType %s, only regular_ll is read", r->f->messages,
                    short_name, grid_type);
    if (!m->has_validity || !m->has_grid)
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize,
                    "message %zu (%s): validity time or grid keys missing", r->f->messages,
                    short_name);
    if (ni < 1 || nj < 1 || ni * nj > 4000000L || m->i_negative != 0 || m->j_consecutive != 0 ||
        !(m->di > 0) || !(m->dj > 0))
        return ais_gridded_fail(reason, "unsupported_grid", detail, dsize,
                    "message %zu (%s): %ldx%ld points, scanning i-negative=%ld consecutive-j=%ld",
                    r->f->messages, short_name, ni, nj, m->i_negative, m->j_consecutive);
    int64_t t = m->valid_time;
    if (date < 10000101 || !m->valid_time_ok)
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize,
                    "message %zu (%s): bad validity %ld %04ld", r->f->messages, short_name, date,
                    tm);
    snprintf(r->f->file_format, sizeof r->f->file_format, "grib%ld", m->edition);
    if (m->member + 1 > r->f->members)
        r->f->members = m->member + 1;
    const char *name = era5_name(short_name);
    add_variable(r->f, name);
    note_time(r->f, t, &r->first_time);
    bool pressure = strcmp(m->level_type, "isobaricInhPa") == 0;
    if (pressure) {
        r->any_pressure = true;
        add_level(r->f, m->level);
    } else {
        r->any_single = true;
    }
    grid g = {.ni = (size_t)ni, .nj = (size_t)nj, .lat0 = m->lat_first,
              .dlat = m->j_positive ? m->dj : -m->dj, .lon0 = m->lon_first, .dlon = m->di};
    ais_status st = set_grid(r, &g, reason, detail, dsize);
    if (st != AIS_OK)
        return st;
    int var = surface_index(name);
    if (pressure || var < 0 || m->member != 0 || r->sel.n == 0)
        return AIS_OK;
    size_t n = 0;
    if (!ais_grib_values_count(m, &n) || n != (size_t)(ni * nj))
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize,
                    "message %zu (%s): %zu values for %ldx%ld points", r->f->messages,
                    short_name, n, ni, nj);
    double *values = malloc(n * sizeof *values);
    if (values == NULL)
        return AIS_ERR_NOMEM;
    if (!ais_grib_values_read(m, values, n)) {
        free(values);
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize,
                    "message %zu (%s): values cannot be decoded", r->f->messages, short_name);
    }
    if (m->bitmap)
        for (size_t k = 0; k < n; k++)
            if (values[k] == m->missing)
                values[k] = NAN;
    st = add_surface(r, var, t, values);
    free(values);
    return st;
}

/* One GRIB message through ais_grib_each: the reader, and where a rejection's reason goes. */
typedef struct grib_visit {
    reader *r;
    const char **reason;
    char *detail;
    size_t dsize;
} grib_visit;

static ais_status visit_message(void *ctx, const ais_grib_message *m)
{
    grib_visit *v = ctx;
    return grib_message(v->r, m, v->reason, v->detail, v->dsize);
}

static ais_status decode_grib(FILE *fp, reader *r, const char **reason, char *detail,
                              size_t dsize)
{
    ais_grib_quiet();
    grib_visit v = {.r = r, .reason = reason, .detail = detail, .dsize = dsize};
    const char *codes_error = NULL; /* set only when ecCodes cannot read a message */
    ais_status st = ais_grib_each(fp, visit_message, &v, &r->f->messages, &codes_error);
    if (codes_error != NULL)
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize,
                    "message %zu: %s (truncated or corrupt)", r->f->messages + 1, codes_error);
    if (st != AIS_OK)
        return st;
    if (r->f->messages == 0)
        return ais_gridded_fail(reason, "grib_no_messages", detail, dsize, "no GRIB message in the file");
    /* bytes after the last message that ecCodes skipped: a message cut short */
    long pos = ftell(fp);
    if (fseek(fp, 0, SEEK_END) == 0 && pos >= 0 && ftell(fp) - pos > 4)
        return ais_gridded_fail(reason, "grib_decode_failed", detail, dsize,
                    "%ld bytes after message %zu are not a complete GRIB message (truncated)",
                    ftell(fp) - pos, r->f->messages);
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* netCDF                                                                                     */

/* "hours since 1900-01-01 00:00:00.0" -> seconds per unit and epoch of the origin */
static bool time_units(const char *u, double *scale, int64_t *origin)
{
    char unit[16], date[32], clock[32] = "00:00:00";
    int n = sscanf(u, "%15s since %31s %31s", unit, date, clock);
    if (n < 2)
        return false;
    char *t = strchr(date, 'T');
    if (t != NULL) {
        snprintf(clock, sizeof clock, "%s", t + 1);
        *t = '\0';
    }
    clock[8] = '\0';
    char iso[80];
    snprintf(iso, sizeof iso, "%sT%sZ", date, clock);
    if (ais_time_parse_iso(iso, origin) != AIS_OK)
        return false;
    if (strcmp(unit, "seconds") == 0)
        *scale = 1;
    else if (strcmp(unit, "minutes") == 0)
        *scale = 60;
    else if (strcmp(unit, "hours") == 0)
        *scale = 3600;
    else if (strcmp(unit, "days") == 0)
        *scale = 86400;
    else
        return false;
    return true;
}

static double att_or(int nc, int var, const char *name, double dflt)
{
    double v;
    size_t len;
    if (nc_inq_attlen(nc, var, name, &len) != NC_NOERR || len != 1 ||
        nc_get_att_double(nc, var, name, &v) != NC_NOERR)
        return dflt;
    return v;
}

static bool coord(int nc, const char *const *names, int *dim, int *var, size_t *len)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (nc_inq_dimid(nc, names[i], dim) == NC_NOERR &&
            nc_inq_varid(nc, names[i], var) == NC_NOERR &&
            nc_inq_dimlen(nc, *dim, len) == NC_NOERR)
            return true;
    return false;
}

static bool read_axis(int nc, int var, size_t len, double **out)
{
    *out = malloc((len ? len : 1) * sizeof **out);
    return *out != NULL && nc_get_var_double(nc, var, *out) == NC_NOERR;
}

static ais_status decode_netcdf(int nc, reader *r, const char **reason, char *detail,
                                size_t dsize)
{
    static const char *const tnames[] = {"valid_time", "time", NULL};
    static const char *const latn[] = {"latitude", "lat", NULL};
    static const char *const lonn[] = {"longitude", "lon", NULL};
    static const char *const levn[] = {"pressure_level", "level", NULL};
    int tdim, tvar, ydim, yvar, xdim, xvar, ldim = -1, lvar;
    size_t nt, ny, nx, nl = 0;
    snprintf(r->f->file_format, sizeof r->f->file_format, "netcdf");
    if (!coord(nc, tnames, &tdim, &tvar, &nt) || !coord(nc, latn, &ydim, &yvar, &ny) ||
        !coord(nc, lonn, &xdim, &xvar, &nx))
        return ais_gridded_fail(reason, "bad_netcdf_layout", detail, dsize,
                    "time (valid_time|time), latitude and longitude coordinates are required");
    if (!coord(nc, levn, &ldim, &lvar, &nl))
        ldim = -1;
    char units[96];
    size_t ulen;
    double tscale;
    int64_t origin;
    if (nc_inq_attlen(nc, tvar, "units", &ulen) != NC_NOERR || ulen >= sizeof units ||
        nc_get_att_text(nc, tvar, "units", units) != NC_NOERR)
        return ais_gridded_fail(reason, "bad_netcdf_layout", detail, dsize, "the time has no units");
    units[ulen] = '\0';
    if (!time_units(units, &tscale, &origin))
        return ais_gridded_fail(reason, "bad_netcdf_layout", detail, dsize, "time units '%s' not understood",
                    units);
    double *times = NULL, *lats = NULL, *lons = NULL, *levels = NULL, *slice = NULL;
    ais_status st = AIS_OK;
    if (nt == 0 || ny < 1 || nx < 1 || ny * nx > 4000000u || !read_axis(nc, tvar, nt, &times) ||
        !read_axis(nc, yvar, ny, &lats) || !read_axis(nc, xvar, nx, &lons) ||
        (ldim >= 0 && !read_axis(nc, lvar, nl, &levels))) {
        st = ais_gridded_fail(reason, "read_failed", detail, dsize, "coordinates cannot be read");
        goto done;
    }
    grid g = {.ni = nx, .nj = ny, .lat0 = lats[0], .lon0 = lons[0],
              .dlat = ny > 1 ? lats[1] - lats[0] : -0.25, .dlon = nx > 1 ? lons[1] - lons[0] : 0.25};
    if (!(g.dlon > 0) || g.dlat == 0) {
        st = ais_gridded_fail(reason, "bad_netcdf_layout", detail, dsize, "longitudes must ascend");
        goto done;
    }
    if ((st = set_grid(r, &g, reason, detail, dsize)) != AIS_OK)
        goto done;
    for (size_t k = 0; k < nt; k++) {
        /* within years 0..9999 of the origin, or the file is not a time axis we can read */
        double secs = times[k] * tscale;
        if (!isfinite(secs) || fabs(secs) > 3.0e11) {
            st = ais_gridded_fail(reason, "bad_netcdf_layout", detail, dsize,
                                  "time value %zu (%g) is not a time", k, times[k]);
            goto done;
        }
        times[k] = secs;
        note_time(r->f, origin + (int64_t)llround(secs), &r->first_time);
    }
    slice = malloc(ny * nx * sizeof *slice);
    if (slice == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    int nvars;
    nc_inq_nvars(nc, &nvars);
    for (int v = 0; v < nvars && st == AIS_OK; v++) {
        char name[NC_MAX_NAME + 1];
        int ndims, dims[NC_MAX_VAR_DIMS];
        nc_inq_var(nc, v, name, NULL, &ndims, dims, NULL);
        bool surf = ndims == 3 && dims[0] == tdim && dims[1] == ydim && dims[2] == xdim;
        bool pres = ndims == 4 && dims[0] == tdim && dims[1] == ldim && dims[2] == ydim &&
                    dims[3] == xdim;
        if (!surf && !pres)
            continue;
        r->f->messages++;
        add_variable(r->f, name);
        if (pres) {
            r->any_pressure = true;
            for (size_t l = 0; l < nl; l++)
                add_level(r->f, lround(levels[l]));
            continue;
        }
        r->any_single = true;
        int var = surface_index(name);
        if (var < 0 || r->sel.n == 0)
            continue;
        double scale = att_or(nc, v, "scale_factor", 1.0), offset = att_or(nc, v, "add_offset", 0.0);
        double fill = att_or(nc, v, "_FillValue", NAN), miss = att_or(nc, v, "missing_value", NAN);
        for (size_t k = 0; k < nt && st == AIS_OK; k++) {
            size_t start[3] = {k, 0, 0}, count[3] = {1, ny, nx};
            /* raw values, so that the fill compares before unpacking */
            int rc = nc_get_vara_double(nc, v, start, count, slice);
            if (rc != NC_NOERR) {
                st = ais_gridded_fail(reason, "read_failed", detail, dsize, "%s[%zu]: %s", name, k,
                          nc_strerror(rc));
                break;
            }
            for (size_t q = 0; q < ny * nx; q++)
                slice[q] = (slice[q] == fill || slice[q] == miss) ? NAN
                                                                   : slice[q] * scale + offset;
            st = add_surface(r, var, origin + (int64_t)llround(times[k]), slice);
        }
    }
    if (st == AIS_OK && r->f->messages == 0)
        st = ais_gridded_fail(reason, "bad_netcdf_layout", detail, dsize,
                  "no variable on (time, [level,] latitude, longitude)");
done:
    free(times);
    free(lats);
    free(lons);
    free(levels);
    free(slice);
    return st;
}

/* ------------------------------------------------------------------------------------------ */

static bool is_grib(const unsigned char *head, size_t n)
{
    /* GRIB may follow a short header; ecCodes scans for it, so do the same in the first 1 KiB */
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(head + i, "GRIB", 4) == 0)
            return true;
    return false;
}

static bool is_netcdf(const unsigned char *head, size_t n)
{
    return (n >= 4 && memcmp(head, "CDF", 3) == 0) ||
           (n >= 8 && memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0);
}

static ais_status decode_stream(FILE *fp, int nc_open_rc, int ncid, const unsigned char *head,
                                size_t nhead, const ais_bbox *box, ais_era5_file_info *out,
                                const char **reason, char *detail, size_t dsize)
{
    reader r = {.f = out, .box = box, .first_time = true};
    out->members = 1;
    ais_status st;
    if (is_netcdf(head, nhead)) {
        if (nc_open_rc != NC_NOERR)
            return ais_gridded_fail(reason, "netcdf_open_failed", detail, dsize, "%s",
                        nc_strerror(nc_open_rc));
        st = decode_netcdf(ncid, &r, reason, detail, dsize);
    } else if (is_grib(head, nhead)) {
        out->members = 0;
        st = decode_grib(fp, &r, reason, detail, dsize);
    } else {
        return ais_gridded_fail(reason, nhead == 0 ? "empty_file" : "unknown_format", detail, dsize,
                    "neither GRIB nor netCDF");
    }
    finish(&r);
    if (st != AIS_OK)
        ais_era5_file_info_free(out);
    return st;
}

ais_status ais_era5_file_decode(const char *path, const ais_bbox *box, ais_era5_file_info *out,
                                const char **reason, char *detail, size_t detail_size)
{
    if (path == NULL || box == NULL || out == NULL || reason == NULL || detail == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    *reason = NULL;
    detail[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return AIS_ERR_IO;
    unsigned char head[1024];
    size_t nhead = fread(head, 1, sizeof head, fp);
    rewind(fp);
    int ncid = -1, rc = NC_NOERR;
    if (is_netcdf(head, nhead))
        rc = nc_open(path, NC_NOWRITE, &ncid);
    ais_status st = decode_stream(fp, rc, ncid, head, nhead, box, out, reason, detail,
                                  detail_size);
    if (rc == NC_NOERR && ncid >= 0)
        nc_close(ncid);
    fclose(fp);
    if (st != AIS_OK)
        return st;
    st = ais_file_sha256(path, out->sha256, &out->size_bytes);
    if (st != AIS_OK)
        ais_era5_file_info_free(out);
    return st;
}

ais_status ais_era5_decode_memory(const void *data, size_t len, const ais_bbox *box,
                                  ais_era5_file_info *out, const char **reason, char *detail,
                                  size_t detail_size)
{
    if (data == NULL || box == NULL || out == NULL || reason == NULL || detail == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    *reason = NULL;
    detail[0] = '\0';
    if (len == 0)
        return ais_gridded_fail(reason, "empty_file", detail, detail_size, "no bytes");
    FILE *fp = fmemopen((void *)(uintptr_t)data, len, "rb");
    if (fp == NULL)
        return AIS_ERR_NOMEM;
    size_t nhead = len < 1024 ? len : 1024;
    int ncid = -1, rc = NC_NOERR;
    if (is_netcdf(data, nhead))
        rc = nc_open_mem("memory.nc", NC_NOWRITE, len, (void *)(uintptr_t)data, &ncid);
    ais_status st = decode_stream(fp, rc, ncid, data, nhead, box, out, reason, detail,
                                  detail_size);
    if (rc == NC_NOERR && ncid >= 0)
        nc_close(ncid);
    fclose(fp);
    out->size_bytes = len;
    return st;
}
