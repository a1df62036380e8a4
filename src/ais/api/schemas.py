"""Response models of the PM2.5 API (CONTRACTS.md §6), separate from the storage schema.

:func:`forecast_response` maps one prediction-table row to the contract body. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ais.aqi import vn_aqi, vn_aqi_category
from ais.timeutil import iso_z

UNIT = "µg/m³"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AqiInfo(_Strict):
    """The VN_AQI of a PM2.5 concentration (Decision 1459/QĐ-TCMT; ais.aqi.vn_aqi)."""

    index: int = Field(description="VN_AQI PM2.5 sub-index, 0..500")
    category: str
    colour: str = Field(description="the category's colour, #rrggbb")
    advice: str = Field(description="health advice for the category")


def aqi_info(pm25: float) -> AqiInfo:
    aqi = vn_aqi(pm25)
    return AqiInfo(index=aqi.index, category=aqi.category, colour=aqi.colour, advice=aqi.advice)


class ForecastEntry(_Strict):
    pm25: float = Field(description="forecast PM2.5, µg/m³")
    risk: str = Field(description="low | medium | high | very_high")
    vn_aqi: str = Field(description="VN_AQI PM2.5 class: good | moderate | unhealthy_for_sensitive | "
                                    "unhealthy | very_unhealthy | hazardous")
    unit: str = Field(default=UNIT, description="unit of pm25")
    aqi: AqiInfo | None = Field(default=None, description="the VN_AQI index, class, colour and advice of pm25")
    # the 80 % interval (ais.ml.intervals); left out of the body when the forecast has none
    pm25_p10: float | None = Field(default=None, exclude_if=lambda v: v is None,
                                   description="lower bound of the calibrated 80 % interval, µg/m³")
    pm25_p90: float | None = Field(default=None, exclude_if=lambda v: v is None,
                                   description="upper bound of the calibrated 80 % interval, µg/m³")


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
    unit: str = Field(default=UNIT, description="unit of every PM2.5 value")
    age_minutes: int | None = Field(default=None, description="whole minutes since created_at")
    stale: bool | None = Field(default=None, description="age_minutes > api.stale_after_minutes")


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: ``error`` (a code), ``message``, ``field`` (the bad query parameter, or
    null), and route-specific extras such as ``location``."""

    error: str
    message: str | None = None
    field: str | None = None
    location: str | None = None


class HistoryItem(_Strict):
    base_hour: str
    target_hour: str
    horizon_hour: int
    pm25: float | None = Field(description="forecast PM2.5, µg/m³")
    unit: str = UNIT
    risk: str | None
    aqi: AqiInfo | None
    # the 80 % interval, as on the latest forecast; left out when the forecast had none
    pm25_p10: float | None = Field(default=None, exclude_if=lambda v: v is None,
                                   description="lower bound of the calibrated 80 % interval, µg/m³")
    pm25_p90: float | None = Field(default=None, exclude_if=lambda v: v is None,
                                   description="upper bound of the calibrated 80 % interval, µg/m³")
    pm25_observed: float | None = Field(description="silver PM2.5 of target_hour, once known")
    observed_aqi: AqiInfo | None
    error: float | None = Field(description="forecast - observed, µg/m³")
    abs_error: float | None
    category_hit: bool | None
    model_version: str
    horizon_model_version: str | None
    feature_version: str
    created_at: str | None
    age_minutes: int | None
    stale: bool | None


class HistoryResponse(_Strict):
    location: str
    unit: str = UNIT
    items: list[HistoryItem]
    next_cursor: str | None = Field(description="pass as cursor= for the next page; null on the last")


class ObservationItem(_Strict):
    hour: str
    pm25: float | None = Field(description="median over the city's stations, µg/m³")
    pm25_mean: float | None
    station_count: int | None
    coverage_avg: float | None
    source: str | None


class ObservationsResponse(_Strict):
    location: str
    unit: str = UNIT
    start: str = Field(alias="from")
    end: str = Field(alias="to", description="exclusive")
    hours_in_range: int
    hours_present: int = Field(description="hours with a PM2.5 value")
    coverage: float = Field(description="hours_present / hours_in_range")
    items: list[ObservationItem]


class SkillItem(_Strict):
    horizon_hour: int
    as_of: str | None
    forecasts: int | None
    scored: int | None
    mae: float | None
    rmse: float | None
    bias: float | None
    rmse_persistence: float | None
    skill_vs_persistence: float | None
    vn_aqi_hit_rate: float | None
    interval_scored: int | None = Field(default=None, description="scored forecasts with an 80 % interval")
    coverage_80: float | None = Field(default=None, description="share of those inside their interval (0.8 is "
                                                                 "calibrated)")
    updated_at: str | None


class SkillResponse(_Strict):
    location: str
    unit: str = UNIT
    window_days: int
    items: list[SkillItem]


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


def _entry(row: Mapping[str, Any], horizon: int, interval: Mapping[str, Any] | None = None) -> ForecastEntry:
    pm25, risk = row.get(f"pm25_{horizon}h"), row.get(f"risk_{horizon}h")
    if pm25 is None or risk is None:
        raise InvalidPredictionRow(f"prediction {row.get('prediction_id')} has no "
                                   f"pm25_{horizon}h/risk_{horizon}h")
    bounds = {q: (interval or {}).get(f"pm25_{q}_{horizon}h") for q in ("p10", "p90")}
    return ForecastEntry(pm25=float(pm25), risk=str(risk), vn_aqi=vn_aqi_category(float(pm25)),
                         aqi=aqi_info(float(pm25)), pm25_p10=bounds["p10"], pm25_p90=bounds["p90"])


def forecast_response(row: Mapping[str, Any], interval: Mapping[str, Any] | None = None) -> ForecastResponse:
    """The contract body for one prediction-table row."""
    missing = [k for k in ("base_hour", "location_id", "created_at", "model_version_6h", "model_version_12h",
                           "model_version_24h", "feature_version") if row.get(k) is None]
    if missing:
        raise InvalidPredictionRow(f"prediction {row.get('prediction_id')} lacks {missing}")
    return ForecastResponse(
        base_hour=iso_z(row["base_hour"]),
        location=str(row["location_id"]),
        pm25_now=row.get("pm25_now"),
        forecast=Forecast.model_validate({f"{h}h": _entry(row, h, interval) for h in (6, 12, 24)}),
        source_attribution=SourceAttribution(
            dominant_cluster=row.get("dominant_cluster"), source_lat=row.get("source_lat"),
            source_lon=row.get("source_lon"), path_no2_mean=row.get("path_no2_mean"),
            path_aer_mean=row.get("path_aer_mean"), pm25_grad_mag=row.get("pm25_grad_mag")),
        model=ModelInfo(model_version_6h=row["model_version_6h"], model_version_12h=row["model_version_12h"],
                        model_version_24h=row["model_version_24h"], feature_version=row["feature_version"]),
        created_at=iso_z(row["created_at"]),
    )
