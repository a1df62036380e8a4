#include <stdio.h>
#include <stdarg.h>
#include "ais/status.h"

const char *ais_status_str(ais_status status)
{
    switch (status) {
    case AIS_OK: return "ok";
    case AIS_ERR_NOMEM: return "out of memory";
    case AIS_ERR_INVALID_ARG: return "invalid argument";
    case AIS_ERR_IO: return "input/output error";
    case AIS_ERR_CONFIG_NOT_FOUND: return "configuration file not found";
    case AIS_ERR_CONFIG_SYNTAX: return "malformed YAML in configuration";
    case AIS_ERR_CONFIG_INVALID: return "configuration breaks the loader rules";
    case AIS_ERR_KEY_NOT_FOUND: return "configuration key not found";
    case AIS_ERR_TYPE: return "value has the wrong type";
    case AIS_ERR_RANGE: return "value out of range";
    case AIS_ERR_TIME_FORMAT: return "malformed ISO-8601 UTC time";
    case AIS_ERR_JSON: return "JSON error";
    case AIS_ERR_USAGE: return "usage error";
    case AIS_ERR_NOT_IMPLEMENTED: return "not implemented yet in this build";
    case AIS_ERR_PARSE: return "malformed input record";
    case AIS_ERR_KAFKA: return "Kafka client or broker error";
    case AIS_ERR_DELIVERY: return "events could not be delivered";
    case AIS_ERR_BUSY: return "window state locked by another run";
    case AIS_ERR_HTTP: return "HTTP request failed";
    case AIS_ERR_INTERRUPTED: return "interrupted by a signal";
    case AIS_STATUS_COUNT: break;
    }
    return "unknown status";
}

__attribute__((format(printf, 3, 0))) static void format_va(char *buf, size_t size, const char *fmt,
                                                              va_list ap)
{
    if (buf != NULL && size > 0)
        vsnprintf(buf, size, fmt, ap);
}

void ais_format_message(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_va(buf, size, fmt, ap);
    va_end(ap);
}

ais_status ais_status_fail(ais_status status, char *errbuf, size_t errsize, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_va(errbuf, errsize, fmt, ap);
    va_end(ap);
    return status;
}

int ais_status_exit_code(ais_status status)
{
    if (status == AIS_OK)
        return 0;
    if (status == AIS_ERR_USAGE || status == AIS_ERR_NOT_IMPLEMENTED)
        return 2;
    return 1;
}
