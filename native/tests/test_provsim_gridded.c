/* ais-provider-sim's gridded sources (ais/provsim_gridded.h), read back by the decoders that
 * `ais-ingest --mode live|replay` run: a two-day window of Sentinel-5P products, MAIAC granules
 * and ERA5 GRIB files is written once (group setup), then
 * - names and counts per day, product and tile;
 * - the decoded figures against the generators' fields (expectations computed from the field
 *   functions: ais_s5p_sim_pixel, ais_provsim_maiac_pixel, ais_provsim_era5_value), and the
 *   Sentinel-5P Hanoi statistics against `--mode simulate`'s for the same seed;
 * - ERA5's GRIB keys, variables, levels, hours and area, and the trajectory engine's met grid
 *   (met_era5.c) from the pressure-level file, and with a surface geopotential from the
 *   single-level file;
 * - a second run gives the same bytes; an output folder that cannot be made, or a file that
 *   cannot be replaced, is a clear error and leaves no temporary file. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eccodes.h>
#include <netcdf.h>

#include "ais/config.h"
#include "ais/era5.h"
#include "ais/fsutil.h"
#include "ais/maiac.h"
#include "ais/met_era5.h"
#include "ais/provsim_gridded.h"
#include "ais/s5p.h"
#include "ais/timeutil.h"

#define SEED 20261001u
#define DAYS 2
#define DEG (180.0 / 3.14159265358979323846)

static const ais_provsim_fn SOURCES[3] = {ais_provsim_sentinel5p, ais_provsim_maiac,
                                          ais_provsim_era5};

typedef struct world {
    ais_config *cfg;
    char *tmp, *out;
    int64_t start, end;
} world;

static world W;

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

/* Every gridded source of the window into out. */
static void generate(const char *out, const ais_config *cfg)
{
    ais_provsim_request req = {.cfg = cfg, .seed = SEED, .start = W.start, .end = W.end,
                               .out_dir = out};
    for (size_t k = 0; k < 3; k++) {
        ais_provsim_stats stats = {0};
        char err[512] = "";
        ais_status st = SOURCES[k](&req, &stats, err, sizeof err);
        if (st != AIS_OK)
            print_error("%s\n", err);
        assert_int_equal(st, AIS_OK);
        assert_true(stats.files > 0 && stats.bytes > 0);
    }
}

static int setup(void **state)
{
    (void)state;
    char *config = ais_test_repo_config();
    char err[512];
    if (ais_config_load_ex(config, &W.cfg, err, sizeof err) != AIS_OK) {
        print_error("%s\n", err);
        free(config);
        return -1;
    }
    free(config);
    W.start = iso("2026-10-01T00:00:00Z");
    W.end = W.start + DAYS * AIS_SECONDS_PER_DAY;
    W.tmp = ais_test_mkdtemp();
    W.out = ais_test_join(W.tmp, "out");
    generate(W.out, W.cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_test_rm_rf(W.tmp);
    free(W.tmp);
    free(W.out);
    ais_config_free(W.cfg);
    return 0;
}

/* <out>/<folder>/<name> (caller frees) */
static char *out_file(const char *folder, const char *name)
{
    char *dir = ais_test_join(W.out, folder);
    char *path = ais_test_join(dir, name);
    free(dir);
    return path;
}

/* The folder holds exactly these names (any order), nothing hidden. */
static void assert_folder(const char *folder, char expected[][128], size_t n)
{
    char *dir = ais_test_join(W.out, folder);
    size_t count = 0;
    char **names = ais_test_list_dir(dir, &count);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < n; k++)
            found = found || strcmp(names[k], expected[i]) == 0;
        if (!found)
            print_error("%s is not in %s\n", expected[i], dir);
        assert_true(found);
    }
    ais_test_free_names(names);
    free(dir);
}

static void assert_rel_near(double a, double b, double rel)
{
    assert_double_near(a, b, rel * fmax(fabs(a), fabs(b)) + 1e-300);
}

/* ---- Sentinel-5P ------------------------------------------------------------------------ */

static ais_status keep(void *ctx, const json_t *ev)
{
    return json_array_append_new(ctx, json_deep_copy(ev)) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

static ais_s5p_options s5p_options(void)
{
    ais_s5p_options o;
    char err[256];
    assert_int_equal(ais_s5p_options_from_config(W.cfg, &o, err, sizeof err), AIS_OK);
    return o;
}

/* The event `ais-ingest sentinel5p --mode simulate` gives for the product's overpass. */
static const json_t *simulated_event(const json_t *events, ais_s5p_product p, int64_t start)
{
    char when[AIS_TIME_ISO_SIZE];
    assert_int_equal(ais_time_format_iso(start, when), AIS_OK);
    for (size_t i = 0; i < json_array_size(events); i++) {
        const json_t *ev = json_array_get(events, i);
        const char *product = json_string_value(json_object_get(ev, "product"));
        const char *time = json_string_value(json_object_get(ev, "event_time"));
        if (strcmp(product, ais_s5p_product_name(p)) == 0 && strcmp(time, when) == 0)
            return ev;
    }
    fail_msg("no simulated %s event at %s", ais_s5p_product_name(p), when);
    return NULL;
}

static json_int_t event_int(const json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(ev, key));
}

static double event_real(const json_t *ev, const char *key)
{
    return json_real_value(json_object_get(ev, key));
}

