/* The met grid: allocation, bounds-checked access, interpolation in space, time and ln p, the
 * ground, and height above ground -> pressure. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "ais/met.h"
#include "traj_fixtures.h"

static void test_new_rejects_bad_dims(void **state)
{
    (void)state;
    double levels[2] = {1000, 500}, up[2] = {500, 1000};
    int64_t times[2] = {0, 3600}, back[2] = {3600, 0};
    ais_met_dims ok = {.nx = 3, .ny = 2, .nz = 2, .nt = 2, .lon0 = 100, .lat0 = 10, .dlon = 1,
                       .dlat = 1, .levels_hpa = levels, .times = times};
    ais_met_grid *g = (ais_met_grid *)&ok; /* must be reset to NULL on failure */
    ais_met_dims d = ok;
    d.nx = 1;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    assert_null(g);
    d = ok;
    d.dlat = 0;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    d = ok;
    d.dlon = NAN;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    d = ok;
    d.levels_hpa = up;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    d = ok;
    d.times = back;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    d = ok;
    d.lat0 = 89.5; /* the last row would be beyond the pole */
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    d = ok;
    d.nz = AIS_MET_MAX_LEVELS + 1;
    assert_int_equal(ais_met_grid_new(&d, &g), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_met_grid_new(NULL, &g), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_met_grid_new(&ok, NULL), AIS_ERR_INVALID_ARG);

    assert_int_equal(ais_met_grid_new(&ok, &g), AIS_OK);
    assert_string_equal(g->source, "NONE");
    assert_int_equal(g->nx, 3);
    assert_double_near(g->ln_levels_pa[1], log(50000.0), 1e-12);
    assert_int_equal(ais_met_set_source(g, "TOO LONG"), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_met_set_source(g, "A B"), AIS_ERR_INVALID_ARG);
    assert_int_equal(ais_met_set_source(g, "ERA5"), AIS_OK);
    assert_false(ais_met_is_simulated(g));
    assert_int_equal(ais_met_set_source(g, AIS_MET_SOURCE_SIMULATED), AIS_OK);
    assert_true(ais_met_is_simulated(g));
    ais_met_grid_free(g);
    ais_met_grid_free(NULL);
}

