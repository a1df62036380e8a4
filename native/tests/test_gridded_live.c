/* sentinel5p, maiac and era5 --mode live end to end against the loopback fixture server:
 * hand-made CDSE / CMR / CDS exchanges serving the REAL files of ../shared/data (S5P header
 * stubs, MAIAC granules, ERA5 GRIB samples; each test is skipped when its folder is absent).
 * Live = search (every page) + download + the replay's file loop over the downloads, so the
 * events must equal those of a replay of the same files. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/fsutil.h"
#include "ais/gridded.h"
#include "http_fixture.h"

static ais_fixture_server server;
static char *project, *config, *shared, *s5p_dir;

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* The five configured products of the real header stubs, and the NO2 one a second time under
 * the next orbit's name, so that the NO2 search has two pages. */
static char *make_s5p_dir(void)
{
    static const char *const names[] = {
        "S5P_OFFL_L2__AER_AI_20200303T013547_20200303T031717_12367_01_010302_20200306T032414.nc",
        "S5P_OFFL_L2__CO_____20200303T013547_20200303T031717_12367_01_010302_20200306T032410.nc",
        "S5P_OFFL_L2__NO2____20200303T013547_20200303T031717_12367_01_010302_20200306T053815.nc",
        "S5P_OFFL_L2__O3_____20200303T013547_20200303T031717_12367_01_010107_20200306T053811.nc",
        "S5P_OFFL_L2__SO2____20200303T013547_20200303T031717_12367_01_010107_20200306T144427.nc",
        NULL};
    char *src_dir = ais_test_join(shared, "s5p-l2-metadata-stubs/nc");
    struct stat sb;
    if (stat(src_dir, &sb) != 0) {
        free(src_dir);
        return NULL;
    }
    char *dir = ais_test_join(project, "s5p");
    assert_int_equal(mkdir(dir, 0755), 0);
    for (size_t i = 0; names[i] != NULL; i++) {
        char *src = ais_test_join(src_dir, names[i]), *dst = ais_test_join(dir, names[i]);
        copy_file(src, dst);
        free(dst);
        if (strstr(names[i], "NO2") != NULL) {
            dst = ais_test_join(dir, "S5P_OFFL_L2__NO2____20200303T031717_20200303T045847_12368_"
                                     "01_010302_20200306T053815.nc");
            copy_file(src, dst);
            free(dst);
        }
        free(src);
    }
    free(src_dir);
    return dir;
}

static char *shared_path(const char *rel)
{
    char *p = ais_test_join(shared, rel);
    struct stat sb;
    if (stat(p, &sb) != 0) {
        print_message("SKIP: %s is absent (SOURCES.md section 4)\n", p);
        free(p);
        return NULL;
    }
    return p;
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("AIS_SHARED_DATA");
    shared = strdup(base != NULL && base[0] ? base : AIS_SHARED_DATA);
    project = ais_test_mkdtemp();
    const char *repl[] = {"total_timeout_seconds: 120", "total_timeout_seconds: 20",
                          "max_attempts: 5", "max_attempts: 3",
                          "backoff_initial_ms: 1000", "backoff_initial_ms: 50",
                          "backoff_max_ms: 60000", "backoff_max_ms: 200",
                          "page_size: 100", "page_size: 2",
                          "cds_poll_seconds: 10", "cds_poll_seconds: 1",
                          NULL};
    config = ais_test_project_config(project, repl);
    s5p_dir = make_s5p_dir();
    const char *s5p = s5p_dir != NULL ? s5p_dir : "/nonexistent";
    char *maiac = ais_test_join(shared, "maiac-mcd19a2-vn");
    char *single = ais_test_join(shared, "era5-grib-samples/era5-single-level-scalar-time.grib");
    char *pressure = ais_test_join(shared, "era5-grib-samples/era5-levels-members.grib");
    const char *args[] = {"--s5p-dir", s5p, "--maiac-dir", maiac, "--era5-single", single,
                          "--era5-pressure", pressure, NULL};
    ais_fixture_start_args(&server, args);
    free(maiac);
    free(single);
    free(pressure);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ais_fixture_stop(&server);
    ais_test_rm_rf(project);
    free(project);
    free(config);
    free(shared);
    free(s5p_dir);
    return 0;
}

typedef ais_live_result result;

