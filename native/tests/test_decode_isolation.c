/* Crash isolation of the gridded decoders, end to end through `ais-ingest <source> --mode
 * replay`: one window per format holds good files (hand-made with the provider simulator's
 * writers, the ERA5 one a real CDS GRIB sample) next to corrupt copies of them (truncated,
 * bytes flipped) and files whose decoder the test hook AIS_TEST_DECODE_FAULT makes crash
 * (SIGSEGV), hang, run out of its memory limit, run out of its CPU-time limit or exit non-zero.
 * Asserted: the good files' events land (count and ids), every bad file is exactly one dead
 * letter with the expected reason and the sha256 of its bytes (computed here with libcrypto),
 * the run exits 1 (native/README.md: a window with a file that could not be decoded is
 * incomplete) and records no window state. Plus: the hook is ignored when decoding in the
 * process (ingest_decode.isolate false), and a bad ingest_decode value is a config error.
 * Live mode: a CDSE product whose download does not match the MD5 its OData entry lists is a
 * dead letter checksum_mismatch and is not decoded (a loopback server made here). */
#define _GNU_SOURCE /* strcasestr */
#include "gridded_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ais/era5.h"
#include "ais/maiac.h"
#include "ais/provsim_gridded.h"
#include "ais/s5p.h"
#include "ais/timeutil.h"

/* limits small enough for the fault cases to finish in a few seconds, large enough for the
 * good files */
static const char *const LIMITS[] = {
    "  cpu_seconds: 300", "  cpu_seconds: 1",
    "  memory_mb: 4096", "  memory_mb: 1024",
    "  wall_seconds: 600", "  wall_seconds: 5", NULL};
/* the CPU-time case alone: its child needs 1 s of CPU, which a loaded machine (a parallel ctest)
 * may take far more than 5 s of wall-clock time to give it, so the wall limit stays out of reach */
static const char *const CPU_LIMITS[] = {
    "  cpu_seconds: 300", "  cpu_seconds: 1",
    "  wall_seconds: 600", "  wall_seconds: 120", NULL};

/* AddressSanitizer builds apply no RLIMIT_AS (decode_child.c): there the alloc fault finds no
 * limit and aborts, which is a crash */
#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_REASON "decoder_crashed"
#define ALLOC_DETAIL "signal 6 (SIGABRT)"
#define ALLOC_LIMITED 0
#else
#define ALLOC_REASON "decoder_limit"
#define ALLOC_DETAIL "memory limit"
#define ALLOC_LIMITED 1
#endif

static gt_cli_result run(const char *tmp, const char *config, const char *source,
                         const char *dir, const char *start, const char *end, const char *fault)
{
    const char *args[] = {source, "--mode", "replay", "--replay-dir", dir, "--start", start,
                          "--end", end, NULL};
    char env[256];
    snprintf(env, sizeof env, "AIS_TEST_DECODE_FAULT=%s", fault != NULL ? fault : "");
    const char *extra[] = {env, NULL};
    return gt_cli_run(tmp, config, args, extra);
}

