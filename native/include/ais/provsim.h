/* Simulated providers: what the five remote APIs of the live adapters would serve, written as
 * files in the providers' own formats, with values from AIS's simulated fields:
 *
 *   <out>/weather-provinces.json               {"<q as weather --mode live sends it>": "<folder>"}
 *   <out>/weather/<folder>/<YYYY-MM-DD>.json   a WeatherAPI history.json body per province and day
 *   <out>/openaq/locations.json                OpenAQ v3 /locations results (an array)
 *   <out>/openaq/sensors/<sensor id>.json      OpenAQ v3 /sensors/{id}/hours results (an array,
 *                                              ascending by period.datetimeFrom.utc)
 *   <out>/sentinel5p/<S5P L2 file name>.nc     per configured product and UTC day
 *   <out>/maiac/MCD19A2.AYYYYDDD.hHHvVV.061.<production>.hdf   per tile over Hanoi and UTC day
 *   <out>/era5/<CDS dataset>/<YYYY-MM-DD>.grib per dataset (reanalysis-era5-single-levels,
 *                                              reanalysis-era5-pressure-levels) and UTC day
 *
 * The fixture server plays them over HTTP (native/tests/fixtures/http_server.py --sim-dir, the
 * "sim" scenario), so that `ais-ingest <source> --mode live --provider simulated` runs the real
 * live path (requests, paging, downloads, the shared store, the decoders) on simulated data, every
 * record labelled source "simulated". Nothing here is a measurement. The same (seed, window,
 * configuration) always gives the same bytes. */
#ifndef AIS_PROVSIM_H
#define AIS_PROVSIM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/status.h"

typedef struct ais_provsim_request {
    const ais_config *cfg; /* hanoi.*, era5.*, sentinel5p.*, maiac.*, simulate.* */
    uint64_t seed;         /* simulate.seed unless --seed */
    int64_t start, end;    /* [start, end), epoch seconds, whole UTC days */
    const char *out_dir;   /* <out>: created if missing; each source writes below its folder */
} ais_provsim_request;

typedef struct ais_provsim_stats {
    uint64_t files; /* files written */
    uint64_t bytes; /* their total size */
} ais_provsim_stats;

typedef ais_status (*ais_provsim_fn)(const ais_provsim_request *req, ais_provsim_stats *stats,
                                     char *errbuf, size_t errsize);

/* Each writes its source's files for the request's window (stats accumulate). */
ais_status ais_provsim_weather(const ais_provsim_request *req, ais_provsim_stats *stats,
                               char *errbuf, size_t errsize);
ais_status ais_provsim_openaq(const ais_provsim_request *req, ais_provsim_stats *stats,
                              char *errbuf, size_t errsize);
ais_status ais_provsim_sentinel5p(const ais_provsim_request *req, ais_provsim_stats *stats,
                                  char *errbuf, size_t errsize);
ais_status ais_provsim_maiac(const ais_provsim_request *req, ais_provsim_stats *stats,
                             char *errbuf, size_t errsize);
ais_status ais_provsim_era5(const ais_provsim_request *req, ais_provsim_stats *stats,
                            char *errbuf, size_t errsize);

/* Shared by the writers. AIS_ERR_INVALID_ARG (errbuf names source) unless req has a
 * configuration, an output folder and a window of whole UTC days, and stats is given; then
 * *params = the simulators' parameters of the configuration (hanoi.utc_offset_hours,
 * hanoi.bbox.*) with req->seed as the seed. */
struct ais_sim_params;
ais_status ais_provsim_begin(const ais_provsim_request *req, const ais_provsim_stats *stats,
                             const char *source, struct ais_sim_params *params, char *errbuf,
                             size_t errsize);
/* <dir>/<name> := the len bytes of data: dir and its parents created,
 * the file replaced atomically (ais_fs_write_atomic), stats counted. A failure is reported in
 * errbuf with the path and the system's reason. */
ais_status ais_provsim_write_file(const char *dir, const char *name, const void *data, size_t len,
                                  ais_provsim_stats *stats, char *errbuf, size_t errsize);
/* The same with doc (an object or an array) as compact JSON: keys in insertion order, reals with
 * the sinks' 15 significant digits (ais_json_append_compact), so a value the simulator rounded to
 * 0.1 reads 16.5, not 16.500000000000004. */
ais_status ais_provsim_write_json(const char *dir, const char *name, const json_t *doc,
                                  ais_provsim_stats *stats, char *errbuf, size_t errsize);

#endif
