"""Files by URI, whatever store holds them: the one way AIS code outside Spark reads and writes
shared files (model artifacts, raw downloads, ARL met files) and the PyIceberg FileIO of an HDFS
warehouse.

- a plain path or ``file://`` URI: the local file system (the embedded profile);
- ``hdfs://host:port/...`` (and ``viewfs://``): HDFS through ``hdfs-native``, a Rust client of the
  NameNode and DataNode protocols: no JVM and no Hadoop install in the ML, API or check images.
  (pyarrow's HadoopFileSystem would need libjvm plus libhdfs from a Hadoop binary tarball.)

Every store is reached through fsspec, so callers never branch on the scheme. Writes are atomic:
a file is written under a temporary name beside its target and renamed over it (a rename is atomic
on a local file system and on the NameNode), so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import ParseResult, unquote, urlparse, urlsplit

from pyiceberg.io.fsspec import FsspecFileIO

from ais.errors import StorageError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

HDFS_SCHEMES = frozenset({"hdfs", "viewfs"})
LOCAL_SCHEMES = frozenset({"", "file"})
COPY_CHUNK = 8 << 20


def scheme(uri: str) -> str:
    return urlsplit(uri).scheme if "://" in uri else ""


def is_local(uri: str) -> bool:
    return scheme(uri) in LOCAL_SCHEMES


def local_path(uri: str) -> Path:
    """The local path of a plain path or ``file://`` URI (a remote URI is an error)."""
    if "://" not in uri:
        return Path(uri)
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise StorageError(f"not a local path: {uri}")
    if parts.netloc not in ("", "localhost"):
        raise StorageError(f"file:// URI with a host is not supported: {uri}")
    return Path(unquote(parts.path))


def to_uri(path_or_uri: str | Path) -> str:
    """A URI for a local path (absolute ``file://``) or the URI itself."""
    text = str(path_or_uri)
    if "://" in text:
        return text
    return Path(text).resolve().as_uri()


def join(base: str, *parts: str) -> str:
    """``base`` (a path or URI) with ``parts`` appended, separated by one slash."""
    out = base.rstrip("/") if base not in ("/", "") else base
    for part in parts:
        part = part.strip("/")
        if part:
            out = f"{out}/{part}" if out not in ("", "/") else f"{out}{part}"
    return out


@lru_cache(maxsize=16)
def _hdfs(protocol: str, host: str | None, port: int | None) -> AbstractFileSystem:
    from hdfs_native.fsspec import HdfsFileSystem, ViewfsFileSystem

    cls = HdfsFileSystem if protocol == "hdfs" else ViewfsFileSystem
    return cls(host=host, port=port)


def filesystem(uri: str) -> tuple[AbstractFileSystem, str]:
    """The fsspec file system holding ``uri`` and the path to give it."""
    kind = scheme(uri)
    if kind in LOCAL_SCHEMES:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), str(local_path(uri))
    if kind in HDFS_SCHEMES:
        parts = urlsplit(uri)
        if kind == "hdfs" and not parts.hostname:
            raise StorageError(f"an hdfs:// URI needs the NameNode host: {uri}")
        return _hdfs(kind, parts.hostname, parts.port), unquote(parts.path) or "/"
    raise StorageError(f"storage scheme {kind!r} is not supported (local paths, file:// and "
                       f"hdfs:// are): {uri}")


def exists(uri: str) -> bool:
    fs, path = filesystem(uri)
    return bool(fs.exists(path))


def is_file(uri: str) -> bool:
    fs, path = filesystem(uri)
    return bool(fs.isfile(path))


def size(uri: str) -> int:
    fs, path = filesystem(uri)
    return int(fs.info(path)["size"])


def read_bytes(uri: str) -> bytes:
    fs, path = filesystem(uri)
    try:
        with fs.open(path, "rb") as handle:
            data: bytes = handle.read()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no such file: {uri}") from exc
    return data


def _tmp_name(path: str) -> str:
    head, _, name = path.rpartition("/")
    return f"{head}/.{name}.{uuid.uuid4().hex[:12]}.tmp"


def _commit(fs: AbstractFileSystem, tmp: str, path: str, local: bool) -> None:
    if local:
        os.replace(tmp, path)
    else:
        fs.mv(tmp, path, overwrite=True)


