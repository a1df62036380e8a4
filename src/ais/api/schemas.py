"""Response models of the PM2.5 API (CONTRACTS.md §6), separate from the storage schema.

:func:`forecast_response` maps one prediction-table row to the contract body. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ais.ml.risk import vn_aqi_category
from ais.ml.timefmt import iso_z


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ForecastEntry(_Strict):
    pm25: float = Field(description="forecast PM2.5, µg/m³")
    risk: str = Field(description="low | medium | high | very_high")
    vn_aqi: str = Field(description="VN_AQI PM2.5 class: good | moderate | unhealthy_for_sensitive | "
                                    "unhealthy | very_unhealthy | hazardous")


class Forecast(_Strict):
    h6: ForecastEntry = Field(alias="6h")
    h12: ForecastEntry = Field(alias="12h")
    h24: ForecastEntry = Field(alias="24h")


class SourceAttribution(_Strict):
    dominant_cluster: int | None
    source_lat: float | None
    source_lon: float | None
    path_no2_mean: float | None
    path_aer_mean: float | None
    pm25_grad_mag: float | None


class ModelInfo(_Strict):
    model_version_6h: str
    model_version_12h: str
    model_version_24h: str
    feature_version: str


class ForecastResponse(_Strict):
    base_hour: str = Field(description="UTC, YYYY-MM-DDTHH:MM:SSZ")
    location: str
    pm25_now: float | None
    forecast: Forecast
    source_attribution: SourceAttribution
    model: ModelInfo
    created_at: str = Field(description="UTC, YYYY-MM-DDTHH:MM:SSZ")


class ErrorResponse(_Strict):
    error: str
    location: str | None = None


class HealthResponse(_Strict):
    status: str


class ReadyResponse(_Strict):
    status: str
    failed: str | None = None
    error: str | None = None
    prediction_table: str | None = None
    snapshot_id: int | None = None


class InvalidPredictionRow(ValueError):
    """A stored prediction row lacks a value the contract requires."""


def _entry(row: Mapping[str, Any], horizon: int) -> ForecastEntry:
    pm25, risk = row.get(f"pm25_{horizon}h"), row.get(f"risk_{horizon}h")
    if pm25 is None or risk is None:
        raise InvalidPredictionRow(f"prediction {row.get('prediction_id')} has no "
                                   f"pm25_{horizon}h/risk_{horizon}h")
    return ForecastEntry(pm25=float(pm25), risk=str(risk), vn_aqi=vn_aqi_category(float(pm25)))


def forecast_response(row: Mapping[str, Any]) -> ForecastResponse:
    """The contract body for one prediction-table row."""
    missing = [k for k in ("base_hour", "location_id", "created_at", "model_version_6h", "model_version_12h",
                           "model_version_24h", "feature_version") if row.get(k) is None]
    if missing:
        raise InvalidPredictionRow(f"prediction {row.get('prediction_id')} lacks {missing}")
    return ForecastResponse(
        base_hour=iso_z(row["base_hour"]),
        location=str(row["location_id"]),
        pm25_now=row.get("pm25_now"),
        forecast=Forecast.model_validate({f"{h}h": _entry(row, h) for h in (6, 12, 24)}),
        source_attribution=SourceAttribution(
            dominant_cluster=row.get("dominant_cluster"), source_lat=row.get("source_lat"),
            source_lon=row.get("source_lon"), path_no2_mean=row.get("path_no2_mean"),
            path_aer_mean=row.get("path_aer_mean"), pm25_grad_mag=row.get("pm25_grad_mag")),
        model=ModelInfo(model_version_6h=row["model_version_6h"], model_version_12h=row["model_version_12h"],
                        model_version_24h=row["model_version_24h"], feature_version=row["feature_version"]),
        created_at=iso_z(row["created_at"]),
    )
