"""Weather proxy, ERA5 surface, Sentinel-5P daily and MAIAC daily silver: values and units against
independent computations, and reruns that change nothing. Test data, labelled simulated."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from ais import tables, units
from ais.config import Settings
from ais.spark.jobs import weather_satellite_silver
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from tests.integration.events import T0, envelope, iso, write_jsonl

pytestmark = pytest.mark.spark
WINDOW = Window.from_dates("2026-10-01", "2026-10-02")


def _land(settings: Settings, topic: str, events: list[dict[str, Any]]) -> None:
    write_jsonl(settings.runtime_path("landing_dir") / topic, "part-1.jsonl", [json.dumps(e) for e in events])


def _rows(spark: Any, settings: Settings, identifier: str, key: str) -> dict[Any, Any]:
    return {r[key]: r for r in spark.table(tables.table(identifier).qualified(settings.catalog_name)).collect()}


def _weather(query: str, lat: float, lon: float, hour: int, temp: float, wind_deg: int, code: int) -> dict[str, Any]:
    t = T0 + dt.timedelta(hours=hour)
    local = t + dt.timedelta(hours=7)
    return envelope(f"weather_{query}_{local:%Y-%m-%d %H:%M}", t) | {
        "province": query, "query": query, "local_time": f"{local:%Y-%m-%d %H:%M}", "time_epoch": int(t.timestamp()),
        "latitude": lat, "longitude": lon, "tz_id": "Asia/Bangkok", "temp_c": temp, "feelslike_c": temp,
        "humidity": 70, "dewpoint_c": temp - 5, "wind_kph": 10.0, "wind_degree": wind_deg, "wind_dir": "N",
        "gust_kph": 15.0, "pressure_mb": 1015.0, "precip_mm": 0.2, "cloud": 50, "vis_km": 8.0, "uv": 3.0,
        "condition_code": code, "condition_text": "Cloudy", "is_day": 1, "will_it_rain": 0, "chance_of_rain": 20}


def test_weather_proxy(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    _land(settings, "weather_history", [
        _weather("Ha Noi", 21.03, 105.85, 0, 20.0, 350, 1003), _weather("Ha Noi West", 21.0, 105.6, 0, 22.0, 10, 1006),
        _weather("Hai Phong", 20.86, 106.68, 0, 30.0, 180, 1189),  # outside the Hanoi bbox
        _weather("Ha Noi", 21.03, 105.85, 1, 19.0, 90, 1003)])
    assert run_bronze(JobContext("bronze", settings, spark), "weather")["output_count"] == 4
    first = weather_satellite_silver.run_weather_proxy(JobContext("proxy", settings, spark), WINDOW)
    assert first["output_count"] == 2
    rows = _rows(spark, settings, "weather.weather_hanoi_surface_proxy_silver", "hour")
    h0 = rows[dt.datetime(2026, 10, 1, 0)]
    assert h0.temp_c == pytest.approx(21.0) and h0.pressure_mb == pytest.approx(1015.0)
    assert h0.wind_degree == pytest.approx(0.0, abs=1e-6) or h0.wind_degree == pytest.approx(360.0)  # 350° and 10°
    assert h0.condition_code in (1003, 1006) and h0.source == "simulated"
    assert rows[dt.datetime(2026, 10, 1, 1)].wind_degree == pytest.approx(90.0)
    assert weather_satellite_silver.run_weather_proxy(JobContext("proxy", settings, spark), WINDOW)["output_count"] == 0


def _era5(event_id: str, available: dt.datetime, hours: dict[int, tuple[float, ...]],
          dataset_type: str = "single_levels") -> dict[str, Any]:
    names = ("u10", "v10", "blh", "sp", "t2m", "d2m", "tp", "msl")
    hourly = [{"time": iso(T0 + dt.timedelta(hours=h))} | dict(zip(names, vals, strict=True))
              for h, vals in hours.items()]
    return envelope(event_id, T0, available_at=available) | {
        "dataset_type": dataset_type, "period_start": iso(T0), "period_end": iso(T0 + dt.timedelta(days=1)),
        "file_path": f"/era5/{event_id}.grib", "file_format": "grib", "size_bytes": 1, "sha256": "0" * 64,
        "variables": list(names), "pressure_levels_hpa": [], "area": "95/5/115/35", "request_id": "r",
        "hanoi_hourly": hourly}


def test_era5_surface_units_and_newest_release(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    old = _era5("era5_single_levels_2026_10_a", T0, {0: (3.0, 4.0, 250.0, 101000.0, 300.15, 290.15, 0.0012, 101300.0),
                                                      1: (-2.0, 0.0, 800.0, 100900.0, 301.15, 291.15, 0.0, 101200.0)})
    newer = _era5("era5_single_levels_2026_10_b", T0 + dt.timedelta(days=5),
                  {1: (0.0, -5.0, 900.0, 100950.0, 302.15, 292.15, 0.0005, 101250.0)})
    levels = _era5("era5_pressure_levels_2026_10", T0, {2: (1.0,) * 8}, dataset_type="pressure_levels")
    _land(settings, "era5-files", [old, newer, levels])
    run_bronze(JobContext("bronze", settings, spark), "era5")
    assert weather_satellite_silver.run_era5_surface(JobContext("era5", settings, spark), WINDOW)["output_count"] == 2
    rows = _rows(spark, settings, "weather.era5_surface_hanoi_hourly_silver", "hour")
    assert set(rows) == {dt.datetime(2026, 10, 1, 0), dt.datetime(2026, 10, 1, 1)}
    h0 = rows[dt.datetime(2026, 10, 1, 0)]
    assert h0.wind_speed == pytest.approx(5.0) and h0.wind_dir == pytest.approx(units.wind_direction_from(3.0, 4.0))
    assert h0.wind_dir == pytest.approx(216.8699, abs=1e-3)  # from the south-west
    assert (h0.pbl_height_m, h0.low_pbl) == (250.0, True)
    assert h0.surface_pressure == 101000.0  # Pa, not hPa
    assert h0.temperature_2m_c == pytest.approx(27.0) and h0.dewpoint_2m_c == pytest.approx(17.0)
    assert h0.total_precipitation_mm == pytest.approx(1.2)
    h1 = rows[dt.datetime(2026, 10, 1, 1)]  # the newer release replaced the older values
    assert (h1.wind_u10, h1.wind_v10, h1.wind_dir, h1.low_pbl) == (0.0, -5.0, pytest.approx(0.0), False)
    assert h1.temperature_2m_c == pytest.approx(29.0)
    assert weather_satellite_silver.run_era5_surface(JobContext("era5", settings, spark), WINDOW)["output_count"] == 0


def _s5p(pid: str, product: str, start_h: float, valid: int, total: int, mean: float, std: float,
         lo: float, hi: float) -> dict[str, Any]:
    start = T0 + dt.timedelta(hours=start_h)
    return envelope(f"s5p_{product}_{pid}", start) | {
        "product": product, "product_id": pid, "product_name": f"S5P_OFFL_L2__{product}", "sensing_start": iso(start),
        "sensing_end": iso(start + dt.timedelta(minutes=10)), "orbit": 1, "processing_mode": "OFFL",
        "qa_threshold": 0.75, "stats_min": lo, "stats_max": hi, "stats_mean": mean, "stats_std": std,
        "valid_pixel_count": valid, "total_pixel_count": total, "valid_pct": 100.0 * valid / total,
        "unit": "mol m-2"}


def test_s5p_daily_pools_products(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()
    _land(settings, "sentinel5p-summary", [
        _s5p("a", "NO2", 6.0, 30, 100, 1.0e-4, 2.0e-5, 5e-5, 2e-4),
        _s5p("b", "NO2", 7.5, 10, 50, 2.0e-4, 1.0e-5, 1e-4, 3e-4),
        _s5p("c", "NO2", 8.0, 0, 60, 0.0, 0.0, 0.0, 0.0),  # fully clouded: no valid pixel
        _s5p("d", "CO", 6.0, 40, 40, 0.03, 0.001, 0.028, 0.033)])
    run_bronze(JobContext("bronze", settings, spark), "sentinel5p")
    assert weather_satellite_silver.run_s5p_daily(JobContext("s5p", settings, spark), WINDOW)["output_count"] == 2
    table = spark.table(tables.table("satellite.sentinel5p_hanoi_daily_silver").qualified(settings.catalog_name))
    rows = {r.product: r for r in table.collect()}
    no2 = rows["NO2"]
    mean, std = units.pooled_mean_std([(30, 1.0e-4, 2.0e-5), (10, 2.0e-4, 1.0e-5)])
    assert no2.value_mean == pytest.approx(mean) and no2.value_std == pytest.approx(std)
    assert (no2.value_min, no2.value_max) == (5e-5, 3e-4)
    assert (no2.valid_pixel_count, no2.total_pixel_count) == (40, 150)  # the clouded product is left out
    assert no2.valid_pct == pytest.approx(100 * 40 / 150)
    assert no2.overpass_time_utc == dt.datetime(2026, 10, 1, 6, 5)  # midpoint of the product with most pixels
    assert (no2.date, no2.unit) == (dt.date(2026, 10, 1), "mol m-2")
    assert rows["CO"].value_mean == pytest.approx(0.03) and rows["CO"].valid_pct == 100.0
    assert weather_satellite_silver.run_s5p_daily(JobContext("s5p", settings, spark), WINDOW)["output_count"] == 0


def test_maiac_daily(spark: Any, spark_settings: Callable[..., Settings]) -> None:
    settings = spark_settings()

    def granule(gid: str, tile: str, n047: int, m047: float, n: int, total: int, m: float, s: float,
                lo: float, hi: float) -> dict[str, Any]:
        start = T0 + dt.timedelta(hours=3)
        return envelope(f"maiac_{gid}", start) | {
            "granule_id": gid, "tile": tile, "acquisition_date": "2026-10-01", "time_start": iso(start),
            "time_end": iso(start + dt.timedelta(minutes=5)), "aod_047_mean": m047, "aod_047_min": 0.0,
            "aod_047_max": 1.0, "aod_047_std": 0.1, "aod_047_valid_pixel_count": n047, "stats_min": lo,
            "stats_max": hi, "stats_mean": m, "stats_std": s, "valid_pixel_count": n, "total_pixel_count": total,
            "valid_pct": 100.0 * n / total, "unit": "1"}

    _land(settings, "maiac-summary", [granule("g1", "h28v06", 100, 0.6, 100, 400, 0.5, 0.1, 0.2, 0.9),
                                      granule("g2", "h28v07", 300, 0.4, 300, 400, 0.3, 0.05, 0.1, 0.7)])
    run_bronze(JobContext("bronze", settings, spark), "maiac")
    assert weather_satellite_silver.run_maiac_daily(JobContext("maiac", settings, spark), WINDOW)["output_count"] == 1
    row = next(iter(_rows(spark, settings, "satellite.maiac_hanoi_daily_silver", "date").values()))
    mean, std = units.pooled_mean_std([(100, 0.5, 0.1), (300, 0.3, 0.05)])
    assert row.aod_047_mean == pytest.approx(0.45) and row.aod_055_mean == pytest.approx(mean)
    assert row.aod_mean == pytest.approx(mean) and row.aod_std == pytest.approx(std)
    assert (row.aod_min, row.aod_max, row.tile_count) == (0.1, 0.9, 2)
    assert row.valid_pct == pytest.approx(50.0)
    assert weather_satellite_silver.run_maiac_daily(JobContext("maiac", settings, spark), WINDOW)["output_count"] == 0


def test_unit_functions() -> None:
    assert units.kelvin_to_celsius(273.15) == 0.0
    assert units.metres_to_mm(0.0025) == pytest.approx(2.5)
    assert units.wind_direction_from(0.0, -1.0) == pytest.approx(0.0)  # from the north
    assert units.wind_direction_from(-1.0, 0.0) == pytest.approx(90.0)  # from the east
    assert units.wind_direction_from(1.0, 0.0) == pytest.approx(270.0)  # from the west
    assert units.is_low_pbl(299.9, 300) and not units.is_low_pbl(300, 300)
    mean, std = units.pooled_mean_std([(2, 1.0, 0.0), (2, 3.0, 0.0)])
    assert (mean, std) == (2.0, 1.0) and math.isclose(units.wind_speed(3, 4), 5)
