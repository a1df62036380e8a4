/* MCD19A2 summary events, the file loop, per-day statistics and the simulator (ais/maiac.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/jsonutil.h"
#include "ais/maiac.h"
#include "ais/noise.h"
#include "ais/timeutil.h"
#include "../decode/decode_child.h"

#define PI 3.14159265358979323846
#define TILE_M AIS_MAIAC_TILE_M
#define SINU_X0 AIS_MAIAC_SINU_X0
#define SINU_Y0 AIS_MAIAC_SINU_Y0

static ais_status set_u64(json_t *ev, const char *key, uint64_t v)
{
    return ais_json_set(ev, key, json_integer((json_int_t)v));
}

static ais_status fill_event(json_t *ev, const ais_maiac_granule *g, const char *path)
{
    char date[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(g->acquisition_date, date);
    if (st == AIS_OK) {
        date[10] = '\0';
        st = ais_json_set_string(ev, "granule_id", g->granule_id);
    }
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "tile", g->tile);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "acquisition_date", date);
    if (st == AIS_OK)
        st = ais_gridded_set_time(ev, "time_start", g->time_start);
    if (st == AIS_OK)
        st = ais_gridded_set_time(ev, "time_end", g->time_end);
    if (st == AIS_OK)
        st = ais_stat_json_set(ev, "aod_047_", &g->aod047);
    if (st == AIS_OK)
        st = set_u64(ev, "aod_047_valid_pixel_count", g->aod047.n);
    if (st == AIS_OK)
        st = ais_stat_json_set(ev, "stats_", &g->aod055);
    if (st == AIS_OK)
        st = set_u64(ev, "valid_pixel_count", g->aod055.n);
    if (st == AIS_OK)
        st = set_u64(ev, "total_pixel_count", g->total);
    if (st == AIS_OK)
        st = ais_json_set(ev, "valid_pct",
                          json_real(g->total ? 100.0 * (double)g->aod055.n / (double)g->total
                                             : 0.0));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "unit", "1");
    if (st == AIS_OK)
        st = ais_json_set(ev, "orbit_count", json_integer(g->orbits));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "file_path", path);
    if (st == AIS_OK && g->aod055.n == 0)
        st = ais_event_add_quality_flag(ev, "no_valid_pixels");
    return st;
}

ais_status ais_maiac_event_new(const ais_envelope *env, const ais_maiac_granule *g,
                               const char *path, int64_t ingest_time, json_t **out)
{
    if (env == NULL || g == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    char id[AIS_MAIAC_ID_SIZE + 8];
    snprintf(id, sizeof id, "maiac_%s", g->granule_id);
    json_t *ev = NULL;
    ais_status st = ais_event_new(env, id, g->time_start, g->production_time, ingest_time, &ev);
    if (st == AIS_OK)
        st = fill_event(ev, g, path);
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}

ais_status ais_maiac_days_add(ais_maiac_days *days, const ais_maiac_granule *g)
{
    size_t i = 0;
    while (i < days->count && days->items[i].date < g->acquisition_date)
        i++;
    if (i == days->count || days->items[i].date != g->acquisition_date) {
        ais_maiac_day *grown = realloc(days->items, (days->count + 1) * sizeof *grown);
        if (grown == NULL)
            return AIS_ERR_NOMEM;
        days->items = grown;
        memmove(&grown[i + 1], &grown[i], (days->count - i) * sizeof *grown);
        memset(&grown[i], 0, sizeof *grown);
        grown[i].date = g->acquisition_date;
        days->count++;
    }
    ais_maiac_day *d = &days->items[i];
    d->granules++;
    d->total += g->total;
    ais_stat_merge(&d->aod047, &g->aod047);
    ais_stat_merge(&d->aod055, &g->aod055);
    return AIS_OK;
}

void ais_maiac_days_free(ais_maiac_days *days)
{
    if (days == NULL)
        return;
    free(days->items);
    days->items = NULL;
    days->count = 0;
}

ais_status ais_maiac_ingest_files(const char *const *paths, size_t n_paths, const ais_bbox *box,
                                  ais_gridded_out *out, ais_maiac_days *days, char *errbuf,
                                  size_t errbuf_size)
{
    if ((paths == NULL && n_paths > 0) || box == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_gridded_progress_begin(out, n_paths);
    for (size_t i = 0; i < n_paths; i++) {
        ais_gridded_progress_file(out, paths[i]);
        ais_maiac_granule g;
        const char *reason = NULL;
        char detail[256];
        out->stats->files_read++;
        ais_status st = ais_decode_file(out->isolate, AIS_DECODER_MAIAC, paths[i], box, &g,
                                        &reason, detail, sizeof detail);
        if (st == AIS_ERR_PARSE) {
            if ((st = ais_gridded_reject_file(out, paths[i], reason, detail)) != AIS_OK)
                return st;
            continue;
        }
        if (st != AIS_OK)
            return st;
        out->stats->records_read++;
        if (g.box_pixels == 0) {
            out->outside_area++;
            continue;
        }
        int64_t now;
        json_t *ev = NULL;
        char *ref = NULL;
        if ((st = ais_time_now(&now, NULL)) == AIS_OK)
            st = ais_gridded_file_ref(out, paths[i], &ref);
        if (st == AIS_OK)
            st = ais_maiac_event_new(out->env, &g, ref, now, &ev);
        free(ref);
        uint64_t before = out->stats->events;
        if (st == AIS_OK)
            st = ais_gridded_emit(out, ev, g.time_start);
        json_decref(ev);
        if (st == AIS_OK && days != NULL && out->stats->events > before)
            st = ais_maiac_days_add(days, &g);
        if (st != AIS_OK)
            return st;
    }
    ais_progress_end(out->progress, false);
    return ais_gridded_finish(out, errbuf, errbuf_size);
}

/* ------------------------------------------------------------------------------------------ */
/* Simulation                                                                                 */

