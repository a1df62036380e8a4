"""The chain of AIS, declared once: every step names what it reads and what it writes.

Spark jobs are declared in the job registry (:mod:`ais.spark.jobs.registry`, ``JobDef.inputs`` and
``outputs``); the steps outside Spark are declared here: ``ais-ingest`` onto the bus, training,
promotion and inference. Every order is derived from these declarations, none is kept by hand:

- ``ais demo`` runs the steps that produce the serving features and the training dataset, in
  dependency order (:func:`ais.pipeline.run_chain`);
- ``ais ml backtest`` runs the steps its replayed source reaches, up to master gold;
- the Airflow DAGs wire their tasks from ``airflow/dags/ais_chain.json``, this declaration written
  by ``ais chain --write`` (DAG files cannot import ``ais``); a test fails when the committed file
  differs from the registry.

Names that are not Iceberg tables: ``bus:<source>`` (the source's Kafka topic, or its landing
folder in the embedded profile), ``cassandra:<keyspace.table>``, ``iceberg:tables`` (every table
created or evolved).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ais.config import ConfigError, Settings

# weather-vc: the Visual Crossing history, replayed only (ais ml backtest --weather-dir)
# weather-forecast: WeatherAPI forecast.json, live (hourly)
INGEST_SOURCES = ("openaq", "weather", "sentinel5p", "maiac", "era5", "weather-vc", "weather-forecast")
# Sources with no live adapter: only a replay feeds them (the backtest's --weather-dir), so no
# scheduled task runs them or what they alone feed; master gold uses their rows where they exist and
# ERA5 / the WeatherAPI proxy have no value, and does without them in production.
REPLAY_ONLY_SOURCES = ("weather-vc",)
AIRFLOW_CHAIN = Path("airflow") / "dags" / "ais_chain.json"


@dataclass(frozen=True)
class Node:
    name: str
    kind: str  # ingest (ais-ingest), spark (ais job), ml (ais train|promote|predict)
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    windowed: bool  # takes --start-date/--end-date (ingest: --start/--end)


def _ml_nodes() -> tuple[Node, ...]:
    from ais import tables

    return (
        Node("train", "ml", (tables.TRAINING_GOLD.identifier,), (tables.MODEL_RUNS.identifier,), False),
        Node("promote", "ml", (tables.MODEL_RUNS.identifier,), (tables.MODEL_REGISTRY.identifier,), False),
        Node("predict", "ml", (tables.SERVING_GOLD.identifier, tables.SERVING_EXTRA_GOLD.identifier,
                               tables.MODEL_REGISTRY.identifier),
             (tables.PREDICTIONS.identifier, tables.FORECAST_INTERVALS.identifier), False),
    )


def nodes() -> dict[str, Node]:
    """Every declared step, in declaration order (ingest, the job registry, ML)."""
    from ais.spark.jobs.registry import JOBS, takes_window

    # every source also writes its dead letters to the dlq bus (the ais-dlq topic or landing folder)
    out = [Node(f"ingest-{s}", "ingest", (), (f"bus:{s}", "bus:dlq"), True) for s in INGEST_SOURCES]
    out += [Node(j.name, "spark", j.inputs, j.outputs, takes_window(j)) for j in JOBS.values()]
    out += _ml_nodes()
    return {n.name: n for n in out}


def _select(names: Iterable[str]) -> list[Node]:
    declared = nodes()
    unknown = sorted(set(names) - set(declared))
    if unknown:
        raise ConfigError(f"not a declared step: {unknown}")
    wanted = set(names)
    return [n for n in declared.values() if n.name in wanted]


def order(names: Iterable[str]) -> list[str]:
    """``names`` in dependency order: a step comes after every step among ``names`` that writes
    one of its inputs; otherwise declaration order. A cycle is a ConfigError."""
    selected = _select(names)
    after = {n.name: {m.name for m in selected if m is not n and set(m.outputs) & set(n.inputs)}
             for n in selected}
    done: list[str] = []
    while len(done) < len(selected):
        ready = [n.name for n in selected if n.name not in done and after[n.name] <= set(done)]
        if not ready:
            raise ConfigError(f"the declared chain has a cycle among {sorted(set(after) - set(done))}")
        done.append(ready[0])
    return done


def producers(table: str, declared: dict[str, Node] | None = None) -> list[str]:
    """The steps that write ``table`` (among ``declared``, default every declared step)."""
    return [n.name for n in (declared or nodes()).values() if table in n.outputs]


def upstream(targets: Iterable[str]) -> list[str]:
    """``targets`` and every step they need, transitively, in dependency order."""
    declared = nodes()
    needed: set[str] = set()
    pending = list(targets)
    _select(pending)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        for table in declared[name].inputs:
            pending += [p for p in producers(table, declared) if p not in needed]
    return order(needed)


def replay_only(step: str) -> bool:
    """Whether every source ``step`` depends on (itself included, for an ingest step) is one of
    :data:`REPLAY_ONLY_SOURCES`: such a step runs in a replay, never on a schedule."""
    sources = [n for n in upstream([step]) if nodes()[n].kind == "ingest"]
    return bool(sources) and all(n.removeprefix("ingest-") in REPLAY_ONLY_SOURCES for n in sources)


def reachable(start: Iterable[str], target: str) -> list[str]:
    """The steps of ``upstream([target])`` that can run when only ``start`` (tables or bus names)
    hold data: a step runs when all its inputs are reachable; ``target`` always runs, on what
    reached it. In dependency order, without ingest."""
    declared = nodes()
    have = set(start)
    out: list[str] = []
    for name in upstream([target]):
        node = declared[name]
        if node.kind == "ingest":
            continue
        if name == target or (node.inputs and set(node.inputs) <= have):
            out.append(name)
            have |= set(node.outputs)
    return out


def document() -> dict[str, Any]:
    """The declaration as data, for the Airflow DAGs (``airflow/dags/ais_chain.json``)."""
    return {"about": "generated by `ais chain --write` from the job registry (src/ais/chain.py); do not edit",
            "jobs": {n.name: {"kind": n.kind, "inputs": list(n.inputs), "outputs": list(n.outputs),
                              "windowed": n.windowed} for n in nodes().values()}}


def render() -> str:
    return json.dumps(document(), indent=2) + "\n"


def _chain(settings: Settings, args: argparse.Namespace) -> int:
    from ais.output import print_json

    path = settings.project_root / AIRFLOW_CHAIN
    if args.write:
        path.write_text(render())
        print_json({"written": str(path), "steps": len(document()["jobs"])})
        return 0
    if args.check:
        current = path.read_text() if path.is_file() else ""
        if current != render():
            print_json({"status": "stale", "file": str(path), "hint": "run `ais chain --write`"})
            return 3
        print_json({"status": "success", "file": str(path)})
        return 0
    if args.upstream:
        print_json({"order": upstream(args.upstream)})
        return 0
    print_json(document())
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("chain", help="the declared chain: which step reads and writes which table")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {AIRFLOW_CHAIN} (the DAGs' copy)")
    mode.add_argument("--check", action="store_true", help=f"exit 3 when {AIRFLOW_CHAIN} is stale")
    mode.add_argument("--upstream", nargs="+", metavar="STEP", help="print STEP and what it needs, in order")
    p.set_defaults(func=_chain)
