/* Writing the simulated providers' files (ais/provsim.h): one place for folders, atomic
 * replacement, the counts and the error messages, so every writer reports a failure the same
 * way, naming the file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ais/fsutil.h"
#include "ais/jsonutil.h"
#include "ais/provsim.h"
#include "ais/simulate.h"
#include "ais/timeutil.h"

ais_status ais_provsim_begin(const ais_provsim_request *req, const ais_provsim_stats *stats,
                             const char *source, ais_sim_params *params, char *errbuf,
                             size_t errsize)
{
    if (req == NULL || req->cfg == NULL || req->out_dir == NULL || req->out_dir[0] == '\0' ||
        stats == NULL || params == NULL)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "%s: a configuration, an output folder and stats are required",
                               source);
    if (req->start % AIS_SECONDS_PER_DAY != 0 || req->end % AIS_SECONDS_PER_DAY != 0 ||
        req->end <= req->start)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "%s: the window must be whole UTC days, start before end", source);
    ais_status st = ais_sim_params_from_config(req->cfg, params);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, errsize,
                               "%s: simulate.seed, hanoi.utc_offset_hours or hanoi.bbox.* "
                               "missing or invalid (%s)",
                               source, ais_status_str(st));
    params->seed = req->seed;
    return AIS_OK;
}

ais_status ais_provsim_write_file(const char *dir, const char *name, const void *data, size_t len,
                                  ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    if (dir == NULL || name == NULL || (data == NULL && len > 0) || stats == NULL)
        return ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errsize,
                               "write_file: missing folder, name, data or stats");
    if (ais_fs_mkdir_p(dir, 0755) != AIS_OK)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot create folder %s for %s: %s",
                               dir, name, strerror(errno));
    char *path = NULL;
    if (ais_fs_path_join(dir, name, &path) != AIS_OK)
        return ais_status_fail(AIS_ERR_NOMEM, errbuf, errsize, "out of memory for %s/%s", dir,
                               name);
    ais_status st = ais_fs_write_atomic(path, data, len);
    if (st == AIS_OK) {
        stats->files++;
        stats->bytes += len;
    } else {
        ais_status_fail(st, errbuf, errsize, "cannot write %s: %s", path,
                        st == AIS_ERR_IO ? strerror(errno) : ais_status_str(st));
    }
    free(path);
    return st;
}

ais_status ais_provsim_write_json(const char *dir, const char *name, const json_t *doc,
                                  ais_provsim_stats *stats, char *errbuf, size_t errsize)
{
    ais_json_buf buf = {0};
    ais_status st = doc != NULL ? ais_json_append_compact(&buf, doc) : AIS_ERR_INVALID_ARG;
    if (st != AIS_OK) {
        free(buf.data);
        return ais_status_fail(st, errbuf, errsize, "cannot serialise %s/%s: %s",
                               dir != NULL ? dir : "", name != NULL ? name : "",
                               ais_status_str(st));
    }
    st = ais_provsim_write_file(dir, name, buf.data, buf.len, stats, errbuf, errsize);
    free(buf.data);
    return st;
}
