"""Idempotent MERGE of a DataFrame into an Iceberg table on the spec's merge keys.

Rows whose facts are already in the table (every non-volatile column equal, nulls equal) are
dropped before the MERGE; if nothing is left no commit is made. So a rerun over the same input adds
no row and no snapshot.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ais.spark.schema import conform
from ais.tables import VOLATILE_COLUMNS, TableSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_view_ids = itertools.count()


class DuplicateKeyError(ValueError):
    """The input holds the same merge key twice; the caller must deduplicate first."""


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


def merge_into(df: DataFrame, spec: TableSpec, catalog: str, prune_column: str | None = None) -> MergeStats:
    """MERGE ``df`` into the table. ``prune_column`` (a timestamp or date column) limits the
    comparison scan of the target to the input's range of that column."""
    from pyspark.sql import functions as F

    # Inside foreachBatch the batch lives in a cloned session: views and SQL must use that one.
    spark = df.sparkSession
    keys = list(spec.merge_keys)
    target = spec.qualified(catalog)
    source = conform(df, spec).persist()
    try:
        total = source.count()
        if total == 0:
            return MergeStats(0, 0)
        dupes = source.groupBy(*keys).count().where("count > 1").limit(1).collect()
        if dupes:
            raise DuplicateKeyError(f"{target}: duplicate merge key {dupes[0].asDict()}")

        compare = [c for c in spec.column_names if c not in VOLATILE_COLUMNS]
        existing = spark.table(target).select(*compare)
        if prune_column:
            bounds = source.agg(F.min(prune_column), F.max(prune_column)).first()
            if bounds is not None and bounds[0] is not None:
                existing = existing.where(F.col(prune_column).between(bounds[0], bounds[1]))
        s, t = source.alias("s"), existing.alias("t")
        same = [F.col(f"s.{c}").eqNullSafe(F.col(f"t.{c}")) for c in compare]
        changed = s.join(t, on=same, how="left_anti").persist()
        try:
            written = changed.count()
            if written:
                view = f"ais_merge_src_{next(_view_ids)}"
                changed.createOrReplaceTempView(view)
                on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
                spark.sql(f"MERGE INTO {target} t USING {view} s ON {on} "
                          "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
                spark.catalog.dropTempView(view)
        finally:
            changed.unpersist()
        return MergeStats(total, written)
    finally:
        source.unpersist()
