"""The dashboard's routes (issue 14 item 3) over a real SQLite catalog with rows written by
PyIceberg: the map of the latest trajectory hour (stations' newest valid PM2.5, the day's paths by
cluster, the hour's attribution), the pipeline's health (newest data from the manifests' bounds
and its lag behind the forecast, dead letters and invalid/late events, job commits, run statuses,
production models with their metrics), ETag/304, the rebuild interval, the error shape while
nothing can be read, and the static dashboard at / and /assets."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env

from ais import tables
from ais.api.app import create_app, dashboard_dir
from ais.api.dashboard import HEALTH_PATH, MAP_PATH, VIEW_INTERVAL_S, map_view
from ais.catalog import ensure_tables, load_catalog
from ais.config import ConfigError, Settings, load_settings
from ais.iceberg_io import merge_rows

UTC = dt.UTC
HOUR = dt.datetime(2026, 11, 1, 0, tzinfo=UTC)  # the latest trajectory hour
T = tables.table


class Clock:
    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def _unpartitioned(identifier: str) -> tables.TableSpec:
    # PyIceberg writes month/day partitions only with pyiceberg-core, and this test writes no
    # nested column (trace, quality_flags); the API reads the tables by name and columns
    spec = T(identifier)
    flat = tuple(c for c in spec.columns if isinstance(c.type, str) and not c.type.startswith("list"))
    return dataclasses.replace(spec, partitions=(), columns=flat)


def _station(location: int, hour: dt.datetime, value: float | None, qc: str = "valid") -> dict[str, Any]:
    return {"location_id": location, "sensor_id": location * 10, "parameter": "pm25", "hour": hour,
            "location_name": f"Station {location}", "latitude": 21.0 + location / 100, "longitude": 105.8,
            "value": value, "units": "µg/m³", "coverage_pct": 100.0, "qc_status": qc, "source": "simulated"}


def _trajectory(traj: str, run: str, start: dt.datetime, cluster: int, lats: list[float]) -> tuple[
        dict[str, Any], list[dict[str, Any]]]:
    clustered = {"traj_id": traj, "run_id": run, "start_time": start, "cluster_id": cluster, "k": 3,
                 "source_lat": lats[-1], "source_lon": 106.0, "source": "simulated"}
    # points written out of age order: the route orders them from the receptor back
    points = [{"traj_id": traj, "age_h": -age, "run_id": run, "lat": lat, "lon": 105.85 + age / 10,
               "timestamp": start - dt.timedelta(hours=age), "source": "simulated"}
              for age, lat in reversed(list(enumerate(lats)))]
    return clustered, points


def _prediction(base: dt.datetime) -> dict[str, Any]:
    return {"prediction_id": "p1", "base_hour": base, "location_id": "hanoi", "location_name": "Hanoi",
            "pm25_now": 30.0, "pm25_6h": 40.0, "risk_6h": "medium", "pm25_12h": 50.0, "risk_12h": "medium",
            "pm25_24h": 60.0, "risk_24h": "medium", "model_version": "m", "model_version_6h": "m-6",
            "model_version_12h": "m-12", "model_version_24h": "m-24", "model_status": "production",
            "feature_version": "fv1", "created_at": base + dt.timedelta(minutes=20), "year": base.year,
            "month_partition": base.month}


@dataclasses.dataclass
class World:
    settings: Settings
    catalog: Any
    mono: Clock

    def app(self) -> FastAPI:
        return create_app(self.settings, clock=self.mono, wall_clock=lambda: HOUR.timestamp() + 3600)


@pytest.fixture()
def world(tmp_path: Path) -> World:
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    catalog = load_catalog(settings)
    names = ("air_quality.openaq_hanoi_station_hourly_silver", "trajectory.hysplit_runs_bronze",
             "audit.invalid_events_bronze", "audit.late_events_bronze", "air_quality.openaq_hourly_bronze")
    ensure_tables(settings, catalog, [_unpartitioned(n) for n in names])
    ensure_tables(settings, catalog, [T("features.trajectory_hourly_features_silver"),
                                      T("trajectory.hysplit_trajectories_clustered_silver"),
                                      T("trajectory.hysplit_trajectories_silver"), tables.PREDICTIONS,
                                      tables.MODEL_REGISTRY, tables.MODEL_RUNS])
    merge_rows(catalog, T("air_quality.openaq_hanoi_station_hourly_silver"), [
        _station(1, HOUR - dt.timedelta(hours=2), 30.0), _station(1, HOUR - dt.timedelta(hours=1), 42.0),
        _station(1, HOUR, None),  # no value at the hour: the station shows its newest value
        _station(2, HOUR, 95.0, qc="out_of_range"), _station(2, HOUR - dt.timedelta(hours=3), 61.0),
        _station(3, HOUR - dt.timedelta(hours=30), 10.0)])  # older than a day before the hour: not shown
    merge_rows(catalog, T("features.trajectory_hourly_features_silver"), [
        {"hour": HOUR - dt.timedelta(hours=1), "dominant_cluster": 1, "n_traj": 1},
        {"hour": HOUR, "dominant_cluster": 2, "n_traj": 2, "source_lat": 23.5, "source_lon": 106.0,
         "path_no2_mean": 2.5e-5, "path_aer_mean": 0.4, "path_no2_aer_ratio": 6.25e-5, "source": "simulated"}])
    runs = [("a", HOUR - dt.timedelta(hours=6), 2, [21.03, 21.5, 22.0]),
            ("b", HOUR, 2, [21.03, 22.0, 23.0]), ("c", HOUR, 1, [21.03, 20.5, 20.0]),
            ("old", HOUR - dt.timedelta(hours=30), 0, [21.03, 21.1])]  # started more than a day before
    clustered, points = [], []
    for traj, start, cluster, lats in runs:
        row, pts = _trajectory(f"t-{traj}", f"r-{traj}", start, cluster, lats)
        clustered.append(row)
        points += pts
    merge_rows(catalog, T("trajectory.hysplit_trajectories_clustered_silver"), clustered)
    merge_rows(catalog, T("trajectory.hysplit_trajectories_silver"), points)
    return World(settings, catalog, Clock(1000.0))


def _wait_view(app: FastAPI, path: str) -> None:
    flight = app.state.views[path].refreshes.current
    assert flight is not None and flight.done.wait(20)


# ---- map -------------------------------------------------------------------------------------------

def test_map_shows_the_latest_hour_its_days_paths_by_cluster_and_each_stations_newest_value(world: World) -> None:
    client = TestClient(world.app())
    response = client.get(MAP_PATH)
    assert response.status_code == 200
    body = response.json()
    assert (body["hour"], body["run_start"], body["unit"]) == ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", "µg/m³")
    assert body["attribution"] == {
        "hour": "2026-11-01T00:00:00Z", "dominant_cluster": 2, "n_traj": 2, "source_lat": 23.5, "source_lon": 106.0,
        "path_no2_mean": 2.5e-5, "path_aer_mean": 0.4, "path_no2_aer_ratio": 6.25e-5, "source": "simulated"}
    shown = {t["traj_id"]: t for t in body["trajectories"]}
    assert list(shown) == ["t-a", "t-b", "t-c"]  # by start, the one from 30 h before left out
    assert [t["latest"] for t in body["trajectories"]] == [False, True, True]
    assert shown["t-b"]["path"] == [[105.85, 21.03], [105.95, 22.0], [106.05, 23.0]]  # receptor first
    assert (shown["t-b"]["cluster_id"], shown["t-b"]["start_time"], shown["t-a"]["start_time"]) == (
        2, "2026-11-01T00:00:00Z", "2026-10-31T18:00:00Z")
    assert body["clusters"] == [{"cluster_id": 1, "trajectories": 1, "dominant": False},
                                {"cluster_id": 2, "trajectories": 2, "dominant": True}]
    stations = {s["location_id"]: s for s in body["stations"]}
    assert sorted(stations) == [1, 2]
    assert (stations[1]["pm25"], stations[1]["hour"], stations[1]["aqi"]["index"]) == (
        42.0, "2026-10-31T23:00:00Z", 84)
    # an invalid value is not shown: the newest valid one is
    assert (stations[2]["pm25"], stations[2]["hour"], stations[2]["aqi"]["category"]) == (
        61.0, "2026-10-31T21:00:00Z", "unhealthy_for_sensitive")
    assert (stations[1]["lat"], stations[1]["lon"], stations[1]["name"]) == (21.01, 105.8, "Station 1")
    etag = response.headers["etag"]
    assert response.headers["cache-control"] == "public, max-age=60"
    again = client.get(MAP_PATH, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")


def test_map_without_trajectories_is_empty_not_an_error() -> None:
    body = map_view("hanoi", [], [], [], []).model_dump()
    assert body == {"location": "hanoi", "unit": "µg/m³", "hour": None, "run_start": None, "attribution": None,
                    "clusters": [], "trajectories": [], "stations": []}


def test_a_view_is_rebuilt_after_its_interval_only(world: World) -> None:
    app = world.app()
    client = TestClient(app)
    first = client.get(MAP_PATH).json()
    merge_rows(world.catalog, T("air_quality.openaq_hanoi_station_hourly_silver"), [_station(4, HOUR, 12.0)])
    world.mono.value += VIEW_INTERVAL_S - 1
    assert client.get(MAP_PATH).json() == first  # cached: no rebuild started
    world.mono.value += 1
    assert client.get(MAP_PATH).json() == first  # the rebuild starts in the background; the cached body answers
    _wait_view(app, MAP_PATH)
    rebuilt = client.get(MAP_PATH).json()
    assert [s["location_id"] for s in rebuilt["stations"]] == [1, 2, 4]


# ---- health ----------------------------------------------------------------------------------------

def _health_rows(world: World) -> None:
    c = world.catalog
    merge_rows(c, tables.PREDICTIONS, [_prediction(HOUR)])
    merge_rows(c, T("audit.invalid_events_bronze"), [
        {"source_topic": "openaq-hourly", "reason": "schema", "raw_sha256": f"s{i}", "recorded_at": HOUR,
         "dlq_id": None} for i in range(3)] + [
        {"source_topic": "ais-dlq", "reason": "decode_crash", "raw_sha256": "d1", "recorded_at": HOUR,
         "dlq_id": "dlq_1"}])
    merge_rows(c, T("audit.late_events_bronze"), [
        {"source_topic": "openaq-hourly", "event_id": f"e{i}", "reason": "late", "recorded_at": HOUR}
        for i in range(2)])
    merge_rows(c, _unpartitioned("air_quality.openaq_hourly_bronze"), [
        {"event_id": f"o{i}", "source": "simulated", "event_time": HOUR - dt.timedelta(hours=4 - i),
         "schema_version": "1", "location_id": 1, "sensor_id": 10, "parameter": "pm25"}
        for i in range(3)])  # newest: HOUR - 2 h
    merge_rows(c, _unpartitioned("trajectory.hysplit_runs_bronze"), [
        {"run_id": "r-b", "start_time": HOUR, "status": "success"},
        {"run_id": "r-c", "start_time": HOUR, "status": "failed"},
        {"run_id": "r-a", "start_time": HOUR - dt.timedelta(hours=6), "status": "failed"}])
    merge_rows(c, tables.MODEL_RUNS, [
        {"model_run_id": "run1", "model_version": f"v{h}", "horizon_hour": h, "status": "trained",
         "created_at": HOUR, "rmse_persistence": 20.0, "skill_vs_persistence": 0.1 * h / 6} for h in (6, 12, 24)])
    merge_rows(c, tables.MODEL_REGISTRY, [
        {"model_version": f"v{h}", "model_run_id": "run1", "horizon_hour": h, "location_id": "hanoi",
         "model_type": "lightgbm", "status": "production", "mae": 10.0 + h, "rmse": 12.0 + h, "mape": 20.0,
         "promoted_at": HOUR} for h in (6, 12, 24)] + [
        {"model_version": "v6-old", "model_run_id": "run0", "horizon_hour": 6, "location_id": "hanoi",
         "status": "archived", "mae": 99.0}])


def test_health_reports_freshness_dead_letters_jobs_runs_and_models(world: World) -> None:
    _health_rows(world)
    client = TestClient(world.app())
    response = client.get(HEALTH_PATH)
    assert response.status_code == 200
    h = response.json()
    assert h["reference_hour"] == "2026-11-01T00:00:00Z"  # the forecast's base hour
    openaq = next(s for s in h["sources"] if s["source"] == "openaq")
    assert openaq == {"source": "openaq", "table": "air_quality.openaq_hourly_bronze", "rows": 3,
                      "newest": "2026-10-31T22:00:00Z", "lag_hours": 2.0}
    assert next(s for s in h["sources"] if s["source"] == "era5")["rows"] is None  # no table in this catalog
    by_table = {t["table"]: t for t in h["tables"]}
    station = by_table["air_quality.openaq_hanoi_station_hourly_silver"]
    assert (station["rows"], station["time_column"], station["newest"], station["lag_hours"], station["layer"]) == (
        6, "hour", "2026-11-01T00:00:00Z", 0.0, "silver")
    assert by_table["models.hanoi_pm25_model_registry_gold"]["time_column"] == "promoted_at"
    assert (h["invalid_events"], h["dead_letters"], h["late_events"]) == (4, 1, 2)
    assert h["invalid_by_reason"] == [
        {"source_topic": "openaq-hourly", "reason": "schema", "count": 3},
        {"source_topic": "ais-dlq", "reason": "decode_crash", "count": 1}]
    assert h["late_by_topic"] == [{"source_topic": "openaq-hourly", "reason": None, "count": 2}]
    jobs = {j["job"]: j for j in h["jobs"]}
    assert (jobs["predict"]["table"], jobs["predict"]["status"], jobs["predict"]["added_rows"]) == (
        "predictions.hanoi_pm25_forecast_gold", "committed", 1)
    assert jobs["hanoi-master-features-gold"]["status"] == "never"  # its table is not in this catalog
    assert h["runs"] == [{"kind": "train", "latest": "2026-11-01T00:00:00Z", "by_status": {"trained": 3}},
                         {"kind": "trajectory", "latest": "2026-11-01T00:00:00Z",
                          "by_status": {"failed": 1, "success": 1}}]
    assert [(m["horizon_hour"], m["model_version"], m["mae"], m["skill_vs_persistence"]) for m in h["models"]] == [
        (6, "v6", 16.0, pytest.approx(0.1)), (12, "v12", 22.0, pytest.approx(0.2)),
        (24, "v24", 34.0, pytest.approx(0.4))]
    assert client.get(HEALTH_PATH, headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_views_answer_503_in_the_error_shape_while_nothing_can_be_read(world: World) -> None:
    def broken(_: Settings) -> Any:
        raise ConnectionError("catalog down")

    client = TestClient(create_app(world.settings, clock=world.mono, catalog_factory=broken))
    for path, view in ((MAP_PATH, "map"), (HEALTH_PATH, "pipeline-health")):
        response = client.get(path)
        assert response.status_code == 503
        body = response.json()
        assert (body["error"], body["field"], body["view"], body["location"]) == (
            "view_unavailable", None, view, "hanoi")
        assert "ConnectionError" in body["message"]


# ---- the static dashboard --------------------------------------------------------------------------

def _served_from(world: World, tmp_path: Path, folder: Path) -> World:
    """The world's catalog with runtime.dashboard_dir set through its environment variable."""
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path, DASHBOARD_DIR=str(folder)))
    return dataclasses.replace(world, settings=settings)


