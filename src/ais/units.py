"""Unit conversions and derived quantities, as plain functions (tested without Spark).

The Spark jobs build their column expressions from the same constants, and tests compare the two.
"""

from __future__ import annotations

import math

KELVIN_OFFSET = 273.15
METRES_TO_MM = 1000.0


def kelvin_to_celsius(k: float) -> float:
    return k - KELVIN_OFFSET


def metres_to_mm(m: float) -> float:
    """ERA5 total precipitation is metres of water equivalent."""
    return m * METRES_TO_MM


def wind_speed(u: float, v: float) -> float:
    return math.hypot(u, v)


def wind_direction_from(u: float, v: float) -> float:
    """Meteorological direction, degrees clockwise from north, that the wind blows FROM, in [0, 360).
    A wind from the north (v < 0) gives 0; from the east (u < 0) gives 90."""
    return (270.0 - math.degrees(math.atan2(v, u))) % 360.0


def is_low_pbl(pbl_height_m: float, threshold_m: float) -> bool:
    """low_pbl: the boundary layer is below the threshold (CONTRACTS.md §1: 300 m)."""
    return pbl_height_m < threshold_m


def pooled_mean_std(parts: list[tuple[int, float, float]]) -> tuple[float, float]:
    """Mean and population std of the union of parts given as (count, mean, std)."""
    n = sum(c for c, _, _ in parts)
    if n == 0:
        raise ValueError("no values")
    mean = sum(c * m for c, m, _ in parts) / n
    second = sum(c * (s * s + m * m) for c, m, s in parts) / n
    return mean, math.sqrt(max(second - mean * mean, 0.0))
