/* The JSON-lines formats of ais-traj: the runs it reads in batch mode and the points it writes,
 * shared by the built-in engine and the tdump parser so both fill the same tables.
 *
 * A run (one JSON object per input line):
 *   {"run_id": "r1", "lat": 21.0285, "lon": 105.8542, "start": "2026-01-15T00:00:00Z",
 *    "height_m": 500, "hours": -72}
 * run_id (1..AIS_TRAJ_RUN_ID_MAX bytes of printable text), lat, lon and start are required;
 * height_m (m above ground) and hours (non-zero integer, negative = backward) default to the
 * configured trajectories.release_height_m_agl and -trajectories.back_hours. Any other key is
 * an error, so a misspelt "height" cannot silently become the default.
 *
 * A point (one JSON object per output line, keys in this order):
 *   {"run_id":"r1","traj_id":"r1-1","age_h":-1.00,"lat":21.04123,"lon":105.87012,
 *    "alt_m":494.9,"pressure_hpa":961.02,"timestamp":"2026-01-14T23:00:00Z"}
 * traj_id is "<run_id>-<trajectory number>" (1 for the built-in engine, which computes one
 * trajectory per run; HYSPLIT's trajectory number for a tdump). alt_m is metres above ground;
 * pressure_hpa is null when unknown. Numbers are printed with fixed decimals: age_h 2,
 * lat/lon 5 (about 1 m), alt_m 1, pressure_hpa 2. */
#ifndef AIS_TRAJ_OUTPUT_H
#define AIS_TRAJ_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ais/status.h"
#include "ais/traj.h"

#define AIS_TRAJ_RUN_ID_MAX 200

typedef struct ais_traj_run_spec {
    char run_id[AIS_TRAJ_RUN_ID_MAX + 1];
    ais_traj_start start;
} ais_traj_run_spec;

/* Parses one run line (len bytes, need not be NUL-terminated). default_height_m and
 * default_hours fill missing keys. On failure errbuf says why and, if the line had a readable
 * run_id, out->run_id holds it (else it is ""). AIS_ERR_JSON for text that is not a JSON
 * object, AIS_ERR_INVALID_ARG for a missing, unknown or bad field, AIS_ERR_TIME_FORMAT for a
 * bad start. */
ais_status ais_traj_parse_run(const char *line, size_t len, double default_height_m,
                              int default_hours, ais_traj_run_spec *out, char *errbuf,
                              size_t errbuf_size);

/* Checks a run id: 1..AIS_TRAJ_RUN_ID_MAX bytes, printable ASCII or valid UTF-8, no control
 * characters. */
int ais_traj_run_id_valid(const char *run_id);

/* Writes the point lines of one trajectory to out. AIS_ERR_IO if a write fails,
 * AIS_ERR_INVALID_ARG for a bad run id or NULL arguments. */
ais_status ais_traj_write_points(FILE *out, const char *run_id, int traj_no,
                                 const ais_traj_point *points, size_t n_points);

#endif
