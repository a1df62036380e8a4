"""The demo's orchestration: the whole chain, in order, in one process.

    ais-ingest (C, OpenAQ, weather, Sentinel-5P, MAIAC and ERA5) -> landing files or Kafka -> bronze
    -> tier-1 silver (incl. the S5P grid) -> spatial gradient -> trajectories (simulated met) -> master gold
    -> training dataset -> serving features -> train -> promote -> predict -> API

The Spark jobs between ingest and training, and their order, come from the tables each job
declares in the job registry (ais.chain), not from a list kept here.

Ingest is either ``simulate`` (the C simulators write events directly) or ``live-fixture`` (the
live adapters against the five APIs simulated on loopback, ais.simulated_providers); both label
every record source ``simulated``.

Ingest runs the C ``ais-ingest`` (ais.ingest_runner). Every step is the same function the cluster
profile runs (``ais job ...``, ``ais train`` ...), so this file only picks the targets and the
window. The window is explicit: it ends at ``simulate.end_utc`` (or ``--end``) and spans
``simulate.span_days`` (or ``--span-days``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ais.config import ConfigError, Settings
from ais.ingest_runner import ensure_topics, run_ingest, uses_kafka
from ais.jsonlog import get_logger
from ais.simulated_providers import SimulatedProviders
from ais.timeutil import iso_z, parse_iso

log = get_logger("pipeline")
DEMO_PROMOTER = "ais-demo"
GRIDDED_SOURCES = ("sentinel5p", "maiac", "era5")
INGEST_MODES = ("simulate", "live-fixture")


@dataclass
class ChainResult:
    window_start: dt.datetime
    window_end: dt.datetime
    steps: dict[str, Any] = field(default_factory=dict)
    prediction: dict[str, Any] = field(default_factory=dict)


def parse_utc(text: str) -> dt.datetime:
    """An ISO-8601 time as an aware UTC datetime, floored to the hour; a bad one is a ConfigError."""
    try:
        value = parse_iso(text)
    except ValueError as exc:
        raise ConfigError(f"not an ISO-8601 time: {text!r}") from exc
    return value.replace(minute=0, second=0, microsecond=0)


def ingest_simulated(settings: Settings, source: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Run the C simulator of ``source`` into the landing folder; returns its one-line JSON summary."""
    return run_ingest(settings, source, "simulate", start, end)


INGEST_LIVE_SOURCES = ("openaq", "weather", *GRIDDED_SOURCES, "weather-forecast")


def ingest_all(settings: Settings, start: dt.datetime, end: dt.datetime, ingest: str,
               step: Any) -> None:
    """The six live sources onto the bus, each a ``step`` (simulate, or live against the simulated
    APIs on loopback)."""
    sources = INGEST_LIVE_SOURCES
    names = {"openaq": "ingest"}  # the first step's historical name
    span = f"{iso_z(start)}..{iso_z(end)}"
    if ingest == "simulate":
        for source in sources:
            step(names.get(source, f"ingest_{source}"), ingest_simulated, settings, source, start, end,
                 label=f"ingest {source} (simulate) {span}")
        return
    if ingest != "live-fixture":
        raise ConfigError(f"unknown ingest {ingest!r} (one of {', '.join(INGEST_MODES)})")
    providers = SimulatedProviders(settings, start, end)
    step("provider_files", providers.open)
    try:
        for source in sources:
            step(names.get(source, f"ingest_{source}"), run_ingest, settings, source, "live", start, end,
                 providers=providers, label=f"ingest {source} (live, simulated APIs) {span}")
    finally:
        providers.close()


# the steps `ais demo` runs: what the serving features and the training dataset need (ais.chain)
DEMO_TARGETS = ("hanoi-serving-features-gold", "hanoi-training-dataset-gold")
# arguments of a step in the demo besides its window: trajectories through simulated met
# (source=simulated)
DEMO_ARGS = {"trajectory-met-arl": ["--simulate", "1"]}


def job_steps(targets: tuple[str, ...] | list[str]) -> list[str]:
    """The Spark jobs ``targets`` need, in the declared order (ais.chain), without ingest and ML."""
    from ais import chain

    declared = chain.nodes()
    return [name for name in chain.upstream(targets) if declared[name].kind == "spark"]


