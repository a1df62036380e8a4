/* The simulated ERA5-like field: configuration, determinism, physical plausibility, and
 * trajectories through it. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ais/arl.h"
#include "ais/config.h"
#include "ais/met_simulate.h"
#include "ais/timeutil.h"
#include "ais/traj.h"
#include "traj_fixtures.h"

#define HANOI_LAT 21.0285
#define HANOI_LON 105.8542

static ais_met_sim_params config_params(void)
{
    char *path = ais_test_repo_config();
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(path, &cfg), AIS_OK);
    ais_met_sim_params p;
    assert_int_equal(ais_met_sim_params_from_config(cfg, &p), AIS_OK);
    ais_config_free(cfg);
    free(path);
    return p;
}

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static ais_met_grid *simulate(const ais_met_sim_params *p, const char *start, const char *end)
{
    ais_met_grid *g = NULL;
    assert_int_equal(ais_met_simulate(p, iso(start), iso(end), &g), AIS_OK);
    return g;
}

static void test_params_from_config(void **state)
{
    (void)state;
    ais_met_sim_params p = config_params();
    assert_int_equal(p.seed, 20261121);
    assert_double_near(p.west, 95.0, 0.0);
    assert_double_near(p.east, 115.0, 0.0);
    assert_double_near(p.south, 5.0, 0.0);
    assert_double_near(p.north, 35.0, 0.0);
    assert_double_near(p.grid_deg, 0.25, 0.0);
    assert_int_equal(p.n_levels, 7);
    assert_double_near(p.levels_hpa[0], 1000.0, 0.0);
    assert_double_near(p.levels_hpa[6], 400.0, 0.0);
    assert_int_equal(p.n_hours, 4);
    assert_int_equal(p.hours_utc[3], 18);
}

static void test_grid_shape_and_determinism(void **state)
{
    (void)state;
    ais_met_sim_params p = config_params();
    ais_met_grid *a = simulate(&p, "2026-01-10T00:00:00Z", "2026-01-14T00:00:00Z");
    assert_int_equal(a->nx, 81);
    assert_int_equal(a->ny, 121);
    assert_int_equal(a->nz, 7);
    assert_int_equal(a->nt, 17); /* 4 days of 00/06/12/18 UTC, both ends included */
    assert_int_equal(a->times[1] - a->times[0], 6 * 3600);
    assert_string_equal(a->source, AIS_MET_SOURCE_SIMULATED);
    assert_true(ais_met_is_simulated(a));

    /* the same window twice: identical; an overlapping window: identical where they overlap */
    ais_met_grid *b = simulate(&p, "2026-01-10T00:00:00Z", "2026-01-14T00:00:00Z");
    ais_met_grid *c = simulate(&p, "2026-01-12T03:00:00Z", "2026-01-14T00:00:00Z");
    size_t nxy = a->nx * a->ny, per_t = nxy * a->nz;
    assert_int_equal(c->nt, 8);
    assert_int_equal(c->times[0], iso("2026-01-12T06:00:00Z"));
    for (int f = 0; f < AIS_MET_UPPER_COUNT; f++) {
        assert_memory_equal(a->upper[f], b->upper[f], a->nt * per_t * sizeof(float));
        assert_memory_equal(a->upper[f] + 9 * per_t, c->upper[f], c->nt * per_t * sizeof(float));
    }
    assert_memory_equal(a->sfc[AIS_MET_PSFC] + 9 * nxy, c->sfc[AIS_MET_PSFC],
                        c->nt * nxy * sizeof(float));
    /* another seed: other waves and surges */
    p.seed++;
    ais_met_grid *d = simulate(&p, "2026-01-10T00:00:00Z", "2026-01-14T00:00:00Z");
    assert_memory_not_equal(a->upper[AIS_MET_U], d->upper[AIS_MET_U], per_t * sizeof(float));
    assert_memory_equal(a->terrain_m, d->terrain_m, nxy * sizeof(float)); /* terrain is fixed */

    /* a window without any 00/06/12/18 UTC time */
    ais_met_grid *none = NULL;
    assert_int_equal(ais_met_simulate(&p, iso("2026-01-10T01:00:00Z"),
                                      iso("2026-01-10T05:00:00Z"), &none),
                     AIS_ERR_INVALID_ARG);
    assert_null(none);
    ais_met_grid_free(a);
    ais_met_grid_free(b);
    ais_met_grid_free(c);
    ais_met_grid_free(d);
}

