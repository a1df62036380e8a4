/* Simulated ERA5 GRIB as the CDS serves it (ais/provsim_gridded.h): the GRIB1 encoder, the
 * simulated fields of a day and ais_provsim_era5. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eccodes.h>

#include "ais/fsutil.h"
#include "ais/met_simulate.h"
#include "ais/provsim_gridded.h"
#include "ais/timeutil.h"

#define PI 3.14159265358979323846
#define R_DRY 287.05        /* J/(kg K) */
#define PACKING_BITS 12     /* ERA5 packs 16; 12 keeps a day over Vietnam near 5 MB */
#define KNOT_HOURS 6        /* the humidity and rain fields' time knots */

/* ---- the GRIB encoder -------------------------------------------------------------------- */

/* One key of a message: a long (kind 'l'), a double ('d') or a string ('s'). */
typedef struct grib_key {
    const char *name;
    char kind;
    long l;
    double d;
    const char *s;
} grib_key;

static int set_key(codes_handle *h, const grib_key *k)
{
    size_t len;
    switch (k->kind) {
    case 'l':
        return codes_set_long(h, k->name, k->l);
    case 'd':
        return codes_set_double(h, k->name, k->d);
    default:
        len = strlen(k->s);
        return codes_set_string(h, k->name, k->s, &len);
    }
}

#define KL(n, v) {.name = (n), .kind = 'l', .l = (v)}
#define KD(n, v) {.name = (n), .kind = 'd', .d = (v)}
#define KS(n, v) {.name = (n), .kind = 's', .s = (v)}

/* The data time of a message: its validity, or for an accumulation the ERA5 forecast it comes
 * from (06 and 18 UTC, steps 1..12). */
static int64_t forecast_base(const ais_era5_grib_message *m)
{
    if (!m->accumulated)
        return m->valid_time;
    int64_t hour = (m->valid_time / AIS_SECONDS_PER_HOUR % 24 + 24) % 24;
    int64_t back = hour > 6 && hour <= 18 ? hour - 6 : (hour + 6) % 24;
    return m->valid_time - (back == 0 ? 12 : back) * AIS_SECONDS_PER_HOUR;
}

/* The keys of a message in the order ecCodes wants them (the parameter before the level, the
 * step type before the steps, the packing before the values); returns how many. */
static size_t message_keys(const ais_era5_grib_message *m, const ais_civil_time *base,
                           long step, grib_key keys[32])
{
    const grib_key head[] = {
        KL("centre", 98), KL("generatingProcessIdentifier", 255), KL("setLocalDefinition", 1),
        KL("localDefinitionNumber", 1), KS("marsClass", "ea"),
        KS("marsType", m->accumulated ? "fc" : "an"), KS("marsStream", "oper"),
        KS("experimentVersionNumber", "0001"), KL("paramId", m->param_id),
        KL("Ni", (long)m->ni), KL("Nj", (long)m->nj), KL("jScansPositively", 0),
        KD("latitudeOfFirstGridPointInDegrees", m->north),
        KD("longitudeOfFirstGridPointInDegrees", m->west),
        KD("latitudeOfLastGridPointInDegrees", m->north - (double)(m->nj - 1) * m->step_deg),
        KD("longitudeOfLastGridPointInDegrees", m->west + (double)(m->ni - 1) * m->step_deg),
        KD("iDirectionIncrementInDegrees", m->step_deg),
        KD("jDirectionIncrementInDegrees", m->step_deg),
        KL("dataDate", (long)base->year * 10000 + base->month * 100 + base->day),
        KL("dataTime", (long)base->hour * 100)};
    size_t n = sizeof head / sizeof head[0];
    memcpy(keys, head, sizeof head);
    if (m->level_hpa > 0)
        keys[n++] = (grib_key)KL("level", m->level_hpa);
    if (m->accumulated) {
        keys[n++] = (grib_key)KS("stepType", "accum");
        keys[n++] = (grib_key)KL("startStep", step - 1);
        keys[n++] = (grib_key)KL("endStep", step);
    }
    keys[n++] = (grib_key)KL("bitsPerValue", m->bits_per_value);
    return n;
}

