"""Ten promotions of different model runs for one horizon at the same moment, on the production
catalog (PostgreSQL): every promotion reads the registry, all ten decide on the same snapshot
(a barrier holds them between read and write), then they commit. A commit counts only if the
table is still at the snapshot its promotion read; the others start again from a fresh read.
The end: exactly one production row, and the promotions form one chain (each archived a
different predecessor), so no update was lost and the logs say which won."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from ais.catalog import ensure_tables, load_catalog
from ais.config import load_settings
from ais.iceberg_io import merge_rows, read_rows
from ais.tables import MODEL_REGISTRY, MODEL_RUNS
from tests.conftest import CONFIG_PATH
from tests.stack.conftest import Stack

N = 10


def _promote_after_barrier(environ: dict[str, str], run_id: str, barrier: Any, out: Any) -> None:
    """A worker process: promote ``run_id``; the first plan waits at ``barrier`` so that every
    worker has read the registry before any commits."""
    from ais.ml import registry

    settings = load_settings(CONFIG_PATH, environ=environ)
    plan_promotion = registry.plan_promotion
    waited = False

    def plan_after_everyone_read(*args: Any, **kwargs: Any) -> Any:
        nonlocal waited
        if not waited:
            waited = True
            barrier.wait(timeout=120)
        return plan_promotion(*args, **kwargs)

    registry.plan_promotion = plan_after_everyone_read  # type: ignore[assignment]
    try:
        fields = registry.promote(settings, run_id, "hanoi", 6, settings.feature_version, promoted_by=f"w-{run_id}")
        out.put((run_id, "ok", fields))
    except Exception as exc:  # noqa: BLE001 (reported to the test, which fails on it)
        out.put((run_id, "error", repr(exc)))


def test_concurrent_promotions_leave_one_production_row(stack: Stack, tmp_path: Path) -> None:
    settings, environ = stack.isolated_environ()
    catalog = load_catalog(settings)
    ensure_tables(settings, catalog, [MODEL_RUNS, MODEL_REGISTRY])
    runs = []
    for i in range(N):
        artifact = tmp_path / f"v{i}" / "model.txt"
        artifact.parent.mkdir()
        artifact.write_text("tree\n")
        runs.append({"model_run_id": f"run-{i}", "model_version": f"v{i}", "horizon_hour": 6, "location_id": "hanoi",
                     "model_type": "lightgbm", "artifact_uri": str(artifact),
                     "feature_version": settings.feature_version,
                     "feature_set_name": settings.feature_set_name, "dataset_version": settings.dataset_version,
                     "feature_schema_hash": "H", "mae": 4.0, "rmse": 5.0, "mape": 10.0,
                     "skill_vs_persistence": 0.25, "status": "trained"})
    merge_rows(catalog, MODEL_RUNS, runs)

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(N), ctx.Queue()
    workers = [ctx.Process(target=_promote_after_barrier, args=(environ, f"run-{i}", barrier, out)) for i in range(N)]
    for w in workers:
        w.start()
    results = [out.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    errors = [r for r in results if r[1] != "ok"]
    assert not errors, errors
    fields = {run_id: f for run_id, _, f in results}

    rows = read_rows(load_catalog(settings).load_table(MODEL_REGISTRY.identifier))
    production = [r for r in rows if r["status"] == "production"]
    assert len(production) == 1, production
    assert sorted(r["status"] for r in rows) == ["archived"] * (N - 1) + ["production"]
    winner = production[0]["model_version"]
    # one chain: each promotion replaced a different predecessor, the first replaced nothing, and
    # the winner is the one no promotion replaced
    previous = [f["previous_production_model_version"] for f in fields.values()]
    assert previous.count(None) == 1
    replaced = {p for p in previous if p is not None}
    assert len(replaced) == N - 1
    assert {f"v{i}" for i in range(N)} - replaced == {winner}
    # all ten read the same (empty) registry, so all but the first to commit met a conflict
    attempts = sorted(f["commit_attempts"] for f in fields.values())
    assert attempts[0] == 1 and attempts[1] >= 2 and sum(attempts) >= 2 * N - 1
    assert all(f["promotion_action"] == "promote" and f["rows_written"] >= 1 for f in fields.values())
