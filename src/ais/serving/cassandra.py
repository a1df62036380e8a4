"""Cassandra connection settings, sessions and the serving schema (CONTRACTS.md §4).

Client: the DataStax Python driver ``cassandra-driver`` (pinned in pyproject.toml), used
inside the Spark executors (one session per partition, prepared statements, bounded concurrency)
and by predict and the API. Not the Spark Cassandra Connector: the newest connector on Maven
Central, com.datastax.spark:spark-cassandra-connector_2.13:3.5.1, is built against Spark 3.5
(its POM names spark-sql_2.13 3.5.0), and no release for Spark 4.0 is published (no 3.6.0 or 4.0.0
under com.datastax.spark or org.apache.cassandra; Spark 4 support is an open upstream pull
request), while AIS runs pyspark 4.0.0. The driver also keeps the API and inference images free
of a JVM.

Where: host ``runtime.cassandra_host`` (CASSANDRA_HOST), port ``runtime.cassandra_port``
(CASSANDRA_PORT), keyspace ``runtime.cassandra_keyspace`` (CASSANDRA_KEYSPACE, default
``ais_serving``); the keyspace's replication map, consistency, timeouts and write concurrency come
from the ``cassandra:`` section of the config. No host is written here.

Tables: the three of CONTRACTS.md §4 with their columns, partition keys and newest-first
clustering on ``event_time``. One addition to the OpenAQ table's key: ``event_id`` follows
``event_time`` as a clustering column, because a (city, parameter, day) partition holds every
station of the city, several per hour; with ``event_time`` alone the stations of one hour would
overwrite each other and all but one would be lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ais.config import ConfigError, Settings
from ais.serving.rows import OPENAQ_COLUMNS, WEATHER_COLUMNS

if TYPE_CHECKING:
    from cassandra.cluster import Cluster, Session

WEATHER_TABLE = "weather_hourly_by_province_day"
OPENAQ_TABLE = "openaq_hourly_by_city_parameter_day"
FORECAST_TABLE = "pm25_forecast_latest_by_location"

FORECAST_COLUMNS: tuple[str, ...] = (
    "location_id", "base_hour", "prediction_id", "location_name", "pm25_now", "pm25_6h", "risk_6h", "pm25_12h",
    "risk_12h", "pm25_24h", "risk_24h", "dominant_cluster", "source_lat", "source_lon", "path_no2_mean",
    "path_aer_mean", "pm25_grad_mag", "model_version_6h", "model_version_12h", "model_version_24h",
    "model_status", "feature_version", "feature_schema_hash", "inference_run_id", "created_at", "updated_at")


@dataclass(frozen=True)
class ServingTable:
    """One Cassandra table: its columns (CQL types), partition key, clustering (column, order)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    partition_key: tuple[str, ...]
    clustering: tuple[tuple[str, str], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def create_cql(self, keyspace: str) -> str:
        cols = ", ".join(f'"{c}" {t}' for c, t in self.columns)
        pk = "(" + ", ".join(self.partition_key) + ")"
        key = ", ".join((pk, *(c for c, _ in self.clustering)))
        order = ""
        if self.clustering:
            order = " WITH CLUSTERING ORDER BY (" + ", ".join(f"{c} {o}" for c, o in self.clustering) + ")"
        return f"CREATE TABLE IF NOT EXISTS {keyspace}.{self.name} ({cols}, PRIMARY KEY ({key})){order}"

    def insert_cql(self, keyspace: str, suffix: str = "") -> str:
        names = self.column_names
        cols = ", ".join(f'"{c}"' for c in names)
        marks = ", ".join("?" for _ in names)
        return f"INSERT INTO {keyspace}.{self.name} ({cols}) VALUES ({marks}){suffix}"


_WEATHER_TYPES = {
    "province": "text", "day": "date", "event_time": "timestamp", "event_id": "text", "query_date": "date",
    "location_name": "text", "lat": "double", "lon": "double", "temp_c": "double", "temp_f": "double",
    "humidity": "int", "wind_kph": "double", "wind_degree": "int", "wind_dir": "text", "precip_mm": "double",
    "condition_text": "text", "source": "text", "ingest_time": "timestamp"}
_OPENAQ_TYPES = {
    "city": "text", "parameter": "text", "day": "date", "event_time": "timestamp", "event_id": "text",
    "location_id": "bigint", "location_name": "text", "provider": "text", "sensor_id": "bigint", "unit": "text",
    "value": "double", "min": "double", "max": "double", "sd": "double", "coverage_pct": "double",
    "source": "text", "ingest_time": "timestamp"}
_FORECAST_TYPES = {
    "location_id": "text", "base_hour": "timestamp", "prediction_id": "text", "location_name": "text",
    "pm25_now": "double", "pm25_6h": "double", "risk_6h": "text", "pm25_12h": "double", "risk_12h": "text",
    "pm25_24h": "double", "risk_24h": "text", "dominant_cluster": "int", "source_lat": "double",
    "source_lon": "double", "path_no2_mean": "double", "path_aer_mean": "double", "pm25_grad_mag": "double",
    "model_version_6h": "text", "model_version_12h": "text", "model_version_24h": "text", "model_status": "text",
    "feature_version": "text", "feature_schema_hash": "text", "inference_run_id": "text",
    "created_at": "timestamp", "updated_at": "timestamp"}

TABLES: dict[str, ServingTable] = {t.name: t for t in (
    ServingTable(WEATHER_TABLE, tuple((c, _WEATHER_TYPES[c]) for c in WEATHER_COLUMNS),
                 ("province", "day"), (("event_time", "DESC"),)),
    ServingTable(OPENAQ_TABLE, tuple((c, _OPENAQ_TYPES[c]) for c in OPENAQ_COLUMNS),
                 ("city", "parameter", "day"), (("event_time", "DESC"), ("event_id", "ASC"))),
    ServingTable(FORECAST_TABLE, tuple((c, _FORECAST_TYPES[c]) for c in FORECAST_COLUMNS), ("location_id",)),
)}

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_CONSISTENCY = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE")


@dataclass(frozen=True)
class CassandraConfig:
    """What a writer needs to reach the serving keyspace; plain values, so Spark can ship it to the
    executors."""

    host: str
    port: int
    keyspace: str
    replication: tuple[tuple[str, str], ...]
    consistency: str
    connect_timeout_s: float
    request_timeout_s: float
    write_concurrency: int

    @property
    def label(self) -> str:
        """keyspace name for logs (no host: logs carry no connection strings)."""
        return self.keyspace

    def qualified(self, table: str) -> str:
        return f"{self.keyspace}.{table}"


def serving_enabled(settings: Settings) -> bool:
    """``serving.cassandra``: true | false (default false)."""
    raw = (settings.get("serving.cassandra") or "false").strip().lower()
    if raw not in ("true", "false"):
        raise ConfigError(f"serving.cassandra must be true or false, got {raw!r}")
    return raw == "true"


def cassandra_config(settings: Settings) -> CassandraConfig:
    """The Cassandra settings, checked; ConfigError names the first bad one."""
    host = settings.runtime("cassandra_host").strip()
    if not host:
        raise ConfigError("runtime.cassandra_host (CASSANDRA_HOST) is empty: Cassandra serving needs a host")
    try:
        port = int(settings.runtime("cassandra_port"))
    except ValueError as exc:
        raise ConfigError(f"runtime.cassandra_port (CASSANDRA_PORT) must be a port number, "
                          f"got {settings.runtime('cassandra_port')!r}") from exc
    keyspace = settings.runtime("cassandra_keyspace").strip()
    if not _IDENTIFIER.match(keyspace):
        raise ConfigError(f"runtime.cassandra_keyspace must be a lower-case CQL identifier, got {keyspace!r}")
    replication = settings.section("cassandra.replication")
    if "class" not in replication:
        raise ConfigError("cassandra.replication needs a 'class' (e.g. SimpleStrategy)")
    consistency = settings.require("cassandra.consistency").strip().upper()
    if consistency not in _CONSISTENCY:
        raise ConfigError(f"cassandra.consistency must be one of {_CONSISTENCY}, got {consistency!r}")
    concurrency = settings.get_int("cassandra.write_concurrency")
    if not 1 <= concurrency <= 1024:
        raise ConfigError(f"cassandra.write_concurrency must be 1..1024, got {concurrency}")
    return CassandraConfig(host=host, port=port, keyspace=keyspace, replication=tuple(sorted(replication.items())),
                           consistency=consistency,
                           connect_timeout_s=settings.get_float("cassandra.connect_timeout_seconds"),
                           request_timeout_s=settings.get_float("cassandra.request_timeout_seconds"),
                           write_concurrency=concurrency)


def replication_cql(replication: tuple[tuple[str, str], ...] | Mapping[str, str]) -> str:
    """The replication map as a CQL literal: {'class': 'SimpleStrategy', 'replication_factor': '1'}."""
    items = replication.items() if isinstance(replication, Mapping) else replication
    for key, value in items:
        if "'" in key or "'" in value:
            raise ConfigError(f"cassandra.replication.{key}: quotes are not allowed")
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in items) + "}"


