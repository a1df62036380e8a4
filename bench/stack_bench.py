"""The production profile on one machine against the embedded one, and the HDFS client AIS chose
against Hadoop's own.

1. chain: ``ais demo --no-serve --span-days 30`` run twice as a child process on the same 30
   simulated days (every source ``source=simulated``: timing figures only, never air-quality
   results): first embedded (the baseline: a SQLite catalog, local warehouse, landing files,
   checkpoints, models and ingest state of its own under a temporary folder), then
   ``--profile cluster`` against a stack (a catalog name, HDFS folder, checkpoint and model base and
   ``KAFKA_TOPIC_PREFIX`` of its own). Per step, the seconds of the ``chain_done`` log line of each
   run side by side with cluster/embedded; totals: the sum of the steps and the whole command's wall
   time (Python and Spark start, the API, the serving checks are outside the steps).
2. hdfs_io: a 256 MiB file of random bytes written and read back through ``ais.storage``
   (hdfs-native, no JVM) against Hadoop's FsShell (``scripts/hdfs.sh fs -put -f`` / ``-get -f``) on
   the same NameNode and DataNode, best of 3 each, MB/s (10^6 bytes). FsShell's fixed cost (the same
   command on a 0-byte file, best of 3: JVM start, class loading, the NameNode round trips) is
   reported, and FsShell's rate both as measured and with that cost subtracted. One read-back per
   side is checked byte for byte (sha256).

The stack: the running one whose ``scripts/stack.sh env`` output is in the file named by
``AIS_BENCH_STACK_ENV`` (its servers are left alone, and this benchmark's HDFS folder is removed at
the end), else a private one: ``scripts/stack.sh up --owner-pid <this process>`` on free loopback
ports under var/bench-stack/ (a folder the ``postgres`` user can traverse), its start time reported,
``scripts/stack.sh down --purge`` at the end. The private stack runs the servers the chain uses
(``AIS_BENCH_STACK_SERVICES``, default "postgres hdfs kafka": no Python or Spark code of the chain
talks to Cassandra, whose 1 GB JVM would only take CPU from the cluster run on a small machine).
The embedded run goes first, before the private stack starts, so that the baseline does not share
the cores with idle servers; the machine's load average is recorded before each run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ais.pipeline import parse_env_lines
from bench.run import best_of

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "hanoi_pipeline.yaml"
AIS = ROOT / ".venv" / "bin" / "ais"
STACK_SH = ROOT / "scripts" / "stack.sh"
HDFS_SH = ROOT / "scripts" / "hdfs.sh"
STACK_DIR = ROOT / "var" / "bench-stack"
SPAN_DAYS = 30
FILE_MIB = 256
REPEATS = 3
DEMO_TIMEOUT_S = 1200
DEFAULT_SERVICES = "postgres hdfs kafka"
PORT_VARS = ("AIS_PG_PORT", "AIS_HDFS_RPC_PORT", "AIS_HDFS_HTTP_PORT", "AIS_HDFS_DN_PORT", "AIS_HDFS_DN_HTTP_PORT",
             "AIS_HDFS_DN_IPC_PORT", "AIS_KAFKA_PORT", "AIS_CASSANDRA_CQL_PORT", "AIS_CASSANDRA_STORAGE_PORT",
             "AIS_CASSANDRA_SSL_STORAGE_PORT", "AIS_CASSANDRA_JMX_PORT")
ENDPOINTS = ("KAFKA_BOOTSTRAP_SERVERS", "HDFS_NAMENODE", "HDFS_WEBHDFS_BASE", "ICEBERG_CATALOG_URI",
             "ICEBERG_JDBC_USER", "ICEBERG_JDBC_PASSWORD", "CASSANDRA_HOST")
SIMULATED = "simulated sources (source=simulated): timings only, nothing about air quality"


# ---- small helpers ---------------------------------------------------------------------------------

def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports, none next to another (Kafka's controller takes the next one)."""
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


def _local_dirs(root: Path) -> dict[str, str]:
    return {"ICEBERG_CATALOG_URI": f"jdbc:sqlite:{root}/iceberg_catalog.db",
            "ICEBERG_WAREHOUSE": str(root / "warehouse"), "MODEL_ARTIFACT_BASE_URI": str(root / "models"),
            "LANDING_DIR": str(root / "landing"), "CHECKPOINT_BASE": str(root / "checkpoints"),
            "INGEST_STATE_DIR": str(root / "ingest-state")}


