#include "ais/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ais/fsutil.h"
#include "ais/jsonutil.h"
#include "ais/timeutil.h"

#define REDACTED "[redacted]"

struct ais_logger {
    char *name;
    ais_log_level threshold;
    FILE *out;             /* the JSON lines; NULL: dropped (human format before a file is set) */
    FILE *human;           /* the human format: warnings and errors as text here; NULL: off */
    FILE *file;            /* owned: the JSON log file of the human format */
    char *file_path;
    const ais_config *cfg; /* borrowed; source of the secret values to redact */
};

ais_status ais_logger_new(const char *name, FILE *out, ais_logger **logger_out)
{
    if (name == NULL || logger_out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_logger *lg = calloc(1, sizeof *lg);
    if (lg == NULL)
        return AIS_ERR_NOMEM;
    lg->name = strdup(name);
    if (lg->name == NULL) {
        free(lg);
        return AIS_ERR_NOMEM;
    }
    lg->threshold = AIS_LOG_INFO;
    lg->out = out != NULL ? out : stderr;
    *logger_out = lg;
    return AIS_OK;
}

void ais_logger_free(ais_logger *logger)
{
    if (logger == NULL)
        return;
    if (logger->file != NULL)
        fclose(logger->file);
    free(logger->file_path);
    free(logger->name);
    free(logger);
}

ais_status ais_logger_set_human(ais_logger *logger, FILE *human, const char *json_path)
{
    if (logger == NULL || human == NULL)
        return AIS_ERR_INVALID_ARG;
    FILE *file = NULL;
    char *path = NULL;
    if (json_path != NULL) {
        path = strdup(json_path);
        if (path == NULL)
            return AIS_ERR_NOMEM;
        char *slash = strrchr(path, '/');
        if (slash != NULL && slash != path) {
            *slash = '\0';
            ais_status st = ais_fs_mkdir_p(path, 0755);
            *slash = '/';
            if (st != AIS_OK) {
                free(path);
                return AIS_ERR_IO;
            }
        }
        file = fopen(path, "a");
        if (file == NULL) {
            free(path);
            return AIS_ERR_IO;
        }
    }
    if (logger->file != NULL)
        fclose(logger->file);
    free(logger->file_path);
    logger->file = file;
    logger->file_path = path;
    logger->out = file;
    logger->human = human;
    return AIS_OK;
}

const char *ais_logger_file(const ais_logger *logger)
{
    return logger != NULL ? logger->file_path : NULL;
}

static int is_valid_level(ais_log_level level)
{
    return level == AIS_LOG_DEBUG || level == AIS_LOG_INFO || level == AIS_LOG_WARNING ||
           level == AIS_LOG_ERROR;
}

ais_status ais_logger_set_level(ais_logger *logger, ais_log_level threshold)
{
    if (logger == NULL || !is_valid_level(threshold))
        return AIS_ERR_INVALID_ARG;
    logger->threshold = threshold;
    return AIS_OK;
}

const char *ais_log_level_name(ais_log_level level)
{
    switch (level) {
    case AIS_LOG_DEBUG: return "debug";
    case AIS_LOG_INFO: return "info";
    case AIS_LOG_WARNING: return "warning";
    case AIS_LOG_ERROR: return "error";
    }
    return "unknown";
}

ais_status ais_log_level_parse(const char *text, ais_log_level *out)
{
    static const ais_log_level levels[] = {AIS_LOG_DEBUG, AIS_LOG_INFO, AIS_LOG_WARNING,
                                           AIS_LOG_ERROR};
    if (text == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        const char *name = ais_log_level_name(levels[i]);
        size_t n = strlen(name);
        if (strlen(text) != n)
            continue;
        size_t j = 0;
        for (; j < n; j++) {
            char c = text[j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != name[j])
                break;
        }
        if (j == n) {
            *out = levels[i];
            return AIS_OK;
        }
    }
    return AIS_ERR_INVALID_ARG;
}

ais_status ais_logger_apply_config(ais_logger *logger, const ais_config *cfg)
{
    if (logger == NULL)
        return AIS_ERR_INVALID_ARG;
    if (cfg != NULL) {
        const char *text = ais_config_get(cfg, "runtime.log_level");
        if (text != NULL) {
            ais_log_level level;
            if (ais_log_level_parse(text, &level) != AIS_OK)
                return AIS_ERR_CONFIG_INVALID;
            logger->threshold = level;
        }
    }
    logger->cfg = cfg;
    return AIS_OK;
}

static int contains_secret(const ais_logger *logger, const char *text)
{
    size_t n = ais_config_secret_count(logger->cfg);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        bool is_set;
        if (ais_config_secret_at(logger->cfg, i, &name, &is_set) != AIS_OK || !is_set)
            continue;
        const char *value = ais_config_secret(logger->cfg, name);
        if (value != NULL && value[0] != '\0' && strstr(text, value) != NULL)
            return 1;
    }
    return 0;
}

static int is_reserved(const char *key)
{
    return strcmp(key, "ts") == 0 || strcmp(key, "level") == 0 || strcmp(key, "logger") == 0 ||
           strcmp(key, "event") == 0;
}

