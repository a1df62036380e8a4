/* ERA5 files (CDS "reanalysis-era5-single-levels" / "-pressure-levels" downloads) as ingest
 * events: one file event with path, size and sha256, what the file holds (variables, levels,
 * period, area) and, for single levels, the hourly values over the Hanoi box. Decoding of GRIB
 * (editions 1 and 2, ecCodes) and of CDS netCDF (libnetcdf). The trajectory met grid (ARL) is
 * another reader (ais/met_era5.h); this one only summarises.
 *
 * GRIB: every message must decode (a truncated or corrupt message rejects the file:
 * "grib_decode_failed"); regular_ll grids only ("unsupported_grid"); the level type is
 * isobaricInhPa (pressure levels) or anything else (single levels); the time is
 * validityDate/validityTime (UTC); ensemble files (key "number", e.g. ERA5 EDA) use member 0
 * for the Hanoi values and say so in quality_flags ("ensemble_member_0").
 * netCDF: the CDS layouts, old (time as "hours since 1900-01-01", packed shorts with
 * scale_factor/add_offset, level) and new (valid_time as "seconds since 1970-01-01", floats,
 * pressure_level); coordinates latitude/longitude; _FillValue/missing_value are missing.
 * Variable names are ERA5's netCDF names: u10 v10 blh sp t2m d2m tp msl (single levels; GRIB
 * 10u/10v/2t/2d are renamed), u v w z t q (pressure levels).
 *
 * Hanoi values: per hour and variable, the mean over the grid points inside the box; a grid
 * too coarse to have a point inside uses the grid point nearest the box centre if it lies
 * within one grid step of the box (flag "hanoi_nearest_gridpoint"); a grid that does not reach
 * the box gives no hourly values (flag "hanoi_outside_grid"). Units are ERA5's (m/s, m, Pa, K,
 * m of water): the silver job converts.
 *
 * Event (topic era5-files, table weather.era5_files_bronze): event_id "era5_<dataset_type>_
 * <YYYY>_<MM>" for a file covering one whole calendar month, "era5_<type>_<YYYY>_<MM>_<DD>" for
 * one UTC day, else "era5_<type>_<YYYYMMDDHH>_<YYYYMMDDHH>" (first and last time); dataset_type,
 * period_start, period_end (first and last valid time), file_path, file_format (grib1 | grib2 |
 * netcdf), size_bytes, sha256, variables, pressure_levels_hpa, area "N/W/S/E", request_id (the CDS
 * job of a live download, from its file name; null for other files), hanoi_hourly [{time, u10, v10, blh, sp, t2m, d2m, tp, msl}] (null where a variable
 * is absent), message_count; event_time = period_start; available_at = period_end + 5 days
 * (ERA5's release latency; the final release replaces ERA5T under the same id). */
#ifndef AIS_ERA5_H
#define AIS_ERA5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/gridded.h"

#define AIS_ERA5_SOURCE "era5"
#define AIS_ERA5_SURFACE_VARS 8
#define AIS_ERA5_MAX_VARS 32
#define AIS_ERA5_MAX_LEVELS 64
#define AIS_ERA5_LATENCY_SECONDS (5 * 86400)

/* "u10", "v10", "blh", "sp", "t2m", "d2m", "tp", "msl" (index 0..7) */
const char *ais_era5_surface_var(size_t index);

typedef struct ais_era5_hour_values {
    int64_t time;
    double v[AIS_ERA5_SURFACE_VARS];
    bool set[AIS_ERA5_SURFACE_VARS];
} ais_era5_hour_values;

typedef enum ais_era5_hanoi_method {
    AIS_ERA5_HANOI_NONE,    /* pressure levels: no surface values */
    AIS_ERA5_HANOI_BOX,     /* mean of the grid points in the box */
    AIS_ERA5_HANOI_NEAREST, /* the nearest grid point */
    AIS_ERA5_HANOI_OUTSIDE  /* the grid does not reach the box */
} ais_era5_hanoi_method;

typedef struct ais_era5_file_info {
    char dataset_type[24]; /* "single_levels" | "pressure_levels" */
    char file_format[8];   /* "grib1" | "grib2" | "netcdf" */
    int64_t period_start, period_end;
    char variables[AIS_ERA5_MAX_VARS][16];
    size_t n_variables;
    long levels[AIS_ERA5_MAX_LEVELS]; /* hPa, ascending */
    size_t n_levels;
    double north, west, south, east; /* the grid's extent */
    size_t messages;                 /* GRIB messages, or netCDF variables read */
    long members;                    /* ensemble members seen (1 for reanalysis) */
    ais_era5_hanoi_method hanoi;
    size_t hanoi_points;             /* grid points averaged */
    ais_era5_hour_values *hours;     /* ascending time, single levels only */
    size_t n_hours;
    uint64_t size_bytes;
    char sha256[65];
} ais_era5_file_info;

void ais_era5_file_info_free(ais_era5_file_info *info);

/* Decodes one file (GRIB or netCDF, told apart by content) over box. On AIS_ERR_PARSE reason
 * (grib_decode_failed, grib_no_messages, unsupported_grid, netcdf_open_failed, bad_netcdf_layout,
 * read_failed, unknown_format, empty_file) and detail say why. */
ais_status ais_era5_file_decode(const char *path, const ais_bbox *box, ais_era5_file_info *out,
                                const char **reason, char *detail, size_t detail_size);

/* The same from memory (no size/sha256; for fuzzing): GRIB or netCDF bytes. */
ais_status ais_era5_decode_memory(const void *data, size_t len, const ais_bbox *box,
                                  ais_era5_file_info *out, const char **reason, char *detail,
                                  size_t detail_size);

/* The event id of a decoded file (see the header comment). */
ais_status ais_era5_event_id(const ais_era5_file_info *info, char *out, size_t out_size);

ais_status ais_era5_event_new(const ais_envelope *env, const ais_era5_file_info *info,
                              const char *path, const char *request_id, int64_t ingest_time,
                              json_t **out);

/* The CDS job id that live mode writes into a download's name ("era5_single_levels_20170101.cds-
 * <job id>.grib"): false when the name has none (the id is up to 64 hex digits and dashes). */
bool ais_era5_request_from_name(const char *path, char *out, size_t out_size);

/* Decodes files (a replay folder's .grib, .grb, .grib2 and .nc files, or live mode's downloads,
 * whose names carry their CDS job id, so that replaying a download folder gives the live
 * events): one event per file whose period_start is in the window; bad files are dead letters
 * (ais/gridded.h). AIS_ERR_PARSE if any file was rejected. */
ais_status ais_era5_ingest_files(const char *const *paths, size_t n_paths, const ais_bbox *box,
                                 ais_gridded_out *out, char *errbuf, size_t errbuf_size);

/* Simulated ERA5 (source "simulated"): for every UTC day of the window, one single-levels event
 * (24 Hanoi hours: a seasonal and diurnal 2 m temperature, dew point, boundary layer height
 * (deep in the afternoon, shallow at night and in winter), monsoon winds, surface and mean sea
 * level pressure with the semi-diurnal tide, showers in the wet season) and one pressure-levels
 * event (the configured levels at 00/06/12/18 UTC, no hourly values), for every UTC day whose
 * 00:00 is in the window. file_path and sha256 are null, size_bytes 0. Pure function of (seed,
 * hour). */
ais_status ais_era5_simulate(uint64_t seed, const ais_bbox *box, const long *levels,
                             size_t n_levels, const ais_envelope *env, const ais_sink *sink,
                             uint64_t *events_out);

#endif
