/* ARL packed files: labels, packing, checksums, the writer's bytes, reading back, and files that
 * are truncated or corrupt. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/arl.h"
#include "ais/met.h"
#include "traj_fixtures.h"

/* ---------------------------------------------------------------------------------------- */

static void test_e14_format(void **state)
{
    (void)state;
    char out[15];
    const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.0625, " 0.6250000E-01"},  {1006.883, " 0.1006883E+04"}, {-3.5, "-0.3500000E+01"},
        {0.0, " 0.0000000E+00"},     {123456789.0, " 0.1234568E+09"},
        {1e-100, " 0.0000000E+00"},  {-0.000123456789, "-0.1234568E-03"},
        {9.9999996, " 0.1000000E+02"}, /* rounding carries into the exponent */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(ais_arl_format_e14(cases[k].v, out), AIS_OK);
        assert_string_equal(out, cases[k].text);
        assert_int_equal(strlen(out), 14);
    }
    assert_int_equal(ais_arl_format_e14(NAN, out), AIS_ERR_RANGE);
    assert_int_equal(ais_arl_format_e14(INFINITY, out), AIS_ERR_RANGE);
    assert_int_equal(ais_arl_format_e14(9.99999996e98, out), AIS_ERR_RANGE);
}

static void test_label_format_and_parse(void **state)
{
    (void)state;
    ais_arl_label lab = {.year = 2026, .month = 1, .day = 15, .hour = 6, .forecast_hour = 0,
                         .level = 3, .grid = 99, .var = "UWND", .nexp = -2, .prec = 0.03125,
                         .var1 = 12.5};
    char bytes[AIS_ARL_LABEL_LEN + 1];
    assert_int_equal(ais_arl_label_format(&lab, bytes), AIS_OK);
    bytes[AIS_ARL_LABEL_LEN] = '\0';
    assert_string_equal(bytes, "26 115 6 0 399UWND  -2 0.3125000E-01 0.1250000E+02");

    ais_arl_label back;
    assert_int_equal(ais_arl_label_parse(bytes, &back), AIS_OK);
    assert_int_equal(back.year, 2026);
    assert_int_equal(back.month, 1);
    assert_int_equal(back.day, 15);
    assert_int_equal(back.hour, 6);
    assert_int_equal(back.forecast_hour, 0);
    assert_int_equal(back.level, 3);
    assert_int_equal(back.grid, 99);
    assert_string_equal(back.var, "UWND");
    assert_int_equal(back.nexp, -2);
    assert_double_near(back.prec, 0.03125, 0.0);
    assert_double_near(back.var1, 12.5, 0.0);

    /* two-digit years: 40..99 -> 19xx, 00..39 -> 20xx */
    memcpy(bytes, "39", 2);
    assert_int_equal(ais_arl_label_parse(bytes, &back), AIS_OK);
    assert_int_equal(back.year, 2039);
    memcpy(bytes, "40", 2);
    assert_int_equal(ais_arl_label_parse(bytes, &back), AIS_OK);
    assert_int_equal(back.year, 1940);

    char bad[AIS_ARL_LABEL_LEN + 1];
    memcpy(bad, "26 115 6 0 399UWND  -2 0.3125000E-01 0.1250000E+02", AIS_ARL_LABEL_LEN + 1);
    bad[2] = '1';
    bad[3] = '3'; /* month 13 */
    assert_int_equal(ais_arl_label_parse(bad, &back), AIS_ERR_PARSE);
    memcpy(bad, "26 115 6 0 399UWND  -2 0.3125000E-01 0.1250000E+02", AIS_ARL_LABEL_LEN + 1);
    bad[20] = 'x'; /* exponent field */
    assert_int_equal(ais_arl_label_parse(bad, &back), AIS_ERR_PARSE);
    memcpy(bad, "26 115 6 0 399UWND  -2 0.3125000E-01 0.1250000E+02", AIS_ARL_LABEL_LEN + 1);
    bad[15] = '\x01'; /* variable name */
    assert_int_equal(ais_arl_label_parse(bad, &back), AIS_ERR_PARSE);
    memcpy(bad, "26 115 6 0 399UWND  -2 0.3125000E-01 nan          ", AIS_ARL_LABEL_LEN + 1);
    assert_int_equal(ais_arl_label_parse(bad, &back), AIS_ERR_PARSE);
    memcpy(bad, "26 230 6 0 399UWND  -2 0.3125000E-01 0.1250000E+02", AIS_ARL_LABEL_LEN + 1);
    assert_int_equal(ais_arl_label_parse(bad, &back), AIS_ERR_PARSE); /* 30 February */

    lab.level = 100;
    assert_int_equal(ais_arl_label_format(&lab, bytes), AIS_ERR_RANGE);
    lab.level = 3;
    memcpy(lab.var, "UW\n", 4);
    assert_int_equal(ais_arl_label_format(&lab, bytes), AIS_ERR_INVALID_ARG);
}

