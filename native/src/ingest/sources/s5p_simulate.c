/* Simulated Sentinel-5P products (model in ais/s5p.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/noise.h"
#include "ais/s5p.h"
#include "ais/timeutil.h"

#define PI 3.14159265358979323846
#define ORBIT_REF 1583199347 /* 2020-03-03T01:35:47Z, start of orbit 12367 */
#define ORBIT_REF_NUMBER 12367
#define ORBIT_SECONDS 6083.0

enum { STREAM_TIME = 0x5350, STREAM_SYN, STREAM_CELL, STREAM_CLOUD, STREAM_COUNT, STREAM_BOX };

typedef struct product_model {
    double background; /* regional value in the product's unit */
    double urban;      /* added at a city centre (Gaussian, 0.35 degree) */
    double noise;      /* pixel-mean noise of a 0.25 degree cell */
    const char *unit;
} product_model;

static double gauss(double lat, double lon, double lat0, double lon0, double sigma)
{
    double d2 = (lat - lat0) * (lat - lat0) + (lon - lon0) * (lon - lon0);
    return exp(-d2 / (2.0 * sigma * sigma));
}

static product_model model(ais_s5p_product p, double doy)
{
    double winter = cos(2.0 * PI * (doy - 15.0) / 365.25);      /* +1 mid-January */
    double burning = exp(-pow((doy - 80.0) / 28.0, 2.0));       /* March peak */
    switch (p) {
    case AIS_S5P_NO2:
        return (product_model){2.0e-5 * (1.0 + 0.3 * winter), 9.0e-5 * (1.0 + 0.45 * winter),
                               1.2e-5, "mol m-2"};
    case AIS_S5P_CO:
        return (product_model){0.029 + 0.003 * winter + 0.009 * burning, 0.005, 0.0015,
                               "mol m-2"};
    case AIS_S5P_SO2:
        return (product_model){4.0e-5, 1.6e-4 * (1.0 + 0.3 * winter), 2.0e-4, "mol m-2"};
    case AIS_S5P_O3:
        return (product_model){0.125 + 0.012 * cos(2.0 * PI * (doy - 110.0) / 365.25), 0.0,
                               0.0015, "mol m-2"};
    case AIS_S5P_AER_AI:
    default:
        return (product_model){-0.6 + 1.6 * burning + 0.2 * winter, 0.25, 0.35, "1"};
    }
}

/* The simulated field at a point for one product and day (without the cell noise). */
static double field(uint64_t seed, ais_s5p_product p, int64_t day, double doy, double lat,
                    double lon)
{
    product_model m = model(p, doy);
    double t_h = (double)day / 3600.0;
    double syn = ais_noise_value(seed, STREAM_SYN, (uint64_t)p, t_h, 72.0, AIS_KNOT_NORMAL);
    double urban = gauss(lat, lon, 21.03, 105.85, 0.35) + 0.8 * gauss(lat, lon, 10.8, 106.7, 0.35);
    double v = m.background + m.urban * urban * exp(0.3 * syn);
    if (p == AIS_S5P_AER_AI) /* smoke from the north-west in the burning season */
        v += 0.8 * exp(-pow((doy - 80.0) / 28.0, 2.0)) * gauss(lat, lon, 20.0, 101.0, 3.0);
    else if (p != AIS_S5P_SO2)
        v *= exp(0.12 * syn);
    return v;
}

/* Clear sky for a 1-degree patch on a day (clouds come in patches). */
static bool clear(uint64_t seed, int64_t day, double doy, double lat, double lon)
{
    double share = 0.55 - 0.3 * cos(2.0 * PI * (doy - 20.0) / 365.25); /* wettest in summer */
    uint64_t patch = (uint64_t)((long)floor(lat + 90.0) * 1000 + (long)floor(lon + 180.0));
    return ais_noise_uniform(seed, STREAM_CLOUD, (uint64_t)(day / AIS_SECONDS_PER_DAY), patch) <
           share;
}

static double day_of_year(int64_t day)
{
    ais_civil_time c;
    return ais_time_to_civil(day, &c) == AIS_OK ? (double)c.yday : 0.0;
}

ais_s5p_sim_state ais_s5p_sim_pixel(uint64_t seed, ais_s5p_product p, int64_t day, double lat,
                                    double lon, double *value)
{
    double doy = day_of_year(day);
    uint64_t dn = (uint64_t)(day / AIS_SECONDS_PER_DAY);
    uint64_t key = (uint64_t)(llround(lat * 1000.0) * 1000000 + llround(lon * 1000.0));
    *value = field(seed, p, day, doy, lat, lon) +
             2.5 * model(p, doy).noise * ais_noise_normalish(seed, STREAM_BOX, dn, key + 1);
    if (!clear(seed, day, doy, lat, lon))
        return AIS_S5P_SIM_CLOUDY;
    return ais_noise_uniform(seed, STREAM_BOX, dn, key) > 0.9 ? AIS_S5P_SIM_FAILED
                                                               : AIS_S5P_SIM_GOOD;
}

