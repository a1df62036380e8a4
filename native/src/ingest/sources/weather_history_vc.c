/* Replay of Visual Crossing Timeline CSV exports (daily and hourly) into weather-history-vc
 * events (ais/weather_vc.h). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/fsutil.h"
#include "ais/seen_events.h"
#include "ais/timeutil.h"
#include "ais/weather_vc.h"

#define VC_MAX_FIELDS 48
#define VC_ID_SIZE 160

enum { NEED_NONE, NEED_ALL, NEED_DAILY };

/* One numeric column: its CSV header name, its event key, when it is required, its range. */
typedef struct vc_number {
    const char *column;
    const char *key;
    int need;
    double lo, hi;
} vc_number;

static const vc_number NUMBERS[] = {
    {"temp", "temp_c", NEED_ALL, -90, 60},
    {"tempmax", "tempmax_c", NEED_DAILY, -90, 60},
    {"tempmin", "tempmin_c", NEED_DAILY, -90, 60},
    {"feelslike", "feelslike_c", NEED_NONE, -90, 80},
    {"dew", "dewpoint_c", NEED_NONE, -90, 60},
    {"humidity", "humidity", NEED_ALL, 0, 100},
    {"precip", "precip_mm", NEED_ALL, 0, 2000},
    {"precipprob", "precipprob", NEED_NONE, 0, 100},
    {"precipcover", "precipcover", NEED_NONE, 0, 100},
    {"windgust", "windgust_kph", NEED_NONE, 0, 500},
    {"windspeed", "windspeed_kph", NEED_ALL, 0, 500},
    {"winddir", "winddir_deg", NEED_NONE, 0, 360},
    {"sealevelpressure", "sealevelpressure_hpa", NEED_ALL, 850, 1100},
    {"cloudcover", "cloudcover", NEED_NONE, 0, 100},
    {"visibility", "visibility_km", NEED_NONE, 0, 500},
    {"solarradiation", "solarradiation_wm2", NEED_NONE, 0, 2000},
    {"uvindex", "uvindex", NEED_NONE, 0, 30},
};
#define N_NUMBERS (sizeof NUMBERS / sizeof NUMBERS[0])

/* ---- CSV ---------------------------------------------------------------------------------- */

/* Splits one line (modified in place) into fields; quoted fields may hold commas and "".
 * Returns the number of fields, or -1 for an unterminated quote or too many fields. */
static int vc_split(char *line, char **fields)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == VC_MAX_FIELDS)
            return -1;
        if (*p == '"') {
            char *out = ++p;
            fields[n++] = out;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            *out = '\0';
            if (*p == '\0')
                return n;
            if (*p != ',')
                return -1;
            p++;
        } else {
            fields[n++] = p;
            char *comma = strchr(p, ',');
            if (comma == NULL)
                return n;
            *comma = '\0';
            p = comma + 1;
        }
    }
}

/* ---- one run ------------------------------------------------------------------------------ */

typedef struct vc_run {
    int utc_offset_hours;
    const ais_envelope *env;
    const ais_sink *sink;
    ais_dlq *dlq;
    ais_replay_stats *stats;
    ais_seen_events seen;
    /* the file being read */
    const char *path;
    bool daily;
    int n_header;
    int col_name, col_datetime, col_conditions, col_stations;
    int col_number[N_NUMBERS];
} vc_run;

static ais_status vc_reject(vc_run *r, const char *reason, const char *detail, const char *raw,
                            size_t raw_len, long line, bool whole_file)
{
    if (whole_file)
        r->stats->files_rejected++;
    else
        r->stats->records_rejected++;
    ais_dead_letter dl = {.reason = reason, .detail = detail, .raw = raw, .raw_len = raw_len,
                          .file = r->path, .line = line};
    return ais_dlq_reject(r->dlq, &dl);
}

static int vc_find(char **fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0)
            return i;
    return -1;
}

