"""What the dashboard (web/dashboard, served at ``/``) needs beyond the forecast routes: the map of
the latest trajectory hour and the pipeline's health, as read-only routes in the style of
:mod:`ais.api.routes` (bodies built on a background thread, cached with their ETag).

    GET /api/v1/hanoi/map/latest       the monitoring stations with their newest PM2.5, the back-
                                       trajectories started in the day up to the latest trajectory
                                       hour with their clusters (those of the hour's run flagged
                                       ``latest``), and the source attribution of that hour
    GET /api/v1/pipeline/health        per table: snapshot, commit time, rows, newest data time (from
                                       the manifests' column bounds, no data file read) and its lag
                                       behind the newest forecast; per source: its bronze table;
                                       dead letters and invalid/late events by topic and reason; the
                                       last commit of every declared job's table; training and
                                       trajectory run statuses; the model of each horizon with its
                                       metrics

A body is rebuilt at most once per ``interval_s`` (the health view loads every table's metadata)
on a :class:`ais.api.store.SingleFlight` thread; a request never waits while a body is cached.
The pure builders (:func:`map_view`, :func:`health_view`) take rows, the readers feed them.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from ais.api.schemas import UNIT, AqiInfo, _Strict, aqi_info
from ais.api.store import Flight, PredictionStore, SingleFlight, StoreUnavailable, _Published, etag_of
from ais.jsonlog import get_logger
from ais.tables import TABLES, TableSpec
from ais.timeutil import iso_z

log = get_logger("api")

MAP_PATH = "/api/v1/hanoi/map/latest"
HEALTH_PATH = "/api/v1/pipeline/health"
VIEW_INTERVAL_S = 15.0
STATION_WINDOW_H = 24  # a station's newest PM2.5 is looked for in the day up to the map's hour
PATH_WINDOW_H = 24  # the map shows the back-trajectories started in the day up to the map's hour, by cluster
LOOKBACK_H = 12  # ais.features.trajectory.HOURLY_LOOKBACK_H: the hour's features use the latest start in (H-12 h, H]
# the column that dates a table's rows, first match wins
TIME_COLUMNS = ("hour", "base_hour", "event_time", "date", "start_time", "recorded_at", "promoted_at", "created_at",
                "period_end", "timestamp")
SOURCE_TABLES = {"openaq": "air_quality.openaq_hourly_bronze", "weather": "weather.weather_history_bronze",
                 "sentinel5p": "satellite.sentinel5p_summary_bronze", "maiac": "satellite.maiac_summary_bronze",
                 "era5": "weather.era5_files_bronze"}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# ---- response models -------------------------------------------------------------------------------

class Station(_Strict):
    location_id: int
    name: str | None
    lat: float
    lon: float
    hour: str | None = Field(description="the hour of pm25")
    pm25: float | None
    aqi: AqiInfo | None


class Trajectory(_Strict):
    traj_id: str
    run_id: str | None
    cluster_id: int | None
    start_time: str
    latest: bool = Field(description="of the run the hour's attribution comes from")
    source_lat: float | None
    source_lon: float | None
    path: list[list[float]] = Field(description="[lon, lat] by age, the receptor first")


class Cluster(_Strict):
    cluster_id: int
    trajectories: int = Field(description="paths of this cluster on the map")
    dominant: bool


class Attribution(_Strict):
    hour: str
    dominant_cluster: int | None
    n_traj: int | None
    source_lat: float | None
    source_lon: float | None
    path_no2_mean: float | None
    path_aer_mean: float | None
    path_no2_aer_ratio: float | None
    source: str | None


class MapResponse(_Strict):
    location: str
    unit: str = UNIT
    hour: str | None = Field(description="the latest hour with trajectory features; null: none yet")
    run_start: str | None = Field(description="the start of the trajectories shown")
    attribution: Attribution | None
    clusters: list[Cluster]
    trajectories: list[Trajectory]
    stations: list[Station]


class TableHealth(_Strict):
    table: str
    layer: str
    snapshot_id: int | None
    committed_at: str | None
    operation: str | None
    rows: int | None
    added_rows: int | None
    time_column: str | None
    newest: str | None = Field(description="the greatest time_column value in the table's files")
    lag_hours: float | None = Field(description="hours from newest to the newest forecast's base hour")


class SourceHealth(_Strict):
    source: str
    table: str
    rows: int | None
    newest: str | None
    lag_hours: float | None


class CountItem(_Strict):
    source_topic: str | None
    reason: str | None
    count: int


class JobRun(_Strict):
    job: str
    kind: str
    table: str
    last_commit_at: str | None
    operation: str | None
    added_rows: int | None
    status: str = Field(description="committed: its table's last write; never: no write yet")


class RunStatus(_Strict):
    kind: str
    latest: str | None
    by_status: dict[str, int]


class ModelHealth(_Strict):
    horizon_hour: int
    model_version: str
    model_type: str | None
    mae: float | None
    rmse: float | None
    mape: float | None
    rmse_persistence: float | None
    skill_vs_persistence: float | None
    promoted_at: str | None


class HealthResponse(_Strict):
    generated_at: str
    reference_hour: str | None = Field(description="the newest production forecast's base hour")
    tables: list[TableHealth]
    sources: list[SourceHealth]
    dead_letters: int
    invalid_events: int
    late_events: int
    invalid_by_reason: list[CountItem]
    late_by_topic: list[CountItem]
    jobs: list[JobRun]
    runs: list[RunStatus]
    models: list[ModelHealth]


# ---- pure builders -----------------------------------------------------------------------------------

def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def latest_start(clustered: Iterable[Mapping[str, Any]], hour: dt.datetime) -> dt.datetime | None:
    """The latest trajectory start in (hour - 12 h, hour], the run the hour's features come from."""
    starts = [_utc(r["start_time"]) for r in clustered if r.get("start_time") is not None]
    eligible = [s for s in starts if hour - dt.timedelta(hours=LOOKBACK_H) < s <= hour]
    return max(eligible) if eligible else None


