"""Where model artifacts live (CONTRACTS.md §3):

    MODEL_ARTIFACT_BASE_URI/hanoi_pm25/{feature_version}/{model_version}/horizon={h}/model.<ext>
    .../feature_importance.csv, .../model_meta.json

Only local paths and ``file://`` URIs are supported for now; any other scheme (hdfs://, s3://) is a
clear error rather than a silent write to the pod's ephemeral disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ais.config import Settings

ARTIFACT_PREFIX = "hanoi_pm25"


class ArtifactError(ValueError):
    """An artifact location is unsupported or unusable."""


def local_path(uri_or_path: str) -> Path:
    """The local file system path of a plain path or a ``file://`` URI."""
    if "://" not in uri_or_path:
        return Path(uri_or_path)
    parts = urlsplit(uri_or_path)
    if parts.scheme != "file":
        raise ArtifactError(f"artifact storage scheme {parts.scheme!r} is not supported yet "
                            f"(use a local path or file://): {uri_or_path}")
    if parts.netloc not in ("", "localhost"):
        raise ArtifactError(f"file:// URI with a host is not supported: {uri_or_path}")
    return Path(unquote(parts.path))


def to_uri(path: Path) -> str:
    return path.resolve().as_uri()


def artifact_root(settings: Settings, output_dir: str | None = None) -> Path:
    """The ``hanoi_pm25`` folder under the artifact base: ``output_dir`` if given, else
    runtime.model_output_dir if set, else runtime.model_artifact_base_uri.

    An override may name the base itself or the base's ``hanoi_pm25`` folder (the seed's example
    passes ``$MODEL_ARTIFACT_BASE_URI/hanoi_pm25``); both give the same layout."""
    base = output_dir or settings.runtime("model_output_dir") or settings.runtime("model_artifact_base_uri")
    if not base:
        raise ArtifactError("no artifact location: runtime.model_artifact_base_uri is empty")
    path = Path(settings.resolve_path(str(local_path(base)) if "://" in base else base))
    return path if path.name == ARTIFACT_PREFIX else path / ARTIFACT_PREFIX


def horizon_dir(root: Path, feature_version: str, model_version: str, horizon_hour: int) -> Path:
    return root / feature_version / model_version / f"horizon={horizon_hour}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file under a temporary name and rename it, so a reader never sees half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