static void test_s5p_products(void **state)
{
    (void)state;
    ais_s5p_options o = s5p_options();
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "simulated", "batch", W.start, W.end), AIS_OK);
    json_t *events = json_array();
    ais_sink sink = {.ctx = events, .write = keep};
    uint64_t n_events = 0;
    assert_int_equal(ais_s5p_simulate(SEED, &o, &env, &sink, &n_events), AIS_OK);
    assert_int_equal(n_events, DAYS * AIS_S5P_PRODUCTS);

    char names[DAYS * AIS_S5P_PRODUCTS][128];
    size_t n = 0;
    for (int64_t day = W.start; day < W.end; day += AIS_SECONDS_PER_DAY)
        for (int k = 0; k < AIS_S5P_PRODUCTS; k++) {
            ais_s5p_product p = (ais_s5p_product)k;
            ais_s5p_meta m;
            assert_int_equal(ais_s5p_sim_meta(SEED, p, day, &m), AIS_OK);
            char *name = names[n++];
            assert_int_equal(ais_s5p_product_file_name(p, m.sensing_start, m.sensing_end, m.orbit,
                                                       m.created, name, 128),
                             AIS_OK);
            /* the real convention: the type padded to 10 characters, the overpass's times */
            char type[16], a[AIS_TIME_COMPACT_SIZE], b[AIS_TIME_COMPACT_SIZE];
            snprintf(type, sizeof type, "%.10s", name + 9);
            assert_int_equal(strlen(type), 10);
            assert_int_equal(strncmp(type, "L2__", 4), 0);
            assert_int_equal(strncmp(type + 4, ais_s5p_product_name(p),
                                     strlen(ais_s5p_product_name(p))),
                             0);
            assert_int_equal(ais_time_format_compact(m.sensing_start, a), AIS_OK);
            assert_int_equal(ais_time_format_compact(m.sensing_end, b), AIS_OK);
            assert_int_equal(strncmp(name + 20, a, 15), 0);
            assert_int_equal(strncmp(name + 36, b, 15), 0);

            char *path = out_file("sentinel5p", name);
            ais_s5p_result r;
            const char *reason = NULL;
            char detail[256];
            assert_int_equal(ais_s5p_decode(path, &o, &r, &reason, detail, sizeof detail), AIS_OK);
            assert_int_equal(r.meta.product, p);
            assert_string_equal(r.meta.mode, "OFFL");
            assert_int_equal(r.meta.sensing_start, m.sensing_start);
            assert_int_equal(r.meta.sensing_end, m.sensing_end);
            assert_int_equal(r.meta.created, m.created);
            assert_int_equal(r.meta.orbit, m.orbit);
            /* the Hanoi statistics are --mode simulate's (float storage aside) */
            const json_t *ev = simulated_event(events, p, m.sensing_start);
            assert_int_equal(r.total, event_int(ev, "total_pixel_count"));
            assert_int_equal(r.stats.n, event_int(ev, "valid_pixel_count"));
            assert_true(r.stats.n > 0 && r.stats.n < r.total);
            assert_rel_near(r.stats.mean, event_real(ev, "stats_mean"), 1e-6);
            assert_rel_near(ais_stat_std(&r.stats), event_real(ev, "stats_std"), 1e-5);
            assert_rel_near(r.stats.min, event_real(ev, "stats_min"), 1e-6);
            assert_rel_near(r.stats.max, event_real(ev, "stats_max"), 1e-6);
            assert_string_equal(r.unit, p == AIS_S5P_AER_AI ? "1" : "mol m-2");
            assert_int_equal(r.n_cells > 0, o.grid[p]);
            ais_s5p_result_free(&r);
            free(path);
        }
    assert_folder("sentinel5p", names, n);
    json_decref(events);
}

static void nc_ok(int rc)
{
    if (rc != NC_NOERR)
        print_error("netCDF: %s\n", nc_strerror(rc));
    assert_int_equal(rc, NC_NOERR);
}

typedef struct swath_read {
    size_t ns, np;
    float *lat, *lon, *value;
    unsigned char *qa;
} swath_read;

static void read_swath(const char *path, ais_s5p_product p, swath_read *s)
{
    int nc, grp, dim, v;
    nc_ok(nc_open(path, NC_NOWRITE, &nc));
    nc_ok(nc_inq_ncid(nc, "PRODUCT", &grp));
    nc_ok(nc_inq_dimid(grp, "scanline", &dim));
    nc_ok(nc_inq_dimlen(grp, dim, &s->ns));
    nc_ok(nc_inq_dimid(grp, "ground_pixel", &dim));
    nc_ok(nc_inq_dimlen(grp, dim, &s->np));
    size_t n = s->ns * s->np;
    s->lat = malloc(n * sizeof *s->lat);
    s->lon = malloc(n * sizeof *s->lon);
    s->value = malloc(n * sizeof *s->value);
    s->qa = malloc(n);
    nc_ok(nc_inq_varid(grp, "latitude", &v));
    nc_ok(nc_get_var_float(grp, v, s->lat));
    nc_ok(nc_inq_varid(grp, "longitude", &v));
    nc_ok(nc_get_var_float(grp, v, s->lon));
    nc_ok(nc_inq_varid(grp, ais_s5p_variable(p), &v));
    nc_ok(nc_get_var_float(grp, v, s->value));
    nc_ok(nc_inq_varid(grp, "qa_value", &v));
    nc_ok(nc_get_var_uchar(grp, v, s->qa));
    nc_close(nc);
}

static void free_swath(swath_read *s)
{
    free(s->lat);
    free(s->lon);
    free(s->value);
    free(s->qa);
}

/* Every pixel of the grid products against ais_s5p_sim_pixel, the swath's coverage, and the
 * decoded 0.25 degree cells against the field's good pixels. */
