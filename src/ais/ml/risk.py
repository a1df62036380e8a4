"""PM2.5 risk bands and the Vietnamese AQI (VN_AQI) category of a PM2.5 concentration. Pure.

Risk bands (CONTRACTS.md §6, seed §13), thresholds in µg/m³ from ``api.risk_bands_ugm3``;
the lower bound of each band is inclusive:

    low        pm25 < 35
    medium     35 <= pm25 < 75
    high       75 <= pm25 < 150
    very_high  150 <= pm25

VN_AQI category of PM2.5. Vietnam's AQI guidance (Decision 1459/QĐ-TCMT, 2019) maps the PM2.5
concentrations 0, 25, 50, 80, 150, 250, 350, 500 µg/m³ linearly onto the index values 0, 50, 100,
150, 200, 300, 400, 500, and names the index classes 0–50, 51–100, 101–150, 151–200, 201–300 and
301–500. A concentration on a breakpoint therefore gives the top index of the lower class
(25 µg/m³ is index 50, "good"), so here the UPPER bound of each class is inclusive, unlike the
risk bands:

    good                     pm25 <= 25
    moderate                 25 < pm25 <= 50
    unhealthy_for_sensitive  50 < pm25 <= 80
    unhealthy                80 < pm25 <= 150
    very_unhealthy           150 < pm25 <= 250
    hazardous                250 < pm25   (the 250–350 and 350–500 segments, and above 500 µg/m³,
                                           where the index is capped at 500)

This is the PM2.5 sub-index class of one concentration, not the multi-pollutant AQI of a station.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ais.config import Settings

RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high", "very_high")

VN_AQI_CATEGORIES: tuple[str, ...] = ("good", "moderate", "unhealthy_for_sensitive", "unhealthy",
                                      "very_unhealthy", "hazardous")
# Inclusive upper concentration bound (µg/m³) of each category but the last.
VN_AQI_PM25_UPPER_BOUNDS: tuple[float, ...] = (25.0, 50.0, 80.0, 150.0, 250.0)


@dataclass(frozen=True)
class RiskBands:
    """Lower bounds (µg/m³, inclusive) of the medium, high and very_high bands."""

    medium: float = 35.0
    high: float = 75.0
    very_high: float = 150.0

    def __post_init__(self) -> None:
        values = (self.medium, self.high, self.very_high)
        if not all(math.isfinite(v) for v in values) or not 0 < self.medium < self.high < self.very_high:
            raise ValueError(f"risk bands must be finite and 0 < medium < high < very_high, got {values}")


DEFAULT_RISK_BANDS = RiskBands()


def risk_bands_from_settings(settings: Settings) -> RiskBands:
    """The bands from ``api.risk_bands_ugm3.{medium,high,very_high}``; a bad value is a ConfigError."""
    from ais.config import ConfigError

    try:
        return RiskBands(medium=settings.get_float("api.risk_bands_ugm3.medium"),
                         high=settings.get_float("api.risk_bands_ugm3.high"),
                         very_high=settings.get_float("api.risk_bands_ugm3.very_high"))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"api.risk_bands_ugm3: {exc}") from exc


def _check_concentration(pm25: float) -> float:
    value = float(pm25)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"PM2.5 must be a finite value >= 0 µg/m³, got {pm25!r}")
    return value


def risk_level(pm25: float, bands: RiskBands = DEFAULT_RISK_BANDS) -> str:
    """low | medium | high | very_high for a concentration in µg/m³."""
    value = _check_concentration(pm25)
    if value < bands.medium:
        return "low"
    if value < bands.high:
        return "medium"
    if value < bands.very_high:
        return "high"
    return "very_high"


def vn_aqi_category(pm25: float) -> str:
    """The VN_AQI class name of a PM2.5 concentration in µg/m³ (see the module docstring)."""
    value = _check_concentration(pm25)
    for upper, name in zip(VN_AQI_PM25_UPPER_BOUNDS, VN_AQI_CATEGORIES, strict=False):
        if value <= upper:
            return name
    return VN_AQI_CATEGORIES[-1]