static void test_bounds_checked_access(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(4, 3, 100.0, 10.0, 0.5, 0.5, 2, FX_T_REF, 21600);
    double v;
    assert_int_equal(ais_met_set(g, AIS_MET_U, 1, 6, 2, 3, 12.5), AIS_OK);
    assert_int_equal(ais_met_get(g, AIS_MET_U, 1, 6, 2, 3, &v), AIS_OK);
    assert_double_near(v, 12.5, 0.0);
    /* the documented layout */
    assert_double_near(g->upper[AIS_MET_U][((1 * 7 + 6) * 3 + 2) * 4 + 3], 12.5, 0.0);
    assert_int_equal(ais_met_get(g, AIS_MET_U, 2, 0, 0, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_get(g, AIS_MET_U, 0, 7, 0, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_get(g, AIS_MET_U, 0, 0, 3, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_get(g, AIS_MET_U, 0, 0, 0, 4, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_get(g, AIS_MET_UPPER_COUNT, 0, 0, 0, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_set(g, (ais_met_field)-1, 0, 0, 0, 0, 1.0), AIS_ERR_RANGE);
    assert_int_equal(ais_met_set_sfc(g, AIS_MET_V10, 1, 2, 3, -4.0), AIS_OK);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_V10, 1, 2, 3, &v), AIS_OK);
    assert_double_near(v, -4.0, 0.0);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_SFC_COUNT, 0, 0, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_get_sfc(g, AIS_MET_PSFC, 0, 3, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_set_terrain(g, 2, 3, 812.0), AIS_OK);
    assert_int_equal(ais_met_get_terrain(g, 2, 3, &v), AIS_OK);
    assert_double_near(v, 812.0, 0.0);
    assert_int_equal(ais_met_get_terrain(g, 3, 0, &v), AIS_ERR_RANGE);
    assert_int_equal(ais_met_get(NULL, AIS_MET_U, 0, 0, 0, 0, &v), AIS_ERR_INVALID_ARG);
    assert_double_near(ais_met_lon(g, 3), 101.5, 1e-12);
    assert_double_near(ais_met_lat(g, 2), 11.0, 1e-12);
    ais_met_grid_free(g);
}

/* A field linear in lon, lat, time and ln p is reproduced exactly by the interpolation. */
static double linear_field(double lon, double lat, double hours, double p_pa)
{
    return 1.0 + 0.5 * (lon - 100.0) - 0.3 * (lat - 10.0) + 0.25 * hours +
           3.0 * log(p_pa / 100000.0);
}

static void test_interp_is_exact_for_linear_fields(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(9, 7, 100.0, 10.0, 0.5, 0.5, 3, FX_T_REF, 21600);
    size_t nxy = g->nx * g->ny;
    for (size_t t = 0; t < g->nt; t++)
        for (size_t j = 0; j < g->ny; j++)
            for (size_t i = 0; i < g->nx; i++) {
                double lon = ais_met_lon(g, i), lat = ais_met_lat(g, j), h = 6.0 * (double)t;
                g->sfc[AIS_MET_U10][t * nxy + j * g->nx + i] =
                    (float)linear_field(lon, lat, h, FX_PSFC);
                for (size_t k = 0; k < 7; k++)
                    g->upper[AIS_MET_U][(t * 7 + k) * nxy + j * g->nx + i] =
                        (float)linear_field(lon, lat, h, FX_LEVELS[k] * 100.0);
            }
    uint64_t rng = 7;
    for (int n = 0; n < 500; n++) {
        double lon = 100.0 + 4.0 * fx_unit(&rng), lat = 10.0 + 3.0 * fx_unit(&rng);
        double hours = 12.0 * fx_unit(&rng);
        double p = 40000.0 + (FX_PSFC - 40000.0) * fx_unit(&rng);
        ais_met_values s;
        ais_met_where where = AIS_MET_ABOVE_TOP;
        assert_int_equal(ais_met_interp(g, (double)FX_T_REF + hours * 3600.0, lat, lon, p, &s,
                                        &where),
                         AIS_OK);
        assert_int_equal(where, AIS_MET_INSIDE);
        /* float storage: values of size ~5 carry ~1e-6 rounding */
        assert_double_near(s.u, linear_field(lon, lat, hours, p), 2e-5);
        assert_double_near(s.hgt, FX_H * log(FX_PSFC / p), 2e-3);
        assert_double_near(s.psfc, FX_PSFC, 0.01);
        assert_double_near(s.terrain_m, 0.0, 0.0);
        assert_double_near(s.t, FX_T0, 1e-4);
    }
    ais_met_grid_free(g);
}

static void test_interp_outside(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(5, 5, 100.0, 10.0, 1.0, 1.0, 2, FX_T_REF, 21600);
    ais_met_values s;
    ais_met_where w;
    double t = (double)FX_T_REF;
    assert_int_equal(ais_met_interp(g, t - 1.0, 12, 102, 90000, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_OUTSIDE_TIME);
    assert_int_equal(ais_met_interp(g, t + 21601.0, 12, 102, 90000, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_OUTSIDE_TIME);
    assert_int_equal(ais_met_interp(g, t, 12, 99.999, 90000, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_OUTSIDE_GRID);
    assert_int_equal(ais_met_interp(g, t, 14.001, 102, 90000, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_OUTSIDE_GRID);
    assert_int_equal(ais_met_interp(g, t, NAN, 102, 90000, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_OUTSIDE_GRID);
    assert_int_equal(ais_met_interp(g, t, 12, 102, 39999, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_ABOVE_TOP);
    assert_int_equal(ais_met_interp(g, t, 12, 102, NAN, &s, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_ABOVE_TOP);
    /* the edges themselves are inside: last time, last column and row, top level */
    assert_int_equal(ais_met_interp(g, t + 21600.0, 14.0, 104.0, 40000, &s, &w), AIS_OK);
    assert_int_equal(w, AIS_MET_INSIDE);
    assert_double_near(s.hgt, FX_H * log(FX_PSFC / 40000.0), 2e-3);
    assert_string_equal(ais_met_where_name(AIS_MET_ABOVE_TOP), "above_top");
    assert_string_equal(ais_met_where_name(AIS_MET_OUTSIDE_TIME), "outside_time");
    ais_met_grid_free(g);
}

/* Levels at or below a column's surface pressure are skipped: between the ground and the first
 * level above it the values run linearly in ln p from the surface values. */
static void test_interp_skips_underground_levels(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(3, 3, 100.0, 10.0, 1.0, 1.0, 1, FX_T_REF, 3600);
    size_t nxy = 9;
    for (size_t q = 0; q < nxy; q++) {
        g->sfc[AIS_MET_PSFC][q] = 90000.0f;
        g->sfc[AIS_MET_U10][q] = 2.0f;
        g->sfc[AIS_MET_T2M][q] = 280.0f;
        g->terrain_m[q] = 950.0f;
        for (size_t k = 0; k < 7; k++) {
            g->upper[AIS_MET_U][k * nxy + q] = (float)(100.0 + (double)k); /* 100 at 1000 hPa */
            g->upper[AIS_MET_W][k * nxy + q] = 0.5f;
        }
    }
    ais_met_values s;
    double t = (double)FX_T_REF;
    /* below the ground: the surface values, whatever the 1000/925 hPa levels hold */
    assert_int_equal(ais_met_interp(g, t, 11.0, 101.0, 95000.0, &s, NULL), AIS_OK);
    assert_double_near(s.u, 2.0, 0.0);
    assert_double_near(s.w, 0.0, 0.0);
    assert_double_near(s.hgt, 950.0, 0.0);
    assert_double_near(s.t, 280.0, 0.0);
    /* 880 hPa: between the surface (900) and 850 hPa (k = 2, u = 102) */
    double f = (log(90000.0) - log(88000.0)) / (log(90000.0) - log(85000.0));
    assert_int_equal(ais_met_interp(g, t, 11.0, 101.0, 88000.0, &s, NULL), AIS_OK);
    assert_double_near(s.u, 2.0 + f * (102.0 - 2.0), 1e-9);
    assert_double_near(s.w, f * 0.5, 1e-9);
    /* 650 hPa: between 700 (k = 3) and 600 (k = 4) */
    f = (log(70000.0) - log(65000.0)) / (log(70000.0) - log(60000.0));
    assert_int_equal(ais_met_interp(g, t, 11.0, 101.0, 65000.0, &s, NULL), AIS_OK);
    assert_double_near(s.u, 103.0 + f, 1e-9);
    ais_met_grid_free(g);
}

/* Issue item 4(d): between two analysis times a field is the linear mix of the two. */
static void test_time_interpolation_is_linear_mix(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(4, 4, 100.0, 10.0, 1.0, 1.0, 2, FX_T_REF, 21600);
    fx_uniform_wind_at(g, 0, 10.0, 0.0, 0.2);
    fx_uniform_wind_at(g, 1, 0.0, 10.0, -0.2);
    for (int q = 0; q <= 8; q++) {
        double frac = q / 8.0;
        ais_met_values s;
        assert_int_equal(ais_met_interp(g, (double)FX_T_REF + frac * 21600.0, 11.3, 101.7,
                                        70000.0, &s, NULL),
                         AIS_OK);
        assert_double_near(s.u, 10.0 * (1.0 - frac), 1e-6);
        assert_double_near(s.v, 10.0 * frac, 1e-6);
        assert_double_near(s.w, 0.2 * (1.0 - frac) - 0.2 * frac, 1e-7);
    }
    ais_met_grid_free(g);
}

static void test_pressure_at_height_agl(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(4, 4, 100.0, 10.0, 1.0, 1.0, 1, FX_T_REF, 3600);
    double t = (double)FX_T_REF, p;
    ais_met_where w;
    const double heights[] = {0.0, 10.0, 500.0, 1500.0, 3000.0, 7000.0};
    for (size_t k = 0; k < sizeof heights / sizeof heights[0]; k++) {
        assert_int_equal(ais_met_pressure_at_agl(g, t, 11.0, 101.0, heights[k], &p, &w), AIS_OK);
        /* isothermal: p = psfc exp(-h / H); the bisection stops at 1e-9 in ln p */
        assert_double_near(p, FX_PSFC * exp(-heights[k] / FX_H), 0.01);
    }
    assert_int_equal(ais_met_pressure_at_agl(g, t, 11.0, 101.0, 9000.0, &p, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_ABOVE_TOP);
    assert_int_equal(ais_met_pressure_at_agl(g, t, 11.0, 99.0, 500.0, &p, &w), AIS_ERR_RANGE);
    assert_int_equal(w, AIS_MET_OUTSIDE_GRID);
    assert_int_equal(ais_met_pressure_at_agl(g, t, 11.0, 101.0, -1.0, &p, &w),
                     AIS_ERR_INVALID_ARG);

    /* elevated ground: 600 m of terrain, heights above sea level, the same 500 m above it */
    double ps = FX_PSFC * exp(-600.0 / FX_H);
    for (size_t q = 0; q < 16; q++) {
        g->terrain_m[q] = 600.0f;
        g->sfc[AIS_MET_PSFC][q] = (float)ps;
    }
    assert_int_equal(ais_met_pressure_at_agl(g, t, 11.5, 101.5, 500.0, &p, &w), AIS_OK);
    assert_double_near(p, FX_PSFC * exp(-1100.0 / FX_H), 0.02);
    assert_int_equal(ais_met_pressure_at_agl(g, t, 11.5, 101.5, 0.0, &p, &w), AIS_OK);
    assert_double_near(p, ps, 0.01);
    ais_met_grid_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_dims),
        cmocka_unit_test(test_bounds_checked_access),
        cmocka_unit_test(test_interp_is_exact_for_linear_fields),
        cmocka_unit_test(test_interp_outside),
        cmocka_unit_test(test_interp_skips_underground_levels),
        cmocka_unit_test(test_time_interpolation_is_linear_mix),
        cmocka_unit_test(test_pressure_at_height_agl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