/* Reads the header; returns NULL or the reason the file is rejected. */
static const char *vc_header(vc_run *r, char *line, char *why, size_t why_size)
{
    char *fields[VC_MAX_FIELDS];
    int n = vc_split(line, fields);
    if (n <= 0)
        return "bad_header";
    r->n_header = n;
    r->col_name = vc_find(fields, n, "name");
    r->col_datetime = vc_find(fields, n, "datetime");
    r->col_conditions = vc_find(fields, n, "conditions");
    r->col_stations = vc_find(fields, n, "stations");
    r->daily = vc_find(fields, n, "tempmax") >= 0;
    const char *missing = r->col_name < 0 ? "name" : r->col_datetime < 0 ? "datetime" : NULL;
    for (size_t i = 0; i < N_NUMBERS; i++) {
        r->col_number[i] = vc_find(fields, n, NUMBERS[i].column);
        bool needed = NUMBERS[i].need == NEED_ALL || (NUMBERS[i].need == NEED_DAILY && r->daily);
        if (missing == NULL && needed && r->col_number[i] < 0)
            missing = NUMBERS[i].column;
    }
    if (missing == NULL)
        return NULL;
    snprintf(why, why_size, "missing_column_%s", missing);
    return why;
}

/* "YYYY-MM-DD" (daily) or "YYYY-MM-DDTHH:MM:SS" (hourly) -> the UTC start of the period and the
 * local time text; NULL or a reason. */
static const char *vc_datetime(const vc_run *r, const char *text, int64_t *start, char *local,
                               size_t local_size)
{
    int y, mo, d, h = 0, mi = 0, s = 0, used = 0;
    if (r->daily) {
        if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 ||
            used != 10)
            return "bad_datetime";
    } else if (strlen(text) != 19 ||
               sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
               used != 19 || mi != 0 || s != 0) {
        return "bad_datetime";
    }
    int64_t local_epoch;
    if (ais_time_from_civil(y, mo, d, h, 0, 0, &local_epoch) != AIS_OK)
        return "bad_datetime";
    *start = local_epoch - (int64_t)r->utc_offset_hours * 3600;
    if (r->daily)
        snprintf(local, local_size, "%04d-%02d-%02d", y, mo, d);
    else
        snprintf(local, local_size, "%04d-%02d-%02dT%02d:00", y, mo, d, h);
    return NULL;
}

static const char *vc_number_value(const char *text, const vc_number *spec, bool needed,
                                   bool *set, double *out, char *why, size_t why_size)
{
    *set = false;
    if (*text == '\0') {
        if (!needed)
            return NULL;
        snprintf(why, why_size, "missing_%s", spec->column);
        return why;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v)) {
        snprintf(why, why_size, "bad_number_%s", spec->column);
        return why;
    }
    if (v < spec->lo || v > spec->hi) {
        snprintf(why, why_size, "out_of_range_%s", spec->column);
        return why;
    }
    *set = true;
    *out = v;
    return NULL;
}

static ais_status vc_slug(const char *name, char *out, size_t size)
{
    size_t n = 0;
    bool gap = false;
    for (const char *c = name; *c && n + 2 < size; c++) {
        char ch = *c;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
            keep = true;
        }
        if (keep) {
            if (gap && n > 0)
                out[n++] = '_';
            out[n++] = ch;
            gap = false;
        } else {
            gap = true;
        }
    }
    out[n] = '\0';
    return n > 0 ? AIS_OK : AIS_ERR_INVALID_ARG;
}

static ais_status vc_set_string(json_t *event, const char *key, const char *value)
{
    json_t *v = value != NULL && *value ? json_string(value) : json_null();
    if (v == NULL || json_object_set_new(event, key, v) != 0)
        return AIS_ERR_NOMEM;
    return AIS_OK;
}

