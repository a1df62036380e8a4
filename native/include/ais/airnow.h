/* AirNow DOS ("dosairnowdata.org") hourly PM2.5 CSV files replayed as an OpenAQ station feed:
 * the U.S. Embassy monitor in Hanoi, ../shared/data/airnow-hanoi-pm25 (SOURCES.md section 1).
 *
 * Layouts (the header row names the columns; columns are found by name, not position):
 *   current  Site,Parameter,Date (LT),Year,Month,Day,Hour,NowCast Conc.,AQI,AQI Category,
 *            Raw Conc.,Conc. Unit,Duration,QC Name
 *   2015_12  Site,Parameter,Date (LT),Year,Month,Day,Hour,Value,Unit,Duration,QC Name
 *   2016_12  Site,Parameter,Date (LT),Year,Month,Day,Hour,AQI,AQI Category,
 *            24-hr. Midpoint Avg. Conc.,Raw Conc.,Conc. Unit,Duration,QC Name
 * A file without a header row (haileebn's 2019 copy) is recognised by content: its first line
 * has a "YYYY-MM-DD HH:MM AM" date in the third field; 14 fields mean the current layout, 11 the
 * 2015 one.
 *
 * Decisions on the quirks (each checked on the real files by tests/test_airnow_real.c):
 *  - Time. "Date (LT)" is Hanoi local time, UTC+7, no DST. The label ENDS the hour: every YTD
 *    file runs from YYYY-01-01 01:00 to YYYY+1-01-01 12:00 AM, every monthly file from the 1st
 *    01:00 to 00:00 after its last day, so with hour-ending labels a year file covers exactly
 *    the local calendar year (8,784 rows for 2016) and nothing else; read as hour-beginning it
 *    would miss the year's first hour and spill into the next year. Hour start (UTC) =
 *    label - 1 h - 7 h.
 *  - US DST artefact. On the US DST-start Sunday (second Sunday of March since 2007) every YTD
 *    file has two 03:00 rows and no 02:00 row. When a 03:00 label on that Sunday is immediately
 *    repeated and the file has no 02:00 row that day, the first row is the 02:00 hour: its label
 *    is moved back one hour and the event carries "dst_duplicate_repaired".
 *  - Values. The concentration is "Raw Conc." ("Value" in 2015_12); NowCast and AQI are
 *    derived and ignored. -999 means no measurement: value null, flag "missing". A reading is
 *    usable when QC Name is Valid or Suspect and the concentration is > 0 (SOURCES.md: AirNow
 *    later re-flags negative Valid readings Invalid): Suspect keeps its value with the flag
 *    "qc_suspect"; Invalid and Missing rows get value null with "qc_invalid" / "qc_missing";
 *    a Valid or Suspect reading <= 0 gets value null with "nonpositive_value". Coverage is one
 *    reading expected per hour, one observed when the value is kept, else zero (so the OpenAQ
 *    event also carries "low_coverage").
 *  - Duplicates. The same hour can come from several files (YTD and MTD of the same period, the
 *    same file from two repositories, an MTD whose name is a month late). One event per hour:
 *    the row from the most recent download wins, recognised as the file whose last row is the
 *    latest (AirNow writes a file up to the hour it is downloaded, and its QC flags are revised
 *    over time); then the file with more rows; then the smaller path. If the copies disagree on
 *    the value or the QC name the event carries "conflict_resolved".
 *  - Station. Site "Hanoi" is the embassy monitor: OpenAQ location 7441, a fixed sensor id
 *    74411 (the CSV carries no sensor id), 21.0219 N 105.8188 E, units "µg/m³" (the file says
 *    UG/M3). Other sites are rejected ("unknown_site"): we know no location for them.
 *  - Bad lines (wrong column count, unparsable or inconsistent dates, non-numeric values,
 *    unknown QC names, unexpected unit, duration or parameter) go to the dead letters with the
 *    reason; they never stop the run. */
#ifndef AIS_AIRNOW_H
#define AIS_AIRNOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/progress.h"
#include "ais/sink.h"
#include "ais/status.h"

#define AIS_AIRNOW_SOURCE "airnow"
/* Longer lines are rejected: the longest real line is about 130 bytes. */
#define AIS_AIRNOW_MAX_LINE 4096
#define AIS_AIRNOW_MAX_FIELDS 32
/* Larger files are rejected whole: a YTD file is about 0.9 MB. */
#define AIS_AIRNOW_MAX_FILE_BYTES (256u * 1024u * 1024u)
#define AIS_AIRNOW_MISSING_VALUE (-999.0)

typedef enum ais_airnow_qc {
    AIS_AIRNOW_QC_VALID,
    AIS_AIRNOW_QC_SUSPECT,
    AIS_AIRNOW_QC_INVALID,
    AIS_AIRNOW_QC_MISSING
} ais_airnow_qc;

/* "Valid", "Suspect", "Invalid", "Missing"; "unknown" otherwise. */
const char *ais_airnow_qc_name(ais_airnow_qc qc);

/* Column positions (0-based) of one file's layout. */
typedef struct ais_airnow_layout {
    int n_fields;
    int site, parameter, date, year, month, day, hour, value, unit, duration, qc;
} ais_airnow_layout;

/* The header-less layouts: 14 fields (current) or 11 (2015_12). */
void ais_airnow_layout_current(ais_airnow_layout *out);
void ais_airnow_layout_2015(ais_airnow_layout *out);

/* Is this line a header row (its first field is "Site")? A UTF-8 byte-order mark is skipped. */
bool ais_airnow_is_header(const char *line, size_t len);