def _child_environ(overrides: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The environment of an `ais` child whose settings are the config with ``overrides``: every
    runtime value written out (so nothing inherited from this shell changes the profile)."""
    from ais.config import load_settings

    return load_settings(CONFIG, environ=overrides).child_environ(base)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


# ---- the stack -------------------------------------------------------------------------------------

class _Stack:
    def __init__(self, env: dict[str, str], script_env: dict[str, str], info: dict[str, Any]) -> None:
        self.env = env  # the endpoints (`scripts/stack.sh env`)
        self.script_env = script_env  # AIS_STACK_DIR, the ports, the services: for the scripts
        self.info = info

    @property
    def namenode(self) -> str:
        return self.env["HDFS_NAMENODE"]


@contextlib.contextmanager
def _stack() -> Iterator[_Stack]:
    reuse = os.environ.get("AIS_BENCH_STACK_ENV")
    if reuse:
        yield _Stack(parse_env_lines(Path(reuse).read_text()), {}, {"reused": reuse})
        return
    services = os.environ.get("AIS_BENCH_STACK_SERVICES", DEFAULT_SERVICES)
    script_env = {"AIS_STACK_DIR": str(STACK_DIR), "AIS_KAFKA_DIR": str(STACK_DIR / "kafka"),
                  "AIS_STACK_SERVICES": services} | dict(zip(PORT_VARS, map(str, _free_ports(len(PORT_VARS))),
                                                            strict=True))
    env = os.environ | script_env

    def down() -> None:
        subprocess.run([str(STACK_SH), "down", "--purge"], env=env, capture_output=True, check=False, timeout=300)

    down()  # leftovers of an earlier run that died
    try:
        t0 = time.perf_counter()
        up = subprocess.run([str(STACK_SH), "up", "--owner-pid", str(os.getpid())], env=env, capture_output=True,
                            text=True, check=False, timeout=900)
        seconds = time.perf_counter() - t0
        if up.returncode != 0:
            raise RuntimeError(f"scripts/stack.sh up failed ({up.returncode}):\n{up.stderr[-4000:]}")
        per_service = {}
        for line in up.stderr.splitlines():
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if event.get("event") == "stack_service_up":
                    per_service[event["service"]] = event["seconds"]
        printed = subprocess.run([str(STACK_SH), "env"], env=env, capture_output=True, text=True, check=True)
        yield _Stack(parse_env_lines(printed.stdout), script_env,
                     {"private": True, "services": services, "start_seconds": round(seconds, 1),
                      "service_start_seconds": per_service})
    finally:
        down()


# ---- 1. the chain through both profiles ------------------------------------------------------------

def _demo(profile: str, env: dict[str, str]) -> dict[str, Any]:
    (port,) = _free_ports(1)
    cmd = [str(AIS), "demo", "--no-serve", "--span-days", str(SPAN_DAYS), "--port", str(port), "--profile", profile]
    load = _load()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=DEMO_TIMEOUT_S)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"ais demo --profile {profile} exited {done.returncode}:\n{done.stderr[-4000:]}")
    steps: dict[str, float] | None = None
    for line in done.stderr.splitlines():
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict) and event.get("event") == "chain_done":
                steps = event["step_seconds"]
    if steps is None:
        raise RuntimeError(f"ais demo --profile {profile}: no chain_done line on stderr")
    forecast = json.loads(done.stdout)
    if set(forecast.get("forecast", {})) != {"6h", "12h", "24h"}:
        raise RuntimeError(f"ais demo --profile {profile}: unexpected forecast {done.stdout[:500]}")
    return {"wall_s": wall, "steps": steps, "load_avg_1m_before": load}


def _embedded_run(work: Path) -> dict[str, Any]:
    env = _child_environ(_local_dirs(work / "embedded"), dict(os.environ))
    return _demo("embedded", env)


def _cluster_env(stack: _Stack, work: Path, name: str) -> dict[str, str]:
    base = f"{stack.namenode}/bench/{name}"
    overrides = _local_dirs(work / "cluster") | {k: v for k, v in stack.env.items() if k in ENDPOINTS}
    overrides |= {"ICEBERG_CATALOG": name, "KAFKA_TOPIC_PREFIX": f"{name}.", "ICEBERG_WAREHOUSE": f"{base}/warehouse",
                  "MODEL_ARTIFACT_BASE_URI": f"{base}/models", "CHECKPOINT_BASE": f"{base}/checkpoints"}
    return _child_environ(overrides, dict(os.environ) | stack.script_env)


def _compare(embedded: dict[str, Any], cluster: dict[str, Any]) -> dict[str, Any]:
    names = list(cluster["steps"]) + [n for n in embedded["steps"] if n not in cluster["steps"]]
    steps = {}
    for n in names:
        e, c = embedded["steps"].get(n), cluster["steps"].get(n)
        steps[n] = {"embedded_s": e, "cluster_s": c, "ratio": _ratio(c, e)}
    e_sum, c_sum = sum(embedded["steps"].values()), sum(cluster["steps"].values())
    e_wall, c_wall = embedded["wall_s"], cluster["wall_s"]
    return {
        "span_days": SPAN_DAYS, "data": SIMULATED, "baseline": "embedded",
        "ratio": "cluster_s / embedded_s",
        "steps": steps,
        "totals": {
            "steps_sum": {"embedded_s": round(e_sum, 1), "cluster_s": round(c_sum, 1), "ratio": _ratio(c_sum, e_sum)},
            "command_wall": {"embedded_s": round(e_wall, 1), "cluster_s": round(c_wall, 1),
                             "ratio": _ratio(c_wall, e_wall)},
            "outside_steps": {"embedded_s": round(e_wall - e_sum, 1), "cluster_s": round(c_wall - c_sum, 1),
                              "ratio": _ratio(c_wall - c_sum, e_wall - e_sum),
                              "what": "interpreter and imports, Spark session start and stop, the API, "
                                      "the serving checks"},
        },
        "load_avg_1m_before": {"embedded": embedded["load_avg_1m_before"], "cluster": cluster["load_avg_1m_before"]},
    }


# ---- 2. HDFS throughput: hdfs-native through ais.storage against FsShell ---------------------------

def _hdfs_io(stack: _Stack, work: Path, folder: str) -> dict[str, Any]:
    from ais import storage

    src, empty = work / "random.bin", work / "empty.bin"
    size = FILE_MIB << 20
    with open(src, "wb") as f:
        for _ in range(FILE_MIB // 8):
            f.write(os.urandom(8 << 20))
    empty.write_bytes(b"")
    digest = _sha256(src)
    base = f"{stack.namenode}{folder}"
    ais_uri, shell_uri, ais_empty, shell_empty = (f"{base}/{n}" for n in (
        "ais.bin", "fsshell.bin", "ais-empty.bin", "fsshell-empty.bin"))
    ais_out, shell_out, empty_out = work / "ais.out", work / "fsshell.out", work / "empty.out"
    env = os.environ | stack.script_env

    def fs(*args: str) -> None:
        done = subprocess.run([str(HDFS_SH), "fs", *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/hdfs.sh fs {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")

    # untimed warm-up of both clients: the folder, a connection, the jars in the page cache
    fs("-mkdir", "-p", base)
    storage.put_file(empty, ais_empty)

    w_ais = best_of(REPEATS, lambda: storage.put_file(src, ais_uri))
    w_shell = best_of(REPEATS, lambda: fs("-put", "-f", str(src), shell_uri))
    w_fixed = best_of(REPEATS, lambda: fs("-put", "-f", str(empty), shell_empty))
    r_ais = best_of(REPEATS, lambda: storage.get_file(ais_uri, ais_out))
    r_shell = best_of(REPEATS, lambda: fs("-get", "-f", shell_uri, str(shell_out)))
    r_fixed = best_of(REPEATS, lambda: fs("-get", "-f", shell_empty, str(empty_out)))
    verified = {"ais_storage": _sha256(ais_out) == digest and storage.size(ais_uri) == size,
                "fsshell": _sha256(shell_out) == digest}
    if not all(verified.values()):
        raise RuntimeError(f"HDFS read-back differs from the file written: {verified}")

    def side(ais_s: float, shell_s: float, fixed_s: float, ais_cmd: str, shell_cmd: str) -> dict[str, Any]:
        ais_rate, shell_rate = size / ais_s / 1e6, size / shell_s / 1e6
        net = shell_s - fixed_s
        shell_net_rate = size / net / 1e6 if net > 0 else None
        return {
            "ais_storage": {"command": ais_cmd, "seconds": round(ais_s, 3), "mb_per_s": round(ais_rate, 1)},
            "fsshell": {"command": shell_cmd, "seconds": round(shell_s, 3), "mb_per_s": round(shell_rate, 1),
                        "startup_s": round(fixed_s, 3),
                        "mb_per_s_minus_startup": round(shell_net_rate, 1) if shell_net_rate else None},
            "ratio_to_fsshell": round(ais_rate / shell_rate, 2),
            "ratio_to_fsshell_minus_startup": round(ais_rate / shell_net_rate, 2) if shell_net_rate else None,
        }

    return {
        "file_bytes": size, "content": "random bytes", "repeats": REPEATS,
        "unit": "MB/s, MB = 10^6 bytes, best of 3", "baseline": "Hadoop FsShell (scripts/hdfs.sh fs)",
        "startup": "FsShell's time for the same command on a 0-byte file (JVM start, NameNode round trips)",
        "write": side(w_ais, w_shell, w_fixed, "ais.storage.put_file (hdfs-native)", "fs -put -f"),
        "read": side(r_ais, r_shell, r_fixed, "ais.storage.get_file (hdfs-native)", "fs -get -f"),
        "sha256_verified": verified,
    }


# ---- the benchmark ---------------------------------------------------------------------------------

def run() -> dict[str, Any]:
    t_start = time.perf_counter()
    name = "b" + uuid.uuid4().hex[:10]
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ais-bench-stack-") as tmp:
        work = Path(tmp)
        embedded = _embedded_run(work)
        with _stack() as stack:
            result["stack"] = stack.info
            try:
                cluster = _demo("cluster", _cluster_env(stack, work, name))
                result["chain"] = _compare(embedded, cluster)
                result["hdfs_io"] = _hdfs_io(stack, work, f"/bench/{name}/io")
            finally:
                if "reused" in stack.info:  # a shared stack keeps its servers, not this benchmark's files
                    from ais import storage

                    with contextlib.suppress(Exception):
                        storage.remove(f"{stack.namenode}/bench/{name}", recursive=True)
    result["bench_seconds"] = round(time.perf_counter() - t_start, 1)
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
