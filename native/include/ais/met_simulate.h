/* A deterministic, seeded, ERA5-like meteorological field for benchmarks and demos.
 *
 * SIMULATED DATA: the grid's source is AIS_MET_SOURCE_SIMULATED ("SIMU"), which the ARL writer
 * puts in every index record and ais-traj reports as met_simulated=true. Nothing computed from
 * it is a measurement.
 *
 * Every value is a pure function of (seed, time, latitude, longitude, pressure): overlapping
 * windows give identical values. The model, in the spirit of the East Asian monsoon over
 * Indochina and southern China:
 *
 *   season   w = (1 + cos(2 pi (day_of_year - 15) / 365.25)) / 2: 1 mid-January, 0 mid-July
 *   terrain  Gaussian massifs: the Tibetan plateau edge (NW corner, ~4500 m), the Yunnan-Guizhou
 *            plateau (~2000 m), Hoang Lien Son (~2200 m), the Truong Son (Annamite) chain and the
 *            Central Highlands; the sea and the Red River delta stay near 0 m
 *   MSL pressure  1010 hPa + winter Siberian-high ridge rising northward / summer monsoon trough,
 *            plus travelling synoptic waves (+-3 hPa)
 *   temperature   sea-level temperature falling northward (much more in winter), a diurnal
 *            cycle in t2m only, lapse rate 6.5 K/km aloft (standard-atmosphere profile)
 *   heights  from the hypsometric equation of that profile, so z, t and psfc agree
 *   winds    low levels (1000-850 hPa): winter north-easterly monsoon (~6-8 m/s, strengthened
 *            by cold surges that come every few days), summer south-westerly monsoon (~6-9 m/s);
 *            upper levels (500-400 hPa): winter westerlies with a subtropical jet near 30 N
 *            (~35 m/s at 400 hPa), weak summer flow; blended smoothly with pressure;
 *            plus non-divergent travelling waves (stream function, 1500-4000 km wavelengths,
 *            ~2-6 m/s, growing with height); 10 m wind = 0.7 x the 1000 hPa wind
 *   omega    winter subsidence, summer monsoon ascent, wave-related up/down motion; zero at
 *            the ground, largest mid-troposphere, |omega| < ~0.3 Pa/s */
#ifndef AIS_MET_SIMULATE_H
#define AIS_MET_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "ais/config.h"
#include "ais/met.h"
#include "ais/status.h"

#define AIS_MET_SIM_MAX_HOURS 24 /* at most one analysis time per UTC hour of the day */

typedef struct ais_met_sim_params {
    uint64_t seed;
    double west, east, south, north; /* degrees; whole multiples of grid_deg away from each other */
    double grid_deg;                 /* spacing, e.g. 0.25 */
    double levels_hpa[AIS_MET_MAX_LEVELS]; /* strictly decreasing */
    size_t n_levels;
    int hours_utc[AIS_MET_SIM_MAX_HOURS]; /* analysis hours of the day, e.g. 0 6 12 18 */
    size_t n_hours;
} ais_met_sim_params;

/* From the configuration: simulate.seed, era5.region.{west,east,south,north},
 * era5.pressure_levels_hpa, era5.pressure_hours_utc; grid_deg is ERA5's 0.25. Missing keys give
 * AIS_ERR_KEY_NOT_FOUND, bad values AIS_ERR_CONFIG_INVALID. */
ais_status ais_met_sim_params_from_config(const ais_config *cfg, ais_met_sim_params *out);

/* A new grid (caller frees with ais_met_grid_free) with every analysis time t of the parameters'
 * hours in [start, end] (both epoch seconds, inclusive). AIS_ERR_INVALID_ARG for bad parameters
 * or a window without any analysis time. */
ais_status ais_met_simulate(const ais_met_sim_params *params, int64_t start, int64_t end,
                            ais_met_grid **out);

#endif
