"""``ais_streaming_supervision``: live ingest of the hourly sources, and every bronze table kept
current (CONTRACTS.md §8).

    ingest_openaq -> bronze_openaq -> cassandra_openaq
    ingest_weather -> bronze_weather -> cassandra_weather
    ingest_sentinel5p (one run a day) -> bronze_sentinel5p
    ingest_weather_forecast -> bronze_weather_forecast
    bronze_maiac, bronze_era5 (their files come from ais_maiac_backfill and ais_era5_ingestion)

Hourly. ``ais-ingest <source> --mode live`` fetches a window that ends with the hour the run's data
interval ends in (never the wall clock) and reaches back further than one period, so that hours a
provider publishes late are fetched by a later run: OpenAQ the last 12 hours, WeatherAPI the last 6
(each local day it touches), Sentinel-5P — in the run whose interval ends at 03:00 UTC, or any run
with conf ``sentinel5p: true`` — the last 3 days. The WeatherAPI forecast has no past to fetch
again: the last hour, one forecast.json per configured province, which keeps the issue current
during the run (native/include/ais/weather_forecast.h). Conf start_date / end_date replace the window
(a backfill by date range). Events go to Kafka (the landing folder in the embedded profile).

Reruns are harmless: event ids are deterministic from the natural key and bronze MERGEs on them.
A failing ingest fails its task, and Airflow retries it with backoff; ais-ingest records a
window in its state dir (runtime.ingest_state_dir) only after every event reached the sink
(native/src/ingest/cli/cmd_ingest.c ``execute``: ``ais_window_state_save`` runs only on success), so a
failed run leaves nothing recorded — and these runs pass --start/--end explicitly anyway.

Each bronze pass is one ``availableNow`` pass: it reads what arrived on its topic (or landing
folder) since its checkpoint, MERGEs it into bronze (late events recorded and merged, bad ones to the
audit table) and stops; the checkpoint moves only after the commit, so a failed pass loses nothing.
``max_active_runs=1`` keeps two passes of the same stream from sharing a checkpoint; the bronze
passes run only in this DAG (and in the manual bootstrap ``ais_pipeline``).

Where Cassandra serves (always on Kubernetes; locally when the worker's environment sets
CASSANDRA_HOST), ``cassandra_openaq`` / ``cassandra_weather`` copy the last 2 days of bronze (conf
start_date / end_date: that range) into the serving tables, idempotently.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param, TriggerRule
from ais_dag_utils import (
    DAG_MACROS,
    DEFAULT_ARGS,
    END_DATE,
    RUNTIME,
    START,
    START_DATE,
    ais_task,
    ingest_params,
    live_ingest,
    spark_job,
    task_id_of,
)

BRONZE_SOURCES = ("openaq", "weather", "sentinel5p", "maiac", "era5", "weather-forecast")
LOOKBACK_HOURS = {"openaq": 12, "weather": 6, "sentinel5p": 72, "weather-forecast": 1}
SERVED = ("openaq", "weather")  # bronze tables with a Cassandra serving table (CONTRACTS.md §4)
SENTINEL5P_HOUR = 3  # the run whose data interval ends at 03:00 UTC fetches Sentinel-5P

with DAG(
    dag_id="ais_streaming_supervision",
    description="hourly live ingest (OpenAQ, WeatherAPI history and forecast; Sentinel-5P daily) and one "
                "availableNow pass of every bronze stream",
    schedule="5 * * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(hours=2),
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params={**ingest_params(lookback_days=2),
            "sentinel5p": Param(False, type="boolean",
                                description="fetch Sentinel-5P in this run whatever its hour")},
    tags=["ais", "streaming", "ingest", RUNTIME],
    doc_md=__doc__,
) as dag:
    for source in BRONZE_SOURCES:
        bronze = ais_task(f"bronze_{task_id_of(source)}", [spark_job(f"bronze-{source}", "--trigger", "availableNow")],
                          trigger_rule=TriggerRule.NONE_FAILED)
        if source in LOOKBACK_HOURS:
            run_if = (f"{{{{ params.sentinel5p or data_interval_end.hour == {SENTINEL5P_HOUR} }}}}"
                      if source == "sentinel5p" else None)
            ingest_step = live_ingest(source, LOOKBACK_HOURS[source])
            ais_task(f"ingest_{task_id_of(source)}", [ingest_step], run_if=run_if) >> bronze
        if source in SERVED:
            bronze >> ais_task(f"cassandra_{source}", [
                spark_job(f"cassandra-{source}", "--start-date", START_DATE, "--end-date", END_DATE),
            ], run_if="{{ ais_cassandra_configured() }}")
