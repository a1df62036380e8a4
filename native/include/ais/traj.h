/* Air-parcel trajectories through an ais_met_grid (the engine behind `ais-traj`).
 *
 * State of a parcel: latitude, longitude (degrees) and pressure p (Pa). Its velocity is the
 * wind interpolated at the parcel (ais_met_interp: linear in longitude, latitude, time and
 * ln p):
 *
 *   dlat/dt = v / R        dlon/dt = u / (R cos lat)        dp/dt = omega
 *
 * with R = AIS_MET_EARTH_RADIUS_M. Vertical motion is the grid's omega (Pa/s), so the parcel
 * follows the analysed vertical velocity in pressure coordinates.
 *
 * Integration: Heun's predictor-corrector (the scheme HYSPLIT uses), in the direction of the run
 * (dt < 0 backward):
 *
 *   P' = P(t) + V(P(t), t) dt,    P(t + dt) = P(t) + (V(P(t), t) + V(P', t + dt)) dt / 2
 *
 * Adaptive step: with V0 the interpolated wind at the start of a step,
 *
 *   |dt| = min(max_step_s,
 *              step_fraction x ds / |V0 horizontal|,   ds = the smaller side of a grid cell at
 *                                                      the parcel's latitude, in metres
 *              step_fraction x dp / |omega0|,          dp = the smallest spacing between two
 *                                                      adjacent pressure levels, in Pa
 *              time to the next output hour)
 *
 * so a parcel moves at most step_fraction (default 0.5) of a grid cell horizontally, and of the
 * thinnest layer vertically, per step; the step is never below min_step_s. Steps end exactly on
 * every output time.
 *
 * Ground and top: a parcel is never below the ground: when a step ends at a pressure above the
 * interpolated surface pressure it is put back on the surface (no reflection). A parcel that
 * leaves the grid horizontally, rises above the top level or runs past the grid's last (first,
 * backward) time stops there, with the reason in ais_traj.stop. Points already reached are kept.
 *
 * Output: one point at release (age 0) and one at every output interval (default one hour)
 * until the end of the run or the stop; age_h is negative backward. alt_m is the height above
 * ground level (the convention of HYSPLIT's tdump): interpolated geopotential height minus
 * interpolated terrain. The release height (m above ground) is converted to pressure through the
 * geopotential with ais_met_pressure_at_agl. */
#ifndef AIS_TRAJ_H
#define AIS_TRAJ_H

#include <stddef.h>
#include <stdint.h>

#include "ais/met.h"
#include "ais/status.h"

#define AIS_TRAJ_MAX_HOURS 2400 /* |hours| limit of one run (100 days) */

typedef enum ais_traj_stop {
    AIS_TRAJ_COMPLETED = 0, /* ran for the whole requested time */
    AIS_TRAJ_LEFT_GRID,     /* left the grid horizontally */
    AIS_TRAJ_ABOVE_TOP,     /* rose above the top pressure level */
    AIS_TRAJ_MET_ENDED,     /* the met data end (begin, backward) before the run does */
    AIS_TRAJ_STOP_COUNT
} ais_traj_stop;

/* Static name: "completed", "left_grid", "above_top", "met_ended". */
const char *ais_traj_stop_name(ais_traj_stop stop);

typedef struct ais_traj_options {
    double step_fraction;     /* of a grid cell (and of the thinnest layer) per step, (0, 1] */
    double max_step_s;        /* upper bound of |dt|, s */
    double min_step_s;        /* lower bound of |dt|, s (guards against absurd winds) */
    double output_interval_s; /* time between output points, s; divides 3600 * |hours| */
} ais_traj_options;

/* step_fraction 0.5, max_step_s 3600, min_step_s 1, output_interval_s 3600. */
void ais_traj_options_default(ais_traj_options *opt);

typedef struct ais_traj_start {
    double lat, lon;      /* degrees */
    double height_m_agl;  /* release height above ground, m (used when pressure_hpa is 0) */
    double pressure_hpa;  /* > 0: release at this pressure instead of height_m_agl */
    int64_t time;         /* release time, epoch seconds */
    int hours;            /* run length, negative = backward; 1..AIS_TRAJ_MAX_HOURS in size */
} ais_traj_start;

typedef struct ais_traj_point {
    double age_h;        /* hours since release, negative backward */
    int64_t time;        /* release time + age, epoch seconds */
    double lat, lon;     /* degrees */
    double alt_m;        /* height above ground level, m */
    double pressure_hpa; /* NaN when unknown (tdump files without a PRESSURE column) */
} ais_traj_point;

typedef struct ais_traj {
    ais_traj_point *points; /* owned; ais_traj_clear frees */
    size_t n_points;
    ais_traj_stop stop;
    double end_age_h; /* age of the last position computed (fractional when stopped early) */
    size_t steps;     /* integration steps taken */
} ais_traj;

/* Runs one trajectory. out is overwritten (call ais_traj_clear before reusing one that holds
 * points). AIS_OK when the trajectory was computed, however it stopped; AIS_ERR_RANGE when it
 * cannot start (release point outside the grid or its times, or above the top level: errbuf
 * says which); AIS_ERR_INVALID_ARG for bad arguments; AIS_ERR_NOMEM. opt NULL = defaults. */
ais_status ais_traj_run(const ais_met_grid *grid, const ais_traj_start *start,
                        const ais_traj_options *opt, ais_traj *out, char *errbuf,
                        size_t errbuf_size);

/* Frees the points and zeroes *traj. NULL is a no-op. */
void ais_traj_clear(ais_traj *traj);

/* Great-circle distance between two points, m (haversine on the sphere of radius
 * AIS_MET_EARTH_RADIUS_M). */
double ais_traj_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif
