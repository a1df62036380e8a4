/* `ais-ingest <source> ...`: one window of one source into one sink, then one JSON summary
 * line on stdout.
 *
 *   openaq  --mode simulate   the deterministic Hanoi PM2.5 simulator (source "simulated")
 *   openaq  --mode replay     AirNow DOS CSV files as a station feed (source "airnow")
 *   weather --mode simulate   the deterministic 24-province weather simulator
 *   weather --mode replay     recorded WeatherAPI history.json bodies (source "weatherapi")
 *   sentinel5p|maiac|era5 --mode replay    S5P L2 netCDF, MCD19A2 HDF4, ERA5 GRIB/netCDF files
 *                             (sources "sentinel5p", "maiac", "era5"; cmd_gridded.c)
 *   sentinel5p|maiac|era5 --mode simulate  their seeded simulators
 *   sentinel5p|maiac|era5 --mode live      CDSE / CMR / CDS downloads (ais/gridded_live.h),
 *                             put on the shared store (ais/store.h), events naming the store URIs
 *   --sink landing            JSON-lines files under <landing_dir>/<topic>/, dead letters under
 *                             <landing_dir>/<kafka.topics.dlq>/
 *   --sink kafka              the topics kafka.topics.<source> and kafka.topics.dlq on
 *                             runtime.kafka_bootstrap_servers
 *
 * The window is [--start, --end) on hour boundaries; without --start it starts where the last
 * successful run of the same source, mode and sink ended (ais/window_state.h). The state is
 * written only when every event reached its sink.
 *
 *   weather --mode live       WeatherAPI history.json per local day and province (ais/weather.h)
 *   weather-forecast --mode live|simulate   WeatherAPI forecast.json per configured province
 *                             (weather_forecast.provinces), or simulated issues every
 *                             weather_forecast.simulate_issue_every_hours (ais/weather_forecast.h)
 *   openaq  --mode live       OpenAQ v3 locations, sensors and hours (ais/openaq.h)
 *   --window realtime         live only: poll until SIGTERM/SIGINT (or --max-polls), each poll
 *                             one window from the persisted state to the last complete hour
 *                             (weather: the last complete local day), one summary line each
 * The other sources are recognised and refused with exit code 2. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "ais/airnow.h"
#include "ais/config.h"
#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/fsutil.h"
#include "ais/gridded_live.h"
#include "ais/http.h"
#include "ais/ingest_cli.h"
#include "ais/jsonutil.h"
#include "ais/kafka.h"
#include "ais/landing.h"
#include "ais/openaq.h"
#include "ais/simulate.h"
#include "ais/store.h"
#include "ais/timeutil.h"
#include "ais/weather.h"
#include "ais/weather_forecast.h"
#include "ais/weather_vc.h"
#include "ais/window_state.h"
#include "cmd_gridded.h"
#include "commands.h"

#define STATE_SUBDIR "var/state/ingest"

typedef struct run {
    ais_ingest_args args;
    ais_logger *logger;
    ais_config *cfg;
    const char *event_source; /* the envelope's source */
    const char *window_mode;
    const char *topic;     /* kafka.topics.<source>, owned by cfg */
    const char *dlq_topic; /* kafka.topics.dlq */
    char *landing_dir;
    char *state_dir;
    char *state_path;
    char state_key[32];
    ais_window_lock *lock;
    const char *window_from; /* "flags" or "state" */
    bool window_empty;
    ais_sim_params params;
    unsigned stations;
    unsigned provinces;
    /* weather-forecast: weather_forecast.provinces, and the simulated issue cadence */
    const ais_weather_province *fc_provinces[32];
    size_t n_fc_provinces;
    unsigned fc_issue_every_hours;
    ais_envelope env;
    ais_landing *landing, *dlq_landing;
    ais_kafka *kafka;
    ais_sink sink, dlq_sink;
    ais_dlq dlq;
    bool dlq_ready;
    bool ran; /* the adapter started */
    ais_replay_stats input;
    uint64_t generated;
    ais_landing_stats landing_stats, dlq_landing_stats;
    ais_kafka_stats kafka_stats;
    ais_http_client *http; /* live mode */
    ais_http_stats http_stats;
    char *download_dir; /* gridded live: where this window's files were downloaded */
    ais_gridded_fetch_stats fetch_stats;
    char *store_dir; /* gridded live: the shared-store folder they were put in */
    struct {
        uint64_t files, bytes, skipped; /* put, their bytes, already there (hdfs://) */
        bool local_removed;             /* download_dir removed after the puts */
    } store_stats;
    json_t *gridded_input; /* sentinel5p, maiac, era5: what their replay adds to "input" */
    char error[1024]; /* why the run failed, for the log and the summary */
} run;

/* Set by SIGTERM/SIGINT in realtime mode: the one piece of global state, because a signal
 * handler can reach nothing else. Waits and transfers end early; the window under way is not
 * recorded. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char *config_topic_key(ais_source source)
{
    if (ais_gridded_source(source))
        return ais_gridded_topic_key(source);
    if (source == AIS_SOURCE_WEATHER_VC)
        return "kafka.topics.weather_vc";
    if (source == AIS_SOURCE_WEATHER_FORECAST)
        return "kafka.topics.weather_forecast";
    return source == AIS_SOURCE_WEATHER ? "kafka.topics.weather" : "kafka.topics.openaq";
}

static ais_status landing_dir_from_config(run *r)
{
    if (r->args.landing_dir != NULL) {
        /* a path typed on the command line is relative to the caller's directory */
        r->landing_dir = strdup(r->args.landing_dir);
        return r->landing_dir != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    const char *configured = ais_config_get(r->cfg, "runtime.landing_dir");
    if (configured == NULL || configured[0] == '\0') {
        snprintf(r->error, sizeof r->error,
                 "runtime.landing_dir (env LANDING_DIR) is empty; set it or pass --landing-dir");
        return AIS_ERR_CONFIG_INVALID;
    }
    return ais_config_resolve_path(r->cfg, configured, &r->landing_dir);
}

static ais_status topics_from_config(run *r)
{
    const char *key = config_topic_key(r->args.source);
    r->topic = ais_config_get(r->cfg, key);
    r->dlq_topic = ais_config_get(r->cfg, "kafka.topics.dlq");
    if (r->topic == NULL || r->topic[0] == '\0' || r->dlq_topic == NULL ||
        r->dlq_topic[0] == '\0') {
        snprintf(r->error, sizeof r->error, "%s and kafka.topics.dlq must name topics", key);
        return AIS_ERR_CONFIG_INVALID;
    }
    return AIS_OK;
}

