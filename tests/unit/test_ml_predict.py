"""Pure parts of inference: ids, versions, the prediction row, model selection, hash checks."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from ais.aqi import DEFAULT_RISK_BANDS
from ais.cli import JobError
from ais.features.columns import FEATURE_NAMES
from ais.ml.predict import (
    build_prediction_row,
    check_schema_hashes,
    composite_model_version,
    parse_base_hour,
    prediction_id,
    select_models,
)
from ais.tables import PREDICTIONS

BASE = dt.datetime(2026, 5, 19, 9, tzinfo=dt.UTC)


def test_prediction_id_is_sha256_of_the_documented_key() -> None:
    expected = hashlib.sha256(b"2026-05-19T09:00:00Z|hanoi|lightgbm-x|hanoi_pm25_core_v1").hexdigest()
    assert prediction_id(BASE, "hanoi", "lightgbm-x", "hanoi_pm25_core_v1") == expected


def test_prediction_id_does_not_depend_on_the_time_zone_of_the_base_hour() -> None:
    local = BASE.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert prediction_id(local, "hanoi", "m", "f") == prediction_id(BASE, "hanoi", "m", "f")
    assert prediction_id(BASE, "hanoi", "m", "f") != prediction_id(BASE, "hanoi", "m", "g")


def test_model_version_is_the_common_version_when_all_horizons_share_it() -> None:
    assert composite_model_version({6: "v1", 12: "v1", 24: "v1"}) == "v1"


def test_model_version_lists_each_horizon_when_they_differ() -> None:
    assert composite_model_version({24: "c", 6: "a", 12: "a"}) == "6h=a;12h=a;24h=c"


@pytest.mark.parametrize("text", ["2026-05-19T09:00:00Z", "2026-05-19T09:00:00+00:00",
                                  "2026-05-19T16:00:00+07:00",
                                  "2026-05-19T09:00:00", "2026-05-19 09:00:00z"])
def test_parse_base_hour_accepts_iso_forms(text: str) -> None:
    assert parse_base_hour(text) == BASE


@pytest.mark.parametrize(("text", "message"), [("2026-05-19T09:30:00Z", "not on the hour"),
                                               ("yesterday", "not an ISO 8601")])
def test_parse_base_hour_rejects(text: str, message: str) -> None:
    with pytest.raises(JobError, match=message):
        parse_base_hour(text)


def _model(h: int, version: str, hash_: str = "H", status: str = "production", fv: str = "fv") -> dict:
    return {"horizon_hour": h, "model_version": version, "feature_schema_hash": hash_, "status": status,
            "feature_version": fv}


def test_select_models_names_the_missing_horizons() -> None:
    with pytest.raises(JobError, match=r"horizons 12h, 24h"):
        select_models([_model(6, "a")], "production", "fv")
    with pytest.raises(JobError, match=r"horizons 6h, 12h, 24h"):
        select_models([], "production", "fv")


def test_select_models_ignores_other_statuses_and_feature_versions() -> None:
    rows = [_model(6, "a"), _model(12, "a"), _model(24, "a"), _model(24, "old", status="archived"),
            _model(6, "other", fv="fv2")]
    chosen = select_models(rows, "production", "fv")
    assert {h: r["model_version"] for h, r in chosen.items()} == {6: "a", 12: "a", 24: "a"}
    with pytest.raises(JobError, match=r"horizons 12h, 24h"):
        select_models(rows, "production", "fv2")


def test_select_models_refuses_two_production_models_for_one_horizon() -> None:
    rows = [_model(6, "a"), _model(6, "b"), _model(12, "a"), _model(24, "a")]
    with pytest.raises(JobError, match="more than one"):
        select_models(rows, "production", "fv")


def test_schema_hash_checks_name_both_hashes() -> None:
    models = {6: _model(6, "a", "H"), 12: _model(12, "a", "H"), 24: _model(24, "b", "OLD")}
    check_schema_hashes("H", {6: models[6]}, "H")
    with pytest.raises(JobError, match=r"serving row schema_hash X != feature definition schema_hash H"):
        check_schema_hashes("X", models, "H")
    with pytest.raises(JobError,
                       match=r"model b \(24h\) feature_schema_hash OLD != serving row schema_hash H"):
        check_schema_hashes("H", models, "H")


def _serving_row() -> dict:
    row: dict[str, object] = dict.fromkeys(FEATURE_NAMES)
    row.update(base_hour=BASE, location_id="hanoi", location_name="Hanoi", feature_version="fv",
               schema_hash="H", pm25_mean=41.0, dominant_cluster=3, traj_source_lat=22.5,
               traj_source_lon=107.1, traj_path_no2_mean=0.00012, traj_path_aer_mean=0.8, pm25_grad_mag=1.7)
    return row


def test_prediction_row_has_the_exact_schema_and_maps_every_column() -> None:
    created = dt.datetime(2026, 5, 19, 9, 5, tzinfo=dt.UTC)
    models = {6: _model(6, "a"), 12: _model(12, "a"), 24: _model(24, "b")}
    row = build_prediction_row(_serving_row(), {6: 20.0, 12: 35.0, 24: 150.0}, models, location_name="Hanoi",
                               model_status="production", bands=DEFAULT_RISK_BANDS, inference_run_id="run1",
                               created_at=created)
    assert list(row) == PREDICTIONS.column_names
    assert row == {
        "prediction_id": prediction_id(BASE, "hanoi", "6h=a;12h=a;24h=b", "fv"),
        "base_hour": BASE, "location_id": "hanoi", "location_name": "Hanoi", "pm25_now": 41.0,
        "pm25_6h": 20.0, "risk_6h": "low", "pm25_12h": 35.0, "risk_12h": "medium",
        "pm25_24h": 150.0, "risk_24h": "very_high",
        "dominant_cluster": 3, "source_lat": 22.5, "source_lon": 107.1, "path_no2_mean": 0.00012,
        "path_aer_mean": 0.8, "pm25_grad_mag": 1.7,
        "model_version": "6h=a;12h=a;24h=b", "model_version_6h": "a", "model_version_12h": "a",
        "model_version_24h": "b", "model_status": "production", "feature_version": "fv",
        "feature_schema_hash": "H", "inference_run_id": "run1", "created_at": created,
        "year": 2026, "month_partition": 5,
    }


def test_partition_columns_follow_the_utc_base_hour() -> None:
    row = _serving_row()
    row["base_hour"] = dt.datetime(2026, 12, 31, 20, tzinfo=dt.UTC)  # already 2027 in Hanoi
    models = {h: _model(h, "a") for h in (6, 12, 24)}
    out = build_prediction_row(row, {6: 1.0, 12: 1.0, 24: 1.0}, models, location_name="Hanoi",
                               model_status="production", bands=DEFAULT_RISK_BANDS, inference_run_id="r",
                               created_at=BASE)
    assert (out["year"], out["month_partition"]) == (2026, 12)
