"""`airflow dags test ais_pm25_k8s_compute` end to end on the embedded profile with the local
runtime: Airflow (its own venv, SQLite metadata under a temp AIRFLOW_HOME) runs every task of the
chain with the real `ais` commands over a temp storage root — simulated sources for 15 days,
bronze, silver, the tier-2 trajectory chain on simulated met, master gold, training dataset, serving
features, training, the gated promotion,
a dry-run check, inference and the API probes. Then the tables are read back."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from ais.catalog import load_catalog
from ais.config import load_settings
from ais.iceberg_io import read_rows
from ais.tables import FORECAST_ARCHIVE, MODEL_REGISTRY, PREDICTIONS
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env
from tests.deploy.airflow_env import AIRFLOW_BIN, airflow_env, require_airflow

CONF = {"start_date": "2026-10-17", "end_date": "2026-10-31", "simulate_sources": True, "train": True,
        "promote_model_run_id": "trained", "promoted_by": "airflow-dags-test"}
LOGICAL_DATE = "2026-11-01T00:20:00+00:00"
BASE_HOUR = dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)
ALL_TASKS = {"ensure_iceberg_tables_k8s", "wait_for_upstream_tier2_or_run_tier2_k8s", "build_pm25_serving_features_k8s",
             "check_serving_features", "run_pm25_inference_k8s", "check_prediction_freshness", "check_api_ready",
             "build_training_dataset_k8s", "train_pm25_models_k8s", "promotion_gate", "promote_pm25_models_k8s",
             "score_pm25_forecasts_k8s"}


@pytest.mark.slow
def test_compute_dag_runs_green_end_to_end(tmp_path: Path) -> None:
    require_airflow()
    binary = PROJECT_ROOT / "build" / "native" / "ais-ingest"
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `make build`")
    store = tmp_path / "ais"
    env = airflow_env(tmp_path / "airflow", AIS_RUNTIME="local", AIS_TASK_RETRIES="0",
                      HANOI_PIPELINE_CONFIG=str(CONFIG_PATH), SPARK_SHUFFLE_PARTITIONS="1", **isolated_env(store))
    migrate = subprocess.run([str(AIRFLOW_BIN / "airflow"), "db", "migrate"], capture_output=True, text=True, env=env,
                             check=False, timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    for pool, slots in (("ais_spark", "1"), ("ais_catalog", "2")):  # as airflow/README.md says
        made = subprocess.run([str(AIRFLOW_BIN / "airflow"), "pools", "set", pool, slots, "AIS test pool"],
                              capture_output=True, text=True, env=env, check=False, timeout=120)
        assert made.returncode == 0, made.stderr[-3000:]
    started = time.monotonic()
    run = subprocess.run([str(AIRFLOW_BIN / "airflow"), "dags", "test", "ais_pm25_k8s_compute", LOGICAL_DATE,
                          "-c", json.dumps(CONF)], capture_output=True, text=True, env=env, check=False, timeout=1200,
                         cwd=tmp_path)
    elapsed = time.monotonic() - started
    (tmp_path / "dags-test.log").write_text(run.stdout + run.stderr)

    with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as db:
        states = dict(db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'ais_pm25_k8s_compute'"))
        run_state = db.execute("SELECT state FROM dag_run WHERE dag_id = 'ais_pm25_k8s_compute'").fetchall()
    assert states == dict.fromkeys(ALL_TASKS, "success"), (states, run.stdout[-4000:])
    assert run_state == [("success",)]
    assert run.returncode == 0
    print(f"airflow dags test ais_pm25_k8s_compute: {elapsed:.0f} s")

    # what the run left in the (temporary) tables
    settings = load_settings(CONFIG_PATH, environ=isolated_env(store))
    catalog = load_catalog(settings, create=False)
    registry = read_rows(catalog.load_table(MODEL_REGISTRY.identifier))
    production = [r for r in registry if r["status"] == "production"]
    assert sorted(r["horizon_hour"] for r in production) == [6, 12, 24]
    assert {r["promoted_by"] for r in production} == {"airflow-dags-test"}
    assert len({r["model_run_id"] for r in production}) == 1
    predictions = read_rows(catalog.load_table(PREDICTIONS.identifier))
    assert len(predictions) == 1
    row = predictions[0]
    assert row["base_hour"] == BASE_HOUR
    assert row["location_id"] == "hanoi" and row["model_status"] == "production"
    assert {row["model_version_6h"], row["model_version_12h"], row["model_version_24h"]} == {
        r["model_version"] for r in production}
    for horizon in (6, 12, 24):
        assert 0.0 <= row[f"pm25_{horizon}h"] <= 1000.0
        assert row[f"risk_{horizon}h"] in ("low", "medium", "high", "very_high")
    # the forecast joined the archive, one row per lead time; its target hours (the next day) are
    # not observed in the window, so nothing is scored yet
    archive = read_rows(catalog.load_table(FORECAST_ARCHIVE.identifier))
    assert sorted((r["horizon_hour"], r["target_hour"]) for r in archive) == [
        (h, BASE_HOUR + dt.timedelta(hours=h)) for h in (6, 12, 24)]
    assert {(r["prediction_id"], r["pm25_observed"]) for r in archive} == {(row["prediction_id"], None)}
    assert [r["pm25_forecast"] for r in sorted(archive, key=lambda r: r["horizon_hour"])] == [
        row["pm25_6h"], row["pm25_12h"], row["pm25_24h"]]
    # the embedded store of the repository was not touched: everything went to the temp root
    assert (store / "landing").is_dir() and (store / "models").is_dir()
