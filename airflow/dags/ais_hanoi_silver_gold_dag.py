"""``ais_hanoi_silver_gold``: tier-1 silver and the Hanoi PM2.5 gold tables (CONTRACTS.md §8).

    [hanoi_openaq_silver, hanoi_weather_proxy_silver, era5_surface_hanoi_silver,
     sentinel5p_hanoi_silver, maiac_hanoi_silver]
      -> hanoi_master_features_gold -> hanoi_training_dataset_gold -> hanoi_serving_features_gold
    hanoi_openaq_silver -> openaq_spatial_gradient_silver -> hanoi_master_features_gold

Daily, for the window ending with the previous UTC day (conf start_date / end_date override it: a
backfill by date range is one run with both set). Every job MERGEs on its keys, so rebuilding a
window changes only what changed; the five silver jobs are independent and run side by side.
The tier-2 trajectory jobs exist (``ais job trajectory-*``) but this DAG does not schedule them yet:
the master gold here joins whatever trajectory features are already in the tables.
"""

from __future__ import annotations

from airflow.sdk import DAG
from ais_dag_utils import (
    DAG_MACROS,
    DEFAULT_ARGS,
    DRY_RUN,
    END_DATE,
    FEATURE_VERSION,
    RUNTIME,
    START,
    START_DATE,
    ais_task,
    spark_job,
    window_params,
)

SILVER_JOBS = ("hanoi-openaq-silver", "hanoi-weather-proxy-silver", "era5-surface-hanoi-silver",
               "sentinel5p-hanoi-silver", "maiac-hanoi-silver", "sentinel5p-grid-silver")
WINDOW = ("--start-date", START_DATE, "--end-date", END_DATE)

with DAG(
    dag_id="ais_hanoi_silver_gold",
    description="Hanoi tier-1 silver, master gold, training dataset and serving features",
    schedule="30 0 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params=window_params(lookback_days=2),
    tags=["ais", "silver", "gold", RUNTIME],
    doc_md=__doc__,
) as dag:
    silvers = [ais_task(job.replace("-", "_"), [spark_job(job, *WINDOW)]) for job in SILVER_JOBS]
    master = ais_task("hanoi_master_features_gold", [spark_job("hanoi-master-features-gold", *WINDOW)])
    dataset = ais_task("hanoi_training_dataset_gold", [spark_job("hanoi-training-dataset-gold", *WINDOW)])
    serving = ais_task("hanoi_serving_features_gold", [
        spark_job("hanoi-serving-features-gold", *WINDOW, "--feature-version", FEATURE_VERSION, "--dry-run", DRY_RUN),
    ])
    # the spatial gradient reads the OpenAQ station-hourly silver
    openaq = silvers[SILVER_JOBS.index("hanoi-openaq-silver")]
    gradient = ais_task("openaq_spatial_gradient_silver", [spark_job("openaq-spatial-gradient-silver", *WINDOW)])
    silvers >> master >> dataset >> serving
    openaq >> gradient >> master