/* The window: explicit flags win; else the persisted state; else a usage error. */
static ais_status resolve_window(run *r)
{
    const char *dir = r->args.state_dir;
    ais_status st;
    if (dir != NULL) {
        r->state_dir = strdup(dir);
        st = r->state_dir != NULL ? AIS_OK : AIS_ERR_NOMEM;
    } else {
        /* runtime.ingest_state_dir (env INGEST_STATE_DIR), else var/state/ingest */
        const char *configured = ais_config_get(r->cfg, "runtime.ingest_state_dir");
        if (configured != NULL && configured[0] != '\0')
            st = ais_config_resolve_path(r->cfg, configured, &r->state_dir);
        else
            st = ais_fs_path_join(ais_config_project_root(r->cfg), STATE_SUBDIR, &r->state_dir);
    }
    if (st == AIS_OK)
        st = ais_window_state_path(r->state_dir, ais_source_name(r->args.source), &r->state_path);
    if (st != AIS_OK)
        return st;
    snprintf(r->state_key, sizeof r->state_key, "%s/%s", ais_source_mode_name(r->args.mode),
             ais_sink_kind_name(r->args.sink));
    st = ais_window_lock_acquire(r->state_dir, ais_source_name(r->args.source), &r->lock);
    if (st == AIS_ERR_BUSY) {
        snprintf(r->error, sizeof r->error,
                 "another %s run holds the window state lock in %s; wait for it to finish",
                 ais_source_name(r->args.source), r->state_dir);
        return st;
    }
    if (st != AIS_OK) {
        snprintf(r->error, sizeof r->error, "cannot lock the window state in %s: %s",
                 r->state_dir, strerror(errno));
        return st;
    }
    if (r->args.has_start) {
        r->window_from = "flags";
    } else {
        ais_window_state state;
        st = ais_window_state_load(r->state_dir, ais_source_name(r->args.source), r->state_key,
                                   &state, r->error, sizeof r->error);
        if (st != AIS_OK)
            return st;
        if (!state.found) {
            snprintf(r->error, sizeof r->error,
                     "--start is required: no window state for %s %s in %s",
                     ais_source_name(r->args.source), r->state_key, r->state_path);
            return AIS_ERR_USAGE;
        }
        r->args.window_start = state.next_start;
        r->window_from = "state";
    }
    r->window_empty = r->args.window_start >= r->args.window_end;
    return AIS_OK;
}

static ais_status live_secret(run *r, const char *name, const char **out)
{
    *out = ais_config_secret(r->cfg, name);
    if (*out == NULL || (*out)[0] == '\0') {
        snprintf(r->error, sizeof r->error, "%s --mode live needs the secret %s in the environment",
                 ais_source_name(r->args.source), name);
        return AIS_ERR_CONFIG_INVALID;
    }
    return AIS_OK;
}

static ais_status live_base_url(run *r, const char *key, const char **out)
{
    *out = ais_config_get(r->cfg, key);
    if (*out == NULL || (*out)[0] == '\0') {
        snprintf(r->error, sizeof r->error, "%s (env %s) is empty", key, key + strlen("runtime."));
        return AIS_ERR_CONFIG_INVALID;
    }
    return AIS_OK;
}

static ais_store_options store_options(const run *r)
{
    ais_store_options o = {.webhdfs_base = ais_config_get(r->cfg, "runtime.hdfs_webhdfs_base"),
                           .http = r->http};
    return o;
}

/* sentinel5p, maiac, era5 live: the shared-store folder of this window's raw files,
 * <raw store>/<source>/<YYYY>/<MM>/<DD> (the UTC day of the window start), checked before
 * anything is downloaded (an unsupported scheme, or hdfs:// without runtime.hdfs_webhdfs_base,
 * fails the run here). */
static ais_status prepare_raw_store(run *r)
{
    char *root = NULL, sub[96];
    ais_civil_time day;
    ais_status st = ais_store_raw_root(r->cfg, &root, r->error, sizeof r->error);
    if (st != AIS_OK)
        return st;
    ais_store_options o = store_options(r);
    st = ais_store_check(&o, root, NULL, r->error, sizeof r->error);
    if (st == AIS_OK)
        st = ais_time_to_civil(r->args.window_start, &day);
    if (st == AIS_OK) {
        snprintf(sub, sizeof sub, "%s/%04d/%02d/%02d", ais_source_name(r->args.source), day.year,
                 day.month, day.day);
        st = ais_fs_path_join(root, sub, &r->store_dir);
    }
    free(root);
    return st;
}

static ais_status prepare_live(run *r)
{
    ais_http_options opts;
    ais_status st;
    r->window_mode = r->args.realtime ? "realtime" : "batch";
    r->event_source = r->args.source == AIS_SOURCE_WEATHER ||
                              r->args.source == AIS_SOURCE_WEATHER_FORECAST
                          ? AIS_WEATHER_SOURCE
                          : AIS_OPENAQ_LIVE_SOURCE;
    if (ais_gridded_source(r->args.source))
        r->event_source = ais_gridded_event_source(r->args.source);
    if (r->args.simulated_provider)
        r->event_source = "simulated"; /* the endpoints play ais-provider-sim's files */
    if ((st = ais_sim_params_from_config(r->cfg, &r->params)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "hanoi.utc_offset_hours or hanoi.bbox.* missing or invalid");
        return st;
    }
    if ((st = ais_http_options_from_config(r->cfg, &opts, r->error, sizeof r->error)) != AIS_OK)
        return st;
    opts.stop = &stop_requested;
    r->provinces = r->args.has_provinces ? r->args.provinces
                                         : (unsigned)ais_weather_province_count();
    if ((st = ais_http_client_new(&opts, r->logger, &r->http)) != AIS_OK)
        return st;
    return ais_gridded_source(r->args.source) ? prepare_raw_store(r) : AIS_OK;
}

/* Every file of the window's download folder to <store_dir>/<its name>. The first failure ends
 * the window (before any event is written). */
