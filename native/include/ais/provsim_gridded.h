/* The gridded half of ais-provider-sim (ais/provsim.h): writers of the three providers' file
 * formats, and the simulated fields that fill them.
 *
 * Writers. They know the layouts of the real files (groups, variable and dataset names, types,
 * dimensions, attributes, metadata texts, GRIB keys and packing; ais/s5p.h, ais/maiac.h and
 * ais/era5.h say what the decoders read); the values are the caller's: ais-provider-sim's
 * simulated fields, or the hand-made formulas of the decoders' tests. Files are replaced
 * atomically: GRIB bytes are built in memory and written with ais_fs_write_atomic; libnetcdf and
 * HDF4 write to a path (libnetcdf's in-memory files come out padded to 64 KiB), so a product or
 * a granule is written under a hidden temporary name in the target's folder (".<name>.tmp"),
 * synced and renamed over the target. A failure leaves no temporary file and the target
 * untouched, and its message names the file. Nothing in the bytes depends on the clock.
 *
 * Fields. Pure functions of (seed, day, place), from the simulators of `ais-ingest --mode
 * simulate` where those have one:
 * - Sentinel-5P: per product and UTC day, one overpass (ais_s5p_sim_meta); a rectilinear swath
 *   over sentinel5p.grid_area every 0.125 degree (pixel centres at odd sixteenths of a degree,
 *   never on a 0.25 degree cell edge), and over hanoi.bbox the simulator's own box lattice
 *   (AIS_S5P_SIM_PIXEL_DEG), so that the decoded Hanoi statistics are the ones `--mode simulate`
 *   reports; values and states from ais_s5p_sim_pixel (good: qa_value 0.75..1.00, cloudy: the
 *   value with qa_value 0.20..0.49, failed: the fill with qa_value 0).
 * - MAIAC: the tiles over hanoi.bbox, per UTC day, from the simulator's model of the tile and
 *   day (ais_maiac_sim_model): log-normal AOD 0.55 um around the model's mean with its spread
 *   (smooth in space, knots every 0.5 degree), AOD 0.47 from the Angstrom exponent, clouds in
 *   patches (knots every 0.25 degree, one field per orbit) covering 1 - clear of the pixels, a
 *   band of "adjacent to cloud" pixels at their edges, and the second orbit's swath missing a
 *   side of the tile.
 * - ERA5: ais_met_simulate (the trajectory engine's simulated met field) over era5.region at
 *   0.25 degree for the 24 hours of the day gives u, v, w, z, t and sp, t2m, u10, v10, the
 *   terrain (surface z); the rest is derived: msl (sp reduced with t2m), d2m and q (relative
 *   humidity from season, local time and a smooth random field; q from it and t on the
 *   level), blh (diurnal by local solar time, deeper in summer, mechanical mixing at night),
 *   tp (hourly, >= 0, a smooth space-time rain field over a season- and afternoon-dependent
 *   threshold). 12-bit packing (ERA5's own is 16) keeps a day's two files near 5.3 MB. */
#ifndef AIS_PROVSIM_GRIDDED_H
#define AIS_PROVSIM_GRIDDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/jsonutil.h" /* ais_json_buf: a growable byte buffer */
#include "ais/maiac.h"
#include "ais/met.h"
#include "ais/provsim.h"
#include "ais/s5p.h"
#include "ais/status.h"

/* AIS_ERR_INVALID_ARG, errbuf naming the source, unless the request (with its configuration)
 * and the stats are there and the window is whole UTC days, start before end. */
ais_status ais_provsim_check_request(const ais_provsim_request *req,
                                     const ais_provsim_stats *stats, const char *source,
                                     char *errbuf, size_t errsize);

/* <out>/<folder>, created (mode 0755) with its parents: a new string in *dir (caller frees).
 * errbuf names the folder and why it cannot be made (a file in the way, permissions). */
ais_status ais_provsim_folder(const char *out_dir, const char *folder, char **dir, char *errbuf,
                              size_t errsize);

/* The hidden temporary name of path: "<folder>/.<name>.tmp", a new string (caller frees). */
char *ais_provsim_temp_path(const char *path);

/* Installs a file written at tmp (in the target's folder) as path: fsync, rename over path,
 * fsync of the folder; on failure tmp is removed and path untouched (errbuf names path). */
ais_status ais_provsim_install(const char *tmp, const char *path, char *errbuf, size_t errsize);

/* A smooth random field over an area: standard normal-ish knots (ais_noise_normalish of seed,
 * stream, key and the knot's global index, so overlapping areas share their knots) every
 * spacing degrees of latitude and longitude, joined with smoothstep weights. */
typedef struct ais_provsim_knots {
    double spacing;
    long a0, b0;       /* global index of the first knot (latitude, longitude) */
    size_t na, nb;
    double *z;         /* na x nb */
} ais_provsim_knots;

