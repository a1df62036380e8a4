"""Sentinel-5P, MAIAC and ERA5 events from ais-ingest (replay of the real MAIAC granules and ERA5
GRIB samples, and the three simulators) parse into their bronze tables through the bronze job with
nothing invalid; the MAIAC statistics in bronze equal an independent pyhdf + numpy computation
(bench/gridded_reference.py) on the same granules; the S5P grid cells reach
satellite.sentinel5p_grid_silver (pixel-weighted per product, date and cell)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.weather_satellite_silver import run_s5p_grid
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, SHARED_DATA

pytestmark = [pytest.mark.spark, pytest.mark.native]

BINARY = PROJECT_ROOT / "build" / "native" / "ais-ingest"
MAIAC = SHARED_DATA / "maiac-mcd19a2-vn"
ERA5 = SHARED_DATA / "era5-grib-samples"
HANOI_BBOX = "bbox: {west: 105.25, east: 106.10, south: 20.55, north: 21.40}"
LUZON = (120.0, 121.5, 15.0, 16.5)  # the land of tile h29v07 with best-quality AOD


def _ingest(settings: Settings, config: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(BINARY), *args, "--sink", "landing", "--landing-dir", str(settings.runtime_path("landing_dir")),
         "--state-dir", str(settings.runtime_path("ingest_state_dir")), "--config", str(config)],
        capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    summary: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return summary


def _rows(spark: Any, settings: Settings, identifier: str) -> list[Any]:
    rows: list[Any] = spark.table(tables.table(identifier).qualified(settings.catalog_name)).collect()
    return rows


def test_gridded_events_parse_into_bronze(spark: Any, spark_settings: Callable[..., Settings],
                                          tmp_path: Path) -> None:
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (make native)")
    settings = spark_settings()
    window = ("--start", "2026-02-01T00:00:00Z", "--end", "2026-02-03T00:00:00Z", "--seed", "3")
    written = {s: _ingest(settings, CONFIG_PATH, s, "--mode", "simulate", *window)["events_written"]
               for s in ("sentinel5p", "maiac", "era5")}
    assert written == {"sentinel5p": 10, "maiac": 2, "era5": 4}
    real = {"maiac": 0, "era5": 0}
    if MAIAC.is_dir():
        luzon_config = tmp_path / "luzon" / "config" / "hanoi_pipeline.yaml"
        luzon_config.parent.mkdir(parents=True)
        w, e, s, n = LUZON
        luzon_config.write_text(CONFIG_PATH.read_text().replace(
            HANOI_BBOX, f"bbox: {{west: {w}, east: {e}, south: {s}, north: {n}}}"))
        real["maiac"] = _ingest(settings, luzon_config, "maiac", "--mode", "replay", "--replay-dir", str(MAIAC),
                                "--start", "2026-03-29T00:00:00Z", "--end", "2026-03-31T00:00:00Z")["events_written"]
        assert real["maiac"] == 1
    if ERA5.is_dir():
        real["era5"] = _ingest(settings, CONFIG_PATH, "era5", "--mode", "replay", "--replay-dir", str(ERA5),
                               "--start", "2017-01-01T00:00:00Z", "--end", "2017-01-03T00:00:00Z")["events_written"]
        assert real["era5"] == 2

    ctx = JobContext("bronze", settings, spark)
    for source, expected in (("sentinel5p", written["sentinel5p"]), ("maiac", written["maiac"] + real["maiac"]),
                             ("era5", written["era5"] + real["era5"])):
        result = run_bronze(ctx, source)
        assert result["invalid_count"] == 0, source
        assert result["output_count"] == expected, source

    s5p = _rows(spark, settings, "satellite.sentinel5p_summary_bronze")
    assert {r.product for r in s5p} == {"NO2", "CO", "SO2", "O3", "AER_AI"}
    for r in s5p:
        assert r.source == "simulated" and r.qa_threshold in (0.5, 0.75) and r.grid_deg == 0.25
        assert 0 <= r.valid_pixel_count <= r.total_pixel_count
        if r.product in ("NO2", "AER_AI"):  # sentinel5p.grid_products
            assert len(r.grid_cells) > 100
            cell = r.grid_cells[0]
            assert (cell.lat / 0.125) % 2 == 1 and 5.0 <= cell.lat <= 35.0 and cell.valid_count > 0
        else:
            assert r.grid_cells == []

    # the grid silver: every (product, UTC date, cell) of the bronze grid cells, pixel-weighted
    cells: dict[tuple[Any, ...], list[float]] = {}
    for r in s5p:
        for c in r.grid_cells:
            acc = cells.setdefault((r.product, r.sensing_start.date(), c.lat, c.lon), [0.0, 0.0])
            acc[0] += c.value_mean * c.valid_count
            acc[1] += c.valid_count
    grid = run_s5p_grid(JobContext("s5p-grid", settings, spark), Window.parse("2026-02-01", "2026-02-03"))
    assert grid["output_count"] == len(cells) > 1000
    for g in _rows(spark, settings, "satellite.sentinel5p_grid_silver")[:500]:
        total, count = cells[(g.product, g.date, g.lat, g.lon)]
        assert g.valid_count == count and g.value_mean == pytest.approx(total / count, rel=1e-12)
        assert g.source == "simulated" and g.overpass_time_utc.date() == g.date

    maiac = {r.granule_id: r for r in _rows(spark, settings, "satellite.maiac_summary_bronze")}
    if real["maiac"]:
        from bench.gridded_reference import maiac_granule

        got = maiac["MCD19A2.A2026089.h29v07.061"]
        ref = maiac_granule(str(MAIAC / "MCD19A2.A2026089.h29v07.061.2026090163130.hdf"), *LUZON)
        assert got.source == "maiac" and str(got.acquisition_date) == "2026-03-30"
        assert got.valid_pixel_count == ref["055"]["n"] and got.total_pixel_count == ref["total"]
        assert got.stats_mean == pytest.approx(ref["055"]["mean"], rel=1e-12)
        assert got.stats_std == pytest.approx(ref["055"]["std"], rel=1e-9)
        assert (got.stats_min, got.stats_max) == pytest.approx((ref["055"]["min"], ref["055"]["max"]))
        assert got.aod_047_mean == pytest.approx(ref["047"]["mean"], rel=1e-12)
        assert got.aod_047_valid_pixel_count == ref["047"]["n"]

    era5 = {r.event_id: r for r in _rows(spark, settings, "weather.era5_files_bronze")}
    day = era5["era5_single_levels_2026_02_01"]
    assert day.source == "simulated" and len(day.hanoi_hourly) == 24
    assert all(270 < h.t2m < 310 and h.d2m <= h.t2m and h.blh > 0 for h in day.hanoi_hourly)
    if real["era5"]:
        levels = era5["era5_pressure_levels_2017010100_2017010212"]
        assert levels.pressure_levels_hpa == [500, 850] and sorted(levels.variables) == ["t", "z"]
        assert levels.sha256 == "c144fde61ca5d53702bf6f212775ef2cc783bdd66b6865160bf597c1b35ed898"
        europe = era5["era5_single_levels_2017_01_01"]
        assert "hanoi_outside_grid" in europe.quality_flags and europe.hanoi_hourly == []
