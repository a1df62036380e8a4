/* ais-gridded-decode-bench: times the C gridded decoders on one file, for bench/gridded_bench.py
 * (which runs the same computation with the Python reference libraries in the same run).
 *
 *   ais-gridded-decode-bench maiac FILE WEST EAST SOUTH NORTH REPEATS
 *   ais-gridded-decode-bench s5p   FILE WEST EAST SOUTH NORTH REPEATS   (grid: ERA5 region, 0.25)
 *
 * Prints one JSON object: the best wall time of REPEATS decodes, the first one's (cold: library
 * initialisation included), and what the last one found (so the caller can check both sides
 * computed the same thing). */
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

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: %s maiac|s5p FILE WEST EAST SOUTH NORTH REPEATS\n", argv[0]);
        return 2;
    }
    ais_bbox box = {.west = atof(argv[3]), .east = atof(argv[4]), .south = atof(argv[5]),
                    .north = atof(argv[6])};
    int repeats = atoi(argv[7]);
    double best = 1e300, first = -1.0;
    const char *reason = NULL;
    char detail[256];
    if (strcmp(argv[1], "maiac") == 0) {
        ais_maiac_granule g;
        for (int i = 0; i < repeats; i++) {
            double t0 = now_s();
            if (ais_maiac_decode(argv[2], &box, &g, &reason, detail, sizeof detail) != AIS_OK) {
                fprintf(stderr, "%s: %s\n", reason ? reason : "error", detail);
                return 1;
            }
            double dt = now_s() - t0;
            best = dt < best ? dt : best;
            first = first < 0.0 ? dt : first;
        }
        printf("{\"best_seconds\":%.6f,\"first_seconds\":%.6f,\"pixels\":%llu,\"valid_055\":%llu,\"mean_055\":%.17g,"
               "\"valid_047\":%llu,\"mean_047\":%.17g}\n",
               best, first, (unsigned long long)g.total, (unsigned long long)g.aod055.n, g.aod055.mean,
               (unsigned long long)g.aod047.n, g.aod047.mean);
        return 0;
    }
    ais_s5p_options o;
    memset(&o, 0, sizeof o);
    o.box = box;
    o.grid_area = (ais_bbox){.west = 95.0, .east = 115.0, .south = 5.0, .north = 35.0};
    o.grid_deg = 0.25;
    for (int p = 0; p < AIS_S5P_PRODUCTS; p++) {
        o.enabled[p] = o.grid[p] = true;
        o.qa_min[p] = p == AIS_S5P_NO2 || p == AIS_S5P_SO2 ? 0.75 : 0.5;
    }
    ais_s5p_result r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < repeats; i++) {
        ais_s5p_result_free(&r);
        double t0 = now_s();
        if (ais_s5p_decode(argv[2], &o, &r, &reason, detail, sizeof detail) != AIS_OK) {
            fprintf(stderr, "%s: %s\n", reason ? reason : "error", detail);
            return 1;
        }
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
        first = first < 0.0 ? dt : first;
    }
    printf("{\"best_seconds\":%.6f,\"first_seconds\":%.6f,\"pixels\":%llu,\"valid\":%llu,\"mean\":%.17g,\"cells\":%zu,"
           "\"grid_pixels\":%llu}\n",
           best, first, (unsigned long long)r.total, (unsigned long long)r.stats.n, r.stats.mean,
           r.n_cells, (unsigned long long)r.grid_pixels);
    ais_s5p_result_free(&r);
    return 0;
}