/* extra: more "NAME=value" entries for the environment (the store's), NULL-terminated */
static result run_ingest_env(const char *source, const char *mode, const char *replay_dir,
                             const char *scenario, const char *start, const char *end,
                             const char *const *extra)
{
    result r = {0};
    r.landing = ais_test_mkdtemp();
    r.state = ais_test_mkdtemp();
    char e1[200], e2[200], e3[200], e4[200], e5[200];
    snprintf(e1, sizeof e1, "CDSE_TOKEN_URL=%s/cdse/%s/token", server.base, scenario);
    snprintf(e2, sizeof e2, "CDSE_ODATA_BASE_URL=%s/cdse/%s/odata", server.base, scenario);
    snprintf(e3, sizeof e3, "CDSE_DOWNLOAD_BASE_URL=%s/cdse/%s/download", server.base, scenario);
    snprintf(e4, sizeof e4, "CMR_BASE_URL=%s/cmr/%s", server.base, scenario);
    snprintf(e5, sizeof e5, "CDS_API_BASE_URL=%s/cds/%s", server.base, scenario);
    const char *env[16] = {e1, e2, e3, e4, e5, "CDSE_USERNAME=test-user",
                           "CDSE_PASSWORD=test-password", "CDS_KEY=test-cds-key",
                           "EARTHDATA_TOKEN=test-earthdata-token"};
    for (size_t i = 0, k = 9; extra != NULL && extra[i] != NULL && k < 15; i++)
        env[k++] = extra[i];
    const char *argv[24] = {AIS_INGEST_BIN, source, "--mode", mode, "--start", start, "--end",
                            end, "--sink", "landing", "--config", config, "--landing-dir",
                            r.landing, "--state-dir", r.state};
    size_t n = 16;
    if (replay_dir != NULL) {
        argv[n++] = "--replay-dir";
        argv[n++] = replay_dir;
    }
    argv[n] = NULL;
    r.code = ais_test_run(argv, env, &r.out, &r.err);
    r.summary = json_loads(r.out, 0, NULL);
    assert_non_null(r.summary);
    assert_null(strstr(r.out, "test-password"));
    assert_null(strstr(r.err, "test-password"));
    assert_null(strstr(r.err, "test-cds-key"));
    return r;
}

static result run_ingest(const char *source, const char *mode, const char *replay_dir,
                         const char *scenario, const char *start, const char *end)
{
    return run_ingest_env(source, mode, replay_dir, scenario, start, end, NULL);
}