static void test_s5p_pixels_and_cells(void **state)
{
    (void)state;
    ais_s5p_options o = s5p_options();
    const ais_bbox *g = &o.grid_area;
    long i0 = (long)floor(g->south / o.grid_deg), j0 = (long)floor(g->west / o.grid_deg);
    size_t ni = (size_t)(floor(g->north / o.grid_deg) - (double)i0) + 1;
    size_t nj = (size_t)(floor(g->east / o.grid_deg) - (double)j0) + 1;
    double *sum = calloc(ni * nj, sizeof *sum);
    uint64_t *good = calloc(ni * nj, sizeof *good), *any = calloc(ni * nj, sizeof *any);
    const ais_s5p_product products[2] = {AIS_S5P_NO2, AIS_S5P_AER_AI};
    for (int k = 0; k < 2; k++) {
        ais_s5p_product p = products[k];
        double scale = p == AIS_S5P_AER_AI ? 1e-5 : 1e-9; /* 1e-5 of the product's magnitude */
        ais_s5p_meta m;
        char name[128];
        assert_int_equal(ais_s5p_sim_meta(SEED, p, W.start, &m), AIS_OK);
        assert_int_equal(ais_s5p_product_file_name(p, m.sensing_start, m.sensing_end, m.orbit,
                                                   m.created, name, sizeof name),
                         AIS_OK);
        char *path = out_file("sentinel5p", name);
        swath_read s;
        read_swath(path, p, &s);
        memset(sum, 0, ni * nj * sizeof *sum);
        memset(good, 0, ni * nj * sizeof *good);
        memset(any, 0, ni * nj * sizeof *any);
        size_t states[3] = {0, 0, 0};
        for (size_t i = 0; i < s.ns * s.np; i++) {
            double v;
            ais_s5p_sim_state st = ais_s5p_sim_pixel(SEED, p, W.start, s.lat[i], s.lon[i], &v);
            states[st]++;
            if (st == AIS_S5P_SIM_FAILED) {
                assert_true(s.value[i] == AIS_S5P_FILL);
                assert_int_equal(s.qa[i], 0);
            } else {
                /* the file's float positions move a pixel by < 1e-6 degree */
                assert_double_near(s.value[i], v, 2e-5 * fabs(v) + scale);
                assert_true(st == AIS_S5P_SIM_GOOD ? s.qa[i] >= 75 && s.qa[i] <= 100
                                                   : s.qa[i] >= 20 && s.qa[i] < 50);
            }
            long ci = (long)floor(s.lat[i] / o.grid_deg) - i0;
            long cj = (long)floor(s.lon[i] / o.grid_deg) - j0;
            if (!ais_bbox_contains(g, s.lat[i], s.lon[i]) || ci < 0 || cj < 0 ||
                ci >= (long)ni || cj >= (long)nj)
                continue;
            size_t c = (size_t)ci * nj + (size_t)cj;
            any[c]++;
            if (st == AIS_S5P_SIM_GOOD) {
                sum[c] += v;
                good[c]++;
            }
        }
        /* plausible shares of each state */
        assert_true(states[AIS_S5P_SIM_GOOD] > s.ns * s.np / 10);
        assert_true(states[AIS_S5P_SIM_CLOUDY] > 0 && states[AIS_S5P_SIM_FAILED] > 0);
        /* every cell of the grid area inside its edges has pixels (0.125 degree: 4 a cell) */
        for (size_t ci = 0; ci + 1 < ni; ci++)
            for (size_t cj = 0; cj + 1 < nj; cj++)
                assert_true(any[ci * nj + cj] >= 4);

        ais_s5p_result r;
        const char *reason = NULL;
        char detail[256];
        assert_int_equal(ais_s5p_decode(path, &o, &r, &reason, detail, sizeof detail), AIS_OK);
        size_t cells = 0;
        for (size_t c = 0; c < ni * nj; c++)
            cells += good[c] > 0;
        assert_int_equal(r.n_cells, cells);
        assert_true(cells > ni * nj / 4);
        for (size_t q = 0; q < r.n_cells; q++) {
            const ais_s5p_cell *cell = &r.cells[q];
            size_t c = (size_t)((long)floor(cell->lat / o.grid_deg) - i0) * nj +
                       (size_t)((long)floor(cell->lon / o.grid_deg) - j0);
            assert_int_equal(cell->count, good[c]);
            double want = sum[c] / (double)good[c];
            assert_double_near(cell->sum / (double)cell->count, want, 2e-5 * fabs(want) + scale);
        }
        ais_s5p_result_free(&r);
        free_swath(&s);
        free(path);
    }
    free(sum);
    free(good);
    free(any);
}

/* ---- MAIAC ------------------------------------------------------------------------------ */

static bool best(uint16_t qa)
{
    return qa != 0 && (qa >> 8 & 15u) == 0;
}

static bool aod_valid(int16_t raw)
{
    return raw != AIS_MAIAC_FILL && raw >= -100 && raw <= 6000;
}

/* The Hanoi statistics of a tile from the pixel function: the decoder's rules restated. */
static void expected_box(const ais_provsim_maiac_tile *t, int h, int v, const ais_bbox *box,
                         ais_maiac_granule *want)
{
    const double r = AIS_MAIAC_SPHERE_RADIUS_M, w = AIS_MAIAC_TILE_M / 1200.0;
    double ulx = AIS_MAIAC_SINU_X0 + h * AIS_MAIAC_TILE_M;
    double uly = AIS_MAIAC_SINU_Y0 - v * AIS_MAIAC_TILE_M;
    memset(want, 0, sizeof *want);
    int orbits = ais_provsim_maiac_tile_model(t)->orbits;
    for (long row = 0; row < 1200; row++) {
        double y = uly - ((double)row + 0.5) * w;
        if (y / r * DEG < box->south || y / r * DEG > box->north)
            continue;
        for (long col = 0; col < 1200; col++) {
            double lon = (ulx + ((double)col + 0.5) * w) / (r * cos(y / r)) * DEG;
            if (lon < box->west || lon > box->east)
                continue;
            want->box_pixels++;
            for (int o = 0; o < orbits; o++) {
                int16_t a47, a55;
                uint16_t qa;
                ais_provsim_maiac_pixel(t, o, row, col, &a47, &a55, &qa);
                if (!best(qa))
                    continue;
                if (aod_valid(a55))
                    ais_stat_add(&want->aod055, a55 * 0.001);
                if (aod_valid(a47))
                    ais_stat_add(&want->aod047, a47 * 0.001);
            }
        }
    }
    want->total = want->box_pixels * (uint64_t)orbits;
}

