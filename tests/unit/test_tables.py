"""The table specs match CONTRACTS.md §3 and the exact schemas of seed 001 §9.1–§9.3."""

from __future__ import annotations

import dataclasses

from ais import tables
from ais.features.columns import (
    CONTRACT_FEATURE_NAMES,
    EXTRA_FEATURE_NAMES,
    FEATURE_NAMES,
    FEATURES,
    TARGETS,
    schema_hash,
)

# Seed 001 §9.1 (serving features), in order.
SERVING_META = ["base_hour", "location_id", "location_name", "feature_version", "feature_set_name",
                "dataset_version", "schema_hash"]
SERVING_TAIL = ["year", "month_partition", "created_at", "spark_processed_at"]
# Seed 001 §9.2 (prediction), in order, with types.
PREDICTION = [("prediction_id", "string"), ("base_hour", "timestamp"), ("location_id", "string"),
              ("location_name", "string"), ("pm25_now", "double"), ("pm25_6h", "double"),
              ("risk_6h", "string"), ("pm25_12h", "double"), ("risk_12h", "string"),
              ("pm25_24h", "double"), ("risk_24h", "string"), ("dominant_cluster", "int"),
              ("source_lat", "double"), ("source_lon", "double"), ("path_no2_mean", "double"),
              ("path_aer_mean", "double"), ("pm25_grad_mag", "double"), ("model_version", "string"),
              ("model_version_6h", "string"), ("model_version_12h", "string"),
              ("model_version_24h", "string"), ("model_status", "string"), ("feature_version", "string"),
              ("feature_schema_hash", "string"), ("inference_run_id", "string"), ("created_at", "timestamp"),
              ("year", "int"), ("month_partition", "int")]
# Seed 001 §9.3 (registry), in order, with types.
REGISTRY = [("model_version", "string"), ("model_run_id", "string"), ("horizon_hour", "int"),
            ("location_id", "string"), ("model_type", "string"), ("model_path", "string"),
            ("artifact_uri", "string"), ("feature_set_name", "string"), ("feature_version", "string"),
            ("training_dataset_version", "string"), ("feature_schema_hash", "string"), ("status", "string"),
            ("mae", "double"), ("rmse", "double"), ("mape", "double"), ("promoted_at", "timestamp"),
            ("promoted_by", "string"), ("created_at", "timestamp"), ("effective_from", "timestamp"),
            ("effective_to", "timestamp")]


def _typed(spec: tables.TableSpec) -> list[tuple[str, object]]:
    return [(c.name, c.type) for c in spec.columns]


def test_feature_list_is_the_contracts_67_in_order_then_the_15_forecast_features() -> None:
    assert len(FEATURE_NAMES) == 82 == len(set(FEATURE_NAMES))
    assert FEATURE_NAMES[:67] == CONTRACT_FEATURE_NAMES
    assert FEATURE_NAMES[:4] == ("pm25_median", "pm25_mean", "station_count", "coverage_avg")
    assert FEATURE_NAMES[66] == "pm25_roll_std_24h"
    assert FEATURE_NAMES[67:70] == ("wxf_temp_c_6h", "wxf_temp_c_12h", "wxf_temp_c_24h")  # issue 15 item 3
    assert FEATURE_NAMES[-1] == "wxf_pressure_mb_24h"
    types = dict(FEATURES)
    assert {n for n, t in types.items() if t == "int"} == {
        "station_count", "condition_code", "is_day", "will_it_rain", "chance_of_rain", "dominant_cluster",
        "n_traj", "hour_of_day", "day_of_week", "month"}
    assert {n for n, t in types.items() if t == "boolean"} == {"low_pbl", "is_weekend", "is_rush_hour"}
    assert types["season"] == "string" and types["hour_sin"] == "double"


def test_serving_schema_is_exact_and_has_no_target() -> None:
    spec = tables.SERVING_GOLD
    assert spec.column_names == SERVING_META + list(CONTRACT_FEATURE_NAMES) + SERVING_TAIL
    assert not set(TARGETS.values()) & set(spec.column_names)
    assert spec.merge_keys == ("base_hour", "location_id", "feature_version")
    assert [p.source for p in spec.partitions] == ["year", "month_partition"]
    assert dict(_typed(spec))["station_count"] == "int" and dict(_typed(spec))["low_pbl"] == "boolean"


def test_prediction_and_registry_schemas_are_exact() -> None:
    assert _typed(tables.PREDICTIONS) == PREDICTION
    assert tables.PREDICTIONS.merge_keys == ("base_hour", "location_id", "model_version", "feature_version")
    assert _typed(tables.MODEL_REGISTRY) == REGISTRY
    assert tables.MODEL_REGISTRY.merge_keys == ("model_version", "horizon_hour", "location_id")
    assert [p.source for p in tables.MODEL_REGISTRY.partitions] == ["status", "horizon_hour"]