def map_view(location: str, hourly: Sequence[Mapping[str, Any]], clustered: Sequence[Mapping[str, Any]],
             points: Sequence[Mapping[str, Any]], stations: Sequence[Mapping[str, Any]]) -> MapResponse:
    """The map of the newest row of ``hourly`` (trajectory hourly features): the trajectories
    started in the day up to it (``clustered`` rows, ``points`` of trajectory silver), those of
    the hour's run flagged ``latest``, and each station's newest PM2.5 of ``stations`` (station
    silver rows)."""
    newest = max(hourly, key=lambda r: _utc(r["hour"]), default=None)
    hour = _utc(newest["hour"]) if newest is not None else None
    start = latest_start(clustered, hour) if hour is not None else None
    shown = sorted((r for r in clustered if hour is not None and r.get("start_time") is not None
                    and hour - dt.timedelta(hours=PATH_WINDOW_H) < _utc(r["start_time"]) <= hour),
                   key=lambda r: (_utc(r["start_time"]), str(r["traj_id"])))
    paths: dict[str, list[tuple[int, float, float]]] = {}
    for p in points:
        if p.get("lat") is not None and p.get("lon") is not None:
            paths.setdefault(str(p["traj_id"]), []).append((int(p["age_h"]), float(p["lon"]), float(p["lat"])))
    trajectories = [Trajectory(
        traj_id=str(r["traj_id"]), run_id=r.get("run_id"), cluster_id=r.get("cluster_id"),
        start_time=iso_z(r["start_time"]), latest=_utc(r["start_time"]) == start,
        source_lat=_finite(r.get("source_lat")), source_lon=_finite(r.get("source_lon")),
        path=[[round(lon, 4), round(lat, 4)] for _, lon, lat in sorted(paths.get(str(r["traj_id"]), []),
                                                                        key=lambda t: abs(t[0]))])
        for r in shown]
    dominant = newest.get("dominant_cluster") if newest is not None else None
    counts = Counter(t.cluster_id for t in trajectories if t.cluster_id is not None)
    clusters = [Cluster(cluster_id=c, trajectories=n, dominant=c == dominant) for c, n in sorted(counts.items())]
    attribution = None if newest is None or hour is None else Attribution(
        hour=iso_z(hour), dominant_cluster=dominant, n_traj=newest.get("n_traj"),
        source_lat=_finite(newest.get("source_lat")), source_lon=_finite(newest.get("source_lon")),
        path_no2_mean=_finite(newest.get("path_no2_mean")), path_aer_mean=_finite(newest.get("path_aer_mean")),
        path_no2_aer_ratio=_finite(newest.get("path_no2_aer_ratio")), source=newest.get("source"))
    return MapResponse(location=location, hour=iso_z(hour) if hour else None,
                       run_start=iso_z(start) if start else None, attribution=attribution, clusters=clusters,
                       trajectories=trajectories, stations=station_list(stations))