ais_status ais_era5_grib_append(ais_json_buf *out, const ais_era5_grib_message *m, char *errbuf,
                                size_t errsize)
{
    if (out == NULL || m == NULL || m->values == NULL || m->ni < 2 || m->nj < 2 ||
        m->bits_per_value < 1 || m->bits_per_value > 32 || !(m->step_deg > 0.0) ||
        m->valid_time % AIS_SECONDS_PER_HOUR != 0)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "GRIB message: a grid of at least 2 x 2 points, 1..32 bits and a "
                               "whole-hour time are required");
    int64_t base = forecast_base(m);
    ais_civil_time c;
    char when[AIS_TIME_ISO_SIZE];
    if (ais_time_to_civil(base, &c) != AIS_OK || ais_time_format_iso(m->valid_time, when) != AIS_OK)
        return ais_status_fail(AIS_ERR_RANGE, errbuf, errsize, "GRIB message: time out of range");
    grib_key keys[32];
    size_t n = message_keys(m, &c, (long)((m->valid_time - base) / AIS_SECONDS_PER_HOUR), keys);
    codes_handle *h = codes_grib_handle_new_from_samples(
        NULL, m->level_hpa > 0 ? "regular_ll_pl_grib1" : "regular_ll_sfc_grib1");
    if (h == NULL)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                               "ecCodes has no GRIB1 sample (are its samples installed?)");
    const char *failed = NULL;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < n; k++)
        if ((rc = set_key(h, &keys[k])) != 0)
            failed = keys[k].name;
    if (rc == 0 && (rc = codes_set_double_array(h, "values", m->values, m->ni * m->nj)) != 0)
        failed = "values";
    const void *msg = NULL;
    size_t size = 0;
    if (rc == 0 && (rc = codes_get_message(h, &msg, &size)) != 0)
        failed = "the message";
    ais_status st = AIS_OK;
    if (rc != 0)
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                             "GRIB param %ld level %ld at %s: ecCodes refused %s: %s",
                             m->param_id, m->level_hpa, when, failed, codes_get_error_message(rc));
    else if ((st = ais_json_buf_reserve(out, size)) == AIS_OK) {
        memcpy(out->data + out->len, msg, size);
        out->len += size;
    }
    codes_handle_delete(h);
    return st;
}

/* ---- the variables ----------------------------------------------------------------------- */

static const struct {
    const char *name;
    bool pressure;
    long param;
} VARS[AIS_PSE_COUNT] = {
    [AIS_PSE_U10] = {"u10", false, 165}, [AIS_PSE_V10] = {"v10", false, 166},
    [AIS_PSE_BLH] = {"blh", false, 159}, [AIS_PSE_SP] = {"sp", false, 134},
    [AIS_PSE_T2M] = {"t2m", false, 167}, [AIS_PSE_D2M] = {"d2m", false, 168},
    [AIS_PSE_TP] = {"tp", false, 228},   [AIS_PSE_MSL] = {"msl", false, 151},
    [AIS_PSE_ZSFC] = {"z", false, 129},  [AIS_PSE_U] = {"u", true, 131},
    [AIS_PSE_V] = {"v", true, 132},      [AIS_PSE_W] = {"w", true, 135},
    [AIS_PSE_Z] = {"z", true, 129},      [AIS_PSE_T] = {"t", true, 130},
    [AIS_PSE_Q] = {"q", true, 133},
};

bool ais_provsim_era5_var_parse(const char *name, bool pressure, ais_provsim_era5_var *out)
{
    for (int v = 0; name != NULL && v < AIS_PSE_COUNT; v++)
        if (VARS[v].pressure == pressure && strcmp(VARS[v].name, name) == 0) {
            *out = (ais_provsim_era5_var)v;
            return true;
        }
    return false;
}

