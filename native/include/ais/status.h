/* Status codes shared by the whole C core.
 *
 * Every function that can fail returns an ais_status; AIS_OK is zero so `if (st != AIS_OK)` and
 * `if (st)` both read naturally. Pure accessors that cannot fail (ais_config_get, for instance)
 * return their value directly, as libcurl's accessors do. ais_status_str() gives each code a short
 * English name for logs and error messages. */
#ifndef AIS_STATUS_H
#define AIS_STATUS_H

#include <stddef.h>

typedef enum ais_status {
    AIS_OK = 0,
    AIS_ERR_NOMEM,              /* an allocation failed */
    AIS_ERR_INVALID_ARG,        /* a caller passed NULL, an empty name or an impossible value */
    AIS_ERR_IO,                 /* a system call on a file or directory failed */
    AIS_ERR_CONFIG_NOT_FOUND,   /* no configuration file at the given or searched locations */
    AIS_ERR_CONFIG_SYNTAX,      /* the configuration is not well-formed YAML */
    AIS_ERR_CONFIG_INVALID,     /* well-formed YAML that breaks the loader rules */
    AIS_ERR_KEY_NOT_FOUND,      /* the configuration has no such key */
    AIS_ERR_TYPE,               /* the value exists but is not of the requested type */
    AIS_ERR_RANGE,              /* a number, index or date outside the supported range */
    AIS_ERR_TIME_FORMAT,        /* text that is not an accepted ISO-8601 UTC time */
    AIS_ERR_JSON,               /* building or serialising JSON failed */
    AIS_ERR_USAGE,              /* bad command-line usage */
    AIS_ERR_NOT_IMPLEMENTED,    /* a recognised feature that this build does not provide yet */
    AIS_ERR_PARSE,              /* external input (a CSV line, a JSON body) is malformed */
    AIS_ERR_KAFKA,              /* the Kafka client or broker failed (connection, admin, fatal) */
    AIS_ERR_DELIVERY,           /* some events could not be delivered to their topic */
    AIS_ERR_BUSY,               /* another run holds the lock on the same window state */
    AIS_ERR_HTTP,               /* an HTTP request failed (after the retries it was allowed) */
    AIS_ERR_INTERRUPTED,        /* stopped by SIGTERM/SIGINT before the work was complete */
    AIS_STATUS_COUNT            /* number of codes; not a status */
} ais_status;

/* Static English name of a status, never NULL; "unknown status" for values out of range. */
const char *ais_status_str(ais_status status);

/* Formats a message into buf (nothing if buf is NULL or size is 0), truncating to fit. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ais_format_message(char *buf, size_t size, const char *fmt, ...);

/* The process exit code for a final status: 0 ok, 2 usage error or not implemented, 1 otherwise. */
int ais_status_exit_code(ais_status status);

/* Formats a message into errbuf (if errbuf is non-NULL and errsize > 0) and returns status: the
 * one way functions that take a caller's error buffer report a failure. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
ais_status ais_status_fail(ais_status status, char *errbuf, size_t errsize, const char *fmt, ...);

#endif
