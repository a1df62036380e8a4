/* The one GRIB reader (ecCodes) of the native code: the ERA5 file summaries of ais-ingest
 * (src/ingest/decode/era5_decode.c) and the ERA5 met fields of the trajectory engine
 * (src/traj/met_era5.c) both walk a stream's messages with ais_grib_each and read the same keys
 * into an ais_grib_message; each then applies its own rules (which keys it requires, which grids
 * it accepts) and its own error wording.
 *
 * Keys read per message (a key that is not there leaves its default and its has_ flag false):
 *   shortName, typeOfLevel, gridType, level, number (ensemble member), editionNumber,
 *   validityDate + validityTime (valid_time, seconds since the epoch, UTC),
 *   Ni, Nj, latitude/longitudeOfFirstGridPointInDegrees, i/jDirectionIncrementInDegrees,
 *   iScansNegatively, jScansPositively, jPointsAreConsecutive, bitmapPresent, missingValue. */
#ifndef AIS_GRIB_H
#define AIS_GRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ais/status.h"

typedef struct ais_grib_message {
    size_t index; /* 1 for the stream's first message */
    char short_name[32], level_type[48], grid_type[32];
    bool has_short_name, has_level_type, has_grid_type;
    long level, member, edition; /* 0 when absent */
    bool has_level, has_member;
    long validity_date, validity_time; /* YYYYMMDD, HHMM */
    bool has_validity;                 /* both keys read */
    bool valid_time_ok;                /* and they name a real UTC time: valid_time */
    int64_t valid_time;
    long ni, nj;
    double lat_first, lon_first, di, dj;
    bool has_grid; /* Ni, Nj, first point and both increments read */
    long i_negative, j_positive, j_consecutive;
    bool has_scanning; /* the three scanning flags read */
    long bitmap;
    double missing; /* 9999 (ecCodes' default) when absent */
    bool has_missing;
    void *handle; /* the ecCodes handle, for ais_grib_values_* during the visit */
} ais_grib_message;

/* Called once per message; a status other than AIS_OK ends the walk and is returned. */
typedef ais_status (*ais_grib_visit)(void *ctx, const ais_grib_message *m);

/* Walks every GRIB message of fp from its current position: *count (not reset) is incremented
 * before each visit. A message ecCodes cannot read ends the walk with AIS_ERR_PARSE and
 * *codes_error (static text) set to ecCodes' message; the end of the stream returns AIS_OK. */
ais_status ais_grib_each(FILE *fp, ais_grib_visit visit, void *ctx, size_t *count,
                         const char **codes_error);

/* The number of values of m (false if ecCodes cannot tell). */
bool ais_grib_values_count(const ais_grib_message *m, size_t *n);
/* The n values of m decoded into out (false if ecCodes cannot decode them). */
bool ais_grib_values_read(const ais_grib_message *m, double *out, size_t n);

/* Silences ecCodes' own messages on stderr (programs whose stderr holds only JSON log lines);
 * every failure still reaches the caller through the return codes. */
void ais_grib_quiet(void);

#endif
