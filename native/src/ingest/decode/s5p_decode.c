/* Sentinel-5P L2 netCDF4 decoding (rules in ais/s5p.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>
#include <netcdf_mem.h>

#include "ais/s5p.h"
#include "ais/timeutil.h"

static const char *const NAMES[AIS_S5P_PRODUCTS] = {"NO2", "CO", "SO2", "O3", "AER_AI"};
static const char *const FIELDS[AIS_S5P_PRODUCTS] = {"NO2___", "CO____", "SO2___", "O3____",
                                                     "AER_AI"};
static const char *const VARIABLES[AIS_S5P_PRODUCTS] = {
    "nitrogendioxide_tropospheric_column", "carbonmonoxide_total_column",
    "sulfurdioxide_total_vertical_column", "ozone_total_vertical_column",
    "aerosol_index_354_388"};

const char *ais_s5p_product_name(ais_s5p_product p)
{
    return (unsigned)p < AIS_S5P_PRODUCTS ? NAMES[p] : "";
}

const char *ais_s5p_variable(ais_s5p_product p)
{
    return (unsigned)p < AIS_S5P_PRODUCTS ? VARIABLES[p] : "";
}

bool ais_s5p_product_parse(const char *text, ais_s5p_product *out)
{
    for (int i = 0; i < AIS_S5P_PRODUCTS; i++)
        if (strcmp(text, NAMES[i]) == 0 || strcmp(text, FIELDS[i]) == 0) {
            *out = (ais_s5p_product)i;
            return true;
        }
    return false;
}

void ais_s5p_result_free(ais_s5p_result *r)
{
    if (r == NULL)
        return;
    free(r->cells);
    r->cells = NULL;
    r->n_cells = 0;
}

static bool text_attr(int ncid, int varid, const char *name, char *out, size_t size)
{
    nc_type type;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &type, &len) != NC_NOERR)
        return false;
    if (type == NC_CHAR) {
        if (len >= size)
            return false;
        if (nc_get_att_text(ncid, varid, name, out) != NC_NOERR)
            return false;
        out[len] = '\0';
        return true;
    }
    if (type == NC_STRING && len == 1) {
        char *s = NULL;
        if (nc_get_att_string(ncid, varid, name, &s) != NC_NOERR)
            return false;
        bool ok = s != NULL && strlen(s) < size;
        if (ok)
            strcpy(out, s);
        nc_free_string(1, &s);
        return ok;
    }
    return false;
}

static bool time_attr(int ncid, const char *name, int64_t *out)
{
    char text[64];
    if (!text_attr(ncid, NC_GLOBAL, name, text, sizeof text - 1))
        return false;
    size_t n = strlen(text);
    /* some processors (SO2, O3 1.1.x) write the UTC time without its "Z" */
    if (n == 19 && text[10] == 'T') {
        text[19] = 'Z';
        text[20] = '\0';
    }
    return ais_time_parse_iso(text, out) == AIS_OK;
}

static bool dim_len(int grp, const char *name, size_t *out)
{
    int dimid;
    return nc_inq_dimid(grp, name, &dimid) == NC_NOERR &&
           nc_inq_dimlen(grp, dimid, out) == NC_NOERR;
}

