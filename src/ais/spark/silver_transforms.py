"""The silver transforms of the weather and satellite sources: bronze rows in, silver rows out.

Pure DataFrame -> DataFrame functions (no catalog, no table, no clock); the jobs that read a
window of bronze and MERGE the result are in ais.spark.jobs.weather_satellite_silver.

weather proxy  WeatherAPI hours inside the Hanoi bbox -> one row per UTC hour (means; wind
               direction as a vector mean; WeatherAPI units kept: °C, %, kph, mb, mm, km).
Visual Crossing  daily and hourly history records -> one row per (resolution, period_start); a
               record given again (a later export) replaces the older one; Visual Crossing
               metric units kept (°C, %, mm, km/h, hPa, km, W/m²); available_at as recorded.
WeatherAPI forecast  the forecast hours of one province (weather_forecast.silver_province) -> one row
               per (location_id, issue_time, valid_time), every issue kept; an issue fetched again
               (the same event_id) keeps its newest copy; WeatherAPI units (°C, %, kph, mb, mm).
ERA5 surface   the Hanoi hourly values carried by single-level file events -> wind components,
               speed, direction (FROM, degrees), PBL height and low_pbl, pressures in Pa,
               temperature and dew point in °C, precipitation in mm. A newer file for the same hour
               (a later ERA5T/final release) wins.
S5P daily      products overlapping Hanoi -> one row per product and UTC date: pixel-weighted mean,
               pooled std, min, max, pixel counts, valid %, overpass time of the product with the
               most valid pixels.
MAIAC daily    granules -> one row per date: pixel-weighted AOD 0.47 and 0.55 µm means; aod_mean,
               aod_min, aod_max, aod_std describe AOD 0.55 µm (the standard MAIAC AOD); valid %;
               tile count.
S5P grid       the grid cells of the product files (sentinel5p.grid_area, sentinel5p.grid_deg) ->
               one row per product, UTC date and cell centre: pixel-weighted mean over the day's
               files, valid pixel count, overpass time of the file with the most pixels in the cell
               (the trajectory path features sample this table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ais import units

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def _latest(df: DataFrame, keys: list[str], *order: Column) -> DataFrame:
    from pyspark.sql import Window as W
    from pyspark.sql import functions as F

    return (df.withColumn("_rn", F.row_number().over(W.partitionBy(*keys).orderBy(*order)))
            .where("_rn = 1").drop("_rn"))


def _sources(col: str = "source") -> Column:
    from pyspark.sql import functions as F

    return F.concat_ws(",", F.array_sort(F.collect_set(col))).alias("source")


def weather_proxy(bronze: DataFrame, bbox: dict[str, float]) -> DataFrame:
    from pyspark.sql import functions as F

    inside = bronze.where(F.col("latitude").between(bbox["south"], bbox["north"])
                          & F.col("longitude").between(bbox["west"], bbox["east"]))
    rad = F.radians("wind_degree")
    means = {c: F.avg(c).alias(c) for c in ("temp_c", "humidity", "dewpoint_c", "wind_kph", "gust_kph",
                                             "pressure_mb", "precip_mm", "cloud", "vis_km", "uv")}
    return (inside.withColumn("hour", F.date_trunc("hour", "event_time"))
            .withColumn("_ws", F.sin(rad) * F.col("wind_kph")).withColumn("_wc", F.cos(rad) * F.col("wind_kph"))
            .groupBy("hour")
            .agg(*means.values(),
                 ((F.degrees(F.atan2(F.avg("_ws"), F.avg("_wc"))) + 360) % 360).alias("wind_degree"),
                 F.max_by("condition_code", "event_id").alias("condition_code"),
                 F.max("is_day").alias("is_day"), F.max("will_it_rain").alias("will_it_rain"),
                 F.max("chance_of_rain").alias("chance_of_rain"), F.max("available_at").alias("available_at"),
                 _sources()))


VC_VALUES: tuple[str, ...] = (
    "period_end", "local_date", "temp_c", "tempmax_c", "tempmin_c", "dewpoint_c", "humidity", "precip_mm",
    "precipprob", "windgust_kph", "windspeed_kph", "winddir_deg", "sealevelpressure_hpa", "cloudcover",
    "visibility_km", "solarradiation_wm2", "uvindex", "conditions", "available_at", "source")


def weather_history_vc(bronze: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    rows = bronze.withColumn("period_start", F.col("event_time"))
    newest = _latest(rows, ["resolution", "period_start"], F.col("ingest_time").desc_nulls_last(),
                     F.col("event_id").desc())
    return newest.select("resolution", "period_start", *VC_VALUES)


FORECAST_VALUES: tuple[str, ...] = ("temp_c", "humidity", "wind_kph", "wind_degree", "precip_mm", "pressure_mb",
                                     "cloud")


def weather_forecast(bronze: DataFrame, province: str) -> DataFrame:
    from pyspark.sql import functions as F

    rows = (bronze.where(F.col("province") == province)
            .withColumn("location_id", F.lit(province.replace(" ", "_")))
            .withColumn("valid_time", F.col("event_time")))
    newest = _latest(rows, ["location_id", "issue_time", "valid_time"], F.col("ingest_time").desc_nulls_last(),
                     F.col("event_id").desc())
    return newest.select("location_id", "issue_time", "valid_time", "lead_hours",
                         *(F.col(c).cast("double").alias(c) for c in FORECAST_VALUES),
                         "chance_of_rain", "available_at", "source")


def era5_surface(bronze: DataFrame, low_pbl_m: float) -> DataFrame:
    from pyspark.sql import functions as F

    hours = (bronze.where(F.col("dataset_type") == "single_levels")
             .select("event_id", "period_end", "available_at", "source", F.explode("hanoi_hourly").alias("h"))
             .select("event_id", "period_end", "available_at", "source", "h.*")
             .withColumn("hour", F.date_trunc("hour", "time")))
    newest = _latest(hours, ["hour"], F.col("available_at").desc_nulls_last(), F.col("event_id").desc())
    u, v = F.col("u10"), F.col("v10")
    return newest.select(
        "hour", u.alias("wind_u10"), v.alias("wind_v10"), F.sqrt(u * u + v * v).alias("wind_speed"),
        ((F.lit(270.0) - F.degrees(F.atan2(v, u))) % 360).alias("wind_dir"),
        F.col("blh").alias("pbl_height_m"), (F.col("blh") < low_pbl_m).alias("low_pbl"),
        F.col("sp").alias("surface_pressure"),
        (F.col("t2m") - units.KELVIN_OFFSET).alias("temperature_2m_c"),
        (F.col("d2m") - units.KELVIN_OFFSET).alias("dewpoint_2m_c"),
        (F.col("tp") * units.METRES_TO_MM).alias("total_precipitation_mm"),
        F.col("msl").alias("mean_sea_level_pressure"), "available_at", "source")


def _pooled(mean: str, std: str, count: str) -> tuple[Column, Column]:
    """Pixel-weighted mean and pooled population std over rows of (mean, std, count)."""
    from pyspark.sql import functions as F

    n = F.sum(count)
    m = F.sum(F.col(mean) * F.col(count)) / n
    second = F.sum(F.col(count) * (F.col(std) * F.col(std) + F.col(mean) * F.col(mean))) / n
    return m, F.sqrt(F.greatest(second - m * m, F.lit(0.0)))


def s5p_daily(bronze: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    usable = (bronze.where(F.col("valid_pixel_count") > 0)
              .withColumn("date", F.to_date("sensing_start"))
              .withColumn("_mid", F.timestamp_seconds(
                  (F.unix_timestamp("sensing_start") + F.unix_timestamp("sensing_end")) / 2)))
    mean, std = _pooled("stats_mean", "stats_std", "valid_pixel_count")
    return (usable.groupBy("product", "date")
            .agg(mean.alias("value_mean"), F.min("stats_min").alias("value_min"),
                 F.max("stats_max").alias("value_max"), std.alias("value_std"),
                 F.sum("valid_pixel_count").alias("valid_pixel_count"),
                 F.sum("total_pixel_count").alias("total_pixel_count"),
                 (100.0 * F.sum("valid_pixel_count") / F.sum("total_pixel_count")).alias("valid_pct"),
                 F.max_by("_mid", "valid_pixel_count").alias("overpass_time_utc"),
                 F.first("unit").alias("unit"), F.max("available_at").alias("available_at"), _sources()))


def maiac_daily(bronze: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    mean055, std055 = _pooled("stats_mean", "stats_std", "valid_pixel_count")
    w047 = F.col("aod_047_valid_pixel_count")
    return (bronze.groupBy(F.col("acquisition_date").alias("date"))
            .agg((F.sum(F.col("aod_047_mean") * w047) / F.sum(w047)).alias("aod_047_mean"),
                 mean055.alias("aod_055_mean"), mean055.alias("aod_mean"),
                 F.min("stats_min").alias("aod_min"), F.max("stats_max").alias("aod_max"),
                 std055.alias("aod_std"),
                 (100.0 * F.sum("valid_pixel_count") / F.sum("total_pixel_count")).alias("valid_pct"),
                 F.countDistinct("tile").cast("int").alias("tile_count"),
                 F.max("available_at").alias("available_at"), _sources()))


def s5p_grid(bronze: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    cells = (bronze.where(F.size("grid_cells") > 0)
             .select("product", F.to_date("sensing_start").alias("date"), "available_at", "source",
                     F.timestamp_seconds((F.unix_timestamp("sensing_start") + F.unix_timestamp("sensing_end")) / 2)
                     .alias("_mid"), F.explode("grid_cells").alias("c"))
             .where(F.col("c.valid_count") > 0))
    return (cells.groupBy("product", "date", F.col("c.lat").alias("lat"), F.col("c.lon").alias("lon"))
            .agg((F.sum(F.col("c.value_mean") * F.col("c.valid_count")) / F.sum("c.valid_count")).alias("value_mean"),
                 F.sum("c.valid_count").alias("valid_count"),
                 F.max_by("_mid", "c.valid_count").alias("overpass_time_utc"),
                 F.max("available_at").alias("available_at"), _sources()))
