"""Honest availability (issue 15 item 2): a serving row built the way the live schedule would build
it equals the training row of the same hour, for every source.

The silver rows carry no available_at here, so master gold falls back on each source's configured
``features.availability.<source>.latency_h``: the configuration alone decides when a training row
may use them. The "live schedule" side does not read that configuration: each row arrives when
its live adapter can deliver it, by the adapter's own rules (native/src/ingest/, the event's
available_at):

  source           arrives                                             adapter
  OpenAQ PM2.5     hour end + 10 min                                    openaq.h (publication lag)
  WeatherAPI       end of the LOCAL day (UTC+7) + 1 h                   weather.h (history.json days)
  ERA5 surface     end of the UTC day + 120 h                           era5.h (ERA5T, per UTC day)
  Sentinel-5P      overpass + 3 h                                       NRTI products (CDSE search)
  MAIAC            end of the date + 40 h                               the recorded granules' production
  trajectories     as the ERA5 of the arrival hour's UTC day            built from ERA5 pressure levels
  weather history  end of the day / hour + 1 h                          weather_vc.h
  weather forecast issue hour + 5 min (hourly fetch of forecast.json)   weather_forecast.h

The serving build of base hour H runs at H + 1 h 20 min (ais_pm25_k8s_compute_dag, "20 * * * *")
on the rows that have arrived by then, through the serving-features path of gold
(``build_master`` on the inputs, then ``serving_frame``). A latency in the configuration shorter than
what the adapter delivers makes training see a value serving cannot have; the test then fails, as
it does below for the former weather-proxy setting (latency 0 h).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import Any

import pytest

from ais import tables
from ais.config import load_settings
from ais.features.columns import FEATURE_NAMES
from ais.features.master import FeatureInputs, FeatureParams, SourceTiming, build_master
from ais.features.pm25 import hourly_grid
from ais.spark.jobs.common import Window
from ais.spark.jobs.gold import serving_frame
from ais.spark.schema import spark_schema
from tests.conftest import CONFIG_PATH, isolated_env

pytestmark = pytest.mark.spark

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
LOCAL = dt.timedelta(hours=7)  # Asia/Bangkok
SERVING_RUN_AFTER_HOUR_END = dt.timedelta(minutes=20)
# base hours compared: every local hour of a day, one build per hour is slow, so every third
BASE_HOURS = [T0 + dt.timedelta(hours=i) for i in range(200, 224, 3)]


def _h(i: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=i)


def _utc_day_end(t: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(t.date(), dt.time(), dt.UTC) + DAY


def _local_day_end(t: dt.datetime) -> dt.datetime:
    local = t + LOCAL
    return dt.datetime.combine(local.date(), dt.time(), dt.UTC) + DAY - LOCAL


# ---- silver rows as the live adapters deliver them (value, arrival) ------------------------------

def _rows() -> dict[str, list[tuple[dict[str, Any], dt.datetime]]]:
    hours = [_h(i) for i in range(-260, 240)]
    city = [({"hour": h, "pm25_mean": 30.0 + i % 17, "pm25_median": 29.0 + i % 13, "station_count": 3,
              "coverage_avg": 90.0, "source": "simulated"}, h + HOUR + dt.timedelta(minutes=10))
            for i, h in enumerate(hours)]
    gradient = [({"hour": h, "pm25_grad_n": 1.0 + i, "pm25_grad_s": -1.0, "pm25_grad_e": 0.5, "pm25_grad_w": -0.5,
                  "pm25_spatial_std": 3.0, "pm25_grad_mag": 0.1 * i, "station_count": 4},
                 h + HOUR + dt.timedelta(minutes=10)) for i, h in enumerate(hours)]
    weather = [({"hour": h, "vis_km": 5.0 + i % 7, "uv": float(i % 9), "condition_code": 1000 + i, "is_day": i % 2,
                 "will_it_rain": 0, "chance_of_rain": i % 50, "source": "simulated"}, _local_day_end(h) + HOUR)
               for i, h in enumerate(hours)]
    era5 = [({"hour": h, "wind_u10": float(i), "wind_v10": 1.0 + i % 3, "wind_speed": 2.0, "wind_dir": 90.0,
              "pbl_height_m": 250.0 + i, "low_pbl": i % 2 == 0, "surface_pressure": 100_000.0 + i,
              "temperature_2m_c": 20.0 + i % 5, "dewpoint_2m_c": 15.0, "total_precipitation_mm": 0.0,
              "source": "simulated"}, _utc_day_end(h) + 120 * HOUR) for i, h in enumerate(hours)]
    s5p, maiac = [], []
    for d in range(-12, 10):
        date = (T0 + d * DAY).date()
        overpass = dt.datetime.combine(date, dt.time(6, 20), dt.UTC)
        for k, product in enumerate(("NO2", "CO", "SO2", "O3", "AER_AI")):
            s5p.append(({"product": product, "date": date, "value_mean": 1e-4 * (d + 20) + k, "valid_pct": 50.0 + d,
                         "overpass_time_utc": overpass, "source": "simulated"}, overpass + 3 * HOUR))
        maiac.append(({"date": date, "aod_047_mean": 0.5 + d / 10, "aod_055_mean": 0.4 + d / 100,
                       "aod_mean": 0.4 + d / 100, "aod_max": 0.9, "valid_pct": 30.0, "source": "simulated"},
                      dt.datetime.combine(date, dt.time(), dt.UTC) + DAY + 40 * HOUR))
    trajectory = [({"hour": h, "dominant_cluster": (i // 6) % 4, "n_traj": 1 + i % 3, "source_lat": 22.0 + i / 100,
                    "source_lon": 107.0, "path_no2_mean": 1e-4, "path_aer_mean": 0.5, "path_no2_aer_ratio": 2e-4},
                   _utc_day_end(h) + 120 * HOUR) for i, h in enumerate(hours) if i % 6 == 0]
    history = []
    for d in range(-12, 10):  # daily records, and hourly ones for the last days
        start = dt.datetime.combine((T0 + d * DAY).date(), dt.time(), dt.UTC) - LOCAL
        history.append((_history(start, start + DAY, "day", d), start + DAY + HOUR))
    for i in range(150, 240):
        history.append((_history(_h(i), _h(i + 1), "hour", i), _h(i + 2)))
    forecast = [({"location_id": "Ha_Noi", "issue_time": _h(i), "valid_time": _h(i + k), "lead_hours": k,
                  "temp_c": 20.0 + i / 10 + k / 100, "humidity": 60.0 + i % 30, "wind_kph": 4.0 + k,
                  "precip_mm": 0.1 * (i % 5), "pressure_mb": 1000.0 + i + k / 100, "source": "simulated"},
                 _h(i) + dt.timedelta(minutes=5)) for i in range(170, 240) for k in range(0, 31)]
    return {"city": city, "gradient": gradient, "weather": weather, "era5": era5, "s5p": s5p, "maiac": maiac,
            "trajectory": trajectory, "weather_history": history, "weather_forecast": forecast}


def _history(start: dt.datetime, end: dt.datetime, resolution: str, i: int) -> dict[str, Any]:
    return {"resolution": resolution, "period_start": start, "period_end": end, "temp_c": 20.0 + i % 7,
            "dewpoint_c": 15.0 + i % 3, "windspeed_kph": 5.0 + i % 11, "winddir_deg": float(10 * (i % 36)),
            "sealevelpressure_hpa": 1010.0 + i % 9, "precip_mm": float(i % 4), "visibility_km": 4.0 + i % 5,
            "uvindex": float(i % 8), "precipprob": float(i % 100), "source": "visualcrossing"}


SPECS: dict[str, tables.TableSpec] = {
    "city": tables.OPENAQ_CITY_HOURLY, "gradient": tables.SPATIAL_GRADIENT, "weather": tables.WEATHER_PROXY,
    "era5": tables.ERA5_SURFACE, "s5p": tables.S5P_DAILY, "maiac": tables.MAIAC_DAILY,
    "trajectory": tables.TRAJECTORY_HOURLY, "weather_history": tables.WEATHER_VC_SILVER,
    "weather_forecast": tables.WEATHER_FORECAST_SILVER}


ARRIVAL = "_arrived_at"  # the test's own column: when the live adapter delivered the row


def _frames(spark: Any, rows: dict[str, list[tuple[dict[str, Any], dt.datetime]]]) -> dict[str, Any]:
    """Each source's silver rows (without available_at) as one cached frame, with its arrival time:
    made once, filtered per build (a frame per build and source would cost most of the test's time)."""
    from pyspark.sql.types import StructField, StructType, TimestampType

    frames = {}
    for name, pairs in rows.items():
        spec = SPECS[name]
        columns = tuple(spec.column_names)
        schema = spark_schema(spec, tuple(spec.column(n) for n in columns))
        schema = StructType([*schema.fields, StructField(ARRIVAL, TimestampType(), False)])
        data = [(*(r.get(n) for n in columns), arrival) for r, arrival in pairs]
        frames[name] = spark.createDataFrame(data, schema).cache()
    return frames


def _inputs(frames: dict[str, Any], arrived_by: dt.datetime | None) -> FeatureInputs:
    """The silver rows; with ``arrived_by`` only those the live adapters had delivered by then."""
    from pyspark.sql import functions as F

    def kept(frame: Any) -> Any:
        if arrived_by is not None:
            frame = frame.where(F.col(ARRIVAL) <= F.lit(arrived_by))
        return frame.drop(ARRIVAL)

    return FeatureInputs(**{name: kept(frame) for name, frame in frames.items()})


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return bool(a == b)


def _training(spark: Any, frames: dict[str, Any], params: FeatureParams) -> dict[dt.datetime, dict[str, Any]]:
    first, last = BASE_HOURS[0], BASE_HOURS[-1] + HOUR
    grid = hourly_grid(spark, Window.sql(first - 30 * HOUR), Window.sql(last + 30 * HOUR))
    built = build_master(grid, _inputs(frames, None), params)
    return {r.hour.replace(tzinfo=dt.UTC): r.asDict() for r in built.collect()
            if first <= r.hour.replace(tzinfo=dt.UTC) < last}


def _served(spark: Any, frames: dict[str, Any], params: FeatureParams, base: dt.datetime) -> dict[str, Any]:
    from pyspark.sql import functions as F

    run_at = base + HOUR + SERVING_RUN_AFTER_HOUR_END
    wide = Window(base, base + HOUR).widen(before_hours=max(params.lags_h + params.rolling_h))
    built = build_master(hourly_grid(spark, wide.start_sql, wide.end_sql), _inputs(frames, run_at), params)
    built = (built.where(built.hour == Window.sql(base))
             .withColumn("year", F.year("hour")).withColumn("month_partition", F.month("hour")))
    served = serving_frame(built, "hanoi", "Hanoi", "fv", "fs", "dv").collect()
    assert len(served) == 1
    return served[0].asDict()


# every source and the features it fills (each must be non-null in some compared serving row)
SOURCE_FEATURES = {
    "city": ("pm25_mean", "pm25_lag_1h"), "gradient": ("pm25_grad_n",), "weather": ("vis_km", "condition_code"),
    "era5": ("wind_u10", "pbl_height_m"), "s5p": ("s5p_no2_mean", "s5p_aer_ai_mean"), "maiac": ("aod_047_mean",),
    "trajectory": ("dominant_cluster", "traj_source_lat"),
    "weather_forecast": ("wxf_temp_c_6h", "wxf_pressure_mb_24h"),
}


def _mismatches(spark: Any, rows: dict[str, Any], params: FeatureParams) -> tuple[dict[dt.datetime, list[str]],
                                                                                  list[dict[str, Any]]]:
    frames = _frames(spark, rows)
    training = _training(spark, frames, params)
    mismatched, served_rows = {}, []
    for base in BASE_HOURS:
        served = _served(spark, frames, params, base)
        served_rows.append(served)
        bad = [n for n in FEATURE_NAMES if not _same(served[n], training[base][n])]
        if bad:
            mismatched[base] = bad
    return mismatched, served_rows


def test_serving_rows_of_the_live_schedule_equal_training_rows(spark: Any, tmp_path: Any) -> None:
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    params = FeatureParams.from_settings(settings)
    rows = _rows()
    without_history = {k: v for k, v in rows.items() if k != "weather_history"}

    mismatched, served = _mismatches(spark, without_history, params)
    assert mismatched == {}
    for source, names in SOURCE_FEATURES.items():
        for name in names:
            assert any(r[name] is not None for r in served), (source, name)
    # the proxy is 1..24 h old, ERA5 120..144 h (the configured worst cases are the fallbacks)
    assert {r["vis_km"] is not None for r in served} == {True}
    # the forecast for H + 6 h of the issue of H itself (issue H + 1 h had arrived by the serving run)
    assert [r["wxf_temp_c_6h"] for r in served] == pytest.approx(
        [20.0 + (b - T0) / HOUR / 10 + 0.06 for b in BASE_HOURS])

    # the weather history backs up the surface weather where ERA5 has nothing: drop ERA5, add it
    # (the forecasts, checked above, are left out of the two builds below: each costs a join per build)
    history_rows = {**{k: v for k, v in rows.items() if k not in ("era5", "weather_forecast")}, "era5": []}
    mismatched, served = _mismatches(spark, history_rows, params)
    assert mismatched == {}
    assert all(r["temperature_2m_c"] is not None and r["wind_u10"] is not None for r in served)

    # the former setting (weather proxy known 0 h after the hour) does not hold: training uses
    # WeatherAPI hours that the live adapter fetches only once their local day is over
    optimistic = replace(params, timing={**params.timing, "weather_proxy": SourceTiming(0.0, 0.0)})
    mismatched, _ = _mismatches(spark, {k: v for k, v in without_history.items() if k != "weather_forecast"},
                                optimistic)
    assert set(mismatched) == set(BASE_HOURS)
    assert all({"vis_km", "condition_code"} <= set(bad) for bad in mismatched.values())
