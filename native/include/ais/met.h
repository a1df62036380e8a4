/* An in-memory meteorological grid on pressure levels, and its interpolation.
 *
 * The grid is what ERA5 pressure-level data (or an ARL file read back, or the simulated field)
 * looks like once decoded: a regular latitude/longitude grid, nz pressure levels from the bottom
 * up, and nt analysis times (hourly, 6-hourly or any strictly increasing sequence).
 *
 *   upper fields, nt x nz x ny x nx:  u, v (m/s), w (omega, Pa/s as ERA5 gives it, positive
 *                                     downward), hgt (geopotential height in m = ERA5 z in m2/s2
 *                                     divided by AIS_MET_G0), t (K)
 *   surface fields, nt x ny x nx:     psfc (Pa), t2m (K), u10, v10 (m/s)
 *   terrain, ny x nx (time-invariant): m above mean sea level (ERA5 surface z / AIS_MET_G0)
 *
 * Index of an upper value: ((it * nz + k) * ny + j) * nx + i; of a surface value:
 * (it * ny + j) * nx + i. i runs west to east from lon0, j south to north from lat0, k from the
 * highest pressure (the bottom level) upward. The arrays are float: the data come from ERA5 or
 * ARL files whose precision is far below float's.
 *
 * Interpolation (ais_met_interp) is linear in longitude, latitude and time, and linear in
 * ln(pressure) in the vertical. Each grid column is treated as the surface (at psfc, with
 * hgt = terrain, u10, v10, w = 0, t2m) followed by the pressure levels above the ground; levels
 * with a pressure at or above the column's surface pressure are below ground and skipped. A
 * pressure at or above the surface pressure of a column takes that column's surface values.
 *
 * Limits: the grid is regional, not periodic (no wrap at the date line or the poles); nx and ny
 * are at least 2 (bilinear interpolation needs a cell); the top level bounds the vertical domain.
 *
 * Ownership: ais_met_grid_new allocates everything (zero-filled) and ais_met_grid_free releases
 * it. The dimensions, levels and times of a grid must not be changed after creation; the values
 * may be written directly or through ais_met_set / ais_met_set_sfc / ais_met_set_terrain. A grid
 * that is not modified may be read from several threads at once. */
#ifndef AIS_MET_H
#define AIS_MET_H

#include <stddef.h>
#include <stdint.h>

#include "ais/status.h"

#define AIS_MET_G0 9.80665              /* standard gravity, m/s2 (geopotential -> height) */
#define AIS_MET_EARTH_RADIUS_M 6371000.0 /* mean Earth radius, m */
#define AIS_MET_MAX_POINTS 999          /* nx and ny limit (ARL's 3-digit grid sizes) */
#define AIS_MET_MAX_LEVELS 99           /* nz limit (ARL numbers levels 0..99, 0 = surface) */

typedef enum ais_met_field {
    AIS_MET_U = 0, /* eastward wind, m/s */
    AIS_MET_V,     /* northward wind, m/s */
    AIS_MET_W,     /* pressure vertical velocity (omega), Pa/s, positive = sinking */
    AIS_MET_HGT,   /* geopotential height, m */
    AIS_MET_T,     /* temperature, K */
    AIS_MET_UPPER_COUNT
} ais_met_field;

typedef enum ais_met_sfc_field {
    AIS_MET_PSFC = 0, /* surface pressure, Pa */
    AIS_MET_T2M,      /* 2 m temperature, K */
    AIS_MET_U10,      /* 10 m eastward wind, m/s */
    AIS_MET_V10,      /* 10 m northward wind, m/s */
    AIS_MET_SFC_COUNT
} ais_met_sfc_field;

/* Shape of a new grid. levels_hpa and times are copied. */
typedef struct ais_met_dims {
    size_t nx, ny;     /* 2..AIS_MET_MAX_POINTS */
    size_t nz;         /* 1..AIS_MET_MAX_LEVELS */
    size_t nt;         /* >= 1 */
    double lon0, lat0; /* centre of grid point (i = 0, j = 0), degrees east / north */
    double dlon, dlat; /* grid spacing, degrees, > 0 */
    const double *levels_hpa; /* nz pressures, strictly decreasing (bottom level first), > 0 */
    const int64_t *times;     /* nt epoch seconds, strictly increasing */
} ais_met_dims;

