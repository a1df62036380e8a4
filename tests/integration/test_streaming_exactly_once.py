"""Exactly once through the landing-file stream: the query is stopped between the table commit and
the checkpoint commit (and before the table commit), restarted, and every event is in bronze once;
replaying everything from the start changes nothing; late events are recorded and merged."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext
from tests.integration.events import openaq_event, write_jsonl

pytestmark = pytest.mark.spark


class Crash(RuntimeError):
    """Raised by the fault hook to stop the query at a chosen point."""


def _crash_at(point: str, batch: int) -> Callable[[str, int], None]:
    def hook(where: str, batch_id: int) -> None:
        if where == point and batch_id == batch:
            raise Crash(f"injected at {where} of batch {batch_id}")

    return hook


def _bronze_rows(spark: Any, settings: Settings) -> dict[str, float | None]:
    rows = spark.table(tables.OPENAQ_BRONZE.qualified(settings.catalog_name)).select("event_id", "value").collect()
    ids = [r.event_id for r in rows]
    assert len(ids) == len(set(ids)), "an event is in bronze more than once"
    return {r.event_id: r.value for r in rows}


def _snapshots(spark: Any, settings: Settings, spec: tables.TableSpec) -> list[int]:
    q = f"SELECT snapshot_id FROM {spec.qualified(settings.catalog_name)}.snapshots ORDER BY committed_at"
    return [r[0] for r in spark.sql(q).collect()]


def _files(settings: Settings, start_hour: int, hours: int, name: str) -> dict[str, float]:
    events = [openaq_event(s, h, float(10 + s + h)) for s in range(2) for h in range(start_hour, start_hour + hours)]
    write_jsonl(settings.runtime_path("landing_dir") / "openaq-hourly", name, [json.dumps(e) for e in events])
    return {e["event_id"]: e["value"] for e in events}


@pytest.mark.parametrize("point", ["after_merge", "before_merge"])
def test_a_stop_inside_a_batch_loses_and_repeats_nothing(spark: Any, spark_settings: Callable[..., Settings],
                                                         point: str) -> None:
    settings = spark_settings()
    expected = _files(settings, 0, 12, "part-1.jsonl")
    with pytest.raises(Exception, match="injected at"):
        run_bronze(JobContext("bronze", settings, spark), "openaq", fault=_crash_at(point, 0))
    after_crash = _bronze_rows(spark, settings)
    # after the table commit the rows are there; before it nothing is
    assert after_crash == (expected if point == "after_merge" else {})

    restarted = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert restarted["batches"] == 1  # the interrupted batch is replayed, once
    assert _bronze_rows(spark, settings) == expected

    expected |= _files(settings, 12, 6, "part-2.jsonl")
    assert run_bronze(JobContext("bronze", settings, spark), "openaq")["output_count"] == 12
    assert _bronze_rows(spark, settings) == expected


def test_replaying_the_whole_topic_changes_nothing(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    expected = _files(settings, 0, 24, "part-1.jsonl") | _files(settings, 24, 24, "part-2.jsonl")
    first = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert first["output_count"] == len(expected) == 96
    history = {s.identifier: _snapshots(spark, settings, s)
               for s in (tables.OPENAQ_BRONZE, tables.INVALID_EVENTS, tables.LATE_EVENTS)}
    shutil.rmtree(settings.runtime_path("checkpoint_base"))
    replay = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (replay["input_count"], replay["output_count"], replay["unchanged_count"]) == (96, 0, 96)
    assert {s.identifier: _snapshots(spark, settings, s)
            for s in (tables.OPENAQ_BRONZE, tables.INVALID_EVENTS, tables.LATE_EVENTS)} == history
    assert _bronze_rows(spark, settings) == expected


def test_late_events_are_recorded_and_still_merged(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    recent = _files(settings, 48, 12, "part-1.jsonl")  # hours 48..59: watermark 59
    run_bronze(JobContext("bronze", settings, spark), "openaq")
    # allowed lateness is 6 h: hours 0..2 are late, 53 is not
    backfill = {e["event_id"]: e for e in (openaq_event(0, h, 5.0) for h in (0, 1, 2, 53))}
    write_jsonl(settings.runtime_path("landing_dir") / "openaq-hourly", "part-2.jsonl",
                [json.dumps(e) for e in backfill.values()])
    summary = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (summary["late_count"], summary["output_count"]) == (3, 4)
    late = {r.event_id: r for r in spark.table(tables.LATE_EVENTS.qualified(settings.catalog_name)).collect()}
    assert set(late) == {openaq_event(0, h, 5.0)["event_id"] for h in (0, 1, 2)}
    row = late[openaq_event(0, 0, 5.0)["event_id"]]
    assert (row.source_topic, row.reason, row.lateness_seconds) == ("openaq-hourly", "late_event", 59 * 3600)
    assert json.loads(row.raw_payload)["value"] == 5.0
    bronze = _bronze_rows(spark, settings)
    assert len(bronze) == len(recent) + 3  # three new hours; hour 53 of station 0 was updated
    assert all(bronze[k] == 5.0 for k in backfill)
