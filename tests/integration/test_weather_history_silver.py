"""The Visual Crossing weather history end to end on the recorded exports (../shared/data/
visualcrossing-hanoi, SOURCES.md): ais-ingest weather-vc --mode replay -> landing -> bronze ->
weather.visualcrossing_hanoi_silver, daily and hourly rows with the availability a provider offers,
and a rerun that changes nothing. Skipped with a message when the data is absent. And the WeatherAPI
forecasts (simulated issues) -> weather.weather_forecast_hanoi_silver, every issue kept."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.ingest_runner import run_ingest
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.weather_forecast_silver import run_weather_forecast
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


def test_forecast_issues_reach_silver_keyed_by_issue_and_valid_hour(spark: Any,
                                                                    spark_settings: Callable[..., Settings]) -> None:
    """ais-ingest weather-forecast --mode simulate (Ha Noi, an issue every 6 h: 00Z and 06Z) plus one
    hand-made event of another province -> bronze -> weather.weather_forecast_hanoi_silver: every
    issue of a valid hour kept, values as the events carry them, the other province left out, and a
    rerun that changes nothing."""
    settings = spark_settings()
    summary = run_ingest(settings, "weather-forecast", "simulate", _utc("2025-01-01T00:00:00"),
                         _utc("2025-01-01T07:00:00"))
    assert summary["status"] == "ok" and summary["events_written"] == 2 * 72
    topic = settings.runtime_path("landing_dir") / settings.require("kafka.topics.weather_forecast")
    events = [json.loads(line) for f in sorted(topic.glob("*.jsonl")) for line in f.read_text().splitlines()]
    by_id = {e["event_id"]: e for e in events}
    # the same valid hour (12:00Z) from another province: hand-made from a simulated event
    other = dict(by_id["weather_forecast_ha_noi_2025-01-01T06Z_2025-01-01T12Z"], province="Da Nang",
                 event_id="weather_forecast_da_nang_2025-01-01T06Z_2025-01-01T12Z", temp_c=24.0)
    (topic / "part-handmade-da-nang.jsonl").write_text(json.dumps(other) + "\n")
    assert run_bronze(JobContext("bronze", settings, spark), "weather-forecast")["output_count"] == 2 * 72 + 1

    window = Window.from_dates("2025-01-01", "2025-01-01")  # valid hours of 2025-01-01 UTC
    first = run_weather_forecast(JobContext("wxf", settings, spark), window)
    assert first["output_count"] == 2 * 24  # both issues' hours of the day, Ha Noi only
    rows = {(r.issue_time.replace(tzinfo=dt.UTC), r.valid_time.replace(tzinfo=dt.UTC)): r for r in
            spark.table(tables.WEATHER_FORECAST_SILVER.qualified(settings.catalog_name)).collect()}
    assert len(rows) == 48 and {r.location_id for r in rows.values()} == {"Ha_Noi"}
    for issue, lead in ((_utc("2025-01-01T00:00:00"), 12), (_utc("2025-01-01T06:00:00"), 6)):
        row = rows[(issue, _utc("2025-01-01T12:00:00"))]
        event = by_id[f"weather_forecast_ha_noi_{issue:%Y-%m-%dT%H}Z_2025-01-01T12Z"]
        assert row.lead_hours == lead and row.available_at.replace(tzinfo=dt.UTC) == issue
        assert (row.temp_c, row.humidity, row.wind_kph, row.wind_degree) == (
            event["temp_c"], float(event["humidity"]), event["wind_kph"], float(event["wind_degree"]))
        assert (row.precip_mm, row.pressure_mb, row.cloud, row.chance_of_rain, row.source) == (
            event["precip_mm"], event["pressure_mb"], float(event["cloud"]), event["chance_of_rain"], "simulated")
    # hours of the day before the 06Z issue (local 00:00 = 17Z the day before) are kept, lead negative
    assert rows[(_utc("2025-01-01T06:00:00"), _utc("2025-01-01T00:00:00"))].lead_hours == -6

    # a rerun of the window writes nothing
    assert run_weather_forecast(JobContext("wxf", settings, spark), window)["output_count"] == 0
