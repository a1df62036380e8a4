/* `ais-traj simulate-met` (the simulated ERA5-like field as an ARL file) and `ais-traj arl-info`
 * (read and check a whole ARL file, print what it holds). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/arl.h"
#include "ais/jsonutil.h"
#include "ais/met_simulate.h"
#include "ais/timeutil.h"
#include "commands.h"

ais_status ais_traj_cmd_simulate_met(const ais_traj_args *args, ais_logger *logger)
{
    char error[512] = "";
    ais_config *cfg = NULL;
    ais_met_grid *grid = NULL;
    ais_met_sim_params params;
    memset(&params, 0, sizeof params);
    double t0 = ais_traj_now_s();
    ais_status st = ais_traj_load_config(args->config_path, logger, &cfg, error, sizeof error);
    if (st == AIS_OK && (st = ais_met_sim_params_from_config(cfg, &params)) != AIS_OK)
        snprintf(error, sizeof error,
                 "configuration: simulate.seed, era5.region.*, era5.pressure_levels_hpa or "
                 "era5.pressure_hours_utc missing or invalid (%s)",
                 ais_status_str(st));
    if (st == AIS_OK && args->has_seed)
        params.seed = args->seed;
    if (st == AIS_OK && (st = ais_met_simulate(&params, args->start, args->end, &grid)) != AIS_OK)
        snprintf(error, sizeof error,
                 st == AIS_ERR_INVALID_ARG
                     ? "the window holds no analysis time of era5.pressure_hours_utc"
                     : "out of memory");
    if (st == AIS_OK)
        ais_log(logger, AIS_LOG_INFO, "met_simulated", AIS_F_BOOL("simulated", true),
                AIS_F_STR("met_source", grid->source), AIS_F_INT("seed", (int64_t)params.seed),
                AIS_F_INT("nt", (int64_t)grid->nt), AIS_F_STR("out", args->out_path),
                AIS_F_END);
    char errbuf[AIS_ARL_ERRBUF_SIZE];
    if (st == AIS_OK &&
        (st = ais_arl_write_met(grid, args->out_path, errbuf, sizeof errbuf)) != AIS_OK)
        snprintf(error, sizeof error, "%s", errbuf);

    json_t *s = json_object();
    ais_status js = s != NULL ? ais_json_set_string(s, "command", "simulate-met") : AIS_ERR_NOMEM;
    if (js == AIS_OK)
        js = ais_json_set_string(s, "out", args->out_path);
    if (js == AIS_OK)
        js = ais_json_set(s, "simulated", json_true());
    if (js == AIS_OK)
        js = ais_json_set(s, "seed", json_integer((json_int_t)params.seed));
    if (js == AIS_OK && grid != NULL)
        js = ais_traj_describe_met(s, grid);
    struct stat sb;
    if (js == AIS_OK && st == AIS_OK && stat(args->out_path, &sb) == 0)
        js = ais_json_set(s, "bytes", json_integer((json_int_t)sb.st_size));
    if (js == AIS_OK)
        js = ais_json_set(s, "elapsed_s", json_real(ais_traj_now_s() - t0));
    if (js != AIS_OK) {
        json_decref(s);
        s = NULL;
    }
    ais_met_grid_free(grid);
    ais_logger_apply_config(logger, NULL);
    ais_config_free(cfg);
    return ais_traj_print_summary(s, st, error, false);
}

ais_status ais_traj_cmd_arl_info(const ais_traj_args *args, ais_logger *logger)
{
    (void)logger;
    char errbuf[AIS_ARL_ERRBUF_SIZE] = "";
    ais_arl_problem problem = AIS_ARL_PROBLEM_NONE;
    ais_met_grid *grid = NULL;
    double t0 = ais_traj_now_s();
    ais_status st = ais_arl_read_met(args->met_path, &grid, &problem, errbuf, sizeof errbuf);
    double read_s = ais_traj_now_s() - t0;

    json_t *s = json_object();
    ais_status js = s != NULL ? ais_json_set_string(s, "command", "arl-info") : AIS_ERR_NOMEM;
    if (js == AIS_OK)
        js = ais_json_set_string(s, "met", args->met_path);
    if (js == AIS_OK && grid != NULL)
        js = ais_traj_describe_met(s, grid);
    if (js == AIS_OK && st != AIS_OK)
        js = ais_json_set_string(s, "problem", ais_arl_problem_name(problem));
    if (js == AIS_OK)
        js = ais_json_set(s, "read_s", json_real(read_s));
    if (js != AIS_OK) {
        json_decref(s);
        s = NULL;
    }
    ais_met_grid_free(grid);
    return ais_traj_print_summary(s, st, errbuf, false);
}
