"""The read-only PM2.5 API (CONTRACTS.md §6, seed §14).

    GET /healthz                              the process is alive (no dependency)
    GET /readyz                               config + catalog + prediction table within
                                              READY_TIMEOUT_SECONDS, else 503 naming the failure
                                              (one probe at a time; a request waits for it at
                                              most that long)
    GET /api/v1/hanoi/pm25/forecast/latest    the latest production prediction, or 404
    GET /openapi.json, GET /docs              the OpenAPI description and its browsable page

No Spark, no model, no feature table in a request: the forecast comes from the in-memory copy of
the prediction table's latest row (:mod:`ais.api.store`), refreshed on a background thread, so a
slow or failing catalog never delays a forecast that is cached. Each request writes one access-log
line (path, status_code, latency_ms, error_code).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ais.api.schemas import (
    ErrorResponse,
    ForecastResponse,
    HealthResponse,
    InvalidPredictionRow,
    ReadyResponse,
)
from ais.api.store import CatalogLike, Flight, PredictionStore, StoreUnavailable
from ais.config import Settings
from ais.jsonlog import get_logger

log = get_logger("api")

FORECAST_PATH = "/api/v1/hanoi/pm25/forecast/latest"
WARM_UP_WAIT_S = 15.0
FIRST_READ_WAIT_S = 10.0  # how long a request waits for the first read while no read has failed yet
API_DESCRIPTION = (
    "Read-only PM2.5 forecasts for Hanoi (6, 12 and 24 h ahead) from the production models, served from "
    "the prediction table `predictions.hanoi_pm25_forecast_gold`. Each forecast carries its risk band "
    "(low < 35 <= medium < 75 <= high < 150 <= very_high, µg/m³) and its VN_AQI PM2.5 class (breakpoints "
    "25/50/80/150/250 µg/m³, upper bound inclusive). A missing prediction is 404 "
    '`{"error": "prediction_not_found", "location": "hanoi"}`.')
_CREDENTIALS = re.compile(r"//[^/@\s]+@")


def _safe_error(exc: BaseException) -> str:
    """An error for a response body or log: the type and message, credentials in URLs removed."""
    text = f"{type(exc).__name__}: {exc}"
    return _CREDENTIALS.sub("//***@", text)[:500]


def _error(request: Request, status_code: int, code: str, **extra: Any) -> JSONResponse:
    request.state.error_code = code
    return JSONResponse(status_code=status_code, content={"error": code, **extra})


def check_readiness(store: PredictionStore) -> tuple[int, dict[str, Any]]:
    """(status code, body). Steps run in order; the first that fails or is still running when
    READY_TIMEOUT_SECONDS is over is named in ``failed``. The probe runs on a background thread,
    one at a time (store.probes): a request while one runs waits for that one, so a hung catalog
    costs one thread, not one per request; a probe hung past store.abandon_after_s is replaced."""
    from ais.config import ConfigError

    try:
        timeout = store.settings.get_float("runtime.ready_timeout_seconds")
        if timeout <= 0:
            raise ConfigError(f"runtime.ready_timeout_seconds must be > 0, got {timeout}")
    except ConfigError as exc:
        return 503, {"status": "not_ready", "failed": "config", "error": _safe_error(exc)}

    def probe(flight: Flight) -> int | None:
        flight.state["step"] = "catalog"
        try:
            catalog = store.catalog()
            catalog.list_namespaces()
            flight.state["step"] = "prediction_table"
            snapshot = catalog.load_table(store.identifier).current_snapshot()
        except Exception:
            if store.probes.is_current(flight):
                store.forget_catalog()
            raise
        return snapshot.snapshot_id if snapshot else None

    flight = store.probes.start(probe, on_abandon=lambda _: store.forget_catalog())
    if not flight.done.wait(timeout):
        return 503, {"status": "not_ready", "failed": flight.state.get("step", "catalog"),
                     "error": f"timed out after {timeout:g} s"}
    if flight.error is not None:
        return 503, {"status": "not_ready", "failed": flight.state.get("step", "catalog"),
                     "error": _safe_error(flight.error)}
    return 200, {"status": "ready", "prediction_table": store.identifier, "snapshot_id": flight.result}


def _warm_up(store: PredictionStore) -> None:
    try:
        store.latest()
    except Exception as exc:  # noqa: BLE001 - readiness and requests report the outage; this only logs
        log.warning("api_warm_up_failed", error=_safe_error(exc))


def log_access(method: str, path: str, status_code: int, started: float, error_code: str | None) -> None:
    """The access-log line of one request (CONTRACTS.md §6 fields); ``started`` is perf_counter()."""
    log.info("request", method=method, path=path, status_code=status_code,
             latency_ms=round((time.perf_counter() - started) * 1000.0, 3), error_code=error_code)


class AccessLog:
    """Pure ASGI middleware: one access-log line per HTTP request (path, status_code, latency_ms,
    error_code), and a JSON 500 instead of a crash for an unhandled error. (Starlette's
    ``@app.middleware("http")`` costs a task and a stream per request; this costs a closure.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        response: dict[str, Any] = {"status": 500, "started": False}

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"], response["started"] = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception as exc:  # noqa: BLE001 - the HTTP boundary: log and answer 500, never crash
            log.error("unhandled_error", path=scope["path"], error=_safe_error(exc))
            state["error_code"] = "internal_error"
            if not response["started"]:
                await JSONResponse(status_code=500, content={"error": "internal_error"})(scope, receive, send)
            response["status"] = 500
        log_access(scope["method"], scope["path"], response["status"], started, state.get("error_code"))


class ForecastApp(FastAPI):
    """FastAPI with the fast path of ``GET FORECAST_PATH`` in front of Starlette's whole stack: a
    cached answer is sent as is, with its access-log line, without the middleware stack or routing
    (a due snapshot check starts on a background thread; it never delays the answer). Every other
    case (nothing cached, a missing prediction, errors) goes through the stack to the FastAPI
    route."""

    forecast_store: PredictionStore | None = None
    _CONTENT_TYPE = (b"content-type", b"application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        store = self.forecast_store
        if store is not None and scope["type"] == "http" and scope["path"] == FORECAST_PATH \
                and scope["method"] == "GET" and store.loaded:
            started = time.perf_counter()
            try:
                body = store.cached_json()
            except StoreUnavailable:
                body = None
            if body is not None:
                headers = [self._CONTENT_TYPE, (b"content-length", str(len(body)).encode("ascii"))]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                log_access("GET", FORECAST_PATH, 200, started, None)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, clock: Callable[[], float] = time.monotonic,
               catalog_factory: Callable[[Settings], CatalogLike] | None = None) -> FastAPI:
    """The API over ``settings``' prediction table. ``clock`` (seconds, monotonic) paces the
    snapshot checks; tests inject one to avoid sleeping."""
    store = PredictionStore(settings, clock=clock, catalog_factory=catalog_factory)
    location = settings.location_id

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Warm up before the server accepts connections: imports, catalog and the first read happen
        # before the first probe or request, not inside it. A failure is only logged here (readiness
        # reports it); a hung catalog delays the start by WARM_UP_WAIT_S at most.
        worker = threading.Thread(target=_warm_up, args=(store,), name="api-warm-up", daemon=True)
        worker.start()
        await asyncio.to_thread(worker.join, WARM_UP_WAIT_S)
        # What start-up allocated (modules, catalog, cached body) lives as long as the process: keep
        # it out of the collector's scans, so its pauses stay short under load.
        gc.collect()
        gc.freeze()
        yield

    app = ForecastApp(title="AIS PM2.5 forecast API", version="1", description=API_DESCRIPTION, docs_url="/docs",
                  redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan)

    app.forecast_store = store  # the fast path (ForecastApp) logs its own access lines
    app.add_middleware(AccessLog)

    @app.get("/healthz", response_model=HealthResponse)
    async def healthz() -> HealthResponse:
        return HealthResponse(status="ok")

    @app.get("/readyz", response_model=ReadyResponse, response_model_exclude_none=True,
             responses={503: {"model": ReadyResponse}})
    def readyz(request: Request) -> Any:
        status_code, body = check_readiness(store)
        if status_code != 200:
            request.state.error_code = "not_ready"
            return JSONResponse(status_code=status_code, content=body)
        return ReadyResponse(**body)

    @app.get(FORECAST_PATH, response_model=ForecastResponse,
             responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse},
                        500: {"model": ErrorResponse}})
    async def forecast_latest(request: Request) -> Any:
        # The answer comes from memory; the (at most once a second) snapshot check runs on a
        # background thread. Only while nothing is cached does a request wait, on a worker thread,
        # for the first read (not at all once a read has failed: 503 at once).
        try:
            if store.loaded:
                body = store.cached_json()
            else:
                body = await run_in_threadpool(store.first_json, FIRST_READ_WAIT_S)
        except StoreUnavailable:
            return _error(request, 503, "prediction_table_unavailable", location=location)
        except InvalidPredictionRow:
            return _error(request, 500, "invalid_prediction_row", location=location)
        if body is None:
            return _error(request, 404, "prediction_not_found", location=location)
        return Response(content=body, media_type="application/json")

    return app
