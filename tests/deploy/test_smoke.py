"""ais.k8s.smoke: the API probes against a canned HTTP server on loopback, and against the real
`ais serve` over an isolated catalog."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ais import errors
from ais.k8s import smoke
from tests.conftest import CONFIG_PATH, isolated_env
from tests.json_server import Routes, json_server

FORECAST = {"base_hour": "2026-05-01T09:00:00Z", "location": "hanoi", "pm25_now": 41.0,
            "forecast": {"6h": {"pm25": 45.0, "risk": "medium"}, "12h": {"pm25": 52.0, "risk": "medium"},
                         "24h": {"pm25": 38.0, "risk": "medium"}},
            "model": {"model_version_6h": "m", "model_version_12h": "m", "model_version_24h": "m",
                      "feature_version": "hanoi_pm25_core_v1"},
            "created_at": "2026-05-01T09:05:00Z"}


@pytest.fixture
def api() -> Iterator[Callable[[Routes], str]]:
    """api(routes) -> base URL of a loopback server answering each path with (status, JSON body)."""
    with contextlib.ExitStack() as stack:
        yield lambda routes: stack.enter_context(json_server(routes)).url


def healthy(forecast: Any = FORECAST) -> Routes:
    return {"/healthz": (200, {"status": "ok"}), "/readyz": (200, {"status": "ready"}),
            smoke.FORECAST_PATH: (200, forecast)}


def hour(text: str) -> dt.datetime:
    return smoke.parse_hour(text)


def test_all_probes_hold(api: Callable[[Routes], str]) -> None:
    summary = smoke.run_probes(api(healthy()), hour("2026-05-01T09:00:00Z"), 5.0)
    assert summary["status"] == "success" and summary["problems"] == []
    assert (summary["healthz_status"], summary["readyz_status"], summary["forecast_status"]) == (200, 200, 200)
    assert summary["base_hour"] == "2026-05-01T09:00:00Z"
    assert summary["expected_base_hour"] == "2026-05-01T09:00:00Z"


def test_stale_forecast_fails(api: Callable[[Routes], str]) -> None:
    summary = smoke.run_probes(api(healthy()), hour("2026-05-01T10:00:00Z"), 5.0)
    assert summary["status"] == "failed"
    assert summary["problems"] == ["stale forecast: base_hour 2026-05-01T09:00:00Z is before the expected "
                                   "2026-05-01T10:00:00Z"]


def test_not_ready_and_missing_prediction_fail(api: Callable[[Routes], str]) -> None:
    routes = healthy()
    routes["/readyz"] = (503, {"status": "not_ready", "failed": "catalog"})
    routes[smoke.FORECAST_PATH] = (404, {"error": "prediction_not_found", "location": "hanoi"})
    summary = smoke.run_probes(api(routes), None, 5.0)
    assert summary["problems"] == ["/readyz answered 503 (http_503)",
                                   f"{smoke.FORECAST_PATH} answered 404 (prediction_not_found)"]
    assert summary["readyz_status"] == 503 and summary["forecast_status"] == 404


def test_malformed_forecast_fails(api: Callable[[Routes], str]) -> None:
    body = {**FORECAST, "forecast": {"6h": {"pm25": 1.0, "risk": "low"}}}
    summary = smoke.run_probes(api(healthy(body)), None, 5.0)
    assert summary["problems"] == ["forecast horizons are ['6h'], not 6h/12h/24h"]
    assert smoke.forecast_problem({"base_hour": "x"}, None) == \
        "forecast body lacks location, forecast, model, created_at"


def test_unreachable_api_fails() -> None:
    port = smoke.free_loopback_port()
    summary = smoke.run_probes(f"http://127.0.0.1:{port}", None, 2.0)
    assert summary["status"] == "failed"
    assert summary["healthz_status"] is None
    assert summary["problems"][0].startswith("/healthz answered None (unreachable")


def test_main_exit_codes(api: Callable[[Routes], str], capsys: pytest.CaptureFixture[str]) -> None:
    ok = smoke.main(["--config", str(CONFIG_PATH), "--base-url", api(healthy()),
                     "--expect-base-hour", "2026-05-01T09Z"])
    assert ok == errors.EXIT_OK
    assert json.loads(capsys.readouterr().out)["status"] == "success"
    stale = smoke.main(["--config", str(CONFIG_PATH), "--base-url", api(healthy()),
                        "--expect-base-hour", "2026-05-02T00:00:00Z"])
    assert stale == errors.EXIT_CHECK_FAILED
    capsys.readouterr()
    assert smoke.main(["--config", str(CONFIG_PATH)]) == errors.EXIT_USAGE  # no URL anywhere
    assert smoke.main(["--config", str(CONFIG_PATH), "--base-url", "http://127.0.0.1:1",
                       "--expect-base-hour", "yesterday"]) == errors.EXIT_USAGE


def test_serve_local_probes_the_real_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`--serve-local` starts `ais serve` over the catalog of the environment: with tables and no
    prediction the API is alive and ready, and the missing forecast fails the smoke."""
    from ais.catalog import ensure_tables
    from ais.config import load_settings

    env = isolated_env(tmp_path)
    ensure_tables(load_settings(CONFIG_PATH, environ=env))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = smoke.main(["--config", str(CONFIG_PATH), "--serve-local", "--startup-timeout", "60"])
    summary = json.loads(capsys.readouterr().out)
    assert code == errors.EXIT_CHECK_FAILED
    assert (summary["healthz_status"], summary["readyz_status"], summary["forecast_status"]) == (200, 200, 404)
    assert summary["base_url"].startswith("http://127.0.0.1:")
