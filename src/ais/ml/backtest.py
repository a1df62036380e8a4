"""``ais ml backtest``: the PM2.5 models against persistence and a seasonal-naive forecast on real data.

The real AirNow DOS files go through the normal path in a workspace of their own:

    ais-ingest openaq --mode replay -> landing -> bronze -> openaq silver -> master gold

then, per horizon h (6, 12, 24), with the training code of :mod:`ais.ml.train` (the same feature
matrix, booster parameters and early stopping):

- training rows: base hours whose target hour H + h lies before the cutoff (the end of
  ``--train-end``), so no test-period observation reaches the model; the last
  ``backtest.validation_fraction`` of that span is the validation part (early stopping), separated
  from the training part by a gap of h hours;
- test rows: base hours in [``--test-start``, end of ``--test-end``) with the observation at H + h,
  at H (persistence) and at the seasonal-naive hour all known. The three forecasts are scored on the
  SAME rows (:func:`ais.ml.metrics.forecast_scores`).

Baselines: persistence forecasts PM2.5(H); seasonal naive forecasts the value one season earlier
than the target, PM2.5(H + h - m * ceil(h / m)) with m = ``backtest.seasonal_period_h`` (24: the
same hour of the previous day; for h = 24 this is the persistence forecast).
Nothing here is tuned on the test window: the test rows are only scored.

Weather forecasts (``--weather-forecast``). No archive of past WeatherAPI forecasts exists for the
replayed years, so the headline rows have the wxf_* columns (ais.features.forecast) null: the
models learn and are scored without forecasts (``none``, the default). ``perfect-prognosis``
(needs ``--weather-dir``) trains and scores a second time with the wxf_* columns of every row
filled from the observed Visual Crossing weather at the target time
(:func:`ais.features.forecast.perfect_prognosis`: the hourly record when there is one, else the
daily record of the target's local day, its precipitation / 24). That is an upper bound, what a
perfect forecast would add, and is reported under ``perfect_prognosis``, never as ``horizons``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ais.cli import JobError
from ais.config import ConfigError, Settings, load_settings
from ais.features.columns import FEATURE_NAMES, TARGETS, WXF_COLUMNS
from ais.jsonlog import get_logger
from ais.ml import boosters
from ais.ml.metrics import forecast_scores
from ais.progress import Steps
from ais.progress import steps as progress_steps

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = get_logger("backtest")

SERIES = "pm25_mean"  # ais.features.pm25.PM25_SERIES: what persistence and the targets are made of
HOUR = dt.timedelta(hours=1)
WEATHER_FORECAST_MODES = ("none", "perfect-prognosis")
PERFECT_PROGNOSIS_LABEL = "upper bound: observed weather used as the forecast"
# Runtime keys that give the backtest a catalog, warehouse, landing and state of its own.
WORKSPACE_KEYS: dict[str, str] = {
    "ICEBERG_CATALOG_URI": "jdbc:sqlite:{root}/iceberg_catalog.db", "ICEBERG_WAREHOUSE": "{root}/warehouse",
    "MODEL_ARTIFACT_BASE_URI": "{root}/models", "LANDING_DIR": "{root}/landing",
    "CHECKPOINT_BASE": "{root}/checkpoints", "INGEST_STATE_DIR": "{root}/ingest-state",
}


@dataclass(frozen=True)
class BacktestWindow:
    """Training data ends at ``cutoff`` (exclusive, target hours included); the test base hours are
    [test_start, test_end)."""

    cutoff: dt.datetime
    test_start: dt.datetime
    test_end: dt.datetime
    train_start: dt.datetime | None = None

    @classmethod
    def from_dates(cls, train_end: str, test_start: str, test_end: str | None = None,
                   train_start: str | None = None) -> BacktestWindow:
        def day(text: str, flag: str) -> dt.datetime:
            try:
                return dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
            except ValueError as exc:
                raise ConfigError(f"{flag} must be YYYY-MM-DD, got {text!r}") from exc

        cutoff = day(train_end, "--train-end") + dt.timedelta(days=1)
        start = day(test_start, "--test-start")
        end = (day(test_end, "--test-end") if test_end else start.replace(month=12, day=31)) + dt.timedelta(days=1)
        first = day(train_start, "--train-start") if train_start else None
        if start < cutoff:
            raise ConfigError(f"--test-start {test_start} must be after --train-end {train_end}")
        if end <= start:
            raise ConfigError(f"--test-end {test_end} is before --test-start {test_start}")
        if first is not None and first >= cutoff:
            raise ConfigError(f"--train-start {train_start} must be before --train-end {train_end}")
        return cls(cutoff, start, end, first)


def workspace_settings(settings: Settings, root: Path) -> Settings:
    """``settings`` with every storage location moved under ``root``."""
    overrides = {k: v.format(root=root) for k, v in WORKSPACE_KEYS.items()}
    return load_settings(settings.path, environ={**os.environ, **overrides})


# ---- the normal path: replay, bronze, silver, master gold ----------------------------------------

GOLD_TARGET = "hanoi-master-features-gold"


def gold_jobs(with_weather: bool = False) -> list[str]:
    """The Spark jobs the replayed OpenAQ source (and, ``with_weather``, the replayed weather
    history) reach on the way to master gold."""
    from ais import chain

    return chain.reachable(["bus:openaq", *(["bus:weather-vc"] if with_weather else [])], GOLD_TARGET)


def build_gold(settings: Settings, spark: SparkSession, pm25_dir: Path, window: BacktestWindow,
               run: Steps | None = None, weather_dir: Path | None = None) -> dict[str, Any]:
    """Replay every AirNow file under ``pm25_dir`` for the hours the backtest needs, then the Spark
    jobs the replayed source reaches on the way to master gold, in the order the job registry
    declares (ais.chain.reachable: bronze, the OpenAQ silver, the spatial gradient, master gold),
    each a step of ``run``. Returns each step's summary."""
    from ais.catalog import ensure_tables
    from ais.ingest_runner import run_ingest
    from ais.spark.jobs.common import JobContext
    from ais.spark.jobs.registry import JOBS, invoke, takes_window

    if not pm25_dir.is_dir():
        raise JobError(f"--pm25-dir {pm25_dir} is not a folder")
    if not any(pm25_dir.rglob("*.csv")):
        raise JobError(f"--pm25-dir {pm25_dir} holds no CSV file")
    # The replay reads every file; the window keeps what the training and the test need, with the
    # look-back of lags and rolling windows and the look-ahead of the longest target.
    start = window.train_start - dt.timedelta(days=2) if window.train_start else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    end = window.test_end + dt.timedelta(days=2)
    step = run or Steps("backtest", None, show=False, animate=False)
    steps: dict[str, Any] = {"ensure_tables": step("ensure_tables", ensure_tables, settings)}
    span = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    steps["ingest"] = step(f"ingest openaq (replay {pm25_dir}) {span}", run_ingest, settings, "openaq", "replay",
                           start, end, replay_dir=pm25_dir)
    if steps["ingest"].get("events_written", 0) == 0:
        raise JobError(f"the replay of {pm25_dir} wrote no event between {start} and {end}")
    if weather_dir is not None:
        steps["ingest_weather"] = replay_weather_history(settings, weather_dir, start, end, step)
    hours = ["--start-date", start.strftime("%Y-%m-%dT%H:00:00Z"), "--end-date", end.strftime("%Y-%m-%dT%H:00:00Z")]
    for name in gold_jobs(weather_dir is not None):
        ctx = JobContext("backtest_" + name.replace("-", "_"), settings, spark)
        windowed = takes_window(JOBS[name])
        steps[name] = step(f"{name} {span}" if windowed else name, invoke, name, ctx, hours if windowed else [])
    return steps


