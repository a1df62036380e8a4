/* Replay of AirNow DOS CSV files: read every file, repair the DST artefact per file, keep one
 * row per station hour across files (ais/airnow.h explains each rule), emit OpenAQ events. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/airnow.h"
#include "ais/fsutil.h"
#include "ais/openaq.h"
#include "ais/timeutil.h"

/* One good row of one file, as far as the merge needs it. */
typedef struct candidate {
    int64_t hour_start; /* UTC */
    double value;
    uint32_t file;
    uint32_t rank; /* of the file, set once every file is read */
    uint32_t line;
    uint16_t station;
    uint16_t flags;
    uint8_t qc;
    uint8_t has_value;
} candidate;

typedef struct cand_vec {
    candidate *items;
    size_t count, cap;
} cand_vec;

typedef struct file_info {
    const char *path; /* borrowed from the path list */
    int64_t last_label;
    uint64_t rows;
    uint32_t rank; /* 0 = preferred */
} file_info;

typedef struct replay {
    int utc_offset_hours;
    const ais_envelope *env;
    const ais_sink *sink;
    ais_dlq *dlq;
    ais_replay_stats *stats;
    file_info *files;
    cand_vec cands;
    char *errbuf;
    size_t errsize;
} replay;

static ais_status cand_push(cand_vec *v, const candidate *c)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4096;
        candidate *items = realloc(v->items, cap * sizeof *items);
        if (items == NULL)
            return AIS_ERR_NOMEM;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->count++] = *c;
    return AIS_OK;
}

static ais_status reject_line(replay *r, const char *reason, const char *path, size_t line_no,
                              const char *text, size_t len)
{
    ais_dead_letter dl = {.reason = reason, .raw = text, .raw_len = len, .file = path,
                          .line = line_no > LONG_MAX ? LONG_MAX : (long)line_no};
    r->stats->records_rejected++;
    return ais_dlq_reject(r->dlq, &dl);
}

static ais_status reject_file(replay *r, const char *reason, const char *detail,
                              const char *path, size_t line_no, const char *text, size_t len)
{
    ais_dead_letter dl = {.reason = reason, .detail = detail, .raw = text, .raw_len = len,
                          .file = path, .line = line_no > LONG_MAX ? LONG_MAX : (long)line_no};
    r->stats->files_rejected++;
    return ais_dlq_reject(r->dlq, &dl);
}

/* A parsed row of the file being read, before the DST repair. */
typedef struct file_row {
    int64_t label; /* local seconds */
    double value;
    uint32_t line;
    uint16_t station;
    uint8_t qc;
    uint8_t dst_repaired;
    int year, month, day, hour;
} file_row;

static int file_has_label(const file_row *rows, size_t n, uint16_t station, int64_t label)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].station == station && rows[i].label == label)
            return 1;
    return 0;
}

/* The US DST artefact: a 03:00 row on the DST-start Sunday immediately followed by another
 * 03:00 row, with no 02:00 row in the file: the first one is 02:00. */
static void repair_dst(file_row *rows, size_t n, ais_replay_stats *stats)
{
    for (size_t i = 0; i + 1 < n; i++) {
        file_row *a = &rows[i];
        const file_row *b = &rows[i + 1];
        if (a->hour != 3 || b->label != a->label || b->station != a->station)
            continue;
        int month, day;
        if (ais_airnow_us_dst_start(a->year, &month, &day) != AIS_OK || a->month != month ||
            a->day != day)
            continue;
        int64_t earlier = a->label - AIS_SECONDS_PER_HOUR;
        if (file_has_label(rows, n, a->station, earlier))
            continue;
        a->label = earlier;
        a->hour = 2;
        a->dst_repaired = 1;
        stats->dst_repaired++;
    }
}

static uint16_t station_index(const ais_airnow_station *st)
{
    return (uint16_t)(st - ais_airnow_stations(NULL));
}

static const ais_airnow_station *station_at(uint16_t index)
{
    return &ais_airnow_stations(NULL)[index];
}

