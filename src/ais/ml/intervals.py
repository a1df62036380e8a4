"""Calibrated 80 % intervals by split conformal prediction on validation residuals (issue 15 item 5).

PM2.5 errors grow with the level, so the residuals are taken on the log1p scale:
r = log1p(actual) - log1p(predicted). Their empirical quantiles at (1 - c) / 2 and (1 + c) / 2 on
out-of-sample validation rows (the rolling-origin windows of :mod:`ais.ml.tuning`, never the test
period), with the finite-sample correction of split conformal prediction, become the interval
[expm1(log1p(p) + q_low), expm1(log1p(p) + q_high)] around a forecast p: wider when the forecast is
high, never below 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

COVERAGE = 0.8
METHOD = "split_conformal_log1p"


def _log1p(values: Any) -> np.ndarray:
    return np.log1p(np.clip(np.asarray(values, dtype=np.float64), 0.0, None))


def calibrate(actual: Any, predicted: Any, coverage: float = COVERAGE) -> dict[str, Any]:
    """The interval description (stored in model_meta.json) from validation pairs."""
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    residuals = _log1p(actual) - _log1p(predicted)
    residuals = residuals[np.isfinite(residuals)]
    n = len(residuals)
    if n < 10:
        raise ValueError(f"{n} validation residuals are too few to calibrate an interval")
    tail = (1.0 - coverage) / 2.0
    # split-conformal ranks: the ceil((n + 1)(1 - tail))-th smallest residual, and its mirror
    high_rank = min(n, math.ceil((n + 1) * (1.0 - tail)))
    low_rank = max(1, math.floor((n + 1) * tail))
    ordered = np.sort(residuals)
    return {"method": METHOD, "coverage": coverage, "q_low": float(ordered[low_rank - 1]),
            "q_high": float(ordered[high_rank - 1]), "calibration_rows": n}


def bounds(predicted: Any, interval: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) PM2.5 around the forecasts ``predicted``."""
    if interval.get("method") != METHOD:
        raise ValueError(f"unknown interval method {interval.get('method')!r}")
    centre = _log1p(predicted)
    low = np.clip(np.expm1(centre + float(interval["q_low"])), 0.0, None)
    high = np.clip(np.expm1(centre + float(interval["q_high"])), 0.0, None)
    return low, high


def interval_scores(actual: Any, low: Any, high: Any) -> dict[str, float | int]:
    """Share of ``actual`` inside [low, high] and the mean width (µg/m³)."""
    y = np.asarray(actual, dtype=np.float64)
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    if not (len(y) == len(lo) == len(hi)) or len(y) == 0:
        raise ValueError("actual, low and high must be non-empty and of one length")
    return {"coverage_80": float(np.mean((y >= lo) & (y <= hi))), "mean_width_80": float(np.mean(hi - lo))}