def replay_weather_history(settings: Settings, weather_dir: Path, start: dt.datetime, end: dt.datetime,
                           step: Steps) -> dict[str, Any]:
    """``ais-ingest weather-vc --mode replay`` of the Visual Crossing exports under ``weather_dir``
    (daily records, and hourly ones where recorded) for [start, end): the weather history master
    gold joins as of each record's available_at (ais.features.master)."""
    from ais.ingest_runner import run_ingest

    if not weather_dir.is_dir() or not any(weather_dir.rglob("*.csv")):
        raise JobError(f"--weather-dir {weather_dir} is not a folder of Visual Crossing CSV exports")
    summary: dict[str, Any] = step(f"ingest weather-vc (replay {weather_dir}) {start:%Y-%m-%d}..{end:%Y-%m-%d}",
                                   run_ingest, settings, "weather-vc", "replay", start, end, replay_dir=weather_dir)
    if summary.get("events_written", 0) == 0:
        raise JobError(f"the replay of {weather_dir} wrote no weather record between {start} and {end}")
    return summary


def read_weather_history(settings: Settings) -> pd.DataFrame:
    """The replayed Visual Crossing silver (weather.visualcrossing_hanoi_silver), every row (PyIceberg)."""
    from ais import tables
    from ais.catalog import load_catalog

    table = load_catalog(settings, create=False).load_table(tables.WEATHER_VC_SILVER.identifier)
    return table.scan().to_arrow().to_pandas()


