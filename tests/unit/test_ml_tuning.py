"""Per-horizon tuning (ais.ml.tuning) and the conformal intervals (ais.ml.intervals) on synthetic
series whose right answer is known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ais.features.columns import FEATURE_NAMES, TARGETS
from ais.ml import intervals, tuning

HORIZON = 6
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _frame(values: np.ndarray) -> pd.DataFrame:
    """Hourly rows with PM2.5 now, its 1 h lag, the calendar, and the 6 h target; other features missing."""
    hours = pd.date_range(START, periods=len(values), freq="h")
    local = hours + pd.Timedelta(hours=7)
    frame = pd.DataFrame({name: np.nan for name in FEATURE_NAMES}, index=range(len(values)))
    frame["season"] = None
    frame["hour"] = hours
    frame["pm25_mean"] = values
    frame["pm25_lag_1h"] = np.r_[np.nan, values[:-1]]
    frame["hour_of_day"] = local.hour.astype(float)
    frame["month"] = local.month.astype(float)
    frame[TARGETS[HORIZON]] = np.r_[values[HORIZON:], [np.nan] * HORIZON]
    return frame[frame[TARGETS[HORIZON]].notna()].reset_index(drop=True)


def _tune(frame: pd.DataFrame) -> tuning.Tuning:
    cutoff = frame["hour"].iloc[-1].to_pydatetime() + dt.timedelta(hours=HORIZON + 1)
    return tuning.tune(frame, HORIZON, cutoff, "lightgbm", folds=2, fold_months=1, validation_fraction=0.15,
                       num_boost_round=40, early_stopping_rounds=5)


def test_transforms_round_trip_and_clip_at_zero() -> None:
    target, now = np.array([0.0, 10.0, 250.0]), np.array([5.0, 12.0, 100.0])
    for name in tuning.TRANSFORMS:
        encoded = tuning.encode_target(name, target, now)
        assert tuning.decode_target(name, encoded, now) == pytest.approx(target)
    assert tuning.encode_target("change", target, now).tolist() == [-5.0, -2.0, 150.0]
    assert tuning.decode_target("change", np.array([-9.0]), np.array([5.0])).tolist() == [0.0]
    with pytest.raises(ValueError, match="unknown target transform"):
        tuning.Config("sqrt")


def test_a_drifting_random_walk_is_forecast_as_a_change() -> None:
    rng = np.random.default_rng(1)
    values = 40.0 + np.cumsum(0.15 + rng.normal(0.0, 1.0, 24 * 100))  # climbs past the training range
    chosen = _tune(_frame(values))
    assert chosen.config.transform == "change"
    rmse = {c["transform"]: c["validation_rmse"] for c in chosen.candidates if not c["param_overrides"]
            and not c["profile"]}
    assert rmse["change"] < rmse["level"]
    assert len(chosen.windows) == 2 and len(chosen.actual) == len(chosen.predicted) > 24 * 50


def test_noise_around_a_daily_cycle_stays_at_level() -> None:
    rng = np.random.default_rng(2)
    hours = np.arange(24 * 80)
    values = 60.0 + 25.0 * np.sin(2 * np.pi * ((hours + 7) % 24) / 24) + rng.normal(0.0, 12.0, len(hours))
    chosen = _tune(_frame(np.clip(values, 1.0, None)))
    assert chosen.config.transform == "level"
    # level with the default parameters is the first incumbent: nothing chosen is worse on validation
    first = chosen.candidates[0]
    assert (first["transform"], first["param_overrides"], first["profile"]) == ("level", {}, False)
    best = min(c["validation_rmse"] for c in chosen.candidates)
    assert best <= first["validation_rmse"]


def test_the_profile_is_the_mean_by_month_and_local_hour_looked_up_at_the_target_hour() -> None:
    frame = _frame(np.tile(np.arange(24, dtype=float), 40))  # value = UTC hour
    table = tuning.diurnal_profile(frame)
    # local hour 7 is UTC 0
    assert table[0][7] == 0.0 and table[0][6] == 23.0
    columns = tuning.profile_columns(frame.iloc[:2], HORIZON, table)
    # row 0: local hour 7, target local hour 13 = UTC 6
    assert columns[0].tolist() == [6.0, 6.0]
    assert columns[1].tolist() == [7.0, 6.0]


def test_config_from_missing_meta_is_level_with_default_parameters() -> None:
    assert tuning.Config.from_dict(None) == tuning.Config("level", (), False)
    config = tuning.Config.from_dict({"transform": "log1p", "param_overrides": {"num_leaves": 15}, "profile": True})
    assert config.params("lightgbm")["num_leaves"] == 15
    assert config.feature_names()[-2:] == list(tuning.PROFILE_FEATURES)
    assert tuning.Config.from_dict(config.to_dict()) == config


def test_conformal_interval_covers_eighty_percent_of_new_heteroscedastic_data() -> None:
    rng = np.random.default_rng(3)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        predicted = rng.uniform(10.0, 200.0, n)
        return predicted * np.exp(rng.normal(0.05, 0.35, n)), predicted

    interval = intervals.calibrate(*sample(3000))
    actual, predicted = sample(20000)
    low, high = intervals.bounds(predicted, interval)
    scores = intervals.interval_scores(actual, low, high)
    assert 0.78 <= scores["coverage_80"] <= 0.82
    # wider where the forecast is higher; never below zero
    assert (high - low)[predicted > 150].mean() > 3 * (high - low)[predicted < 50].mean()
    assert (low >= 0).all() and (low <= predicted * 1.05).all()
    assert interval["method"] == intervals.METHOD and interval["calibration_rows"] == 3000


def test_interval_scores_count_the_hours_inside() -> None:
    got = intervals.interval_scores([1.0, 5.0, 9.0, 20.0], [0.0, 6.0, 8.0, 10.0], [2.0, 7.0, 9.0, 30.0])
    assert got == {"coverage_80": 0.75, "mean_width_80": pytest.approx((2 + 1 + 1 + 20) / 4)}
    with pytest.raises(ValueError, match="too few"):
        intervals.calibrate([1.0] * 5, [1.0] * 5)
