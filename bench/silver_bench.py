"""Bronze -> silver throughput and incremental cost (issue 4), on simulated OpenAQ data.

For 1, 10 and 100 station-years: simulate with ais-ingest, stream into bronze, then time
- the full refresh of station-hourly + city-hourly silver (rows/s over bronze rows), against a
  same-run baseline: a plain Spark scan and count of the same bronze rows (the read floor);
- an incremental one-hour update (one more simulated hour through bronze, then silver for that hour
  only) on top of the history, against the full refresh.
Simulated data: throughput figures only, never air-quality results. Each size gets its own catalog
under a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.spark_env import per_size, size_settings

ROOT = Path(__file__).resolve().parent.parent
INGEST = ROOT / "build" / "native" / "ais-ingest"
CONFIG = ROOT / "config" / "hanoi_pipeline.yaml"
# (stations, years): the simulator caps stations, so 100 station-years is 50 stations x 2 years.
SIZES = {1: (1, 1), 10: (10, 1), 100: (50, 2)}
END = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ingest(landing: Path, stations: int, start: dt.datetime, end: dt.datetime) -> int:
    out = subprocess.run([str(INGEST), "openaq", "--mode", "simulate", "--start", _iso(start), "--end", _iso(end),
                          "--sink", "landing", "--landing-dir", str(landing), "--stations", str(stations),
                          "--config", str(CONFIG)], capture_output=True, text=True, check=True)
    import json

    return int(json.loads(out.stdout.strip().splitlines()[-1])["events_written"])


def bench_size(spark: Any, station_years: int, root: Path) -> dict[str, Any]:
    from ais.spark.jobs.bronze import run_bronze
    from ais.spark.jobs.common import JobContext, Window
    from ais.spark.jobs.openaq_silver import run_openaq_silver
    from ais.tables import OPENAQ_BRONZE

    stations, years = SIZES[station_years]
    name = f"bench{station_years}"
    settings = size_settings(spark, name, root, LANDING_DIR=str(root / "landing"),
                             CHECKPOINT_BASE=str(root / "checkpoints"))
    start = END - dt.timedelta(days=365 * years)
    events = _ingest(settings.runtime_path("landing_dir"), stations, start, END)
    t0 = time.perf_counter()
    run_bronze(JobContext("bronze", settings, spark), "openaq")
    bronze_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    bronze_rows = spark.table(OPENAQ_BRONZE.qualified(name)).where(f"event_time >= '{start:%Y-%m-%d}'").count()
    scan_s = time.perf_counter() - t0

    window = Window(start, END)
    t0 = time.perf_counter()
    full = run_openaq_silver(JobContext("silver", settings, spark), window, full_refresh=True)
    full_s = time.perf_counter() - t0

    hour = Window(END, END + dt.timedelta(hours=1))
    _ingest(settings.runtime_path("landing_dir"), stations, hour.start, hour.end)
    t0 = time.perf_counter()
    run_bronze(JobContext("bronze", settings, spark), "openaq")
    incr_bronze_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    incr = run_openaq_silver(JobContext("silver", settings, spark), hour)
    incr_silver_s = time.perf_counter() - t0
    return {
        "stations": stations, "years": years, "events": events, "bronze_rows": bronze_rows,
        "bronze_load_seconds": round(bronze_s, 2),
        "full_refresh_seconds": round(full_s, 2), "full_refresh_rows_per_second": round(bronze_rows / full_s),
        "baseline_scan_count_seconds": round(scan_s, 2),
        "silver_rows_written": full["station_rows_written"],
        "incremental_hour": {"bronze_seconds": round(incr_bronze_s, 2), "silver_seconds": round(incr_silver_s, 2),
                             "total_seconds": round(incr_bronze_s + incr_silver_s, 2),
                             "station_rows": incr["input_count"],
                             "ratio_to_full_refresh": round((incr_bronze_s + incr_silver_s) / full_s, 4)},
    }


def run(sizes: tuple[int, ...] = (1, 10, 100)) -> dict[str, Any]:
    if not INGEST.is_file():
        raise SystemExit(f"{INGEST} is missing: run `make build`")
    results = per_size(sizes, "station_years", "ais-silver-bench-", "ais-bench-silver", bench_size)
    incr = [r["incremental_hour"]["total_seconds"] for k, r in results.items() if not k.startswith("1_")]
    return {"sizes": results, "target": {
        "full_refresh_rows_per_second_min": 20000,
        "full_refresh_meets_target": all(r["full_refresh_rows_per_second"] >= 20000 for r in results.values()),
        "incremental_within_2x_across_sizes": bool(incr) and max(incr) <= 2 * min(incr)}}
