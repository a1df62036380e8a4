"""The real AirNow (US Embassy Hanoi) PM2.5 files through replay ingest, bronze and silver give the
per-year valid-hour counts, means and medians that ../shared/data/SOURCES.md reports.

SOURCES.md counts hours with QC Name = Valid and Raw Conc. > 0, grouped by the calendar year of the
local hour-ending label. The replay repairs the US-DST duplicate (the first 03:00 row is the missing
02:00 hour), which adds one valid hour in 2015-2018 wherever the repaired hour is valid; the counts
below are SOURCES.md's plus those hours. Means and medians match SOURCES.md to its one decimal."""

from __future__ import annotations

from typing import Any

import pytest

from ais import tables
from tests.contracts.conftest import AirNowSilver

pytestmark = [pytest.mark.spark, pytest.mark.native]

# year: (valid hours, mean, median) — SOURCES.md §1 "Per-year statistics" (+ repaired DST hours)
EXPECTED = {2015: (482, 82.0, 70.7), 2016: (8299, 50.9, 41.9), 2017: (8652, 42.8, 31.9),
            2018: (7990, 40.6, 32.0), 2019: (5001, 51.4, 41.0)}


def test_airnow_replay_through_bronze_and_silver(spark: Any, airnow_silver: AirNowSilver) -> None:
    settings, ingest, bronze = airnow_silver.settings, airnow_silver.ingest, airnow_silver.bronze
    assert ingest["status"] == "ok" and ingest["events_rejected"] == 0
    assert bronze["output_count"] == ingest["events_written"] and bronze["invalid_count"] == 0

    city = tables.OPENAQ_CITY_HOURLY.qualified(settings.catalog_name)
    # the label year: local time (UTC+7) of the hour's end
    rows = spark.sql(f"""
        SELECT year(hour + INTERVAL 8 HOURS) AS label_year, count(*) AS n, avg(pm25_mean) AS mean,
               percentile(pm25_mean, 0.5) AS median, max(pm25_mean) AS max, max(station_count) AS stations
        FROM {city} GROUP BY 1 ORDER BY 1""").collect()
    got = {r.label_year: r for r in rows}
    # the last label of the 2019 file, 2020-01-01 00:00, is a year of its own in this grouping
    assert sorted(got) == [*sorted(EXPECTED), 2020] and got[2020].n == 1
    for year, (n, mean, median) in EXPECTED.items():
        r = got[year]
        assert r.n == n, year
        assert round(r.mean, 1) == mean, year
        assert round(r.median, 1) == median, year
        assert r.stations == 1
    assert got[2019].max == 555.0
