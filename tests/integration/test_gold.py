"""Gold: the spatial gradient against numpy, the master gold's as-of joins and ages, the serving
row of hour H built from what was available at H equal to the training row of H, no leakage from
data that arrives after H, the serving job's dry run and exact schema, and idempotent reruns.

Silver rows are written directly (test data, source=simulated)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyspark.sql import functions as F

from ais import tables
from ais.config import Settings, load_settings
from ais.features import pm25
from ais.features.columns import EXTRA_FEATURE_NAMES, FEATURE_NAMES, TARGETS, schema_hash
from ais.features.gradient import KM_PER_DEGREE
from ais.features.master import AGE_COLUMNS, FeatureParams, build_master
from ais.features.pm25 import hourly_grid
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.gold import (
    LATEST_WINDOW_HOURS,
    read_inputs,
    run_master_gold,
    run_serving_features,
    run_spatial_gradient,
    run_training_dataset,
    serving_frame,
    serving_rows,
    validate_serving_schema,
)
from ais.spark.merge import current_snapshot_id, merge_into
from ais.spark.schema import spark_schema
from tests.conftest import CONFIG_PATH, isolated_env

pytestmark = pytest.mark.spark

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
LAT0, LON0 = 21.0285, 105.8542


def _h(i: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=i)


def _write(spark: Any, settings: Settings, spec: tables.TableSpec, rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    schema = spark_schema(spec, tuple(spec.column(n) for n in names))
    df = spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], schema)
    merge_into(df, spec, settings.catalog_name)


def _table(spark: Any, settings: Settings, spec: tables.TableSpec) -> Any:
    return spark.table(spec.qualified(settings.catalog_name))


# ---- spatial gradient ---------------------------------------------------------------------------

def _station(loc: int, sensor: int, hour: int, lat: float, lon: float, value: float,
             qc: str = "valid") -> dict[str, Any]:
    return {"location_id": loc, "sensor_id": sensor, "parameter": "pm25", "hour": _h(hour), "latitude": lat,
            "longitude": lon, "value": value, "qc_status": qc, "source": "simulated"}


def _reference(stations: list[tuple[float, float, float]]) -> dict[str, float | None]:
    """numpy: sector means minus the mean, sample std, least-squares plane gradient magnitude."""
    lat, lon, v = (np.array(c, dtype=float) for c in zip(*stations, strict=True))
    x = (lon - LON0) * KM_PER_DEGREE * math.cos(math.radians(LAT0))
    y = (lat - LAT0) * KM_PER_DEGREE
    mean = v.mean()
    (_, b, c), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(x), x, y]), v, rcond=None)

    def sector(mask: np.ndarray) -> float | None:
        return float(v[mask].mean() - mean) if mask.any() else None

    return {"pm25_grad_n": sector(y > 0), "pm25_grad_s": sector(y < 0), "pm25_grad_e": sector(x > 0),
            "pm25_grad_w": sector(x < 0), "pm25_spatial_std": float(v.std(ddof=1)),
            "pm25_grad_mag": float(math.hypot(b, c))}


def test_spatial_gradient_matches_numpy(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    four = [(21.10, 105.80, 80.0), (20.95, 105.90, 40.0), (21.05, 105.95, 60.0), (21.00, 105.70, 55.0)]
    rows = [_station(i + 1, 10 * (i + 1), 0, la, lo, v) for i, (la, lo, v) in enumerate(four)]
    rows += [_station(1, 11, 0, 21.10, 105.80, 90.0),          # a second sensor at location 1: averaged
             _station(9, 90, 0, 21.20, 105.60, 999.0, "out_of_range")]  # invalid: ignored
    rows += [_station(1, 10, 1, 21.10, 105.80, 70.0), _station(2, 20, 1, 20.95, 105.90, 30.0)]  # two stations
    collinear = [(21.00, 105.80, 50.0), (21.05, 105.85, 60.0), (21.10, 105.90, 75.0)]
    rows += [_station(i + 1, 10 * (i + 1), 2, la, lo, v) for i, (la, lo, v) in enumerate(collinear)]
    _write(spark, settings, tables.OPENAQ_STATION_HOURLY, rows)

    ctx = JobContext("gradient", settings, spark)
    window = Window.parse("2026-03-01", "2026-03-01")
    first = run_spatial_gradient(ctx, window)
    assert (first["input_count"], first["output_count"]) == (3, 3)
    got = {r.hour.replace(tzinfo=dt.UTC): r.asDict()
           for r in _table(spark, settings, tables.SPATIAL_GRADIENT).collect()}

    averaged = [(21.10, 105.80, 85.0), *four[1:]]
    h0 = got[_h(0)]
    assert h0["station_count"] == 4
    for name, want in _reference(averaged).items():
        assert h0[name] == pytest.approx(want, rel=1e-9), name
    h1 = got[_h(1)]  # fewer than three stations: every value null, the count says why
    assert h1["station_count"] == 2
    assert all(h1[c] is None for c in ("pm25_grad_n", "pm25_grad_s", "pm25_grad_e", "pm25_grad_w",
                                       "pm25_spatial_std", "pm25_grad_mag"))
    h2 = got[_h(2)]  # collinear: no plane, the rest defined
    ref2 = _reference(collinear)
    assert h2["station_count"] == 3 and h2["pm25_grad_mag"] is None
    assert h2["pm25_spatial_std"] == pytest.approx(ref2["pm25_spatial_std"])
    assert h2["pm25_grad_n"] == pytest.approx(ref2["pm25_grad_n"])
    assert h2["pm25_grad_w"] == pytest.approx(ref2["pm25_grad_w"])
    # a rerun writes nothing and adds no snapshot
    snap = current_snapshot_id(spark, tables.SPATIAL_GRADIENT.qualified(settings.catalog_name))
    assert run_spatial_gradient(JobContext("gradient", settings, spark), window)["output_count"] == 0
    assert current_snapshot_id(spark, tables.SPATIAL_GRADIENT.qualified(settings.catalog_name)) == snap


# ---- master gold ---------------------------------------------------------------------------------

def _pm25(i: int) -> float | None:
    return None if i % 17 == 5 else 40.0 + 15.0 * math.sin(i / 6.0) + (i % 5)


def _seed_silver(spark: Any, settings: Settings) -> None:
    sim = {"source": "simulated"}
    _write(spark, settings, tables.OPENAQ_CITY_HOURLY, [
        {"hour": _h(i), "pm25_mean": _pm25(i), "pm25_median": _pm25(i), "station_count": 4, "coverage_avg": 90.0,
         **sim} for i in range(-30, 200) if _pm25(i) is not None])
    _write(spark, settings, tables.SPATIAL_GRADIENT, [
        {"hour": _h(i), "pm25_grad_n": 1.0 + i, "pm25_grad_s": -1.0, "pm25_grad_e": 0.5, "pm25_grad_w": -0.5,
         "pm25_spatial_std": 3.0, "pm25_grad_mag": 0.1 * i, "station_count": 4} for i in range(0, 200, 2)])
    _write(spark, settings, tables.WEATHER_PROXY, [
        {"hour": _h(i), "vis_km": 10.0 - i % 3, "uv": 1.0, "condition_code": 1000 + i, "is_day": i % 2,
         "will_it_rain": 0, "chance_of_rain": i % 50, **sim} for i in range(-30, 200) if i % 11 != 3])
    # ERA5: wind_u10 = the hour index; published 120.5 h after the hour (15 hours without available_at;
    # hour -79 arrives late in the leakage test)
    _write(spark, settings, tables.ERA5_SURFACE, [
        {"hour": _h(i), "wind_u10": float(i), "wind_v10": 1.0, "wind_speed": 2.0, "wind_dir": 90.0,
         "pbl_height_m": 250.0 + i, "low_pbl": i < 50, "surface_pressure": 100_000.0 + i,
         "temperature_2m_c": 20.0, "dewpoint_2m_c": 15.0, "total_precipitation_mm": 0.0,
         "available_at": None if -60 <= i < -45 else _h(i + 120.5), **sim} for i in range(-200, 200) if i != -79])
    day = dt.timedelta(days=1)
    s5p = []
    for d in range(-4, 9):
        date = (T0 + d * day).date()
        overpass = dt.datetime.combine(date, dt.time(6, 20), dt.UTC)
        if d != 1:  # NO2 of 2026-03-02 is missing (it arrives late in the leakage test)
            s5p.append({"product": "NO2", "date": date, "value_mean": 1e-4 * (d + 10), "valid_pct": 50.0 + d,
                        "overpass_time_utc": overpass, "available_at": overpass + 2 * HOUR, **sim})
        s5p.append({"product": "CO", "date": date, "value_mean": 0.03 + d / 1000, "valid_pct": 90.0,
                    "overpass_time_utc": overpass, "available_at": None, **sim})  # latency: +3 h
    _write(spark, settings, tables.S5P_DAILY, s5p)
    _write(spark, settings, tables.MAIAC_DAILY, [
        {"date": (T0 + d * day).date(), "aod_047_mean": 0.5 + d / 10, "aod_055_mean": 0.4, "aod_mean": 0.4,
         "aod_max": 0.9, "valid_pct": 30.0, "available_at": T0 + d * day + 30 * HOUR, **sim} for d in range(-5, 9)])
    _write(spark, settings, tables.TRAJECTORY_HOURLY, [
        {"hour": _h(i), "dominant_cluster": (i // 12) % 4, "n_traj": 1, "source_lat": 22.0 + i / 100,
         "source_lon": 107.0, "path_no2_mean": 1e-4, "path_aer_mean": 0.5, "path_no2_aer_ratio": 2e-4}
        for i in range(-240, 200, 12)])
    # weather forecasts: hourly issues 30..45, valid 0..30 h ahead, temp_c = 10 + issue + valid / 100;
    # issue 41 became available 3 h late
    _write(spark, settings, tables.WEATHER_FORECAST_SILVER, [
        {"location_id": "Ha_Noi", "issue_time": _h(i), "valid_time": _h(i + k), "lead_hours": k,
         "temp_c": 10.0 + i + (i + k) / 100, "humidity": 50.0 + k, "wind_kph": 3.0, "precip_mm": 0.0,
         "pressure_mb": 1000.0 + i, "available_at": _h(i + 3 if i == 41 else i), **sim}
        for i in range(30, 46) for k in range(31)])


def _master(spark: Any, settings: Settings) -> dict[dt.datetime, dict[str, Any]]:
    return {r.hour.replace(tzinfo=dt.UTC): r.asDict() for r in _table(spark, settings, tables.MASTER_GOLD).collect()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return bool(a == b)


def test_master_gold_point_in_time_serving_equals_training_no_leakage(
        spark: Any, spark_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = spark_settings()
    _seed_silver(spark, settings)
    window = Window.parse("2026-03-01", "2026-03-07")  # a week: the chronological split needs it
    done = run_master_gold(JobContext("master", settings, spark), window)
    assert done["output_count"] == 168
    master = _master(spark, settings)
    assert sorted(master) == [_h(i) for i in range(168)]  # continuous hourly grid

    # as-of joins and ages, against hand-computed expectations
    h = master[_h(40)]  # 2026-03-02 16:00 UTC, 23:00 in Hanoi
    assert h["wind_u10"] == -80.0 and h["era5_age_h"] == 120.0  # ERA5 arrives 120.5 h late
    assert h["surface_pressure"] == 100_000.0 - 80  # Pa, as in silver
    assert h["s5p_no2_mean"] == pytest.approx(1e-4 * 10) and h["s5p_no2_age_h"] == pytest.approx(33 + 2 / 3)
    assert h["s5p_co_mean"] == pytest.approx(0.031) and h["s5p_co_age_h"] == pytest.approx(9 + 2 / 3)
    assert h["s5p_so2_mean"] is None and h["s5p_so2_age_h"] is None  # no data: stays null
    assert h["aod_047_mean"] == pytest.approx(0.5) and h["maiac_age_h"] == 40.0  # 03-01 published 03-02 06:00
    assert h["traj_source_lat"] == pytest.approx(22.0 - 1.08) and h["traj_age_h"] == 148.0  # 143 h latency
    assert h["hour_of_day"] == 23 and h["day_of_week"] == 0 and h["is_rush_hour"] is False  # Monday, local
    assert h["pm25_grad_mag"] == pytest.approx(4.0) and h["pm25_lag_1h"] == _pm25(39)
    assert master[_h(41)]["pm25_grad_n"] is None  # no gradient row: null, not filled
    # WeatherAPI hours without available_at: hour + 1 h + 24 h (a whole local day), max age 24 h;
    # hour 3 is missing, so base hour 27 has no proxy weather
    assert master[_h(27)]["vis_km"] is None and master[_h(27)]["weather_age_h"] is None
    assert master[_h(28)]["condition_code"] == 1004 and master[_h(28)]["weather_age_h"] == 24.0
    assert master[_h(28)]["weather_history_age_h"] is None  # no weather history replayed
    # NO2 of 03-01 (overpass 06:20, published 08:20) is usable from base hour 08 (which ends 09:00)
    assert master[_h(8)]["s5p_no2_mean"] == pytest.approx(1e-3) and master[_h(8)]["s5p_no2_age_h"] == pytest.approx(
        5 / 3)
    assert master[_h(7)]["s5p_no2_mean"] == pytest.approx(9e-4)
    # ERA5 without available_at (hours -60..-46): hour + 1 h + latency_h (143, the worst hour of a
    # UTC day published 120 h after the day ends): at base hour 70 hour -50 is not yet usable
    assert master[_h(70)]["wind_u10"] == -61.0 and master[_h(70)]["era5_age_h"] == 131.0
    assert master[_h(41)]["wind_u10"] == -80.0 and master[_h(41)]["era5_age_h"] == 121.0  # hour -79 is missing
    # forecasts (issue 15 item 3): valid at H + h, from the newest issue available at H
    assert h["wxf_temp_c_6h"] == pytest.approx(50.46) and h["wxf_temp_c_24h"] == pytest.approx(50.64)
    assert h["wxf_humidity_12h"] == 62.0 and h["wxf_pressure_mb_6h"] == 1040.0
    assert master[_h(41)]["wxf_temp_c_6h"] == pytest.approx(50.47)  # issue 41 known only at 44: issue 40
    assert master[_h(44)]["wxf_temp_c_6h"] == pytest.approx(54.50)
    assert master[_h(69)]["wxf_temp_c_6h"] == pytest.approx(55.75)  # issue 45, 24 h old: still used
    assert master[_h(100)]["wxf_temp_c_6h"] is None  # no issue reaches hour 106
    assert master[_h(29)]["wxf_temp_c_24h"] is None  # no issue yet

    # serving == training: the serving row of H built only from what had arrived by the end of H
    run_training_dataset(JobContext("dataset", settings, spark), window, "v_test", "fs_test")
    training = {r.hour.replace(tzinfo=dt.UTC): r.asDict()
                for r in _table(spark, settings, tables.TRAINING_GOLD).collect()}
    params = FeatureParams.from_settings(settings)
    ctx = JobContext("serving-at-h", settings, spark)
    for i in (7, 40, 150):
        base = _h(i)
        wide = Window(base, base + HOUR).widen(before_hours=max(params.lags_h + params.rolling_h))
        known = read_inputs(ctx, wide, params).known_at(Window.sql(base + HOUR), params)
        built = build_master(hourly_grid(spark, wide.start_sql, wide.end_sql), known, params)
        built = built.where(built.hour == Window.sql(base))
        built = built.withColumn("year", F.year("hour")).withColumn("month_partition", F.month("hour"))
        served = serving_frame(built, "hanoi", "Hanoi", "fv", "fs_test", "v_test").collect()
        assert len(served) == 1
        assert serving_rows(built, "hanoi", "Hanoi", "fv", "fs_test", "v_test").columns == \
            tables.SERVING_GOLD.column_names
        row = served[0].asDict()
        assert not set(TARGETS.values()) & set(row)
        mismatched = [n for n in FEATURE_NAMES if not _same(row[n], training[base][n])]
        assert mismatched == [], (base, mismatched)
        assert sum(row[n] is not None for n in FEATURE_NAMES) >= 55

    # no leakage: change and add data after H = hour 40; nothing at hours <= 40 moves
    cut = 40
    before = master
    _write(spark, settings, tables.OPENAQ_CITY_HOURLY, [
        {"hour": _h(i), "pm25_mean": 500.0, "pm25_median": 500.0, "station_count": 9, "source": "simulated"}
        for i in range(cut + 1, 200)])
    _write(spark, settings, tables.SPATIAL_GRADIENT, [{"hour": _h(41), "pm25_grad_n": 7.0, "station_count": 5}])
    _write(spark, settings, tables.WEATHER_PROXY, [{"hour": _h(cut + 1), "vis_km": 0.5, "source": "simulated"}])
    _write(spark, settings, tables.ERA5_SURFACE, [  # the missing hour -79, published after H
        {"hour": _h(cut - 119), "wind_u10": 999.0, "available_at": _h(cut + 1.5), "source": "simulated"}])
    late_no2 = dt.datetime(2026, 3, 2, 6, 20, tzinfo=dt.UTC)  # 03-02's NO2, published at 19:00
    _write(spark, settings, tables.S5P_DAILY, [
        {"product": "NO2", "date": late_no2.date(), "value_mean": 5e-3, "valid_pct": 70.0,
         "overpass_time_utc": late_no2, "available_at": _h(43), "source": "simulated"}])
    _write(spark, settings, tables.TRAJECTORY_HOURLY, [{"hour": _h(cut - 119), "dominant_cluster": 9, "n_traj": 3}])
    _write(spark, settings, tables.WEATHER_FORECAST_SILVER, [  # a new issue after H, for hours H sees
        {"location_id": "Ha_Noi", "issue_time": _h(cut + 1), "valid_time": _h(cut + 6), "temp_c": -5.0,
         "available_at": _h(cut + 1), "source": "simulated"}])
    run_master_gold(JobContext("master", settings, spark), window)
    after = _master(spark, settings)
    compared = (*FEATURE_NAMES, *AGE_COLUMNS)
    for i in range(cut + 1):
        moved = [c for c in compared if not _same(after[_h(i)][c], before[_h(i)][c])]
        assert moved == [], (i, moved)
    assert after[_h(cut)]["pm25_next_6h"] == 500.0 != before[_h(cut)]["pm25_next_6h"]  # targets may move
    assert after[_h(42)]["s5p_no2_mean"] == pytest.approx(5e-3) and after[_h(42)]["s5p_no2_age_h"] == pytest.approx(
        11 + 2 / 3)  # usable from base hour 42 (ends 19:00)
    assert after[_h(41)]["s5p_no2_mean"] == pytest.approx(1e-3)
    assert after[_h(41)]["pm25_grad_n"] == 7.0 and after[_h(65)]["vis_km"] == 0.5  # hour 41 known 24 h later
    assert after[_h(41)]["wind_u10"] == 999.0 and after[_h(41)]["era5_age_h"] == 120.0

    # a rerun writes nothing and adds no snapshot
    snap = current_snapshot_id(spark, tables.MASTER_GOLD.qualified(settings.catalog_name))
    assert run_master_gold(JobContext("master", settings, spark), window)["output_count"] == 0
    assert current_snapshot_id(spark, tables.MASTER_GOLD.qualified(settings.catalog_name)) == snap

    # serving job: dry run validates and reports null ratios without writing; then the exact schema
    serving_ctx = JobContext("serving", settings, spark)
    dry = run_serving_features(serving_ctx, window, False, "fv1", "fs", "dv", "hanoi", "Hanoi", dry_run=True)
    assert dry["dry_run"] is True and dry["output_count"] == 0 and dry["input_count"] == len(
        [i for i in range(168) if after[_h(i)]["pm25_mean"] is not None])
    assert list(dry["null_ratio_by_feature"]) == list(FEATURE_NAMES)
    assert dry["null_ratio_by_feature"]["s5p_so2_mean"] == 1.0 and dry["null_ratio_by_feature"]["wind_u10"] == 0.0
    assert _table(spark, settings, tables.SERVING_GOLD).count() == 0
    wet = run_serving_features(JobContext("serving", settings, spark), window, False, "fv1", "fs", "dv", "hanoi",
                               "Hanoi", dry_run=False)
    assert wet["output_count"] == dry["input_count"] and wet["schema_hash"] == schema_hash()
    table = _table(spark, settings, tables.SERVING_GOLD)
    assert table.columns == tables.SERVING_GOLD.column_names
    assert {r.schema_hash for r in table.select("schema_hash").distinct().collect()} == {schema_hash()}
    validate_serving_schema(table)  # what the job wrote passes its own check; a drift does not
    with pytest.raises(ValueError, match="target"):
        validate_serving_schema(table.withColumn("pm25_next_6h", F.lit(1.0)))
    with pytest.raises(ValueError, match="station_count: double != int"):
        validate_serving_schema(table.withColumn("station_count", F.col("station_count").cast("double")))
    # the features beyond the contract: the companion table, one row per serving row, master's values
    extra = _table(spark, settings, tables.SERVING_EXTRA_GOLD)
    assert extra.columns == tables.SERVING_EXTRA_GOLD.column_names
    assert wet["extra_table"] == tables.SERVING_EXTRA_GOLD.identifier and wet["extra_output_count"] == wet[
        "output_count"]
    extra_rows = {r.base_hour.replace(tzinfo=dt.UTC): r.asDict() for r in extra.collect()}
    assert set(extra_rows) == {r.base_hour.replace(tzinfo=dt.UTC) for r in table.select("base_hour").collect()}
    for hour, row in extra_rows.items():
        assert [n for n in EXTRA_FEATURE_NAMES if not _same(row[n], after[hour][n])] == [], hour
    assert any(row["wxf_temp_c_6h"] is not None for row in extra_rows.values())

    # without dates: the latest LATEST_WINDOW_HOURS hours of master gold that hold PM2.5 (seed 001
    # §17 runs it so); TARGET_TABLE (and SOURCE_TABLE) name the tables, the target is created
    with_pm25 = sorted(h for h, r in after.items() if r[pm25.PM25_SERIES] is not None)
    newest = with_pm25[-1]
    expected = [h for h in with_pm25 if h > newest - dt.timedelta(hours=LATEST_WINDOW_HOURS)]
    named = load_settings(CONFIG_PATH, environ=isolated_env(
        tmp_path, ICEBERG_CATALOG=settings.catalog_name, SOURCE_TABLE=tables.MASTER_GOLD.identifier,
        TARGET_TABLE="features.serving_latest_check"))
    latest = run_serving_features(JobContext("serving", named, spark), None, False, "fv2", "fs", "dv", "hanoi",
                                  "Hanoi", dry_run=False)
    assert latest["target_table"] == "features.serving_latest_check"
    assert latest["output_count"] == len(expected) > 0
    assert latest["max_base_hour"].replace(tzinfo=dt.UTC) == newest
    assert latest["window_end"] == newest + HOUR
    copy = spark.table(f"{settings.catalog_name}.features.serving_latest_check")
    assert copy.columns == tables.SERVING_GOLD.column_names
    assert sorted(r.base_hour.replace(tzinfo=dt.UTC) for r in copy.collect()) == expected
    extra_copy = spark.table(f"{settings.catalog_name}.features.serving_latest_check_extra")
    assert sorted(r.base_hour.replace(tzinfo=dt.UTC) for r in extra_copy.collect()) == expected
    assert _table(spark, settings, tables.SERVING_GOLD).where(F.col("feature_version") == "fv2").count() == 0
