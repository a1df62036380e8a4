#include "ais/traj_cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/timeutil.h"
#include "ais/traj.h"
#include "ais/traj_output.h"

/* Which commands accept a flag: bit per command. */
#define F_RUN (1u << AIS_TRAJ_CMD_RUN)
#define F_SIM (1u << AIS_TRAJ_CMD_SIMULATE_MET)
#define F_TDUMP (1u << AIS_TRAJ_CMD_PARSE_TDUMP)
#define F_INFO (1u << AIS_TRAJ_CMD_ARL_INFO)
#define F_ERA5 (1u << AIS_TRAJ_CMD_MET_FROM_ERA5)

typedef struct raw_flags {
    const char *config, *met, *out, *runs_out, *batch, *tdump, *run_id, *start, *end, *lat, *lon,
        *height, *hours, *seed, *grib, *surface_grib;
} raw_flags;

typedef struct flag_def {
    const char *name;
    size_t offset; /* of the slot in raw_flags */
    unsigned commands;
} flag_def;

#define SLOT(field) offsetof(raw_flags, field)
static const flag_def FLAGS[] = {
    {"--config", SLOT(config), F_RUN | F_SIM | F_ERA5},
    {"--met", SLOT(met), F_RUN | F_INFO},
    {"--out", SLOT(out), F_RUN | F_SIM | F_TDUMP | F_ERA5},
    {"--grib", SLOT(grib), F_ERA5},
    {"--surface-grib", SLOT(surface_grib), F_ERA5},
    {"--runs-out", SLOT(runs_out), F_RUN},
    {"--batch", SLOT(batch), F_RUN},
    {"--tdump", SLOT(tdump), F_TDUMP},
    {"--run-id", SLOT(run_id), F_RUN | F_TDUMP},
    {"--start", SLOT(start), F_RUN | F_SIM},
    {"--end", SLOT(end), F_SIM},
    {"--lat", SLOT(lat), F_RUN},
    {"--lon", SLOT(lon), F_RUN},
    {"--height-m", SLOT(height), F_RUN},
    {"--hours", SLOT(hours), F_RUN},
    {"--seed", SLOT(seed), F_SIM},
};

static int parse_number(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int parse_u64(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static ais_status collect_flags(int argc, char **argv, int first, ais_traj_command cmd,
                                raw_flags *raw, char *errbuf, size_t errsize)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const flag_def *def = NULL;
        for (size_t k = 0; k < sizeof FLAGS / sizeof FLAGS[0]; k++)
            if (strlen(FLAGS[k].name) == name_len && strncmp(FLAGS[k].name, arg, name_len) == 0)
                def = &FLAGS[k];
        if (def == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "unknown argument \"%.60s\"", arg);
        if (!(def->commands & (1u << cmd)))
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "%s does not apply to this command", def->name);
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                       "%s needs a value", def->name);
            value = argv[++i];
        }
        const char **slot = (const char **)((char *)raw + def->offset);
        if (*slot != NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "%s given twice", def->name);
        if (value[0] == '\0')
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "%s has an empty value", def->name);
        *slot = value;
    }
    return AIS_OK;
}

static ais_status convert(const raw_flags *raw, ais_traj_args *a, char *errbuf, size_t errsize)
{
    if (raw->start != NULL) {
        if (ais_time_parse_iso(raw->start, &a->start) != AIS_OK)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--start \"%.40s\" is not an ISO-8601 UTC time",
                                   raw->start);
        a->has_start = true;
    }
    if (raw->end != NULL) {
        if (ais_time_parse_iso(raw->end, &a->end) != AIS_OK)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--end \"%.40s\" is not an ISO-8601 UTC time",
                                   raw->end);
        a->has_end = true;
    }
    if (raw->lat != NULL) {
        if (!parse_number(raw->lat, &a->lat) || a->lat < -90.0 || a->lat > 90.0)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--lat must be a number in -90..90");
        a->has_lat = true;
    }
    if (raw->lon != NULL) {
        if (!parse_number(raw->lon, &a->lon) || a->lon < -180.0 || a->lon > 360.0)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--lon must be a number in -180..360");
        a->has_lon = true;
    }
    if (raw->height != NULL) {
        if (!parse_number(raw->height, &a->height_m) || a->height_m < 0.0 ||
            a->height_m > 100000.0)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--height-m must be metres above ground, 0..100000");
        a->has_height = true;
    }
    if (raw->hours != NULL) {
        double h;
        if (!parse_number(raw->hours, &h) || h != floor(h) || h == 0.0 ||
            fabs(h) > AIS_TRAJ_MAX_HOURS)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--hours must be a non-zero whole number in -%d..%d",
                                   AIS_TRAJ_MAX_HOURS, AIS_TRAJ_MAX_HOURS);
        a->hours = (int)h;
        a->has_hours = true;
    }
    if (raw->seed != NULL) {
        if (!parse_u64(raw->seed, &a->seed))
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--seed must be a non-negative integer");
        a->has_seed = true;
    }
    if (raw->run_id != NULL && !ais_traj_run_id_valid(raw->run_id))
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                               "--run-id must be 1..%d printable characters",
                               AIS_TRAJ_RUN_ID_MAX);
    a->config_path = raw->config;
    a->met_path = raw->met;
    a->out_path = raw->out;
    a->runs_out_path = raw->runs_out;
    a->batch_path = raw->batch;
    a->tdump_path = raw->tdump;
    a->run_id = raw->run_id;
    a->grib_path = raw->grib;
    a->surface_grib_path = raw->surface_grib;
    return AIS_OK;
}

