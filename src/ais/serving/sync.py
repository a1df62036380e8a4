"""Spark jobs ``cassandra-weather`` and ``cassandra-openaq``: a window of bronze -> Cassandra.

The window (``--start-date/--end-date``, on ``event_time``; ``--full-refresh 1``: the whole table)
of ``weather.weather_history_bronze`` or ``air_quality.openaq_hourly_bronze`` is mapped row by row
(:mod:`ais.serving.rows`) and written inside the executors: each partition opens one driver
session, prepares the INSERT once and runs it with at most ``cassandra.write_concurrency``
statements in flight. An INSERT is an upsert on the primary key, so a rerun or a retried task
writes the same rows again and the table holds each event once. The schema is ensured first
(idempotent), so the jobs also run on an empty cluster.

Summary: rows read from bronze, rows written per table, OpenAQ rows outside the city (not served).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ais import tables
from ais.cli import JobError
from ais.config import Settings
from ais.jsonlog import get_logger
from ais.serving import rows as R
from ais.serving.cassandra import (
    OPENAQ_TABLE,
    TABLES,
    WEATHER_TABLE,
    CassandraConfig,
    cassandra_config,
    connect,
    ensure_schema,
)
from ais.spark.jobs.common import JobContext, Window

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# rows handed to the driver at once (each chunk runs with write_concurrency statements in flight)
CHUNK_ROWS = 2000


@dataclass(frozen=True)
class ServingSource:
    """One bronze table and the Cassandra table it is served from."""

    kind: str  # weather | openaq
    bronze: str  # namespace.table
    table: str  # Cassandra table name
    bronze_columns: tuple[str, ...]


SOURCES: dict[str, ServingSource] = {
    "weather": ServingSource("weather", "weather.weather_history_bronze", WEATHER_TABLE, R.WEATHER_BRONZE_COLUMNS),
    "openaq": ServingSource("openaq", "air_quality.openaq_hourly_bronze", OPENAQ_TABLE, R.OPENAQ_BRONZE_COLUMNS),
}


def city_area(settings: Settings) -> R.CityArea:
    """The served city: hanoi.location_name inside hanoi.bbox, days at hanoi.utc_offset_hours."""
    s = settings
    return R.CityArea(s.require("hanoi.location_name"), west=s.get_float("hanoi.bbox.west"),
                      east=s.get_float("hanoi.bbox.east"), south=s.get_float("hanoi.bbox.south"),
                      north=s.get_float("hanoi.bbox.north"), utc_offset_hours=s.utc_offset_hours)


def mapper(kind: str, city: R.CityArea) -> Callable[[Mapping[str, Any]], dict[str, Any] | None]:
    """The bronze -> serving row function of a source."""
    if kind == "weather":
        return R.weather_row
    return functools.partial(R.openaq_row, city=city)


def bronze_window(ctx: JobContext, source: ServingSource, window: Window | None) -> DataFrame:
    """The bronze rows of the window (all when ``window`` is None) with the columns the mapping
    reads, times as UTC epoch microseconds."""
    from pyspark.sql import functions as F

    df = ctx.spark.table(tables.table(source.bronze).qualified(ctx.catalog))
    if window is not None:
        df = df.where((F.col("event_time") >= window.start_sql) & (F.col("event_time") < window.end_sql))
    return df.select(*source.bronze_columns, F.unix_micros("event_time").alias("event_time_us"),
                     F.unix_micros("ingest_time").alias("ingest_time_us"))


def write_rows(cfg: CassandraConfig, kind: str, city: R.CityArea,
               records: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Write mapped ``records`` through one session; (rows written, rows outside the city).
    Raises on the first failed statement (the Spark task fails and is retried: upserts)."""
    from cassandra.concurrent import execute_concurrent_with_args

    table = TABLES[SOURCES[kind].table]
    to_row = mapper(kind, city)
    written = outside = 0
    cluster, session = connect(cfg)
    try:
        insert = session.prepare(table.insert_cql(cfg.keyspace))
        pending: list[tuple[Any, ...]] = []

        def flush() -> None:
            nonlocal written
            if pending:
                execute_concurrent_with_args(session, insert, pending, concurrency=cfg.write_concurrency,
                                             raise_on_first_error=True)
                written += len(pending)
                pending.clear()

        for rec in records:
            row = to_row(rec)
            if row is None:
                outside += 1
                continue
            pending.append(R.values(row, table.column_names))
            if len(pending) >= CHUNK_ROWS:
                flush()
        flush()
    finally:
        cluster.shutdown()
    return written, outside


def _write_partition(cfg: CassandraConfig, kind: str, city: R.CityArea, read_acc: Any, written_acc: Any,
                     outside_acc: Any, partition: Iterable[Any]) -> None:
    """foreachPartition body (runs on an executor); rows stream through, and an empty partition
    opens no connection."""
    rows = iter(partition)
    first = next(rows, None)
    if first is None:
        return
    read = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal read
        for row in itertools.chain((first,), rows):
            read += 1
            yield row.asDict()

    written, outside = write_rows(cfg, kind, city, records())
    read_acc.add(read)
    written_acc.add(written)
    outside_acc.add(outside)


def run_cassandra_sync(ctx: JobContext, kind: str, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    """Copy the window of one bronze table into its Cassandra table; the job's summary."""
    source = SOURCES[kind]
    cfg = cassandra_config(ctx.settings)
    city = city_area(ctx.settings)
    cluster, session = connect(cfg)
    try:
        ensure_schema(session, cfg)
    finally:
        cluster.shutdown()

    df = bronze_window(ctx, source, None if full_refresh else window)
    sc = ctx.spark.sparkContext
    read_acc, written_acc, outside_acc = sc.accumulator(0), sc.accumulator(0), sc.accumulator(0)
    # at most one session per core: a partition of a few rows does not open a connection of its own
    df = df.coalesce(max(1, sc.defaultParallelism))
    try:
        df.foreachPartition(functools.partial(_write_partition, cfg, kind, city, read_acc, written_acc, outside_acc))
    except Exception as exc:  # a failed task: name the table, keep Spark's first line, fail the job
        first = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
        get_logger("serving").error("cassandra_sync_failed", job=ctx.name, table=cfg.qualified(source.table),
                                    error=first)
        raise JobError(f"writing {source.bronze} to {cfg.qualified(source.table)} failed: {first}") from exc
    return ctx.done(
        source_table=source.bronze, keyspace=cfg.keyspace,
        window_start=None if full_refresh else window.start_sql, window_end=None if full_refresh else window.end_sql,
        full_refresh=full_refresh, rows_read=read_acc.value,
        rows_written={f"cassandra:{cfg.qualified(source.table)}": written_acc.value},
        rows_outside_city=outside_acc.value if kind == "openaq" else 0,
        status="success" if read_acc.value else "no_input")
