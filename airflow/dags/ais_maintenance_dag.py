"""``ais_maintenance``: dead letters, Iceberg upkeep, the serving reconcile and file clean-up
(CONTRACTS.md §8).

    audit_dead_letters -> maintenance_iceberg -> clean_files
    reconcile_serving

Daily. ``audit_dead_letters`` (``ais job audit-dead-letters``) reads the dead letters (the
``ais-dlq`` topic, or its landing folder in the embedded profile) into
``audit.invalid_events_bronze`` with their reason, so a rejected event is kept for good instead of
expiring with the topic. ``maintenance_iceberg`` compacts every table, expires old snapshots and
removes orphan files (retentions in the ``maintenance:`` section of the configuration; safe while
the streams write). ``reconcile_serving`` compares Cassandra's serving tables with bronze, per table
and day, over the 3 days that end with the previous hour (conf start_date / end_date: another
range), and fails below its tolerance (only where Cassandra serves: always on Kubernetes, locally
when the worker's environment sets CASSANDRA_HOST). ``clean_files`` (``ais clean``) deletes landing
files that a streaming checkpoint has committed AND that are older than
``cleanup.landing_retention_hours``, and the download scratch of failed ingest windows older than
``cleanup.download_retention_hours`` — never a file whose window is not in bronze yet.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param
from ais_dag_utils import (
    DAG_MACROS,
    DEFAULT_ARGS,
    END_DATE,
    RUNTIME,
    START,
    START_DATE,
    ais_task,
    light,
    spark_job,
    window_params,
)

LOCAL = RUNTIME == "local"  # locally the summaries are the tasks' XComs

with DAG(
    dag_id="ais_maintenance",
    description="dead letters to the audit table, Iceberg maintenance, serving reconcile, landing/download clean-up",
    schedule="0 2 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params={
        **window_params(lookback_days=3),
        "landing_retention_hours": Param(None, type=["null", "number"], minimum=0,
                                         description="default: cleanup.landing_retention_hours"),
        "download_retention_hours": Param(None, type=["null", "number"], minimum=0,
                                          description="default: cleanup.download_retention_hours"),
    },
    tags=["ais", "maintenance", RUNTIME],
    doc_md=__doc__,
) as dag:
    dead_letters = ais_task("audit_dead_letters", [spark_job("audit-dead-letters")], push_json=LOCAL)
    maintenance = ais_task("maintenance_iceberg", [spark_job("maintenance-iceberg")], push_json=LOCAL)
    cleanup = ais_task("clean_files", [light(
        "clean", "--landing-retention-hours", '{{ params.landing_retention_hours if params.landing_retention_hours '
        'is not none else "" }}', "--download-retention-hours", '{{ params.download_retention_hours if '
        'params.download_retention_hours is not none else "" }}')], push_json=LOCAL)
    dead_letters >> maintenance >> cleanup
    ais_task("reconcile_serving", [spark_job("reconcile-serving", "--start-date", START_DATE, "--end-date", END_DATE)],
             run_if="{{ ais_cassandra_configured() }}")