def station_list(rows: Sequence[Mapping[str, Any]]) -> list[Station]:
    """One item per station (location_id) with a position: its newest valid PM2.5 hour."""
    newest: dict[int, Mapping[str, Any]] = {}
    for r in rows:
        if r.get("latitude") is None or r.get("longitude") is None:
            continue
        key = int(r["location_id"])
        valid = r.get("value") is not None and r.get("qc_status") in (None, "valid")
        held = newest.get(key)
        held_valid = held is not None and held.get("value") is not None and held.get("qc_status") in (None, "valid")
        if held is None or (valid, _utc(r["hour"])) > (held_valid, _utc(held["hour"])):
            newest[key] = r
    out = []
    for key, r in sorted(newest.items()):
        ok = r.get("value") is not None and r.get("qc_status") in (None, "valid")
        value = float(r["value"]) if ok else None
        out.append(Station(location_id=key, name=r.get("location_name"), lat=float(r["latitude"]),
                           lon=float(r["longitude"]), hour=iso_z(r["hour"]) if ok else None, pm25=value,
                           aqi=aqi_info(value) if value is not None else None))
    return out


def _lag_hours(newest: dt.datetime | None, reference: dt.datetime | None) -> float | None:
    if newest is None or reference is None:
        return None
    return round((reference - newest).total_seconds() / 3600.0, 2)


def _iso(value: dt.datetime | None) -> str | None:
    return iso_z(value) if value is not None else None