static void test_maiac_granules(void **state)
{
    (void)state;
    ais_bbox box;
    assert_int_equal(ais_bbox_from_config(W.cfg, "hanoi.bbox", &box), AIS_OK);
    int tiles[4][2];
    size_t n_tiles = 0;
    assert_int_equal(ais_provsim_maiac_tiles(&box, tiles, 4, &n_tiles), AIS_OK);
    assert_int_equal(n_tiles, 1); /* Hanoi is in h27v06 */
    assert_int_equal(tiles[0][0], 27);
    assert_int_equal(tiles[0][1], 6);
    char names[DAYS][128];
    ais_maiac_days days = {0};
    for (int d = 0; d < DAYS; d++) {
        int64_t day = W.start + d * AIS_SECONDS_PER_DAY;
        ais_provsim_maiac_tile *t = NULL;
        assert_int_equal(ais_provsim_maiac_tile_new(SEED, day, 27, 6, &t), AIS_OK);
        const ais_maiac_sim_day *m = ais_provsim_maiac_tile_model(t);
        assert_int_equal(ais_maiac_granule_file_name(27, 6, day, m->production_time, names[d],
                                                     sizeof names[d]),
                         AIS_OK);
        char *path = out_file("maiac", names[d]);
        ais_maiac_granule g, want;
        const char *reason = NULL;
        char detail[256];
        assert_int_equal(ais_maiac_decode(path, &box, &g, &reason, detail, sizeof detail), AIS_OK);
        assert_string_equal(g.tile, "h27v06");
        assert_int_equal(g.acquisition_date, day);
        assert_int_equal(g.time_start, m->time_start);
        assert_int_equal(g.time_end, m->time_end);
        assert_int_equal(g.production_time, m->production_time);
        assert_int_equal(g.orbits, m->orbits);
        assert_double_near(g.scale_factor, 0.001, 0);
        expected_box(t, 27, 6, &box, &want);
        assert_int_equal(g.box_pixels, want.box_pixels);
        assert_int_equal(g.total, want.total);
        assert_int_equal(g.aod055.n, want.aod055.n);
        assert_int_equal(g.aod047.n, want.aod047.n);
        assert_double_near(g.aod055.mean, want.aod055.mean, 1e-12);
        assert_double_near(g.aod055.min, want.aod055.min, 1e-15);
        assert_double_near(g.aod055.max, want.aod055.max, 1e-15);
        assert_double_near(ais_stat_std(&g.aod055), ais_stat_std(&want.aod055), 1e-12);
        assert_double_near(g.aod047.mean, want.aod047.mean, 1e-12);
        /* the Hanoi day has pixels, some of them clouded over or outside a swath */
        assert_true(g.aod055.n > 0 && g.aod055.n < g.total);
        assert_true(g.aod055.mean > 0.02 && g.aod055.mean < 3.0);
        assert_true(g.aod047.mean > g.aod055.mean);
        /* about the model's mean (a log-normal field around it, correlated over the box) */
        assert_true(g.aod055.mean > 0.4 * m->aod055 && g.aod055.mean < 2.5 * m->aod055);
        assert_int_equal(ais_maiac_days_add(&days, &g), AIS_OK);
        free(path);
        ais_provsim_maiac_tile_free(t);
    }
    assert_folder("maiac", names, DAYS);
    assert_int_equal(days.count, DAYS);
    for (size_t d = 0; d < days.count; d++)
        assert_true(days.items[d].aod055.n > 0);
    ais_maiac_days_free(&days);
}

/* Over a whole tile: clouds, swath gaps and the QA words in plausible shares. */
static void test_maiac_tile_shares(void **state)
{
    (void)state;
    ais_provsim_maiac_tile *t = NULL;
    assert_int_equal(ais_provsim_maiac_tile_new(SEED, W.start, 27, 6, &t), AIS_OK);
    const ais_maiac_sim_day *m = ais_provsim_maiac_tile_model(t);
    uint64_t fill = 0, cloudy = 0, best_n = 0, near = 0, n = 0;
    for (int o = 0; o < m->orbits; o++)
        for (long row = 0; row < 1200; row += 3)
            for (long col = 0; col < 1200; col += 3) {
                int16_t a47, a55;
                uint16_t qa;
                ais_provsim_maiac_pixel(t, o, row, col, &a47, &a55, &qa);
                n++;
                if (qa == 0) {
                    fill++;
                    assert_int_equal(a55, AIS_MAIAC_FILL);
                } else if ((qa & 7u) == 3u) {
                    cloudy++;
                    assert_int_equal(qa >> 8 & 15u, 5); /* no retrieval */
                    assert_int_equal(a55, AIS_MAIAC_FILL);
                } else {
                    assert_int_equal(qa & 7u, 1); /* clear */
                    assert_true(a55 >= 0 && a55 <= 5000 && a47 >= a55);
                    if (best(qa))
                        best_n++;
                    else
                        near++;
                }
            }
    double best_share = (double)best_n / (double)(n - fill);
    assert_true(fill < n / 2 + 1);
    assert_true(best_share > m->clear - 0.3 && best_share < m->clear + 0.3);
    assert_true(cloudy > 0 && near > 0);
    ais_provsim_maiac_tile_free(t);
}

/* ---- ERA5 ------------------------------------------------------------------------------- */

static ais_bbox era5_region(void)
{
    ais_bbox b;
    assert_int_equal(ais_bbox_from_config(W.cfg, "era5.region", &b), AIS_OK);
    return b;
}

static const char *const SINGLE = "era5/reanalysis-era5-single-levels";
static const char *const PRESSURE = "era5/reanalysis-era5-pressure-levels";

/* The configured list key as variables */
static size_t config_vars(const char *key, bool pressure, ais_provsim_era5_var *out,
                          const char **names)
{
    size_t n = 0;
    assert_int_equal(ais_config_list_len(W.cfg, key, &n), AIS_OK);
    for (size_t i = 0; i < n; i++) {
        char item[64];
        snprintf(item, sizeof item, "%s.%zu", key, i);
        names[i] = ais_config_get(W.cfg, item);
        assert_true(ais_provsim_era5_var_parse(names[i], pressure, &out[i]));
    }
    return n;
}

