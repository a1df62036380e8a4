/* Simulated MCD19A2 v061 granules as LP DAAC serves them (ais/provsim_gridded.h): the HDF4-EOS
 * writer, the tiles over a box, the simulated tile and ais_provsim_maiac. */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mfhdf.h>

#include "ais/fsutil.h"
#include "ais/noise.h"
#include "ais/provsim_gridded.h"
#include "ais/timeutil.h"

#define PI 3.14159265358979323846
#define DEG (180.0 / PI)
#define MAX_ORBITS 8
#define GRID_N 1200 /* grid1km: 1200 x 1200 pixels a tile */

/* ---- the granule file -------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static bool appendf(ais_json_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ais_json_buf_reserve(b, (size_t)n + 1) != AIS_OK)
        return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

static bool odl_field(ais_json_buf *b, int k, const char *name, const char *type)
{
    return appendf(b,
                   "\t\t\tOBJECT=DataField_%d\n\t\t\t\tDataFieldName=\"%s\"\n\t\t\t\tDataType=%s\n"
                   "\t\t\t\tDimList=(\"Orbits\",\"YDim\",\"XDim\")\n"
                   "\t\t\tEND_OBJECT=DataField_%d\n",
                   k, name, type, k);
}

/* StructMetadata.0: the grid1km grid of the tile, as HDF-EOS writes it. */
static bool struct_metadata(ais_json_buf *b, const ais_maiac_granule_spec *g)
{
    double ulx = AIS_MAIAC_SINU_X0 + g->h * AIS_MAIAC_TILE_M;
    double uly = AIS_MAIAC_SINU_Y0 - g->v * AIS_MAIAC_TILE_M;
    return appendf(b,
                   "GROUP=SwathStructure\nEND_GROUP=SwathStructure\nGROUP=GridStructure\n"
                   "\tGROUP=GRID_1\n\t\tGridName=\"grid1km\"\n\t\tXDim=%ld\n\t\tYDim=%ld\n"
                   "\t\tUpperLeftPointMtrs=(%.6f,%.6f)\n\t\tLowerRightMtrs=(%.6f,%.6f)\n"
                   "\t\tProjection=GCTP_SNSOID\n"
                   "\t\tProjParams=(%.6f,0,0,0,0,0,0,0,0,0,0,0,0)\n\t\tSphereCode=-1\n"
                   "\t\tGridOrigin=HDFE_GD_UL\n\t\tGROUP=Dimension\n\t\t\tOBJECT=Dimension_1\n"
                   "\t\t\t\tDimensionName=\"Orbits\"\n\t\t\t\tSize=%d\n"
                   "\t\t\tEND_OBJECT=Dimension_1\n\t\tEND_GROUP=Dimension\n\t\tGROUP=DataField\n",
                   g->nx, g->ny, ulx, uly, ulx + AIS_MAIAC_TILE_M, uly - AIS_MAIAC_TILE_M,
                   AIS_MAIAC_SPHERE_RADIUS_M, g->orbits) &&
           odl_field(b, 1, "Optical_Depth_047", "DFNT_INT16") &&
           odl_field(b, 2, "Optical_Depth_055", "DFNT_INT16") &&
           odl_field(b, 3, "AOD_QA", "DFNT_UINT16") &&
           appendf(b, "\t\tEND_GROUP=DataField\n\t\tGROUP=MergedFields\n"
                      "\t\tEND_GROUP=MergedFields\n\tEND_GROUP=GRID_1\nEND_GROUP=GridStructure\n"
                      "GROUP=PointStructure\nEND_GROUP=PointStructure\nEND\n");
}

/* An ODL object of CoreMetadata.0 (value already quoted if it is text). */
static bool odl_object(ais_json_buf *b, const char *name, const char *value)
{
    return appendf(b,
                   "    OBJECT                 = %s\n      NUM_VAL              = 1\n"
                   "      VALUE                = %s\n    END_OBJECT             = %s\n\n",
                   name, value, name);
}

/* "  GROUP                  = NAME" or "  END_GROUP              = NAME" (aligned at 25) */
static bool odl_group(ais_json_buf *b, const char *name, bool end)
{
    return appendf(b, "  %-23s= %s\n\n", end ? "END_GROUP" : "GROUP", name);
}

