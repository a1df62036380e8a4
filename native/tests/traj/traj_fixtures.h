/* Analytic meteorological grids for the trajectory tests.
 *
 * The reference atmosphere is isothermal (T = FX_T0) over flat ground at sea level with a
 * surface pressure of FX_PSFC: the geopotential height is FX_H * ln(FX_PSFC / p), linear in
 * ln p, so the grid's log-pressure interpolation reproduces it exactly. */
#ifndef AIS_TRAJ_FIXTURES_H
#define AIS_TRAJ_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "ais/met.h"

#define FX_T0 288.0
#define FX_PSFC 101325.0
#define FX_RD 287.05
#define FX_H (FX_RD * FX_T0 / AIS_MET_G0) /* scale height, m */
#define FX_PI 3.14159265358979323846
#define FX_T_REF INT64_C(1768435200)      /* 2026-01-15T00:00:00Z */

extern const double FX_LEVELS[7]; /* 1000 925 850 700 600 500 400 hPa */

/* A grid with the 7 levels, nt times every dt_s from t0, the isothermal atmosphere and zero
 * wind. Fails the test on error. */
ais_met_grid *fx_grid(size_t nx, size_t ny, double lon0, double lat0, double dlon, double dlat,
                      size_t nt, int64_t t0, int64_t dt_s);

/* Sets the same wind (u, v m/s; w Pa/s) at every level and time (u10, v10 too). */
void fx_uniform_wind(ais_met_grid *g, double u, double v, double w);

/* Sets the wind of time index it to (u, v, w) everywhere. */
void fx_uniform_wind_at(ais_met_grid *g, size_t it, double u, double v, double w);

/* Solid-body rotation of the sphere about the axis through the Earth's centre and (latc, lonc),
 * angular speed omega (rad/s, positive = anticlockwise seen from above the centre), added to
 * the wind of every level and time. */
void fx_add_rotation(ais_met_grid *g, double latc, double lonc, double omega);

/* The exact solid-body solution: the point (lat, lon) rotated by angle (rad) about
 * (latc, lonc). */
void fx_rotate_point(double latc, double lonc, double angle, double lat, double lon,
                     double *lat_out, double *lon_out);

/* Deterministic uniform numbers in [0, 1). */
double fx_unit(uint64_t *state);

#endif