/* Layout from a header row. AIS_ERR_PARSE with *reason "unknown_layout" when a required column
 * (Site, Parameter, Date (LT), Year, Month, Day, Hour, Raw Conc. or Value, Conc. Unit or Unit,
 * Duration, QC Name) is missing or named twice, or the row is malformed. */
ais_status ais_airnow_layout_from_header(const char *line, size_t len, ais_airnow_layout *out,
                                         const char **reason);

/* Layout of a header-less file from its first data line; AIS_ERR_PARSE "unknown_layout" if it
 * has neither 14 nor 11 fields or no "YYYY-MM-DD HH:MM AM" date in the third field. */
ais_status ais_airnow_layout_detect(const char *line, size_t len, ais_airnow_layout *out,
                                    const char **reason);

/* One parsed line. */
typedef struct ais_airnow_row {
    char site[64];
    int year, month, day, hour; /* the label, local time; hour 0..23 */
    int64_t label;              /* the label as seconds since 1970-01-01 00:00 LOCAL time */
    double value;               /* as written; AIS_AIRNOW_MISSING_VALUE for no measurement */
    ais_airnow_qc qc;
} ais_airnow_row;

/* Parses one data line (without its newline; one trailing '\r' is ignored). Pure: no
 * allocation, I/O or global state, reads exactly len bytes (NUL bytes included, so any input is
 * safe). AIS_OK fills *out. AIS_ERR_PARSE sets *reason to a static code:
 *   line_too_long nul_byte bad_quoting wrong_column_count empty_site site_too_long bad_date
 *   date_fields_mismatch not_on_the_hour bad_value unknown_qc unexpected_unit
 *   unexpected_duration unexpected_parameter
 * AIS_ERR_INVALID_ARG for NULL pointers or a layout that does not fit its own field count. */
ais_status ais_airnow_parse_line(const char *line, size_t len, const ais_airnow_layout *layout,
                                 ais_airnow_row *out, const char **reason);

/* Quality flags an AirNow hour can carry (bit mask). */
enum {
    AIS_AIRNOW_FLAG_MISSING = 1u << 0,           /* "missing": -999 */
    AIS_AIRNOW_FLAG_QC_SUSPECT = 1u << 1,        /* "qc_suspect" */
    AIS_AIRNOW_FLAG_QC_INVALID = 1u << 2,        /* "qc_invalid" */
    AIS_AIRNOW_FLAG_QC_MISSING = 1u << 3,        /* "qc_missing" */
    AIS_AIRNOW_FLAG_NONPOSITIVE = 1u << 4,       /* "nonpositive_value" */
    AIS_AIRNOW_FLAG_DST_REPAIRED = 1u << 5,      /* "dst_duplicate_repaired" */
    AIS_AIRNOW_FLAG_CONFLICT_RESOLVED = 1u << 6, /* "conflict_resolved" */
    AIS_AIRNOW_FLAG_COUNT = 7
};

/* Name of one flag bit (1u << i for i < AIS_AIRNOW_FLAG_COUNT), NULL otherwise. */
const char *ais_airnow_flag_name(unsigned bit);

/* The value policy above: whether the row's value is kept, and its flags. */
void ais_airnow_classify(const ais_airnow_row *row, bool *has_value, double *value,
                         unsigned *flags);

/* Month and day of the US DST-start Sunday: second Sunday of March from 2007, first Sunday of
 * April 1987-2006. AIS_ERR_RANGE for other years (no artefact to repair). */
ais_status ais_airnow_us_dst_start(int year, int *month, int *day);

/* The station an AirNow site name stands for. */
typedef struct ais_airnow_station {
    const char *site;          /* as in the Site column */
    int64_t location_id;       /* OpenAQ location */
    int64_t sensor_id;
    const char *location_name;
    double latitude, longitude;
} ais_airnow_station;

/* The known stations (a static table of *count entries). */
const ais_airnow_station *ais_airnow_stations(size_t *count);

/* NULL for a site we do not know; else a pointer into the table above. */
const ais_airnow_station *ais_airnow_station_find(const char *site);

/* What a replay read and did (also used by the weather replay). */
typedef struct ais_replay_stats {
    uint64_t files_read;
    uint64_t files_rejected;     /* whole files sent to the dead letters */
    uint64_t records_read;       /* data lines / hour objects */
    uint64_t records_rejected;   /* lines / hours sent to the dead letters */
    uint64_t outside_window;     /* good records whose hour is outside the window */
    uint64_t duplicates_merged;  /* records for an hour another record already gave */
    uint64_t conflicts_resolved; /* hours whose copies disagreed */
    uint64_t dst_repaired;
    uint64_t events; /* events accepted by the sink */
} ais_replay_stats;

/* Replays every *.csv under dir (recursively, in path order) into sink: one event per station
 * hour with its start in env's window, in hour order, source env->source (normally "airnow").
 * Bad lines and files go to dlq. utc_offset_hours is the files' local time (Hanoi: 7).
 * AIS_ERR_IO if dir or a file cannot be read (errbuf says which); the first sink or dead-letter
 * failure is returned as is. stats is filled as far as the run got. progress (may be NULL): one
 * step per file read (ais/progress.h). */
ais_status ais_airnow_replay(const char *dir, int utc_offset_hours, const ais_envelope *env,
                             const ais_sink *sink, ais_dlq *dlq, ais_replay_stats *stats,
                             ais_progress *progress, char *errbuf, size_t errbuf_size);

#endif
