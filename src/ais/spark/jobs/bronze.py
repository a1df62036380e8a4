"""Events -> bronze: landing files (embedded profile) or Kafka (cluster profile) into the source's
bronze table, MERGE on event_id.

Each micro-batch: parse with the table's explicit schema, send what cannot be used to
audit.invalid_events_bronze with the reason (nothing is dropped silently), deduplicate inside the
batch (latest ingest_time wins), MERGE the rest. A replayed batch changes nothing, so a restart
between the table commit and the checkpoint commit is harmless.

A record that is no event (a poison pill) never stops the stream: a Kafka tombstone (null value),
an empty value, bytes that are not UTF-8, text that is not JSON, JSON that is not an object, an
object whose fields do not fit the table's types, or one without a required field becomes one
audit row whose reason names which (see :data:`REASON_DETAILS`), with its bytes and the record's
place (``input_file`` = kafka:<topic>:<partition>:<offset>), while the good records of its batch
go to bronze.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ais import tables
from ais.config import ConfigError, Settings
from ais.spark.jobs.common import JobContext
from ais.spark.jobs.maintenance import COMMIT_CONFLICT_MARKERS, retry_on_commit_conflict
from ais.spark.kafka_security import kafka_security_options
from ais.spark.merge import MergeStats, changed_rows, current_snapshot_id, merge_changed, merge_into
from ais.spark.schema import conform, spark_schema
from ais.tables import TableSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass(frozen=True)
class BronzeSource:
    source: str  # the name ais-ingest uses
    topic_key: str  # kafka.topics.<key> in the config
    spec: TableSpec


BRONZE_SOURCES: dict[str, BronzeSource] = {
    s.source: s for s in (
        BronzeSource("openaq", "openaq", tables.OPENAQ_BRONZE),
        BronzeSource("weather", "weather", tables.TABLES["weather.weather_history_bronze"]),
        BronzeSource("sentinel5p", "sentinel5p", tables.TABLES["satellite.sentinel5p_summary_bronze"]),
        BronzeSource("maiac", "maiac", tables.TABLES["satellite.maiac_summary_bronze"]),
        BronzeSource("era5", "era5", tables.TABLES["weather.era5_files_bronze"]),
        BronzeSource("weather-vc", "weather_vc", tables.WEATHER_VC_BRONZE),
        BronzeSource("weather-forecast", "weather_forecast", tables.WEATHER_FORECAST_BRONZE),
    )
}
SCHEMA_VERSIONS = ("v1",)
# Columns the job adds; they are not part of the event.
_JOB_COLUMNS = {"job_run_id", "input_snapshot_id", "output_snapshot_id", "input_file"}


_CORRUPT = "_corrupt_record"

# Why a record's value cannot be read as one text at all (read_topic's ``value_problem``).
NULL_VALUE, EMPTY_VALUE, INVALID_UTF8 = "null_value", "empty_value", "invalid_utf8"
# The reasons of a record that is not usable as an event, in words (the audit row's ``detail``);
# missing_<column> for any other required column of the table.
REASON_DETAILS = {
    NULL_VALUE: "the record has no value (a Kafka tombstone); raw_payload describes the record: its place and key",
    EMPTY_VALUE: "the value is empty or blank; raw_payload describes the record: its place, key and value",
    INVALID_UTF8: "the value is not UTF-8 text; raw_payload holds its bytes in base64",
    "unparsable_json": "the value is not JSON",
    "not_json_object": "the value is JSON but not an object",
    "bad_field_type": "a JSON object with a field whose value does not fit the table's type",
    "missing_event_id": "the object has no event_id",
    "missing_or_bad_event_time": "the object has no event_time, or not a timestamp",
    "unknown_schema_version": f"schema_version is missing or not one of {', '.join(SCHEMA_VERSIONS)}",
}


def _event_schema(spec: TableSpec) -> Any:
    from pyspark.sql import types as T

    schema = spark_schema(spec, tuple(c for c in spec.columns if c.name not in _JOB_COLUMNS))
    return schema.add(T.StructField(_CORRUPT, T.StringType(), True))


def parse_events(raw: DataFrame, spec: TableSpec) -> DataFrame:
    """``raw`` has :func:`read_topic`'s columns (``raw_payload``, ``value_problem``, ...). Adds
    ``ev`` (the parsed struct) and ``reason`` (null when the event is usable)."""
    from pyspark.sql import functions as F

    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT}
    parsed = raw.withColumn("ev", F.from_json("raw_payload", _event_schema(spec), options))
    is_object = F.col("raw_payload").rlike(r"^\s*\{")
    # Only for a value the event schema refused: parsed again, schema-free, to say why.
    as_json = F.try_parse_json("raw_payload")
    refused = (F.when(as_json.isNull(), "unparsable_json")
               .when(~F.schema_of_variant(as_json).startswith("OBJECT"), "not_json_object")
               .otherwise("bad_field_type"))
    reason = (F.when(F.col("value_problem").isNotNull(), F.col("value_problem"))
              .when(~is_object | F.col("ev").isNull() | F.col(f"ev.{_CORRUPT}").isNotNull(), refused)
              .when(F.col("ev.event_id").isNull() | (F.trim("ev.event_id") == ""), "missing_event_id")
              .when(F.col("ev.event_time").isNull(), "missing_or_bad_event_time")
              .when(~F.col("ev.schema_version").isin(*SCHEMA_VERSIONS) | F.col("ev.schema_version").isNull(),
                    "unknown_schema_version"))
    for col in spec.columns:
        if col.required and col.name not in ("event_id", "event_time", "schema_version") \
                and col.name not in _JOB_COLUMNS:
            reason = reason.when(F.col(f"ev.{col.name}").isNull(), f"missing_{col.name}")
    return parsed.withColumn("reason", reason)


def reason_detail(reason: Any) -> Any:
    """The Column of :data:`REASON_DETAILS`' words for the Column ``reason``."""
    from pyspark.sql import functions as F

    missing = "missing_"
    detail = F.when(reason.startswith(missing),
                    F.concat(F.lit("the object has no "), F.substring(reason, len(missing) + 1, 200)))
    for name, words in REASON_DETAILS.items():
        detail = F.when(reason == name, words).otherwise(detail)
    return detail


