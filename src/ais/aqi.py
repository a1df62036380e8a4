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

:func:`vn_aqi` also gives the numeric index (linear between the breakpoints above, rounded to a
whole number and capped at 500, as the decision's formula does) and each class's colour, the RGB
values the decision assigns (good 0,228,0; moderate 255,255,0; poor 255,126,0; bad 255,0,0; very bad
143,63,151; hazardous 126,0,35), with a short health advice of ours per class.
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


# Concentration breakpoints (µg/m³) and the index values at them (Decision 1459/QĐ-TCMT, PM2.5).
VN_AQI_PM25_BREAKPOINTS: tuple[float, ...] = (0.0, 25.0, 50.0, 80.0, 150.0, 250.0, 350.0, 500.0)
VN_AQI_INDEX_BREAKPOINTS: tuple[float, ...] = (0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0)
VN_AQI_COLOURS: dict[str, str] = {
    "good": "#00e400", "moderate": "#ffff00", "unhealthy_for_sensitive": "#ff7e00", "unhealthy": "#ff0000",
    "very_unhealthy": "#8f3f97", "hazardous": "#7e0023"}
VN_AQI_ADVICE: dict[str, str] = {
    "good": "Air quality is good: outdoor activity is fine for everyone.",
    "moderate": "Acceptable; unusually sensitive people should watch for symptoms during long outdoor effort.",
    "unhealthy_for_sensitive": "Children, older adults and people with heart or lung disease should cut down "
                               "long or heavy outdoor effort.",
    "unhealthy": "Everyone should cut down outdoor effort; sensitive groups should stay indoors where the air "
                 "is cleaner.",
    "very_unhealthy": "Avoid outdoor activity; keep windows closed and wear a fitted mask outside.",
    "hazardous": "Stay indoors with windows closed; everyone should avoid all outdoor activity.",
}


@dataclass(frozen=True)
class VnAqi:
    index: int
    category: str
    colour: str
    advice: str


def vn_aqi_index(pm25: float) -> int:
    """The VN_AQI PM2.5 sub-index 0..500 of a concentration in µg/m³ (linear between breakpoints,
    rounded half up; 500 above 500 µg/m³)."""
    value = _check_concentration(pm25)
    bp, idx = VN_AQI_PM25_BREAKPOINTS, VN_AQI_INDEX_BREAKPOINTS
    if value >= bp[-1]:
        return int(idx[-1])
    for k in range(1, len(bp)):
        if value <= bp[k]:
            exact = idx[k - 1] + (idx[k] - idx[k - 1]) * (value - bp[k - 1]) / (bp[k] - bp[k - 1])
            return math.floor(exact + 0.5)
    raise AssertionError("unreachable")


def vn_aqi(pm25: float) -> VnAqi:
    """Index, class, colour and advice of a PM2.5 concentration in µg/m³."""
    category = vn_aqi_category(pm25)
    return VnAqi(vn_aqi_index(pm25), category, VN_AQI_COLOURS[category], VN_AQI_ADVICE[category])
