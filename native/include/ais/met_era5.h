/* ERA5 pressure-level GRIB (decoded with ecCodes) -> an ais_met_grid, which ais_arl_write_met
 * then writes as ARL.
 *
 * Input: the GRIB file of a CDS "reanalysis-era5-pressure-levels" request (GRIB1 or GRIB2; one
 * message per variable, level and time) with u, v (m/s), w (Pa/s), t (K) and z (geopotential,
 * m2/s2) on isobaric levels in hPa; other messages (q, other level types) are counted and
 * skipped. Optionally a second file from "reanalysis-era5-single-levels" with sp (Pa), 2t (K),
 * 10u, 10v (m/s) at the same times and z (surface geopotential, the terrain; any one time).
 *
 * Rules (each a clear error naming the message when broken):
 * - regular latitude/longitude grids only (gridType regular_ll), points scanned west to east;
 *   either row order (ERA5 runs north to south; the grid is stored south to north);
 * - every message has the same grid; the used area is the part inside the region (when given;
 *   longitudes compared modulo 360) and must be a contiguous block of at least 2 x 2 points;
 * - a single ensemble member (GRIB key "number"): ERA5 reanalysis has one; EDA files hold ten
 *   and must be cut to one (opts.member) first;
 * - the levels are every isobaric level carrying u, v, w, t and z; the times every validity time
 *   (validityDate/validityTime, UTC); each of the five fields must exist at every level and
 *   time, exactly once, with no missing (bitmap) value inside the area;
 * - without a single-level file, the surface is the lowest pressure level: surface pressure =
 *   that level, u10/v10/t2m its u/v/t, terrain its geopotential height averaged over the times
 *   (report->surface_from_lowest_level = 1). Over high ground this puts the surface below the
 *   real one; with the single-level file the real surface is used.
 *
 * Values are decoded as double and stored as float (ERA5's packing is coarser than float). */
#ifndef AIS_MET_ERA5_H
#define AIS_MET_ERA5_H

#include <stddef.h>
#include <stdint.h>

#include "ais/met.h"
#include "ais/status.h"

/* One decoded GRIB message, cut to the region, rows south to north. */
typedef struct ais_era5_field {
    char name[16];       /* ecCodes shortName: "u", "t", "2t", ... */
    char level_type[24]; /* typeOfLevel: "isobaricInhPa", "surface", ... */
    long level;          /* hPa for isobaricInhPa */
    long member;         /* GRIB "number" (0 when absent) */
    int64_t valid_time;  /* epoch seconds, UTC */
    size_t nx, ny;
    double lon0, lat0;   /* south-west point of the (cut) field, degrees */
    double dlon, dlat;   /* > 0 */
    double *values;      /* ny * nx, index j * nx + i */
} ais_era5_field;

typedef struct ais_era5_fields {
    ais_era5_field *items;
    size_t count;
    size_t messages_read; /* every message in the file, used or not */
} ais_era5_fields;

/* Region to keep (degrees). west < east, south < north. */
typedef struct ais_era5_region {
    double west, east, south, north;
} ais_era5_region;

/* Decodes every regular lat/lon message of path, cut to region (NULL = the whole grid), and
 * appends them to out (zero-initialise it first; free with ais_era5_fields_free, also on
 * failure). Messages on other grids are an error. AIS_ERR_IO when the file cannot be opened,
 * AIS_ERR_PARSE for a message ecCodes cannot decode or this module does not support. */
ais_status ais_era5_fields_read(const char *path, const ais_era5_region *region,
                                ais_era5_fields *out, char *errbuf, size_t errbuf_size);

/* The same from len bytes in memory (borrowed; the fuzz target's entry point). */
ais_status ais_era5_fields_read_mem(const unsigned char *data, size_t len,
                                    const ais_era5_region *region, ais_era5_fields *out,
                                    char *errbuf, size_t errbuf_size);

void ais_era5_fields_free(ais_era5_fields *fields);

typedef struct ais_met_era5_report {
    size_t pressure_messages_used, messages_skipped;
    int surface_from_lowest_level;
    long member;
} ais_met_era5_report;

/* Builds the met grid (source "ERA5") from decoded pressure-level fields and, optionally
 * (sfc NULL or empty), single-level fields. member < 0 means "the only member present".
 * AIS_ERR_PARSE with the reason when the fields break a rule above (missing field, duplicate,
 * grids that differ, several members); AIS_ERR_NOMEM. *out is NULL on failure. */
ais_status ais_met_from_era5(const ais_era5_fields *pl, const ais_era5_fields *sfc, long member,
                             ais_met_grid **out, ais_met_era5_report *report, char *errbuf,
                             size_t errbuf_size);

#endif