def test_the_dashboard_is_served_at_the_root_with_its_assets(world: World, tmp_path: Path) -> None:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><title>AIS</title>", encoding="utf-8")
    (built / "assets" / "main.js").write_text("console.log(1)", encoding="utf-8")
    client = TestClient(_served_from(world, tmp_path, built).app())
    index = client.get("/")
    assert (index.status_code, index.text, index.headers["content-type"]) == (
        200, "<!doctype html><title>AIS</title>", "text/html; charset=utf-8")
    script = client.get("/assets/main.js")
    assert (script.status_code, script.text) == (200, "console.log(1)")
    assert "javascript" in script.headers["content-type"]
    missing = client.get("/assets/nope.js")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


def test_the_dashboard_folder_is_configured(world: World, tmp_path: Path) -> None:
    """runtime.dashboard_dir: by default web/dashboard/dist under the project root (where
    scripts/setup.sh web builds it); DASHBOARD_DIR moves it (the API image's /opt/ais/web/dashboard/
    dist), a relative value is under the project root, and an empty one is refused."""
    assert dashboard_dir(world.settings) == PROJECT_ROOT / "web" / "dashboard" / "dist"
    image_like = tmp_path / "opt" / "ais"
    (image_like / "config").mkdir(parents=True)
    config = image_like / "config" / "hanoi_pipeline.yaml"
    config.write_bytes(CONFIG_PATH.read_bytes())
    assert dashboard_dir(load_settings(config, environ={})) == image_like / "web" / "dashboard" / "dist"
    assert dashboard_dir(load_settings(CONFIG_PATH, environ={"DASHBOARD_DIR": "build/ui"})) == \
        PROJECT_ROOT / "build" / "ui"
    with pytest.raises(ConfigError, match=r"runtime\.dashboard_dir is empty"):
        dashboard_dir(load_settings(CONFIG_PATH, environ={"DASHBOARD_DIR": " "}))
    # the routes read the configured folder, not the source tree's
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "index.html").write_text("<!doctype html><title>moved</title>", encoding="utf-8")
    response = TestClient(_served_from(world, tmp_path, moved).app()).get("/")
    assert (response.status_code, response.text) == (200, "<!doctype html><title>moved</title>")