long ais_provsim_era5_param(ais_provsim_era5_var v)
{
    return (unsigned)v < AIS_PSE_COUNT ? VARS[v].param : 0;
}

/* ---- the simulated fields of a day ------------------------------------------------------- */

enum { STREAM_HUMIDITY = 0x4548, STREAM_RAIN };

void ais_provsim_era5_day_free(ais_provsim_era5_day *d)
{
    if (d == NULL)
        return;
    ais_met_grid_free(d->met);
    for (int k = 0; k < AIS_PROVSIM_ERA5_TIME_KNOTS; k++) {
        ais_provsim_knots_free(&d->humidity[k]);
        ais_provsim_knots_free(&d->rain[k]);
    }
    memset(d, 0, sizeof *d);
}

ais_status ais_provsim_era5_day_init(const ais_config *cfg, uint64_t seed, int64_t day,
                                     ais_provsim_era5_day *d, char *errbuf, size_t errsize)
{
    memset(d, 0, sizeof *d);
    d->seed = seed;
    d->day = day;
    ais_met_sim_params p;
    ais_status st = ais_met_sim_params_from_config(cfg, &p);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errsize,
                               "era5: era5.region (multiples of 0.25 degree), "
                               "era5.pressure_levels_hpa (descending) and simulate.seed are "
                               "required: %s",
                               ais_status_str(st));
    p.seed = seed;
    p.n_hours = 24;
    for (int h = 0; h < 24; h++)
        p.hours_utc[h] = h;
    if ((st = ais_met_simulate(&p, day, day + 23 * AIS_SECONDS_PER_HOUR, &d->met)) != AIS_OK)
        return ais_status_fail(st, errbuf, errsize,
                               "era5: no simulated field over era5.region (%g..%g E, %g..%g N "
                               "at 0.25 degree): %s",
                               p.west, p.east, p.south, p.north, ais_status_str(st));
    ais_bbox area = {.west = p.west, .east = p.east, .south = p.south, .north = p.north};
    int64_t knot0 = day / (KNOT_HOURS * AIS_SECONDS_PER_HOUR);
    for (int k = 0; st == AIS_OK && k < AIS_PROVSIM_ERA5_TIME_KNOTS; k++) {
        st = ais_provsim_knots_init(&d->humidity[k], seed, STREAM_HUMIDITY,
                                    (uint64_t)(knot0 + k), &area, 2.0);
        if (st == AIS_OK)
            st = ais_provsim_knots_init(&d->rain[k], seed, STREAM_RAIN, (uint64_t)(knot0 + k),
                                        &area, 1.0);
    }
    if (st != AIS_OK) {
        ais_provsim_era5_day_free(d);
        return ais_status_fail(st, errbuf, errsize, "era5: %s", ais_status_str(st));
    }
    return AIS_OK;
}

/* A smooth space-time field at hour it of the day, standardised (standard normal-ish). */
static double field_z(const ais_provsim_knots *knots, size_t it, double lat, double lon)
{
    size_t k = it / KNOT_HOURS;
    double f = (double)(it % KNOT_HOURS) / KNOT_HOURS;
    f = f * f * (3.0 - 2.0 * f);
    double sa, sb;
    double a = ais_provsim_knots_at(&knots[k], lat, lon, &sa);
    double b = ais_provsim_knots_at(&knots[k + 1], lat, lon, &sb);
    double sigma = sqrt((1.0 - f) * (1.0 - f) * sa * sa + f * f * sb * sb);
    return ((1.0 - f) * a + f * b) / sigma;
}

typedef struct place {
    double lat, lon;
    double summer;  /* 0 mid-January .. 1 mid-July */
    double local_h; /* local solar hour */
    double humid;   /* standardised humidity anomaly */
} place;

