"""The API's only data access: the latest production prediction, kept in memory; and, in
:class:`TableCache`, the other tables the API serves (forecast archive, city silver, skill) under
the same rules (no catalog I/O on the request path while rows are cached).

A request never does catalog I/O while an answer is cached: it gets the cached body at once. At
most once per ``check_interval_s`` (1 s) a request starts a refresh on a background thread (one at
a time) that looks up the prediction table's current metadata file (one catalog row, not a scan)
and reloads and scans the table only when it changed. The latest forecast's route reads only the
prediction table (CONTRACTS.md §6); :meth:`PredictionStore.aged_body` adds its age in whole
minutes and its ``stale`` flag (``api.stale_after_minutes``), encoding the body again once a minute.

Every catalog call is bounded by ``api.catalog_timeout_seconds`` (SQLite busy timeout, PostgreSQL
connect and statement timeouts: ais.catalog.with_timeout). A refresh still running after
``abandon_after_s`` (a dependency hung below the driver, e.g. a stalled TCP peer) is abandoned:
its thread is left to end on its own, its outcome is dropped, and the next refresh starts over
with a new catalog. Until the first answer is cached a request waits for the refresh in flight,
unless the last one failed: then it is answered at once (503).

``PM25_API_SOURCE=cassandra`` (runtime.pm25_api_source; default iceberg) reads the latest
forecast from Cassandra instead: at most once per ``check_interval_s`` a request reads the one row
of ``<keyspace>.pm25_forecast_latest_by_location`` for the location (predict writes it from the
prediction table's row, so the body is the same JSON); the body is re-encoded only when the row
changed. A row whose model_status is not production is no forecast (404), as with Iceberg.
Readiness (ais.api.app) still probes the catalog and the prediction table, the source of truth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from ais.api.schemas import ForecastResponse, InvalidPredictionRow, forecast_response
from ais.config import ConfigError, Settings
from ais.iceberg_io import equals
from ais.jsonlog import get_logger
from ais.tables import table

log = get_logger("api")

PRODUCTION = "production"
CHECK_INTERVAL_S = 1.0
CATALOG_TIMEOUT_KEY = "api.catalog_timeout_seconds"
DEFAULT_CATALOG_TIMEOUT_S = 3.0
STALE_AFTER_KEY = "api.stale_after_minutes"
DEFAULT_STALE_AFTER_MIN = 120
SOURCES = ("iceberg", "cassandra")
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


class CatalogLike(Protocol):
    """What the API needs of a PyIceberg catalog."""

    def load_table(self, identifier: str) -> Any: ...

    def list_namespaces(self) -> Any: ...


class StoreUnavailable(RuntimeError):
    """The catalog or the prediction table cannot be read and nothing is cached."""


def latest_row(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The row with the greatest base_hour, then the greatest created_at."""
    if not rows:
        return None
    return max(rows, key=lambda r: (r["base_hour"], r.get("created_at") or _EARLIEST))


def _positive(settings: Settings, key: str, default: float, cast: Callable[[str], Any], what: str) -> Any:
    raw = settings.get(key, str(default)) or ""
    try:
        value = cast(raw)
    except ValueError as exc:
        raise ConfigError(f"{key} must be {what}, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{key} must be > 0, got {raw!r}")
    return value


def catalog_timeout(settings: Settings) -> float:
    """``api.catalog_timeout_seconds``: the bound on one catalog call (default 3 s)."""
    return float(_positive(settings, CATALOG_TIMEOUT_KEY, DEFAULT_CATALOG_TIMEOUT_S, float, "a number of seconds"))


def stale_after_minutes(settings: Settings) -> int:
    """``api.stale_after_minutes``: past this age a forecast is flagged ``stale`` (default 120)."""
    return int(_positive(settings, STALE_AFTER_KEY, DEFAULT_STALE_AFTER_MIN, int, "a whole number of minutes"))


