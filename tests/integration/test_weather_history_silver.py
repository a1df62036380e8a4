"""The Visual Crossing weather history end to end on the recorded exports (../shared/data/
visualcrossing-hanoi, SOURCES.md): ais-ingest weather-vc --mode replay -> landing -> bronze ->
weather.visualcrossing_hanoi_silver, daily and hourly rows with the availability a provider offers,
and a rerun that changes nothing. Skipped with a message when the data is absent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.ingest_runner import run_ingest
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.weather_history_silver import run_weather_history_vc

pytestmark = pytest.mark.spark
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "visualcrossing-hanoi"


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_replayed_history_reaches_silver_with_its_availability(spark: Any,
                                                               spark_settings: Callable[..., Settings]) -> None:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent: the Visual Crossing exports are not committed (SOURCES.md)")
    settings = spark_settings()
    # the last three daily records (09-29..10-01, local days) and the first 31 hourly ones
    summary = run_ingest(settings, "weather-vc", "replay", _utc("2025-09-28T00:00:00"), _utc("2025-10-03T00:00:00"),
                         replay_dir=DATA)
    assert summary["status"] == "ok" and summary["events_written"] == 3 + 31 and summary["events_rejected"] == 0
    assert summary["input"]["records_read"] == 3927 + 984 + 96
    assert run_bronze(JobContext("bronze", settings, spark), "weather-vc")["output_count"] == 34

    window = Window.from_dates("2025-09-28", "2025-10-02")
    first = run_weather_history_vc(JobContext("vc", settings, spark), window)
    assert (first["input_count"], first["output_count"]) == (34, 34)
    rows = {(r.resolution, r.period_start.replace(tzinfo=dt.UTC)): r for r in
            spark.table(tables.WEATHER_VC_SILVER.qualified(settings.catalog_name)).collect()}
    assert sorted({k[0] for k in rows}) == ["day", "hour"]
    assert sum(k[0] == "day" for k in rows) == 3

    # hn_daily.csv 2025-10-01: local day 2025-09-30T17:00Z..2025-10-01T17:00Z, known an hour after it ends
    day = rows[("day", _utc("2025-09-30T17:00:00"))]
    assert day.local_date == "2025-10-01"
    assert day.period_end.replace(tzinfo=dt.UTC) == _utc("2025-10-01T17:00:00")
    assert day.available_at.replace(tzinfo=dt.UTC) == _utc("2025-10-01T18:00:00")
    assert (day.temp_c, day.tempmax_c, day.tempmin_c, day.dewpoint_c, day.humidity) == (26.7, 30.0, 24.0, 25.0, 90.8)
    assert (day.precip_mm, day.windspeed_kph, day.winddir_deg, day.sealevelpressure_hpa) == (15.3, 13.0, 116.0, 1011.1)
    assert (day.visibility_km, day.uvindex, day.source) == (8.0, 7.0, "visualcrossing")
    # Hanoi-2025-10-02-to-2025-11-11.csv, first row: local 00:00 = 17:00Z, known at 19:00Z
    hour = rows[("hour", _utc("2025-10-01T17:00:00"))]
    assert hour.available_at.replace(tzinfo=dt.UTC) == _utc("2025-10-01T19:00:00")
    assert (hour.temp_c, hour.humidity, hour.windspeed_kph, hour.winddir_deg) == (26.0, 94.23, 3.6, 158.9)
    assert hour.tempmax_c is None and hour.conditions == "Overcast"
    last = max(k[1] for k in rows if k[0] == "hour")
    assert last == _utc("2025-10-02T23:00:00")

    # a rerun of the window writes nothing
    assert run_weather_history_vc(JobContext("vc", settings, spark), window)["output_count"] == 0