static ais_status check_required(ais_traj_args *a, char *errbuf, size_t errsize)
{
    switch (a->command) {
    case AIS_TRAJ_CMD_RUN:
        if (a->met_path == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--met FILE.arl is required");
        if (a->batch_path != NULL) {
            if (a->has_start || a->has_lat || a->has_lon || a->has_height || a->has_hours ||
                a->run_id != NULL)
                return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                       "--batch takes the runs from the file: --start, --lat, "
                                       "--lon, --height-m, --hours and --run-id do not apply");
        } else if (!a->has_start || !a->has_lat || !a->has_lon) {
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--start, --lat and --lon are required (or --batch)");
        }
        if (a->out_path == NULL)
            a->out_path = "-";
        break;
    case AIS_TRAJ_CMD_SIMULATE_MET:
        if (!a->has_start || !a->has_end || a->out_path == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--start, --end and --out FILE.arl are required");
        if (a->end < a->start)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--end is before --start");
        if (strcmp(a->out_path, "-") == 0)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--out must be a file for simulate-met");
        break;
    case AIS_TRAJ_CMD_PARSE_TDUMP:
        if (a->tdump_path == NULL || a->run_id == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--tdump FILE and --run-id ID are required");
        if (a->out_path == NULL)
            a->out_path = "-";
        break;
    case AIS_TRAJ_CMD_ARL_INFO:
        if (a->met_path == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize, "--met FILE.arl is required");
        break;
    case AIS_TRAJ_CMD_MET_FROM_ERA5:
        if (a->grib_path == NULL || a->out_path == NULL)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--grib PL.grib and --out FILE.arl are required");
        if (strcmp(a->out_path, "-") == 0)
            return ais_status_fail(AIS_ERR_USAGE, errbuf, errsize,
                                   "--out must be a file for met-from-era5");
        break;
    case AIS_TRAJ_CMD_HELP:
    case AIS_TRAJ_CMD_VERSION: break;
    }
    return AIS_OK;
}

ais_status ais_traj_parse_args(int argc, char **argv, ais_traj_args *out, char *errbuf,
                               size_t errbuf_size)
{
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (out == NULL || argv == NULL || argc < 1)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (argc < 2)
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size, "missing command or flags");
    const char *first = argv[1];
    int next = 2;
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
        out->command = AIS_TRAJ_CMD_HELP;
        return argc == 2 ? AIS_OK : ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size,
                                                    "--help takes no arguments");
    }
    if (strcmp(first, "--version") == 0) {
        out->command = AIS_TRAJ_CMD_VERSION;
        return argc == 2 ? AIS_OK : ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size,
                                                    "--version takes no arguments");
    }
    if (strcmp(first, "run") == 0) {
        out->command = AIS_TRAJ_CMD_RUN;
    } else if (strcmp(first, "simulate-met") == 0) {
        out->command = AIS_TRAJ_CMD_SIMULATE_MET;
    } else if (strcmp(first, "parse-tdump") == 0) {
        out->command = AIS_TRAJ_CMD_PARSE_TDUMP;
    } else if (strcmp(first, "arl-info") == 0) {
        out->command = AIS_TRAJ_CMD_ARL_INFO;
    } else if (strcmp(first, "met-from-era5") == 0) {
        out->command = AIS_TRAJ_CMD_MET_FROM_ERA5;
    } else if (strncmp(first, "--", 2) == 0) {
        out->command = AIS_TRAJ_CMD_RUN; /* the trajectory run is the default command */
        next = 1;
    } else {
        return ais_status_fail(AIS_ERR_USAGE, errbuf, errbuf_size,
                               "unknown command \"%.40s\"", first);
    }
    raw_flags raw;
    memset(&raw, 0, sizeof raw);
    ais_status st = collect_flags(argc, argv, next, out->command, &raw, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = convert(&raw, out, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = check_required(out, errbuf, errbuf_size);
    return st;
}
