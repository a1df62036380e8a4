"""The tracer: the whole embedded chain at a small span, twice. The second run adds no row to
bronze, silver, gold, model runs (the chain reuses the identical run), registry or predictions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ais import tables
from ais.api.app import create_app
from ais.aqi import risk_level
from ais.config import Settings
from ais.pipeline import run_chain

pytestmark = [pytest.mark.spark, pytest.mark.native]

END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
SPAN_DAYS = 21
COUNTED = (tables.OPENAQ_BRONZE, tables.table("weather.weather_history_bronze"),
           tables.table("weather.weather_hanoi_surface_proxy_silver"), tables.OPENAQ_STATION_HOURLY,
           tables.OPENAQ_CITY_HOURLY, tables.MASTER_GOLD, tables.TRAINING_GOLD, tables.SERVING_GOLD,
           tables.MODEL_REGISTRY, tables.PREDICTIONS, tables.MODEL_RUNS)


def _counts(spark: Any, settings: Settings) -> dict[str, int]:
    return {s.identifier: int(spark.table(s.qualified(settings.catalog_name)).count()) for s in COUNTED}


def test_chain_end_to_end_and_rerun_adds_nothing(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    start = END - dt.timedelta(days=SPAN_DAYS)
    first = run_chain(settings, start, END)
    counts = _counts(spark, settings)
    hours = SPAN_DAYS * 24
    stations = settings.get_int("simulate.openaq_stations")
    assert first.steps["ingest"]["events_written"] <= hours * stations
    assert first.steps["ingest"]["events_written"] >= 0.95 * hours * stations
    assert first.steps["ingest_weather"]["events_written"] == hours * 24  # 24 provinces, every hour
    assert first.steps["hanoi-weather-proxy-silver"]["output_count"] == hours  # Hanoi's hourly proxy
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
    assert second.prediction["prediction_id"] == row["prediction_id"]