ais_status ais_provsim_knots_init(ais_provsim_knots *k, uint64_t seed, uint64_t stream,
                                  uint64_t key, const ais_bbox *area, double spacing);
void ais_provsim_knots_free(ais_provsim_knots *k);
/* The field at a point of the area; *sigma (may be NULL) gets the root of the summed squared
 * weights, so that value / sigma is standard normal-ish everywhere. */
double ais_provsim_knots_at(const ais_provsim_knots *k, double lat, double lon, double *sigma);

/* ---- Sentinel-5P ------------------------------------------------------------------------ */

#define AIS_S5P_FILL 9.96921e36f /* the product variables' _FillValue */

/* One L2 product: global attributes and the PRODUCT group's swath (time = 1 x scanline x
 * ground_pixel; arrays scanlines x ground_pixels, row-major). */
typedef struct ais_s5p_swath {
    ais_s5p_product product;
    const char *title;                  /* global "title": what made the file */
    int64_t sensing_start, sensing_end; /* time_coverage_start/end, delta_time */
    int64_t created;                    /* date_created */
    long orbit;
    const char *processor_version;      /* e.g. "2.6.0" */
    size_t scanlines, ground_pixels;
    const float *lat, *lon;             /* pixel centres, degrees */
    const float *value;                 /* the product variable, AIS_S5P_FILL where none */
    const unsigned char *qa;            /* qa_value in hundredths (0..100) */
} ais_s5p_swath;

/* Writes the product to path (the global "id" is the file name without its ".nc"); *bytes
 * (may be NULL) gets its size. The swath variables are deflated (level 4, shuffled) as in the
 * real products. */
ais_status ais_s5p_swath_write(const char *path, const ais_s5p_swath *s, uint64_t *bytes,
                               char *errbuf, size_t errsize);

/* "S5P_OFFL_L2__NO2____<start>_<end>_<orbit>_03_020600_<created>.nc" (the product type padded
 * to 10 characters with '_', times as YYYYMMDDTHHMMSS); out holds at least 96 bytes. */
ais_status ais_s5p_product_file_name(ais_s5p_product p, int64_t start, int64_t end, long orbit,
                                     int64_t created, char *out, size_t size);

/* ---- MCD19A2 (MAIAC) -------------------------------------------------------------------- */

/* One granule: StructMetadata.0 (grid1km over the sinusoidal tile h, v), CoreMetadata.0
 * (granule id, production time, RANGEBEGINNING/ENDING), Orbit_amount, Orbit_time_stamp, and
 * the datasets Optical_Depth_047, Optical_Depth_055 (int16, scale 0.001, _FillValue
 * AIS_MAIAC_FILL, valid_range -100..6000) and AOD_QA (uint16, _FillValue 0), each orbits x ny x
 * nx, row-major. */
typedef struct ais_maiac_granule_spec {
    int h, v;
    long nx, ny;                  /* XDim, YDim (1200 in MCD19A2; the corners are the tile's) */
    int orbits;                   /* 1..64 */
    int64_t time_start, time_end; /* RANGEBEGINNING/ENDING */
    int64_t production_time;      /* PRODUCTIONDATETIME */
    int deflate_level;            /* 0: stored; v061 deflates each dataset as one block (4) */
    const char *comment;          /* global "comment": what made the file */
    const int16_t *aod047, *aod055;
    const uint16_t *qa;
} ais_maiac_granule_spec;

/* HDF4 records in the file the path the file was created by (the real granules carry
 * "<name>.temp"), so the granule is created by its bare temporary name from inside its folder:
 * the working directory changes for the duration of the write and is restored, which makes
 * this function unfit for threads that use relative paths meanwhile. */
ais_status ais_maiac_granule_write(const char *path, const ais_maiac_granule_spec *g,
                                   uint64_t *bytes, char *errbuf, size_t errsize);

/* "MCD19A2.AYYYYDDD.hHHvVV.061.YYYYDDDHHMMSS.hdf" of the acquisition day (any time in it) and
 * the production time; out holds at least 48 bytes. */
ais_status ais_maiac_granule_file_name(int h, int v, int64_t day, int64_t production, char *out,
                                       size_t size);

/* The tiles (h, v) whose area intersects the box (ascending v, then h); AIS_ERR_RANGE for more
 * than cap. */
ais_status ais_provsim_maiac_tiles(const ais_bbox *box, int (*hv)[2], size_t cap, size_t *n);

/* The simulated granule of a tile and day: opaque, from ais_provsim_maiac_tile_new, released
 * with ais_provsim_maiac_tile_free. */
typedef struct ais_provsim_maiac_tile ais_provsim_maiac_tile;