/* A 3 x 2 field packed by hand with the documented algorithm. */
static void test_pack_by_hand(void **state)
{
    (void)state;
    const double values[6] = {10, 11, 13, /* row 1 (south) */ 9, 9.5, 9.5};
    unsigned char packed[6];
    ais_arl_packing pk;
    assert_int_equal(ais_arl_pack(values, 3, 2, packed, &pk), AIS_OK);
    /* differences 0 1 2 | -1 (from the row below's first) 0.5 0: max 2 -> NEXP 2, scale 32 */
    assert_int_equal(pk.nexp, 2);
    assert_double_near(pk.prec, 1.0 / 32.0, 0.0);
    assert_double_near(pk.var1, 10.0, 0.0);
    const unsigned char expected[6] = {127, 159, 191, 95, 143, 127};
    assert_memory_equal(packed, expected, 6);
    /* 127+159=286->31, +191=222, +95=317->62, +143=205, +127=332->77 */
    assert_int_equal(pk.checksum, 77);
    assert_int_equal(ais_arl_checksum(packed, 6), 77);
    double back[6];
    assert_int_equal(ais_arl_unpack(packed, 3, 2, pk.nexp, pk.var1, back), AIS_OK);
    for (int k = 0; k < 6; k++)
        assert_double_near(back[k], values[k], 0.0);
    assert_int_equal(ais_arl_unpack(packed, 3, 2, 128, 0.0, back), AIS_ERR_RANGE);
    assert_int_equal(ais_arl_unpack(packed, 3, 2, 0, NAN, back), AIS_ERR_RANGE);
}

static void test_checksum_wraps(void **state)
{
    (void)state;
    const unsigned char a[2] = {255, 255}, b[2] = {200, 100}, c[3] = {0, 0, 0};
    assert_int_equal(ais_arl_checksum(a, 2), 255); /* 255, then 510 - 255 */
    assert_int_equal(ais_arl_checksum(b, 2), 45);  /* 300 - 255 */
    assert_int_equal(ais_arl_checksum(c, 3), 0);
}

/* Packs and unpacks, returns the largest |error| / precision. */
static double round_trip_ratio(const double *v, size_t nx, size_t ny, ais_arl_packing *pk)
{
    unsigned char *packed = malloc(nx * ny);
    double *back = malloc(nx * ny * sizeof *back);
    assert_non_null(packed);
    assert_non_null(back);
    assert_int_equal(ais_arl_pack(v, nx, ny, packed, pk), AIS_OK);
    assert_int_equal(ais_arl_checksum(packed, nx * ny), pk->checksum);
    assert_int_equal(ais_arl_unpack(packed, nx, ny, pk->nexp, pk->var1, back), AIS_OK);
    double worst = 0.0;
    for (size_t k = 0; k < nx * ny; k++) {
        double r = fabs(back[k] - v[k]) / pk->prec;
        if (r > worst)
            worst = r;
    }
    free(packed);
    free(back);
    return worst;
}

