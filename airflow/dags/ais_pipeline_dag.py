"""``ais_pipeline``: bootstrap of an AIS environment (CONTRACTS.md §8).

    ensure_kafka_topics, ensure_iceberg_tables, ensure_cassandra_schema
      -> bronze_openaq -> bronze_weather -> bronze_sentinel5p -> bronze_maiac -> bronze_era5

``ensure_kafka_topics`` creates the configured topics that are missing (``ais-ingest topics
--create``); in the local runtime only when the worker's environment names Kafka brokers
(KAFKA_BOOTSTRAP_SERVERS; the embedded profile's bus is the landing folder, the step is skipped).
``ensure_iceberg_tables`` creates or evolves every Iceberg namespace and table;
``ensure_cassandra_schema`` creates the serving keyspace and tables (CONTRACTS.md §4, ``ais job
ensure-cassandra``) when the worker's environment names a Cassandra host. Then each bronze
table is brought up to date with what is waiting on its topic (or landing folder) in one
``availableNow`` pass per source. Run it by hand once per environment, and after a table change;
``ais_streaming_supervision`` keeps bronze current from then on. The bronze passes run one after
the other (one Spark application at a time on a small machine; the ``ais_spark`` pool does the same
across DAGs). Every step is idempotent (topics and tables created only when missing, MERGE on
event_id with checkpoints), so a rerun is harmless.
"""

from __future__ import annotations

from airflow.sdk import DAG
from ais_dag_utils import DAG_MACROS, DEFAULT_ARGS, RUNTIME, START, Step, ais_task, ingest, spark_job

BRONZE_SOURCES = ("openaq", "weather", "sentinel5p", "maiac", "era5")

with DAG(
    dag_id="ais_pipeline",
    description="AIS bootstrap: Kafka topics, Iceberg tables, then one catch-up pass of every bronze stream",
    schedule=None,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    tags=["ais", "bootstrap", RUNTIME],
    doc_md=__doc__,
) as dag:
    topics = ais_task("ensure_kafka_topics", [ingest("topics", "--create", run_if="{{ ais_kafka_configured() }}")])
    tables = ais_task("ensure_iceberg_tables", [spark_job("ensure-iceberg")])
    # a step condition, not a task one: a skipped task would skip the bronze passes after it
    cassandra = ais_task("ensure_cassandra_schema", [
        Step("spark", ("ensure-cassandra",), run_if="{{ ais_cassandra_configured() }}")])
    previous = [topics, tables, cassandra]
    for source in BRONZE_SOURCES:
        bronze = ais_task(f"bronze_{source}", [spark_job(f"bronze-{source}", "--trigger", "availableNow")])
        previous >> bronze
        previous = [bronze]
