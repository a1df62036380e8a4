/* `ais-traj [run]`: trajectories through an ARL met file, one run from the flags or one per line
 * of a JSON-lines batch. Points go to --out; per-run results to --runs-out (optional); the
 * summary line counts runs, points and stop reasons and lists the failed runs.
 *
 * A run that cannot start (bad line, duplicate run_id, release point outside the met data) is
 * recorded as failed and the batch goes on; the program then exits 1. A write failure on the
 * output stops everything (exit 1). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/arl.h"
#include "ais/jsonutil.h"
#include "ais/timeutil.h"
#include "ais/traj.h"
#include "ais/traj_output.h"
#include "commands.h"

#define MAX_LISTED_FAILURES 100
#define MAX_RUN_LINE 65536

/* ---- a set of run ids (open addressing), to refuse duplicates ---------------------------- */

typedef struct id_set {
    char **slots;
    size_t cap, count;
} id_set;

static uint64_t hash_text(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

/* 1 if added, 0 if already present, -1 out of memory. */
static int id_set_add(id_set *set, const char *id)
{
    if (set->count * 2 >= set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 256;
        char **slots = calloc(ncap, sizeof *slots);
        if (slots == NULL)
            return -1;
        for (size_t k = 0; k < set->cap; k++) {
            if (set->slots[k] == NULL)
                continue;
            size_t h = (size_t)(hash_text(set->slots[k]) & (ncap - 1));
            while (slots[h] != NULL)
                h = (h + 1) & (ncap - 1);
            slots[h] = set->slots[k];
        }
        free(set->slots);
        set->slots = slots;
        set->cap = ncap;
    }
    size_t h = (size_t)(hash_text(id) & (set->cap - 1));
    while (set->slots[h] != NULL) {
        if (strcmp(set->slots[h], id) == 0)
            return 0;
        h = (h + 1) & (set->cap - 1);
    }
    if ((set->slots[h] = strdup(id)) == NULL)
        return -1;
    set->count++;
    return 1;
}

static void id_set_free(id_set *set)
{
    for (size_t k = 0; k < set->cap; k++)
        free(set->slots[k]);
    free(set->slots);
}

/* ---- the run --------------------------------------------------------------------------- */

typedef struct run_ctx {
    const ais_traj_args *args;
    ais_logger *logger;
    ais_config *cfg;
    ais_met_grid *met;
    FILE *out, *runs_out;
    bool out_is_stdout;
    double default_height_m;
    int default_hours;
    id_set ids;
    size_t runs, runs_ok, runs_failed, points, steps;
    size_t stops[AIS_TRAJ_STOP_COUNT];
    json_t *failures;
    double read_s, compute_s;
    char error[512];
} run_ctx;

static ais_status read_defaults(run_ctx *c)
{
    double height;
    long back;
    ais_status st = ais_config_get_double(c->cfg, "trajectories.release_height_m_agl", &height);
    if (st == AIS_OK)
        st = ais_config_get_long(c->cfg, "trajectories.back_hours", &back);
    if (st != AIS_OK) {
        snprintf(c->error, sizeof c->error,
                 "configuration: trajectories.release_height_m_agl and trajectories.back_hours "
                 "must be numbers (%s)",
                 ais_status_str(st));
        return st == AIS_ERR_KEY_NOT_FOUND ? st : AIS_ERR_CONFIG_INVALID;
    }
    if (!(height >= 0.0) || back < 1 || back > AIS_TRAJ_MAX_HOURS) {
        snprintf(c->error, sizeof c->error,
                 "configuration: trajectories.release_height_m_agl must be >= 0 and "
                 "trajectories.back_hours 1..%d",
                 AIS_TRAJ_MAX_HOURS);
        return AIS_ERR_CONFIG_INVALID;
    }
    c->default_height_m = height;
    c->default_hours = -(int)back;
    return AIS_OK;
}

static ais_status write_run_line(run_ctx *c, const char *run_id, size_t line_no,
                                 const ais_traj *t, const char *error)
{
    if (c->runs_out == NULL)
        return AIS_OK;
    json_t *o = json_object();
    if (o == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = ais_json_set_string(o, "run_id", run_id && run_id[0] ? run_id : NULL);
    if (st == AIS_OK && line_no > 0)
        st = ais_json_set(o, "line", json_integer((json_int_t)line_no));
    if (st == AIS_OK)
        st = ais_json_set_string(o, "status", error == NULL ? "ok" : "failed");
    if (st == AIS_OK && error == NULL) {
        st = ais_json_set_string(o, "stop_reason", ais_traj_stop_name(t->stop));
        if (st == AIS_OK)
            st = ais_json_set(o, "end_age_h", json_real(t->end_age_h));
        if (st == AIS_OK)
            st = ais_json_set(o, "points", json_integer((json_int_t)t->n_points));
        if (st == AIS_OK)
            st = ais_json_set(o, "steps", json_integer((json_int_t)t->steps));
        if (st == AIS_OK)
            st = ais_json_set_string(o, "engine", "ais-traj");
    } else if (st == AIS_OK) {
        st = ais_json_set_string(o, "error", error);
    }
    char *text = st == AIS_OK ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (st != AIS_OK)
        return st;
    if (text == NULL)
        return AIS_ERR_JSON;
    int failed = fputs(text, c->runs_out) < 0 || fputc('\n', c->runs_out) == EOF;
    free(text);
    return failed ? AIS_ERR_IO : AIS_OK;
}

/* Records a run that could not be computed. Only a write failure is returned. */
static ais_status record_failure(run_ctx *c, const char *run_id, size_t line_no,
                                 const char *why)
{
    c->runs++;
    c->runs_failed++;
    ais_log(c->logger, AIS_LOG_WARNING, "run_failed", AIS_F_STR("run_id", run_id),
            AIS_F_INT("line", (int64_t)line_no), AIS_F_STR("error", why), AIS_F_END);
    if (json_array_size(c->failures) < MAX_LISTED_FAILURES) {
        json_t *f = json_object();
        if (f == NULL)
            return AIS_ERR_NOMEM;
        ais_status st = ais_json_set_string(f, "run_id", run_id && run_id[0] ? run_id : NULL);
        if (st == AIS_OK && line_no > 0)
            st = ais_json_set(f, "line", json_integer((json_int_t)line_no));
        if (st == AIS_OK)
            st = ais_json_set_string(f, "error", why);
        if (st != AIS_OK || json_array_append_new(c->failures, f) != 0) {
            if (st != AIS_OK)
                json_decref(f);
            return AIS_ERR_NOMEM;
        }
    }
    return write_run_line(c, run_id, line_no, NULL, why);
}

static ais_status run_one(run_ctx *c, const ais_traj_run_spec *spec, size_t line_no)
{
    int added = id_set_add(&c->ids, spec->run_id);
    if (added < 0)
        return AIS_ERR_NOMEM;
    if (added == 0)
        return record_failure(c, spec->run_id, line_no,
                              "duplicate run_id: its points would collide with an earlier run's");
    ais_traj t;
    char why[256];
    double t0 = ais_traj_now_s();
    ais_status st = ais_traj_run(c->met, &spec->start, NULL, &t, why, sizeof why);
    c->compute_s += ais_traj_now_s() - t0;
    if (st == AIS_ERR_NOMEM)
        return st;
    if (st != AIS_OK)
        return record_failure(c, spec->run_id, line_no, why[0] ? why : ais_status_str(st));
    st = ais_traj_write_points(c->out, spec->run_id, 1, t.points, t.n_points);
    if (st == AIS_ERR_IO)
        snprintf(c->error, sizeof c->error, "cannot write the points: %s", strerror(errno));
    if (st == AIS_OK)
        st = write_run_line(c, spec->run_id, line_no, &t, NULL);
    if (st == AIS_OK) {
        c->runs++;
        c->runs_ok++;
        c->points += t.n_points;
        c->steps += t.steps;
        c->stops[t.stop]++;
    }
    ais_traj_clear(&t);
    return st;
}

static ais_status run_single(run_ctx *c)
{
    const ais_traj_args *a = c->args;
    ais_traj_run_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.start.lat = a->lat;
    spec.start.lon = a->lon;
    spec.start.time = a->start;
    spec.start.height_m_agl = a->has_height ? a->height_m : c->default_height_m;
    spec.start.hours = a->has_hours ? a->hours : c->default_hours;
    if (a->run_id != NULL) {
        snprintf(spec.run_id, sizeof spec.run_id, "%s", a->run_id);
    } else {
        /* deterministic: the same flags give the same id */
        char ts[AIS_TIME_COMPACT_SIZE];
        ais_status st = ais_time_format_compact(a->start, ts);
        if (st != AIS_OK)
            return st;
        snprintf(spec.run_id, sizeof spec.run_id, "traj_%s_%.4f_%.4f_%.0fm_%+dh", ts, a->lat,
                 a->lon, spec.start.height_m_agl, spec.start.hours);
    }
    return run_one(c, &spec, 0);
}

static ais_status run_batch(run_ctx *c)
{
    const char *path = c->args->batch_path;
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *in = from_stdin ? stdin : fopen(path, "r");
    if (in == NULL) {
        snprintf(c->error, sizeof c->error, "cannot open %s: %s", path, strerror(errno));
        return AIS_ERR_IO;
    }
    char *line = NULL;
    size_t cap = 0, line_no = 0;
    ssize_t n;
    ais_status st = AIS_OK;
    while (st == AIS_OK && (n = getline(&line, &cap, in)) >= 0) {
        line_no++;
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t blank = 0;
        while (blank < len && (line[blank] == ' ' || line[blank] == '\t'))
            blank++;
        if (blank == len)
            continue;
        ais_traj_run_spec spec;
        char why[256];
        if (len > MAX_RUN_LINE) {
            st = record_failure(c, NULL, line_no, "line longer than 65536 bytes");
            continue;
        }
        if (ais_traj_parse_run(line, len, c->default_height_m, c->default_hours, &spec, why,
                               sizeof why) != AIS_OK) {
            st = record_failure(c, spec.run_id, line_no, why);
            continue;
        }
        st = run_one(c, &spec, line_no);
    }
    if (st == AIS_OK && ferror(in)) {
        snprintf(c->error, sizeof c->error, "cannot read %s: %s", path, strerror(errno));
        st = AIS_ERR_IO;
    }
    free(line);
    if (!from_stdin)
        fclose(in);
    return st;
}

static ais_status load_met(run_ctx *c)
{
    ais_arl_problem problem;
    char errbuf[AIS_ARL_ERRBUF_SIZE];
    double t0 = ais_traj_now_s();
    ais_status st = ais_arl_read_met(c->args->met_path, &c->met, &problem, errbuf, sizeof errbuf);
    c->read_s = ais_traj_now_s() - t0;
    if (st != AIS_OK) {
        snprintf(c->error, sizeof c->error, "%s: %s (%s)", c->args->met_path, errbuf,
                 ais_arl_problem_name(problem));
        return st;
    }
    char t0s[AIS_TIME_ISO_SIZE] = "", t1s[AIS_TIME_ISO_SIZE] = "";
    ais_time_format_iso(c->met->times[0], t0s);
    ais_time_format_iso(c->met->times[c->met->nt - 1], t1s);
    ais_log(c->logger, AIS_LOG_INFO, "met_loaded", AIS_F_STR("met", c->args->met_path),
            AIS_F_STR("met_source", c->met->source),
            AIS_F_BOOL("simulated", ais_met_is_simulated(c->met)),
            AIS_F_INT("nx", (int64_t)c->met->nx), AIS_F_INT("ny", (int64_t)c->met->ny),
            AIS_F_INT("nz", (int64_t)c->met->nz), AIS_F_INT("nt", (int64_t)c->met->nt),
            AIS_F_STR("first_time", t0s), AIS_F_STR("last_time", t1s),
            AIS_F_DBL("read_s", c->read_s), AIS_F_END);
    return AIS_OK;
}

static ais_status execute(run_ctx *c)
{
    char errbuf[512];
    ais_status st = ais_traj_load_config(c->args->config_path, c->logger, &c->cfg, c->error,
                                         sizeof c->error);
    if (st != AIS_OK)
        return st;
    /* The HYSPLIT runner belongs here once it exists: refuse rather than silently run the
     * built-in engine when an operator asked for HYSPLIT. */
    const char *hysplit = ais_config_get(c->cfg, "runtime.hysplit_exec");
    if (hysplit != NULL && hysplit[0] != '\0') {
        snprintf(c->error, sizeof c->error,
                 "HYSPLIT_EXEC is set but this build cannot drive HYSPLIT yet; unset it to use "
                 "the built-in engine, or run HYSPLIT and convert its tdump with parse-tdump");
        return AIS_ERR_NOT_IMPLEMENTED;
    }
    if ((st = read_defaults(c)) != AIS_OK)
        return st;
    if ((st = load_met(c)) != AIS_OK)
        return st;
    if ((st = ais_traj_open_output(c->args->out_path, &c->out, &c->out_is_stdout, errbuf,
                                   sizeof errbuf)) != AIS_OK) {
        snprintf(c->error, sizeof c->error, "%s", errbuf);
        return st;
    }
    if (c->args->runs_out_path != NULL) {
        c->runs_out = fopen(c->args->runs_out_path, "w");
        if (c->runs_out == NULL) {
            snprintf(c->error, sizeof c->error, "cannot create %s: %s", c->args->runs_out_path,
                     strerror(errno));
            return AIS_ERR_IO;
        }
    }
    st = c->args->batch_path != NULL ? run_batch(c) : run_single(c);
    ais_status cst = ais_traj_close_output(c->out, c->out_is_stdout);
    c->out = NULL;
    if (c->runs_out != NULL && (fflush(c->runs_out) != 0 || fclose(c->runs_out) != 0) &&
        cst == AIS_OK)
        cst = AIS_ERR_IO;
    c->runs_out = NULL;
    if (st == AIS_OK && cst != AIS_OK) {
        snprintf(c->error, sizeof c->error, "cannot flush the output files");
        st = cst;
    }
    if (st == AIS_ERR_NOMEM)
        snprintf(c->error, sizeof c->error, "out of memory");
    if (st == AIS_OK && c->runs_failed > 0) {
        snprintf(c->error, sizeof c->error, "%zu of %zu runs failed (see failures)",
                 c->runs_failed, c->runs);
        st = AIS_ERR_RANGE;
    }
    return st;
}

static json_t *build_summary(const run_ctx *c)
{
    json_t *s = json_object();
    json_t *stops = json_object();
    if (s == NULL || stops == NULL) {
        json_decref(s);
        json_decref(stops);
        return NULL;
    }
    ais_status st = ais_json_set_string(s, "command", "run");
    if (st == AIS_OK)
        st = ais_json_set_string(s, "engine", "ais-traj");
    if (st == AIS_OK)
        st = ais_json_set_string(s, "mode", c->args->batch_path != NULL ? "batch" : "single");
    if (st == AIS_OK)
        st = ais_json_set_string(s, "met", c->args->met_path);
    if (st == AIS_OK && c->met != NULL)
        st = ais_json_set_string(s, "met_source", c->met->source);
    if (st == AIS_OK && c->met != NULL)
        st = ais_json_set(s, "met_simulated", json_boolean(ais_met_is_simulated(c->met)));
    if (st == AIS_OK)
        st = ais_json_set(s, "runs", json_integer((json_int_t)c->runs));
    if (st == AIS_OK)
        st = ais_json_set(s, "runs_ok", json_integer((json_int_t)c->runs_ok));
    if (st == AIS_OK)
        st = ais_json_set(s, "runs_failed", json_integer((json_int_t)c->runs_failed));
    if (st == AIS_OK)
        st = ais_json_set(s, "points", json_integer((json_int_t)c->points));
    if (st == AIS_OK)
        st = ais_json_set(s, "steps", json_integer((json_int_t)c->steps));
    for (int k = 0; st == AIS_OK && k < AIS_TRAJ_STOP_COUNT; k++)
        st = ais_json_set(stops, ais_traj_stop_name((ais_traj_stop)k),
                          json_integer((json_int_t)c->stops[k]));
    if (st == AIS_OK)
        st = ais_json_set(s, "stop_reasons", json_incref(stops));
    if (st == AIS_OK)
        st = ais_json_set(s, "failures", json_incref(c->failures));
    if (st == AIS_OK)
        st = ais_json_set(s, "failures_listed_max", json_integer(MAX_LISTED_FAILURES));
    if (st == AIS_OK)
        st = ais_json_set(s, "met_read_s", json_real(c->read_s));
    if (st == AIS_OK)
        st = ais_json_set(s, "compute_s", json_real(c->compute_s));
    json_decref(stops);
    if (st != AIS_OK) {
        json_decref(s);
        return NULL;
    }
    return s;
}

ais_status ais_traj_cmd_run(const ais_traj_args *args, ais_logger *logger)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.args = args;
    c.logger = logger;
    c.failures = json_array();
    ais_status st = c.failures != NULL ? execute(&c) : AIS_ERR_NOMEM;
    if (c.out != NULL)
        ais_traj_close_output(c.out, c.out_is_stdout);
    if (c.runs_out != NULL)
        fclose(c.runs_out);
    bool on_stdout = args->out_path != NULL && strcmp(args->out_path, "-") == 0;
    ais_log(logger, st == AIS_OK ? AIS_LOG_INFO : AIS_LOG_ERROR, "run_done",
            AIS_F_INT("runs", (int64_t)c.runs), AIS_F_INT("runs_failed", (int64_t)c.runs_failed),
            AIS_F_INT("points", (int64_t)c.points), AIS_F_DBL("compute_s", c.compute_s),
            AIS_F_STR("status", st == AIS_OK ? "ok" : "error"),
            AIS_F_STR("error", st == AIS_OK ? NULL : c.error), AIS_F_END);
    st = ais_traj_print_summary(build_summary(&c), st, c.error, on_stdout);
    json_decref(c.failures);
    id_set_free(&c.ids);
    ais_met_grid_free(c.met);
    ais_logger_apply_config(logger, NULL);
    ais_config_free(c.cfg);
    return st;
}