static void test_pack_round_trip_smooth_and_rough(void **state)
{
    (void)state;
    const size_t nx = 81, ny = 121;
    double *v = malloc(nx * ny * sizeof *v);
    assert_non_null(v);
    ais_arl_packing pk;

    /* smooth: a surface-pressure-like field in hPa */
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++)
            v[j * nx + i] = 1005.0 + 12.0 * sin(0.07 * (double)i) * cos(0.05 * (double)j);
    double r = round_trip_ratio(v, nx, ny, &pk);
    print_message("smooth: NEXP %d, precision %.3g, max error %.3f x precision\n", pk.nexp,
                  pk.prec, r);
    assert_true(r <= 0.5 + 1e-9);
    assert_true(pk.prec < 0.01); /* neighbours differ by < 1 hPa: sub-0.01 hPa precision */

    /* rough: noise in +-50 with spikes of +-500, as a corrupted or very noisy field */
    uint64_t rng = 42;
    for (size_t k = 0; k < nx * ny; k++) {
        v[k] = 100.0 * (fx_unit(&rng) - 0.5);
        if (fx_unit(&rng) < 0.01)
            v[k] += fx_unit(&rng) < 0.5 ? 500.0 : -500.0;
    }
    r = round_trip_ratio(v, nx, ny, &pk);
    print_message("rough: NEXP %d, precision %.3g, max error %.3f x precision\n", pk.nexp,
                  pk.prec, r);
    assert_true(r <= 0.5 + 1e-9);
    assert_int_equal(pk.nexp, 10); /* max difference between 512 and 1024 */

    /* constant field: NEXP 1, every byte 127, exact */
    for (size_t k = 0; k < nx * ny; k++)
        v[k] = -273.15;
    r = round_trip_ratio(v, nx, ny, &pk);
    assert_int_equal(pk.nexp, 1);
    assert_true(r == 0.0);

    /* tiny values (omega in hPa/s): the precision follows the scale of the differences */
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++)
            v[j * nx + i] = 0.002 * sin(0.3 * (double)i + 0.2 * (double)j);
    r = round_trip_ratio(v, nx, ny, &pk);
    assert_true(r <= 0.5 + 1e-9);
    assert_true(pk.prec < 1e-5);

    v[17] = NAN;
    unsigned char *packed = malloc(nx * ny);
    assert_non_null(packed);
    assert_int_equal(ais_arl_pack(v, nx, ny, packed, &pk), AIS_ERR_RANGE);
    v[17] = 1e39;
    assert_int_equal(ais_arl_pack(v, nx, ny, packed, &pk), AIS_ERR_RANGE);
    free(packed);
    free(v);
}

/* ---------------------------------------------------------------------------------------- */
/* Files */

/* A small met grid with smooth, non-trivial fields. 30 x 20 points hold the 492-byte index. */
static ais_met_grid *small_grid(size_t nt)
{
    ais_met_grid *g = fx_grid(30, 20, 100.0, 15.0, 0.25, 0.5, nt, FX_T_REF, 21600);
    size_t nxy = g->nx * g->ny;
    for (size_t t = 0; t < nt; t++)
        for (size_t j = 0; j < g->ny; j++)
            for (size_t i = 0; i < g->nx; i++) {
                size_t q = j * g->nx + i;
                double x = (double)i, y = (double)j, tt = (double)t;
                g->terrain_m[q] = (float)(300.0 * exp(-((x - 10) * (x - 10) + (y - 8) * (y - 8)) /
                                                      20.0));
                g->sfc[AIS_MET_PSFC][t * nxy + q] =
                    (float)(101000.0 - 11.0 * g->terrain_m[q] + 50.0 * sin(0.2 * x + tt));
                g->sfc[AIS_MET_U10][t * nxy + q] = (float)(3.0 * cos(0.1 * y));
                g->sfc[AIS_MET_V10][t * nxy + q] = (float)(-2.0 + 0.05 * x);
                g->sfc[AIS_MET_T2M][t * nxy + q] = (float)(295.0 - 0.2 * y + tt);
                for (size_t k = 0; k < g->nz; k++) {
                    size_t idx = (t * g->nz + k) * nxy + q;
                    double kk = (double)k;
                    g->upper[AIS_MET_U][idx] = (float)(5.0 + 3.0 * kk + 2.0 * sin(0.3 * x - tt));
                    g->upper[AIS_MET_V][idx] = (float)(-4.0 + cos(0.2 * y + kk));
                    g->upper[AIS_MET_W][idx] = (float)(0.15 * sin(0.4 * x + 0.3 * y + kk));
                    g->upper[AIS_MET_HGT][idx] += (float)(10.0 * sin(0.1 * x));
                    g->upper[AIS_MET_T][idx] = (float)(290.0 - 6.0 * kk + 0.1 * x);
                }
            }
    return g;
}