/* "\"2026-03-30\"" and "\"03:30:00.000000\"" */
static bool quoted_time(int64_t t, char date[16], char clock[24])
{
    ais_civil_time c;
    if (ais_time_to_civil(t, &c) != AIS_OK)
        return false;
    snprintf(date, 16, "\"%04d-%02d-%02d\"", c.year, c.month, c.day);
    snprintf(clock, 24, "\"%02d:%02d:%02d.000000\"", c.hour, c.minute, c.second);
    return true;
}

/* CoreMetadata.0: the inventory objects the archive and the decoder read. */
static bool core_metadata(ais_json_buf *b, const char *name, const ais_maiac_granule_spec *g)
{
    char id[160], d0[16], t0[24], d1[16], t1[24], pd[16], pt[24], produced[48];
    if (!quoted_time(g->time_start, d0, t0) || !quoted_time(g->time_end, d1, t1) ||
        !quoted_time(g->production_time, pd, pt))
        return false;
    snprintf(id, sizeof id, "\"%s\"", name);
    /* "2026-03-31T16:31:30.000Z" */
    snprintf(produced, sizeof produced, "\"%.10sT%.8s.000Z\"", pd + 1, pt + 1);
    return appendf(b, "\nGROUP                  = INVENTORYMETADATA\n"
                      "  GROUPTYPE            = MASTERGROUP\n\n") &&
           odl_group(b, "ECSDATAGRANULE", false) && odl_object(b, "LOCALGRANULEID", id) &&
           odl_object(b, "DAYNIGHTFLAG", "\"Day\"") &&
           odl_object(b, "PRODUCTIONDATETIME", produced) &&
           odl_object(b, "LOCALVERSIONID", "\"SCF V6.0.32\"") &&
           odl_group(b, "ECSDATAGRANULE", true) &&
           odl_group(b, "MEASUREDPARAMETER", false) &&
           odl_object(b, "PARAMETERNAME", "\"MODIS MAIAC file\"") &&
           odl_group(b, "MEASUREDPARAMETER", true) && odl_group(b, "RANGEDATETIME", false) &&
           odl_object(b, "RANGEBEGINNINGTIME", t0) && odl_object(b, "RANGEENDINGTIME", t1) &&
           odl_object(b, "RANGEBEGINNINGDATE", d0) && odl_object(b, "RANGEENDINGDATE", d1) &&
           odl_group(b, "RANGEDATETIME", true) &&
           odl_group(b, "COLLECTIONDESCRIPTIONCLASS", false) &&
           odl_object(b, "SHORTNAME", "\"MCD19A2\"") && odl_object(b, "VERSIONID", "61") &&
           odl_group(b, "COLLECTIONDESCRIPTIONCLASS", true) &&
           appendf(b, "END_GROUP              = INVENTORYMETADATA\n\nEND\n");
}

/* Orbit_time_stamp: "YYYYDDDHHMM" and T (Terra, the morning half) or A (Aqua) per orbit. */
static bool orbit_stamps(ais_json_buf *b, const ais_maiac_granule_spec *g)
{
    for (int o = 0; o < g->orbits; o++) {
        int64_t t = g->time_start;
        if (g->orbits > 1)
            t += (g->time_end - g->time_start) * o / (g->orbits - 1);
        ais_civil_time c;
        if (ais_time_to_civil(t, &c) != AIS_OK ||
            !appendf(b, "%04d%03d%02d%02d%c  ", c.year, c.yday + 1, c.hour, c.minute,
                     2 * o < g->orbits ? 'T' : 'A'))
            return false;
    }
    return true;
}

static const char QA_DESCRIPTION[] =
    "Bits\tDefinition\n0-2    Cloud Mask\n       000 --- Undefined\n       001 --- Clear\n"
    "       010 --- Possible Cloudy\n       011 --- Cloudy \n       101 --- Cloud shadow\n"
    "       110 --- Fire hotspot\n       111 --- Water Sediments\n"
    "3-4    Land Water Snow/ice  Mask\n       00 --- Land\n       01 --- Water\n"
    "       10 --- Snow\n       11 --- Ice\n5-7  Adjacency Mask\n"
    "       000 --- Normal condition/clear\n       001 --- Adjacent to cloud\n"
    "       010 --- Surrounded by more than 8 cloudy pixels\n"
    "       011 --- Adjacent to a single cloudy pixel\n       100 --- Adjacent to snow\n"
    "       101 --- Snow was previously detected for this pixel\n8-11 QA AOD \n"
    "       0000 --- Best quality \n       0011 --- There is 1 neighbor cloud\n"
    "       0100 --- There is >1 neighbor clouds\n"
    "       0101 --- no retrieval (cloudy, or whatever)\n12    Glint mask\n"
    "       0 --- glint is not detected\n       1 --- glint is detected\n13-14 Aerosol model\n"
    "       00 --- background model(regional)\n       01 --- Smoke model (regional)\n"
    "       10 --- Dust model\n15  Reserved\n";

