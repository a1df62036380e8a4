"""The one feature definition of the master hourly gold: silver inputs -> the 82 features (the 67 of
CONTRACTS.md §3 and 15 weather-forecast ones), the three targets and the age of every late source.
Training (master -> training dataset) and serving (master -> serving features) both read what this
builds; nothing else computes a feature.

Point in time. The row of base hour H is built as of the end of H (decision time T = H + 1 h): the
PM2.5 of H is complete then. Every input row has an observation time (obs) and an availability
time (avail, when it could first have been known):

  source          obs                                 avail
  city PM2.5      hour                                hour + 1 h
  gradient        hour                                hour + 1 h
  weather proxy   hour                                hour + 1 h + latency_h
  ERA5 surface    hour                                available_at, else hour + 1 h + latency_h
  Sentinel-5P     overpass_time_utc (else date 00:00) available_at, else (overpass or date end) + latency_h
  MAIAC           date 00:00 UTC                      available_at, else date end + latency_h
  trajectories    hour                                hour + 1 h + latency_h (built from late ERA5)
  weather history period_start (local day or hour)    available_at, else period_end + latency_h
  weather forecast issue_time                         available_at, else issue_time + latency_h

PM2.5, its lags and rolling windows and the gradient are joined on the hour (only hours <= H).
The other sources are joined "as of" T: the row with the latest obs among those with avail <= T and
obs <= H, if H - obs <= max_age_h; else null. A newer release of the same obs (ERA5T -> final)
replaces the older one from the hour it becomes available. The age H - obs (hours) of each such
source is kept in ``<source>_age_h`` (see AGE_COLUMNS), null when the feature is. Latency and
maximum age per source are configuration (features.availability). Nulls stay null; nothing is filled.

Weather history (Visual Crossing daily records and, where recorded, hourly ones; the replayed
history of ``ais ml backtest --weather-dir``) is the fallback of the surface weather columns:
where ERA5 gives no value at H, temperature_2m_c, dewpoint_2m_c, wind_speed (m/s from km/h),
wind_dir, wind_u10/v10 (from speed and the FROM direction), surface_pressure (Pa, from the
sea-level pressure: Hanoi lies about 10 m above the sea, within about 1.5 hPa) and
total_precipitation_mm (mm in one hour: a day's total / 24) take the latest weather-history record
known at H; where the WeatherAPI proxy gives none, vis_km, uv and chance_of_rain do. Its age is
``weather_history_age_h`` (null when no such value was used).

Weather forecasts (weather.weather_forecast_hanoi_silver, issue 15 item 3) give the 15 columns
``wxf_<variable>_<h>h``: the forecast valid at H + h from the newest issue with available_at <= H
(definition and nulls: :mod:`ais.features.forecast`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from ais.features import pm25
from ais.features.columns import FEATURES, WXF_COLUMNS
from ais.features.forecast import forecast_features, forecast_timed
from ais.features.gradient import GRADIENT_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from ais.config import Settings

S5P_PRODUCTS: Final = ("NO2", "CO", "SO2", "O3", "AER_AI")
S5P_VALID_PCT: Final = ("NO2", "AER_AI")  # the contract keeps valid % for these two only
WEATHER_FEATURES: Final = ("vis_km", "uv", "condition_code", "is_day", "will_it_rain", "chance_of_rain")
ERA5_FEATURES: Final = ("wind_u10", "wind_v10", "wind_speed", "wind_dir", "pbl_height_m", "low_pbl",
                        "surface_pressure", "temperature_2m_c", "dewpoint_2m_c", "total_precipitation_mm")
MAIAC_FEATURES: Final = (("aod_047_mean", "aod_047_mean"), ("aod_055_mean", "aod_055_mean"),
                         ("aod_mean", "aod_mean"), ("aod_max", "aod_max"), ("valid_pct", "aod_valid_pct"))
TRAJ_FEATURES: Final = (("dominant_cluster", "dominant_cluster"), ("n_traj", "n_traj"),
                        ("source_lat", "traj_source_lat"), ("source_lon", "traj_source_lon"),
                        ("path_no2_mean", "traj_path_no2_mean"), ("path_aer_mean", "traj_path_aer_mean"),
                        ("path_no2_aer_ratio", "traj_path_no2_aer_ratio"))
CITY_FEATURES: Final = ("pm25_median", "pm25_mean", "station_count", "coverage_avg")
AGE_COLUMNS: Final = ("weather_age_h", "weather_history_age_h", "era5_age_h",
                      *(f"s5p_{p.lower()}_age_h" for p in S5P_PRODUCTS), "maiac_age_h", "traj_age_h")
TIMED_SOURCES: Final = ("weather_proxy", "era5_surface", "sentinel5p", "maiac", "trajectory",
                        "weather_history", "weather_forecast")
# weather history (Visual Crossing) column -> the master columns it backs up: (ERA5 block, proxy block)
VC_VALUES: Final = ("temp_c", "dewpoint_c", "windspeed_kph", "winddir_deg", "sealevelpressure_hpa", "precip_mm",
                    "visibility_km", "uvindex", "precipprob")
KMH_PER_MS: Final = 3.6
PA_PER_HPA: Final = 100.0
HOUR_US: Final = 3_600_000_000


@dataclass(frozen=True)
class SourceTiming:
    latency_h: float  # after the end of the observed hour/day, when a row carries no available_at
    max_age_h: float  # older than this at H: null


@dataclass(frozen=True)
class FeatureParams:
    lags_h: tuple[int, ...]
    rolling_h: tuple[int, ...]
    horizons_h: tuple[int, ...]
    utc_offset_hours: int
    rush_hours_local: tuple[int, ...]
    timing: dict[str, SourceTiming]

    @classmethod
    def from_settings(cls, s: Settings) -> FeatureParams:
        timing = {name: SourceTiming(s.get_float(f"features.availability.{name}.latency_h"),
                                     s.get_float(f"features.availability.{name}.max_age_h"))
                  for name in TIMED_SOURCES}
        return cls(tuple(s.get_int_list("features.lags_h")), tuple(s.get_int_list("features.rolling_h")),
                   tuple(s.horizons), s.utc_offset_hours, tuple(s.get_int_list("features.rush_hours_local")), timing)

    @property
    def look_back_h(self) -> int:
        """Hours of input before the first base hour a build needs."""
        return int(max([*self.lags_h, *self.rolling_h, *(t.max_age_h for t in self.timing.values())]))


# ---- observation and availability times (one definition, used by the build and by known_at) ------

def _plus_hours(ts: Column, n: float) -> Column:
    from pyspark.sql import functions as F

    return F.timestamp_micros(F.unix_micros(ts) + F.lit(round(n * HOUR_US)))


def _day_start(date_col: str) -> Column:
    from pyspark.sql import functions as F

    return F.to_timestamp(F.col(date_col))  # 00:00 UTC: the session time zone is UTC


def _hourly_timed(df: DataFrame, latency_h: float, recorded: bool) -> DataFrame:
    from pyspark.sql import functions as F

    fallback = _plus_hours(F.col("hour"), 1 + latency_h)
    return (df.withColumn("_obs", F.col("hour"))
            .withColumn("_avail", F.coalesce(F.col("available_at"), fallback) if recorded else fallback))


def _s5p_timed(df: DataFrame, latency_h: float) -> DataFrame:
    from pyspark.sql import functions as F

    day_end = _plus_hours(_day_start("date"), 24)
    seen = F.coalesce(F.col("overpass_time_utc"), day_end)
    return (df.withColumn("_obs", F.coalesce(F.col("overpass_time_utc"), _day_start("date")))
            .withColumn("_avail", F.coalesce(F.col("available_at"), _plus_hours(seen, latency_h))))


def _maiac_timed(df: DataFrame, latency_h: float) -> DataFrame:
    from pyspark.sql import functions as F

    return (df.withColumn("_obs", _day_start("date"))
            .withColumn("_avail", F.coalesce(F.col("available_at"), _plus_hours(_day_start("date"), 24 + latency_h))))


def _period_timed(df: DataFrame, latency_h: float) -> DataFrame:
    from pyspark.sql import functions as F

    return (df.withColumn("_obs", F.col("period_start"))
            .withColumn("_avail", F.coalesce(F.col("available_at"), _plus_hours(F.col("period_end"), latency_h))))


@dataclass(frozen=True)
class FeatureInputs:
    """The silver rows a build reads (already cut to the build's window and look-back)."""

    city: DataFrame        # air_quality.openaq_hanoi_hourly_silver
    gradient: DataFrame    # features.openaq_spatial_gradient_silver
    weather: DataFrame     # weather.weather_hanoi_surface_proxy_silver
    era5: DataFrame        # weather.era5_surface_hanoi_hourly_silver
    s5p: DataFrame         # satellite.sentinel5p_hanoi_daily_silver
    maiac: DataFrame       # satellite.maiac_hanoi_daily_silver
    trajectory: DataFrame  # features.trajectory_hourly_features_silver
    weather_history: DataFrame | None = None  # weather.visualcrossing_hanoi_silver (replayed history)
    weather_forecast: DataFrame | None = None  # weather.weather_forecast_hanoi_silver

    def timed(self, params: FeatureParams) -> dict[str, DataFrame]:
        """Each input with its _obs and _avail columns."""
        from pyspark.sql import functions as F

        t = params.timing
        def hour_end(df: DataFrame) -> DataFrame:
            return df.withColumn("_obs", F.col("hour")).withColumn("_avail", _plus_hours(F.col("hour"), 1))

        return {
            "city": hour_end(self.city), "gradient": hour_end(self.gradient),
            "weather": _hourly_timed(self.weather, t["weather_proxy"].latency_h, recorded=True),
            "era5": _hourly_timed(self.era5, t["era5_surface"].latency_h, recorded=True),
            "s5p": _s5p_timed(self.s5p, t["sentinel5p"].latency_h),
            "maiac": _maiac_timed(self.maiac, t["maiac"].latency_h),
            "trajectory": _hourly_timed(self.trajectory, t["trajectory"].latency_h, recorded=False),
        } | ({} if self.weather_history is None else
             {"weather_history": _period_timed(self.weather_history, t["weather_history"].latency_h)}) | (
            {} if self.weather_forecast is None else
            {"weather_forecast": forecast_timed(self.weather_forecast, t["weather_forecast"].latency_h)})

    def known_at(self, cutoff: str, params: FeatureParams) -> FeatureInputs:
        """Only the rows that had been available by ``cutoff`` (UTC 'YYYY-MM-DD HH:MM:SS'): the
        inputs a serving build at that moment would have seen."""
        from pyspark.sql import functions as F

        timed = self.timed(params)
        cut = {name: df.where(F.col("_avail") <= F.lit(cutoff).cast("timestamp")).drop("_obs", "_avail")
               for name, df in timed.items()}
        return replace(self, **cut)


# ---- the as-of join ------------------------------------------------------------------------------

def asof_join(hours: DataFrame, timed: DataFrame, values: tuple[tuple[str, str], ...], age_name: str,
              max_age_h: float) -> DataFrame:
    """For each ``hour`` of ``hours``: the values of the ``timed`` row with the latest _obs among
    those usable at that hour (avail <= hour + 1 h and obs <= hour), null if older than max_age_h.
    Returns hour, the renamed values and ``age_name``.

    A row becomes usable at base hour ceil(avail) - 1 h (or its obs hour if later); one ordered pass
    over rows and hours takes the running maximum of (obs, avail, values)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    usable_from = F.greatest(
        F.timestamp_micros(F.ceil(F.unix_micros("_avail") / HOUR_US) * HOUR_US - HOUR_US),
        F.date_trunc("hour", "_obs"))
    payload = F.struct(F.col("_obs").alias("obs"), F.col("_avail").alias("avail"),
                       *[F.col(src).alias(out) for src, out in values])
    events = (timed.where(F.col("_obs").isNotNull() & F.col("_avail").isNotNull())
              .select(usable_from.alias("_t"), F.lit(0).alias("_k"), payload.alias("_s")))
    marks = hours.select(F.col("hour").alias("_t"), F.lit(1).alias("_k"),
                         F.lit(None).cast(events.schema["_s"].dataType).alias("_s"))
    running = Window.orderBy("_t", "_k").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    best = (events.unionByName(marks).withColumn("_best", F.max("_s").over(running)).where("_k = 1")
            .select(F.col("_t").alias("hour"), "_best"))
    age = (F.unix_micros("hour") - F.unix_micros("_best.obs")) / HOUR_US
    fresh = F.col("_best").isNotNull() & (age <= max_age_h)
    return best.select("hour", *[F.when(fresh, F.col(f"_best.{out}")).alias(out) for _, out in values],
                       F.when(fresh, age).alias(age_name))


# ---- the build -----------------------------------------------------------------------------------

def _as_of_parts(hours: DataFrame, timed: dict[str, DataFrame], params: FeatureParams) -> list[DataFrame]:
    from pyspark.sql import functions as F

    t = params.timing
    same = tuple((c, c) for c in WEATHER_FEATURES)
    parts = [asof_join(hours, timed["weather"], same, "weather_age_h", t["weather_proxy"].max_age_h),
             asof_join(hours, timed["era5"], tuple((c, c) for c in ERA5_FEATURES), "era5_age_h",
                       t["era5_surface"].max_age_h)]
    for product in S5P_PRODUCTS:
        name = f"s5p_{product.lower()}"
        values = (("value_mean", f"{name}_mean"),) + ((("valid_pct", f"{name}_valid_pct"),)
                                                     if product in S5P_VALID_PCT else ())
        parts.append(asof_join(hours, timed["s5p"].where(F.col("product") == product), values, f"{name}_age_h",
                               t["sentinel5p"].max_age_h))
    parts.append(asof_join(hours, timed["maiac"], MAIAC_FEATURES, "maiac_age_h", t["maiac"].max_age_h))
    parts.append(asof_join(hours, timed["trajectory"], TRAJ_FEATURES, "traj_age_h", t["trajectory"].max_age_h))
    if "weather_history" in timed:
        from pyspark.sql import functions as F

        daily = F.col("resolution") == "day"
        history = timed["weather_history"].withColumn(  # mm in one hour, as ERA5's tp
            "precip_mm", F.when(daily, F.col("precip_mm") / 24.0).otherwise(F.col("precip_mm")))
        parts.append(asof_join(hours, history, tuple((c, f"_vc_{c}") for c in VC_VALUES), "_vc_age_h",
                               t["weather_history"].max_age_h))
    return parts


def _with_weather_history(df: DataFrame) -> DataFrame:
    """The surface weather columns backed up by the weather history (module docstring), and
    weather_history_age_h; drops the _vc_* helper columns."""
    from pyspark.sql import functions as F

    if "_vc_age_h" not in df.columns:
        return df.withColumn("weather_history_age_h", F.lit(None).cast("double"))
    speed = F.col("_vc_windspeed_kph") / KMH_PER_MS
    rad = F.radians("_vc_winddir_deg")
    era5_missing = F.col("era5_age_h").isNull()
    proxy_missing = F.col("weather_age_h").isNull()
    era5_block = {"temperature_2m_c": F.col("_vc_temp_c"), "dewpoint_2m_c": F.col("_vc_dewpoint_c"),
                  "wind_speed": speed, "wind_dir": F.col("_vc_winddir_deg"),
                  "wind_u10": -speed * F.sin(rad), "wind_v10": -speed * F.cos(rad),
                  "surface_pressure": F.col("_vc_sealevelpressure_hpa") * PA_PER_HPA,
                  "total_precipitation_mm": F.col("_vc_precip_mm")}
    proxy_block = {"vis_km": F.col("_vc_visibility_km"), "uv": F.col("_vc_uvindex"),
                   "chance_of_rain": F.round(F.col("_vc_precipprob")).cast("int")}
    for name, value in era5_block.items():
        df = df.withColumn(name, F.when(era5_missing, value).otherwise(F.col(name)))
    for name, value in proxy_block.items():
        df = df.withColumn(name, F.when(proxy_missing, value).otherwise(F.col(name)))
    used = (era5_missing | proxy_missing) & F.col("_vc_age_h").isNotNull()
    df = df.withColumn("weather_history_age_h", F.when(used, F.col("_vc_age_h")))
    return df.drop(*[c for c in df.columns if c.startswith("_vc_")])


def build_master(grid: DataFrame, inputs: FeatureInputs, params: FeatureParams) -> DataFrame:
    """The one feature function. ``grid``: one row per UTC ``hour`` (continuous, covering the
    look-back the lags and rolling windows need and the look-ahead of the targets); ``inputs``:
    the silver rows. Returns per hour: the 82 features (contract types), the targets, the age
    columns and ``source``."""
    from pyspark.sql import functions as F

    timed = inputs.timed(params)
    hours = grid.select("hour")
    city = inputs.city.select("hour", *CITY_FEATURES, "source")
    gradient = inputs.gradient.select("hour", *GRADIENT_COLUMNS)
    df = grid.join(city, "hour", "left").join(gradient, "hour", "left")
    for part in _as_of_parts(hours, timed, params):
        df = df.join(part, "hour", "left")
    df = _with_weather_history(df)
    if "weather_forecast" in timed:
        df = df.join(forecast_features(hours, timed["weather_forecast"], params.timing["weather_forecast"].max_age_h),
                     "hour", "left")
    else:  # no forecast input: the columns exist and are null
        df = df.select("*", *[F.lit(None).cast("double").alias(c) for c in WXF_COLUMNS])
    df = pm25.add_pm25_history_features(df, params.lags_h, params.rolling_h)
    df = pm25.add_targets(df, params.horizons_h)
    df = pm25.add_calendar_features(df, params.utc_offset_hours, params.rush_hours_local)
    targets = [f"pm25_next_{h}h" for h in params.horizons_h]
    return df.select("hour", *[F.col(n).cast(t).alias(n) for n, t in FEATURES],
                     *[F.col(c).cast("double").alias(c) for c in targets],
                     *[F.col(c).cast("double").alias(c) for c in AGE_COLUMNS], "source")
