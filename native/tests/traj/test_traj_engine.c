/* The trajectory engine against exact solutions (issue 5, item 4):
 *   (a) uniform flow, (b) solid-body rotation, (c) forward then backward, (d) time
 *   interpolation, (e) leaving the domain, (f) the adaptive step, and an ARL round trip.
 * Tolerances are stated next to each assertion; the measured figures are printed. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/arl.h"
#include "ais/met.h"
#include "ais/traj.h"
#include "traj_fixtures.h"

#define HANOI_LAT 21.0285
#define HANOI_LON 105.8542
#define DEG (180.0 / FX_PI)

static ais_traj run_ok(const ais_met_grid *g, const ais_traj_start *s)
{
    ais_traj t;
    char err[256];
    ais_status st = ais_traj_run(g, s, NULL, &t, err, sizeof err);
    if (st != AIS_OK)
        print_error("ais_traj_run: %s (%s)\n", ais_status_str(st), err);
    assert_int_equal(st, AIS_OK);
    return t;
}

/* (a) u = 10 m/s, v = 0 everywhere: the parcel runs along its parallel (a rhumb line), 36 km an
 * hour, 2592 km in 72 h. */
static void test_uniform_flow(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(281, 121, 60.0, 5.0, 0.25, 0.25, 2, FX_T_REF - 72 * 3600,
                              72 * 3600);
    fx_uniform_wind(g, 10.0, 0.0, 0.0);
    ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .height_m_agl = 500.0,
                        .time = FX_T_REF, .hours = -72};
    ais_traj t = run_ok(g, &s);
    assert_int_equal(t.stop, AIS_TRAJ_COMPLETED);
    assert_int_equal(t.n_points, 73);
    assert_double_near(t.end_age_h, -72.0, 0.0);

    double coslat = cos(HANOI_LAT / DEG);
    double p_release = FX_PSFC * exp(-500.0 / FX_H) / 100.0;
    double worst_m = 0.0;
    for (size_t k = 0; k < t.n_points; k++) {
        const ais_traj_point *p = &t.points[k];
        double dist = 10.0 * 3600.0 * (double)k; /* m travelled after k hours */
        double lon_exact = HANOI_LON - dist / (AIS_MET_EARTH_RADIUS_M * coslat) * DEG;
        double err_m = hypot((p->lon - lon_exact) / DEG * AIS_MET_EARTH_RADIUS_M * coslat,
                             (p->lat - HANOI_LAT) / DEG * AIS_MET_EARTH_RADIUS_M);
        worst_m = fmax(worst_m, err_m);
        assert_double_near(p->age_h, -(double)k, 1e-12);
        assert_int_equal(p->time, FX_T_REF - (int64_t)k * 3600);
        assert_double_near(p->alt_m, 500.0, 0.01);           /* w = 0: stays at 500 m */
        assert_double_near(p->pressure_hpa, p_release, 1e-4); /* and on its isobar */
    }
    const ais_traj_point *end = &t.points[72];
    double travelled = (HANOI_LON - end->lon) / DEG * AIS_MET_EARTH_RADIUS_M * coslat;
    print_message("uniform flow: 72 h along the parallel %.3f km (exact 2592), worst point "
                  "error %.2e m, %zu steps\n",
                  travelled / 1000.0, worst_m, t.steps);
    /* tolerance 1 cm, i.e. 4e-9 of the distance (the brief suggested 0.1 %): the field is exactly
     * uniform, so only rounding separates the scheme from the exact rhumb-line solution */
    assert_double_near(travelled, 2592000.0, 0.01);
    assert_true(worst_m < 0.01);
    ais_traj_clear(&t);
    ais_met_grid_free(g);
}

/* (b) Solid-body rotation about (21 N, 106 E), one turn in 48 h; start 500 km north of the
 * centre. The exact path is the small circle: every point is compared with the rotated start. */