static const char *get_str(const json_t *o, const char *a, const char *b)
{
    const char *v = json_string_value(json_object_get(json_object_get(o, a), b));
    assert_non_null(v);
    return v;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* sha256 and size of two files agree */
static void assert_same_file(const char *a, const char *b)
{
    char sa[65], sb[65];
    uint64_t na = 0, nb = 0;
    assert_int_equal(ais_file_sha256(a, sa, &na), AIS_OK);
    assert_int_equal(ais_file_sha256(b, sb, &nb), AIS_OK);
    assert_string_equal(sa, sb);
    assert_int_equal(na, nb);
}

static json_int_t get_int(const json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(b != NULL ? json_object_get(o, a) : o, b != NULL ? b : a);
    if (!json_is_integer(v)) {
        char *text = json_dumps(o, JSON_COMPACT);
        print_error("no integer %s.%s in %s\n", a, b != NULL ? b : "", text);
        free(text);
        fail();
    }
    return json_integer_value(v);
}

/* events of a landing folder, without what differs from run to run */
static json_t *comparable_events(const result *r, const char *topic)
{
    char *dir = ais_test_join(r->landing, topic);
    struct stat sb;
    json_t *events = stat(dir, &sb) == 0 ? ais_test_read_landing(dir) : json_array();
    free(dir);
    size_t i;
    json_t *e;
    const char *volatile_fields[] = {"ingest_time", "trace", "window_mode", "file_path",
                                     "request_id", NULL};
    json_array_foreach(events, i, e) {
        for (size_t k = 0; volatile_fields[k] != NULL; k++)
            json_object_del(e, volatile_fields[k]);
    }
    return events;
}

static size_t log_count(const char *prefix, const char *method)
{
    json_t *log = ais_fixture_log_under(&server, prefix);
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(log, i, e) {
        if (method == NULL || strcmp(json_string_value(json_object_get(e, "method")), method) == 0)
            n++;
    }
    json_decref(log);
    return n;
}

/* ------------------------------------------------------------------------------------------ */

static void maiac_live_pages_downloads_and_matches_replay(void **state)
{
    (void)state;
    char *dir = shared_path("maiac-mcd19a2-vn");
    if (dir == NULL) {
        skip();
        return;
    }
    result live = run_ingest("maiac", "live", NULL, "ok", "2026-03-29T00:00:00Z",
                             "2026-03-31T00:00:00Z");
    result replay = run_ingest("maiac", "replay", dir, "ok", "2026-03-29T00:00:00Z",
                               "2026-03-31T00:00:00Z");
    assert_int_equal(live.code, 0);
    assert_int_equal(replay.code, 0);
    /* three granules on two pages of two */
    assert_int_equal(get_int(live.summary, "download", "found"), 3);
    assert_int_equal(get_int(live.summary, "download", "downloaded"), 3);
    assert_int_equal(get_int(live.summary, "download", "pages"), 2);
    assert_int_equal(log_count("/cmr/ok/granules.json", NULL), 2);
    /* progress on stderr (the human log format): one step per granule downloaded, counted
     * without a total (the pages do not say how many come) */
    assert_non_null(strstr(live.err, "[1] maiac download MCD19A2."));
    assert_non_null(strstr(live.err, "\n[3] maiac download MCD19A2."));
    assert_null(strstr(live.err, "[4] maiac download"));
    /* the same input figures as the replay of the same files (all three outside Hanoi) */
    assert_true(json_equal(json_object_get(live.summary, "input"),
                           json_object_get(replay.summary, "input")));
    assert_int_equal(get_int(live.summary, "input", "outside_area"), 3);
    /* the downloads went to the default shared store, <warehouse>/raw/maiac/<window start
     * date>/, byte for byte the served files; the local download folder is gone */
    assert_int_equal(get_int(live.summary, "download", "stored"), 3);
    assert_true(json_is_true(json_object_get(json_object_get(live.summary, "download"),
                                             "dir_removed")));
    assert_false(exists(get_str(live.summary, "download", "dir")));
    const char *store = get_str(live.summary, "download", "store_dir");
    char *real = realpath(project, NULL), expect[1024];
    snprintf(expect, sizeof expect, "%s/var/warehouse/raw/maiac/2026/03/29", real);
    free(real);
    assert_string_equal(store, expect);
    const char *name = "MCD19A2.A2026089.h29v07.061.2026090163130.hdf";
    char *a = ais_test_join(store, name), *b = ais_test_join(dir, name);
    assert_same_file(a, b);
    free(a);
    free(b);
    size_t count = 0;
    char **names = ais_test_list_dir(store, &count);
    assert_int_equal(count, 3); /* no temporary left */
    ais_test_free_names(names);
    ais_live_result_free(&live);
    ais_live_result_free(&replay);
    free(dir);
}

static void era5_live_jobs_and_matches_replay(void **state)
{
    (void)state;
    char *dir = shared_path("era5-grib-samples");
    if (dir == NULL) {
        skip();
        return;
    }
    result live = run_ingest("era5", "live", NULL, "ok", "2017-01-01T00:00:00Z",
                             "2017-01-02T00:00:00Z");
    assert_int_equal(live.code, 0);
    assert_int_equal(get_int(live.summary, "events_written", NULL), 2);
    assert_int_equal(get_int(live.summary, "download", "found"), 2); /* two jobs: one day */
    /* progress on stderr (the human log format): the day of jobs, then the two files decoded */
    assert_non_null(strstr(live.err, "[1/1] era5 download 2017-01-01 \xe2\x80\xa6 "));
    assert_non_null(strstr(live.err, "\n[1/2] era5 era5_"));
    assert_non_null(strstr(live.err, "\n[2/2] era5 era5_"));
    assert_null(strstr(live.err, "[3/"));
    assert_int_equal(get_int(live.summary, "download", "downloaded"), 2);
    /* each job was polled until successful (running, then successful) */
    assert_int_equal(log_count("/cds/ok/retrieve/v1/processes/", "POST"), 2);
    json_t *log = ais_fixture_log_under(&server, "/cds/ok/retrieve/v1/processes/reanalysis-era5-single-levels");
    assert_int_equal(json_array_size(log), 1);
    json_t *body = json_loads(json_string_value(json_object_get(json_array_get(log, 0), "body")), 0,
                              NULL);
    json_t *in = json_object_get(body, "inputs");
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "year"), 0)), "2017");
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "day"), 0)), "01");
    assert_int_equal(json_array_size(json_object_get(in, "time")), 24);
    assert_int_equal(json_array_size(json_object_get(in, "variable")), 8);
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "variable"), 4)),
                        "2m_temperature");
    assert_double_near(json_number_value(json_array_get(json_object_get(in, "area"), 0)), 35.0,
                       1e-9);
    json_decref(body);
    json_decref(log);

    /* each event names its CDS job; the job ids are the server's (hand-made) */
    char *ldir = ais_test_join(live.landing, "era5-files");
    json_t *levents = ais_test_read_landing(ldir);
    free(ldir);
    assert_int_equal(json_array_size(levents), 2);
    const char *r0 = json_string_value(json_object_get(json_array_get(levents, 0), "request_id"));
    const char *r1 = json_string_value(json_object_get(json_array_get(levents, 1), "request_id"));
    assert_non_null(r0);
    assert_non_null(r1);
    assert_int_equal(strncmp(r0, "0000aaaa-0000-4000-8000-", 24), 0);
    assert_int_equal(strlen(r0), 36);
    assert_string_not_equal(r0, r1);
    size_t k0;
    json_t *le0;
    /* the events name the files on the (default, local) shared store, where they are */
    const char *dl = get_str(live.summary, "download", "store_dir");
    json_array_foreach(levents, k0, le0) {
        const char *fp = json_string_value(json_object_get(le0, "file_path"));
        assert_int_equal(strncmp(fp, dl, strlen(dl)), 0);
        assert_true(fp[strlen(dl)] == '/');
        assert_true(exists(fp));
    }
    assert_false(exists(get_str(live.summary, "download", "dir")));
    /* replaying the store folder gives the live events, request ids included */
    result again = run_ingest("era5", "replay", dl, "ok", "2017-01-01T00:00:00Z",
                              "2017-01-02T00:00:00Z");
    assert_int_equal(again.code, 0);
    char *adir = ais_test_join(again.landing, "era5-files");
    json_t *aevents = ais_test_read_landing(adir);
    free(adir);
    assert_int_equal(json_array_size(aevents), 2);
    size_t k, m;
    json_t *ae0;
    json_array_foreach(levents, k, le0) {
        size_t same = 0;
        json_array_foreach(aevents, m, ae0) {
            if (strcmp(json_string_value(json_object_get(le0, "event_id")),
                       json_string_value(json_object_get(ae0, "event_id"))) == 0) {
                assert_string_equal(json_string_value(json_object_get(le0, "request_id")),
                                    json_string_value(json_object_get(ae0, "request_id")));
                assert_string_equal(json_string_value(json_object_get(le0, "file_path")),
                                    json_string_value(json_object_get(ae0, "file_path")));
                same++;
            }
        }
        assert_int_equal(same, 1);
    }
    json_decref(levents);
    json_decref(aevents);
    ais_live_result_free(&again);

    /* the replay of the same two files gives the same events */
    char *rdir = ais_test_mkdtemp();
    const char *names[] = {"era5-single-level-scalar-time.grib", "era5-levels-members.grib"};
    for (int i = 0; i < 2; i++) {
        char *src = ais_test_join(dir, names[i]), *dst = ais_test_join(rdir, names[i]);
        copy_file(src, dst);
        free(src);
        free(dst);
    }
    result replay = run_ingest("era5", "replay", rdir, "ok", "2017-01-01T00:00:00Z",
                               "2017-01-02T00:00:00Z");
    assert_int_equal(replay.code, 0);
    json_t *le = comparable_events(&live, "era5-files"), *re = comparable_events(&replay, "era5-files");
    assert_int_equal(json_array_size(le), 2);
    size_t i, j;
    json_t *e, *f;
    json_array_foreach(le, i, e) {
        bool matched = false;
        json_array_foreach(re, j, f) {
            if (strcmp(json_string_value(json_object_get(e, "event_id")),
                       json_string_value(json_object_get(f, "event_id"))) != 0)
                continue;
            json_object_del(e, "window_start_utc");
            json_object_del(f, "window_start_utc");
            json_object_del(e, "window_end_utc");
            json_object_del(f, "window_end_utc");
            assert_true(json_equal(e, f));
            matched = true;
        }
        assert_true(matched);
    }
    json_decref(le);
    json_decref(re);
    ais_live_result_free(&replay);
    ais_test_rm_rf(rdir);
    free(rdir);
    ais_live_result_free(&live);
    free(dir);
}