def run_chain(settings: Settings, start: dt.datetime, end: dt.datetime,
              promoted_by: str = DEMO_PROMOTER, ingest: str = "simulate") -> ChainResult:
    """Everything from ingest to the prediction row for the latest base hour: ingest, then the
    Spark jobs of :data:`DEMO_TARGETS` in the order the job registry declares, then train, promote,
    predict and forecast-scoring (the archive and skill)."""
    from ais.catalog import ensure_tables
    from ais.cli import JobError
    from ais.ml.predict import predict
    from ais.ml.registry import promote
    from ais.ml.train import train_models
    from ais.progress import steps as progress_steps
    from ais.spark.jobs.common import JobContext
    from ais.spark.jobs.registry import JOBS, invoke, takes_window
    from ais.spark.session import get_spark

    result = ChainResult(start, end)
    timings: dict[str, float] = {}
    jobs = job_steps(DEMO_TARGETS)
    window_text = f"{start.date().isoformat()}..{(end - dt.timedelta(hours=1)).date().isoformat()}"
    ingest_count = len(INGEST_LIVE_SOURCES) + (ingest == "live-fixture")  # the sources, plus the provider files
    total = 1 + uses_kafka(settings) + ingest_count + len(jobs) + 1 + len(settings.horizons) + 1 + 1

    with progress_steps("demo", total) as run:
        def step(name: str, fn: Any, *args: Any, label: str | None = None, **kwargs: Any) -> Any:
            t0 = time.monotonic()
            out = run(label or name, fn, *args, **kwargs)
            timings[name] = round(time.monotonic() - t0, 2)
            result.steps[name] = out
            return out

        step("ensure_tables", ensure_tables, settings)
        if uses_kafka(settings):
            step("topics", ensure_topics, settings)
        ingest_all(settings, start, end, ingest, step)
        spark = get_spark(settings, app_name="ais-demo")
        window = ["--start-date", start.date().isoformat(),
                  "--end-date", (end - dt.timedelta(hours=1)).date().isoformat()]
        for name in jobs:
            windowed = takes_window(JOBS[name])
            argv = (window if windowed else []) + DEMO_ARGS.get(name, [])
            step(name, invoke, name, JobContext(name.replace("-", "_"), settings, spark), argv,
                 label=f"{name} {window_text}" if windowed else name)
        # a rerun on the same data finds the same model and records no second run of it
        trained = step("train", train_models, settings, reuse_identical=True)
        for horizon in settings.horizons:
            step(f"promote_{horizon}h", promote, settings, trained.model_run_id, settings.location_id, horizon,
                 settings.feature_version, promoted_by=promoted_by)
        result.prediction = step("predict", predict, settings)
        # the forecast archive and skill the dashboard shows (issue 14): every forecast with its
        # observation where the target hour is in silver
        step("forecast-scoring", invoke, "forecast-scoring", JobContext("forecast_scoring", settings, spark), [])
    if not result.prediction:
        raise JobError("the chain produced no prediction")
    log.info("chain_done", window_start=start, window_end=end, step_seconds=timings, status="success")
    return result


class _Server:
    """uvicorn in a background thread, so the demo can query its own API and keep serving."""

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        import uvicorn

        from ais.api.app import create_app

        config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="ais-api", daemon=True)

    def start(self, timeout_s: float = 30.0) -> None:
        from ais.cli import JobError

        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise JobError("the API did not start (is the port in use?)")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def fetch_latest_forecast(base_url: str) -> tuple[int, dict[str, Any]]:
    import httpx

    response = httpx.get(f"{base_url}/api/v1/hanoi/pm25/forecast/latest", timeout=10.0)
    return response.status_code, response.json()


STACK_SCRIPT = Path("scripts") / "stack.sh"


def parse_env_lines(text: str) -> dict[str, str]:
    """The KEY=VALUE lines of ``scripts/stack.sh env`` (its closing ``export ...`` line has no '=')."""
    pairs = (line.partition("=") for line in text.splitlines())
    return {key: value for key, sep, value in pairs if sep and key.isidentifier()}


