/* libFuzzer target, structure-aware: MCD19A2 granules written from the fuzzer's bytes with
 * HDF4 mfhdf, then decoded by ais_maiac_decode. The bytes choose the StructMetadata.0 text
 * (grid size, corners, projection: valid, absurd or missing), the CoreMetadata.0 times, which
 * of Optical_Depth_047/055 and AOD_QA exist with which type and shape, their attributes (scale
 * factor, fill, valid_range) and every pixel value. Raw-byte mutation of the HDF4 container is
 * not fuzzed here: it crashes libdfalt itself (inside SDstart), which no caller can guard
 * against; this covers everything our decoder does with what the library hands back. Seeds:
 * small recipes in corpus/maiac_hdf4. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mfhdf.h>

#include "ais/maiac.h"
#include "fuzz_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TILE 1111950.519667

static const char *const DATES[] = {"2026-01-10", "2026-02-30", "", "x"};
static const char *const CLOCKS[] = {"03:25:00.000000", "25:00:00", "", "03:25"};

static void write_sds(fuzz_bytes *b, int32 sd, const char *name, int32 type, int32 rank,
                      int32 orbits, int32 ny, int32 nx)
{
    int32 dims[3] = {orbits, ny, nx};
    int32 sds = SDcreate(sd, name, type, rank, rank == 3 ? dims : dims + 1);
    if (sds < 0)
        return;
    size_t n = (size_t)(rank == 3 ? orbits : 1) * (size_t)ny * (size_t)nx;
    uint16_t *v = malloc(n * sizeof *v * 2);
    if (v != NULL) {
        for (size_t i = 0; i < n * 2; i++)
            v[i] = (uint16_t)(fb_u8(b) << 8 | fb_u8(b));
        int32 start[3] = {0, 0, 0};
        SDwritedata(sds, start, NULL, rank == 3 ? dims : dims + 1, v);
        free(v);
    }
    uint8_t attrs = fb_u8(b);
    if (attrs & 1) {
        float64 scale = fb_float(b, 0.001f, 0.001f);
        SDsetattr(sds, "scale_factor", DFNT_FLOAT64, 1, &scale);
    }
    if (attrs & 2) {
        int16 fill = (int16)fb_u32(b);
        SDsetattr(sds, "_FillValue", DFNT_INT16, 1, &fill);
    }
    if (attrs & 4) {
        int16 range[2] = {(int16)fb_u32(b), (int16)fb_u32(b)};
        SDsetattr(sds, "valid_range", DFNT_INT16, 2, range);
    }
    SDendaccess(sds);
}

static int write_granule(fuzz_bytes *b, const char *path)
{
    int32 sd = SDstart(path, DFACC_CREATE);
    if (sd < 0)
        return 0;
    uint8_t flags = fb_u8(b);
    int32 nx = 1 + fb_u8(b) % 24, ny = 1 + fb_u8(b) % 24, orbits = 1 + fb_u8(b) % 4;
    double ulx = -20015109.354 + 27 * TILE, uly = 10007554.677 - 6 * TILE, w = TILE, h = TILE;
    if (flags & 1) {
        ulx = fb_float(b, (float)ulx, 3e7f);
        uly = fb_float(b, (float)uly, 3e7f);
        w = fb_float(b, (float)TILE, 2e6f);
        h = fb_float(b, (float)TILE, 2e6f);
    }
    char meta[1024];
    snprintf(meta, sizeof meta,
             "GROUP=GRID_1\n\tGridName=\"grid1km\"\n\tXDim=%d\n\tYDim=%d\n"
             "\tUpperLeftPointMtrs=(%f,%f)\n\tLowerRightMtrs=(%f,%f)\n\tProjection=%s\n"
             "\tProjParams=(%f,0,0)\nEND_GROUP=GRID_1\n",
             (flags & 2) ? nx : (int)fb_u32(b), (flags & 2) ? ny : (int)fb_u32(b), ulx, uly,
             ulx + w, uly - h, (flags & 4) ? "GCTP_GEO" : "GCTP_SNSOID",
             (flags & 8) ? (double)fb_float(b, 6371007.181f, 1e6f) : 6371007.181);
    if (!(flags & 16))
        SDsetattr(sd, "StructMetadata.0", DFNT_CHAR8, (int32)strlen(meta), meta);
    char core[1024], d0[32], c0[32], d1[32], c1[32];
    fb_text(b, DATES, 4, d0, sizeof d0);
    fb_text(b, CLOCKS, 4, c0, sizeof c0);
    fb_text(b, DATES, 4, d1, sizeof d1);
    fb_text(b, CLOCKS, 4, c1, sizeof c1);
    snprintf(core, sizeof core,
             "OBJECT                 = RANGEBEGINNINGDATE\n VALUE = \"%s\"\n"
             "OBJECT                 = RANGEBEGINNINGTIME\n VALUE = \"%s\"\n"
             "OBJECT                 = RANGEENDINGDATE\n VALUE = \"%s\"\n"
             "OBJECT                 = RANGEENDINGTIME\n VALUE = \"%s\"\n",
             d0, c0, d1, c1);
    if (!(flags & 32))
        SDsetattr(sd, "CoreMetadata.0", DFNT_CHAR8, (int32)strlen(core), core);
    uint8_t present = fb_u8(b);
    if (!(present & 1))
        write_sds(b, sd, "Optical_Depth_047", DFNT_INT16, (present & 32) ? 2 : 3, orbits, ny, nx);
    if (!(present & 2))
        write_sds(b, sd, "Optical_Depth_055", (present & 8) ? DFNT_INT32 : DFNT_INT16, 3, orbits,
                  ny, nx);
    if (!(present & 4))
        write_sds(b, sd, "AOD_QA", DFNT_UINT16, 3, orbits, (present & 16) ? ny + 1 : ny, nx);
    return SDend(sd) == SUCCEED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fb_temp_path("MCD19A2.A2026010.h27v06.061.2026012093015.hdf");
    if (path == NULL)
        return 0;
    fuzz_bytes b = {data, size, 0};
    remove(path);
    if (!write_granule(&b, path))
        return 0;
    /* a box over the tile's pixels at the default corners, and one that wraps the world */
    static const ais_bbox boxes[2] = {
        {.west = 100.0, .east = 112.0, .south = 10.0, .north = 30.0},
        {.west = -180.0, .east = 360.0, .south = -90.0, .north = 90.0}};
    for (int i = 0; i < 2; i++) {
        ais_maiac_granule g;
        const char *reason;
        char detail[256];
        (void)ais_maiac_decode(path, &boxes[i], &g, &reason, detail, sizeof detail);
    }
    return 0;
}