/* The packing error a field may have: 12-bit packing steps are the power of two at or above
 * its range / 4095 (up to twice that), over GRIB1's truncated reference value (once more). */
static double packing_step(const ais_provsim_era5_day *d, ais_provsim_era5_var v, size_t it,
                           size_t k)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < d->met->ny; j++)
        for (size_t i = 0; i < d->met->nx; i++) {
            double x = ais_provsim_era5_value(d, v, it, k, j, i);
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
    return 2.0 * (hi - lo) / 4095.0 + 1e-9 * fabs(hi);
}

static char *day_file(const char *folder, int64_t day)
{
    char date[AIS_TIME_ISO_SIZE], name[32];
    assert_int_equal(ais_time_format_iso(day, date), AIS_OK);
    snprintf(name, sizeof name, "%.10s.grib", date);
    return out_file(folder, name);
}

static void test_era5_single_levels(void **state)
{
    (void)state;
    ais_bbox hanoi, region = era5_region();
    assert_int_equal(ais_bbox_from_config(W.cfg, "hanoi.bbox", &hanoi), AIS_OK);
    ais_provsim_era5_var vars[32];
    const char *names[32];
    size_t nv = config_vars("era5.surface_vars", false, vars, names);
    char files[DAYS][128];
    for (int dd = 0; dd < DAYS; dd++) {
        int64_t day = W.start + dd * AIS_SECONDS_PER_DAY;
        char *path = day_file(SINGLE, day);
        snprintf(files[dd], sizeof files[dd], "%s", strrchr(path, '/') + 1);
        ais_era5_file_info f;
        const char *reason = NULL;
        char detail[256];
        assert_int_equal(ais_era5_file_decode(path, &hanoi, &f, &reason, detail, sizeof detail),
                         AIS_OK);
        assert_string_equal(f.dataset_type, "single_levels");
        assert_string_equal(f.file_format, "grib1");
        assert_int_equal(f.period_start, day);
        assert_int_equal(f.period_end, day + 23 * AIS_SECONDS_PER_HOUR);
        assert_int_equal(f.messages, 24 * nv);
        assert_int_equal(f.n_variables, nv);
        for (size_t v = 0; v < nv; v++)
            assert_string_equal(f.variables[v], names[v]);
        assert_int_equal(f.n_levels, 0);
        assert_double_near(f.north, region.north, 1e-9);
        assert_double_near(f.south, region.south, 1e-9);
        assert_double_near(f.west, region.west, 1e-9);
        assert_double_near(f.east, region.east, 1e-9);
        assert_int_equal(f.hanoi, AIS_ERA5_HANOI_BOX);
        assert_int_equal(f.n_hours, 24);

        /* the Hanoi hours: the mean of the field at the grid points in the box */
        ais_provsim_era5_day d;
        char err[256];
        assert_int_equal(ais_provsim_era5_day_init(W.cfg, SEED, day, &d, err, sizeof err), AIS_OK);
        size_t points = 0;
        for (size_t j = 0; j < d.met->ny; j++)
            for (size_t i = 0; i < d.met->nx; i++)
                points += ais_bbox_contains(&hanoi, ais_met_lat(d.met, j), ais_met_lon(d.met, i));
        assert_int_equal(f.hanoi_points, points);
        for (size_t it = 0; it < 24; it++) {
            const ais_era5_hour_values *h = &f.hours[it];
            assert_int_equal(h->time, day + (int64_t)it * AIS_SECONDS_PER_HOUR);
            for (size_t v = 0; v < nv; v++) {
                size_t slot = 0;
                while (strcmp(ais_era5_surface_var(slot), names[v]) != 0)
                    slot++;
                double sum = 0;
                for (size_t j = 0; j < d.met->ny; j++)
                    for (size_t i = 0; i < d.met->nx; i++)
                        if (ais_bbox_contains(&hanoi, ais_met_lat(d.met, j), ais_met_lon(d.met, i)))
                            sum += ais_provsim_era5_value(&d, vars[v], it, 0, j, i);
                assert_true(h->set[slot]);
                assert_double_near(h->v[slot], sum / (double)points,
                                   packing_step(&d, vars[v], it, 0));
            }
            /* plausible Hanoi in early October */
            assert_true(h->v[4] > 285.0 && h->v[4] < 310.0);      /* t2m */
            assert_true(h->v[5] <= h->v[4] + 0.05);                /* d2m <= t2m */
            assert_true(h->v[6] >= 0.0 && h->v[6] < 0.05);         /* tp, m in an hour */
            assert_true(h->v[2] > 50.0 && h->v[2] < 3000.0);       /* blh */
            assert_true(h->v[3] > 95000.0 && h->v[3] < 103000.0);  /* sp */
            assert_true(h->v[7] >= h->v[3] && h->v[7] < 104000.0); /* msl */
        }
        ais_provsim_era5_day_free(&d);
        ais_era5_file_info_free(&f);
        free(path);
    }
    char *single = ais_test_join("era5", "reanalysis-era5-single-levels");
    assert_folder(single, files, DAYS);
    free(single);
}

