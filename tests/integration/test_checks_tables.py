"""The table and API checks of ``ais check`` on a PyIceberg catalog of their own (no Spark), with
the real API served on loopback for the API checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ais.catalog import ensure_tables, load_catalog
from ais.checks import core
from ais.config import Settings, load_settings
from ais.features.columns import schema_hash
from ais.iceberg_io import merge_rows, to_arrow
from ais.k8s.smoke import free_loopback_port
from ais.pipeline import _Server
from ais.tables import MODEL_REGISTRY, PREDICTIONS, SERVING_GOLD
from tests.conftest import CONFIG_PATH, isolated_env

NOW = dt.datetime(2026, 5, 2, 9, 40, tzinfo=dt.UTC)
LATEST = dt.datetime(2026, 5, 2, 8, 0, tzinfo=dt.UTC)  # the newest base hour: 100 min before NOW
VERSION = "lightgbm-00000000000000aa"


def serving(settings: Settings, hour: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {"base_hour": hour, "location_id": "hanoi", "feature_version": settings.feature_version,
            "schema_hash": schema_hash(), "pm25_mean": 40.0, "pm25_lag_1h": 41.0, "pm25_lag_24h": 30.0,
            "pm25_roll_mean_24h": 35.0, "hour_of_day": (hour.hour + 7) % 24, "year": hour.year,
            "month_partition": hour.month, **extra}


def registry(settings: Settings, horizon: int, artifact: Path, **extra: Any) -> dict[str, Any]:
    return {"model_version": VERSION, "horizon_hour": horizon, "location_id": "hanoi", "status": "production",
            "feature_version": settings.feature_version, "feature_schema_hash": schema_hash(),
            "artifact_uri": artifact.as_uri(), **extra}


def prediction(settings: Settings, hour: dt.datetime, created: dt.datetime) -> dict[str, Any]:
    return {"prediction_id": f"p-{hour:%Y%m%d%H}", "base_hour": hour, "location_id": "hanoi", "location_name": "Hanoi",
            "pm25_now": 40.0, "pm25_6h": 42.0, "risk_6h": "medium", "pm25_12h": 30.0, "risk_12h": "low",
            "pm25_24h": 80.0, "risk_24h": "high", "model_version": VERSION, "model_version_6h": VERSION,
            "model_version_12h": VERSION, "model_version_24h": VERSION, "model_status": "production",
            "feature_version": settings.feature_version, "feature_schema_hash": schema_hash(), "created_at": created,
            "year": hour.year, "month_partition": hour.month}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("checks")
    settings = load_settings(CONFIG_PATH, environ=isolated_env(root))
    ensure_tables(settings, specs=[SERVING_GOLD, PREDICTIONS, MODEL_REGISTRY])
    catalog = load_catalog(settings)
    rows = [serving(settings, LATEST - dt.timedelta(hours=i)) for i in range(30)]
    # the window of NOW (09:40) holds the 23 base hours 05-01 10:00 .. 05-02 08:00
    rows[1]["pm25_lag_24h"] = None  # 1 null of 23: 0.0435
    for row in rows[2:8]:
        row["pm25_roll_mean_24h"] = None  # 6 of 23: 0.2609 > 0.2
    rows[25]["pm25_mean"] = None  # outside the window
    merge_rows(catalog, SERVING_GOLD, rows)
    artifact = root / "models" / "hanoi_pm25" / "model.txt"  # under the artifact root: checked
    artifact.parent.mkdir(parents=True)
    artifact.write_text("tree\n")
    merge_rows(catalog, MODEL_REGISTRY, [registry(settings, h, artifact) for h in (6, 12)])
    merge_rows(catalog, PREDICTIONS, [prediction(settings, LATEST - dt.timedelta(hours=i),
                                                 LATEST + dt.timedelta(minutes=20 - 60 * i)) for i in range(3)])
    return settings


def ctx(settings: Settings, reference: dt.datetime = NOW, url: str | None = None) -> core.CheckContext:
    return core.CheckContext(settings, now=NOW, reference=reference, location_id="hanoi",
                             feature_version=settings.feature_version, api_base_url=url)


def items(settings: Settings, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    return core.run_checks(ctx(settings, **kwargs), [name])["checks"][name]["items"]


def test_serving_freshness_against_now_and_a_base_hour(store: Settings) -> None:
    assert items(store, "serving-freshness") == [
        {"latest_base_hour": "2026-05-02T08:00:00Z", "age_minutes": 100.0, "threshold_minutes": 180.0,
         "status": "success"}]
    late = items(store, "serving-freshness", reference=NOW + dt.timedelta(hours=2))[0]
    assert (late["age_minutes"], late["status"]) == (220.0, "failed")
    # a backfill checks the hour it built: rows after it do not count
    past = items(store, "serving-freshness", reference=dt.datetime(2026, 5, 1, 20, tzinfo=dt.UTC))[0]
    assert (past["latest_base_hour"], past["age_minutes"], past["status"]) == ("2026-05-01T20:00:00Z", 0.0, "success")
    empty = items(store, "serving-freshness", reference=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))[0]
    assert (empty["status"], empty["reason"]) == ("failed", "no_rows")


def test_prediction_freshness(store: Settings) -> None:
    assert items(store, "prediction-freshness") == [
        {"latest_base_hour": "2026-05-02T08:00:00Z", "age_minutes": 100.0, "threshold_minutes": 120.0,
         "status": "success", "created_at": "2026-05-02T08:20:00Z"}]
    assert items(store, "prediction-freshness", reference=NOW + dt.timedelta(minutes=30))[0]["status"] == "failed"


def test_feature_null_ratio(store: Settings) -> None:
    got = {i["feature"]: (i["null_ratio"], i["status"]) for i in items(store, "feature-null-ratio")}
    assert got == {"pm25_mean": (0.0, "success"), "pm25_lag_1h": (0.0, "success"),
                   "pm25_lag_24h": (0.0435, "success"), "pm25_roll_mean_24h": (0.2609, "failed"),
                   "hour_of_day": (0.0, "success")}


def test_model_registry_and_schema_hash(store: Settings, tmp_path: Path) -> None:
    got = items(store, "model-registry")
    assert [(i["horizon_hour"], i["status"], i.get("reason")) for i in got] == [
        (6, "success", None), (12, "success", None), (24, "failed", "no_production_model")]
    assert all(i["location_id"] == "hanoi" and i["feature_version"] == store.feature_version for i in got)
    hashes = items(store, "schema-hash")
    assert [(i["source"], i["status"]) for i in hashes] == [
        ("serving_features", "success"), (f"model_6h:{VERSION}", "success"), (f"model_12h:{VERSION}", "success")]
    assert hashes[0]["expected_hash"] == hashes[0]["actual_hash"] == schema_hash()

    # a 24 h model whose artifact is gone and whose schema hash is stale
    merge_rows(load_catalog(store), MODEL_REGISTRY, [registry(store, 24, tmp_path / "gone.txt",
                                                              feature_schema_hash="0" * 64)])
    got = items(store, "model-registry")
    assert (got[2]["status"], got[2]["reason"]) == ("failed", "artifact_missing")
    # where the artifact storage is not mounted (the cluster's check pod) the files are not looked for
    rows = [registry(store, h, tmp_path / "gone.txt") for h in (6, 12, 24)]
    unmounted = core.registry_items(rows, "hanoi", store.feature_version, artifacts_reachable=False)
    assert {(i["status"], i["artifact"]) for i in unmounted} == {
        ("success", "not checked (artifact storage not mounted here)")}
    stale = items(store, "schema-hash")[-1]
    assert (stale["source"], stale["actual_hash"], stale["status"]) == (f"model_24h:{VERSION}", "0" * 64, "failed")


@pytest.fixture
def api(store: Settings) -> Iterator[str]:
    port = free_loopback_port()
    server = _Server(store, "127.0.0.1", port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_api_readiness_and_duplicates_against_table_and_api(store: Settings, api: str) -> None:
    ready = items(store, "api-readiness", url=api)[0]
    assert (ready["url"], ready["status_code"], ready["error_code"], ready["status"]) == (
        f"{api}/readyz", 200, None, "success")
    assert ready["latency_ms"] >= 0
    dup = items(store, "duplicate-predictions", url=api)
    assert [(i["source"], i["duplicate_count"], i["status"]) for i in dup] == [
        ("table", 0, "success"), ("table", 0, "success"), ("api", 0, "success")]
    assert dup[2]["api_base_hour"] == "2026-05-02T08:00:00Z" and dup[2]["matching_rows"] == 1

    # the same key appended twice (what a non-idempotent writer would do)
    table = load_catalog(store).load_table(PREDICTIONS.identifier)
    table.append(to_arrow(PREDICTIONS, [prediction(store, LATEST, LATEST + dt.timedelta(minutes=25))]))
    dup = items(store, "duplicate-predictions", url=api)
    assert [(i["source"], i["duplicate_count"], i["status"]) for i in dup] == [
        ("table", 1, "failed"), ("table", 1, "failed"), ("api", 1, "failed")]
    assert dup[0]["examples"] == [["2026-05-02T08:00:00Z", "hanoi", VERSION, store.feature_version]]


def test_api_readiness_names_the_failure(store: Settings) -> None:
    down = items(store, "api-readiness", url=f"http://127.0.0.1:{free_loopback_port()}")[0]
    assert down["status"] == "failed" and down["error_code"].startswith("unreachable")
    assert items(store, "api-readiness")[0] == {
        "url": None, "status_code": None, "latency_ms": None, "error_code": "not_configured", "status": "failed",
        "reason": "no API URL for api-readiness: pass --base-url or --serve-local, or set PM25_API_BASE_URL"}


def test_the_command_line_exit_codes(store: Settings, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from ais.cli import main

    for key in ("iceberg_catalog_uri", "iceberg_warehouse", "model_artifact_base_uri"):
        monkeypatch.setenv(key.upper(), store.runtime(key))
    base = ["--config", str(CONFIG_PATH), "check", "--base-hour", "2026-05-02T09:00:00Z"]
    assert main([*base, "--check", "serving-freshness", "--check", "prediction-freshness"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "success" and sorted(summary["checks"]) == ["prediction-freshness",
                                                                            "serving-freshness"]
    assert main([*base, "--check", "feature-null-ratio"]) == 3
    assert json.loads(capsys.readouterr().out)["checks"]["feature-null-ratio"]["status"] == "failed"
    # the same command under its contract name
    from ais.checks.cli import main as check_pm25_serving

    monkeypatch.setenv("HANOI_PIPELINE_CONFIG", str(CONFIG_PATH))
    assert check_pm25_serving(["--check", "serving-freshness", "--base-hour", "2026-05-02T09:00:00Z"]) == 0
    assert check_pm25_serving(["--check", "feature-null-ratio", "--base-hour", "2026-05-02T09:00:00Z"]) == 3
    capsys.readouterr()
    with pytest.raises(SystemExit) as usage:
        main([*base, "--check", "nope"])
    assert usage.value.code == 2
    # all: the cluster checks are skipped here (no Kubernetes configuration), the API ones without a URL
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    assert main([*base, "--check", "all"]) == 3
    result = json.loads(capsys.readouterr().out)["checks"]
    assert sorted(result) == sorted(core.CHECKS)
    assert {n: r["status"] for n, r in result.items()} == {
        "serving-freshness": "success", "prediction-freshness": "success", "feature-null-ratio": "failed",
        "model-registry": "failed", "schema-hash": "failed", "api-readiness": "skipped",
        "failed-cronjob": "skipped", "failed-spark-job": "skipped", "duplicate-predictions": "failed"}
