/* ERA5 file events, the file loop and the simulator (ais/era5.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/era5.h"
#include "ais/jsonutil.h"
#include "ais/noise.h"
#include "ais/timeutil.h"
#include "../decode/decode_child.h"

#define PI 3.14159265358979323846

ais_status ais_era5_event_id(const ais_era5_file_info *f, char *out, size_t out_size)
{
    ais_civil_time a, b;
    ais_status st = ais_time_to_civil(f->period_start, &a);
    if (st == AIS_OK)
        st = ais_time_to_civil(f->period_end, &b);
    if (st != AIS_OK)
        return st;
    int dim;
    if ((st = ais_time_days_in_month(a.year, a.month, &dim)) != AIS_OK)
        return st;
    int n;
    if (a.year == b.year && a.month == b.month && a.day == 1 && a.hour == 0 && b.day == dim &&
        b.hour >= 18)
        n = snprintf(out, out_size, "era5_%s_%04d_%02d", f->dataset_type, a.year, a.month);
    else if (f->period_end - f->period_start < AIS_SECONDS_PER_DAY && a.day == b.day)
        n = snprintf(out, out_size, "era5_%s_%04d_%02d_%02d", f->dataset_type, a.year, a.month,
                     a.day);
    else
        n = snprintf(out, out_size, "era5_%s_%04d%02d%02d%02d_%04d%02d%02d%02d", f->dataset_type,
                     a.year, a.month, a.day, a.hour, b.year, b.month, b.day, b.hour);
    return n > 0 && (size_t)n < out_size ? AIS_OK : AIS_ERR_RANGE;
}

static ais_status hours_json(const ais_era5_file_info *f, json_t **out)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = AIS_OK;
    for (size_t i = 0; i < f->n_hours && st == AIS_OK; i++) {
        const ais_era5_hour_values *h = &f->hours[i];
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            st = AIS_ERR_NOMEM;
            break;
        }
        st = ais_gridded_set_time(o, "time", h->time);
        for (size_t v = 0; v < AIS_ERA5_SURFACE_VARS && st == AIS_OK; v++)
            st = ais_json_set(o, ais_era5_surface_var(v),
                              h->set[v] && isfinite(h->v[v]) ? json_real(h->v[v]) : json_null());
    }
    if (st != AIS_OK) {
        json_decref(arr);
        return st;
    }
    *out = arr;
    return AIS_OK;
}

static ais_status fill_event(json_t *ev, const ais_era5_file_info *f, const char *path,
                             const char *request_id)
{
    ais_status st = ais_json_set_string(ev, "dataset_type", f->dataset_type);
    if (st == AIS_OK)
        st = ais_gridded_set_time(ev, "period_start", f->period_start);
    if (st == AIS_OK)
        st = ais_gridded_set_time(ev, "period_end", f->period_end);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "file_path", path);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "file_format", f->file_format);
    if (st == AIS_OK)
        st = ais_json_set(ev, "size_bytes", json_integer((json_int_t)f->size_bytes));
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "sha256", f->sha256[0] ? f->sha256 : NULL);
    json_t *vars = json_array(), *levels = json_array();
    for (size_t i = 0; vars != NULL && i < f->n_variables; i++)
        if (json_array_append_new(vars, json_string(f->variables[i])) != 0)
            st = AIS_ERR_NOMEM;
    for (size_t i = 0; levels != NULL && i < f->n_levels; i++)
        if (json_array_append_new(levels, json_integer(f->levels[i])) != 0)
            st = AIS_ERR_NOMEM;
    if (st == AIS_OK)
        st = ais_json_set(ev, "variables", vars);
    else
        json_decref(vars);
    if (st == AIS_OK)
        st = ais_json_set(ev, "pressure_levels_hpa", levels);
    else
        json_decref(levels);
    char area[96];
    snprintf(area, sizeof area, "%g/%g/%g/%g", f->north, f->west, f->south, f->east);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "area", area);
    if (st == AIS_OK)
        st = ais_json_set_string(ev, "request_id", request_id);
    json_t *hours = NULL;
    if (st == AIS_OK && (st = hours_json(f, &hours)) == AIS_OK)
        st = ais_json_set(ev, "hanoi_hourly", hours);
    if (st == AIS_OK)
        st = ais_json_set(ev, "message_count", json_integer((json_int_t)f->messages));
    if (st == AIS_OK)
        st = ais_json_set(ev, "hanoi_grid_points", json_integer((json_int_t)f->hanoi_points));
    if (st == AIS_OK && f->hanoi == AIS_ERA5_HANOI_NEAREST)
        st = ais_event_add_quality_flag(ev, "hanoi_nearest_gridpoint");
    if (st == AIS_OK && f->hanoi == AIS_ERA5_HANOI_OUTSIDE)
        st = ais_event_add_quality_flag(ev, "hanoi_outside_grid");
    if (st == AIS_OK && f->members > 1)
        st = ais_event_add_quality_flag(ev, "ensemble_member_0");
    return st;
}

ais_status ais_era5_event_new(const ais_envelope *env, const ais_era5_file_info *info,
                              const char *path, const char *request_id, int64_t ingest_time,
                              json_t **out)
{
    if (env == NULL || info == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    char id[128];
    ais_status st = ais_era5_event_id(info, id, sizeof id);
    json_t *ev = NULL;
    if (st == AIS_OK)
        st = ais_event_new(env, id, info->period_start,
                           info->period_end + AIS_ERA5_LATENCY_SECONDS, ingest_time, &ev);
    if (st == AIS_OK)
        st = fill_event(ev, info, path, request_id);
    if (st != AIS_OK) {
        json_decref(ev);
        return st;
    }
    *out = ev;
    return AIS_OK;
}

bool ais_era5_request_from_name(const char *path, char *out, size_t out_size)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    const char *p = strstr(base, ".cds-");
    if (p == NULL)
        return false;
    p += strlen(".cds-");
    size_t n = strspn(p, "0123456789abcdefABCDEF-");
    if (n == 0 || n > 64 || p[n] != '.' || n >= out_size)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

ais_status ais_era5_ingest_files(const char *const *paths, size_t n_paths, const ais_bbox *box,
                                 ais_gridded_out *out, char *errbuf, size_t errbuf_size)
{
    if ((paths == NULL && n_paths > 0) || box == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_gridded_progress_begin(out, n_paths);
    for (size_t i = 0; i < n_paths; i++) {
        ais_gridded_progress_file(out, paths[i]);
        ais_era5_file_info f;
        const char *reason = NULL;
        char detail[320];
        out->stats->files_read++;
        ais_status st = ais_decode_file(out->isolate, AIS_DECODER_ERA5, paths[i], box, &f,
                                        &reason, detail, sizeof detail);
        if (st == AIS_ERR_PARSE) {
            if ((st = ais_gridded_reject_file(out, paths[i], reason, detail)) != AIS_OK)
                return st;
            continue;
        }
        if (st == AIS_ERR_IO) {
            if ((st = ais_gridded_reject_file(out, paths[i], "unreadable_file",
                                              "the file cannot be opened or read")) != AIS_OK)
                return st;
            continue;
        }
        if (st != AIS_OK)
            return st;
        out->stats->records_read += f.messages;
        int64_t now;
        json_t *ev = NULL;
        char job[72];
        bool has_job = ais_era5_request_from_name(paths[i], job, sizeof job);
        char *ref = NULL;
        if ((st = ais_time_now(&now, NULL)) == AIS_OK)
            st = ais_gridded_file_ref(out, paths[i], &ref);
        if (st == AIS_OK)
            st = ais_era5_event_new(out->env, &f, ref, has_job ? job : NULL, now, &ev);
        free(ref);
        if (st == AIS_OK)
            st = ais_gridded_emit(out, ev, f.period_start);
        json_decref(ev);
        ais_era5_file_info_free(&f);
        if (st != AIS_OK)
            return st;
    }
    ais_progress_end(out->progress, false);
    return ais_gridded_finish(out, errbuf, errbuf_size);
}

/* ------------------------------------------------------------------------------------------ */
/* Simulation                                                                                 */

