/* Replay of recorded WeatherAPI history.json bodies (<dir>/<Province>/<YYYY-MM-DD>.json), and
 * the body-to-events step it shares with the live adapter (weather_live.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/fsutil.h"
#include "ais/seen_events.h"
#include "ais/timeutil.h"
#include "ais/weather.h"

/* The body-to-events step shared by replay and live (ais_weather_ingest in weather.h). */
struct ais_weather_ingest {
    const ais_envelope *env;
    const ais_sink *sink;
    ais_dlq *dlq;
    ais_replay_stats *stats;
    ais_seen_events seen;
    ais_weather_event_maker maker; /* {NULL, NULL}: the history event of an hour in the window */
    /* the body being read */
    const char *path;  /* file or URL, for dead letters */
    const char *query; /* what was asked (live), NULL for a recording */
    char province[128];
    char slug[128];
};
typedef struct ais_weather_ingest replay;

static ais_status on_hour(void *ctx, const ais_weather_location *loc, const ais_weather_hour *h)
{
    replay *r = ctx;
    r->stats->records_read++;
    bool history = r->maker.make == NULL;
    if (history && (h->time_epoch < r->env->window_start || h->time_epoch >= r->env->window_end)) {
        r->stats->outside_window++;
        return AIS_OK;
    }
    int64_t now;
    json_t *event = NULL;
    int found = AIS_SEEN_NEW;
    ais_status st = ais_time_now(&now, NULL);
    if (st == AIS_OK && history)
        st = ais_weather_event_new(r->env, r->province, r->slug, r->query, loc, h, now, &event);
    else if (st == AIS_OK)
        st = r->maker.make(r->maker.ctx, r->env, r->province, r->slug, r->query, loc, h, now,
                           &event);
    if (st == AIS_OK && event == NULL) {
        r->stats->outside_window++;
        return AIS_OK;
    }
    if (st == AIS_OK)
        st = ais_seen_events_check(&r->seen, event, &found);
    if (st == AIS_OK && found == AIS_SEEN_NEW) {
        st = ais_sink_write(r->sink, event);
        if (st == AIS_OK)
            r->stats->events++;
    } else if (st == AIS_OK) {
        r->stats->duplicates_merged++;
        if (found == AIS_SEEN_CONFLICT) {
            /* the first copy (in path order) was emitted; keep the other one visible */
            r->stats->conflicts_resolved++;
            char *text = json_dumps(event, JSON_COMPACT);
            if (text == NULL) {
                st = AIS_ERR_NOMEM;
            } else {
                ais_dead_letter dl = {
                    .reason = "conflicting_duplicate",
                    .detail = "another body gave this event with different values; the first "
                              "(in path or request order) was kept",
                    .raw = text,
                    .raw_len = strlen(text),
                    .file = r->path,
                    .event_id = json_string_value(json_object_get(event, "event_id"))};
                st = ais_dlq_reject(r->dlq, &dl);
                free(text);
            }
        }
    }
    json_decref(event);
    return st;
}

static ais_status on_reject(void *ctx, ais_weather_reject_scope scope, const char *reason,
                            const char *detail, const char *raw, size_t raw_len)
{
    replay *r = ctx;
    if (scope == AIS_WEATHER_REJECT_BODY)
        r->stats->files_rejected++;
    else
        r->stats->records_rejected++;
    ais_dead_letter dl = {.reason = reason, .detail = detail, .raw = raw, .raw_len = raw_len,
                          .file = r->path};
    return ais_dlq_reject(r->dlq, &dl);
}

ais_status ais_weather_ingest_new(const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                                 ais_replay_stats *stats, ais_weather_ingest **out)
{
    return ais_weather_ingest_new_with(env, sink, dlq, stats, NULL, out);
}

ais_status ais_weather_ingest_new_with(const ais_envelope *env, const ais_sink *sink,
                                       ais_dlq *dlq, ais_replay_stats *stats,
                                       const ais_weather_event_maker *maker,
                                       ais_weather_ingest **out)
{
    if (env == NULL || sink == NULL || dlq == NULL || stats == NULL || out == NULL ||
        (maker != NULL && maker->make == NULL))
        return AIS_ERR_INVALID_ARG;
    ais_weather_ingest *w = calloc(1, sizeof *w);
    if (w == NULL)
        return AIS_ERR_NOMEM;
    if (maker != NULL)
        w->maker = *maker;
    w->env = env;
    w->sink = sink;
    w->dlq = dlq;
    w->stats = stats;
    *out = w;
    return AIS_OK;
}

