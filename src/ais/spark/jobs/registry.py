"""The registry of Spark jobs: one source of truth for ``ais job <type>`` and, later, the
Kubernetes submit script. Each entry names its flags and the function it runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ais.config import ConfigError
from ais.spark.jobs import dead_letters, maintenance, smoke
from ais.spark.jobs.common import JobContext, Window


@dataclass(frozen=True)
class JobDef:
    name: str
    help: str
    add_args: Callable[[argparse.ArgumentParser], None]
    run: Callable[[JobContext, argparse.Namespace], dict[str, Any]]
    needs_spark: bool = True
    # the tables the job reads and writes ("namespace.table", ais.tables identifiers): the one
    # declaration of the chain that `ais demo`, the backtest and the DAGs are ordered by
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


BRONZE_TABLES = {"openaq": "air_quality.openaq_hourly_bronze", "weather": "weather.weather_history_bronze",
                 "sentinel5p": "satellite.sentinel5p_summary_bronze", "maiac": "satellite.maiac_summary_bronze",
                 "era5": "weather.era5_files_bronze",
                 "weather-vc": "weather.visualcrossing_history_bronze",
                 "weather-forecast": "weather.weatherapi_forecast_bronze"}
# what master gold joins (ais.spark.jobs.gold.read_inputs)
MASTER_INPUTS = ("air_quality.openaq_hanoi_hourly_silver", "features.openaq_spatial_gradient_silver",
                 "weather.weather_hanoi_surface_proxy_silver", "weather.era5_surface_hanoi_hourly_silver",
                 "weather.visualcrossing_hanoi_silver", "weather.weather_forecast_hanoi_silver",
                 "satellite.sentinel5p_hanoi_daily_silver",
                 "satellite.maiac_hanoi_daily_silver",
                 "features.trajectory_hourly_features_silver")


def job_parser(job: JobDef, parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The flags of ``job`` on ``parser`` (a new one by default)."""
    parser = parser if parser is not None else argparse.ArgumentParser(prog=f"ais job {job.name}")
    job.add_args(parser)
    return parser


def takes_window(job: JobDef) -> bool:
    return "--start-date" in job_parser(job)._option_string_actions


def invoke(name: str, ctx: JobContext, argv: list[str]) -> dict[str, Any]:
    """Run job ``name`` as ``ais job NAME ARGV`` would, in this process (the session of ``ctx``)."""
    job = JOBS[name]
    return job.run(ctx, job_parser(job).parse_args(argv))


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
                  _bronze_args, run, inputs=(f"bus:{source}",),
                  outputs=(BRONZE_TABLES[source], "audit.invalid_events_bronze", "audit.late_events_bronze"))


