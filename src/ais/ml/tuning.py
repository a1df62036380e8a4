"""Per-horizon model choice on rolling-origin validation before the cutoff (issue 15 item 4).

A configuration is a target transform, a few booster parameters that differ from
:func:`ais.ml.boosters.default_params`, and whether the diurnal/seasonal profile columns are added
to the 67 features:

- transforms: ``level`` (the PM2.5 at H + h itself, what the models did before), ``change`` (the
  change from the base hour's PM2.5, ``pm25_mean``), ``log1p`` (log(1 + PM2.5); predictions go back
  through expm1);
- profile: the mean PM2.5 of the training rows by (month, local hour), looked up at the target's local
  hour (``pm25_profile_target``) and as the expected change from the base hour
  (``pm25_profile_change``). The table is part of the model (model_meta.json), computed from the rows
  the model is fitted on.

Validation is rolling-origin: ``folds`` windows of ``fold_months`` months that end at the cutoff
(with 3 x 6 months: the year and a half before it). For each window a model is fitted on the rows
whose target lies before the window (early stopping on the last ``validation_fraction`` of them)
and scored on the window. Candidates are compared by the RMSE over all validation rows; the stages
are: transform (default parameters, no profile), then the parameter grid, then the profile. A
candidate replaces the incumbent only when better by more than ``MIN_GAIN``, and ``level`` with the
default parameters is the first incumbent, so the choice is never worse on validation than the
untuned model. The out-of-window predictions of the chosen configuration are what the 80 % interval
is calibrated on (:mod:`ais.ml.intervals`). Nothing after the cutoff is read.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ais.cli import JobError
from ais.features.columns import FEATURE_NAMES, TARGETS
from ais.jsonlog import get_logger
from ais.ml import boosters
from ais.ml.features import feature_array

log = get_logger("tuning")

NOW = "pm25_mean"  # the base hour's PM2.5: what ``change`` is relative to and persistence forecasts
TRANSFORMS: tuple[str, ...] = ("level", "change", "log1p")
# Small on purpose (2 cores; the backtest must stay minutes): shallower/more regularised and
# deeper/less regularised trees than the defaults.
PARAM_GRID: tuple[dict[str, Any], ...] = (
    {"num_leaves": 15, "min_data_in_leaf": 200},
    {"num_leaves": 63, "min_data_in_leaf": 50, "lambda_l2": 1.0},
)
XGB_PARAM_GRID: tuple[dict[str, Any], ...] = (
    {"max_depth": 4, "min_child_weight": 200},
    {"max_depth": 8, "min_child_weight": 50, "lambda": 1.0},
)
# Candidates are compared at a faster learning rate than the final fit (about a third of the
# boosting rounds each); the chosen configuration is then refitted with its own parameters.
SEARCH_RATE: dict[str, dict[str, Any]] = {"lightgbm": {"learning_rate": 0.1}, "xgboost": {"eta": 0.1}}
SEARCH_EARLY_STOPPING_ROUNDS = 20
# A candidate replaces the incumbent only when its validation RMSE is lower by more than this share:
# smaller differences are within the noise of three half-year windows, and following them cost
# test skill (a first run on 2019 took log1p at 6 h for a 0.1 % validation gain and lost 2 points).
MIN_GAIN = 0.005
PROFILE_FEATURES: tuple[str, ...] = ("pm25_profile_target", "pm25_profile_change")
LOCAL_HOURS = 24
MONTHS = 12
MIN_FOLD_TRAIN_ROWS = 10 * len(FEATURE_NAMES)


@dataclass(frozen=True)
class Config:
    """One candidate: target transform, parameter overrides, profile columns on or off."""

    transform: str = "level"
    overrides: tuple[tuple[str, Any], ...] = ()
    profile: bool = False

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ValueError(f"unknown target transform {self.transform!r}; expected one of {list(TRANSFORMS)}")

    def params(self, model_type: str) -> dict[str, Any]:
        return boosters.default_params(model_type) | dict(self.overrides)

    def feature_names(self) -> list[str]:
        return [*FEATURE_NAMES, *(PROFILE_FEATURES if self.profile else ())]

    def to_dict(self) -> dict[str, Any]:
        return {"transform": self.transform, "param_overrides": dict(self.overrides), "profile": self.profile}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Config:
        """The configuration a model_meta.json describes; no meta (a model trained before tuning) is
        ``level`` with the default parameters and no profile."""
        data = data or {}
        overrides = tuple(sorted(dict(data.get("param_overrides") or {}).items()))
        return cls(str(data.get("transform") or "level"), overrides, bool(data.get("profile", False)))


# ---- target transforms ----------------------------------------------------------------------------

def encode_target(transform: str, target: np.ndarray, now: np.ndarray) -> np.ndarray:
    """What the booster learns for PM2.5 ``target`` at H + h given PM2.5 ``now`` at H."""
    target = np.asarray(target, dtype=np.float64)
    if transform == "level":
        return target
    if transform == "change":
        return target - np.asarray(now, dtype=np.float64)
    if transform == "log1p":
        return np.log1p(np.clip(target, 0.0, None))
    raise ValueError(f"unknown target transform {transform!r}")


def decode_target(transform: str, value: np.ndarray, now: np.ndarray) -> np.ndarray:
    """PM2.5 (clipped at 0) from a booster output: the inverse of :func:`encode_target`."""
    value = np.asarray(value, dtype=np.float64)
    if transform == "level":
        out = value
    elif transform == "change":
        out = value + np.asarray(now, dtype=np.float64)
    elif transform == "log1p":
        out = np.expm1(value)
    else:
        raise ValueError(f"unknown target transform {transform!r}")
    return np.clip(out, 0.0, None)


# ---- the diurnal/seasonal profile -----------------------------------------------------------------

def diurnal_profile(frame: pd.DataFrame) -> list[list[float | None]]:
    """Mean ``pm25_mean`` by (month 1..12, local hour 0..23) of ``frame``; None where no row."""
    known = frame[frame[NOW].notna() & frame["month"].notna() & frame["hour_of_day"].notna()]
    means = known.groupby([known["month"].astype(int), known["hour_of_day"].astype(int)])[NOW].mean()
    table: list[list[float | None]] = [[None] * LOCAL_HOURS for _ in range(MONTHS)]
    for (month, hour), value in means.items():
        if 1 <= month <= MONTHS and 0 <= hour < LOCAL_HOURS:
            table[month - 1][hour] = float(value)
    return table


def profile_columns(frame: pd.DataFrame, horizon: int, table: Sequence[Sequence[float | None]]) -> np.ndarray:
    """(rows, 2): the profile at the target's local hour and its change from the base hour's (the
    target's month is taken as the base hour's: at most a day apart)."""
    grid = np.array([[math.nan if v is None else float(v) for v in row] for row in table], dtype=np.float64)
    month = pd.to_numeric(frame["month"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    hour = pd.to_numeric(frame["hour_of_day"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ok = np.isfinite(month) & np.isfinite(hour)
    target = np.full(len(frame), math.nan)
    base = np.full(len(frame), math.nan)
    m = month[ok].astype(int) - 1
    h = hour[ok].astype(int)
    target[ok] = grid[m, (h + horizon) % LOCAL_HOURS]
    base[ok] = grid[m, h]
    return np.column_stack([target, target - base])


def model_matrix(frame: pd.DataFrame | Sequence[Mapping[str, Any]], horizon: int, config: Config,
                 profile: Sequence[Sequence[float | None]] | None) -> np.ndarray:
    """The feature matrix of ``config``: the 67 features, then the profile columns if it uses them."""
    base = feature_array(frame)
    if not config.profile:
        return base
    if profile is None:
        raise ValueError("the configuration uses the profile columns but no profile table was given")
    rows = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame.from_records(list(frame))
    return np.ascontiguousarray(np.hstack([base, profile_columns(rows, horizon, profile)]))


def now_of(frame: pd.DataFrame | Sequence[Mapping[str, Any]]) -> np.ndarray:
    if isinstance(frame, pd.DataFrame):
        return pd.to_numeric(frame[NOW], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array([math.nan if r.get(NOW) is None else float(r[NOW]) for r in frame], dtype=np.float64)


# ---- fitting one configuration ----------------------------------------------------------------------

@dataclass
class Fitted:
    """A booster and what its predictions need: the configuration and the profile table."""

    config: Config
    model: boosters.FittedModel
    profile: list[list[float | None]] | None

    def predict(self, rows: pd.DataFrame | Sequence[Mapping[str, Any]], horizon: int) -> np.ndarray:
        raw = self.model.predict(model_matrix(rows, horizon, self.config, self.profile))
        return decode_target(self.config.transform, raw, now_of(rows))


def fit_config(model_type: str, config: Config, fit_rows: pd.DataFrame, stop_rows: pd.DataFrame, horizon: int, *,
               num_boost_round: int = boosters.DEFAULT_NUM_BOOST_ROUND,
               early_stopping_rounds: int = boosters.DEFAULT_EARLY_STOPPING_ROUNDS,
               search: bool = False) -> Fitted:
    """Fit ``config`` on ``fit_rows``, stopping early on ``stop_rows`` (both need the target and,
    for ``change``, the base hour's PM2.5)."""
    target = TARGETS[horizon]
    profile = diurnal_profile(fit_rows) if config.profile else None

    def xy(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        y = encode_target(config.transform, rows[target].to_numpy(np.float64, na_value=np.nan), now_of(rows))
        return model_matrix(rows, horizon, config, profile), y

    x_fit, y_fit = xy(fit_rows)
    x_stop, y_stop = xy(stop_rows)
    fit_ok, stop_ok = np.isfinite(y_fit), np.isfinite(y_stop)  # ``change`` needs the base hour's PM2.5
    if not fit_ok.any() or not stop_ok.any():
        raise JobError(f"horizon {horizon}h: no row with a usable {config.transform} target to fit or stop on")
    x_fit, y_fit, x_stop, y_stop = x_fit[fit_ok], y_fit[fit_ok], x_stop[stop_ok], y_stop[stop_ok]
    params = config.params(model_type) | (SEARCH_RATE[model_type] if search else {})
    model = boosters.fit(model_type, params, x_fit, y_fit, x_stop, y_stop, num_boost_round, early_stopping_rounds,
                         feature_names=config.feature_names())
    return Fitted(config, model, profile)


# ---- rolling-origin validation --------------------------------------------------------------------

def _months_before(when: pd.Timestamp, months: int) -> pd.Timestamp:
    return when - pd.DateOffset(months=months)


def split_stop(rows: pd.DataFrame, horizon: int, validation_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fit, early-stopping) parts: the last ``validation_fraction`` of the span stops the training,
    ``horizon`` hours apart from the fitted rows so no fitted target lies in it."""
    first, last = rows["hour"].iloc[0], rows["hour"].iloc[-1]
    boundary = (first + (last - first) * (1.0 - validation_fraction)).floor("h")
    return (rows[rows["hour"] < boundary - pd.Timedelta(hours=horizon)], rows[rows["hour"] >= boundary])


def rolling_windows(known: pd.DataFrame, horizon: int, cutoff: dt.datetime, folds: int,
                    fold_months: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The validation windows [start, end) ending at ``cutoff``, oldest first, keeping those with
    enough training rows before them."""
    end = pd.Timestamp(cutoff)
    windows = []
    for k in range(folds, 0, -1):
        start = _months_before(end, k * fold_months)
        stop = _months_before(end, (k - 1) * fold_months)
        before = known[known["hour"] + pd.Timedelta(hours=horizon) < start]
        inside = known[(known["hour"] >= start) & (known["hour"] < stop)]
        if len(before) >= MIN_FOLD_TRAIN_ROWS and not inside.empty:
            windows.append((start, stop))
    return windows


@dataclass
class Tuning:
    """The chosen configuration, every candidate's validation RMSE, and the chosen configuration's
    out-of-window (actual, predicted) pairs."""

    config: Config
    candidates: list[dict[str, Any]]
    windows: list[tuple[str, str]]
    actual: np.ndarray = field(repr=False)
    predicted: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.config.to_dict(), "validation_windows": [list(w) for w in self.windows],
                "validation_rows": len(self.actual), "candidates": self.candidates}


def _grid(model_type: str) -> tuple[dict[str, Any], ...]:
    return PARAM_GRID if model_type == "lightgbm" else XGB_PARAM_GRID


def tune(known: pd.DataFrame, horizon: int, cutoff: dt.datetime, model_type: str, *, folds: int, fold_months: int,
         validation_fraction: float, transforms: Sequence[str] = TRANSFORMS,
         num_boost_round: int = boosters.DEFAULT_NUM_BOOST_ROUND,
         early_stopping_rounds: int = boosters.DEFAULT_EARLY_STOPPING_ROUNDS,
         fallback: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Tuning:
    """Choose the configuration of one horizon on ``known`` (rows sorted by hour with the target
    known, every target before ``cutoff``; rows without the base hour's PM2.5 are left out). When
    the span is too short for one rolling window (a few weeks of data), the (fit, validation) rows
    of ``fallback``, else the last ``validation_fraction`` of the span, are the one window: the
    validation rows then also stop the training early."""
    target = TARGETS[horizon]
    known = known[known[NOW].notna()]
    windows = rolling_windows(known, horizon, cutoff, folds, fold_months)
    parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []
    for start, stop in windows:
        before = known[known["hour"] + pd.Timedelta(hours=horizon) < start]
        fit_rows, stop_rows = split_stop(before, horizon, validation_fraction)
        parts.append((fit_rows, stop_rows, known[(known["hour"] >= start) & (known["hour"] < stop)]))
    if not parts:
        fit_rows, stop_rows = ((fallback[0][fallback[0][NOW].notna()], fallback[1][fallback[1][NOW].notna()])
                               if fallback is not None else split_stop(known, horizon, validation_fraction))
        if fit_rows.empty or stop_rows.empty:
            raise JobError(f"horizon {horizon}h: {len(known)} rows before the cutoff are too few to validate on")
        parts = [(fit_rows, stop_rows, stop_rows)]
        windows = [(stop_rows["hour"].iloc[0], stop_rows["hour"].iloc[-1] + pd.Timedelta(hours=1))]
    actual = np.concatenate([p[2][target].to_numpy(np.float64) for p in parts])
    scored: dict[Config, tuple[float, np.ndarray]] = {}
    candidates: list[dict[str, Any]] = []

    def score(config: Config) -> float:
        if config not in scored:
            predicted = np.concatenate([
                fit_config(model_type, config, f, s, horizon, num_boost_round=num_boost_round,
                           early_stopping_rounds=min(early_stopping_rounds, SEARCH_EARLY_STOPPING_ROUNDS),
                           search=True).predict(v, horizon) for f, s, v in parts])
            rmse = float(np.sqrt(np.mean((actual - predicted) ** 2)))
            scored[config] = (rmse, predicted)
            candidates.append(config.to_dict() | {"validation_rmse": rmse})
            log.info("tuning_candidate", horizon=horizon, **config.to_dict(), validation_rmse=rmse,
                     windows=len(parts))
        return scored[config][0]

    def better(candidate: Config, incumbent: Config) -> bool:
        return score(candidate) < score(incumbent) * (1.0 - MIN_GAIN)

    best = Config()
    for transform in transforms:  # stage 1: the transform
        if better(Config(transform), best):
            best = Config(transform)
    for overrides in _grid(model_type):  # stage 2: the parameters
        candidate = Config(best.transform, tuple(sorted(overrides.items())), best.profile)
        if better(candidate, best):
            best = candidate
    with_profile = Config(best.transform, best.overrides, True)  # stage 3: the profile columns
    if better(with_profile, best):
        best = with_profile
    # The interval is calibrated on the windows' residuals of the chosen configuration fitted as it
    # is served (its own learning rate), not at the search rate: those models are better, and an
    # interval from the search models' residuals would be too wide.
    predicted = np.concatenate([
        fit_config(model_type, best, f, s, horizon, num_boost_round=num_boost_round,
                   early_stopping_rounds=early_stopping_rounds).predict(v, horizon) for f, s, v in parts])
    return Tuning(best, candidates, [(str(a.isoformat()), str(b.isoformat())) for a, b in windows], actual,
                  predicted)
