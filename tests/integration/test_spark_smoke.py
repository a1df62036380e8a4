"""spark-smoke in the embedded profile: every task answers with the right partial sums, the Iceberg
row read back equals the row written, and the run's table is gone afterwards."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest

from ais.config import ConfigError, Settings
from ais.spark.jobs.common import JobContext
from ais.spark.jobs.smoke import ROWS_PER_PARTITION, run_job, run_smoke

pytestmark = pytest.mark.spark


def test_smoke_computes_on_every_partition_and_reads_back_its_row(
        spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    ctx = JobContext("spark_smoke", settings, spark)
    summary = run_smoke(ctx, partitions=6)
    assert summary["status"] == "success"
    compute = summary["compute"]
    n = 6 * ROWS_PER_PARTITION
    assert (compute["partitions_answered"], compute["rows"], compute["sum"]) == (6, n, n * (n - 1) // 2)
    assert compute["worker_processes"] >= 1 and compute["worker_hosts"]
    assert compute["master"].startswith("local") and compute["executor_ids"] == []  # the driver ran the tasks
    iceberg = summary["iceberg"]
    assert iceberg["read"] == [iceberg["written"]]
    assert iceberg["written"]["run_id"] == ctx.job_run_id
    assert iceberg["written"]["computed_sum"] == n * (n - 1) // 2
    assert iceberg["snapshots"] == 1
    listed = {r.tableName for r in spark.sql(f"SHOW TABLES IN {settings.catalog_name}.audit").collect()}
    assert iceberg["table"].split(".")[1] not in listed  # dropped with its files
    assert listed >= {"invalid_events_bronze", "late_events_bronze"}


def test_smoke_refuses_zero_partitions(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="--partitions must be >= 1"):
        run_job(JobContext("spark_smoke", spark_settings(), spark), argparse.Namespace(partitions=0))
