"""Where model artifacts live (CONTRACTS.md §3):

    MODEL_ARTIFACT_BASE_URI/hanoi_pm25/{feature_version}/{model_version}/horizon={h}/model.<ext>
    .../feature_importance.csv, .../model_meta.json

The base is a local path, a ``file://`` URI or an ``hdfs://`` URI (the shared store of the
production profile): every read and write goes through :mod:`ais.storage`, so training, promotion,
inference and the checks do the same thing on every store.
"""

from __future__ import annotations

from ais import storage
from ais.config import Settings
from ais.errors import ArtifactError

ARTIFACT_PREFIX = "hanoi_pm25"


def artifact_root(settings: Settings, output_dir: str | None = None) -> str:
    """The ``hanoi_pm25`` folder under the artifact base (a local path or a URI): ``output_dir`` if
    given, else runtime.model_output_dir if set, else runtime.model_artifact_base_uri.

    An override may name the base itself or the base's ``hanoi_pm25`` folder (the seed's example
    passes ``$MODEL_ARTIFACT_BASE_URI/hanoi_pm25``); both give the same layout."""
    base = output_dir or settings.runtime("model_output_dir") or settings.runtime("model_artifact_base_uri")
    if not base:
        raise ArtifactError("no artifact location: runtime.model_artifact_base_uri is empty")
    try:
        if storage.is_local(base):
            base = settings.resolve_path(str(storage.local_path(base)))
        else:
            storage.filesystem(base)  # an unsupported scheme is an error now, not at the first write
    except storage.StorageError as exc:
        raise ArtifactError(str(exc)) from exc
    base = base.rstrip("/")
    return base if base.rpartition("/")[2] == ARTIFACT_PREFIX else storage.join(base, ARTIFACT_PREFIX)


def horizon_dir(root: str, feature_version: str, model_version: str, horizon_hour: int) -> str:
    return storage.join(root, feature_version, model_version, f"horizon={horizon_hour}")


def to_uri(path_or_uri: str) -> str:
    return storage.to_uri(path_or_uri)


def write_atomically(uri: str, data: bytes) -> None:
    """Write a file under a temporary name and rename it, so a reader never sees half a model."""
    storage.write_bytes(uri, data)


def read_artifact(uri: str) -> bytes:
    """The bytes of an artifact; ArtifactError when the store is unsupported or the file missing."""
    if not uri:
        raise ArtifactError("no artifact URI")
    try:
        return storage.read_bytes(uri)
    except storage.StorageError as exc:
        raise ArtifactError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise ArtifactError(f"artifact missing: {uri}") from exc


def artifact_exists(uri: str) -> bool:
    try:
        return bool(uri) and storage.is_file(uri)
    except storage.StorageError as exc:
        raise ArtifactError(str(exc)) from exc
