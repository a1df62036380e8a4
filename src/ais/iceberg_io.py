"""Reading and idempotent writing of Iceberg tables with PyIceberg (no JVM).

Used by training, promotion, inference, the API and checks. Every write goes through
:func:`merge_rows`, which refuses to run without merge keys or with duplicate keys (as PyIceberg's
upsert does) and skips rows whose non-volatile columns are unchanged, so a rerun that brings the same
facts commits nothing.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ais.catalog import iceberg_schema
from ais.errors import MergeError
from ais.jsonlog import get_logger
from ais.tables import VOLATILE_COLUMNS, TableSpec

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

log = get_logger("iceberg_io")


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


# A writer that meets a concurrent commit (another writer committed between its read and its
# write) starts again from a fresh read, at most this many attempts, after a random pause of up
# to an exponentially growing bound (full jitter, so writers that collided do not collide again in
# step and none starves).
MERGE_ATTEMPTS = 60
MERGE_BACKOFF_S = 0.05
MERGE_BACKOFF_MAX_S = 2.0


def merge_rows(catalog: Catalog, spec: TableSpec, rows: list[dict[str, Any]],
               table: Table | None = None) -> MergeResult:
    """Insert new keys, update keys whose facts changed, leave the rest alone.

    The write replaces exactly the changed keys (an overwrite filtered on them), so a commit that
    meets a concurrent writer's files for those keys fails validation instead of adding a second
    row for a key. Without ``table`` such a conflict is retried from a fresh read (the comparison
    is made again against what the other writer committed). With ``table`` (a loaded table) the
    write commits only if the table is still at that table's snapshot and the conflict is raised
    (PyIceberg's CommitFailedException or ValidationException): a caller that decided on what it
    read there retries from its own read (ais.ml.registry)."""
    import random

    from pyiceberg.exceptions import CommitFailedException, ValidationException

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
    if table is not None:
        return _merge_once(table, spec, rows, seen)
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        try:
            return _merge_once(catalog.load_table(spec.identifier), spec, rows, seen)
        except (CommitFailedException, ValidationException) as exc:
            if attempt == MERGE_ATTEMPTS:
                raise
            log.warning("merge_commit_conflict", table=spec.identifier, attempt=attempt, error=str(exc)[:300])
            bound = min(MERGE_BACKOFF_MAX_S, MERGE_BACKOFF_S * 2 ** min(attempt, 16))
            time.sleep(random.uniform(0, bound))  # noqa: S311 (jitter, not a secret)
    raise AssertionError("unreachable")


def _merge_once(table: Table, spec: TableSpec, rows: list[dict[str, Any]],
                seen: set[tuple[Any, ...]]) -> MergeResult:
    keys = spec.merge_keys
    incoming = to_arrow(spec, rows).to_pylist()
    existing = {_key(r, keys): r for r in read_rows(table, _key_filter(keys, list(seen)))}
    compare = [c for c in spec.column_names if c not in VOLATILE_COLUMNS and c not in keys]
    changed = [row for row in incoming
               if (old := existing.get(_key(row, keys))) is None
               or not all(_same(row[c], old.get(c)) for c in compare)]
    updated = sum(1 for row in changed if _key(row, keys) in existing)
    # The write is an overwrite of exactly the changed keys, not PyIceberg's upsert: that one
    # re-reads the matched rows with the schema of the last snapshot and fails once a column has
    # been added since (apache/iceberg-python#2467), which ensure-tables does whenever a table
    # spec grows. The filter covers new keys too, so a concurrent insert of one is a conflict.
    if changed:
        with warnings.catch_warnings():
            # new keys match no row: PyIceberg warns that the delete half of the overwrite found nothing
            warnings.filterwarnings("ignore", message="Delete operation did not match any records")
            table.overwrite(to_arrow(spec, changed),
                            overwrite_filter=_key_filter(keys, [_key(r, keys) for r in changed]))
    return MergeResult(len(changed) - updated, updated, len(incoming) - len(changed))
