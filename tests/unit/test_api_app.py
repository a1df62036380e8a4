"""API behaviour that needs no table: health, readiness failures, access log, outage answers.
The forecast body against a real table is covered in tests/integration/test_ml_chain.py."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from fastapi.testclient import TestClient

from ais.api import cli as api_cli
from ais.api.app import FORECAST_PATH, _safe_error, create_app
from ais.api.store import PredictionStore, catalog_timeout
from ais.config import ConfigError, Settings


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append((record.getMessage(), dict(getattr(record, "fields", {}))))


@pytest.fixture
def access_log() -> Iterator[_Capture]:
    handler = _Capture()
    logger = logging.getLogger("ais.api")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


MakeSettings = Callable[..., Settings]


def _unreachable(settings: Settings) -> NoReturn:
    raise ConnectionError("catalog host refused the connection")


class _NoTableCatalog:
    def list_namespaces(self) -> list:
        return []

    def load_table(self, identifier: str) -> object:
        raise LookupError(f"Table does not exist: {identifier}")


def test_healthz_needs_no_dependency(settings: Settings, access_log: _Capture) -> None:
    def never(_: Settings) -> NoReturn:
        raise AssertionError("healthz must not touch the catalog")

    client = TestClient(create_app(settings, catalog_factory=never))
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    (event, fields), = access_log.events
    assert event == "request"
    assert (fields["path"], fields["status_code"], fields["error_code"]) == ("/healthz", 200, None)
    assert fields["latency_ms"] >= 0


def test_readyz_names_the_catalog_when_it_is_unreachable(settings: Settings, access_log: _Capture) -> None:
    response = TestClient(create_app(settings, catalog_factory=_unreachable)).get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "failed": "catalog",
                               "error": "ConnectionError: catalog host refused the connection"}
    assert access_log.events[-1][1]["error_code"] == "not_ready"


def test_readyz_names_the_prediction_table_when_it_is_missing(settings: Settings) -> None:
    response = TestClient(create_app(settings, catalog_factory=lambda _: _NoTableCatalog())).get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["failed"], body["error"]) == (
        "prediction_table", "LookupError: Table does not exist: predictions.hanoi_pm25_forecast_gold")


def test_readyz_times_out_after_ready_timeout_seconds(make_settings: MakeSettings) -> None:
    settings = make_settings(READY_TIMEOUT_SECONDS="0.2")

    def hangs(_: Settings) -> NoReturn:
        time.sleep(3)
        raise ConnectionError("late")

    started = time.monotonic()
    response = TestClient(create_app(settings, catalog_factory=hangs)).get("/readyz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "failed": "catalog", "error": "timed out after 0.2 s"}


def test_readyz_reports_a_bad_timeout_setting_as_config(make_settings: MakeSettings) -> None:
    settings = make_settings(READINESS_TIMEOUT_SECONDS="soon")  # the alias is honoured too
    response = TestClient(create_app(settings, catalog_factory=_unreachable)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == "config"


def test_forecast_is_503_when_the_table_cannot_be_read(settings: Settings, access_log: _Capture) -> None:
    response = TestClient(create_app(settings, catalog_factory=_unreachable)).get(FORECAST_PATH)
    assert response.status_code == 503
    assert response.json() == {"error": "prediction_table_unavailable", "location": "hanoi", "field": None,
                               "message": "StoreUnavailable: cannot read predictions.hanoi_pm25_forecast_gold: "
                                          "ConnectionError"}
    fields = access_log.events[-1][1]
    assert (fields["path"], fields["status_code"], fields["error_code"]) == (
        FORECAST_PATH, 503, "prediction_table_unavailable")


def test_only_the_contract_routes_and_the_openapi_description_exist(settings: Settings) -> None:
    client = TestClient(create_app(settings, catalog_factory=_unreachable))
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    body = spec.json()
    assert sorted(body["paths"]) == ["/api/v1/hanoi/map/latest", "/api/v1/hanoi/pm25/forecast/history",
                                     "/api/v1/hanoi/pm25/forecast/latest", "/api/v1/hanoi/pm25/forecast/skill",
                                     "/api/v1/hanoi/pm25/observations", "/api/v1/pipeline/health",
                                     "/healthz", "/readyz"]
    assert "VN_AQI" in body["info"]["description"]
    latest = body["paths"][FORECAST_PATH]["get"]["responses"]
    assert sorted(latest) == ["200", "404", "500", "503"]
    entry = body["components"]["schemas"]["ForecastEntry"]
    assert sorted(entry["required"]) == ["pm25", "risk", "vn_aqi"]
    assert sorted(entry["properties"]) == ["aqi", "pm25", "pm25_p10", "pm25_p90", "risk", "unit", "vn_aqi"]
    forecast = body["components"]["schemas"]["Forecast"]["properties"]
    assert sorted(forecast) == ["12h", "24h", "6h"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    assert client.get("/redoc").status_code == 404
    assert client.get("/api/v1/hanoi/pm25/forecast/other").status_code == 404


def test_errors_never_carry_credentials() -> None:
    exc = ConnectionError("cannot reach postgresql+psycopg://ais:s3cret@db:5432/catalog")
    assert _safe_error(exc) == "ConnectionError: cannot reach postgresql+psycopg://***@db:5432/catalog"


def test_serve_flags() -> None:
    parser = argparse.ArgumentParser()
    api_cli.register(parser.add_subparsers(dest="command"))
    defaults = parser.parse_args(["serve"])
    assert (defaults.host, defaults.port) == ("127.0.0.1", None)
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)


def test_readyz_fails_on_a_missing_catalog_without_creating_it(settings: Settings) -> None:
    from ais.catalog import catalog_location

    catalog_file = Path(catalog_location(settings).sqlalchemy_url.removeprefix("sqlite:///"))
    response = TestClient(create_app(settings)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == "catalog"
    assert not catalog_file.exists()


def test_the_catalog_timeout_comes_from_the_api_section(settings: Settings) -> None:
    assert catalog_timeout(settings) == 3.0
    store = PredictionStore(settings, catalog_factory=_unreachable)
    # a refresh or probe hung past four bounds (plus a second) is abandoned
    assert (store.catalog_timeout_s, store.abandon_after_s) == (3.0, 13.0)


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_bad_catalog_timeout_stops_the_api_at_start(settings: Settings, value: str) -> None:
    bad = dataclasses.replace(settings, values=settings.values | {"api.catalog_timeout_seconds": value})
    with pytest.raises(ConfigError, match=r"api\.catalog_timeout_seconds must be"):
        create_app(bad, catalog_factory=_unreachable)