ais_status ais_s5p_read_meta(int ncid, const char *path, ais_s5p_meta *m, const char **reason,
                             char *detail, size_t dsize)
{
    memset(m, 0, sizeof *m);
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    /* S5P_OFFL_L2__NO2____20200303T013547_... */
    char field[7];
    if (strlen(base) < 20 || strncmp(base, "S5P_", 4) != 0 || strncmp(base + 8, "_L2__", 5) != 0)
        return ais_gridded_fail(reason, "bad_file_name", detail, dsize,
                    "%s is not an S5P_<mode>_L2__<product>_... file name", base);
    memcpy(m->mode, base + 4, 4);
    m->mode[4] = '\0';
    memcpy(field, base + 13, 6);
    field[6] = '\0';
    if (!ais_s5p_product_parse(field, &m->product))
        return ais_gridded_fail(reason, "not_configured_product", detail, dsize,
                    "product %s is not one of NO2, CO, SO2, O3, AER_AI", field);
    snprintf(m->product_name, sizeof m->product_name, "%s", base);
    if (!text_attr(ncid, NC_GLOBAL, "id", m->product_id, sizeof m->product_id)) {
        snprintf(m->product_id, sizeof m->product_id, "%s", base);
        char *dot = strrchr(m->product_id, '.');
        if (dot != NULL)
            *dot = '\0';
    }
    int orbit;
    if (!time_attr(ncid, "time_coverage_start", &m->sensing_start) ||
        !time_attr(ncid, "time_coverage_end", &m->sensing_end) ||
        nc_get_att_int(ncid, NC_GLOBAL, "orbit", &orbit) != NC_NOERR)
        return ais_gridded_fail(reason, "bad_metadata", detail, dsize,
                    "%s: time_coverage_start/end or orbit missing or malformed", base);
    m->orbit = orbit;
    if (!time_attr(ncid, "date_created", &m->created))
        m->created = m->sensing_end;
    if (!text_attr(ncid, NC_GLOBAL, "processor_version", m->processor_version,
                   sizeof m->processor_version))
        m->processor_version[0] = '\0';
    int grp;
    if (nc_inq_ncid(ncid, "PRODUCT", &grp) != NC_NOERR || !dim_len(grp, "scanline", &m->scanlines) ||
        !dim_len(grp, "ground_pixel", &m->ground_pixels))
        return ais_gridded_fail(reason, "missing_dimension", detail, dsize,
                    "%s: group PRODUCT with dimensions scanline and ground_pixel is required",
                    base);
    return AIS_OK;
}