static ais_status store_downloads(run *r, char *errbuf, size_t errsize)
{
    ais_path_list files;
    if (ais_fs_list_files(r->download_dir, "", &files) != AIS_OK)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot list %s: %s",
                               r->download_dir, strerror(errno));
    ais_store_options o = store_options(r);
    size_t dlen = strlen(r->download_dir);
    ais_status st = AIS_OK;
    for (size_t i = 0; i < files.count && st == AIS_OK; i++) {
        const char *rel = files.paths[i] + dlen + 1; /* listed as <download_dir>/<rel> */
        char *uri = NULL;
        ais_store_put_result put;
        if ((st = ais_fs_path_join(r->store_dir, rel, &uri)) != AIS_OK)
            break;
        st = ais_store_put_file(&o, files.paths[i], uri, &put, errbuf, errsize);
        if (st == AIS_OK) {
            r->store_stats.files++;
            r->store_stats.bytes += put.bytes;
            r->store_stats.skipped += put.skipped ? 1u : 0u;
            ais_log(r->logger, AIS_LOG_DEBUG, "raw_file_stored",
                    AIS_F_STR("source", ais_source_name(r->args.source)), AIS_F_STR("uri", uri),
                    AIS_F_INT("bytes", (int64_t)put.bytes), AIS_F_BOOL("skipped", put.skipped),
                    AIS_F_END);
        }
        free(uri);
    }
    ais_path_list_free(&files);
    return st;
}

/* sentinel5p, maiac, era5: search and download into <state dir>/downloads/<source>/<window>/
 * (emptied first: leftovers of an earlier, interrupted run of the same window are not this
 * run's files), put every downloaded file on the shared store (prepare_raw_store; ais/store.h),
 * then the replay's file loop over the local folder, the events naming the store URIs (the same
 * events as a replay of those files otherwise). A file that cannot be put fails the window
 * before any event is written, and the local folder is kept; once every file is on the store
 * and decoded, the local folder is removed. Files that did download are stored and decoded even
 * when others did not; the window then fails. */
static ais_status run_gridded_live(run *r, char *errbuf, size_t errsize)
{
    char start[AIS_TIME_COMPACT_SIZE], end[AIS_TIME_COMPACT_SIZE], sub[160];
    ais_status st = ais_time_format_compact(r->args.window_start, start);
    if (st == AIS_OK)
        st = ais_time_format_compact(r->args.window_end, end);
    if (st != AIS_OK)
        return st;
    snprintf(sub, sizeof sub, "downloads/%s/%s_%s", ais_source_name(r->args.source), start, end);
    if ((st = ais_fs_path_join(r->state_dir, sub, &r->download_dir)) != AIS_OK)
        return st;
    if (ais_fs_remove_tree(r->download_dir) != AIS_OK)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot empty %s: %s",
                               r->download_dir, strerror(errno));
    ais_gridded_kind kind = r->args.source == AIS_SOURCE_SENTINEL5P ? AIS_GRIDDED_S5P
                            : r->args.source == AIS_SOURCE_MAIAC    ? AIS_GRIDDED_MAIAC
                                                                    : AIS_GRIDDED_ERA5;
    /* one progress line per file downloaded (S5P, MAIAC) or per day of CDS jobs (ERA5), in the
     * human log format (ais/progress.h) */
    ais_progress progress;
    ais_progress_init(&progress, ais_source_name(r->args.source), ais_log_format_from_env(),
                      stderr, r->logger);
    st = ais_gridded_live_fetch(kind, r->http, r->cfg, &r->env, &r->dlq, r->download_dir,
                                &stop_requested, &progress, &r->fetch_stats, errbuf, errsize);
    if (st != AIS_OK && st != AIS_ERR_PARSE)
        return st;
    ais_status pst = store_downloads(r, errbuf, errsize);
    if (pst != AIS_OK)
        return pst;
    char derr[512] = "";
    ais_status dst = ais_gridded_run(r->args.source, AIS_MODE_REPLAY, r->download_dir,
                                     r->store_dir, 0, r->cfg, r->logger, &r->env, &r->sink,
                                     &r->dlq, &r->input, &r->generated, &r->gridded_input, derr,
                                     sizeof derr);
    if (st == AIS_OK && dst != AIS_OK) {
        ais_format_message(errbuf, errsize, "%s", derr);
        st = dst;
    }
    /* every file is on the store: the local copies are scratch */
    if (ais_fs_remove_tree(r->download_dir) == AIS_OK)
        r->store_stats.local_removed = true;
    else
        ais_log(r->logger, AIS_LOG_WARNING, "download_dir_not_removed",
                AIS_F_STR("dir", r->download_dir), AIS_F_STR("error", strerror(errno)),
                AIS_F_END);
    ais_log(r->logger, AIS_LOG_INFO, "raw_files_stored",
            AIS_F_STR("source", ais_source_name(r->args.source)),
            AIS_F_STR("store_dir", r->store_dir), AIS_F_INT("files", (int64_t)r->store_stats.files),
            AIS_F_INT("bytes", (int64_t)r->store_stats.bytes),
            AIS_F_INT("skipped", (int64_t)r->store_stats.skipped), AIS_F_END);
    return st;
}

/* WeatherAPI's endpoint and key (weather and weather-forecast live). */
static ais_status weatherapi_access(run *r, const char **base_url, const char **api_key,
                                    char *errbuf, size_t errsize)
{
    ais_status st = live_base_url(r, "runtime.weatherapi_base_url", base_url);
    if (st == AIS_OK)
        st = live_secret(r, "WEATHER_API_KEY", api_key);
    if (st != AIS_OK)
        ais_format_message(errbuf, errsize, "%s", r->error);
    return st;
}

static ais_status run_weather_live(run *r, char *errbuf, size_t errsize)
{
    ais_weather_live_params p = {.utc_offset_hours = r->params.utc_offset_hours,
                                 .n_provinces = r->provinces};
    ais_status st = weatherapi_access(r, &p.base_url, &p.api_key, errbuf, errsize);
    if (st != AIS_OK)
        return st;
    return ais_weather_live(r->http, &p, &r->env, &r->sink, &r->dlq, &r->input, errbuf, errsize);
}

/* weather_forecast.provinces (names of ais/weather.h's list) and, for --mode simulate,
 * weather_forecast.simulate_issue_every_hours (1..24). */
