"""Trajectory planning, clusters, path sampling and hourly features (features/trajectory.py) on
small hand-built inputs, and the executor-side runner with a fake HYSPLIT."""

from __future__ import annotations

import datetime as dt
import json
import math
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ais.features import trajectory as tf

UTC = dt.UTC
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BINARY = PROJECT_ROOT / "build" / "native" / "ais-traj"
TDUMP = PROJECT_ROOT / "native" / "tests" / "traj" / "data" / "tdump_two_traj.txt"
GRIB = PROJECT_ROOT / "native" / "tests" / "traj" / "data" / "era5_pl_handmade_hanoi.grib"
ANCHORS = [0, -6, -12, -24, -36, -48, -60, -72]


def t(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, tzinfo=UTC)


CFG = tf.RunPlanConfig(run_hours_utc=(0, 12), pm25_trigger_ugm3=75.0, back_hours=72, forward_hours=24,
                       release_points=((21.0285, 105.8542),), heights_m=(500.0,))


def test_plan_runs_scheduled_and_triggered_hours() -> None:
    pm25 = [(t(15, 5), 80.0), (t(15, 6), 74.9), (t(15, 12), 90.0), (t(15, 7), None), (t(16, 5), 200.0)]
    runs = tf.plan_runs(t(15, 0), t(16, 0), CFG, pm25)
    starts = sorted({(r["start_time"], r["trigger"]) for r in runs})
    assert starts == [(t(15, 0), "scheduled"), (t(15, 5), "pm25_threshold"), (t(15, 12), "scheduled")]
    assert len(runs) == 6  # each start: 72 h back and 24 h forward
    back = next(r for r in runs if r["start_time"] == t(15, 5) and r["direction"] == "backward")
    assert back["run_id"] == "traj_20260115T05_21.0285_105.8542_500m_b72"
    assert (back["hours"], back["duration_h"], back["release_height_m"]) == (-72, 72, 500.0)
    fwd = next(r for r in runs if r["start_time"] == t(15, 5) and r["direction"] == "forward")
    assert fwd["hours"] == 24 and fwd["run_id"].endswith("_f24")
    # the plan is deterministic: a rerun finds the same ids
    assert [r["run_id"] for r in tf.plan_runs(t(15, 0), t(16, 0), CFG, pm25)] == [r["run_id"] for r in runs]


def _path(traj_id: str, dlat: float, dlon: float, jitter: float) -> list[dict[str, Any]]:
    """A straight path from the receptor, dlat/dlon degrees per hour back in time."""
    return [{"traj_id": traj_id, "age_h": a, "lat": 21.0 - dlat * a + jitter, "lon": 105.8 - dlon * a - jitter}
            for a in range(0, -73, -1)]


