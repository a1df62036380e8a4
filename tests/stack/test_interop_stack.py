"""Spark and PyIceberg on the production profile's real storage: the JDBC catalog in PostgreSQL
and the warehouse on HDFS. Each reads what the other wrote, through schema evolution on both
sides, and both see one snapshot history; the catalog rows and the files are where they should be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.expressions import In
from pyiceberg.types import IntegerType

from ais import storage
from ais.catalog import load_catalog
from ais.config import Settings
from tests.stack.conftest import Stack

pytestmark = [pytest.mark.spark, pytest.mark.stack]


def _rows(spark: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in spark.sql(sql).collect()]


def test_spark_and_pyiceberg_share_tables_on_postgres_and_hdfs(
        spark: Any, stack: Stack, stack_spark_settings: Callable[..., Settings]) -> None:
    settings = stack_spark_settings()
    cat, name = settings.catalog_name, f"{settings.catalog_name}.audit.interop"
    spark.sql(f"CREATE TABLE {name} (id BIGINT NOT NULL, city STRING, pm25 DOUBLE) USING iceberg "
              "TBLPROPERTIES ('format-version'='2')")
    spark.sql(f"INSERT INTO {name} VALUES (1, 'Hanoi', 40.0), (2, 'Hai Phong', 30.0)")

    # PyIceberg reads Spark's rows, evolves the schema and upserts with the new column
    catalog = load_catalog(settings)
    table = catalog.load_table("audit.interop")
    assert table.metadata_location.startswith(f"{stack.namenode}/tests/{cat}/warehouse/audit/interop/metadata/")
    assert sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "city": "Hanoi", "pm25": 40.0}, {"id": 2, "city": "Hai Phong", "pm25": 30.0}]
    with table.update_schema() as update:
        update.add_column("station_count", IntegerType())
    table = catalog.load_table("audit.interop")
    schema = table.schema().as_arrow()
    upsert = pa.table({"id": pa.array([2, 3], pa.int64()), "city": ["Hai Phong", "Lao Cai"], "pm25": [33.5, 12.0],
                       "station_count": pa.array([4, 1], pa.int32())}, schema=schema)
    # (an overwrite of the matched key: PyIceberg 0.12's upsert fails after a column was added,
    # apache/iceberg-python#2467, so AIS's own writer, iceberg_io.merge_rows, does the same)
    table.overwrite(upsert, overwrite_filter=In("id", [2]))

    # Spark reads PyIceberg's rows and column, evolves again and merges
    assert _rows(spark, f"SELECT id, city, pm25, station_count FROM {name} ORDER BY id") == [
        (1, "Hanoi", 40.0, None), (2, "Hai Phong", 33.5, 4), (3, "Lao Cai", 12.0, 1)]
    spark.sql(f"ALTER TABLE {name} ADD COLUMN coverage_pct DOUBLE")
    spark.sql(f"MERGE INTO {name} t USING (SELECT 3L AS id, 'Lao Cai' AS city, 15.0 AS pm25, 2 AS station_count, "
              "75.0 AS coverage_pct UNION ALL SELECT 4L, 'Hue', 22.0, 3, 100.0) s ON t.id = s.id "
              "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")

    # PyIceberg sees Spark's column and rows
    table = catalog.load_table("audit.interop")
    assert [f.name for f in table.schema().fields] == ["id", "city", "pm25", "station_count", "coverage_pct"]
    assert sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "city": "Hanoi", "pm25": 40.0, "station_count": None, "coverage_pct": None},
        {"id": 2, "city": "Hai Phong", "pm25": 33.5, "station_count": 4, "coverage_pct": None},
        {"id": 3, "city": "Lao Cai", "pm25": 15.0, "station_count": 2, "coverage_pct": 75.0},
        {"id": 4, "city": "Hue", "pm25": 22.0, "station_count": 3, "coverage_pct": 100.0}]

    # one history, seen alike from both sides
    spark_history = [r[0] for r in _rows(spark, f"SELECT snapshot_id FROM {name}.snapshots ORDER BY committed_at")]
    assert spark_history == [s.snapshot_id for s in table.snapshots()]
    assert len(spark_history) >= 4

    # every data and metadata file is on HDFS, none on the local disk
    files = _rows(spark, f"SELECT file_path FROM {name}.files")
    assert files and all(f[0].startswith(f"{stack.namenode}/tests/{cat}/warehouse/") for f in files)
    assert all(storage.is_file(f[0]) for f in files)