static ais_status read_rows(replay *r, uint32_t file_index, const char *data, size_t len,
                            file_row **rows_out, size_t *n_out)
{
    const char *path = r->files[file_index].path;
    file_row *rows = NULL;
    size_t n = 0, cap = 0;
    ais_airnow_layout layout;
    int have_layout = 0;
    size_t line_no = 0;
    ais_status st = AIS_OK;

    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    size_t pos = 0;
    while (pos < len && st == AIS_OK) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - line) : len - pos;
        pos += line_len + (nl != NULL ? 1 : 0);
        line_no++;

        size_t k = 0;
        while (k < line_len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
            k++;
        if (k == line_len)
            continue; /* blank */

        const char *reason = NULL;
        if (!have_layout) {
            if (ais_airnow_is_header(line, line_len)) {
                if (ais_airnow_layout_from_header(line, line_len, &layout, &reason) != AIS_OK) {
                    st = reject_file(r, reason, "the header names no known AirNow layout", path,
                                     line_no, line, line_len);
                    break;
                }
                have_layout = 1;
                continue;
            }
            if (ais_airnow_layout_detect(line, line_len, &layout, &reason) != AIS_OK) {
                st = reject_file(r, reason,
                                 "no header row, and the first line is not a data row of a "
                                 "known layout",
                                 path, line_no, line, line_len);
                break;
            }
            have_layout = 1;
        }

        r->stats->records_read++;
        ais_airnow_row row;
        if (ais_airnow_parse_line(line, line_len, &layout, &row, &reason) != AIS_OK) {
            st = reject_line(r, reason, path, line_no, line, line_len);
            continue;
        }
        const ais_airnow_station *station = ais_airnow_station_find(row.site);
        if (station == NULL) {
            st = reject_line(r, "unknown_site", path, line_no, line, line_len);
            continue;
        }
        if (line_no > UINT32_MAX) {
            st = reject_line(r, "line_too_long", path, line_no, line, line_len);
            continue;
        }
        if (n == cap) {
            size_t new_cap = cap ? cap * 2 : 1024;
            file_row *grown = realloc(rows, new_cap * sizeof *grown);
            if (grown == NULL) {
                st = AIS_ERR_NOMEM;
                break;
            }
            rows = grown;
            cap = new_cap;
        }
        rows[n++] = (file_row){.label = row.label, .value = row.value, .line = (uint32_t)line_no,
                               .station = station_index(station),
                               .qc = (uint8_t)row.qc, .year = row.year, .month = row.month,
                               .day = row.day, .hour = row.hour};
    }
    if (st != AIS_OK) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return AIS_OK;
}

static ais_status read_file(replay *r, uint32_t file_index)
{
    file_info *fi = &r->files[file_index];
    char *data = NULL;
    size_t len = 0;
    ais_status st = ais_fs_read_file(fi->path, AIS_AIRNOW_MAX_FILE_BYTES, &data, &len);
    fi->last_label = INT64_MIN;
    if (st == AIS_ERR_RANGE) {
        char detail[96];
        snprintf(detail, sizeof detail, "file larger than %u bytes", AIS_AIRNOW_MAX_FILE_BYTES);
        return reject_file(r, "file_too_large", detail, fi->path, 0, NULL, 0);
    }
    if (st != AIS_OK)
        return ais_status_fail(st, r->errbuf, r->errsize,
                               "cannot read %s: %s", fi->path, strerror(errno));
    r->stats->files_read++;

    file_row *rows = NULL;
    size_t n = 0;
    st = read_rows(r, file_index, data, len, &rows, &n);
    free(data);
    if (st != AIS_OK)
        return st;
    repair_dst(rows, n, r->stats);

    int64_t offset = (int64_t)r->utc_offset_hours * AIS_SECONDS_PER_HOUR;
    for (size_t i = 0; i < n && st == AIS_OK; i++) {
        const file_row *fr = &rows[i];
        if (fr->label > fi->last_label)
            fi->last_label = fr->label;
        fi->rows++;
        /* hour-ending label: the hour started one hour earlier, local time */
        int64_t hour_start = fr->label - AIS_SECONDS_PER_HOUR - offset;
        if (hour_start < r->env->window_start || hour_start >= r->env->window_end) {
            r->stats->outside_window++;
            continue;
        }
        ais_airnow_row row = {.value = fr->value, .qc = (ais_airnow_qc)fr->qc};
        bool has_value;
        double value;
        unsigned flags;
        ais_airnow_classify(&row, &has_value, &value, &flags);
        if (fr->dst_repaired)
            flags |= AIS_AIRNOW_FLAG_DST_REPAIRED;
        candidate c = {.hour_start = hour_start, .value = value, .file = file_index,
                       .line = fr->line, .station = fr->station, .flags = (uint16_t)flags,
                       .qc = fr->qc, .has_value = has_value};
        st = cand_push(&r->cands, &c);
    }
    free(rows);
    return st;
}

/* Rank files: latest last row first (the most recent download), then more rows, then path. */
static int compare_file_rank(const void *pa, const void *pb)
{
    const file_info *a = *(const file_info *const *)pa;
    const file_info *b = *(const file_info *const *)pb;
    if (a->last_label != b->last_label)
        return a->last_label > b->last_label ? -1 : 1;
    if (a->rows != b->rows)
        return a->rows > b->rows ? -1 : 1;
    return strcmp(a->path, b->path);
}

/* Hour order; within an hour the preferred copy first. */
static int compare_candidates(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->hour_start != b->hour_start)
        return a->hour_start < b->hour_start ? -1 : 1;
    if (a->station != b->station)
        return a->station < b->station ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->line != b->line)
        return a->line > b->line ? -1 : 1; /* within one file the later line wins */
    return 0;
}

