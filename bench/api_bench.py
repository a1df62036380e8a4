"""PM2.5 API serving (issue 6): requests/s and latency with wrk on loopback at 8 and 64 connections,
next to nginx serving the same JSON bytes as a static file in the same run; and inference wall time.

Setup, all under var/bench-api/ (emptied first): a catalog of its own with a LightGBM model per
horizon trained on a SIMULATED series (throughput only, never a model-quality figure), promoted,
and one prediction written by ``predict`` (timed: the inference figures). Then

- the API: ``ais serve --workers 2`` (uvicorn, uvloop + httptools, one worker per core of a 2-core
  machine), with its per-request JSON access log written to a file;
- the baseline: Debian's nginx (nginx-light), 2 worker processes, serving the body the API
  returned, byte for byte, as a static file on the same path, its access log on as well; started
  from a generated config on a free loopback port, as the user ``nobody`` when run as root;
- ``wrk -t2 -cN -d<seconds>s --latency`` against each, N = 8 and 64, a short warm-up first.

Targets (issue 6): API requests/s at 64 connections >= 25 % of nginx's; API p99 at 8 connections
<= 10 ms. The machine is shared: its load average is recorded next to the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-api"
FORECAST_PATH = "/api/v1/hanoi/pm25/forecast/latest"
CONNECTIONS = (8, 64)
WORKERS = 2
DURATION_S = 10
WARMUP_S = 2
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HOURS = 60 * 24
TARGET_RPS_RATIO_64 = 0.25
TARGET_P99_MS_8 = 10.0


# ---- the store: a simulated series, models, one prediction ----------------------------------------

def _simulated_rows(settings: Any) -> list[dict[str, Any]]:
    """Training-dataset rows of a simulated hourly series (source "simulated"); the PM2.5 history
    features from the series, the calendar ones from the hour, everything else null."""
    from ais.features.columns import TARGETS

    rng = np.random.default_rng(20261121)
    t = np.arange(HOURS + 24)
    noise = np.zeros(t.size)
    for i in range(1, t.size):
        noise[i] = 0.85 * noise[i - 1] + rng.normal(0.0, 3.0)
    series = 45.0 + 18.0 * np.sin(2 * np.pi * ((t + 7) % 24 - 8) / 24) + noise
    rows = []
    for i in range(24, HOURS):
        hour = START + dt.timedelta(hours=i)
        local = hour + dt.timedelta(hours=7)
        lag = {k: float(series[i - k]) for k in (1, 3, 6, 12, 24)}
        window = series[i - 23:i + 1]
        fraction = (i - 24) / (HOURS - 24)
        split = "train" if fraction < 0.7 else "validation" if 0.71 <= fraction < 0.85 else \
            "test" if fraction >= 0.86 else "gap"
        rows.append({
            "hour": hour, "dataset_version": settings.dataset_version, "feature_set_name": settings.feature_set_name,
            "split": split, "source": "simulated", "year": hour.year, "month_partition": hour.month,
            "pm25_mean": float(series[i]), "pm25_median": float(series[i]), "station_count": 1,
            "hour_of_day": local.hour, "day_of_week": local.weekday(), "month": local.month, "season": "winter",
            "is_weekend": local.weekday() >= 5, "is_rush_hour": local.hour in (7, 8, 9, 17, 18, 19),
            "hour_sin": float(np.sin(2 * np.pi * local.hour / 24)),
            "hour_cos": float(np.cos(2 * np.pi * local.hour / 24)),
            **{f"pm25_lag_{k}h": v for k, v in lag.items()},
            "pm25_roll_mean_3h": float(series[i - 2:i + 1].mean()),
            "pm25_roll_mean_6h": float(series[i - 5:i + 1].mean()),
            "pm25_roll_mean_24h": float(window.mean()), "pm25_roll_max_24h": float(window.max()),
            "pm25_roll_std_24h": float(window.std(ddof=1)),
            **{target: float(series[i + h]) for h, target in TARGETS.items()},
        })
    return rows


def build_store(root: Path) -> tuple[Any, dict[str, Any]]:
    """Settings over a fresh store with production models and one prediction; the inference timings."""
    from ais.catalog import ensure_tables, load_catalog
    from ais.config import load_settings
    from ais.features.columns import TARGETS, schema_hash
    from ais.iceberg_io import merge_rows, to_arrow
    from ais.ml.backtest import workspace_settings
    from ais.ml.predict import predict
    from ais.ml.registry import promote
    from ais.ml.train import train_models
    from ais.tables import SERVING_GOLD, TRAINING_GOLD

    settings = workspace_settings(load_settings(ROOT / "config" / "hanoi_pipeline.yaml"), root)
    ensure_tables(settings)
    catalog = load_catalog(settings)
    rows = _simulated_rows(settings)
    catalog.load_table(TRAINING_GOLD.identifier).append(to_arrow(TRAINING_GOLD, rows))
    serving = {k: v for k, v in rows[-1].items()
               if k not in (*TARGETS.values(), "hour", "split", "source")}
    serving.update(base_hour=rows[-1]["hour"], location_id=settings.location_id, location_name=settings.location_name,
                   feature_version=settings.feature_version, schema_hash=schema_hash(),
                   created_at=rows[-1]["hour"], spark_processed_at=rows[-1]["hour"])
    merge_rows(catalog, SERVING_GOLD, [serving])
    trained = train_models(settings, catalog=catalog)
    for horizon in settings.horizons:
        promote(settings, trained.model_run_id, settings.location_id, horizon, settings.feature_version,
                promoted_by="bench")

    t0 = time.perf_counter()
    predict(settings)  # reads the registry and the serving row, loads three models, writes one row
    first = time.perf_counter() - t0
    warm = []
    for _ in range(5):
        t0 = time.perf_counter()
        predict(settings, dry_run=True)
        warm.append(time.perf_counter() - t0)
    env = {**os.environ, **_store_env(settings)}
    cli = []
    for _ in range(3):  # what a CronJob run pays: interpreter, imports, catalog, models, MERGE (a no-op rerun)
        t0 = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "ais"), "predict"], env=env, check=True, capture_output=True)
        cli.append(time.perf_counter() - t0)
    return settings, {"predict_first_write_s": round(first, 4),
                      "predict_dry_run_median_s": round(statistics.median(warm), 4),
                      "ais_predict_process_median_s": round(statistics.median(cli), 3),
                      "model_type": trained.model_type, "training_rows": len(rows), "data": "simulated"}


def _store_env(settings: Any) -> dict[str, str]:
    keys = ("iceberg_catalog_uri", "iceberg_warehouse", "model_artifact_base_uri", "landing_dir", "checkpoint_base",
            "ingest_state_dir")
    return {k.upper(): settings.runtime(k) for k in keys}


# ---- servers and load ----------------------------------------------------------------------------

def _free_port() -> int:
    from ais.k8s.smoke import free_loopback_port

    return free_loopback_port()


def _wait_http(url: str, timeout_s: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _start_api(settings: Any, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **_store_env(settings), "HANOI_PIPELINE_CONFIG": str(settings.path)}
    cmd = [str(ROOT / ".venv" / "bin" / "ais"), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(WORKERS)]
    with open(log, "wb") as sink:
        return subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT)


NGINX_CONF = """worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = {path} {{
            default_type application/json;
            alias {dir}/latest.json;
        }}
    }}
}}
"""


def _start_nginx(folder: Path, body: bytes, port: int) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).is_file():
        raise RuntimeError("nginx is missing: run scripts/setup.sh apt (Debian package nginx-light)")
    (folder / "tmp").mkdir(parents=True)
    (folder / "latest.json").write_bytes(body)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=WORKERS, dir=folder, port=port, path=FORECAST_PATH))
    cmd = [nginx, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"]
    if os.geteuid() == 0:  # never serve as root: drop to nobody for the whole server
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, 65534, 65534)
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms) and errors from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise ValueError(f"wrk printed no Requests/sec:\n{output}")
    percentiles = {f"p{p}_ms": round(_ms(v), 3) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    total = re.search(r"(\d+) requests in", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {"requests_per_second": round(float(rps[1]), 1), **percentiles,
            "requests": int(total[1]) if total else None, "non_2xx": int(non2xx[1]) if non2xx else 0,
            "socket_errors": sum(int(x) for x in sockets.groups()) if sockets else 0}


def _wrk(url: str, connections: int, seconds: int) -> dict[str, Any]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True)
    return parse_wrk(out.stdout)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    from ais.k8s.smoke import stop_process

    stop_process(proc, 15.0)


def run(duration_s: int = DURATION_S) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: run scripts/setup.sh apt (Debian package wrk)")
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    settings, inference = build_store(WORK / "store")

    api_port, nginx_port = _free_port(), _free_port()
    api = _start_api(settings, api_port, WORK / "api.log")
    nginx: subprocess.Popen[bytes] | None = None
    try:
        api_url = f"http://127.0.0.1:{api_port}{FORECAST_PATH}"
        body = _wait_http(api_url)
        nginx = _start_nginx(WORK / "nginx", body, nginx_port)
        nginx_url = f"http://127.0.0.1:{nginx_port}{FORECAST_PATH}"
        if _wait_http(nginx_url, 15.0) != body:
            raise RuntimeError("nginx does not serve the API's bytes")
        load_before = os.getloadavg()
        results: dict[str, dict[str, Any]] = {"api": {}, "nginx": {}}
        for connections in CONNECTIONS:
            for name, url in (("api", api_url), ("nginx", nginx_url)):
                _wrk(url, connections, WARMUP_S)
                results[name][str(connections)] = _wrk(url, connections, duration_s)
        load_after = os.getloadavg()
    finally:
        _stop(api)
        if nginx is not None:
            _stop(nginx)
    ratio = results["api"]["64"]["requests_per_second"] / results["nginx"]["64"]["requests_per_second"]
    p99 = results["api"]["8"]["p99_ms"]
    return {
        **results, "body_bytes": len(body), "api_rps_share_of_nginx_at_64": round(ratio, 3),
        "targets": {"rps_share_at_64_min": TARGET_RPS_RATIO_64, "p99_ms_at_8_max": TARGET_P99_MS_8,
                    "rps_share_met": ratio >= TARGET_RPS_RATIO_64, "p99_met": p99 <= TARGET_P99_MS_8},
        "setup": {"api": f"ais serve --workers {WORKERS} (uvicorn)", "nginx_workers": WORKERS,
                  "wrk": f"-t2 -c8/-c64 -d{duration_s}s --latency, {WARMUP_S} s warm-up each",
                  "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
                  "cores": os.cpu_count()},
        "inference": inference,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