def health_view(stats: Mapping[str, Mapping[str, Any]], *, invalid: Sequence[Mapping[str, Any]],
                late: Sequence[Mapping[str, Any]], registry: Sequence[Mapping[str, Any]],
                model_runs: Sequence[Mapping[str, Any]], trajectory_runs: Sequence[Mapping[str, Any]],
                jobs: Sequence[tuple[str, str, str]], reference: dt.datetime | None, location: str,
                now: dt.datetime) -> HealthResponse:
    """The health body. ``stats``: per table identifier, what :func:`table_stats` read (snapshot_id,
    committed_at, operation, rows, added_rows, time_column, newest); ``invalid``/``late``: the audit
    rows (source_topic, reason, dlq_id); ``registry``/``model_runs``: the model tables' rows;
    ``trajectory_runs``: hysplit runs (start_time, status); ``jobs``: (job, kind, output table)."""
    table_items = [TableHealth(
        table=name, layer=name.rsplit("_", 1)[-1] if name.rsplit("_", 1)[-1] in ("bronze", "silver", "gold")
        else "other", snapshot_id=s.get("snapshot_id"), committed_at=_iso(s.get("committed_at")),
        operation=s.get("operation"), rows=s.get("rows"), added_rows=s.get("added_rows"),
        time_column=s.get("time_column"), newest=_iso(s.get("newest")),
        lag_hours=_lag_hours(s.get("newest"), reference)) for name, s in sorted(stats.items())]
    sources = [SourceHealth(source=src, table=name, rows=stats.get(name, {}).get("rows"),
                            newest=_iso(stats.get(name, {}).get("newest")),
                            lag_hours=_lag_hours(stats.get(name, {}).get("newest"), reference))
               for src, name in SOURCE_TABLES.items()]
    by_reason = Counter((r.get("source_topic"), r.get("reason")) for r in invalid)
    by_topic = Counter(r.get("source_topic") for r in late)
    job_items = []
    for job, kind, name in jobs:
        s = stats.get(name, {})
        committed = s.get("committed_at")
        job_items.append(JobRun(job=job, kind=kind, table=name, last_commit_at=_iso(committed),
                                operation=s.get("operation"), added_rows=s.get("added_rows"),
                                status="committed" if committed is not None else "never"))
    job_items.sort(key=lambda j: (j.last_commit_at or "", j.job), reverse=True)
    runs = [_run_status("train", model_runs, "created_at"), _run_status("trajectory", trajectory_runs, "start_time")]
    production = [r for r in registry if r.get("status") == "production" and r.get("location_id") == location]
    metrics = {(r.get("model_run_id"), r.get("horizon_hour")): r for r in model_runs}
    models = []
    for r in sorted(production, key=lambda r: int(r["horizon_hour"])):
        run = metrics.get((r.get("model_run_id"), r.get("horizon_hour")), {})
        models.append(ModelHealth(
            horizon_hour=int(r["horizon_hour"]), model_version=str(r["model_version"]), model_type=r.get("model_type"),
            mae=_finite(r.get("mae")), rmse=_finite(r.get("rmse")), mape=_finite(r.get("mape")),
            rmse_persistence=_finite(run.get("rmse_persistence")),
            skill_vs_persistence=_finite(run.get("skill_vs_persistence")), promoted_at=_iso(r.get("promoted_at"))))
    return HealthResponse(
        generated_at=iso_z(now), reference_hour=_iso(reference), tables=table_items, sources=sources,
        dead_letters=sum(1 for r in invalid if r.get("dlq_id")), invalid_events=len(invalid), late_events=len(late),
        invalid_by_reason=[CountItem(source_topic=t, reason=w, count=n) for (t, w), n in sorted(
            by_reason.items(), key=lambda kv: (-kv[1], str(kv[0])))],
        late_by_topic=[CountItem(source_topic=t, reason=None, count=n) for t, n in sorted(
            by_topic.items(), key=lambda kv: (-kv[1], str(kv[0])))],
        jobs=job_items, runs=runs, models=models)


def _run_status(kind: str, rows: Sequence[Mapping[str, Any]], time_column: str) -> RunStatus:
    """The statuses of the runs of the latest ``time_column`` value (the last batch of runs)."""
    times = [_utc(r[time_column]) for r in rows if r.get(time_column) is not None]
    if not times:
        return RunStatus(kind=kind, latest=None, by_status={})
    latest = max(times)
    batch = Counter(str(r.get("status")) for r in rows
                    if r.get(time_column) is not None and _utc(r[time_column]) == latest)
    return RunStatus(kind=kind, latest=iso_z(latest), by_status=dict(sorted(batch.items())))


# ---- readers (on a background thread) ------------------------------------------------------------

def time_column(spec: TableSpec) -> str | None:
    names = {c.name: c.type for c in spec.columns}
    return next((n for n in TIME_COLUMNS if names.get(n) in ("timestamp", "date")), None)


