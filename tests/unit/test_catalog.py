"""ensure-tables (PyIceberg over the SQLite catalog) and the idempotent PyIceberg writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from ais import tables
from ais.catalog import catalog_location, ensure_tables, load_catalog, spark_catalog_conf
from ais.config import ConfigError, Settings
from ais.iceberg_io import MergeError, merge_rows, read_rows
from ais.tables import C, TableSpec


def test_catalog_location_by_uri(make_settings: Callable[..., Settings]) -> None:
    s = make_settings()
    loc = catalog_location(s)
    assert loc.kind == "jdbc" and loc.sqlalchemy_url.startswith("sqlite:////")
    assert loc.warehouse.startswith("file:///")
    conf = spark_catalog_conf(s)
    assert conf["spark.sql.catalog.ais.type"] == "jdbc"
    assert conf["spark.sql.catalog.ais.jdbc.schema-version"] == "V1"
    assert conf["spark.sql.catalog.ais.uri"] == "jdbc:" + loc.sqlalchemy_url.replace("sqlite:///", "sqlite:")
    pg = catalog_location(make_settings(ICEBERG_CATALOG_URI="jdbc:postgresql://db.example:5432/iceberg",
                                        ICEBERG_WAREHOUSE="hdfs://nn.example:8020/warehouse"))
    assert pg.sqlalchemy_url == "postgresql+psycopg://db.example:5432/iceberg"
    assert pg.warehouse == "hdfs://nn.example:8020/warehouse"
    assert catalog_location(make_settings(ICEBERG_CATALOG_URI="https://rest.example/cat")).kind == "rest"
    with pytest.raises(ConfigError, match="unsupported"):
        catalog_location(make_settings(ICEBERG_CATALOG_URI="mysql://x"))


def test_ensure_tables_creates_everything_once(settings: Settings) -> None:
    first = ensure_tables(settings)
    assert set(first.values()) == {"created"} and len(first) == len(tables.TABLES)
    catalog = load_catalog(settings)
    metadata_before = {t: catalog.load_table(t).metadata_location for t in first}
    second = ensure_tables(settings)
    assert set(second.values()) == {"unchanged"}
    assert {t: catalog.load_table(t).metadata_location for t in first} == metadata_before
    registry = catalog.load_table(tables.MODEL_REGISTRY.identifier)
    assert registry.format_version == 2
    assert [f.name for f in registry.schema().fields] == tables.MODEL_REGISTRY.column_names
    assert [f.name for f in registry.spec().fields] == ["status", "horizon_hour"]
    assert {n for (n,) in catalog.list_namespaces()} == set(tables.NAMESPACES)


def test_ensure_tables_adds_missing_columns(settings: Settings) -> None:
    old = TableSpec("audit", "evolving", (C("id", "string", True), C("a", "double")), ("id",))
    new = TableSpec("audit", "evolving", (C("id", "string", True), C("a", "double"), C("b", "list<string>")),
                    ("id",))
    catalog = load_catalog(settings)
    assert ensure_tables(settings, catalog, [old]) == {"audit.evolving": "created"}
    assert ensure_tables(settings, catalog, [new]) == {"audit.evolving": "evolved:b"}
    assert ensure_tables(settings, catalog, [new]) == {"audit.evolving": "unchanged"}
    assert [f.name for f in catalog.load_table("audit.evolving").schema().fields] == ["id", "a", "b"]


def _registry_row(version: str, status: str, mae: float) -> dict[str, object]:
    return {"model_version": version, "horizon_hour": 6, "location_id": "hanoi", "status": status, "mae": mae,
            "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}


def test_merge_rows_inserts_updates_and_skips_unchanged(settings: Settings) -> None:
    ensure_tables(settings, specs=[tables.MODEL_REGISTRY])
    catalog = load_catalog(settings)
    table_id = tables.MODEL_REGISTRY.identifier
    r = merge_rows(catalog, tables.MODEL_REGISTRY, [_registry_row("v1", "production", 4.0),
                                                    _registry_row("v2", "staging", 5.0)])
    assert (r.inserted, r.updated, r.unchanged) == (2, 0, 0)
    snapshots = len(catalog.load_table(table_id).snapshots())
    # same facts, a different volatile column: nothing is written, no snapshot is added
    again = [_registry_row("v1", "production", 4.0) | {"created_at": dt.datetime(2027, 1, 1, tzinfo=dt.UTC)}]
    assert merge_rows(catalog, tables.MODEL_REGISTRY, again).unchanged == 1
    assert len(catalog.load_table(table_id).snapshots()) == snapshots
    r = merge_rows(catalog, tables.MODEL_REGISTRY, [_registry_row("v1", "archived", 4.0)])
    assert (r.inserted, r.updated) == (0, 1)
    rows = sorted(read_rows(catalog.load_table(table_id)), key=lambda x: x["model_version"])
    assert [(x["model_version"], x["status"]) for x in rows] == [("v1", "archived"), ("v2", "staging")]


def test_merge_rows_after_a_column_was_added(settings: Settings) -> None:
    """PyIceberg 0.12's upsert fails here (apache/iceberg-python#2467); merge_rows must not."""
    old = TableSpec("audit", "grows", (C("id", "string", True), C("a", "double")), ("id",))
    new = TableSpec("audit", "grows", (C("id", "string", True), C("a", "double"), C("b", "string")), ("id",))
    catalog = load_catalog(settings)
    ensure_tables(settings, catalog, [old])
    assert merge_rows(catalog, old, [{"id": "x", "a": 1.0}, {"id": "y", "a": 2.0}]).inserted == 2
    ensure_tables(settings, catalog, [new])
    r = merge_rows(catalog, new, [{"id": "y", "a": 2.0, "b": "new"}, {"id": "z", "a": 3.0, "b": "z"}])
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 0)
    assert merge_rows(catalog, new, [{"id": "x", "a": 1.0}]).unchanged == 1  # b null before and after
    rows = sorted(read_rows(catalog.load_table("audit.grows")), key=lambda x: x["id"])
    assert rows == [{"id": "x", "a": 1.0, "b": None}, {"id": "y", "a": 2.0, "b": "new"},
                    {"id": "z", "a": 3.0, "b": "z"}]


def test_merge_rows_refuses_bad_input(settings: Settings) -> None:
    ensure_tables(settings, specs=[tables.MODEL_REGISTRY])
    catalog = load_catalog(settings)
    with pytest.raises(MergeError, match="duplicate"):
        merge_rows(catalog, tables.MODEL_REGISTRY, [_registry_row("v1", "a", 1.0), _registry_row("v1", "b", 2.0)])
    with pytest.raises(MergeError, match="null"):
        merge_rows(catalog, tables.MODEL_REGISTRY, [_registry_row("v1", "a", 1.0) | {"location_id": None}])
    with pytest.raises(MergeError, match="unknown columns"):
        merge_rows(catalog, tables.MODEL_REGISTRY, [_registry_row("v1", "a", 1.0) | {"nope": 1}])


def test_readers_do_not_create_a_missing_catalog(settings: Settings) -> None:
    path = catalog_location(settings).sqlalchemy_url.removeprefix("sqlite:///")
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalog(settings, create=False)
    assert not Path(path).exists()
    ensure_tables(settings, specs=[tables.PREDICTIONS])
    assert load_catalog(settings, create=False).table_exists(tables.PREDICTIONS.identifier)
