"""Deployment smoke probes of the PM2.5 API (seed 001 §17, items 10–13): what an operator runs after a
rollout, and what the orchestration runs after inference.

    python -m ais.k8s.smoke [--base-url URL | --serve-local] [--expect-base-hour ISO] [--timeout S]

Probes, in order, each logged with url, status_code, latency_ms and error_code:

1. ``GET /healthz`` must answer 200 (the process is alive);
2. ``GET /readyz`` must answer 200 (config, catalog and prediction table reachable);
3. ``GET /api/v1/hanoi/pm25/forecast/latest`` must answer 200 with a forecast body; with
   ``--expect-base-hour H`` its ``base_hour`` must be H or later (the prediction is fresh).

``--base-url`` defaults to runtime.pm25_api_base_url (PM25_API_BASE_URL). ``--serve-local`` starts
``ais serve`` on a free loopback port for the duration of the probes instead: the embedded profile
has no long-running API, and this is the same server a pod runs.

Prints one JSON summary on stdout. Exit codes: 0 every probe held, 3 a probe did not hold (the
checks' code), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ais.config import Settings, load_settings
from ais.errors import EXIT_CHECK_FAILED, EXIT_OK, AisError, ConfigError
from ais.jsonlog import configure, get_logger
from ais.timeutil import parse_iso

FORECAST_PATH = "/api/v1/hanoi/pm25/forecast/latest"
FORECAST_KEYS = ("base_hour", "location", "forecast", "model", "created_at")

log = get_logger("k8s.smoke")


@dataclass(frozen=True)
class Probe:
    path: str
    status_code: int | None
    latency_ms: float
    body: Any
    error_code: str | None

    @property
    def ok(self) -> bool:
        return self.status_code == 200 and self.error_code is None


def http_get(base_url: str, path: str, timeout_s: float) -> Probe:
    """GET one path; a JSON body is parsed, any transport error becomes ``error_code``."""
    url = base_url.rstrip("/") + path
    started = time.monotonic()
    status: int | None = None
    raw = b""
    error_code: str | None = None
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - http(s) URL of our API
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        error_code = f"unreachable: {getattr(exc, 'reason', exc)}"
    latency_ms = round((time.monotonic() - started) * 1000, 1)
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw[:200].decode("utf-8", "replace")
    if error_code is None and status != 200:
        error_code = body.get("error", f"http_{status}") if isinstance(body, dict) else f"http_{status}"
    probe = Probe(path, status, latency_ms, body, error_code)
    log.info("api_probe", url=url, status_code=status, latency_ms=latency_ms, error_code=error_code,
             status="success" if probe.ok else "failed")
    return probe


def parse_hour(text: str) -> dt.datetime:
    """An ISO-8601 time as an aware UTC datetime; a bad one is a ConfigError."""
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise ConfigError(f"not an ISO-8601 time: {text!r}") from exc


def forecast_problem(body: Any, expect_base_hour: dt.datetime | None) -> str | None:
    """Why a forecast body does not hold, or None when it does."""
    if not isinstance(body, dict) or any(k not in body for k in FORECAST_KEYS):
        missing = [k for k in FORECAST_KEYS if not isinstance(body, dict) or k not in body]
        return "forecast body lacks " + ", ".join(missing)
    horizons = body["forecast"]
    if not isinstance(horizons, dict) or sorted(horizons) != ["12h", "24h", "6h"]:
        return f"forecast horizons are {sorted(horizons) if isinstance(horizons, dict) else horizons}, not 6h/12h/24h"
    if expect_base_hour is not None:
        base_hour = parse_hour(str(body["base_hour"]))
        if base_hour < expect_base_hour:
            return (f"stale forecast: base_hour {body['base_hour']} is before the expected "
                    f"{expect_base_hour:%Y-%m-%dT%H:%M:%SZ}")
    return None


def run_probes(base_url: str, expect_base_hour: dt.datetime | None, timeout_s: float) -> dict[str, Any]:
    health = http_get(base_url, "/healthz", timeout_s)
    ready = http_get(base_url, "/readyz", timeout_s)
    forecast = http_get(base_url, FORECAST_PATH, timeout_s)
    problems = [f"{p.path} answered {p.status_code} ({p.error_code})" for p in (health, ready, forecast) if not p.ok]
    if forecast.ok:
        problem = forecast_problem(forecast.body, expect_base_hour)
        if problem:
            problems.append(problem)
    body = forecast.body if isinstance(forecast.body, dict) else {}
    return {"base_url": base_url, "healthz_status": health.status_code, "readyz_status": ready.status_code,
            "forecast_status": forecast.status_code, "base_hour": body.get("base_hour"),
            "expected_base_hour": f"{expect_base_hour:%Y-%m-%dT%H:%M:%SZ}" if expect_base_hour else None,
            "problems": problems,
            "status": "success" if not problems else "failed"}


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_api(settings: Settings, config: str | None, startup_timeout_s: float) -> Iterator[str]:
    """``ais serve`` on a free loopback port, stopped on exit; yields its base URL."""
    port = free_loopback_port()
    cmd = [sys.executable, "-m", "ais.cli", *(["--config", config] if config else []),
           "serve", "--host", "127.0.0.1", "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(cmd, cwd=settings.project_root)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise ConfigError(f"`ais serve` exited with {proc.returncode} before answering")
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=1.0):  # noqa: S310 - loopback
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise ConfigError(f"`ais serve` did not answer within {startup_timeout_s} s") from None
                time.sleep(0.2)
        yield base_url
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[Any], timeout_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ais.k8s.smoke", description=__doc__.split("\n\n")[0])
    where = p.add_mutually_exclusive_group()
    where.add_argument("--base-url", help="API base URL (default: runtime.pm25_api_base_url)")
    where.add_argument("--serve-local", action="store_true", help="start `ais serve` on loopback for the probes")
    p.add_argument("--expect-base-hour", help="the forecast's base_hour must be this hour or later (ISO 8601)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="seconds for --serve-local to come up")
    p.add_argument("--config", help="config file (default: $HANOI_PIPELINE_CONFIG or config/hanoi_pipeline.yaml)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _arg_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        configure(settings.runtime("log_level"))
        expect = parse_hour(args.expect_base_hour) if args.expect_base_hour else None
        if args.serve_local:
            with local_api(settings, args.config, args.startup_timeout) as base_url:
                summary = run_probes(base_url, expect, args.timeout)
        else:
            base_url = args.base_url or settings.runtime("pm25_api_base_url")
            if not base_url:
                raise ConfigError("no API to probe: pass --base-url or --serve-local, or set PM25_API_BASE_URL")
            summary = run_probes(base_url, expect, args.timeout)
    except AisError as exc:  # a ConfigError exits 2 (ais.errors)
        log.error(f"smoke_{exc.event}", error=str(exc), status="failed")
        return exc.exit_code
    log.info("api_smoke_done", **summary)
    sys.stdout.write(json.dumps(summary, default=str) + "\n")
    return EXIT_OK if summary["status"] == "success" else EXIT_CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