static ais_status forecast_config(run *r)
{
    size_t n = 0;
    long every = 0;
    const size_t max = sizeof r->fc_provinces / sizeof r->fc_provinces[0];
    if (ais_config_list_len(r->cfg, "weather_forecast.provinces", &n) != AIS_OK || n == 0 ||
        n > max) {
        snprintf(r->error, sizeof r->error, "weather_forecast.provinces must list 1..%zu provinces",
                 max);
        return AIS_ERR_CONFIG_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "weather_forecast.provinces.%zu", i);
        const char *name = ais_config_get(r->cfg, key);
        r->fc_provinces[i] = name != NULL ? ais_weather_province_find(name) : NULL;
        if (r->fc_provinces[i] == NULL) {
            snprintf(r->error, sizeof r->error, "%s (%s) is not one of the provinces of weather.h",
                     key, name != NULL ? name : "absent");
            return AIS_ERR_CONFIG_INVALID;
        }
    }
    r->n_fc_provinces = n;
    if (r->args.mode == AIS_MODE_SIMULATE &&
        (ais_config_get_long(r->cfg, "weather_forecast.simulate_issue_every_hours", &every) !=
             AIS_OK ||
         every < 1 || every > 24)) {
        snprintf(r->error, sizeof r->error,
                 "weather_forecast.simulate_issue_every_hours must be 1..24");
        return AIS_ERR_CONFIG_INVALID;
    }
    r->fc_issue_every_hours = (unsigned)every;
    return AIS_OK;
}

static ais_status run_weather_forecast_live(run *r, char *errbuf, size_t errsize)
{
    ais_weather_forecast_live_params p = {.provinces = r->fc_provinces,
                                          .n_provinces = r->n_fc_provinces};
    ais_status st = weatherapi_access(r, &p.base_url, &p.api_key, errbuf, errsize);
    if (st != AIS_OK)
        return st;
    return ais_weather_forecast_live(r->http, &p, &r->env, &r->sink, &r->dlq, &r->input, errbuf,
                                     errsize);
}

#define OPENAQ_MAX_PARAMETERS 32

static ais_status run_openaq_live(run *r, char *errbuf, size_t errsize)
{
    const char *names[OPENAQ_MAX_PARAMETERS];
    size_t n = 0;
    long limit = 0, max_pages = 0;
    ais_openaq_live_params p = {.west = r->params.bbox.west, .south = r->params.bbox.south,
                                .east = r->params.bbox.east, .north = r->params.bbox.north,
                                .parameters = names};
    ais_status st = live_base_url(r, "runtime.openaq_base_url", &p.base_url);
    if (st == AIS_OK)
        st = live_secret(r, "OPENAQ_API_KEY", &p.api_key);
    if (st == AIS_OK && (ais_config_list_len(r->cfg, "openaq.parameters", &n) != AIS_OK ||
                         n == 0 || n > OPENAQ_MAX_PARAMETERS ||
                         ais_config_get_long(r->cfg, "openaq.page_limit", &limit) != AIS_OK ||
                         limit < 1 || limit > 100000 ||
                         ais_config_get_long(r->cfg, "openaq.max_pages", &max_pages) != AIS_OK ||
                         max_pages < 1 || max_pages > 1000000)) {
        snprintf(r->error, sizeof r->error,
                 "openaq.parameters (1..%d names), openaq.page_limit (1..100000) and "
                 "openaq.max_pages (1..1000000) are required",
                 OPENAQ_MAX_PARAMETERS);
        st = AIS_ERR_CONFIG_INVALID;
    }
    for (size_t i = 0; st == AIS_OK && i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "openaq.parameters.%zu", i);
        names[i] = ais_config_get(r->cfg, key);
        if (names[i] == NULL || names[i][0] == '\0') {
            snprintf(r->error, sizeof r->error, "%s must name a parameter", key);
            st = AIS_ERR_CONFIG_INVALID;
        }
    }
    if (st != AIS_OK) {
        ais_format_message(errbuf, errsize, "%s", r->error);
        return st;
    }
    p.n_parameters = n;
    p.page_limit = (unsigned)limit;
    p.max_pages = (unsigned)max_pages;
    p.countries_id = ais_config_get(r->cfg, "openaq.countries_id");
    return ais_openaq_live(r->http, &p, &r->env, &r->sink, &r->dlq, &r->input, errbuf, errsize);
}

static ais_status prepare_source(run *r)
{
    ais_status st;
    if (r->args.mode == AIS_MODE_SIMULATE) {
        r->event_source = "simulated";
        r->window_mode = "batch";
        if ((st = ais_sim_params_from_config(r->cfg, &r->params)) != AIS_OK) {
            snprintf(r->error, sizeof r->error,
                     "simulate.seed, hanoi.utc_offset_hours or hanoi.bbox.* missing or invalid");
            return st;
        }
        if (r->args.has_seed)
            r->params.seed = r->args.seed;
        if (r->args.source == AIS_SOURCE_WEATHER_FORECAST)
            return forecast_config(r);
        if (r->args.source == AIS_SOURCE_OPENAQ) {
            if (r->args.has_stations) {
                r->stations = r->args.stations;
            } else if ((st = ais_sim_stations_from_config(r->cfg, &r->stations)) != AIS_OK) {
                snprintf(r->error, sizeof r->error, "simulate.openaq_stations must be 1..%d",
                         AIS_SIM_MAX_STATIONS);
                return st;
            }
        } else {
            r->provinces = r->args.has_provinces ? r->args.provinces
                                                 : (unsigned)ais_weather_province_count();
        }
        return AIS_OK;
    }
    if (r->args.mode == AIS_MODE_LIVE && r->args.source == AIS_SOURCE_WEATHER_FORECAST &&
        (st = forecast_config(r)) != AIS_OK)
        return st;
    if (r->args.mode == AIS_MODE_LIVE)
        return prepare_live(r);
    /* replay */
    r->window_mode = "replay";
    r->event_source = r->args.source == AIS_SOURCE_WEATHER ? AIS_WEATHER_SOURCE
                                                           : AIS_AIRNOW_SOURCE;
    if (ais_gridded_source(r->args.source))
        r->event_source = ais_gridded_event_source(r->args.source);
    if (r->args.source == AIS_SOURCE_WEATHER_VC)
        r->event_source = AIS_VC_SOURCE;
    struct stat sb;
    if (stat(r->args.replay_dir, &sb) != 0) {
        snprintf(r->error, sizeof r->error, "--replay-dir %s: %s", r->args.replay_dir,
                 strerror(errno));
        return AIS_ERR_IO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(r->error, sizeof r->error, "--replay-dir %s is not a directory",
                 r->args.replay_dir);
        return AIS_ERR_IO;
    }
    if ((r->args.source == AIS_SOURCE_OPENAQ || r->args.source == AIS_SOURCE_WEATHER_VC) &&
        (st = ais_sim_params_from_config(r->cfg, &r->params)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "hanoi.utc_offset_hours missing or invalid");
        return st;
    }
    return AIS_OK;
}