def _parent(fs: AbstractFileSystem, path: str) -> None:
    parent = path.rpartition("/")[0]
    if parent:
        fs.makedirs(parent, exist_ok=True)


def write_bytes(uri: str, data: bytes) -> None:
    """Write ``data`` to ``uri`` atomically (temporary name, then rename over the target)."""
    fs, path = filesystem(uri)
    _parent(fs, path)
    tmp = _tmp_name(path)
    try:
        with fs.open(tmp, "wb") as handle:
            handle.write(data)
            if is_local(uri):
                handle.flush()
                os.fsync(handle.fileno())
        _commit(fs, tmp, path, is_local(uri))
    except BaseException:
        _discard(fs, tmp)
        raise


def put_file(local: str | Path, uri: str) -> None:
    """Copy a local file to ``uri`` atomically."""
    fs, path = filesystem(uri)
    _parent(fs, path)
    tmp = _tmp_name(path)
    try:
        with open(local, "rb") as src, fs.open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, COPY_CHUNK)
        _commit(fs, tmp, path, is_local(uri))
    except BaseException:
        _discard(fs, tmp)
        raise


def get_file(uri: str, local: str | Path) -> None:
    """Copy ``uri`` to a local file atomically."""
    fs, path = filesystem(uri)
    target = Path(local)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with fs.open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, COPY_CHUNK)
        os.replace(tmp, target)
    except FileNotFoundError as exc:
        tmp.unlink(missing_ok=True)
        raise FileNotFoundError(f"no such file: {uri}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove(uri: str, recursive: bool = False) -> None:
    fs, path = filesystem(uri)
    if fs.exists(path):
        fs.rm(path, recursive=recursive)


def list_files(uri: str) -> list[str]:
    """Every file under ``uri`` (recursively), as URIs of the same form."""
    fs, path = filesystem(uri)
    if not fs.exists(path):
        return []
    found = sorted(str(p) for p in fs.find(path))
    if is_local(uri):
        return [str(p) if "://" not in uri else Path(p).as_uri() for p in found]
    parts = urlsplit(uri)
    return [f"{parts.scheme}://{parts.netloc}{p}" for p in found]


def _discard(fs: AbstractFileSystem, tmp: str) -> None:
    """Remove a temporary file after a failed write; the write's own error is what gets raised."""
    with contextlib.suppress(OSError, RuntimeError):
        if fs.exists(tmp):
            fs.rm(tmp)


class AisFileIO(FsspecFileIO):
    """PyIceberg's FsspecFileIO with ``hdfs://`` and ``viewfs://`` served by hdfs-native, one
    file system per NameNode (PyIceberg's own scheme table has no HDFS entry and caches one file
    system per scheme, whatever the host). Named in the catalog properties as ``py-io-impl``."""

    def _get_fs_from_uri(self, uri: ParseResult, location: str = "") -> AbstractFileSystem:
        if uri.scheme in HDFS_SCHEMES:
            return self.get_fs(uri.scheme, uri.netloc)
        return super()._get_fs_from_uri(uri, location)

    def _get_fs(self, scheme: str, hostname: str | None = None) -> AbstractFileSystem:
        if scheme in HDFS_SCHEMES:
            netloc = urlparse(f"{scheme}://{hostname or ''}/")
            return _hdfs(scheme, netloc.hostname, netloc.port)
        return super()._get_fs(scheme, hostname)


FILE_IO_IMPL = f"{AisFileIO.__module__}.{AisFileIO.__qualname__}"


def iceberg_io_properties(warehouse: str) -> dict[str, Any]:
    """The catalog properties choosing the FileIO for a warehouse URI: AisFileIO for HDFS,
    PyIceberg's default (pyarrow) for local and object stores."""
    return {"py-io-impl": FILE_IO_IMPL} if scheme(warehouse) in HDFS_SCHEMES else {}


__all__ = [
    "HDFS_SCHEMES",
    "AisFileIO",
    "StorageError",
    "exists",
    "filesystem",
    "get_file",
    "iceberg_io_properties",
    "is_file",
    "is_local",
    "join",
    "list_files",
    "local_path",
    "put_file",
    "read_bytes",
    "remove",
    "scheme",
    "size",
    "to_uri",
    "write_bytes",
]
