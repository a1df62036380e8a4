#include "ais/met.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SURFACE_VALUES 5 /* u, v, w, hgt, t: the order of the interpolated upper fields */

static int dims_valid(const ais_met_dims *d)
{
    if (d->nx < 2 || d->nx > AIS_MET_MAX_POINTS || d->ny < 2 || d->ny > AIS_MET_MAX_POINTS ||
        d->nz < 1 || d->nz > AIS_MET_MAX_LEVELS || d->nt < 1 || d->levels_hpa == NULL ||
        d->times == NULL)
        return 0;
    if (!isfinite(d->lon0) || !isfinite(d->lat0) || !(d->dlon > 0.0) || !(d->dlat > 0.0) ||
        !isfinite(d->dlon) || !isfinite(d->dlat))
        return 0;
    double lat_last = d->lat0 + (double)(d->ny - 1) * d->dlat;
    if (d->lat0 < -90.0 || lat_last > 90.0 || !isfinite(lat_last))
        return 0;
    for (size_t k = 0; k < d->nz; k++) {
        if (!(d->levels_hpa[k] > 0.0) || !isfinite(d->levels_hpa[k]))
            return 0;
        if (k > 0 && !(d->levels_hpa[k] < d->levels_hpa[k - 1]))
            return 0;
    }
    /* times must also leave room for the trajectory arithmetic in double seconds */
    for (size_t t = 0; t < d->nt; t++) {
        if (d->times[t] < -INT64_C(62167219200) || d->times[t] > INT64_C(253402300799))
            return 0;
        if (t > 0 && d->times[t] <= d->times[t - 1])
            return 0;
    }
    return 1;
}

ais_status ais_met_grid_new(const ais_met_dims *dims, ais_met_grid **out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    if (dims == NULL || !dims_valid(dims))
        return AIS_ERR_INVALID_ARG;
    ais_met_grid *g = calloc(1, sizeof *g);
    if (g == NULL)
        return AIS_ERR_NOMEM;
    g->nx = dims->nx;
    g->ny = dims->ny;
    g->nz = dims->nz;
    g->nt = dims->nt;
    g->lon0 = dims->lon0;
    g->lat0 = dims->lat0;
    g->dlon = dims->dlon;
    g->dlat = dims->dlat;
    memcpy(g->source, "NONE", 5);
    size_t nxy = g->nx * g->ny;
    /* nx, ny <= 999, nz <= 99: only nt can make these products large */
    size_t per_time_upper = nxy * g->nz;
    int ok = g->nt <= SIZE_MAX / sizeof(float) / per_time_upper;
    g->levels_hpa = ok ? malloc(g->nz * sizeof *g->levels_hpa) : NULL;
    g->ln_levels_pa = ok ? malloc(g->nz * sizeof *g->ln_levels_pa) : NULL;
    g->times = ok ? malloc(g->nt * sizeof *g->times) : NULL;
    g->terrain_m = ok ? calloc(nxy, sizeof(float)) : NULL;
    ok = g->levels_hpa != NULL && g->ln_levels_pa != NULL && g->times != NULL &&
         g->terrain_m != NULL;
    for (int f = 0; ok && f < AIS_MET_UPPER_COUNT; f++)
        ok = (g->upper[f] = calloc(per_time_upper * g->nt, sizeof(float))) != NULL;
    for (int f = 0; ok && f < AIS_MET_SFC_COUNT; f++)
        ok = (g->sfc[f] = calloc(nxy * g->nt, sizeof(float))) != NULL;
    if (!ok) {
        ais_met_grid_free(g);
        return AIS_ERR_NOMEM;
    }
    for (size_t k = 0; k < g->nz; k++) {
        g->levels_hpa[k] = dims->levels_hpa[k];
        g->ln_levels_pa[k] = log(dims->levels_hpa[k] * 100.0);
    }
    memcpy(g->times, dims->times, g->nt * sizeof *g->times);
    *out = g;
    return AIS_OK;
}

