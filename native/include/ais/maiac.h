/* MODIS MAIAC MCD19A2 v061 (daily 1 km AOD, HDF4-EOS, one 1200 x 1200 sinusoidal tile per
 * granule): decoding with HDF4 mfhdf, one summary event per granule, simulation.
 *
 * Decoding (facts of the product; ../shared/data/maiac-mcd19a2-vn holds three real granules):
 * - SDS Optical_Depth_047 and Optical_Depth_055 (int16, dims Orbits x YDim x XDim, attributes
 *   scale_factor 0.001, add_offset 0, _FillValue -28672, valid_range -100..6000) and AOD_QA
 *   (uint16, _FillValue 0). value = (raw - add_offset) * scale_factor (HDF4's convention;
 *   add_offset is 0 in v061).
 * - Best quality: AOD_QA bits 8-11 ("QA AOD") == 0000. A pixel-orbit counts for a band when
 *   its QA is not the fill, its QA AOD is best, and its raw value is not the fill and inside
 *   valid_range.
 * - Geometry from StructMetadata.0 (GridName grid1km, XDim, YDim, UpperLeftPointMtrs,
 *   LowerRightMtrs, ProjParams sphere radius 6371007.181 m): pixel (row, col) centre
 *   x = ulx + (col + 0.5) * w, y = uly - (row + 0.5) * h; lat = y / R, lon = x / (R cos lat)
 *   (the MODIS sinusoidal grid). Only the rows whose latitude is inside the box are read.
 * - Times: RANGEBEGINNINGDATE/TIME and RANGEENDINGDATE/TIME of CoreMetadata.0; the acquisition
 *   date and tile from the file name MCD19A2.AYYYYDDD.hHHvVV.061.YYYYDDDHHMMSS.hdf (the last
 *   part is the production time, used as available_at).
 * - Statistics over the pixel-orbits whose pixel centre is in the box: AOD 0.55 um is the
 *   summary's stats_* (the standard MAIAC AOD), AOD 0.47 um its aod_047_* columns;
 *   total_pixel_count = pixels in the box x orbits, valid_pixel_count = best-quality AOD 0.55
 *   pixel-orbits, valid_pct = 100 * valid / total.
 *
 * Event (topic maiac-summary, table satellite.maiac_summary_bronze):
 *   event_id "maiac_<granule_id>", granule_id "MCD19A2.A2026088.h28v08.061" (the file name
 *   without the production time, so a reprocessed granule replaces the older one), tile,
 *   acquisition_date, time_start, time_end, aod_047_{mean,min,max,std,valid_pixel_count},
 *   stats_{min,max,mean,std}, valid_pixel_count, total_pixel_count, valid_pct, unit "1",
 *   orbit_count, file_path; event_time = time_start, available_at = production time.
 *   A granule with no pixel centre in the box gives no event (counted as outside_area). */
#ifndef AIS_MAIAC_H
#define AIS_MAIAC_H

#include <stdint.h>

#include "ais/gridded.h"

#define AIS_MAIAC_SOURCE "maiac"
#define AIS_MAIAC_SPHERE_RADIUS_M 6371007.181
/* The MODIS sinusoidal tiles: 36 x 18 squares of this side (1200 pixels of 926.625 m), tile
 * (h, v) with its upper-left corner at (X0 + h side, Y0 - v side). */
#define AIS_MAIAC_TILE_M 1111950.519667
#define AIS_MAIAC_SINU_X0 (-20015109.354)
#define AIS_MAIAC_SINU_Y0 10007554.677
#define AIS_MAIAC_FILL (-28672)
#define AIS_MAIAC_ID_SIZE 64

typedef struct ais_maiac_granule {
    char granule_id[AIS_MAIAC_ID_SIZE]; /* "MCD19A2.A2026088.h28v08.061" */
    char tile[8];                       /* "h28v08" */
    int64_t acquisition_date;           /* 00:00 UTC of AYYYYDDD */
    int64_t time_start, time_end;       /* RANGEBEGINNING/ENDING */
    int64_t production_time;            /* from the file name */
    int orbits;
    double scale_factor, add_offset;
    uint64_t box_pixels;                /* pixel centres in the box */
    uint64_t total;                     /* box_pixels * orbits */
    ais_stat aod047, aod055;            /* best-quality pixel-orbits */
} ais_maiac_granule;

/* Decodes one granule over box. On AIS_ERR_PARSE, reason (a stable code: hdf4_open_failed,
 * bad_file_name, missing_sds, bad_dimensions, bad_struct_metadata, bad_core_metadata,
 * read_failed) and detail say why. */
ais_status ais_maiac_decode(const char *path, const ais_bbox *box, ais_maiac_granule *out,
                            const char **reason, char *detail, size_t detail_size);

/* The summary event of a decoded granule (reference owned by the caller). */
ais_status ais_maiac_event_new(const ais_envelope *env, const ais_maiac_granule *g,
                               const char *path, int64_t ingest_time, json_t **out);

/* Statistics of one UTC acquisition date over all its granules (tiles). */
typedef struct ais_maiac_day {
    int64_t date;
    unsigned granules;
    uint64_t total;
    ais_stat aod047, aod055;
} ais_maiac_day;

typedef struct ais_maiac_days {
    ais_maiac_day *items; /* sorted by date */
    size_t count;
} ais_maiac_days;

ais_status ais_maiac_days_add(ais_maiac_days *days, const ais_maiac_granule *g);
void ais_maiac_days_free(ais_maiac_days *days);

/* Decodes files (e.g. a replay folder's *.hdf, or live mode's downloads) over box: one event
 * per granule whose time_start is in out->env's window; bad files are dead letters (see
 * ais/gridded.h). days (may be NULL) collects the per-day statistics of the emitted granules.
 * AIS_ERR_PARSE if any file was rejected (after all files were processed). */
ais_status ais_maiac_ingest_files(const char *const *paths, size_t n_paths, const ais_bbox *box,
                                  ais_gridded_out *out, ais_maiac_days *days, char *errbuf,
                                  size_t errbuf_size);

/* Simulated granules (source "simulated"): for every UTC day of the window, the tiles over
 * the box (Hanoi: h27v06 only), each one event at 03:30 UTC (Terra+Aqua daytime passes
 * over Vietnam) with AOD statistics from a seeded model: AOD 0.55 um mean ~0.9 in the
 * February-April burning season, ~0.35 in the wet summer, log-normal day-to-day variability,
 * AOD 0.47 = AOD 0.55 x (0.55/0.47)^angstrom (1.1-1.6), cloud cover (valid_pct) lowest in
 * the dry season. Pure function of (seed, day, tile). */
ais_status ais_maiac_simulate(uint64_t seed, const ais_bbox *box, const ais_envelope *env,
                              const ais_sink *sink, uint64_t *events_out);

/* The simulator's model of one tile and UTC day (00:00 in day), which ais-provider-sim
 * (ais/provsim.h) fills its granules from, so that they decode to figures like the simulator's:
 * times, orbits, the mean AOD 0.55 um, the Angstrom exponent (AOD 0.47 = AOD 0.55 x
 * (0.55/0.47)^angstrom), the share of best-quality pixel-orbits and the pixels' relative
 * spread. */
typedef struct ais_maiac_sim_day {
    int64_t time_start, time_end, production_time;
    int orbits;
    double aod055, angstrom, clear, spread;
} ais_maiac_sim_day;

ais_status ais_maiac_sim_model(uint64_t seed, int64_t day, int h, int v, ais_maiac_sim_day *out);

#endif
