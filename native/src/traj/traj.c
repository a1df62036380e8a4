#include "ais/traj.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/timeutil.h"

#define PI 3.14159265358979323846
#define DEG (180.0 / PI)
#define RAD (PI / 180.0)

const char *ais_traj_stop_name(ais_traj_stop stop)
{
    switch (stop) {
    case AIS_TRAJ_COMPLETED: return "completed";
    case AIS_TRAJ_LEFT_GRID: return "left_grid";
    case AIS_TRAJ_ABOVE_TOP: return "above_top";
    case AIS_TRAJ_MET_ENDED: return "met_ended";
    case AIS_TRAJ_STOP_COUNT: break;
    }
    return "unknown";
}

void ais_traj_options_default(ais_traj_options *opt)
{
    if (opt == NULL)
        return;
    opt->step_fraction = 0.5;
    opt->max_step_s = 3600.0;
    opt->min_step_s = 1.0;
    opt->output_interval_s = 3600.0;
}

void ais_traj_clear(ais_traj *traj)
{
    if (traj == NULL)
        return;
    free(traj->points);
    memset(traj, 0, sizeof *traj);
}

double ais_traj_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * RAD, p2 = lat2 * RAD;
    double dp = p2 - p1, dl = (lon2 - lon1) * RAD;
    double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    if (a > 1.0)
        a = 1.0;
    return 2.0 * AIS_MET_EARTH_RADIUS_M * asin(sqrt(a));
}


static ais_traj_stop stop_for(ais_met_where where)
{
    switch (where) {
    case AIS_MET_ABOVE_TOP: return AIS_TRAJ_ABOVE_TOP;
    case AIS_MET_OUTSIDE_TIME: return AIS_TRAJ_MET_ENDED;
    case AIS_MET_INSIDE:
    case AIS_MET_OUTSIDE_GRID: break;
    }
    return AIS_TRAJ_LEFT_GRID;
}

typedef struct state {
    double lat, lon, p; /* degrees, degrees, Pa */
} state;

/* d(state)/dt for the interpolated values s at latitude lat: degrees/s and Pa/s. */
static state rates(const ais_met_values *s, double lat)
{
    state r;
    r.lat = s->v / AIS_MET_EARTH_RADIUS_M * DEG;
    r.lon = s->u / (AIS_MET_EARTH_RADIUS_M * cos(lat * RAD)) * DEG;
    r.p = s->w;
    return r;
}

static int options_valid(const ais_traj_options *o)
{
    return o->step_fraction > 0.0 && o->step_fraction <= 1.0 && o->min_step_s > 0.0 &&
           o->max_step_s >= o->min_step_s && o->output_interval_s >= 1.0 &&
           isfinite(o->max_step_s) && isfinite(o->output_interval_s);
}

static ais_status start_error(const ais_met_grid *g, const ais_traj_start *s,
                              ais_met_where where, char *errbuf, size_t errsize)
{
    char t0[AIS_TIME_ISO_SIZE] = "?", t1[AIS_TIME_ISO_SIZE] = "?", ts[AIS_TIME_ISO_SIZE] = "?";
    switch (where) {
    case AIS_MET_OUTSIDE_TIME:
        ais_time_format_iso(g->times[0], t0);
        ais_time_format_iso(g->times[g->nt - 1], t1);
        ais_time_format_iso(s->time, ts);
        return ais_status_fail(AIS_ERR_RANGE, errbuf, errsize,
                    "release time %s is outside the met data (%s .. %s)", ts, t0, t1);
    case AIS_MET_ABOVE_TOP:
        return ais_status_fail(AIS_ERR_RANGE, errbuf, errsize,
                    "release height %.1f m AGL / %.1f hPa is above the top level (%.0f hPa)",
                    s->height_m_agl, s->pressure_hpa, g->levels_hpa[g->nz - 1]);
    case AIS_MET_INSIDE:
    case AIS_MET_OUTSIDE_GRID: break;
    }
    return ais_status_fail(AIS_ERR_RANGE, errbuf, errsize,
                "release point %.4f N %.4f E is outside the met grid (%.2f..%.2f N, %.2f..%.2f E)",
                s->lat, s->lon, g->lat0, ais_met_lat(g, g->ny - 1), g->lon0,
                ais_met_lon(g, g->nx - 1));
}

/* Samples at state x; on the ground (p above the surface pressure) puts the parcel on the
 * surface and samples again there. */
static ais_status sample_clamped(const ais_met_grid *g, double t, state *x, ais_met_values *s,
                                 ais_met_where *where)
{
    ais_status st = ais_met_interp(g, t, x->lat, x->lon, x->p, s, where);
    if (st == AIS_OK && x->p > s->psfc) {
        x->p = s->psfc;
        st = ais_met_interp(g, t, x->lat, x->lon, x->p, s, where);
    }
    return st;
}

