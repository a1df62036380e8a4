"""The production profile's servers for the tests of tests/stack/: one stack per test run, shared
by every test here (scripts/stack.sh up on free loopback ports, data under var/test-stack/ or,
for a clone the `postgres` user cannot reach, /var/tmp/ais-test-stack-*, tied to this process,
stopped and purged at the end of the run).

AIS_TEST_STACK_ENV=<file> reuses a running stack instead: the file holds `scripts/stack.sh env`
output (tests then create their own catalogs and HDFS folders in it and leave the servers alone).
A file written by scripts/test_stack.sh (`make test`) also holds the stack's folder and ports and
AIS_TEST_STACK_OWNED=1: that stack belongs to this run, and the fault tests may stop and restart
its servers.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ais.catalog import ensure_tables, spark_catalog_conf
from ais.config import Settings, load_settings
from ais.pipeline import parse_env_lines
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env

STACK_SH = PROJECT_ROOT / "scripts" / "stack.sh"
PORT_VARS = ("AIS_PG_PORT", "AIS_HDFS_RPC_PORT", "AIS_HDFS_HTTP_PORT", "AIS_HDFS_DN_PORT", "AIS_HDFS_DN_HTTP_PORT",
             "AIS_HDFS_DN_IPC_PORT", "AIS_KAFKA_PORT", "AIS_CASSANDRA_CQL_PORT", "AIS_CASSANDRA_STORAGE_PORT",
             "AIS_CASSANDRA_SSL_STORAGE_PORT", "AIS_CASSANDRA_JMX_PORT")


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports, none of them next to another (Kafka's controller takes the
    port after the broker's when it is free)."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
            port = int(s.getsockname()[1])
            if all(abs(port - p) > 1 for p in ports):
                ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


@dataclass
class Stack:
    """A running stack: its endpoints, and how to run scripts/stack.sh (and the servers' own
    scripts) against it."""

    env: dict[str, str]  # the endpoints, `scripts/stack.sh env`
    script_env: dict[str, str]  # AIS_STACK_DIR and the ports, for the servers' scripts
    owned: bool  # started by this test run (fault tests may stop and restart its servers)

    def run(self, script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PROJECT_ROOT / "scripts" / script), *args], capture_output=True, text=True,
                              check=False, env=os.environ | self.script_env, timeout=timeout)

    @property
    def namenode(self) -> str:
        return self.env["HDFS_NAMENODE"]

    def settings(self, **extra: str) -> Settings:
        """Settings of the production profile with a catalog, HDFS folders and Kafka topics of their
        own: a fresh catalog name (its rows in the shared PostgreSQL database), warehouse, and a
        topic prefix on the shared broker."""
        name = "t" + uuid.uuid4().hex[:10]
        base = f"{self.namenode}/tests/{name}"
        local = PROJECT_ROOT / "var" / "test-stack-work" / name
        env = isolated_env(local) | {k: v for k, v in self.env.items() if k in (
            "KAFKA_BOOTSTRAP_SERVERS", "HDFS_NAMENODE", "HDFS_WEBHDFS_BASE", "ICEBERG_CATALOG_URI",
            "ICEBERG_JDBC_USER", "ICEBERG_JDBC_PASSWORD", "CASSANDRA_HOST")}
        env |= {"ICEBERG_CATALOG": name, "KAFKA_TOPIC_PREFIX": f"{name}.", "ICEBERG_WAREHOUSE": f"{base}/warehouse",
                "MODEL_ARTIFACT_BASE_URI": f"{base}/models", "CHECKPOINT_BASE": f"{base}/checkpoints"}
        return load_settings(CONFIG_PATH, environ=env | extra)

    def isolated_environ(self, **extra: str) -> tuple[Settings, dict[str, str]]:
        """Settings as :meth:`settings` and the environment of a child process that must use them
        (an `ais` or `ais-ingest` command), including this stack's script settings. The child
        logs JSON lines on stderr (AIS_LOG_FORMAT=json), which the tests read."""
        settings = self.settings(**extra)
        return settings, settings.child_environ(os.environ | self.script_env | {"AIS_LOG_FORMAT": "json"})


def traversable_by_others(path: Path) -> bool:
    """Whether every folder above ``path`` lets other users through (PostgreSQL runs as the
    `postgres` user when the tests run as root, and must reach its data folder)."""
    return all(p.stat().st_mode & 0o001 for p in path.resolve().parents if p.exists())


def stack_folder() -> Path:
    """var/test-stack in the project, or, when the project sits below a folder others cannot
    traverse (a clone under /root), a folder of this project's own under /var/tmp."""
    inside = PROJECT_ROOT / "var" / "test-stack"
    if traversable_by_others(inside):
        return inside
    digest = hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:12]
    outside = Path("/var/tmp") / f"ais-test-stack-{digest}"
    outside.mkdir(mode=0o755, exist_ok=True)
    return outside


def shared_stack(env_file: Path) -> Stack:
    """The stack an AIS_TEST_STACK_ENV file describes: owned by this run when scripts/test_stack.sh
    started it for the run (AIS_TEST_STACK_OWNED=1, its folder and every port given; the servers
    stop when that script's process, AIS_STACK_OWNER_PID, ends), else someone else's."""
    lines = parse_env_lines(env_file.read_text())
    script_keys = ("AIS_STACK_DIR", *PORT_VARS)
    settings = {k: lines.pop(k) for k in (*script_keys, "AIS_STACK_OWNER_PID") if k in lines}
    if lines.pop("AIS_TEST_STACK_OWNED", "") == "1" and all(k in settings for k in script_keys):
        return Stack(lines, settings, owned=True)
    return Stack(lines, {}, owned=False)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    reuse = os.environ.get("AIS_TEST_STACK_ENV")
    if reuse:
        yield shared_stack(Path(reuse))
        return
    stack_dir = stack_folder()
    script_env = {"AIS_STACK_DIR": str(stack_dir)} | dict(zip(PORT_VARS, map(str, free_ports(len(PORT_VARS))),
                                                                 strict=True))
    env = os.environ | script_env
    subprocess.run([str(STACK_SH), "down", "--purge"], env=env, capture_output=True, check=False, timeout=300)
    up = subprocess.run([str(STACK_SH), "up", "--owner-pid", str(os.getpid())], env=env, capture_output=True,
                        text=True, check=False, timeout=900)
    if up.returncode != 0:
        subprocess.run([str(STACK_SH), "down", "--purge"], env=env, capture_output=True, check=False, timeout=300)
        pytest.fail(f"scripts/stack.sh up failed ({up.returncode}):\n{up.stderr[-4000:]}")
    printed = subprocess.run([str(STACK_SH), "env"], env=env, capture_output=True, text=True, check=True)
    try:
        yield Stack(parse_env_lines(printed.stdout), script_env, owned=True)
    finally:
        subprocess.run([str(STACK_SH), "down", "--purge"], env=env, capture_output=True, check=False, timeout=300)


@pytest.fixture
def stack_settings(stack: Stack) -> Callable[..., Settings]:
    return stack.settings


@pytest.fixture
def stack_spark_settings(spark: Any, stack: Stack) -> Callable[..., Settings]:
    """Production-profile settings whose catalog the shared Spark session knows, every table created."""

    def factory(**extra: str) -> Settings:
        settings = stack.settings(**extra)
        for key, value in spark_catalog_conf(settings).items():
            spark.conf.set(key, value)
        ensure_tables(settings)
        return settings

    return factory
