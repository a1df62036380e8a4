"""``ais_trajectory_tier2``: the tier-2 trajectory chain (CONTRACTS.md §8).

    plan_window -> trajectory_met_arl -> trajectory_runs
      -> trajectory_clusters, trajectory_path_satellite -> trajectory_hourly_features

(wired by the declared chain, ais_chain.json). ERA5 pressure-level GRIB -> ARL met files; back
(72 h) and forward (24 h) trajectories from Hanoi at 00 and 12 UTC and at hours with PM2.5 over the
trigger threshold; k-means clusters with stable ids and upwind source points; Sentinel-5P NO2 and
AER_AI sampled along the paths (ages -72..-24 h); the 7 trajectory features per hour that master
gold joins.

Every 6 hours, so the hourly ``ais_pm25_k8s_compute`` finds fresh trajectory features; the daily
``ais_hanoi_silver_gold`` runs the same jobs before its master gold. The window is planned by what
arrived (``ais job plan-window`` over the entry job's input, ERA5 files bronze: the event days of
the files that arrived since the last successful run, minus 6 hours of overlap, widen the default
2-day window), or conf start_date / end_date (a backfill by date range). OpenAQ hours that arrive
late reach the trajectory triggers through the daily silver/gold run, which rebuilds OpenAQ silver
and then runs the same trajectory jobs over its own planned window. Every job MERGEs on its keys;
ARL files already converted are not converted again. Conf ``simulate_met``: simulated met instead of ERA5 files.
"""

from __future__ import annotations

from airflow.sdk import DAG, BaseOperator, Param
from ais_dag_utils import (
    DAG_MACROS,
    DEFAULT_ARGS,
    PLANNED_END,
    PLANNED_START,
    RUNTIME,
    START,
    ais_task,
    chain_tasks,
    plan_window_task,
    spark_job,
    task_id_of,
    window_params,
)

TIER2 = ("trajectory-met-arl", "trajectory-runs", "trajectory-clusters", "trajectory-path-satellite",
         "trajectory-hourly-features")
WINDOW = ("--start-date", PLANNED_START, "--end-date", PLANNED_END)


def job_task(job: str) -> BaseOperator:
    extra = ("--simulate", "{{ ais_flag(params.simulate_met) }}") if job == "trajectory-met-arl" else ()
    return ais_task(task_id_of(job), [spark_job(job, *WINDOW, *extra)])


with DAG(
    dag_id="ais_trajectory_tier2",
    description="tier-2 trajectories: met -> ARL -> runs -> clusters -> path sampling -> hourly features",
    schedule="40 */6 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params={**window_params(lookback_days=2),
            "simulate_met": Param(False, type="boolean",
                                  description="simulated met instead of ERA5 files (an embedded demo)")},
    tags=["ais", "trajectory", RUNTIME],
    doc_md=__doc__,
) as dag:
    plan = plan_window_task(TIER2, period_hours=6)
    tasks = chain_tasks(TIER2, job_task)
    for task in tasks.values():
        if not task.upstream_task_ids:
            plan >> task