static void test_solid_body_rotation(void **state)
{
    (void)state;
    const double latc = 21.0, lonc = 106.0, period = 48.0 * 3600.0;
    const double omega = 2.0 * FX_PI / period, radius = 500e3;
    ais_met_grid *g = fx_grid(113, 93, 92.0, 10.0, 0.25, 0.25, 2, FX_T_REF - 48 * 3600,
                              48 * 3600);
    fx_add_rotation(g, latc, lonc, omega);
    double lat0 = latc + radius / AIS_MET_EARTH_RADIUS_M * DEG;
    for (int dir = -1; dir <= 1; dir += 2) {
        ais_traj_start s = {.lat = lat0, .lon = lonc, .height_m_agl = 500.0,
                            .time = dir < 0 ? FX_T_REF : FX_T_REF - 48 * 3600, .hours = 48 * dir};
        ais_traj t = run_ok(g, &s);
        assert_int_equal(t.stop, AIS_TRAJ_COMPLETED);
        assert_int_equal(t.n_points, 49);
        double worst_path = 0.0, worst_radius = 0.0;
        for (size_t k = 0; k < t.n_points; k++) {
            double la, lo;
            fx_rotate_point(latc, lonc, omega * 3600.0 * (double)k * dir, lat0, lonc, &la, &lo);
            worst_path = fmax(worst_path,
                              ais_traj_distance_m(t.points[k].lat, t.points[k].lon, la, lo));
            double r = ais_traj_distance_m(t.points[k].lat, t.points[k].lon, latc, lonc);
            worst_radius = fmax(worst_radius, fabs(r - radius));
        }
        double back = ais_traj_distance_m(t.points[48].lat, t.points[48].lon, lat0, lonc);
        print_message("rotation (%s): return error %.1f m, worst distance from the exact point "
                      "%.1f m, worst radius error %.1f m (of 500 km), %zu steps\n",
                      dir < 0 ? "backward" : "forward", back, worst_path, worst_radius, t.steps);
        /* tolerances: 1 km on the path (0.03 % of the 3142 km circumference; what remains is
         * Heun's phase error), 25 m on the radius (0.005 %) */
        assert_true(back < 1000.0);
        assert_true(worst_path < 1000.0);
        assert_true(worst_radius < 25.0);
        ais_traj_clear(&t);
    }
    ais_met_grid_free(g);
}

/* A time-varying field with vertical motion: uniform flow that turns every 6 h, plus a slow
 * rotation, plus sinking (omega 0..0.12 Pa/s) varying in space and time. */
static ais_met_grid *varying_grid(void)
{
    ais_met_grid *g = fx_grid(65, 57, 98.0, 14.0, 0.25, 0.25, 5, FX_T_REF, 6 * 3600);
    const double winds[5][2] = {{5, -3}, {7, 1}, {3, 4}, {-2, 6}, {4, 2}};
    for (size_t t = 0; t < 5; t++)
        fx_uniform_wind_at(g, t, winds[t][0], winds[t][1], 0.0);
    fx_add_rotation(g, 21.0, 106.0, 2.0 * FX_PI / (72.0 * 3600.0));
    size_t nxy = g->nx * g->ny;
    for (size_t t = 0; t < 5; t++)
        for (size_t k = 0; k < 7; k++)
            for (size_t j = 0; j < g->ny; j++)
                for (size_t i = 0; i < g->nx; i++)
                    g->upper[AIS_MET_W][(t * 7 + k) * nxy + j * g->nx + i] =
                        (float)(0.06 * (1.0 + sin(0.05 * (double)i + (double)t)) *
                                cos(0.04 * (double)j));
    return g;
}

/* (c) 24 h forward, then 24 h backward from where it ended, returns to the start. */
static void test_forward_then_backward(void **state)
{
    (void)state;
    ais_met_grid *g = varying_grid();
    ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .height_m_agl = 2000.0,
                        .time = FX_T_REF, .hours = 24};
    ais_traj f = run_ok(g, &s);
    assert_int_equal(f.stop, AIS_TRAJ_COMPLETED);
    const ais_traj_point *e = &f.points[24];
    ais_traj_start back = {.lat = e->lat, .lon = e->lon, .pressure_hpa = e->pressure_hpa,
                           .time = e->time, .hours = -24};
    ais_traj b = run_ok(g, &back);
    assert_int_equal(b.stop, AIS_TRAJ_COMPLETED);
    double moved = ais_traj_distance_m(HANOI_LAT, HANOI_LON, e->lat, e->lon);
    double miss = ais_traj_distance_m(HANOI_LAT, HANOI_LON, b.points[24].lat, b.points[24].lon);
    double dp = fabs(b.points[24].pressure_hpa - f.points[0].pressure_hpa);
    double dz = fabs(b.points[24].alt_m - 2000.0);
    /* every intermediate hour too: the backward path retraces the forward one */
    double worst = 0.0;
    for (size_t k = 0; k <= 24; k++)
        worst = fmax(worst, ais_traj_distance_m(f.points[k].lat, f.points[k].lon,
                                                b.points[24 - k].lat, b.points[24 - k].lon));
    print_message("forward/backward: moved %.1f km and %.1f hPa, returned within %.2f m, "
                  "%.4f hPa, %.3f m in height; worst hourly mismatch %.2f m\n",
                  moved / 1000.0, fabs(e->pressure_hpa - f.points[0].pressure_hpa), miss, dp, dz,
                  worst);
    assert_true(moved > 300e3);
    assert_true(fabs(e->pressure_hpa - f.points[0].pressure_hpa) > 5.0); /* it did move vertically */
    /* tolerances: 50 m horizontally (1e-4 of the path), 0.05 hPa, 1 m in height */
    assert_true(miss < 50.0);
    assert_true(worst < 50.0);
    assert_true(dp < 0.05);
    assert_true(dz < 1.0);
    ais_traj_clear(&f);
    ais_traj_clear(&b);
    ais_met_grid_free(g);
}