static ais_status open_sinks(run *r)
{
    ais_status st;
    if (r->args.sink == AIS_SINK_KAFKA) {
        const char *bootstrap = ais_config_get(r->cfg, "runtime.kafka_bootstrap_servers");
        if (bootstrap == NULL || bootstrap[0] == '\0') {
            snprintf(r->error, sizeof r->error,
                     "runtime.kafka_bootstrap_servers (env KAFKA_BOOTSTRAP_SERVERS) is empty; "
                     "--sink kafka needs a broker");
            return AIS_ERR_CONFIG_INVALID;
        }
        ais_kafka_security security;
        if ((st = ais_kafka_security_from_config(r->cfg, &security, r->error,
                                                 sizeof r->error)) != AIS_OK)
            return st;
        ais_kafka_options opts = {.bootstrap_servers = bootstrap,
                                  .security = &security,
                                  .topic = r->topic,
                                  .dlq_topic = r->dlq_topic,
                                  .source = r->event_source,
                                  .request_id = r->env.request_id,
                                  .timeout_ms = r->args.kafka_timeout_ms,
                                  .logger = r->logger};
        st = ais_kafka_open(&opts, &r->kafka, r->error, sizeof r->error);
        if (st == AIS_OK)
            st = ais_kafka_events_sink(r->kafka, &r->sink);
        if (st == AIS_OK)
            st = ais_kafka_dlq_sink(r->kafka, &r->dlq_sink);
        return st;
    }
    if ((st = landing_dir_from_config(r)) != AIS_OK)
        return st;
    ais_landing_options opts = {
        .landing_dir = r->landing_dir,
        .topic = r->topic,
        .window_start = r->args.window_start,
        .window_end = r->args.window_end,
        .batch_max_events = r->args.batch_events,
    };
    if ((st = ais_landing_open(&opts, &r->landing)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "cannot create %s/%s: %s", r->landing_dir, r->topic,
                 strerror(errno));
        return st;
    }
    opts.topic = r->dlq_topic;
    if ((st = ais_landing_open(&opts, &r->dlq_landing)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "cannot create %s/%s: %s", r->landing_dir,
                 r->dlq_topic, strerror(errno));
        return st;
    }
    st = ais_landing_as_sink(r->landing, &r->sink);
    if (st == AIS_OK)
        st = ais_landing_as_sink(r->dlq_landing, &r->dlq_sink);
    return st;
}

/* Everything that must hold before the first event is generated. */
static ais_status prepare(run *r)
{
    char errbuf[AIS_CONFIG_ERRBUF_SIZE];
    ais_status st = ais_config_load_ex(r->args.config_path, &r->cfg, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        snprintf(r->error, sizeof r->error, "%s", errbuf);
        return st;
    }
    if ((st = ais_logger_apply_config(r->logger, r->cfg)) != AIS_OK) {
        snprintf(r->error, sizeof r->error,
                 "runtime.log_level must be debug, info, warning or error");
        return st;
    }
    ais_cli_log_file(r->logger, r->cfg, ais_source_name(r->args.source));
    if ((st = topics_from_config(r)) != AIS_OK)
        return st;
    if ((st = resolve_window(r)) != AIS_OK)
        return st;
    if (r->window_empty)
        return AIS_OK;
    if ((st = prepare_source(r)) != AIS_OK)
        return st;
    if ((st = ais_envelope_init(&r->env, r->event_source, r->window_mode, r->args.window_start,
                                r->args.window_end)) != AIS_OK) {
        snprintf(r->error, sizeof r->error, "cannot draw a request id");
        return st;
    }
    if ((st = open_sinks(r)) != AIS_OK)
        return st;
    if ((st = ais_dlq_init(&r->dlq, &r->dlq_sink, r->event_source, r->topic,
                           r->env.request_id)) != AIS_OK)
        return st;
    r->dlq_ready = true;
    return AIS_OK;
}

static const char *sink_error(const run *r)
{
    if (r->kafka != NULL && ais_kafka_error(r->kafka)[0])
        return ais_kafka_error(r->kafka);
    if (r->landing != NULL && ais_landing_error(r->landing)[0])
        return ais_landing_error(r->landing);
    if (r->dlq_landing != NULL && ais_landing_error(r->dlq_landing)[0])
        return ais_landing_error(r->dlq_landing);
    return NULL;
}

