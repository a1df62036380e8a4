/* Sentinel-5P TROPOMI L2 products (netCDF4, libnetcdf): one summary event per product file
 * with statistics over the Hanoi box and the 0.25 degree grid cells over a wider area (for
 * trajectory path sampling), and simulation.
 *
 * File layout (facts of the L2 products; the real headers in ../shared/data/s5p-l2-metadata-
 * stubs carry the global attributes and dimensions, their PRODUCT variables were removed):
 * - name S5P_<mode>_L2__<product:6>_<start>_<end>_<orbit>_<collection>_<processor>_<created>.nc,
 *   mode OFFL | NRTI | RPRO, product NO2___ CO____ SO2___ O3____ AER_AI (others are skipped);
 * - global attributes id, time_coverage_start/end (ISO UTC; some processors omit the "Z"),
 *   orbit, processor_version, date_created;
 * - group PRODUCT, dimensions time (1) x scanline x ground_pixel: latitude, longitude (float,
 *   degrees), qa_value (ubyte, scale_factor 0.01), and the product's variable (float,
 *   _FillValue 9.96921e36): NO2 nitrogendioxide_tropospheric_column, CO
 *   carbonmonoxide_total_column, SO2 sulfurdioxide_total_vertical_column (mol m-2), O3
 *   ozone_total_vertical_column (mol m-2), AER_AI aerosol_index_354_388 (1).
 *
 * Statistics: a pixel is in the box when its centre (latitude, longitude) is; total_pixel_count
 * counts every such pixel, valid_pixel_count those with qa_value >= the product's threshold
 * (sentinel5p.qa_min: 0.75 NO2/SO2, 0.5 CO/O3/AER_AI) and a value that is not the fill;
 * stats_* over the valid values (population std), unit from the variable's units attribute.
 * Grid cells: cells of grid_deg degrees with edges on multiples of grid_deg (centre = (floor(x /
 * d) + 0.5) * d), over the grid area; value_mean and valid_count of the valid pixels whose
 * centre falls in the cell; only cells with a valid pixel are listed, for the products in
 * sentinel5p.grid_products (NO2 and AER_AI feed the trajectory path features).
 *
 * Event (topic sentinel5p-summary, table satellite.sentinel5p_summary_bronze):
 *   event_id "s5p_<product>_<product_id>" (product_id = the file's id), product, product_id,
 *   product_name (file name), sensing_start/end, orbit, processing_mode, processor_version,
 *   qa_threshold, stats_*, valid/total_pixel_count, valid_pct, unit, grid_deg, grid_cells
 *   [{lat, lon, value_mean, valid_count}], file_path; event_time = sensing_start, available_at =
 *   date_created. A file with no pixel in the box nor in the grid area gives no event. */
#ifndef AIS_S5P_H
#define AIS_S5P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/gridded.h"

#define AIS_S5P_SOURCE "sentinel5p"
#define AIS_S5P_PRODUCTS 5
#define AIS_S5P_MAX_GRID_CELLS 1000000

typedef enum ais_s5p_product {
    AIS_S5P_NO2,
    AIS_S5P_CO,
    AIS_S5P_SO2,
    AIS_S5P_O3,
    AIS_S5P_AER_AI
} ais_s5p_product;

/* "NO2", "CO", "SO2", "O3", "AER_AI" */
const char *ais_s5p_product_name(ais_s5p_product p);
/* the PRODUCT variable of the product */
const char *ais_s5p_variable(ais_s5p_product p);
/* from "NO2" (case-sensitive) or the 6-character file-name field ("NO2___"); false if none */
bool ais_s5p_product_parse(const char *text, ais_s5p_product *out);

typedef struct ais_s5p_options {
    ais_bbox box;            /* statistics (hanoi.bbox) */
    ais_bbox grid_area;      /* sentinel5p.grid_area */
    double grid_deg;         /* sentinel5p.grid_deg */
    double qa_min[AIS_S5P_PRODUCTS];
    bool enabled[AIS_S5P_PRODUCTS]; /* sentinel5p.products */
    bool grid[AIS_S5P_PRODUCTS];    /* sentinel5p.grid_products */
} ais_s5p_options;

/* From the configuration (hanoi.bbox, sentinel5p.*); errbuf names a bad key. */
ais_status ais_s5p_options_from_config(const ais_config *cfg, ais_s5p_options *out,
                                       char *errbuf, size_t errbuf_size);

typedef struct ais_s5p_meta {
    ais_s5p_product product;
    char product_id[128];   /* global attribute id (else the file name without .nc) */
    char product_name[160]; /* file name */
    char mode[8];           /* "OFFL" */
    char processor_version[32];
    int64_t sensing_start, sensing_end, created;
    long orbit;
    size_t scanlines, ground_pixels; /* PRODUCT dimensions */
} ais_s5p_meta;

