"""spark-smoke: is Spark able to run AIS jobs here? Starts the session (with its executors on
Kubernetes), runs a small computation over ``--partitions`` tasks and checks its result, then
writes one row to an Iceberg table of its own in the catalog, reads it back and compares, and drops
the table (with its files).

The table is ``audit.spark_smoke_<run id>``: one per run, so two smoke runs never share it, and
it is not one of the tables of ais.tables (nothing else reads it). Status ``failed`` when the
computation, the write or the read-back does not give what was expected.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from ais.config import ConfigError
from ais.spark.jobs.common import JobContext

ROWS_PER_PARTITION = 1000


def _probe(index: int, values: Iterable[int]) -> Iterator[tuple[int, str, int, int, int]]:
    """Runs in a Python worker of an executor: where it ran, and the partition's count and sum."""
    import os
    import socket

    count = total = 0
    for v in values:
        count += 1
        total += v
    yield index, socket.gethostname(), os.getpid(), count, total


def distributed_check(ctx: JobContext, partitions: int) -> dict[str, Any]:
    """Sum 0..n-1 over ``partitions`` tasks; ``ok`` when every partition answered and the sums agree
    with n(n-1)/2."""
    n = partitions * ROWS_PER_PARTITION
    results = (ctx.spark.sparkContext.parallelize(range(n), partitions)
               .mapPartitionsWithIndex(_probe).collect())
    total = sum(r[4] for r in results)
    expected = n * (n - 1) // 2
    jvm_sc = ctx.spark.sparkContext._jsc.sc()  # PySpark has no public list of executors
    # a Scala Seq; empty in local mode, where the driver runs the tasks
    executors = sorted(e for e in str(jvm_sc.getExecutorIds().mkString(",")).split(",") if e)
    master = str(ctx.spark.sparkContext.master)
    return {"partitions": partitions, "partitions_answered": len({r[0] for r in results}),
            "rows": sum(r[3] for r in results), "sum": total, "expected_sum": expected,
            "worker_hosts": sorted({r[1] for r in results}), "worker_processes": len({(r[1], r[2]) for r in results}),
            "executor_ids": executors, "master": master,
            # on Kubernetes the tasks must have run on executor pods, not nowhere
            "ok": (total == expected and len({r[0] for r in results}) == partitions
                   and (bool(executors) or not master.startswith("k8s://")))}


def iceberg_round_trip(ctx: JobContext, computed_sum: int) -> dict[str, Any]:
    """One row written to ``audit.spark_smoke_<run id>`` and read back; the table is dropped after."""
    from pyspark.sql import Row

    table = f"{ctx.catalog}.audit.spark_smoke_{ctx.job_run_id[:12]}"
    written = Row(run_id=ctx.job_run_id, written_at=dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None),
                  computed_sum=computed_sum, note="spark-smoke")
    schema = "run_id string, written_at timestamp, computed_sum long, note string"
    ctx.spark.sql(f"CREATE TABLE {table} ({schema}) USING iceberg TBLPROPERTIES ('format-version' = '2')")
    try:
        ctx.spark.createDataFrame([written], schema).writeTo(table).append()
        read = [r.asDict() for r in ctx.spark.table(table).collect()]
        snapshots = ctx.spark.sql(f"SELECT count(*) FROM {table}.snapshots").first()
    finally:
        ctx.spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")
    return {"table": table.split(".", 1)[1], "written": written.asDict(), "read": read,
            "snapshots": int(snapshots[0]) if snapshots else 0, "ok": read == [written.asDict()]}


def run_smoke(ctx: JobContext, partitions: int) -> dict[str, Any]:
    compute = distributed_check(ctx, partitions)
    iceberg = iceberg_round_trip(ctx, compute["sum"])
    ok = compute["ok"] and iceberg["ok"]
    iceberg["written"]["written_at"] = iceberg["written"]["written_at"].isoformat()
    iceberg["read"] = [r | {"written_at": r["written_at"].isoformat()} for r in iceberg["read"]]
    return ctx.done(status="success" if ok else "failed", compute=compute, iceberg=iceberg)


def add_args(p: argparse.ArgumentParser) -> None:
    """Flags of ``ais job spark-smoke``."""
    p.add_argument("--partitions", type=int, default=4, help="tasks of the distributed check (>= 1)")


def run_job(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    if a.partitions < 1:
        raise ConfigError(f"--partitions must be >= 1, got {a.partitions}")
    return run_smoke(ctx, a.partitions)
