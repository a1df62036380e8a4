/* Structured logging: one JSON object per line.
 *
 *   {"ts":"2026-11-21T10:00:00.123Z","level":"info","logger":"ais-ingest","event":"window_done",
 *    "source":"openaq","events":42}
 *
 * Fields are typed so numbers stay numbers:
 *
 *   ais_log(lg, AIS_LOG_INFO, "window_done",
 *           AIS_F_STR("source", "openaq"), AIS_F_INT("events", 42), AIS_F_END);
 *
 * Strings are escaped by jansson; bytes that are not valid UTF-8 become U+FFFD. If the logger was
 * given the configuration, any string field containing the value of a configured secret is
 * replaced by "[redacted]" -- a safety net, not a licence to pass secrets in. */
#ifndef AIS_LOG_H
#define AIS_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/status.h"

typedef enum ais_log_level {
    AIS_LOG_DEBUG = 10,
    AIS_LOG_INFO = 20,
    AIS_LOG_WARNING = 30,
    AIS_LOG_ERROR = 40
} ais_log_level;

typedef enum ais_log_field_type {
    AIS_FIELD_END = 0,
    AIS_FIELD_STR,  /* v.s; NULL is written as null */
    AIS_FIELD_INT,  /* v.i */
    AIS_FIELD_DBL,  /* v.d; NaN and infinities are written as null */
    AIS_FIELD_BOOL, /* v.b */
    AIS_FIELD_JSON  /* v.j, borrowed: the logger takes its own reference */
} ais_log_field_type;

typedef struct ais_log_field {
    const char *key;
    ais_log_field_type type;
    union {
        const char *s;
        int64_t i;
        double d;
        bool b;
        json_t *j;
    } v;
} ais_log_field;

/* Field initialisers for use inside ais_log(...). */
#define AIS_F_STR(k, val) {.key = (k), .type = AIS_FIELD_STR, .v.s = (val)}
#define AIS_F_INT(k, val) {.key = (k), .type = AIS_FIELD_INT, .v.i = (val)}
#define AIS_F_DBL(k, val) {.key = (k), .type = AIS_FIELD_DBL, .v.d = (val)}
#define AIS_F_BOOL(k, val) {.key = (k), .type = AIS_FIELD_BOOL, .v.b = (val)}
#define AIS_F_JSON(k, val) {.key = (k), .type = AIS_FIELD_JSON, .v.j = (val)}
#define AIS_F_END {.key = NULL, .type = AIS_FIELD_END}

/* Logs event with the fields listed before AIS_F_END (which must be last). */
#define ais_log(logger, level, event, ...)                                                       \
    ais_log_fields((logger), (level), (event), (const ais_log_field[]){__VA_ARGS__})

typedef struct ais_logger ais_logger;

/* A logger named name writing to out (stderr if NULL) at threshold AIS_LOG_INFO. The logger
 * does not own out. *logger_out is released with ais_logger_free. */
ais_status ais_logger_new(const char *name, FILE *out, ais_logger **logger_out);

/* NULL is a no-op. */
void ais_logger_free(ais_logger *logger);

ais_status ais_logger_set_level(ais_logger *logger, ais_log_level threshold);

/* Takes the threshold from runtime.log_level (AIS_ERR_CONFIG_INVALID if it is not one of
 * debug|info|warning|error; left unchanged if the key is absent) and redacts the configuration's
 * secrets from then on. cfg is borrowed: it must outlive the logger, or call
 * ais_logger_apply_config(logger, NULL) before freeing it (which stops redaction). */
ais_status ais_logger_apply_config(ais_logger *logger, const ais_config *cfg);

/* The human log format (ais/progress.h): from now on warnings and errors are also written to
 * human as one readable line ("error: event: <error> (key=value ...)", a "usage" field as is on
 * the lines after), and the JSON lines go to the file json_path (appended; its folders created;
 * owned and closed by the logger) or, json_path NULL, nowhere. AIS_ERR_IO if the file cannot be
 * opened (the logger is then unchanged). */
ais_status ais_logger_set_human(ais_logger *logger, FILE *human, const char *json_path);

/* The JSON log file set by ais_logger_set_human, or NULL. */
const char *ais_logger_file(const ais_logger *logger);

/* "debug", "info", "warning", "error" (any case) -> level; AIS_ERR_INVALID_ARG otherwise. */
ais_status ais_log_level_parse(const char *text, ais_log_level *out);

/* Static lower-case name of a level, "unknown" for other values. */
const char *ais_log_level_name(ais_log_level level);

/* Writes one line if level >= threshold (AIS_OK without writing otherwise). fields ends with an
 * AIS_FIELD_END entry. Field keys ts, level, logger and event are reserved
 * (AIS_ERR_INVALID_ARG, nothing written). AIS_ERR_IO if the stream write fails. */
ais_status ais_log_fields(ais_logger *logger, ais_log_level level, const char *event,
                          const ais_log_field *fields);

#endif