def connect(cfg: CassandraConfig) -> tuple[Cluster, Session]:
    """A cluster and a session (no keyspace set: statements name it). The caller shuts the cluster
    down."""
    from cassandra import ConsistencyLevel
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=getattr(ConsistencyLevel, cfg.consistency),
        serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL,
        request_timeout=cfg.request_timeout_s)
    cluster = Cluster([cfg.host], port=cfg.port, connect_timeout=cfg.connect_timeout_s,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile}, protocol_version=5)
    try:
        session = cluster.connect()
    except Exception:
        cluster.shutdown()
        raise
    return cluster, session


def ensure_schema(session: Session, cfg: CassandraConfig) -> list[str]:
    """Create the keyspace and the three tables if missing (IF NOT EXISTS: a second run changes
    nothing). Returns the qualified table names."""
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS {cfg.keyspace} WITH replication = "
                    f"{replication_cql(cfg.replication)}")
    for table in TABLES.values():
        session.execute(table.create_cql(cfg.keyspace))
    return [cfg.qualified(t) for t in TABLES]


def schema_columns(session: Session, keyspace: str) -> dict[str, dict[str, dict[str, Any]]]:
    """system_schema's view of a keyspace: table -> column -> {type, kind, position,
    clustering_order}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    rows = session.execute("SELECT table_name, column_name, type, kind, position, clustering_order "
                           "FROM system_schema.columns WHERE keyspace_name = %s", (keyspace,))
    for r in rows:
        out.setdefault(r.table_name, {})[r.column_name] = {
            "type": r.type, "kind": r.kind, "position": r.position, "clustering_order": r.clustering_order}
    return out


def ensure_serving_schema(settings: Settings) -> dict[str, Any]:
    """Connect with ``settings`` and :func:`ensure_schema`; a summary for logs and the CLI."""
    cfg = cassandra_config(settings)
    cluster, session = connect(cfg)
    try:
        tables = ensure_schema(session, cfg)
    finally:
        cluster.shutdown()
    return {"keyspace": cfg.keyspace, "tables": tables, "replication": dict(cfg.replication)}
