"""The API's only data access: the latest production prediction, kept in memory.

A request normally does no I/O. At most once per ``check_interval_s`` (1 s) a request reloads the
prediction table's metadata (one catalog lookup and one small metadata file, not a scan) and
compares the current snapshot id with the one the cached answer was built from; only when it
changed is the table scanned again. Reads only the prediction table (CONTRACTS.md §6).

``PM25_API_SOURCE=cassandra`` (runtime.pm25_api_source; default iceberg) reads the latest
forecast from Cassandra instead: at most once per ``check_interval_s`` a request reads the one row
of ``<keyspace>.pm25_forecast_latest_by_location`` for the location (predict writes it from the
prediction table's row, so the body is the same JSON); the body is re-encoded only when the row
changed. A row whose model_status is not production is no forecast (404), as with Iceberg.
Readiness (ais.api.app) still probes the catalog and the prediction table, the source of truth.
"""

from __future__ import annotations

import datetime as dt
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


class PredictionStore:
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
        self._clock = clock
        self._catalog_factory = catalog_factory
        self._interval = check_interval_s
        self._lock = threading.Lock()
        self._catalog_lock = threading.Lock()
        self._catalog: CatalogLike | None = None
        self._table: Any = None  # pyiceberg Table
        self._loaded = False
        self._snapshot_id: int | None = None
        self._latest: ForecastResponse | None = None
        self._latest_json: bytes | None = None  # the body, encoded once per snapshot
        self._checked_at: float | None = None
        self._cassandra: Any = None  # (cluster, session, config) while PM25_API_SOURCE=cassandra
        self._served_key: tuple[Any, ...] | None = None  # what the cached Cassandra body was built from

    # The catalog object is reused by requests and readiness probes (which run on other threads);
    # it is dropped after a failure so a catalog that comes back is picked up.
    def catalog(self) -> CatalogLike:
        with self._catalog_lock:
            if self._catalog is None:
                if self._catalog_factory is not None:
                    self._catalog = self._catalog_factory(self.settings)
                else:
                    from ais.catalog import load_catalog

                    self._catalog = load_catalog(self.settings, create=False)
            return self._catalog

    def forget_catalog(self) -> None:
        with self._catalog_lock:
            self._catalog = None
            if self._cassandra is not None:
                self._cassandra[0].shutdown()
                self._cassandra = None

    @property
    def snapshot_id(self) -> int | None:
        return self._snapshot_id

    def refresh_due(self) -> bool:
        """Whether the next :meth:`latest` may touch the catalog (else it answers from memory)."""
        checked = self._checked_at
        return checked is None or self._clock() - checked >= self._interval

    def cached_json(self) -> bytes | None:
        """The encoded body of the last answer, without any check (see :meth:`latest_json`);
        StoreUnavailable while nothing was ever read."""
        if not self._loaded:
            raise StoreUnavailable(f"{self.identifier} has not been read yet")
        return self._latest_json

    def latest_json(self) -> bytes | None:
        """:meth:`latest`, as the JSON bytes of the response body."""
        self.latest()
        return self._latest_json

    def latest(self) -> ForecastResponse | None:
        """The contract body of the latest production prediction, or None if there is none."""
        with self._lock:
            now = self._clock()
            if self._checked_at is None or now - self._checked_at >= self._interval:
                self._checked_at = now
                try:
                    self._refresh()
                except InvalidPredictionRow as exc:
                    log.error("invalid_prediction_row", table=self.identifier, error=str(exc),
                              cached=self._loaded)
                    if not self._loaded:
                        raise
                except Exception as exc:  # any catalog or I/O error means "unavailable"; logged below
                    # Serve what is cached, if anything; readiness reports the outage.
                    self.forget_catalog()
                    self._table = None
                    log.warning("prediction_cache_refresh_failed", table=self.identifier,
                                error=f"{type(exc).__name__}: {exc}", cached=self._loaded)
                    if not self._loaded:
                        raise StoreUnavailable(
                            f"cannot read {self.identifier}: {type(exc).__name__}") from exc
            return self._latest

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

    def _refresh(self) -> None:
        if self.source == "cassandra":
            self._refresh_from_cassandra()
        else:
            self._refresh_from_iceberg()

    def _refresh_from_cassandra(self) -> None:
        from ais.serving.cassandra import cassandra_config, connect
        from ais.serving.forecast import read_latest

        with self._catalog_lock:
            if self._cassandra is None:
                cfg = cassandra_config(self.settings)
                self._cassandra = (*connect(cfg), cfg)
            _, session, cfg = self._cassandra
        row = read_latest(session, cfg, self.location_id)
        if row is not None and row.get("model_status") != PRODUCTION:
            row = None
        key = None if row is None else (row["prediction_id"], row["base_hour"], row.get("updated_at"))
        if self._loaded and key == self._served_key:
            return
        body = forecast_response(row) if row is not None else None
        encoded = body.model_dump_json(by_alias=True).encode("utf-8") if body is not None else None
        self._latest, self._latest_json, self._served_key, self._loaded = body, encoded, key, True
        log.info("prediction_cache_refreshed", table=cfg.qualified("pm25_forecast_latest_by_location"),
                 rows=0 if row is None else 1, base_hour=body.base_hour if body else None)

    def _refresh_from_iceberg(self) -> None:
        from ais.iceberg_io import read_rows

        # Every commit writes a new metadata file: the same pointer means the same snapshot, and the
        # check costs a catalog row lookup instead of a metadata file read and parse.
        if self._loaded and self._table is not None and self._metadata_pointer() == self._table.metadata_location:
            return
        if self._table is None:
            self._table = self.catalog().load_table(self.identifier)
        else:
            self._table = self._table.refresh()
        snapshot = self._table.current_snapshot()
        snapshot_id = snapshot.snapshot_id if snapshot is not None else None
        if self._loaded and snapshot_id == self._snapshot_id:
            return
        rows = [] if snapshot is None else read_rows(
            self._table, equals(location_id=self.location_id, model_status=PRODUCTION))
        row = latest_row(rows)
        # Build the body before replacing the cache, so a bad row leaves the old answer in place.
        body = forecast_response(row) if row is not None else None
        encoded = body.model_dump_json(by_alias=True).encode("utf-8") if body is not None else None
        self._latest, self._latest_json, self._snapshot_id, self._loaded = body, encoded, snapshot_id, True
        log.info("prediction_cache_refreshed", table=self.identifier, snapshot_id=snapshot_id,
                 rows=len(rows), base_hour=body.base_hour if body else None)