typedef struct file_fixture {
    char *dir, *path;
    ais_met_grid *grid;
    unsigned char *bytes;
    size_t len;
} file_fixture;

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    unsigned char *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int setup_file(void **state)
{
    file_fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->dir = ais_test_mkdtemp();
    fx->path = ais_test_join(fx->dir, "small.arl");
    fx->grid = small_grid(3);
    char err[AIS_ARL_ERRBUF_SIZE];
    assert_int_equal(ais_arl_write_met(fx->grid, fx->path, err, sizeof err), AIS_OK);
    fx->bytes = slurp(fx->path, &fx->len);
    *state = fx;
    return 0;
}

static int teardown_file(void **state)
{
    file_fixture *fx = *state;
    ais_test_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->path);
    free(fx->bytes);
    ais_met_grid_free(fx->grid);
    free(fx);
    return 0;
}

#define NXY (30 * 20)
#define RECLEN (NXY + 50)
#define RPT (1 + 5 + 7 * 5)

static void test_written_bytes(void **state)
{
    file_fixture *fx = *state;
    const unsigned char *b = fx->bytes;
    assert_int_equal(fx->len, 3 * RPT * RECLEN);
    /* index record: label, then the 108-byte header */
    assert_memory_equal(b, "26 115 0 0 099INDX   0 0.0000000E+00 0.0000000E+00", 50);
    const char *h = (const char *)b + 50;
    assert_memory_equal(h, "TEST  0 0", 9);
    /* upper-right lat 24.50, lon 107.25, dlat 0.50, dlon 0.25, 0 0 0, sync 1 1 at 15.00 100.00 */
    assert_memory_equal(h + 9,
                        "  24.50 107.25   0.50   0.25   0.00   0.00   0.00   1.00   1.00  15.00"
                        " 100.00   0.00",
                        84);
    assert_memory_equal(h + 93, " 30 20  8 2 492", 15);
    /* levels: surface first, then 1000 .. 400 hPa with their variables and checksums */
    assert_memory_equal(h + 108, "  0.00 5PRSS", 12);
    assert_memory_equal(h + 108 + 8 + 5 * 8, "1000.0 5HGTS", 12);
    assert_memory_equal(h + 108 + 2 * 8 + 10 * 8, "925.00 5HGTS", 12);
    assert_memory_equal(h + 108 + 7 * 8 + 35 * 8, "400.00 5HGTS", 12);
    /* the rest of the index record is blank */
    for (size_t k = 492; k < NXY; k++)
        assert_int_equal(h[k], ' ');

    /* each record: label with time, level, name; the index checksum is the data's */
    const char *names_sfc[5] = {"PRSS", "SHGT", "T02M", "U10M", "V10M"};
    const char *names_up[5] = {"HGTS", "TEMP", "UWND", "VWND", "WWND"};
    for (size_t period = 0; period < 3; period++) {
        size_t rec = 1, pos = 108;
        const char *ix = (const char *)b + period * RPT * RECLEN + 50;
        for (int level = 0; level < 8; level++) {
            pos += 8;
            for (int v = 0; v < 5; v++, rec++, pos += 8) {
                const unsigned char *r = b + (period * RPT + rec) * RECLEN;
                ais_arl_label lab;
                assert_int_equal(ais_arl_label_parse((const char *)r, &lab), AIS_OK);
                assert_int_equal(lab.hour, (int)(period * 6));
                assert_int_equal(lab.level, level);
                assert_int_equal(lab.grid, 99);
                assert_string_equal(lab.var, level == 0 ? names_sfc[v] : names_up[v]);
                assert_memory_equal(ix + pos, lab.var, 4);
                assert_double_near(lab.prec, ldexp(1.0, lab.nexp - 7), lab.prec * 1e-6);
                char sum[4];
                snprintf(sum, sizeof sum, "%3u", ais_arl_checksum(r + 50, NXY));
                assert_memory_equal(ix + pos + 4, sum, 3);
            }
        }
    }
    /* PRSS is in hPa and WWND in hPa/s: VAR1 is the grid's Pa value / 100 */
    ais_arl_label lab;
    assert_int_equal(ais_arl_label_parse((const char *)b + RECLEN, &lab), AIS_OK);
    assert_string_equal(lab.var, "PRSS");
    assert_double_near(lab.var1, fx->grid->sfc[AIS_MET_PSFC][0] / 100.0, 1e-4);
}

