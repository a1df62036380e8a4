"""Idempotent MERGE of a DataFrame into an Iceberg table on the spec's merge keys.

Rows whose facts are already in the table (every non-volatile column equal, nulls equal) are
dropped before the MERGE; if nothing is left no commit is made. So a rerun over the same input adds
no row and no snapshot.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ais.errors import DuplicateKeyError
from ais.spark.schema import conform
from ais.tables import VOLATILE_COLUMNS, TableSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_view_ids = itertools.count()


@dataclass(frozen=True)
class MergeStats:
    input_rows: int
    written_rows: int  # inserted or updated

    @property
    def unchanged_rows(self) -> int:
        return self.input_rows - self.written_rows


def current_snapshot_id(spark: SparkSession, qualified: str) -> str | None:
    rows = spark.sql(f"SELECT snapshot_id FROM {qualified}.snapshots ORDER BY committed_at DESC LIMIT 1").collect()
    return str(rows[0][0]) if rows else None


def changed_rows(source: DataFrame, spec: TableSpec, catalog: str, prune_column: str | None = None) -> DataFrame:
    """The rows of ``source`` (already conformed, extra columns allowed) whose facts are not in the
    table: new keys, or keys whose non-volatile columns differ (nulls compare equal)."""
    from pyspark.sql import functions as F

    compare = [c for c in spec.column_names if c not in VOLATILE_COLUMNS]
    existing = source.sparkSession.table(spec.qualified(catalog)).select(*compare)
    if prune_column:
        bounds = source.agg(F.min(prune_column), F.max(prune_column)).first()
        if bounds is not None and bounds[0] is not None:
            existing = existing.where(F.col(prune_column).between(bounds[0], bounds[1]))
    s, t = source.alias("s"), existing.alias("t")
    same = [F.col(f"s.{c}").eqNullSafe(F.col(f"t.{c}")) for c in compare]
    return s.join(t, on=same, how="left_anti")


def merge_changed(changed: DataFrame, spec: TableSpec, catalog: str) -> None:
    """MERGE rows known to be new or changed (see :func:`changed_rows`) on the spec's keys."""
    spark = changed.sparkSession  # inside foreachBatch: the batch's cloned session
    view = f"ais_merge_src_{next(_view_ids)}"
    changed.select(*spec.column_names).createOrReplaceTempView(view)
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in spec.merge_keys)
    try:
        spark.sql(f"MERGE INTO {spec.qualified(catalog)} t USING {view} s ON {on} "
                  "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    finally:
        spark.catalog.dropTempView(view)


def check_unique_keys(source: DataFrame, spec: TableSpec) -> None:
    dupes = source.groupBy(*spec.merge_keys).count().where("count > 1").limit(1).collect()
    if dupes:
        raise DuplicateKeyError(f"{spec.identifier}: duplicate merge key {dupes[0].asDict()}")


def merge_into(df: DataFrame, spec: TableSpec, catalog: str, prune_column: str | None = None) -> MergeStats:
    """MERGE ``df`` into the table, writing only new or changed rows. ``prune_column`` (a timestamp
    or date column) limits the comparison scan of the target to the input's range of that column."""
    source = conform(df, spec).persist()
    try:
        total = source.count()
        if total == 0:
            return MergeStats(0, 0)
        check_unique_keys(source, spec)
        changed = changed_rows(source, spec, catalog, prune_column).persist()
        try:
            written = changed.count()
            if written:
                merge_changed(changed, spec, catalog)
        finally:
            changed.unpersist()
        return MergeStats(total, written)
    finally:
        source.unpersist()
