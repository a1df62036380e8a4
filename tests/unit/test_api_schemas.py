"""The contract body built from a prediction-table row (CONTRACTS.md §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from ais.api.schemas import InvalidPredictionRow, forecast_response
from ais.api.store import latest_row

BASE = dt.datetime(2026, 5, 19, 9, tzinfo=dt.UTC)


def _row(**changes: object) -> dict:
    row = {
        "prediction_id": "p", "base_hour": BASE, "location_id": "hanoi", "location_name": "Hanoi",
        "pm25_now": 41.5, "pm25_6h": 20.0, "risk_6h": "low", "pm25_12h": 60.0, "risk_12h": "medium",
        "pm25_24h": 160.0, "risk_24h": "very_high", "dominant_cluster": 2, "source_lat": 22.1,
        "source_lon": 106.9, "path_no2_mean": 0.0001, "path_aer_mean": 0.5, "pm25_grad_mag": 1.25,
        "model_version": "v", "model_version_6h": "v6", "model_version_12h": "v12",
        "model_version_24h": "v24",
        "model_status": "production", "feature_version": "hanoi_pm25_core_v1", "feature_schema_hash": "H",
        "inference_run_id": "i", "created_at": dt.datetime(2026, 5, 19, 9, 5, 30, 123456, tzinfo=dt.UTC),
        "year": 2026, "month_partition": 5,
    }
    row.update(changes)
    return row


def test_body_has_exactly_the_contract_keys_and_values() -> None:
    body = forecast_response(_row()).model_dump(by_alias=True)
    # issue 14 added fields; the older ones are unchanged
    assert (body.pop("unit"), body.pop("age_minutes"), body.pop("stale")) == ("µg/m³", None, None)
    aqi = {h: (body["forecast"][h].pop("unit"), body["forecast"][h].pop("aqi")) for h in ("6h", "12h", "24h")}
    assert aqi["6h"] == ("µg/m³", {"index": 40, "category": "good", "colour": "#00e400",
                                   "advice": "Air quality is good: outdoor activity is fine for everyone."})
    # 60 µg/m³: 100 + 50 * (60 - 50) / 30 = 116.7 -> 117; 160 µg/m³: 200 + 100 * 10 / 100 = 210
    assert [(a["index"], a["category"], a["colour"]) for _, a in (aqi["12h"], aqi["24h"])] == [
        (117, "unhealthy_for_sensitive", "#ff7e00"), (210, "very_unhealthy", "#8f3f97")]
    assert body == {
        "base_hour": "2026-05-19T09:00:00Z", "location": "hanoi", "pm25_now": 41.5,
        "forecast": {"6h": {"pm25": 20.0, "risk": "low", "vn_aqi": "good"},
                     "12h": {"pm25": 60.0, "risk": "medium", "vn_aqi": "unhealthy_for_sensitive"},
                     "24h": {"pm25": 160.0, "risk": "very_high", "vn_aqi": "very_unhealthy"}},
        "source_attribution": {"dominant_cluster": 2, "source_lat": 22.1, "source_lon": 106.9,
                               "path_no2_mean": 0.0001, "path_aer_mean": 0.5, "pm25_grad_mag": 1.25},
        "model": {"model_version_6h": "v6", "model_version_12h": "v12", "model_version_24h": "v24",
                  "feature_version": "hanoi_pm25_core_v1"},
        "created_at": "2026-05-19T09:05:30Z",
    }


def test_timestamps_are_rendered_in_utc() -> None:
    local = BASE.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert forecast_response(_row(base_hour=local)).base_hour == "2026-05-19T09:00:00Z"


def test_missing_attribution_is_null_not_zero() -> None:
    row = _row(dominant_cluster=None, source_lat=None, pm25_now=None)
    body = forecast_response(row).model_dump(by_alias=True)
    assert body["source_attribution"]["dominant_cluster"] is None
    assert body["source_attribution"]["source_lat"] is None
    assert body["pm25_now"] is None


@pytest.mark.parametrize("column", ["pm25_12h", "risk_24h", "model_version_6h", "created_at"])
def test_a_row_without_a_required_value_is_invalid(column: str) -> None:
    with pytest.raises(InvalidPredictionRow, match=column.split("_")[0]):
        forecast_response(_row(**{column: None}))


def test_latest_row_is_the_greatest_base_hour_then_created_at() -> None:
    older = _row(prediction_id="old", base_hour=BASE - dt.timedelta(hours=1),
                 created_at=BASE + dt.timedelta(days=1))
    first = _row(prediction_id="first", created_at=BASE + dt.timedelta(minutes=5))
    second = _row(prediction_id="second", created_at=BASE + dt.timedelta(minutes=6))
    latest = latest_row([older, second, first])
    assert latest is not None and latest["prediction_id"] == "second"
    assert latest_row([]) is None