static place place_of(const ais_provsim_era5_day *d, size_t it, size_t j, size_t i)
{
    const ais_met_grid *g = d->met;
    place p = {.lat = ais_met_lat(g, j), .lon = ais_met_lon(g, i)};
    ais_civil_time c;
    double doy = ais_time_to_civil(g->times[it], &c) == AIS_OK ? (double)c.yday : 0.0;
    p.summer = 0.5 * (1.0 - cos(2.0 * PI * (doy - 14.0) / 365.25));
    p.local_h = fmod((double)it + p.lon / 15.0 + 48.0, 24.0);
    p.humid = field_z(d->humidity, it, p.lat, p.lon);
    return p;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* saturation vapour pressure over water, Pa (Bolton) */
static double e_sat(double t_k)
{
    return 611.2 * exp(17.67 * (t_k - 273.15) / (t_k - 29.65));
}

/* near-surface relative humidity: moister in the summer monsoon, driest mid-afternoon */
static double rh_surface(const place *p)
{
    return clamp(0.74 + 0.08 * p->summer - 0.12 * cos(2.0 * PI * (p->local_h - 14.0) / 24.0) +
                     0.08 * p->humid,
                 0.3, 0.98);
}

static double dewpoint(double t_k, double rh)
{
    const double a = 17.625, b = 243.04;
    double tc = t_k - 273.15;
    double gamma = log(rh) + a * tc / (b + tc);
    return b * gamma / (a - gamma) + 273.15;
}

static double boundary_layer(const place *p, double u10, double v10)
{
    double sun = fmax(0.0, sin(PI * (p->local_h - 6.5) / 12.0));
    double mixing = 100.0 + 35.0 * hypot(u10, v10);
    double convective = (700.0 + 600.0 * p->summer) * pow(sun, 1.5) * (1.0 - 0.15 * p->humid);
    return fmax(60.0, mixing + convective);
}

/* hourly precipitation, m: a rain field over a threshold lowest in summer afternoons */
static double rain(const ais_provsim_era5_day *d, const place *p, size_t it)
{
    double z = field_z(d->rain, it, p->lat, p->lon);
    double afternoon = fmax(0.0, cos(2.0 * PI * (p->local_h - 16.0) / 24.0));
    double threshold = 1.6 - 1.1 * p->summer - 0.4 * p->summer * afternoon;
    return fmax(0.0, z - threshold) * (0.0015 + 0.003 * p->summer);
}

static double specific_humidity(const place *p, double t_k, double p_pa)
{
    double rh_column = clamp(0.7 + 0.1 * p->summer + 0.1 * p->humid, 0.3, 0.95);
    double rh = clamp(rh_column * (0.25 + 0.75 * pow(p_pa / 100000.0, 3.0)), 0.03, 1.0);
    double e = rh * e_sat(t_k);
    return 0.622 * e / (p_pa - 0.378 * e);
}

double ais_provsim_era5_value(const ais_provsim_era5_day *d, ais_provsim_era5_var v, size_t it,
                              size_t k, size_t j, size_t i)
{
    const ais_met_grid *g = d->met;
    size_t plane = g->nx * g->ny, s = it * plane + j * g->nx + i;
    size_t q = (it * g->nz + k) * plane + j * g->nx + i;
    double zs = g->terrain_m[j * g->nx + i];
    double sp = g->sfc[AIS_MET_PSFC][s], t2m = g->sfc[AIS_MET_T2M][s];
    double u10 = g->sfc[AIS_MET_U10][s], v10 = g->sfc[AIS_MET_V10][s];
    place p;
    switch (v) {
    case AIS_PSE_U10: return u10;
    case AIS_PSE_V10: return v10;
    case AIS_PSE_SP: return sp;
    case AIS_PSE_T2M: return t2m;
    case AIS_PSE_ZSFC: return zs * AIS_MET_G0;
    case AIS_PSE_MSL: return sp * exp(AIS_MET_G0 * zs / (R_DRY * (t2m + 0.0065 * zs / 2.0)));
    case AIS_PSE_U: return g->upper[AIS_MET_U][q];
    case AIS_PSE_V: return g->upper[AIS_MET_V][q];
    case AIS_PSE_W: return g->upper[AIS_MET_W][q];
    case AIS_PSE_Z: return g->upper[AIS_MET_HGT][q] * AIS_MET_G0;
    case AIS_PSE_T: return g->upper[AIS_MET_T][q];
    default: break;
    }
    p = place_of(d, it, j, i);
    switch (v) {
    case AIS_PSE_D2M: return dewpoint(t2m, rh_surface(&p));
    case AIS_PSE_BLH: return boundary_layer(&p, u10, v10);
    case AIS_PSE_TP: return rain(d, &p, it);
    case AIS_PSE_Q:
        return specific_humidity(&p, g->upper[AIS_MET_T][q], g->levels_hpa[k] * 100.0);
    default: return NAN;
    }
}

/* ---- ais_provsim_era5 -------------------------------------------------------------------- */

#define MAX_LIST 32

/* A configured list of variables (era5.surface_vars or era5.pressure_vars). */
static ais_status var_list(const ais_config *cfg, const char *key, bool pressure,
                           ais_provsim_era5_var *out, size_t *n, char *errbuf, size_t errsize)
{
    if (ais_config_list_len(cfg, key, n) != AIS_OK || *n == 0 || *n > MAX_LIST)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "era5: %s must be a list of 1..%d variables", key, MAX_LIST);
    for (size_t i = 0; i < *n; i++) {
        char item[96];
        snprintf(item, sizeof item, "%s.%zu", key, i);
        const char *name = ais_config_get(cfg, item);
        if (!ais_provsim_era5_var_parse(name, pressure, &out[i]))
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                                   "era5: %s: '%s' is not a variable ais-provider-sim simulates "
                                   "(%s)",
                                   item, name != NULL ? name : "",
                                   pressure ? "u v w z t q" : "u10 v10 blh sp t2m d2m tp msl z");
    }
    return AIS_OK;
}

