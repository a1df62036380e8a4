#include "ais/met_simulate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/timeutil.h"

#define PI 3.14159265358979323846
#define R_DRY 287.05   /* J/(kg K) */
#define LAPSE 0.0065   /* K/m */
#define KAPPA_L (R_DRY * LAPSE / AIS_MET_G0) /* exponent of the standard-atmosphere profile */
#define N_WAVES 5
#define SURGE_KNOT_H 96.0 /* cold surges: a new strength every four days */
#define REF_EPOCH INT64_C(946684800) /* 2000-01-01: keeps wave phases small */
#define F0 5.0e-5    /* Coriolis parameter near 20 N, 1/s */
#define RHO0 1.2     /* near-surface air density, kg/m3 */

enum stream { STREAM_WAVE = 1, STREAM_SURGE = 2 };

static uint64_t splitmix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* Uniform in [0, 1) from (seed, stream, k). */
static double unit_draw(uint64_t seed, uint64_t stream, uint64_t k)
{
    uint64_t h = splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ k);
    return (double)(h >> 11) * 0x1.0p-53;
}

static double smoothstep(double e0, double e1, double x)
{
    double s = (x - e0) / (e1 - e0);
    s = s < 0.0 ? 0.0 : s > 1.0 ? 1.0 : s;
    return s * s * (3.0 - 2.0 * s);
}

typedef struct wave {
    double kx, ky;  /* 1/m */
    double amp;     /* stream function amplitude, m2/s */
    double omega;   /* 1/s */
    double phase;
} wave;

typedef struct massif {
    double lat, lon, height, sig_lat, sig_lon;
} massif;

static const massif MASSIFS[] = {
    {34.0, 96.0, 4500.0, 3.0, 4.0},  /* Tibetan plateau edge */
    {26.0, 103.0, 1900.0, 2.0, 3.5}, /* Yunnan-Guizhou plateau */
    {22.3, 103.8, 1500.0, 0.6, 0.6}, /* Hoang Lien Son */
    {20.5, 102.5, 1100.0, 1.2, 1.2}, /* northern Laos highlands */
    {21.0, 97.5, 1000.0, 2.0, 1.5},  /* Shan plateau */
    {18.5, 105.5, 900.0, 0.6, 0.6},  /* Truong Son (Annamite) chain ... */
    {17.0, 106.3, 900.0, 0.6, 0.6},
    {15.5, 107.5, 900.0, 0.6, 0.6},
    {14.0, 108.0, 900.0, 0.6, 0.6},
    {12.5, 108.2, 700.0, 1.0, 1.0},  /* Central Highlands */
    {19.2, 109.7, 500.0, 0.4, 0.4},  /* Hainan */
};

static double terrain_at(double lat, double lon)
{
    double h = 0.0;
    for (size_t m = 0; m < sizeof MASSIFS / sizeof MASSIFS[0]; m++) {
        double a = (lat - MASSIFS[m].lat) / MASSIFS[m].sig_lat;
        double b = (lon - MASSIFS[m].lon) / MASSIFS[m].sig_lon;
        h += MASSIFS[m].height * exp(-0.5 * (a * a + b * b));
    }
    return h;
}

static void make_waves(uint64_t seed, wave w[N_WAVES])
{
    for (int m = 0; m < N_WAVES; m++) {
        uint64_t base = (uint64_t)m * 8;
        double wavelength = 1.5e6 + 2.5e6 * unit_draw(seed, STREAM_WAVE, base);
        double theta = (unit_draw(seed, STREAM_WAVE, base + 1) - 0.5) * (80.0 * PI / 180.0);
        double speed = 2.0 + 4.0 * unit_draw(seed, STREAM_WAVE, base + 2); /* wind amplitude */
        double celerity = 4.0 + 6.0 * unit_draw(seed, STREAM_WAVE, base + 3); /* eastward, m/s */
        double k = 2.0 * PI / wavelength;
        w[m].kx = k * cos(theta);
        w[m].ky = k * sin(theta);
        w[m].amp = speed / k;
        w[m].omega = celerity * w[m].kx;
        w[m].phase = 2.0 * PI * unit_draw(seed, STREAM_WAVE, base + 4);
    }
}