/* The message keys of a file, in order: what the CDS's ERA5 GRIB1 has. */
static void check_grib_keys(const char *path, const ais_provsim_era5_var *vars, size_t nv,
                            const long *levels, size_t nl, const long *hours, size_t nh,
                            int64_t day, const ais_bbox *region)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    size_t count = 0;
    int err = 0;
    codes_handle *h;
    while ((h = codes_handle_new_from_file(NULL, in, PRODUCT_GRIB, &err)) != NULL) {
        size_t v = count % nv, k = count / nv % nl, it = count / (nv * nl);
        long param = 0, level = -1, date = 0, tm = 0, edition = 0, bits = 0, ni = 0, nj = 0;
        double north = 0, west = 0, step = 0;
        char mars_class[8] = "", type[8] = "", expver[8] = "", centre[8] = "", level_type[32] = "";
        size_t len;
        assert_int_equal(codes_get_long(h, "paramId", &param), 0);
        assert_int_equal(codes_get_long(h, "level", &level), 0);
        assert_int_equal(codes_get_long(h, "validityDate", &date), 0);
        assert_int_equal(codes_get_long(h, "validityTime", &tm), 0);
        assert_int_equal(codes_get_long(h, "editionNumber", &edition), 0);
        assert_int_equal(codes_get_long(h, "bitsPerValue", &bits), 0);
        assert_int_equal(codes_get_long(h, "Ni", &ni), 0);
        assert_int_equal(codes_get_long(h, "Nj", &nj), 0);
        assert_int_equal(codes_get_double(h, "latitudeOfFirstGridPointInDegrees", &north), 0);
        assert_int_equal(codes_get_double(h, "longitudeOfFirstGridPointInDegrees", &west), 0);
        assert_int_equal(codes_get_double(h, "iDirectionIncrementInDegrees", &step), 0);
        len = sizeof mars_class;
        assert_int_equal(codes_get_string(h, "marsClass", mars_class, &len), 0);
        len = sizeof type;
        assert_int_equal(codes_get_string(h, "marsType", type, &len), 0);
        len = sizeof expver;
        assert_int_equal(codes_get_string(h, "experimentVersionNumber", expver, &len), 0);
        len = sizeof centre;
        assert_int_equal(codes_get_string(h, "centre", centre, &len), 0);
        len = sizeof level_type;
        assert_int_equal(codes_get_string(h, "typeOfLevel", level_type, &len), 0);
        ais_civil_time c;
        assert_int_equal(ais_time_to_civil(day + hours[it] * AIS_SECONDS_PER_HOUR, &c), AIS_OK);
        assert_int_equal(param, ais_provsim_era5_param(vars[v]));
        assert_int_equal(date, c.year * 10000 + c.month * 100 + c.day);
        assert_int_equal(tm, c.hour * 100);
        assert_int_equal(edition, 1);
        assert_int_equal(bits, 12);
        assert_int_equal(ni, lround((region->east - region->west) / 0.25) + 1);
        assert_int_equal(nj, lround((region->north - region->south) / 0.25) + 1);
        assert_double_near(north, region->north, 1e-6);
        assert_double_near(west, region->west, 1e-6);
        assert_double_near(step, 0.25, 1e-9);
        assert_string_equal(centre, "ecmf");
        assert_string_equal(mars_class, "ea");
        assert_string_equal(expver, "0001");
        if (levels[0] > 0) {
            assert_string_equal(level_type, "isobaricInhPa");
            assert_int_equal(level, levels[k]);
        } else {
            assert_string_equal(level_type, "surface");
        }
        if (vars[v] == AIS_PSE_TP) {
            /* the hour ending at the validity time, of the 06 or 18 UTC forecast */
            long start_step = 0, end_step = 0;
            assert_string_equal(type, "fc");
            assert_int_equal(codes_get_long(h, "startStep", &start_step), 0);
            assert_int_equal(codes_get_long(h, "endStep", &end_step), 0);
            assert_int_equal(end_step - start_step, 1);
            assert_true(end_step >= 1 && end_step <= 12);
            assert_int_equal((c.hour - end_step + 24) % 12, 6);
        } else {
            assert_string_equal(type, "an");
        }
        codes_handle_delete(h);
        count++;
    }
    assert_int_equal(err, 0);
    assert_int_equal(count, nv * nl * nh);
    fclose(in);
}

static void test_era5_grib_keys(void **state)
{
    (void)state;
    ais_bbox region = era5_region();
    ais_provsim_era5_var sv[32], pv[32];
    const char *names[32];
    size_t nsv = config_vars("era5.surface_vars", false, sv, names);
    size_t npv = config_vars("era5.pressure_vars", true, pv, names);
    long levels[64], hours[24], surface = 0, every_hour[24];
    size_t nl = 0, nh = 0;
    assert_int_equal(ais_config_list_len(W.cfg, "era5.pressure_levels_hpa", &nl), AIS_OK);
    assert_int_equal(ais_config_list_len(W.cfg, "era5.pressure_hours_utc", &nh), AIS_OK);
    for (size_t k = 0; k < nl; k++) {
        char item[64];
        snprintf(item, sizeof item, "era5.pressure_levels_hpa.%zu", k);
        assert_int_equal(ais_config_get_long(W.cfg, item, &levels[k]), AIS_OK);
    }
    for (size_t k = 0; k < nh; k++) {
        char item[64];
        snprintf(item, sizeof item, "era5.pressure_hours_utc.%zu", k);
        assert_int_equal(ais_config_get_long(W.cfg, item, &hours[k]), AIS_OK);
    }
    for (long h = 0; h < 24; h++)
        every_hour[h] = h;
    for (int dd = 0; dd < DAYS; dd++) {
        int64_t day = W.start + dd * AIS_SECONDS_PER_DAY;
        char *single = day_file(SINGLE, day), *pressure = day_file(PRESSURE, day);
        check_grib_keys(single, sv, nsv, &surface, 1, every_hour, 24, day, &region);
        check_grib_keys(pressure, pv, npv, levels, nl, hours, nh, day, &region);
        /* what ais-ingest era5 reports of the pressure file */
        ais_era5_file_info f;
        const char *reason = NULL;
        char detail[256];
        assert_int_equal(ais_era5_file_decode(pressure, &region, &f, &reason, detail,
                                              sizeof detail),
                         AIS_OK);
        assert_string_equal(f.dataset_type, "pressure_levels");
        assert_int_equal(f.n_variables, npv);
        assert_int_equal(f.n_levels, nl);
        for (size_t k = 0; k < nl; k++) /* ascending in the summary */
            assert_int_equal(f.levels[k], levels[nl - 1 - k]);
        assert_int_equal(f.period_start, day + hours[0] * AIS_SECONDS_PER_HOUR);
        assert_int_equal(f.period_end, day + hours[nh - 1] * AIS_SECONDS_PER_HOUR);
        assert_int_equal(f.messages, npv * nl * nh);
        ais_era5_file_info_free(&f);
        free(single);
        free(pressure);
    }
}

