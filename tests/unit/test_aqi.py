"""Risk bands and VN_AQI classes at and around every boundary."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ais.aqi import (
    DEFAULT_RISK_BANDS,
    RISK_LEVELS,
    VN_AQI_CATEGORIES,
    RiskBands,
    risk_bands_from_settings,
    risk_level,
    vn_aqi_category,
)
from ais.config import ConfigError, Settings


@pytest.mark.parametrize(("pm25", "level"), [
    (0.0, "low"), (34.999, "low"), (35.0, "medium"), (35.001, "medium"), (74.999, "medium"),
    (75.0, "high"), (75.001, "high"), (149.999, "high"), (150.0, "very_high"), (150.001, "very_high"),
    (999.0, "very_high"),
])
def test_risk_level_default_bands(pm25: float, level: str) -> None:
    assert risk_level(pm25) == level


def test_risk_levels_are_the_contract_names() -> None:
    assert RISK_LEVELS == ("low", "medium", "high", "very_high")


def test_risk_level_uses_the_given_thresholds() -> None:
    bands = RiskBands(medium=25.0, high=50.0, very_high=100.0)
    assert [risk_level(v, bands) for v in (24.9, 25.0, 49.9, 50.0, 99.9, 100.0)] == [
        "low", "medium", "medium", "high", "high", "very_high"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.1])
def test_risk_level_rejects_impossible_concentrations(value: float) -> None:
    with pytest.raises(ValueError, match=r"PM2\.5"):
        risk_level(value)


@pytest.mark.parametrize("bands", [(35.0, 35.0, 150.0), (0.0, 75.0, 150.0), (75.0, 35.0, 150.0),
                                   (35.0, 75.0, math.nan)])
def test_bands_must_be_positive_and_increasing(bands: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="risk bands"):
        RiskBands(*bands)


def test_bands_come_from_config(settings: Settings) -> None:
    assert risk_bands_from_settings(settings) == RiskBands(35.0, 75.0, 150.0) == DEFAULT_RISK_BANDS


def _with(settings: Settings, **values: str) -> Settings:
    return dataclasses.replace(settings, values={**settings.values, **values})


def test_changed_config_bands_are_used(settings: Settings) -> None:
    changed = _with(settings, **{"api.risk_bands_ugm3.medium": "40"})
    assert risk_level(37.0, risk_bands_from_settings(changed)) == "low"


@pytest.mark.parametrize("value", ["abc", "200"])
def test_bad_config_bands_are_a_config_error(settings: Settings, value: str) -> None:
    with pytest.raises(ConfigError, match="risk_bands_ugm3"):
        risk_bands_from_settings(_with(settings, **{"api.risk_bands_ugm3.medium": value}))


@pytest.mark.parametrize(("pm25", "category"), [
    (0.0, "good"), (24.99, "good"), (25.0, "good"), (25.01, "moderate"),
    (50.0, "moderate"), (50.01, "unhealthy_for_sensitive"),
    (80.0, "unhealthy_for_sensitive"), (80.01, "unhealthy"),
    (150.0, "unhealthy"), (150.01, "very_unhealthy"),
    (250.0, "very_unhealthy"), (250.01, "hazardous"),
    (350.0, "hazardous"), (350.01, "hazardous"), (500.0, "hazardous"), (500.01, "hazardous"),
    (1000.0, "hazardous"),
])
def test_vn_aqi_category_at_and_around_each_breakpoint(pm25: float, category: str) -> None:
    assert vn_aqi_category(pm25) == category


def test_vn_aqi_categories_in_order() -> None:
    assert VN_AQI_CATEGORIES == ("good", "moderate", "unhealthy_for_sensitive", "unhealthy", "very_unhealthy",
                                 "hazardous")


def test_vn_aqi_rejects_missing_value() -> None:
    with pytest.raises(ValueError, match=r"PM2\.5"):
        vn_aqi_category(math.nan)


@pytest.mark.parametrize(("pm25", "index", "category"), [
    (0.0, 0, "good"), (12.5, 25, "good"), (25.0, 50, "good"), (25.1, 50, "moderate"),
    (37.5, 75, "moderate"), (50.0, 100, "moderate"), (65.0, 125, "unhealthy_for_sensitive"),
    (80.0, 150, "unhealthy_for_sensitive"), (115.0, 175, "unhealthy"), (150.0, 200, "unhealthy"),
    (200.0, 250, "very_unhealthy"), (250.0, 300, "very_unhealthy"), (300.0, 350, "hazardous"),
    (425.0, 450, "hazardous"), (500.0, 500, "hazardous"), (900.0, 500, "hazardous")])
def test_vn_aqi_index_is_linear_between_the_decisions_breakpoints(pm25: float, index: int, category: str) -> None:
    from ais.aqi import vn_aqi

    got = vn_aqi(pm25)
    assert (got.index, got.category) == (index, category)


def test_vn_aqi_colours_and_advice_cover_every_category() -> None:
    from ais.aqi import VN_AQI_ADVICE, VN_AQI_CATEGORIES, VN_AQI_COLOURS, vn_aqi

    assert set(VN_AQI_COLOURS) == set(VN_AQI_ADVICE) == set(VN_AQI_CATEGORIES)
    assert vn_aqi(10.0).colour == "#00e400" and vn_aqi(60.0).colour == "#ff7e00"
    assert vn_aqi(260.0).colour == "#7e0023" and "indoors" in vn_aqi(260.0).advice
    # 25.4 µg/m³ is index 50.8 -> 51, rounded half up like the decision's formula
    assert vn_aqi(25.4).index == 51 and vn_aqi(25.2).index == 50
    with pytest.raises(ValueError, match="finite"):
        vn_aqi(float("nan"))