def test_an_unbuilt_dashboard_says_how_to_build_it(world: World, tmp_path: Path) -> None:
    response = TestClient(_served_from(world, tmp_path, tmp_path / "not-built").app()).get("/")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "dashboard_not_built" and "scripts/setup.sh web" in body["message"]
    assert str(tmp_path / "not-built" / "index.html") in body["message"]


def test_metrics_count_the_dashboard_routes_requests_and_cache_hits(world: World) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    client = TestClient(world.app())
    etag = client.get(MAP_PATH).headers["etag"]  # the first waits for the build
    for _ in range(2):
        client.get(MAP_PATH)
    client.get(MAP_PATH, headers={"If-None-Match": etag})
    client.get("/")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(client.get("/metrics").text) for s in family.samples}
    assert samples[("ais_api_requests_total", (("route", MAP_PATH), ("status", "200")))] == 3
    assert samples[("ais_api_requests_total", (("route", MAP_PATH), ("status", "304")))] == 1
    assert samples[("ais_api_requests_total", (("route", "/"), ("status", "200" if (
        dashboard_dir(world.settings) / "index.html").is_file() else "404")))] == 1
    assert samples[("ais_api_cache_hits_total", (("route", MAP_PATH),))] == 3


def test_the_demo_names_the_dashboard_or_how_to_build_it(tmp_path: Path) -> None:
    from ais.pipeline import dashboard_line

    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path, DASHBOARD_DIR=str(tmp_path)))
    assert dashboard_line(settings, "http://127.0.0.1:8080") == (
        "dashboard: http://127.0.0.1:8080/ once built (scripts/setup.sh web)")
    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    assert dashboard_line(settings, "http://127.0.0.1:8080") == "dashboard: http://127.0.0.1:8080/"
