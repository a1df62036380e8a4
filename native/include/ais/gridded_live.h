/* Live search and download of the gridded sources: every Sentinel-5P L2 product (CDSE OData),
 * every MCD19A2 granule (NASA CMR) and the ERA5 days (CDS API jobs) of a window, downloaded
 * into a folder. ais-ingest then puts them on the shared store (ais/store.h; cmd_ingest.c) and
 * decodes them with the replay's file loop (cmd_gridded.c), so live and replay give the same
 * events for the same files (file_path aside: the store URI).
 *
 *  sentinel5p  token: POST <cdse_token_url> (grant_type=password, CDSE_USERNAME/CDSE_PASSWORD,
 *              client_id cdse-public), refreshed once on a 401;
 *              search: GET <cdse_odata_base_url>/Products?$filter=Collection/Name eq
 *              'SENTINEL-5P' and contains(Name,'L2__<product>') and OData.CSC.Intersects(<bbox
 *              polygon>) and ContentDate/Start lt <end> and ContentDate/End gt <start>, one
 *              search per configured product, every page (@odata.nextLink);
 *              download: GET <cdse_download_base_url>/Products(<Id>)/$value -> <Name>
 *  maiac       GET <cmr_base_url>/granules.json?short_name=<maiac.product>&version=
 *              <maiac.collection>&bounding_box=W,S,E,N&temporal=<start>,<end>&page_size=&
 *              page_num=, every page; download: each granule's data link (rel ".../data#")
 *              -> its file name
 *  era5        per UTC day of the window and per dataset (reanalysis-era5-single-levels with
 *              era5.surface_vars at every hour, -pressure-levels with era5.pressure_vars at
 *              era5.pressure_levels_hpa and era5.pressure_hours_utc; area era5.region; GRIB):
 *              POST <cds_api_base_url>/retrieve/v1/processes/<dataset>/execution {"inputs":
 *              {...}} with PRIVATE-TOKEN: CDS_KEY, poll GET .../retrieve/v1/jobs/<jobID> until
 *              "successful" (every gridded_live.cds_poll_seconds, at most cds_max_wait_minutes),
 *              GET .../jobs/<jobID>/results -> asset.value.href -> era5_<type>_<YYYYMMDD>.grib
 *
 * A listing longer than gridded_live.max_pages pages, a job that fails or does not finish, an
 * HTTP failure (after the client's retries; a body cut short is retried) or 401/403 fails the
 * run (window not recorded); so does a search page that is not a JSON object, or has no array
 * where its entries are (OData "value", CMR "feed.entry"): a dead letter naming the URL, then
 * the failure, rather than a listing read as shorter than it is. A final 4xx on one product's
 * download is a dead letter "http_<status>" and that file is missing from the window (the run
 * still fails: the window is not complete).
 *
 * Checksums: a CDSE product whose OData entry lists a "Checksum" with Algorithm MD5 is checked
 * after its download; a mismatch is a dead letter "checksum_mismatch" (detail: both digests
 * and the file's sha256), the file is renamed <name>.checksum-mismatch (kept, never decoded)
 * and the window is incomplete. CMR's granules.json entries and the CDS job results carry no
 * checksum, and CDSE's BLAKE3 is not available in libcrypto: those files are not verified.
 *
 * Every request goes through ais/live.h: the CDSE bearer token, the Earthdata token and the
 * CDS PRIVATE-TOKEN are not sent along a redirect to another origin (scheme, host, port), and
 * the CDSE password (a POST body) is never re-sent to one. */
#ifndef AIS_GRIDDED_LIVE_H
#define AIS_GRIDDED_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "ais/config.h"
#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/fsutil.h"
#include "ais/http.h"
#include "ais/progress.h"
#include "ais/status.h"

typedef enum ais_gridded_kind { AIS_GRIDDED_S5P, AIS_GRIDDED_MAIAC, AIS_GRIDDED_ERA5 } ais_gridded_kind;

typedef struct ais_gridded_fetch_stats {
    uint64_t found;        /* products / granules / jobs the search gave */
    uint64_t downloaded;   /* files written */
    uint64_t bytes;
    uint64_t failed;       /* downloads that became dead letters */
    uint64_t verified;     /* downloads whose MD5 matched the provider's checksum */
    uint64_t pages;        /* search pages read */
} ais_gridded_fetch_stats;

/* Searches and downloads the window's files of kind into dir (created). Configuration and
 * secrets come from cfg (runtime.cdse_*, runtime.cmr_base_url, runtime.cds_api_base_url,
 * gridded_live.*, hanoi.bbox, sentinel5p.products, maiac.*, era5.*). stop (may be NULL) ends
 * the ERA5 polling early. progress (may be NULL): ERA5 makes one step per UTC day ("era5
 * download 2025-01-03", ais/progress.h). AIS_ERR_PARSE also when a download became a dead
 * letter. */
ais_status ais_gridded_live_fetch(ais_gridded_kind kind, ais_http_client *http,
                                  const ais_config *cfg, const ais_envelope *env, ais_dlq *dlq,
                                  const char *dir, const volatile sig_atomic_t *stop,
                                  ais_progress *progress, ais_gridded_fetch_stats *stats,
                                  char *errbuf, size_t errbuf_size);

#endif