enum { STREAM_AOD = 0x4d41, STREAM_ANG, STREAM_CLOUD, STREAM_SPREAD };

static void tile_of(double lat, double lon, int *h, int *v)
{
    double x = AIS_MAIAC_SPHERE_RADIUS_M * lon * PI / 180.0 * cos(lat * PI / 180.0);
    double y = AIS_MAIAC_SPHERE_RADIUS_M * lat * PI / 180.0;
    *h = (int)floor((x - SINU_X0) / TILE_M);
    *v = (int)floor((SINU_Y0 - y) / TILE_M);
}

ais_status ais_maiac_sim_model(uint64_t seed, int64_t day, int h, int v, ais_maiac_sim_day *m)
{
    ais_civil_time c;
    ais_status st = ais_time_to_civil(day, &c);
    if (st != AIS_OK)
        return st;
    m->time_start = day + 3 * 3600 + 1800;
    m->time_end = day + 6 * 3600 + 50 * 60;
    m->production_time = day + 2 * AIS_SECONDS_PER_DAY + 15 * 3600;
    m->orbits = 2;
    uint64_t dn = (uint64_t)(day / AIS_SECONDS_PER_DAY);
    uint64_t key = (uint64_t)(h * 100 + v);
    /* season: burning-season peak around day 80, wet-summer low around day 230 */
    double doy = (double)c.yday;
    double season = 0.6 + 0.28 * cos(2.0 * PI * (doy - 80.0) / 365.25);
    double day_noise = ais_noise_value(seed, STREAM_AOD, 0, (double)day / 3600.0, 72.0,
                                       AIS_KNOT_NORMAL);
    double tile_noise = 0.15 * ais_noise_normalish(seed, STREAM_AOD, dn, key);
    m->aod055 = season * exp(0.35 * day_noise + tile_noise);
    m->angstrom = 1.1 + 0.5 * ais_noise_uniform(seed, STREAM_ANG, dn, key);
    /* cloud: valid share lowest in the wet season */
    double clear = 0.55 - 0.3 * cos(2.0 * PI * (doy - 20.0) / 365.25) +
                   0.2 * (ais_noise_uniform(seed, STREAM_CLOUD, dn, key) - 0.5);
    if (clear < 0.02)
        clear = 0.02;
    if (clear > 0.95)
        clear = 0.95;
    m->clear = clear;
    m->spread = 0.25 + 0.1 * ais_noise_uniform(seed, STREAM_SPREAD, dn, key);
    return AIS_OK;
}