static void era5_failed_job_fails_the_window(void **state)
{
    (void)state;
    result r = run_ingest("era5", "live", NULL, "failed", "2017-01-01T00:00:00Z",
                          "2017-01-02T00:00:00Z");
    assert_int_equal(r.code, 1);
    const char *error = json_string_value(json_object_get(r.summary, "error"));
    assert_non_null(strstr(error, "ended with status 'failed'"));
    assert_non_null(strstr(error, "reanalysis-era5-single-levels 2017-01-01"));
    char *sp = ais_test_join(r.state, "era5.json");
    char *text = ais_test_read_file(sp);
    assert_true(text == NULL || strstr(text, "live/landing") == NULL);
    free(text);
    free(sp);
    ais_live_result_free(&r);
}

/* The source file the fixture served for an ERA5 download name */
static char *era5_source(const char *dir, const char *name)
{
    return ais_test_join(dir, strstr(name, "single_levels") != NULL
                                  ? "era5-single-level-scalar-time.grib"
                                  : "era5-levels-members.grib");
}

static json_t *era5_events(const result *r)
{
    char *ldir = ais_test_join(r->landing, "era5-files");
    json_t *events = exists(ldir) ? ais_test_read_landing(ldir) : json_array();
    free(ldir);
    return events;
}

/* RAW_STORE_URI as a file:// URI: the events' file_path are URIs under it, and the files there
 * are the served ones byte for byte (nothing else in the folder). */
