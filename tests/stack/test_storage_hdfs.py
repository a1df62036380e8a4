"""ais.storage and model artifacts on the real NameNode and DataNode of the stack: what AIS writes
through hdfs-native is what Hadoop's own FsShell and WebHDFS read, and the other way round."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ais import storage
from ais.config import Settings
from ais.ml.artifacts import ArtifactError, artifact_exists, artifact_root, horizon_dir, read_artifact, write_atomically
from tests.conftest import PROJECT_ROOT
from tests.stack.conftest import Stack

pytestmark = pytest.mark.stack


def test_files_round_trip_with_hadoops_own_clients(stack: Stack, tmp_path: Path) -> None:
    base = f"{stack.namenode}/tests/storage-{os.getpid()}"
    storage.remove(base, recursive=True)
    payload = os.urandom(3 << 20) + b"end"
    storage.write_bytes(f"{base}/a/blob.bin", b"first")
    storage.write_bytes(f"{base}/a/blob.bin", payload)  # atomically over the first
    assert storage.read_bytes(f"{base}/a/blob.bin") == payload
    assert storage.size(f"{base}/a/blob.bin") == len(payload)
    assert storage.list_files(base) == [f"{base}/a/blob.bin"]  # the temporary name is gone

    # Hadoop's FsShell reads what hdfs-native wrote, byte for byte
    cat = subprocess_out(stack, "fs", "-cat", f"{base}/a/blob.bin")
    assert hashlib.sha256(cat).hexdigest() == hashlib.sha256(payload).hexdigest()

    # and hdfs-native reads what FsShell wrote
    local = tmp_path / "put.bin"
    local.write_bytes(payload[::-1])
    subprocess_out(stack, "fs", "-mkdir", "-p", f"{base}/b")
    subprocess_out(stack, "fs", "-put", "-f", str(local), f"{base}/b/put.bin")
    storage.get_file(f"{base}/b/put.bin", tmp_path / "got.bin")
    assert (tmp_path / "got.bin").read_bytes() == payload[::-1]

    # WebHDFS lists both
    listing = httpx.get(f"{stack.env['HDFS_WEBHDFS_BASE']}/tests/storage-{os.getpid()}/a", params={"op": "LISTSTATUS"})
    assert listing.status_code == 200
    assert [(s["pathSuffix"], s["length"]) for s in listing.json()["FileStatuses"]["FileStatus"]] == [
        ("blob.bin", len(payload))]
    storage.remove(base, recursive=True)
    assert not storage.exists(base)


def subprocess_out(stack: Stack, *args: str) -> bytes:
    """Run Hadoop's own FsShell (scripts/hdfs.sh fs) against the stack; its stdout."""
    done = subprocess.run([str(PROJECT_ROOT / "scripts" / "hdfs.sh"), *args],
                          capture_output=True, check=False, env=os.environ | stack.script_env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_model_artifacts_live_on_hdfs(stack: Stack, stack_settings: Callable[..., Settings]) -> None:
    settings = stack_settings()
    root = artifact_root(settings)
    assert root == f"{settings.runtime('model_artifact_base_uri')}/hanoi_pm25"
    assert root.startswith(stack.namenode)
    model = storage.join(horizon_dir(root, "fv1", "lightgbm-0123", 6), "model.txt")
    write_atomically(model, b"tree 1\n")
    assert artifact_exists(model) and read_artifact(model) == b"tree 1\n"
    assert not artifact_exists(model + ".gone")
    with pytest.raises(ArtifactError, match="artifact missing"):
        read_artifact(model + ".gone")
