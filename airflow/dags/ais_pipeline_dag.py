"""``ais_pipeline``: bootstrap of the AIS tables and bronze (CONTRACTS.md §8).

    ensure_iceberg_tables -> bronze_openaq -> bronze_weather -> bronze_sentinel5p -> bronze_maiac
      -> bronze_era5

Creates or evolves every Iceberg namespace and table, then brings each bronze table up to date with
what is waiting on its topic (Kafka, or the landing files of the embedded profile) in one
``availableNow`` pass per source. Run it by hand once per environment, and after a table change;
``ais_streaming_supervision`` keeps bronze current from then on. The bronze passes run one after the
other so that a small machine runs one Spark application at a time. Every step is idempotent
(CREATE IF NOT EXISTS, MERGE on event_id with checkpoints), so a rerun is harmless.
"""

from __future__ import annotations

from airflow.sdk import DAG
from ais_dag_utils import DAG_MACROS, DEFAULT_ARGS, RUNTIME, START, ais_task, spark_job

BRONZE_SOURCES = ("openaq", "weather", "sentinel5p", "maiac", "era5")

with DAG(
    dag_id="ais_pipeline",
    description="AIS bootstrap: Iceberg tables, then one catch-up pass of every bronze stream",
    schedule=None,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    tags=["ais", "bootstrap", RUNTIME],
    doc_md=__doc__,
) as dag:
    previous = ais_task("ensure_iceberg_tables", [spark_job("ensure-iceberg")])
    for source in BRONZE_SOURCES:
        bronze = ais_task(f"bronze_{source}", [spark_job(f"bronze-{source}", "--trigger", "availableNow")])
        previous >> bronze
        previous = bronze