static bool set_text(int32 id, const char *name, const char *text)
{
    return SDsetattr(id, name, DFNT_CHAR8, (int32)strlen(text), text) != FAIL;
}

/* One Orbits x YDim x XDim dataset with its data (deflated as one block when level > 0). */
static int32 new_sds(int32 sd, const char *name, int32 type, const ais_maiac_granule_spec *g,
                     const void *data)
{
    int32 dims[3] = {g->orbits, (int32)g->ny, (int32)g->nx}, start[3] = {0, 0, 0};
    static const char *const dim_names[3] = {"Orbits:grid1km", "YDim:grid1km", "XDim:grid1km"};
    int32 sds = SDcreate(sd, name, type, 3, dims);
    if (sds == FAIL)
        return FAIL;
    bool ok = true;
    for (int k = 0; ok && k < 3; k++)
        ok = SDsetdimname(SDgetdimid(sds, k), dim_names[k]) != FAIL;
    if (ok && g->deflate_level > 0) {
        comp_info ci;
        memset(&ci, 0, sizeof ci);
        ci.deflate.level = g->deflate_level;
        ok = SDsetcompress(sds, COMP_CODE_DEFLATE, &ci) != FAIL;
    }
    if (ok)
        ok = SDwritedata(sds, start, NULL, dims, (void *)(uintptr_t)data) != FAIL;
    if (!ok) {
        SDendaccess(sds);
        return FAIL;
    }
    return sds;
}

static bool aod_sds(int32 sd, const char *name, const char *long_name,
                    const ais_maiac_granule_spec *g, const int16_t *data)
{
    int32 sds = new_sds(sd, name, DFNT_INT16, g, data);
    if (sds == FAIL)
        return false;
    float64 scale = 0.001, offset = 0.0;
    int16 fill = AIS_MAIAC_FILL, range[2] = {-100, 6000};
    bool ok = set_text(sds, "long_name", long_name) &&
              SDsetattr(sds, "scale_factor", DFNT_FLOAT64, 1, &scale) != FAIL &&
              SDsetattr(sds, "add_offset", DFNT_FLOAT64, 1, &offset) != FAIL &&
              set_text(sds, "unit", "none") &&
              SDsetattr(sds, "_FillValue", DFNT_INT16, 1, &fill) != FAIL &&
              SDsetattr(sds, "valid_range", DFNT_INT16, 2, range) != FAIL;
    return SDendaccess(sds) != FAIL && ok;
}

static bool qa_sds(int32 sd, const ais_maiac_granule_spec *g)
{
    int32 sds = new_sds(sd, "AOD_QA", DFNT_UINT16, g, g->qa);
    if (sds == FAIL)
        return false;
    uint16 fill = 0, range[2] = {1, 65535};
    bool ok = set_text(sds, "long_name", "AOD_QA") && set_text(sds, "unit", "none") &&
              set_text(sds, "data description", QA_DESCRIPTION) &&
              SDsetattr(sds, "_FillValue", DFNT_UINT16, 1, &fill) != FAIL &&
              SDsetattr(sds, "valid_range", DFNT_UINT16, 2, range) != FAIL;
    return SDendaccess(sds) != FAIL && ok;
}

static bool write_granule(int32 sd, const char *name, const ais_maiac_granule_spec *g)
{
    ais_json_buf sm = {0}, core = {0}, stamps = {0};
    int32 orbits = g->orbits;
    bool ok = struct_metadata(&sm, g) && core_metadata(&core, name, g) && orbit_stamps(&stamps, g);
    ok = ok && set_text(sd, "HDFEOSVersion", "HDFEOS_V2.19") &&
         set_text(sd, "StructMetadata.0", sm.data) &&
         SDsetattr(sd, "Orbit_amount", DFNT_INT32, 1, &orbits) != FAIL &&
         set_text(sd, "Orbit_time_stamp", stamps.data) &&
         set_text(sd, "CoreMetadata.0", core.data) &&
         set_text(sd, "comment", g->comment != NULL ? g->comment : "") &&
         aod_sds(sd, "Optical_Depth_047", "AOD at 0.47 micron", g, g->aod047) &&
         aod_sds(sd, "Optical_Depth_055", "AOD at 0.55 micron", g, g->aod055) && qa_sds(sd, g);
    free(sm.data);
    free(core.data);
    free(stamps.data);
    return ok;
}