/* Precision of one record of the original grid: what packing its values gives. */
static double record_prec(const float *src, double scale)
{
    double v[NXY];
    unsigned char packed[NXY];
    ais_arl_packing pk;
    for (size_t k = 0; k < NXY; k++)
        v[k] = (double)src[k] * scale;
    assert_int_equal(ais_arl_pack(v, 30, 20, packed, &pk), AIS_OK);
    return pk.prec;
}

static double max_error_ratio(const float *a, const float *b, double scale, double prec)
{
    double worst = 0.0;
    for (size_t k = 0; k < NXY; k++) {
        double e = fabs((double)a[k] - (double)b[k]) * scale;
        /* float storage on both sides adds up to one float ulp of the value */
        double ulp = fabs((double)a[k]) * scale * 1.2e-7;
        double r = (e - ulp) / prec;
        if (r > worst)
            worst = r;
    }
    return worst;
}

static void test_read_back(void **state)
{
    file_fixture *fx = *state;
    ais_met_grid *g = NULL;
    ais_arl_problem problem;
    char err[AIS_ARL_ERRBUF_SIZE];
    assert_int_equal(ais_arl_read_met(fx->path, &g, &problem, err, sizeof err), AIS_OK);
    assert_int_equal(problem, AIS_ARL_PROBLEM_NONE);
    const ais_met_grid *o = fx->grid;
    assert_int_equal(g->nx, 30);
    assert_int_equal(g->ny, 20);
    assert_int_equal(g->nz, 7);
    assert_int_equal(g->nt, 3);
    assert_double_near(g->lon0, 100.0, 1e-9);
    assert_double_near(g->lat0, 15.0, 1e-9);
    assert_double_near(g->dlon, 0.25, 1e-9);
    assert_double_near(g->dlat, 0.5, 1e-9);
    assert_string_equal(g->source, "TEST");
    for (size_t k = 0; k < 7; k++)
        assert_double_near(g->levels_hpa[k], FX_LEVELS[k], 0.0);
    for (size_t t = 0; t < 3; t++)
        assert_int_equal(g->times[t], o->times[t]);

    double worst = 0.0;
    for (size_t t = 0; t < 3; t++) {
        for (int f = 0; f < AIS_MET_SFC_COUNT; f++) {
            double scale = f == AIS_MET_PSFC ? 0.01 : 1.0;
            const float *a = o->sfc[f] + t * NXY, *b = g->sfc[f] + t * NXY;
            worst = fmax(worst, max_error_ratio(a, b, scale, record_prec(a, scale)));
        }
        for (int f = 0; f < AIS_MET_UPPER_COUNT; f++)
            for (size_t k = 0; k < 7; k++) {
                double scale = f == AIS_MET_W ? 0.01 : 1.0;
                const float *a = o->upper[f] + (t * 7 + k) * NXY;
                const float *b = g->upper[f] + (t * 7 + k) * NXY;
                worst = fmax(worst, max_error_ratio(a, b, scale, record_prec(a, scale)));
            }
    }
    worst = fmax(worst, max_error_ratio(o->terrain_m, g->terrain_m, 1.0,
                                        record_prec(o->terrain_m, 1.0)));
    print_message("read back: max error %.3f x the record's precision\n", worst);
    assert_true(worst <= 0.5 + 1e-6);
    ais_met_grid_free(g);

    /* the same bytes from memory */
    assert_int_equal(ais_arl_read_met_mem(fx->bytes, fx->len, &g, &problem, err, sizeof err),
                     AIS_OK);
    assert_int_equal(g->nt, 3);
    ais_met_grid_free(g);
}

