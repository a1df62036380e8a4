/* Helpers of the gridded-source tests (gridded_testutil.h). */
#include "gridded_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/provsim_gridded.h"
#include "ais/timeutil.h"

ais_status gt_keep(void *ctx, const json_t *ev)
{
    return json_array_append_new(ctx, json_deep_copy(ev)) == 0 ? AIS_OK : AIS_ERR_NOMEM;
}

void gt_run_init(gt_run *r, const char *source, const char *start, const char *end)
{
    memset(r, 0, sizeof *r);
    int64_t s, e;
    assert_int_equal(ais_time_parse_iso(start, &s), AIS_OK);
    assert_int_equal(ais_time_parse_iso(end, &e), AIS_OK);
    assert_int_equal(ais_envelope_init(&r->env, source, "replay", s, e), AIS_OK);
    r->events = json_array();
    r->letters = json_array();
    r->sink = (ais_sink){.ctx = r->events, .write = gt_keep};
    r->dlq_sink = (ais_sink){.ctx = r->letters, .write = gt_keep};
    assert_int_equal(ais_dlq_init(&r->dlq, &r->dlq_sink, source, "test-topic", r->env.request_id),
                     AIS_OK);
    r->out = (ais_gridded_out){.env = &r->env, .sink = &r->sink, .dlq = &r->dlq,
                               .stats = &r->stats};
}

void gt_run_free(gt_run *r)
{
    ais_dlq_release(&r->dlq);
    json_decref(r->events);
    json_decref(r->letters);
}

char *gt_shared_dir(const char *name)
{
    const char *base = getenv("AIS_SHARED_DATA");
    char *dir = ais_test_join(base != NULL && base[0] ? base : AIS_SHARED_DATA, name);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        print_message("SKIP: %s is absent (recorded data, SOURCES.md)\n", dir);
        free(dir);
        return NULL;
    }
    return dir;
}

void gt_copy_prefix(const char *src, const char *dst, long keep_bytes)
{
    FILE *in = fopen(src, "rb");
    FILE *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[8192];
    long left = keep_bytes;
    while (left > 0) {
        size_t want = left < (long)sizeof buf ? (size_t)left : sizeof buf;
        size_t n = fread(buf, 1, want, in);
        if (n == 0)
            break;
        assert_int_equal(fwrite(buf, 1, n, out), n);
        left -= (long)n;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

char *gt_reasons(const gt_run *r)
{
    size_t cap = 16;
    for (size_t i = 0; i < json_array_size(r->letters); i++)
        cap += strlen(json_string_value(json_object_get(json_array_get(r->letters, i), "reason"))) + 1;
    char *s = calloc(1, cap);
    assert_non_null(s);
    for (size_t i = 0; i < json_array_size(r->letters); i++) {
        if (i > 0)
            strcat(s, ",");
        strcat(s, json_string_value(json_object_get(json_array_get(r->letters, i), "reason")));
    }
    return s;
}

void gt_write_s5p(const char *path, ais_s5p_product product, const char *start, bool all_good)
{
    float lat[GT_S5P_NS * GT_S5P_NP], lon[GT_S5P_NS * GT_S5P_NP], val[GT_S5P_NS * GT_S5P_NP];
    unsigned char qa[GT_S5P_NS * GT_S5P_NP];
    for (int s = 0; s < GT_S5P_NS; s++)
        for (int p = 0; p < GT_S5P_NP; p++) {
            int k = s * GT_S5P_NP + p;
            lat[k] = (float)gt_s5p_lat(s, p);
            lon[k] = (float)gt_s5p_lon(s, p);
            qa[k] = all_good ? 100 : (unsigned char)gt_s5p_qa(s, p);
            val[k] = !all_good && gt_s5p_fill(s, p) ? AIS_S5P_FILL : (float)gt_s5p_value(s, p);
        }
    int64_t t0, t1, created;
    assert_int_equal(ais_time_parse_iso(start, &t0), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2026-10-15T06:40:00Z", &t1), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2026-10-16T03:00:00Z", &created), AIS_OK);
    ais_s5p_swath swath = {.product = product,
                           .title = "HAND-MADE FIXTURE in the S5P L2 layout (not real data)",
                           .sensing_start = t0,
                           .sensing_end = t1,
                           .created = created,
                           .orbit = 46001,
                           .processor_version = "2.6.0",
                           .scanlines = GT_S5P_NS,
                           .ground_pixels = GT_S5P_NP,
                           .lat = lat,
                           .lon = lon,
                           .value = val,
                           .qa = qa};
    char err[256];
    assert_int_equal(ais_s5p_swath_write(path, &swath, NULL, err, sizeof err), AIS_OK);
}

gt_cli_result gt_cli_run(const char *tmp, const char *config, const char *const *args,
                         const char *const *extra_env)
{
    char *landing = ais_test_join(tmp, "landing"), *state = ais_test_join(tmp, "state");
    const char *argv[40] = {AIS_INGEST_BIN};
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL && n < 30; i++)
        argv[n++] = args[i];
    const char *tail[] = {"--sink", "landing", "--landing-dir", landing, "--state-dir", state,
                          "--config", config, NULL};
    for (size_t i = 0; tail[i] != NULL; i++)
        argv[n++] = tail[i];
    argv[n] = NULL;
    char *out = NULL;
    gt_cli_result r = {0};
    r.code = ais_test_run(argv, extra_env, &out, &r.err);
    json_error_t jerr;
    r.summary = json_loads(out, 0, &jerr);
    if (r.summary == NULL)
        print_error("no summary: %s\n%s\n", out, r.err);
    assert_non_null(r.summary);
    free(out);
    free(landing);
    free(state);
    return r;
}

void gt_cli_result_free(gt_cli_result *r)
{
    json_decref(r->summary);
    free(r->err);
}