ais_status ais_maiac_granule_write(const char *path, const ais_maiac_granule_spec *g,
                                   uint64_t *bytes, char *errbuf, size_t errsize)
{
    if (path == NULL || g == NULL || g->aod047 == NULL || g->aod055 == NULL || g->qa == NULL ||
        g->nx < 1 || g->ny < 1 || g->nx > 100000 || g->ny > 100000 || g->orbits < 1 ||
        g->orbits > 64 || g->deflate_level < 0 || g->deflate_level > 9)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize, "%s: incomplete granule",
                               path != NULL ? path : "(no path)");
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    char *tmp = ais_provsim_temp_path(path);
    char *dir = strdup(path);
    if (tmp == NULL || dir == NULL) {
        free(tmp);
        free(dir);
        return AIS_ERR_NOMEM;
    }
    if (slash != NULL)
        dir[slash == path ? 1 : slash - path] = '\0';
    /* HDF4 records the path it was given in the file (the real granules carry
     * "<name>.temp"): the granule is created by its bare temporary name from inside its
     * folder, so that its bytes do not depend on where the folder is. The working directory
     * is restored at once; nothing else runs meanwhile in ais-provider-sim. */
    const char *bare = strrchr(tmp, '/') + 1;
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int there = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool moved = here >= 0 && there >= 0 && fchdir(there) == 0;
    int32 sd = moved ? SDstart(bare, DFACC_CREATE) : FAIL;
    bool ok = sd != FAIL && write_granule(sd, name, g);
    if (sd != FAIL && SDend(sd) == FAIL)
        ok = false;
    if (moved && fchdir(here) != 0)
        ok = false;
    if (here >= 0)
        close(here);
    if (there >= 0)
        close(there);
    ais_status st = AIS_OK;
    if (!ok) {
        unlink(tmp);
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                             "%s: HDF4 could not write the granule (a full disk, or a folder "
                             "that cannot be entered or written)",
                             path);
    } else {
        st = ais_provsim_install(tmp, path, errbuf, errsize);
    }
    free(tmp);
    free(dir);
    struct stat sb;
    if (st == AIS_OK && bytes != NULL)
        *bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    return st;
}

ais_status ais_maiac_granule_file_name(int h, int v, int64_t day, int64_t production, char *out,
                                       size_t size)
{
    ais_civil_time a, p;
    ais_status st = ais_time_to_civil(day, &a);
    if (st == AIS_OK)
        st = ais_time_to_civil(production, &p);
    if (st != AIS_OK)
        return st;
    if (h < 0 || h > 35 || v < 0 || v > 17)
        return AIS_ERR_INVALID_ARG;
    int n = snprintf(out, size, "MCD19A2.A%04d%03d.h%02dv%02d.061.%04d%03d%02d%02d%02d.hdf",
                     a.year, a.yday + 1, h, v, p.year, p.yday + 1, p.hour, p.minute, p.second);
    return n > 0 && (size_t)n < size ? AIS_OK : AIS_ERR_RANGE;
}

/* ---- the tiles over a box ---------------------------------------------------------------- */

static int clamp_int(double x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : (int)x;
}