static ais_status read_mem(const unsigned char *b, size_t len, ais_arl_problem *problem,
                           char *err, size_t errsize)
{
    ais_met_grid *g = (ais_met_grid *)b; /* must come back NULL on failure */
    ais_status st = ais_arl_read_met_mem(b, len, &g, problem, err, errsize);
    if (st == AIS_OK) {
        assert_non_null(g);
        ais_met_grid_free(g);
    } else {
        assert_null(g);
    }
    return st;
}

static void test_truncated_file(void **state)
{
    file_fixture *fx = *state;
    char err[AIS_ARL_ERRBUF_SIZE];
    ais_arl_problem problem;
    size_t period = RPT * RECLEN;
    for (size_t len = 0; len < fx->len; len += (len < 1000 ? 1 : 97)) {
        ais_status st = read_mem(fx->bytes, len, &problem, err, sizeof err);
        if (len > 0 && len % period == 0) {
            assert_int_equal(st, AIS_OK); /* whole periods: a shorter but valid file */
            continue;
        }
        assert_int_equal(st, AIS_ERR_PARSE);
        assert_int_equal(problem, AIS_ARL_TRUNCATED);
        assert_true(strlen(err) > 10);
    }
    /* the last byte missing */
    assert_int_equal(read_mem(fx->bytes, fx->len - 1, &problem, err, sizeof err), AIS_ERR_PARSE);
    assert_int_equal(problem, AIS_ARL_TRUNCATED);
    assert_non_null(strstr(err, "not a whole number of 650-byte records"));
    /* one record missing */
    assert_int_equal(read_mem(fx->bytes, fx->len - RECLEN, &problem, err, sizeof err),
                     AIS_ERR_PARSE);
    assert_int_equal(problem, AIS_ARL_TRUNCATED);
    assert_non_null(strstr(err, "whole time periods of 41 records"));
    assert_int_equal(read_mem(fx->bytes, 2 * period, &problem, err, sizeof err), AIS_OK);
}

/* Applies edit to a copy of the file and expects the reader to refuse it with problem. */
static void expect_corrupt(const file_fixture *fx, size_t offset, const char *bytes, size_t n,
                           ais_arl_problem want, const char *message_part)
{
    unsigned char *copy = malloc(fx->len);
    assert_non_null(copy);
    memcpy(copy, fx->bytes, fx->len);
    memcpy(copy + offset, bytes, n);
    char err[AIS_ARL_ERRBUF_SIZE];
    ais_arl_problem problem;
    assert_int_equal(read_mem(copy, fx->len, &problem, err, sizeof err), AIS_ERR_PARSE);
    if (problem != want || strstr(err, message_part) == NULL)
        print_error("problem %s, message: %s\n", ais_arl_problem_name(problem), err);
    assert_int_equal(problem, want);
    assert_non_null(strstr(err, message_part));
    free(copy);
}