void ais_met_grid_free(ais_met_grid *grid)
{
    if (grid == NULL)
        return;
    for (int f = 0; f < AIS_MET_UPPER_COUNT; f++)
        free(grid->upper[f]);
    for (int f = 0; f < AIS_MET_SFC_COUNT; f++)
        free(grid->sfc[f]);
    free(grid->terrain_m);
    free(grid->levels_hpa);
    free(grid->ln_levels_pa);
    free(grid->times);
    free(grid);
}

ais_status ais_met_set_source(ais_met_grid *grid, const char *source)
{
    if (grid == NULL || source == NULL)
        return AIS_ERR_INVALID_ARG;
    size_t n = strlen(source);
    if (n < 1 || n > 4)
        return AIS_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (source[i] < 0x21 || source[i] > 0x7E)
            return AIS_ERR_INVALID_ARG;
    memcpy(grid->source, source, n + 1);
    return AIS_OK;
}

int ais_met_is_simulated(const ais_met_grid *grid)
{
    return grid != NULL && strcmp(grid->source, AIS_MET_SOURCE_SIMULATED) == 0;
}

static int upper_index(const ais_met_grid *g, int field, size_t it, size_t k, size_t j, size_t i,
                       size_t *idx)
{
    if (field < 0 || field >= AIS_MET_UPPER_COUNT || it >= g->nt || k >= g->nz || j >= g->ny ||
        i >= g->nx)
        return 0;
    *idx = ((it * g->nz + k) * g->ny + j) * g->nx + i;
    return 1;
}

static int sfc_index(const ais_met_grid *g, int field, size_t it, size_t j, size_t i, size_t *idx)
{
    if (field < 0 || field >= AIS_MET_SFC_COUNT || it >= g->nt || j >= g->ny || i >= g->nx)
        return 0;
    *idx = (it * g->ny + j) * g->nx + i;
    return 1;
}

