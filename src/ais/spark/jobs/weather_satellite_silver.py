"""Silver jobs of the weather and satellite sources (WeatherAPI proxy, ERA5 surface, Sentinel-5P
daily and grid, MAIAC daily): each reads a window of its bronze table, applies its transform
(ais.spark.silver_transforms, which describes each one) and MERGEs the rows on the silver table's key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ais import tables
from ais.spark.jobs.common import JobContext, Window
from ais.spark.merge import merge_into
from ais.spark.silver_transforms import era5_surface, maiac_daily, s5p_daily, s5p_grid, weather_proxy

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _in_window(df: DataFrame, column: str, window: Window, full_refresh: bool) -> DataFrame:
    from pyspark.sql import functions as F

    if full_refresh:
        return df
    return df.where((F.col(column) >= window.start_sql) & (F.col(column) < window.end_sql))


def _stamp(df: DataFrame, ctx: JobContext) -> DataFrame:
    from pyspark.sql import functions as F

    return df.withColumn("job_run_id", F.lit(ctx.job_run_id)).withColumn("updated_at", F.current_timestamp())


def _bbox(ctx: JobContext) -> dict[str, float]:
    return {k: ctx.settings.get_float(f"hanoi.bbox.{k}") for k in ("west", "east", "south", "north")}


# ---- jobs ------------------------------------------------------------------------------------

def _run(ctx: JobContext, window: Window, full_refresh: bool, rows: DataFrame, spec: tables.TableSpec,
         prune: str) -> dict[str, Any]:
    stats = merge_into(_stamp(rows, ctx), spec, ctx.catalog, prune_column=prune)
    return ctx.done(table=spec.identifier, window_start=window.start, window_end=window.end,
                    full_refresh=full_refresh, input_count=stats.input_rows, output_count=stats.written_rows)


def run_weather_proxy(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    bronze = _in_window(ctx.spark.table(tables.table("weather.weather_history_bronze").qualified(ctx.catalog)),
                        "event_time", window, full_refresh)
    return _run(ctx, window, full_refresh, weather_proxy(bronze, _bbox(ctx)),
                tables.table("weather.weather_hanoi_surface_proxy_silver"), "hour")


def run_era5_surface(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    from pyspark.sql import functions as F

    bronze = ctx.spark.table(tables.table("weather.era5_files_bronze").qualified(ctx.catalog))
    if not full_refresh:  # files overlapping the window; their hours are cut to it below
        bronze = bronze.where((F.col("period_end") > window.start_sql) & (F.col("period_start") < window.end_sql))
    rows = _in_window(era5_surface(bronze, ctx.settings.get_float("features.low_pbl_m")), "hour", window,
                      full_refresh)
    return _run(ctx, window, full_refresh, rows, tables.table("weather.era5_surface_hanoi_hourly_silver"), "hour")


def run_s5p_daily(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    bronze = _in_window(ctx.spark.table(tables.table("satellite.sentinel5p_summary_bronze").qualified(ctx.catalog)),
                        "sensing_start", window, full_refresh)
    return _run(ctx, window, full_refresh, s5p_daily(bronze),
                tables.table("satellite.sentinel5p_hanoi_daily_silver"), "date")


def run_maiac_daily(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    bronze = _in_window(ctx.spark.table(tables.table("satellite.maiac_summary_bronze").qualified(ctx.catalog)),
                        "time_start", window, full_refresh)
    return _run(ctx, window, full_refresh, maiac_daily(bronze), tables.table("satellite.maiac_hanoi_daily_silver"),
                "date")


def run_s5p_grid(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    bronze = _in_window(ctx.spark.table(tables.table("satellite.sentinel5p_summary_bronze").qualified(ctx.catalog)),
                        "sensing_start", window, full_refresh)
    return _run(ctx, window, full_refresh, s5p_grid(bronze), tables.table("satellite.sentinel5p_grid_silver"), "date")