def test_every_contract_table_exists_with_keys_and_partitions_on_its_columns() -> None:
    expected = {
        "air_quality.openaq_hourly_bronze", "weather.weather_history_bronze",
        "weather.visualcrossing_history_bronze", "weather.visualcrossing_hanoi_silver",  # issue 15: weather history
        "weather.weatherapi_forecast_bronze", "weather.weather_forecast_hanoi_silver",  # issue 15: forecasts
        "features.hanoi_pm25_serving_extra_features_gold",  # issue 15: the wxf_* features beside §9.1
        "satellite.sentinel5p_summary_bronze", "satellite.maiac_summary_bronze", "weather.era5_files_bronze",
        "audit.invalid_events_bronze", "audit.late_events_bronze",
        "air_quality.openaq_hanoi_station_hourly_silver", "air_quality.openaq_hanoi_hourly_silver",
        "weather.weather_hanoi_surface_proxy_silver", "weather.era5_surface_hanoi_hourly_silver",
        "satellite.sentinel5p_hanoi_daily_silver", "satellite.maiac_hanoi_daily_silver",
        "satellite.sentinel5p_grid_silver", "features.openaq_spatial_gradient_silver",
        "weather.era5_arl_files_bronze", "trajectory.hysplit_runs_bronze",
        "trajectory.hysplit_trajectories_silver", "trajectory.hysplit_trajectories_clustered_silver",
        "features.trajectory_path_satellite_silver", "features.trajectory_hourly_features_silver",
        "features.hanoi_pm25_master_hourly_gold", "features.hanoi_pm25_training_dataset_gold",
        "features.hanoi_pm25_serving_features_gold", "predictions.hanoi_pm25_forecast_gold",
        "predictions.hanoi_pm25_forecast_archive_gold", "predictions.hanoi_pm25_forecast_skill_gold",
        "predictions.hanoi_pm25_forecast_interval_gold",
        "models.hanoi_pm25_model_runs_gold", "models.hanoi_pm25_model_registry_gold"}
    assert set(tables.TABLES) == expected
    for spec in tables.all_tables():
        assert spec.namespace in tables.NAMESPACES
        assert spec.merge_keys and set(spec.merge_keys) <= set(spec.column_names), spec.identifier
        assert {p.source for p in spec.partitions} <= set(spec.column_names), spec.identifier
        assert len(spec.column_names) == len(set(spec.column_names)), spec.identifier


def test_bronze_tables_carry_envelope_and_lineage() -> None:
    envelope = {"event_id", "source", "event_time", "ingest_time", "available_at", "schema_version",
                "quality_flags", "window_mode", "window_start_utc", "window_end_utc", "trace",
                "job_run_id", "input_snapshot_id", "output_snapshot_id"}
    for name in ("air_quality.openaq_hourly_bronze", "weather.weather_history_bronze",
                 "satellite.sentinel5p_summary_bronze", "satellite.maiac_summary_bronze",
                 "weather.era5_files_bronze"):
        spec = tables.table(name)
        assert envelope <= set(spec.column_names), name
        assert spec.merge_keys == ("event_id",)
    assert tables.table("ais.audit.late_events_bronze").identifier == "audit.late_events_bronze"


def test_schema_hash_is_stable_and_order_sensitive() -> None:
    assert schema_hash() == schema_hash()
    assert len(schema_hash()) == 64
    swapped = (FEATURES[1], FEATURES[0], *FEATURES[2:])
    assert schema_hash(swapped) != schema_hash()
    assert schema_hash(preprocessing={"season": "one-hot"}) != schema_hash()


def test_the_features_beyond_the_contract_are_served_from_a_companion_table() -> None:
    spec = tables.SERVING_EXTRA_GOLD
    assert spec.column_names == (["base_hour", "location_id", "feature_version", "schema_hash"]
                                 + list(EXTRA_FEATURE_NAMES) + SERVING_TAIL)
    assert spec.merge_keys == tables.SERVING_GOLD.merge_keys
    assert not set(EXTRA_FEATURE_NAMES) & set(tables.SERVING_GOLD.column_names)
    assert set(CONTRACT_FEATURE_NAMES) | set(EXTRA_FEATURE_NAMES) == set(FEATURE_NAMES)
    assert tables.serving_extra_table(tables.SERVING_GOLD) is spec
    named = dataclasses.replace(tables.SERVING_GOLD, namespace="scratch", name="serving_copy")
    copy = tables.serving_extra_table(named)
    assert (copy.identifier, copy.column_names) == ("scratch.serving_copy_extra", spec.column_names)
