"""audit-dead-letters: the dead letters of ais-ingest (the ``ais-dlq`` topic, or the landing folder
<landing_dir>/ais-dlq in the embedded profile) into ``audit.invalid_events_bronze``, so they are kept
after the topic's retention has dropped them.

A stream like the bronze jobs (same reader, a checkpoint of its own, availableNow by default). Each
dead letter (native/src/sinks/dlq.c) becomes one row: the topic the record was meant for, its
reason and detail, its event_id and dlq_id, the rejected bytes as ``raw_payload`` with their
sha256, and when ingest rejected it. A dead letter without the rejected bytes (a whole file refused,
``raw`` null) keeps its description (source, reason, detail, file, line, event_id) as JSON instead.
A record of the dead-letter topic that is not itself a dead letter (not JSON, or without reason or
source_topic) is kept whole, under the dead-letter topic with reason ``dlq_unparseable``; one that
has no text (a tombstone, an empty value, bytes that are not UTF-8) is kept as read_topic gives it
(a description of the record, or the bytes in base64), its detail naming the problem.

MERGE on the table's keys (source_topic, reason, raw_sha256): a replayed topic, or the same record
rejected by two ingest runs, is kept once.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ais import tables
from ais.spark.jobs.bronze import run_topic_stream
from ais.spark.jobs.common import JobContext
from ais.spark.jobs.maintenance import retry_on_commit_conflict
from ais.spark.merge import merge_into

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

UNPARSEABLE = "dlq_unparseable"
_CORRUPT = "_corrupt_record"
# The fields of a dead letter (ais_dead_letter_json in native/src/sinks/dlq.c).
_STRING_FIELDS = ("dlq_id", "source", "source_topic", "reason", "detail", "raw", "file", "event_id",
                  "recorded_at", "request_id", "producer")


def _dead_letter_schema() -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, T.StringType(), True) for name in _STRING_FIELDS] + [
        T.StructField("raw_truncated", T.BooleanType(), True), T.StructField("line", T.LongType(), True),
        T.StructField(_CORRUPT, T.StringType(), True)])


def dead_letter_rows(raw: DataFrame, dlq_topic: str, job_run_id: str) -> DataFrame:
    """``raw`` has read_topic's columns (``raw_payload``: one record of the dead-letter topic,
    ``input_file``, ``value_problem``); returns rows of audit.invalid_events_bronze, one per
    distinct merge key."""
    from pyspark.sql import functions as F

    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT}
    dl = raw.withColumn("dl", F.from_json("raw_payload", _dead_letter_schema(), options))

    def present(field: str) -> Any:
        return F.col(f"dl.{field}").isNotNull() & (F.trim(f"dl.{field}") != "")

    readable = (F.col("raw_payload").rlike(r"^\s*\{") & F.col("dl").isNotNull()
                & F.col(f"dl.{_CORRUPT}").isNull() & present("reason") & present("source_topic"))
    description = F.to_json(F.struct(*[F.col(f"dl.{f}").alias(f) for f in
                                       ("dlq_id", "source", "source_topic", "reason", "detail", "file", "line",
                                        "event_id")]))
    payload = F.when(readable, F.coalesce(F.col("dl.raw"), description)).otherwise(F.col("raw_payload"))
    rejected_at = F.coalesce(F.try_to_timestamp(F.col("dl.recorded_at")), F.current_timestamp())
    return (dl.select(
        F.when(readable, F.col("dl.source_topic")).otherwise(F.lit(dlq_topic)).alias("source_topic"),
        F.when(readable, F.col("dl.event_id")).alias("event_id"),
        F.when(readable, F.col("dl.reason")).otherwise(F.lit(UNPARSEABLE)).alias("reason"),
        payload.alias("raw_payload"),
        F.when(readable, rejected_at).otherwise(F.current_timestamp()).alias("recorded_at"),
        F.lit(job_run_id).alias("job_run_id"),
        "input_file",
        F.sha2(payload, 256).alias("raw_sha256"),
        F.when(readable, F.col("dl.detail"))
        .otherwise(F.concat_ws(": ", F.lit("not a dead letter of ais-ingest"), F.col("value_problem"))).alias("detail"),
        F.when(readable, F.col("dl.dlq_id")).alias("dlq_id"))
        .dropDuplicates(["source_topic", "reason", "raw_sha256"]))


def _write_batch(ctx: JobContext, dlq_topic: str, batch: DataFrame, batch_id: int, totals: dict[str, int]) -> None:
    rows = dead_letter_rows(batch, dlq_topic, ctx.job_run_id).persist()
    try:
        unparseable = rows.where(rows.reason == UNPARSEABLE).count()
        stats = retry_on_commit_conflict(
            lambda: merge_into(rows, tables.INVALID_EVENTS, ctx.catalog),
            ctx.settings.get_int("streaming.commit_retries"), ctx.settings.get_float("streaming.retry_backoff_seconds"),
            ctx.log, f"{dlq_topic} batch {batch_id}")
    finally:
        rows.unpersist()
    totals["batches"] += 1
    totals["input_count"] += stats.input_rows
    totals["output_count"] += stats.written_rows
    totals["unchanged_count"] += stats.unchanged_rows
    totals["unparseable_count"] += unparseable
    ctx.log.info("dead_letter_batch", topic=dlq_topic, batch_id=batch_id, input=stats.input_rows,
                 written=stats.written_rows, unparseable=unparseable)


def run_dead_letters(ctx: JobContext, trigger: str = "availableNow", processing_seconds: int = 60) -> dict[str, Any]:
    """Stream the dead-letter topic into audit.invalid_events_bronze (checkpoint
    <checkpoint_base>/audit/<dlq topic>)."""
    dlq_topic = ctx.settings.require("kafka.topics.dlq")
    totals = {"batches": 0, "input_count": 0, "output_count": 0, "unchanged_count": 0, "unparseable_count": 0}
    run_topic_stream(ctx, dlq_topic, "audit_dead_letters", f"audit/{dlq_topic}",
                     lambda df, batch_id: _write_batch(ctx, dlq_topic, df, batch_id, totals),
                     trigger, processing_seconds)
    return ctx.done(topic=dlq_topic, table=tables.INVALID_EVENTS.identifier, trigger=trigger, **totals)


def add_args(p: argparse.ArgumentParser) -> None:
    """Flags of ``ais job audit-dead-letters`` (those of the bronze streams)."""
    p.add_argument("--trigger", choices=("availableNow", "processingTime"), default="availableNow")
    p.add_argument("--processing-seconds", type=int, default=60)


def run_job(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    return run_dead_letters(ctx, a.trigger, a.processing_seconds)
