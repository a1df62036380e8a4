"""Gold: the master hourly table, the training dataset and the serving features.

master    city-hourly silver on a continuous hourly grid + the 67 features + the three targets.
training  master rows with a PM2.5 observation, tagged train/validation/test chronologically with
          a gap of the longest horizon between the parts (so no target crosses a boundary).
serving   master rows projected to the serving schema (no targets) with the schema hash.

Features the tracer does not build yet (weather, ERA5, satellites, trajectories, gradients) stay
null; the tier-2/gold issue fills them in ``_joined_sources``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ais import tables
from ais.features import pm25
from ais.features.columns import FEATURE_NAMES, TARGETS, schema_hash
from ais.spark.jobs.common import JobContext, Window
from ais.spark.merge import merge_into

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _joined_sources(ctx: JobContext, grid: DataFrame, window: Window) -> DataFrame:
    """The hourly grid with every silver input joined on the hour."""
    from pyspark.sql import functions as F

    city = (ctx.spark.table(tables.OPENAQ_CITY_HOURLY.qualified(ctx.catalog))
            .where((F.col("hour") >= window.start_sql) & (F.col("hour") < window.end_sql))
            .select("hour", "pm25_median", "pm25_mean", "station_count", "coverage_avg", "source"))
    return grid.join(city, "hour", "left")


def master_features(ctx: JobContext, window: Window) -> DataFrame:
    """Master gold rows for the hours of ``window`` (inputs read with the look-back and look-ahead
    the lags, rolling windows and targets need)."""
    from pyspark.sql import functions as F

    s = ctx.settings
    lags, rolling, horizons = (s.get_int_list("features.lags_h"), s.get_int_list("features.rolling_h"),
                               s.horizons)
    wide = window.widen(before_hours=max(lags + rolling), after_hours=max(horizons))
    grid = pm25.hourly_grid(ctx.spark, wide.start_sql, wide.end_sql)
    df = _joined_sources(ctx, grid, wide)
    df = pm25.add_pm25_history_features(df, lags, rolling)
    df = pm25.add_targets(df, horizons)
    df = pm25.add_calendar_features(df, s.utc_offset_hours, s.get_int_list("features.rush_hours_local"))
    return (df.where((F.col("hour") >= window.start_sql) & (F.col("hour") < window.end_sql))
            .withColumn("year", F.year("hour"))
            .withColumn("month_partition", F.month("hour"))
            .withColumn("created_at", F.current_timestamp())
            .withColumn("job_run_id", F.lit(ctx.job_run_id))
            .withColumn("updated_at", F.current_timestamp()))


def run_master_gold(ctx: JobContext, window: Window) -> dict[str, Any]:
    rows = master_features(ctx, window)
    stats = merge_into(rows, tables.MASTER_GOLD, ctx.catalog, prune_column="hour")
    return ctx.done(window_start=window.start, window_end=window.end, input_count=stats.input_rows,
                    output_count=stats.written_rows)


Bounds = tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]


def split_bounds(first: dt.datetime, last: dt.datetime, gap_hours: int,
                 fractions: tuple[float, float] = (0.70, 0.15)) -> Bounds:
    """Chronological boundaries: train [first, a), gap, validation [b, c), gap, test [d, last]."""
    span = last - first
    gap = dt.timedelta(hours=gap_hours)
    a = first + span * fractions[0]
    b = a + gap
    c = first + span * (fractions[0] + fractions[1])
    d = c + gap
    hour = dt.timedelta(hours=1)

    def floor(t: dt.datetime) -> dt.datetime:
        return t.replace(minute=0, second=0, microsecond=0) if t.minute or t.second else t

    a, b, c, d = floor(a), floor(b), floor(c), floor(d)
    if not first < a < b <= c < d <= last + hour:
        raise ValueError(f"span {first}..{last} is too short for a chronological split with {gap_hours} h gaps")
    return a, b, c, d


def run_training_dataset(ctx: JobContext, window: Window, dataset_version: str,
                         feature_set_name: str) -> dict[str, Any]:
    from pyspark.sql import functions as F

    master = (ctx.spark.table(tables.MASTER_GOLD.qualified(ctx.catalog))
              .where((F.col("hour") >= window.start_sql) & (F.col("hour") < window.end_sql))
              .where(F.col(pm25.PM25_SERIES).isNotNull()))
    bounds = master.agg(F.min("hour"), F.max("hour")).first()
    if bounds is None or bounds[0] is None:
        return ctx.done(status="no_input", input_count=0, output_count=0)
    first, last = (b.replace(tzinfo=dt.UTC) if b.tzinfo is None else b for b in bounds)
    a, b, c, d = split_bounds(first, last, gap_hours=max(ctx.settings.horizons))
    h = F.col("hour")
    split = (F.when(h < Window.sql(a), "train").when(h < Window.sql(b), "gap")
             .when(h < Window.sql(c), "validation").when(h < Window.sql(d), "gap").otherwise("test"))
    rows = (master.withColumn("split", split)
            .withColumn("dataset_version", F.lit(dataset_version))
            .withColumn("feature_set_name", F.lit(feature_set_name))
            .withColumn("job_run_id", F.lit(ctx.job_run_id))
            .withColumn("updated_at", F.current_timestamp()))
    stats = merge_into(rows, tables.TRAINING_GOLD, ctx.catalog, prune_column="hour")
    counts = {r["split"]: r["count"] for r in rows.groupBy("split").count().collect()}
    return ctx.done(window_start=window.start, window_end=window.end, dataset_version=dataset_version,
                    feature_set_name=feature_set_name, input_count=stats.input_rows,
                    output_count=stats.written_rows, split_counts=counts,
                    split_bounds=[a, b, c, d])


def serving_rows(master: DataFrame, location_id: str, location_name: str, feature_version: str,
                 feature_set_name: str, dataset_version: str) -> DataFrame:
    """Master gold -> serving features: base_hour = hour, the 67 features, no target."""
    from pyspark.sql import functions as F

    return master.select(
        F.col("hour").alias("base_hour"), F.lit(location_id).alias("location_id"),
        F.lit(location_name).alias("location_name"), F.lit(feature_version).alias("feature_version"),
        F.lit(feature_set_name).alias("feature_set_name"), F.lit(dataset_version).alias("dataset_version"),
        F.lit(schema_hash()).alias("schema_hash"), *FEATURE_NAMES, "year", "month_partition",
        F.current_timestamp().alias("created_at"), F.current_timestamp().alias("spark_processed_at"))


def run_serving_features(ctx: JobContext, window: Window, full_refresh: bool, feature_version: str,
                         feature_set_name: str, dataset_version: str, location_id: str,
                         location_name: str, dry_run: bool) -> dict[str, Any]:
    from pyspark.sql import functions as F

    master = ctx.spark.table(tables.MASTER_GOLD.qualified(ctx.catalog))
    if not full_refresh:
        master = master.where((F.col("hour") >= window.start_sql) & (F.col("hour") < window.end_sql))
    # A forecast needs the current PM2.5: hours without it get no serving row.
    master = master.where(F.col(pm25.PM25_SERIES).isNotNull())
    rows = serving_rows(master, location_id, location_name, feature_version, feature_set_name,
                        dataset_version).persist()
    try:
        leaked = [t for t in TARGETS.values() if t in rows.columns]
        if leaked:
            raise ValueError(f"serving rows carry target columns {leaked}")
        n = rows.count()
        agg = rows.agg(F.min("base_hour"), F.max("base_hour"),
                       *[F.avg(F.col(c).isNull().cast("double")).alias(c) for c in FEATURE_NAMES]).first()
        null_ratio = {c: (round(float(agg[c]), 4) if agg is not None and agg[c] is not None else None)
                      for c in FEATURE_NAMES}
        written = 0
        if not dry_run and n:
            written = merge_into(rows, tables.SERVING_GOLD, ctx.catalog,
                                 prune_column="base_hour").written_rows
    finally:
        rows.unpersist()
    return ctx.done(input_count=n, output_count=written,
                    min_base_hour=agg[0] if agg is not None else None,
                    max_base_hour=agg[1] if agg is not None else None, feature_version=feature_version,
                    feature_set_name=feature_set_name, schema_hash=schema_hash(),
                    null_ratio_by_feature=null_ratio, dry_run=dry_run)