def newest_value(table: Any, column: str) -> dt.datetime | None:
    """The greatest value of a timestamp or date column over the table's live data files, from
    the manifests' upper bounds (no data file is read)."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.manifest import ManifestContent
    from pyiceberg.types import DateType

    snapshot = table.current_snapshot()
    if snapshot is None:
        return None
    field = table.schema().find_field(column)
    best: int | None = None
    for manifest in snapshot.manifests(table.io):
        if manifest.content != ManifestContent.DATA:
            continue
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            bound = (entry.data_file.upper_bounds or {}).get(field.field_id)
            if bound is not None:
                value = int(from_bytes(field.field_type, bound))  # micros (timestamp) or days (date)
                best = value if best is None or value > best else best
    if best is None:
        return None
    if isinstance(field.field_type, DateType):
        return _EPOCH + dt.timedelta(days=int(best))
    return _EPOCH + dt.timedelta(microseconds=int(best))


def table_stats(table: Any, spec: TableSpec) -> dict[str, Any]:
    snapshot = table.current_snapshot()
    column = time_column(spec)
    if snapshot is None:
        return {"snapshot_id": None, "committed_at": None, "operation": None, "rows": 0, "added_rows": None,
                "time_column": column, "newest": None}
    summary = snapshot.summary

    def count(key: str) -> int | None:
        raw = summary.get(key) if summary is not None else None
        return int(raw) if raw is not None else None

    return {"snapshot_id": snapshot.snapshot_id,
            "committed_at": _EPOCH + dt.timedelta(milliseconds=snapshot.timestamp_ms),
            "operation": str(summary.operation.value) if summary is not None else None,
            "rows": count("total-records"), "added_rows": count("added-records"), "time_column": column,
            "newest": newest_value(table, column) if column else None}


class HealthReader:
    """Reads the health body; each table's stats are kept per snapshot, so a rebuild reloads every
    table's metadata but reads the manifests of changed tables only."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._stats: dict[str, tuple[int | None, dict[str, Any]]] = {}

    def __call__(self, catalog: Any, reference: dt.datetime | None) -> HealthResponse:
        from pyiceberg.exceptions import NoSuchTableError

        from ais import chain
        from ais.iceberg_io import read_rows

        loaded: dict[str, Any] = {}
        stats: dict[str, dict[str, Any]] = {}
        for name, spec in TABLES.items():
            try:
                table = catalog.load_table(name)
            except NoSuchTableError:
                continue
            loaded[name] = table
            snapshot = table.current_snapshot()
            snapshot_id = snapshot.snapshot_id if snapshot is not None else None
            held = self._stats.get(name)
            if held is None or held[0] != snapshot_id:
                held = (snapshot_id, table_stats(table, spec))
                self._stats[name] = held
            stats[name] = held[1]

        def rows(name: str, *columns: str) -> list[dict[str, Any]]:
            table = loaded.get(name)
            return [] if table is None or table.current_snapshot() is None else read_rows(table, columns=columns)

        jobs = [(n.name, n.kind, next(o for o in n.outputs if o in TABLES)) for n in chain.nodes().values()
                if any(o in TABLES for o in n.outputs)]
        return health_view(
            stats, invalid=rows("audit.invalid_events_bronze", "source_topic", "reason", "dlq_id"),
            late=rows("audit.late_events_bronze", "source_topic"),
            registry=rows("models.hanoi_pm25_model_registry_gold", "model_version", "model_run_id", "horizon_hour",
                          "location_id", "model_type", "status", "mae", "rmse", "mape", "promoted_at"),
            model_runs=rows("models.hanoi_pm25_model_runs_gold", "model_run_id", "horizon_hour", "status",
                            "created_at", "rmse_persistence", "skill_vs_persistence"),
            trajectory_runs=rows("trajectory.hysplit_runs_bronze", "start_time", "status"),
            jobs=jobs, reference=reference, location=self.location, now=dt.datetime.now(dt.UTC))


def read_map(catalog: Any, location: str) -> MapResponse:
    from pyiceberg import expressions
    from pyiceberg.exceptions import NoSuchTableError

    from ais.iceberg_io import read_rows

    def load(name: str) -> Any:
        try:
            table = catalog.load_table(name)
        except NoSuchTableError:
            return None
        return table if table.current_snapshot() is not None else None

    ops: Any = expressions
    hourly_table = load("features.trajectory_hourly_features_silver")
    hourly = read_rows(hourly_table) if hourly_table is not None else []
    newest = max((_utc(r["hour"]) for r in hourly), default=None)
    hourly = [r for r in hourly if newest is not None and _utc(r["hour"]) == newest]
    clustered: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    stations: list[dict[str, Any]] = []
    if newest is not None:
        clustered_table = load("trajectory.hysplit_trajectories_clustered_silver")
        if clustered_table is not None:
            since = (newest - dt.timedelta(hours=max(LOOKBACK_H, PATH_WINDOW_H))).isoformat()
            clustered = read_rows(clustered_table, ops.And(ops.GreaterThan("start_time", since),
                                                           ops.LessThanOrEqual("start_time", newest.isoformat())))
        runs = sorted({str(r["run_id"]) for r in clustered if r.get("run_id") is not None})
        points_table = load("trajectory.hysplit_trajectories_silver")
        if runs and points_table is not None:
            points = read_rows(points_table, ops.In("run_id", runs), ("traj_id", "age_h", "lat", "lon"))
        station_table = load("air_quality.openaq_hanoi_station_hourly_silver")
        if station_table is not None:
            since = (newest - dt.timedelta(hours=STATION_WINDOW_H)).isoformat()
            stations = read_rows(station_table, ops.And(
                ops.EqualTo("parameter", "pm25"), ops.GreaterThan("hour", since),
                ops.LessThanOrEqual("hour", newest.isoformat())),
                ("location_id", "location_name", "latitude", "longitude", "hour", "value", "qc_status"))
    return map_view(location, hourly, clustered, points, stations)


