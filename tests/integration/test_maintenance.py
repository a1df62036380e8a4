"""maintenance-iceberg in the embedded profile: 60 small commits compacted and expired to the
configured bounds with the rows unchanged, an old orphan removed and a young one kept, a dry run
that changes nothing, and a bronze stream that keeps writing during the maintenance of every
table and loses nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from ais import tables
from ais.catalog import load_catalog
from ais.config import ConfigError, Settings
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext
from ais.spark.jobs.maintenance import (
    ORPHAN_FLOOR_HOURS,
    MaintenancePolicy,
    is_commit_conflict,
    retry_on_commit_conflict,
    run_maintenance,
)
from tests.integration.events import openaq_event, write_jsonl

pytestmark = pytest.mark.spark

# the model-runs table: partitioned by identity on horizon_hour, which PyIceberg writes without
# pyiceberg-core; 60 runs, 30 per horizon (two partitions)
SPEC = tables.MODEL_RUNS


def _commit_days(spark: Any, settings: Settings, days: int) -> None:
    """``days`` commits of one row each, through PyIceberg (the same table format as Spark's
    writes; 60 Spark commits would take minutes)."""
    import pyarrow as pa

    table = load_catalog(settings, create=False).load_table(SPEC.identifier)
    schema = table.schema().as_arrow()
    for i in range(days):
        row = {c: None for c in schema.names}
        row.update(model_run_id=f"run-{i:02d}", model_version=f"v{i:02d}", horizon_hour=(6, 12)[i % 2],
                   mae=0.1 + i / 100, created_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC) + dt.timedelta(days=i))
        table.append(pa.Table.from_pylist([row], schema=schema))
        table = table.refresh()


def _content(spark: Any, settings: Settings) -> tuple[int, str]:
    """Row count and a checksum of every row's every column, independent of file layout."""
    rows = spark.table(SPEC.qualified(settings.catalog_name)).collect()
    lines = sorted(json.dumps(r.asDict(), default=str, sort_keys=True) for r in rows)
    return len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _table_location(settings: Settings, spec: tables.TableSpec) -> Path:
    return Path(urlparse(load_catalog(settings, create=False).load_table(spec.identifier).location()).path)


def _orphan(folder: Path, name: str, age_hours: float) -> Path:
    path = folder / name
    path.write_bytes(b"not referenced by any snapshot")
    when = time.time() - age_hours * 3600
    os.utime(path, (when, when))
    return path


def _snapshot_count(spark: Any, settings: Settings, spec: tables.TableSpec) -> int:
    return int(spark.sql(f"SELECT count(*) FROM {spec.qualified(settings.catalog_name)}.snapshots").first()[0])


