/* HYSPLIT ARL packed meteorological files: writing an ais_met_grid so that HYSPLIT can run on it,
 * and reading such files back.
 *
 * File layout (what this module writes and expects). The file is a sequence of fixed-length
 * records of 50 + nx*ny bytes, no record markers. For each time period:
 *
 *   1 index record  (variable "INDX")
 *   level 0 (surface): PRSS SHGT T02M U10M V10M
 *   level 1..nz (the pressure levels, bottom up): HGTS TEMP UWND VWND WWND
 *
 * Every record starts with a 50-byte ASCII label, Fortran format (7I2,A4,I4,2E14.7):
 * year % 100, month, day, hour, forecast hour (0), level (0 = surface), grid number (99),
 * variable name, packing exponent NEXP, precision, and VAR1 = the value at grid point (1,1).
 *
 * The data part of the index record is ASCII, Fortran (A4,I3,I2,12F7.2,3I3,I2,I4) = 108 bytes:
 * data source, forecast hour, minutes, the 12 grid parameters, NX, NY, NZ (levels including the
 * surface), the vertical coordinate flag (2 = pressure) and LENH (bytes of index information
 * after the label); then per level (F6.x,I2) = level height (hPa; 0 for the surface) and number
 * of variables, and per variable (A4,I3,1X) = name and checksum. The rest is blank.
 * For a regular latitude/longitude grid the 12 parameters are: latitude and longitude of the
 * last (north-east) point, latitude spacing, longitude spacing, 0 (grid size 0 marks lat/lon),
 * 0 orientation, 0 cone angle, sync point x = 1, y = 1, latitude and longitude of the sync point
 * (the south-west point), 0.
 *
 * Data parts of the other records hold one byte per grid point, rows south to north, points
 * west to east. Each byte is 127 + the difference from the previous unpacked value (the first
 * point of a row from the first point of the row below; point (1,1) from VAR1), scaled by
 * 2^(7 - NEXP), where NEXP = floor(log2(max |difference|)) + 1, so the precision of a record is
 * 2^(NEXP - 7) and the unpacked values are within half of it of the originals. The checksum of a
 * record is the sum of its data bytes, with 255 subtracted whenever the sum reaches 256.
 *
 * Variables and units (as HYSPLIT expects them for pressure-level data):
 *   PRSS surface pressure hPa     SHGT terrain height m     T02M 2 m temperature K
 *   U10M, V10M 10 m wind m/s
 *   HGTS geopotential height m    TEMP temperature K        UWND, VWND wind m/s
 *   WWND pressure vertical velocity hPa/s
 * The grid holds Pa and Pa/s: the writer divides PRSS and WWND by 100 and the reader
 * multiplies them back.
 *
 * Limitations: regular lat/lon grids only (no map projections, no global wrap), pressure
 * levels only, nx and ny at most 999 (no "extended" large-grid labels), at most 99 levels,
 * nx*ny at least the index length (one index record; 492 bytes for 7 levels), grid corners and
 * spacings that are whole hundredths of a degree (the F7.2 fields), times on whole hours in
 * 1940..2039 (two-digit years in the labels; read back with years 40..99 -> 19xx and
 * 00..39 -> 20xx). No humidity is written, so HYSPLIT runs without moisture (trajectories do
 * not need it). The reader accepts any extra variables in a file (checked and skipped) but
 * requires the ten above at every level.
 *
 * Errors: AIS_ERR_IO when a file cannot be opened, read or written (errno set);
 * AIS_ERR_PARSE for bytes that are not a valid or supported ARL file (the reader never trusts a
 * length, count or value from the file: each is checked against the file size and the limits
 * above before use); AIS_ERR_NOMEM; AIS_ERR_INVALID_ARG for NULL arguments or a grid the writer
 * cannot represent. The error buffer gets a one-line message naming the record and byte offset,
 * and *problem (if not NULL) classifies it. */
#ifndef AIS_ARL_H
#define AIS_ARL_H

#include <stddef.h>
#include <stdint.h>

#include "ais/met.h"
#include "ais/status.h"

#define AIS_ARL_LABEL_LEN 50
#define AIS_ARL_INDEX_FIXED_LEN 108
#define AIS_ARL_GRID_NUMBER 99
#define AIS_ARL_MAX_NEXP 127
#define AIS_ARL_ERRBUF_SIZE 256

