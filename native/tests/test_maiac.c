/* MAIAC decoding on a HAND-MADE granule in the MCD19A2 v061 layout (SDS names, types, dims,
 * attributes, StructMetadata.0 / CoreMetadata.0 as in the real granules, written with the
 * provider simulator's writer, ais/provsim_gridded.h; NOT real data): tile
 * h27v06, where Hanoi is, at 40 x 40 pixels instead of 1200 x 1200, 2 orbits, values from a
 * formula. Expected figures from an independent brute force over the same formula: the
 * geometry, the best-quality QA bits, fill values, valid_range and the scale factor. Plus the
 * simulator (deterministic, plausible). */
#include "gridded_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mfhdf.h>

#include "ais/maiac.h"
#include "ais/provsim_gridded.h"
#include "ais/timeutil.h"

#define N 40
#define ORBITS 2
#define TILE 1111950.519667
#define ULX (-20015109.354 + 27 * TILE)
#define ULY (10007554.677 - 6 * TILE)
#define NAME "MCD19A2.A2026010.h27v06.061.2026012093015.hdf"

static const ais_bbox HANOI = {.west = 105.25, .east = 106.10, .south = 20.55, .north = 21.40};

static int16 fx_aod(int band, int o, int r, int c)
{
    if ((r * 7 + c * 3 + o) % 17 == 0)
        return AIS_MAIAC_FILL;
    if ((r + c + o) % 23 == 0)
        return 7000; /* outside valid_range */
    return (int16)(band == 47 ? 300 + 11 * r + 5 * c + 40 * o : 220 + 8 * r + 4 * c + 30 * o);
}

static uint16 fx_qa(int o, int r, int c)
{
    if ((r * 3 + c + o) % 11 == 0)
        return 0; /* fill */
    uint16 qa_aod = (uint16)((r + 2 * c + o) % 5 == 0 ? 3 : 0); /* 0011: a cloudy neighbour */
    return (uint16)(1u | ((unsigned)qa_aod << 8)); /* cloud mask "clear" */
}

/* The hand-made granule (also the fuzz seed native/fuzz/corpus/maiac_hdf4), written with the
 * provider simulator's writer, stored (not deflated) so that the decoder's HDF4 read path runs
 * (the simulated and real granules take the parallel inflate). */
static void write_granule(const char *path)
{
    static int16_t a47[ORBITS][N][N], a55[ORBITS][N][N];
    static uint16_t qa[ORBITS][N][N];
    for (int o = 0; o < ORBITS; o++)
        for (int r = 0; r < N; r++)
            for (int c = 0; c < N; c++) {
                a47[o][r][c] = fx_aod(47, o, r, c);
                a55[o][r][c] = fx_aod(55, o, r, c);
                qa[o][r][c] = fx_qa(o, r, c);
            }
    int64_t start, end, produced;
    assert_int_equal(ais_time_parse_iso("2026-01-10T03:25:00Z", &start), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2026-01-10T06:40:00Z", &end), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2026-01-12T09:30:15Z", &produced), AIS_OK);
    ais_maiac_granule_spec g = {
        .h = 27, .v = 6, .nx = N, .ny = N, .orbits = ORBITS, .time_start = start,
        .time_end = end, .production_time = produced, .deflate_level = 0,
        .comment = "HAND-MADE FIXTURE in the MCD19A2 layout (not real data)",
        .aod047 = &a47[0][0][0], .aod055 = &a55[0][0][0], .qa = &qa[0][0][0]};
    char err[256];
    assert_int_equal(ais_maiac_granule_write(path, &g, NULL, err, sizeof err), AIS_OK);
}

