"""Spark and PyIceberg share one catalog: Spark writes, PyIceberg reads and upserts, Spark reads
back, and both see the same snapshot history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from ais.catalog import load_catalog
from ais.config import Settings

pytestmark = pytest.mark.spark


def test_spark_and_pyiceberg_share_tables_and_history(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    cat = settings.catalog_name
    spark.sql(f"CREATE TABLE {cat}.audit.interop (id BIGINT NOT NULL, city STRING, pm25 DOUBLE) USING iceberg "
              "TBLPROPERTIES ('format-version'='2')")
    spark.sql(f"INSERT INTO {cat}.audit.interop VALUES (1, 'Hanoi', 40.0), (2, 'Hai Phong', 30.0)")
    spark.sql(f"MERGE INTO {cat}.audit.interop t USING (SELECT 2 AS id, 'Hai Phong' AS city, 33.5 AS pm25 "
              "UNION ALL SELECT 3, 'Lao Cai', 12.0) s ON t.id = s.id "
              "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")

    catalog = load_catalog(settings)
    table = catalog.load_table("audit.interop")
    assert sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "city": "Hanoi", "pm25": 40.0}, {"id": 2, "city": "Hai Phong", "pm25": 33.5},
        {"id": 3, "city": "Lao Cai", "pm25": 12.0}]

    upsert = pa.table({"id": pa.array([3, 4], pa.int64()), "city": ["Lao Cai", "Hue"], "pm25": [15.0, 22.0]},
                      schema=pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("city", pa.string()),
                                        pa.field("pm25", pa.float64())]))
    result = table.upsert(upsert, join_cols=["id"])
    assert (result.rows_updated, result.rows_inserted) == (1, 1)

    rows = spark.sql(f"SELECT id, city, pm25 FROM {cat}.audit.interop ORDER BY id").collect()
    assert [tuple(r) for r in rows] == [(1, "Hanoi", 40.0), (2, "Hai Phong", 33.5), (3, "Lao Cai", 15.0),
                                        (4, "Hue", 22.0)]
    history = spark.sql(f"SELECT snapshot_id FROM {cat}.audit.interop.snapshots ORDER BY committed_at")
    spark_history = [r.snapshot_id for r in history.collect()]
    py_history = [s.snapshot_id for s in catalog.load_table("audit.interop").snapshots()]
    assert spark_history == py_history
    assert len(py_history) >= 4  # insert, merge, and the upsert's overwrite + append
    current = spark.sql(f"SELECT snapshot_id FROM {cat}.audit.interop.snapshots ORDER BY committed_at DESC LIMIT 1")
    assert current.first()[0] == catalog.load_table("audit.interop").current_snapshot().snapshot_id