/* A (time=1, scanline, ground_pixel) variable of the PRODUCT group. */
static bool check_var(int grp, const char *name, const ais_s5p_meta *m, int *varid, nc_type *type)
{
    int ndims, dimids[NC_MAX_VAR_DIMS];
    size_t len[3];
    if (nc_inq_varid(grp, name, varid) != NC_NOERR ||
        nc_inq_var(grp, *varid, NULL, type, &ndims, dimids, NULL) != NC_NOERR || ndims != 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (nc_inq_dimlen(grp, dimids[i], &len[i]) != NC_NOERR)
            return false;
    return len[0] >= 1 && len[1] == m->scanlines && len[2] == m->ground_pixels;
}

static double num_attr(int grp, int varid, const char *name, double dflt)
{
    double v;
    size_t len;
    if (nc_inq_attlen(grp, varid, name, &len) != NC_NOERR || len != 1 ||
        nc_get_att_double(grp, varid, name, &v) != NC_NOERR)
        return dflt;
    return v;
}

static int read_rows(int grp, int varid, size_t r0, size_t nrows, size_t np, nc_type want,
                     void *buf)
{
    size_t start[3] = {0, r0, 0}, count[3] = {1, nrows, np};
    if (want == NC_FLOAT)
        return nc_get_vara_float(grp, varid, start, count, buf);
    return nc_get_vara_uchar(grp, varid, start, count, buf);
}

typedef struct grid_geom {
    long i0, j0; /* cell index of the south-west cell */
    long ni, nj;
} grid_geom;

static ais_status decode_open(int ncid, const char *path, const ais_s5p_options *o,
                              ais_s5p_result *r, const char **reason, char *detail, size_t dsize)
{
    ais_s5p_meta *m = &r->meta;
    ais_status st = ais_s5p_read_meta(ncid, path, m, reason, detail, dsize);
    if (st != AIS_OK)
        return st;
    if (!o->enabled[m->product])
        return ais_gridded_fail(reason, "not_configured_product", detail, dsize,
                    "product %s is not in sentinel5p.products", NAMES[m->product]);
    r->qa_threshold = o->qa_min[m->product];
    r->grid_deg = o->grid_deg;
    int grp, vlat, vlon, vqa, vval;
    nc_type tlat, tlon, tqa, tval;
    nc_inq_ncid(ncid, "PRODUCT", &grp);
    const char *var = VARIABLES[m->product];
    if (!check_var(grp, "latitude", m, &vlat, &tlat) ||
        !check_var(grp, "longitude", m, &vlon, &tlon) || !check_var(grp, "qa_value", m, &vqa, &tqa))
        return ais_gridded_fail(reason, "missing_variable", detail, dsize,
                    "PRODUCT/latitude, longitude and qa_value (time x scanline x ground_pixel) "
                    "are required (%s)",
                    "a metadata-only file has none");
    if (!check_var(grp, var, m, &vval, &tval))
        return ais_gridded_fail(reason, "missing_variable", detail, dsize,
                    "PRODUCT/%s (time x scanline x ground_pixel) is required", var);
    if (tlat != NC_FLOAT || tlon != NC_FLOAT || tval != NC_FLOAT || tqa != NC_UBYTE)
        return ais_gridded_fail(reason, "bad_variable", detail, dsize,
                    "latitude, longitude and %s must be float, qa_value ubyte", var);
    if (!text_attr(grp, vval, "units", r->unit, sizeof r->unit))
        snprintf(r->unit, sizeof r->unit, "%s", m->product == AIS_S5P_AER_AI ? "1" : "mol m-2");
    double fill = num_attr(grp, vval, "_FillValue", 9.96921e36);
    double qa_scale = num_attr(grp, vqa, "scale_factor", 0.01);
    double qa_offset = num_attr(grp, vqa, "add_offset", 0.0);
    double vscale = num_attr(grp, vval, "scale_factor", 1.0);
    double voffset = num_attr(grp, vval, "add_offset", 0.0);

    size_t ns = m->scanlines, np = m->ground_pixels;
    if (ns == 0 || np == 0)
        return AIS_OK;
    if (ns > 100000 || np > 10000)
        return ais_gridded_fail(reason, "bad_variable", detail, dsize, "%s", "implausible swath size");
    size_t n = ns * np;
    float *lat = ais_big_alloc(n * sizeof *lat), *lon = ais_big_alloc(n * sizeof *lon), *val = NULL;
    unsigned char *qa = NULL;
    ais_s5p_cell *dense = NULL;
    if (lat == NULL || lon == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    if (read_rows(grp, vlat, 0, ns, np, NC_FLOAT, lat) != NC_NOERR ||
        read_rows(grp, vlon, 0, ns, np, NC_FLOAT, lon) != NC_NOERR) {
        st = ais_gridded_fail(reason, "read_failed", detail, dsize, "%s",
                  "latitude/longitude cannot be read (truncated or corrupt file)");
        goto done;
    }
    const ais_bbox *b = &o->box, *g = &o->grid_area;
    bool want_grid = o->grid[m->product];
    /* scanlines with a pixel in the box or the grid area */
    size_t r0 = ns, r1 = 0;
    for (size_t s = 0; s < ns; s++)
        for (size_t p = 0; p < np; p++) {
            double la = lat[s * np + p], lo = lon[s * np + p];
            if (ais_bbox_contains(b, la, lo) || (want_grid && ais_bbox_contains(g, la, lo))) {
                if (s < r0)
                    r0 = s;
                r1 = s;
                break;
            }
        }
    if (r0 == ns)
        goto done; /* nothing in the areas */
    size_t nrows = r1 - r0 + 1;
    val = ais_big_alloc(nrows * np * sizeof *val);
    qa = ais_big_alloc(nrows * np);
    if (val == NULL || qa == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    if (read_rows(grp, vval, r0, nrows, np, NC_FLOAT, val) != NC_NOERR ||
        read_rows(grp, vqa, r0, nrows, np, NC_UBYTE, qa) != NC_NOERR) {
        st = ais_gridded_fail(reason, "read_failed", detail, dsize, "%s",
                  "the product variable or qa_value cannot be read (truncated or corrupt file)");
        goto done;
    }
    grid_geom gg = {0};
    double d = o->grid_deg;
    if (want_grid) {
        gg.i0 = (long)floor(g->south / d);
        gg.j0 = (long)floor(g->west / d);
        gg.ni = (long)floor(g->north / d) - gg.i0 + 1;
        gg.nj = (long)floor(g->east / d) - gg.j0 + 1;
        if (gg.ni * gg.nj > AIS_S5P_MAX_GRID_CELLS) {
            st = ais_gridded_fail(reason, "bad_variable", detail, dsize, "%s", "grid area too large");
            goto done;
        }
        dense = calloc((size_t)(gg.ni * gg.nj), sizeof *dense);
        if (dense == NULL) {
            st = AIS_ERR_NOMEM;
            goto done;
        }
    }
    double qmin = r->qa_threshold - 1e-6; /* qa_value is stored in steps of 0.01 (float scale) */
    for (size_t s = 0; s < nrows; s++) {
        for (size_t p = 0; p < np; p++) {
            size_t k = (r0 + s) * np + p, i = s * np + p;
            double la = lat[k], lo = lon[k];
            bool in_box = ais_bbox_contains(b, la, lo);
            bool in_grid = want_grid && ais_bbox_contains(g, la, lo);
            if (!in_box && !in_grid)
                continue;
            if (in_box)
                r->total++;
            double raw = val[i];
            bool good = qa[i] * qa_scale + qa_offset >= qmin && isfinite(raw) && raw != fill &&
                        fabs(raw) < 1e30;
            if (!good)
                continue;
            double v = raw * vscale + voffset;
            if (in_box)
                ais_stat_add(&r->stats, v);
            if (in_grid) {
                long ci = (long)floor(la / d) - gg.i0, cj = (long)floor(lo / d) - gg.j0;
                if (ci < 0 || ci >= gg.ni || cj < 0 || cj >= gg.nj)
                    continue;
                ais_s5p_cell *c = &dense[ci * gg.nj + cj];
                c->sum += v;
                c->count++;
                r->grid_pixels++;
            }
        }
    }
    if (want_grid) {
        size_t used = 0;
        for (long i = 0; i < gg.ni * gg.nj; i++)
            used += dense[i].count > 0;
        if (used > 0) {
            r->cells = malloc(used * sizeof *r->cells);
            if (r->cells == NULL) {
                st = AIS_ERR_NOMEM;
                goto done;
            }
            for (long ci = 0; ci < gg.ni; ci++)
                for (long cj = 0; cj < gg.nj; cj++) {
                    ais_s5p_cell c = dense[ci * gg.nj + cj];
                    if (c.count == 0)
                        continue;
                    c.lat = ((double)(gg.i0 + ci) + 0.5) * d;
                    c.lon = ((double)(gg.j0 + cj) + 0.5) * d;
                    r->cells[r->n_cells++] = c;
                }
        }
    }
done:
    free(lat);
    free(lon);
    free(val);
    free(qa);
    free(dense);
    return st;
}

static ais_status decode_ncid(int ncid, const char *path, const ais_s5p_options *opts,
                              ais_s5p_result *out, const char **reason, char *detail,
                              size_t dsize)
{
    ais_status st = decode_open(ncid, path, opts, out, reason, detail, dsize);
    nc_close(ncid);
    if (st != AIS_OK)
        ais_s5p_result_free(out);
    return st;
}

ais_status ais_s5p_decode(const char *path, const ais_s5p_options *opts, ais_s5p_result *out,
                          const char **reason, char *detail, size_t detail_size)
{
    if (path == NULL || opts == NULL || out == NULL || reason == NULL || detail == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    *reason = NULL;
    detail[0] = '\0';
    int ncid;
    int rc = nc_open(path, NC_NOWRITE, &ncid);
    if (rc != NC_NOERR)
        return ais_gridded_fail(reason, "netcdf_open_failed", detail, detail_size, "nc_open: %s",
                    nc_strerror(rc));
    return decode_ncid(ncid, path, opts, out, reason, detail, detail_size);
}

ais_status ais_s5p_decode_memory(const char *path, const void *data, size_t len,
                                 const ais_s5p_options *opts, ais_s5p_result *out,
                                 const char **reason, char *detail, size_t detail_size)
{
    if (path == NULL || data == NULL || opts == NULL || out == NULL || reason == NULL ||
        detail == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    *reason = NULL;
    detail[0] = '\0';
    int ncid;
    int rc = nc_open_mem(path, NC_NOWRITE, len, (void *)(uintptr_t)data, &ncid);
    if (rc != NC_NOERR)
        return ais_gridded_fail(reason, "netcdf_open_failed", detail, detail_size, "nc_open_mem: %s",
                    nc_strerror(rc));
    return decode_ncid(ncid, path, opts, out, reason, detail, detail_size);
}