static ais_status hour_list(const ais_config *cfg, size_t *hours, size_t *n, char *errbuf,
                            size_t errsize)
{
    if (ais_config_list_len(cfg, "era5.pressure_hours_utc", n) != AIS_OK || *n == 0 || *n > 24)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "era5: era5.pressure_hours_utc must list 1..24 hours");
    for (size_t i = 0; i < *n; i++) {
        char item[64];
        long h;
        snprintf(item, sizeof item, "era5.pressure_hours_utc.%zu", i);
        if (ais_config_get_long(cfg, item, &h) != AIS_OK || h < 0 || h > 23)
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                                   "era5: %s must be an hour 0..23", item);
        hours[i] = (size_t)h;
    }
    return AIS_OK;
}

typedef struct era5_run {
    ais_provsim_era5_var surface[MAX_LIST], pressure[MAX_LIST];
    size_t n_surface, n_pressure;
    size_t hours[24], n_hours;
    char *single_dir, *pressure_dir;
    double *values; /* one field, rows north to south */
    ais_json_buf grib;
} era5_run;

/* Appends the field of v at hour it (and level k) to r->grib. */
static ais_status append_field(era5_run *r, const ais_provsim_era5_day *d,
                               ais_provsim_era5_var v, size_t it, size_t k, char *errbuf,
                               size_t errsize)
{
    const ais_met_grid *g = d->met;
    for (size_t row = 0; row < g->ny; row++)
        for (size_t i = 0; i < g->nx; i++)
            r->values[row * g->nx + i] = ais_provsim_era5_value(d, v, it, k, g->ny - 1 - row, i);
    ais_era5_grib_message m = {
        .param_id = VARS[v].param, .level_hpa = VARS[v].pressure ? lround(g->levels_hpa[k]) : 0,
        .valid_time = g->times[it], .accumulated = v == AIS_PSE_TP, .ni = g->nx, .nj = g->ny,
        .north = g->lat0 + (double)(g->ny - 1) * g->dlat, .west = g->lon0,
        .step_deg = g->dlon, .bits_per_value = PACKING_BITS, .values = r->values};
    return ais_era5_grib_append(&r->grib, &m, errbuf, errsize);
}

