"""The PM2.5 feature transforms against an independent pure-Python computation."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from typing import Any

import pytest

from ais.features import pm25

pytestmark = pytest.mark.spark

START = dt.datetime(2026, 3, 1, 0, tzinfo=dt.UTC)  # a Sunday 07:00 in Hanoi


def _series() -> dict[dt.datetime, float | None]:
    values: dict[dt.datetime, float | None] = {}
    for i in range(80):
        v: float | None = 30 + 10 * math.sin(i / 5) + (i % 7)
        if i in (10, 11, 12, 40) or 50 <= i < 60:  # holes, one long enough to empty a 6-h window
            v = None
        values[START + dt.timedelta(hours=i)] = v
    return values


def _expected(values: dict[dt.datetime, float | None], hour: dt.datetime) -> dict[str, Any]:
    def at(k: int) -> float | None:
        return values.get(hour - dt.timedelta(hours=k))

    def window(n: int) -> list[float]:
        return [v for k in range(n) if (v := at(k)) is not None]

    out: dict[str, Any] = {f"pm25_lag_{k}h": at(k) for k in (1, 3, 6, 12, 24)}
    for n in (3, 6, 24):
        w = window(n)
        out[f"pm25_roll_mean_{n}h"] = statistics.fmean(w) if w else None
    w24 = window(24)
    out["pm25_roll_max_24h"] = max(w24) if w24 else None
    out["pm25_roll_std_24h"] = statistics.stdev(w24) if len(w24) >= 2 else None
    for h in (6, 12, 24):
        out[f"pm25_next_{h}h"] = values.get(hour + dt.timedelta(hours=h))
    local = hour + dt.timedelta(hours=7)
    dow = local.weekday()
    out |= {"hour_of_day": local.hour, "day_of_week": dow, "month": local.month,
            "is_weekend": dow >= 5, "is_rush_hour": dow < 5 and local.hour in (7, 8, 9, 17, 18, 19),
            "season": "spring", "hour_sin": math.sin(2 * math.pi * local.hour / 24),
            "dow_cos": math.cos(2 * math.pi * dow / 7), "month_sin": math.sin(2 * math.pi * (local.month - 1) / 12)}
    return out


def test_lags_rolling_targets_and_calendar_match_reference(spark: Any) -> None:
    from pyspark.sql import types as T

    values = _series()
    schema = T.StructType([T.StructField("hour", T.TimestampType()), T.StructField("pm25_mean", T.DoubleType())])
    df = spark.createDataFrame([(h, v) for h, v in values.items()], schema)
    df = pm25.add_pm25_history_features(df, [1, 3, 6, 12, 24], [3, 6, 24])
    df = pm25.add_targets(df, [6, 12, 24])
    df = pm25.add_calendar_features(df, 7, [7, 8, 9, 17, 18, 19])
    rows = {r["hour"].replace(tzinfo=dt.UTC): r.asDict() for r in df.collect()}
    assert len(rows) == 80
    checked = 0
    for hour, row in rows.items():
        for name, want in _expected(values, hour).items():
            got = row[name]
            if want is None:
                assert got is None, (hour, name, got)
            elif isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (hour, name)
            else:
                assert got == want, (hour, name)
            checked += 1
    assert checked == 80 * 22
    # the long hole empties the 6-h mean but a lag reaching over it still finds its hour
    hole_end = START + dt.timedelta(hours=59)
    assert rows[hole_end]["pm25_roll_mean_6h"] is None
    assert rows[hole_end]["pm25_lag_12h"] == values[START + dt.timedelta(hours=47)]


def test_hourly_grid_is_continuous_and_half_open(spark: Any) -> None:
    hours = [r.hour for r in pm25.hourly_grid(spark, "2026-03-01 00:00:00", "2026-03-02 00:00:00").collect()]
    assert len(hours) == 24 and hours[0].hour == 0 and hours[-1].hour == 23


def test_python_workers_run_the_project_environment(spark: Any) -> None:
    import sys

    prefixes = spark.sparkContext.parallelize([0, 1], 2).map(lambda _: __import__("sys").prefix).collect()
    assert prefixes == [sys.prefix, sys.prefix]
