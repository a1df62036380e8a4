"""The PM2.5 feature definition: pure DataFrame -> DataFrame transforms, used once for both
training and serving (the serving table is a projection of the master gold these build).

Time convention. ``hour`` is the start of a measurement hour in UTC (OpenAQ's datetime_from).
The row for base hour H holds what is known once hour H is complete: PM2.5 of hours <= H. Lags and
rolling windows look back from H (inclusive); targets are the city mean of the hour starting at
H + h. Calendar features are in Hanoi local time (UTC+7, no DST).

Definitions (CONTRACTS.md §9 lists how the previous system got these wrong):
- pm25_lag_kh: pm25_mean of hour H - k on the continuous hourly grid; null when that hour is.
- pm25_roll_mean_nh / max / std: over hours H-n+1 .. H, nulls skipped, null when all are null;
  std is the sample standard deviation (n-1), null with fewer than two values.
- day_of_week: 0 = Monday .. 6 = Sunday; is_weekend: Saturday or Sunday.
- is_rush_hour: a weekday and a local hour in features.rush_hours_local.
- season: winter (Dec-Feb), spring (Mar-May), summer (Jun-Aug), autumn (Sep-Nov).
- cyclical: hour/24, day_of_week/7, (month-1)/12 on the unit circle.
- Missing stays null; nothing is filled with 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

PM25_SERIES = "pm25_mean"  # the series lags, rolling windows and targets are built from


def _hour_index() -> Column:
    from pyspark.sql import functions as F

    return (F.unix_timestamp("hour") / 3600).cast("long")


def add_calendar_features(df: DataFrame, utc_offset_hours: int, rush_hours: Sequence[int]) -> DataFrame:
    """Calendar columns from ``hour`` (UTC) in local time."""
    from pyspark.sql import functions as F

    local = F.col("hour") + F.expr(f"INTERVAL {int(utc_offset_hours)} HOURS")
    hour = F.hour(local)
    dow = (F.dayofweek(local) + 5) % 7  # Spark: 1 = Sunday; ours: 0 = Monday
    month = F.month(local)
    two_pi = 2.0 * math.pi
    season = (F.when(month.isin(12, 1, 2), "winter").when(month.isin(3, 4, 5), "spring")
              .when(month.isin(6, 7, 8), "summer").otherwise("autumn"))
    weekend = dow >= 5
    return (df
            .withColumn("hour_of_day", hour.cast("int"))
            .withColumn("day_of_week", dow.cast("int"))
            .withColumn("month", month.cast("int"))
            .withColumn("season", season)
            .withColumn("is_weekend", weekend)
            .withColumn("hour_sin", F.sin(hour * two_pi / 24))
            .withColumn("hour_cos", F.cos(hour * two_pi / 24))
            .withColumn("dow_sin", F.sin(dow * two_pi / 7))
            .withColumn("dow_cos", F.cos(dow * two_pi / 7))
            .withColumn("month_sin", F.sin((month - 1) * two_pi / 12))
            .withColumn("month_cos", F.cos((month - 1) * two_pi / 12))
            .withColumn("is_rush_hour", (~weekend) & hour.isin(*[int(h) for h in rush_hours])))


def add_pm25_history_features(df: DataFrame, lags: Sequence[int], rolling: Sequence[int]) -> DataFrame:
    """Lags and rolling statistics of ``pm25_mean``. ``df`` must be a continuous hourly grid."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = df.withColumn("_h", _hour_index())
    ordered = Window.orderBy("_h")
    for k in lags:
        # rangeBetween on the hour index makes a lag exact even if the grid had a hole.
        df = df.withColumn(f"pm25_lag_{k}h",
                           F.first(PM25_SERIES).over(ordered.rangeBetween(-k, -k)))
    for n in rolling:
        frame = ordered.rangeBetween(-(n - 1), 0)
        df = df.withColumn(f"pm25_roll_mean_{n}h", F.avg(PM25_SERIES).over(frame))
    if 24 in rolling:
        frame = ordered.rangeBetween(-23, 0)
        df = (df.withColumn("pm25_roll_max_24h", F.max(PM25_SERIES).over(frame))
                .withColumn("pm25_roll_std_24h", F.stddev_samp(PM25_SERIES).over(frame)))
    return df.drop("_h")


def add_targets(df: DataFrame, horizons: Sequence[int]) -> DataFrame:
    """pm25_next_{h}h: the city mean of the hour starting h hours after the base hour."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = df.withColumn("_h", _hour_index())
    ordered = Window.orderBy("_h")
    for h in horizons:
        df = df.withColumn(f"pm25_next_{h}h", F.first(PM25_SERIES).over(ordered.rangeBetween(h, h)))
    return df.drop("_h")


def hourly_grid(spark: SparkSession, start_hour: str, end_hour_exclusive: str) -> DataFrame:
    """One row per UTC hour in [start, end) (ISO timestamps, UTC session)."""
    return spark.sql(
        f"SELECT explode(sequence(timestamp'{start_hour}', timestamp'{end_hour_exclusive}' - INTERVAL 1 HOUR, "
        "INTERVAL 1 HOUR)) AS hour")