/* Emits the event once per id; a differing copy is a dead letter. */
static ais_status vc_emit(vc_run *r, json_t *event, long line_no)
{
    const char *id = json_string_value(json_object_get(event, "event_id"));
    int found = AIS_SEEN_NEW;
    ais_status st = ais_seen_events_check(&r->seen, event, &found);
    if (st != AIS_OK)
        return st;
    if (found == AIS_SEEN_NEW) {
        st = ais_sink_write(r->sink, event);
        if (st == AIS_OK)
            r->stats->events++;
        return st;
    }
    r->stats->duplicates_merged++;
    if (found == AIS_SEEN_SAME)
        return AIS_OK;
    r->stats->conflicts_resolved++;
    char *text = json_dumps(event, JSON_COMPACT);
    if (text == NULL)
        return AIS_ERR_NOMEM;
    ais_dead_letter dl = {.reason = "conflicting_duplicate",
                          .detail = "another row gave this period with different values; the first "
                                    "in path order was kept",
                          .raw = text, .raw_len = strlen(text), .file = r->path, .line = line_no,
                          .event_id = id};
    st = ais_dlq_reject(r->dlq, &dl);
    free(text);
    return st;
}

static ais_status vc_row(vc_run *r, const char *raw, size_t raw_len, char *line, long line_no)
{
    char *f[VC_MAX_FIELDS];
    char why[96];
    r->stats->records_read++;
    int n = vc_split(line, f);
    if (n != r->n_header)
        return vc_reject(r, "field_count", "the row does not have the header's number of fields",
                         raw, raw_len, line_no, false);
    int64_t start = 0;
    char local[24];
    if (vc_datetime(r, f[r->col_datetime], &start, local, sizeof local) != NULL)
        return vc_reject(r, "bad_datetime", f[r->col_datetime], raw, raw_len, line_no, false);
    double values[N_NUMBERS];
    bool set[N_NUMBERS];
    for (size_t i = 0; i < N_NUMBERS; i++) {
        bool needed = NUMBERS[i].need == NEED_ALL || (NUMBERS[i].need == NEED_DAILY && r->daily);
        const char *text = r->col_number[i] >= 0 ? f[r->col_number[i]] : "";
        const char *bad = vc_number_value(text, &NUMBERS[i], needed, &set[i], &values[i], why,
                                          sizeof why);
        if (bad != NULL)
            return vc_reject(r, bad, text, raw, raw_len, line_no, false);
    }
    if (r->daily && values[2] > values[1])
        return vc_reject(r, "out_of_range_tempmin", "tempmin above tempmax", raw, raw_len,
                         line_no, false);
    int64_t end = start + (r->daily ? 86400 : 3600);
    if (start < r->env->window_start || start >= r->env->window_end) {
        r->stats->outside_window++;
        return AIS_OK;
    }
    char slug[64], id[VC_ID_SIZE], end_iso[AIS_TIME_ISO_SIZE];
    if (vc_slug(f[r->col_name], slug, sizeof slug) != AIS_OK)
        return vc_reject(r, "missing_name", "the row names no location", raw, raw_len, line_no,
                         false);
    snprintf(id, sizeof id, "weather_vc_%s_%s", slug, local);
    int64_t now = 0;
    json_t *event = NULL;
    ais_status st = ais_time_now(&now, NULL);
    if (st == AIS_OK)
        st = ais_event_new(r->env, id, start, end + AIS_VC_LATENCY_SECONDS, now, &event);
    if (st == AIS_OK)
        st = ais_time_format_iso(end, end_iso);
    if (st == AIS_OK)
        st = vc_set_string(event, "resolution", r->daily ? "day" : "hour");
    if (st == AIS_OK)
        st = vc_set_string(event, "location", f[r->col_name]);
    char date[11];
    snprintf(date, sizeof date, "%.10s", local);
    if (st == AIS_OK)
        st = vc_set_string(event, "local_date", date);
    if (st == AIS_OK)
        st = vc_set_string(event, "local_time", r->daily ? NULL : local);
    if (st == AIS_OK)
        st = vc_set_string(event, "period_end", end_iso);
    for (size_t i = 0; i < N_NUMBERS && st == AIS_OK; i++) {
        json_t *v = set[i] ? json_real(values[i]) : json_null();
        if (v == NULL || json_object_set_new(event, NUMBERS[i].key, v) != 0)
            st = AIS_ERR_NOMEM;
    }
    if (st == AIS_OK)
        st = vc_set_string(event, "conditions", r->col_conditions >= 0 ? f[r->col_conditions] : NULL);
    if (st == AIS_OK)
        st = vc_set_string(event, "stations", r->col_stations >= 0 ? f[r->col_stations] : NULL);
    if (st == AIS_OK)
        st = vc_emit(r, event, line_no);
    json_decref(event);
    return st;
}