static void test_handmade_granule(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *path = ais_test_join(tmp, NAME);
    write_granule(path);
    ais_maiac_granule g;
    const char *reason = NULL;
    char detail[256];
    assert_int_equal(ais_maiac_decode(path, &HANOI, &g, &reason, detail, sizeof detail), AIS_OK);

    /* brute force: pixel centres of the sinusoidal grid, the same rules written out again */
    const double R = 6371007.181, w = TILE / N;
    uint64_t box = 0;
    ais_stat s47 = {0}, s55 = {0};
    double sum55 = 0;
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++) {
            double y = ULY - (r + 0.5) * w, x = ULX + (c + 0.5) * w;
            double lat = y / R * 180.0 / M_PI;
            double lon = x / (R * cos(y / R)) * 180.0 / M_PI;
            if (lat < 20.55 || lat > 21.40 || lon < 105.25 || lon > 106.10)
                continue;
            box++;
            for (int o = 0; o < ORBITS; o++) {
                uint16 q = fx_qa(o, r, c);
                if (q == 0 || (q >> 8 & 15) != 0)
                    continue;
                int16 a = fx_aod(55, o, r, c), b = fx_aod(47, o, r, c);
                if (a != AIS_MAIAC_FILL && a >= -100 && a <= 6000) {
                    ais_stat_add(&s55, a * 0.001);
                    sum55 += a * 0.001;
                }
                if (b != AIS_MAIAC_FILL && b >= -100 && b <= 6000)
                    ais_stat_add(&s47, b * 0.001);
            }
        }
    assert_true(box >= 6 && box <= 20); /* 0.85 degree at ~26 km pixels */
    assert_int_equal(g.box_pixels, box);
    assert_int_equal(g.total, box * ORBITS);
    assert_int_equal(g.orbits, ORBITS);
    assert_true(s55.n > 0 && s55.n < box * ORBITS);
    assert_int_equal(g.aod055.n, s55.n);
    assert_double_near(g.aod055.mean, sum55 / (double)s55.n, 1e-12);
    assert_double_near(g.aod055.min, s55.min, 1e-15);
    assert_double_near(g.aod055.max, s55.max, 1e-15);
    assert_int_equal(g.aod047.n, s47.n);
    assert_double_near(g.aod047.mean, s47.mean, 1e-12);
    assert_string_equal(g.tile, "h27v06");
    assert_int_equal(g.time_start, 1768015500); /* 2026-01-10T03:25:00Z */
    int64_t t;
    assert_int_equal(ais_time_parse_iso("2026-01-10T03:25:00Z", &t), AIS_OK);
    assert_int_equal(g.time_start, t);

    /* a file whose name is not a MCD19A2 granule, and one that is not HDF4 */
    char *renamed = ais_test_join(tmp, "granule.hdf");
    ais_test_write_file(renamed, "not hdf");
    assert_int_equal(ais_maiac_decode(renamed, &HANOI, &g, &reason, detail, sizeof detail),
                     AIS_ERR_PARSE);
    assert_string_equal(reason, "bad_file_name");
    char *junk = ais_test_join(tmp, "MCD19A2.A2026011.h27v06.061.2026012093015.hdf");
    ais_test_write_file(junk, "not hdf at all, just text\n");
    assert_int_equal(ais_maiac_decode(junk, &HANOI, &g, &reason, detail, sizeof detail),
                     AIS_ERR_PARSE);
    assert_string_equal(reason, "hdf4_open_failed");
    free(junk);
    free(renamed);
    free(path);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void test_simulate(void **state)
{
    (void)state;
    int64_t start, end;
    assert_int_equal(ais_time_parse_iso("2026-01-01T00:00:00Z", &start), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2027-01-01T00:00:00Z", &end), AIS_OK);
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", start, end), AIS_OK);
    json_t *a = json_array(), *b = json_array();
    ais_sink sa = {.ctx = a, .write = gt_keep}, sb = {.ctx = b, .write = gt_keep};
    uint64_t n;
    assert_int_equal(ais_maiac_simulate(9, &HANOI, &env, &sa, &n), AIS_OK);
    assert_int_equal(n, 365);
    assert_int_equal(ais_maiac_simulate(9, &HANOI, &env, &sb, &n), AIS_OK);
    double spring = 0, summer = 0;
    int ns = 0, nu = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
        json_object_del(x, "ingest_time");
        json_object_del(y, "ingest_time");
        assert_true(json_equal(x, y));
        assert_string_equal(json_string_value(json_object_get(x, "tile")), "h27v06");
        json_t *m = json_object_get(x, "stats_mean");
        if (json_is_null(m))
            continue;
        double aod = json_real_value(m), aod47 = json_real_value(json_object_get(x, "aod_047_mean"));
        assert_true(aod > 0.02 && aod < 5.0);
        assert_true(aod47 > aod); /* shorter wavelength, higher AOD */
        if (i >= 59 && i < 120) {
            spring += aod;
            ns++;
        } else if (i >= 181 && i < 243) {
            summer += aod;
            nu++;
        }
    }
    assert_true(ns > 10 && nu > 10);
    assert_true(spring / ns > 1.5 * (summer / nu)); /* burning season vs monsoon */
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handmade_granule),
        cmocka_unit_test(test_simulate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
