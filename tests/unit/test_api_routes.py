"""The API's routes over a real SQLite catalog with rows written by PyIceberg (issue 14 item 2):
forecast latest (new fields, age, stale), history (values, filters, keyset pagination with rows
added between pages), observations (coverage), skill, ETag/304, CORS, the one error shape, and
the Prometheus metrics counting exactly the requests made."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, NoReturn

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.conftest import CONFIG_PATH, isolated_env

from ais import tables
from ais.api.app import FORECAST_PATH, HISTORY_PATH, OBSERVATIONS_PATH, SKILL_PATH, create_app
from ais.catalog import ensure_tables, load_catalog
from ais.config import Settings, load_settings
from ais.iceberg_io import merge_rows
from ais.ml.scoring import archive_rows

UTC = dt.UTC
BASE = dt.datetime(2026, 11, 1, 0, tzinfo=UTC)
CREATED = BASE + dt.timedelta(minutes=20)  # created_at of the prediction at BASE


class Clock:
    """A settable clock (monotonic for the refresh pacing, epoch seconds for ages)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def _prediction(base: dt.datetime, f6: float, f12: float, f24: float, status: str = "production") -> dict[str, Any]:
    return {"prediction_id": f"p-{base:%m%d%H}", "base_hour": base, "location_id": "hanoi", "location_name": "Hanoi",
            "pm25_now": 30.0, "pm25_6h": f6, "risk_6h": "low", "pm25_12h": f12, "risk_12h": "medium",
            "pm25_24h": f24, "risk_24h": "high", "model_version": "m1", "model_version_6h": "m1-6",
            "model_version_12h": "m1-12", "model_version_24h": "m1-24", "model_status": status,
            "feature_version": "fv1", "feature_schema_hash": "h", "inference_run_id": "i",
            "created_at": base + dt.timedelta(minutes=20), "year": base.year, "month_partition": base.month}


@dataclasses.dataclass
class World:
    settings: Settings
    catalog: Any
    mono: Clock
    wall: Clock

    def app(self, settings: Settings | None = None) -> FastAPI:
        return create_app(settings or self.settings, clock=self.mono, wall_clock=self.wall)

    def archive(self, bases: list[dt.datetime], observed: dict[dt.datetime, float] | None = None,
                intervals: dict[tuple[dt.datetime, str, str, str], dict[str, Any]] | None = None) -> None:
        obs = {h: {"pm25_median": v, "station_count": 4, "source": "openaq"} for h, v in (observed or {}).items()}
        rows = archive_rows([_prediction(b, 40.0 + b.hour, 60.0, 160.0) for b in bases], obs, "run", BASE,
                            intervals)
        merge_rows(self.catalog, tables.FORECAST_ARCHIVE, rows)


def _wait_refreshed(app: FastAPI, path: str) -> None:
    flight = app.state.tables[path].refreshes.current
    assert flight is not None and flight.done.wait(10)


@pytest.fixture()
def world(tmp_path: Path) -> World:
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    catalog = load_catalog(settings)
    # the month-partitioned city silver unpartitioned (PyIceberg writes month partitions only with
    # pyiceberg-core); the API reads it by name and columns
    ensure_tables(settings, catalog, [dataclasses.replace(tables.OPENAQ_CITY_HOURLY, partitions=())])
    ensure_tables(settings, catalog, [tables.PREDICTIONS, tables.FORECAST_ARCHIVE, tables.FORECAST_SKILL])
    merge_rows(catalog, tables.PREDICTIONS, [_prediction(BASE, 20.0, 60.0, 160.0)])
    return World(settings, catalog, Clock(1000.0), Clock(CREATED.timestamp() + 30 * 60 + 5))


def _with(settings: Settings, **values: str) -> Settings:
    return dataclasses.replace(settings, values={**settings.values, **values})


# ---- latest ----------------------------------------------------------------------------------------

