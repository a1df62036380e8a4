"""The tracer: the whole embedded chain at a small span, twice (the first run is the session's
shared demo chain, tests/integration/conftest.py). The second run adds no row to bronze, silver,
gold, model runs (the chain reuses the identical run), registry or predictions."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ais import tables
from ais.api.app import create_app
from ais.aqi import risk_level
from ais.config import Settings
from ais.pipeline import run_chain
from tests.integration.conftest import DEMO_END, DEMO_SPAN_DAYS, DemoChain

pytestmark = [pytest.mark.spark, pytest.mark.native]

END = DEMO_END
SPAN_DAYS = DEMO_SPAN_DAYS
COUNTED = (tables.OPENAQ_BRONZE, tables.table("weather.weather_history_bronze"),
           tables.table("weather.weather_hanoi_surface_proxy_silver"), tables.OPENAQ_STATION_HOURLY,
           tables.OPENAQ_CITY_HOURLY, tables.MASTER_GOLD, tables.TRAINING_GOLD, tables.SERVING_GOLD,
           tables.MODEL_REGISTRY, tables.PREDICTIONS, tables.MODEL_RUNS)


def _counts(spark: Any, settings: Settings) -> dict[str, int]:
    return {s.identifier: int(spark.table(s.qualified(settings.catalog_name)).count()) for s in COUNTED}


def test_chain_end_to_end_and_rerun_adds_nothing(spark: Any, demo_chain: DemoChain) -> None:
    settings, start, first = demo_chain.settings, demo_chain.start, demo_chain.result  # the session's first run
    assert (start, demo_chain.end) == (END - dt.timedelta(days=SPAN_DAYS), END)
    counts = _counts(spark, settings)
    hours = SPAN_DAYS * 24
    stations = settings.get_int("simulate.openaq_stations")
    assert first.steps["ingest"]["events_written"] <= hours * stations
    assert first.steps["ingest"]["events_written"] >= 0.95 * hours * stations
    assert first.steps["ingest_weather"]["events_written"] == hours * 24  # 24 provinces, every hour
    assert first.steps["hanoi-weather-proxy-silver"]["output_count"] == hours  # Hanoi's hourly proxy
    # simulated forecasts: an issue every 6 h, Ha Noi, three local days each
    assert first.steps["ingest_weather-forecast"]["events_written"] == hours // 6 * 72
    assert first.steps["weather-forecast-silver"]["output_count"] > 0
    assert counts[tables.MASTER_GOLD.identifier] == hours  # continuous hourly grid
    assert counts[tables.MODEL_RUNS.identifier] == 3
    assert counts[tables.PREDICTIONS.identifier] == 1
    registry = spark.table(tables.MODEL_REGISTRY.qualified(settings.catalog_name)).collect()
    assert sorted((r.horizon_hour, r.status) for r in registry) == [(6, "production"), (12, "production"),
                                                                    (24, "production")]

    row = first.prediction
    assert row["base_hour"].replace(tzinfo=dt.UTC) == END - dt.timedelta(hours=1)
    for h in (6, 12, 24):
        value = row[f"pm25_{h}h"]
        assert math.isfinite(value) and value >= 0
        assert row[f"risk_{h}h"] == risk_level(value)

    body = TestClient(create_app(settings)).get("/api/v1/hanoi/pm25/forecast/latest").json()
    assert body["base_hour"] == "2026-10-31T23:00:00Z" and body["location"] == "hanoi"
    assert body["forecast"]["6h"]["pm25"] == pytest.approx(row["pm25_6h"])
    assert body["model"]["feature_version"] == "hanoi_pm25_core_v1"

    second = run_chain(settings, start, END)
    assert _counts(spark, settings) == counts
    assert second.steps["train"].model_run_id == first.steps["train"].model_run_id
    assert second.steps["bronze-openaq"]["output_count"] == 0
    assert second.steps["weather-forecast-silver"]["output_count"] == 0
    assert second.prediction["prediction_id"] == row["prediction_id"]