enum { STREAM_T = 0x4535, STREAM_WIND, STREAM_RAIN, STREAM_P };

/* One simulated Hanoi hour in ERA5 units. */
static void sim_hour(uint64_t seed, int64_t t, ais_era5_hour_values *h)
{
    memset(h, 0, sizeof *h);
    h->time = t;
    double th = (double)t / 3600.0;
    double doy = fmod((double)t / 86400.0 - 0.0, 365.2425); /* days since a 1 January */
    ais_civil_time c;
    if (ais_time_to_civil(t, &c) == AIS_OK)
        doy = (double)c.yday;
    double local_h = fmod((double)((t / 3600 + 7) % 24) + 24.0, 24.0);
    double season = -cos(2.0 * PI * (doy - 15.0) / 365.25); /* -1 mid-January, +1 mid-July */
    double diurnal = cos(2.0 * PI * (local_h - 14.0) / 24.0); /* +1 at 14:00 local */
    double syn = ais_noise_value(seed, STREAM_T, 0, th, 48.0, AIS_KNOT_NORMAL);
    double t2m_c = 23.5 + 6.5 * season + (3.0 + 0.8 * (1 - season)) * diurnal + 1.5 * syn;
    double rh = 78.0 + 6.0 * season - 12.0 * diurnal + 4.0 * syn;
    if (rh > 99.0)
        rh = 99.0;
    double a = 17.625, b = 243.04;
    double gamma = log(rh / 100.0) + a * t2m_c / (b + t2m_c);
    double d2m_c = b * gamma / (a - gamma);
    double wet = season > 0 ? season : 0.0;
    double rain_noise = ais_noise_value(seed, STREAM_RAIN, 0, th, 6.0, AIS_KNOT_UNIFORM);
    double tp_m = rain_noise > 0.85 - 0.25 * wet ? (rain_noise - 0.6) * 0.004 * (0.3 + wet) : 0.0;
    /* monsoon: north-easterly in winter, south-easterly in summer */
    double dir = (season > 0 ? 150.0 : 45.0) +
                 25.0 * ais_noise_value(seed, STREAM_WIND, 0, th, 24.0, AIS_KNOT_NORMAL);
    double speed = 2.2 + 0.8 * diurnal +
                   0.8 * fabs(ais_noise_value(seed, STREAM_WIND, 1, th, 12.0, AIS_KNOT_NORMAL));
    double rad = dir * PI / 180.0;
    double blh = (season > 0 ? 900.0 : 600.0) * (diurnal > 0 ? 0.4 + 1.2 * diurnal : 0.25) +
                 80.0 * fabs(syn) + 60.0;
    double msl = 101300.0 - 600.0 * season +
                 120.0 * cos(4.0 * PI * (local_h - 10.0) / 24.0) +
                 250.0 * ais_noise_value(seed, STREAM_P, 0, th, 72.0, AIS_KNOT_NORMAL);
    double values[AIS_ERA5_SURFACE_VARS] = {
        -speed * sin(rad),       /* u10: wind from dir */
        -speed * cos(rad),       /* v10 */
        blh,                     /* blh, m */
        msl - 180.0,             /* sp: Hanoi ~15 m above sea level, model terrain ~15 m */
        t2m_c + 273.15,          /* t2m, K */
        d2m_c + 273.15,          /* d2m, K */
        tp_m,                    /* tp, m per hour */
        msl,                     /* msl, Pa */
    };
    for (size_t v = 0; v < AIS_ERA5_SURFACE_VARS; v++) {
        h->v[v] = values[v];
        h->set[v] = true;
    }
}

