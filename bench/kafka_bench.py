"""Producer throughput of the C Kafka sink against Kafka's own kafka-producer-perf-test
(org.apache.kafka.tools.ProducerPerformance, jvm/kafka-tools) on the same local KRaft broker
(scripts/kafka.sh), same topic (kafka.topics.openaq: 3 partitions, replication 1), same
durability (acks=all, enable.idempotence=true).

C side: `ais-ingest openaq --mode simulate --sink kafka` for a year of N simulated stations (the
figure includes generating and serialising each event, keyed by event_id, and the final flush
with every delivery report checked); rate = events / the run's own duration_ms. Java side: the
same number of records of the C events' mean size, unkeyed, rate as the tool reports it (JVM
start excluded), once with the tool's default producer settings and once with librdkafka's
batching (batch.size 1 MB, linger.ms 10, as the C sink uses): the second is the baseline of the
>= 80 % target. Each side's figure is the best of `repeats` (5) runs: the broker's JVM shares
the 2 cores with the producer under test, and single runs of either side vary by a quarter.
Simulated payloads: a throughput figure, nothing about air quality.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INGEST = ROOT / "build" / "native" / "ais-ingest"
KAFKA_SH = ROOT / "scripts" / "kafka.sh"
TOOLS_POM = ROOT / "jvm" / "kafka-tools" / "pom.xml"
TOOLS_LIB = ROOT / "jvm" / "kafka-tools" / "lib"
BROKER_LIB = ROOT / "jvm" / "kafka" / "lib"
CONFIG = ROOT / "config" / "hanoi_pipeline.yaml"
TOPIC = "openaq-hourly"
TARGET_RATIO = 0.8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fetch_tools() -> None:
    if any(TOOLS_LIB.glob("kafka-tools-*.jar")):
        return
    subprocess.run(["mvn", "-q", "-B", "-s", str(ROOT / "jvm" / "settings.xml"), "-f", str(TOOLS_POM),
                    "dependency:copy-dependencies"], check=True, stdout=subprocess.DEVNULL)


def _c_run(bootstrap: str, stations: int, state: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    cmd = [str(INGEST), "openaq", "--mode", "simulate", "--start", "2025-01-01T00:00:00Z",
           "--end", "2026-01-01T00:00:00Z", "--sink", "kafka", "--stations", str(stations),
           "--config", str(CONFIG), "--state-dir", str(state)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    done = [json.loads(line) for line in out.stderr.splitlines() if '"window_done"' in line]
    k = summary["kafka"]
    if k["delivered"] != k["produced"] or k["lost"]:
        raise RuntimeError(f"C producer lost events: {k}")
    return {"events": k["delivered"], "seconds": done[-1]["duration_ms"] / 1000.0}


def _mean_event_bytes(stations: int) -> int:
    with tempfile.TemporaryDirectory(prefix="ais-bench-") as tmp:
        cmd = [str(INGEST), "openaq", "--mode", "simulate", "--start", "2025-01-01T00:00:00Z",
               "--end", "2025-01-08T00:00:00Z", "--sink", "landing", "--stations", str(stations),
               "--config", str(CONFIG), "--landing-dir", tmp + "/l", "--state-dir", tmp + "/s"]
        subprocess.run(cmd, capture_output=True, check=True)
        files = list(Path(tmp, "l").rglob("*.jsonl"))
        lines = sum(f.read_text().count("\n") for f in files)
        size = sum(f.stat().st_size for f in files)
        return round((size - lines) / lines)  # without the newline


def _java_run(bootstrap: str, records: int, size: int, extra: list[str]) -> float:
    cp = f"{BROKER_LIB}/*:{TOOLS_LIB}/*"
    cmd = ["java", "-Xmx1g", "-cp", cp, "org.apache.kafka.tools.ProducerPerformance", "--topic", TOPIC,
           "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
           "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true", *extra]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    final = [line for line in out.stdout.splitlines() if f"{records} records sent" in line]
    m = re.search(r"records sent, ([0-9.]+) records/sec", final[-1] if final else "")
    if m is None:
        raise RuntimeError(f"unexpected kafka-producer-perf-test output: {out.stdout[-500:]}")
    return float(m.group(1))


def run(stations: int = 20, repeats: int = 5) -> dict[str, Any]:
    _fetch_tools()
    port = _free_port()
    bootstrap = f"127.0.0.1:{port}"
    subprocess.run([str(KAFKA_SH), "start", "--port", str(port), "--owner-pid", str(os.getpid())],
                   check=True, capture_output=True)
    try:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        subprocess.run([str(INGEST), "topics", "--create", "--config", str(CONFIG)], env=env, check=True,
                       capture_output=True)
        size = _mean_event_bytes(stations)
        c_rates, events = [], 0
        with tempfile.TemporaryDirectory(prefix="ais-bench-") as tmp:
            for i in range(repeats):
                r = _c_run(bootstrap, stations, Path(tmp) / f"state{i}")
                events = r["events"]
                c_rates.append(r["events"] / r["seconds"])
        java_default = max(_java_run(bootstrap, events, size, []) for _ in range(repeats))
        java_matched = max(_java_run(bootstrap, events, size, ["batch.size=1048576", "linger.ms=10"])
                           for _ in range(repeats))
    finally:
        subprocess.run([str(KAFKA_SH), "stop", "--port", str(port), "--purge"], capture_output=True)
    c_best = max(c_rates)
    return {
        "events": events, "mean_event_bytes": size, "repeats": repeats,
        "c_sink_events_per_second": round(c_best),
        "java_perf_test_default_records_per_second": round(java_default),
        "java_perf_test_matched_batching_records_per_second": round(java_matched),
        "ratio_to_java_matched": round(c_best / java_matched, 3),
        "ratio_to_java_default": round(c_best / java_default, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": c_best / java_matched >= TARGET_RATIO,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
