"""Inference with tuned models (ais.ml.predict.serving_model): the transform and interval of
model_meta.json applied, a model without that file served as ``level``, and the interval rows
written to and read back from the companion table on a real SQLite catalog."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conftest import CONFIG_PATH, isolated_env

from ais import tables
from ais.catalog import ensure_tables, load_catalog
from ais.cli import JobError
from ais.config import load_settings
from ais.features.columns import FEATURE_NAMES
from ais.iceberg_io import merge_rows, read_rows
from ais.ml import boosters, intervals
from ais.ml.predict import PREDICTION_HORIZONS, _forecast, interval_row, serving_model

BASE = dt.datetime(2026, 5, 19, 9, tzinfo=dt.UTC)
INTERVAL = {"method": intervals.METHOD, "coverage": 0.8, "q_low": -0.4, "q_high": 0.3, "calibration_rows": 500}


def _booster(tmp_path: Path) -> tuple[dict[str, Any], boosters.FittedModel]:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(600, len(FEATURE_NAMES)))
    y = 3.0 * x[:, FEATURE_NAMES.index("pm25_lag_1h")] + rng.normal(0.0, 0.1, 600)
    model = boosters.fit("lightgbm", boosters.default_params("lightgbm"), x[:500], y[:500], x[500:], y[500:], 50, 10)
    folder = tmp_path / "horizon=6"
    folder.mkdir()
    (folder / "model.txt").write_bytes(model.to_bytes())
    row = {"model_version": "lightgbm-old", "model_type": "lightgbm", "artifact_uri": (folder / "model.txt").as_uri()}
    return row, boosters.load("lightgbm", model.to_bytes())


def _serving_row(pm25_mean: float | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FEATURE_NAMES)
    row |= {"pm25_mean": pm25_mean, "pm25_lag_1h": 2.0, "hour_of_day": 16, "month": 5}
    return row


def test_a_model_without_meta_serves_as_level_without_interval(tmp_path: Path) -> None:
    row, raw = _booster(tmp_path)
    model, interval = serving_model(row)
    assert (model.config.transform, model.config.profile, interval) == ("level", False, None)
    serving = _serving_row(40.0)
    expected = float(np.clip(raw.predict(np.array([[np.nan if serving[n] is None else serving[n]
                                                     for n in FEATURE_NAMES]], dtype=float))[0], 0.0, None))
    assert model.predict([serving], 6)[0] == pytest.approx(expected)
    # a meta file of the time before tuning (no "tuning" block) is the same
    (tmp_path / "horizon=6" / "model_meta.json").write_text(json.dumps({"model_version": "lightgbm-old"}))
    again, interval = serving_model(row)
    assert again.config.transform == "level" and interval is None


def test_the_meta_transform_and_interval_are_applied(tmp_path: Path) -> None:
    row, raw = _booster(tmp_path)
    meta = {"tuning": {"chosen": {"transform": "change", "param_overrides": {}, "profile": False},
                       "interval": INTERVAL, "profile": None}}
    (tmp_path / "horizon=6" / "model_meta.json").write_text(json.dumps(meta))
    model, interval = serving_model(row)
    assert interval == INTERVAL
    serving = _serving_row(40.0)
    base = raw.predict(np.array([[np.nan if serving[n] is None else serving[n] for n in FEATURE_NAMES]], dtype=float))
    assert model.predict([serving], 6)[0] == pytest.approx(max(base[0] + 40.0, 0.0))
    forecasts, bounds = _forecast(serving, dict.fromkeys(PREDICTION_HORIZONS, row))
    low, high = bounds[6]
    assert low == pytest.approx(np.expm1(np.log1p(forecasts[6]) - 0.4))
    assert high == pytest.approx(np.expm1(np.log1p(forecasts[6]) + 0.3))
    with pytest.raises(JobError, match="no pm25_mean"):
        _forecast(_serving_row(None), dict.fromkeys(PREDICTION_HORIZONS, row))


def test_an_unreadable_meta_file_names_the_model(tmp_path: Path) -> None:
    row, _ = _booster(tmp_path)
    (tmp_path / "horizon=6" / "model_meta.json").write_text("{not json")
    with pytest.raises(JobError, match=r"lightgbm-old: model_meta\.json is not JSON"):
        serving_model(row)


def _prediction() -> dict[str, Any]:
    return {"prediction_id": "p1", "base_hour": BASE, "location_id": "hanoi", "model_version": "m",
            "feature_version": "fv", "inference_run_id": "run", "created_at": BASE, "year": 2026,
            "month_partition": 5}


def test_interval_rows_are_written_and_read_back_keyed_like_the_prediction(tmp_path: Path) -> None:
    assert interval_row(_prediction(), {}) is None
    row = interval_row(_prediction(), {6: (10.0, 30.0), 24: (5.0, 60.0)})
    assert row is not None
    assert set(row) == set(tables.FORECAST_INTERVALS.column_names)
    assert (row["pm25_p10_12h"], row["pm25_p90_12h"]) == (None, None)
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    catalog = load_catalog(settings)
    spec = tables.FORECAST_INTERVALS
    ensure_tables(settings, catalog, [spec])
    assert merge_rows(catalog, spec, [row]).written == 1
    # a rerun (new run id and time only) commits nothing
    rerun = row | {"inference_run_id": "rerun", "created_at": BASE.replace(hour=10)}
    assert merge_rows(catalog, spec, [rerun]).written == 0
    (stored,) = read_rows(catalog.load_table(spec.identifier))
    assert (stored["prediction_id"], stored["pm25_p10_6h"], stored["pm25_p90_6h"], stored["pm25_p90_24h"]) == (
        "p1", 10.0, 30.0, 60.0)
    assert stored["pm25_p10_12h"] is None and stored["coverage"] == 0.8
    assert spec.merge_keys == tables.PREDICTIONS.merge_keys


def _stored_prediction() -> dict[str, Any]:
    row = _prediction() | {"model_version_6h": "a", "model_version_12h": "a", "model_version_24h": "a",
                           "pm25_now": 40.0}
    for h, value in ((6, 50.0), (12, 60.0), (24, 70.0)):
        row |= {f"pm25_{h}h": value, f"risk_{h}h": "medium"}
    return row


def test_the_api_body_carries_the_interval_and_is_unchanged_without_one() -> None:
    from ais.api.schemas import forecast_response

    plain = forecast_response(_stored_prediction()).model_dump_json(by_alias=True)
    assert "pm25_p10" not in plain and "pm25_p90" not in plain
    interval = interval_row(_prediction(), {6: (35.0, 70.0), 12: (40.0, 85.0), 24: (45.0, 99.0)})
    body = json.loads(forecast_response(_stored_prediction(), interval).model_dump_json(by_alias=True))
    assert (body["forecast"]["6h"]["pm25_p10"], body["forecast"]["6h"]["pm25_p90"]) == (35.0, 70.0)
    assert (body["forecast"]["24h"]["pm25_p10"], body["forecast"]["24h"]["pm25_p90"]) == (45.0, 99.0)
    # the rest of the body is the body without an interval
    for h in ("6h", "12h", "24h"):
        del body["forecast"][h]["pm25_p10"], body["forecast"][h]["pm25_p90"]
    assert body == json.loads(plain)