static ais_status emit_day(uint64_t seed, const ais_bbox *box, const long *levels,
                           size_t n_levels, int64_t day, bool pressure, const ais_envelope *env,
                           const ais_sink *sink, uint64_t *events)
{
    ais_era5_file_info f;
    memset(&f, 0, sizeof f);
    snprintf(f.dataset_type, sizeof f.dataset_type, "%s",
             pressure ? "pressure_levels" : "single_levels");
    snprintf(f.file_format, sizeof f.file_format, "grib1");
    f.north = ceil(box->north * 4.0) / 4.0;
    f.south = floor(box->south * 4.0) / 4.0;
    f.west = floor(box->west * 4.0) / 4.0;
    f.east = ceil(box->east * 4.0) / 4.0;
    f.members = 1;
    static const char *const pvars[] = {"u", "v", "w", "z", "t", "q"};
    if (pressure) {
        f.period_start = day;
        f.period_end = day + 18 * 3600;
        for (size_t i = 0; i < 6; i++)
            snprintf(f.variables[f.n_variables++], sizeof f.variables[0], "%s", pvars[i]);
        for (size_t i = 0; i < n_levels && i < AIS_ERA5_MAX_LEVELS; i++)
            f.levels[f.n_levels++] = levels[i];
        f.messages = 4 * 6 * f.n_levels;
        f.hanoi = AIS_ERA5_HANOI_NONE;
    } else {
        f.period_start = day;
        f.period_end = day + 23 * 3600;
        for (size_t i = 0; i < AIS_ERA5_SURFACE_VARS; i++)
            snprintf(f.variables[f.n_variables++], sizeof f.variables[0], "%s",
                     ais_era5_surface_var(i));
        f.hours = calloc(24, sizeof *f.hours);
        if (f.hours == NULL)
            return AIS_ERR_NOMEM;
        f.n_hours = 24;
        for (int h = 0; h < 24; h++)
            sim_hour(seed, day + h * 3600, &f.hours[h]);
        f.messages = 24 * AIS_ERA5_SURFACE_VARS;
        f.hanoi = AIS_ERA5_HANOI_BOX;
        f.hanoi_points = (size_t)(llround((f.north - f.south) * 4.0) + 1) *
                         (size_t)(llround((f.east - f.west) * 4.0) + 1);
    }
    ais_status st = AIS_OK;
    if (day >= env->window_start && day < env->window_end) {
        json_t *ev = NULL;
        st = ais_era5_event_new(env, &f, NULL, NULL, f.period_end + AIS_ERA5_LATENCY_SECONDS,
                                &ev);
        if (st == AIS_OK)
            st = ais_sink_write(sink, ev);
        json_decref(ev);
        if (st == AIS_OK)
            (*events)++;
    }
    ais_era5_file_info_free(&f);
    return st;
}

ais_status ais_era5_simulate(uint64_t seed, const ais_bbox *box, const long *levels,
                             size_t n_levels, const ais_envelope *env, const ais_sink *sink,
                             uint64_t *events_out)
{
    if (box == NULL || (levels == NULL && n_levels > 0) || env == NULL || sink == NULL ||
        events_out == NULL)
        return AIS_ERR_INVALID_ARG;
    *events_out = 0;
    int64_t first = env->window_start - (env->window_start % AIS_SECONDS_PER_DAY +
                                         AIS_SECONDS_PER_DAY) % AIS_SECONDS_PER_DAY;
    for (int64_t day = first; day < env->window_end; day += AIS_SECONDS_PER_DAY) {
        ais_status st = emit_day(seed, box, levels, n_levels, day, false, env, sink, events_out);
        if (st == AIS_OK)
            st = emit_day(seed, box, levels, n_levels, day, true, env, sink, events_out);
        if (st != AIS_OK)
            return st;
    }
    return AIS_OK;
}