/* Writes r->grib to <dir>/<YYYY-MM-DD>.grib. */
static ais_status write_day_file(era5_run *r, const char *dir, int64_t day,
                                 ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    char date[AIS_TIME_ISO_SIZE], name[32], *path = NULL;
    ais_status st = ais_time_format_iso(day, date);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errsize, "era5: day %lld out of range", (long long)day);
    snprintf(name, sizeof name, "%.10s.grib", date);
    if ((st = ais_fs_path_join(dir, name, &path)) != AIS_OK)
        return st;
    if ((st = ais_fs_write_atomic(path, r->grib.data, r->grib.len)) != AIS_OK)
        st = ais_status_fail(st, errbuf, errsize, "era5: cannot write %s: %s", path,
                             strerror(errno));
    free(path);
    if (st == AIS_OK) {
        stats->files++;
        stats->bytes += r->grib.len;
    }
    r->grib.len = 0;
    return st;
}

static ais_status write_day(era5_run *r, const ais_provsim_request *req, int64_t day,
                            ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    ais_provsim_era5_day d;
    ais_status st = ais_provsim_era5_day_init(req->cfg, req->seed, day, &d, errbuf, errsize);
    if (st != AIS_OK)
        return st;
    const ais_met_grid *g = d.met;
    double *values = realloc(r->values, g->nx * g->ny * sizeof *values);
    if (values == NULL) {
        ais_provsim_era5_day_free(&d);
        return ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "era5: out of memory");
    }
    r->values = values;
    /* single levels: every hour, the variables in their configured order */
    for (size_t it = 0; st == AIS_OK && it < 24; it++)
        for (size_t v = 0; st == AIS_OK && v < r->n_surface; v++)
            st = append_field(r, &d, r->surface[v], it, 0, errbuf, errsize);
    if (st == AIS_OK)
        st = write_day_file(r, r->single_dir, day, stats, errbuf, errsize);
    /* pressure levels: the configured hours, levels and variables */
    for (size_t h = 0; st == AIS_OK && h < r->n_hours; h++)
        for (size_t k = 0; st == AIS_OK && k < g->nz; k++)
            for (size_t v = 0; st == AIS_OK && v < r->n_pressure; v++)
                st = append_field(r, &d, r->pressure[v], r->hours[h], k, errbuf, errsize);
    if (st == AIS_OK)
        st = write_day_file(r, r->pressure_dir, day, stats, errbuf, errsize);
    ais_provsim_era5_day_free(&d);
    return st;
}

ais_status ais_provsim_era5(const ais_provsim_request *req, ais_provsim_stats *stats,
                            char *errbuf, size_t errsize)
{
    era5_run r;
    memset(&r, 0, sizeof r);
    ais_status st = ais_provsim_check_request(req, stats, "era5", errbuf, errsize);
    if (st == AIS_OK)
        st = var_list(req->cfg, "era5.surface_vars", false, r.surface, &r.n_surface, errbuf,
                      errsize);
    if (st == AIS_OK)
        st = var_list(req->cfg, "era5.pressure_vars", true, r.pressure, &r.n_pressure, errbuf,
                      errsize);
    if (st == AIS_OK)
        st = hour_list(req->cfg, r.hours, &r.n_hours, errbuf, errsize);
    if (st == AIS_OK)
        st = ais_provsim_folder(req->out_dir, "era5/reanalysis-era5-single-levels",
                                &r.single_dir, errbuf, errsize);
    if (st == AIS_OK)
        st = ais_provsim_folder(req->out_dir, "era5/reanalysis-era5-pressure-levels",
                                &r.pressure_dir, errbuf, errsize);
    for (int64_t day = req->start; st == AIS_OK && day < req->end; day += AIS_SECONDS_PER_DAY)
        st = write_day(&r, req, day, stats, errbuf, errsize);
    free(r.single_dir);
    free(r.pressure_dir);
    free(r.values);
    free(r.grib.data);
    return st;
}