ais_status ais_s5p_sim_meta(uint64_t seed, ais_s5p_product p, int64_t day, ais_s5p_meta *m)
{
    memset(m, 0, sizeof *m);
    uint64_t dn = (uint64_t)(day / AIS_SECONDS_PER_DAY);
    m->product = p;
    int64_t start = day + 5 * 3600 + 50 * 60 +
                    (int64_t)(1200.0 * ais_noise_uniform(seed, STREAM_TIME, dn, 0));
    m->sensing_start = start;
    m->sensing_end = start + 50 * 60;
    m->created = day + AIS_SECONDS_PER_DAY + 3 * 3600;
    m->orbit = ORBIT_REF_NUMBER + (long)floor((double)(start - ORBIT_REF) / ORBIT_SECONDS);
    snprintf(m->mode, sizeof m->mode, "SIMU");
    snprintf(m->processor_version, sizeof m->processor_version, "simulated");
    char field6[7], a[AIS_TIME_COMPACT_SIZE], b[AIS_TIME_COMPACT_SIZE], k[AIS_TIME_COMPACT_SIZE];
    snprintf(field6, sizeof field6, "%s______", ais_s5p_product_name(p));
    ais_status st;
    if ((st = ais_time_format_compact(m->sensing_start, a)) != AIS_OK ||
        (st = ais_time_format_compact(m->sensing_end, b)) != AIS_OK ||
        (st = ais_time_format_compact(m->created, k)) != AIS_OK)
        return st;
    a[15] = b[15] = k[15] = '\0'; /* drop the Z, as in S5P names */
    snprintf(m->product_id, sizeof m->product_id, "S5P_SIMU_L2__%s_%s_%s_%05ld_00_000000_%s",
             field6, a, b, m->orbit, k);
    snprintf(m->product_name, sizeof m->product_name, "%s.nc", m->product_id);
    return AIS_OK;
}

static ais_status sim_result(uint64_t seed, const ais_s5p_options *o, ais_s5p_product p,
                             int64_t day, ais_s5p_result *r)
{
    memset(r, 0, sizeof *r);
    ais_civil_time c;
    ais_status st = ais_time_to_civil(day, &c);
    if (st == AIS_OK)
        st = ais_s5p_sim_meta(seed, p, day, &r->meta);
    if (st != AIS_OK)
        return st;
    double doy = (double)c.yday;
    uint64_t dn = (uint64_t)(day / AIS_SECONDS_PER_DAY);
    product_model pm = model(p, doy);
    snprintf(r->unit, sizeof r->unit, "%s", pm.unit);
    r->qa_threshold = o->qa_min[p];
    r->grid_deg = o->grid_deg;

    /* the box: ~5.5 x 3.5 km pixels, sampled on a 0.05 degree lattice */
    const double step = AIS_S5P_SIM_PIXEL_DEG;
    for (double la = o->box.south + step / 2; la <= o->box.north; la += step)
        for (double lo = o->box.west + step / 2; lo <= o->box.east; lo += step) {
            double v;
            r->total++;
            if (ais_s5p_sim_pixel(seed, p, day, la, lo, &v) == AIS_S5P_SIM_GOOD)
                ais_stat_add(&r->stats, v);
        }
    if (!o->grid[p])
        return AIS_OK;
    double d = o->grid_deg;
    long i0 = (long)floor(o->grid_area.south / d), i1 = (long)floor(o->grid_area.north / d);
    long j0 = (long)floor(o->grid_area.west / d), j1 = (long)floor(o->grid_area.east / d);
    size_t cap = (size_t)((i1 - i0 + 1) * (j1 - j0 + 1));
    if (cap > AIS_S5P_MAX_GRID_CELLS)
        return AIS_ERR_RANGE;
    r->cells = malloc(cap * sizeof *r->cells);
    if (r->cells == NULL)
        return AIS_ERR_NOMEM;
    for (long i = i0; i <= i1; i++)
        for (long j = j0; j <= j1; j++) {
            double la = ((double)i + 0.5) * d, lo = ((double)j + 0.5) * d;
            if (!clear(seed, day, doy, la, lo))
                continue;
            uint64_t key = (uint64_t)((i + 100000) * 1000000 + (j + 100000));
            uint64_t count = 12 + (uint64_t)(28.0 * ais_noise_uniform(seed, STREAM_COUNT, dn, key));
            double v = field(seed, p, day, doy, la, lo) +
                       pm.noise * ais_noise_normalish(seed, STREAM_CELL, dn, key * 8 + (uint64_t)p);
            r->cells[r->n_cells++] = (ais_s5p_cell){.lat = la, .lon = lo,
                                                    .sum = v * (double)count, .count = count};
            r->grid_pixels += count;
        }
    return AIS_OK;
}

ais_status ais_s5p_simulate(uint64_t seed, const ais_s5p_options *opts, const ais_envelope *env,
                            const ais_sink *sink, uint64_t *events_out)
{
    if (opts == NULL || env == NULL || sink == NULL || events_out == NULL)
        return AIS_ERR_INVALID_ARG;
    *events_out = 0;
    int64_t first = env->window_start - (env->window_start % AIS_SECONDS_PER_DAY +
                                         AIS_SECONDS_PER_DAY) % AIS_SECONDS_PER_DAY;
    for (int64_t day = first; day < env->window_end; day += AIS_SECONDS_PER_DAY) {
        for (int p = 0; p < AIS_S5P_PRODUCTS; p++) {
            if (!opts->enabled[p])
                continue;
            ais_s5p_result r;
            ais_status st = sim_result(seed, opts, (ais_s5p_product)p, day, &r);
            json_t *ev = NULL;
            bool in_window = r.meta.sensing_start >= env->window_start &&
                             r.meta.sensing_start < env->window_end;
            if (st == AIS_OK && in_window)
                st = ais_s5p_event_new(env, &r, NULL, r.meta.created, &ev);
            if (st == AIS_OK && in_window)
                st = ais_sink_write(sink, ev);
            json_decref(ev);
            ais_s5p_result_free(&r);
            if (st != AIS_OK)
                return st;
            *events_out += in_window;
        }
    }
    return AIS_OK;
}
