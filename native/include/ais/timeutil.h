/* UTC time: ISO-8601 parsing and formatting, civil-date arithmetic on epoch seconds.
 *
 * Nothing here reads the local time zone: all conversions are done with days-from-civil
 * arithmetic on the proleptic Gregorian calendar. Supported years are 0000..9999 (what four
 * ISO digits can spell). Epoch values are int64 seconds since 1970-01-01T00:00:00Z. */
#ifndef AIS_TIMEUTIL_H
#define AIS_TIMEUTIL_H

#include <stdint.h>

#include "ais/status.h"

/* Buffer sizes including the terminating NUL. */
#define AIS_TIME_ISO_SIZE 21     /* 2026-09-02T00:00:00Z */
#define AIS_TIME_ISO_MS_SIZE 25  /* 2026-09-02T00:00:00.123Z */
#define AIS_TIME_COMPACT_SIZE 17 /* 20260902T000000Z */

#define AIS_SECONDS_PER_HOUR 3600
#define AIS_SECONDS_PER_DAY 86400

typedef struct ais_civil_time {
    int year;   /* 0..9999 */
    int month;  /* 1..12 */
    int day;    /* 1..31 */
    int hour;   /* 0..23 */
    int minute; /* 0..59 */
    int second; /* 0..59 */
    int yday;   /* day of year, 0 = 1 January */
    int wday;   /* day of week, 0 = Sunday */
} ais_civil_time;

/* Parses, in this order of forms:
 *   YYYY-MM-DD                                   (midnight UTC)
 *   YYYY-MM-DDTHH:MM[:SS[.fraction]]<zone>       zone = Z | z | +HH:MM | -HH:MM
 * An offset other than +00:00 is converted to UTC. A fraction of a second is dropped (the
 * result is the whole second at or before the instant). A time without a zone is rejected:
 * it would silently depend on someone's local clock. Leap seconds (:60) are rejected.
 * Returns AIS_ERR_TIME_FORMAT for anything else, AIS_ERR_INVALID_ARG for NULL. */
ais_status ais_time_parse_iso(const char *text, int64_t *epoch_out);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out (AIS_TIME_ISO_SIZE bytes). AIS_ERR_RANGE outside
 * years 0000..9999. */
ais_status ais_time_format_iso(int64_t epoch, char out[AIS_TIME_ISO_SIZE]);

/* Same with milliseconds 0..999: "YYYY-MM-DDTHH:MM:SS.mmmZ". */
ais_status ais_time_format_iso_ms(int64_t epoch, int millis, char out[AIS_TIME_ISO_MS_SIZE]);

/* Writes the basic (compact) form "YYYYMMDDTHHMMSSZ" used in file names. */
ais_status ais_time_format_compact(int64_t epoch, char out[AIS_TIME_COMPACT_SIZE]);

/* Splits an epoch into its UTC calendar fields. */
ais_status ais_time_to_civil(int64_t epoch, ais_civil_time *out);

/* Validates the calendar fields (month length, leap years) and returns the epoch. */
ais_status ais_time_from_civil(int year, int month, int day, int hour, int minute, int second,
                               int64_t *epoch_out);

/* Number of days in a month, honouring Gregorian leap years. */
ais_status ais_time_days_in_month(int year, int month, int *days_out);

/* Start of the hour containing t, and the first hour boundary at or after t. Correct for
 * negative epochs (floor, not truncation). AIS_ERR_RANGE if ceiling would overflow. */
ais_status ais_time_floor_hour(int64_t t, int64_t *out);
ais_status ais_time_ceil_hour(int64_t t, int64_t *out);

/* Current wall-clock UTC time, whole seconds and milliseconds. For metadata only (ingest_time,
 * log timestamps): no window is ever decided from it. */
ais_status ais_time_now(int64_t *epoch_out, int *millis_out);

/* Milliseconds of a monotonic clock (for timeouts and deadlines, never for data windows). */
int64_t ais_time_monotonic_ms(void);

#endif