def check_weather_forecast(mode: str, weather_dir: Path | None) -> None:
    """``--weather-forecast``: one of WEATHER_FORECAST_MODES; perfect-prognosis needs the weather."""
    if mode not in WEATHER_FORECAST_MODES:
        raise ConfigError(f"--weather-forecast must be one of {', '.join(WEATHER_FORECAST_MODES)}, got {mode!r}")
    if mode == "perfect-prognosis" and weather_dir is None:
        raise ConfigError("--weather-forecast perfect-prognosis fills the forecasts with the observed weather: "
                          "it needs --weather-dir (the Visual Crossing exports)")


def perfect_prognosis_frame(frame: pd.DataFrame, history: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """``frame`` with its wxf_* columns filled from the observed weather (the upper bound), and, per
    lead, the share of the rows with PM2.5 whose temperature column was filled."""
    from ais.features.columns import WXF_LEADS_H, wxf_column
    from ais.features.forecast import perfect_prognosis

    if history.empty:
        raise JobError("--weather-forecast perfect-prognosis: the replayed weather history is empty")
    filled = perfect_prognosis(frame, history)
    observed = filled[filled[SERIES].notna()]
    share = {str(h): round(float(observed[wxf_column("temp_c", h)].notna().mean()), 4) if len(observed) else 0.0
             for h in WXF_LEADS_H}
    return filled, share


def read_master(settings: Settings) -> pd.DataFrame:
    """Master gold, every hour, sorted (PyIceberg)."""
    from ais import tables
    from ais.catalog import load_catalog

    frame = load_catalog(settings, create=False).load_table(tables.MASTER_GOLD.identifier).scan().to_arrow().to_pandas()
    frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    return frame.sort_values("hour", kind="stable").reset_index(drop=True)


# ---- pure: splits, baselines and scores -----------------------------------------------------------

def seasonal_offset_hours(horizon: int, period: int) -> int:
    """How far after the base hour the seasonal-naive value lies: h - m * ceil(h / m) (<= 0)."""
    return horizon - period * math.ceil(horizon / period)


def series_at(frame: pd.DataFrame, hours: pd.Series, offset_hours: int) -> np.ndarray:
    """PM2.5 of the hours ``hours + offset`` (NaN where the grid has no value)."""
    series = frame.set_index("hour")[SERIES]
    shifted = pd.DatetimeIndex(hours) + pd.Timedelta(hours=offset_hours)
    return series.reindex(shifted).to_numpy(dtype=np.float64, na_value=np.nan)


def known_rows(frame: pd.DataFrame, horizon: int, window: BacktestWindow) -> pd.DataFrame:
    """The rows a model of ``horizon`` may learn from: target known and before the cutoff, PM2.5 now known."""
    target = TARGETS[horizon]
    known = frame[frame[target].notna() & frame[SERIES].notna()
                  & (frame["hour"] + pd.Timedelta(hours=horizon) < window.cutoff)]
    if window.train_start is not None:
        known = known[known["hour"] >= window.train_start]
    return known


def training_parts(frame: pd.DataFrame, horizon: int, window: BacktestWindow,
                   validation_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, validation) rows of one horizon: target known and before the cutoff, PM2.5 now known."""
    known = known_rows(frame, horizon, window)
    if known.empty:
        raise JobError(f"horizon {horizon}h: no training row before {window.cutoff:%Y-%m-%d}")
    first, last = known["hour"].iloc[0], known["hour"].iloc[-1]
    boundary = (first + (last - first) * (1.0 - validation_fraction)).floor("h")
    train = known[known["hour"] < boundary - pd.Timedelta(hours=horizon)]
    validation = known[known["hour"] >= boundary]
    if len(train) < 10 * len(FEATURE_NAMES) or validation.empty:
        raise JobError(f"horizon {horizon}h: {len(train)} training and {len(validation)} validation rows "
                       "before the cutoff are too few")
    return train, validation


def test_rows(frame: pd.DataFrame, horizon: int, window: BacktestWindow, period: int) -> pd.DataFrame:
    """Test base hours with the observation, persistence and seasonal-naive value all known;
    adds the columns ``persistence`` and ``seasonal_naive``."""
    target = TARGETS[horizon]
    rows = frame[(frame["hour"] >= window.test_start) & (frame["hour"] < window.test_end)].copy()
    rows["persistence"] = rows[SERIES].to_numpy(dtype=np.float64, na_value=np.nan)
    rows["seasonal_naive"] = series_at(frame, rows["hour"], seasonal_offset_hours(horizon, period))
    rows = rows[rows[target].notna() & rows["persistence"].notna() & rows["seasonal_naive"].notna()]
    if rows.empty:
        raise JobError(f"horizon {horizon}h: no scorable test row in [{window.test_start:%Y-%m-%d}, "
                       f"{window.test_end:%Y-%m-%d})")
    return rows


def evaluate(frame: pd.DataFrame, window: BacktestWindow, horizons: list[int], model_type: str,
             validation_fraction: float, period: int, run: Steps | None = None, *,
             folds: tuple[int, int] = (3, 6), scored_rows: dict[int, pd.DataFrame] | None = None,
             label: str = "") -> dict[str, Any]:
    """Tune, train and score one model per horizon on the rows before the cutoff, and score the
    baselines, each horizon a step of ``run``. ``folds``: (windows, months per window) of the
    rolling-origin validation (:mod:`ais.ml.tuning`). ``scored_rows`` receives each horizon's test
    rows with the forecasts (what the report plots). ``label`` is added to each step's name."""
    boosters.require_model_type(model_type)
    out: dict[str, Any] = {}
    step = run or Steps("backtest", None, show=False, animate=False)
    for horizon in horizons:
        rows = step(f"tune, train and score {model_type} {horizon} h{label}", _evaluate_tuned, frame, window, horizon,
                    model_type, validation_fraction, period, folds, out)
        if scored_rows is not None:
            scored_rows[horizon] = rows
    return out


def _evaluate_tuned(frame: pd.DataFrame, window: BacktestWindow, horizon: int, model_type: str,
                    validation_fraction: float, period: int, folds: tuple[int, int],
                    out: dict[str, Any]) -> pd.DataFrame:
    """One horizon of :func:`evaluate`: the configuration chosen on rolling-origin validation before
    the cutoff, refitted on every row before it (early stopping on the last ``validation_fraction``),
    its 80 % interval calibrated on the validation windows; scores into ``out[str(horizon)]``, the
    scored test rows (with ``forecast``, ``p10``, ``p90``) returned."""
    from ais.ml import intervals, tuning

    target = TARGETS[horizon]
    train, validation = training_parts(frame, horizon, window, validation_fraction)
    chosen = tuning.tune(known_rows(frame, horizon, window), horizon, window.cutoff, model_type, folds=folds[0],
                         fold_months=folds[1], validation_fraction=validation_fraction)
    fitted = tuning.fit_config(model_type, chosen.config, train, validation, horizon)
    interval = intervals.calibrate(chosen.actual, chosen.predicted)
    test = test_rows(frame, horizon, window, period)
    actual = test[target].to_numpy(np.float64)
    persistence = test["persistence"].to_numpy(np.float64)
    predicted = fitted.predict(test, horizon)
    low, high = intervals.bounds(predicted, interval)
    out[str(horizon)] = {
        "model": forecast_scores(actual, predicted, persistence) | intervals.interval_scores(actual, low, high),
        "persistence": forecast_scores(actual, persistence, persistence),
        "seasonal_naive": forecast_scores(actual, test["seasonal_naive"].to_numpy(np.float64), persistence),
        "training": {"train_rows": len(train), "validation_rows": len(validation),
                     "train_first_hour": train["hour"].iloc[0].isoformat(),
                     "validation_last_hour": validation["hour"].iloc[-1].isoformat(),
                     "best_iteration": fitted.model.best_iteration},
        "tuning": chosen.to_dict() | {"interval": interval},
    }
    log.info("backtest_horizon", horizon=horizon, model_rmse=out[str(horizon)]["model"]["rmse"],
             skill_vs_persistence=out[str(horizon)]["model"]["skill_vs_persistence"],
             coverage_80=out[str(horizon)]["model"]["coverage_80"], transform=chosen.config.transform,
             test_rows=len(test), status="success")
    columns = ["hour", "season", target, "persistence", "seasonal_naive", "forecast", "p10", "p90"]
    return test.assign(forecast=predicted, p10=low, p90=high)[columns].rename(columns={target: "actual"})


def _code_state(settings: Settings) -> dict[str, Any]:
    """The commit the backtest ran on and whether the feature code differed from it."""
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", *args], cwd=settings.project_root, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "src/ais/spark/jobs/gold.py", "src/ais/features")
    return {"commit": git("rev-parse", "HEAD"), "feature_code_modified": bool(changed) if changed is not None else None}


def run_backtest(settings: Settings, pm25_dir: Path, window: BacktestWindow, *, work_dir: Path | None = None,
                 spark: SparkSession | None = None, model_type: str | None = None,
                 weather_dir: Path | None = None, weather_forecast: str = "none",
                 report_dir: Path | None = None) -> dict[str, Any]:
    """The whole backtest. With ``work_dir`` the storage moves to that (emptied) folder; without it
    ``settings`` must already point at a storage of its own (tests). With ``report_dir`` the JSON,
    the plots and the summary of :mod:`ais.ml.report` are written there. ``weather_forecast``
    ``perfect-prognosis`` adds the upper bound of the module docstring under ``perfect_prognosis``."""
    check_weather_forecast(weather_forecast, weather_dir)
    perfect = weather_forecast == "perfect-prognosis"
    if work_dir is not None:
        if work_dir.exists():
            shutil.rmtree(work_dir)
        work_dir.mkdir(parents=True)
        settings = workspace_settings(settings, work_dir)
    if spark is None:
        from ais.spark.session import get_spark

        spark = get_spark(settings, app_name="ais-backtest")
    model_type = model_type or settings.runtime("model_type")
    validation_fraction = settings.get_float("backtest.validation_fraction")
    period = settings.get_int("backtest.seasonal_period_h")
    if not 0.0 < validation_fraction < 1.0 or period <= 0:
        raise ConfigError("backtest.validation_fraction must be in (0, 1) and backtest.seasonal_period_h > 0")
    # tables, replay(s), jobs, read, horizons
    total = (2 + (weather_dir is not None) + len(gold_jobs(weather_dir is not None)) + 1
             + len(settings.horizons) * (2 if perfect else 1) + perfect)
    with progress_steps("ml backtest", total) as run:
        steps = build_gold(settings, spark, pm25_dir, window, run, weather_dir)
        frame = run("read master gold", read_master, settings)
        scored: dict[int, pd.DataFrame] = {}
        horizons = evaluate(frame, window, list(settings.horizons), model_type, validation_fraction, period, run,
                            folds=tuning_folds(settings), scored_rows=scored)
        upper: dict[str, Any] | None = None
        if perfect:
            filled, share = run("fill the forecasts with the observed weather (perfect prognosis)",
                                perfect_prognosis_frame, frame, read_weather_history(settings))
            upper = {"label": PERFECT_PROGNOSIS_LABEL, "filled_share": share,
                     "horizons": evaluate(filled, window, list(settings.horizons), model_type, validation_fraction,
                                          period, run, folds=tuning_folds(settings), label=" (perfect prognosis)")}
    result = {
        "pm25_dir": str(pm25_dir), "model_type": model_type,
        "train_start": window.train_start.isoformat() if window.train_start else None,
        "cutoff": window.cutoff.isoformat(), "test_start": window.test_start.isoformat(),
        "test_end_exclusive": window.test_end.isoformat(), "seasonal_period_h": period,
        "validation_fraction": validation_fraction, "code": _code_state(settings),
        "replay": {k: steps["ingest"].get(k) for k in ("events_written", "events_rejected", "status")},
        "master_gold_rows": len(frame), "horizons": horizons,
        # the headline's forecast features: null without an archive of issued forecasts
        "weather_forecast": weather_forecast,
        "weather_forecast_rows": int(frame[list(WXF_COLUMNS)].notna().any(axis=1).sum()),
        "weather_dir": str(weather_dir) if weather_dir is not None else None,
        "weather_replay": ({k: steps["ingest_weather"].get(k) for k in ("events_written", "events_rejected", "status")}
                           if weather_dir is not None else None),
    }
    if upper is not None:
        result["perfect_prognosis"] = upper
    if report_dir is not None:
        from ais.ml.report import write_report

        write_report(result, scored, report_dir)
    return result


def tuning_folds(settings: Settings) -> tuple[int, int]:
    """(windows, months per window) of the rolling-origin validation (config ``tuning``)."""
    folds, months = settings.get_int("tuning.folds"), settings.get_int("tuning.fold_months")
    if folds < 1 or months < 1:
        raise ConfigError("tuning.folds and tuning.fold_months must be >= 1")
    return folds, months
