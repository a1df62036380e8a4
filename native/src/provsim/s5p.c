/* Simulated Sentinel-5P L2 products as CDSE serves them (ais/provsim_gridded.h): the netCDF-4
 * writer and ais_provsim_sentinel5p. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <netcdf.h>

#include "ais/fsutil.h"
#include "ais/noise.h"
#include "ais/provsim_gridded.h"
#include "ais/timeutil.h"

/* ---- the product file -------------------------------------------------------------------- */

/* the PRODUCT variable's attributes, as in the real products */
static const struct {
    const char *units, *standard_name, *long_name;
    bool molecules; /* has multiplication_factor_to_convert_to_molecules_percm2 */
} VARS[AIS_S5P_PRODUCTS] = {
    {"mol m-2", "troposphere_mole_content_of_nitrogen_dioxide",
     "Tropospheric vertical column of nitrogen dioxide", true},
    {"mol m-2", "atmosphere_mole_content_of_carbon_monoxide", "Vertically integrated CO column",
     true},
    {"mol m-2", "atmosphere_mole_content_of_sulfur_dioxide",
     "total vertical column of sulfur dioxide for the polluted scenario", true},
    {"mol m-2", "atmosphere_mole_content_of_ozone", "total ozone column", true},
    {"1", "ultraviolet_aerosol_index", "Aerosol index from 388 and 354 nm", false},
};

/* The first failing netCDF call of a file, so that a sequence of calls reads as one chain. */
typedef struct nc_chain {
    int rc;
    const char *step;
} nc_chain;

static bool nc_step(nc_chain *c, int rc, const char *step)
{
    if (c->rc == NC_NOERR && rc != NC_NOERR) {
        c->rc = rc;
        c->step = step;
    }
    return c->rc == NC_NOERR;
}

static bool put_text(nc_chain *c, int nc, int var, const char *name, const char *value)
{
    return nc_step(c, nc_put_att_text(nc, var, name, strlen(value), value), name);
}

static bool put_float(nc_chain *c, int nc, int var, const char *name, float value)
{
    return nc_step(c, nc_put_att_float(nc, var, name, NC_FLOAT, 1, &value), name);
}

static bool put_time(nc_chain *c, int nc, const char *name, int64_t t)
{
    char text[AIS_TIME_ISO_SIZE];
    return nc_step(c, ais_time_format_iso(t, text) == AIS_OK ? NC_NOERR : NC_ERANGE, name) &&
           put_text(c, nc, NC_GLOBAL, name, text);
}

static void extent(const float *v, size_t n, float *lo, float *hi)
{
    *lo = n ? v[0] : 0.0f;
    *hi = *lo;
    for (size_t i = 1; i < n; i++) {
        *lo = fminf(*lo, v[i]);
        *hi = fmaxf(*hi, v[i]);
    }
}