static ais_status add_field(const ais_logger *logger, json_t *obj, const ais_log_field *f)
{
    switch (f->type) {
    case AIS_FIELD_STR:
        if (f->v.s != NULL && logger->cfg != NULL && contains_secret(logger, f->v.s))
            return ais_json_set_string(obj, f->key, REDACTED);
        return ais_json_set_string(obj, f->key, f->v.s);
    case AIS_FIELD_INT:
        return ais_json_set(obj, f->key, json_integer((json_int_t)f->v.i));
    case AIS_FIELD_DBL:
        return ais_json_set(obj, f->key, isfinite(f->v.d) ? json_real(f->v.d) : json_null());
    case AIS_FIELD_BOOL:
        return ais_json_set(obj, f->key, json_boolean(f->v.b));
    case AIS_FIELD_JSON:
        return ais_json_set(obj, f->key, f->v.j != NULL ? json_incref(f->v.j) : json_null());
    case AIS_FIELD_END:
        break;
    }
    return AIS_ERR_INVALID_ARG;
}

static ais_status build_line(const ais_logger *logger, ais_log_level level, const char *event,
                             const ais_log_field *fields, json_t *obj)
{
    char ts[AIS_TIME_ISO_MS_SIZE];
    int64_t now;
    int millis;
    ais_status st = ais_time_now(&now, &millis);
    if (st == AIS_OK)
        st = ais_time_format_iso_ms(now, millis, ts);
    if (st == AIS_OK)
        st = ais_json_set_string(obj, "ts", ts);
    if (st == AIS_OK)
        st = ais_json_set_string(obj, "level", ais_log_level_name(level));
    if (st == AIS_OK)
        st = ais_json_set_string(obj, "logger", logger->name);
    if (st == AIS_OK)
        st = ais_json_set_string(obj, "event", event);
    for (const ais_log_field *f = fields; st == AIS_OK && f->type != AIS_FIELD_END; f++) {
        if (f->key == NULL || is_reserved(f->key))
            return AIS_ERR_INVALID_ARG;
        st = add_field(logger, obj, f);
    }
    return st;
}

/* "error: event: <error> (key=value ...)": the level, the event, the error field if any, then
 * the other fields (values as JSON) -- the human line of the Python side (ais.jsonlog). A
 * "usage" field is printed as is on the lines after. obj is the built JSON line (redacted). */
static void write_human(FILE *out, ais_log_level level, const char *event, json_t *obj)
{
    ais_json_buf line = {0};
    const char *error = json_string_value(json_object_get(obj, "error"));
    const char *usage = json_string_value(json_object_get(obj, "usage"));
    int n = snprintf(NULL, 0, "%s: %s%s%s", ais_log_level_name(level), event,
                     error != NULL ? ": " : "", error != NULL ? error : "");
    if (n < 0 || ais_json_buf_reserve(&line, (size_t)n + 1) != AIS_OK)
        return;
    snprintf(line.data, (size_t)n + 1, "%s: %s%s%s", ais_log_level_name(level), event,
             error != NULL ? ": " : "", error != NULL ? error : "");
    line.len = (size_t)n;
    const char *key;
    json_t *value;
    bool first = true;
    json_object_foreach(obj, key, value) {
        if (is_reserved(key) || strcmp(key, "error") == 0 || strcmp(key, "status") == 0 ||
            strcmp(key, "usage") == 0)
            continue;
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL)
            break;
        size_t need = strlen(key) + strlen(text) + 4;
        if (ais_json_buf_reserve(&line, need) != AIS_OK) {
            free(text);
            break;
        }
        line.len += (size_t)snprintf(line.data + line.len, need, "%s%s=%s", first ? " (" : " ",
                                     key, text);
        first = false;
        free(text);
    }
    fprintf(out, "%.*s%s\n", (int)line.len, line.data, first ? "" : ")");
    if (usage != NULL)
        fputs(usage, out);
    fflush(out);
    free(line.data);
}

ais_status ais_log_fields(ais_logger *logger, ais_log_level level, const char *event,
                          const ais_log_field *fields)
{
    if (logger == NULL || event == NULL || fields == NULL || !is_valid_level(level))
        return AIS_ERR_INVALID_ARG;
    if (level < logger->threshold)
        return AIS_OK;

    json_t *obj = json_object();
    if (obj == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = build_line(logger, level, event, fields, obj);
    if (st != AIS_OK) {
        json_decref(obj);
        return st;
    }
    if (logger->human != NULL && level >= AIS_LOG_WARNING)
        write_human(logger->human, level, event, obj);
    if (logger->out == NULL) {
        json_decref(obj);
        return AIS_OK;
    }
    ais_json_buf line = {0};
    st = ais_json_append_compact(&line, obj);
    json_decref(obj);
    if (st == AIS_OK)
        st = ais_json_buf_reserve(&line, 1);
    if (st != AIS_OK) {
        free(line.data);
        return st == AIS_ERR_NOMEM ? st : AIS_ERR_JSON;
    }
    line.data[line.len++] = '\n';
    /* One fwrite per line so concurrent writers to the same descriptor do not interleave
     * inside a line. */
    size_t written = fwrite(line.data, 1, line.len, logger->out);
    free(line.data);
    if (written != line.len || fflush(logger->out) != 0)
        return AIS_ERR_IO;
    return AIS_OK;
}