static void era5_live_puts_the_files_on_a_file_uri_store(void **state)
{
    (void)state;
    char *dir = shared_path("era5-grib-samples");
    if (dir == NULL) {
        skip();
        return;
    }
    char *store = ais_test_mkdtemp(), env[1200], prefix[1200];
    snprintf(env, sizeof env, "RAW_STORE_URI=file://%s/raw/", store);
    const char *extra[] = {env, NULL};
    result r = run_ingest_env("era5", "live", NULL, "ok", "2017-01-01T00:00:00Z",
                              "2017-01-02T00:00:00Z", extra);
    assert_int_equal(r.code, 0);
    assert_int_equal(get_int(r.summary, "events_written", NULL), 2);
    assert_int_equal(get_int(r.summary, "download", "stored"), 2);
    snprintf(prefix, sizeof prefix, "file://%s/raw/era5/2017/01/01", store);
    assert_string_equal(get_str(r.summary, "download", "store_dir"), prefix);
    strcat(prefix, "/");
    json_t *events = era5_events(&r);
    assert_int_equal(json_array_size(events), 2);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        const char *fp = json_string_value(json_object_get(e, "file_path"));
        assert_int_equal(strncmp(fp, prefix, strlen(prefix)), 0);
        const char *name = fp + strlen(prefix);
        char *local = ais_test_join(store, "raw/era5/2017/01/01"), *copy = ais_test_join(local, name);
        char *src = era5_source(dir, name);
        assert_same_file(copy, src);
        free(src);
        free(copy);
        free(local);
    }
    json_decref(events);
    char *folder = ais_test_join(store, "raw/era5/2017/01/01");
    size_t count = 0;
    char **names = ais_test_list_dir(folder, &count);
    assert_int_equal(count, 2);
    ais_test_free_names(names);
    free(folder);
    char *sp = ais_test_join(r.state, "era5.json");
    char *text = ais_test_read_file(sp);
    assert_non_null(text);
    assert_non_null(strstr(text, "live/landing"));
    free(text);
    free(sp);
    ais_live_result_free(&r);
    ais_test_rm_rf(store);
    free(store);
    free(dir);
}

/* RAW_STORE_URI on HDFS, through the fixture's hand-made WebHDFS: hdfs:// URIs in the events,
 * the bytes on the (emulated) HDFS. */