ais_status ais_provsim_maiac_tiles(const ais_bbox *box, int (*hv)[2], size_t cap, size_t *n)
{
    const double r = AIS_MAIAC_SPHERE_RADIUS_M, t = AIS_MAIAC_TILE_M;
    *n = 0;
    /* y = R lat: the rows of tiles are bands of latitude */
    int v0 = clamp_int(floor((AIS_MAIAC_SINU_Y0 - r * box->north / DEG) / t), 0, 17);
    int v1 = clamp_int(floor((AIS_MAIAC_SINU_Y0 - r * box->south / DEG) / t), 0, 17);
    for (int v = v0; v <= v1; v++) {
        /* the box's part of the band, and the extremes of cos(lat) over it */
        double top = (AIS_MAIAC_SINU_Y0 - v * t) / r * DEG;
        double bottom = (AIS_MAIAC_SINU_Y0 - (v + 1) * t) / r * DEG;
        double lo = fmax(bottom, box->south), hi = fmin(top, box->north);
        double c_min = fmin(cos(lo / DEG), cos(hi / DEG));
        double c_max = lo <= 0.0 && hi >= 0.0 ? 1.0 : fmax(cos(lo / DEG), cos(hi / DEG));
        /* x = R lon cos(lat) is bilinear in (lon, cos): its extremes are at the corners */
        double xs[4] = {box->west * c_min, box->west * c_max, box->east * c_min,
                        box->east * c_max};
        double x_min = xs[0], x_max = xs[0];
        for (int k = 1; k < 4; k++) {
            x_min = fmin(x_min, xs[k]);
            x_max = fmax(x_max, xs[k]);
        }
        int h0 = clamp_int(floor((r * x_min / DEG - AIS_MAIAC_SINU_X0) / t), 0, 35);
        int h1 = clamp_int(floor((r * x_max / DEG - AIS_MAIAC_SINU_X0) / t), 0, 35);
        for (int h = h0; h <= h1; h++) {
            if (*n == cap)
                return AIS_ERR_RANGE;
            hv[*n][0] = h;
            hv[*n][1] = v;
            (*n)++;
        }
    }
    return AIS_OK;
}

/* ---- the simulated tile ------------------------------------------------------------------ */

enum {
    STREAM_AOD = 0x4d50,
    STREAM_ANG,
    STREAM_CLOUD,
    STREAM_ORBIT,
    STREAM_SWATH,
    STREAM_SIDE
};

/* AOD_QA words: cloud mask bits 0-2, adjacency 5-7, QA AOD 8-11, aerosol model 13-14 */
#define QA_CLEAR 0x0001u
#define QA_CLOUDY (0x0003u | 0x5u << 8)   /* cloudy, no retrieval */
#define QA_NEAR_CLOUD (0x1u << 5 | 0x3u << 8) /* adjacent to cloud, 1 neighbour cloud */
#define QA_SMOKE (0x1u << 13)
#define NEAR_CLOUD_SHARE 0.06 /* pixel-orbits next to clouds: retrieved, not best quality */

struct ais_provsim_maiac_tile {
    uint64_t seed;
    int64_t day;
    int h, v;
    bool smoke_season;
    ais_maiac_sim_day m;
    double ulx, uly, pixel;
    long swath_lo[MAX_ORBITS], swath_hi[MAX_ORBITS]; /* the columns each orbit saw */
    double orbit_factor[MAX_ORBITS];
    ais_provsim_knots aod, angstrom, cloud[MAX_ORBITS];
};

void ais_provsim_maiac_tile_free(ais_provsim_maiac_tile *t)
{
    if (t == NULL)
        return;
    ais_provsim_knots_free(&t->aod);
    ais_provsim_knots_free(&t->angstrom);
    for (int o = 0; o < MAX_ORBITS; o++)
        ais_provsim_knots_free(&t->cloud[o]);
    free(t);
}

/* The tile's extent in degrees (longitudes at most one degree past the globe's edge). */
static ais_bbox tile_area(const ais_provsim_maiac_tile *t)
{
    const double r = AIS_MAIAC_SPHERE_RADIUS_M;
    double north = t->uly / r * DEG, south = (t->uly - AIS_MAIAC_TILE_M) / r * DEG;
    double c_min = fmax(fmin(cos(north / DEG), cos(south / DEG)), 1e-3);
    double xw = t->ulx / r * DEG, xe = (t->ulx + AIS_MAIAC_TILE_M) / r * DEG;
    double west = fmin(xw, xw / c_min), east = fmax(xe, xe / c_min);
    return (ais_bbox){.west = fmax(west, -181.0), .east = fmin(east, 181.0), .south = south,
                      .north = north};
}

const ais_maiac_sim_day *ais_provsim_maiac_tile_model(const ais_provsim_maiac_tile *t)
{
    return &t->m;
}

