"""Master gold build time for 1 and 5 simulated years (issue 5).

Inputs are simulated and written DIRECTLY into the seven silver tables the master gold reads
(city-hourly PM2.5, spatial gradient, weather proxy, ERA5 surface, Sentinel-5P daily for five
products, MAIAC daily, trajectory hourly features), every row labelled source=simulated where the
table has a source column: the figure is the gold build, not ingest or silver. Per size, timed:
- build: ``run_master_gold`` over the whole span into an empty master table (all 67 features,
  targets and ages, MERGE included);
- rerun: the same window again (nothing changed: compares and writes nothing);
- one_day: the last day alone on top of the history (the daily incremental run);
against a same-run baseline: a plain Spark scan and count of the same input rows (the read floor).
One untimed warm-up build of a day before the window runs first (JIT, catalog caches).
Simulated data: timing figures only, never air-quality results.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from bench.spark_env import per_size, size_settings

END = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _simulate_silver(spark: Any, catalog: str, start: dt.datetime, end: dt.datetime) -> int:
    """Write the seven silver inputs for [start, end); returns the number of rows written."""
    from ais import tables
    from ais.spark.merge import merge_into

    hours = int((end - start).total_seconds() // 3600)
    days = hours // 24
    t0 = f"timestamp'{start:%Y-%m-%d %H:%M:%S}'"
    spark.range(hours).createOrReplaceTempView("bench_h")
    spark.range(days).createOrReplaceTempView("bench_d")
    hour = f"{t0} + make_interval(0, 0, 0, 0, cast(id AS int), 0, 0)"
    date = f"date_add(to_date({t0}), cast(id AS int))"
    noise = "(abs(hash(id)) % 1000) / 1000.0"
    sql = [
        (tables.OPENAQ_CITY_HOURLY, f"""SELECT {hour} AS hour, 45 + 20 * sin(id / 24.0) + 10 * {noise} AS pm25_mean,
            44 + 20 * sin(id / 24.0) AS pm25_median, 6 AS station_count, 90.0 AS coverage_avg, 'simulated' AS source
            FROM bench_h WHERE abs(hash(id, 1)) % 50 != 0"""),
        (tables.SPATIAL_GRADIENT, f"""SELECT {hour} AS hour, {noise} AS pm25_grad_n, -{noise} AS pm25_grad_s,
            0.5 AS pm25_grad_e, -0.5 AS pm25_grad_w, 3.0 AS pm25_spatial_std, 0.1 * {noise} AS pm25_grad_mag,
            6 AS station_count FROM bench_h"""),
        (tables.WEATHER_PROXY, f"""SELECT {hour} AS hour, 10 - 5 * {noise} AS vis_km, 3.0 AS uv,
            1000 AS condition_code, cast(id % 24 BETWEEN 0 AND 11 AS int) AS is_day, 0 AS will_it_rain,
            cast(100 * {noise} AS int) AS chance_of_rain, 'simulated' AS source FROM bench_h"""),
        (tables.ERA5_SURFACE, f"""SELECT {hour} AS hour, sin(id / 10.0) AS wind_u10, cos(id / 10.0) AS wind_v10,
            1.0 AS wind_speed, 180.0 AS wind_dir, 200 + 800 * {noise} AS pbl_height_m,
            200 + 800 * {noise} < 300 AS low_pbl, 100500.0 AS surface_pressure, 25.0 AS temperature_2m_c,
            20.0 AS dewpoint_2m_c, 0.0 AS total_precipitation_mm,
            {hour} + INTERVAL 121 HOURS AS available_at, 'simulated' AS source FROM bench_h"""),
        (tables.S5P_DAILY, f"""SELECT p.product, {date} AS date, 1e-4 * (1 + {noise}) AS value_mean,
            50.0 AS valid_pct, to_timestamp({date}) + INTERVAL 6 HOURS AS overpass_time_utc,
            to_timestamp({date}) + INTERVAL 9 HOURS AS available_at, 'simulated' AS source
            FROM bench_d CROSS JOIN (SELECT explode(array('NO2', 'CO', 'SO2', 'O3', 'AER_AI')) AS product) p"""),
        (tables.MAIAC_DAILY, f"""SELECT {date} AS date, 0.5 * {noise} AS aod_047_mean, 0.4 AS aod_055_mean,
            0.4 AS aod_mean, 0.9 AS aod_max, 30.0 AS valid_pct,
            to_timestamp({date}) + INTERVAL 30 HOURS AS available_at, 'simulated' AS source FROM bench_d"""),
        (tables.TRAJECTORY_HOURLY, f"""SELECT {hour} AS hour, cast(id % 4 AS int) AS dominant_cluster, 1 AS n_traj,
            22.0 AS source_lat, 107.0 AS source_lon, 1e-4 AS path_no2_mean, 0.5 AS path_aer_mean,
            2e-4 AS path_no2_aer_ratio FROM bench_h WHERE id % 12 = 0"""),
    ]
    return sum(merge_into(spark.sql(q), spec, catalog).written_rows for spec, q in sql)


def _scan_inputs(spark: Any, catalog: str) -> int:
    from ais import tables

    specs = (tables.OPENAQ_CITY_HOURLY, tables.SPATIAL_GRADIENT, tables.WEATHER_PROXY, tables.ERA5_SURFACE,
             tables.S5P_DAILY, tables.MAIAC_DAILY, tables.TRAJECTORY_HOURLY)
    return sum(int(spark.table(s.qualified(catalog)).count()) for s in specs)


def bench_years(spark: Any, years: int, root: Path) -> dict[str, Any]:
    from ais.spark.jobs.common import JobContext, Window
    from ais.spark.jobs.gold import run_master_gold

    name = f"goldbench{years}"
    settings = size_settings(spark, name, root)
    start = END - dt.timedelta(days=365 * years)
    # history before the window: the look-back of lags and of the late sources' as-of joins
    input_rows = _simulate_silver(spark, name, start - dt.timedelta(days=8), END)

    t0 = time.perf_counter()
    scanned = _scan_inputs(spark, name)
    scan_s = time.perf_counter() - t0

    window = Window(start, END)

    def timed(w: Window) -> tuple[float, dict[str, Any]]:
        t = time.perf_counter()
        out = run_master_gold(JobContext("master", settings, spark), w)
        return time.perf_counter() - t, out

    timed(Window(start - dt.timedelta(days=2), start - dt.timedelta(days=1)))  # warm-up, outside the window
    build_s, build = timed(window)
    rerun_s, rerun = timed(window)
    day_s, _ = timed(Window(END - dt.timedelta(days=1), END))
    return {
        "years": years, "hours": build["input_count"], "input_rows": scanned, "input_rows_written": input_rows,
        "build_seconds": round(build_s, 2), "gold_rows_written": build["output_count"],
        "hours_per_second": round(build["input_count"] / build_s),
        "rerun_seconds": round(rerun_s, 2), "rerun_rows_written": rerun["output_count"],
        "one_day_seconds": round(day_s, 2),
        "baseline_scan_count_seconds": round(scan_s, 2),
        "ratio_build_to_scan": round(build_s / scan_s, 1) if scan_s > 0 else None,
    }


def run(years: tuple[int, ...] = (1, 5)) -> dict[str, Any]:
    return {"input": "simulated rows written directly into the silver tables (source=simulated)",
            "sizes": per_size(years, "years", "ais-gold-bench-", "ais-bench-gold", bench_years)}
