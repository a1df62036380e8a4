"""Every step master gold needs, transitively, is run by a task of a scheduled DAG (not only by a
manual one), in both runtimes: the declared chain (ais.chain) against the DAGs as Airflow parses
them. A table master gold reads that no scheduled task fills would stay empty in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ais import chain
from tests.deploy.airflow_env import probe

INTERVAL_END = "2026-11-02T00:20:00+00:00"
IMAGES = {"AIS_SPARK_IMAGE": "registry.example/ais-spark-runtime:1",
          "AIS_ML_IMAGE": "registry.example/ais-ml-runtime:1"}


def task_steps(argv: list[str]) -> set[str]:
    """The declared steps one command runs: ``ais job TYPE``, ``submit_spark_k8s.sh TYPE``,
    ``ais-ingest SOURCE --mode live``."""
    found: set[str] = set()
    for i, token in enumerate(argv[:-1]):
        name = Path(token).name
        if name == "ais" and argv[i + 1] == "job" and i + 2 < len(argv):
            found.add(argv[i + 2])
        elif name == "submit_spark_k8s.sh":
            found.add(argv[i + 1])
        elif name == "ais-ingest" and "live" in argv[i + 2:]:
            found.add(f"ingest-{argv[i + 1]}")
    return found


def scheduled_steps(result: dict[str, Any]) -> dict[str, set[str]]:
    """Step -> the scheduled DAGs whose tasks run it."""
    out: dict[str, set[str]] = {}
    for dag_id, dag in result["dags"].items():
        if dag["schedule"] in (None, "None"):
            continue
        for task in dag["tasks"].values():
            commands = list(task.get("commands") or [])
            kube = task.get("kubernetes")
            if kube:
                commands.append([*(kube["command"] or []), *(kube["args"] or [])])
            for argv in commands:
                for step in task_steps([str(a) for a in argv]):
                    out.setdefault(step, set()).add(dag_id)
    return out


@pytest.mark.parametrize("runtime", ["local", "k8s"])
def test_what_master_gold_needs_is_scheduled(runtime: str, tmp_path: Path) -> None:
    result = probe(tmp_path, {}, INTERVAL_END, AIS_RUNTIME=runtime, **(IMAGES if runtime == "k8s" else {}))
    assert not result["import_errors"], result["import_errors"]
    scheduled = scheduled_steps(result)
    needed = chain.upstream(["hanoi-master-features-gold"])
    # a replay-only source (chain.REPLAY_ONLY_SOURCES) and what it alone feeds have no schedule
    replayed = [s for s in needed if chain.replay_only(s)]
    assert replayed == ["ingest-weather-vc", "bronze-weather-vc", "weather-history-vc-silver"], replayed
    assert not set(replayed) & set(scheduled), replayed
    missing = [s for s in needed if s not in scheduled and s not in replayed]
    assert not missing, f"{runtime}: no scheduled task runs {missing} (master gold reads what they write)"
    # and the tables master gold reads, one by one, have a scheduled producer (or a replayed one)
    for table in chain.nodes()["hanoi-master-features-gold"].inputs:
        assert any(p in scheduled or p in replayed for p in chain.producers(table)), table
