"""`python -m bench.run [name ...]`: run every benchmark (or those whose name contains a given
word), print one JSON document to stdout.

ingest_simulate: the C OpenAQ simulator writing landing files, events per second at 1 and 10
station-years (simulated data: a throughput figure, not a measurement of air quality). Baseline,
measured in the same run: copying the same bytes file to file, the I/O floor for landing output.

stack_chain (bench/stack_bench.py): the same 30 simulated days through `ais demo` in the embedded
profile (the baseline) and in the cluster profile on a stack (PostgreSQL catalog, HDFS, Kafka),
wall time per step side by side; and HDFS write/read MB/s of ais.storage (hdfs-native) against
Hadoop's FsShell on the same 256 MiB file, FsShell's JVM start shown apart. Starts a private stack
under var/bench-stack/ (or uses the one in AIS_BENCH_STACK_ENV); about 10 minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INGEST = ROOT / "build" / "native" / "ais-ingest"


def best_of(n: int, fn: Any) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_ingest_simulate(repeats: int = 3) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for station_years in (1, 10):
        stations = station_years
        with tempfile.TemporaryDirectory(prefix="ais-bench-") as tmp:
            landing = Path(tmp) / "landing"
            cmd = [str(INGEST), "openaq", "--mode", "simulate", "--start", "2025-01-01T00:00:00Z",
                   "--end", "2026-01-01T00:00:00Z", "--sink", "landing", "--landing-dir", str(landing),
                   "--stations", str(stations), "--config", str(ROOT / "config" / "hanoi_pipeline.yaml")]
            summaries: list[dict[str, Any]] = []

            def run(cmd: list[str] = cmd, landing: Path = landing, summaries: list[dict[str, Any]] = summaries) -> None:
                shutil.rmtree(landing, ignore_errors=True)
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                summaries.append(json.loads(out.stdout.strip().splitlines()[-1]))

            seconds = best_of(repeats, run)
            events = summaries[-1]["events_written"]
            files = sorted(landing.rglob("*.jsonl"))
            size = sum(f.stat().st_size for f in files)

            def copy(files: list[Path] = files, tmp: str = tmp) -> None:
                dest = Path(tmp) / "copy"
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir()
                for f in files:
                    shutil.copyfile(f, dest / f.name)

            baseline = best_of(repeats, copy)
        results[f"{station_years}_station_years"] = {
            "events": events, "bytes": size, "seconds": round(seconds, 4),
            "events_per_second": round(events / seconds), "baseline_copy_seconds": round(baseline, 4),
            "ratio_to_copy": round(seconds / baseline, 2) if baseline > 0 else None}
    return results


def main() -> int:
    from bench import api_bench, gold_bench, gridded_bench, kafka_bench, silver_bench, stack_bench, traj_bench

    if not INGEST.is_file():
        print(f"{INGEST} is missing: run `make build`", file=sys.stderr)
        return 2
    only = set(sys.argv[1:])  # e.g. `python -m bench.run silver` runs one benchmark
    benches: dict[str, Callable[[], Any]] = {
        "ingest_simulate_openaq": bench_ingest_simulate, "bronze_to_silver": silver_bench.run,
        "gridded_decode": gridded_bench.run,
        "kafka_producer": kafka_bench.run,
        "back_trajectories": lambda: traj_bench.bench_traj(ROOT / "build" / "native" / "ais-traj"),
        "api_serving": api_bench.run,
        "gold_build": gold_bench.run,
        "stack_chain": stack_bench.run}
    report = {"benchmarks": {name: fn() for name, fn in benches.items() if not only or any(o in name for o in only)},
              "machine": {"cores": os.cpu_count()}}
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