def test_latest_keeps_its_fields_and_adds_unit_aqi_age_and_stale(world: World) -> None:
    client = TestClient(world.app())
    first = client.get(FORECAST_PATH)  # through the stack: waits for the first read
    again = client.get(FORECAST_PATH)  # the fast path: cached bytes
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    body = first.json()
    assert (body["base_hour"], body["created_at"], body["location"], body["pm25_now"]) == (
        "2026-11-01T00:00:00Z", "2026-11-01T00:20:00Z", "hanoi", 30.0)
    assert body["forecast"]["6h"] == {
        "pm25": 20.0, "risk": "low", "vn_aqi": "good", "unit": "µg/m³",
        "aqi": {"index": 40, "category": "good", "colour": "#00e400",
                "advice": "Air quality is good: outdoor activity is fine for everyone."}}
    assert body["forecast"]["24h"]["aqi"]["index"] == 210
    assert (body["unit"], body["age_minutes"], body["stale"]) == ("µg/m³", 30, False)
    assert first.headers["etag"] == again.headers["etag"] and first.headers["etag"].startswith('"')
    assert again.headers["cache-control"] == "public, max-age=60"
    # api.stale_after_minutes is 120: 121 minutes after created_at the forecast is stale
    world.wall.value = CREATED.timestamp() + 121 * 60
    late = client.get(FORECAST_PATH)
    assert (late.json()["age_minutes"], late.json()["stale"]) == (121, True)
    assert late.headers["etag"] != first.headers["etag"]


def test_if_none_match_answers_304_until_the_body_changes(world: World) -> None:
    world.archive([BASE])
    client = TestClient(world.app())
    etag = client.get(FORECAST_PATH).headers["etag"]
    for path in (FORECAST_PATH, FORECAST_PATH):  # the second on the fast path
        not_modified = client.get(path, headers={"If-None-Match": etag})
        assert (not_modified.status_code, not_modified.content, not_modified.headers["etag"]) == (304, b"", etag)
    assert client.get(FORECAST_PATH, headers={"If-None-Match": '"other", W/' + etag}).status_code == 304
    assert client.get(FORECAST_PATH, headers={"If-None-Match": '"other"'}).status_code == 200
    world.wall.value += 60  # one minute older: a new body, a new ETag
    assert client.get(FORECAST_PATH, headers={"If-None-Match": etag}).status_code == 200
    history = client.get(HISTORY_PATH)
    assert history.headers["cache-control"] == "public, max-age=60"
    assert client.get(HISTORY_PATH, headers={"If-None-Match": history.headers["etag"]}).status_code == 304


# ---- history ---------------------------------------------------------------------------------------

def test_history_items_carry_the_forecast_its_aqi_and_the_observation_when_known(world: World) -> None:
    # base 00:00 and 01:00; 06:00 observed (40 µg/m³): only the 6 h forecast of 00:00 is scored
    # only the forecast of 00:00 has its 80 % interval
    bounds = {f"pm25_{q}_{h}h": v for h, lo, hi in ((6, 31.5, 52.5), (12, 45.0, 80.0), (24, 120.0, 210.0))
              for q, v in (("p10", lo), ("p90", hi))}
    world.archive([BASE, BASE + dt.timedelta(hours=1)], {BASE + dt.timedelta(hours=6): 40.0},
                  {(BASE, "hanoi", "m1", "fv1"): bounds})
    client = TestClient(world.app())
    body = client.get(HISTORY_PATH).json()
    assert body["next_cursor"] is None and body["unit"] == "µg/m³"
    keys = [(i["base_hour"][11:16], i["horizon_hour"]) for i in body["items"]]
    assert keys == [("01:00", 6), ("01:00", 12), ("01:00", 24), ("00:00", 6), ("00:00", 12), ("00:00", 24)]
    scored = body["items"][3]
    assert (scored["target_hour"], scored["pm25"], scored["pm25_observed"], scored["error"], scored["abs_error"]) == (
        "2026-11-01T06:00:00Z", 40.0, 40.0, 0.0, 0.0)
    assert (scored["aqi"]["index"], scored["aqi"]["category"], scored["observed_aqi"]["category"]) == (
        80, "moderate", "moderate")
    assert (scored["category_hit"], scored["model_version"], scored["horizon_model_version"]) == (True, "m1", "m1-6")
    assert (scored["created_at"], scored["age_minutes"], scored["stale"]) == ("2026-11-01T00:20:00Z", 30, False)
    assert (scored["pm25_p10"], scored["pm25_p90"], body["items"][5]["pm25_p90"]) == (31.5, 52.5, 210.0)
    open_item = body["items"][0]
    assert (open_item["pm25"], open_item["pm25_observed"], open_item["error"], open_item["observed_aqi"]) == (
        41.0, None, None, None)
    assert "pm25_p10" not in open_item and "pm25_p90" not in open_item  # no interval: left out
    only12 = client.get(HISTORY_PATH, params={"horizon": "12", "from": "2026-11-01T01:00:00Z"}).json()["items"]
    assert [(i["base_hour"], i["horizon_hour"]) for i in only12] == [("2026-11-01T01:00:00Z", 12)]
    before = client.get(HISTORY_PATH, params={"to": "2026-11-01T01:00:00Z", "horizon": "24"}).json()["items"]
    assert [(i["base_hour"], i["horizon_hour"]) for i in before] == [("2026-11-01T00:00:00Z", 24)]


