/* sentinel5p, maiac and era5 in `ais-ingest <source> --mode replay|simulate` (cmd_gridded.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/era5.h"
#include "ais/jsonutil.h"
#include "ais/maiac.h"
#include "ais/s5p.h"
#include "ais/timeutil.h"
#include "cmd_gridded.h"
#include "../decode/decode_child.h"

#define ERA5_MAX_LEVELS 64

bool ais_gridded_source(ais_source source)
{
    return source == AIS_SOURCE_SENTINEL5P || source == AIS_SOURCE_MAIAC ||
           source == AIS_SOURCE_ERA5;
}

const char *ais_gridded_event_source(ais_source source)
{
    switch (source) {
    case AIS_SOURCE_SENTINEL5P: return AIS_S5P_SOURCE;
    case AIS_SOURCE_MAIAC: return AIS_MAIAC_SOURCE;
    case AIS_SOURCE_ERA5: return AIS_ERA5_SOURCE;
    default: return NULL;
    }
}

const char *ais_gridded_topic_key(ais_source source)
{
    switch (source) {
    case AIS_SOURCE_SENTINEL5P: return "kafka.topics.sentinel5p";
    case AIS_SOURCE_MAIAC: return "kafka.topics.maiac";
    case AIS_SOURCE_ERA5: return "kafka.topics.era5";
    default: return NULL;
    }
}

static ais_status era5_levels(const ais_config *cfg, long *levels, size_t *n, char *errbuf,
                              size_t errsize)
{
    if (ais_config_list_len(cfg, "era5.pressure_levels_hpa", n) != AIS_OK || *n == 0 ||
        *n > ERA5_MAX_LEVELS)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "era5.pressure_levels_hpa must list 1..%d levels", ERA5_MAX_LEVELS);
    for (size_t i = 0; i < *n; i++) {
        char key[64];
        snprintf(key, sizeof key, "era5.pressure_levels_hpa.%zu", i);
        if (ais_config_get_long(cfg, key, &levels[i]) != AIS_OK || levels[i] < 1 ||
            levels[i] > 1100)
            return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                                   "%s must be a pressure in hPa", key);
    }
    return AIS_OK;
}

static ais_status days_json(const ais_maiac_days *days, json_t **out)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = AIS_OK;
    for (size_t i = 0; i < days->count && st == AIS_OK; i++) {
        const ais_maiac_day *d = &days->items[i];
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            st = AIS_ERR_NOMEM;
            break;
        }
        char date[AIS_TIME_ISO_SIZE];
        if ((st = ais_time_format_iso(d->date, date)) != AIS_OK)
            break;
        date[10] = '\0';
        st = ais_json_set_string(o, "date", date);
        if (st == AIS_OK)
            st = ais_json_set(o, "granules", json_integer(d->granules));
        if (st == AIS_OK)
            st = ais_stat_json_set(o, "aod_055_", &d->aod055);
        if (st == AIS_OK)
            st = ais_stat_json_set(o, "aod_047_", &d->aod047);
        if (st == AIS_OK)
            st = ais_json_set(o, "valid_pixel_count", json_integer((json_int_t)d->aod055.n));
        if (st == AIS_OK)
            st = ais_json_set(o, "total_pixel_count", json_integer((json_int_t)d->total));
    }
    if (st != AIS_OK) {
        json_decref(arr);
        return st;
    }
    *out = arr;
    return AIS_OK;
}

static ais_status replay(ais_source source, const char *dir, const ais_config *cfg,
                         ais_gridded_out *out, json_t *extra, char *errbuf, size_t errsize)
{
    static const char *const hdf[] = {".hdf", NULL};
    static const char *const nc[] = {".nc", NULL};
    static const char *const era5[] = {".grib", ".grb", ".grib1", ".grib2", ".nc", NULL};
    const char *const *suffixes = source == AIS_SOURCE_MAIAC ? hdf
                                  : source == AIS_SOURCE_SENTINEL5P ? nc : era5;
    ais_bbox box;
    if (ais_bbox_from_config(cfg, "hanoi.bbox", &box) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "hanoi.bbox.west/east/south/north missing or invalid");
    ais_s5p_options s5p;
    ais_status st = AIS_OK;
    if (source == AIS_SOURCE_SENTINEL5P &&
        (st = ais_s5p_options_from_config(cfg, &s5p, errbuf, errsize)) != AIS_OK)
        return st;
    ais_decode_limits limits;
    bool isolate = true;
    if ((st = ais_decode_limits_from_config(cfg, &limits, &isolate, errbuf, errsize)) != AIS_OK)
        return st;
    out->isolate = isolate ? &limits : NULL;
    ais_path_list files;
    if ((st = ais_gridded_list(dir, suffixes, &files, errbuf, errsize)) != AIS_OK)
        return st;
    const char *const *paths = (const char *const *)files.paths;
    ais_maiac_days days = {0};
    if (source == AIS_SOURCE_MAIAC)
        st = ais_maiac_ingest_files(paths, files.count, &box, out, &days, errbuf, errsize);
    else if (source == AIS_SOURCE_SENTINEL5P)
        st = ais_s5p_ingest_files(paths, files.count, &s5p, out, errbuf, errsize);
    else
        st = ais_era5_ingest_files(paths, files.count, &box, out, errbuf, errsize);
    ais_path_list_free(&files);
    out->isolate = NULL; /* limits is this call's */
    ais_status jst = ais_json_set(extra, "outside_area", json_integer((json_int_t)out->outside_area));
    if (jst == AIS_OK && source == AIS_SOURCE_SENTINEL5P)
        jst = ais_json_set(extra, "skipped_products", json_integer((json_int_t)out->skipped));
    json_t *d = NULL;
    if (jst == AIS_OK && source == AIS_SOURCE_MAIAC && (jst = days_json(&days, &d)) == AIS_OK)
        jst = ais_json_set(extra, "days", d);
    ais_maiac_days_free(&days);
    return st != AIS_OK ? st : jst;
}

