"""Exactly once from a real Kafka broker (KRaft, started by scripts/kafka.sh on loopback): events
produced by ais-ingest's Kafka sink reach bronze once across a stop between the table commit and
the checkpoint commit, and a replay of the whole topic from the start changes nothing.

Under scripts/test_stack.sh (AIS_TEST_STACK_ENV, `make test`) the broker is the run's shared one;
the topics have a prefix of this test's own either way, so no other suite's topic is read.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.pipeline import parse_env_lines
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.spark, pytest.mark.native]
KAFKA_SH = PROJECT_ROOT / "scripts" / "kafka.sh"
INGEST = PROJECT_ROOT / "build" / "native" / "ais-ingest"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    shared = os.environ.get("AIS_TEST_STACK_ENV")
    if shared:
        servers = parse_env_lines(Path(shared).read_text()).get("KAFKA_BOOTSTRAP_SERVERS")
        if not servers:
            pytest.fail(f"AIS_TEST_STACK_ENV={shared} names no KAFKA_BOOTSTRAP_SERVERS")
        yield servers
        return
    port = _free_port()
    started = subprocess.run([str(KAFKA_SH), "start", "--port", str(port), "--owner-pid", str(os.getpid())],
                             capture_output=True, text=True, check=False)
    if started.returncode != 0:
        pytest.fail(f"scripts/kafka.sh could not start a broker: {started.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(KAFKA_SH), "stop", "--port", str(port), "--purge"], capture_output=True, check=False)


def _ingest(settings: Settings, env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run([str(INGEST), *args, "--config", str(settings.path)], capture_output=True, text=True,
                         check=False, env=os.environ | env)
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _produce(settings: Settings, env: dict[str, str], start: str, end: str) -> int:
    summary = _ingest(settings, env, "openaq", "--mode", "simulate", "--start", start, "--end", end,
                      "--stations", "2", "--sink", "kafka",
                      "--state-dir", str(settings.runtime_path("ingest_state_dir")))
    return int(summary["events_written"])


def _bronze(spark: Any, settings: Settings) -> dict[str, float | None]:
    rows = spark.table(tables.OPENAQ_BRONZE.qualified(settings.catalog_name)).select(
        "event_id", "value", "input_file").collect()
    ids = [r.event_id for r in rows]
    assert len(ids) == len(set(ids)), "an event is in bronze more than once"
    topic = settings.require("kafka.topics.openaq")
    assert all(r.input_file.startswith(f"kafka:{topic}:") for r in rows)
    return {r.event_id: r.value for r in rows}


def _snapshots(spark: Any, settings: Settings) -> list[int]:
    q = f"SELECT snapshot_id FROM {tables.OPENAQ_BRONZE.qualified(settings.catalog_name)}.snapshots"
    return sorted(r[0] for r in spark.sql(q).collect())


def test_kafka_to_bronze_exactly_once(spark: Any, spark_settings: Callable[..., Settings], bootstrap: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:10]}."}
    settings = spark_settings(**env)
    assert settings.require("kafka.topics.openaq") == env["KAFKA_TOPIC_PREFIX"] + "openaq-hourly"
    _ingest(settings, env, "topics", "--create")
    produced = _produce(settings, env, "2026-10-01T00:00:00Z", "2026-10-01T12:00:00Z")
    assert produced >= 22  # 2 stations x 12 h, a few simulated outages allowed

    def crash(where: str, batch_id: int) -> None:
        if where == "after_merge" and batch_id == 0:
            raise RuntimeError("injected after the table commit")

    with pytest.raises(Exception, match="injected after the table commit"):
        run_bronze(JobContext("bronze", settings, spark), "openaq", fault=crash)
    first = _bronze(spark, settings)
    assert len(first) == produced
    again = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (again["batches"], again["output_count"]) == (1, 0)  # the batch replays and writes nothing
    assert _bronze(spark, settings) == first

    more = _produce(settings, env, "2026-10-01T12:00:00Z", "2026-10-01T18:00:00Z")
    assert run_bronze(JobContext("bronze", settings, spark), "openaq")["output_count"] == more
    everything = _bronze(spark, settings)
    assert len(everything) == produced + more

    history = _snapshots(spark, settings)
    shutil.rmtree(settings.runtime_path("checkpoint_base"))
    replay = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (replay["input_count"], replay["output_count"]) == (produced + more, 0)
    assert _snapshots(spark, settings) == history
    assert _bronze(spark, settings) == everything