static void test_corrupt_files(void **state)
{
    file_fixture *fx = *state;
    size_t rec5 = 5 * RECLEN; /* V10M of period 1 */
    size_t period2 = RPT * RECLEN;
    char flipped = (char)(fx->bytes[rec5 + 50 + 123] ^ 0x01);

    expect_corrupt(fx, rec5 + 50 + 123, &flipped, 1, AIS_ARL_CHECKSUM, "checksum");
    expect_corrupt(fx, rec5 + 14, "VWND", 4, AIS_ARL_UNEXPECTED_RECORD, "index expects V10M");
    expect_corrupt(fx, rec5 + 6, "12", 2, AIS_ARL_UNEXPECTED_RECORD, "label says V10M");
    expect_corrupt(fx, rec5 + 2, "x1", 2, AIS_ARL_BAD_LABEL, "label does not parse");
    expect_corrupt(fx, 14, "UWND", 4, AIS_ARL_BAD_LABEL, "not an index record");
    expect_corrupt(fx, 0, "\x7f\x7f", 2, AIS_ARL_BAD_LABEL, "not an ARL file");
    /* the grid size in the header no longer matches the record length */
    expect_corrupt(fx, 50 + 93, " 31", 3, AIS_ARL_TRUNCATED, "not a whole number");
    expect_corrupt(fx, 50 + 93, "999999", 6, AIS_ARL_TRUNCATED, "shorter than one");
    expect_corrupt(fx, period2 + 50 + 93, " 31", 3, AIS_ARL_BAD_INDEX, "does not match");
    expect_corrupt(fx, 50 + 102, " 1", 2, AIS_ARL_UNSUPPORTED, "only pressure levels");
    expect_corrupt(fx, 50 + 9 + 4 * 7, " 100.00", 7, AIS_ARL_UNSUPPORTED, "latitude/longitude");
    expect_corrupt(fx, 50 + 104, "9999", 4, AIS_ARL_UNSUPPORTED, "index length");
    expect_corrupt(fx, 50 + 104, " 300", 4, AIS_ARL_BAD_INDEX, "beyond the index length");
    expect_corrupt(fx, 50 + 108 + 8 + 5 * 8 + 8, "UWND", 4, AIS_ARL_UNSUPPORTED, "has no HGTS");
    expect_corrupt(fx, 50 + 108 + 2 * 8 + 10 * 8, "1010.0", 6, AIS_ARL_UNSUPPORTED,
                   "decrease upward");
    /* the second period's index disagrees with the first, or repeats its time */
    expect_corrupt(fx, period2 + 50 + 9, "  24.75", 7, AIS_ARL_BAD_INDEX, "differ from the first");
    expect_corrupt(fx, period2 + 6, " 0", 2, AIS_ARL_BAD_INDEX, "does not follow");
    /* an exponent the unpacker refuses, and a VAR1 whose values leave float range */
    expect_corrupt(fx, rec5 + 18, " 200", 4, AIS_ARL_BAD_LABEL, "exponent 200");
    expect_corrupt(fx, rec5 + 36, " 0.9000000E+99", 14, AIS_ARL_BAD_VALUE, "float range");
}

/* Random damage: a few bytes changed anywhere, or cut at a random length. The reader returns a
 * status every time (ASan/UBSan and valgrind watch the memory). */
static void test_random_mutations_never_crash(void **state)
{
    file_fixture *fx = *state;
    unsigned char *copy = malloc(fx->len);
    assert_non_null(copy);
    uint64_t rng = 20261121;
    char err[AIS_ARL_ERRBUF_SIZE];
    ais_arl_problem problem;
    int ok = 0, refused = 0;
    for (int n = 0; n < 1500; n++) {
        memcpy(copy, fx->bytes, fx->len);
        int edits = 1 + (int)(fx_unit(&rng) * 8);
        for (int e = 0; e < edits; e++) {
            /* half the edits hit the labels and index, where the parsing happens */
            size_t rec = (size_t)(fx_unit(&rng) * (double)(fx->len / RECLEN));
            size_t within = fx_unit(&rng) < 0.5 ? (size_t)(fx_unit(&rng) * 700.0) % RECLEN
                                                : (size_t)(fx_unit(&rng) * RECLEN);
            copy[rec * RECLEN + within] = (unsigned char)(fx_unit(&rng) * 256.0);
        }
        size_t len = fx_unit(&rng) < 0.2 ? (size_t)(fx_unit(&rng) * (double)fx->len) : fx->len;
        ais_status st = read_mem(copy, len, &problem, err, sizeof err);
        assert_true(st == AIS_OK || st == AIS_ERR_PARSE);
        if (st == AIS_OK)
            ok++;
        else
            refused++;
    }
    print_message("random mutations: %d read (damage in ignored bytes), %d refused\n", ok,
                  refused);
    assert_true(refused > 1000);
    free(copy);
}

