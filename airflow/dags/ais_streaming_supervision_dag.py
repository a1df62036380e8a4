"""``ais_streaming_supervision``: keeps every bronze table current (CONTRACTS.md §8).

Every 15 minutes, one ``availableNow`` pass per source stream: each reads what arrived on its topic
(or landing folder) since its checkpoint, MERGEs it into bronze (late events recorded and merged,
bad ones to the audit table) and stops. A stream that failed is simply run again by the next pass
(Airflow retries it once first), with nothing lost: the checkpoint only moves after the commit.
``max_active_runs=1`` keeps two passes of the same stream from sharing a checkpoint. Sources are
independent, so their passes run side by side.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG
from ais_dag_utils import DAG_MACROS, DEFAULT_ARGS, RUNTIME, START, ais_task, spark_job

BRONZE_SOURCES = ("openaq", "weather", "sentinel5p", "maiac", "era5")

with DAG(
    dag_id="ais_streaming_supervision",
    description="one availableNow pass of every bronze stream, every 15 minutes",
    schedule="*/15 * * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(minutes=60),
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    tags=["ais", "streaming", RUNTIME],
    doc_md=__doc__,
) as dag:
    for source in BRONZE_SOURCES:
        ais_task(f"bronze_{source}", [spark_job(f"bronze-{source}", "--trigger", "availableNow")])