def etag_of(body: bytes) -> bytes:
    """A strong ETag (quoted) of a response body: the first 20 hex digits of its SHA-1."""
    return b'"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20].encode("ascii") + b'"'


class Flight:
    """One run of a :class:`SingleFlight` call: ``done`` is set when it ended, then ``error`` or
    ``result`` holds its outcome. ``state`` is what the call reports while it runs."""

    def __init__(self, number: int, started: float) -> None:
        self.number = number
        self.started = started
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.state: dict[str, Any] = {}


class SingleFlight:
    """Runs a call on a daemon thread, one at a time: :meth:`start` while a call runs returns that
    call's :class:`Flight`, unless it has run for ``abandon_after_s`` (monotonic seconds): then it is
    abandoned (no thread can be stopped; it is left to end and :meth:`is_current` tells it that it
    no longer counts) and a new call starts."""

    def __init__(self, name: str, abandon_after_s: float) -> None:
        self.name = name
        self.abandon_after_s = abandon_after_s
        self._lock = threading.Lock()
        self._current: Flight | None = None
        self._count = 0

    @property
    def current(self) -> Flight | None:
        return self._current

    def running(self) -> Flight | None:
        """The call in flight that still counts, if any."""
        flight = self._current
        if flight is None or flight.done.is_set() or self._stale(flight):
            return None
        return flight

    def _stale(self, flight: Flight) -> bool:
        return time.monotonic() - flight.started >= self.abandon_after_s

    def is_current(self, flight: Flight) -> bool:
        return self._current is flight

    def start(self, call: Callable[[Flight], Any],
              on_abandon: Callable[[Flight], None] | None = None) -> Flight:
        abandoned = None
        with self._lock:
            flight = self._current
            if flight is not None and not flight.done.is_set():
                if not self._stale(flight):
                    return flight
                abandoned = flight
            self._count += 1
            flight = Flight(self._count, time.monotonic())
            self._current = flight
        if abandoned is not None:
            log.warning("background_call_abandoned", call=self.name, flight=abandoned.number,
                        running_s=round(time.monotonic() - abandoned.started, 3), **abandoned.state)
            if on_abandon is not None:
                on_abandon(abandoned)
        threading.Thread(target=self._run, args=(call, flight), name=f"{self.name}-{flight.number}",
                         daemon=True).start()
        return flight

    @staticmethod
    def _run(call: Callable[[Flight], Any], flight: Flight) -> None:
        try:
            flight.result = call(flight)
        except BaseException as exc:  # noqa: BLE001 - the outcome of the call, read by whoever waits
            flight.error = exc
        finally:
            flight.done.set()


class _Published:
    """A cache refreshed by SingleFlight calls: what a refresh found is published only while its
    flight still counts (an abandoned refresh publishes nothing)."""

    _lock: threading.Lock
    refreshes: SingleFlight

    _last_error: BaseException | None

    def _publish(self, flight: Flight, **fields: Any) -> bool:
        with self._lock:
            if not self.refreshes.is_current(flight):
                return False
            for name, value in fields.items():
                setattr(self, name, value)
            return True

    def _await_first(self, wait_s: float, due: bool, request: Callable[[], Flight]) -> None:
        """While nothing is cached: wait up to ``wait_s`` for the refresh in flight (one is started
        if none runs), unless the last refresh failed and none is due (then return at once)."""
        flight = self.refreshes.running()
        if flight is None and (self._last_error is None or due):
            flight = request()
        if flight is not None and self._last_error is None:
            flight.done.wait(wait_s)


