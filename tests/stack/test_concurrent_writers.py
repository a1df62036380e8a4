"""Writers that commit to one Iceberg table at the same moment (issue 16): the predict CronJob and
the Airflow task both write the prediction table; PyIceberg writers (ais.iceberg_io.merge_rows) on
the production catalog (PostgreSQL), two and then five at once, on overlapping
keys. No writer fails, no key is lost, none is written twice, and every key holds a value one of
its writers wrote. Five writers run 20 rounds, not 50: every round they all write the same hot
key, so the commits serialise and 50 rounds take minutes on two cores."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ais.catalog import ensure_tables, load_catalog
from ais.iceberg_io import merge_rows, read_rows
from ais.tables import C, TableSpec
from tests.stack.conftest import Stack

ROUNDS = {2: 50, 5: 20}
KEYS = 24


def probe_spec(name: str) -> TableSpec:
    return TableSpec("audit", name, (C("k", "long", True), C("writer", "int"), C("round", "int"),
                                     C("value", "double")), merge_keys=("k",))


@pytest.mark.parametrize("writers", [2, 5])
def test_concurrent_merges_lose_nothing(stack: Stack, tmp_path: Path, writers: int) -> None:
    # the PostgreSQL catalog of the stack, data files on local disk (the commit protocol is what
    # is tested; HDFS round trips would only make the test slower)
    settings = stack.settings(ICEBERG_WAREHOUSE=str(tmp_path / "warehouse"))
    spec = probe_spec(f"concurrency_probe_{writers}")
    ensure_tables(settings, load_catalog(settings), [spec])
    inserted = [0] * writers
    errors: list[str] = []
    written: dict[int, set[float]] = {}
    lock = threading.Lock()
    start = threading.Barrier(writers)

    def writer(w: int) -> None:
        catalog = load_catalog(settings, create=False)
        start.wait(timeout=60)
        for r in range(ROUNDS[writers]):
            keys = sorted({r % KEYS, (r + 1) % KEYS, (r * 7 + w * 5) % KEYS})
            rows = [{"k": k, "writer": w, "round": r, "value": float(w * 1000 + r)} for k in keys]
            with lock:
                for k in keys:
                    written.setdefault(k, set()).add(float(w * 1000 + r))
            try:
                inserted[w] += merge_rows(catalog, spec, rows).inserted
            except Exception as exc:  # noqa: BLE001 (collected and asserted below)
                errors.append(f"writer {w} round {r}: {exc!r}")
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors[:3]
    rows = read_rows(load_catalog(settings, create=False).load_table(spec.identifier))
    keys = [r["k"] for r in rows]
    assert len(keys) == len(set(keys)), "a key was written twice"
    assert set(keys) == set(written), "a key was lost"
    assert sum(inserted) == len(written), "two writers both inserted one key"
    for row in rows:
        assert row["value"] in written[row["k"]]
        assert row["value"] == float(row["writer"] * 1000 + row["round"])
