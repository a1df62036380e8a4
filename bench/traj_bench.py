"""72-hour back-trajectories per second for `ais-traj` on a simulated ERA5-like field, one core.

    python -m bench.traj_bench [--runs N] [--repeats R] [--bin PATH]

Steps: `ais-traj simulate-met` writes four days of the simulated field (the configured ERA5 region,
0.25 degrees, 7 pressure levels, 6-hourly) as an ARL file; a deterministic batch of N back-
trajectories (release points over northern Vietnam, 100-1500 m above ground, start hours spread
over one day so that 72 h back stays inside the data) runs through `ais-traj --batch`, pinned to
CPU 0 with taskset when it exists. SIMULATED DATA: a throughput figure, not a result about air.

Baseline, measured in the same run: `ais-traj arl-info` on the same file, which reads, checks and
unpacks the whole ARL file into the in-memory grid exactly as the batch does before its first
trajectory. It is the fixed cost of every batch invocation, so the trajectory rate is reported
over (batch time - baseline); the rate including the read, and the engine-only rate from the
program's own compute timer, are reported too. Every timing is the best of R repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = ROOT / "build" / "native" / "ais-traj"
CONFIG = ROOT / "config" / "hanoi_pipeline.yaml"
MET_START = "2026-01-10T00:00:00Z"
MET_END = "2026-01-14T00:00:00Z"
SEED = 20261121


def _pin() -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", "0"] if taskset else []


def _timed(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, dict[str, Any]]:
    """Runs cmd, returns (wall seconds, its JSON summary line from stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return seconds, json.loads(proc.stdout.strip().splitlines()[-1])


def _best(repeats: int, cmd: list[str]) -> tuple[float, dict[str, Any]]:
    runs = [_timed(cmd) for _ in range(repeats)]
    return min(runs, key=lambda r: r[0])


def _write_runs(path: Path, n: int) -> None:
    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8") as f:
        for k in range(n):
            hour = rng.randrange(0, 25)  # 2026-01-13T00Z .. 2026-01-14T00Z
            day, hh = (13, hour) if hour < 24 else (14, 0)
            run = {
                "run_id": f"bench-{k:06d}",
                "lat": round(rng.uniform(19.0, 23.0), 4),
                "lon": round(rng.uniform(103.0, 108.0), 4),
                "start": f"2026-01-{day:02d}T{hh:02d}:00:00Z",
                "height_m": rng.choice([100, 500, 1000, 1500]),
                "hours": -72,
            }
            f.write(json.dumps(run) + "\n")


def bench_traj(binary: Path, runs: int = 2000, repeats: int = 3) -> dict[str, Any]:
    pin = _pin()
    with tempfile.TemporaryDirectory(prefix="ais-traj-bench-") as tmp:
        met = Path(tmp) / "simulated.arl"
        sim_seconds, sim = _timed([str(binary), "simulate-met", "--start", MET_START, "--end",
                                   MET_END, "--out", str(met), "--config", str(CONFIG)])
        runs_file = Path(tmp) / "runs.jsonl"
        _write_runs(runs_file, runs)
        points = Path(tmp) / "points.jsonl"

        read_seconds, info = _best(repeats, pin + [str(binary), "arl-info", "--met", str(met)])
        batch_cmd = pin + [str(binary), "--met", str(met), "--batch", str(runs_file), "--out",
                           str(points), "--config", str(CONFIG)]
        batch_seconds, summary = _best(repeats, batch_cmd)
        if summary["runs_ok"] != runs:
            raise RuntimeError(f"only {summary['runs_ok']} of {runs} runs computed: {summary}")
        compute = batch_seconds - read_seconds
        return {
            "simulated": True,
            "met": {"file_bytes": sim["bytes"], "nx": info["nx"], "ny": info["ny"],
                    "nz": info["nz"], "nt": info["nt"], "first_time": info["first_time"],
                    "last_time": info["last_time"], "simulate_seconds": round(sim_seconds, 3)},
            "runs": runs,
            "hours": -72,
            "points": summary["points"],
            # parcels that leave the region (95-115 E, 5-35 N) stop early: the mean length
            # actually integrated, in hours, qualifies the rate
            "mean_hours_per_trajectory": round((summary["points"] - runs) / runs, 1),
            "steps": summary["steps"],
            "stop_reasons": summary["stop_reasons"],
            "batch_seconds": round(batch_seconds, 4),
            "baseline_read_arl_seconds": round(read_seconds, 4),
            "trajectories_per_second": round(runs / compute) if compute > 0 else None,
            "trajectories_per_second_including_read": round(runs / batch_seconds),
            "trajectories_per_second_engine_only": (round(runs / summary["compute_s"])
                                                    if summary["compute_s"] > 0 else None),
            "pinned_to_cpu": "0" if pin else None,
            "repeats": repeats,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bin", type=Path, default=DEFAULT_BIN)
    args = parser.parse_args(argv)
    if not args.bin.is_file():
        sys.stderr.write(f"{args.bin} is missing: run `make build`\n")
        return 2
    if args.runs < 1 or args.repeats < 1:
        sys.stderr.write("--runs and --repeats must be at least 1\n")
        return 2
    report = {"benchmarks": {"traj_back_72h": bench_traj(args.bin, args.runs, args.repeats)},
              "machine": {"cores": os.cpu_count()}}
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