static ais_status simulate(ais_source source, uint64_t seed, const ais_config *cfg,
                           const ais_envelope *env, const ais_sink *sink, uint64_t *generated,
                           char *errbuf, size_t errsize)
{
    ais_bbox box;
    if (ais_bbox_from_config(cfg, "hanoi.bbox", &box) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "hanoi.bbox.west/east/south/north missing or invalid");
    ais_status st;
    if (source == AIS_SOURCE_MAIAC)
        return ais_maiac_simulate(seed, &box, env, sink, generated);
    if (source == AIS_SOURCE_SENTINEL5P) {
        ais_s5p_options o;
        if ((st = ais_s5p_options_from_config(cfg, &o, errbuf, errsize)) != AIS_OK)
            return st;
        return ais_s5p_simulate(seed, &o, env, sink, generated);
    }
    long levels[ERA5_MAX_LEVELS];
    size_t n = 0;
    if ((st = era5_levels(cfg, levels, &n, errbuf, errsize)) != AIS_OK)
        return st;
    return ais_era5_simulate(seed, &box, levels, n, env, sink, generated);
}

ais_status ais_gridded_run(ais_source source, ais_source_mode mode, const char *replay_dir,
                           const char *record_dir, uint64_t seed, const ais_config *cfg, ais_logger *logger,
                           const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                           ais_replay_stats *input, uint64_t *generated, json_t **extra,
                           char *errbuf, size_t errbuf_size)
{
    *extra = NULL;
    if (!ais_gridded_source(source) || mode == AIS_MODE_LIVE)
        return AIS_ERR_INVALID_ARG;
    if (mode == AIS_MODE_SIMULATE)
        return simulate(source, seed, cfg, env, sink, generated, errbuf, errbuf_size);
    json_t *obj = json_object();
    if (obj == NULL)
        return AIS_ERR_NOMEM;
    /* one progress line per file on stderr (human log format), or a step_done JSON line */
    ais_progress progress;
    ais_progress_init(&progress, ais_source_name(source), ais_log_format_from_env(), stderr,
                      logger);
    ais_gridded_out out = {.env = env, .sink = sink, .dlq = dlq, .stats = input,
                           .local_dir = record_dir != NULL ? replay_dir : NULL,
                           .record_dir = record_dir, .progress = &progress};
    ais_status st = replay(source, replay_dir, cfg, &out, obj, errbuf, errbuf_size);
    ais_progress_end(&progress, true); /* a file still under way ended the run */
    ais_log(logger, st == AIS_OK ? AIS_LOG_INFO : AIS_LOG_WARNING, "gridded_replay_done",
            AIS_F_STR("source", ais_gridded_event_source(source)),
            AIS_F_STR("replay_dir", replay_dir), AIS_F_STR("status", ais_status_str(st)),
            AIS_F_END);
    *extra = obj;
    return st;
}
