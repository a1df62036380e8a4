"""Running the C ingest, ``ais-ingest`` (build/native), from Python: one source over a window in
simulate, replay or live mode onto the bus (Kafka topics when runtime.kafka_bootstrap_servers is
set, else the landing folder), and the Kafka topics it needs. Each call returns the binary's
one-line JSON summary; a failed run is a JobError with the end of its stderr. The child logs the
way this process does (``--log-format``): in the human format its JSON lines go to its own file
under var/log and its stderr holds text; in the json format (a library import, a pod, an Airflow
task) its stderr holds the JSON lines.

Used by ``ais demo`` (ais.pipeline), the backtest's replay (ais.ml.backtest) and the ingest tests.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ais.config import Settings
from ais.errors import JobError
from ais.jsonlog import get_logger, human_mode
from ais.timeutil import iso_z

if TYPE_CHECKING:
    from ais.simulated_providers import SimulatedProviders

log = get_logger("pipeline")  # ingest_done, topics_ready: the events ais demo always logged
INGEST_BINARY = Path("build") / "native" / "ais-ingest"


def _ingest_binary(settings: Settings) -> Path:
    binary = settings.project_root / INGEST_BINARY
    if not binary.is_file():
        raise JobError(f"{binary} is missing: run `make build` first")
    return binary


def _run_ingest_command(settings: Settings, args: list[str],
                        extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """``ais-ingest ARGS`` with the settings of this process (and ``extra_env`` over them); its
    last stdout line (JSON)."""
    log_format = "human" if human_mode() else "json"
    cmd = [str(_ingest_binary(settings)), *args, "--config", str(settings.path), "--log-format", log_format]
    env = settings.child_environ() | (extra_env or {})
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise JobError(f"ais-ingest {args[0]} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


def uses_kafka(settings: Settings) -> bool:
    """The bus: Kafka when runtime.kafka_bootstrap_servers is set, else the landing folder."""
    return bool(settings.runtime("kafka_bootstrap_servers").strip())


def ensure_topics(settings: Settings) -> dict[str, Any]:
    """Create the configured Kafka topics that are missing (``ais-ingest topics --create``)."""
    summary = _run_ingest_command(settings, ["topics", "--create"])
    log.info("topics_ready", topics=[t.get("topic") for t in summary.get("topics", [])])
    return summary


def run_ingest(settings: Settings, source: str, mode: str, start: dt.datetime, end: dt.datetime,
               replay_dir: Path | None = None, providers: SimulatedProviders | None = None) -> dict[str, Any]:
    """Run ``ais-ingest <source> --mode <mode>`` (simulate, replay of the files under
    ``replay_dir``, or live against ``providers``, the simulated APIs) onto the bus (Kafka topics
    or the landing folder); returns its one-line JSON summary."""
    args = [source, "--mode", mode, "--start", iso_z(start), "--end", iso_z(end),
            "--state-dir", str(settings.runtime_path("ingest_state_dir"))]
    if providers is not None:
        args += ["--provider", "simulated"]
    if uses_kafka(settings):
        args += ["--sink", "kafka"]
    else:
        args += ["--sink", "landing", "--landing-dir", str(settings.runtime_path("landing_dir"))]
    if replay_dir is not None:
        args += ["--replay-dir", str(replay_dir)]
    summary = _run_ingest_command(settings, args, providers.environ() if providers is not None else None)
    log.info("ingest_done", **{k: v for k, v in summary.items() if k != "rejected_by_reason"})
    return summary
