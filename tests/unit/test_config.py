"""The Python loader: env overrides, aliases, secrets, bad files, paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import CONFIG_PATH, PROJECT_ROOT

from ais.config import ConfigError, load_settings


def test_defaults_are_the_embedded_profile() -> None:
    s = load_settings(CONFIG_PATH, environ={})
    assert s.project_root == PROJECT_ROOT
    assert s.catalog_name == "ais"
    assert s.runtime("iceberg_catalog_uri") == "jdbc:sqlite:var/iceberg_catalog.db"
    assert s.runtime("kafka_bootstrap_servers") == ""
    assert s.feature_version == "hanoi_pm25_core_v1"
    assert s.dataset_version == "hanoi_pm25_v1"
    assert s.horizons == [6, 12, 24]
    assert s.get_float("hanoi.bbox.west") == 105.25
    assert s.get_list("sentinel5p.products") == ["NO2", "CO", "SO2", "O3", "AER_AI"]
    # raw text is kept: the MAIAC collection stays "061", not 61
    assert s.get("maiac.collection") == "061"


def test_env_overrides_runtime_keys_even_when_empty() -> None:
    s = load_settings(CONFIG_PATH, environ={"API_PORT": "9191", "LOCATION_ID": "", "HANOI_BBOX_WEST": "1"})
    assert s.get_int("runtime.api_port") == 9191
    assert s.location_id == ""
    # only runtime keys are overridable
    assert s.get("hanoi.bbox.west") == "105.25"


def test_alias_is_used_only_without_the_canonical_name() -> None:
    assert load_settings(CONFIG_PATH, environ={"READINESS_TIMEOUT_SECONDS": "7"}).runtime(
        "ready_timeout_seconds") == "7"
    both = load_settings(CONFIG_PATH, environ={"READINESS_TIMEOUT_SECONDS": "7", "READY_TIMEOUT_SECONDS": "3"})
    assert both.runtime("ready_timeout_seconds") == "3"


def test_secrets_come_only_from_the_environment_and_never_into_dumps() -> None:
    s = load_settings(CONFIG_PATH, environ={"OPENAQ_API_KEY": "k-123"})
    assert s.secret("OPENAQ_API_KEY") == "k-123"
    assert s.secret("WEATHER_API_KEY") is None
    dump = s.dump()
    assert dump["secrets"]["OPENAQ_API_KEY"] == "set"
    assert dump["secrets"]["WEATHER_API_KEY"] == "unset"
    assert "k-123" not in repr(dump) and "k-123" not in repr(s)


def test_config_path_from_env_and_search(tmp_path: Path) -> None:
    alt = tmp_path / "cfg" / "pipeline.yaml"
    alt.parent.mkdir()
    alt.write_text("runtime:\n  api_port: '1'\n")
    s = load_settings(environ={"HANOI_PIPELINE_CONFIG": str(alt)})
    assert s.path == alt and s.runtime("api_port") == "1" and s.project_root == tmp_path


def test_missing_and_malformed_files_fail_fast(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("runtime:\n  a: [1, 2\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_settings(bad, environ={})
    no_runtime = tmp_path / "nr.yaml"
    no_runtime.write_text("hanoi: {}\n")
    with pytest.raises(ConfigError, match="runtime"):
        load_settings(no_runtime, environ={})


def test_typed_access_names_the_bad_key() -> None:
    s = load_settings(CONFIG_PATH, environ={"API_PORT": "eighty"})
    with pytest.raises(ConfigError, match=r"runtime\.api_port"):
        s.get_int("runtime.api_port")


def test_paths_and_table_names() -> None:
    s = load_settings(CONFIG_PATH, environ={"PREDICTION_TABLE": "ais.predictions.x", "TRAINING_TABLE": "bad"})
    assert s.resolve_path("var/landing") == str(PROJECT_ROOT / "var" / "landing")
    assert s.resolve_path("/abs") == "/abs"
    assert s.resolve_path("hdfs://nn:8020/w") == "hdfs://nn:8020/w"
    assert s.table_name("prediction_table") == "predictions.x"
    with pytest.raises(ConfigError):
        s.table_name("training_table")


def test_job_windows_from_dates_or_hours() -> None:
    import datetime as dt

    from ais.spark.jobs.common import Window

    days = Window.parse("2026-10-01", "2026-10-02")
    assert (days.start, days.end) == (dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 3, tzinfo=dt.UTC))
    hour = Window.parse("2026-10-01T05:00:00Z", "2026-10-01T06:00:00+00:00")
    assert hour.end - hour.start == dt.timedelta(hours=1) and hour.start.hour == 5
    for bad in (("2026-10-02", "2026-10-01"), ("2026-10-01T05:30:00Z", "2026-10-01T06:00:00Z"),
                ("2026-10-01T06:00:00Z", "2026-10-01T06:00:00Z"), ("yesterday", "today")):
        with pytest.raises(ConfigError):
            Window.parse(*bad)