def test_history_pages_lose_and_repeat_nothing_when_rows_arrive_between_pages(world: World) -> None:
    hours = [BASE + dt.timedelta(hours=h) for h in range(10, 20)]  # 30 items
    world.archive(hours)
    app = world.app()
    client = TestClient(app)
    page = client.get(HISTORY_PATH, params={"limit": "7"}).json()
    seen = [(i["base_hour"], i["horizon_hour"]) for i in page["items"]]
    pages = 1
    added = False
    while page["next_cursor"] is not None:
        if not added:  # newer forecasts (before the cursor) and older ones (after it) arrive
            world.archive([BASE + dt.timedelta(hours=h) for h in (25, 26, 2, 3)])
            world.mono.value += 5  # the next request starts a refresh; wait for it
            client.get(HISTORY_PATH, params={"limit": "1"})
            _wait_refreshed(app, HISTORY_PATH)
            added = True
        page = client.get(HISTORY_PATH, params={"limit": "7", "cursor": page["next_cursor"]}).json()
        seen += [(i["base_hour"], i["horizon_hour"]) for i in page["items"]]
        pages += 1
    expected = [(f"2026-11-01T{h:02d}:00:00Z", lead) for h in (*range(19, 9, -1), 3, 2) for lead in (6, 12, 24)]
    assert seen == expected  # every original and every older row once, in order; the newer before the cursor
    assert pages == 6  # 36 items by 7
    newest = client.get(HISTORY_PATH, params={"limit": "3"}).json()["items"]
    assert [(i["base_hour"][8:13], i["horizon_hour"]) for i in newest] == [("02T02", 6), ("02T02", 12), ("02T02", 24)]


# ---- observations and skill ------------------------------------------------------------------------

def test_observations_report_hourly_values_and_coverage(world: World) -> None:
    values = {0: 10.0, 1: 12.0, 2: 14.0, 3: None, 4: 20.0, 5: 22.0, 7: 30.0, 8: 31.0}  # 06:00 and 09:00 absent
    merge_rows(world.catalog, tables.OPENAQ_CITY_HOURLY, [
        {"hour": BASE + dt.timedelta(hours=h), "pm25_median": v, "pm25_mean": None if v is None else v + 1,
         "station_count": 5 if v is not None else 0, "coverage_avg": 0.9, "source": "openaq", "updated_at": BASE}
        for h, v in values.items()])
    client = TestClient(world.app())
    body = client.get(OBSERVATIONS_PATH, params={"from": "2026-11-01", "to": "2026-11-01T10:00:00Z"}).json()
    assert (body["from"], body["to"], body["unit"]) == ("2026-11-01T00:00:00Z", "2026-11-01T10:00:00Z", "µg/m³")
    assert (body["hours_in_range"], body["hours_present"], body["coverage"]) == (10, 7, 0.7)
    assert [i["hour"][11:13] for i in body["items"]] == ["00", "01", "02", "03", "04", "05", "07", "08"]
    assert body["items"][1] == {"hour": "2026-11-01T01:00:00Z", "pm25": 12.0, "pm25_mean": 13.0,
                                "station_count": 5, "coverage_avg": 0.9, "source": "openaq"}
    assert body["items"][3]["pm25"] is None and body["items"][3]["station_count"] == 0
    window = client.get(OBSERVATIONS_PATH, params={"from": "2026-11-01T04:00:00Z", "to": "2026-11-01T06:00Z"}).json()
    assert ([i["pm25"] for i in window["items"]], window["coverage"]) == ([20.0, 22.0], 1.0)
    # default: the 7 days up to the newest hour in silver (08:00)
    default = client.get(OBSERVATIONS_PATH).json()
    assert (default["from"], default["to"], default["hours_in_range"], default["hours_present"]) == (
        "2026-10-25T09:00:00Z", "2026-11-01T09:00:00Z", 168, 7)


