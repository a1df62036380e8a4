"""The master gold on the real AirNow series: lags, rolling statistics and targets recomputed here
with pandas from the city-hourly silver agree with the gold table at every hour of 2017, and the
calendar columns are Hanoi local time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ais import tables
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.gold import run_master_gold
from tests.contracts.conftest import AirNowSilver

pytestmark = [pytest.mark.spark, pytest.mark.native]


def _expected(series: pd.Series) -> pd.DataFrame:
    """pandas, on the continuous hourly grid: lag k = the value k hours earlier; rolling n = the
    n hours ending at H, missing hours skipped; std with n - 1 and at least two values."""
    out = {f"pm25_lag_{k}h": series.shift(k) for k in (1, 3, 6, 12, 24)}
    for n in (3, 6, 24):
        out[f"pm25_roll_mean_{n}h"] = series.rolling(n, min_periods=1).mean()
    out["pm25_roll_max_24h"] = series.rolling(24, min_periods=1).max()
    out["pm25_roll_std_24h"] = series.rolling(24, min_periods=2).std(ddof=1)
    for h in (6, 12, 24):
        out[f"pm25_next_{h}h"] = series.shift(-h)
    return pd.DataFrame(out)


def test_gold_lags_and_rolling_match_pandas_on_airnow(spark: Any, airnow_silver: AirNowSilver) -> None:
    settings = airnow_silver.settings
    done = run_master_gold(JobContext("master", settings, spark), Window.parse("2017-01-01", "2017-12-31"))
    assert done["output_count"] == 8760

    city = spark.table(tables.OPENAQ_CITY_HOURLY.qualified(settings.catalog_name)).select("hour", "pm25_mean")
    silver = city.toPandas()
    series = silver.set_index(pd.to_datetime(silver["hour"], utc=True))["pm25_mean"].sort_index()
    series = series.asfreq("h")  # holes become NaN: the continuous grid
    want = _expected(series).loc["2017-01-01":"2017-12-31"]  # type: ignore[misc]

    names = list(want.columns)
    gold = spark.table(tables.MASTER_GOLD.qualified(settings.catalog_name)).select(
        "hour", "pm25_mean", "hour_of_day", "day_of_week", *names).toPandas()
    gold = gold.set_index(pd.to_datetime(gold["hour"], utc=True)).sort_index()
    assert len(gold) == 8760 and (gold.index == want.index).all()
    assert gold["pm25_mean"].isna().sum() == series.loc["2017"].isna().sum() > 0  # real holes stay null

    for name in names:
        got, exp = gold[name].astype(float).to_numpy(), want[name].to_numpy()
        assert (np.isnan(got) == np.isnan(exp)).all(), name
        assert np.allclose(got[~np.isnan(got)], exp[~np.isnan(exp)], rtol=1e-9, atol=1e-9), name
        assert (~np.isnan(got)).sum() > 7000, name  # the check covers most of the year

    local = gold.index.tz_convert("Asia/Ho_Chi_Minh")  # UTC+7, no DST
    assert (gold["hour_of_day"].to_numpy() == local.hour).all()
    assert (gold["day_of_week"].to_numpy() == local.dayofweek).all()