static ais_status run_adapter(run *r)
{
    char errbuf[sizeof r->error] = "";
    ais_status st;
    r->ran = true;
    /* the replays: one progress line per file on stderr (human log format, ais/progress.h) */
    ais_progress progress;
    ais_progress_init(&progress, ais_source_name(r->args.source), ais_log_format_from_env(),
                      stderr, r->logger);
    if (ais_gridded_source(r->args.source) && r->args.mode == AIS_MODE_LIVE)
        st = run_gridded_live(r, errbuf, sizeof errbuf);
    else if (ais_gridded_source(r->args.source))
        st = ais_gridded_run(r->args.source, r->args.mode, r->args.replay_dir, NULL,
                             r->params.seed, r->cfg, r->logger, &r->env, &r->sink, &r->dlq,
                             &r->input, &r->generated, &r->gridded_input, errbuf,
                             sizeof errbuf);
    else if (r->args.source == AIS_SOURCE_WEATHER_FORECAST && r->args.mode == AIS_MODE_SIMULATE)
        st = ais_weather_forecast_simulate(r->params.seed, r->fc_provinces, r->n_fc_provinces,
                                           r->fc_issue_every_hours, r->params.utc_offset_hours,
                                           &r->env, &r->sink, &r->generated);
    else if (r->args.source == AIS_SOURCE_WEATHER_FORECAST)
        st = run_weather_forecast_live(r, errbuf, sizeof errbuf);
    else if (r->args.mode == AIS_MODE_SIMULATE && r->args.source == AIS_SOURCE_OPENAQ)
        st = ais_openaq_simulate(&r->params, r->stations, &r->env, &r->sink, &r->generated);
    else if (r->args.mode == AIS_MODE_SIMULATE)
        st = ais_weather_simulate(r->params.seed, r->provinces, &r->env, &r->sink,
                                  &r->generated);
    else if (r->args.mode == AIS_MODE_LIVE && r->args.source == AIS_SOURCE_WEATHER)
        st = run_weather_live(r, errbuf, sizeof errbuf);
    else if (r->args.mode == AIS_MODE_LIVE)
        st = run_openaq_live(r, errbuf, sizeof errbuf);
    else if (r->args.source == AIS_SOURCE_WEATHER_VC)
        st = ais_vc_replay(r->args.replay_dir, r->params.utc_offset_hours, &r->env, &r->sink,
                           &r->dlq, &r->input, &progress, errbuf, sizeof errbuf);
    else if (r->args.source == AIS_SOURCE_OPENAQ)
        st = ais_airnow_replay(r->args.replay_dir, r->params.utc_offset_hours, &r->env, &r->sink,
                               &r->dlq, &r->input, &progress, errbuf, sizeof errbuf);
    else
        st = ais_weather_replay(r->args.replay_dir, &r->env, &r->sink, &r->dlq, &r->input,
                                &progress, errbuf, sizeof errbuf);
    if (r->http != NULL)
        ais_http_client_stats(r->http, &r->http_stats);
    if (st != AIS_OK) {
        const char *why = sink_error(r);
        snprintf(r->error, sizeof r->error, "%s",
                 why != NULL ? why : (errbuf[0] ? errbuf : ais_status_str(st)));
    }
    return st;
}

static ais_status finish_sinks(run *r)
{
    ais_status st = AIS_OK;
    if (r->kafka != NULL) {
        st = ais_kafka_flush(r->kafka);
        ais_kafka_get_stats(r->kafka, &r->kafka_stats);
    } else if (r->landing != NULL) {
        st = ais_landing_flush(r->landing);
        ais_status dst = ais_landing_flush(r->dlq_landing);
        if (st == AIS_OK)
            st = dst;
    }
    if (st != AIS_OK && r->error[0] == '\0') {
        const char *why = sink_error(r);
        snprintf(r->error, sizeof r->error, "%s", why != NULL ? why : ais_status_str(st));
    }
    return st;
}

static uint64_t events_written(const run *r)
{
    return r->kafka != NULL ? r->kafka_stats.delivered : r->landing_stats.events_written;
}

