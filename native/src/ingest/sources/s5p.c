/* Sentinel-5P options, summary events and the file loop (ais/s5p.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/jsonutil.h"
#include "ais/s5p.h"
#include "ais/timeutil.h"
#include "../decode/decode_child.h"

/* Marks the products named in the sequence key (e.g. sentinel5p.products). */
static ais_status product_list(const ais_config *cfg, const char *key, bool out[AIS_S5P_PRODUCTS],
                               char *errbuf, size_t errbuf_size)
{
    size_t n;
    memset(out, 0, AIS_S5P_PRODUCTS * sizeof *out);
    if (ais_config_list_len(cfg, key, &n) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "%s must be a list of products", key);
    for (size_t i = 0; i < n; i++) {
        char item[96];
        snprintf(item, sizeof item, "%s.%zu", key, i);
        const char *name = ais_config_get(cfg, item);
        ais_s5p_product p;
        if (name == NULL || !ais_s5p_product_parse(name, &p))
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "%s: '%s' is not NO2, CO, SO2, O3 or AER_AI", item,
                                   name ? name : "");
        out[p] = true;
    }
    return AIS_OK;
}

ais_status ais_s5p_options_from_config(const ais_config *cfg, ais_s5p_options *o, char *errbuf,
                                       size_t errbuf_size)
{
    if (cfg == NULL || o == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(o, 0, sizeof *o);
    if (ais_bbox_from_config(cfg, "hanoi.bbox", &o->box) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "hanoi.bbox.west/east/south/north missing or invalid");
    if (ais_bbox_from_config(cfg, "sentinel5p.grid_area", &o->grid_area) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "sentinel5p.grid_area.west/east/south/north missing or invalid");
    if (ais_config_get_double(cfg, "sentinel5p.grid_deg", &o->grid_deg) != AIS_OK ||
        !(o->grid_deg >= 0.01 && o->grid_deg <= 5.0))
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "sentinel5p.grid_deg must be 0.01..5");
    ais_status st = product_list(cfg, "sentinel5p.products", o->enabled, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = product_list(cfg, "sentinel5p.grid_products", o->grid, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;
    for (int p = 0; p < AIS_S5P_PRODUCTS; p++) {
        char key[64];
        snprintf(key, sizeof key, "sentinel5p.qa_min.%s", ais_s5p_product_name((ais_s5p_product)p));
        if (!o->enabled[p])
            continue;
        if (ais_config_get_double(cfg, key, &o->qa_min[p]) != AIS_OK ||
            !(o->qa_min[p] >= 0.0 && o->qa_min[p] <= 1.0))
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                                   "%s must be 0..1", key);
    }
    return AIS_OK;
}

static ais_status cells_json(const ais_s5p_result *r, json_t **out)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return AIS_ERR_NOMEM;
    for (size_t i = 0; i < r->n_cells; i++) {
        const ais_s5p_cell *c = &r->cells[i];
        json_t *o = json_pack("{s:f, s:f, s:f, s:I}", "lat", c->lat, "lon", c->lon, "value_mean",
                              c->sum / (double)c->count, "valid_count", (json_int_t)c->count);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return AIS_ERR_NOMEM;
        }
    }
    *out = arr;
    return AIS_OK;
}

