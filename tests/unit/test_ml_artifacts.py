"""Artifact locations and model versions."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ais import storage
from ais.config import Settings
from ais.features.columns import FEATURE_NAMES, TARGETS
from ais.ml.artifacts import (
    ArtifactError,
    artifact_exists,
    artifact_root,
    horizon_dir,
    read_artifact,
    to_uri,
    write_atomically,
)
from ais.ml.train import model_version_for


def test_artifact_root_defaults_to_the_base_uri(settings: Settings) -> None:
    base = settings.runtime("model_artifact_base_uri")
    assert artifact_root(settings) == f"{base}/hanoi_pm25"


@pytest.mark.parametrize("suffix", ["", "/hanoi_pm25"])
def test_output_dir_may_name_the_base_or_its_hanoi_pm25_folder(settings: Settings, tmp_path: Path,
                                                               suffix: str) -> None:
    assert artifact_root(settings, f"{tmp_path}/out{suffix}") == f"{tmp_path}/out/hanoi_pm25"
    assert artifact_root(settings, f"file://{tmp_path}/out{suffix}") == f"{tmp_path}/out/hanoi_pm25"
    assert artifact_root(settings, f"hdfs://127.0.0.1:8020/models{suffix}") == "hdfs://127.0.0.1:8020/models/hanoi_pm25"


def test_model_output_dir_setting_overrides_the_base(make_settings: Callable[..., Settings],
                                                     tmp_path: Path) -> None:
    settings = make_settings(MODEL_OUTPUT_DIR=str(tmp_path / "elsewhere"))
    assert artifact_root(settings) == f"{tmp_path}/elsewhere/hanoi_pm25"


def test_relative_base_is_under_the_project_root(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(MODEL_ARTIFACT_BASE_URI="var/models")
    assert artifact_root(settings) == f"{settings.project_root}/var/models/hanoi_pm25"


@pytest.mark.parametrize("uri", ["s3://bucket/models", "gs://bucket/models", "hdfs:///models"])
def test_unreachable_stores_are_a_clear_error(settings: Settings, uri: str) -> None:
    with pytest.raises(ArtifactError, match=r"not supported|needs the NameNode host"):
        artifact_root(settings, uri)


def test_contract_layout(tmp_path: Path) -> None:
    folder = horizon_dir(f"{tmp_path}/hanoi_pm25", "fv1", "lightgbm-x", 12)
    assert folder == f"{tmp_path}/hanoi_pm25/fv1/lightgbm-x/horizon=12"
    assert horizon_dir("hdfs://nn:8020/m/hanoi_pm25/", "fv1", "v", 6) == "hdfs://nn:8020/m/hanoi_pm25/fv1/v/horizon=6"


def test_uri_round_trip_and_atomic_write(tmp_path: Path) -> None:
    path = tmp_path / "a b" / "model.txt"
    write_atomically(str(path), b"tree")
    write_atomically(str(path), b"tree2")  # over an existing file
    assert path.read_bytes() == b"tree2"
    assert [p.name for p in path.parent.iterdir()] == ["model.txt"]  # no temporary file left
    uri = to_uri(str(path))
    assert uri.startswith("file:///") and "a%20b" in uri
    assert storage.local_path(uri) == path
    assert read_artifact(uri) == read_artifact(str(path)) == b"tree2"
    assert artifact_exists(uri) and not artifact_exists(uri + ".gone")
    with pytest.raises(ArtifactError, match="artifact missing"):
        read_artifact(uri + ".gone")


def _frame(values: list[float]) -> pd.DataFrame:
    hours = pd.date_range("2026-01-01", periods=len(values), freq="h", tz="UTC")
    frame = pd.DataFrame({"hour": hours, "split": "train"})
    for name in (*FEATURE_NAMES, *TARGETS.values()):
        frame[name] = np.nan
    frame["pm25_mean"] = values
    return frame


def test_model_version_is_a_content_address() -> None:
    identity = {"training": {"rounds": 200}, "feature_schema_hash": "h"}
    version = model_version_for("lightgbm", _frame([1.0, 2.0, 3.0]), 6, identity)
    assert re.fullmatch(r"lightgbm-[0-9a-f]{16}", version)
    # same rows in another order: same version
    assert model_version_for("lightgbm", _frame([1.0, 2.0, 3.0]).iloc[::-1], 6, identity) == version
    assert model_version_for("lightgbm", _frame([1.0, 2.0, 3.5]), 6, identity) != version
    assert model_version_for("lightgbm", _frame([1.0, 2.0, 3.0]), 6, identity | {"feature_schema_hash": "x"}) != version
    assert model_version_for("xgboost", _frame([1.0, 2.0, 3.0]), 6, identity).startswith("xgboost-")


def test_each_horizon_of_a_run_has_its_own_model_version() -> None:
    frame = _frame([1.0, 2.0, 3.0])
    identity = {"training": {"rounds": 200}, "feature_schema_hash": "h"}
    versions = {h: model_version_for("lightgbm", frame, h, identity) for h in TARGETS}
    assert len(set(versions.values())) == len(TARGETS)  # same rows, same training: still one per horizon
    # retrained identically: the same version for every horizon
    assert {h: model_version_for("lightgbm", frame.copy(), h, dict(identity)) for h in TARGETS} == versions
    # a horizon's own hyperparameters and target are in its identity, the other horizons' are not
    tuned = identity | {"training": {"rounds": 300}}
    assert model_version_for("lightgbm", frame, 24, tuned) != versions[24]
    other_target = frame.assign(**{TARGETS[24]: 5.0})
    assert model_version_for("lightgbm", other_target, 24, identity) != versions[24]
    assert model_version_for("lightgbm", other_target, 6, identity) == versions[6]