static void era5_live_puts_the_files_on_hdfs(void **state)
{
    (void)state;
    char *dir = shared_path("era5-grib-samples");
    if (dir == NULL) {
        skip();
        return;
    }
    char base[200];
    snprintf(base, sizeof base, "HDFS_WEBHDFS_BASE=%s/webhdfs/ok/v1", server.base);
    const char *extra[] = {"RAW_STORE_URI=hdfs://127.0.0.1:8020/ais/raw", base, NULL};
    result r = run_ingest_env("era5", "live", NULL, "ok", "2017-01-01T00:00:00Z",
                              "2017-01-02T00:00:00Z", extra);
    assert_int_equal(r.code, 0);
    json_t *events = era5_events(&r);
    assert_int_equal(json_array_size(events), 2);
    const char *prefix = "hdfs://127.0.0.1:8020/ais/raw/era5/2017/01/01/";
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        const char *fp = json_string_value(json_object_get(e, "file_path"));
        assert_int_equal(strncmp(fp, prefix, strlen(prefix)), 0);
        const char *name = fp + strlen(prefix);
        char path[512], *body = NULL, *want = NULL;
        size_t len = 0, wlen = 0;
        snprintf(path, sizeof path, "/webhdfs/ok/v1/ais/raw/era5/2017/01/01/%s?op=OPEN", name);
        assert_int_equal(ais_fixture_get(&server, path, &body, &len), 200);
        char *src = era5_source(dir, name);
        assert_int_equal(ais_fs_read_file(src, 64u << 20, &want, &wlen), AIS_OK);
        assert_int_equal(len, wlen);
        assert_memory_equal(body, want, len);
        free(want);
        free(body);
        free(src);
    }
    json_decref(events);
    ais_live_result_free(&r);
    free(dir);
}

/* A store that cannot take the files fails the window before any event is written, and the
 * window is not recorded (a rerun retries); a store the configuration cannot reach fails it
 * before anything is downloaded. */
static void a_failing_store_fails_the_window_without_events(void **state)
{
    (void)state;
    char *dir = shared_path("era5-grib-samples");
    if (dir == NULL) {
        skip();
        return;
    }
    char *tmp = ais_test_mkdtemp(), *blocker = ais_test_join(tmp, "blocker");
    ais_test_write_file(blocker, "a file where the store folder should be");
    char raw[1200], forbidden[200], refused[200];
    snprintf(raw, sizeof raw, "RAW_STORE_URI=file://%s/raw", blocker);
    snprintf(forbidden, sizeof forbidden, "HDFS_WEBHDFS_BASE=%s/webhdfs/forbidden/v1",
             server.base);
    snprintf(refused, sizeof refused, "HDFS_WEBHDFS_BASE=http://127.0.0.1:%d/webhdfs/v1",
             ais_test_free_port());
    const char *hdfs = "RAW_STORE_URI=hdfs://127.0.0.1:8020/ais/raw";
    const struct {
        const char *env[3];
        const char *error;  /* in the summary's error */
        bool downloads;     /* the window got as far as downloading */
    } cases[] = {
        {{raw, NULL}, "cannot create the folder", true},
        {{hdfs, forbidden, NULL}, "AccessControlException: hand-made: Permission denied", true},
        {{hdfs, refused, NULL}, "after 3 attempts", true},
        {{hdfs, "HDFS_WEBHDFS_BASE=", NULL}, "HDFS_WEBHDFS_BASE", false},
        {{"RAW_STORE_URI=s3a://bucket/raw", NULL}, "unsupported store 's3a://'", false},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t posts = log_count("/cds/ok/retrieve/v1/processes/", "POST");
        result r = run_ingest_env("era5", "live", NULL, "ok", "2017-01-01T00:00:00Z",
                                  "2017-01-02T00:00:00Z", cases[c].env);
        const char *error = json_string_value(json_object_get(r.summary, "error"));
        if (r.code != 1 || error == NULL || strstr(error, cases[c].error) == NULL)
            print_error("case %zu: exit %d, error ...%s\n", c, r.code,
                        error != NULL && strlen(error) > 300 ? error + strlen(error) - 300 : error);
        assert_int_equal(r.code, 1);
        assert_non_null(error);
        assert_non_null(strstr(error, cases[c].error));
        assert_int_equal(get_int(r.summary, "events_written", NULL), 0);
        json_t *events = era5_events(&r);
        assert_int_equal(json_array_size(events), 0);
        json_decref(events);
        char *sp = ais_test_join(r.state, "era5.json");
        char *text = ais_test_read_file(sp);
        assert_true(text == NULL || strstr(text, "live/landing") == NULL);
        free(text);
        free(sp);
        if (cases[c].downloads) {
            /* the error names where the file was going; the local copies are kept */
            assert_non_null(strstr(error, c == 0 ? raw + strlen("RAW_STORE_URI=") : "hdfs://127.0.0.1:8020/ais/raw/era5/2017/01/01/"));
            assert_int_equal(get_int(r.summary, "download", "downloaded"), 2);
            assert_int_equal(get_int(r.summary, "download", "stored"), 0);
            assert_true(exists(get_str(r.summary, "download", "dir")));
        } else {
            assert_null(json_object_get(r.summary, "download"));
            assert_int_equal(log_count("/cds/ok/retrieve/v1/processes/", "POST"), posts);
        }
        ais_live_result_free(&r);
    }
    free(blocker);
    ais_test_rm_rf(tmp);
    free(tmp);
    free(dir);
}