static ais_status vc_file_done(char *copy, char *data, ais_status st)
{
    free(copy);
    free(data);
    return st;
}

static ais_status vc_file(vc_run *r, const char *path, char *errbuf, size_t errsize)
{
    r->path = path;
    char *data = NULL;
    size_t len = 0;
    ais_status st = ais_fs_read_file(path, AIS_VC_MAX_FILE_BYTES, &data, &len);
    if (st == AIS_ERR_RANGE)
        return vc_reject(r, "file_too_large", "file larger than 64 MiB", NULL, 0, 0, true);
    if (st != AIS_OK) {
        if (errbuf != NULL && errsize > 0)
            snprintf(errbuf, errsize, "cannot read %s: %s", path, strerror(errno));
        return st;
    }
    r->stats->files_read++;
    if (memchr(data, '\0', len) != NULL) {
        st = vc_reject(r, "binary_file", "the file holds NUL bytes", NULL, 0, 0, true);
        free(data);
        return st;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        free(data);
        return AIS_ERR_NOMEM;
    }
    size_t pos = 0;
    long line_no = 0;
    bool header = true;
    st = AIS_OK;
    while (pos < len && st == AIS_OK) {
        const char *raw = data + pos;
        const char *nl = memchr(raw, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - raw) : len - pos;
        pos += n + (nl != NULL);
        line_no++;
        size_t content = n;
        if (content > 0 && raw[content - 1] == '\r')
            content--;
        if (content == 0)
            continue;
        memcpy(copy, raw, content);
        copy[content] = '\0';
        if (header) {
            char why[96];
            const char *bad = vc_header(r, copy, why, sizeof why);
            if (bad != NULL)
                return vc_file_done(copy, data, vc_reject(r, bad, "a Visual Crossing export "
                                                          "needs its header row", raw, content,
                                                          line_no, true));
            header = false;
            continue;
        }
        st = vc_row(r, raw, content, copy, line_no);
    }
    if (st == AIS_OK && header)
        st = vc_reject(r, "empty_file", "no header row", NULL, 0, 0, true);
    return vc_file_done(copy, data, st);
}

ais_status ais_vc_replay(const char *dir, int utc_offset_hours, const ais_envelope *env,
                         const ais_sink *sink, ais_dlq *dlq, ais_replay_stats *stats,
                         ais_progress *progress, char *errbuf, size_t errbuf_size)
{
    if (dir == NULL || env == NULL || sink == NULL || dlq == NULL || stats == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(stats, 0, sizeof *stats);
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    ais_path_list list;
    ais_status st = ais_fs_list_files(dir, ".csv", &list);
    if (st != AIS_OK) {
        if (errbuf != NULL && errbuf_size > 0)
            snprintf(errbuf, errbuf_size, "cannot list %s: %s", dir, strerror(errno));
        return st;
    }
    vc_run r = {.utc_offset_hours = utc_offset_hours, .env = env, .sink = sink, .dlq = dlq,
                .stats = stats};
    ais_progress_begin(progress, list.count);
    for (size_t i = 0; i < list.count && st == AIS_OK; i++) {
        const char *slash = strrchr(list.paths[i], '/');
        ais_progress_next(progress, slash != NULL ? slash + 1 : list.paths[i]);
        st = vc_file(&r, list.paths[i], errbuf, errbuf_size);
    }
    ais_progress_end(progress, st != AIS_OK);
    ais_seen_events_free(&r.seen);
    ais_path_list_free(&list);
    return st;
}