/* The trajectory engine's reader builds its met grid from the pressure-level file, equal to the
 * simulated field within the packing. */
static void test_era5_met_grid(void **state)
{
    (void)state;
    ais_bbox b = era5_region();
    ais_era5_region region = {b.west, b.east, b.south, b.north};
    char *path = day_file(PRESSURE, W.start);
    ais_era5_fields pl = {0};
    char err[512];
    assert_int_equal(ais_era5_fields_read(path, &region, &pl, err, sizeof err), AIS_OK);
    ais_met_grid *g = NULL;
    ais_met_era5_report rep;
    ais_status st = ais_met_from_era5(&pl, NULL, -1, &g, &rep, err, sizeof err);
    if (st != AIS_OK)
        print_error("%s\n", err);
    assert_int_equal(st, AIS_OK);
    assert_int_equal(rep.surface_from_lowest_level, 1);
    ais_provsim_era5_day d;
    assert_int_equal(ais_provsim_era5_day_init(W.cfg, SEED, W.start, &d, err, sizeof err), AIS_OK);
    assert_int_equal(g->nx, d.met->nx);
    assert_int_equal(g->ny, d.met->ny);
    assert_int_equal(g->nz, d.met->nz);
    assert_int_equal(g->nt, 4);
    assert_double_near(g->lon0, b.west, 1e-9);
    assert_double_near(g->lat0, b.south, 1e-9);
    static const ais_provsim_era5_var upper[AIS_MET_UPPER_COUNT] = {
        AIS_PSE_U, AIS_PSE_V, AIS_PSE_W, AIS_PSE_Z, AIS_PSE_T};
    for (size_t t = 0; t < g->nt; t++) {
        size_t hour = (size_t)((g->times[t] - W.start) / AIS_SECONDS_PER_HOUR);
        assert_int_equal(hour, 6 * t);
        for (size_t k = 0; k < g->nz; k++) {
            assert_double_near(g->levels_hpa[k], d.met->levels_hpa[k], 0);
            for (int f = 0; f < AIS_MET_UPPER_COUNT; f++) {
                double scale = f == AIS_MET_HGT ? 1.0 / AIS_MET_G0 : 1.0;
                double tol = packing_step(&d, upper[f], hour, k) * scale + 1e-4;
                for (size_t j = 0; j < g->ny; j += 20)
                    for (size_t i = 0; i < g->nx; i += 16) {
                        size_t q = ((t * g->nz + k) * g->ny + j) * g->nx + i;
                        double want = ais_provsim_era5_value(&d, upper[f], hour, k, j, i) * scale;
                        assert_double_near(g->upper[f][q], want, tol);
                    }
            }
        }
    }
    ais_provsim_era5_day_free(&d);
    ais_met_grid_free(g);
    ais_era5_fields_free(&pl);
    free(path);
}

/* With the surface geopotential asked for (era5.surface_vars + z), the single-level file gives
 * the met grid its terrain and surface. */
static void test_era5_surface_geopotential(void **state)
{
    (void)state;
    char *project = ais_test_join(W.tmp, "project-z");
    assert_int_equal(ais_fs_mkdir_p(project, 0755), AIS_OK);
    const char *const repl[] = {"surface_vars: [u10, v10, blh, sp, t2m, d2m, tp, msl]",
                                "surface_vars: [u10, v10, blh, sp, t2m, d2m, tp, msl, z]", NULL};
    char *config = ais_test_project_config(project, repl);
    ais_config *cfg = NULL;
    char err[512];
    assert_int_equal(ais_config_load_ex(config, &cfg, err, sizeof err), AIS_OK);
    char *out = ais_test_join(project, "out");
    ais_provsim_request req = {.cfg = cfg, .seed = SEED, .start = W.start,
                               .end = W.start + AIS_SECONDS_PER_DAY, .out_dir = out};
    ais_provsim_stats stats = {0};
    assert_int_equal(ais_provsim_era5(&req, &stats, err, sizeof err), AIS_OK);
    assert_int_equal(stats.files, 2);
    char *single = ais_test_join(out, "era5/reanalysis-era5-single-levels/2026-10-01.grib");
    char *pressure = ais_test_join(out, "era5/reanalysis-era5-pressure-levels/2026-10-01.grib");
    ais_bbox b = era5_region();
    ais_era5_region region = {b.west, b.east, b.south, b.north};
    ais_era5_fields pl = {0}, sfc = {0};
    assert_int_equal(ais_era5_fields_read(pressure, &region, &pl, err, sizeof err), AIS_OK);
    assert_int_equal(ais_era5_fields_read(single, &region, &sfc, err, sizeof err), AIS_OK);
    ais_met_grid *g = NULL;
    ais_met_era5_report rep;
    ais_status st = ais_met_from_era5(&pl, &sfc, -1, &g, &rep, err, sizeof err);
    if (st != AIS_OK)
        print_error("%s\n", err);
    assert_int_equal(st, AIS_OK);
    assert_int_equal(rep.surface_from_lowest_level, 0);
    ais_provsim_era5_day d;
    assert_int_equal(ais_provsim_era5_day_init(cfg, SEED, W.start, &d, err, sizeof err), AIS_OK);
    double tol = packing_step(&d, AIS_PSE_ZSFC, 0, 0) / AIS_MET_G0;
    for (size_t j = 0; j < g->ny; j += 10)
        for (size_t i = 0; i < g->nx; i += 10) {
            assert_double_near(g->terrain_m[j * g->nx + i], d.met->terrain_m[j * g->nx + i], tol);
            double sp_tol = packing_step(&d, AIS_PSE_SP, 12, 0);
            assert_double_near(g->sfc[AIS_MET_PSFC][(2 * g->ny + j) * g->nx + i],
                               ais_provsim_era5_value(&d, AIS_PSE_SP, 12, 0, j, i), sp_tol);
        }
    ais_provsim_era5_day_free(&d);
    ais_met_grid_free(g);
    ais_era5_fields_free(&pl);
    ais_era5_fields_free(&sfc);
    free(single);
    free(pressure);
    free(out);
    ais_config_free(cfg);
    free(config);
    free(project);
}

