/* `ais-traj parse-tdump`: a HYSPLIT tdump file turned into the same point lines as a run of the
 * built-in engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/jsonutil.h"
#include "ais/traj_output.h"
#include "ais/traj_tdump.h"
#include "commands.h"

#define MAX_TDUMP_BYTES (256u * 1024u * 1024u)

/* Whole file into *data (caller frees). */
static ais_status read_whole(const char *path, char **data, size_t *len, char *error,
                             size_t error_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(error, error_size, "cannot open %s: %s", path, strerror(errno));
        return AIS_ERR_IO;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    ais_status st = buf != NULL ? AIS_OK : AIS_ERR_NOMEM;
    while (st == AIS_OK) {
        if (n == cap) {
            char *bigger = cap < MAX_TDUMP_BYTES ? realloc(buf, cap * 2) : NULL;
            if (bigger == NULL) {
                snprintf(error, error_size, "%s is larger than %u bytes or memory ran out", path,
                         MAX_TDUMP_BYTES);
                st = AIS_ERR_NOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(error, error_size, "cannot read %s: %s", path, strerror(errno));
                st = AIS_ERR_IO;
            }
            break;
        }
    }
    fclose(f);
    if (st != AIS_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return AIS_OK;
}

ais_status ais_traj_cmd_parse_tdump(const ais_traj_args *args, ais_logger *logger)
{
    char error[512] = "";
    char *text = NULL;
    size_t len = 0;
    ais_tdump *td = NULL;
    FILE *out = NULL;
    bool out_is_stdout = strcmp(args->out_path, "-") == 0;
    ais_status st = read_whole(args->tdump_path, &text, &len, error, sizeof error);
    if (st == AIS_OK) {
        char errbuf[256];
        st = ais_tdump_parse(text, len, &td, errbuf, sizeof errbuf);
        if (st != AIS_OK)
            snprintf(error, sizeof error, "%s: %s", args->tdump_path, errbuf);
    }
    if (st == AIS_OK)
        st = ais_traj_open_output(args->out_path, &out, &out_is_stdout, error, sizeof error);
    for (size_t k = 0; st == AIS_OK && k < td->n_points; k++)
        st = ais_traj_write_points(out, args->run_id, td->points[k].traj_no,
                                   &td->points[k].point, 1);
    if (out != NULL) {
        ais_status cst = ais_traj_close_output(out, out_is_stdout);
        if (st == AIS_OK)
            st = cst;
        if (st != AIS_OK && error[0] == '\0')
            snprintf(error, sizeof error, "cannot write the points: %s", ais_status_str(st));
    }
    if (td != NULL)
        ais_log(logger, AIS_LOG_INFO, "tdump_parsed", AIS_F_STR("tdump", args->tdump_path),
                AIS_F_INT("trajectories", (int64_t)td->n_traj),
                AIS_F_INT("points", (int64_t)td->n_points), AIS_F_STR("direction", td->direction),
                AIS_F_END);

    json_t *s = json_object();
    ais_status js = s != NULL ? ais_json_set_string(s, "command", "parse-tdump") : AIS_ERR_NOMEM;
    if (js == AIS_OK)
        js = ais_json_set_string(s, "engine", "hysplit");
    if (js == AIS_OK)
        js = ais_json_set_string(s, "tdump", args->tdump_path);
    if (js == AIS_OK)
        js = ais_json_set_string(s, "run_id", args->run_id);
    if (js == AIS_OK && td != NULL)
        js = ais_json_set(s, "trajectories", json_integer((json_int_t)td->n_traj));
    if (js == AIS_OK && td != NULL)
        js = ais_json_set(s, "points", json_integer((json_int_t)td->n_points));
    if (js == AIS_OK && td != NULL)
        js = ais_json_set_string(s, "direction", td->direction);
    if (js != AIS_OK) {
        json_decref(s);
        s = NULL;
    }
    ais_tdump_free(td);
    free(text);
    return ais_traj_print_summary(s, st, error, out_is_stdout);
}