ais_status ais_provsim_maiac_tile_new(uint64_t seed, int64_t day, int h, int v,
                                      ais_provsim_maiac_tile **out)
{
    *out = NULL;
    ais_provsim_maiac_tile *t = calloc(1, sizeof *t);
    if (t == NULL)
        return AIS_ERR_NOMEM;
    ais_civil_time c;
    ais_status st = ais_time_to_civil(day, &c);
    if (st == AIS_OK)
        st = ais_maiac_sim_model(seed, day, h, v, &t->m);
    if (st == AIS_OK && (t->m.orbits < 1 || t->m.orbits > MAX_ORBITS))
        st = AIS_ERR_RANGE;
    if (st != AIS_OK) {
        free(t);
        return st;
    }
    t->seed = seed;
    t->day = day;
    t->h = h;
    t->v = v;
    t->smoke_season = c.yday >= 40 && c.yday <= 120; /* February to April burning */
    t->ulx = AIS_MAIAC_SINU_X0 + h * AIS_MAIAC_TILE_M;
    t->uly = AIS_MAIAC_SINU_Y0 - v * AIS_MAIAC_TILE_M;
    t->pixel = AIS_MAIAC_TILE_M / GRID_N;
    uint64_t dn = (uint64_t)(day / AIS_SECONDS_PER_DAY), key = (uint64_t)(h * 100 + v);
    ais_bbox area = tile_area(t);
    st = ais_provsim_knots_init(&t->aod, seed, STREAM_AOD, dn, &area, 0.5);
    if (st == AIS_OK)
        st = ais_provsim_knots_init(&t->angstrom, seed, STREAM_ANG, dn, &area, 1.0);
    for (int o = 0; st == AIS_OK && o < t->m.orbits; o++) {
        st = ais_provsim_knots_init(&t->cloud[o], seed, STREAM_CLOUD, dn * MAX_ORBITS +
                                    (uint64_t)o, &area, 0.25);
        /* the first orbit sees the whole tile, the others half of it or more, from one side */
        uint64_t ko = key * MAX_ORBITS + (uint64_t)o;
        double share = o == 0 ? 1.0 : 0.5 + 0.5 * ais_noise_uniform(seed, STREAM_SWATH, dn, ko);
        long width = (long)ceil(share * GRID_N);
        bool west = ais_noise_uniform(seed, STREAM_SIDE, dn, ko) < 0.5;
        t->orbit_factor[o] = exp(0.08 * ais_noise_normalish(seed, STREAM_ORBIT, dn, ko));
        t->swath_lo[o] = west ? 0 : GRID_N - width;
        t->swath_hi[o] = west ? width - 1 : GRID_N - 1;
    }
    if (st != AIS_OK) {
        ais_provsim_maiac_tile_free(t);
        return st;
    }
    *out = t;
    return AIS_OK;
}

static int16_t aod_raw(double aod)
{
    double raw = floor(aod * 1000.0 + 0.5);
    return (int16_t)(raw < 0.0 ? 0.0 : raw > 5000.0 ? 5000.0 : raw);
}

void ais_provsim_maiac_pixel(const ais_provsim_maiac_tile *t, int orbit, long row, long col,
                             int16_t *aod047, int16_t *aod055, uint16_t *qa)
{
    const double r = AIS_MAIAC_SPHERE_RADIUS_M;
    *aod047 = *aod055 = AIS_MAIAC_FILL;
    *qa = 0;
    if (orbit < 0 || orbit >= t->m.orbits || col < t->swath_lo[orbit] ||
        col > t->swath_hi[orbit] || row < 0 || row >= GRID_N)
        return;
    double y = t->uly - ((double)row + 0.5) * t->pixel, x = t->ulx + ((double)col + 0.5) * t->pixel;
    double lat = y / r * DEG, lon = x / (r * cos(y / r)) * DEG;
    if (!(fabs(lon) <= 180.0))
        return; /* beyond the edge of the globe: no data, as in the real tiles */
    /* clouds: the field made uniform on [0, 1) (value / sigma is standard normal-ish) */
    double sc, zc = ais_provsim_knots_at(&t->cloud[orbit], lat, lon, &sc);
    double u = 0.5 * erfc(-zc / (sc * sqrt(2.0)));
    if (u >= t->m.clear + NEAR_CLOUD_SHARE) {
        *qa = (uint16_t)QA_CLOUDY;
        return;
    }
    double sa, za = ais_provsim_knots_at(&t->aod, lat, lon, &sa);
    double sg, zg = ais_provsim_knots_at(&t->angstrom, lat, lon, &sg);
    /* log-normal around the model's mean: E[exp(s z - s^2 / 2)] = 1 for standard normal z.
     * Smooth at the knots' 50 km: finer structure or pixel noise costs 25-35% more bytes
     * deflated, for nothing the decoders look at. */
    double s = t->m.spread;
    double a55 = t->m.aod055 * t->orbit_factor[orbit] * exp(s * za / sa - 0.5 * s * s);
    double a47 = a55 * pow(0.55 / 0.47, t->m.angstrom + 0.15 * zg / sg);
    *aod055 = aod_raw(a55);
    *aod047 = aod_raw(a47);
    unsigned q = QA_CLEAR;
    if (u >= t->m.clear)
        q |= QA_NEAR_CLOUD;
    if (t->smoke_season && a55 > 0.8)
        q |= QA_SMOKE;
    *qa = (uint16_t)q;
}

