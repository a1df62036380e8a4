"""OpenAQ bronze -> station-hourly silver (QC applied) -> city-hourly PM2.5 silver for Hanoi.

QC (CONTRACTS.md §1): a station-hour is valid when its value is present, 0 <= value <= 1000 µg/m³,
it carries none of the rejecting quality flags of ``qc.reject_flags`` (e.g. AirNow's Suspect),
its coverage is at least 50 %, and the station lies in the Hanoi bbox. Invalid station-hours are
kept in the station table with the reason in ``qc_status``; only valid ones reach the city table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ais import tables
from ais.spark.jobs.common import JobContext, Window
from ais.spark.merge import merge_into

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def qc_status(settings_values: dict[str, float], reject_flags: list[str]) -> Column:
    from pyspark.sql import functions as F

    v = F.col("value")
    rejecting = F.array_intersect(F.coalesce("quality_flags", F.array().cast("array<string>")),
                                  F.array(*[F.lit(f) for f in reject_flags]).cast("array<string>"))
    return (F.when(v.isNull(), "missing_value")
            .when((v < settings_values["pm25_min"]) | (v > settings_values["pm25_max"]), "out_of_range")
            .when(F.size(rejecting) > 0, F.concat(F.lit("flagged:"), F.array_join(rejecting, ",")))
            .when(F.col("coverage_pct").isNull() | (F.col("coverage_pct") < settings_values["coverage_min_pct"]),
                  "low_coverage")
            .when(~(F.col("latitude").between(settings_values["south"], settings_values["north"])
                    & F.col("longitude").between(settings_values["west"], settings_values["east"])),
                  "outside_bbox")
            .otherwise("valid"))


def station_hourly(bronze: DataFrame, limits: dict[str, float], reject_flags: list[str]) -> DataFrame:
    """Bronze events -> one row per (location, sensor, parameter, hour) with its QC status."""
    from pyspark.sql import Window as W
    from pyspark.sql import functions as F

    latest = W.partitionBy("location_id", "sensor_id", "parameter", "hour").orderBy(
        F.col("ingest_time").desc_nulls_last(), F.col("event_id").desc())
    return (bronze
            .withColumn("hour", F.date_trunc("hour", "event_time"))
            .withColumn("_rn", F.row_number().over(latest)).where("_rn = 1").drop("_rn")
            .withColumn("qc_status", qc_status(limits, reject_flags))
            .select("location_id", "sensor_id", "parameter", "hour", "location_name", "latitude",
                    "longitude", "value", "units", "coverage_pct", "qc_status", "source", "event_id"))


def city_hourly(stations: DataFrame) -> DataFrame:
    """Valid PM2.5 station-hours -> the city's hourly statistics."""
    from pyspark.sql import functions as F

    return (stations.where((F.col("parameter") == "pm25") & (F.col("qc_status") == "valid"))
            .groupBy("hour")
            .agg(F.percentile("value", 0.5).alias("pm25_median"), F.avg("value").alias("pm25_mean"),
                 F.min("value").alias("pm25_min"), F.max("value").alias("pm25_max"),
                 F.stddev_samp("value").alias("pm25_std"), F.count("value").cast("int").alias("station_count"),
                 F.avg("coverage_pct").alias("coverage_avg"),
                 F.concat_ws(",", F.array_sort(F.collect_set("source"))).alias("source")))


def qc_limits(ctx: JobContext) -> dict[str, float]:
    s = ctx.settings
    return {"pm25_min": s.get_float("qc.pm25_min"), "pm25_max": s.get_float("qc.pm25_max"),
            "coverage_min_pct": s.get_float("qc.coverage_min_pct"),
            **{k: s.get_float(f"hanoi.bbox.{k}") for k in ("west", "east", "south", "north")}}


def run_openaq_silver(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    from pyspark.sql import functions as F

    spark, catalog = ctx.spark, ctx.catalog
    bronze = spark.table(tables.OPENAQ_BRONZE.qualified(catalog))
    if not full_refresh:
        bronze = bronze.where((F.col("event_time") >= window.start_sql) & (F.col("event_time") < window.end_sql))
    stations = (station_hourly(bronze, qc_limits(ctx), ctx.settings.get_list("qc.reject_flags"))
                .withColumn("job_run_id", F.lit(ctx.job_run_id))
                .withColumn("updated_at", F.current_timestamp()).persist())
    try:
        st = merge_into(stations, tables.OPENAQ_STATION_HOURLY, catalog, prune_column="hour")
        city = city_hourly(stations).withColumn("job_run_id", F.lit(ctx.job_run_id)) \
            .withColumn("updated_at", F.current_timestamp())
        ct = merge_into(city, tables.OPENAQ_CITY_HOURLY, catalog, prune_column="hour")
        qc = {r["qc_status"]: r["count"] for r in stations.groupBy("qc_status").count().collect()}
    finally:
        stations.unpersist()
    return ctx.done(window_start=window.start, window_end=window.end, full_refresh=full_refresh,
                    input_count=st.input_rows, station_rows_written=st.written_rows,
                    city_rows=ct.input_rows, output_count=ct.written_rows, qc_status_counts=qc)