/* (d) The wind turns linearly from u = 10 to v = 10 over 6 h; the exact path is integrated here
 * with Simpson's rule. */
static void test_time_interpolation_path(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(61, 61, 95.0, 10.0, 0.25, 0.25, 2, FX_T_REF, 6 * 3600);
    fx_uniform_wind_at(g, 0, 10.0, 0.0, 0.0);
    fx_uniform_wind_at(g, 1, 0.0, 10.0, 0.0);
    const double lat0 = 15.0, lon0 = 100.0, T = 6.0 * 3600.0, R = AIS_MET_EARTH_RADIUS_M;
    ais_traj_start s = {.lat = lat0, .lon = lon0, .height_m_agl = 500.0, .time = FX_T_REF,
                        .hours = 6};
    ais_traj t = run_ok(g, &s);
    assert_int_equal(t.n_points, 7);
    double worst = 0.0;
    for (size_t k = 0; k < 7; k++) {
        double tk = 3600.0 * (double)k;
        double lat = lat0 + 10.0 / R * tk * tk / (2.0 * T) * DEG;
        /* lon(t) = lon0 + int_0^t 10 (1 - tau/T) / (R cos lat(tau)) dtau */
        double sum = 0.0;
        const int n = 6000;
        for (int q = 0; q <= n; q++) {
            double tau = tk * q / n;
            double la = lat0 + 10.0 / R * tau * tau / (2.0 * T) * DEG;
            double f = 10.0 * (1.0 - tau / T) / (R * cos(la / DEG));
            sum += f * (q == 0 || q == n ? 1.0 : (q % 2 ? 4.0 : 2.0));
        }
        double lon = lon0 + (k == 0 ? 0.0 : sum * tk / n / 3.0) * DEG;
        worst = fmax(worst, ais_traj_distance_m(t.points[k].lat, t.points[k].lon, lat, lon));
    }
    print_message("time interpolation: worst hourly distance from the exact path %.3f m\n",
                  worst);
    assert_true(worst < 5.0); /* tolerance 5 m over a 130 km path */
    ais_traj_clear(&t);
    ais_met_grid_free(g);
}

/* (e) A parcel that leaves the grid stops with left_grid; one that rises through the top with
 * above_top; one that outruns the met data with met_ended. */