def test_sixty_commits_are_compacted_and_expired_to_the_configured_bounds(
        spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    policy = MaintenancePolicy.from_settings(settings)
    # the configured retention is a week; every snapshot here is seconds old
    run_policy = policy.with_snapshot_retention(0)
    _commit_days(spark, settings, 60)
    rows, checksum = _content(spark, settings)
    assert rows == 60
    data = _table_location(settings, SPEC) / "data"
    old_orphan = _orphan(data, "orphan-old.parquet", policy.orphan_retention_hours + 24)
    young_orphan = _orphan(data, "orphan-in-flight.parquet", 1)
    ctx = JobContext("maintenance_iceberg", settings, spark)

    dry = run_maintenance(ctx, run_policy, [SPEC.identifier], dry_run=True)
    (entry,) = dry["tables"]
    assert entry["status"] == "dry_run"
    assert entry["planned"] == {"data_files_to_rewrite": 60, "snapshots_to_expire": 60 - policy.retain_last,
                                "orphan_files": 1}
    assert entry["before"] == entry["after"]
    assert (entry["before"]["snapshots"], entry["before"]["data_files"], entry["before"]["rows"]) == (60, 60, 60)
    assert old_orphan.exists() and _snapshot_count(spark, settings, SPEC) == 60

    done = run_maintenance(ctx, run_policy, [SPEC.identifier])
    assert (done["status"], done["failed_tables"]) == ("success", [])
    (entry,) = done["tables"]
    assert entry["actions"]["rewrite_data_files"]["rewritten_data_files_count"] == 60
    assert entry["actions"]["rewrite_data_files"]["added_data_files_count"] == 2
    assert entry["actions"]["remove_orphan_files"]["removed_count"] == 1
    after = entry["after"]
    assert after["snapshots"] == policy.retain_last
    assert after["data_files"] == 2  # one per horizon partition, far below the target size
    assert after["manifests"] <= 2
    assert after["rows"] == 60
    assert after["data_bytes"] < entry["before"]["data_bytes"]
    assert _content(spark, settings) == (rows, checksum)
    assert not old_orphan.exists()
    assert young_orphan.exists()  # younger than the orphan retention: could be a write in flight

    again = run_maintenance(ctx, run_policy, [SPEC.identifier])["tables"][0]
    assert again["actions"]["rewrite_data_files"]["rewritten_data_files_count"] == 0
    assert (again["after"]["rows"], again["after"]["data_files"]) == (60, 2)
    assert again["after"]["snapshots"] <= policy.retain_last
    assert _content(spark, settings) == (rows, checksum)


def test_a_bronze_stream_during_maintenance_of_every_table_loses_nothing(
        spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    run_policy = MaintenancePolicy.from_settings(settings).with_snapshot_retention(0)
    _commit_days(spark, settings, 10)  # five files per horizon partition: enough to be compacted
    landing = settings.runtime_path("landing_dir") / "openaq-hourly"
    expected: set[str] = set()

    def land(part: int) -> None:
        events = [openaq_event(s, part, float(10 + s + part)) for s in range(3)]
        write_jsonl(landing, f"part-{part:04d}.jsonl", [json.dumps(e) for e in events])
        expected.update(e["event_id"] for e in events)

    for part in range(6):  # six small bronze commits before the maintenance starts
        land(part)
        run_bronze(JobContext("bronze_openaq", settings, spark), "openaq")
    maintaining = threading.Event()
    maintaining.set()
    stream_errors: list[BaseException] = []
    stream_runs: list[dict[str, Any]] = []

    def stream() -> None:
        part = 6
        try:
            while maintaining.is_set():
                land(part)
                part += 1
                stream_runs.append(run_bronze(JobContext("bronze_openaq", settings, spark), "openaq"))
            land(part)  # one more after the maintenance ended
            stream_runs.append(run_bronze(JobContext("bronze_openaq", settings, spark), "openaq"))
        except Exception as exc:  # noqa: BLE001 - handed to the test thread, which asserts there is none
            stream_errors.append(exc)

    thread = threading.Thread(target=stream, name="bronze-during-maintenance")
    thread.start()
    try:
        summary = run_maintenance(JobContext("maintenance_iceberg", settings, spark), run_policy)
    finally:
        maintaining.clear()
        thread.join(timeout=600)
    assert not thread.is_alive()
    assert stream_errors == []
    assert len(stream_runs) >= 2  # the stream committed while the maintenance ran, and after
    assert summary["status"] == "success", summary["failed_tables"]
    assert summary["table_count"] == len(tables.TABLES)
    by_table = {t["table"]: t for t in summary["tables"]}
    assert by_table[SPEC.identifier]["after"]["data_files"] == 2  # ten runs, two horizon partitions
    assert by_table[SPEC.identifier]["after"]["rows"] == 10
    assert by_table["weather.weather_history_bronze"]["status"] == "empty"
    bronze = spark.table(tables.OPENAQ_BRONZE.qualified(settings.catalog_name)).select("event_id").collect()
    ids = [r.event_id for r in bronze]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_policy_refuses_an_orphan_retention_below_the_floor(settings: Settings) -> None:
    policy = MaintenancePolicy.from_settings(settings)
    assert policy.orphan_retention_hours >= ORPHAN_FLOOR_HOURS
    assert policy.target_file_size_bytes == settings.get_int("maintenance.target_file_size_mb") * 1024 * 1024
    with pytest.raises(ConfigError, match="orphan_retention_hours must be >= 24"):
        MaintenancePolicy(**{**policy.__dict__, "orphan_retention_hours": 6.0}).check()
    with pytest.raises(ConfigError, match="retain_last"):
        MaintenancePolicy(**{**policy.__dict__, "retain_last": 0}).check()


def test_only_a_lost_commit_race_is_retried(settings: Settings) -> None:
    from ais.jsonlog import get_logger

    log = get_logger("test")
    calls: list[int] = []

    def conflicting_twice() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("org.apache.iceberg.exceptions.CommitFailedException: base metadata changed")
        return "committed"

    assert retry_on_commit_conflict(conflicting_twice, 5, 0.0, log, "t") == "committed" and len(calls) == 3
    calls.clear()
    with pytest.raises(RuntimeError, match="ValidationException"):
        retry_on_commit_conflict(lambda: (calls.append(1), _raise("ValidationException: conflicting files"))[1],
                                 2, 0.0, log, "t")
    assert len(calls) == 3  # one try and two retries
    calls.clear()
    with pytest.raises(RuntimeError, match="disk full"):
        retry_on_commit_conflict(lambda: (calls.append(1), _raise("disk full"))[1], 5, 0.0, log, "t")
    assert len(calls) == 1
    assert is_commit_conflict(RuntimeError("x ValidationException y")) and not is_commit_conflict(ValueError("x"))


def _raise(message: str) -> str:
    raise RuntimeError(message)
