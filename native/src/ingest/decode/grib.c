/* The GRIB message walk and key reading shared by ERA5 ingest and the met reader (ais/grib.h). */
#include "ais/grib.h"

#include <string.h>

#include <eccodes.h>

#include "ais/timeutil.h"

static bool get_str(codes_handle *h, const char *key, char *buf, size_t size)
{
    size_t len = size;
    if (codes_get_string(h, key, buf, &len) == CODES_SUCCESS)
        return true;
    buf[0] = '\0';
    return false;
}

static bool get_long(codes_handle *h, const char *key, long *out)
{
    return codes_get_long(h, key, out) == CODES_SUCCESS;
}

static bool get_double(codes_handle *h, const char *key, double *out)
{
    return codes_get_double(h, key, out) == CODES_SUCCESS;
}

static void read_keys(codes_handle *h, ais_grib_message *m)
{
    m->has_short_name = get_str(h, "shortName", m->short_name, sizeof m->short_name);
    m->has_level_type = get_str(h, "typeOfLevel", m->level_type, sizeof m->level_type);
    m->has_grid_type = get_str(h, "gridType", m->grid_type, sizeof m->grid_type);
    m->has_level = get_long(h, "level", &m->level);
    m->has_member = codes_is_defined(h, "number") && get_long(h, "number", &m->member);
    if (!m->has_member)
        m->member = 0;
    (void)get_long(h, "editionNumber", &m->edition);
    m->has_validity = get_long(h, "validityDate", &m->validity_date) &&
                      get_long(h, "validityTime", &m->validity_time);
    long d = m->validity_date, t = m->validity_time;
    m->valid_time_ok = m->has_validity &&
                       ais_time_from_civil((int)(d / 10000), (int)(d / 100 % 100), (int)(d % 100),
                                           (int)(t / 100), (int)(t % 100), 0,
                                           &m->valid_time) == AIS_OK;
    m->has_grid = get_long(h, "Ni", &m->ni) && get_long(h, "Nj", &m->nj) &&
                  get_double(h, "latitudeOfFirstGridPointInDegrees", &m->lat_first) &&
                  get_double(h, "longitudeOfFirstGridPointInDegrees", &m->lon_first) &&
                  get_double(h, "iDirectionIncrementInDegrees", &m->di) &&
                  get_double(h, "jDirectionIncrementInDegrees", &m->dj);
    bool i_neg = get_long(h, "iScansNegatively", &m->i_negative);
    bool j_pos = get_long(h, "jScansPositively", &m->j_positive);
    bool j_cons = get_long(h, "jPointsAreConsecutive", &m->j_consecutive);
    m->has_scanning = i_neg && j_pos && j_cons;
    (void)get_long(h, "bitmapPresent", &m->bitmap);
    m->has_missing = get_double(h, "missingValue", &m->missing);
}

ais_status ais_grib_each(FILE *fp, ais_grib_visit visit, void *ctx, size_t *count,
                         const char **codes_error)
{
    if (fp == NULL || visit == NULL || count == NULL)
        return AIS_ERR_INVALID_ARG;
    for (;;) {
        int err = 0;
        codes_handle *h = codes_handle_new_from_file(NULL, fp, PRODUCT_GRIB, &err);
        if (h == NULL) {
            if (err == CODES_SUCCESS)
                return AIS_OK;
            if (codes_error != NULL)
                *codes_error = codes_get_error_message(err);
            return AIS_ERR_PARSE;
        }
        ais_grib_message m;
        memset(&m, 0, sizeof m);
        m.missing = 9999;
        m.index = ++*count;
        m.handle = h;
        read_keys(h, &m);
        ais_status st = visit(ctx, &m);
        codes_handle_delete(h);
        if (st != AIS_OK)
            return st;
    }
}

bool ais_grib_values_count(const ais_grib_message *m, size_t *n)
{
    *n = 0;
    return codes_get_size(m->handle, "values", n) == CODES_SUCCESS;
}

bool ais_grib_values_read(const ais_grib_message *m, double *out, size_t n)
{
    size_t len = n;
    return codes_get_double_array(m->handle, "values", out, &len) == CODES_SUCCESS;
}

/* ecCodes writes its own errors to stderr, which must hold only our JSON log lines; every
 * failure reaches the caller through the error code and our reason instead. */
static void eccodes_quiet(const codes_context *c, int level, const char *mesg)
{
    (void)c;
    (void)level;
    (void)mesg;
}

void ais_grib_quiet(void)
{
    codes_context_set_logging_proc(codes_context_get_default(), eccodes_quiet);
}
