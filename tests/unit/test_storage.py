"""ais.storage on the local file system: URIs, atomic writes, copies, listings, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ais import storage


def test_join_and_uris(tmp_path: Path) -> None:
    assert storage.join("hdfs://nn:8020/ais/", "warehouse", "/raw/", "era5") == "hdfs://nn:8020/ais/warehouse/raw/era5"
    assert storage.join("/var/x", "a", "", "b") == "/var/x/a/b"
    assert storage.to_uri("hdfs://nn:8020/a") == "hdfs://nn:8020/a"
    assert storage.to_uri(str(tmp_path / "m.txt")) == (tmp_path / "m.txt").as_uri()
    assert storage.local_path((tmp_path / "a b").as_uri()) == tmp_path / "a b"
    assert storage.is_local("/x") and storage.is_local("file:///x") and not storage.is_local("hdfs://nn/x")
    with pytest.raises(storage.StorageError, match="not a local path"):
        storage.local_path("hdfs://nn:8020/x")


@pytest.mark.parametrize("uri", ["s3://bucket/key", "ftp://host/x", "hdfs:///no-namenode"])
def test_unsupported_or_incomplete_uris_are_clear_errors(uri: str) -> None:
    with pytest.raises(storage.StorageError, match=r"not supported|needs the NameNode host"):
        storage.read_bytes(uri)


@pytest.mark.parametrize("as_uri", [False, True])
def test_local_round_trip(tmp_path: Path, as_uri: bool) -> None:
    def name(p: Path) -> str:
        return p.as_uri() if as_uri else str(p)

    target = tmp_path / "deep" / "er" / "file.bin"
    storage.write_bytes(name(target), b"one")
    storage.write_bytes(name(target), b"two")
    assert target.read_bytes() == b"two" and storage.read_bytes(name(target)) == b"two"
    assert storage.exists(name(target)) and storage.is_file(name(target)) and storage.size(name(target)) == 3
    assert not storage.is_file(name(target.parent))
    source = tmp_path / "src.bin"
    source.write_bytes(bytes(range(256)) * 1000)
    copy = tmp_path / "deep" / "copy.bin"
    storage.put_file(source, name(copy))
    back = tmp_path / "back" / "copy.bin"
    storage.get_file(name(copy), back)
    assert back.read_bytes() == source.read_bytes()
    assert storage.list_files(name(tmp_path / "deep")) == [name(copy), name(target)]
    assert [p.name for p in (tmp_path / "deep" / "er").iterdir()] == ["file.bin"]  # no temporary left behind
    storage.remove(name(copy))
    storage.remove(name(copy))  # already gone: nothing to do
    assert not copy.exists()
    assert storage.list_files(name(tmp_path / "nothing-here")) == []
    with pytest.raises(FileNotFoundError, match="no such file"):
        storage.read_bytes(name(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        storage.get_file(name(tmp_path / "missing"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_iceberg_file_io_is_chosen_by_the_warehouse_scheme() -> None:
    assert storage.iceberg_io_properties("hdfs://nn:8020/ais/warehouse") == {"py-io-impl": "ais.storage.AisFileIO"}
    assert storage.iceberg_io_properties("viewfs://cluster/ais") == {"py-io-impl": "ais.storage.AisFileIO"}
    assert storage.iceberg_io_properties("file:///var/warehouse") == {}
    assert storage.iceberg_io_properties("s3://bucket/warehouse") == {}


def test_file_io_keeps_one_file_system_per_namenode() -> None:
    from urllib.parse import urlparse

    io = storage.AisFileIO({})
    a = io._get_fs_from_uri(urlparse("hdfs://127.0.0.1:1/x"))
    b = io._get_fs_from_uri(urlparse("hdfs://127.0.0.1:2/x"))
    assert a is not b
    assert (a.host, a.port, b.port) == ("127.0.0.1", 1, 2)
    assert io._get_fs_from_uri(urlparse("hdfs://127.0.0.1:1/y")) is a