static ais_status execute(run *r)
{
    ais_status st = run_adapter(r);
    /* flush also after a failure: what was accepted is complete and deduplicated downstream,
     * and the dead letters written so far must not be lost */
    ais_status fst = finish_sinks(r);
    if (st == AIS_OK)
        st = fst;
    if (r->landing != NULL) {
        ais_landing_get_stats(r->landing, &r->landing_stats);
        ais_landing_get_stats(r->dlq_landing, &r->dlq_landing_stats);
    }
    if (st == AIS_OK)
        st = ais_window_state_save(r->state_dir, ais_source_name(r->args.source), r->state_key,
                                   r->args.window_start, r->args.window_end, events_written(r),
                                   r->env.request_id, r->error, sizeof r->error);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Summary                                                                                    */

static ais_status set_u64(json_t *obj, const char *key, uint64_t v)
{
    return ais_json_set(obj, key, json_integer((json_int_t)v));
}

static ais_status input_json(const run *r, json_t **out)
{
    json_t *in = json_object();
    if (in == NULL)
        return AIS_ERR_NOMEM;
    const ais_replay_stats *s = &r->input;
    ais_status st = set_u64(in, "files_read", s->files_read);
    if (st == AIS_OK)
        st = set_u64(in, "files_rejected", s->files_rejected);
    if (st == AIS_OK)
        st = set_u64(in, "records_read", s->records_read);
    if (st == AIS_OK)
        st = set_u64(in, "records_rejected", s->records_rejected);
    if (st == AIS_OK)
        st = set_u64(in, "outside_window", s->outside_window);
    if (st == AIS_OK)
        st = set_u64(in, "duplicates_merged", s->duplicates_merged);
    if (st == AIS_OK)
        st = set_u64(in, "conflicts_resolved", s->conflicts_resolved);
    if (st == AIS_OK && r->args.source == AIS_SOURCE_OPENAQ)
        st = set_u64(in, "dst_repaired", s->dst_repaired);
    if (st == AIS_OK && r->gridded_input != NULL && json_object_update(in, r->gridded_input) != 0)
        st = AIS_ERR_NOMEM;
    if (st != AIS_OK) {
        json_decref(in);
        return st;
    }
    *out = in;
    return AIS_OK;
}

static ais_status kafka_json(const run *r, json_t **out)
{
    json_t *k = json_object();
    if (k == NULL)
        return AIS_ERR_NOMEM;
    const ais_kafka_stats *s = &r->kafka_stats;
    ais_status st = ais_json_set_string(k, "topic", r->topic);
    if (st == AIS_OK)
        st = ais_json_set_string(k, "dlq_topic", r->dlq_topic);
    if (st == AIS_OK)
        st = set_u64(k, "produced", s->produced);
    if (st == AIS_OK)
        st = set_u64(k, "delivered", s->delivered);
    if (st == AIS_OK)
        st = set_u64(k, "delivery_failed", s->delivery_failed);
    if (st == AIS_OK)
        st = set_u64(k, "dead_letters_delivered", s->dlq_delivered);
    if (st == AIS_OK)
        st = set_u64(k, "lost", s->lost);
    if (st == AIS_OK)
        st = ais_json_set(k, "partitions", ais_kafka_partition_counts(r->kafka));
    if (st != AIS_OK) {
        json_decref(k);
        return st;
    }
    *out = k;
    return AIS_OK;
}

static ais_status http_json(const run *r, json_t **out)
{
    json_t *h = json_object();
    if (h == NULL)
        return AIS_ERR_NOMEM;
    const ais_http_stats *s = &r->http_stats;
    ais_status st = set_u64(h, "requests", s->requests);
    if (st == AIS_OK)
        st = set_u64(h, "attempts", s->attempts);
    if (st == AIS_OK)
        st = set_u64(h, "retries", s->retries);
    if (st == AIS_OK)
        st = set_u64(h, "token_refreshes", s->token_refreshes);
    if (st == AIS_OK)
        st = set_u64(h, "failed", s->failed);
    if (st == AIS_OK)
        st = set_u64(h, "bytes", s->bytes);
    if (st != AIS_OK) {
        json_decref(h);
        return st;
    }
    *out = h;
    return AIS_OK;
}

static ais_status print_summary(const run *r, ais_status outcome)
{
    char start[AIS_TIME_ISO_SIZE] = "", end[AIS_TIME_ISO_SIZE] = "";
    json_t *s = json_object();
    if (s == NULL)
        return AIS_ERR_NOMEM;
    bool window_known = r->window_from != NULL;
    ais_status st = AIS_OK;
    if (window_known)
        st = ais_time_format_iso(r->args.window_start, start);
    if (st == AIS_OK)
        st = ais_time_format_iso(r->args.window_end, end);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "source", ais_source_name(r->args.source));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "mode", ais_source_mode_name(r->args.mode));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "sink", ais_sink_kind_name(r->args.sink));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "window_start_utc", window_known ? start : NULL);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "window_end_utc", end);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "window_from", r->window_from);
    if (st == AIS_OK)
        st = set_u64(s, "events_written", events_written(r));
    if (st == AIS_OK)
        st = set_u64(s, "events_rejected", r->dlq_ready ? r->dlq.rejected : 0);
    if (st == AIS_OK)
        st = ais_json_set(s, "rejected_by_reason",
                          r->dlq_ready ? json_deep_copy(r->dlq.by_reason) : json_object());
    if (st == AIS_OK)
        st = set_u64(s, "dead_letters_written",
                     r->kafka != NULL ? r->kafka_stats.dlq_delivered
                                      : r->dlq_landing_stats.events_written);
    if (st == AIS_OK && r->args.sink == AIS_SINK_LANDING)
        st = set_u64(s, "files_written", r->landing_stats.files_written);
    if (st == AIS_OK && r->kafka != NULL) {
        json_t *k = NULL;
        st = kafka_json(r, &k);
        if (st == AIS_OK)
            st = ais_json_set(s, "kafka", k);
    }
    if (st == AIS_OK && r->args.mode != AIS_MODE_SIMULATE && r->ran) {
        json_t *in = NULL;
        st = input_json(r, &in);
        if (st == AIS_OK)
            st = ais_json_set(s, "input", in);
    }
    if (st == AIS_OK && r->http != NULL && r->ran) {
        json_t *h = NULL;
        st = http_json(r, &h);
        if (st == AIS_OK)
            st = ais_json_set(s, "http", h);
    }
    if (st == AIS_OK && r->download_dir != NULL) {
        const ais_gridded_fetch_stats *f = &r->fetch_stats;
        json_t *d = json_pack("{sssIsIsIsIsIss?sIsIsIsb}", "dir", r->download_dir, "found",
                              (json_int_t)f->found, "downloaded", (json_int_t)f->downloaded,
                              "bytes", (json_int_t)f->bytes, "failed", (json_int_t)f->failed,
                              "pages", (json_int_t)f->pages, "store_dir", r->store_dir,
                              "stored", (json_int_t)r->store_stats.files, "stored_bytes",
                              (json_int_t)r->store_stats.bytes, "store_skipped",
                              (json_int_t)r->store_stats.skipped, "dir_removed",
                              r->store_stats.local_removed);
        st = ais_json_set(s, "download", d);
    }
    if (st == AIS_OK && r->args.realtime)
        st = ais_json_set_string(s, "window_mode", "realtime");
    if (st == AIS_OK && r->window_empty)
        st = ais_json_set(s, "window_empty", json_true());
    if (st == AIS_OK)
        st = ais_json_set_string(s, "state_file", r->state_path);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "status", outcome == AIS_OK ? "ok" : "error");
    if (st == AIS_OK && outcome != AIS_OK)
        st = ais_json_set_string(s, "error", r->error[0] ? r->error : ais_status_str(outcome));
    char *text = st == AIS_OK ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    if (st != AIS_OK)
        return st;
    if (text == NULL)
        return AIS_ERR_JSON;
    int failed = fputs(text, stdout) < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0;
    free(text);
    return failed ? AIS_ERR_IO : AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */

static int64_t elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void log_start(const run *r)
{
    char start[AIS_TIME_ISO_SIZE], end[AIS_TIME_ISO_SIZE];
    if (ais_time_format_iso(r->args.window_start, start) != AIS_OK ||
        ais_time_format_iso(r->args.window_end, end) != AIS_OK)
        return;
    ais_log(r->logger, AIS_LOG_INFO, "run_start",
            AIS_F_STR("source", ais_source_name(r->args.source)),
            AIS_F_STR("mode", ais_source_mode_name(r->args.mode)),
            AIS_F_STR("sink", ais_sink_kind_name(r->args.sink)),
            AIS_F_STR("event_source", r->event_source), AIS_F_STR("topic", r->topic),
            AIS_F_STR("window_start_utc", start), AIS_F_STR("window_end_utc", end),
            AIS_F_STR("window_from", r->window_from), AIS_F_STR("replay_dir", r->args.replay_dir),
            AIS_F_STR("landing_dir", r->landing_dir), AIS_F_STR("request_id", r->env.request_id),
            AIS_F_STR("config_path", ais_config_path(r->cfg)), AIS_F_END);
}

static void release(run *r)
{
    if (r->dlq_ready)
        ais_dlq_release(&r->dlq);
    ais_kafka_free(r->kafka);
    json_decref(r->gridded_input);
    ais_http_client_free(r->http);
    free(r->download_dir);
    free(r->store_dir);
    ais_landing_free(r->landing);
    ais_landing_free(r->dlq_landing);
    ais_window_lock_release(r->lock);
    free(r->landing_dir);
    free(r->state_dir);
    free(r->state_path);
    /* the logger borrowed the configuration for secret redaction */
    ais_logger_apply_config(r->logger, NULL);
    ais_config_free(r->cfg);
}