def _ensure(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.catalog import ensure_tables

    outcome = ensure_tables(ctx.settings)
    return ctx.done(tables=len(outcome))


def _plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", required=True, help="comma-separated job types whose input tables are looked at")
    p.add_argument("--since", required=True, help="arrivals from this ISO UTC time (inclusive)")
    p.add_argument("--until", required=True, help="arrivals before this ISO UTC time")
    p.add_argument("--start-date", help="the run's own first UTC date (default: the date of --since)")
    p.add_argument("--end-date", help="the run's own last UTC date, inclusive (default: the day before --until)")
    p.add_argument("--xcom-file", help="also write {start_date, end_date} as JSON here (Airflow XCom of a pod)")


def _plan(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.arrivals import run

    return ctx.done(**run(ctx.settings, a.jobs, a.since, a.until, a.start_date, a.end_date, a.xcom_file))


def _openaq_silver(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.openaq_silver import run_openaq_silver

    return run_openaq_silver(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)


def _weather_satellite(function_name: str) -> Callable[[JobContext, argparse.Namespace], dict[str, Any]]:
    def run(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
        from ais.spark.jobs import weather_satellite_silver

        job: Callable[..., dict[str, Any]] = getattr(weather_satellite_silver, function_name)
        return job(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)

    return run


def _weather_history_vc(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.weather_history_silver import run_weather_history_vc

    return run_weather_history_vc(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)


def _weather_forecast(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.weather_forecast_silver import run_weather_forecast

    return run_weather_forecast(ctx, Window.parse(a.start_date, a.end_date), a.full_refresh)


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
    p.add_argument("--start-date", help="first UTC date YYYY-MM-DD (or ISO UTC hour); without both dates: the "
                                        "latest hours of master gold")
    p.add_argument("--end-date", help="last UTC date, inclusive (or the ISO UTC hour that ends the window)")
    p.add_argument("--full-refresh", type=_flag01, default=False, metavar="0|1")
    p.add_argument("--feature-version")
    p.add_argument("--feature-set-name")
    p.add_argument("--dataset-version")
    p.add_argument("--location-id")
    p.add_argument("--location-name")
    p.add_argument("--dry-run", type=_flag01, default=False, metavar="0|1")


def _serving(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.spark.jobs.gold import run_serving_features

    s = ctx.settings
    if (a.start_date is None) != (a.end_date is None):
        raise ConfigError("give both --start-date and --end-date, or neither (the latest window)")
    window = Window.parse(a.start_date, a.end_date) if a.start_date and a.end_date else None
    return run_serving_features(
        ctx, window, a.full_refresh,
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


def _cassandra_sync(kind: str) -> Callable[[JobContext, argparse.Namespace], dict[str, Any]]:
    def run(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
        from ais.serving.sync import run_cassandra_sync

        return run_cassandra_sync(ctx, kind, Window.parse(a.start_date, a.end_date), a.full_refresh)

    return run


def _ensure_cassandra(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.serving.cassandra import ensure_serving_schema

    return ctx.done(**ensure_serving_schema(ctx.settings))


def _reconcile_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start-date", required=True, help="first UTC date YYYY-MM-DD (or an ISO UTC hour)")
    p.add_argument("--end-date", required=True,
                   help="last UTC date, inclusive (or the ISO UTC hour that ends the window)")
    p.add_argument("--tolerance", type=float, default=0.95,
                   help="a day passes when matched event ids / the larger side's count >= this (default 0.95)")


def _reconcile(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.serving.reconcile import run_reconcile

    return run_reconcile(ctx, Window.parse(a.start_date, a.end_date), a.tolerance)


def _scoring_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start-date", help="first UTC date of the target hours to score (with --end-date; "
                   "default: scoring.lookback_days up to the newest forecast's last target hour)")
    p.add_argument("--end-date", help="last UTC date of the target hours to score, inclusive")


def _scoring(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    from ais.ml.scoring import run_scoring

    return ctx.done(**run_scoring(ctx.settings, ctx.job_run_id, a.start_date, a.end_date))


JOBS: dict[str, JobDef] = {j.name: j for j in (
    JobDef("ensure-iceberg", "create or evolve every Iceberg table", _no_args, _ensure, needs_spark=False,
           outputs=("iceberg:tables",)),
    JobDef("plan-window", "the window a scheduled run rebuilds: its dates widened to the event days that "
           "arrived since the last run in the jobs' inputs (late ERA5, MAIAC)", _plan_args, _plan,
           needs_spark=False),
    _bronze("openaq"), _bronze("weather"), _bronze("sentinel5p"), _bronze("maiac"), _bronze("era5"),
    _bronze("weather-vc"), _bronze("weather-forecast"),
    JobDef("hanoi-openaq-silver", "OpenAQ bronze -> station-hourly and city-hourly silver",
           _window_args, _openaq_silver, inputs=("air_quality.openaq_hourly_bronze",),
           outputs=("air_quality.openaq_hanoi_station_hourly_silver", "air_quality.openaq_hanoi_hourly_silver")),
    JobDef("hanoi-weather-proxy-silver", "WeatherAPI bronze -> Hanoi hourly surface proxy silver",
           _window_args, _weather_satellite("run_weather_proxy"), inputs=("weather.weather_history_bronze",),
           outputs=("weather.weather_hanoi_surface_proxy_silver",)),
    JobDef("weather-history-vc-silver", "Visual Crossing history bronze -> Hanoi daily and hourly silver",
           _window_args, _weather_history_vc, inputs=("weather.visualcrossing_history_bronze",),
           outputs=("weather.visualcrossing_hanoi_silver",)),
    JobDef("weather-forecast-silver", "WeatherAPI forecast bronze -> Hanoi forecasts, every issue",
           _window_args, _weather_forecast, inputs=("weather.weatherapi_forecast_bronze",),
           outputs=("weather.weather_forecast_hanoi_silver",)),
    JobDef("era5-surface-hanoi-silver", "ERA5 single-level bronze -> Hanoi hourly surface silver",
           _window_args, _weather_satellite("run_era5_surface"), inputs=("weather.era5_files_bronze",),
           outputs=("weather.era5_surface_hanoi_hourly_silver",)),
    JobDef("sentinel5p-hanoi-silver", "Sentinel-5P bronze -> daily Hanoi statistics per product",
           _window_args, _weather_satellite("run_s5p_daily"), inputs=("satellite.sentinel5p_summary_bronze",),
           outputs=("satellite.sentinel5p_hanoi_daily_silver",)),
    JobDef("maiac-hanoi-silver", "MAIAC bronze -> daily Hanoi AOD statistics", _window_args,
           _weather_satellite("run_maiac_daily"),
           inputs=("satellite.maiac_summary_bronze",), outputs=("satellite.maiac_hanoi_daily_silver",)),
    JobDef("sentinel5p-grid-silver", "Sentinel-5P bronze grid cells -> daily 0.25 degree grid per product",
           _window_args, _weather_satellite("run_s5p_grid"), inputs=("satellite.sentinel5p_summary_bronze",),
           outputs=("satellite.sentinel5p_grid_silver",)),
    JobDef("openaq-spatial-gradient-silver", "OpenAQ station-hourly silver -> hourly PM2.5 spatial gradient",
           _window_args, _gradient, inputs=("air_quality.openaq_hanoi_station_hourly_silver",),
           outputs=("features.openaq_spatial_gradient_silver",)),
    JobDef("trajectory-met-arl", "ERA5 pressure-level GRIB (or simulated met) -> ARL files + era5_arl_files_bronze",
           _met_args, _traj_met, inputs=("weather.era5_files_bronze",), outputs=("weather.era5_arl_files_bronze",)),
    JobDef("trajectory-runs", "plan and run back/forward trajectories on the executors -> runs bronze + points silver",
           _window_args, _traj_runs, inputs=("weather.era5_arl_files_bronze", "air_quality.openaq_hanoi_hourly_silver"),
           outputs=("trajectory.hysplit_runs_bronze", "trajectory.hysplit_trajectories_silver")),
    JobDef("trajectory-clusters", "k-means clusters of the trajectories, stable ids, upwind source points",
           _window_args, _traj("run_clusters"),
           inputs=("trajectory.hysplit_runs_bronze", "trajectory.hysplit_trajectories_silver"),
           outputs=("trajectory.hysplit_trajectories_clustered_silver",)),
    JobDef("trajectory-path-satellite", "S5P NO2 and AER_AI sampled along the paths (-72..-24 h)",
           _window_args, _traj("run_path_satellite"),
           inputs=("trajectory.hysplit_trajectories_silver", "satellite.sentinel5p_grid_silver"),
           outputs=("features.trajectory_path_satellite_silver",)),
    JobDef("trajectory-hourly-features", "trajectory features per hour", _window_args, _traj("run_hourly_features"),
           inputs=("trajectory.hysplit_trajectories_clustered_silver", "features.trajectory_path_satellite_silver"),
           outputs=("features.trajectory_hourly_features_silver",)),
    JobDef("hanoi-master-features-gold", "master hourly gold: 67 features + targets", _window_args, _master,
           inputs=MASTER_INPUTS, outputs=("features.hanoi_pm25_master_hourly_gold",)),
    JobDef("hanoi-training-dataset-gold", "training dataset gold with chronological splits",
           _dataset_args, _dataset, inputs=("features.hanoi_pm25_master_hourly_gold",),
           outputs=("features.hanoi_pm25_training_dataset_gold",)),
    JobDef("hanoi-serving-features-gold", "serving features gold (no targets, schema hash)",
           _serving_args, _serving, inputs=("features.hanoi_pm25_master_hourly_gold",),
           outputs=("features.hanoi_pm25_serving_features_gold", "features.hanoi_pm25_serving_extra_features_gold")),
    JobDef("ensure-cassandra", "create the Cassandra serving keyspace and tables if missing (CONTRACTS.md §4)",
           _no_args, _ensure_cassandra, needs_spark=False, outputs=("cassandra:ais_serving",)),
    JobDef("cassandra-weather", "weather bronze window -> Cassandra weather_hourly_by_province_day (upsert)",
           _window_args, _cassandra_sync("weather"), inputs=("weather.weather_history_bronze",),
           outputs=("cassandra:ais_serving.weather_hourly_by_province_day",)),
    JobDef("cassandra-openaq", "OpenAQ bronze window -> Cassandra openaq_hourly_by_city_parameter_day (upsert)",
           _window_args, _cassandra_sync("openaq"), inputs=("air_quality.openaq_hourly_bronze",),
           outputs=("cassandra:ais_serving.openaq_hourly_by_city_parameter_day",)),
    JobDef("reconcile-serving",
           "bronze vs Cassandra per table and day (distinct event ids, checksums); exit 3 below --tolerance",
           _reconcile_args, _reconcile,
           inputs=("weather.weather_history_bronze", "air_quality.openaq_hourly_bronze",
                   "cassandra:ais_serving.weather_hourly_by_province_day",
                   "cassandra:ais_serving.openaq_hourly_by_city_parameter_day")),
    # maintenance changes no table's content: no inputs or outputs in the chain
    JobDef("maintenance-iceberg", "compact, expire snapshots, rewrite manifests, remove orphans on every table",
           maintenance.add_args, maintenance.run_job),
    JobDef("spark-smoke", "executors compute a checked sum; one Iceberg row written, read back, dropped",
           smoke.add_args, smoke.run_job),
    JobDef("forecast-scoring", "archive every forecast per lead time, score it against silver PM2.5, "
           "and the skill by lead time over 7 and 30 days", _scoring_args, _scoring, needs_spark=False,
           inputs=("predictions.hanoi_pm25_forecast_gold", "predictions.hanoi_pm25_forecast_interval_gold",
                   "air_quality.openaq_hanoi_hourly_silver"),
           outputs=("predictions.hanoi_pm25_forecast_archive_gold", "predictions.hanoi_pm25_forecast_skill_gold")),
    JobDef("audit-dead-letters", "stream ais-ingest's dead letters into audit.invalid_events_bronze",
           dead_letters.add_args, dead_letters.run_job, inputs=("bus:dlq",),
           outputs=("audit.invalid_events_bronze",)),
)}