typedef enum ais_arl_problem {
    AIS_ARL_PROBLEM_NONE = 0,
    AIS_ARL_TRUNCATED,         /* shorter than its records and index say */
    AIS_ARL_BAD_LABEL,         /* a 50-byte label that does not parse */
    AIS_ARL_BAD_INDEX,         /* an index record that does not parse or is inconsistent */
    AIS_ARL_UNEXPECTED_RECORD, /* a label whose time, level or variable is not the expected one */
    AIS_ARL_CHECKSUM,          /* data bytes that do not add up to the index checksum */
    AIS_ARL_BAD_VALUE,         /* unpacked values outside float range */
    AIS_ARL_UNSUPPORTED,       /* valid ARL this reader cannot use (see Limitations) */
    AIS_ARL_SYSTEM             /* open/read/write failure, or out of memory */
} ais_arl_problem;

/* Static lower-case name ("truncated", "checksum", ...). */
const char *ais_arl_problem_name(ais_arl_problem problem);

typedef struct ais_arl_label {
    int year;          /* full year; the label keeps year % 100 */
    int month, day, hour;
    int forecast_hour; /* -9..99 */
    int level;         /* 0..99, 0 = surface */
    int grid;          /* 0..99 */
    char var[5];       /* four characters, NUL-terminated */
    int nexp;          /* -999..9999 in the field; packed records use -127..127 */
    double prec;
    double var1;
} ais_arl_label;

/* Writes the 50 label bytes (no NUL) into out. AIS_ERR_RANGE if a field does not fit its width
 * or a number is not finite; AIS_ERR_INVALID_ARG if var is not 4 printable characters. */
ais_status ais_arl_label_format(const ais_arl_label *label, char out[AIS_ARL_LABEL_LEN]);

/* Parses 50 label bytes (need not be NUL-terminated). The year is completed with the
 * 1940..2039 rule. AIS_ERR_PARSE if a field is not a number or the date is impossible. */
ais_status ais_arl_label_parse(const char in[AIS_ARL_LABEL_LEN], ais_arl_label *out);

/* Fortran E14.7 text of v (e.g. " 0.6250000E-01"), 14 bytes plus NUL, and the value a reader
 * gets back from it. |v| >= 1e99 or non-finite gives AIS_ERR_RANGE; |v| < 1e-99 is written as 0. */
ais_status ais_arl_format_e14(double v, char out[15]);

typedef struct ais_arl_packing {
    int nexp;          /* scaling exponent */
    double prec;       /* 2^(nexp - 7), the quantisation step */
    double var1;       /* VAR1 as it reads back from the label's E14.7 text */
    unsigned checksum; /* 0..255 */
} ais_arl_packing;

/* Packs nx*ny values (rows south to north, west to east) into nx*ny bytes. VAR1 is rounded as
 * the label will store it before the differences are taken, so unpacking reproduces the packer's
 * own reconstruction exactly. AIS_ERR_RANGE for a non-finite value or |value| > FLT_MAX. */
ais_status ais_arl_pack(const double *values, size_t nx, size_t ny, unsigned char *packed,
                        ais_arl_packing *info);

/* Unpacks nx*ny bytes with the label's NEXP and VAR1. AIS_ERR_RANGE if |nexp| > 127 or var1 is
 * not finite. */
ais_status ais_arl_unpack(const unsigned char *packed, size_t nx, size_t ny, int nexp,
                          double var1, double *values);

/* The record checksum: byte sum, minus 255 each time it reaches 256. */
unsigned ais_arl_checksum(const unsigned char *packed, size_t n);

/* Writes grid to path as ARL. The data are written to a temporary file in the same folder,
 * flushed to disk and renamed, so a reader never sees a partial file. The grid must satisfy the
 * Limitations above (AIS_ERR_INVALID_ARG with the reason otherwise). */
ais_status ais_arl_write_met(const ais_met_grid *grid, const char *path, char *errbuf,
                             size_t errbuf_size);

/* Reads a whole ARL file into a new grid (*out, freed with ais_met_grid_free; NULL on failure).
 * The grid's source is the index record's data source. */
ais_status ais_arl_read_met(const char *path, ais_met_grid **out, ais_arl_problem *problem,
                            char *errbuf, size_t errbuf_size);

/* The same from bytes in memory (borrowed). */
ais_status ais_arl_read_met_mem(const unsigned char *data, size_t len, ais_met_grid **out,
                                ais_arl_problem *problem, char *errbuf, size_t errbuf_size);

#endif
