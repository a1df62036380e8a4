"""Spark job ``reconcile-serving``: bronze (Iceberg) against Cassandra, per table and day.

For each served table and each day (the tables' own ``day``, see :mod:`ais.serving.rows`) of the
window (``event_time`` in [start, end), on both sides):

- the distinct event ids on the Iceberg side: the bronze rows of the window, keyed with the same
  mapping as the sync (OpenAQ stations outside the city are not served and not counted);
- the distinct event ids on the Cassandra side: every partition the Iceberg side names, read in
  the executors (one session per Spark partition, an event_time range query per Cassandra
  partition);
- ``matched``: ids on both sides; ``ratio`` = matched / the larger of the two counts (1.0 when
  both are empty), so rows missing from Cassandra and rows Cassandra has that bronze does not
  both lower it;
- a checksum of each side: the XOR of a 64-bit hash of each event id (:func:`rows.event_hash`),
  order-independent, equal when the sets are equal.

A day whose ratio is below ``--tolerance`` (default 0.95) is a mismatch: the summary's status is
``mismatch`` with those days listed, and ``ais job reconcile-serving`` exits 3. Partitions that
exist only in Cassandra (no bronze row in the window names them) are not visited.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ais.config import ConfigError
from ais.serving import rows as R
from ais.serving.cassandra import TABLES, CassandraConfig, cassandra_config, connect
from ais.serving.sync import SOURCES, bronze_window, city_area, mapper
from ais.spark.jobs.common import JobContext, Window

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

DEFAULT_TOLERANCE = 0.95
_KEY_SCHEMA = "day string, pk string, event_id string, h long"


def day_verdict(iceberg_count: int, cassandra_count: int, matched: int, tolerance: float) -> tuple[float, bool]:
    """(ratio, ok) of one table-day: matched / max(counts), 1.0 when both sides are empty."""
    larger = max(iceberg_count, cassandra_count)
    ratio = 1.0 if larger == 0 else matched / larger
    return ratio, ratio >= tolerance


def _partition_key(kind: str, row: dict[str, Any]) -> str:
    """The Cassandra partition key of a serving row, as a JSON list (the day as ISO text)."""
    names = TABLES[SOURCES[kind].table].partition_key
    return json.dumps([row[n].isoformat() if isinstance(row[n], dt.date) else row[n] for n in names])


def _iceberg_keys(kind: str, city: R.CityArea, partition: Iterable[Any]) -> Iterator[tuple[str, str, str, int]]:
    to_row = mapper(kind, city)
    for rec in partition:
        row = to_row(rec.asDict())
        if row is not None:
            yield row["day"].isoformat(), _partition_key(kind, row), row["event_id"], R.event_hash(row["event_id"])


def _cassandra_keys(cfg: CassandraConfig, kind: str, start_us: int, end_us: int,
                    partition: Iterable[Any]) -> Iterator[tuple[str, str, str, int]]:
    """The event ids Cassandra holds in each partition key of ``partition`` and the time range."""
    keys = [str(r[0]) for r in partition]
    if not keys:
        return
    table = TABLES[SOURCES[kind].table]
    names = table.partition_key
    where = " AND ".join(f"{n} = ?" for n in names)
    start, end = R.utc_from_micros(start_us), R.utc_from_micros(end_us)
    cluster, session = connect(cfg)
    try:
        query = session.prepare(f"SELECT day, event_id FROM {cfg.keyspace}.{table.name} WHERE {where} "
                                "AND event_time >= ? AND event_time < ?")
        for key in keys:
            parts = json.loads(key)
            bound = [dt.date.fromisoformat(v) if n == "day" else v for n, v in zip(names, parts, strict=True)]
            for r in session.execute(query, (*bound, start, end)):
                yield r.day.date().isoformat(), key, r.event_id, R.event_hash(r.event_id)
    finally:
        cluster.shutdown()


def compare(iceberg: DataFrame, cassandra: DataFrame) -> DataFrame:
    """Per day: iceberg_count, cassandra_count, matched, and the two checksums (XOR of hashes)."""
    from pyspark.sql import functions as F

    i = iceberg.dropDuplicates(["event_id"]).alias("i")
    c = cassandra.dropDuplicates(["event_id"]).alias("c")
    joined = i.join(c, (F.col("i.event_id") == F.col("c.event_id")) & (F.col("i.day") == F.col("c.day")),
                    "full_outer")
    both = F.col("i.event_id").isNotNull() & F.col("c.event_id").isNotNull()
    return (joined.groupBy(F.coalesce(F.col("i.day"), F.col("c.day")).alias("day"))
            .agg(F.count("i.event_id").alias("iceberg_count"), F.count("c.event_id").alias("cassandra_count"),
                 F.sum(F.when(both, 1).otherwise(0)).alias("matched"),
                 F.bit_xor("i.h").alias("iceberg_checksum"), F.bit_xor("c.h").alias("cassandra_checksum")))


def reconcile_table(ctx: JobContext, cfg: CassandraConfig, kind: str, window: Window,
                    tolerance: float) -> list[dict[str, Any]]:
    """The per-day comparison of one table, sorted by day."""
    spark = ctx.spark
    city = city_area(ctx.settings)
    bronze = bronze_window(ctx, SOURCES[kind], window)
    iceberg = spark.createDataFrame(bronze.rdd.mapPartitions(functools.partial(_iceberg_keys, kind, city)),
                                    _KEY_SCHEMA).cache()
    start_us = int(window.start.timestamp() * 1_000_000)
    end_us = int(window.end.timestamp() * 1_000_000)
    keys = iceberg.select("pk").distinct().coalesce(max(1, spark.sparkContext.defaultParallelism))
    cassandra = spark.createDataFrame(
        keys.rdd.mapPartitions(functools.partial(_cassandra_keys, cfg, kind, start_us, end_us)), _KEY_SCHEMA)
    days = []
    try:
        for r in compare(iceberg, cassandra).orderBy("day").collect():
            ratio, ok = day_verdict(r["iceberg_count"], r["cassandra_count"], r["matched"], tolerance)
            days.append({"day": r["day"], "iceberg_count": r["iceberg_count"],
                         "cassandra_count": r["cassandra_count"], "matched": r["matched"],
                         "ratio": round(ratio, 6), "iceberg_checksum": R.checksum_hex(r["iceberg_checksum"]),
                         "cassandra_checksum": R.checksum_hex(r["cassandra_checksum"]),
                         "checksum_match": r["iceberg_checksum"] == r["cassandra_checksum"], "ok": ok})
    finally:
        iceberg.unpersist()
    return days


def run_reconcile(ctx: JobContext, window: Window, tolerance: float = DEFAULT_TOLERANCE,
                  kinds: tuple[str, ...] = ("weather", "openaq")) -> dict[str, Any]:
    """Reconcile every served table over ``window``; status ``mismatch`` when a day is below
    ``tolerance``."""
    if not 0.0 <= tolerance <= 1.0:
        raise ConfigError(f"--tolerance must be within 0..1, got {tolerance}")
    cfg = cassandra_config(ctx.settings)
    per_table: dict[str, Any] = {}
    mismatched: list[dict[str, Any]] = []
    for kind in kinds:
        name = cfg.qualified(SOURCES[kind].table)
        days = reconcile_table(ctx, cfg, kind, window, tolerance)
        per_table[name] = {"source_table": SOURCES[kind].bronze, "days": days,
                           "iceberg_count": sum(d["iceberg_count"] for d in days),
                           "cassandra_count": sum(d["cassandra_count"] for d in days),
                           "matched": sum(d["matched"] for d in days)}
        mismatched += [{"table": name, "day": d["day"], "ratio": d["ratio"], "iceberg_count": d["iceberg_count"],
                        "cassandra_count": d["cassandra_count"]} for d in days if not d["ok"]]
    if mismatched:
        ctx.log.error("serving_mismatch", job=ctx.name, tolerance=tolerance, mismatched_days=mismatched)
    return ctx.done(keyspace=cfg.keyspace, window_start=window.start_sql, window_end=window.end_sql,
                    tolerance=tolerance, tables=per_table, mismatched_days=mismatched,
                    status="mismatch" if mismatched else "success")
