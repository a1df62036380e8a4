/* ais-gridded-decode-bench: times the C gridded decoders on one file, for bench/gridded_bench.py
 * (which runs the same computation with the Python reference libraries in the same run).
 *
 *   ais-gridded-decode-bench maiac FILE WEST EAST SOUTH NORTH REPEATS
 *   ais-gridded-decode-bench s5p   FILE WEST EAST SOUTH NORTH REPEATS   (grid: ERA5 region, 0.25)
 *
 * Prints one JSON object: the best wall time of REPEATS decodes, the first one's (cold: library
 * initialisation included), and what the last one found (so the caller can check both sides
 * computed the same thing). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ais/maiac.h"
#include "ais/s5p.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct decode_job {
    const char *path;
    ais_bbox box;
    ais_s5p_options s5p;
    ais_maiac_granule maiac;
    ais_s5p_result result; /* of the last s5p decode */
} decode_job;

static ais_status decode_maiac(decode_job *j, const char **reason, char *detail, size_t size)
{
    return ais_maiac_decode(j->path, &j->box, &j->maiac, reason, detail, size);
}

static ais_status decode_s5p(decode_job *j, const char **reason, char *detail, size_t size)
{
    ais_s5p_result_free(&j->result);
    return ais_s5p_decode(j->path, &j->s5p, &j->result, reason, detail, size);
}

/* Runs decode `repeats` times: the best and the first wall time; false (reported) on an error. */
static bool time_decodes(ais_status (*decode)(decode_job *, const char **, char *, size_t),
                         decode_job *j, int repeats, double *best, double *first)
{
    const char *reason = NULL;
    char detail[256];
    *best = 1e300;
    *first = -1.0;
    for (int i = 0; i < repeats; i++) {
        double t0 = now_s();
        if (decode(j, &reason, detail, sizeof detail) != AIS_OK) {
            fprintf(stderr, "%s: %s\n", reason ? reason : "error", detail);
            return false;
        }
        double dt = now_s() - t0;
        *best = dt < *best ? dt : *best;
        *first = *first < 0.0 ? dt : *first;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: %s maiac|s5p FILE WEST EAST SOUTH NORTH REPEATS\n", argv[0]);
        return 2;
    }
    decode_job j;
    memset(&j, 0, sizeof j);
    j.path = argv[2];
    j.box = (ais_bbox){.west = atof(argv[3]), .east = atof(argv[4]), .south = atof(argv[5]),
                       .north = atof(argv[6])};
    int repeats = atoi(argv[7]);
    double best, first;
    if (strcmp(argv[1], "maiac") == 0) {
        if (!time_decodes(decode_maiac, &j, repeats, &best, &first))
            return 1;
        const ais_maiac_granule *g = &j.maiac;
        printf("{\"best_seconds\":%.6f,\"first_seconds\":%.6f,\"pixels\":%llu,"
               "\"valid_055\":%llu,\"mean_055\":%.17g,\"valid_047\":%llu,\"mean_047\":%.17g}\n",
               best, first, (unsigned long long)g->total, (unsigned long long)g->aod055.n,
               g->aod055.mean, (unsigned long long)g->aod047.n, g->aod047.mean);
        return 0;
    }
    ais_s5p_options *o = &j.s5p;
    o->box = j.box;
    o->grid_area = (ais_bbox){.west = 95.0, .east = 115.0, .south = 5.0, .north = 35.0};
    o->grid_deg = 0.25;
    for (int p = 0; p < AIS_S5P_PRODUCTS; p++) {
        o->enabled[p] = o->grid[p] = true;
        o->qa_min[p] = p == AIS_S5P_NO2 || p == AIS_S5P_SO2 ? 0.75 : 0.5;
    }
    bool ok = time_decodes(decode_s5p, &j, repeats, &best, &first);
    const ais_s5p_result *r = &j.result;
    if (ok)
        printf("{\"best_seconds\":%.6f,\"first_seconds\":%.6f,\"pixels\":%llu,\"valid\":%llu,"
               "\"mean\":%.17g,\"cells\":%zu,\"grid_pixels\":%llu}\n",
               best, first, (unsigned long long)r->total, (unsigned long long)r->stats.n,
               r->stats.mean, r->n_cells, (unsigned long long)r->grid_pixels);
    ais_s5p_result_free(&j.result);
    return ok ? 0 : 1;
}
