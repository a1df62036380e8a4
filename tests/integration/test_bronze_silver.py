"""Landing files -> OpenAQ bronze -> station and city silver: invalid events kept with a reason,
duplicates merged, QC applied, reruns change nothing."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Callable
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.openaq_silver import run_openaq_silver
from tests.integration.events import T0, iso, openaq_event, write_jsonl

pytestmark = pytest.mark.spark
def _count(spark: Any, settings: Settings, spec: tables.TableSpec) -> int:
    return int(spark.table(spec.qualified(settings.catalog_name)).count())


def _snapshots(spark: Any, settings: Settings, spec: tables.TableSpec) -> int:
    return int(spark.sql(f"SELECT count(*) FROM {spec.qualified(settings.catalog_name)}.snapshots").first()[0])


def test_bronze_and_silver(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    landing = settings.runtime_path("landing_dir") / "openaq-hourly"
    good = [openaq_event(s, h, 20.0 + 5 * s + h) for s in range(3) for h in range(6)]
    special = [
        openaq_event(3, 0, 1500.0),  # out of range
        openaq_event(3, 1, 30.0, coverage=25.0),  # low coverage
        openaq_event(3, 2, 30.0, lat=22.5),  # outside the Hanoi bbox
        openaq_event(3, 3, None),  # no value
        openaq_event(3, 4, 40.0) | {"quality_flags": ["qc_suspect"]},  # a rejecting flag
    ]
    bad = ["{truncated", json.dumps({"event_id": "", "event_time": iso(T0), "schema_version": "v1"}),
           json.dumps(openaq_event(0, 0, 1.0) | {"schema_version": "v9"}),
           json.dumps({k: v for k, v in openaq_event(0, 0, 1.0).items() if k != "sensor_id"})]
    write_jsonl(landing, "part-a.jsonl", [json.dumps(e) for e in good + special] + bad)
    ctx = JobContext("bronze_test", settings, spark)
    first = run_bronze(ctx, "openaq")
    assert (first["output_count"], first["invalid_count"]) == (23, 4)
    invalid = {r["reason"]: r["raw_payload"] for r in
               spark.table(tables.INVALID_EVENTS.qualified(settings.catalog_name)).collect()}
    assert set(invalid) == {"unparsable_json", "missing_event_id", "unknown_schema_version", "missing_sensor_id"}
    assert invalid["unparsable_json"] == "{truncated"

    # a later file re-sends one event with a corrected value and repeats another unchanged
    corrected = openaq_event(0, 5, 99.0, ingest=T0 + dt.timedelta(hours=8))
    write_jsonl(landing, "part-b.jsonl", [json.dumps(corrected), json.dumps(good[1])])
    second = run_bronze(JobContext("bronze_test", settings, spark), "openaq")
    assert (second["input_count"], second["output_count"], second["unchanged_count"]) == (2, 1, 1)
    assert _count(spark, settings, tables.OPENAQ_BRONZE) == 23
    value = spark.sql(f"SELECT value FROM {tables.OPENAQ_BRONZE.qualified(settings.catalog_name)} "
                      f"WHERE event_id = '{corrected['event_id']}'").first()[0]
    assert value == 99.0

    window = Window.from_dates("2026-10-01", "2026-10-01")
    summary = run_openaq_silver(JobContext("silver_test", settings, spark), window)
    assert summary["qc_status_counts"] == {"valid": 18, "out_of_range": 1, "low_coverage": 1,
                                           "outside_bbox": 1, "missing_value": 1, "flagged:qc_suspect": 1}
    city_table = spark.table(tables.OPENAQ_CITY_HOURLY.qualified(settings.catalog_name))
    city = {r["hour"].hour: r for r in city_table.collect()}
    assert sorted(city) == list(range(6))
    for h in range(6):
        vals = [20.0 + 5 * s + h for s in range(3)]
        if h == 5:
            vals[0] = 99.0
        assert city[h]["station_count"] == 3
        assert city[h]["pm25_mean"] == pytest.approx(statistics.fmean(vals))
        assert city[h]["pm25_median"] == pytest.approx(statistics.median(vals))
        assert city[h]["pm25_std"] == pytest.approx(statistics.stdev(vals))
        assert (city[h]["pm25_min"], city[h]["pm25_max"]) == (min(vals), max(vals))
        assert city[h]["source"] == "simulated"

    before = {spec.identifier: _snapshots(spark, settings, spec)
              for spec in (tables.OPENAQ_BRONZE, tables.OPENAQ_STATION_HOURLY, tables.OPENAQ_CITY_HOURLY)}
    assert run_bronze(JobContext("bronze_test", settings, spark), "openaq")["batches"] == 0
    rerun = run_openaq_silver(JobContext("silver_test", settings, spark), window)
    assert rerun["output_count"] == 0 and rerun["station_rows_written"] == 0
    after = {spec.identifier: _snapshots(spark, settings, spec)
             for spec in (tables.OPENAQ_BRONZE, tables.OPENAQ_STATION_HOURLY, tables.OPENAQ_CITY_HOURLY)}
    assert after == before
