/* HYSPLIT trajectory endpoints files ("tdump"), parsed into the same points ais-traj computes.
 *
 * The format, as documented in the HYSPLIT user's guide (fixed-width Fortran fields; this
 * parser splits on blanks instead, which reads the same files and tolerates width changes
 * between HYSPLIT versions):
 *
 *   1      I6 number of meteorological grids [, I6 file format version]
 *   2..    per grid: A8 model id, 5I6 year month day hour forecast-hour of the data file
 *   next   I6 number of trajectories, A8 direction (FORWARD | BACKWARD), A8 vertical motion
 *          method (OMEGA, THETA, ...)
 *   next   per trajectory: 4I6 year month day hour of the start, 2F9.3 latitude longitude,
 *          F8.1 start height in m above ground
 *   next   I6 number n of diagnostic variables, n x A8 their names (PRESSURE first as a rule)
 *   rest   one line per point: I6 trajectory number, I6 grid number, 5I6 year month day hour
 *          minute, I6 forecast hour, F8.1 age in hours, 2F9.3 latitude longitude, F8.1 height
 *          in m above ground, n x F8.1 the diagnostic variables
 *
 * The brief for this parser listed "grid#, traj#" first on the point lines; the HYSPLIT guide
 * and the files we know put the trajectory number first (it varies between 1..N across the
 * lines of a multi-trajectory file while the grid number stays 1): that is what is read here.
 * Two-digit years are completed as 40..99 -> 19xx, 00..39 -> 20xx; four-digit years are kept.
 * Start lines with 8 numbers (a minute field after the hour) are accepted.
 *
 * Errors: AIS_ERR_PARSE for text that breaks the format (a one-line message with the line
 * number goes to errbuf), AIS_ERR_NOMEM, AIS_ERR_INVALID_ARG. The parser reads at most len
 * bytes and never trusts a count in the file beyond what the lines that follow provide. */
#ifndef AIS_TRAJ_TDUMP_H
#define AIS_TRAJ_TDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "ais/status.h"
#include "ais/traj.h"

#define AIS_TDUMP_MAX_GRIDS 99
#define AIS_TDUMP_MAX_TRAJ 9999
#define AIS_TDUMP_MAX_DIAG 32

typedef struct ais_tdump_grid {
    char model[9];
    int64_t time; /* start of the data file */
    int forecast_hour;
} ais_tdump_grid;

typedef struct ais_tdump_start {
    int64_t time;
    double lat, lon, height_m_agl;
} ais_tdump_start;

typedef struct ais_tdump_point {
    int traj_no; /* 1..n_traj */
    int grid_no;
    int forecast_hour;
    ais_traj_point point; /* pressure_hpa NaN when the file has no PRESSURE variable */
} ais_tdump_point;

typedef struct ais_tdump {
    int format_version; /* second number of line 1, 0 when absent */
    size_t n_grids;
    ais_tdump_grid *grids;
    size_t n_traj;
    char direction[9];       /* "FORWARD" or "BACKWARD" */
    char vertical_method[9]; /* "OMEGA", ... ("" when absent) */
    ais_tdump_start *starts; /* n_traj */
    size_t n_diag;
    char diag_names[AIS_TDUMP_MAX_DIAG][9];
    size_t n_points;
    ais_tdump_point *points; /* in file order */
} ais_tdump;

/* Parses len bytes of tdump text. On AIS_OK *out owns a new ais_tdump (ais_tdump_free); on
 * failure *out is NULL. */
ais_status ais_tdump_parse(const char *text, size_t len, ais_tdump **out, char *errbuf,
                           size_t errbuf_size);

/* NULL is a no-op. */
void ais_tdump_free(ais_tdump *tdump);

#endif
