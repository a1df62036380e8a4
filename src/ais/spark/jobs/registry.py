"""The registry of Spark jobs: one source of truth for ``ais job <type>`` and, later, the
Kubernetes submit script. Each entry names its flags and the function it runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ais.spark.jobs.common import JobContext, Window


@dataclass(frozen=True)
class JobDef:
    name: str
    help: str
    add_args: Callable[[argparse.ArgumentParser], None]
    run: Callable[[JobContext, argparse.Namespace], dict[str, Any]]
    needs_spark: bool = True


def _flag01(value: str) -> bool:
    if value not in ("0", "1"):
        raise argparse.ArgumentTypeError("expected 0 or 1")
    return value == "1"


def _window_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start-date", required=True,
                   help="first UTC date YYYY-MM-DD (or an ISO UTC hour for an hourly window)")
    p.add_argument("--end-date", required=True,
                   help="last UTC date, inclusive (or the ISO UTC hour that ends the window, exclusive)")
    p.add_argument("--full-refresh", type=_flag01, default=False, metavar="0|1")


def _no_args(p: argparse.ArgumentParser) -> None:
    return None


def _bronze_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trigger", choices=("availableNow", "processingTime"), default="availableNow")
    p.add_argument("--processing-seconds", type=int, default=60)


def _bronze(source: str) -> JobDef:
    def run(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
        from ais.spark.jobs.bronze import run_bronze

        return run_bronze(ctx, source, a.trigger, a.processing_seconds)

    return JobDef(f"bronze-{source}", f"stream {source} events into bronze (MERGE on event_id)",
                  _bronze_args, run)


def _ensure(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.catalog import ensure_tables

    outcome = ensure_tables(ctx.settings)
    return ctx.done(tables=len(outcome))


def _openaq_silver(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.openaq_silver import run_openaq_silver

    return run_openaq_silver(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)


def _tier1(function_name: str) -> Callable[[JobContext, argparse.Namespace], dict[str, Any]]:
    def run(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
        from ais.spark.jobs import tier1_silver

        job: Callable[..., dict[str, Any]] = getattr(tier1_silver, function_name)
        return job(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)

    return run


def _gradient(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.gold import run_spatial_gradient

    return run_spatial_gradient(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)


def _master(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.gold import run_master_gold

    return run_master_gold(ctx, Window.parse(a.start_date, a.end_date))


def _dataset_args(p: argparse.ArgumentParser) -> None:
    _window_args(p)
    p.add_argument("--dataset-version")
    p.add_argument("--feature-set-name")


def _dataset(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.gold import run_training_dataset

    s = ctx.settings
    return run_training_dataset(ctx, Window.parse(a.start_date, a.end_date),
                                a.dataset_version or s.dataset_version,
                                a.feature_set_name or s.feature_set_name)


def _serving_args(p: argparse.ArgumentParser) -> None:
    _window_args(p)
    p.add_argument("--feature-version")
    p.add_argument("--feature-set-name")
    p.add_argument("--dataset-version")
    p.add_argument("--location-id")
    p.add_argument("--location-name")
    p.add_argument("--dry-run", type=_flag01, default=False, metavar="0|1")


def _serving(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.gold import run_serving_features

    s = ctx.settings
    return run_serving_features(
        ctx, Window.parse(a.start_date, a.end_date), a.full_refresh,
        a.feature_version or s.feature_version, a.feature_set_name or s.feature_set_name,
        a.dataset_version or s.dataset_version, a.location_id or s.location_id,
        a.location_name or s.location_name, a.dry_run)


def _met_args(p: argparse.ArgumentParser) -> None:
    _window_args(p)
    p.add_argument("--simulate", type=_flag01, default=False, metavar="0|1",
                   help="1: one simulated ARL file for the window (source=simulated) instead of ERA5 GRIB")


def _traj_met(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.trajectories import run_met_arl

    return run_met_arl(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh, a.simulate)


def _traj_runs(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.trajectories import run_trajectories

    return run_trajectories(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)


def _traj(function_name: str) -> Callable[[JobContext, argparse.Namespace], dict[str, Any]]:
    def run(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
        from ais.spark.jobs import trajectories

        job: Callable[..., dict[str, Any]] = getattr(trajectories, function_name)
        return job(ctx, Window.parse(a.start_date, a.end_date))

    return run


JOBS: dict[str, JobDef] = {j.name: j for j in (
    JobDef("ensure-iceberg", "create or evolve every Iceberg table", _no_args, _ensure, needs_spark=False),
    _bronze("openaq"), _bronze("weather"), _bronze("sentinel5p"), _bronze("maiac"), _bronze("era5"),
    JobDef("hanoi-openaq-silver", "OpenAQ bronze -> station-hourly and city-hourly silver",
           _window_args, _openaq_silver),
    JobDef("hanoi-weather-proxy-silver", "WeatherAPI bronze -> Hanoi hourly surface proxy silver",
           _window_args, _tier1("run_weather_proxy")),
    JobDef("era5-surface-hanoi-silver", "ERA5 single-level bronze -> Hanoi hourly surface silver",
           _window_args, _tier1("run_era5_surface")),
    JobDef("sentinel5p-hanoi-silver", "Sentinel-5P bronze -> daily Hanoi statistics per product",
           _window_args, _tier1("run_s5p_daily")),
    JobDef("maiac-hanoi-silver", "MAIAC bronze -> daily Hanoi AOD statistics", _window_args, _tier1("run_maiac_daily")),
    JobDef("sentinel5p-grid-silver", "Sentinel-5P bronze grid cells -> daily 0.25 degree grid per product",
           _window_args, _tier1("run_s5p_grid")),
    JobDef("openaq-spatial-gradient-silver", "OpenAQ station-hourly silver -> hourly PM2.5 spatial gradient",
           _window_args, _gradient),
    JobDef("trajectory-met-arl", "ERA5 pressure-level GRIB (or simulated met) -> ARL files + era5_arl_files_bronze",
           _met_args, _traj_met),
    JobDef("trajectory-runs", "plan and run back/forward trajectories on the executors -> runs bronze + points silver",
           _window_args, _traj_runs),
    JobDef("trajectory-clusters", "k-means clusters of the trajectories, stable ids, upwind source points",
           _window_args, _traj("run_clusters")),
    JobDef("trajectory-path-satellite", "S5P NO2 and AER_AI sampled along the paths (-72..-24 h)",
           _window_args, _traj("run_path_satellite")),
    JobDef("trajectory-hourly-features", "trajectory features per hour", _window_args, _traj("run_hourly_features")),
    JobDef("hanoi-master-features-gold", "master hourly gold: 67 features + targets", _window_args, _master),
    JobDef("hanoi-training-dataset-gold", "training dataset gold with chronological splits",
           _dataset_args, _dataset),
    JobDef("hanoi-serving-features-gold", "serving features gold (no targets, schema hash)",
           _serving_args, _serving),
)}