static ais_status sim_granule(uint64_t seed, int64_t day, int h, int v, double share,
                              ais_maiac_granule *g)
{
    ais_civil_time c;
    ais_maiac_sim_day m;
    ais_status st = ais_time_to_civil(day, &c);
    if (st == AIS_OK)
        st = ais_maiac_sim_model(seed, day, h, v, &m);
    if (st != AIS_OK)
        return st;
    memset(g, 0, sizeof *g);
    snprintf(g->tile, sizeof g->tile, "h%02dv%02d", h, v);
    snprintf(g->granule_id, sizeof g->granule_id, "MCD19A2.A%04d%03d.h%02dv%02d.061", c.year,
             c.yday + 1, h, v);
    g->acquisition_date = day;
    g->time_start = m.time_start;
    g->time_end = m.time_end;
    g->production_time = m.production_time;
    g->orbits = m.orbits;
    g->scale_factor = 0.001;
    double mean55 = m.aod055;
    double mean47 = mean55 * pow(0.55 / 0.47, m.angstrom);
    g->box_pixels = (uint64_t)llround(share * 9500.0);
    if (g->box_pixels == 0)
        g->box_pixels = 1;
    g->total = g->box_pixels * (uint64_t)g->orbits;
    uint64_t valid = (uint64_t)llround(m.clear * (double)g->total);
    double spread = m.spread;
    ais_stat s55 = {.n = valid, .mean = mean55, .m2 = pow(spread * mean55, 2) * (double)valid,
                    .min = mean55 * exp(-2.5 * spread), .max = mean55 * exp(3.0 * spread)};
    ais_stat s47 = {.n = valid, .mean = mean47, .m2 = pow(spread * mean47, 2) * (double)valid,
                    .min = mean47 * exp(-2.5 * spread), .max = mean47 * exp(3.0 * spread)};
    if (valid > 0) {
        g->aod055 = s55;
        g->aod047 = s47;
    }
    return AIS_OK;
}

ais_status ais_maiac_simulate(uint64_t seed, const ais_bbox *box, const ais_envelope *env,
                              const ais_sink *sink, uint64_t *events_out)
{
    if (box == NULL || env == NULL || sink == NULL || events_out == NULL)
        return AIS_ERR_INVALID_ARG;
    *events_out = 0;
    /* the tiles under the box's corners (at most 2 x 2 for a city-sized box) */
    int hs[4], vs[4];
    tile_of(box->south, box->west, &hs[0], &vs[0]);
    tile_of(box->north, box->west, &hs[1], &vs[1]);
    tile_of(box->south, box->east, &hs[2], &vs[2]);
    tile_of(box->north, box->east, &hs[3], &vs[3]);
    int tiles[4][2];
    size_t nt = 0;
    for (size_t i = 0; i < 4; i++) {
        bool seen = false;
        for (size_t j = 0; j < nt; j++)
            seen = seen || (tiles[j][0] == hs[i] && tiles[j][1] == vs[i]);
        if (!seen) {
            tiles[nt][0] = hs[i];
            tiles[nt][1] = vs[i];
            nt++;
        }
    }
    int64_t first = env->window_start - (env->window_start % AIS_SECONDS_PER_DAY +
                                         AIS_SECONDS_PER_DAY) % AIS_SECONDS_PER_DAY;
    for (int64_t day = first; day < env->window_end; day += AIS_SECONDS_PER_DAY) {
        for (size_t t = 0; t < nt; t++) {
            ais_maiac_granule g;
            ais_status st = sim_granule(seed, day, tiles[t][0], tiles[t][1], 1.0 / (double)nt,
                                        &g);
            if (st != AIS_OK)
                return st;
            if (g.time_start < env->window_start || g.time_start >= env->window_end)
                continue;
            json_t *ev = NULL;
            st = ais_maiac_event_new(env, &g, NULL, g.production_time, &ev);
            if (st == AIS_OK)
                st = ais_sink_write(sink, ev);
            json_decref(ev);
            if (st != AIS_OK)
                return st;
            (*events_out)++;
        }
    }
    return AIS_OK;
}
