"""The model features in their binding order and the schema hash: the 67 of CONTRACTS.md §3, then
the 15 weather-forecast features of issue 15 item 3 (``wxf_<variable>_<h>h``, ais.features.forecast).

The order is part of the contract: the serving table, the training dataset and every model use it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

_INT: Final = frozenset({"station_count", "condition_code", "is_day", "will_it_rain", "chance_of_rain",
                         "dominant_cluster", "n_traj", "hour_of_day", "day_of_week", "month"})
_BOOL: Final = frozenset({"low_pbl", "is_weekend", "is_rush_hour"})
_STRING: Final = frozenset({"season"})

# the 67 of CONTRACTS.md §3, in order
CONTRACT_FEATURE_NAMES: Final[tuple[str, ...]] = tuple("""
pm25_median pm25_mean station_count coverage_avg vis_km uv condition_code is_day will_it_rain
chance_of_rain wind_u10 wind_v10 wind_speed wind_dir pbl_height_m low_pbl surface_pressure
temperature_2m_c dewpoint_2m_c total_precipitation_mm s5p_no2_mean s5p_co_mean s5p_so2_mean
s5p_o3_mean s5p_aer_ai_mean s5p_no2_valid_pct s5p_aer_ai_valid_pct aod_047_mean aod_055_mean
aod_mean aod_max aod_valid_pct pm25_grad_n pm25_grad_s pm25_grad_e pm25_grad_w pm25_spatial_std
pm25_grad_mag dominant_cluster n_traj traj_source_lat traj_source_lon traj_path_no2_mean
traj_path_aer_mean traj_path_no2_aer_ratio hour_of_day day_of_week month season is_weekend hour_sin
hour_cos dow_sin dow_cos month_sin month_cos is_rush_hour pm25_lag_1h pm25_lag_3h pm25_lag_6h
pm25_lag_12h pm25_lag_24h pm25_roll_mean_3h pm25_roll_mean_6h pm25_roll_mean_24h pm25_roll_max_24h
pm25_roll_std_24h
""".split())
# issue 15 item 3: the forecast for H + h (h = 6, 12, 24) of the newest issue known at H
WXF_VARIABLES: Final = ("temp_c", "humidity", "wind_kph", "precip_mm", "pressure_mb")
WXF_LEADS_H: Final = (6, 12, 24)


def wxf_column(variable: str, lead_h: int) -> str:
    return f"wxf_{variable}_{lead_h}h"


WXF_COLUMNS: Final[tuple[str, ...]] = tuple(wxf_column(v, h) for v in WXF_VARIABLES for h in WXF_LEADS_H)
# Model features beyond CONTRACTS.md §3. The serving table keeps the contract's exact schema (§9.1),
# so these are served from its companion table, features.hanoi_pm25_serving_extra_features_gold.
EXTRA_FEATURE_NAMES: Final[tuple[str, ...]] = WXF_COLUMNS
FEATURE_NAMES: Final[tuple[str, ...]] = (*CONTRACT_FEATURE_NAMES, *EXTRA_FEATURE_NAMES)


def feature_type(name: str) -> str:
    """'int', 'boolean', 'string' or 'double' (the contract's types)."""
    if name in _INT:
        return "int"
    if name in _BOOL:
        return "boolean"
    if name in _STRING:
        return "string"
    return "double"


FEATURES: Final[tuple[tuple[str, str], ...]] = tuple((n, feature_type(n)) for n in FEATURE_NAMES)
TARGETS: Final[dict[int, str]] = {6: "pm25_next_6h", 12: "pm25_next_12h", 24: "pm25_next_24h"}

# Seasons by month in Hanoi local time; the model sees the code (index), missing stays missing.
SEASONS: Final[tuple[str, ...]] = ("winter", "spring", "summer", "autumn")

# How the model consumes the features. Part of the hash: changing it changes the contract.
PREPROCESSING: Final[dict[str, object]] = {
    "season": {"encoding": "category_code", "categories": list(SEASONS)},
    "boolean": "0/1",
    "missing": "NaN (never 0)",
    "calendar_time_zone": "UTC+07:00",
    "day_of_week": "0=Monday..6=Sunday",
}


def schema_hash(features: tuple[tuple[str, str], ...] = FEATURES,
                preprocessing: dict[str, object] | None = None) -> str:
    """sha256 over the ordered (name, type) list and the preprocessing metadata."""
    body = {"features": [list(f) for f in features],
            "preprocessing": PREPROCESSING if preprocessing is None else preprocessing}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