/* One window of one source: prepare, run, summary line. */
static ais_status run_once(const ais_ingest_args *args, ais_logger *logger)
{
    run r;
    struct timespec t0;
    memset(&r, 0, sizeof r);
    r.logger = logger;
    r.args = *args;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    ais_status st = prepare(&r);
    if (st == AIS_ERR_USAGE) {
        /* a usage error found with the configuration (no --start and no state): no summary,
         * like every usage error */
        ais_log(logger, AIS_LOG_ERROR, "usage_error", AIS_F_STR("message", r.error),
                AIS_F_STR("status", ais_status_str(st)), AIS_F_END);
        release(&r);
        return st;
    }
    if (st == AIS_OK && !r.window_empty) {
        log_start(&r);
        st = execute(&r);
    }

    if (st == AIS_OK) {
        ais_log(logger, AIS_LOG_INFO, "window_done",
                AIS_F_STR("source", ais_source_name(r.args.source)),
                AIS_F_INT("events_written", (int64_t)events_written(&r)),
                AIS_F_INT("events_rejected", r.dlq_ready ? (int64_t)r.dlq.rejected : 0),
                AIS_F_INT("files_written", (int64_t)r.landing_stats.files_written),
                AIS_F_BOOL("window_empty", r.window_empty),
                AIS_F_INT("duration_ms", elapsed_ms(&t0)), AIS_F_STR("status", "ok"), AIS_F_END);
    } else {
        ais_log(logger, AIS_LOG_ERROR, "run_failed",
                AIS_F_STR("source", ais_source_name(r.args.source)),
                AIS_F_STR("status", ais_status_str(st)), AIS_F_STR("message", r.error),
                AIS_F_INT("events_written", (int64_t)events_written(&r)),
                AIS_F_INT("files_written", (int64_t)r.landing_stats.files_written), AIS_F_END);
    }
    ais_status printed = print_summary(&r, st);
    if (st == AIS_OK)
        st = printed;
    release(&r);
    return st;
}

/* The end of a realtime window: the last complete hour, or for weather (whole local days) the
 * last complete local day once its publication lag has passed; never before start. */
static ais_status realtime_end(const ais_ingest_args *a, ais_logger *logger, int64_t *out)
{
    int64_t now, end;
    ais_status st = ais_time_now(&now, NULL);
    if (st != AIS_OK)
        return st;
    if (a->source == AIS_SOURCE_WEATHER) {
        /* the provinces are all on Vietnam's UTC+7 (weather.h); config is not loaded here */
        const int64_t off = 7 * AIS_SECONDS_PER_HOUR;
        int64_t t = now - AIS_WEATHER_HISTORY_LAG_SECONDS + off;
        int64_t day = t >= 0 ? t / AIS_SECONDS_PER_DAY : (t - AIS_SECONDS_PER_DAY + 1) / AIS_SECONDS_PER_DAY;
        end = day * AIS_SECONDS_PER_DAY - off;
    } else if (a->source == AIS_SOURCE_WEATHER_FORECAST) {
        /* the window ends with the current hour's start; its run keeps the issue of the current
         * hour (weather_forecast.h), and the next poll in the same hour has an empty window */
        if ((st = ais_time_floor_hour(now, &end)) != AIS_OK)
            return st;
    } else if ((st = ais_time_floor_hour(now - AIS_OPENAQ_PUBLICATION_LAG_SECONDS, &end)) != AIS_OK) {
        return st;
    }
    (void)logger;
    *out = end;
    return AIS_OK;
}

static void sleep_interruptibly(unsigned seconds)
{
    for (unsigned i = 0; i < seconds * 10u && !stop_requested; i++) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000L};
        nanosleep(&ts, NULL);
    }
}

static ais_status poll_seconds_from_config(const ais_ingest_args *a, unsigned *out)
{
    if (a->poll_seconds > 0) {
        *out = a->poll_seconds;
        return AIS_OK;
    }
    ais_config *cfg = NULL;
    long v = 0;
    ais_status st = ais_config_load(a->config_path, &cfg);
    if (st == AIS_OK && (ais_config_get_long(cfg, "ingest_realtime.poll_seconds", &v) != AIS_OK ||
                         v < 1 || v > 86400))
        st = AIS_ERR_CONFIG_INVALID;
    ais_config_free(cfg);
    *out = (unsigned)v;
    return st;
}

/* --window realtime: one window per poll until a stop signal or --max-polls. A failed poll
 * (the API down) leaves its window unrecorded and the next poll covers it again; event ids are
 * the natural keys, so an hour read twice keeps its id. */
static ais_status run_realtime(const ais_ingest_args *args, ais_logger *logger)
{
    unsigned poll_seconds = 0;
    ais_status st = poll_seconds_from_config(args, &poll_seconds);
    if (st != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR, "run_failed",
                AIS_F_STR("message", "ingest_realtime.poll_seconds must be 1..86400"),
                AIS_F_STR("status", ais_status_str(st)), AIS_F_END);
        return st;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    ais_ingest_args a = *args;
    for (unsigned poll = 1; !stop_requested; poll++) {
        if ((st = realtime_end(&a, logger, &a.window_end)) != AIS_OK)
            return st;
        a.end = a.window_end;
        if (a.has_start && a.window_start > a.window_end)
            a.window_end = a.window_start; /* an explicit start in the future: nothing yet */
        ais_log(logger, AIS_LOG_INFO, "poll_start", AIS_F_INT("poll", poll),
                AIS_F_STR("source", ais_source_name(a.source)), AIS_F_END);
        st = run_once(&a, logger);
        a.has_start = false; /* later polls continue from the state */
        if (st == AIS_ERR_INTERRUPTED || stop_requested)
            break;
        if (st != AIS_OK && st != AIS_ERR_HTTP && st != AIS_ERR_DELIVERY)
            return st; /* configuration, usage, lock: polling again cannot help */
        if (a.max_polls > 0 && poll >= a.max_polls)
            break;
        sleep_interruptibly(poll_seconds);
    }
    ais_log(logger, AIS_LOG_INFO, "realtime_stopped",
            AIS_F_BOOL("signal", stop_requested != 0),
            AIS_F_STR("status", ais_status_str(st)), AIS_F_END);
    return st;
}

ais_status ais_cmd_ingest(int argc, char **argv, ais_logger *logger)
{
    ais_ingest_args args;
    char errbuf[512];
    ais_status st = ais_ingest_parse_args(argc, argv, &args, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR,
                st == AIS_ERR_NOT_IMPLEMENTED ? "not_implemented" : "usage_error",
                AIS_F_STR("message", errbuf), AIS_F_STR("status", ais_status_str(st)), AIS_F_END);
        return st;
    }
    return args.realtime ? run_realtime(&args, logger) : run_once(&args, logger);
}