static void test_stops(void **state)
{
    (void)state;
    /* u = 20 m/s backward from 7.2816 degrees east of the western edge at 21 N: it reaches the
     * edge after 10.5 h */
    ais_met_grid *g = fx_grid(41, 41, 100.0, 15.0, 0.25, 0.25, 2, FX_T_REF - 24 * 3600,
                              24 * 3600);
    fx_uniform_wind(g, 20.0, 0.0, 0.0);
    double coslat = cos(21.0 / DEG);
    double span_deg = 20.0 * 10.5 * 3600.0 / (AIS_MET_EARTH_RADIUS_M * coslat) * DEG;
    ais_traj_start s = {.lat = 21.0, .lon = 100.0 + span_deg, .height_m_agl = 500.0,
                        .time = FX_T_REF, .hours = -24};
    ais_traj t = run_ok(g, &s);
    assert_int_equal(t.stop, AIS_TRAJ_LEFT_GRID);
    assert_string_equal(ais_traj_stop_name(t.stop), "left_grid");
    assert_int_equal(t.n_points, 11); /* ages 0 .. -10 */
    assert_true(t.end_age_h <= -10.0 && t.end_age_h > -10.5);
    double half_hour_deg = span_deg / 21.0;
    assert_double_near(t.points[10].lon, 100.0 + half_hour_deg, 1e-6);
    ais_traj_clear(&t);

    /* omega = -1 Pa/s (rising 36 hPa an hour) from 950 hPa: the 400 hPa top is reached after
     * 55000 s = 15.3 h */
    fx_uniform_wind(g, 0.0, 0.0, -1.0);
    ais_traj_start up = {.lat = 21.0, .lon = 105.0, .pressure_hpa = 950.0,
                         .time = FX_T_REF - 24 * 3600, .hours = 24};
    t = run_ok(g, &up);
    assert_int_equal(t.stop, AIS_TRAJ_ABOVE_TOP);
    assert_int_equal(t.n_points, 16);
    for (size_t k = 0; k < t.n_points; k++) {
        double p = 950.0 - 36.0 * (double)k;
        assert_double_near(t.points[k].pressure_hpa, p, 1e-6);
        assert_double_near(t.points[k].alt_m, FX_H * log(FX_PSFC / (p * 100.0)), 0.01);
    }
    ais_traj_clear(&t);

    /* 72 h back through 24 h of data */
    fx_uniform_wind(g, 1.0, 0.0, 0.0);
    s.lon = 105.0;
    s.hours = -72;
    t = run_ok(g, &s);
    assert_int_equal(t.stop, AIS_TRAJ_MET_ENDED);
    assert_int_equal(t.n_points, 25);
    assert_double_near(t.end_age_h, -24.0, 0.0);
    ais_traj_clear(&t);

    /* cannot start: outside the grid, the met times, above the top */
    char err[256];
    ais_traj_start bad = s;
    bad.lon = 99.0;
    assert_int_equal(ais_traj_run(g, &bad, NULL, &t, err, sizeof err), AIS_ERR_RANGE);
    assert_non_null(strstr(err, "outside the met grid"));
    assert_null(t.points);
    bad = s;
    bad.time = FX_T_REF + 3600;
    assert_int_equal(ais_traj_run(g, &bad, NULL, &t, err, sizeof err), AIS_ERR_RANGE);
    assert_non_null(strstr(err, "outside the met data"));
    bad = s;
    bad.height_m_agl = 9000.0;
    assert_int_equal(ais_traj_run(g, &bad, NULL, &t, err, sizeof err), AIS_ERR_RANGE);
    assert_non_null(strstr(err, "above the top level"));
    bad = s;
    bad.hours = 0;
    assert_int_equal(ais_traj_run(g, &bad, NULL, &t, err, sizeof err), AIS_ERR_INVALID_ARG);
    bad = s;
    bad.height_m_agl = NAN;
    assert_int_equal(ais_traj_run(g, &bad, NULL, &t, err, sizeof err), AIS_ERR_INVALID_ARG);
    ais_met_grid_free(g);
}

/* A parcel pushed into the ground stays on the surface (alt 0) and goes on. */
static void test_ground(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(41, 41, 100.0, 15.0, 0.25, 0.25, 2, FX_T_REF, 24 * 3600);
    fx_uniform_wind(g, 3.0, 0.0, 1.0); /* sinking 36 hPa an hour */
    ais_traj_start s = {.lat = 20.0, .lon = 102.0, .height_m_agl = 300.0, .time = FX_T_REF,
                        .hours = 6};
    ais_traj t = run_ok(g, &s);
    assert_int_equal(t.stop, AIS_TRAJ_COMPLETED);
    assert_int_equal(t.n_points, 7);
    for (size_t k = 2; k < 7; k++) {
        assert_double_near(t.points[k].pressure_hpa, FX_PSFC / 100.0, 1e-3);
        assert_double_near(t.points[k].alt_m, 0.0, 1e-3);
    }
    assert_true(t.points[6].lon > t.points[5].lon); /* still moving with the wind */
    ais_traj_clear(&t);
    ais_met_grid_free(g);
}

/* (f) The step shrinks as the wind grows: at most half a grid cell per step. */
static void test_adaptive_step(void **state)
{
    (void)state;
    ais_met_grid *g = fx_grid(281, 121, 60.0, 5.0, 0.25, 0.25, 2, FX_T_REF - 24 * 3600,
                              24 * 3600);
    double ds = AIS_MET_EARTH_RADIUS_M * 0.25 * cos(HANOI_LAT / DEG) / DEG; /* the cell's short side */
    const double speeds[] = {1.0, 5.0, 10.0, 20.0, 40.0};
    size_t previous = 0;
    for (size_t k = 0; k < sizeof speeds / sizeof speeds[0]; k++) {
        fx_uniform_wind(g, speeds[k], 0.0, 0.0);
        ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .height_m_agl = 500.0,
                            .time = FX_T_REF, .hours = -24};
        ais_traj t = run_ok(g, &s);
        double dt = fmin(3600.0, 0.5 * ds / speeds[k]);
        size_t expected = 24 * (size_t)ceil(3600.0 / dt - 1e-9);
        print_message("adaptive step: %4.1f m/s -> %zu steps in 24 h (expected %zu)\n",
                      speeds[k], t.steps, expected);
        assert_int_equal(t.steps, expected);
        assert_true(t.steps >= previous);
        previous = t.steps;
        ais_traj_clear(&t);
    }
    assert_int_equal(previous, 24 * 12); /* 40 m/s: 12 steps an hour */

    /* the vertical limit: omega 2 Pa/s may move half of the thinnest layer (75 hPa) per step */
    fx_uniform_wind(g, 0.0, 0.0, -2.0);
    ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .pressure_hpa = 1000.0,
                        .time = FX_T_REF - 24 * 3600, .hours = 2};
    ais_traj t = run_ok(g, &s);
    assert_int_equal(t.steps, 2 * 2); /* dt = 0.5 * 7500 / 2 = 1875 s: two steps an hour */
    ais_traj_clear(&t);
    ais_met_grid_free(g);
}

