"""``ais_maiac_backfill``: MAIAC MCD19A2 from NASA CMR / LP DAAC, daily and by date range
(CONTRACTS.md §8).

    ingest_maiac

Daily, ``ais-ingest maiac --mode live`` over the 4 days that end with the hour of the run's data
interval end: granules LP DAAC publishes a day or two late are found by the runs that follow. A
backfill is a run with conf ``start_date`` and ``end_date`` (inclusive UTC dates), e.g.
``airflow dags trigger ais_maiac_backfill -c '{"start_date": "2026-01-01", "end_date": "2026-03-31"}'``.
Files go to the shared store (``<raw store>/maiac/YYYY/MM/DD/``), events to Kafka (the landing
folder in the embedded profile); ``ais_streaming_supervision`` streams them into bronze, and the
silver/gold DAG picks the late days up by arrival.

Reruns are harmless (event ids are deterministic, bronze MERGEs). A failed run fails the task and
is retried; the window is recorded in ais-ingest's state dir only when every event reached its
sink (cmd_ingest.c ``execute``).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG
from ais_dag_utils import DAG_MACROS, DEFAULT_ARGS, RUNTIME, START, ais_task, ingest_params, live_ingest

LOOKBACK_HOURS = 4 * 24

with DAG(
    dag_id="ais_maiac_backfill",
    description="MAIAC AOD granules: a daily 4-day overlap window, or a date-range backfill by conf",
    schedule="30 4 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params=ingest_params(lookback_days=4),
    tags=["ais", "ingest", "maiac", RUNTIME],
    doc_md=__doc__,
) as dag:
    ais_task("ingest_maiac", [live_ingest("maiac", LOOKBACK_HOURS)], execution_timeout=dt.timedelta(hours=6))