/* ---- every source ----------------------------------------------------------------------- */

static void compare_trees(const char *a, const char *b, size_t *files)
{
    ais_path_list la, lb;
    assert_int_equal(ais_fs_list_files(a, "", &la), AIS_OK);
    assert_int_equal(ais_fs_list_files(b, "", &lb), AIS_OK);
    assert_int_equal(la.count, lb.count);
    for (size_t i = 0; i < la.count; i++) {
        assert_string_equal(la.paths[i] + strlen(a), lb.paths[i] + strlen(b));
        char *x = NULL, *y = NULL;
        size_t nx = 0, ny = 0;
        assert_int_equal(ais_fs_read_file(la.paths[i], (size_t)1 << 30, &x, &nx), AIS_OK);
        assert_int_equal(ais_fs_read_file(lb.paths[i], (size_t)1 << 30, &y, &ny), AIS_OK);
        assert_int_equal(nx, ny);
        if (memcmp(x, y, nx) != 0)
            fail_msg("%s differs from the first run's", lb.paths[i]);
        free(x);
        free(y);
    }
    *files = la.count;
    ais_path_list_free(&la);
    ais_path_list_free(&lb);
}

static void test_second_run_same_bytes(void **state)
{
    (void)state;
    char *again = ais_test_join(W.tmp, "again");
    generate(again, W.cfg);
    size_t files = 0;
    compare_trees(W.out, again, &files);
    /* 5 products, 1 tile and 2 ERA5 files a day */
    assert_int_equal(files, DAYS * (AIS_S5P_PRODUCTS + 1 + 2));
    ais_test_rm_rf(again);
    free(again);
}

/* No name in a folder starts with '.' (a temporary file left behind). */
static void assert_no_hidden(const char *dir)
{
    size_t n = 0;
    char **names = ais_test_list_dir(dir, &n);
    for (size_t i = 0; i < n; i++)
        if (names[i][0] == '.')
            fail_msg("%s/%s left behind", dir, names[i]);
    ais_test_free_names(names);
}

static void test_bad_output(void **state)
{
    (void)state;
    /* a file where the output folder should be */
    char *blocker = ais_test_join(W.tmp, "blocker");
    ais_test_write_file(blocker, "in the way\n");
    ais_provsim_request req = {.cfg = W.cfg, .seed = SEED, .start = W.start,
                               .end = W.start + AIS_SECONDS_PER_DAY, .out_dir = blocker};
    for (size_t k = 0; k < 3; k++) {
        ais_provsim_stats stats = {0};
        char err[512] = "";
        assert_int_equal(SOURCES[k](&req, &stats, err, sizeof err), AIS_ERR_IO);
        assert_non_null(strstr(err, "cannot create the folder"));
        assert_non_null(strstr(err, blocker));
        assert_non_null(strstr(err, "Not a directory"));
        assert_int_equal(stats.files, 0);
    }
    /* a folder where a file should be: the rename fails, the temporary file goes */
    char *out = ais_test_join(W.tmp, "taken");
    ais_s5p_meta m;
    char s5p_name[128], maiac_name[64];
    assert_int_equal(ais_s5p_sim_meta(SEED, AIS_S5P_NO2, W.start, &m), AIS_OK);
    assert_int_equal(ais_s5p_product_file_name(AIS_S5P_NO2, m.sensing_start, m.sensing_end,
                                               m.orbit, m.created, s5p_name, sizeof s5p_name),
                     AIS_OK);
    ais_maiac_sim_day md;
    assert_int_equal(ais_maiac_sim_model(SEED, W.start, 27, 6, &md), AIS_OK);
    assert_int_equal(ais_maiac_granule_file_name(27, 6, W.start, md.production_time, maiac_name,
                                                 sizeof maiac_name),
                     AIS_OK);
    const char *taken[3][2] = {{"sentinel5p", s5p_name},
                               {"maiac", maiac_name},
                               {"era5/reanalysis-era5-single-levels", "2026-10-01.grib"}};
    req.out_dir = out;
    for (size_t k = 0; k < 3; k++) {
        char *dir = ais_test_join(out, taken[k][0]);
        char *in_the_way = ais_test_join(dir, taken[k][1]);
        assert_int_equal(ais_fs_mkdir_p(in_the_way, 0755), AIS_OK);
        ais_provsim_stats stats = {0};
        char err[512] = "";
        assert_int_equal(SOURCES[k](&req, &stats, err, sizeof err), AIS_ERR_IO);
        if (strstr(err, in_the_way) == NULL)
            fail_msg("the message does not name %s: %s", in_the_way, err);
        assert_no_hidden(dir);
        free(in_the_way);
        free(dir);
    }
    free(out);
    free(blocker);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s5p_products),
        cmocka_unit_test(test_s5p_pixels_and_cells),
        cmocka_unit_test(test_maiac_granules),
        cmocka_unit_test(test_maiac_tile_shares),
        cmocka_unit_test(test_era5_single_levels),
        cmocka_unit_test(test_era5_grib_keys),
        cmocka_unit_test(test_era5_met_grid),
        cmocka_unit_test(test_era5_surface_geopotential),
        cmocka_unit_test(test_second_run_same_bytes),
        cmocka_unit_test(test_bad_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
