"""The Iceberg catalog shared by Spark and PyIceberg, and ``ensure-tables``.

One setting decides the catalog: ``runtime.iceberg_catalog_uri``.

- ``jdbc:sqlite:<file>`` (embedded default) or ``jdbc:postgresql://host:port/db``: Spark's
  JdbcCatalog and PyIceberg's SqlCatalog over the same ``iceberg_tables`` rows (Spark is told to use
  the V1 JDBC schema, whose rows PyIceberg reads and writes);
- ``http(s)://...``: a REST catalog, for both;
- empty: a Hadoop catalog on the warehouse path, which only Spark can use.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from ais.config import ConfigError, Settings
from ais.jsonlog import get_logger
from ais.storage import iceberg_io_properties
from ais.tables import NAMESPACES, Column, ListOf, Partition, Struct, TableSpec, all_tables

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table

log = get_logger("catalog")


@dataclass(frozen=True)
class CatalogLocation:
    kind: str  # jdbc | rest | hadoop
    jdbc_url: str  # for Spark (jdbc kind)
    sqlalchemy_url: str  # for PyIceberg (jdbc kind)
    rest_url: str
    warehouse: str  # URI: file:///..., hdfs://..., s3://...


def catalog_location(settings: Settings) -> CatalogLocation:
    uri = settings.runtime("iceberg_catalog_uri").strip()
    warehouse = settings.runtime("iceberg_warehouse").strip()
    if not warehouse:
        raise ConfigError("runtime.iceberg_warehouse is empty")
    if "://" not in warehouse:
        warehouse = "file://" + settings.resolve_path(warehouse)
    if uri.startswith("jdbc:sqlite:"):
        path = settings.resolve_path(uri.removeprefix("jdbc:sqlite:"))
        return CatalogLocation("jdbc", f"jdbc:sqlite:{path}", f"sqlite:///{path}", "", warehouse)
    if uri.startswith("jdbc:postgresql://"):
        rest = uri.removeprefix("jdbc:postgresql://")
        return CatalogLocation("jdbc", uri, f"postgresql+psycopg://{rest}", "", warehouse)
    if uri.startswith(("http://", "https://")):
        return CatalogLocation("rest", "", "", uri, warehouse)
    if uri == "":
        return CatalogLocation("hadoop", "", "", "", warehouse)
    raise ConfigError(f"runtime.iceberg_catalog_uri: unsupported catalog URI scheme in {uri.split(':')[0]!r}")


def spark_catalog_conf(settings: Settings) -> dict[str, str]:
    """The ``spark.sql.catalog.<name>.*`` settings for this catalog."""
    loc = catalog_location(settings)
    name = settings.catalog_name
    prefix = f"spark.sql.catalog.{name}"
    conf = {prefix: "org.apache.iceberg.spark.SparkCatalog", f"{prefix}.warehouse": loc.warehouse,
            # Tables are also written by PyIceberg and by foreachBatch's cloned sessions: never
            # serve a cached (stale) table version.
            f"{prefix}.cache-enabled": "false"}
    if loc.kind == "jdbc":
        conf |= {f"{prefix}.type": "jdbc", f"{prefix}.uri": loc.jdbc_url,
                 f"{prefix}.jdbc.schema-version": "V1"}
        user, password = settings.secret("ICEBERG_JDBC_USER"), settings.secret("ICEBERG_JDBC_PASSWORD")
        if user:
            conf[f"{prefix}.jdbc.user"] = user
        if password:
            conf[f"{prefix}.jdbc.password"] = password
    elif loc.kind == "rest":
        conf |= {f"{prefix}.type": "rest", f"{prefix}.uri": loc.rest_url}
    else:
        conf[f"{prefix}.type"] = "hadoop"
    return conf


def with_timeout(url: str, timeout_s: float) -> str:
    """``url`` (a SQLAlchemy URL of the catalog database) with its driver's bounds on one call:
    SQLite waits at most ``timeout_s`` for a lock (pysqlite ``timeout``, the busy timeout);
    PostgreSQL gets ``connect_timeout`` (whole seconds, at least 1) and ``statement_timeout``."""
    if timeout_s <= 0:
        raise ConfigError(f"the catalog timeout must be > 0 s, got {timeout_s:g}")
    if url.startswith("sqlite"):
        params = {"timeout": f"{timeout_s:g}"}
    elif url.startswith("postgresql"):
        params = {"connect_timeout": str(max(1, math.ceil(timeout_s))),
                  "options": f"-c statement_timeout={max(1, round(timeout_s * 1000))}"}
    else:
        return url
    # appended as text: urlsplit().geturl() would drop a slash of sqlite:////absolute/path
    return url + ("&" if "?" in url else "?") + urlencode(params, quote_via=quote)


def load_catalog(settings: Settings, create: bool = True, timeout_s: float | None = None) -> Catalog:
    """The PyIceberg catalog over the same metadata Spark uses. Readers (the API, checks) pass
    ``create=False``: a missing SQLite catalog file is then an error, not a new empty catalog.
    ``timeout_s`` bounds each call to a SQL catalog's database (:func:`with_timeout`); without it a
    call waits as long as the driver does (PyIceberg 0.12 takes no engine options, so the bounds
    travel in the URL)."""
    loc = catalog_location(settings)
    name = settings.catalog_name
    if loc.kind == "jdbc":
        from pyiceberg.catalog.sql import SqlCatalog

        url = loc.sqlalchemy_url
        user, password = settings.secret("ICEBERG_JDBC_USER"), settings.secret("ICEBERG_JDBC_PASSWORD")
        if user and url.startswith("postgresql"):
            parts = urlsplit(url)
            cred = user + (f":{password}" if password else "")
            url = parts._replace(netloc=f"{cred}@{parts.netloc}").geturl()
        if url.startswith("sqlite:///"):
            sqlite_file = Path(url.removeprefix("sqlite:///"))
            if not create and not sqlite_file.is_file():
                raise ConfigError(f"the Iceberg catalog file {sqlite_file} does not exist (run `ais ensure-tables`)")
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        if timeout_s is not None:
            url = with_timeout(url, timeout_s)
        if create and loc.warehouse.startswith("file://"):
            Path(loc.warehouse.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
        # pool_pre_ping: a pooled connection that died with a PostgreSQL restart is replaced
        # before use instead of failing the first query after the restart
        return SqlCatalog(name, uri=url, warehouse=loc.warehouse, pool_pre_ping="true",
                          **iceberg_io_properties(loc.warehouse))
    if loc.kind == "rest":
        from pyiceberg.catalog.rest import RestCatalog

        return RestCatalog(name, uri=loc.rest_url, warehouse=loc.warehouse, **iceberg_io_properties(loc.warehouse))
    raise ConfigError("a Hadoop catalog (empty iceberg_catalog_uri) is usable from Spark only; "
                      "PyIceberg needs a JDBC or REST catalog")


# ---- schema conversion ----------------------------------------------------------------------

def _iceberg_type(type_: str | Struct | ListOf, next_id: list[int]) -> Any:
    from pyiceberg import types as t

    if isinstance(type_, Struct):
        return t.StructType(*[_iceberg_field(c, next_id) for c in type_.fields])
    if isinstance(type_, ListOf):
        element_id = next_id[0]
        next_id[0] += 1
        return t.ListType(element_id=element_id, element_type=_iceberg_type(type_.element, next_id),
                          element_required=False)
    simple = {"string": t.StringType(), "long": t.LongType(), "int": t.IntegerType(),
              "double": t.DoubleType(), "boolean": t.BooleanType(), "timestamp": t.TimestamptzType(),
              "date": t.DateType()}
    if type_ in simple:
        return simple[type_]
    if type_.startswith("list<") and type_.endswith(">"):
        element_id = next_id[0]
        next_id[0] += 1
        return t.ListType(element_id=element_id, element_type=_iceberg_type(type_[5:-1], next_id),
                          element_required=False)
    raise ValueError(f"unknown column type {type_!r}")


def _iceberg_field(col: Column, next_id: list[int]) -> Any:
    from pyiceberg.types import NestedField

    field_id = next_id[0]
    next_id[0] += 1
    return NestedField(field_id=field_id, name=col.name, field_type=_iceberg_type(col.type, next_id),
                       required=col.required, doc=col.doc or None)


def iceberg_schema(spec: TableSpec) -> Schema:
    from pyiceberg.schema import Schema

    next_id = [1]
    fields = [_iceberg_field(c, next_id) for c in spec.columns]
    keys = [f for f in fields if f.name in spec.merge_keys]
    # Iceberg identifier fields must be required primitives other than float/double.
    usable = len(keys) == len(spec.merge_keys) and all(
        f.required and str(f.field_type) not in ("double", "float") for f in keys)
    return Schema(*fields, identifier_field_ids=[f.field_id for f in keys] if usable else [])


def partition_spec(spec: TableSpec, schema: Schema) -> PartitionSpec:
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import DayTransform, IdentityTransform, MonthTransform, YearTransform

    transforms = {"identity": IdentityTransform, "day": DayTransform, "month": MonthTransform,
                  "year": YearTransform}
    fields = []
    for index, part in enumerate(spec.partitions):
        source = schema.find_field(part.source)
        name = part.source if part.transform == "identity" else f"{part.source}_{part.transform}"
        fields.append(PartitionField(source_id=source.field_id, field_id=1000 + index,
                                     transform=transforms[part.transform](), name=name))
    return PartitionSpec(*fields)


TABLE_PROPERTIES = {"format-version": "2", "write.parquet.compression-codec": "zstd"}


def _create_or_evolve(catalog: Catalog, spec: TableSpec) -> str:
    from pyiceberg.exceptions import NoSuchTableError

    schema = iceberg_schema(spec)
    try:
        existing: Table = catalog.load_table(spec.identifier)
    except NoSuchTableError:
        catalog.create_table(spec.identifier, schema=schema, partition_spec=partition_spec(spec, schema),
                             properties=TABLE_PROPERTIES | spec.properties)
        return "created"
    outcome = []
    stale = {k: v for k, v in spec.properties.items() if existing.properties.get(k) != v}
    if stale:
        # the table's own properties (e.g. the registry's commit retries) follow the spec
        with existing.transaction() as tx:
            tx.set_properties(stale)
        existing = catalog.load_table(spec.identifier)
        outcome.append("properties:" + ",".join(sorted(stale)))
    have = {f.name for f in existing.schema().fields}
    missing = [c for c in spec.columns if c.name not in have]
    if not missing:
        return ";".join(outcome) or "unchanged"
    with existing.update_schema() as update:
        for col in missing:
            # Added columns are optional: old rows have no value for them.
            update.add_column(col.name, _iceberg_type(col.type, [10_000]), doc=col.doc or None)
    return ";".join([*outcome, "evolved:" + ",".join(c.name for c in missing)])


def ensure_tables(settings: Settings, catalog: Catalog | None = None,
                  specs: list[TableSpec] | None = None) -> dict[str, str]:
    """Create every namespace and table that is missing and add missing columns. Idempotent."""
    started = time.monotonic()
    catalog = catalog or load_catalog(settings)
    for namespace in NAMESPACES:
        catalog.create_namespace_if_not_exists(namespace)
    outcome = {spec.identifier: _create_or_evolve(catalog, spec) for spec in (specs or list(all_tables()))}
    counts: dict[str, int] = {}
    for result in outcome.values():
        counts[result.split(":")[0]] = counts.get(result.split(":")[0], 0) + 1
    log.info("ensure_tables", job="ensure_tables", catalog=settings.catalog_name,
             tables=len(outcome), **counts, duration_s=round(time.monotonic() - started, 3),
             status="success")
    return outcome


__all__ = ["CatalogLocation", "Partition", "catalog_location", "ensure_tables", "iceberg_schema",
           "load_catalog", "partition_spec", "spark_catalog_conf", "with_timeout"]