/* Cold-surge strength 0.6..1.6: random knots every SURGE_KNOT_H hours, cosine-interpolated. */
static double surge_at(uint64_t seed, double hours)
{
    double k = floor(hours / SURGE_KNOT_H);
    double f = hours / SURGE_KNOT_H - k;
    uint64_t kk = (uint64_t)(int64_t)k;
    double a = unit_draw(seed, STREAM_SURGE, kk), b = unit_draw(seed, STREAM_SURGE, kk + 1);
    double s = (1.0 - cos(PI * f)) / 2.0;
    return 0.6 + 1.0 * (a + (b - a) * s);
}

/* Per-time state shared by all grid points. */
typedef struct moment {
    double season; /* 1 mid-January .. 0 mid-July */
    double surge;
    double tsec;   /* seconds since REF_EPOCH */
    double utc_hour;
} moment;

/* Wave perturbation at (x, y): wind (u', v'), stream function and its quadrature sum. */
static void waves_at(const wave *w, double tsec, double x, double y, double *up, double *vp,
                     double *psi, double *quad)
{
    *up = *vp = *psi = *quad = 0.0;
    for (int m = 0; m < N_WAVES; m++) {
        double ph = w[m].kx * x + w[m].ky * y - w[m].omega * tsec + w[m].phase;
        double c = cos(ph), s = sin(ph);
        *up += -w[m].amp * w[m].ky * c;
        *vp += w[m].amp * w[m].kx * c;
        *psi += w[m].amp * s;
        *quad += c * w[m].amp * sqrt(w[m].kx * w[m].kx + w[m].ky * w[m].ky);
    }
}

/* Large-scale wind at pressure p (hPa) and latitude lat (no waves). */
static void base_wind(const moment *mo, double lat, double p, double *u, double *v)
{
    double ws = mo->season;
    /* low levels: NE monsoon in winter (weaker north of 27 N), SW monsoon in summer */
    double g = 1.0 - 0.7 * smoothstep(27.0, 35.0, lat);
    double h = 1.2 - 0.6 * smoothstep(10.0, 30.0, lat);
    double lu = ws * (-5.5 * mo->surge * g) + (1.0 - ws) * (7.0 * h);
    double lv = ws * (-5.0 * mo->surge * g) + (1.0 - ws) * (3.5 * h);
    /* upper levels (values at 400 hPa): winter subtropical jet near 31 N, weak summer flow */
    double jw = 12.0 + 25.0 * exp(-pow((lat - 31.0) / 5.5, 2.0));
    double js = -4.0 + 9.0 * exp(-pow((lat - 33.0) / 5.0, 2.0));
    double depth = (1000.0 - p) / 600.0;
    double upper_scale = depth < 0.3 ? 0.3 : depth > 1.0 ? 1.0 : depth;
    double uu = (ws * jw + (1.0 - ws) * js) * upper_scale;
    double a = smoothstep(0.0, 1.0, (1000.0 - p) / 500.0);
    *u = (1.0 - a) * lu + a * uu;
    *v = (1.0 - a) * lv;
}

static double wave_weight(double p)
{
    double d = (1000.0 - p) / 600.0;
    return 0.5 + 0.5 * (d < 0.0 ? 0.0 : d > 1.0 ? 1.0 : d);
}