static void emit(ais_traj *out, const ais_traj_start *start, double age_s, const state *x,
                 const ais_met_values *s)
{
    ais_traj_point *pt = &out->points[out->n_points++];
    pt->age_h = age_s / 3600.0;
    pt->time = start->time + (int64_t)llround(age_s);
    pt->lat = x->lat;
    pt->lon = x->lon;
    pt->alt_m = s->hgt - s->terrain_m;
    pt->pressure_hpa = x->p / 100.0;
}

ais_status ais_traj_run(const ais_met_grid *grid, const ais_traj_start *start,
                        const ais_traj_options *opt, ais_traj *out, char *errbuf,
                        size_t errbuf_size)
{
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (grid == NULL || start == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_traj_options o;
    if (opt != NULL)
        o = *opt;
    else
        ais_traj_options_default(&o);
    if (!options_valid(&o))
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "invalid integration options");
    if (start->hours == 0 || start->hours > AIS_TRAJ_MAX_HOURS ||
        start->hours < -AIS_TRAJ_MAX_HOURS)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "hours must be 1..%d in size",
                    AIS_TRAJ_MAX_HOURS);
    if (!isfinite(start->lat) || !isfinite(start->lon) || !(start->pressure_hpa >= 0.0) ||
        (start->pressure_hpa == 0.0 && !(start->height_m_agl >= 0.0 &&
                                         isfinite(start->height_m_agl))) ||
        !isfinite(start->pressure_hpa))
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size,
                    "release position or height is not a finite number (height >= 0)");
    double dir = start->hours < 0 ? -1.0 : 1.0;
    double total = fabs((double)start->hours) * 3600.0;
    double n_out_f = total / o.output_interval_s;
    if (fabs(n_out_f - round(n_out_f)) > 1e-9)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size,
                    "output interval %.1f s does not divide the run", o.output_interval_s);
    size_t n_out = (size_t)llround(n_out_f);

    double t0 = (double)start->time;
    state x = {start->lat, start->lon, start->pressure_hpa * 100.0};
    ais_met_where where = AIS_MET_INSIDE;
    ais_status st = AIS_OK;
    if (start->pressure_hpa == 0.0)
        st = ais_met_pressure_at_agl(grid, t0, x.lat, x.lon, start->height_m_agl, &x.p, &where);
    ais_met_values s0;
    if (st == AIS_OK)
        st = sample_clamped(grid, t0, &x, &s0, &where);
    if (st == AIS_ERR_RANGE)
        return start_error(grid, start, where, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;

    out->points = malloc((n_out + 1) * sizeof *out->points);
    if (out->points == NULL)
        return AIS_ERR_NOMEM;
    emit(out, start, 0.0, &x, &s0);

    double dp_min = INFINITY;
    for (size_t k = 1; k < grid->nz; k++) {
        double d = (grid->levels_hpa[k - 1] - grid->levels_hpa[k]) * 100.0;
        if (d < dp_min)
            dp_min = d;
    }
    double elapsed = 0.0, next_out = o.output_interval_s;
    out->stop = AIS_TRAJ_COMPLETED;
    while (elapsed < total) {
        /* the adaptive step (see the header) */
        double dt = o.max_step_s;
        double speed = hypot(s0.u, s0.v);
        double cell_deg = fmin(grid->dlat, grid->dlon * cos(x.lat * RAD));
        double ds = AIS_MET_EARTH_RADIUS_M * cell_deg * RAD;
        if (speed > 0.0)
            dt = fmin(dt, o.step_fraction * ds / speed);
        if (fabs(s0.w) > 0.0)
            dt = fmin(dt, o.step_fraction * dp_min / fabs(s0.w));
        if (!(dt >= o.min_step_s)) /* also catches NaN */
            dt = o.min_step_s;
        double remaining = next_out - elapsed;
        if (dt >= remaining - 1e-6)
            dt = remaining;
        double h = dir * dt, t1 = t0 + dir * (elapsed + dt);

        state f0 = rates(&s0, x.lat);
        state xp = {x.lat + h * f0.lat, x.lon + h * f0.lon, x.p + h * f0.p};
        ais_met_values sp;
        if (ais_met_interp(grid, t1, xp.lat, xp.lon, xp.p, &sp, &where) != AIS_OK) {
            out->stop = stop_for(where);
            break;
        }
        state f1 = rates(&sp, xp.lat);
        state xc = {x.lat + 0.5 * h * (f0.lat + f1.lat), x.lon + 0.5 * h * (f0.lon + f1.lon),
                    x.p + 0.5 * h * (f0.p + f1.p)};
        ais_met_values sc;
        if (sample_clamped(grid, t1, &xc, &sc, &where) != AIS_OK) {
            out->stop = stop_for(where);
            break;
        }
        x = xc;
        s0 = sc;
        elapsed += dt;
        out->steps++;
        if (next_out - elapsed <= 1e-6) {
            elapsed = next_out;
            if (out->n_points <= n_out)
                emit(out, start, dir * elapsed, &x, &s0);
            next_out += o.output_interval_s;
        }
    }
    out->end_age_h = dir * elapsed / 3600.0;
    return AIS_OK;
}