typedef struct ais_met_grid {
    size_t nx, ny, nz, nt;
    double lon0, lat0, dlon, dlat;
    double *levels_hpa;   /* nz */
    double *ln_levels_pa; /* nz, ln(level in Pa), derived */
    int64_t *times;       /* nt */
    float *upper[AIS_MET_UPPER_COUNT];
    float *sfc[AIS_MET_SFC_COUNT];
    float *terrain_m;
    /* Four-character data source written to and read from the ARL index record: "ERA5" for
     * decoded ERA5, "SIMU" for the simulated field (AIS_MET_SOURCE_SIMULATED). NUL-terminated. */
    char source[5];
} ais_met_grid;

#define AIS_MET_SOURCE_SIMULATED "SIMU"

/* Validates dims and allocates a zero-filled grid with source "NONE". AIS_ERR_INVALID_ARG for
 * impossible dims (sizes out of range, non-finite or non-positive spacing, levels not strictly
 * decreasing, times not strictly increasing), AIS_ERR_NOMEM if an allocation fails. On success
 * *out is owned by the caller (ais_met_grid_free); on failure *out is NULL. */
ais_status ais_met_grid_new(const ais_met_dims *dims, ais_met_grid **out);

/* Releases the grid and everything it holds. NULL is a no-op. */
void ais_met_grid_free(ais_met_grid *grid);

/* Sets the four-character source id (1..4 printable ASCII characters, padded with blanks in the
 * ARL file). AIS_ERR_INVALID_ARG otherwise. */
ais_status ais_met_set_source(ais_met_grid *grid, const char *source);

/* True when the grid's source says it is simulated. */
int ais_met_is_simulated(const ais_met_grid *grid);

/* Bounds-checked access; AIS_ERR_RANGE for an index or field outside the grid, AIS_ERR_INVALID_ARG
 * for NULL. */
ais_status ais_met_get(const ais_met_grid *grid, ais_met_field field, size_t it, size_t k,
                       size_t j, size_t i, double *out);
ais_status ais_met_set(ais_met_grid *grid, ais_met_field field, size_t it, size_t k, size_t j,
                       size_t i, double value);
ais_status ais_met_get_sfc(const ais_met_grid *grid, ais_met_sfc_field field, size_t it, size_t j,
                           size_t i, double *out);
ais_status ais_met_set_sfc(ais_met_grid *grid, ais_met_sfc_field field, size_t it, size_t j,
                           size_t i, double value);
ais_status ais_met_get_terrain(const ais_met_grid *grid, size_t j, size_t i, double *out);
ais_status ais_met_set_terrain(ais_met_grid *grid, size_t j, size_t i, double value);

/* Longitude and latitude of grid point i, j. */
double ais_met_lon(const ais_met_grid *grid, size_t i);
double ais_met_lat(const ais_met_grid *grid, size_t j);

/* Why a point cannot be interpolated. */
typedef enum ais_met_where {
    AIS_MET_INSIDE = 0,
    AIS_MET_OUTSIDE_GRID, /* longitude or latitude outside the grid (or not finite) */
    AIS_MET_ABOVE_TOP,    /* pressure below the top level's (or not finite) */
    AIS_MET_OUTSIDE_TIME  /* time before the first or after the last grid time */
} ais_met_where;

/* Static name: "inside", "outside_grid", "above_top", "outside_time". */
const char *ais_met_where_name(ais_met_where where);

/* Values interpolated at one point. */
typedef struct ais_met_values {
    double u, v, w, hgt, t; /* units of the upper fields; surface values at or below ground */
    double psfc;            /* surface pressure at (time, lat, lon), Pa */
    double terrain_m;       /* terrain height at (lat, lon), m */
} ais_met_values;

/* Interpolates all fields at (time in epoch seconds, lat, lon, pressure in Pa). AIS_ERR_RANGE
 * when the point is outside the grid in any dimension, with *where (if not NULL) telling which
 * (tested in the order time, horizontal, vertical); *where is AIS_MET_INSIDE on success. */
ais_status ais_met_interp(const ais_met_grid *grid, double time, double lat, double lon,
                          double p_pa, ais_met_values *out, ais_met_where *where);

/* Pressure (Pa) at agl_m metres above ground at (time, lat, lon): the pressure whose
 * interpolated geopotential height minus the interpolated terrain is agl_m (bisection in
 * ln p to 1e-9, i.e. better than 0.001 Pa). A height at or below the lowest reachable level
 * gives the surface pressure. AIS_ERR_RANGE (and *where) outside the grid or above the top
 * level; AIS_ERR_INVALID_ARG for a negative or non-finite height. */
ais_status ais_met_pressure_at_agl(const ais_met_grid *grid, double time, double lat, double lon,
                                   double agl_m, double *p_pa_out, ais_met_where *where);

#endif
