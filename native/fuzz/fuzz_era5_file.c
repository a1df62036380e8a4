/* libFuzzer target: ERA5 files.
 * - GRIB: the raw bytes through ais_era5_decode_memory (ecCodes parses them; mutated messages,
 *   truncations, absurd grids).
 * - netCDF, structure-aware (inputs starting with 'N'): a CDS-like file written from the bytes
 *   with libnetcdf (netCDF-3 or -4; time/valid_time with valid or malformed units; latitude and
 *   longitude axes of any values; pressure levels or none; variables of any name among ERA5's
 *   and others, packed shorts, floats or doubles, fills and NaN), then ais_era5_file_decode.
 *   Raw netCDF bytes are skipped: they crash libnetcdf 4.9.0 / libhdf5 1.10 themselves inside
 *   nc_open, which no caller can guard against.
 * Seeds: the hand-made GRIB1 "ERA5 over Vietnam" fixture of tests/test_era5.c and netCDF
 * recipes in corpus/era5_file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ais/era5.h"
#include "fuzz_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ais_bbox HANOI = {.west = 105.25, .east = 106.10, .south = 20.55, .north = 21.40};
static const char *const UNITS[] = {"hours since 1900-01-01 00:00:00.0", "seconds since 1970-01-01",
                                    "days since 2026-10-15T00:00:00", "fortnights since then", ""};
static const char *const VARS[] = {"t2m", "u10", "v10", "msl", "tp", "sp", "blh", "d2m", "z", "foo"};

static int write_netcdf(fuzz_bytes *b, const char *path)
{
    uint8_t flags = fb_u8(b);
    int nc, dt, dy, dx, dl = -1, vt, vy, vx, vl;
    if (nc_create(path, ((flags & 1) ? NC_NETCDF4 : NC_64BIT_OFFSET) | NC_CLOBBER, &nc) != NC_NOERR)
        return 0;
    size_t nt = 1 + fb_u8(b) % 4, ny = 1 + fb_u8(b) % 8, nx = 1 + fb_u8(b) % 8, nl = 1 + fb_u8(b) % 3;
    const char *tname = (flags & 2) ? "valid_time" : "time";
    nc_def_dim(nc, tname, nt, &dt);
    nc_def_dim(nc, "latitude", ny, &dy);
    nc_def_dim(nc, "longitude", nx, &dx);
    if (flags & 4)
        nc_def_dim(nc, (flags & 8) ? "pressure_level" : "level", nl, &dl);
    nc_def_var(nc, tname, NC_DOUBLE, 1, &dt, &vt);
    char units[64];
    fb_text(b, UNITS, 5, units, sizeof units);
    if (!(flags & 16))
        nc_put_att_text(nc, vt, "units", strlen(units), units);
    nc_def_var(nc, "latitude", NC_DOUBLE, 1, &dy, &vy);
    nc_def_var(nc, "longitude", NC_DOUBLE, 1, &dx, &vx);
    if (dl >= 0)
        nc_def_var(nc, (flags & 8) ? "pressure_level" : "level", NC_DOUBLE, 1, &dl, &vl);
    int nvars = 1 + fb_u8(b) % 4, ids[4];
    for (int k = 0; k < nvars; k++) {
        uint8_t pick = fb_u8(b);
        char name[16];
        snprintf(name, sizeof name, "%s", VARS[pick % 10]);
        for (int j = 0; j < k; j++)
            if (ids[j] >= 0) /* names must differ */
                snprintf(name, sizeof name, "%s_%d", VARS[pick % 10], k);
        nc_type type = (pick & 0x10) ? NC_SHORT : (pick & 0x20) ? NC_DOUBLE : NC_FLOAT;
        int dims4[4] = {dt, dl, dy, dx}, dims3[3] = {dt, dy, dx};
        bool four = dl >= 0 && (pick & 0x40);
        if (nc_def_var(nc, name, type, four ? 4 : 3, four ? dims4 : dims3, &ids[k]) != NC_NOERR) {
            ids[k] = -1;
            continue;
        }
        if (type == NC_SHORT) {
            double scale = fb_float(b, 0.01f, 0.01f), offset = fb_float(b, 280.0f, 50.0f);
            short fill = -32767;
            nc_put_att_double(nc, ids[k], "scale_factor", NC_DOUBLE, 1, &scale);
            nc_put_att_double(nc, ids[k], "add_offset", NC_DOUBLE, 1, &offset);
            nc_put_att_short(nc, ids[k], "missing_value", NC_SHORT, 1, &fill);
        }
    }
    nc_enddef(nc);
    double axis[8];
    for (size_t i = 0; i < nt; i++)
        axis[i] = fb_float(b, 1111392.0f, 100.0f);
    nc_put_var_double(nc, vt, axis);
    double lat0 = fb_float(b, 21.75f, 5.0f), lon0 = fb_float(b, 105.0f, 5.0f);
    double step = (flags & 32) ? fb_float(b, 0.25f, 1.0f) : 0.25;
    for (size_t i = 0; i < ny; i++)
        axis[i] = lat0 - step * (double)i;
    nc_put_var_double(nc, vy, axis);
    for (size_t i = 0; i < nx; i++)
        axis[i] = lon0 + ((flags & 64) ? -step : step) * (double)i;
    nc_put_var_double(nc, vx, axis);
    if (dl >= 0) {
        for (size_t i = 0; i < nl; i++)
            axis[i] = fb_float(b, 850.0f, 300.0f);
        nc_put_var_double(nc, vl, axis);
    }
    size_t n = nt * ny * nx * nl;
    double *v = malloc(n * sizeof *v);
    for (int k = 0; v != NULL && k < nvars; k++) {
        if (ids[k] < 0)
            continue;
        for (size_t i = 0; i < n; i++)
            v[i] = fb_float(b, 280.0f, 30.0f);
        nc_put_var_double(nc, ids[k], v); /* out-of-range doubles for shorts: an error, fine */
    }
    free(v);
    return nc_close(nc) == NC_NOERR;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ais_era5_file_info f;
    const char *reason;
    char detail[320];
    if (size >= 1 && data[0] == 'N') {
        const char *path = fb_temp_path("era5.nc");
        if (path == NULL)
            return 0;
        fuzz_bytes b = {data, size, 1};
        if (write_netcdf(&b, path) &&
            ais_era5_file_decode(path, &HANOI, &f, &reason, detail, sizeof detail) == AIS_OK)
            ais_era5_file_info_free(&f);
        remove(path);
        return 0;
    }
    if (size >= 3 && (memcmp(data, "CDF", 3) == 0 || (size >= 4 && memcmp(data, "\x89HDF", 4) == 0)))
        return 0;
    if (ais_era5_decode_memory(data, size, &HANOI, &f, &reason, detail, sizeof detail) == AIS_OK)
        ais_era5_file_info_free(&f);
    return 0;
}