/* ---- ais_provsim_maiac ------------------------------------------------------------------- */

/* The granule of a tile and day into dir. */
static ais_status write_tile(const char *dir, uint64_t seed, int64_t day, int h, int v,
                             ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    ais_provsim_maiac_tile *t = NULL;
    char name[64];
    ais_status st = ais_provsim_maiac_tile_new(seed, day, h, v, &t);
    if (st == AIS_OK)
        st = ais_maiac_granule_file_name(h, v, day, t->m.production_time, name, sizeof name);
    if (st != AIS_OK) {
        ais_provsim_maiac_tile_free(t);
        return ais_status_fail(st, errbuf, errsize, "maiac: tile h%02dv%02d, day %lld: %s", h,
                               v, (long long)day, ais_status_str(st));
    }
    size_t plane = (size_t)GRID_N * GRID_N, n = (size_t)t->m.orbits * plane;
    int16_t *a47 = malloc(n * sizeof *a47), *a55 = malloc(n * sizeof *a55);
    uint16_t *qa = malloc(n * sizeof *qa);
    char *path = NULL;
    if (a47 == NULL || a55 == NULL || qa == NULL)
        st = ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "maiac: out of memory");
    else if ((st = ais_fs_path_join(dir, name, &path)) != AIS_OK)
        st = ais_status_fail(st, errbuf, errsize, "maiac: out of memory");
    for (int o = 0; st == AIS_OK && o < t->m.orbits; o++)
        for (long row = 0; row < GRID_N; row++)
            for (long col = 0; col < GRID_N; col++) {
                size_t i = (size_t)o * plane + (size_t)(row * GRID_N + col);
                ais_provsim_maiac_pixel(t, o, row, col, &a47[i], &a55[i], &qa[i]);
            }
    ais_maiac_granule_spec g = {
        .h = h, .v = v, .nx = GRID_N, .ny = GRID_N, .orbits = t->m.orbits,
        .time_start = t->m.time_start, .time_end = t->m.time_end,
        .production_time = t->m.production_time, .deflate_level = 4,
        .comment = "SIMULATED MODIS MAIAC MCD19A2 granule (ais-provider-sim): not a measurement",
        .aod047 = a47, .aod055 = a55, .qa = qa};
    uint64_t size = 0;
    if (st == AIS_OK)
        st = ais_maiac_granule_write(path, &g, &size, errbuf, errsize);
    if (st == AIS_OK) {
        stats->files++;
        stats->bytes += size;
    }
    ais_provsim_maiac_tile_free(t);
    free(path);
    free(a47);
    free(a55);
    free(qa);
    return st;
}

ais_status ais_provsim_maiac(const ais_provsim_request *req, ais_provsim_stats *stats,
                             char *errbuf, size_t errsize)
{
    ais_bbox box;
    int tiles[16][2];
    size_t n_tiles = 0;
    char *dir = NULL;
    ais_status st = ais_provsim_check_request(req, stats, "maiac", errbuf, errsize);
    if (st == AIS_OK && ais_bbox_from_config(req->cfg, "hanoi.bbox", &box) != AIS_OK)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                             "maiac: hanoi.bbox.west/east/south/north missing or invalid");
    if (st == AIS_OK && ais_provsim_maiac_tiles(&box, tiles, 16, &n_tiles) != AIS_OK)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                             "maiac: hanoi.bbox spans more than 16 sinusoidal tiles");
    if (st == AIS_OK)
        st = ais_provsim_folder(req->out_dir, "maiac", &dir, errbuf, errsize);
    for (int64_t day = req->start; st == AIS_OK && day < req->end; day += AIS_SECONDS_PER_DAY)
        for (size_t k = 0; st == AIS_OK && k < n_tiles; k++)
            st = write_tile(dir, req->seed, day, tiles[k][0], tiles[k][1], stats, errbuf,
                            errsize);
    free(dir);
    return st;
}