/* Mean of an upper field over a lat/lon box and all times at level k. */
static double box_mean(const ais_met_grid *g, int field, size_t k, double s, double n, double w,
                       double e)
{
    double sum = 0.0;
    size_t count = 0, nxy = g->nx * g->ny;
    for (size_t t = 0; t < g->nt; t++)
        for (size_t j = 0; j < g->ny; j++)
            for (size_t i = 0; i < g->nx; i++) {
                double lat = ais_met_lat(g, j), lon = ais_met_lon(g, i);
                if (lat < s || lat > n || lon < w || lon > e)
                    continue;
                sum += g->upper[field][(t * g->nz + k) * nxy + j * g->nx + i];
                count++;
            }
    assert_true(count > 0);
    return sum / (double)count;
}

static void test_plausible_january_and_july(void **state)
{
    (void)state;
    ais_met_sim_params p = config_params();
    ais_met_grid *jan = simulate(&p, "2026-01-10T00:00:00Z", "2026-01-14T00:00:00Z");
    ais_met_grid *jul = simulate(&p, "2026-07-10T00:00:00Z", "2026-07-14T00:00:00Z");

    /* winter: north-easterly monsoon over northern Vietnam and the Gulf of Tonkin (925 hPa) */
    double u = box_mean(jan, AIS_MET_U, 1, 18, 24, 104, 110);
    double v = box_mean(jan, AIS_MET_V, 1, 18, 24, 104, 110);
    print_message("January 925 hPa over N Vietnam: u %.1f v %.1f m/s\n", u, v);
    assert_true(u < -2.0 && v < -2.0);
    /* the subtropical jet near 30 N at 400 hPa */
    double jet = box_mean(jan, AIS_MET_U, 6, 29, 33, 95, 115);
    print_message("January 400 hPa 29-33 N: u %.1f m/s\n", jet);
    assert_true(jet > 25.0 && jet < 50.0);
    /* summer: south-westerly monsoon at 850 hPa over the south */
    u = box_mean(jul, AIS_MET_U, 2, 8, 18, 98, 112);
    v = box_mean(jul, AIS_MET_V, 2, 8, 18, 98, 112);
    print_message("July 850 hPa 8-18 N: u %.1f v %.1f m/s\n", u, v);
    assert_true(u > 3.0 && v > 0.0);

    /* columns: heights rise and temperatures fall upward; bounded omega and surface values */
    size_t nxy = jan->nx * jan->ny;
    double wmax = 0.0, tmax_terrain = 0.0;
    for (size_t t = 0; t < jan->nt; t++)
        for (size_t q = 0; q < nxy; q++) {
            for (size_t k = 1; k < jan->nz; k++) {
                size_t i0 = (t * jan->nz + k - 1) * nxy + q, i1 = i0 + nxy;
                assert_true(jan->upper[AIS_MET_HGT][i1] > jan->upper[AIS_MET_HGT][i0]);
                assert_true(jan->upper[AIS_MET_T][i1] < jan->upper[AIS_MET_T][i0]);
            }
            for (size_t k = 0; k < jan->nz; k++)
                wmax = fmax(wmax, fabs(jan->upper[AIS_MET_W][(t * jan->nz + k) * nxy + q]));
            float ps = jan->sfc[AIS_MET_PSFC][t * nxy + q];
            assert_true(ps > 50000.0f && ps < 104500.0f);
            tmax_terrain = fmax(tmax_terrain, jan->terrain_m[q]);
        }
    print_message("January |omega| max %.3f Pa/s, highest terrain %.0f m\n", wmax, tmax_terrain);
    assert_true(wmax < 0.35 && wmax > 0.02);
    assert_true(tmax_terrain > 3500.0); /* the Tibetan plateau edge in the north-west */

    ais_met_values s;
    assert_int_equal(ais_met_interp(jan, (double)jan->times[0], HANOI_LAT, HANOI_LON, 90000.0, &s,
                                    NULL),
                     AIS_OK);
    print_message("Hanoi: terrain %.0f m, psfc %.1f hPa\n", s.terrain_m, s.psfc / 100.0);
    assert_true(s.terrain_m < 100.0);
    assert_true(s.psfc > 100500.0 && s.psfc < 103500.0); /* winter high */
    double t2m;
    assert_int_equal(ais_met_get_sfc(jan, AIS_MET_T2M, 0, 64, 43, &t2m), AIS_OK); /* 21 N 105.75 E */
    assert_true(t2m > 284.0 && t2m < 298.0);
    assert_int_equal(ais_met_interp(jan, (double)jan->times[0], 15.0, 112.0, 90000.0, &s, NULL),
                     AIS_OK);
    assert_true(s.terrain_m < 5.0); /* the South China Sea */
    ais_met_grid_free(jan);
    ais_met_grid_free(jul);
}