def test_skill_returns_the_window_asked_by_lead_time(world: World) -> None:
    as_of = BASE + dt.timedelta(hours=30)
    merge_rows(world.catalog, tables.FORECAST_SKILL, [
        {"location_id": "hanoi", "horizon_hour": h, "window_days": d, "as_of": as_of, "forecasts": 10 * d,
         "scored": 9 * d, "mae": h + d / 100, "rmse": 2.0 * h, "bias": -1.0, "rmse_persistence": 3.0 * h,
         "skill_vs_persistence": 1 / 3, "vn_aqi_hit_rate": 0.5, "interval_scored": 8 * d, "coverage_80": 0.75,
         "updated_at": as_of, "job_run_id": "r"}
        for h in (24, 6, 12) for d in (7, 30)])
    client = TestClient(world.app())
    week = client.get(SKILL_PATH).json()
    assert (week["window_days"], [i["horizon_hour"] for i in week["items"]]) == (7, [6, 12, 24])
    assert week["items"][0] == {"horizon_hour": 6, "as_of": "2026-11-02T06:00:00Z", "forecasts": 70, "scored": 63,
                                "mae": 6.07, "rmse": 12.0, "bias": -1.0, "rmse_persistence": 18.0,
                                "skill_vs_persistence": pytest.approx(1 / 3), "vn_aqi_hit_rate": 0.5,
                                "interval_scored": 56, "coverage_80": 0.75, "updated_at": "2026-11-02T06:00:00Z"}
    month = client.get(SKILL_PATH, params={"window_days": "30"}).json()
    assert [(i["horizon_hour"], i["forecasts"], i["mae"]) for i in month["items"]] == [
        (6, 300, 6.3), (12, 300, 12.3), (24, 300, 24.3)]


# ---- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "params", "field"), [
    (SKILL_PATH, {"window_days": "14"}, "window_days"),
    (SKILL_PATH, {"window_days": "week"}, "window_days"),
    (HISTORY_PATH, {"limit": "0"}, "limit"),
    (HISTORY_PATH, {"limit": "1001"}, "limit"),
    (HISTORY_PATH, {"horizon": "3"}, "horizon"),
    (HISTORY_PATH, {"from": "yesterday"}, "from"),
    (HISTORY_PATH, {"from": "2026-11-02", "to": "2026-11-01"}, "to"),
    (HISTORY_PATH, {"cursor": "not-a-cursor"}, "cursor"),
    (OBSERVATIONS_PATH, {"from": "2026-01-01", "to": "2026-12-01"}, "to"),
    (OBSERVATIONS_PATH, {"to": "2026-13-01"}, "to"),
])
def test_bad_query_values_are_422_naming_the_field(world: World, path: str, params: dict[str, str],
                                                   field: str) -> None:
    response = TestClient(world.app()).get(path, params=params)
    assert response.status_code == 422
    body = response.json()
    assert (sorted(body), body["error"], body["field"]) == (["error", "field", "message"], "invalid_query", field)
    assert body["message"].startswith(field) or "range" in body["message"]


def test_unknown_routes_wrong_methods_and_outages_share_the_error_shape(world: World) -> None:
    client = TestClient(world.app())
    missing = client.get("/api/v1/hanoi/pm25/nothing")
    assert (missing.status_code, missing.json()) == (
        404, {"error": "not_found", "message": "no route /api/v1/hanoi/pm25/nothing", "field": None})
    wrong = client.post(FORECAST_PATH)
    assert (wrong.status_code, wrong.json()) == (
        405, {"error": "method_not_allowed", "message": "Method Not Allowed", "field": None})
    assert wrong.headers["allow"] == "GET"

    def unreachable(_: Settings) -> NoReturn:
        raise ConnectionError("catalog host refused the connection")

    down = TestClient(create_app(world.settings, catalog_factory=unreachable, wall_clock=world.wall))
    for path, code in ((HISTORY_PATH, "table_unavailable"), (OBSERVATIONS_PATH, "table_unavailable"),
                       (SKILL_PATH, "table_unavailable"), (FORECAST_PATH, "prediction_table_unavailable")):
        response = down.get(path)
        body = response.json()
        assert (response.status_code, body["error"], body["field"], body["location"]) == (503, code, None, "hanoi")
        assert "ConnectionError" in body["message"]
    assert down.get(HISTORY_PATH).json()["table"] == "predictions.hanoi_pm25_forecast_archive_gold"


def test_a_missing_prediction_keeps_its_404_fields(world: World) -> None:
    world.catalog.load_table(tables.PREDICTIONS.identifier).delete(delete_filter="location_id == 'hanoi'")
    response = TestClient(world.app()).get(FORECAST_PATH)
    assert (response.status_code, response.json()) == (404, {
        "error": "prediction_not_found", "location": "hanoi", "message": "no production forecast for the location",
        "field": None})