static ais_status fill_event(json_t *ev, const ais_s5p_result *r, const char *path)
{
    const ais_s5p_meta *m = &r->meta;
    ais_status st = ais_json_set_string(ev, "product", ais_s5p_product_name(m->product));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "product_id", m->product_id);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "product_name", m->product_name);
    if (st == AIS_OK)
        st = ais_gridded_set_time(ev, "sensing_start", m->sensing_start);
    if (st == AIS_OK)
        st = ais_gridded_set_time(ev, "sensing_end", m->sensing_end);
    if (st == AIS_OK)
        st = ais_json_set(ev, "orbit", json_integer(m->orbit));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "processing_mode", m->mode);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "processor_version", m->processor_version);
    if (st == AIS_OK)
        st = ais_json_set(ev, "qa_threshold", json_real(r->qa_threshold));
    if (st == AIS_OK)
        st = ais_stat_json_set(ev, "stats_", &r->stats);
    if (st == AIS_OK)
        st = ais_json_set(ev, "valid_pixel_count", json_integer((json_int_t)r->stats.n));
    if (st == AIS_OK)
        st = ais_json_set(ev, "total_pixel_count", json_integer((json_int_t)r->total));
    if (st == AIS_OK)
        st = ais_json_set(ev, "valid_pct",
                          r->total ? json_real(100.0 * (double)r->stats.n / (double)r->total)
                                   : json_null());
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "unit", r->unit);
    if (st == AIS_OK)
        st = ais_json_set(ev, "grid_deg", json_real(r->grid_deg));
    json_t *cells = NULL;
    if (st == AIS_OK && (st = cells_json(r, &cells)) == AIS_OK)
        st = ais_json_set(ev, "grid_cells", cells);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "file_path", path);
    if (st == AIS_OK && r->total == 0)
        st = ais_event_add_quality_flag(ev, "box_not_covered");
    else if (st == AIS_OK && r->stats.n == 0)
        st = ais_event_add_quality_flag(ev, "no_valid_pixels");
    return st;
}

ais_status ais_s5p_event_new(const ais_envelope *env, const ais_s5p_result *r, const char *path,
                             int64_t ingest_time, json_t **out)
{
    if (env == NULL || r == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    char id[200];
    snprintf(id, sizeof id, "s5p_%s_%s", ais_s5p_product_name(r->meta.product), r->meta.product_id);
    json_t *ev = NULL;
    ais_status st = ais_event_new(env, id, r->meta.sensing_start, r->meta.created, ingest_time, &ev);
    if (st == AIS_OK)
        st = fill_event(ev, r, path);
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}

ais_status ais_s5p_ingest_files(const char *const *paths, size_t n_paths,
                                const ais_s5p_options *opts, ais_gridded_out *out, char *errbuf,
                                size_t errbuf_size)
{
    if ((paths == NULL && n_paths > 0) || opts == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_gridded_progress_begin(out, n_paths);
    for (size_t i = 0; i < n_paths; i++) {
        ais_gridded_progress_file(out, paths[i]);
        ais_s5p_result r;
        const char *reason = NULL;
        char detail[320];
        ais_status st = ais_decode_file(out->isolate, AIS_DECODER_S5P, paths[i], opts, &r,
                                        &reason, detail, sizeof detail);
        if (st == AIS_ERR_PARSE && strcmp(reason, "not_configured_product") == 0) {
            out->skipped++;
            continue;
        }
        out->stats->files_read++;
        if (st == AIS_ERR_PARSE) {
            if ((st = ais_gridded_reject_file(out, paths[i], reason, detail)) != AIS_OK)
                return st;
            continue;
        }
        if (st != AIS_OK)
            return st;
        out->stats->records_read++;
        if (r.total == 0 && r.n_cells == 0) {
            out->outside_area++;
            ais_s5p_result_free(&r);
            continue;
        }
        int64_t now;
        json_t *ev = NULL;
        char *ref = NULL;
        if ((st = ais_time_now(&now, NULL)) == AIS_OK)
            st = ais_gridded_file_ref(out, paths[i], &ref);
        if (st == AIS_OK)
            st = ais_s5p_event_new(out->env, &r, ref, now, &ev);
        free(ref);
        if (st == AIS_OK)
            st = ais_gridded_emit(out, ev, r.meta.sensing_start);
        json_decref(ev);
        ais_s5p_result_free(&r);
        if (st != AIS_OK)
            return st;
    }
    ais_progress_end(out->progress, false);
    return ais_gridded_finish(out, errbuf, errbuf_size);
}