ais_status ais_provsim_maiac_tile_new(uint64_t seed, int64_t day, int h, int v,
                                      ais_provsim_maiac_tile **out);
void ais_provsim_maiac_tile_free(ais_provsim_maiac_tile *t);
/* The model the tile was made from (times, orbits, mean AOD, Angstrom, clear share, spread). */
const ais_maiac_sim_day *ais_provsim_maiac_tile_model(const ais_provsim_maiac_tile *t);
/* The raw values of one pixel of grid1km (1200 x 1200) in one orbit. */
void ais_provsim_maiac_pixel(const ais_provsim_maiac_tile *t, int orbit, long row, long col,
                             int16_t *aod047, int16_t *aod055, uint16_t *qa);

/* ---- ERA5 ------------------------------------------------------------------------------- */

/* One field on a regular latitude/longitude grid, as the CDS's ERA5 GRIB1: centre ecmf, table
 * 128, MARS class ea, stream oper, expver 0001; an analysis (type an) at valid_time, or for an
 * accumulation (tp) the hour ending at valid_time of the forecast from 06 or 18 UTC (type fc,
 * step n-1..n, 1 <= n <= 12); grid_simple packing. */
typedef struct ais_era5_grib_message {
    long param_id;        /* ECMWF table 128: 165 10u, 167 2t, 134 sp, 129 z, 130 t, ... */
    long level_hpa;       /* > 0: that isobaric level; 0: a single-level (surface) field */
    int64_t valid_time;   /* UTC, a whole hour */
    bool accumulated;     /* accumulated over the hour ending at valid_time */
    size_t ni, nj;        /* points west to east, rows north to south */
    double north, west, step_deg;
    long bits_per_value;  /* 1..32 */
    const double *values; /* nj x ni, rows north to south */
} ais_era5_grib_message;

/* Appends the message's bytes to out (free out->data with free()); errbuf names the parameter,
 * level and time of a message ecCodes refuses. */
ais_status ais_era5_grib_append(ais_json_buf *out, const ais_era5_grib_message *m, char *errbuf,
                                size_t errsize);

/* The variables ais-provider-sim writes, by their names in era5.surface_vars (single levels:
 * u10 v10 blh sp t2m d2m tp msl, and z, the surface geopotential) and era5.pressure_vars
 * (u v w z t q). */
typedef enum ais_provsim_era5_var {
    AIS_PSE_U10, AIS_PSE_V10, AIS_PSE_BLH, AIS_PSE_SP, AIS_PSE_T2M, AIS_PSE_D2M, AIS_PSE_TP,
    AIS_PSE_MSL, AIS_PSE_ZSFC,
    AIS_PSE_U, AIS_PSE_V, AIS_PSE_W, AIS_PSE_Z, AIS_PSE_T, AIS_PSE_Q,
    AIS_PSE_COUNT
} ais_provsim_era5_var;

/* The variable of a configured name (pressure: a name of era5.pressure_vars); false if none. */
bool ais_provsim_era5_var_parse(const char *name, bool pressure, ais_provsim_era5_var *out);
/* Its ECMWF parameter id (table 128) */
long ais_provsim_era5_param(ais_provsim_era5_var v);

/* The simulated fields of one UTC day: the met grid of ais_met_simulate for the hours 0..23
 * (met->times), era5.region at 0.25 degree, the configured pressure levels (met->levels_hpa),
 * and the smooth fields of humidity and rain the derived variables use (knots at 00, 06, 12,
 * 18 and 24 UTC, joined in time as in space). */
#define AIS_PROVSIM_ERA5_TIME_KNOTS 5

typedef struct ais_provsim_era5_day {
    uint64_t seed;
    int64_t day;
    ais_met_grid *met;
    ais_provsim_knots humidity[AIS_PROVSIM_ERA5_TIME_KNOTS], rain[AIS_PROVSIM_ERA5_TIME_KNOTS];
} ais_provsim_era5_day;

/* From the configuration (era5.region, era5.pressure_levels_hpa) and the request's seed;
 * errbuf says what is wrong with the configuration. Release with ais_provsim_era5_day_free. */
ais_status ais_provsim_era5_day_init(const ais_config *cfg, uint64_t seed, int64_t day,
                                     ais_provsim_era5_day *out, char *errbuf, size_t errsize);
void ais_provsim_era5_day_free(ais_provsim_era5_day *d);

/* The value of a variable at hour it (0..23), level k (index into met->levels_hpa; ignored for
 * single levels) and grid point (j south to north, i west to east), in ERA5's units (tp: m in
 * the hour ending at it). */
double ais_provsim_era5_value(const ais_provsim_era5_day *d, ais_provsim_era5_var v, size_t it,
                              size_t k, size_t j, size_t i);

#endif
