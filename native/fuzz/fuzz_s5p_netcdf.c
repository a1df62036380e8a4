/* libFuzzer target, structure-aware: Sentinel-5P L2 netCDF4 files written from the fuzzer's
 * bytes with libnetcdf, then decoded by ais_s5p_decode. The bytes choose the product (file
 * name), the global attributes (valid, malformed or arbitrary times, an orbit or none), the
 * PRODUCT dimensions, which variables exist and with which type and shape, and every latitude,
 * longitude, qa_value and value (any float bit pattern, fills, NaN). Raw-byte mutation of the
 * HDF5 container is not fuzzed here: it crashes libhdf5 1.10 itself (inside nc_open), which no
 * caller can guard against; what this covers is everything our decoder does with what the
 * library hands back. Seeds: small recipes in corpus/s5p_netcdf. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ais/s5p.h"
#include "fuzz_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const PRODUCTS[] = {"NO2___", "CO____", "SO2___", "O3____", "AER_AI", "CH4___"};
static const char *const TIMES[] = {"2026-10-15T05:50:00Z", "2026-10-15T05:50:00",
                                    "2026-13-40T99:99:99Z", "", "2026-10-15"};

static int write_file(fuzz_bytes *b, const char *path)
{
    int nc, grp, dims[3];
    if (nc_create(path, NC_NETCDF4 | NC_CLOBBER, &nc) != NC_NOERR)
        return 0;
    char text[64];
    fb_text(b, TIMES, 5, text, sizeof text);
    nc_put_att_text(nc, NC_GLOBAL, "time_coverage_start", strlen(text), text);
    fb_text(b, TIMES, 5, text, sizeof text);
    nc_put_att_text(nc, NC_GLOBAL, "time_coverage_end", strlen(text), text);
    uint8_t flags = fb_u8(b);
    if (flags & 1) {
        int orbit = (int)fb_u32(b);
        nc_put_att_int(nc, NC_GLOBAL, "orbit", NC_INT, 1, &orbit);
    }
    if (flags & 2)
        nc_put_att_text(nc, NC_GLOBAL, "date_created", 20, "2026-10-16T03:00:00Z");
    size_t ns = 1 + fb_u8(b) % 12, np = 1 + fb_u8(b) % 12;
    if (nc_def_grp(nc, "PRODUCT", &grp) == NC_NOERR && !(flags & 4)) {
        nc_def_dim(grp, "time", 1 + (flags >> 7), &dims[0]);
        nc_def_dim(grp, "scanline", ns, &dims[1]);
        nc_def_dim(grp, (flags & 8) ? "ground_pixels" : "ground_pixel", np, &dims[2]);
        static const char *const names[4] = {"latitude", "longitude", "qa_value", NULL};
        uint8_t present = fb_u8(b), types = fb_u8(b);
        int ids[4] = {-1, -1, -1, -1};
        for (int k = 0; k < 4; k++) {
            const char *name = names[k] != NULL ? names[k]
                                                : "nitrogendioxide_tropospheric_column";
            if (!(present >> k & 1) && present != 0)
                continue;
            nc_type type = k == 2 ? NC_UBYTE : NC_FLOAT;
            if (types >> k & 1)
                type = NC_DOUBLE;
            int ndims = (types >> 4 & 1) && k == 3 ? 2 : 3;
            if (nc_def_var(grp, name, type, ndims, ndims == 3 ? dims : dims + 1, &ids[k]) !=
                NC_NOERR)
                ids[k] = -1;
        }
        if (ids[2] >= 0 && (flags & 16)) {
            float scale = fb_float(b, 0.01f, 0.01f);
            nc_put_att_float(grp, ids[2], "scale_factor", NC_FLOAT, 1, &scale);
        }
        if (ids[3] >= 0 && (flags & 32)) {
            nc_put_att_text(grp, ids[3], "units", 7, "mol m-2");
            float fill = 9.96921e36f;
            nc_put_att_float(grp, ids[3], "_FillValue", NC_FLOAT, 1, &fill);
        }
        nc_enddef(nc);
        size_t n = ns * np * (1 + (flags >> 7));
        float *f = malloc(n * sizeof *f);
        unsigned char *q = malloc(n);
        for (int k = 0; f != NULL && q != NULL && k < 4; k++) {
            if (ids[k] < 0)
                continue;
            for (size_t i = 0; i < n; i++) {
                if (k == 2)
                    q[i] = fb_u8(b);
                else
                    f[i] = fb_float(b, k == 0 ? 21.0f : k == 1 ? 105.7f : 1e-4f,
                                    k == 3 ? 1e-4f : 1.0f);
            }
            if (k == 2)
                nc_put_var_uchar(grp, ids[k], q);
            else
                nc_put_var_float(grp, ids[k], f);
        }
        free(f);
        free(q);
    }
    return nc_close(nc) == NC_NOERR;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_bytes b = {data, size, 0};
    /* the product is in the name: one of the five, or one that is not configured */
    char name[160];
    snprintf(name, sizeof name,
             "S5P_OFFL_L2__%s_20261015T053000_20261015T071000_46001_03_020600_20261016T030000.nc",
             PRODUCTS[fb_u8(&b) % 6]);
    const char *dir_file = fb_temp_path("product.nc");
    if (dir_file == NULL)
        return 0;
    char path[768];
    snprintf(path, sizeof path, "%.*s/%s", (int)(strrchr(dir_file, '/') - dir_file), dir_file, name);
    if (!write_file(&b, path)) {
        remove(path);
        return 0;
    }
    ais_s5p_options o;
    memset(&o, 0, sizeof o);
    o.box = (ais_bbox){.west = 105.25, .east = 106.10, .south = 20.55, .north = 21.40};
    o.grid_area = (ais_bbox){.west = 95.0, .east = 115.0, .south = 5.0, .north = 35.0};
    o.grid_deg = 0.25;
    for (int p = 0; p < AIS_S5P_PRODUCTS; p++) {
        o.enabled[p] = true;
        o.qa_min[p] = 0.5;
        o.grid[p] = true;
    }
    ais_s5p_result r;
    const char *reason;
    char detail[256];
    if (ais_s5p_decode(path, &o, &r, &reason, detail, sizeof detail) == AIS_OK)
        ais_s5p_result_free(&r);
    remove(path);
    return 0;
}
