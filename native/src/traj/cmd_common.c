#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ais/jsonutil.h"
#include "ais/timeutil.h"
#include "commands.h"

double ais_traj_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

ais_status ais_traj_print_summary(json_t *summary, ais_status outcome, const char *error,
                                  bool points_on_stdout)
{
    if (summary == NULL)
        return outcome != AIS_OK ? outcome : AIS_ERR_NOMEM;
    ais_status st = ais_json_set_string(summary, "status", outcome == AIS_OK ? "ok" : "error");
    if (st == AIS_OK && outcome != AIS_OK)
        st = ais_json_set_string(summary, "error",
                                 error != NULL && error[0] ? error : ais_status_str(outcome));
    char *text = st == AIS_OK ? json_dumps(summary, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(summary);
    if (text == NULL)
        return outcome != AIS_OK ? outcome : AIS_ERR_JSON;
    FILE *f = points_on_stdout ? stderr : stdout;
    int failed = fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0;
    free(text);
    if (outcome != AIS_OK)
        return outcome;
    return failed ? AIS_ERR_IO : AIS_OK;
}

ais_status ais_traj_load_config(const char *path, ais_logger *logger, ais_config **cfg,
                                char *error, size_t error_size)
{
    char errbuf[AIS_CONFIG_ERRBUF_SIZE];
    ais_status st = ais_config_load_ex(path, cfg, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        snprintf(error, error_size, "configuration: %s", errbuf);
        return st;
    }
    if ((st = ais_logger_apply_config(logger, *cfg)) != AIS_OK) {
        snprintf(error, error_size, "configuration: runtime.log_level is not one of "
                                    "debug|info|warning|error");
        ais_config_free(*cfg);
        *cfg = NULL;
    }
    return st;
}

ais_status ais_traj_open_output(const char *path, FILE **out, bool *is_stdout, char *error,
                                size_t error_size)
{
    *is_stdout = strcmp(path, "-") == 0;
    if (*is_stdout) {
        *out = stdout;
        return AIS_OK;
    }
    *out = fopen(path, "w");
    if (*out == NULL) {
        snprintf(error, error_size, "cannot create %s: %s", path, strerror(errno));
        return AIS_ERR_IO;
    }
    return AIS_OK;
}

ais_status ais_traj_close_output(FILE *out, bool is_stdout)
{
    if (out == NULL)
        return AIS_OK;
    int failed = fflush(out) != 0 || ferror(out);
    if (!is_stdout)
        failed |= fclose(out) != 0;
    return failed ? AIS_ERR_IO : AIS_OK;
}

ais_status ais_traj_describe_met(json_t *s, const ais_met_grid *g)
{
    char t0[AIS_TIME_ISO_SIZE], t1[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(g->times[0], t0);
    if (st == AIS_OK)
        st = ais_time_format_iso(g->times[g->nt - 1], t1);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "met_source", g->source);
    if (st == AIS_OK)
        st = ais_json_set(s, "met_simulated", json_boolean(ais_met_is_simulated(g)));
    if (st == AIS_OK)
        st = ais_json_set(s, "nx", json_integer((json_int_t)g->nx));
    if (st == AIS_OK)
        st = ais_json_set(s, "ny", json_integer((json_int_t)g->ny));
    if (st == AIS_OK)
        st = ais_json_set(s, "nz", json_integer((json_int_t)g->nz));
    if (st == AIS_OK)
        st = ais_json_set(s, "nt", json_integer((json_int_t)g->nt));
    if (st == AIS_OK)
        st = ais_json_set(s, "lon0", json_real(g->lon0));
    if (st == AIS_OK)
        st = ais_json_set(s, "lat0", json_real(g->lat0));
    if (st == AIS_OK)
        st = ais_json_set(s, "dlon", json_real(g->dlon));
    if (st == AIS_OK)
        st = ais_json_set(s, "dlat", json_real(g->dlat));
    if (st == AIS_OK)
        st = ais_json_set_string(s, "first_time", t0);
    if (st == AIS_OK)
        st = ais_json_set_string(s, "last_time", t1);
    json_t *levels = st == AIS_OK ? json_array() : NULL;
    if (st == AIS_OK && levels == NULL)
        st = AIS_ERR_NOMEM;
    for (size_t k = 0; st == AIS_OK && k < g->nz; k++)
        if (json_array_append_new(levels, json_real(g->levels_hpa[k])) != 0)
            st = AIS_ERR_NOMEM;
    if (st == AIS_OK)
        st = ais_json_set(s, "levels_hpa", levels);
    else
        json_decref(levels);
    return st;
}