ais_status ais_met_simulate(const ais_met_sim_params *params, int64_t start, int64_t end,
                            ais_met_grid **out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    if (params == NULL || !(params->grid_deg > 0.0) || params->n_levels < 1 ||
        params->n_levels > AIS_MET_MAX_LEVELS || params->n_hours < 1 ||
        params->n_hours > AIS_MET_SIM_MAX_HOURS || end < start)
        return AIS_ERR_INVALID_ARG;
    double fx = (params->east - params->west) / params->grid_deg;
    double fy = (params->north - params->south) / params->grid_deg;
    if (!(fx >= 1.0 && fy >= 1.0) || fabs(fx - round(fx)) > 1e-6 || fabs(fy - round(fy)) > 1e-6 ||
        fx >= AIS_MET_MAX_POINTS || fy >= AIS_MET_MAX_POINTS)
        return AIS_ERR_INVALID_ARG;
    int hours_seen[24] = {0};
    for (size_t h = 0; h < params->n_hours; h++) {
        if (params->hours_utc[h] < 0 || params->hours_utc[h] > 23)
            return AIS_ERR_INVALID_ARG;
        hours_seen[params->hours_utc[h]] = 1;
    }

    /* analysis times in [start, end] */
    int64_t day0 = start - ((start % AIS_SECONDS_PER_DAY) + AIS_SECONDS_PER_DAY) %
                               AIS_SECONDS_PER_DAY;
    size_t nt = 0;
    for (int64_t t = day0; t <= end; t += AIS_SECONDS_PER_HOUR)
        if (t >= start && hours_seen[((t - day0) / AIS_SECONDS_PER_HOUR) % 24])
            nt++;
    if (nt == 0 || nt > 1000000)
        return AIS_ERR_INVALID_ARG;
    int64_t *times = malloc(nt * sizeof *times);
    if (times == NULL)
        return AIS_ERR_NOMEM;
    size_t n = 0;
    for (int64_t t = day0; t <= end; t += AIS_SECONDS_PER_HOUR)
        if (t >= start && hours_seen[((t - day0) / AIS_SECONDS_PER_HOUR) % 24])
            times[n++] = t;

    ais_met_dims dims = {.nx = (size_t)round(fx) + 1, .ny = (size_t)round(fy) + 1,
                         .nz = params->n_levels, .nt = nt, .lon0 = params->west,
                         .lat0 = params->south, .dlon = params->grid_deg,
                         .dlat = params->grid_deg, .levels_hpa = params->levels_hpa,
                         .times = times};
    ais_met_grid *g = NULL;
    ais_status st = ais_met_grid_new(&dims, &g);
    free(times);
    if (st != AIS_OK)
        return st;
    ais_met_set_source(g, AIS_MET_SOURCE_SIMULATED);

    wave waves[N_WAVES];
    make_waves(params->seed, waves);
    size_t nxy = g->nx * g->ny;
    double cos_ref = cos(20.0 * PI / 180.0);
    for (size_t j = 0; j < g->ny; j++)
        for (size_t i = 0; i < g->nx; i++)
            g->terrain_m[j * g->nx + i] = (float)terrain_at(ais_met_lat(g, j), ais_met_lon(g, i));

    for (size_t it = 0; it < g->nt; it++) {
        ais_civil_time c;
        if ((st = ais_time_to_civil(g->times[it], &c)) != AIS_OK) {
            ais_met_grid_free(g);
            return st;
        }
        moment mo;
        mo.season = 0.5 * (1.0 + cos(2.0 * PI * ((double)c.yday - 14.0) / 365.25));
        mo.tsec = (double)(g->times[it] - REF_EPOCH);
        mo.surge = surge_at(params->seed, mo.tsec / 3600.0);
        mo.utc_hour = (double)c.hour + (double)c.minute / 60.0;
        for (size_t j = 0; j < g->ny; j++) {
            double lat = ais_met_lat(g, j);
            double y = AIS_MET_EARTH_RADIUS_M * (lat - 20.0) * PI / 180.0;
            double tmsl = 303.0 - 3.0 * mo.season -
                          (lat > 10.0 ? lat - 10.0 : 0.0) * (0.15 + 0.6 * mo.season);
            double pmsl_base = 1010.0 + mo.season * (8.0 + 0.5 * (lat - 20.0)) -
                               (1.0 - mo.season) * (4.0 + 0.2 * (lat - 20.0));
            for (size_t i = 0; i < g->nx; i++) {
                double lon = ais_met_lon(g, i);
                double x = AIS_MET_EARTH_RADIUS_M * cos_ref * (lon - 105.0) * PI / 180.0;
                double up, vp, psi, quad;
                waves_at(waves, mo.tsec, x, y, &up, &vp, &psi, &quad);
                /* geostrophic pressure anomaly of the low-level waves */
                double pmsl = pmsl_base + RHO0 * F0 * psi * wave_weight(1000.0) / 100.0;
                double zs = g->terrain_m[j * g->nx + i];
                double psfc = pmsl * pow(1.0 - LAPSE * zs / tmsl, 1.0 / KAPPA_L);
                double local_h = mo.utc_hour + lon / 15.0;
                double diurnal = 3.0 * cos(2.0 * PI * (local_h - 14.0) / 24.0);
                size_t s = it * nxy + j * g->nx + i;
                g->sfc[AIS_MET_PSFC][s] = (float)(psfc * 100.0);
                g->sfc[AIS_MET_T2M][s] = (float)(tmsl - LAPSE * zs + diurnal);
                double u0, v0;
                base_wind(&mo, lat, 1000.0, &u0, &v0);
                g->sfc[AIS_MET_U10][s] = (float)(0.7 * (u0 + up * wave_weight(1000.0)));
                g->sfc[AIS_MET_V10][s] = (float)(0.7 * (v0 + vp * wave_weight(1000.0)));
                double omega_mean = (mo.season * 0.04 - (1.0 - mo.season) * 0.05);
                double omega_wave = 0.12 * quad / (sqrt((double)N_WAVES) * 4.0);
                for (size_t k = 0; k < g->nz; k++) {
                    double p = g->levels_hpa[k];
                    double ratio = pow(p / pmsl, KAPPA_L);
                    double u, v;
                    base_wind(&mo, lat, p, &u, &v);
                    double ww = wave_weight(p);
                    double shape = p < psfc ? sin(PI * (psfc - p) / (psfc - 200.0)) : 0.0;
                    size_t q = (it * g->nz + k) * nxy + j * g->nx + i;
                    g->upper[AIS_MET_U][q] = (float)(u + up * ww);
                    g->upper[AIS_MET_V][q] = (float)(v + vp * ww);
                    g->upper[AIS_MET_W][q] = (float)((omega_mean + omega_wave) * shape);
                    g->upper[AIS_MET_HGT][q] = (float)(tmsl / LAPSE * (1.0 - ratio));
                    g->upper[AIS_MET_T][q] = (float)(tmsl * ratio);
                }
            }
        }
    }
    *out = g;
    return AIS_OK;
}