void ais_weather_ingest_free(ais_weather_ingest *w)
{
    if (w == NULL)
        return;
    ais_seen_events_free(&w->seen);
    free(w);
}

ais_status ais_weather_ingest_body(ais_weather_ingest *w, const char *province, const char *slug,
                                   const char *query, const char *origin, const char *body,
                                   size_t len)
{
    if (w == NULL || province == NULL || slug == NULL || body == NULL)
        return AIS_ERR_INVALID_ARG;
    if (province != w->province)
        snprintf(w->province, sizeof w->province, "%s", province);
    if (slug != w->slug)
        snprintf(w->slug, sizeof w->slug, "%s", slug);
    w->query = query;
    w->path = origin;
    w->stats->files_read++;
    ais_weather_visitor v = {.ctx = w, .on_hour = on_hour, .on_reject = on_reject};
    return ais_weather_parse_history(body, len, &v);
}

/* The folder a recorded file is in names its province. NULL when the file sits directly in
 * the replay folder. */
static const char *parent_name(const char *dir, const char *path, char *buf, size_t size)
{
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    const char *rel = path + dlen;
    while (*rel == '/')
        rel++;
    const char *last = strrchr(rel, '/');
    if (last == NULL)
        return NULL;
    const char *start = last;
    while (start > rel && start[-1] != '/')
        start--;
    size_t n = (size_t)(last - start);
    if (n == 0 || n >= size)
        return NULL;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return buf;
}

static ais_status set_province(replay *r, const char *folder)
{
    const ais_weather_province *p = ais_weather_province_find(folder);
    if (p != NULL) {
        snprintf(r->province, sizeof r->province, "%s", p->name);
        snprintf(r->slug, sizeof r->slug, "%s", p->slug);
        return AIS_OK;
    }
    snprintf(r->province, sizeof r->province, "%s", folder);
    for (char *c = r->province; *c; c++)
        if (*c == '_')
            *c = ' ';
    return ais_weather_slug(folder, r->slug, sizeof r->slug);
}

static ais_status replay_file(replay *r, const char *dir, const char *path, char *errbuf,
                              size_t errsize)
{
    r->path = path;
    char folder[128];
    if (parent_name(dir, path, folder, sizeof folder) == NULL ||
        set_province(r, folder) != AIS_OK) {
        ais_dead_letter dl = {.reason = "unknown_province",
                              .detail = "a recorded body must sit in a folder named after its "
                                        "province (<Province>/<date>.json)",
                              .file = path};
        r->stats->files_rejected++;
        return ais_dlq_reject(r->dlq, &dl);
    }
    char *body = NULL;
    size_t len = 0;
    ais_status st = ais_fs_read_file(path, AIS_WEATHER_MAX_BODY_BYTES, &body, &len);
    if (st == AIS_ERR_RANGE) {
        ais_dead_letter dl = {.reason = "file_too_large", .detail = "body larger than 16 MiB",
                              .file = path};
        r->stats->files_rejected++;
        return ais_dlq_reject(r->dlq, &dl);
    }
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errsize, "cannot read %s: %s", path, strerror(errno));
    st = ais_weather_ingest_body(r, r->province, r->slug, NULL, path, body, len);
    free(body);
    return st;
}

/* path below dir as <Province>/<date>.json (path itself when it is not below dir) */
static const char *relative_name(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0)
        return path;
    return path + n + strspn(path + n, "/");
}

ais_status ais_weather_replay(const char *dir, const ais_envelope *env, const ais_sink *sink,
                              ais_dlq *dlq, ais_replay_stats *stats, ais_progress *progress,
                              char *errbuf, size_t errbuf_size)
{
    if (dir == NULL || env == NULL || sink == NULL || dlq == NULL || stats == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    ais_path_list list;
    ais_status st = ais_fs_list_files(dir, ".json", &list);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errbuf_size, "cannot list %s: %s", dir,
                               strerror(errno));
    replay *r = NULL;
    st = ais_weather_ingest_new(env, sink, dlq, stats, &r);
    ais_progress_begin(progress, list.count);
    for (size_t i = 0; i < list.count && st == AIS_OK; i++) {
        ais_progress_next(progress, relative_name(dir, list.paths[i]));
        st = replay_file(r, dir, list.paths[i], errbuf, errbuf_size);
    }
    ais_progress_end(progress, st != AIS_OK);
    ais_weather_ingest_free(r);
    ais_path_list_free(&list);
    return st;
}