static bool write_globals(nc_chain *c, int nc, const char *id, const ais_s5p_swath *s,
                          int64_t reference)
{
    size_t n = s->scanlines * s->ground_pixels;
    float lat_lo, lat_hi, lon_lo, lon_hi;
    extent(s->lat, n, &lat_lo, &lat_hi);
    extent(s->lon, n, &lon_lo, &lon_hi);
    char duration[32];
    snprintf(duration, sizeof duration, "PT%lldS", (long long)(s->sensing_end - s->sensing_start));
    int orbit = (int)s->orbit;
    return put_text(c, nc, NC_GLOBAL, "Conventions", "CF-1.7") &&
           put_text(c, nc, NC_GLOBAL, "source",
                    "Sentinel 5 precursor, TROPOMI, space-borne remote sensing, L2") &&
           put_text(c, nc, NC_GLOBAL, "title", s->title) &&
           put_text(c, nc, NC_GLOBAL, "id", id) &&
           put_time(c, nc, "time_reference", reference) &&
           put_time(c, nc, "time_coverage_start", s->sensing_start) &&
           put_time(c, nc, "time_coverage_end", s->sensing_end) &&
           put_text(c, nc, NC_GLOBAL, "time_coverage_duration", duration) &&
           nc_step(c, nc_put_att_int(nc, NC_GLOBAL, "orbit", NC_INT, 1, &orbit), "orbit") &&
           put_text(c, nc, NC_GLOBAL, "processor_version", s->processor_version) &&
           put_text(c, nc, NC_GLOBAL, "platform", "S5P") &&
           put_text(c, nc, NC_GLOBAL, "sensor", "TROPOMI") &&
           put_text(c, nc, NC_GLOBAL, "cdm_data_type", "Swath") &&
           put_time(c, nc, "date_created", s->created) &&
           put_float(c, nc, NC_GLOBAL, "geospatial_lat_min", lat_lo) &&
           put_float(c, nc, NC_GLOBAL, "geospatial_lat_max", lat_hi) &&
           put_float(c, nc, NC_GLOBAL, "geospatial_lon_min", lon_lo) &&
           put_float(c, nc, NC_GLOBAL, "geospatial_lon_max", lon_hi);
}

enum { V_LAT, V_LON, V_QA, V_VALUE, V_SCANLINE, V_PIXEL, V_CORNER, V_TIME, V_DELTA, N_VARS };

/* A swath variable (time x scanline x ground_pixel), deflated in one chunk. */
static bool def_swath(nc_chain *c, int grp, const int dims[3], const char *name, nc_type type,
                      size_t ns, size_t np, int *var)
{
    size_t chunk[3] = {1, ns, np};
    return nc_step(c, nc_def_var(grp, name, type, 3, dims, var), name) &&
           nc_step(c, nc_def_var_chunking(grp, *var, NC_CHUNKED, chunk), name) &&
           nc_step(c, nc_def_var_deflate(grp, *var, 1, 1, 4), name);
}

static bool put_ubyte(nc_chain *c, int grp, int var, const char *name, unsigned char value)
{
    return nc_step(c, nc_put_att_ubyte(grp, var, name, NC_UBYTE, 1, &value), name);
}

static bool def_int(nc_chain *c, int grp, const char *name, int ndims, const int *dims, int *var)
{
    return nc_step(c, nc_def_var(grp, name, NC_INT, ndims, dims, var), name);
}

/* The dimensions and the coordinate and time variables. */
static bool define_axes(nc_chain *c, int grp, const ais_s5p_swath *s, int64_t reference,
                        int dims[3], int var[N_VARS])
{
    int d_corner;
    char since[64], ref[AIS_TIME_ISO_SIZE];
    if (!nc_step(c, ais_time_format_iso(reference, ref) == AIS_OK ? NC_NOERR : NC_ERANGE, "time"))
        return false;
    snprintf(since, sizeof since, "milliseconds since %.10s %.8s", ref, ref + 11);
    return nc_step(c, nc_def_dim(grp, "scanline", s->scanlines, &dims[1]), "scanline") &&
           nc_step(c, nc_def_dim(grp, "ground_pixel", s->ground_pixels, &dims[2]),
                   "ground_pixel") &&
           nc_step(c, nc_def_dim(grp, "corner", 4, &d_corner), "corner") &&
           nc_step(c, nc_def_dim(grp, "time", 1, &dims[0]), "time") &&
           def_int(c, grp, "scanline", 1, &dims[1], &var[V_SCANLINE]) &&
           def_int(c, grp, "ground_pixel", 1, &dims[2], &var[V_PIXEL]) &&
           def_int(c, grp, "corner", 1, &d_corner, &var[V_CORNER]) &&
           def_int(c, grp, "time", 1, &dims[0], &var[V_TIME]) &&
           put_text(c, grp, var[V_TIME], "units", "seconds since 2010-01-01 00:00:00") &&
           put_text(c, grp, var[V_TIME], "standard_name", "time") &&
           def_int(c, grp, "delta_time", 2, dims, &var[V_DELTA]) &&
           put_text(c, grp, var[V_DELTA], "units", since);
}