static json_int_t num(const json_t *obj, const char *outer, const char *key)
{
    const json_t *o = outer != NULL ? json_object_get(obj, outer) : obj;
    const json_t *v = json_object_get(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static json_t *landed(const char *tmp, const char *topic)
{
    char rel[128];
    snprintf(rel, sizeof rel, "landing/%s", topic);
    char *dir = ais_test_join(tmp, rel);
    json_t *all = ais_test_read_landing(dir);
    free(dir);
    return all;
}

/* hex digest of a file with md (EVP_sha256, EVP_md5), independently of the code under test */
static void digest_hex(const EVP_MD *alg, const char *path, char *out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, alg, NULL), 1);
    unsigned char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
    assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
    assert_int_equal(mdlen, (unsigned)EVP_MD_get_size(alg));
    EVP_MD_CTX_free(ctx);
    fclose(f);
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void sha256_hex(const char *path, char out[65])
{
    digest_hex(EVP_sha256(), path, out);
}

static void copy_file(const char *src, const char *dst)
{
    struct stat sb;
    assert_int_equal(stat(src, &sb), 0);
    gt_copy_prefix(src, dst, (long)sb.st_size);
}

/* a copy of src with n bytes from offset XOR-ed with 0xFF */
static void copy_flipped(const char *src, const char *dst, long offset, long n)
{
    copy_file(src, dst);
    FILE *f = fopen(dst, "r+b");
    assert_non_null(f);
    for (long i = 0; i < n; i++) {
        assert_int_equal(fseek(f, offset + i, SEEK_SET), 0);
        int c = fgetc(f);
        assert_true(c != EOF);
        assert_int_equal(fseek(f, offset + i, SEEK_SET), 0);
        assert_int_equal(fputc(c ^ 0xFF, f), c ^ 0xFF);
    }
    fclose(f);
}

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

typedef struct expect {
    const char *name;   /* the file in the window's folder */
    const char *reason; /* its dead letter's reason */
    const char *detail; /* text the detail holds, or NULL */
} expect;

/* Exactly one dead letter per expected file, with its reason, detail and the file's sha256. */
static void check_letters(const char *tmp, const char *dir, const expect *bad, size_t n_bad)
{
    json_t *letters = landed(tmp, "ais-dlq");
    assert_int_equal(json_array_size(letters), n_bad);
    for (size_t i = 0; i < n_bad; i++) {
        char *path = ais_test_join(dir, bad[i].name);
        char sha[65];
        sha256_hex(path, sha);
        size_t hits = 0;
        size_t k;
        json_t *dl;
        json_array_foreach(letters, k, dl) {
            if (strcmp(json_string_value(json_object_get(dl, "file")), path) != 0)
                continue;
            hits++;
            const char *reason = json_string_value(json_object_get(dl, "reason"));
            const char *detail = json_string_value(json_object_get(dl, "detail"));
            if (strcmp(reason, bad[i].reason) != 0)
                print_error("%s: reason %s (%s), expected %s\n", bad[i].name, reason, detail,
                            bad[i].reason);
            assert_string_equal(reason, bad[i].reason);
            char want[80];
            snprintf(want, sizeof want, "sha256=%s;", sha);
            assert_non_null(strstr(detail, want));
            if (bad[i].detail != NULL && strstr(detail, bad[i].detail) == NULL)
                print_error("%s: detail \"%s\" lacks \"%s\"\n", bad[i].name, detail,
                            bad[i].detail);
            if (bad[i].detail != NULL)
                assert_non_null(strstr(detail, bad[i].detail));
        }
        assert_int_equal(hits, 1);
        free(path);
    }
    json_decref(letters);
}

/* ---- MAIAC ------------------------------------------------------------------------------ */

#define MN 40

static void write_maiac(const char *path, const char *day, const char *produced)
{
    static int16_t a47[2][MN][MN], a55[2][MN][MN];
    static uint16_t qa[2][MN][MN];
    for (int o = 0; o < 2; o++)
        for (int r = 0; r < MN; r++)
            for (int c = 0; c < MN; c++) {
                a55[o][r][c] = (int16_t)(200 + 5 * r + 3 * c + 20 * o);
                a47[o][r][c] = (int16_t)(a55[o][r][c] + 60);
                qa[o][r][c] = 1; /* clear, best quality */
            }
    char start[32], end[32];
    snprintf(start, sizeof start, "%sT03:25:00Z", day);
    snprintf(end, sizeof end, "%sT06:40:00Z", day);
    ais_maiac_granule_spec g = {
        .h = 27, .v = 6, .nx = MN, .ny = MN, .orbits = 2, .time_start = iso(start),
        .time_end = iso(end), .production_time = iso(produced), .deflate_level = 0,
        .comment = "HAND-MADE FIXTURE in the MCD19A2 layout (not real data)",
        .aod047 = &a47[0][0][0], .aod055 = &a55[0][0][0], .qa = &qa[0][0][0]};
    char err[256];
    assert_int_equal(ais_maiac_granule_write(path, &g, NULL, err, sizeof err), AIS_OK);
}

#define MAIAC_GOOD1 "MCD19A2.A2026010.h27v06.061.2026012093015.hdf"
#define MAIAC_GOOD2 "MCD19A2.A2026011.h27v06.061.2026013093015.hdf"

static void test_maiac_window(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *dir = ais_test_join(tmp, "granules");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *good1 = ais_test_join(dir, MAIAC_GOOD1), *good2 = ais_test_join(dir, MAIAC_GOOD2);
    write_maiac(good1, "2026-01-10", "2026-01-12T09:30:15Z");
    write_maiac(good2, "2026-01-11", "2026-01-13T09:30:15Z");
    /* corrupt copies and fault files: names that parse, one per case (the production time) */
    static const expect bad[] = {
        {"MCD19A2.A2026010.h27v06.061.2026012000001.hdf", "hdf4_open_failed", "SDstart"},
        {"MCD19A2.A2026010.h27v06.061.2026012000002.hdf", "hdf4_open_failed", NULL},
        {"MCD19A2.A2026010.h27v06.061.2026012000003.hdf", "decoder_crashed",
         "signal 11 (SIGSEGV)"},
        {"MCD19A2.A2026010.h27v06.061.2026012000004.hdf", "decoder_timeout", "wall_seconds = 5"},
        {"MCD19A2.A2026010.h27v06.061.2026012000005.hdf", ALLOC_REASON, ALLOC_DETAIL},
        {"MCD19A2.A2026010.h27v06.061.2026012000007.hdf", "decoder_failed", "status 3"},
        /* a real library crash, found by flipping bytes of this granule: with 560..563 flipped
         * libmfhdfalt's hdf_read_vars (inside SDstart) smashes its own stack (SIGABRT from the
         * stack protector here; SIGSEGV under AddressSanitizer's allocator) */
        {"MCD19A2.A2026010.h27v06.061.2026012000008.hdf", "decoder_crashed",
         "the decoder died of signal"},
    };
    size_t n_bad = sizeof bad / sizeof bad[0];
    char *paths[7];
    for (size_t i = 0; i < n_bad; i++)
        paths[i] = ais_test_join(dir, bad[i].name);
    struct stat sb;
    assert_int_equal(stat(good1, &sb), 0);
    gt_copy_prefix(good1, paths[0], (long)sb.st_size / 3); /* truncated */
    copy_flipped(good1, paths[1], 0, 4);                    /* the HDF4 magic */
    for (size_t i = 2; i < 6; i++)
        copy_file(good1, paths[i]);
    copy_flipped(good1, paths[6], 560, 4);
    char *config = ais_test_project_config(tmp, LIMITS);
    gt_cli_result r = run(tmp, config, "maiac", dir, "2026-01-10T00:00:00Z", "2026-01-12T00:00:00Z",
                   "segv:2026012000003,hang:2026012000004,alloc:2026012000005,"
                   "exit:2026012000007");
    assert_int_equal(r.code, 1);
    assert_string_equal(json_string_value(json_object_get(r.summary, "status")), "error");
    assert_int_equal(num(r.summary, "input", "files_read"), 9);
    assert_int_equal(num(r.summary, "input", "files_rejected"), 7);
    assert_int_equal(num(r.summary, NULL, "events_written"), 2);
    assert_int_equal(num(r.summary, NULL, "dead_letters_written"), 7);
    json_t *events = landed(tmp, "maiac-summary");
    assert_int_equal(json_array_size(events), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "granule_id")),
                        "MCD19A2.A2026010.h27v06.061");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 1), "granule_id")),
                        "MCD19A2.A2026011.h27v06.061");
    json_t *first = json_array_get(events, 0);
    assert_true(json_integer_value(json_object_get(first, "valid_pixel_count")) > 0);
    json_decref(events);
    check_letters(tmp, dir, bad, n_bad);
    json_t *by = json_object_get(r.summary, "rejected_by_reason");
    assert_int_equal(json_object_size(by), 4 + ALLOC_LIMITED);
    assert_int_equal(num(by, NULL, "hdf4_open_failed"), 2);
    assert_int_equal(num(by, NULL, "decoder_crashed"), 3 - ALLOC_LIMITED);
    assert_int_equal(num(by, NULL, "decoder_timeout"), 1);
    if (ALLOC_LIMITED)
        assert_int_equal(num(by, NULL, "decoder_limit"), 1);
    assert_int_equal(num(by, NULL, "decoder_failed"), 1);
    /* the window is incomplete: no state recorded */
    char *state_file = ais_test_join(tmp, "state/maiac.json");
    assert_int_not_equal(access(state_file, F_OK), 0);
    free(state_file);
    gt_cli_result_free(&r);
    for (size_t i = 0; i < n_bad; i++)
        free(paths[i]);
    free(config);
    free(good1);
    free(good2);
    free(dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* the hook is the child's alone: decoding in the process, the same fault spec does nothing */
/* A decoder that spins: the CPU-time limit (RLIMIT_CPU, SIGXCPU) stops it, not the wall clock,
 * and the good file of the same window lands. */
static void test_cpu_limit(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *dir = ais_test_join(tmp, "granules");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *good = ais_test_join(dir, MAIAC_GOOD1);
    write_maiac(good, "2026-01-10", "2026-01-12T09:30:15Z");
    static const expect bad[] = {
        {"MCD19A2.A2026010.h27v06.061.2026012000006.hdf", "decoder_limit", "CPU-time limit"}};
    char *spin = ais_test_join(dir, bad[0].name);
    copy_file(good, spin);
    char *config = ais_test_project_config(tmp, CPU_LIMITS);
    gt_cli_result r = run(tmp, config, "maiac", dir, "2026-01-10T00:00:00Z", "2026-01-12T00:00:00Z",
                   "spin:2026012000006");
    assert_int_equal(r.code, 1);
    assert_int_equal(num(r.summary, "input", "files_read"), 2);
    assert_int_equal(num(r.summary, "input", "files_rejected"), 1);
    assert_int_equal(num(r.summary, NULL, "events_written"), 1);
    check_letters(tmp, dir, bad, 1);
    gt_cli_result_free(&r);
    free(config);
    free(spin);
    free(good);
    free(dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void test_hook_ignored_in_process(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *dir = ais_test_join(tmp, "granules");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *good = ais_test_join(dir, MAIAC_GOOD1);
    write_maiac(good, "2026-01-10", "2026-01-12T09:30:15Z");
    static const char *const off[] = {"  isolate: true", "  isolate: false", NULL};
    char *config = ais_test_project_config(tmp, off);
    gt_cli_result r = run(tmp, config, "maiac", dir, "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z",
                   "segv");
    assert_int_equal(r.code, 0);
    assert_int_equal(num(r.summary, NULL, "events_written"), 1);
    gt_cli_result_free(&r);
    /* isolated, the same spec crashes every file's decoder */
    free(config);
    config = ais_test_project_config(tmp, NULL);
    r = run(tmp, config, "maiac", dir, "2026-01-11T00:00:00Z", "2026-01-12T00:00:00Z", "segv");
    assert_int_equal(r.code, 1);
    assert_int_equal(num(r.summary, "input", "files_rejected"), 1);
    gt_cli_result_free(&r);
    /* a limit that is not a positive integer is a configuration error */
    static const char *const bad_limit[] = {"  cpu_seconds: 300", "  cpu_seconds: -5", NULL};
    free(config);
    config = ais_test_project_config(tmp, bad_limit);
    r = run(tmp, config, "maiac", dir, "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z", NULL);
    assert_int_not_equal(r.code, 0);
    char *text = json_dumps(r.summary, 0);
    assert_non_null(strstr(text, "ingest_decode.cpu_seconds must be a positive integer"));
    free(text);
    gt_cli_result_free(&r);
    free(config);
    free(good);
    free(dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* ---- Sentinel-5P ------------------------------------------------------------------------ */

#define S5P_NAME(p)                                                                              \
    "S5P_OFFL_L2__" p "_20261015T053000_20261015T071000_46001_03_020600_20261016T030000.nc"

static void test_s5p_window(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *dir = ais_test_join(tmp, "products");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *no2 = ais_test_join(dir, S5P_NAME("NO2___"));
    char *co = ais_test_join(dir, S5P_NAME("CO____"));
    gt_write_s5p(no2, AIS_S5P_NO2, "2026-10-15T05:50:00Z", true);
    gt_write_s5p(co, AIS_S5P_CO, "2026-10-15T05:50:00Z", true);
    static const expect bad[] = {
        {S5P_NAME("SO2___"), "netcdf_open_failed", NULL},
        {S5P_NAME("O3____"), "netcdf_open_failed", NULL},
        {S5P_NAME("AER_AI"), "decoder_crashed", "SIGSEGV"},
    };
    char *so2 = ais_test_join(dir, bad[0].name), *o3 = ais_test_join(dir, bad[1].name);
    char *ai = ais_test_join(dir, bad[2].name);
    struct stat sb;
    assert_int_equal(stat(no2, &sb), 0);
    gt_copy_prefix(no2, so2, (long)sb.st_size / 2); /* truncated */
    copy_flipped(no2, o3, 0, 8);                     /* the HDF5 signature */
    copy_file(no2, ai);
    char *config = ais_test_project_config(tmp, LIMITS);
    gt_cli_result r = run(tmp, config, "sentinel5p", dir, "2026-10-15T00:00:00Z",
                   "2026-10-16T00:00:00Z", "segv:AER_AI");
    assert_int_equal(r.code, 1);
    assert_int_equal(num(r.summary, "input", "files_read"), 5);
    assert_int_equal(num(r.summary, "input", "files_rejected"), 3);
    assert_int_equal(num(r.summary, NULL, "events_written"), 2);
    json_t *events = landed(tmp, "sentinel5p-summary");
    assert_int_equal(json_array_size(events), 2);
    /* the NO2 grid cells (the result's array) came back through the child's stream */
    size_t k;
    json_t *ev;
    size_t with_cells = 0;
    json_array_foreach(events, k, ev) {
        const char *product = json_string_value(json_object_get(ev, "product"));
        json_t *cells = json_object_get(ev, "grid_cells");
        assert_int_equal(json_integer_value(json_object_get(ev, "valid_pixel_count")),
                         json_integer_value(json_object_get(ev, "total_pixel_count")));
        if (strcmp(product, "NO2") == 0) {
            assert_true(json_array_size(cells) > 0);
            json_int_t sum = 0;
            size_t j;
            json_t *c;
            json_array_foreach(cells, j, c)
                sum += json_integer_value(json_object_get(c, "valid_count"));
            assert_int_equal(sum, GT_S5P_NS * GT_S5P_NP); /* every pixel lies in the grid area */
            with_cells++;
        }
    }
    assert_int_equal(with_cells, 1);
    json_decref(events);
    check_letters(tmp, dir, bad, 3);
    gt_cli_result_free(&r);
    free(config);
    free(no2);
    free(co);
    free(so2);
    free(o3);
    free(ai);
    free(dir);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* ---- Live: CDSE checksums -------------------------------------------------------------- */

/* A loopback CDSE: token, OData search (NO2 and CO products, with their Checksum lists) and
 * downloads, one request per connection. */
typedef struct cdse {
    pid_t pid;
    int port;
    const char *no2, *co;       /* files served */
    char no2_md5[33], co_md5[33];
} cdse;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void reply(int fd, const char *type, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     type, len);
    if (write(fd, head, (size_t)n) != n || write(fd, body, len) != (ssize_t)len)
        _exit(5);
}

static void serve(int lfd, const cdse *c)
{
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        char req[16384];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof req - 1 && (n = read(fd, req + got, sizeof req - 1 - got)) > 0) {
            got += (size_t)n;
            req[got] = '\0';
            char *end = strstr(req, "\r\n\r\n");
            if (end == NULL)
                continue;
            const char *cl = strcasestr(req, "Content-Length:");
            size_t body = cl != NULL ? strtoul(cl + 15, NULL, 10) : 0;
            if (got >= (size_t)(end + 4 - req) + body)
                break;
        }
        req[got] = '\0';
        char line[4096];
        sscanf(req, "%*s %4095s", line);
        size_t len;
        if (strncmp(req, "POST /token", 11) == 0) {
            const char *tok = "{\"access_token\": \"tok\", \"expires_in\": 600}";
            reply(fd, "application/json", tok, strlen(tok));
        } else if (strncmp(line, "/odata/Products?", 16) == 0) {
            char body[1024];
            if (strstr(line, "L2__NO2___") != NULL)
                snprintf(body, sizeof body,
                         "{\"value\": [{\"Id\": \"aaaa-0001\", \"Name\": \"%s\", \"Checksum\": "
                         "[{\"Value\": \"%s\", \"Algorithm\": \"MD5\"}, {\"Value\": \"ff\", "
                         "\"Algorithm\": \"BLAKE3\"}]}]}",
                         strrchr(c->no2, '/') + 1, c->no2_md5);
            else if (strstr(line, "L2__CO____") != NULL)
                snprintf(body, sizeof body,
                         "{\"value\": [{\"Id\": \"bbbb-0002\", \"Name\": \"%s\", \"Checksum\": "
                         "[{\"Value\": \"%s\", \"Algorithm\": \"MD5\"}]}]}",
                         strrchr(c->co, '/') + 1, c->co_md5);
            else
                snprintf(body, sizeof body, "{\"value\": []}");
            reply(fd, "application/json", body, strlen(body));
        } else if (strcmp(line, "/download/Products(aaaa-0001)/$value") == 0 ||
                   strcmp(line, "/download/Products(bbbb-0002)/$value") == 0) {
            char *data = slurp(strstr(line, "aaaa") != NULL ? c->no2 : c->co, &len);
            reply(fd, "application/octet-stream", data, len);
            free(data);
        } else {
            const char *nf =
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            if (write(fd, nf, strlen(nf)) < 0)
                _exit(5);
        }
        close(fd);
    }
}

static void cdse_start(cdse *c)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 16), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
    c->port = ntohs(a.sin_port);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        serve(lfd, c);
        _exit(0);
    }
    close(lfd);
}

