"""The weather-forecast features (ais.features.forecast, issue 15 item 3): the as-of selection of an
issue on hand-built silver rows (Spark, the session's), and the backtest's perfect-prognosis fill
from observed weather (pandas)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ais import tables
from ais.features.columns import WXF_COLUMNS
from ais.features.forecast import forecast_features, forecast_timed, observed_weather_at, perfect_prognosis
from ais.spark.schema import spark_schema

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 1, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


def _h(i: int) -> dt.datetime:
    return T0 + i * HOUR


def _forecast(issue: int, valid: int, temp: float, available: int | None = None) -> dict[str, Any]:
    """A silver row issued at hour ``issue`` for hour ``valid`` (available_at = issue unless given)."""
    return {"location_id": "Ha_Noi", "issue_time": _h(issue), "valid_time": _h(valid), "lead_hours": valid - issue,
            "temp_c": temp, "humidity": 70.0 + issue, "wind_kph": 5.0 + valid, "precip_mm": 0.1 * issue,
            "pressure_mb": 1010.0 + issue, "available_at": None if available is None else _h(available),
            "source": "simulated"}


@pytest.mark.spark
def test_newest_issue_known_at_the_base_hour_gives_the_forecast_of_base_plus_h(spark: Any) -> None:
    spec = tables.WEATHER_FORECAST_SILVER
    columns = [c for c in spec.column_names if c not in ("updated_at", "job_run_id", "created_at")]
    rows = [
        _forecast(0, 16, 20.0), _forecast(5, 16, 21.0),   # base 10, lead 6: issue 5 is the newest known
        _forecast(11, 16, 99.0),                          # issued after base 10: not used there
        _forecast(10, 22, 22.0), _forecast(3, 22, 23.0),  # base 10, lead 12: issue 10 (exactly at H) wins
        _forecast(2, 34, 24.0, available=12),             # base 10, lead 24: known only at 12 -> null
        _forecast(0, 17, 25.0),                           # base 11, lead 6: issue 0, 11 h old
        _forecast(11, 35, 26.0),                          # base 11, lead 24: issued at H, valid exactly H + 24
        _forecast(11, 36, 27.0),                          # valid H + 25: no lead of 25 h
    ]
    schema = spark_schema(spec, tuple(spec.column(n) for n in columns))
    silver = spark.createDataFrame([tuple(r.get(n) for n in columns) for r in rows], schema)
    hours = spark.createDataFrame([(_h(10),), (_h(11),), (_h(40),)], "hour timestamp")
    got = {r["hour"].replace(tzinfo=UTC): r.asDict()
           for r in forecast_features(hours, forecast_timed(silver, 0.0), max_age_h=24.0).collect()}
    assert sorted(got) == [_h(10), _h(11), _h(40)]
    assert list(got[_h(10)]) == ["hour", *WXF_COLUMNS]
    b10, b11 = got[_h(10)], got[_h(11)]
    assert b10["wxf_temp_c_6h"] == 21.0 and b10["wxf_humidity_6h"] == 75.0 and b10["wxf_pressure_mb_6h"] == 1015.0
    assert b10["wxf_wind_kph_6h"] == 21.0 and b10["wxf_precip_mm_6h"] == pytest.approx(0.5)
    assert b10["wxf_temp_c_12h"] == 22.0
    assert b10["wxf_temp_c_24h"] is None and b10["wxf_humidity_24h"] is None  # not yet available at H
    assert b11["wxf_temp_c_6h"] == 25.0  # issue 0, 11 h old
    assert b11["wxf_temp_c_24h"] == 26.0 and b11["wxf_temp_c_12h"] is None
    assert all(got[_h(40)][c] is None for c in WXF_COLUMNS)  # no issue at all: null, nothing filled
    # an issue older than max_age_h is not used: base 11's lead-6 hour (17) has only issue 0
    aged = {r["hour"].replace(tzinfo=UTC): r["wxf_temp_c_6h"]
            for r in forecast_features(hours, forecast_timed(silver, 0.0), max_age_h=10.0).collect()}
    assert aged[_h(11)] is None and aged[_h(10)] == 21.0
    # without available_at the configured latency decides: 2 h after issue, issue 10 is not known at 10
    late = {r["hour"].replace(tzinfo=UTC): r.asDict()
            for r in forecast_features(hours, forecast_timed(silver, 2.0), max_age_h=24.0).collect()}
    assert late[_h(10)]["wxf_temp_c_12h"] == 23.0 and late[_h(10)]["wxf_temp_c_6h"] == 21.0


def _history() -> pd.DataFrame:
    """Visual Crossing silver rows: the local day 2026-03-01 (UTC 02-28 17:00 .. 03-01 17:00) and
    two hourly records of it."""
    day_start = pd.Timestamp("2026-02-28 17:00", tz="UTC")
    day = {"resolution": "day", "period_start": day_start, "period_end": day_start + pd.Timedelta(days=1),
           "temp_c": 18.0, "humidity": 80.0, "windspeed_kph": 12.0, "precip_mm": 4.8,
           "sealevelpressure_hpa": 1015.0}
    hours = [{"resolution": "hour", "period_start": pd.Timestamp(t, tz="UTC"),
              "period_end": pd.Timestamp(t, tz="UTC") + pd.Timedelta(hours=1), "temp_c": temp, "humidity": 60.0,
              "windspeed_kph": 3.0, "precip_mm": 0.5, "sealevelpressure_hpa": 1012.0}
             for t, temp in (("2026-03-01 06:00", 25.0), ("2026-03-01 12:00", 22.0))]
    return pd.DataFrame([day, *hours])


def test_observed_weather_takes_the_hour_record_else_the_local_day() -> None:
    times = pd.DatetimeIndex(["2026-03-01 06:00", "2026-03-01 07:00", "2026-02-28 17:00", "2026-03-01 17:00"],
                             tz="UTC")
    got = observed_weather_at(_history(), times)
    assert list(got.columns) == ["temp_c", "humidity", "wind_kph", "precip_mm", "pressure_mb"]
    assert got.iloc[0].tolist() == [25.0, 60.0, 3.0, 0.5, 1012.0]  # the hourly record
    assert got.iloc[1].tolist() == [18.0, 80.0, 12.0, pytest.approx(0.2), 1015.0]  # the day, precip / 24
    assert got.iloc[2]["temp_c"] == 18.0  # the first hour of the local day
    assert np.isnan(got.iloc[3].to_numpy()).all()  # the next local day: no record


def test_perfect_prognosis_fills_every_wxf_column_at_the_target_hour() -> None:
    frame = pd.DataFrame({"hour": pd.DatetimeIndex(["2026-03-01 00:00", "2026-03-01 06:00"], tz="UTC"),
                          "pm25_mean": [40.0, 41.0], **{c: [math.nan, math.nan] for c in WXF_COLUMNS}})
    filled = perfect_prognosis(frame, _history())
    assert filled.loc[0, "wxf_temp_c_6h"] == 25.0 and filled.loc[0, "wxf_temp_c_12h"] == 22.0  # hourly records
    assert filled.loc[0, "wxf_wind_kph_24h"] == pytest.approx(math.nan, nan_ok=True)  # 03-02 00:00: no record
    assert filled.loc[1, "wxf_temp_c_6h"] == 22.0 and filled.loc[1, "wxf_pressure_mb_6h"] == 1012.0
    assert filled.loc[1, "wxf_temp_c_12h"] == pytest.approx(math.nan, nan_ok=True)  # 18:00 is the next day
    assert filled.loc[0, "wxf_precip_mm_6h"] == 0.5
    assert frame[list(WXF_COLUMNS)].isna().all().all()  # the input frame is not changed
    assert filled["pm25_mean"].tolist() == [40.0, 41.0]
