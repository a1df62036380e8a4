"""Forecast error metrics. Pure functions over arrays; NaN-free inputs expected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _pair(actual: Any, predicted: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"actual and predicted must be 1-d of the same length, got {y.shape} and {p.shape}")
    if y.size == 0:
        raise ValueError("no rows to score")
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise ValueError("actual and predicted must be finite")
    return y, p


def mae(actual: Any, predicted: Any) -> float:
    y, p = _pair(actual, predicted)
    return float(np.mean(np.abs(y - p)))


def rmse(actual: Any, predicted: Any) -> float:
    y, p = _pair(actual, predicted)
    return float(math.sqrt(np.mean((y - p) ** 2)))


def mape(actual: Any, predicted: Any) -> float | None:
    """Mean absolute percentage error in %, over the rows whose actual value is > 0 (a zero
    concentration has no percentage error); None when there is no such row."""
    y, p = _pair(actual, predicted)
    positive = y > 0
    if not positive.any():
        return None
    return float(np.mean(np.abs(y[positive] - p[positive]) / y[positive]) * 100.0)


def regression_metrics(actual: Any, predicted: Any) -> dict[str, float | None]:
    """{"mae", "rmse", "mape", "rows"}."""
    y, p = _pair(actual, predicted)
    return {"mae": mae(y, p), "rmse": rmse(y, p), "mape": mape(y, p), "rows": int(y.size)}


def skill_vs_persistence(actual: Any, predicted: Any, persistence: Any) -> tuple[float | None, float | None]:
    """(persistence RMSE, skill = 1 - RMSE_model / RMSE_persistence), both over the rows where the
    persistence forecast (the concentration at the base hour) is known, so the two RMSEs compare
    the same hours. (None, None) when no row has it; skill None when persistence is perfect."""
    y = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    base = np.asarray(persistence, dtype=np.float64)
    known = np.isfinite(base)
    if not known.any():
        return None, None
    rmse_persistence = rmse(y[known], base[known])
    if rmse_persistence == 0.0:
        return rmse_persistence, None
    return rmse_persistence, 1.0 - rmse(y[known], p[known]) / rmse_persistence


def r2(actual: Any, predicted: Any) -> float | None:
    """Coefficient of determination 1 - SSE/SST; None when the actual values are all equal."""
    y, p = _pair(actual, predicted)
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0.0:
        return None
    return 1.0 - float(np.sum((y - p) ** 2)) / total


def vn_aqi_accuracy(actual: Any, predicted: Any) -> float:
    """Share of rows whose forecast falls in the same VN_AQI class as the observation
    (:func:`ais.aqi.vn_aqi_category`; a negative forecast counts as 0 µg/m³)."""
    from ais.aqi import vn_aqi_category

    y, p = _pair(actual, predicted)
    same = [vn_aqi_category(max(a, 0.0)) == vn_aqi_category(max(b, 0.0)) for a, b in zip(y, p, strict=True)]
    return float(np.mean(same))


def forecast_scores(actual: Any, predicted: Any, persistence: Any) -> dict[str, float | int | None]:
    """The backtest's scores of one forecast over one set of rows: rows, rmse, mae, r2,
    skill_vs_persistence (1 - RMSE/RMSE_persistence over the same rows) and vn_aqi_accuracy."""
    y, p = _pair(actual, predicted)
    _, base = _pair(actual, persistence)
    rmse_p = rmse(y, base)
    model_rmse = rmse(y, p)
    return {"rows": int(y.size), "rmse": model_rmse, "mae": mae(y, p), "r2": r2(y, p),
            "skill_vs_persistence": None if rmse_p == 0.0 else 1.0 - model_rmse / rmse_p,
            "vn_aqi_accuracy": vn_aqi_accuracy(y, p)}