/* latitude, longitude, qa_value and the product variable. */
static bool define_swath(nc_chain *c, int grp, const ais_s5p_swath *s, const int dims[3],
                         int var[N_VARS])
{
    size_t ns = s->scanlines, np = s->ground_pixels;
    float fill = AIS_S5P_FILL;
    unsigned char qa_fill = 255;
    const char *name = ais_s5p_variable(s->product);
    bool ok = def_swath(c, grp, dims, "latitude", NC_FLOAT, ns, np, &var[V_LAT]) &&
              put_text(c, grp, var[V_LAT], "units", "degrees_north") &&
              put_text(c, grp, var[V_LAT], "standard_name", "latitude") &&
              def_swath(c, grp, dims, "longitude", NC_FLOAT, ns, np, &var[V_LON]) &&
              put_text(c, grp, var[V_LON], "units", "degrees_east") &&
              put_text(c, grp, var[V_LON], "standard_name", "longitude") &&
              def_swath(c, grp, dims, "qa_value", NC_UBYTE, ns, np, &var[V_QA]) &&
              nc_step(c, nc_def_var_fill(grp, var[V_QA], 0, &qa_fill), "qa_value") &&
              put_text(c, grp, var[V_QA], "units", "1") &&
              put_float(c, grp, var[V_QA], "scale_factor", 0.01f) &&
              put_float(c, grp, var[V_QA], "add_offset", 0.0f) &&
              put_ubyte(c, grp, var[V_QA], "valid_min", 0) &&
              put_ubyte(c, grp, var[V_QA], "valid_max", 100) &&
              put_text(c, grp, var[V_QA], "long_name", "data quality value") &&
              def_swath(c, grp, dims, name, NC_FLOAT, ns, np, &var[V_VALUE]) &&
              nc_step(c, nc_def_var_fill(grp, var[V_VALUE], 0, &fill), name) &&
              put_text(c, grp, var[V_VALUE], "units", VARS[s->product].units) &&
              put_text(c, grp, var[V_VALUE], "standard_name", VARS[s->product].standard_name) &&
              put_text(c, grp, var[V_VALUE], "long_name", VARS[s->product].long_name) &&
              put_text(c, grp, var[V_VALUE], "coordinates", "longitude latitude");
    if (ok && VARS[s->product].molecules)
        ok = put_float(c, grp, var[V_VALUE], "multiplication_factor_to_convert_to_molecules_percm2",
                       6.02214e19f);
    return ok;
}

static bool put_int_axis(nc_chain *c, int grp, int var, size_t n, int64_t first, int64_t step,
                         const char *what)
{
    int *v = malloc((n ? n : 1) * sizeof *v);
    if (v == NULL)
        return nc_step(c, NC_ENOMEM, what);
    for (size_t i = 0; i < n; i++)
        v[i] = (int)(first + step * (int64_t)i);
    bool ok = nc_step(c, nc_put_var_int(grp, var, v), what);
    free(v);
    return ok;
}

static bool put_product(nc_chain *c, int grp, const ais_s5p_swath *s, int64_t reference,
                        const int var[N_VARS])
{
    size_t ns = s->scanlines;
    /* delta_time of each scanline, evenly over the sensing period */
    int64_t span_ms = (s->sensing_end - s->sensing_start) * 1000;
    int64_t step_ms = ns > 1 ? span_ms / (int64_t)(ns - 1) : 0;
    return put_int_axis(c, grp, var[V_SCANLINE], ns, 0, 1, "scanline") &&
           put_int_axis(c, grp, var[V_PIXEL], s->ground_pixels, 0, 1, "ground_pixel") &&
           put_int_axis(c, grp, var[V_CORNER], 4, 0, 1, "corner") &&
           put_int_axis(c, grp, var[V_TIME], 1, reference - INT64_C(1262304000), 0, "time") &&
           put_int_axis(c, grp, var[V_DELTA], ns, (s->sensing_start - reference) * 1000, step_ms,
                        "delta_time") &&
           nc_step(c, nc_put_var_float(grp, var[V_LAT], s->lat), "latitude") &&
           nc_step(c, nc_put_var_float(grp, var[V_LON], s->lon), "longitude") &&
           nc_step(c, nc_put_var_uchar(grp, var[V_QA], s->qa), "qa_value") &&
           nc_step(c, nc_put_var_float(grp, var[V_VALUE], s->value),
                   ais_s5p_variable(s->product));
}