typedef struct ais_s5p_cell {
    double lat, lon; /* centre */
    double sum;
    uint64_t count;
} ais_s5p_cell;

typedef struct ais_s5p_result {
    ais_s5p_meta meta;
    char unit[32];
    double qa_threshold;
    double grid_deg;
    uint64_t total; /* pixels in the box */
    ais_stat stats; /* valid pixels in the box */
    uint64_t grid_pixels;  /* valid pixels in the grid area */
    ais_s5p_cell *cells;   /* cells with count > 0, south to north then west to east */
    size_t n_cells;
} ais_s5p_result;

void ais_s5p_result_free(ais_s5p_result *r);

/* Reads the file name, global attributes and PRODUCT dimensions of an open file. On
 * AIS_ERR_PARSE reason (bad_file_name, not_configured_product, bad_metadata, missing_dimension)
 * and detail say why. */
ais_status ais_s5p_read_meta(int ncid, const char *path, ais_s5p_meta *out, const char **reason,
                             char *detail, size_t detail_size);

/* Decodes a product from a file or (path for the name only) from memory. AIS_ERR_PARSE with
 * reason netcdf_open_failed, bad_file_name, bad_metadata, missing_dimension, missing_variable,
 * bad_variable, read_failed; reason "not_configured_product" for a product the options do not
 * enable (callers skip those). */
ais_status ais_s5p_decode(const char *path, const ais_s5p_options *opts, ais_s5p_result *out,
                          const char **reason, char *detail, size_t detail_size);
ais_status ais_s5p_decode_memory(const char *path, const void *data, size_t len,
                                 const ais_s5p_options *opts, ais_s5p_result *out,
                                 const char **reason, char *detail, size_t detail_size);

ais_status ais_s5p_event_new(const ais_envelope *env, const ais_s5p_result *r, const char *path,
                             int64_t ingest_time, json_t **out);

/* Decodes files (a replay folder's *.nc, live mode's downloads): one event per product file
 * whose sensing_start is in the window; files of products not enabled are skipped; bad files
 * are dead letters (ais/gridded.h). AIS_ERR_PARSE if any file was rejected. */
ais_status ais_s5p_ingest_files(const char *const *paths, size_t n_paths,
                                const ais_s5p_options *opts, ais_gridded_out *out, char *errbuf,
                                size_t errbuf_size);

/* Simulated products (source "simulated"): for every UTC day, one early-afternoon overpass
 * (sensing 05:50-06:45 UTC, 12:50-13:45 local) per enabled product, with box statistics and
 * grid cells from a seeded model: a regional background with its season (NO2 and CO highest in
 * the dry winter, AER_AI in the March burning season, O3 in spring), urban enhancement around
 * Hanoi and Ho Chi Minh City, synoptic variability, and cloud gaps (valid share lowest in the
 * summer monsoon). Pure function of (seed, day, product, cell). */
ais_status ais_s5p_simulate(uint64_t seed, const ais_s5p_options *opts, const ais_envelope *env,
                            const ais_sink *sink, uint64_t *events_out);

/* The simulator's pieces that ais-provider-sim (ais/provsim.h) shares, so that the product files
 * it writes decode to the box statistics ais_s5p_simulate reports for the same seed and day.
 *
 * The box's pixels are the lattice (south + d / 2 + k d, west + d / 2 + l d) inside the box,
 * d = AIS_S5P_SIM_PIXEL_DEG (built by repeated addition, as the simulator's loop does). A pixel
 * is cloudy when its 1-degree patch is clouded over that day, else failed (no retrieval) for one
 * in ten pixels, else good; *value (always set) is the field there plus pixel noise, in the
 * product's unit. The statistics of the good pixels are the simulator's stats_*. */
#define AIS_S5P_SIM_PIXEL_DEG 0.05

typedef enum ais_s5p_sim_state {
    AIS_S5P_SIM_GOOD,
    AIS_S5P_SIM_CLOUDY,
    AIS_S5P_SIM_FAILED
} ais_s5p_sim_state;

ais_s5p_sim_state ais_s5p_sim_pixel(uint64_t seed, ais_s5p_product p, int64_t day, double lat,
                                    double lon, double *value);

/* The simulated overpass of a UTC day (00:00 in day): sensing_start/end, created, orbit, mode
 * "SIMU", processor_version, product_id and product_name of the simulator's events. */
ais_status ais_s5p_sim_meta(uint64_t seed, ais_s5p_product p, int64_t day, ais_s5p_meta *out);

#endif
