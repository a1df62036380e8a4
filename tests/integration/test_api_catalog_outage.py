"""The API under a failing catalog (issue 16 item 5): a locked SQLite catalog neither delays a
cached forecast nor blocks /readyz, and the API recovers without a restart.

The main test runs the real server (`ais serve`, uvicorn, in a child process) over a catalog with a
production forecast, holds an EXCLUSIVE transaction on the catalog's SQLite file from another
connection for OUTAGE_S seconds while a few HTTP clients request the forecast, then releases it
and writes a new forecast. The others drive the app in-process with a catalog whose calls block
until the test lets them through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ais.api.app import FORECAST_PATH, create_app
from ais.api.schemas import forecast_response
from ais.catalog import catalog_location, ensure_tables, load_catalog
from ais.config import Settings, load_settings
from ais.features.columns import schema_hash
from ais.iceberg_io import merge_rows
from ais.k8s.smoke import free_loopback_port, stop_process
from ais.tables import PREDICTIONS
from tests.conftest import CONFIG_PATH, isolated_env

OUTAGE_S = 30.0
CLIENTS = 4
LATENCY_BOUND_MS = 50.0
# The clients measure the server plus this machine's scheduling: on 2 cores shared with other
# sessions (load average 5-8 while this was written) a thread that sleeps 1 ms may wake 45 ms late
# with no API running. So the client-side bound holds for all but SLOW_SHARE of the answers, every
# answer stays below HARD_BOUND_MS (a third of the 3 s catalog timeout: none waited for a catalog
# call), and the server's own handling time (its access log) is within the bound for every request.
SLOW_SHARE = 0.005
HARD_BOUND_MS = 1000.0
VERSION = "lightgbm-00000000000000cc"
FIRST_HOUR = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)


def prediction(settings: Settings, hour: dt.datetime, pm25_6h: float) -> dict[str, Any]:
    return {"prediction_id": f"p-{hour:%Y%m%d%H}", "base_hour": hour, "location_id": "hanoi",
            "location_name": "Hanoi", "pm25_now": 40.0, "pm25_6h": pm25_6h, "risk_6h": "medium",
            "pm25_12h": 30.0, "risk_12h": "low", "pm25_24h": 80.0, "risk_24h": "high", "model_version": VERSION,
            "model_version_6h": VERSION, "model_version_12h": VERSION, "model_version_24h": VERSION,
            "model_status": "production", "feature_version": settings.feature_version,
            "feature_schema_hash": schema_hash(), "created_at": hour + dt.timedelta(minutes=20),
            "year": hour.year, "month_partition": hour.month}


AGE_FIELDS = ("age_minutes", "stale")  # the forecast's age at the answer: the only fields that move


def contract_of(body: bytes) -> dict[str, Any]:
    """A forecast body without its age fields."""
    return {k: v for k, v in json.loads(body).items() if k not in AGE_FIELDS}


def contract_body(row: dict[str, Any]) -> dict[str, Any]:
    """The body the API sends for a row (pydantic's JSON of the contract model), without its age."""
    return contract_of(forecast_response(row).model_dump_json(by_alias=True).encode("utf-8"))


def catalog_file(settings: Settings) -> Path:
    return Path(catalog_location(settings).sqlalchemy_url.removeprefix("sqlite:///"))


@dataclass
class Answer:
    sent_at: float  # monotonic
    status: int
    body: bytes
    started: float  # perf_counter
    ended: float

    @property
    def latency_ms(self) -> float:
        return (self.ended - self.started) * 1000.0


@dataclass
class LoadGenerator:
    """CLIENTS threads, each with its own connection, requesting ``url`` until stopped; every
    answer is timed on the client side."""

    url: str
    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _client(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while not self._stop.is_set():
                sent = time.monotonic()
                started = time.perf_counter()
                try:
                    response = client.get(self.url)
                except httpx.HTTPError as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                self.answers.append(Answer(sent, response.status_code, response.content, started,
                                           time.perf_counter()))
                time.sleep(0.02)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(CLIENTS)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)


def wait_for(call: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``call()`` is true; fails the test after ``timeout_s``."""
    started = time.monotonic()
    while not call():
        if time.monotonic() - started > timeout_s:
            pytest.fail(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def store(tmp_path: Path) -> Settings:
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    ensure_tables(settings, specs=[PREDICTIONS])
    merge_rows(load_catalog(settings), PREDICTIONS, [prediction(settings, FIRST_HOUR, 42.0)])
    return settings


@contextmanager
def serve(env: dict[str, str], log_file: Path) -> Iterator[str]:
    """`ais serve` (JSON logs into ``log_file``) with ``env`` on a free loopback port, ready;
    yields its base URL and stops it on exit."""
    port = free_loopback_port()
    with open(log_file, "wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "ais.cli", "--log-format", "json", "serve",
                                 "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"ais serve exited with {proc.returncode}: {log_file.read_text()[-2000:]}")
            try:
                return httpx.get(base + "/readyz", timeout=2.0).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60.0, "the API's readiness")
        yield base
        assert proc.poll() is None  # the same process throughout
    finally:
        stop_process(proc, 10.0)


def api_events(log_file: Path, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    return [e for e in lines if e.get("event") == event]


def outage_under_load(base: str, log_file: Path, writer: Settings, begin: Callable[[], None],
                      end: Callable[[], None], refresh_error: str) -> dict[str, Any]:
    """The API at ``base`` serves the forecast of ``prediction(writer, FIRST_HOUR, 42.0)``. Under
    CLIENTS clients, ``begin()`` makes its catalog fail, ``end()`` after OUTAGE_S restores it, then
    a new forecast is written through ``writer``; asserts the answers, readiness and recovery (see
    the module docstring) and returns the figures. ``refresh_error`` is a word of the error a
    failed background refresh logs."""
    first = contract_body(prediction(writer, FIRST_HOUR, 42.0))
    before = httpx.get(base + FORECAST_PATH)
    assert (before.status_code, contract_of(before.content)) == (200, first)  # the contract body
    assert before.headers["content-type"] == "application/json"

    load = LoadGenerator(base + FORECAST_PATH)
    # the clients' own collector pauses (this process holds pytest and PyIceberg) would be measured
    # as the server's latency: no collection while they run
    gc.collect()
    gc.disable()
    ready_during: list[tuple[int, dict[str, Any], float]] = []
    try:
        load.start()
        time.sleep(1.0)  # answers before the outage, for comparison
        begin()
        began_at = time.monotonic()
        try:
            while time.monotonic() - began_at < OUTAGE_S - 3.0:
                started = time.perf_counter()
                response = httpx.get(base + "/readyz", timeout=10.0)
                ready_during.append((response.status_code, response.json(), time.perf_counter() - started))
                time.sleep(0.5)
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - began_at)))
        finally:
            end()
            ended_at = time.monotonic()
        recovery_s = wait_for(lambda: httpx.get(base + "/readyz", timeout=10.0).status_code == 200, 20.0,
                              "readiness after the catalog came back")
    finally:
        load.stop()
        gc.enable()

    assert load.errors == []
    during = [a for a in load.answers if began_at <= a.sent_at < ended_at]
    assert len(during) >= 100, f"only {len(during)} forecast requests during the outage"
    assert [a.status for a in load.answers if a.status != 200] == []
    assert all(contract_of(a.body) == first for a in load.answers)
    # the same bytes but for the age, which moves once a minute
    assert len({a.body for a in load.answers}) <= 2
    latencies = sorted(a.latency_ms for a in load.answers)
    slow = [round(ms, 1) for ms in latencies if ms > LATENCY_BOUND_MS]
    assert len(slow) <= SLOW_SHARE * len(latencies), f"{len(slow)} of {len(latencies)} answers over " \
                                                     f"{LATENCY_BOUND_MS} ms: {slow[-10:]}"
    assert latencies[-1] < HARD_BOUND_MS
    handled = [e["latency_ms"] for e in api_events(log_file, "request") if e["path"] == FORECAST_PATH]
    assert len(handled) >= len(load.answers) and max(handled) < LATENCY_BOUND_MS

    # readiness: 503 naming the catalog, answered within READY_TIMEOUT_SECONDS (2 s) plus slack
    assert len(ready_during) >= 10
    assert {(status, body["status"], body["failed"]) for status, body, _ in ready_during} == {
        (503, "not_ready", "catalog")}
    assert max(seconds for _, _, seconds in ready_during) < 3.0
    assert recovery_s < 15.0

    # the outage really reached the refresh: it failed, on its background thread, with a cached answer
    failures = [e for e in api_events(log_file, "prediction_cache_refresh_failed") if refresh_error in e["error"]]
    assert failures and all(e["cached"] is True for e in failures)

    # a forecast written after the recovery is served by the same process
    later = FIRST_HOUR + dt.timedelta(hours=1)
    merge_rows(load_catalog(writer), PREDICTIONS, [prediction(writer, later, 55.0)])
    second = contract_body(prediction(writer, later, 55.0))
    wait_for(lambda: contract_of(httpx.get(base + FORECAST_PATH).content) == second, 10.0, "the new forecast")
    outage = sorted(a.latency_ms for a in during)
    return {"forecast_answers": len(latencies), "during_outage": len(during),
            "outage_max_ms": round(outage[-1], 2), "outage_p99_ms": round(outage[int(len(outage) * 0.99)], 2),
            "outage_median_ms": round(statistics.median(outage), 2), "over_bound_ms": slow,
            "server_max_ms": max(handled), "readyz_during": len(ready_during),
            "readyz_max_s": round(max(s for _, _, s in ready_during), 3), "recovery_s": round(recovery_s, 2),
            "refresh_failures_logged": len(failures)}


def test_a_locked_catalog_delays_no_forecast_and_the_api_recovers(store: Settings, tmp_path: Path) -> None:
    # rollback journal (PyIceberg's default): an EXCLUSIVE lock keeps every reader out
    holder = sqlite3.connect(catalog_file(store), isolation_level=None, timeout=10.0)
    assert holder.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    log_file = tmp_path / "api.log"
    try:
        with serve(store.child_environ(), log_file) as base:
            figures = outage_under_load(base, log_file, store, lambda: holder.execute("BEGIN EXCLUSIVE"),
                                        lambda: holder.execute("ROLLBACK"), "database is locked")
    finally:
        holder.close()
    print(json.dumps({"sqlite_lock": figures}))


# ---- in-process: a catalog whose calls wait on a gate -----------------------------------------------

class GatedCatalog:
    """A real catalog whose calls wait while ``gate`` is closed (a hung database, below any driver
    timeout)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.calls = 0

    def _wait(self) -> None:
        self.calls += 1
        self.gate.wait(30)

    def list_namespaces(self) -> Any:
        self._wait()
        return self.inner.list_namespaces()

    def load_table(self, identifier: str) -> Any:
        self._wait()
        loaded = self.inner.load_table(identifier)
        loaded.catalog = self  # Table.refresh() goes through the gate too
        return loaded

    def __getattr__(self, name: str) -> Any:  # what a scan asks of the catalog, ungated
        return getattr(self.inner, name)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_hung_refresh_neither_delays_the_cached_answer_nor_readiness(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(READY_TIMEOUT_SECONDS="0.3")
    ensure_tables(settings, specs=[PREDICTIONS])
    merge_rows(load_catalog(settings), PREDICTIONS, [prediction(settings, FIRST_HOUR, 42.0)])
    gated = GatedCatalog(load_catalog(settings, create=False))
    clock = Clock()
    client = TestClient(create_app(settings, clock=clock, catalog_factory=lambda _: gated))
    first = client.get(FORECAST_PATH)
    assert (first.status_code, contract_of(first.content)) == (200, contract_body(prediction(settings, FIRST_HOUR,
                                                                                              42.0)))

    gated.gate.clear()
    calls = gated.calls
    clock.now += 5  # a refresh is due: the next request starts it in the background
    for _ in range(20):
        started = time.perf_counter()
        again = client.get(FORECAST_PATH)
        assert (again.status_code, again.content) == (200, first.content)
        assert time.perf_counter() - started < 0.5
    wait_for(lambda: gated.calls == calls + 1, 5.0, "the background refresh")
    clock.now += 5
    client.get(FORECAST_PATH)
    assert gated.calls == calls + 1  # one refresh at a time: the hung one is not joined by another

    started = time.perf_counter()
    ready = client.get("/readyz")
    assert time.perf_counter() - started < 2.0
    assert (ready.status_code, ready.json()) == (503, {"status": "not_ready", "failed": "catalog",
                                                       "error": "timed out after 0.3 s"})
    ready_again = client.get("/readyz")  # joins the probe in flight instead of starting another
    assert ready_again.status_code == 503 and gated.calls == calls + 2

    gated.gate.set()  # the catalog answers again: the same app recovers
    wait_for(lambda: client.get("/readyz").status_code == 200, 5.0, "readiness after the gate opened")
    later = FIRST_HOUR + dt.timedelta(hours=1)
    merge_rows(load_catalog(settings), PREDICTIONS, [prediction(settings, later, 55.0)])
    second = contract_body(prediction(settings, later, 55.0))

    def served() -> bool:
        clock.now += 2
        return contract_of(client.get(FORECAST_PATH).content) == second

    wait_for(served, 5.0, "the new forecast")


def test_nothing_cached_and_the_catalog_down_is_503_at_once(settings: Settings) -> None:
    attempts: list[float] = []

    def failing_then_hanging(_: Settings) -> Any:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise ConnectionError("catalog host refused the connection")
        time.sleep(5)
        raise ConnectionError("late")

    clock = Clock()
    client = TestClient(create_app(settings, clock=clock, catalog_factory=failing_then_hanging))
    assert client.get(FORECAST_PATH).status_code == 503  # the first read failed
    clock.now += 2  # due again: a new read starts (and hangs) in the background
    for _ in range(5):
        started = time.perf_counter()
        response = client.get(FORECAST_PATH)
        assert time.perf_counter() - started < 0.5
        assert response.status_code == 503
        assert response.json().items() >= {"error": "prediction_table_unavailable", "location": "hanoi"}.items()
    assert len(attempts) == 2


def test_the_catalog_timeout_reaches_the_database_driver(tmp_path: Path) -> None:
    from ais.catalog import with_timeout

    assert with_timeout("sqlite:////srv/cat.db", 3.0) == "sqlite:////srv/cat.db?timeout=3"
    assert with_timeout("postgresql+psycopg://u:p@db:5432/cat?sslmode=disable", 2.5) == (
        "postgresql+psycopg://u:p@db:5432/cat?sslmode=disable&connect_timeout=3"
        "&options=-c%20statement_timeout%3D2500")
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    ensure_tables(settings, specs=[PREDICTIONS])
    catalog = load_catalog(settings, create=False, timeout_s=0.5)
    holder = sqlite3.connect(catalog_file(settings), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(Exception, match="database is locked"):
            catalog.list_namespaces()
        assert 0.4 < time.monotonic() - started < 3.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert ("predictions",) in catalog.list_namespaces()


def test_the_api_catalog_carries_the_configured_bound(store: Settings) -> None:
    from ais.api.store import PredictionStore

    bounded = dataclasses.replace(store, values=store.values | {"api.catalog_timeout_seconds": "0.75"})
    catalog = PredictionStore(bounded).catalog()
    assert catalog.engine.url.query["timeout"] == "0.75"  # type: ignore[attr-defined]
    assert catalog.engine.url.database == str(catalog_file(store))  # type: ignore[attr-defined]
