"""Gold: the master hourly table, the training dataset and the serving features.

master    city-hourly silver on a continuous hourly grid + the 82 features + the three targets.
training  master rows with a PM2.5 observation, tagged train/validation/test chronologically with
          a gap of the longest horizon between the parts (so no target crosses a boundary).
serving   master rows projected to the serving schema (no targets) with the schema hash.

The features themselves are defined once, in :mod:`ais.features.master` (point in time, as-of
joins, ages); this module reads the silver inputs, writes the tables and logs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ais import tables
from ais.config import ConfigError
from ais.features import pm25
from ais.features.columns import FEATURE_NAMES, TARGETS, schema_hash
from ais.features.gradient import spatial_gradient
from ais.features.master import FeatureInputs, FeatureParams, build_master
from ais.spark.jobs.common import JobContext, Window
from ais.spark.merge import merge_into

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _between(df: DataFrame, column: str, start: str, end: str) -> DataFrame:
    from pyspark.sql import functions as F

    return df.where((F.col(column) >= start) & (F.col(column) < end))


# what master gold reads, by FeatureInputs field (declared as its inputs in the job registry)
MASTER_INPUTS: dict[str, tables.TableSpec] = {
    "city": tables.OPENAQ_CITY_HOURLY, "gradient": tables.SPATIAL_GRADIENT, "weather": tables.WEATHER_PROXY,
    "era5": tables.ERA5_SURFACE, "s5p": tables.S5P_DAILY, "maiac": tables.MAIAC_DAILY,
    "trajectory": tables.TRAJECTORY_HOURLY, "weather_history": tables.WEATHER_VC_SILVER,
    "weather_forecast": tables.WEATHER_FORECAST_SILVER}


def read_inputs(ctx: JobContext, wide: Window, params: FeatureParams) -> FeatureInputs:
    """The silver rows a build of ``wide`` reads: observations inside it, plus the maximum age of
    each late source before it (S5P and MAIAC by date, one extra day for the date boundary)."""
    from pyspark.sql import functions as F

    spark, catalog = ctx.spark, ctx.catalog
    start, end = wide.start_sql, wide.end_sql
    oldest = wide.widen(before_hours=params.look_back_h)

    def hourly(spec: tables.TableSpec) -> DataFrame:
        return _between(spark.table(spec.qualified(catalog)), "hour", oldest.start_sql, end)

    def daily(spec: tables.TableSpec) -> DataFrame:
        first, last = (oldest.start - dt.timedelta(days=1)).date(), wide.end.date()
        return spark.table(spec.qualified(catalog)).where(F.col("date").between(first.isoformat(), last.isoformat()))

    t = MASTER_INPUTS
    return FeatureInputs(
        city=_between(spark.table(t["city"].qualified(catalog)), "hour", start, end),
        gradient=_between(spark.table(t["gradient"].qualified(catalog)), "hour", start, end),
        weather=hourly(t["weather"]), era5=hourly(t["era5"]), s5p=daily(t["s5p"]), maiac=daily(t["maiac"]),
        trajectory=hourly(t["trajectory"]),
        weather_history=_between(spark.table(t["weather_history"].qualified(catalog)), "period_start",
                                 oldest.start_sql, end),
        # every issue from the look-back (which covers its maximum age) to the window's end
        weather_forecast=_between(spark.table(t["weather_forecast"].qualified(catalog)), "issue_time",
                                  oldest.start_sql, end))


def master_features(ctx: JobContext, window: Window) -> DataFrame:
    """Master gold rows for the hours of ``window`` (inputs read with the look-back and look-ahead
    the lags, rolling windows, as-of joins and targets need)."""
    from pyspark.sql import functions as F

    params = FeatureParams.from_settings(ctx.settings)
    wide = window.widen(before_hours=max(params.lags_h + params.rolling_h), after_hours=max(params.horizons_h))
    grid = pm25.hourly_grid(ctx.spark, wide.start_sql, wide.end_sql)
    df = build_master(grid, read_inputs(ctx, wide, params), params)
    return (_between(df, "hour", window.start_sql, window.end_sql)
            .withColumn("year", F.year("hour"))
            .withColumn("month_partition", F.month("hour"))
            .withColumn("created_at", F.current_timestamp())
            .withColumn("job_run_id", F.lit(ctx.job_run_id))
            .withColumn("updated_at", F.current_timestamp()))


def run_spatial_gradient(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    """Station-hourly silver -> features.openaq_spatial_gradient_silver (definition: ais.features.gradient)."""
    from pyspark.sql import functions as F

    s = ctx.settings
    stations = ctx.spark.table(tables.OPENAQ_STATION_HOURLY.qualified(ctx.catalog))
    if not full_refresh:
        stations = _between(stations, "hour", window.start_sql, window.end_sql)
    rows = (spatial_gradient(stations, s.get_float("hanoi.centre.lat"), s.get_float("hanoi.centre.lon"),
                             s.get_int("features.gradient_min_stations"))
            .withColumn("job_run_id", F.lit(ctx.job_run_id)).withColumn("updated_at", F.current_timestamp()))
    stats = merge_into(rows, tables.SPATIAL_GRADIENT, ctx.catalog, prune_column="hour")
    return ctx.done(window_start=window.start, window_end=window.end, full_refresh=full_refresh,
                    input_count=stats.input_rows, output_count=stats.written_rows)


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


def serving_frame(master: DataFrame, location_id: str, location_name: str, feature_version: str,
                  feature_set_name: str, dataset_version: str) -> DataFrame:
    """Master gold -> the serving projection: base_hour = hour, every model feature (FEATURE_NAMES),
    no target. The two serving tables are column selections of it (:func:`serving_rows`,
    :func:`serving_extra_rows`)."""
    from pyspark.sql import functions as F

    return master.select(
        F.col("hour").alias("base_hour"), F.lit(location_id).alias("location_id"),
        F.lit(location_name).alias("location_name"), F.lit(feature_version).alias("feature_version"),
        F.lit(feature_set_name).alias("feature_set_name"), F.lit(dataset_version).alias("dataset_version"),
        F.lit(schema_hash()).alias("schema_hash"), *FEATURE_NAMES, "year", "month_partition",
        F.current_timestamp().alias("created_at"), F.current_timestamp().alias("spark_processed_at"))


def serving_rows(master: DataFrame, location_id: str, location_name: str, feature_version: str,
                 feature_set_name: str, dataset_version: str) -> DataFrame:
    """Master gold -> serving features gold (exact schema, seed §9.1: the contract's 67 features)."""
    frame = serving_frame(master, location_id, location_name, feature_version, feature_set_name, dataset_version)
    return frame.select(*tables.SERVING_GOLD.column_names)


def serving_extra_rows(serving: DataFrame) -> DataFrame:
    """A :func:`serving_frame` -> its rows of the companion table (the features beyond the contract)."""
    return serving.select(*tables.SERVING_EXTRA_GOLD.column_names)


def validate_serving_schema(rows: DataFrame) -> None:
    """The serving rows have exactly the columns of CONTRACTS.md §5 (seed §9.1), in order and with
    the contract's types, and no target; else ValueError naming what differs."""
    from ais.spark.schema import spark_type

    leaked = [t for t in TARGETS.values() if t in rows.columns]
    if leaked:
        raise ValueError(f"serving rows carry target columns {leaked}")
    spec = tables.SERVING_GOLD
    if rows.columns != spec.column_names:
        raise ValueError(f"serving columns differ from {spec.identifier}: got {rows.columns}")
    wrong = [f"{f.name}: {f.dataType.simpleString()} != {spark_type(spec.column(f.name).type).simpleString()}"
             for f in rows.schema.fields if f.dataType != spark_type(spec.column(f.name).type)]
    if wrong:
        raise ValueError(f"serving column types differ from the contract: {wrong}")


# hanoi-serving-features-gold without --start-date/--end-date: the last hours of master gold that
# hold a PM2.5 observation (one day: a late hour is rebuilt by the next run as well)
LATEST_WINDOW_HOURS = 24


def _table_override(settings_value: str, default: tables.TableSpec, flag: str) -> tables.TableSpec:
    """``default``, or the same schema under the name ``settings_value`` (namespace.table) gives."""
    import dataclasses

    if not settings_value.strip():
        return default
    namespace, sep, name = settings_value.strip().partition(".")
    if not sep or not namespace or not name or "." in name:
        raise ConfigError(f"{flag} must be namespace.table, got {settings_value!r}")
    return dataclasses.replace(default, namespace=namespace, name=name)


def serving_tables(ctx: JobContext) -> tuple[tables.TableSpec, tables.TableSpec]:
    """The master gold the serving job reads and the serving table it writes: SOURCE_TABLE and
    TARGET_TABLE when set (seed 001 §10), else the tables of CONTRACTS.md §3. A target of another
    name is created with the serving schema."""
    from ais.catalog import ensure_tables, load_catalog

    source = _table_override(ctx.settings.runtime("source_table"), tables.MASTER_GOLD, "SOURCE_TABLE")
    target = _table_override(ctx.settings.runtime("target_table"), tables.SERVING_GOLD, "TARGET_TABLE")
    if target.identifier != tables.SERVING_GOLD.identifier:
        catalog = load_catalog(ctx.settings)
        catalog.create_namespace_if_not_exists(target.namespace)
        ensure_tables(ctx.settings, catalog, [target, tables.serving_extra_table(target)])
    return source, target


def latest_window(master: DataFrame) -> Window | None:
    """The last :data:`LATEST_WINDOW_HOURS` hours up to the newest master hour with PM2.5; None
    when there is none."""
    from pyspark.sql import functions as F

    newest = master.where(F.col(pm25.PM25_SERIES).isNotNull()).agg(F.max("hour")).first()
    if newest is None or newest[0] is None:
        return None
    end = newest[0].astimezone(dt.UTC) + dt.timedelta(hours=1)
    return Window(end - dt.timedelta(hours=LATEST_WINDOW_HOURS), end)


def run_serving_features(ctx: JobContext, window: Window | None, full_refresh: bool, feature_version: str,
                         feature_set_name: str, dataset_version: str, location_id: str,
                         location_name: str, dry_run: bool) -> dict[str, Any]:
    """Master gold rows (of ``window``; every row with ``full_refresh``; the latest
    :data:`LATEST_WINDOW_HOURS` hours when ``window`` is None) -> serving features gold."""
    from pyspark.sql import functions as F

    source, target = serving_tables(ctx)
    master = ctx.spark.table(source.qualified(ctx.catalog))
    if window is None and not full_refresh:
        window = latest_window(master)
        if window is None:
            return ctx.done(input_count=0, output_count=0, min_base_hour=None, max_base_hour=None,
                            feature_version=feature_version, feature_set_name=feature_set_name,
                            schema_hash=schema_hash(), null_ratio_by_feature={}, dry_run=dry_run,
                            source_table=source.identifier, target_table=target.identifier, status="no_input")
    if window is not None and not full_refresh:
        master = master.where((F.col("hour") >= window.start_sql) & (F.col("hour") < window.end_sql))
    # A forecast needs the current PM2.5: hours without it get no serving row.
    master = master.where(F.col(pm25.PM25_SERIES).isNotNull())
    frame = serving_frame(master, location_id, location_name, feature_version, feature_set_name,
                          dataset_version).persist()
    try:
        rows = frame.select(*tables.SERVING_GOLD.column_names)
        validate_serving_schema(rows)
        n = frame.count()
        agg = frame.agg(F.min("base_hour"), F.max("base_hour"),
                        *[F.avg(F.col(c).isNull().cast("double")).alias(c) for c in FEATURE_NAMES]).first()
        null_ratio = {c: (round(float(agg[c]), 4) if agg is not None and agg[c] is not None else None)
                      for c in FEATURE_NAMES}
        written = extra_written = 0
        if not dry_run and n:
            # the companion first: a serving row is never there without its extra features
            extra_written = merge_into(serving_extra_rows(frame), tables.serving_extra_table(target), ctx.catalog,
                                       prune_column="base_hour").written_rows
            written = merge_into(rows, target, ctx.catalog, prune_column="base_hour").written_rows
    finally:
        frame.unpersist()
    return ctx.done(input_count=n, output_count=written,
                    min_base_hour=agg[0] if agg is not None else None,
                    max_base_hour=agg[1] if agg is not None else None, feature_version=feature_version,
                    feature_set_name=feature_set_name, schema_hash=schema_hash(),
                    null_ratio_by_feature=null_ratio, dry_run=dry_run, source_table=source.identifier,
                    target_table=target.identifier, extra_table=tables.serving_extra_table(target).identifier,
                    extra_output_count=extra_written, window_start=window.start if window else None,
                    window_end=window.end if window else None)
