"""The OpenAQ spatial gradient of PM2.5 across Hanoi for one hour (features.openaq_spatial_gradient_silver).

Definition, per UTC hour H:
- Stations: valid PM2.5 station-hours of H (parameter pm25, qc_status valid, position known). A
  location with several PM2.5 sensors counts once, with the mean of its sensors and its mean position.
- Positions are local east/north offsets in km from the configured centre (hanoi.centre), by the
  equirectangular approximation: x = (lon - lon0) * K * cos(lat0), y = (lat - lat0) * K, with
  K = 111.195 km per degree (mean Earth radius 6371.0088 km). Exact enough over the 100 km bbox.
- station_count: the number of such stations (always written, so a null row says why it is null).
- With fewer than ``min_stations`` (3) stations every gradient value is null.
- pm25_grad_n / _s / _e / _w (µg/m³): the mean of the stations strictly north (y > 0) / south
  (y < 0) / east (x > 0) / west (x < 0) of the centre minus the mean of all stations of H; null
  when that half-plane holds no station.
- pm25_spatial_std (µg/m³): sample standard deviation (n - 1) of the station values.
- pm25_grad_mag (µg/m³ per km): the magnitude sqrt(b² + c²) of the least-squares plane
  value = a + b·x + c·y through the stations; null when the stations are collinear (the plane is
  undetermined: det of the centred normal equations <= 1e-9 · Sxx · Syy).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

KM_PER_DEGREE: Final = 6371.0088 * math.pi / 180.0  # 111.195 km
COLLINEAR_TOLERANCE: Final = 1e-9
GRADIENT_COLUMNS: Final = ("pm25_grad_n", "pm25_grad_s", "pm25_grad_e", "pm25_grad_w", "pm25_spatial_std",
                           "pm25_grad_mag")


def spatial_gradient(stations: DataFrame, centre_lat: float, centre_lon: float, min_stations: int) -> DataFrame:
    """Station-hourly silver rows -> one gradient row per hour that has at least one valid station."""
    from pyspark.sql import functions as F

    per_station = (stations
                   .where((F.col("parameter") == "pm25") & (F.col("qc_status") == "valid")
                          & F.col("value").isNotNull() & F.col("latitude").isNotNull()
                          & F.col("longitude").isNotNull())
                   .groupBy("hour", "location_id")
                   .agg(F.avg("value").alias("v"), F.avg("latitude").alias("lat"), F.avg("longitude").alias("lon"))
                   .withColumn("x", (F.col("lon") - centre_lon) * (KM_PER_DEGREE * math.cos(math.radians(centre_lat))))
                   .withColumn("y", (F.col("lat") - centre_lat) * KM_PER_DEGREE))
    x, y, v = F.col("x"), F.col("y"), F.col("v")
    sums = per_station.groupBy("hour").agg(
        F.count("v").cast("int").alias("station_count"), F.avg("v").alias("_mean"),
        F.stddev_samp("v").alias("_std"),
        F.avg(F.when(y > 0, v)).alias("_n"), F.avg(F.when(y < 0, v)).alias("_s"),
        F.avg(F.when(x > 0, v)).alias("_e"), F.avg(F.when(x < 0, v)).alias("_w"),
        F.sum(x).alias("sx"), F.sum(y).alias("sy"), F.sum(v).alias("sv"), F.sum(x * x).alias("sxx"),
        F.sum(y * y).alias("syy"), F.sum(x * y).alias("sxy"), F.sum(x * v).alias("sxv"), F.sum(y * v).alias("syv"))
    n = F.col("station_count")
    cxx = F.col("sxx") - F.col("sx") * F.col("sx") / n
    cyy = F.col("syy") - F.col("sy") * F.col("sy") / n
    cxy = F.col("sxy") - F.col("sx") * F.col("sy") / n
    cxv = F.col("sxv") - F.col("sx") * F.col("sv") / n
    cyv = F.col("syv") - F.col("sy") * F.col("sv") / n
    det = cxx * cyy - cxy * cxy
    b = (cyy * cxv - cxy * cyv) / det
    c = (cxx * cyv - cxy * cxv) / det
    enough = n >= min_stations
    solvable = enough & (cxx > 0) & (cyy > 0) & (det > COLLINEAR_TOLERANCE * cxx * cyy)
    mean = F.col("_mean")
    return sums.select(
        "hour",
        F.when(enough, F.col("_n") - mean).alias("pm25_grad_n"),
        F.when(enough, F.col("_s") - mean).alias("pm25_grad_s"),
        F.when(enough, F.col("_e") - mean).alias("pm25_grad_e"),
        F.when(enough, F.col("_w") - mean).alias("pm25_grad_w"),
        F.when(enough, F.col("_std")).alias("pm25_spatial_std"),
        F.when(solvable, F.sqrt(b * b + c * c)).alias("pm25_grad_mag"),
        "station_count")