ais_status ais_s5p_swath_write(const char *path, const ais_s5p_swath *s, uint64_t *bytes,
                               char *errbuf, size_t errsize)
{
    if (path == NULL || s == NULL || s->lat == NULL || s->lon == NULL || s->value == NULL ||
        s->qa == NULL || s->title == NULL || s->processor_version == NULL ||
        (unsigned)s->product >= AIS_S5P_PRODUCTS)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize, "%s: incomplete swath",
                               path != NULL ? path : "(no path)");
    const char *name = strrchr(path, '/');
    name = name != NULL ? name + 1 : path;
    char id[256];
    size_t len = strlen(name);
    if (len > 3 && strcmp(name + len - 3, ".nc") == 0)
        len -= 3;
    if (len == 0 || len >= sizeof id)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "%s: not a product file name", path);
    snprintf(id, sizeof id, "%.*s", (int)len, name);
    int64_t reference = s->sensing_start - (s->sensing_start % AIS_SECONDS_PER_DAY +
                                            AIS_SECONDS_PER_DAY) % AIS_SECONDS_PER_DAY;
    char *tmp = ais_provsim_temp_path(path);
    if (tmp == NULL)
        return AIS_ERR_NOMEM;
    nc_chain c = {NC_NOERR, NULL};
    int nc = -1, grp = -1, dims[3], var[N_VARS];
    if (nc_step(&c, nc_create(tmp, NC_NETCDF4 | NC_CLOBBER, &nc), "nc_create") &&
        write_globals(&c, nc, id, s, reference) &&
        nc_step(&c, nc_def_grp(nc, "PRODUCT", &grp), "PRODUCT") &&
        define_axes(&c, grp, s, reference, dims, var) && define_swath(&c, grp, s, dims, var) &&
        nc_step(&c, nc_enddef(nc), "nc_enddef") &&
        put_product(&c, grp, s, reference, var))
        nc_step(&c, nc_close(nc), "nc_close");
    else if (nc >= 0)
        nc_abort(nc);
    ais_status st;
    if (c.rc != NC_NOERR) {
        unlink(tmp);
        st = ais_status_fail(c.rc == NC_ENOMEM ? AIS_ERR_NOMEM : AIS_ERR_IO, errbuf, errsize,
                             "%s: netCDF %s: %s", path, c.step, nc_strerror(c.rc));
    } else {
        st = ais_provsim_install(tmp, path, errbuf, errsize);
    }
    free(tmp);
    struct stat sb;
    if (st == AIS_OK && bytes != NULL)
        *bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    return st;
}

