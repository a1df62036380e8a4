#include "traj_fixtures.h"

#include <math.h>

#include "testutil.h"

const double FX_LEVELS[7] = {1000, 925, 850, 700, 600, 500, 400};

ais_met_grid *fx_grid(size_t nx, size_t ny, double lon0, double lat0, double dlon, double dlat,
                      size_t nt, int64_t t0, int64_t dt_s)
{
    int64_t times[64];
    assert_true(nt <= 64);
    for (size_t t = 0; t < nt; t++)
        times[t] = t0 + (int64_t)t * dt_s;
    ais_met_dims d = {.nx = nx, .ny = ny, .nz = 7, .nt = nt, .lon0 = lon0, .lat0 = lat0,
                      .dlon = dlon, .dlat = dlat, .levels_hpa = FX_LEVELS, .times = times};
    ais_met_grid *g = NULL;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_OK);
    assert_int_equal(ais_met_set_source(g, "TEST"), AIS_OK);
    size_t nxy = nx * ny;
    for (size_t t = 0; t < nt; t++) {
        for (size_t q = 0; q < nxy; q++) {
            g->sfc[AIS_MET_PSFC][t * nxy + q] = (float)FX_PSFC;
            g->sfc[AIS_MET_T2M][t * nxy + q] = (float)FX_T0;
        }
        for (size_t k = 0; k < 7; k++) {
            float h = (float)(FX_H * log(FX_PSFC / (FX_LEVELS[k] * 100.0)));
            for (size_t q = 0; q < nxy; q++) {
                g->upper[AIS_MET_HGT][(t * 7 + k) * nxy + q] = h;
                g->upper[AIS_MET_T][(t * 7 + k) * nxy + q] = (float)FX_T0;
            }
        }
    }
    return g;
}

void fx_uniform_wind_at(ais_met_grid *g, size_t it, double u, double v, double w)
{
    size_t nxy = g->nx * g->ny;
    for (size_t q = 0; q < nxy; q++) {
        g->sfc[AIS_MET_U10][it * nxy + q] = (float)u;
        g->sfc[AIS_MET_V10][it * nxy + q] = (float)v;
    }
    for (size_t k = 0; k < g->nz; k++)
        for (size_t q = 0; q < nxy; q++) {
            size_t idx = (it * g->nz + k) * nxy + q;
            g->upper[AIS_MET_U][idx] = (float)u;
            g->upper[AIS_MET_V][idx] = (float)v;
            g->upper[AIS_MET_W][idx] = (float)w;
        }
}

void fx_uniform_wind(ais_met_grid *g, double u, double v, double w)
{
    for (size_t t = 0; t < g->nt; t++)
        fx_uniform_wind_at(g, t, u, v, w);
}

static void unit_vector(double lat, double lon, double r[3])
{
    double p = lat * FX_PI / 180.0, l = lon * FX_PI / 180.0;
    r[0] = cos(p) * cos(l);
    r[1] = cos(p) * sin(l);
    r[2] = sin(p);
}

void fx_add_rotation(ais_met_grid *g, double latc, double lonc, double omega)
{
    double c[3];
    unit_vector(latc, lonc, c);
    size_t nxy = g->nx * g->ny;
    for (size_t j = 0; j < g->ny; j++)
        for (size_t i = 0; i < g->nx; i++) {
            double lat = ais_met_lat(g, j), lon = ais_met_lon(g, i), r[3];
            unit_vector(lat, lon, r);
            /* V = omega * R * (c x r) */
            double vx = c[1] * r[2] - c[2] * r[1];
            double vy = c[2] * r[0] - c[0] * r[2];
            double vz = c[0] * r[1] - c[1] * r[0];
            double p = lat * FX_PI / 180.0, l = lon * FX_PI / 180.0;
            double east[3] = {-sin(l), cos(l), 0.0};
            double north[3] = {-sin(p) * cos(l), -sin(p) * sin(l), cos(p)};
            double s = omega * AIS_MET_EARTH_RADIUS_M;
            double u = s * (vx * east[0] + vy * east[1] + vz * east[2]);
            double v = s * (vx * north[0] + vy * north[1] + vz * north[2]);
            for (size_t t = 0; t < g->nt; t++) {
                size_t q = t * nxy + j * g->nx + i;
                g->sfc[AIS_MET_U10][q] += (float)u;
                g->sfc[AIS_MET_V10][q] += (float)v;
                for (size_t k = 0; k < g->nz; k++) {
                    size_t idx = (t * g->nz + k) * nxy + j * g->nx + i;
                    g->upper[AIS_MET_U][idx] += (float)u;
                    g->upper[AIS_MET_V][idx] += (float)v;
                }
            }
        }
}

void fx_rotate_point(double latc, double lonc, double angle, double lat, double lon,
                     double *lat_out, double *lon_out)
{
    double c[3], r[3], out[3];
    unit_vector(latc, lonc, c);
    unit_vector(lat, lon, r);
    /* Rodrigues: r cos a + (c x r) sin a + c (c.r)(1 - cos a) */
    double cr[3] = {c[1] * r[2] - c[2] * r[1], c[2] * r[0] - c[0] * r[2],
                    c[0] * r[1] - c[1] * r[0]};
    double dot = c[0] * r[0] + c[1] * r[1] + c[2] * r[2];
    for (int k = 0; k < 3; k++)
        out[k] = r[k] * cos(angle) + cr[k] * sin(angle) + c[k] * dot * (1.0 - cos(angle));
    *lat_out = asin(out[2]) * 180.0 / FX_PI;
    *lon_out = atan2(out[1], out[0]) * 180.0 / FX_PI;
}

double fx_unit(uint64_t *state)
{
    uint64_t x = (*state += UINT64_C(0x9E3779B97F4A7C15));
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    x ^= x >> 31;
    return (double)(x >> 11) * 0x1.0p-53;
}
