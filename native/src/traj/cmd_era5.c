/* `ais-traj met-from-era5`: ERA5 pressure-level GRIB (and optionally single-level GRIB), cut to
 * era5.region, written as an ARL file. The summary line carries what a row of
 * weather.era5_arl_files_bronze needs: out (path), bytes, sha256, first_time/last_time,
 * levels_hpa, grid_west/east/south/north, dlon/dlat, met_source "ERA5". */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "ais/arl.h"
#include "ais/jsonutil.h"
#include "ais/met_era5.h"
#include "commands.h"

/* Lower-case hex SHA-256 of a file into out (65 bytes). */
static ais_status file_sha256(const char *path, char out[65])
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return AIS_ERR_IO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ais_status st = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? AIS_OK
                                                                                   : AIS_ERR_NOMEM;
    unsigned char buf[65536];
    size_t n;
    while (st == AIS_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            st = AIS_ERR_IO;
    if (st == AIS_OK && ferror(f))
        st = AIS_ERR_IO;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (st == AIS_OK && EVP_DigestFinal_ex(ctx, md, &len) != 1)
        st = AIS_ERR_IO;
    for (unsigned k = 0; st == AIS_OK && k < len && k < 32; k++)
        snprintf(out + 2 * k, 3, "%02x", md[k]);
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return st;
}

static ais_status region_from_config(const ais_config *cfg, ais_era5_region *r)
{
    ais_status st = ais_config_get_double(cfg, "era5.region.west", &r->west);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "era5.region.east", &r->east);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "era5.region.south", &r->south);
    if (st == AIS_OK)
        st = ais_config_get_double(cfg, "era5.region.north", &r->north);
    return st;
}

static ais_status describe_file(json_t *s, const ais_met_grid *g, const ais_met_era5_report *rep,
                                const char *path)
{
    ais_status st = ais_traj_describe_met(s, g);
    if (st == AIS_OK)
        st = ais_json_set(s, "grid_west", json_real(ais_met_lon(g, 0)));
    if (st == AIS_OK)
        st = ais_json_set(s, "grid_east", json_real(ais_met_lon(g, g->nx - 1)));
    if (st == AIS_OK)
        st = ais_json_set(s, "grid_south", json_real(ais_met_lat(g, 0)));
    if (st == AIS_OK)
        st = ais_json_set(s, "grid_north", json_real(ais_met_lat(g, g->ny - 1)));
    if (st == AIS_OK)
        st = ais_json_set(s, "pressure_messages_used",
                          json_integer((json_int_t)rep->pressure_messages_used));
    if (st == AIS_OK)
        st = ais_json_set(s, "messages_skipped", json_integer((json_int_t)rep->messages_skipped));
    if (st == AIS_OK)
        st = ais_json_set(s, "member", json_integer((json_int_t)rep->member));
    if (st == AIS_OK)
        st = ais_json_set(s, "surface_from_lowest_level",
                          json_boolean(rep->surface_from_lowest_level));
    struct stat sb;
    char digest[65] = "";
    if (st == AIS_OK && stat(path, &sb) == 0 && file_sha256(path, digest) == AIS_OK) {
        st = ais_json_set(s, "bytes", json_integer((json_int_t)sb.st_size));
        if (st == AIS_OK)
            st = ais_json_set_string(s, "sha256", digest);
    }
    return st;
}

ais_status ais_traj_cmd_met_from_era5(const ais_traj_args *args, ais_logger *logger)
{
    char error[512] = "";
    char errbuf[AIS_ARL_ERRBUF_SIZE] = "";
    ais_config *cfg = NULL;
    ais_met_grid *grid = NULL;
    ais_era5_fields pl, sfc;
    memset(&pl, 0, sizeof pl);
    memset(&sfc, 0, sizeof sfc);
    ais_met_era5_report rep;
    memset(&rep, 0, sizeof rep);
    ais_era5_region region;
    double t0 = ais_traj_now_s();
    ais_status st = ais_traj_load_config(args->config_path, logger, &cfg, error, sizeof error);
    if (st == AIS_OK && (st = region_from_config(cfg, &region)) != AIS_OK)
        snprintf(error, sizeof error, "configuration: era5.region.west/east/south/north missing");
    if (st == AIS_OK &&
        (st = ais_era5_fields_read(args->grib_path, &region, &pl, errbuf, sizeof errbuf)) != AIS_OK)
        snprintf(error, sizeof error, "%s", errbuf);
    if (st == AIS_OK && args->surface_grib_path != NULL &&
        (st = ais_era5_fields_read(args->surface_grib_path, &region, &sfc, errbuf,
                                   sizeof errbuf)) != AIS_OK)
        snprintf(error, sizeof error, "%s", errbuf);
    if (st == AIS_OK &&
        (st = ais_met_from_era5(&pl, &sfc, -1, &grid, &rep, errbuf, sizeof errbuf)) != AIS_OK)
        snprintf(error, sizeof error, "%s", errbuf);
    if (st == AIS_OK &&
        (st = ais_arl_write_met(grid, args->out_path, errbuf, sizeof errbuf)) != AIS_OK)
        snprintf(error, sizeof error, "%s", errbuf);
    if (st == AIS_OK)
        ais_log(logger, AIS_LOG_INFO, "era5_arl_written", AIS_F_STR("out", args->out_path),
                AIS_F_INT("nt", (int64_t)grid->nt), AIS_F_INT("nz", (int64_t)grid->nz),
                AIS_F_END);

    json_t *s = json_object();
    ais_status js = s != NULL ? ais_json_set_string(s, "command", "met-from-era5") : AIS_ERR_NOMEM;
    if (js == AIS_OK)
        js = ais_json_set_string(s, "grib", args->grib_path);
    if (js == AIS_OK && args->surface_grib_path != NULL)
        js = ais_json_set_string(s, "surface_grib", args->surface_grib_path);
    if (js == AIS_OK)
        js = ais_json_set_string(s, "out", args->out_path);
    if (js == AIS_OK)
        js = ais_json_set(s, "messages_read", json_integer((json_int_t)pl.messages_read));
    if (js == AIS_OK && st == AIS_OK)
        js = describe_file(s, grid, &rep, args->out_path);
    if (js == AIS_OK)
        js = ais_json_set(s, "elapsed_s", json_real(ais_traj_now_s() - t0));
    if (js != AIS_OK) {
        json_decref(s);
        s = NULL;
    }
    ais_era5_fields_free(&pl);
    ais_era5_fields_free(&sfc);
    ais_met_grid_free(grid);
    ais_logger_apply_config(logger, NULL);
    ais_config_free(cfg);
    return ais_traj_print_summary(s, st, error, false);
}
