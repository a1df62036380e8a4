"""``ais_era5_ingestion``: ERA5 from the Copernicus Climate Data Store, daily (CONTRACTS.md §8).

    ingest_era5

``ais-ingest era5 --mode live`` requests the single-level and pressure-level fields for the window
that ends with the day of the run's data interval end and reaches 10 days back: ERA5 (ERA5T) is
published about 5 days after the hour, so each day is asked for again by the runs of the following
days until it exists. Files go to the shared store (``<raw store>/era5/YYYY/MM/DD/``), events to
Kafka (the landing folder in the embedded profile); ``ais_streaming_supervision`` streams them into
bronze at its next pass, and ``ais_hanoi_silver_gold`` plans its window by what arrived, so a late
file still reaches silver and gold. Conf start_date / end_date: a backfill of that date range.

Reruns are harmless (file ids and event ids are deterministic; bronze MERGEs). A CDS request may
queue for hours (gridded_live.cds_max_wait_minutes), hence the long timeout. A failed run fails
the task and Airflow retries it; ais-ingest records the window in its state dir only after every
event reached the sink (cmd_ingest.c ``execute``), and a file it could not put on the store fails
the window before any event is written.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG
from ais_dag_utils import DAG_MACROS, DEFAULT_ARGS, RUNTIME, START, ais_task, ingest_params, live_ingest

LOOKBACK_HOURS = 10 * 24

with DAG(
    dag_id="ais_era5_ingestion",
    description="ERA5 single and pressure levels from the CDS, daily, 10 days back (ERA5T is ~5 days late)",
    schedule="0 6 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params=ingest_params(lookback_days=10),
    tags=["ais", "ingest", "era5", RUNTIME],
    doc_md=__doc__,
) as dag:
    ais_task("ingest_era5", [live_ingest("era5", LOOKBACK_HOURS)], execution_timeout=dt.timedelta(hours=13))