# ---- CORS ------------------------------------------------------------------------------------------

def test_cors_answers_configured_origins_only_and_on_the_fast_path(world: World) -> None:
    origin = "http://localhost:5173"
    client = TestClient(world.app(_with(world.settings, **{"api.cors_origins.0": origin})))
    preflight = client.options(FORECAST_PATH, headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                                       "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "if-none-match" in preflight.headers["access-control-allow-headers"].lower()
    client.get(FORECAST_PATH)  # cached: later requests could take the fast path
    simple = client.get(FORECAST_PATH, headers={"Origin": origin})
    assert (simple.status_code, simple.headers["access-control-allow-origin"]) == (200, origin)
    assert simple.headers["access-control-expose-headers"].lower() == "etag" and simple.headers["etag"]
    other = client.get(FORECAST_PATH, headers={"Origin": "http://evil.example"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
    rejected = client.options(FORECAST_PATH, headers={"Origin": "http://evil.example",
                                                      "Access-Control-Request-Method": "GET"})
    assert (rejected.status_code, rejected.json()) == (
        400, {"error": "cors_rejected", "message": "Disallowed CORS origin", "field": None})
    # none configured (the default): no CORS header on any path
    plain = TestClient(world.app())
    plain.get(FORECAST_PATH)
    for path in (FORECAST_PATH, HISTORY_PATH):
        assert "access-control-allow-origin" not in plain.get(path, headers={"Origin": origin}).headers


# ---- metrics ---------------------------------------------------------------------------------------

def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def _count(samples: dict, route: str, status: str) -> float:
    return samples.get(("ais_api_requests_total", (("route", route), ("status", status))), 0.0)


def test_metrics_count_exactly_the_requests_made(world: World) -> None:
    world.archive([BASE])
    client = TestClient(world.app())
    before = _samples(client)
    assert _count(before, FORECAST_PATH, "200") == 0
    latest = [client.get(FORECAST_PATH) for _ in range(5)]  # 1 through the stack, 4 on the fast path
    etag = latest[0].headers["etag"]
    for _ in range(3):
        assert client.get(FORECAST_PATH, headers={"If-None-Match": etag}).status_code == 304
    for _ in range(2):
        client.get(HISTORY_PATH)
    client.get(SKILL_PATH, params={"window_days": "9"})
    client.get("/nope")
    after = _samples(client)
    assert _count(after, FORECAST_PATH, "200") == 5
    assert _count(after, FORECAST_PATH, "304") == 3
    assert _count(after, HISTORY_PATH, "200") == 2
    assert _count(after, SKILL_PATH, "422") == 1
    assert _count(after, "unmatched", "404") == 1
    assert _count(after, "/metrics", "200") == 1  # the first scrape
    assert after[("ais_api_request_duration_seconds_count",
                  (("route", FORECAST_PATH), ("status", "200")))] == 5
    # the first forecast read waited for the table; the other 7 came from the cache; the history's
    # first read too, its second from the cache
    hits = {labels: v for (name, labels), v in after.items() if name == "ais_api_cache_hits_total"}
    assert hits == {(("route", FORECAST_PATH),): 7, (("route", HISTORY_PATH),): 1}
    assert after[("ais_api_forecast_age_seconds", ())] == pytest.approx(30 * 60 + 5)
    snapshot = world.catalog.load_table(tables.PREDICTIONS.identifier).current_snapshot().snapshot_id
    assert after[("ais_api_prediction_snapshot_id", ())] == float(snapshot)


def test_cached_routes_answer_from_memory_while_the_catalog_fails(world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiceberg.table import Table

    world.archive([BASE])
    app = world.app()
    client = TestClient(app)
    assert len(client.get(HISTORY_PATH).json()["items"]) == 3
    calls: list[str] = []

    def failing_refresh(self: Table) -> Table:
        calls.append(".".join(self.name()))
        raise ConnectionError("catalog down")

    monkeypatch.setattr(Table, "refresh", failing_refresh)
    world.mono.value += 5  # a refresh is due: it starts in the background and fails there
    during = client.get(HISTORY_PATH)
    assert (during.status_code, len(during.json()["items"])) == (200, 3)
    _wait_refreshed(app, HISTORY_PATH)
    assert calls == ["predictions.hanoi_pm25_forecast_archive_gold"]
    after = client.get(HISTORY_PATH)  # the failed refresh left the cached rows in place
    assert (after.status_code, after.json()["items"]) == (200, during.json()["items"])