def _three_groups(n_each: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for g, (dlat, dlon) in enumerate([(0.08, 0.08), (0.0, -0.1), (-0.09, 0.0)]):  # from NE, W, S
        for i in range(n_each):
            rows += _path(f"g{g}_{i}", dlat, dlon, float(rng.normal(0, 0.05)))
    return pd.DataFrame(rows)


def test_clusters_choose_k_by_silhouette_and_source_is_the_upwind_end() -> None:
    points = _three_groups(8, seed=1)
    out, centroids, score = tf.cluster(points, ANCHORS, 2, 6, previous={})
    assert set(out["k"]) == {3} and len(centroids) == 3 and score is not None and score > 0.8
    groups = out.assign(g=out["traj_id"].str[:2]).groupby("g")["cluster_id"].nunique()
    assert groups.tolist() == [1, 1, 1]  # each group is one cluster
    row = out.set_index("traj_id").loc["g0_0"]
    first = points[(points["traj_id"] == "g0_0") & (points["age_h"] == -72)].iloc[0]
    assert (row["source_lat"], row["source_lon"]) == (first["lat"], first["lon"])
    assert row["source_lat"] == pytest.approx(21.0 + 0.08 * 72, abs=0.2)  # 72 h upwind, not the receptor


def test_cluster_ids_are_stable_between_runs() -> None:
    first = _three_groups(8, seed=1)
    out1, _, _ = tf.cluster(first, ANCHORS, 2, 6, previous={})
    ids1 = out1.assign(g=out1["traj_id"].str[:2]).groupby("g")["cluster_id"].first().to_dict()
    previous = tf.previous_centroids(first, out1[["traj_id", "cluster_id"]], ANCHORS)
    # a later run: other trajectories of the same regimes, listed in another order
    second = _three_groups(9, seed=7)
    second = second.assign(traj_id="n" + second["traj_id"]).iloc[::-1]
    out2, _, _ = tf.cluster(second, ANCHORS, 2, 6, previous=previous)
    ids2 = out2.assign(g=out2["traj_id"].str[1:3]).groupby("g")["cluster_id"].first().to_dict()
    assert ids2 == ids1


def test_stable_ids_hungarian_and_new_ids() -> None:
    previous = {7: np.array([0.0, 0.0]), 3: np.array([10.0, 10.0])}
    centroids = np.array([[10.1, 10.0], [0.1, 0.0], [50.0, 50.0]])
    assert tf.stable_ids(centroids, previous) == [3, 7, 8]
    assert tf.stable_ids(centroids, {}) == [0, 1, 2]


def test_path_sampling_on_a_straight_line_over_a_known_grid() -> None:
    start = t(15, 23)
    # due west: lon = 105 - 0.05 * |age|, lat 21.0; hourly points 0..-72
    pts = pd.DataFrame([{"traj_id": "a", "age_h": a, "lat": 21.0, "lon": 105.0 + 0.05 * a,
                         "timestamp": start + dt.timedelta(hours=a), "source": "simulated"}
                        for a in range(0, -73, -1)])
    starts = pd.DataFrame({"traj_id": ["a"], "start_time": [start]})
    cells = np.arange(100.125, 106.01, 0.25)  # cell centres, edges on multiples of 0.25 (the grid silver's layout)
    grid = []
    for day in (12, 13, 14, 15):
        late = day == 14  # day 14's grid became available only after the run started
        for lon in cells:
            grid.append({"product": "NO2", "date": dt.date(2026, 1, day), "lat": 21.0, "lon": lon,
                         "value_mean": lon * 1e-6, "available_at": t(17 if late else day + 1, 0),
                         "source": "late" if late else "cdse"})
            grid.append({"product": "AER_AI", "date": dt.date(2026, 1, day), "lat": 21.0, "lon": lon,
                         "value_mean": 2.0, "available_at": t(day + 1, 0), "source": "cdse"})
    out = tf.path_satellite(pts, starts, pd.DataFrame(grid), -72, -24, 0.25).set_index("traj_id").loc["a"]
    # expected, computed independently: ages -72..-24 whose UTC date is 12 or 13 January
    used = [105.0 + 0.05 * a for a in range(-72, -23) if (start + dt.timedelta(hours=a)).day in (12, 13)]
    snapped = [(math.floor(lon / 0.25) + 0.5) * 0.25 * 1e-6 for lon in used]  # the centre of the cell holding lon
    assert out["n_samples"] == len(snapped) == 25  # 12 Jan 23:00 and all of 13 Jan
    assert out["path_no2_mean"] == pytest.approx(sum(snapped) / len(snapped), rel=1e-12)
    assert out["path_no2_max"] == pytest.approx(max(snapped), rel=1e-12)
    assert out["path_no2_std"] == pytest.approx(float(np.std(snapped)), rel=1e-9)
    assert out["path_aer_mean"] == pytest.approx(2.0)
    assert out["path_no2_aer_ratio"] == pytest.approx(out["path_no2_mean"] / 2.0)
    assert out["source"] == "cdse,simulated"  # the rows not used (too late) do not count


def test_path_sampling_without_aerosol_leaves_the_ratio_null() -> None:
    pts = pd.DataFrame([{"traj_id": "b", "age_h": -30, "lat": 21.1, "lon": 105.1, "timestamp": t(14, 0)}])
    grid = pd.DataFrame([{"product": "NO2", "date": dt.date(2026, 1, 14), "lat": 21.0, "lon": 105.0,
                          "value_mean": 5e-5, "available_at": t(15, 0)}])
    out = tf.path_satellite(pts, pd.DataFrame({"traj_id": ["b"], "start_time": [t(15, 6)]}), grid, -72, -24, 0.25)
    row = out.iloc[0]
    assert row["path_no2_mean"] == pytest.approx(5e-5) and row["n_samples"] == 1
    assert math.isnan(row["path_aer_mean"]) and math.isnan(row["path_no2_aer_ratio"])


def test_hourly_features_take_the_latest_run_within_12_hours() -> None:
    trajs = pd.DataFrame([
        {"traj_id": "x1", "start_time": t(15, 0), "cluster_id": 1, "source_lat": 24.0, "source_lon": 108.0,
         "path_no2_mean": 4.0, "path_aer_mean": 2.0, "source": "era5", "path_source": "cdse,era5"},
        {"traj_id": "x2", "start_time": t(15, 0), "cluster_id": 1, "source_lat": 26.0, "source_lon": 110.0,
         "path_no2_mean": 6.0, "path_aer_mean": 2.0},
        {"traj_id": "x3", "start_time": t(15, 0), "cluster_id": 2, "source_lat": 22.0, "source_lon": 100.0,
         "path_no2_mean": None, "path_aer_mean": None},
        {"traj_id": "y1", "start_time": t(15, 12), "cluster_id": 4, "source_lat": 20.0, "source_lon": 104.0,
         "path_no2_mean": 3.0, "path_aer_mean": 1.5},
        {"traj_id": "y2", "start_time": t(15, 12), "cluster_id": 3, "source_lat": 20.0, "source_lon": 104.0,
         "path_no2_mean": 1.0, "path_aer_mean": 0.5},
    ])
    hours = [t(14, 23)] + [t(15, h) for h in range(0, 24)] + [t(16, 0)]
    out = tf.hourly_features(trajs, hours).set_index("hour")
    assert t(14, 23) not in out.index  # no run yet
    at5 = out.loc[t(15, 5)]
    assert (at5["dominant_cluster"], at5["n_traj"]) == (1, 3)
    assert (at5["source_lat"], at5["source_lon"]) == (24.0, 106.0)
    assert at5["path_no2_mean"] == pytest.approx(5.0) and at5["path_no2_aer_ratio"] == pytest.approx(2.5)
    assert at5["source"] == "cdse,era5" and out.loc[t(15, 12)]["source"] is None
    at12 = out.loc[t(15, 12)]
    assert (at12["dominant_cluster"], at12["n_traj"]) == (3, 2)  # tie 3/4 -> the smaller id
    assert at12["path_no2_aer_ratio"] == pytest.approx(2.0 / 1.0)
    assert t(16, 0) not in out.index  # the 12:00 run is 12 h old: too old
    assert len(out) == 24


# ---- the executor-side runner ------------------------------------------------------------------

def _runner_config(tmp_path: Path, hysplit: str = "") -> Any:
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is absent: build the native tree (cmake --build build/native)")
    return SimpleNamespace(binary=str(BINARY), config_path=str(PROJECT_ROOT / "config" / "hanoi_pipeline.yaml"),
                           hysplit_exec=hysplit, work_dir=str(tmp_path / "work"), hysplit_timeout_s=30.0,
                           engine="hysplit" if hysplit else "ais-traj")


def _run(start: dt.datetime, run_id: str, *met: str) -> dict[str, Any]:
    return {"run_id": run_id, "receptor_lat": 21.0285, "receptor_lon": 105.8542, "release_height_m": 500.0,
            "start_time": start, "hours": -72, "met_files": list(met), "met_source": "era5"}


def test_hysplit_path_with_a_fake_executable(tmp_path: Path) -> None:
    from ais.spark.jobs.trajectories import execute_runs

    fake = tmp_path / "hyts_std"
    # A stand-in for HYSPLIT: checks it runs in a folder holding CONTROL, keeps a copy of it and writes
    # the recorded-format tdump where CONTROL's last two lines say; fails when the met file is absent.
    fake.write_text(f"""#!/bin/sh
set -e
cp CONTROL "{tmp_path}/control_$(sed -n 9p CONTROL)"
met="$(sed -n 8p CONTROL)$(sed -n 9p CONTROL)"
[ -f "$met" ] || {{ echo "met file $met not found" >&2; exit 3; }}
cp {TDUMP} "$(sed -n 10p CONTROL)$(sed -n 11p CONTROL)"
""")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    met = tmp_path / "met" / "era5.arl"
    met.parent.mkdir()
    met.write_bytes(b"not read by the fake")
    cfg = _runner_config(tmp_path, hysplit=str(fake))
    lines = [json.loads(s) for s in execute_runs(cfg, [_run(t(15, 12), "r-ok", str(met)),
                                                       _run(t(15, 12), "r-bad", str(tmp_path / "none.arl"))])]
    runs = {r["run_id"]: r for r in lines if r["kind"] == "run"}
    assert runs["r-ok"]["status"] == "success" and runs["r-ok"]["engine"] == "hysplit"
    assert runs["r-bad"]["status"] == "failed" and "exited 3" in runs["r-bad"]["error_message"]
    assert "met file" in runs["r-bad"]["error_message"]  # HYSPLIT's own message, from the fake
    control = (tmp_path / "control_era5.arl").read_text().splitlines()
    assert control[:4] == ["26 01 15 12", "1", "21.0285 105.8542 500.0", "-72"]
    assert control[7:9] == [f"{met.parent}/", "era5.arl"]
    points = [p for p in lines if p["kind"] == "point"]
    # the recorded tdump: two trajectories (500 and 1000 m), four hourly points each
    assert {p["run_id"] for p in points} == {"r-ok"}
    assert sorted({p["traj_id"] for p in points}) == ["r-ok-1", "r-ok-2"]
    p1 = {p["age_h"]: p for p in points if p["traj_id"] == "r-ok-1"}
    assert (p1[-1.0]["lat"], p1[-1.0]["lon"], p1[-1.0]["alt_m"]) == (21.101, 105.933, 492.6)
    assert p1[-1.0]["pressure_hpa"] == 955.8 and p1[-1.0]["timestamp"] == "2026-01-14T23:00:00Z"
    assert {p["source"] for p in points} == {"era5"}  # the met's source


def test_ais_traj_path_on_simulated_met(tmp_path: Path) -> None:
    import subprocess

    from ais.spark.jobs.trajectories import execute_runs

    cfg = _runner_config(tmp_path)
    met = tmp_path / "sim.arl"
    done = subprocess.run([cfg.binary, "simulate-met", "--start", "2026-01-12T00:00:00Z", "--end",
                           "2026-01-15T12:00:00Z", "--out", str(met), "--config", cfg.config_path],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(s) for s in execute_runs(cfg, [_run(t(15, 12), "r1", str(met)),
                                                       _run(t(15, 0), "r-early", str(met)),
                                                       _run(t(13, 0), "r-too-early", str(met))])]
    runs = {r["run_id"]: r for r in lines if r["kind"] == "run"}
    assert runs["r1"]["status"] == "success" and runs["r1"]["engine"] == "ais-traj"
    # 72 h back from 13 Jan 00:00 runs out of met on 12 Jan 00:00: kept, and said so
    assert runs["r-too-early"]["status"] == "success"
    assert runs["r-too-early"]["error_message"] == "partial: met_ended at -24.0 h"
    # the simulated field's winds carry r1 out of the ERA5 region after 49 h (deterministic seed)
    assert runs["r1"]["error_message"] == "partial: left_grid at -49.4 h"
    pts = [p for p in lines if p["kind"] == "point" and p["run_id"] == "r1"]
    assert pts[0]["age_h"] == 0 and pts[0]["lat"] == pytest.approx(21.0285, abs=1e-4)
    assert [p["age_h"] for p in pts] == [float(-a) for a in range(0, 50)]
    early = [p for p in lines if p["kind"] == "point" and p["run_id"] == "r-too-early"]
    assert min(p["age_h"] for p in early) == -24


def test_a_path_that_left_the_grid_keeps_its_exit_point_for_older_anchors() -> None:
    full = pd.DataFrame(_path("full", 0.1, 0.0, 0.0))
    short = pd.DataFrame(_path("short", 0.1, 0.0, 0.0))
    short = short[short["age_h"] >= -40]  # left the grid at -40 h
    ids, x = tf.anchor_matrix(pd.concat([full, short]), ANCHORS)
    assert ids == ["full", "short"]
    lat_short = dict(zip(ANCHORS, x[1][:8], strict=True))
    assert lat_short[-36] == pytest.approx(21.0 + 0.1 * 36)
    assert lat_short[-48] == lat_short[-72] == pytest.approx(21.0 + 0.1 * 36)  # the -36 h anchor carried on
    ends = tf.upwind_ends(short).set_index("traj_id").loc["short"]
    assert ends["source_lat"] == pytest.approx(21.0 + 0.1 * 40)  # the upwind end is its oldest point


def test_make_met_converts_era5_grib_and_describes_the_file(tmp_path: Path) -> None:
    import hashlib

    from ais.spark.jobs.trajectories import make_met

    cfg = _runner_config(tmp_path)
    out = tmp_path / "met" / "era5_e1.arl"
    row = make_met(cfg, {"kind": "era5", "grib": str(GRIB), "out": str(out), "arl_file_id": "era5_e1",
                         "era5_event_id": "e1"})
    assert row["source"] == "era5" and row["era5_event_id"] == "e1" and row["path"] == str(out)
    assert row["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert row["size_bytes"] == out.stat().st_size == (50 + 16 * 16) * (1 + 5 + 2 * 5) * 3
    assert (row["period_start"], row["period_end"]) == (t(15, 0), t(15, 12))
    assert row["pressure_levels_hpa"] == [1000, 850]
    assert (row["grid_west"], row["grid_east"], row["grid_south"], row["grid_north"]) == (104.0, 107.75, 19.0, 22.75)
    assert row["grid_step_deg"] == 0.25
    bad = tmp_path / "bad.grib"
    bad.write_bytes(GRIB.read_bytes()[:5000])  # cut inside a message
    failed = make_met(cfg, {"kind": "era5", "grib": str(bad), "out": str(tmp_path / "bad.arl"),
                            "arl_file_id": "era5_bad"})
    assert "message" in failed["error"] and not (tmp_path / "bad.arl").exists()


def test_choose_met_takes_a_covering_file_real_before_simulated() -> None:
    from ais.spark.jobs.trajectories import choose_met

    def f(path: str, start: dt.datetime, end: dt.datetime, source: str, updated: int) -> dict[str, Any]:
        return {"path": path, "period_start": start, "period_end": end, "source": source,
                "updated_at": t(20, updated)}

    files = [f("sim_new", t(10, 0), t(18, 0), "simulated", 5), f("era5_short", t(13, 0), t(16, 0), "era5", 1),
             f("era5_old", t(11, 0), t(16, 0), "era5", 1), f("era5_new", t(11, 0), t(16, 0), "era5", 2)]
    def path(start: dt.datetime, hours: int) -> list[str] | None:
        chosen = choose_met(files, start, hours)
        return None if chosen is None else [str(c["path"]) for c in chosen]

    assert path(t(15, 0), -72) == ["era5_new"]  # 12 Jan 00:00 .. 15 Jan 00:00
    assert path(t(17, 0), -72) == ["sim_new"]  # only the simulated file reaches 17 Jan
    assert path(t(15, 0), 24) == ["era5_new"]  # forward: 15 Jan .. 16 Jan
    assert choose_met(files, t(18, 0), 24) is None


GRID = {"grid_west": 95.0, "grid_east": 115.0, "grid_south": 5.0, "grid_north": 35.0, "grid_step_deg": 0.25,
        "pressure_levels_hpa": [1000, 925, 850, 700, 600, 500, 400]}


def _day(day: int, source: str = "era5", updated: int = 1, **grid: Any) -> dict[str, Any]:
    """One daily ERA5 ARL file: 00, 06, 12 and 18 UTC of ``day``."""
    return {"path": f"{source}_{day}", "period_start": t(day, 0), "period_end": t(day, 18), "source": source,
            "updated_at": t(20, updated), **{**GRID, **grid}}


def _paths(chain: list[dict[str, Any]] | None) -> list[str] | None:
    return None if chain is None else [str(c["path"]) for c in chain]


def test_choose_met_joins_daily_era5_files_into_a_72_h_chain() -> None:
    from ais.spark.jobs.trajectories import choose_met

    days = [_day(d) for d in (11, 12, 13, 14, 15, 16)]
    # backward 72 h from 15 Jan 00:00 needs 12 Jan 00:00 .. 15 Jan 00:00: four daily files, in time order
    assert _paths(choose_met(days, t(15, 0), -72)) == ["era5_12", "era5_13", "era5_14", "era5_15"]
    # from 15 Jan 12:00 it reaches back to 12 Jan 12:00 and needs 15 Jan's file up to 12:00
    assert _paths(choose_met(days, t(15, 12), -72)) == ["era5_12", "era5_13", "era5_14", "era5_15"]
    # forward 24 h from 16 Jan 12:00 needs 17 Jan 12:00: not there yet
    assert choose_met(days, t(16, 12), 24) is None
    assert _paths(choose_met(days, t(15, 12), 24)) == ["era5_15", "era5_16"]
    # a missing day breaks the chain: waiting, not a run over a hole
    holed = [d for d in days if d["path"] != "era5_13"]
    assert choose_met(holed, t(15, 0), -72) is None
    # so does a gap longer than met_max_gap_h (files of 00..12 UTC leave 12 h between days)
    short = [{**d, "period_end": d["period_end"] - dt.timedelta(hours=6)} for d in days]
    assert choose_met(short, t(15, 0), -72) is None
    assert _paths(choose_met(short, t(15, 0), -72, dt.timedelta(hours=12))) == [
        "era5_12", "era5_13", "era5_14", "era5_15"]


def test_choose_met_chains_stay_on_one_grid_and_prefer_real_fewer_newer() -> None:
    from ais.spark.jobs.trajectories import choose_met

    # 13 Jan on another grid cannot join 12 and 14: no real chain, the simulated file covers instead
    mixed = [_day(12), _day(13, grid_west=100.0), _day(14), _day(15),
             {**_day(12, source="simulated"), "period_end": t(15, 18), "path": "sim_12_15"}]
    assert _paths(choose_met(mixed, t(15, 0), -72)) == ["sim_12_15"]
    # a real chain beats a single simulated file; one file beats a chain of the same source
    real = [_day(12), _day(13), _day(14), _day(15), mixed[-1]]
    assert _paths(choose_met(real, t(15, 0), -72)) == ["era5_12", "era5_13", "era5_14", "era5_15"]
    wide = {**_day(12), "period_end": t(15, 18), "path": "era5_12_15"}
    assert _paths(choose_met([*real, wide], t(15, 0), -72)) == ["era5_12_15"]
    # overlapping files cannot follow each other (ARL periods must rise); the search finds the
    # chain a greedy "reach furthest first" would miss: 12..13 12:00 then 13 18:00.. , not 12..14
    overlap = [{**_day(12), "period_end": t(13, 12), "path": "a"}, {**_day(12), "period_end": t(14, 0), "path": "b"},
               {**_day(13), "period_start": t(13, 18), "period_end": t(15, 18), "path": "c"}]
    assert _paths(choose_met(overlap, t(15, 0), -72)) == ["a", "c"]
    # the same chain re-converted later (newer updated_at) wins
    again = [_day(d, updated=1) for d in (12, 13, 14, 15)] + [
        {**_day(d, updated=3), "path": f"new_{d}"} for d in (12, 13, 14, 15)]
    assert _paths(choose_met(again, t(15, 0), -72)) == ["new_12", "new_13", "new_14", "new_15"]


def test_a_chain_of_two_met_files_runs_like_one_file_spanning_both(tmp_path: Path) -> None:
    import subprocess

    from ais.spark.jobs.trajectories import execute_runs

    cfg = _runner_config(tmp_path)

    def simulate(name: str, start: str, end: str) -> str:
        out = tmp_path / name
        done = subprocess.run([cfg.binary, "simulate-met", "--start", start, "--end", end, "--out", str(out),
                               "--config", cfg.config_path], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return str(out)

    whole = simulate("whole.arl", "2026-01-12T00:00:00Z", "2026-01-15T12:00:00Z")
    first = simulate("first.arl", "2026-01-12T00:00:00Z", "2026-01-13T18:00:00Z")
    second = simulate("second.arl", "2026-01-14T00:00:00Z", "2026-01-15T12:00:00Z")
    one = [json.loads(s) for s in execute_runs(cfg, [_run(t(15, 0), "r", whole)])]
    two = [json.loads(s) for s in execute_runs(cfg, [_run(t(15, 0), "r", first, second)])]
    def outcome(lines: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
        return [(r["status"], r["error_message"]) for r in lines if r["kind"] == "run"]

    # the simulated winds carry the path out of the ERA5 region after 48 h, past the 24 h that the
    # second file alone could give: the path crossed the join between the files
    assert outcome(two) == outcome(one) == [("success", "partial: left_grid at -48.0 h")]
    points_one = [p for p in one if p["kind"] == "point"]
    points_two = [p for p in two if p["kind"] == "point"]
    assert len(points_two) == 49 and points_two == points_one  # hourly, 0 .. -48 h, the same values
    # each file alone falls short: 72 h back from 15 Jan 00:00 needs both
    alone = [json.loads(s) for s in execute_runs(cfg, [_run(t(15, 0), "r", second)])]
    assert [r["error_message"] for r in alone if r["kind"] == "run"] == ["partial: met_ended at -24.0 h"]