static int same_reading(const candidate *a, const candidate *b)
{
    if (a->qc != b->qc || a->has_value != b->has_value)
        return 0;
    return !a->has_value || a->value == b->value;
}

static ais_status emit(replay *r, const candidate *c, int conflict)
{
    const ais_airnow_station *station = station_at(c->station);
    int64_t now;
    json_t *event = NULL;
    ais_status st = ais_time_now(&now, NULL);
    if (st != AIS_OK)
        return st;
    ais_openaq_hour hour = {
        .location_id = station->location_id,
        .sensor_id = station->sensor_id,
        .location_name = station->location_name,
        .parameter = "pm25",
        .units = "µg/m³",
        .has_value = c->has_value,
        .value = c->value,
        .latitude = station->latitude,
        .longitude = station->longitude,
        .hour_start = c->hour_start,
        .expected_count = 1,
        .observed_count = c->has_value ? 1 : 0,
    };
    if ((st = ais_openaq_event_new(r->env, &hour, now, &event)) != AIS_OK)
        return st;
    unsigned flags = c->flags | (conflict ? AIS_AIRNOW_FLAG_CONFLICT_RESOLVED : 0u);
    for (unsigned i = 0; i < AIS_AIRNOW_FLAG_COUNT && st == AIS_OK; i++)
        if (flags & (1u << i))
            st = ais_event_add_quality_flag(event, ais_airnow_flag_name(1u << i));
    if (st == AIS_OK)
        st = ais_sink_write(r->sink, event);
    json_decref(event);
    if (st == AIS_OK)
        r->stats->events++;
    return st;
}

static ais_status merge_and_emit(replay *r, size_t n_files)
{
    file_info **order = malloc((n_files ? n_files : 1) * sizeof *order);
    if (order == NULL)
        return AIS_ERR_NOMEM;
    for (size_t i = 0; i < n_files; i++)
        order[i] = &r->files[i];
    qsort(order, n_files, sizeof *order, compare_file_rank);
    for (size_t i = 0; i < n_files; i++)
        order[i]->rank = (uint32_t)i;
    free(order);

    for (size_t i = 0; i < r->cands.count; i++)
        r->cands.items[i].rank = r->files[r->cands.items[i].file].rank;
    qsort(r->cands.items, r->cands.count, sizeof *r->cands.items, compare_candidates);

    ais_status st = AIS_OK;
    size_t i = 0;
    while (i < r->cands.count && st == AIS_OK) {
        const candidate *winner = &r->cands.items[i];
        size_t j = i + 1;
        int conflict = 0;
        while (j < r->cands.count && r->cands.items[j].hour_start == winner->hour_start &&
               r->cands.items[j].station == winner->station) {
            if (!same_reading(winner, &r->cands.items[j]))
                conflict = 1;
            j++;
        }
        r->stats->duplicates_merged += j - i - 1;
        if (conflict)
            r->stats->conflicts_resolved++;
        st = emit(r, winner, conflict);
        i = j;
    }
    return st;
}

ais_status ais_airnow_replay(const char *dir, int utc_offset_hours, const ais_envelope *env,
                             const ais_sink *sink, ais_dlq *dlq, ais_replay_stats *stats,
                             ais_progress *progress, char *errbuf, size_t errbuf_size)
{
    if (dir == NULL || env == NULL || sink == NULL || dlq == NULL || stats == NULL ||
        utc_offset_hours < -12 || utc_offset_hours > 14)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    replay r = {.utc_offset_hours = utc_offset_hours, .env = env, .sink = sink, .dlq = dlq,
                .stats = stats, .errbuf = errbuf, .errsize = errbuf_size};

    ais_path_list list;
    ais_status st = ais_fs_list_files(dir, ".csv", &list);
    if (st != AIS_OK)
        return ais_status_fail(st, r.errbuf, r.errsize, "cannot list %s: %s", dir, strerror(errno));
    if (list.count > UINT32_MAX) {
        ais_path_list_free(&list);
        return ais_status_fail(AIS_ERR_RANGE, r.errbuf, r.errsize, "too many files under %s", dir);
    }
    r.files = calloc(list.count ? list.count : 1, sizeof *r.files);
    if (r.files == NULL) {
        ais_path_list_free(&list);
        return AIS_ERR_NOMEM;
    }
    for (size_t i = 0; i < list.count; i++)
        r.files[i].path = list.paths[i];
    ais_progress_begin(progress, list.count);
    for (size_t i = 0; i < list.count && st == AIS_OK; i++) {
        const char *slash = strrchr(list.paths[i], '/');
        ais_progress_next(progress, slash != NULL ? slash + 1 : list.paths[i]);
        st = read_file(&r, (uint32_t)i);
    }
    ais_progress_end(progress, st != AIS_OK);
    if (st == AIS_OK)
        st = merge_and_emit(&r, list.count);

    free(r.cands.items);
    free(r.files);
    ais_path_list_free(&list);
    return st;
}