/* Analytic field -> ARL file -> read back -> the same trajectory, within what the packing
 * precision allows. */
static void test_arl_round_trip_trajectory(void **state)
{
    (void)state;
    ais_met_grid *g = varying_grid();
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "varying.arl");
    char err[AIS_ARL_ERRBUF_SIZE];
    assert_int_equal(ais_arl_write_met(g, path, err, sizeof err), AIS_OK);
    ais_met_grid *r = NULL;
    ais_arl_problem problem;
    assert_int_equal(ais_arl_read_met(path, &r, &problem, err, sizeof err), AIS_OK);

    /* the largest wind difference the packing introduced */
    double du = 0.0, dw = 0.0;
    size_t n = g->nt * g->nz * g->nx * g->ny;
    for (size_t q = 0; q < n; q++) {
        du = fmax(du, fabs(g->upper[AIS_MET_U][q] - r->upper[AIS_MET_U][q]));
        du = fmax(du, fabs(g->upper[AIS_MET_V][q] - r->upper[AIS_MET_V][q]));
        dw = fmax(dw, fabs(g->upper[AIS_MET_W][q] - r->upper[AIS_MET_W][q]));
    }
    const double T = 24.0 * 3600.0;
    /* bound: a wind error du moves the parcel at most du * T; doubled for the interpolation of
     * the perturbed field along a slightly different path */
    double bound_m = 2.0 * du * T + 1.0, bound_hpa = (2.0 * dw * T) / 100.0 + 0.01;
    ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .height_m_agl = 2000.0,
                        .time = FX_T_REF, .hours = 24};
    ais_traj a = run_ok(g, &s), b = run_ok(r, &s);
    assert_int_equal(a.n_points, b.n_points);
    double worst_m = 0.0, worst_hpa = 0.0;
    for (size_t k = 0; k < a.n_points; k++) {
        worst_m = fmax(worst_m, ais_traj_distance_m(a.points[k].lat, a.points[k].lon,
                                                    b.points[k].lat, b.points[k].lon));
        worst_hpa = fmax(worst_hpa, fabs(a.points[k].pressure_hpa - b.points[k].pressure_hpa));
    }
    print_message("ARL round trip: wind packing error <= %.2e m/s, omega <= %.2e Pa/s; "
                  "trajectories differ by <= %.2f m (bound %.1f m), %.4f hPa (bound %.3f)\n",
                  du, dw, worst_m, bound_m, worst_hpa, bound_hpa);
    assert_true(du < 0.01); /* winds of ~10 m/s on a 0.25 degree grid pack to < 1 cm/s */
    assert_true(worst_m <= bound_m);
    assert_true(worst_hpa <= bound_hpa);
    ais_traj_clear(&a);
    ais_traj_clear(&b);
    ais_met_grid_free(r);
    ais_met_grid_free(g);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
}

static void test_distance(void **state)
{
    (void)state;
    /* one degree of latitude on the 6371 km sphere */
    assert_double_near(ais_traj_distance_m(20.0, 105.0, 21.0, 105.0), 111194.93, 0.01);
    assert_double_near(ais_traj_distance_m(21.0, 105.0, 21.0, 105.0), 0.0, 0.0);
    assert_string_equal(ais_traj_stop_name(AIS_TRAJ_MET_ENDED), "met_ended");
    assert_string_equal(ais_traj_stop_name(AIS_TRAJ_ABOVE_TOP), "above_top");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_flow),
        cmocka_unit_test(test_solid_body_rotation),
        cmocka_unit_test(test_forward_then_backward),
        cmocka_unit_test(test_time_interpolation_path),
        cmocka_unit_test(test_stops),
        cmocka_unit_test(test_ground),
        cmocka_unit_test(test_adaptive_step),
        cmocka_unit_test(test_arl_round_trip_trajectory),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
