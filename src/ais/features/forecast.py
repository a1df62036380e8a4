"""Weather forecasts as features (issue 15 item 3): ``wxf_<variable>_<h>h``.

Definition, per base hour H and lead h (6, 12, 24):

  wxf_<v>_<h>h = <v> of the forecast row whose valid_time is exactly H + h, taken from the newest
                 issue (largest issue_time) among those with available_at <= H and
                 H - issue_time <= max_age_h; null when there is none (nothing is filled).

Rows come from weather.weather_forecast_hanoi_silver (WeatherAPI forecast.json, one row per issue
and valid hour; available_at = issue_time: a forecast is known once issued, the adapter runs
hourly). A row without available_at is available latency_h after its issue_time
(``features.availability.weather_forecast``). The variables are the silver's temp_c (°C),
humidity (%), wind_kph (km/h), precip_mm (mm in the valid hour) and pressure_mb (hPa).

``perfect_prognosis`` is the backtest's upper bound (``ais ml backtest --weather-forecast
perfect-prognosis``): the same columns filled from the OBSERVED weather of the target time, which
no forecast made at H could know. It is never a feature of the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from ais.features.columns import WXF_COLUMNS, WXF_LEADS_H, WXF_VARIABLES, wxf_column

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["WXF_COLUMNS", "forecast_features", "forecast_timed", "observed_weather_at", "perfect_prognosis"]

HOUR_US: Final = 3_600_000_000
# Visual Crossing history column -> forecast variable (perfect prognosis)
VC_TO_WXF: Final = {"temp_c": "temp_c", "humidity": "humidity", "windspeed_kph": "wind_kph",
                    "precip_mm": "precip_mm", "sealevelpressure_hpa": "pressure_mb"}


def forecast_timed(forecasts: DataFrame, latency_h: float) -> DataFrame:
    """The silver rows with _obs (issue_time) and _avail (available_at, else issue_time + latency_h)."""
    from pyspark.sql import functions as F

    fallback = F.timestamp_micros(F.unix_micros("issue_time") + F.lit(round(latency_h * HOUR_US)))
    return (forecasts.withColumn("_obs", F.col("issue_time"))
            .withColumn("_avail", F.coalesce(F.col("available_at"), fallback)))


def forecast_features(hours: DataFrame, timed: DataFrame, max_age_h: float,
                      leads_h: tuple[int, ...] = WXF_LEADS_H) -> DataFrame:
    """``hours`` (column ``hour``) -> hour and the wxf_* columns of the module docstring, one row
    per hour. ``timed``: forecast rows with _avail (:func:`forecast_timed`)."""
    from pyspark.sql import functions as F

    rows = (timed.where(F.col("issue_time").isNotNull() & F.col("valid_time").isNotNull()
                        & F.col("_avail").isNotNull())
            .select("issue_time", "valid_time", "_avail", *WXF_VARIABLES))
    # one (hour, lead, valid hour) row per lead, one join and one aggregation for every lead
    targets = hours.select("hour", F.explode(F.array(*[F.lit(h) for h in leads_h])).alias("_lead")).withColumn(
        "_vt", F.timestamp_micros(F.unix_micros("hour") + F.col("_lead") * F.lit(HOUR_US)))
    age = (F.unix_micros("hour") - F.unix_micros("issue_time")) / HOUR_US
    usable = targets.join(rows, F.col("valid_time") == F.col("_vt")).where(
        (F.col("_avail") <= F.col("hour")) & (age <= max_age_h))
    payload = F.struct("issue_time", *WXF_VARIABLES)
    newest = usable.groupBy("hour").agg(*[F.max(F.when(F.col("_lead") == h, payload)).alias(f"_b{h}")
                                          for h in leads_h])
    return hours.select("hour").join(newest, "hour", "left").select(
        "hour", *[F.col(f"_b{h}.{v}").cast("double").alias(wxf_column(v, h)) for v in WXF_VARIABLES for h in leads_h])


# ---- the backtest's upper bound --------------------------------------------------------------------

def observed_weather_at(history: pd.DataFrame, times: pd.Series | pd.DatetimeIndex) -> pd.DataFrame:
    """The observed Visual Crossing weather at each UTC time of ``times`` as forecast variables
    (columns WXF_VARIABLES, one row per time, in order): the hourly record starting at that hour when
    there is one, else the daily record of its local day (period_start <= t < period_end). A
    day's precip_mm is spread over its hours (total / 24), like the weather-history fallback of
    master gold; its other values are the day's means. NaN where neither exists.

    ``history``: weather.visualcrossing_hanoi_silver rows (resolution, period_start, period_end and
    the VC_TO_WXF columns)."""
    when = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    renamed = history.rename(columns=VC_TO_WXF)
    start = pd.to_datetime(renamed["period_start"], utc=True)
    hourly = renamed[renamed["resolution"] == "hour"].assign(_t=start).drop_duplicates("_t", keep="last")
    by_hour = hourly.set_index("_t")[list(WXF_VARIABLES)].astype("float64").reindex(when)
    daily = (renamed[renamed["resolution"] == "day"].assign(_t=start).sort_values("_t")
             .drop_duplicates("_t", keep="last"))
    daily = daily.assign(precip_mm=daily["precip_mm"].astype("float64") / 24.0)
    ends = pd.to_datetime(daily["period_end"], utc=True).to_numpy()
    starts = daily["_t"].to_numpy()
    pos = np.searchsorted(starts, when.to_numpy(), side="right") - 1
    inside = (pos >= 0) & (when.to_numpy() < ends[np.clip(pos, 0, None)]) if len(daily) else np.zeros(len(when), bool)
    values = daily[list(WXF_VARIABLES)].astype("float64").to_numpy()
    by_day = np.full((len(when), len(WXF_VARIABLES)), np.nan)
    if len(daily):
        by_day[inside] = values[pos[inside]]
    hour_values = by_hour.to_numpy(dtype=np.float64, na_value=np.nan)
    has_hour = ~np.isnan(hour_values).all(axis=1)
    out = np.where(has_hour[:, None], hour_values, by_day)
    return pd.DataFrame(out, columns=list(WXF_VARIABLES))


def perfect_prognosis(frame: pd.DataFrame, history: pd.DataFrame,
                      leads_h: tuple[int, ...] = WXF_LEADS_H) -> pd.DataFrame:
    """A copy of ``frame`` (column ``hour``, UTC) whose wxf_* columns hold the observed weather at
    hour + h (:func:`observed_weather_at`): the upper bound of a forecast, not a forecast."""
    out = frame.copy()
    hours = pd.DatetimeIndex(pd.to_datetime(frame["hour"], utc=True))
    for lead in leads_h:
        observed = observed_weather_at(history, hours + pd.Timedelta(hours=lead))
        for variable in WXF_VARIABLES:
            out[wxf_column(variable, lead)] = observed[variable].to_numpy()
    return out