static void cdse_stop(cdse *c)
{
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
}

static void test_live_checksum_mismatch(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *src = ais_test_join(tmp, "src");
    assert_int_equal(mkdir(src, 0755), 0);
    char *no2 = ais_test_join(src, S5P_NAME("NO2___"));
    char *co = ais_test_join(src, S5P_NAME("CO____"));
    gt_write_s5p(no2, AIS_S5P_NO2, "2026-10-15T05:50:00Z", true);
    gt_write_s5p(co, AIS_S5P_CO, "2026-10-15T05:50:00Z", true);
    cdse c = {.no2 = no2, .co = co};
    digest_hex(EVP_md5(), no2, c.no2_md5);
    /* the CO product's listed MD5 is that of other bytes (the NO2 file's, one digit changed) */
    memcpy(c.co_md5, c.no2_md5, sizeof c.co_md5);
    c.co_md5[0] = c.co_md5[0] == '0' ? '1' : '0';
    char co_md5[33], co_sha[65];
    digest_hex(EVP_md5(), co, co_md5);
    sha256_hex(co, co_sha);
    cdse_start(&c);
    char e1[128], e2[128], e3[128];
    snprintf(e1, sizeof e1, "CDSE_TOKEN_URL=http://127.0.0.1:%d/token", c.port);
    snprintf(e2, sizeof e2, "CDSE_ODATA_BASE_URL=http://127.0.0.1:%d/odata", c.port);
    snprintf(e3, sizeof e3, "CDSE_DOWNLOAD_BASE_URL=http://127.0.0.1:%d/download", c.port);
    const char *env[] = {e1, e2, e3, "CDSE_USERNAME=u", "CDSE_PASSWORD=p", NULL};
    char *config = ais_test_project_config(tmp, LIMITS);
    char *landing = ais_test_join(tmp, "landing"), *st = ais_test_join(tmp, "state");
    const char *argv[] = {AIS_INGEST_BIN, "sentinel5p", "--mode", "live", "--start",
                          "2026-10-15T00:00:00Z", "--end", "2026-10-16T00:00:00Z", "--sink",
                          "landing", "--landing-dir", landing, "--state-dir", st, "--config",
                          config, NULL};
    char *out = NULL, *err = NULL;
    int code = ais_test_run(argv, env, &out, &err);
    cdse_stop(&c);
    json_t *summary = json_loads(out, 0, NULL);
    if (summary == NULL || code != 1)
        print_error("exit %d\n%s\n%s\n", code, out, err);
    assert_non_null(summary);
    assert_int_equal(code, 1);
    /* the good product landed; the bad one is one dead letter and was never decoded */
    json_t *events = landed(tmp, "sentinel5p-summary");
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "product")),
                        "NO2");
    json_decref(events);
    json_t *letters = landed(tmp, "ais-dlq");
    assert_int_equal(json_array_size(letters), 1);
    json_t *dl = json_array_get(letters, 0);
    assert_string_equal(json_string_value(json_object_get(dl, "reason")), "checksum_mismatch");
    const char *detail = json_string_value(json_object_get(dl, "detail"));
    char want[128];
    snprintf(want, sizeof want, "MD5 is %s, the provider's Checksum says %s", co_md5, c.co_md5);
    assert_non_null(strstr(detail, want));
    snprintf(want, sizeof want, "sha256=%s;", co_sha);
    assert_non_null(strstr(detail, want));
    assert_non_null(strstr(json_string_value(json_object_get(dl, "file")), "Products(bbbb-0002)"));
    json_decref(letters);
    json_decref(summary);
    free(out);
    free(err);
    free(landing);
    free(st);
    free(config);
    free(no2);
    free(co);
    free(src);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* ---- ERA5 ------------------------------------------------------------------------------- */