class PredictionStore(_Published):
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic,
                 catalog_factory: Callable[[Settings], CatalogLike] | None = None,
                 check_interval_s: float = CHECK_INTERVAL_S) -> None:
        self.settings = settings
        self.source = settings.runtime("pm25_api_source").strip().lower()
        if self.source not in SOURCES:
            raise ConfigError(f"runtime.pm25_api_source (PM25_API_SOURCE) must be one of {SOURCES}, "
                              f"got {self.source!r}")
        self.identifier = table(settings.table_name("prediction_table")).identifier
        self.location_id = settings.location_id
        self.catalog_timeout_s = catalog_timeout(settings)
        # a refresh makes at most three catalog calls (pointer, table row, catalog start-up), each
        # bounded by the timeout; one that runs past four bounds waits below the driver
        self.abandon_after_s = 4 * self.catalog_timeout_s + 1.0
        self._clock = clock
        self._catalog_factory = catalog_factory
        self._interval = check_interval_s
        self._lock = threading.Lock()  # guards publishing a refresh's outcome; never held over I/O
        self._catalog_lock = threading.Lock()
        self._catalog: CatalogLike | None = None
        self._table: Any = None  # pyiceberg Table
        self._loaded = False
        self._snapshot_id: int | None = None
        self._latest: ForecastResponse | None = None
        self._latest_json: bytes | None = None  # the body, encoded once per snapshot
        self._checked_at: float | None = None
        self._last_error: BaseException | None = None  # of the last refresh; None after a success
        self.stale_after_minutes = stale_after_minutes(settings)
        # (answer, its created_at in epoch seconds, age in minutes, body, ETag) of aged_body
        self._aged: tuple[ForecastResponse, float, int, bytes, bytes] | None = None
        self._cassandra: Any = None  # (cluster, session, config) while PM25_API_SOURCE=cassandra
        self._served_key: tuple[Any, ...] | None = None  # what the cached Cassandra body was built from
        self.refreshes = SingleFlight("prediction-refresh", self.abandon_after_s)
        self.probes = SingleFlight("readyz-probe", self.abandon_after_s)  # used by ais.api.app

    # The catalog object is reused by refreshes and readiness probes (which run on other threads);
    # it is dropped after a failure so a catalog that comes back is picked up. It is made outside
    # the lock: making it reads the database, which may hang until its timeout.
    def catalog(self) -> CatalogLike:
        with self._catalog_lock:
            if self._catalog is not None:
                return self._catalog
        if self._catalog_factory is not None:
            made = self._catalog_factory(self.settings)
        else:
            from ais.catalog import load_catalog

            made = load_catalog(self.settings, create=False, timeout_s=self.catalog_timeout_s)
        with self._catalog_lock:
            if self._catalog is None:
                self._catalog = made
            return self._catalog

    def forget_catalog(self) -> None:
        with self._catalog_lock:
            self._catalog = None
            cassandra, self._cassandra = self._cassandra, None
        if cassandra is not None:
            cassandra[0].shutdown()

    @property
    def snapshot_id(self) -> int | None:
        return self._snapshot_id

    @property
    def loaded(self) -> bool:
        return self._loaded

    def refresh_due(self) -> bool:
        """Whether the next request starts a refresh (else the cached answer is current)."""
        checked = self._checked_at
        return checked is None or self._clock() - checked >= self._interval

    def request_refresh(self) -> Flight:
        """The refresh in flight, or a new one started on a background thread. Never waits."""
        running = self.refreshes.running()
        if running is not None:
            return running
        self._checked_at = self._clock()
        return self.refreshes.start(self._refresh_flight, on_abandon=self._abandoned)

    def cached_json(self) -> bytes | None:
        """The encoded body of the cached answer (None: no production prediction), at once. Starts
        a background refresh when one is due. StoreUnavailable while nothing was ever read."""
        if self.refresh_due():
            self.request_refresh()
        if not self._loaded:
            raise StoreUnavailable(f"{self.identifier} has not been read yet")
        return self._latest_json

    def aged_body(self, now: float) -> tuple[bytes, bytes] | None:
        """(body, ETag) of the cached answer with its age in whole minutes at ``now`` (epoch
        seconds) and its ``stale`` flag; None: no production prediction. The body is encoded again
        only when the cached answer or its age in minutes changed (once a minute), so a request
        pays a subtraction and a comparison. Call :meth:`cached_json` or :meth:`first_json` first."""
        latest = self._latest
        if latest is None:
            return None
        aged = self._aged
        if aged is None or aged[0] is not latest:
            created = dt.datetime.strptime(latest.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            aged = (latest, created.timestamp(), -1, b"", b"")
        age = int((now - aged[1]) // 60)
        if age != aged[2]:
            body = latest.model_copy(update={"age_minutes": age, "stale": age > self.stale_after_minutes})
            encoded = body.model_dump_json(by_alias=True).encode("utf-8")
            aged = (latest, aged[1], age, encoded, etag_of(encoded))
            self._aged = aged
        return aged[3], aged[4]

    def first_json(self, wait_s: float) -> bytes | None:
        """:meth:`cached_json` for a store that may have nothing cached yet: waits up to ``wait_s``
        for the refresh in flight, unless the last refresh failed (then StoreUnavailable at once).
        Blocks: call it from a worker thread."""
        if self._loaded:
            return self.cached_json()
        flight = self.refreshes.running()
        if flight is None and (self._last_error is None or self.refresh_due()):
            flight = self.request_refresh()
        if flight is not None and self._last_error is None:
            flight.done.wait(wait_s)
        if self._loaded:
            return self._latest_json
        if isinstance(self._last_error, InvalidPredictionRow):
            raise self._last_error
        reason = type(self._last_error).__name__ if self._last_error else "no answer yet"
        raise StoreUnavailable(f"cannot read {self.identifier}: {reason}")

    def latest_json(self, wait_s: float | None = None) -> bytes | None:
        """:meth:`latest`, as the JSON bytes of the response body."""
        self.latest(wait_s)
        return self._latest_json

    def latest(self, wait_s: float | None = None) -> ForecastResponse | None:
        """A fresh refresh's answer: starts one (or joins the one in flight) and waits for it, up to
        ``wait_s`` (default: until it is abandoned). The cached answer if it fails and one exists;
        StoreUnavailable (InvalidPredictionRow for a bad row) if nothing is cached."""
        flight = self.request_refresh()
        flight.done.wait(self.abandon_after_s if wait_s is None else wait_s)
        if not self._loaded:
            if isinstance(self._last_error, InvalidPredictionRow):
                raise self._last_error
            reason = type(self._last_error).__name__ if self._last_error else "timed out"
            raise StoreUnavailable(f"cannot read {self.identifier}: {reason}")
        return self._latest

    # ---- the refresh (on a SingleFlight thread) ------------------------------------------------

    def _abandoned(self, flight: Flight) -> None:
        # the hung call holds the old catalog's connection: the next refresh starts with a new one
        self.forget_catalog()
        with self._lock:
            self._table = None

    def _refresh_flight(self, flight: Flight) -> None:
        try:
            if self.source == "cassandra":
                self._refresh_from_cassandra(flight)
            else:
                self._refresh_from_iceberg(flight)
        except InvalidPredictionRow as exc:
            if self._publish(flight, _last_error=exc):
                log.error("invalid_prediction_row", table=self.identifier, error=str(exc), cached=self._loaded)
        except Exception as exc:  # noqa: BLE001 - any catalog or I/O error means "unavailable"; logged
            # The cached answer, if any, is still served; readiness reports the outage.
            if self._publish(flight, _last_error=exc, _table=None):
                self.forget_catalog()
                log.warning("prediction_cache_refresh_failed", table=self.identifier,
                            error=f"{type(exc).__name__}: {exc}", cached=self._loaded)
        else:
            self._publish(flight, _last_error=None)

    def _metadata_pointer(self) -> str | None:
        """The table's current metadata file from a SQL catalog, by one indexed row lookup (no file
        read); None for other catalogs, which then reload the table's metadata."""
        from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        catalog = self.catalog()
        if not isinstance(catalog, SqlCatalog):
            return None
        namespace, name = self.identifier.rsplit(".", 1)
        with Session(catalog.engine) as session:
            return session.scalar(select(IcebergTables.metadata_location).where(
                IcebergTables.catalog_name == catalog.name, IcebergTables.table_namespace == namespace,
                IcebergTables.table_name == name))

    def _refresh_from_cassandra(self, flight: Flight) -> None:
        from ais.serving.cassandra import cassandra_config, connect
        from ais.serving.forecast import read_latest

        with self._catalog_lock:
            current = self._cassandra
        if current is None:
            cfg = cassandra_config(self.settings)
            current = (*connect(cfg), cfg)  # bounded by cassandra.connect_timeout_seconds
            with self._catalog_lock:
                if self._cassandra is None:
                    self._cassandra = current
                else:
                    current[0].shutdown()
                    current = self._cassandra
        _, session, cfg = current
        row = read_latest(session, cfg, self.location_id)
        if row is not None and row.get("model_status") != PRODUCTION:
            row = None
        key = None if row is None else (row["prediction_id"], row["base_hour"], row.get("updated_at"))
        if self._loaded and key == self._served_key:
            return
        # the interval stays in the Iceberg companion table (read once per new forecast; without the
        # catalog the forecast is served without it), so both sources answer the same body
        body = forecast_response(row, self._interval_of(row)) if row is not None else None
        encoded = body.model_dump_json(by_alias=True).encode("utf-8") if body is not None else None
        if self._publish(flight, _latest=body, _latest_json=encoded, _served_key=key, _loaded=True):
            log.info("prediction_cache_refreshed", table=cfg.qualified("pm25_forecast_latest_by_location"),
                     rows=0 if row is None else 1, base_hour=body.base_hour if body else None)

    def _refresh_from_iceberg(self, flight: Flight) -> None:
        from ais.iceberg_io import read_rows

        # Every commit writes a new metadata file: the same pointer means the same snapshot, and the
        # check costs a catalog row lookup instead of a metadata file read and parse.
        current = self._table
        if self._loaded and current is not None and self._metadata_pointer() == current.metadata_location:
            return
        # (an abandoned refresh may still change ``current`` in place: _abandoned has dropped it)
        loaded = self.catalog().load_table(self.identifier) if current is None else current.refresh()
        snapshot = loaded.current_snapshot()
        snapshot_id = snapshot.snapshot_id if snapshot is not None else None
        if self._loaded and snapshot_id == self._snapshot_id:
            self._publish(flight, _table=loaded)
            return
        rows = [] if snapshot is None else read_rows(
            loaded, equals(location_id=self.location_id, model_status=PRODUCTION))
        row = latest_row(rows)
        # Build the body before replacing the cache, so a bad row leaves the old answer in place.
        body = forecast_response(row, self._interval_of(row)) if row is not None else None
        encoded = body.model_dump_json(by_alias=True).encode("utf-8") if body is not None else None
        # _loaded last: a request that sees it set finds the body in place
        if self._publish(flight, _table=loaded, _latest=body, _latest_json=encoded, _snapshot_id=snapshot_id,
                         _loaded=True):
            log.info("prediction_cache_refreshed", table=self.identifier, snapshot_id=snapshot_id,
                     rows=len(rows), base_hour=body.base_hour if body else None)


    def _interval_of(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The 80 % interval row of a prediction (ais.ml.predict writes it before the prediction);
        None when there is none or the interval table cannot be read: the forecast is served without."""
        from ais.iceberg_io import read_rows
        from ais.tables import FORECAST_INTERVALS

        try:
            found = read_rows(self.catalog().load_table(FORECAST_INTERVALS.identifier),
                              equals(prediction_id=row["prediction_id"]))
        except Exception as exc:  # noqa: BLE001 - a missing table or catalog error: no interval, not no forecast
            log.warning("forecast_interval_unavailable", table=FORECAST_INTERVALS.identifier,
                        error=f"{type(exc).__name__}: {exc}"[:300])
            return None
        return found[0] if found else None


class TableCache(_Published):
    """The rows of one more table the API serves (archive, silver, skill), kept in memory with the
    same rules as the prediction: a request never does catalog I/O while rows are cached; at most
    once per ``check_interval_s`` a request starts a background refresh (a :class:`SingleFlight`,
    abandoned after the store's ``abandon_after_s``) that reloads the table's metadata and scans it
    only when its snapshot changed. Uses the prediction store's catalog (and drops it on a failure).
    ``row_filter`` is a PyIceberg filter; ``sort_key`` orders the cached rows once per snapshot."""

    def __init__(self, store: PredictionStore, identifier: str, row_filter: Any = None,
                 sort_key: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.store = store
        self.identifier = identifier
        self._filter = row_filter
        self._sort_key = sort_key
        self._lock = threading.Lock()
        self._table: Any = None
        self._rows: list[dict[str, Any]] = []
        self._snapshot_id: int | None = None
        self._loaded = False
        self._checked_at: float | None = None
        self._last_error: BaseException | None = None
        self.refreshes = SingleFlight(f"{identifier}-refresh", store.abandon_after_s)

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def snapshot_id(self) -> int | None:
        return self._snapshot_id

    def _due(self) -> bool:
        checked = self._checked_at
        return checked is None or self.store._clock() - checked >= self.store._interval

    def _request_refresh(self) -> Flight:
        running = self.refreshes.running()
        if running is not None:
            return running
        self._checked_at = self.store._clock()
        return self.refreshes.start(self._refresh, on_abandon=self._abandoned)

    def cached(self) -> tuple[list[dict[str, Any]], int | None]:
        """(rows, snapshot id) at once, starting a background refresh when one is due;
        StoreUnavailable while nothing was ever read."""
        if self._due():
            self._request_refresh()
        if not self._loaded:
            raise StoreUnavailable(f"{self.identifier} has not been read yet")
        return self._rows, self._snapshot_id

    def first(self, wait_s: float) -> tuple[list[dict[str, Any]], int | None]:
        """:meth:`cached` for a cache that may be empty: waits up to ``wait_s`` for the refresh in
        flight unless the last one failed (then StoreUnavailable at once). Blocks: worker thread."""
        if self._loaded:
            return self.cached()
        self._await_first(wait_s, self._due(), self._request_refresh)
        if self._loaded:
            return self._rows, self._snapshot_id
        reason = type(self._last_error).__name__ if self._last_error else "no answer yet"
        raise StoreUnavailable(f"cannot read {self.identifier}: {reason}")

    def _abandoned(self, flight: Flight) -> None:
        self.store.forget_catalog()
        with self._lock:
            self._table = None

    def _refresh(self, flight: Flight) -> None:
        from ais.iceberg_io import read_rows

        try:
            current = self._table
            loaded = self.store.catalog().load_table(self.identifier) if current is None else current.refresh()
            snapshot = loaded.current_snapshot()
            snapshot_id = snapshot.snapshot_id if snapshot is not None else None
            if self._loaded and snapshot_id == self._snapshot_id:
                self._publish(flight, _table=loaded, _last_error=None)
                return
            rows = [] if snapshot is None else read_rows(loaded, self._filter)
            if self._sort_key is not None:
                rows.sort(key=self._sort_key)
            if self._publish(flight, _table=loaded, _rows=rows, _snapshot_id=snapshot_id, _last_error=None,
                             _loaded=True):
                log.info("table_cache_refreshed", table=self.identifier, snapshot_id=snapshot_id, rows=len(rows))
        except Exception as exc:  # noqa: BLE001 - any catalog or I/O error means "unavailable"; logged
            if self._publish(flight, _last_error=exc, _table=None):
                self.store.forget_catalog()
                log.warning("table_cache_refresh_failed", table=self.identifier,
                            error=f"{type(exc).__name__}: {exc}", cached=self._loaded)