/* Winter back-trajectories from Hanoi come from the north-east (southern China, the Gulf of
 * Tonkin); forward then backward through the simulated field returns to Hanoi. */
static void test_trajectories_through_simulated_field(void **state)
{
    (void)state;
    ais_met_sim_params p = config_params();
    ais_met_grid *g = simulate(&p, "2026-01-10T00:00:00Z", "2026-01-14T00:00:00Z");
    int from_ne = 0;
    for (int day = 0; day < 2; day++) {
        ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .height_m_agl = 500.0,
                            .time = iso("2026-01-13T00:00:00Z") + day * 43200, .hours = -72};
        ais_traj t;
        char err[256];
        assert_int_equal(ais_traj_run(g, &s, NULL, &t, err, sizeof err), AIS_OK);
        const ais_traj_point *e = &t.points[t.n_points - 1];
        print_message("back-trajectory from Hanoi: %s after %.0f h at %.2f N %.2f E, %.0f m AGL\n",
                      ais_traj_stop_name(t.stop), t.end_age_h, e->lat, e->lon, e->alt_m);
        from_ne += e->lat > HANOI_LAT && e->lon > HANOI_LON - 1.0;
        ais_traj_clear(&t);
    }
    assert_int_equal(from_ne, 2);

    /* forward 24 h then back 24 h, from 1500 m (away from the ground) */
    ais_traj_start s = {.lat = HANOI_LAT, .lon = HANOI_LON, .height_m_agl = 1500.0,
                        .time = iso("2026-01-11T00:00:00Z"), .hours = 24};
    ais_traj f, b;
    char err[256];
    assert_int_equal(ais_traj_run(g, &s, NULL, &f, err, sizeof err), AIS_OK);
    assert_int_equal(f.stop, AIS_TRAJ_COMPLETED);
    const ais_traj_point *e = &f.points[24];
    ais_traj_start back = {.lat = e->lat, .lon = e->lon, .pressure_hpa = e->pressure_hpa,
                           .time = e->time, .hours = -24};
    assert_int_equal(ais_traj_run(g, &back, NULL, &b, err, sizeof err), AIS_OK);
    double moved = ais_traj_distance_m(HANOI_LAT, HANOI_LON, e->lat, e->lon);
    double miss = ais_traj_distance_m(HANOI_LAT, HANOI_LON, b.points[24].lat, b.points[24].lon);
    double dp = fabs(b.points[24].pressure_hpa - f.points[0].pressure_hpa);
    print_message("simulated field forward/backward: moved %.0f km, returned within %.1f m and "
                  "%.3f hPa\n",
                  moved / 1000.0, miss, dp);
    assert_true(moved > 100e3);
    /* tolerance 20 m and 0.02 hPa after a 24 h round trip through a realistic, changing wind */
    assert_true(miss < 20.0);
    assert_true(dp < 0.02);
    ais_traj_clear(&f);
    ais_traj_clear(&b);
    ais_met_grid_free(g);
}

/* The ARL file of a simulated field says so. */
static void test_simulated_arl_is_labelled(void **state)
{
    (void)state;
    ais_met_sim_params p = config_params();
    ais_met_grid *g = simulate(&p, "2026-01-10T00:00:00Z", "2026-01-10T06:00:00Z");
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "sim.arl");
    char err[AIS_ARL_ERRBUF_SIZE];
    assert_int_equal(ais_arl_write_met(g, path, err, sizeof err), AIS_OK);
    char *bytes = ais_test_read_file(path);
    assert_non_null(bytes);
    assert_memory_equal(bytes + 50, "SIMU", 4); /* the index record's data source */
    free(bytes);
    ais_met_grid *r = NULL;
    ais_arl_problem problem;
    assert_int_equal(ais_arl_read_met(path, &r, &problem, err, sizeof err), AIS_OK);
    assert_true(ais_met_is_simulated(r));
    assert_int_equal(r->nt, 2);
    ais_met_grid_free(r);
    ais_met_grid_free(g);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_from_config),
        cmocka_unit_test(test_grid_shape_and_determinism),
        cmocka_unit_test(test_plausible_january_and_july),
        cmocka_unit_test(test_trajectories_through_simulated_field),
        cmocka_unit_test(test_simulated_arl_is_labelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