/* A configured number, with AIS_ERR_CONFIG_INVALID for text that is not one. */
static ais_status config_double(const ais_config *cfg, const char *key, double *out)
{
    ais_status st = ais_config_get_double(cfg, key, out);
    return st == AIS_ERR_TYPE ? AIS_ERR_CONFIG_INVALID : st;
}

ais_status ais_met_sim_params_from_config(const ais_config *cfg, ais_met_sim_params *out)
{
    if (cfg == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_met_sim_params p;
    memset(&p, 0, sizeof p);
    long seed;
    ais_status st = ais_config_get_long(cfg, "simulate.seed", &seed);
    if (st != AIS_OK)
        return st == AIS_ERR_KEY_NOT_FOUND ? st : AIS_ERR_CONFIG_INVALID;
    if (seed < 0)
        return AIS_ERR_CONFIG_INVALID;
    p.seed = (uint64_t)seed;
    if ((st = config_double(cfg, "era5.region.west", &p.west)) != AIS_OK ||
        (st = config_double(cfg, "era5.region.east", &p.east)) != AIS_OK ||
        (st = config_double(cfg, "era5.region.south", &p.south)) != AIS_OK ||
        (st = config_double(cfg, "era5.region.north", &p.north)) != AIS_OK)
        return st;
    p.grid_deg = 0.25;
    size_t n;
    if ((st = ais_config_list_len(cfg, "era5.pressure_levels_hpa", &n)) != AIS_OK)
        return st == AIS_ERR_TYPE ? AIS_ERR_CONFIG_INVALID : st;
    if (n < 1 || n > AIS_MET_MAX_LEVELS)
        return AIS_ERR_CONFIG_INVALID;
    for (size_t k = 0; k < n; k++) {
        char key[64];
        snprintf(key, sizeof key, "era5.pressure_levels_hpa.%zu", k);
        if ((st = config_double(cfg, key, &p.levels_hpa[k])) != AIS_OK)
            return st;
        if (!(p.levels_hpa[k] > 0.0) || (k > 0 && !(p.levels_hpa[k] < p.levels_hpa[k - 1])))
            return AIS_ERR_CONFIG_INVALID;
    }
    p.n_levels = n;
    if ((st = ais_config_list_len(cfg, "era5.pressure_hours_utc", &n)) != AIS_OK)
        return st == AIS_ERR_TYPE ? AIS_ERR_CONFIG_INVALID : st;
    if (n < 1 || n > AIS_MET_SIM_MAX_HOURS)
        return AIS_ERR_CONFIG_INVALID;
    for (size_t h = 0; h < n; h++) {
        char key[64];
        long hour;
        snprintf(key, sizeof key, "era5.pressure_hours_utc.%zu", h);
        if ((st = ais_config_get_long(cfg, key, &hour)) != AIS_OK)
            return st == AIS_ERR_KEY_NOT_FOUND ? st : AIS_ERR_CONFIG_INVALID;
        if (hour < 0 || hour > 23)
            return AIS_ERR_CONFIG_INVALID;
        p.hours_utc[h] = (int)hour;
    }
    p.n_hours = n;
    if (!(p.west < p.east) || !(p.south < p.north) || p.south < -90.0 || p.north > 90.0)
        return AIS_ERR_CONFIG_INVALID;
    *out = p;
    return AIS_OK;
}