static void test_missing_file(void **state)
{
    (void)state;
    ais_met_grid *g = NULL;
    ais_arl_problem problem;
    char err[AIS_ARL_ERRBUF_SIZE];
    assert_int_equal(ais_arl_read_met("/nonexistent/dir/x.arl", &g, &problem, err, sizeof err),
                     AIS_ERR_IO);
    assert_int_equal(problem, AIS_ARL_SYSTEM);
    assert_non_null(strstr(err, "cannot open /nonexistent/dir/x.arl"));
    assert_null(g);
    /* an empty file */
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "empty.arl");
    ais_test_write_file(path, "");
    assert_int_equal(ais_arl_read_met(path, &g, &problem, err, sizeof err), AIS_ERR_PARSE);
    assert_int_equal(problem, AIS_ARL_TRUNCATED);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
}

static void test_writer_refuses_what_arl_cannot_hold(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "x.arl");
    char err[AIS_ARL_ERRBUF_SIZE];
    /* 0.125 degrees is not a whole hundredth (F7.2) */
    ais_met_grid *g = fx_grid(30, 20, 100.0, 15.0, 0.125, 0.5, 1, FX_T_REF, 3600);
    assert_int_equal(ais_arl_write_met(g, path, err, sizeof err), AIS_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "F7.2"));
    ais_met_grid_free(g);
    /* 10 x 10 = 100 bytes cannot hold the 492-byte index */
    g = fx_grid(10, 10, 100.0, 15.0, 0.25, 0.25, 1, FX_T_REF, 3600);
    assert_int_equal(ais_arl_write_met(g, path, err, sizeof err), AIS_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "cannot hold"));
    ais_met_grid_free(g);
    /* a time that is not a whole hour */
    g = fx_grid(30, 20, 100.0, 15.0, 0.25, 0.5, 2, FX_T_REF + 60, 3600);
    assert_int_equal(ais_arl_write_met(g, path, err, sizeof err), AIS_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "whole hour"));
    ais_met_grid_free(g);
    /* a value that is not a number */
    g = fx_grid(30, 20, 100.0, 15.0, 0.25, 0.5, 1, FX_T_REF, 3600);
    g->upper[AIS_MET_T][77] = NAN;
    assert_int_equal(ais_arl_write_met(g, path, err, sizeof err), AIS_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "TEMP"));
    ais_met_grid_free(g);
    /* nothing left behind: no file, no temporary */
    size_t n;
    char **names = ais_test_list_dir(dir, &n);
    assert_int_equal(n, 0);
    ais_test_free_names(names);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e14_format),
        cmocka_unit_test(test_label_format_and_parse),
        cmocka_unit_test(test_pack_by_hand),
        cmocka_unit_test(test_checksum_wraps),
        cmocka_unit_test(test_pack_round_trip_smooth_and_rough),
        cmocka_unit_test_setup_teardown(test_written_bytes, setup_file, teardown_file),
        cmocka_unit_test_setup_teardown(test_read_back, setup_file, teardown_file),
        cmocka_unit_test_setup_teardown(test_truncated_file, setup_file, teardown_file),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup_file, teardown_file),
        cmocka_unit_test_setup_teardown(test_random_mutations_never_crash, setup_file,
                                        teardown_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_writer_refuses_what_arl_cannot_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
