"""The trajectory jobs through Spark and Iceberg on simulated met: met file -> runs on the executors
-> points -> clusters -> S5P path sampling -> hourly features; incremental skips and retries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.spark.jobs import trajectories as tj
from ais.spark.jobs.common import JobContext, Window
from ais.spark.merge import merge_into

pytestmark = pytest.mark.spark
PROJECT_ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC
DAY = Window.from_dates("2026-01-15", "2026-01-15")
NO2, AER = 1.0e-4, 0.5
GRIB = PROJECT_ROOT / "native" / "tests" / "traj" / "data" / "era5_pl_handmade_hanoi.grib"


def _table(spark: Any, settings: Settings, identifier: str) -> list[Any]:
    return spark.table(tables.table(identifier).qualified(settings.catalog_name)).collect()


def _seed_inputs(spark: Any, settings: Settings) -> None:
    from pyspark.sql import functions as F

    cat = settings.catalog_name
    pm = spark.createDataFrame([(dt.datetime(2026, 1, 15, 5, tzinfo=UTC), 90.0, "simulated"),
                                (dt.datetime(2026, 1, 15, 6, tzinfo=UTC), 60.0, "simulated")],
                               "hour timestamp, pm25_median double, source string")
    merge_into(pm, tables.table("air_quality.openaq_hanoi_hourly_silver"), cat)
    # S5P 0.25-degree grid over the met region, 12..15 January, NO2 and AER_AI constant
    cells = spark.range(81 * 121).select((F.lit(95.0) + (F.col("id") % 81) * 0.25).alias("lon"),
                                         (F.lit(5.0) + F.floor(F.col("id") / 81) * 0.25).alias("lat"))
    days = spark.createDataFrame([(dt.date(2026, 1, d),) for d in (12, 13, 14, 15)], "date date")
    products = spark.createDataFrame([("NO2", NO2), ("AER_AI", AER)], "product string, value_mean double")
    grid = (cells.crossJoin(days).crossJoin(products)
            .withColumn("available_at", F.to_timestamp(F.date_add("date", 1)))
            .withColumn("valid_count", F.lit(10).cast("long")).withColumn("source", F.lit("simulated")))
    merge_into(grid, tables.table("satellite.sentinel5p_grid_silver"), cat)
    # one ERA5 pressure-level file event (the hand-made GRIB: 12 hours, too short for a 72 h run)
    era5 = spark.createDataFrame(
        [("era5_pl_1", "cds", dt.datetime(2026, 1, 15, 0, tzinfo=UTC), "1", "pressure_levels",
          dt.datetime(2026, 1, 15, 0, tzinfo=UTC), dt.datetime(2026, 1, 15, 12, tzinfo=UTC), str(GRIB))],
        "event_id string, source string, event_time timestamp, schema_version string, dataset_type string, "
        "period_start timestamp, period_end timestamp, file_path string")
    merge_into(era5, tables.table("weather.era5_files_bronze"), cat)


def test_trajectory_chain(spark: Any, spark_settings: Callable[..., Settings], tmp_path: Path) -> None:
    if not (PROJECT_ROOT / "build" / "native" / "ais-traj").exists():
        pytest.skip("build/native/ais-traj is absent: build the native tree first")
    base = spark_settings()
    settings = dataclasses.replace(base, values={**base.values, "runtime.met_dir": str(tmp_path / "met"),
                                                 "trajectories.work_dir": str(tmp_path / "work")})
    _seed_inputs(spark, settings)

    def ctx(name: str) -> JobContext:
        return JobContext(name, settings, spark)

    real = tj.run_met_arl(ctx("met"), DAY, False, simulate=False)
    assert (real["files_planned"], real["files_converted"], real["files_failed"]) == (1, 1, 0)
    (era5,) = _table(spark, settings, "weather.era5_arl_files_bronze")
    assert (era5.arl_file_id, era5.era5_event_id, era5.source) == ("era5_era5_pl_1", "era5_pl_1", "era5")
    assert (era5.grid_west, era5.grid_north, era5.pressure_levels_hpa) == (104.0, 22.75, [1000, 850])

    met = tj.run_met_arl(ctx("met"), DAY, False, simulate=True)
    assert (met["files_converted"], met["files_failed"]) == (1, 0)
    (arl,) = [r for r in _table(spark, settings, "weather.era5_arl_files_bronze") if r.source == "simulated"]
    assert arl.source == "simulated" and arl.arl_file_id == "simulated_20260112T00_20260117T00"
    assert (arl.period_start, arl.period_end) == (dt.datetime(2026, 1, 12), dt.datetime(2026, 1, 17))
    assert arl.pressure_levels_hpa == [1000, 925, 850, 700, 600, 500, 400]
    assert arl.size_bytes == Path(arl.path).stat().st_size and len(arl.sha256) == 64
    assert tj.run_met_arl(ctx("met"), DAY, False, simulate=True)["files_planned"] == 1  # exists: not redone

    first = tj.run_trajectories(ctx("runs"), DAY)
    # 00 and 12 UTC scheduled, 05 UTC over the 75 µg/m³ trigger; each 72 h back and 24 h forward
    assert (first["runs_planned"], first["runs_attempted"], first["runs_failed"]) == (6, 6, 0)
    runs = {r.run_id: r for r in _table(spark, settings, "trajectory.hysplit_runs_bronze")}
    assert {(r.start_time.hour, r.trigger) for r in runs.values()} == {
        (0, "scheduled"), (5, "pm25_threshold"), (12, "scheduled")}
    assert all(r.status == "success" and r.engine == "ais-traj" and r.attempts == 1 for r in runs.values())
    assert all(r.met_files == [arl.path] and r.source == "simulated" for r in runs.values())
    points = _table(spark, settings, "trajectory.hysplit_trajectories_silver")
    assert first["points_written"] == len(points) > 6
    by_traj: dict[str, list[Any]] = {}
    for p in points:
        by_traj.setdefault(p.traj_id, []).append(p)
    assert set(by_traj) == {f"{rid}-1" for rid in runs}
    assert all(p.timestamp == runs[p.run_id].start_time + dt.timedelta(hours=p.age_h) for p in points)
    assert {p.source for p in points} == {"simulated"}

    again = tj.run_trajectories(ctx("runs"), DAY)  # finished runs are skipped
    assert (again["runs_skipped"], again["runs_attempted"], again["points_written"]) == (6, 0, 0)

    # no met file covers 20 January: waiting, with the reason, retried (attempts 2) on the next call
    later = Window.from_dates("2026-01-20", "2026-01-20")
    waiting = tj.run_trajectories(ctx("runs"), later)
    assert (waiting["runs_waiting_met"], waiting["runs_failed"], waiting["status"]) == (4, 0, "success")
    tj.run_trajectories(ctx("runs"), later)
    pending = [r for r in _table(spark, settings, "trajectory.hysplit_runs_bronze") if r.status == "waiting_met"]
    assert len(pending) == 4 and all(r.attempts == 2 for r in pending)
    assert {r.error_message for r in pending} == {
        f"no ARL met file covers {d} from 2026-01-20T{h}:00:00Z"
        for d in ("backward 72 h", "forward 24 h") for h in ("00", "12")}

    # then the met arrives one file per day (as ERA5 does: 00, 06, 12, 18 UTC of each day, here
    # simulated): each run joins the consecutive daily files it needs, in time order
    cfg = tj.TrajConfig(settings)
    daily = [tj.make_met(cfg, {"kind": "simulate", "start": f"2026-01-{d}T00:00:00Z", "end": f"2026-01-{d}T18:00:00Z",
                               "out": str(tmp_path / "met" / "daily" / f"{d}.arl"), "arl_file_id": f"daily_{d}"})
             for d in (17, 18, 19, 20, 21)]
    assert [(f["period_start"].hour, f["period_end"].hour, f["source"]) for f in daily] == [(0, 18, "simulated")] * 5
    spec = tables.table("weather.era5_arl_files_bronze")
    merge_into(spark.createDataFrame(daily, schema=tj._schema(spec, daily[0])), spec, settings.catalog_name)
    joined = tj.run_trajectories(ctx("runs"), later)
    assert (joined["runs_attempted"], joined["runs_waiting_met"], joined["runs_failed"]) == (4, 0, 0)
    done = {(r.direction, r.start_time.hour): r for r in _table(spark, settings, "trajectory.hysplit_runs_bronze")
            if r.start_time.day == 20}
    assert {k: (r.status, r.attempts) for k, r in done.items()} == {
        k: ("success", 3) for k in (("backward", 0), ("backward", 12), ("forward", 0), ("forward", 12))}
    path = {d: str(tmp_path / "met" / "daily" / f"{d}.arl") for d in (17, 18, 19, 20, 21)}
    assert done[("backward", 0)].met_files == [path[17], path[18], path[19], path[20]]
    assert done[("backward", 12)].met_files == [path[17], path[18], path[19], path[20]]
    assert done[("forward", 12)].met_files == [path[20], path[21]]

    clusters = tj.run_clusters(ctx("clusters"), DAY)
    assert clusters["trajectories"] == 3 and clusters["k"] == 1  # too few paths for k_min = 3
    for row in _table(spark, settings, "trajectory.hysplit_trajectories_clustered_silver"):
        oldest = min(by_traj[row.traj_id], key=lambda p: p.age_h)
        assert (row.source_lat, row.source_lon) == (oldest.lat, oldest.lon)
        assert oldest.age_h < 0 and (row.source_lat, row.source_lon) != (21.0285, 105.8542)
        assert row.source == "simulated"

    path = tj.run_path_satellite(ctx("path"), DAY)
    assert path["trajectories"] >= 1
    for row in _table(spark, settings, "features.trajectory_path_satellite_silver"):
        if row.n_samples:
            assert row.path_no2_mean == pytest.approx(NO2) and row.path_no2_aer_ratio == pytest.approx(NO2 / AER)
            assert row.source == "simulated"

    hourly = tj.run_hourly_features(ctx("hourly"), DAY)
    assert hourly["hours"] == 24
    rows = {r.hour.hour: r for r in _table(spark, settings, "features.trajectory_hourly_features_silver")}
    assert rows[5].n_traj == 1 and rows[4].n_traj == 1 and rows[5].dominant_cluster == 0
    assert {r.source for r in rows.values()} == {"simulated"}
    assert tj.run_hourly_features(ctx("hourly"), DAY)["output_count"] == 0  # a rerun changes nothing