ais_status ais_s5p_product_file_name(ais_s5p_product p, int64_t start, int64_t end, long orbit,
                                     int64_t created, char *out, size_t size)
{
    char a[AIS_TIME_COMPACT_SIZE], b[AIS_TIME_COMPACT_SIZE], k[AIS_TIME_COMPACT_SIZE];
    char type[16];
    ais_status st;
    if ((unsigned)p >= AIS_S5P_PRODUCTS || orbit < 0 || orbit > 99999)
        return AIS_ERR_INVALID_ARG;
    if ((st = ais_time_format_compact(start, a)) != AIS_OK ||
        (st = ais_time_format_compact(end, b)) != AIS_OK ||
        (st = ais_time_format_compact(created, k)) != AIS_OK)
        return st;
    a[15] = b[15] = k[15] = '\0'; /* S5P names carry no "Z" */
    /* the product type field: "L2__" and the product, padded to 10 characters with '_' */
    snprintf(type, sizeof type, "L2__%s__________", ais_s5p_product_name(p));
    type[10] = '\0';
    int n = snprintf(out, size, "S5P_OFFL_%s_%s_%s_%05ld_03_020600_%s.nc", type, a, b, orbit, k);
    return n > 0 && (size_t)n < size ? AIS_OK : AIS_ERR_RANGE;
}

/* ---- the simulated overpass -------------------------------------------------------------- */

#define COARSE_DEG 0.125 /* the swath outside the Hanoi box: pixel centres at odd sixteenths */

enum { STREAM_QA = 0x5351 };

/* The pixel centres along one axis, ascending: every COARSE_DEG over [lo, hi] outside the box's
 * [box_lo, box_hi] (compared as the file stores them, in float), and the simulator's lattice
 * across the box, built as its loop builds it. */
static ais_status swath_axis(double lo, double hi, double box_lo, double box_hi, double **out,
                             size_t *n)
{
    const double step = AIS_S5P_SIM_PIXEL_DEG;
    long k0 = (long)floor(lo / COARSE_DEG), k1 = (long)floor(hi / COARSE_DEG);
    size_t n_box = 0;
    for (double x = box_lo + step / 2; x <= box_hi; x += step)
        n_box++;
    size_t cap = (size_t)(k1 - k0 + 1) + n_box;
    double *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return AIS_ERR_NOMEM;
    size_t m = 0;
    double x = box_lo + step / 2;
    bool box_done = n_box == 0;
    for (long k = k0; k <= k1 + 1; k++) {
        double c = ((double)k + 0.5) * COARSE_DEG;
        /* the box's lattice goes in where the coarse axis passes it */
        while (!box_done && (k > k1 || x < c)) {
            v[m++] = x;
            x += step;
            box_done = !(x <= box_hi);
        }
        double stored = (double)(float)c;
        if (k <= k1 && c >= lo && c <= hi && (stored < box_lo || stored > box_hi))
            v[m++] = c;
    }
    *out = v;
    *n = m;
    return AIS_OK;
}

typedef struct s5p_run {
    const ais_provsim_request *req;
    ais_s5p_options opts;
    char *dir;
    size_t ns, np;
    double *la, *lo; /* the axes: scanline latitudes, ground pixel longitudes */
    float *lat, *lon, *value;
    unsigned char *qa;
} s5p_run;

static ais_status layout(s5p_run *r)
{
    const ais_bbox *g = &r->opts.grid_area, *b = &r->opts.box;
    ais_status st = swath_axis(g->south, g->north, b->south, b->north, &r->la, &r->ns);
    if (st == AIS_OK)
        st = swath_axis(g->west, g->east, b->west, b->east, &r->lo, &r->np);
    size_t n = r->ns * r->np;
    if (st == AIS_OK && n == 0)
        st = AIS_ERR_RANGE;
    if (st == AIS_OK) {
        r->lat = malloc(n * sizeof *r->lat);
        r->lon = malloc(n * sizeof *r->lon);
        r->value = malloc(n * sizeof *r->value);
        r->qa = malloc(n);
        if (r->lat == NULL || r->lon == NULL || r->value == NULL || r->qa == NULL)
            st = AIS_ERR_NOMEM;
    }
    for (size_t s = 0; st == AIS_OK && s < r->ns; s++)
        for (size_t p = 0; p < r->np; p++) {
            r->lat[s * r->np + p] = (float)r->la[s];
            r->lon[s * r->np + p] = (float)r->lo[p];
        }
    return st;
}