def stack_endpoints(settings: Settings) -> dict[str, str]:
    """The endpoints of the production profile's servers on this machine: the KEY=VALUE lines of
    ``scripts/stack.sh env`` (the stack must be up: ``make stack``)."""
    script = settings.project_root / STACK_SCRIPT
    done = subprocess.run([str(script), "env"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigError("the cluster profile needs the stack's servers: run `make stack` first "
                          f"(scripts/stack.sh env exited {done.returncode}: {done.stderr.strip()[-500:]})")
    return parse_env_lines(done.stdout)


def cluster_settings(settings: Settings) -> Settings:
    """The production profile: every endpoint not set in the environment is taken from
    ``scripts/stack.sh env`` (so an external Kafka, HDFS, PostgreSQL or Cassandra set in the
    environment wins), then the settings are loaded again. Child programs inherit the endpoints."""
    from ais.config import load_settings

    endpoints = stack_endpoints(settings)
    taken = {k: v for k, v in endpoints.items() if k not in os.environ}
    os.environ.update(taken)
    log.info("cluster_profile", from_stack=sorted(taken), from_environment=sorted(set(endpoints) - set(taken)))
    cluster = load_settings(settings.path)
    missing = [k for k in ("kafka_bootstrap_servers", "hdfs_namenode") if not cluster.runtime(k)]
    if missing or cluster.runtime("iceberg_catalog_uri").startswith("jdbc:sqlite:"):
        raise ConfigError(f"the cluster profile is incomplete: {missing or 'iceberg_catalog_uri'} not set")
    return cluster


def run_serving_checks(settings: Settings, base_url: str, base_hour: dt.datetime) -> dict[str, Any]:
    """``ais check --check all`` against the served API, freshness measured at the forecast's base
    hour (the demo's window ends in the past)."""
    from ais.checks.core import CHECKS, CheckContext, run_checks

    ctx = CheckContext(settings, now=dt.datetime.now(dt.UTC), reference=base_hour, location_id=settings.location_id,
                       feature_version=settings.feature_version, api_base_url=base_url, explicit=False)
    return run_checks(ctx, list(CHECKS))


def demo(settings: Settings, args: argparse.Namespace) -> int:
    from ais.cli import JobError
    from ais.jsonlog import human_mode
    from ais.output import print_json
    from ais.progress import echo

    if args.profile == "cluster":
        settings = cluster_settings(settings)
    end = parse_utc(args.end or settings.require("simulate.end_utc"))
    span_days = args.span_days if args.span_days is not None else settings.get_int("simulate.span_days")
    if span_days < 4:
        raise ConfigError("--span-days must be at least 4 (the split needs train, validation and test days)")
    ingest = args.ingest or ("live-fixture" if args.profile == "cluster" else "simulate")
    chain = run_chain(settings, end - dt.timedelta(days=span_days), end, ingest=ingest)
    _stop_spark()

    port = args.port if args.port is not None else settings.get_int("runtime.api_port")
    server = _Server(settings, "127.0.0.1", port)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{port}"
        status, body = fetch_latest_forecast(base_url)
        if status != 200:
            raise JobError(f"the API answered {status}: {body}")
        checks = run_serving_checks(settings, base_url, parse_utc(str(chain.prediction["base_hour"])))
        print_json(body)
        if checks["status"] != "success":
            failed = [name for name, result in checks["checks"].items() if result["status"] == "failed"]
            raise JobError(f"the serving checks failed: {failed}")
        if args.no_serve:
            return 0
        url = f"{base_url}/api/v1/hanoi/pm25/forecast/latest"
        dashboard = dashboard_line(settings, base_url)
        log.info("serving", url=url, dashboard_url=f"{base_url}/", dashboard=dashboard, hint="Ctrl-C to stop")
        if human_mode():
            echo(f"serving the forecast at {url}")
            echo(f"{dashboard} (Ctrl-C to stop)")
        while server.thread.is_alive():
            server.thread.join(timeout=1.0)
        return 0
    finally:
        server.stop()


def dashboard_line(settings: Settings, base_url: str) -> str:
    """Where the dashboard is (the API serves it at /), or how to build it when it is not built."""
    from ais.api.app import dashboard_dir

    if (dashboard_dir(settings) / "index.html").is_file():
        return f"dashboard: {base_url}/"
    return f"dashboard: {base_url}/ once built (scripts/setup.sh web)"


def _stop_spark() -> None:
    """Free the JVM before serving: the API never needs Spark."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the whole chain (embedded profile, or --profile cluster) and serve the "
                                    "forecast")
    p.add_argument("--span-days", type=int, help="days of simulated history (default simulate.span_days)")
    p.add_argument("--end", help="window end, ISO UTC (default simulate.end_utc)")
    p.add_argument("--port", type=int, help="API port (default runtime.api_port)")
    p.add_argument("--no-serve", action="store_true", help="print the forecast and exit")
    p.add_argument("--profile", choices=("embedded", "cluster"), default="embedded",
                   help="cluster: the production profile on the servers of scripts/stack.sh (`make stack`); "
                        "endpoints set in the environment win over the stack's")
    p.add_argument("--ingest", choices=INGEST_MODES,
                   help="simulate: the C simulators write events; live-fixture: ais-ingest --mode live against "
                        "the five APIs simulated on loopback (ais-provider-sim + the fixture server). Both label "
                        "every record source=simulated. Default: live-fixture for the cluster profile, else "
                        "simulate")
    p.set_defaults(func=demo)
