"""``ais_hanoi_silver_gold``: tier-1 silver, the tier-2 trajectory features and the Hanoi PM2.5 gold
tables (CONTRACTS.md §8).

    plan_window -> the jobs below, wired by the declared chain (ais_chain.json: A -> B whenever A
    writes a table B reads):
      hanoi-openaq-silver, hanoi-weather-proxy-silver, weather-forecast-silver, era5-surface-hanoi-silver,
      sentinel5p-hanoi-silver, maiac-hanoi-silver, sentinel5p-grid-silver,
      openaq-spatial-gradient-silver,
      trajectory-met-arl -> trajectory-runs -> trajectory-clusters / trajectory-path-satellite
        -> trajectory-hourly-features,
      hanoi-master-features-gold -> hanoi-serving-features-gold

Daily. The window is chosen by what ARRIVED, not only by event time: ``plan_window`` (``ais job
plan-window``) widens the default window (the 2 days that end with the previous hour) to every
event day of the rows that reached the input tables of the entry jobs (those that read only what
other DAGs write: the bronze tables, for tier-1 silver and the ARL conversion) since the last
successful run (minus 6 hours of overlap) — so ERA5, published about 5 days late, and MAIAC files that come late reach
silver and gold on the schedule. Conf start_date / end_date replace the planned window (a backfill
by date range is one run with both set). Every job MERGEs on its keys, so rebuilding a window
changes only what changed. Conf ``simulate_met``: trajectories on simulated met instead of ERA5
files (a self-contained embedded run). The training dataset is not rebuilt here: its chronological
splits need a span far longer than a daily window (the job refuses a span shorter than its gaps);
``ais_pm25_k8s_compute`` builds it over the conf's range when a run trains.
"""

from __future__ import annotations

from airflow.sdk import DAG, BaseOperator, Param
from ais_dag_utils import (
    DAG_MACROS,
    DEFAULT_ARGS,
    DRY_RUN,
    FEATURE_VERSION,
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

TIER1 = ("hanoi-openaq-silver", "hanoi-weather-proxy-silver", "weather-forecast-silver", "era5-surface-hanoi-silver",
         "sentinel5p-hanoi-silver", "maiac-hanoi-silver", "sentinel5p-grid-silver", "openaq-spatial-gradient-silver")
TIER2 = ("trajectory-met-arl", "trajectory-runs", "trajectory-clusters", "trajectory-path-satellite",
         "trajectory-hourly-features")
GOLD = ("hanoi-master-features-gold", "hanoi-serving-features-gold")
JOBS = (*TIER1, *TIER2, *GOLD)
WINDOW = ("--start-date", PLANNED_START, "--end-date", PLANNED_END)
SIMULATE_MET = "{{ ais_flag(params.simulate_met) }}"


def job_args(job: str) -> tuple[str, ...]:
    """The flags of one windowed job of this DAG."""
    if job == "hanoi-serving-features-gold":
        return (*WINDOW, "--feature-version", FEATURE_VERSION, "--dry-run", DRY_RUN)
    if job == "trajectory-met-arl":
        return (*WINDOW, "--simulate", SIMULATE_MET)
    return WINDOW


def job_task(job: str) -> BaseOperator:
    return ais_task(task_id_of(job), [spark_job(job, *job_args(job))])


with DAG(
    dag_id="ais_hanoi_silver_gold",
    description="Hanoi tier-1 silver, tier-2 trajectory features, master gold and serving features, daily, "
                "over the window planned by arrivals",
    schedule="30 0 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params={**window_params(lookback_days=2),
            "simulate_met": Param(False, type="boolean",
                                  description="trajectories on simulated met instead of ERA5 files")},
    tags=["ais", "silver", "gold", "trajectory", RUNTIME],
    doc_md=__doc__,
) as dag:
    plan = plan_window_task(JOBS, period_hours=24)
    tasks = chain_tasks(JOBS, job_task)
    for task in tasks.values():
        if not task.upstream_task_ids:
            plan >> task
