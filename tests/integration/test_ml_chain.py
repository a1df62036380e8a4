"""Train -> model runs -> promote / demote / rollback -> predict -> API, on an in-process catalog.

One isolated SQLite catalog and warehouse per module. The synthetic dataset is what the gold job
would write for a deterministic hourly series (daily cycle + slow swing + AR(1) and white noise,
90 days, source "simulated"): PM2.5 columns, lags, rolling windows and calendar features filled,
every other feature null, chronological 70/15/15 split with 24-hour gap rows.

The tests of the registry and prediction section run in file order and share the registry: each
starts from the state the previous one left (documented at each test).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ais.aqi import risk_level, vn_aqi, vn_aqi_category
from ais.catalog import ensure_tables, load_catalog
from ais.cli import JobError
from ais.config import Settings, load_settings
from ais.features.columns import FEATURE_NAMES, TARGETS, schema_hash
from ais.iceberg_io import merge_rows, read_rows, to_arrow
from ais.ml import boosters
from ais.ml.predict import predict
from ais.ml.registry import demote, promote, rollback
from ais.ml.train import TrainResult, train_models
from ais.tables import MODEL_REGISTRY, MODEL_RUNS, PREDICTIONS, SERVING_GOLD, TRAINING_GOLD
from tests.conftest import CONFIG_PATH, isolated_env

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAYS = 90
HANOI = dt.timedelta(hours=7)
RUSH_HOURS_LOCAL = {7, 8, 9, 17, 18, 19}
SEASON_BY_MONTH = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
                   6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}
SERVING_HOURS = 48
MakeSettings = Callable[..., Settings]
HORIZONS = (6, 12, 24)


# ---- synthetic data -------------------------------------------------------------------------

def pm25_series(hours: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    local_hour = (t + 7) % 24
    ar = np.zeros(hours)
    for i in range(1, hours):
        ar[i] = 0.85 * ar[i - 1] + rng.normal(0.0, 2.5)
    series = (45.0 + 18.0 * np.sin(2 * np.pi * (local_hour - 8) / 24)
              + 10.0 * np.sin(2 * np.pi * t / (24 * 20))
              + ar + rng.normal(0.0, 3.0, hours))
    return np.round(np.clip(series, 1.0, None), 3)


def feature_row(series: np.ndarray, i: int) -> dict[str, Any]:
    """The 67 features at hour i, as the gold job fills them for PM2.5-only data."""
    local = START + dt.timedelta(hours=i) + HANOI
    row: dict[str, Any] = dict.fromkeys(FEATURE_NAMES)

    def window(k: int) -> np.ndarray | None:
        return series[i - k + 1:i + 1] if i - k + 1 >= 0 else None

    row.update(pm25_mean=float(series[i]), pm25_median=float(series[i]) - 0.5, station_count=6,
               coverage_avg=95.0, hour_of_day=local.hour, day_of_week=local.weekday(), month=local.month,
               season=SEASON_BY_MONTH[local.month], is_weekend=local.weekday() >= 5,
               is_rush_hour=local.hour in RUSH_HOURS_LOCAL,
               hour_sin=float(np.sin(2 * np.pi * local.hour / 24)),
               hour_cos=float(np.cos(2 * np.pi * local.hour / 24)),
               dow_sin=float(np.sin(2 * np.pi * local.weekday() / 7)),
               dow_cos=float(np.cos(2 * np.pi * local.weekday() / 7)),
               month_sin=float(np.sin(2 * np.pi * (local.month - 1) / 12)),
               month_cos=float(np.cos(2 * np.pi * (local.month - 1) / 12)))
    for k in (1, 3, 6, 12, 24):
        row[f"pm25_lag_{k}h"] = float(series[i - k]) if i >= k else None
    for k in (3, 6, 24):
        w = window(k)
        row[f"pm25_roll_mean_{k}h"] = float(w.mean()) if w is not None else None
    w = window(24)
    row["pm25_roll_max_24h"] = float(w.max()) if w is not None else None
    row["pm25_roll_std_24h"] = float(w.std(ddof=1)) if w is not None else None
    return row


def split_of(i: int, hours: int) -> str:
    train_end = int(0.70 * hours)
    validation_start = train_end + 24
    validation_end = validation_start + int(0.15 * hours)
    test_start = validation_end + 24
    if i < train_end:
        return "train"
    if validation_start <= i < validation_end:
        return "validation"
    if i >= test_start:
        return "test"
    return "gap"


def training_rows(series: np.ndarray, dataset_version: str, feature_set_name: str) -> list[dict[str, Any]]:
    hours = len(series)
    written = START + dt.timedelta(days=DAYS + 1)
    rows = []
    for i in range(hours):
        hour = START + dt.timedelta(hours=i)
        row = feature_row(series, i)
        row.update({target: float(series[i + h]) if i + h < hours else None for h, target in TARGETS.items()})
        row.update(dataset_version=dataset_version, feature_set_name=feature_set_name, hour=hour,
                   split=split_of(i, hours), year=hour.year, month_partition=hour.month, source="simulated",
                   created_at=written)
        rows.append(row)
    return rows


def serving_row(settings: Settings, series: np.ndarray, i: int, hash_: str | None = None) -> dict[str, Any]:
    hour = START + dt.timedelta(hours=i)
    row = feature_row(series, i)
    row.update(base_hour=hour, location_id="hanoi", location_name="Hanoi",
               feature_version=settings.feature_version,
               feature_set_name=settings.feature_set_name, dataset_version=settings.dataset_version,
               schema_hash=hash_ or schema_hash(), year=hour.year, month_partition=hour.month,
               created_at=hour + dt.timedelta(minutes=5), spark_processed_at=hour + dt.timedelta(minutes=5))
    # the serving table's exact columns; the extra features (no weather forecast here) have no
    # companion row, which inference reads as missing
    return {k: v for k, v in row.items() if k in SERVING_GOLD.column_names}


# ---- the shared world -----------------------------------------------------------------------

@dataclass
class World:
    settings: Settings
    series: np.ndarray
    good: TrainResult  # the model to promote first
    twin: TrainResult  # trained again on the same data: same model, same version, another run
    worse: TrainResult  # two boosting rounds: lower skill than `good` on every horizon
    newest_index: int  # hour index of the newest serving row

    @property
    def catalog(self) -> Any:
        return load_catalog(self.settings)

    def snapshot(self, identifier: str) -> int | None:
        snap = self.catalog.load_table(identifier).current_snapshot()
        return snap.snapshot_id if snap else None

    def rows(self, identifier: str, **equals: Any) -> list[dict[str, Any]]:
        from ais.iceberg_io import equals as where

        return read_rows(self.catalog.load_table(identifier), where(**equals) if equals else None)

    def production(self) -> dict[int, str]:
        rows = self.rows(MODEL_REGISTRY.identifier, status="production")
        assert len(rows) == len({r["horizon_hour"] for r in rows}), "more than one production row per horizon"
        return {r["horizon_hour"]: r["model_version"] for r in rows}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path_factory.mktemp("ml_chain")))
    ensure_tables(settings)
    catalog = load_catalog(settings)
    # One day more than the dataset, for base hours that arrive after training.
    series = pm25_series(DAYS * 24 + 24)
    rows = training_rows(series[:DAYS * 24], settings.dataset_version, settings.feature_set_name)
    # Test setup writes the Spark dataset job's output directly (one append).
    catalog.load_table(TRAINING_GOLD.identifier).append(to_arrow(TRAINING_GOLD, rows))
    newest = DAYS * 24 - 1
    serving = [serving_row(settings, series, i) for i in range(newest - SERVING_HOURS + 1, newest + 1)]
    catalog.load_table(SERVING_GOLD.identifier).append(to_arrow(SERVING_GOLD, serving))
    good = train_models(settings, now=dt.datetime(2026, 4, 2, 1, tzinfo=dt.UTC))
    twin = train_models(settings, now=dt.datetime(2026, 4, 2, 2, tzinfo=dt.UTC))
    worse = train_models(settings, num_boost_round=2, now=dt.datetime(2026, 4, 2, 3, tzinfo=dt.UTC))
    return World(settings, series, good, twin, worse, newest)


T_PROMOTE = dt.datetime(2026, 4, 3, 8, tzinfo=dt.UTC)


# ---- training -------------------------------------------------------------------------------

def test_training_writes_one_run_row_per_horizon_with_finite_metrics(world: World) -> None:
    runs = world.rows(MODEL_RUNS.identifier, model_run_id=world.good.model_run_id)
    assert sorted(r["horizon_hour"] for r in runs) == list(HORIZONS)
    assert len({r["model_version"] for r in runs}) == len(HORIZONS)  # a version per horizon
    for run in runs:
        assert run["model_version"] == world.good.model_versions[run["horizon_hour"]]
        assert re.fullmatch(r"lightgbm-[0-9a-f]{16}", run["model_version"])
        assert run["status"] == "trained"
        assert run["data_source"] == "simulated"
        assert run["feature_schema_hash"] == schema_hash()
        assert (run["dataset_version"], run["feature_set_name"], run["feature_version"]) == (
            "hanoi_pm25_v1", "hanoi_pm25_core_v1", "hanoi_pm25_core_v1")
        for column in ("train_mae", "train_rmse", "validation_mae", "validation_rmse", "mae", "rmse", "mape",
                       "rmse_persistence", "skill_vs_persistence"):
            assert np.isfinite(run[column]), column
        # The synthetic series is forecastable: the model beats "PM2.5 stays as it is".
        assert run["skill_vs_persistence"] > 0
        assert run["rmse"] < run["rmse_persistence"]
        assert 0 < run["best_iteration"] <= boosters.DEFAULT_NUM_BOOST_ROUND
        assert json.loads(run["params_json"])["params"]["deterministic"] is True
        # Windows are chronological and separated by the gap rows.
        assert run["train_start"] == START
        assert run["train_end"] < run["validation_start"] <= run["validation_end"] < run["test_start"]
        assert run["test_start"] <= run["test_end"]
        hours = DAYS * 24
        assert run["test_rows"] == sum(1 for i in range(hours)
                                       if split_of(i, hours) == "test" and i + run["horizon_hour"] < hours)


def test_training_writes_the_artifacts_in_the_contract_layout(world: World) -> None:
    base = Path(world.settings.runtime("model_artifact_base_uri"))
    for h in HORIZONS:
        folder = base / "hanoi_pm25" / "hanoi_pm25_core_v1" / world.good.model_versions[h] / f"horizon={h}"
        assert (folder / "model.txt").read_text().startswith("tree")
        importance = (folder / "feature_importance.csv").read_text().splitlines()
        assert importance[0] == "feature,gain,split"
        assert [line.split(",")[0] for line in importance[1:]] == list(FEATURE_NAMES)
        meta = json.loads((folder / "model_meta.json").read_text())
        assert (meta["features"], meta["feature_schema_hash"], meta["horizon_hour"], meta["model_version"]) == (
            list(FEATURE_NAMES), schema_hash(), h, world.good.model_versions[h])
        run = world.rows(MODEL_RUNS.identifier, model_run_id=world.good.model_run_id, horizon_hour=h)[0]
        assert run["artifact_uri"] == (folder / "model.txt").as_uri()
        assert run["model_path"] == str(folder / "model.txt")
        assert meta["best_iteration"] == run["best_iteration"]


def test_training_is_deterministic(world: World) -> None:
    for good, twin in zip(world.good.horizons, world.twin.horizons, strict=True):
        assert good.test_metrics == twin.test_metrics
    # the version is a content address: same data and training, same version; runs stay distinct
    assert world.twin.model_versions == world.good.model_versions
    assert world.twin.model_run_id != world.good.model_run_id
    assert all(world.worse.model_versions[h] != world.good.model_versions[h] for h in HORIZONS)
    assert world.good.model_version == ";".join(f"{h}h={world.good.model_versions[h]}" for h in HORIZONS)


def test_reuse_identical_returns_the_newest_identical_run_and_writes_nothing(world: World) -> None:
    before = world.snapshot(MODEL_RUNS.identifier)
    again = train_models(world.settings, reuse_identical=True)
    assert (again.model_run_id, again.model_versions) == (world.twin.model_run_id, world.twin.model_versions)
    assert [h.artifact_uri for h in again.horizons] == [h.artifact_uri for h in world.twin.horizons]
    assert [h.test_metrics["mae"] for h in again.horizons] == [h.test_metrics["mae"] for h in world.twin.horizons]
    assert world.snapshot(MODEL_RUNS.identifier) == before


def test_the_worse_run_has_lower_skill_on_every_horizon(world: World) -> None:
    for good, worse in zip(world.good.horizons, world.worse.horizons, strict=True):
        assert worse.test_metrics["skill_vs_persistence"] < good.test_metrics["skill_vs_persistence"]


def test_training_never_touches_the_registry(world: World) -> None:
    assert world.snapshot(MODEL_REGISTRY.identifier) is None


# ---- registry and prediction (in order) -----------------------------------------------------

def test_predict_without_promotion_fails_naming_the_missing_horizons(world: World) -> None:
    with pytest.raises(JobError, match=r"no production model in the registry for horizons 6h, 12h, 24h"):
        predict(world.settings)


def test_promote_all_horizons_gives_one_production_row_each(world: World) -> None:
    for h in HORIZONS:
        out = promote(world.settings, world.good.model_run_id, "hanoi", h, "hanoi_pm25_core_v1",
                      promoted_by="alice", now=T_PROMOTE)
        assert (out["promotion_action"], out["old_status"], out["new_status"], out["rows_written"]) == (
            "promote", None, "production", 1)
    assert world.production() == world.good.model_versions
    row = world.rows(MODEL_REGISTRY.identifier, horizon_hour=6)[0]
    run = world.rows(MODEL_RUNS.identifier, model_run_id=world.good.model_run_id, horizon_hour=6)[0]
    assert (row["promoted_by"], row["promoted_at"], row["effective_from"], row["effective_to"]) == (
        "alice", T_PROMOTE, T_PROMOTE, None)
    assert (row["artifact_uri"], row["rmse"], row["feature_schema_hash"]) == (
        run["artifact_uri"], run["rmse"], run["feature_schema_hash"])
    assert row["training_dataset_version"] == "hanoi_pm25_v1"


def test_promote_again_is_a_noop_without_a_new_snapshot(world: World) -> None:
    before = world.snapshot(MODEL_REGISTRY.identifier)
    out = promote(world.settings, world.good.model_run_id, "hanoi", 6, "hanoi_pm25_core_v1",
                  promoted_by="bob")
    assert (out["promotion_action"], out["rows_written"]) == ("noop", 0)
    assert world.snapshot(MODEL_REGISTRY.identifier) == before


def test_dry_run_promotion_of_another_run_writes_nothing(world: World) -> None:
    before = world.snapshot(MODEL_REGISTRY.identifier)
    out = promote(world.settings, world.worse.model_run_id, "hanoi", 6, "hanoi_pm25_core_v1",
                  promoted_by="bob", dry_run=True, force=True, reason="dry-run check")
    assert (out["promotion_action"], out["dry_run"], out["rows_planned"], out["rows_written"]) == (
        "promote", True, 2, 0)
    assert out["previous_production_model_version"] == world.good.model_versions[6]
    assert world.snapshot(MODEL_REGISTRY.identifier) == before
    assert world.production()[6] == world.good.model_versions[6]


def test_promotion_needs_a_known_run_of_the_same_feature_version(world: World) -> None:
    with pytest.raises(JobError, match="has no horizon 6h"):
        promote(world.settings, "no-such-run", "hanoi", 6, "hanoi_pm25_core_v1", promoted_by="bob")
    with pytest.raises(JobError, match="feature_version 'hanoi_pm25_core_v1', not 'other_v2'"):
        promote(world.settings, world.twin.model_run_id, "hanoi", 6, "other_v2", promoted_by="bob")


def test_metric_gate_refuses_a_worse_run_and_force_with_reason_promotes_it(world: World) -> None:
    before = world.snapshot(MODEL_REGISTRY.identifier)
    with pytest.raises(JobError, match="metric gate"):
        promote(world.settings, world.worse.model_run_id, "hanoi", 6, "hanoi_pm25_core_v1", promoted_by="bob")
    with pytest.raises(JobError, match="--reason"):
        promote(world.settings, world.worse.model_run_id, "hanoi", 6, "hanoi_pm25_core_v1", promoted_by="bob",
                force=True)
    assert world.snapshot(MODEL_REGISTRY.identifier) == before
    out = promote(world.settings, world.worse.model_run_id, "hanoi", 6, "hanoi_pm25_core_v1",
                  promoted_by="bob", force=True, reason="drill", now=T_PROMOTE + dt.timedelta(hours=1))
    assert (out["promotion_action"], out["forced"], out["reason"]) == ("promote", True, "drill")
    assert world.production() == world.good.model_versions | {6: world.worse.model_versions[6]}
    old = world.rows(MODEL_REGISTRY.identifier, model_version=world.good.model_versions[6], horizon_hour=6)[0]
    assert (old["status"], old["effective_to"]) == ("archived", T_PROMOTE + dt.timedelta(hours=1))


def test_rollback_restores_the_previous_production_model(world: World) -> None:
    # State: 6h = worse (forced), good archived.
    out = rollback(world.settings, "hanoi", 6, "hanoi_pm25_core_v1", promoted_by="carol",
                   now=T_PROMOTE + dt.timedelta(hours=2))
    assert out["promotion_action"] == "rollback"
    assert (out["previous_production_model_version"], out["new_production_model_version"]) == (
        world.worse.model_versions[6], world.good.model_versions[6])
    assert world.production() == world.good.model_versions
    (restored,) = world.rows(MODEL_REGISTRY.identifier, model_version=world.good.model_versions[6],
                             horizon_hour=6)
    assert (restored["promoted_by"], restored["effective_from"], restored["effective_to"]) == (
        "carol", T_PROMOTE + dt.timedelta(hours=2), None)
    assert len(world.rows(MODEL_RUNS.identifier)) == 9  # run history untouched


def test_demote_then_rollback(world: World) -> None:
    before = world.snapshot(MODEL_REGISTRY.identifier)
    dry = demote(world.settings, "hanoi", 24, "hanoi_pm25_core_v1", promoted_by="dave", dry_run=True)
    assert (dry["promotion_action"], dry["rows_written"]) == ("demote", 0)
    assert world.snapshot(MODEL_REGISTRY.identifier) == before
    out = demote(world.settings, "hanoi", 24, "hanoi_pm25_core_v1", promoted_by="dave",
                 now=T_PROMOTE + dt.timedelta(hours=3))
    assert (out["promotion_action"], out["old_status"], out["new_status"]) == (
        "demote", "production", "archived")
    assert 24 not in world.production()
    with pytest.raises(JobError, match=r"horizons 24h"):
        predict(world.settings)
    rollback(world.settings, "hanoi", 24, "hanoi_pm25_core_v1", promoted_by="dave",
             now=T_PROMOTE + dt.timedelta(hours=4))
    assert world.production() == world.good.model_versions


def test_predict_writes_one_row_with_finite_values_and_correct_risk(world: World) -> None:
    row = predict(world.settings)
    newest = START + dt.timedelta(hours=world.newest_index)
    stored = world.rows(PREDICTIONS.identifier)
    assert len(stored) == 1
    got = stored[0]
    assert got["base_hour"] == newest
    assert got["model_version"] == world.good.model_version
    assert {h: got[f"model_version_{h}h"] for h in HORIZONS} == world.good.model_versions
    assert got["pm25_now"] == float(world.series[world.newest_index])
    for h in HORIZONS:
        value = got[f"pm25_{h}h"]
        assert np.isfinite(value) and 0 <= value < 200
        assert got[f"risk_{h}h"] == risk_level(value)
    assert (got["model_status"], got["feature_version"], got["feature_schema_hash"]) == (
        "production", "hanoi_pm25_core_v1", schema_hash())
    assert (got["year"], got["month_partition"]) == (newest.year, newest.month)
    assert got["dominant_cluster"] is None and got["source_lat"] is None  # no trajectory data: null, not 0
    assert {k: got[k] for k in PREDICTIONS.column_names if k not in ("created_at",)} == {
        k: row[k] for k in PREDICTIONS.column_names if k not in ("created_at",)}


def test_predict_again_writes_nothing(world: World) -> None:
    before = world.snapshot(PREDICTIONS.identifier)
    predict(world.settings)
    assert world.snapshot(PREDICTIONS.identifier) == before
    assert len(world.rows(PREDICTIONS.identifier)) == 1


def test_predict_dry_run_writes_nothing(world: World) -> None:
    before = world.snapshot(PREDICTIONS.identifier)
    older = START + dt.timedelta(hours=world.newest_index - 2)
    row = predict(world.settings, base_hour=older.strftime("%Y-%m-%dT%H:%M:%SZ"), dry_run=True)
    assert row["base_hour"] == older
    assert world.snapshot(PREDICTIONS.identifier) == before


def test_feature_age_is_measured_against_the_newest_serving_row(world: World) -> None:
    old = START + dt.timedelta(hours=world.newest_index - 4)
    with pytest.raises(JobError, match="240 minutes older than the newest serving row"):
        predict(world.settings, base_hour=old, dry_run=True)
    row = predict(world.settings, base_hour=old, dry_run=True, max_feature_age_minutes=240)
    assert row["base_hour"] == old


def test_schema_hash_mismatch_fails_naming_both_hashes(world: World) -> None:
    i = world.newest_index - 1
    merge_rows(world.catalog, SERVING_GOLD, [serving_row(world.settings, world.series, i, hash_="0" * 64)])
    before = world.snapshot(PREDICTIONS.identifier)
    expected = f"serving row schema_hash {'0' * 64} != feature definition schema_hash {schema_hash()}"
    with pytest.raises(JobError, match=expected):
        predict(world.settings, base_hour=START + dt.timedelta(hours=i))
    assert world.snapshot(PREDICTIONS.identifier) == before


def test_missing_serving_row_fails(world: World) -> None:
    with pytest.raises(JobError, match="no serving row for base_hour 2026-03-01T00:00:00Z"):
        predict(world.settings, base_hour="2026-03-01T00:00:00Z", max_feature_age_minutes=100_000)


def test_the_ais_command_line_maps_results_to_exit_codes(world: World, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from ais.cli import main

    for key in ("iceberg_catalog_uri", "iceberg_warehouse", "model_artifact_base_uri"):
        monkeypatch.setenv(key.upper(), world.settings.runtime(key))
    before = world.snapshot(PREDICTIONS.identifier)
    assert main(["--config", str(CONFIG_PATH), "predict", "--dry-run", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    newest = START + dt.timedelta(hours=world.newest_index)
    assert printed["base_hour"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert printed["model_version"] == world.good.model_version
    assert world.snapshot(PREDICTIONS.identifier) == before
    assert main(["--config", str(CONFIG_PATH), "promote", "--model-run-id", "nope", "--horizon-hour", "6",
                 "--promoted-by", "ops"]) == 1
    assert main(["--config", str(CONFIG_PATH), "promote", "--model-run-id", world.good.model_run_id,
                 "--horizon-hour", "6", "--promoted-by", "ops", "--dry-run", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["promotion_action"] == "noop"


# ---- the API --------------------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingCatalog:
    """The real catalog, recording which tables are loaded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.loaded: list[str] = []

    def load_table(self, identifier: str) -> Any:
        self.loaded.append(identifier)
        return self.inner.load_table(identifier)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def api_log() -> Iterator[list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append({"event": record.getMessage(), **getattr(record, "fields", {})})

    handler = Handler()
    logging.getLogger("ais.api").addHandler(handler)
    yield events
    logging.getLogger("ais.api").removeHandler(handler)


def test_api_returns_the_contract_body_equal_to_the_table_row(world: World,
                                                              api_log: list[dict[str, Any]]) -> None:
    from ais.api.app import FORECAST_PATH, create_app

    recording = RecordingCatalog(world.catalog)
    client = TestClient(create_app(world.settings, catalog_factory=lambda _: recording))
    response = client.get(FORECAST_PATH)
    assert response.status_code == 200
    (row,) = world.rows(PREDICTIONS.identifier)
    body = response.json()
    # issue 14 added the unit, the forecast's age and stale flag, and each forecast's VN_AQI details;
    # everything the contract had before is unchanged
    assert (body.pop("unit"), type(body.pop("age_minutes")), type(body.pop("stale"))) == ("µg/m³", int, bool)
    for h in HORIZONS:
        entry = body["forecast"][f"{h}h"]
        assert entry.pop("unit") == "µg/m³"
        assert entry.pop("aqi")["index"] == vn_aqi(row[f"pm25_{h}h"]).index
        # issue 15: the calibrated 80 % interval of the tuned models, from the companion table
        low, high = entry.pop("pm25_p10"), entry.pop("pm25_p90")
        assert 0 <= low <= row[f"pm25_{h}h"] <= high
    assert body == {
        "base_hour": row["base_hour"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "location": "hanoi",
        "pm25_now": row["pm25_now"],
        "forecast": {f"{h}h": {"pm25": row[f"pm25_{h}h"], "risk": row[f"risk_{h}h"],
                               "vn_aqi": vn_aqi_category(row[f"pm25_{h}h"])} for h in HORIZONS},
        "source_attribution": {"dominant_cluster": row["dominant_cluster"], "source_lat": row["source_lat"],
                               "source_lon": row["source_lon"], "path_no2_mean": row["path_no2_mean"],
                               "path_aer_mean": row["path_aer_mean"], "pm25_grad_mag": row["pm25_grad_mag"]},
        "model": {"model_version_6h": row["model_version_6h"], "model_version_12h": row["model_version_12h"],
                  "model_version_24h": row["model_version_24h"], "feature_version": row["feature_version"]},
        "created_at": row["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # the API reads only the prediction table and its interval companion
    assert set(recording.loaded) == {PREDICTIONS.identifier, "predictions.hanoi_pm25_forecast_interval_gold"}
    access = [e for e in api_log if e["event"] == "request"][-1]
    assert (access["path"], access["status_code"], access["error_code"]) == (FORECAST_PATH, 200, None)
    assert access["latency_ms"] >= 0
    # within the second, the cached bytes are sent without routing: same body, same headers, logged
    again = client.get(FORECAST_PATH)
    assert (again.status_code, again.content) == (200, response.content)
    assert again.headers["content-type"] == response.headers["content-type"] == "application/json"
    assert int(again.headers["content-length"]) == len(response.content)
    fast = [e for e in api_log if e["event"] == "request"]
    assert len(fast) == 2 and (fast[-1]["path"], fast[-1]["status_code"]) == (FORECAST_PATH, 200)
    assert len([e for e in api_log if e["event"] == "request" and e["path"] == FORECAST_PATH]) == 2


def test_api_is_404_on_an_empty_prediction_table(make_settings: MakeSettings) -> None:
    from ais.api.app import FORECAST_PATH, create_app

    settings = make_settings()
    ensure_tables(settings, specs=[PREDICTIONS])
    response = TestClient(create_app(settings)).get(FORECAST_PATH)
    assert response.status_code == 404
    assert response.json().items() >= {"error": "prediction_not_found", "location": "hanoi"}.items()


def test_healthz_and_readyz(world: World) -> None:
    from ais.api.app import create_app

    client = TestClient(create_app(world.settings))
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert ready.status_code == 200
    expected = {"status": "ready", "prediction_table": PREDICTIONS.identifier,
                "snapshot_id": world.snapshot(PREDICTIONS.identifier)}
    # an empty table has no snapshot; the body then leaves the key out
    assert ready.json() == {k: v for k, v in expected.items() if v is not None}


def test_readyz_is_503_when_the_catalog_file_is_unreachable(make_settings: MakeSettings,
                                                            tmp_path: Path) -> None:
    from ais.api.app import create_app

    blocker = tmp_path / "not_a_directory"
    blocker.write_text("a file where the catalog folder should be")
    settings = make_settings(ICEBERG_CATALOG_URI=f"jdbc:sqlite:{blocker}/iceberg_catalog.db")
    response = TestClient(create_app(settings)).get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["failed"]) == ("not_ready", "catalog")
    assert body["error"].startswith("ConfigError") and "does not exist" in body["error"]
    assert blocker.is_file()  # readiness created nothing


def test_readyz_is_503_when_the_catalog_has_no_prediction_table(make_settings: MakeSettings,
                                                                tmp_path: Path) -> None:
    from ais.api.app import create_app
    from ais.catalog import load_catalog

    settings = make_settings(ICEBERG_CATALOG_URI=f"jdbc:sqlite:{tmp_path}/empty/catalog.db")
    load_catalog(settings).create_namespace_if_not_exists("predictions")  # a catalog without the table
    response = TestClient(create_app(settings)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == "prediction_table"
    assert "NoSuchTableError" in response.json()["error"]


def test_api_cache_refreshes_only_when_the_snapshot_changes(world: World,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiceberg.table import Table

    from ais.api.app import FORECAST_PATH, create_app

    refreshes: list[int] = []
    original = Table.refresh

    def counting_refresh(self: Table) -> Table:
        refreshes.append(1)
        return original(self)

    monkeypatch.setattr(Table, "refresh", counting_refresh)
    clock = FakeClock()
    app = create_app(world.settings, clock=clock)
    store = app.forecast_store  # type: ignore[attr-defined]
    client = TestClient(app)
    first = client.get(FORECAST_PATH).json()
    newest = START + dt.timedelta(hours=world.newest_index)
    assert first["base_hour"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")

    # A later base hour arrives: serving row, then a prediction.
    later_index = world.newest_index + 1
    merge_rows(world.catalog, SERVING_GOLD, [serving_row(world.settings, world.series, later_index)])
    predict(world.settings)
    later = START + dt.timedelta(hours=later_index)

    # Within the same second the cached answer is served without touching the table.
    for _ in range(5):
        assert client.get(FORECAST_PATH).json() == first
    assert refreshes == []

    # A second later a request still gets the cached body at once and starts the check in the
    # background; once that check ended, requests get the new forecast.
    clock.now += 1.01
    assert client.get(FORECAST_PATH).json() == first
    assert store.refreshes.current.done.wait(30) and store.refreshes.current.error is None
    second = client.get(FORECAST_PATH).json()
    assert second["base_hour"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert second["created_at"] >= first["created_at"]
    assert len(refreshes) == 1

    # Nothing changed since: the next check looks up the catalog's metadata pointer only (no metadata
    # file read) and keeps the cached body.
    clock.now += 1.01
    assert client.get(FORECAST_PATH).json() == second
    assert store.refreshes.current.done.wait(30)
    assert client.get(FORECAST_PATH).json() == second
    assert len(refreshes) == 1
    assert len(world.rows(PREDICTIONS.identifier)) == 2


# ---- training failures (own catalog) --------------------------------------------------------

@pytest.fixture
def small_catalog(make_settings: MakeSettings) -> Settings:
    settings = make_settings()
    ensure_tables(settings, specs=[TRAINING_GOLD, MODEL_RUNS])
    return settings


def _write_dataset(settings: Settings, rows: list[dict[str, Any]]) -> None:
    load_catalog(settings).load_table(TRAINING_GOLD.identifier).append(to_arrow(TRAINING_GOLD, rows))


def test_training_fails_on_an_empty_split(small_catalog: Settings) -> None:
    rows = training_rows(pm25_series(20 * 24), small_catalog.dataset_version, small_catalog.feature_set_name)
    _write_dataset(small_catalog, [r for r in rows if r["split"] != "validation"])
    with pytest.raises(JobError, match=r"empty splits \['validation'\]"):
        train_models(small_catalog)
    assert load_catalog(small_catalog).load_table(MODEL_RUNS.identifier).current_snapshot() is None


def test_training_fails_with_fewer_than_50_training_rows(small_catalog: Settings) -> None:
    rows = training_rows(pm25_series(20 * 24), small_catalog.dataset_version, small_catalog.feature_set_name)
    train = [r for r in rows if r["split"] == "train"]
    for row in train[40:]:
        row["split"] = "gap"
    _write_dataset(small_catalog, rows)
    with pytest.raises(JobError, match=r"horizon 6h has 40 training rows with a known pm25_next_6h; "
                                       r"at least 50"):
        train_models(small_catalog)


def test_training_fails_when_the_dataset_version_has_no_rows(small_catalog: Settings) -> None:
    with pytest.raises(JobError, match="no rows for dataset_version='nope'"):
        train_models(small_catalog, dataset_version="nope")


def test_xgboost_without_the_package_is_a_clear_error(small_catalog: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "xgboost" else real_find_spec(name, *a))
    with pytest.raises(JobError, match="needs the Python package 'xgboost', which is not installed"):
        train_models(small_catalog, model_type="xgboost")


def test_xgboost_trains_promotes_and_predicts(make_settings: MakeSettings) -> None:
    """The optional back end end to end: artifacts as JSON, a model that beats persistence on the
    synthetic series, production rows for every horizon and a prediction from those models."""
    from ais.ml.tuning import Config, Fitted

    settings = make_settings()
    ensure_tables(settings)
    series = pm25_series(40 * 24 + 24, seed=11)
    _write_dataset(settings, training_rows(series[:40 * 24], settings.dataset_version, settings.feature_set_name))
    merge_rows(load_catalog(settings), SERVING_GOLD, [serving_row(settings, series, 40 * 24)])
    result = train_models(settings, model_type="xgboost")
    assert all(re.fullmatch(r"xgboost-[0-9a-f]{16}", v) for v in result.model_versions.values())
    assert result.model_versions == train_models(settings, model_type="xgboost").model_versions  # deterministic
    for horizon in result.horizons:
        assert horizon.model_path.endswith("model.json")
        assert horizon.test_metrics["skill_vs_persistence"] > 0
        loaded = boosters.load("xgboost", Path(horizon.model_path).read_bytes())
        # the tuned configuration (issue 15): its transform and profile columns are in model_meta.json
        tuned = json.loads((Path(horizon.model_path).parent / "model_meta.json").read_text())["tuning"]
        model = Fitted(Config.from_dict(tuned["chosen"]), loaded, tuned["profile"])
        assert loaded.feature_names() == model.config.feature_names()
        assert loaded.best_iteration == horizon.best_iteration
        rows = training_rows(series[:40 * 24], settings.dataset_version, settings.feature_set_name)
        test = [r for r in rows if r["split"] == "test" and r[TARGETS[horizon.horizon]] is not None]
        predicted = model.predict(test, horizon.horizon)
        actual = np.array([r[TARGETS[horizon.horizon]] for r in test])
        assert float(np.sqrt(np.mean((predicted - actual) ** 2))) == pytest.approx(horizon.test_metrics["rmse"])
        promote(settings, result.model_run_id, "hanoi", horizon.horizon, settings.feature_version,
                promoted_by="test")
    row = predict(settings)
    assert {h: row[f"model_version_{h}h"] for h in HORIZONS} == result.model_versions
    assert all(np.isfinite(row[f"pm25_{h}h"]) and row[f"pm25_{h}h"] >= 0 for h in HORIZONS)