ais_status ais_met_get(const ais_met_grid *grid, ais_met_field field, size_t it, size_t k,
                       size_t j, size_t i, double *out)
{
    size_t idx;
    if (grid == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (!upper_index(grid, (int)field, it, k, j, i, &idx))
        return AIS_ERR_RANGE;
    *out = grid->upper[field][idx];
    return AIS_OK;
}

ais_status ais_met_set(ais_met_grid *grid, ais_met_field field, size_t it, size_t k, size_t j,
                       size_t i, double value)
{
    size_t idx;
    if (grid == NULL)
        return AIS_ERR_INVALID_ARG;
    if (!upper_index(grid, (int)field, it, k, j, i, &idx))
        return AIS_ERR_RANGE;
    grid->upper[field][idx] = (float)value;
    return AIS_OK;
}

ais_status ais_met_get_sfc(const ais_met_grid *grid, ais_met_sfc_field field, size_t it, size_t j,
                           size_t i, double *out)
{
    size_t idx;
    if (grid == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (!sfc_index(grid, (int)field, it, j, i, &idx))
        return AIS_ERR_RANGE;
    *out = grid->sfc[field][idx];
    return AIS_OK;
}

ais_status ais_met_set_sfc(ais_met_grid *grid, ais_met_sfc_field field, size_t it, size_t j,
                           size_t i, double value)
{
    size_t idx;
    if (grid == NULL)
        return AIS_ERR_INVALID_ARG;
    if (!sfc_index(grid, (int)field, it, j, i, &idx))
        return AIS_ERR_RANGE;
    grid->sfc[field][idx] = (float)value;
    return AIS_OK;
}

ais_status ais_met_get_terrain(const ais_met_grid *grid, size_t j, size_t i, double *out)
{
    if (grid == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (j >= grid->ny || i >= grid->nx)
        return AIS_ERR_RANGE;
    *out = grid->terrain_m[j * grid->nx + i];
    return AIS_OK;
}

ais_status ais_met_set_terrain(ais_met_grid *grid, size_t j, size_t i, double value)
{
    if (grid == NULL)
        return AIS_ERR_INVALID_ARG;
    if (j >= grid->ny || i >= grid->nx)
        return AIS_ERR_RANGE;
    grid->terrain_m[j * grid->nx + i] = (float)value;
    return AIS_OK;
}

double ais_met_lon(const ais_met_grid *grid, size_t i)
{
    return grid->lon0 + (double)i * grid->dlon;
}

double ais_met_lat(const ais_met_grid *grid, size_t j)
{
    return grid->lat0 + (double)j * grid->dlat;
}

const char *ais_met_where_name(ais_met_where where)
{
    switch (where) {
    case AIS_MET_INSIDE: return "inside";
    case AIS_MET_OUTSIDE_GRID: return "outside_grid";
    case AIS_MET_ABOVE_TOP: return "above_top";
    case AIS_MET_OUTSIDE_TIME: return "outside_time";
    }
    return "unknown";
}

/* Values of column (i, j) at time index it, at pressure p (Pa, lnp = ln p): u, v, w, hgt, t.
 * The column is the surface followed by the levels above it (see the header). Requires
 * p >= the top level's pressure. */
static void column_values(const ais_met_grid *g, size_t it, size_t j, size_t i, double p,
                          double lnp, double vals[SURFACE_VALUES], double *psfc, double *terrain)
{
    size_t nxy = g->nx * g->ny;
    size_t ij = j * g->nx + i;
    size_t s = it * nxy + ij;
    double ps = g->sfc[AIS_MET_PSFC][s];
    double sv[SURFACE_VALUES] = {g->sfc[AIS_MET_U10][s], g->sfc[AIS_MET_V10][s], 0.0,
                                 g->terrain_m[ij], g->sfc[AIS_MET_T2M][s]};
    *psfc = ps;
    *terrain = g->terrain_m[ij];

    size_t k = 0;
    while (k < g->nz && g->levels_hpa[k] * 100.0 >= ps)
        k++;
    if (p >= ps || k == g->nz) {
        memcpy(vals, sv, sizeof sv);
        return;
    }
    size_t base = it * g->nz * nxy + ij;
    if (p >= g->levels_hpa[k] * 100.0) {
        /* between the ground and the first level above it; ps > p > 0 so the log is finite */
        double lnps = log(ps);
        double f = (lnps - lnp) / (lnps - g->ln_levels_pa[k]);
        for (int v = 0; v < SURFACE_VALUES; v++) {
            double up = g->upper[v][base + k * nxy];
            vals[v] = sv[v] + f * (up - sv[v]);
        }
        return;
    }
    while (k + 1 < g->nz && g->levels_hpa[k + 1] * 100.0 > p)
        k++;
    if (k + 1 >= g->nz) { /* p == top exactly with the top as the only level above ground */
        for (int v = 0; v < SURFACE_VALUES; v++)
            vals[v] = g->upper[v][base + k * nxy];
        return;
    }
    double f = (g->ln_levels_pa[k] - lnp) / (g->ln_levels_pa[k] - g->ln_levels_pa[k + 1]);
    for (int v = 0; v < SURFACE_VALUES; v++) {
        double lo = g->upper[v][base + k * nxy];
        double hi = g->upper[v][base + (k + 1) * nxy];
        vals[v] = lo + f * (hi - lo);
    }
}

ais_status ais_met_interp(const ais_met_grid *grid, double time, double lat, double lon,
                          double p_pa, ais_met_values *out, ais_met_where *where)
{
    ais_met_where dummy;
    if (where == NULL)
        where = &dummy;
    *where = AIS_MET_INSIDE;
    if (grid == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    const ais_met_grid *g = grid;

    if (!(time >= (double)g->times[0] && time <= (double)g->times[g->nt - 1])) {
        *where = AIS_MET_OUTSIDE_TIME;
        return AIS_ERR_RANGE;
    }
    double x = (lon - g->lon0) / g->dlon;
    double y = (lat - g->lat0) / g->dlat;
    if (!(x >= 0.0 && x <= (double)(g->nx - 1) && y >= 0.0 && y <= (double)(g->ny - 1))) {
        *where = AIS_MET_OUTSIDE_GRID;
        return AIS_ERR_RANGE;
    }
    if (!(p_pa >= g->levels_hpa[g->nz - 1] * 100.0) || !isfinite(p_pa)) {
        *where = AIS_MET_ABOVE_TOP;
        return AIS_ERR_RANGE;
    }

    /* time bracket [lo, hi] by bisection */
    size_t lo = 0, hi = g->nt - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)g->times[mid] <= time)
            lo = mid;
        else
            hi = mid;
    }
    double ft = hi > lo ? (time - (double)g->times[lo]) / (double)(g->times[hi] - g->times[lo])
                        : 0.0;

    size_t i0 = (size_t)x, j0 = (size_t)y;
    if (i0 >= g->nx - 1)
        i0 = g->nx - 2;
    if (j0 >= g->ny - 1)
        j0 = g->ny - 2;
    double fx = x - (double)i0, fy = y - (double)j0;
    double lnp = log(p_pa);

    double acc[SURFACE_VALUES] = {0}, acc_ps = 0.0, acc_ter = 0.0;
    const size_t times[2] = {lo, hi};
    const double tw[2] = {1.0 - ft, ft};
    for (int a = 0; a < 2; a++) {
        if (tw[a] == 0.0)
            continue;
        for (int c = 0; c < 4; c++) {
            size_t di = (size_t)(c & 1), dj = (size_t)(c >> 1);
            double w = tw[a] * (di ? fx : 1.0 - fx) * (dj ? fy : 1.0 - fy);
            if (w == 0.0)
                continue;
            double vals[SURFACE_VALUES], ps, ter;
            column_values(g, times[a], j0 + dj, i0 + di, p_pa, lnp, vals, &ps, &ter);
            for (int v = 0; v < SURFACE_VALUES; v++)
                acc[v] += w * vals[v];
            acc_ps += w * ps;
            acc_ter += w * ter;
        }
    }
    out->u = acc[AIS_MET_U];
    out->v = acc[AIS_MET_V];
    out->w = acc[AIS_MET_W];
    out->hgt = acc[AIS_MET_HGT];
    out->t = acc[AIS_MET_T];
    out->psfc = acc_ps;
    out->terrain_m = acc_ter;
    return AIS_OK;
}

ais_status ais_met_pressure_at_agl(const ais_met_grid *grid, double time, double lat, double lon,
                                   double agl_m, double *p_pa_out, ais_met_where *where)
{
    ais_met_where dummy;
    if (where == NULL)
        where = &dummy;
    *where = AIS_MET_INSIDE;
    if (grid == NULL || p_pa_out == NULL || !(agl_m >= 0.0) || !isfinite(agl_m))
        return AIS_ERR_INVALID_ARG;
    double p_top = grid->levels_hpa[grid->nz - 1] * 100.0;
    ais_met_values top;
    ais_status st = ais_met_interp(grid, time, lat, lon, p_top, &top, where);
    if (st != AIS_OK)
        return st;
    if (!(top.psfc > p_top) || agl_m > top.hgt - top.terrain_m) {
        *where = AIS_MET_ABOVE_TOP;
        return AIS_ERR_RANGE;
    }
    ais_met_values s;
    if ((st = ais_met_interp(grid, time, lat, lon, top.psfc, &s, where)) != AIS_OK)
        return st;
    if (s.hgt - s.terrain_m >= agl_m) {
        *p_pa_out = top.psfc;
        return AIS_OK;
    }
    /* height above ground decreases as ln p increases: keep alt(lo) > agl_m > alt(hi) */
    double lo = log(p_top), hi = log(top.psfc);
    for (int iter = 0; iter < 200 && hi - lo > 1e-9; iter++) {
        double mid = 0.5 * (lo + hi);
        if ((st = ais_met_interp(grid, time, lat, lon, exp(mid), &s, where)) != AIS_OK)
            return st;
        if (s.hgt - s.terrain_m > agl_m)
            lo = mid;
        else
            hi = mid;
    }
    *p_pa_out = exp(0.5 * (lo + hi));
    return AIS_OK;
}
