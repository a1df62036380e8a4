"""The read-only PM2.5 API (CONTRACTS.md §6, seed §14).

    GET /healthz                              the process is alive (no dependency)
    GET /readyz                               config + catalog + prediction table within
                                              READY_TIMEOUT_SECONDS, else 503 naming the failure
                                              (one probe at a time; a request waits for it at
                                              most that long)
    GET /api/v1/hanoi/pm25/forecast/latest    the latest production prediction, or 404
    GET /api/v1/hanoi/pm25/forecast/history   production forecasts from the archive, newest first,
                                              keyset-paginated (ais.api.routes.history)
    GET /api/v1/hanoi/pm25/observations       hourly city PM2.5 from silver, with coverage
    GET /api/v1/hanoi/pm25/forecast/skill     skill by lead time over 7 or 30 days
    GET /api/v1/hanoi/map/latest              stations, trajectory paths and source attribution of
                                              the latest hour (ais.api.dashboard)
    GET /api/v1/pipeline/health               freshness, dead letters, job runs, production models
    GET /metrics                              Prometheus text (ais.api.metrics)
    GET /, GET /assets/...                    the dashboard (web/dashboard, built by scripts/setup.sh web),
                                              from runtime.dashboard_dir
    GET /openapi.json, GET /docs              the OpenAPI description and its browsable page

No Spark, no model, no feature table in a request: the forecast comes from the in-memory copy of
the prediction table's latest row (:mod:`ais.api.store`), and the other data routes from in-memory
copies of their tables (ais.api.store.TableCache), each refreshed on a background thread, so a slow
or failing catalog never delays an answer that is cached. Each request writes one access-log line
(path, status_code, latency_ms, error_code) and counts in the metrics.

Data routes answer with ``ETag`` and ``Cache-Control`` (304 on a matching ``If-None-Match``);
CORS headers for the origins of ``api.cors_origins`` (none by default). Every 4xx/5xx body is
``{"error": code, "message": text, "field": query parameter or null, ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ais.api import routes
from ais.api.dashboard import HEALTH_PATH, MAP_PATH, HealthReader, MapResponse, ViewCache, read_map, reference_hour
from ais.api.dashboard import HealthResponse as PipelineHealth
from ais.api.metrics import UNMATCHED, ApiMetrics
from ais.api.schemas import (
    ErrorResponse,
    ForecastResponse,
    HealthResponse,
    HistoryResponse,
    InvalidPredictionRow,
    ObservationsResponse,
    ReadyResponse,
    SkillResponse,
)
from ais.api.store import CatalogLike, Flight, PredictionStore, StoreUnavailable, TableCache, etag_of
from ais.config import ConfigError, Settings
from ais.jsonlog import get_logger

log = get_logger("api")

FORECAST_PATH = "/api/v1/hanoi/pm25/forecast/latest"
HISTORY_PATH = "/api/v1/hanoi/pm25/forecast/history"
OBSERVATIONS_PATH = "/api/v1/hanoi/pm25/observations"
SKILL_PATH = "/api/v1/hanoi/pm25/forecast/skill"
METRICS_PATH = "/metrics"
CACHE_MAX_AGE_S = 60  # the forecast's age is in whole minutes: a copy is at most a minute behind
CACHE_CONTROL = f"public, max-age={CACHE_MAX_AGE_S}".encode("ascii")
WARM_UP_WAIT_S = 15.0
FIRST_READ_WAIT_S = 10.0  # how long a request waits for the first read while no read has failed yet
API_DESCRIPTION = (
    "Read-only PM2.5 forecasts for Hanoi (6, 12 and 24 h ahead) from the production models, served from "
    "the prediction table `predictions.hanoi_pm25_forecast_gold`. Each forecast carries its risk band "
    "(low < 35 <= medium < 75 <= high < 150 <= very_high, µg/m³) and its VN_AQI PM2.5 class (breakpoints "
    "25/50/80/150/250 µg/m³, upper bound inclusive), its VN_AQI index, colour and advice (`aqi`), the unit, "
    "and the forecast's age in minutes with a `stale` flag. Past forecasts with their observations and errors, "
    "hourly observations with coverage, and skill by lead time have routes of their own. Data routes send "
    "`ETag` and `Cache-Control` (304 on `If-None-Match`). Every error body is "
    '`{"error": code, "message": text, "field": query parameter or null}` plus route extras; a missing '
    'prediction is 404 `{"error": "prediction_not_found", "location": "hanoi", ...}`.')
_CREDENTIALS = re.compile(r"//[^/@\s]+@")


def _safe_error(exc: BaseException) -> str:
    """An error for a response body or log: the type and message, credentials in URLs removed."""
    text = f"{type(exc).__name__}: {exc}"
    return _CREDENTIALS.sub("//***@", text)[:500]


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    """The one shape of every 4xx/5xx body."""
    return {"error": code, "message": message, "field": field, **extra}


def _error(request: Request, status_code: int, code: str, message: str, field: str | None = None,
           headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    request.state.error_code = code
    return JSONResponse(status_code=status_code, content=error_body(code, message, field, **extra), headers=headers)


def etag_matches(if_none_match: bytes | str | None, etag: bytes) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    text = if_none_match.decode("latin-1") if isinstance(if_none_match, bytes) else if_none_match
    wanted = etag.decode("ascii")
    for candidate in text.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def cached_response(request: Request, body: bytes, etag: bytes) -> Response:
    """``body`` with its ETag and Cache-Control, or 304 when the client holds it already."""
    headers = {"etag": etag.decode("ascii"), "cache-control": CACHE_CONTROL.decode("ascii")}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


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

    def __init__(self, app: ASGIApp, metrics: ApiMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

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
                await JSONResponse(status_code=500, content=error_body(
                    "internal_error", "the server failed to answer; see its log"))(scope, receive, send)
            response["status"] = 500
        log_access(scope["method"], scope["path"], response["status"], started, state.get("error_code"))
        if self.metrics is not None:
            route = scope.get("route")
            self.metrics.observe(getattr(route, "path", UNMATCHED), response["status"],
                                 time.perf_counter() - started)


class ForecastApp(FastAPI):
    """FastAPI with the fast path of ``GET FORECAST_PATH`` in front of Starlette's whole stack: a
    cached answer is sent as is, with its access-log line, without the middleware stack or routing
    (a due snapshot check starts on a background thread; it never delays the answer). Every other
    case (nothing cached, a missing prediction, errors) goes through the stack to the FastAPI
    route."""

    forecast_store: PredictionStore | None = None
    wall_clock: Callable[[], float] = time.time
    cors: bool = False  # a request with an Origin header then takes the stack (CORSMiddleware)
    _fast_observe: dict[int, Callable[[float], None]] | None = None
    _fast_hit: Callable[[], None] | None = None
    _headers: tuple[bytes, list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]] | None = None  # body, 200, 304
    _CONTENT_TYPE = (b"content-type", b"application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        store = self.forecast_store
        if store is not None and scope["type"] == "http" and scope["path"] == FORECAST_PATH \
                and scope["method"] == "GET" and store.loaded:
            started = time.perf_counter()
            if_none_match = None
            for name, value in scope["headers"]:
                if name == b"if-none-match":
                    if_none_match = value
                elif name == b"origin" and self.cors:
                    break
            else:
                try:
                    cached = store.cached_json()
                except StoreUnavailable:
                    cached = None
                if cached is not None:
                    await self._send_cached(store, send, if_none_match, started)
                    return
        await super().__call__(scope, receive, send)

    async def _send_cached(self, store: PredictionStore, send: Send, if_none_match: bytes | None,
                           started: float) -> None:
        aged = store.aged_body(self.wall_clock())
        assert aged is not None  # cached_json() returned a body: the answer is in place
        body, etag = aged
        headers = self._headers
        if headers is None or headers[0] is not body:  # once per body (a minute or a new snapshot)
            validators = [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
            headers = self._headers = (body, [*validators, self._CONTENT_TYPE,
                                              (b"content-length", str(len(body)).encode("ascii"))], validators)
        status = 304 if if_none_match is not None and etag_matches(if_none_match, etag) else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": headers[1] if status == 200 else headers[2]})
        await send({"type": "http.response.body", "body": body if status == 200 else b""})
        log_access("GET", FORECAST_PATH, status, started, None)
        if self._fast_observe is not None:
            self._fast_observe[status](time.perf_counter() - started)
        if self._fast_hit is not None:
            self._fast_hit()


class Cors(CORSMiddleware):
    """Starlette's CORS middleware, with a rejected preflight answered in the API's error shape."""

    def preflight_response(self, request_headers: Any) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return JSONResponse(status_code=400, headers=headers, content=error_body(
            "cors_rejected", bytes(response.body).decode("utf-8")))


def cors_origins(settings: Settings) -> list[str]:
    """``api.cors_origins``: the browser origins allowed to read the API (none by default)."""
    return [o.strip() for o in settings.get_list("api.cors_origins") if o.strip()]


def _age_seconds(store: PredictionStore, clock: Callable[[], float]) -> float | None:
    latest = store._latest
    if latest is None:
        return None
    created = dt.datetime.strptime(latest.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return clock() - created.timestamp()


def create_app(settings: Settings, *, clock: Callable[[], float] = time.monotonic,
               catalog_factory: Callable[[Settings], CatalogLike] | None = None,
               wall_clock: Callable[[], float] = time.time) -> FastAPI:
    """The API over ``settings``' prediction table. ``clock`` (seconds, monotonic) paces the
    snapshot checks; ``wall_clock`` (epoch seconds) dates the forecasts' ages; tests inject them."""
    from ais.iceberg_io import equals
    from ais.tables import FORECAST_ARCHIVE, FORECAST_SKILL, OPENAQ_CITY_HOURLY

    store = PredictionStore(settings, clock=clock, catalog_factory=catalog_factory)
    location = settings.location_id
    origins = cors_origins(settings)
    archive = TableCache(store, FORECAST_ARCHIVE.identifier, equals(location_id=location),
                         sort_key=routes.archive_sort_key)
    observed = TableCache(store, OPENAQ_CITY_HOURLY.identifier, sort_key=routes.observation_sort_key)
    skill = TableCache(store, FORECAST_SKILL.identifier, equals(location_id=location))
    metrics = ApiMetrics(lambda: _age_seconds(store, wall_clock), lambda: store.snapshot_id)

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

    app.forecast_store = store  # the fast path (ForecastApp) logs and counts its own requests
    app.wall_clock = wall_clock
    app.cors = bool(origins)
    app._fast_observe = {status: metrics.bound(FORECAST_PATH, status) for status in (200, 304)}
    app._fast_hit = lambda: metrics.hit(FORECAST_PATH)
    if origins:
        app.add_middleware(Cors, allow_origins=origins, allow_methods=["GET"],
                           allow_headers=["If-None-Match"], expose_headers=["ETag"], max_age=600)
    app.add_middleware(AccessLog, metrics=metrics)  # outermost: preflights are logged and counted too

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        message = f"no route {request.url.path}" if exc.status_code == 404 else str(exc.detail)
        return _error(request, exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = str(first.get("loc", ("", ""))[-1]) or None
        return _error(request, 422, "invalid_query", str(first.get("msg", "invalid request")), field)

    @app.exception_handler(routes.BadQuery)
    async def bad_query(request: Request, exc: routes.BadQuery) -> JSONResponse:
        return _error(request, 422, "invalid_query", exc.message, exc.field)

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

    errors: dict[int | str, dict[str, Any]] = {
        404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}, 500: {"model": ErrorResponse}}

    @app.get(FORECAST_PATH, response_model=ForecastResponse, responses=errors)
    async def forecast_latest(request: Request) -> Any:
        # The answer comes from memory; the (at most once a second) snapshot check runs on a
        # background thread. Only while nothing is cached does a request wait, on a worker thread,
        # for the first read (not at all once a read has failed: 503 at once).
        try:
            if store.loaded:
                body = store.cached_json()
                hit = True
            else:
                body = await run_in_threadpool(store.first_json, FIRST_READ_WAIT_S)
                hit = False
        except StoreUnavailable as exc:
            return _error(request, 503, "prediction_table_unavailable", _safe_error(exc), location=location)
        except InvalidPredictionRow as exc:
            return _error(request, 500, "invalid_prediction_row", str(exc), location=location)
        aged = store.aged_body(wall_clock()) if body is not None else None
        if aged is None:
            return _error(request, 404, "prediction_not_found", "no production forecast for the location",
                          location=location)
        if hit:
            metrics.hit(FORECAST_PATH)
        return cached_response(request, *aged)

    async def rows_of(cache: TableCache, route: str) -> list[dict[str, Any]]:
        if cache.loaded:
            metrics.hit(route)
            return cache.cached()[0]
        return (await run_in_threadpool(cache.first, FIRST_READ_WAIT_S))[0]

    def unavailable(request: Request, cache: TableCache, exc: StoreUnavailable) -> JSONResponse:
        return _error(request, 503, "table_unavailable", _safe_error(exc), table=cache.identifier, location=location)

    bad: dict[int | str, dict[str, Any]] = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}

    @app.get(HISTORY_PATH, response_model=HistoryResponse, responses=bad)
    async def forecast_history(
            request: Request,
            start: str | None = Query(None, alias="from", description="base hour from (inclusive), ISO 8601"),
            end: str | None = Query(None, alias="to", description="base hour to (exclusive), ISO 8601"),
            horizon: str | None = Query(None, description="6, 12 or 24 (default: all)"),
            limit: str | None = Query(None, description=f"items per page, 1..{routes.MAX_LIMIT}, default "
                                                        f"{routes.DEFAULT_LIMIT}"),
            cursor: str | None = Query(None, description="the previous page's next_cursor")) -> Response:
        try:
            rows = await rows_of(archive, HISTORY_PATH)
        except StoreUnavailable as exc:
            return unavailable(request, archive, exc)
        page = routes.history(rows, {"from": start, "to": end, "horizon": horizon, "limit": limit, "cursor": cursor},
                              location, wall_clock(), store.stale_after_minutes)
        body = page.model_dump_json(by_alias=True).encode("utf-8")
        return cached_response(request, body, etag_of(body))

    @app.get(OBSERVATIONS_PATH, response_model=ObservationsResponse, responses=bad)
    async def pm25_observations(
            request: Request,
            start: str | None = Query(None, alias="from", description="first hour (inclusive), ISO 8601"),
            end: str | None = Query(None, alias="to", description="last hour (exclusive), ISO 8601")) -> Response:
        try:
            rows = await rows_of(observed, OBSERVATIONS_PATH)
        except StoreUnavailable as exc:
            return unavailable(request, observed, exc)
        answer = routes.observations(rows, {"from": start, "to": end}, location)
        body = answer.model_dump_json(by_alias=True).encode("utf-8")
        return cached_response(request, body, etag_of(body))

    @app.get(SKILL_PATH, response_model=SkillResponse, responses=bad)
    async def forecast_skill(
            request: Request,
            window_days: str | None = Query(None, description="7 or 30 (default 7)")) -> Response:
        try:
            rows = await rows_of(skill, SKILL_PATH)
        except StoreUnavailable as exc:
            return unavailable(request, skill, exc)
        answer = routes.skill(rows, {"window_days": window_days}, location)
        body = answer.model_dump_json(by_alias=True).encode("utf-8")
        return cached_response(request, body, etag_of(body))

    add_dashboard(app, store, metrics, location, _safe_error, dashboard_dir(settings))

    @app.get(METRICS_PATH, include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(content=metrics.render(), media_type=metrics.content_type)

    app.state.metrics = metrics
    app.state.tables = {HISTORY_PATH: archive, OBSERVATIONS_PATH: observed, SKILL_PATH: skill}
    return app


def dashboard_dir(settings: Settings) -> Path:
    """The built dashboard's folder: runtime.dashboard_dir (env DASHBOARD_DIR), a relative path under
    the project root (the default web/dashboard/dist is where scripts/setup.sh web builds it; the API
    image sets /opt/ais/web/dashboard/dist, where it copies the build)."""
    if not settings.runtime("dashboard_dir").strip():
        raise ConfigError("runtime.dashboard_dir is empty: it names the built dashboard's folder")
    return settings.runtime_path("dashboard_dir")


def add_dashboard(app: FastAPI, store: PredictionStore, metrics: ApiMetrics, location: str,
                  safe_error: Callable[[BaseException], str], static: Path) -> None:
    """The dashboard's data routes (ais.api.dashboard: the map, the pipeline's health) and its
    static files from ``static`` (:func:`dashboard_dir`): ``/`` is its index.html, ``/assets/...``
    the built scripts and styles (a 404 in the error shape naming the build step while they are not
    built)."""
    health = HealthReader(location)
    views = {MAP_PATH: ViewCache(store, "map", lambda catalog: read_map(catalog, location)),
             HEALTH_PATH: ViewCache(store, "pipeline-health", lambda catalog: health(catalog, reference_hour(store)))}
    bad: dict[int | str, dict[str, Any]] = {503: {"model": ErrorResponse}}

    async def view_response(request: Request, route: str) -> Response:
        cache = views[route]
        try:
            if cache.loaded:
                body, etag = cache.cached()
                metrics.hit(route)
            else:
                body, etag = await run_in_threadpool(cache.first, FIRST_READ_WAIT_S)
        except StoreUnavailable as exc:
            return _error(request, 503, "view_unavailable", safe_error(exc), view=cache.identifier, location=location)
        return cached_response(request, body, etag)

    @app.get(MAP_PATH, response_model=MapResponse, responses=bad)
    async def hanoi_map(request: Request) -> Response:
        return await view_response(request, MAP_PATH)

    @app.get(HEALTH_PATH, response_model=PipelineHealth, responses=bad)
    async def pipeline_health(request: Request) -> Response:
        return await view_response(request, HEALTH_PATH)

    @app.get("/", include_in_schema=False)
    async def dashboard(request: Request) -> Response:
        index = static / "index.html"
        if not index.is_file():
            return _error(request, 404, "dashboard_not_built",
                          f"{index} is missing: build the dashboard with `scripts/setup.sh web`")
        return FileResponse(index, headers={"cache-control": "no-cache"})

    app.mount("/assets", StaticFiles(directory=static / "assets", check_dir=False), name="dashboard-assets")
    app.state.views = views