#define ERA5_SAMPLE "era5-single-level-scalar-time.grib"

static void test_era5_window(void **state)
{
    (void)state;
    char *data = gt_shared_dir("era5-grib-samples");
    if (data == NULL)
        skip();
    char *tmp = ais_test_mkdtemp();
    char *dir = ais_test_join(tmp, "files");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *src = ais_test_join(data, ERA5_SAMPLE), *good = ais_test_join(dir, ERA5_SAMPLE);
    copy_file(src, good);
    static const expect bad[] = {
        {"era5_truncated.grib", "grib_decode_failed", NULL},
        {"era5_flipped.grib", "unknown_format", NULL},
        {"era5_alloc.grib", ALLOC_REASON, ALLOC_DETAIL},
    };
    char *trunc = ais_test_join(dir, bad[0].name), *flip = ais_test_join(dir, bad[1].name);
    char *alloc = ais_test_join(dir, bad[2].name);
    struct stat sb;
    assert_int_equal(stat(good, &sb), 0);
    gt_copy_prefix(good, trunc, (long)sb.st_size / 2);
    copy_flipped(good, flip, 0, 4); /* "GRIB" */
    copy_file(good, alloc);
    /* the sample's grid is 10W-40E, 30-60N: a box inside it, so that the file has hourly
     * values */
    static const char *const europe[] = {
        "  cpu_seconds: 300", "  cpu_seconds: 1", "  memory_mb: 4096", "  memory_mb: 1024",
        "  wall_seconds: 600", "  wall_seconds: 5",
        "bbox: {west: 105.25, east: 106.10, south: 20.55, north: 21.40}",
        "bbox: {west: 5.0, east: 15.0, south: 45.0, north: 50.0}", NULL};
    char *config = ais_test_project_config(tmp, europe);
    gt_cli_result r = run(tmp, config, "era5", dir, "2017-01-01T00:00:00Z", "2017-01-03T00:00:00Z",
                   "alloc:era5_alloc");
    assert_int_equal(r.code, 1);
    assert_int_equal(num(r.summary, "input", "files_read"), 4);
    assert_int_equal(num(r.summary, "input", "files_rejected"), 3);
    assert_int_equal(num(r.summary, NULL, "events_written"), 1);
    json_t *events = landed(tmp, "era5-files");
    assert_int_equal(json_array_size(events), 1);
    char sha[65];
    sha256_hex(good, sha);
    json_t *ev = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "sha256")), sha);
    /* the hourly values (the result's array) came back through the child's stream: as many
     * and the same as decoding in this process gives */
    static const ais_bbox box = {.west = 5.0, .east = 15.0, .south = 45.0, .north = 50.0};
    ais_era5_file_info f;
    const char *reason = NULL;
    char detail[256];
    assert_int_equal(ais_era5_file_decode(good, &box, &f, &reason, detail, sizeof detail),
                     AIS_OK);
    json_t *hourly = json_object_get(ev, "hanoi_hourly");
    assert_true(f.n_hours > 0);
    assert_int_equal(json_array_size(hourly), f.n_hours);
    size_t last = f.n_hours - 1;
    for (size_t v = 0; v < AIS_ERA5_SURFACE_VARS; v++) {
        json_t *x = json_object_get(json_array_get(hourly, last), ais_era5_surface_var(v));
        if (f.hours[last].set[v])
            assert_double_near(json_real_value(x), f.hours[last].v[v], 1e-9);
    }
    ais_era5_file_info_free(&f);
    json_decref(events);
    check_letters(tmp, dir, bad, 3);
    gt_cli_result_free(&r);
    free(config);
    free(src);
    free(good);
    free(trunc);
    free(flip);
    free(alloc);
    free(dir);
    free(data);
    ais_test_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maiac_window),
        cmocka_unit_test(test_cpu_limit),
        cmocka_unit_test(test_hook_ignored_in_process),
        cmocka_unit_test(test_s5p_window),
        cmocka_unit_test(test_era5_window),
        cmocka_unit_test(test_live_checksum_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