/* Every configured product is searched (each on its own pages), every product downloaded; the
 * first token has expired (401 -> one refresh); the real header stubs have no swath, so the
 * replay's decoder rejects each one: dead letters, exit 1, window not recorded. */
static void s5p_live_every_product_and_token_refresh(void **state)
{
    (void)state;
    if (s5p_dir == NULL) {
        print_message("SKIP: ../shared/data/s5p-l2-metadata-stubs is absent\n");
        skip();
        return;
    }
    result r = run_ingest("sentinel5p", "live", NULL, "expired", "2020-03-03T00:00:00Z",
                          "2020-03-04T00:00:00Z");
    assert_int_equal(r.code, 1);
    assert_int_equal(get_int(r.summary, "download", "found"), 6);
    assert_int_equal(get_int(r.summary, "download", "downloaded"), 6);
    assert_int_equal(get_int(r.summary, "download", "pages"), 6); /* NO2: two pages */
    assert_non_null(strstr(r.err, "[1] sentinel5p download S5P_"));
    assert_non_null(strstr(r.err, "\n[6] sentinel5p download S5P_"));
    assert_null(strstr(r.err, "[7] sentinel5p download"));
    assert_int_equal(get_int(r.summary, "http", "token_refreshes"), 1);
    assert_int_equal(log_count("/cdse/expired/token", "POST"), 2);
    assert_int_equal(log_count("/cdse/expired/download/", "GET"), 7); /* one refused */
    assert_int_equal(get_int(r.summary, "rejected_by_reason", "missing_variable"), 6);
    assert_int_equal(get_int(r.summary, "input", "files_read"), 6);
    /* the dead letters name the files on the store, where they stay for inspection */
    const char *store = get_str(r.summary, "download", "store_dir");
    char *dlq = ais_test_join(r.landing, "ais-dlq");
    json_t *dead = ais_test_read_landing(dlq);
    size_t i, bad = 0;
    json_t *d;
    json_array_foreach(dead, i, d) {
        if (strcmp(json_string_value(json_object_get(d, "reason")), "missing_variable") != 0)
            continue;
        const char *file = json_string_value(json_object_get(d, "file"));
        assert_int_equal(strncmp(file, store, strlen(store)), 0);
        assert_true(exists(file));
        bad++;
    }
    assert_int_equal(bad, 6);
    json_decref(dead);
    free(dlq);
    char *sp = ais_test_join(r.state, "sentinel5p.json");
    char *text = ais_test_read_file(sp);
    assert_true(text == NULL || strstr(text, "live/landing") == NULL);
    free(text);
    free(sp);
    ais_live_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maiac_live_pages_downloads_and_matches_replay),
        cmocka_unit_test(era5_live_jobs_and_matches_replay),
        cmocka_unit_test(era5_failed_job_fails_the_window),
        cmocka_unit_test(era5_live_puts_the_files_on_a_file_uri_store),
        cmocka_unit_test(era5_live_puts_the_files_on_hdfs),
        cmocka_unit_test(a_failing_store_fails_the_window_without_events),
        cmocka_unit_test(s5p_live_every_product_and_token_refresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
