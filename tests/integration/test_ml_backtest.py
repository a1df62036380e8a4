"""``ais ml backtest`` on a small slice of the real AirNow files: the JSON structure, and baseline
scores equal to an independent pandas computation from the silver city-hourly table."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ais import tables
from ais.catalog import load_catalog
from ais.config import Settings
from ais.ml import report
from ais.ml.backtest import BacktestWindow, run_backtest
from ais.ml.tuning import TRANSFORMS
from tests.conftest import SHARED_DATA

AIRNOW = SHARED_DATA / "airnow-hanoi-pm25"
pytestmark = [pytest.mark.spark, pytest.mark.native]
METRICS = ["mae", "r2", "rmse", "rows", "skill_vs_persistence", "vn_aqi_accuracy"]
INTERVAL_METRICS = ["coverage_80", "mean_width_80"]


def _vn_class(values: np.ndarray) -> np.ndarray:
    # VN_AQI PM2.5 classes, upper bounds inclusive: 25, 50, 80, 150, 250, above
    return np.searchsorted(np.array([25.0, 50.0, 80.0, 150.0, 250.0]), values, side="left")


def _expected(series: pd.Series, start: str, end: str, horizon: int, lag_sn: int) -> dict[str, dict[str, float]]:
    base = series.loc[start:end]  # type: ignore[misc]
    future = series.shift(-horizon).loc[base.index]
    seasonal = series.shift(lag_sn).loc[base.index]
    ok = base.notna() & future.notna() & seasonal.notna()
    y, persistence, sn = future[ok].to_numpy(), base[ok].to_numpy(), seasonal[ok].to_numpy()
    rmse_p = math.sqrt(((y - persistence) ** 2).mean())
    out = {}
    for name, f in (("persistence", persistence), ("seasonal_naive", sn)):
        rmse = math.sqrt(((y - f) ** 2).mean())
        out[name] = {"rows": int(ok.sum()), "rmse": rmse, "mae": float(np.abs(y - f).mean()),
                     "r2": 1 - float(((y - f) ** 2).sum()) / float(((y - y.mean()) ** 2).sum()),
                     "skill_vs_persistence": 1 - rmse / rmse_p,
                     "vn_aqi_accuracy": float((_vn_class(y) == _vn_class(f)).mean())}
    return out


def test_backtest_on_a_slice_of_the_real_files(spark: Any, spark_settings: Callable[..., Settings],
                                               tmp_path: Path) -> None:
    if not AIRNOW.is_dir():
        pytest.skip(f"{AIRNOW} is absent: the real AirNow files live in ../shared/data (see SOURCES.md)")
    settings = spark_settings()
    window = BacktestWindow.from_dates("2017-02-28", "2017-03-01", "2017-03-10", train_start="2017-01-01")
    result = run_backtest(settings, AIRNOW, window, spark=spark, report_dir=tmp_path / "report")

    assert sorted(result["horizons"]) == ["12", "24", "6"]
    assert result["replay"]["events_rejected"] == 0 and result["replay"]["events_written"] > 1500
    # no archive of issued forecasts: the headline's wxf_* features are null, and no upper bound was asked for
    assert result["weather_forecast"] == "none" and result["weather_forecast_rows"] == 0
    assert "perfect_prognosis" not in result
    city = load_catalog(settings, create=False).load_table(tables.OPENAQ_CITY_HOURLY.identifier).scan().to_pandas()
    series = city.set_index(pd.to_datetime(city["hour"], utc=True))["pm25_mean"].sort_index().asfreq("h")
    for horizon in (6, 12, 24):
        got = result["horizons"][str(horizon)]
        assert sorted(got) == ["model", "persistence", "seasonal_naive", "training", "tuning"]
        assert sorted(got["model"]) == sorted(METRICS + INTERVAL_METRICS)
        for name in ("persistence", "seasonal_naive"):
            assert sorted(got[name]) == METRICS
        # two months of data hold no 6-month rolling window: the last 15 % before the cutoff validates
        tuned = got["tuning"]
        assert tuned["chosen"]["transform"] in TRANSFORMS
        assert len(tuned["validation_windows"]) == 1 and tuned["validation_windows"][0][1] <= "2017-03-01"
        assert tuned["candidates"][0]["transform"] == "level"
        assert min(c["validation_rmse"] for c in tuned["candidates"]) <= tuned["candidates"][0]["validation_rmse"]
        assert tuned["interval"]["q_low"] < 0 < tuned["interval"]["q_high"]
        assert 0.0 < got["model"]["coverage_80"] <= 1.0 and got["model"]["mean_width_80"] > 0
        # the same rows for all three forecasts
        assert got["model"]["rows"] == got["persistence"]["rows"] == got["seasonal_naive"]["rows"]
        assert got["persistence"]["skill_vs_persistence"] == 0.0
        assert got["training"]["validation_last_hour"] < "2017-03-01"
        lag_sn = 24 - horizon  # the same hour of the day before the target
        expected = _expected(series, "2017-03-01 00:00", "2017-03-10 23:00", horizon, lag_sn)
        for name, values in expected.items():
            for key, value in values.items():
                assert got[name][key] == pytest.approx(value, rel=1e-9, abs=1e-12), (horizon, name, key)
        assert math.isfinite(got["model"]["rmse"]) and got["model"]["rmse"] > 0
    # for 24 h the seasonal-naive forecast is the value at the base hour: persistence
    assert result["horizons"]["24"]["seasonal_naive"] == result["horizons"]["24"]["persistence"]
    # the report: the same JSON, the plots, the summary
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == sorted(report.FILES)
    assert json.loads((tmp_path / "report" / "backtest.json").read_text()) == json.loads(json.dumps(result))
    assert (tmp_path / "report" / "error_by_season.png").read_bytes()[:4] == b"\x89PNG"
    assert "| 6 h |" in (tmp_path / "report" / "summary.md").read_text()