def latest_per_event(events: DataFrame) -> DataFrame:
    """One row per event_id: the latest ingest_time (then the last file) wins."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("event_id").orderBy(F.col("ingest_time").desc_nulls_last(),
                                               F.col("input_file").desc())
    return events.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


# A test seam: called with ("before_merge" | "after_merge", batch_id) inside each micro-batch, so a
# test can stop the query between the table commit and the checkpoint commit (and the reverse).
FaultHook = Callable[[str, int], None]


def late_events(events: DataFrame, watermark: Any, allowed_lateness_hours: float) -> DataFrame:
    """Events older than the watermark (newest event_time already in bronze) minus the allowed
    lateness, with ``lateness_seconds`` = watermark - event_time. Empty without a watermark."""
    from pyspark.sql import functions as F

    if watermark is None:
        return events.limit(0).withColumn("lateness_seconds", F.lit(None).cast("long"))
    watermark_s = F.lit(watermark).cast("timestamp").cast("long")
    lateness = watermark_s - F.col("event_time").cast("long")
    return (events.withColumn("lateness_seconds", lateness)
            .where(F.col("lateness_seconds") > round(allowed_lateness_hours * 3600)))


# Besides a lost commit race, a file gone from under a batch: maintenance expired the snapshot the
# batch had read after compacting it. Either way the batch is run again on the current snapshot,
# which is safe because every merge of a batch is idempotent.
_RETRIED_ERRORS = (*COMMIT_CONFLICT_MARKERS, "NotFoundException")


def _merge_batch(ctx: JobContext, src: BronzeSource, topic: str, good: DataFrame,
                 bad: DataFrame) -> tuple[MergeStats, MergeStats, int]:
    """Late events and invalid records to audit, then what bronze does not hold yet into bronze.
    Returns the late and invalid merge stats and the rows written to bronze."""
    from pyspark.sql import functions as F

    target = src.spec.qualified(ctx.catalog)
    # Only what bronze does not hold yet counts: a replayed event is neither written nor late.
    changed = changed_rows(good, src.spec, ctx.catalog, prune_column="event_time").persist()
    try:
        watermark = good.sparkSession.table(target).agg(F.max("event_time")).first()
        late = (late_events(changed, watermark[0] if watermark else None,
                            ctx.settings.get_float("streaming.allowed_lateness_hours"))
                .select(F.lit(topic).alias("source_topic"), "event_id", F.lit("late_event").alias("reason"),
                        "raw_payload", F.current_timestamp().alias("recorded_at"),
                        "job_run_id", "input_file", "event_time", "available_at", "ingest_time",
                        "lateness_seconds"))
        late_stats = merge_into(late, tables.LATE_EVENTS, ctx.catalog)
        bad_stats = merge_into(bad, tables.INVALID_EVENTS, ctx.catalog)
        written = changed.count()
        if written:
            merge_changed(changed, src.spec, ctx.catalog)
        return late_stats, bad_stats, written
    finally:
        changed.unpersist()


def _write_batch(ctx: JobContext, src: BronzeSource, topic: str, batch: DataFrame, batch_id: int,
                 totals: dict[str, int], fault: FaultHook | None = None) -> None:
    from pyspark.sql import functions as F

    target = src.spec.qualified(ctx.catalog)
    checked = parse_events(batch, src.spec).persist()
    try:
        good = conform(latest_per_event(
            checked.where("reason IS NULL").select("ev.*", "input_file", "raw_payload").drop(_CORRUPT)
            .withColumn("job_run_id", F.lit(ctx.job_run_id))
            .withColumn("input_snapshot_id", F.lit(f"{topic}:batch-{batch_id}"))
            .withColumn("output_snapshot_id", F.lit(current_snapshot_id(ctx.spark, target)))),
            src.spec, keep=("raw_payload",)).persist()
        valid = good.count()
        bad = (checked.where("reason IS NOT NULL")
               .select(F.lit(topic).alias("source_topic"),
                       F.coalesce(F.col("ev.event_id"), F.col("record_key")).alias("event_id"),
                       "reason", "raw_payload", F.current_timestamp().alias("recorded_at"),
                       F.lit(ctx.job_run_id).alias("job_run_id"), "input_file",
                       F.sha2("raw_payload", 256).alias("raw_sha256"), reason_detail(F.col("reason")).alias("detail"))
               .dropDuplicates(["source_topic", "reason", "raw_sha256"]))
        if fault:
            fault("before_merge", batch_id)
        late_stats, bad_stats, written = retry_on_commit_conflict(
            lambda: _merge_batch(ctx, src, topic, good, bad),
            ctx.settings.get_int("streaming.commit_retries"), ctx.settings.get_float("streaming.retry_backoff_seconds"),
            ctx.log, f"{topic} batch {batch_id}", markers=_RETRIED_ERRORS)
        good.unpersist()
        if fault:
            fault("after_merge", batch_id)
        totals["batches"] += 1
        totals["input_count"] += valid + bad_stats.input_rows
        totals["output_count"] += written
        totals["unchanged_count"] += valid - written
        totals["invalid_count"] += bad_stats.input_rows
        totals["late_count"] += late_stats.input_rows
        ctx.log.info("bronze_batch", topic=topic, batch_id=batch_id, valid=valid, written=written,
                     invalid=bad_stats.input_rows, late=late_stats.input_rows)
    finally:
        checked.unpersist()


def _max_offsets_per_trigger(settings: Settings) -> int:
    """streaming.max_offsets_per_trigger: Kafka records per micro-batch; 0 (or empty, or absent) is
    no bound."""
    raw = (settings.get("streaming.max_offsets_per_trigger") or "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"streaming.max_offsets_per_trigger must be an integer, got {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"streaming.max_offsets_per_trigger must be >= 0, got {value}")
    return value


def run_bronze(ctx: JobContext, source: str, trigger: str = "availableNow",
               processing_seconds: int = 60, fault: FaultHook | None = None) -> dict[str, Any]:
    """Stream one source's events into bronze. ``availableNow`` processes what is there and stops;
    ``processingTime`` runs until stopped. One checkpoint per topic under runtime.checkpoint_base."""
    if source not in BRONZE_SOURCES:
        raise ConfigError(f"unknown source {source!r}; known: {sorted(BRONZE_SOURCES)}")
    src = BRONZE_SOURCES[source]
    topic = ctx.settings.require(f"kafka.topics.{src.topic_key}")
    totals = {"batches": 0, "input_count": 0, "output_count": 0, "unchanged_count": 0, "invalid_count": 0,
              "late_count": 0}
    run_topic_stream(ctx, topic, f"bronze_{source}", f"bronze/{topic}",
                     lambda df, batch_id: _write_batch(ctx, src, topic, df, batch_id, totals, fault),
                     trigger, processing_seconds)
    return ctx.done(source=source, topic=topic, table=src.spec.identifier, trigger=trigger, **totals)


def record_columns(value: Any, input_file: Any, key: Any) -> list[Any]:
    """One bus record as :func:`read_topic`'s columns, from its value's bytes (``value``, binary,
    null for a tombstone), where it came from and its key (string or null).

    ``value_problem`` says why the value is no text (:data:`NULL_VALUE`, :data:`EMPTY_VALUE`,
    :data:`INVALID_UTF8`) or is null. ``raw_payload`` is the value's text, never null: for a value
    that is not UTF-8 its bytes in base64; for a null or blank one a JSON description of the record
    (``{"record": input_file, "key": ..., "value": ...}``), so that each such record is kept as one
    audit row of its own (the audit table keeps one row per distinct raw_payload and reason)."""
    from pyspark.sql import functions as F

    text = value.cast("string")
    problem = (F.when(value.isNull(), NULL_VALUE).when(~F.is_valid_utf8(text), INVALID_UTF8)
               .when(text.rlike(r"^\s*$"), EMPTY_VALUE))
    description = F.to_json(F.struct(input_file.alias("record"), key.alias("key"), text.alias("value")),
                            {"ignoreNullFields": "false"})
    payload = (F.when(problem.isNull(), text).when(problem == INVALID_UTF8, F.base64(value))
               .otherwise(description))
    return [payload.alias("raw_payload"), input_file.alias("input_file"), key.alias("record_key"),
            problem.alias("value_problem")]


def read_topic(ctx: JobContext, topic: str) -> DataFrame:
    """The stream of one bus topic: Kafka when runtime.kafka_bootstrap_servers is set, else the
    landing folder <landing_dir>/<topic>. Columns (:func:`record_columns`) ``raw_payload`` (one
    record's text), ``input_file`` (the landing file, or kafka:<topic>:<partition>:<offset>),
    ``record_key`` (the Kafka key when it is UTF-8 text) and ``value_problem``. Kafka batches are
    bounded by streaming.max_offsets_per_trigger."""
    from pyspark.sql import functions as F

    settings = ctx.settings
    bootstrap = settings.runtime("kafka_bootstrap_servers")
    if bootstrap:
        reader = (ctx.spark.readStream.format("kafka").option("kafka.bootstrap.servers", bootstrap)
                  .option("subscribe", topic).option("startingOffsets", "earliest")
                  .option("failOnDataLoss", "true").options(**kafka_security_options(settings)))
        max_offsets = _max_offsets_per_trigger(settings)
        if max_offsets:
            reader = reader.option("maxOffsetsPerTrigger", max_offsets)
        key = F.col("key").cast("string")
        return reader.load().select(*record_columns(
            F.col("value"), F.format_string("kafka:%s:%d:%d", "topic", "partition", "offset"),
            F.when(F.is_valid_utf8(key), key)))
    landing = settings.runtime_path("landing_dir") / topic
    landing.mkdir(parents=True, exist_ok=True)
    # a blank line separates nothing in a landing file: it is no record
    return (ctx.spark.readStream.format("text")
            .option("maxFilesPerTrigger", settings.get_int("streaming.max_files_per_trigger"))
            .load(str(landing))
            .where(F.trim("value") != "")
            .select(*record_columns(F.col("value").cast("binary"), F.col("_metadata.file_path"),
                                    F.lit(None).cast("string"))))


def run_topic_stream(ctx: JobContext, topic: str, query_name: str, checkpoint_name: str,
                     write_batch: Callable[[DataFrame, int], None], trigger: str = "availableNow",
                     processing_seconds: int = 60) -> None:
    """Stream ``topic`` (:func:`read_topic`) through ``write_batch`` with a checkpoint at
    <checkpoint_base>/<checkpoint_name>; returns when the query ends (``availableNow``: once what is
    there is processed; ``processingTime``: when stopped)."""
    settings = ctx.settings
    checkpoint = f"{settings.resolve_path(settings.runtime('checkpoint_base'))}/{checkpoint_name}"
    writer = (read_topic(ctx, topic).writeStream.option("checkpointLocation", checkpoint)
              .foreachBatch(write_batch))
    if trigger == "availableNow":
        writer = writer.trigger(availableNow=True)
    elif trigger == "processingTime":
        writer = writer.trigger(processingTime=f"{int(processing_seconds)} seconds")
    else:
        raise ConfigError(f"unknown trigger {trigger!r}: availableNow | processingTime")
    query = writer.queryName(query_name).start()
    query.awaitTermination()
