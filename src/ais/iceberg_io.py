"""Reading and idempotent writing of Iceberg tables with PyIceberg (no JVM).

Used by training, promotion, inference, the API and checks. Every write goes through
:func:`merge_rows`, which refuses to run without merge keys or with duplicate keys (as PyIceberg's
upsert does) and skips rows whose non-volatile columns are unchanged, so a rerun that brings the same
facts commits nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ais.catalog import iceberg_schema
from ais.tables import VOLATILE_COLUMNS, TableSpec

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table


class MergeError(ValueError):
    """The rows to merge are not acceptable (missing or duplicate keys, unknown columns)."""


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return iceberg_schema(spec).as_arrow()


def to_arrow(spec: TableSpec, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows (dicts; missing columns become null) as an Arrow table of the spec's exact schema."""
    names = set(spec.column_names)
    for row in rows:
        unknown = set(row) - names
        if unknown:
            raise MergeError(f"{spec.identifier}: unknown columns {sorted(unknown)}")
    return pa.Table.from_pylist([{n: row.get(n) for n in spec.column_names} for row in rows],
                                schema=arrow_schema(spec))


def _key(row: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(row[k] for k in keys)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:  # both NaN
        return True
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.astimezone(dt.UTC) == b.astimezone(dt.UTC)
    return bool(a == b)


def read_rows(table: Table, row_filter: Any = None, columns: tuple[str, ...] = ("*",)) -> list[dict[str, Any]]:
    from pyiceberg.expressions import AlwaysTrue

    scan = table.scan(row_filter=row_filter if row_filter is not None else AlwaysTrue(),
                      selected_fields=columns)
    return list(scan.to_arrow().to_pylist())


# pyiceberg 0.12's expression classes are pydantic models whose generated signatures mypy misreads
# (``EqualTo("col", value)`` is valid at run time), so the constructors are called through ``Any``.
def equals(**columns: Any) -> Any:
    """A PyIceberg row filter ``col1 == v1 AND col2 == v2 ...`` (at least one column)."""
    from pyiceberg import expressions

    if not columns:
        raise ValueError("equals() needs at least one column")
    equal_to: Any = expressions.EqualTo
    both: Any = expressions.And
    clauses = [equal_to(name, value) for name, value in columns.items()]
    return clauses[0] if len(clauses) == 1 else both(*clauses)


def _key_filter(keys: tuple[str, ...], key_values: list[tuple[Any, ...]]) -> Any:
    from pyiceberg import expressions

    if len(keys) == 1:
        is_in: Any = expressions.In
        return is_in(keys[0], [v[0] for v in key_values])
    either: Any = expressions.Or
    clauses = [equals(**dict(zip(keys, values, strict=True))) for values in key_values]
    return clauses[0] if len(clauses) == 1 else either(*clauses)


def merge_rows(catalog: Catalog, spec: TableSpec, rows: list[dict[str, Any]]) -> MergeResult:
    """Insert new keys, update keys whose facts changed, leave the rest alone."""
    keys = spec.merge_keys
    if not keys:
        raise MergeError(f"{spec.identifier}: no merge keys")
    if not rows:
        return MergeResult(0, 0, 0)
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        missing = [k for k in keys if row.get(k) is None]
        if missing:
            raise MergeError(f"{spec.identifier}: merge key columns {missing} are null in {row}")
        key = _key(row, keys)
        if key in seen:
            raise MergeError(f"{spec.identifier}: duplicate merge key {key}")
        seen.add(key)

    table = catalog.load_table(spec.identifier)
    incoming = to_arrow(spec, rows).to_pylist()
    existing = {_key(r, keys): r for r in read_rows(table, _key_filter(keys, list(seen)))}
    compare = [c for c in spec.column_names if c not in VOLATILE_COLUMNS and c not in keys]
    changed: list[dict[str, Any]] = []
    updated_keys: list[tuple[Any, ...]] = []
    for row in incoming:
        old = existing.get(_key(row, keys))
        if old is None:
            changed.append(row)
        elif not all(_same(row[c], old.get(c)) for c in compare):
            updated_keys.append(_key(old, keys))
            changed.append(row)
    # The keys to replace are known already, so the write is an overwrite of exactly those keys
    # (or an append when all are new), not PyIceberg's upsert: that one re-reads the matched rows
    # with the schema of the last snapshot and fails once a column has been added since
    # (apache/iceberg-python#2467), which ensure-tables does whenever a table spec grows.
    if updated_keys:
        table.overwrite(to_arrow(spec, changed), overwrite_filter=_key_filter(keys, updated_keys))
    elif changed:
        table.append(to_arrow(spec, changed))
    inserted = len(changed) - len(updated_keys)
    return MergeResult(inserted, len(updated_keys), len(incoming) - len(changed))