static ais_status write_product(s5p_run *r, ais_s5p_product p, int64_t day,
                                ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    const ais_provsim_request *q = r->req;
    ais_s5p_meta m;
    char name[128], title[160];
    ais_status st = ais_s5p_sim_meta(q->seed, p, day, &m);
    if (st == AIS_OK)
        st = ais_s5p_product_file_name(p, m.sensing_start, m.sensing_end, m.orbit, m.created,
                                       name, sizeof name);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errsize, "sentinel5p: no product name for %s, day %lld",
                               ais_s5p_product_name(p), (long long)day);
    uint64_t dn = (uint64_t)(day / AIS_SECONDS_PER_DAY);
    for (size_t i = 0; i < r->ns * r->np; i++) {
        double v;
        double u = ais_noise_uniform(q->seed, STREAM_QA, dn * 8 + (uint64_t)p, i);
        /* at the axes' double positions, the simulator's own (not the float copies) */
        switch (ais_s5p_sim_pixel(q->seed, p, day, r->la[i / r->np], r->lo[i % r->np], &v)) {
        case AIS_S5P_SIM_GOOD:
            r->value[i] = (float)v;
            r->qa[i] = (unsigned char)(75 + (int)(26.0 * u));
            break;
        case AIS_S5P_SIM_CLOUDY:
            r->value[i] = (float)v;
            r->qa[i] = (unsigned char)(20 + (int)(30.0 * u));
            break;
        default:
            r->value[i] = AIS_S5P_FILL;
            r->qa[i] = 0;
        }
    }
    snprintf(title, sizeof title,
             "SIMULATED TROPOMI/S5P %s L2 swath (ais-provider-sim): not a measurement",
             ais_s5p_product_name(p));
    ais_s5p_swath sw = {.product = p, .title = title, .sensing_start = m.sensing_start,
                        .sensing_end = m.sensing_end, .created = m.created, .orbit = m.orbit,
                        .processor_version = "2.6.0", .scanlines = r->ns,
                        .ground_pixels = r->np, .lat = r->lat, .lon = r->lon,
                        .value = r->value, .qa = r->qa};
    char *path = NULL;
    uint64_t size = 0;
    if ((st = ais_fs_path_join(r->dir, name, &path)) != AIS_OK)
        return st;
    st = ais_s5p_swath_write(path, &sw, &size, errbuf, errsize);
    free(path);
    if (st == AIS_OK) {
        stats->files++;
        stats->bytes += size;
    }
    return st;
}

ais_status ais_provsim_sentinel5p(const ais_provsim_request *req, ais_provsim_stats *stats,
                                  char *errbuf, size_t errsize)
{
    ais_status st = ais_provsim_check_request(req, stats, "sentinel5p", errbuf, errsize);
    if (st != AIS_OK)
        return st;
    s5p_run r = {.req = req};
    char why[256] = "";
    if ((st = ais_s5p_options_from_config(req->cfg, &r.opts, why, sizeof why)) != AIS_OK)
        return ais_status_fail(st, errbuf, errsize, "sentinel5p: %s", why);
    if ((st = ais_provsim_folder(req->out_dir, "sentinel5p", &r.dir, errbuf, errsize)) != AIS_OK)
        return st;
    if ((st = layout(&r)) != AIS_OK)
        st = ais_status_fail(st, errbuf, errsize, "sentinel5p: no swath for %s: %s", r.dir,
                             ais_status_str(st));
    for (int64_t day = req->start; st == AIS_OK && day < req->end; day += AIS_SECONDS_PER_DAY)
        for (int p = 0; st == AIS_OK && p < AIS_S5P_PRODUCTS; p++)
            if (r.opts.enabled[p])
                st = write_product(&r, (ais_s5p_product)p, day, stats, errbuf, errsize);
    free(r.dir);
    free(r.la);
    free(r.lo);
    free(r.lat);
    free(r.lon);
    free(r.value);
    free(r.qa);
    return st;
}