# ---- the cache --------------------------------------------------------------------------------------

class ViewCache(_Published):
    """One response body built from the catalog by ``build`` on a background thread, at most once
    per ``interval_s`` (monotonic, the store's clock), kept encoded with its ETag. A request never
    does catalog I/O while a body is cached; while none is, it waits for the build in flight (not
    when the last one failed: StoreUnavailable at once). Uses the prediction store's catalog."""

    def __init__(self, store: PredictionStore, name: str, build: Callable[[Any], BaseModel],
                 interval_s: float = VIEW_INTERVAL_S) -> None:
        self.store = store
        self.identifier = name
        self._build = build
        self._interval = interval_s
        self._lock = threading.Lock()
        self._body: tuple[bytes, bytes] | None = None
        self._checked_at: float | None = None
        self._last_error: BaseException | None = None
        self.refreshes = SingleFlight(f"{name}-refresh", store.abandon_after_s + 30.0)

    @property
    def loaded(self) -> bool:
        return self._body is not None

    def _due(self) -> bool:
        checked = self._checked_at
        return checked is None or self.store._clock() - checked >= self._interval

    def _request(self) -> Flight:
        running = self.refreshes.running()
        if running is not None:
            return running
        self._checked_at = self.store._clock()
        return self.refreshes.start(self._refresh, on_abandon=lambda _: self.store.forget_catalog())

    def cached(self) -> tuple[bytes, bytes]:
        if self._due():
            self._request()
        body = self._body
        if body is None:
            raise StoreUnavailable(f"{self.identifier} has not been read yet")
        return body

    def first(self, wait_s: float) -> tuple[bytes, bytes]:
        """:meth:`cached` for a cache that may be empty (blocks: call it on a worker thread)."""
        if self._body is not None:
            return self.cached()
        self._await_first(wait_s, self._due(), self._request)
        body = self._body
        if body is not None:
            return body
        reason = type(self._last_error).__name__ if self._last_error else "no answer yet"
        raise StoreUnavailable(f"cannot read {self.identifier}: {reason}")

    def _refresh(self, flight: Flight) -> None:
        started = time.monotonic()
        try:
            body = self._build(self.store.catalog()).model_dump_json(by_alias=True).encode("utf-8")
        except Exception as exc:  # noqa: BLE001 - any catalog or I/O error means "unavailable"; logged
            if self._publish(flight, _last_error=exc):
                self.store.forget_catalog()
                log.warning("view_refresh_failed", view=self.identifier, error=f"{type(exc).__name__}: {exc}",
                            cached=self._body is not None)
            return
        held = self._body
        if held is not None and held[0] == body:
            self._publish(flight, _last_error=None)
            return
        if self._publish(flight, _body=(body, etag_of(body)), _last_error=None):
            log.info("view_refreshed", view=self.identifier, bytes=len(body),
                     seconds=round(time.monotonic() - started, 3))


def reference_hour(store: PredictionStore) -> dt.datetime | None:
    """The newest production forecast's base hour (what the health view measures lags against)."""
    latest = store._latest
    if latest is None and not store.loaded:
        try:  # a view built before the first forecast read (this runs on the view's thread)
            store.first_json(5.0)
        except Exception:  # noqa: BLE001 - no forecast to measure against: the lags are null
            return None
        latest = store._latest
    if latest is None:
        return None
    return dt.datetime.strptime(latest.base_hour, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
