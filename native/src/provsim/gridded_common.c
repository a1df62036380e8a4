/* What the gridded providers share: their output folders, installing a file written under a
 * temporary name, smooth random fields (ais/provsim_gridded.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ais/fsutil.h"
#include "ais/noise.h"
#include "ais/provsim_gridded.h"

ais_status ais_provsim_check_request(const ais_provsim_request *req,
                                     const ais_provsim_stats *stats, const char *source,
                                     char *errbuf, size_t errsize)
{
    if (req == NULL || req->cfg == NULL || stats == NULL)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "%s: no request, configuration or stats", source);
    if (req->start % 86400 != 0 || req->end % 86400 != 0 || req->end <= req->start)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "%s: the window must be whole UTC days, start before end", source);
    return AIS_OK;
}

ais_status ais_provsim_folder(const char *out_dir, const char *folder, char **dir, char *errbuf,
                              size_t errsize)
{
    *dir = NULL;
    if (out_dir == NULL || out_dir[0] == '\0')
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize, "no output folder given");
    char *path = NULL;
    ais_status st = ais_fs_path_join(out_dir, folder, &path);
    if (st != AIS_OK)
        return st;
    if (ais_fs_mkdir_p(path, 0755) != AIS_OK) {
        int err = errno;
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot create the folder %s: %s",
                             path, strerror(err));
        free(path);
        return st;
    }
    *dir = path;
    return AIS_OK;
}

char *ais_provsim_temp_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    int dir_len = slash != NULL ? (int)(slash - path) : 1;
    size_t size = (size_t)dir_len + strlen(name) + 8;
    char *tmp = malloc(size);
    if (tmp != NULL)
        snprintf(tmp, size, "%.*s/.%s.tmp", dir_len, slash != NULL ? path : ".", name);
    return tmp;
}

ais_status ais_provsim_install(const char *tmp, const char *path, char *errbuf, size_t errsize)
{
    const char *failed = NULL;
    int err = 0;
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        failed = "open";
    else if (fsync(fd) != 0)
        failed = "fsync";
    if (failed != NULL)
        err = errno;
    if (fd >= 0 && close(fd) != 0 && failed == NULL) {
        failed = "close";
        err = errno;
    }
    if (failed == NULL && rename(tmp, path) != 0) {
        failed = "rename";
        err = errno;
    }
    if (failed != NULL) {
        unlink(tmp);
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                               "%s: %s of the temporary file failed: %s", path, failed,
                               strerror(err));
    }
    /* the rename is durable once the folder is synced (some file systems cannot: EINVAL) */
    char *dir = strdup(path);
    if (dir == NULL)
        return AIS_ERR_NOMEM;
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL)
            err = errno;
        close(dfd);
    }
    free(dir);
    if (err != 0)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "%s: fsync of its folder failed: %s",
                               path, strerror(err));
    return AIS_OK;
}

/* ---- smooth random fields ----------------------------------------------------------------- */

#define KNOT_OFFSET 1000000L /* keeps global knot indices positive in the hash */

static double smoothstep(double f)
{
    return f * f * (3.0 - 2.0 * f);
}

ais_status ais_provsim_knots_init(ais_provsim_knots *k, uint64_t seed, uint64_t stream,
                                  uint64_t key, const ais_bbox *area, double spacing)
{
    memset(k, 0, sizeof *k);
    if (!(spacing > 0.0) || !(area->south <= area->north) || !(area->west <= area->east))
        return AIS_ERR_INVALID_ARG;
    k->spacing = spacing;
    k->a0 = (long)floor(area->south / spacing);
    k->b0 = (long)floor(area->west / spacing);
    double na = floor(area->north / spacing) - (double)k->a0 + 2.0;
    double nb = floor(area->east / spacing) - (double)k->b0 + 2.0;
    if (!(na * nb <= 1.0e7))
        return AIS_ERR_RANGE;
    k->na = (size_t)na;
    k->nb = (size_t)nb;
    k->z = malloc(k->na * k->nb * sizeof *k->z);
    if (k->z == NULL)
        return AIS_ERR_NOMEM;
    for (size_t a = 0; a < k->na; a++)
        for (size_t b = 0; b < k->nb; b++) {
            uint64_t ia = (uint64_t)(k->a0 + (long)a + KNOT_OFFSET);
            uint64_t ib = (uint64_t)(k->b0 + (long)b + KNOT_OFFSET);
            k->z[a * k->nb + b] = ais_noise_normalish(seed, stream, key, ia << 32 | ib);
        }
    return AIS_OK;
}

void ais_provsim_knots_free(ais_provsim_knots *k)
{
    if (k != NULL) {
        free(k->z);
        k->z = NULL;
    }
}

/* The knot interval of x (index relative to the table's first knot, clamped) and the weight of
 * its upper knot. */
static size_t interval(double x, double spacing, long first, size_t n, double *w)
{
    double u = x / spacing - (double)first;
    double i = floor(u);
    if (i < 0.0) {
        *w = 0.0;
        return 0;
    }
    if (i > (double)(n - 2)) {
        *w = 1.0;
        return n - 2;
    }
    *w = smoothstep(u - i);
    return (size_t)i;
}

double ais_provsim_knots_at(const ais_provsim_knots *k, double lat, double lon, double *sigma)
{
    double wa, wb;
    size_t a = interval(lat, k->spacing, k->a0, k->na, &wa);
    size_t b = interval(lon, k->spacing, k->b0, k->nb, &wb);
    const double *z = k->z + a * k->nb + b;
    double w[4] = {(1.0 - wa) * (1.0 - wb), (1.0 - wa) * wb, wa * (1.0 - wb), wa * wb};
    double v = w[0] * z[0] + w[1] * z[1] + w[2] * z[k->nb] + w[3] * z[k->nb + 1];
    if (sigma != NULL)
        *sigma = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2] + w[3] * w[3]);
    return v;
}
