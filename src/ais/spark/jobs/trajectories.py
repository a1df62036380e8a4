"""Tier 2: met files, trajectory runs, clusters, path sampling and hourly trajectory features.

trajectory-met-arl          ERA5 pressure-level GRIB files of weather.era5_files_bronze -> ARL files
                            (``ais-traj met-from-era5`` on the executors), or one simulated ARL file
                            for the window (``ais-traj simulate-met``, source "simulated") ->
                            weather.era5_arl_files_bronze
trajectory-runs             plans the runs (features/trajectory.py), runs them on the executors
                            (``ais-traj --batch`` per met file, or HYSPLIT when runtime.hysplit_exec
                            is set, its tdump parsed by ``ais-traj parse-tdump``) ->
                            trajectory.hysplit_runs_bronze + trajectory.hysplit_trajectories_silver.
                            Incremental: runs with status "success" are skipped, others retried
                            (attempts counts them); --full-refresh 1 reruns everything.
trajectory-clusters         -> trajectory.hysplit_trajectories_clustered_silver
trajectory-path-satellite   -> features.trajectory_path_satellite_silver
trajectory-hourly-features  -> features.trajectory_hourly_features_silver

The met data of a run is a chain of ARL files that together cover the whole run (start − 72 h ..
start for a backward run): one file when one covers it, else consecutive files of one source on one
grid (ERA5 arrives as one file per day, so a 72 h run needs four), each starting after the previous
one ends and at most ``trajectories.met_max_gap_h`` later (the ERA5 pressure-level step). The
executor joins a chain into one ARL file by concatenation (an ARL file is a sequence of periods, each
an index record and its fields, with no file header; ais-traj and HYSPLIT read the joined file as
one). Real ERA5 chains win over simulated ones, then shorter chains, then newer files. A run without
a chain is recorded with status "waiting_met" ("no ARL met file covers ...") and retried on the next
call; it does not fail the job (ERA5 arrives days late), while an engine failure (status "failed")
makes the job "partial" (exit 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ais import storage, tables
from ais.features import trajectory as tf
from ais.spark.jobs.common import JobContext, Window
from ais.spark.merge import merge_into
from ais.timeutil import as_utc, iso_z, parse_iso

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from ais.config import Settings

SIMULATED = "simulated"
WAITING_MET = "waiting_met"  # no ARL file covers the run yet (ERA5 arrives days late): retried, not an error
ERROR_TAIL = 2000


class TrajConfig:
    """What the executors need, as plain values (pickled into the tasks)."""

    def __init__(self, settings: Settings) -> None:
        self.binary = settings.resolve_path(settings.require("trajectories.binary"))
        self.config_path = str(settings.path)
        self.hysplit_exec = settings.runtime("hysplit_exec")
        self.work_dir = settings.resolve_path(settings.require("trajectories.work_dir"))
        self.met_dir = settings.met_dir  # a local folder or a shared-store URI (hdfs://)
        self.hysplit_timeout_s = settings.get_float("trajectories.hysplit_timeout_s")
        self.back_hours = settings.get_int("trajectories.back_hours")
        self.forward_hours = settings.get_int("trajectories.forward_hours")

    @property
    def engine(self) -> str:
        return "hysplit" if self.hysplit_exec else "ais-traj"


def plan_config(settings: Settings) -> tf.RunPlanConfig:
    return tf.RunPlanConfig(
        run_hours_utc=tuple(settings.get_int_list("trajectories.run_hours_utc")),
        pm25_trigger_ugm3=settings.get_float("trajectories.pm25_trigger_ugm3"),
        back_hours=settings.get_int("trajectories.back_hours"),
        forward_hours=settings.get_int("trajectories.forward_hours"),
        release_points=((settings.get_float("hanoi.centre.lat"), settings.get_float("hanoi.centre.lon")),),
        heights_m=(settings.get_float("trajectories.release_height_m_agl"),))


# ---- running on an executor -----------------------------------------------------------------

def _json_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _run_ais_traj(cfg: TrajConfig, met_file: str, runs: list[dict[str, Any]], tmp: Path
                  ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    batch, points, results = tmp / "runs.jsonl", tmp / "points.jsonl", tmp / "results.jsonl"
    batch.write_text("".join(json.dumps({"run_id": r["run_id"], "lat": r["receptor_lat"], "lon": r["receptor_lon"],
                                         "start": iso_z(r["start_time"]), "height_m": r["release_height_m"],
                                         "hours": r["hours"]}) + "\n" for r in runs))
    done = subprocess.run([cfg.binary, "--met", met_file, "--batch", str(batch), "--out", str(points),
                           "--runs-out", str(results), "--config", cfg.config_path],
                          capture_output=True, text=True, check=False)
    outcome = {r["run_id"]: r for r in _json_lines(results)}
    if done.returncode not in (0, 1) or not outcome:
        error = f"ais-traj exited {done.returncode}: {done.stderr.strip()[-ERROR_TAIL:]}"
        outcome = {r["run_id"]: {"status": "failed", "error": error} for r in runs}
    return outcome, _json_lines(points)


def _control_file(run: dict[str, Any], met_file: str, out_dir: Path) -> str:
    """HYSPLIT's CONTROL: start, one release point, run hours, vertical motion from the data,
    model top, one met file (folder, name), output (folder, name)."""
    t: dt.datetime = run["start_time"]
    met = Path(met_file)
    return "\n".join([
        f"{t:%y %m %d %H}", "1", f"{run['receptor_lat']:.4f} {run['receptor_lon']:.4f} {run['release_height_m']:.1f}",
        str(run["hours"]), "0", "10000.0", "1", f"{met.parent}/", met.name, f"{out_dir}/", "tdump", ""])


def _run_hysplit(cfg: TrajConfig, met_file: str, run: dict[str, Any], tmp: Path
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    (tmp / "CONTROL").write_text(_control_file(run, met_file, tmp))
    try:
        done = subprocess.run([cfg.hysplit_exec], cwd=tmp, capture_output=True, text=True, check=False,
                              timeout=cfg.hysplit_timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"status": "failed", "error": f"HYSPLIT did not run: {exc}"}, []
    tdump = tmp / "tdump"
    if done.returncode != 0 or not tdump.exists():
        return {"status": "failed", "error": f"HYSPLIT exited {done.returncode} "
                f"{'without' if not tdump.exists() else 'with'} a tdump: {done.stderr.strip()[-ERROR_TAIL:]}"}, []
    points = tmp / "points.jsonl"
    parsed = subprocess.run([cfg.binary, "parse-tdump", "--tdump", str(tdump), "--run-id", run["run_id"],
                             "--out", str(points)], capture_output=True, text=True, check=False)
    if parsed.returncode != 0:
        return {"status": "failed", "error": f"tdump not parsed: {parsed.stdout.strip()[-ERROR_TAIL:]}"}, []
    return {"status": "ok"}, _json_lines(points)


def join_met(paths: list[str], out: Path) -> str:
    """One ARL file holding the periods of ``paths`` in order (the path itself for a single file):
    ARL files have no header, so consecutive files on one grid concatenate into a valid file."""
    if len(paths) == 1:
        return paths[0]
    with open(out, "wb") as joined:
        for path in paths:
            with open(path, "rb") as part:
                while block := part.read(1 << 20):
                    joined.write(block)
    return str(out)


def _run_group(cfg: TrajConfig, met_uris: tuple[str, ...], group: list[dict[str, Any]], tmp: Path
               ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The runs of one met chain (its files copied into ``tmp`` first when they are on the shared
    store, then joined into one file when there are several)."""
    try:
        met_file = join_met([local_copy(uri, tmp / "met") for uri in met_uris], tmp / "met_chain.arl")
    except (OSError, storage.StorageError, RuntimeError) as exc:
        error = f"met files {', '.join(met_uris)} not readable: {type(exc).__name__}: {exc}"
        return {r["run_id"]: {"status": "failed", "error": error} for r in group}, []
    if not cfg.hysplit_exec:
        return _run_ais_traj(cfg, met_file, group, tmp)
    outcome, points = {}, []
    for r in group:
        run_dir = tmp / hashlib.sha256(r["run_id"].encode()).hexdigest()[:16]
        run_dir.mkdir()
        outcome[r["run_id"]], pts = _run_hysplit(cfg, met_file, r, run_dir)
        points.extend(pts)
    return outcome, points


def execute_runs(cfg: TrajConfig, runs: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Runs the planned runs (dicts with met_files, the chain in time order) and yields JSON lines
    tagged "run" or "point": the run's row of hysplit_runs_bronze and the points of
    hysplit_trajectories_silver."""
    by_met: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in runs:
        by_met.setdefault(tuple(r["met_files"]), []).append(r)
    Path(cfg.work_dir).mkdir(parents=True, exist_ok=True)
    for met_uris, group in by_met.items():
        started = dt.datetime.now(dt.UTC)
        with tempfile.TemporaryDirectory(dir=cfg.work_dir) as tmp_name:
            outcome, points = _run_group(cfg, met_uris, group, Path(tmp_name))
        finished = dt.datetime.now(dt.UTC)
        sources = {r["run_id"]: r.get("met_source") for r in group}
        ok_runs = set()
        for r in group:
            res = outcome.get(r["run_id"], {"status": "failed", "error": "no result for this run"})
            ok = res.get("status") == "ok"
            message = res.get("error")
            if ok:
                ok_runs.add(r["run_id"])
                stop = res.get("stop_reason", "completed")  # a path leaving the grid or the met is kept
                message = None if stop == "completed" else f"partial: {stop} at {float(res.get('end_age_h', 0)):.1f} h"
            yield json.dumps({"kind": "run", "run_id": r["run_id"], "status": "success" if ok else "failed",
                              "error_message": message, "engine": cfg.engine,
                              "started_at": iso_z(started), "finished_at": iso_z(finished)})
        for p in points:
            if p["run_id"] in ok_runs:
                yield json.dumps({"kind": "point", **p, "source": sources.get(p["run_id"])})


# ---- met files ------------------------------------------------------------------------------

def _file_row(summary: dict[str, Any], arl_file_id: str, era5_event_id: str | None, source: str) -> dict[str, Any]:
    parse = parse_iso
    return {"arl_file_id": arl_file_id, "era5_event_id": era5_event_id, "path": summary["out"],
            "size_bytes": summary.get("bytes"), "sha256": summary.get("sha256"),
            "period_start": parse(summary["first_time"]), "period_end": parse(summary["last_time"]),
            "pressure_levels_hpa": [int(v) for v in summary["levels_hpa"]],
            "grid_west": summary["lon0"], "grid_east": summary["lon0"] + summary["dlon"] * (summary["nx"] - 1),
            "grid_south": summary["lat0"], "grid_north": summary["lat0"] + summary["dlat"] * (summary["ny"] - 1),
            "grid_step_deg": summary["dlon"], "source": source}


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def local_copy(uri: str, scratch: Path) -> str:
    """A local path of ``uri`` for a program that reads files: the path itself when the file is
    local, else a copy from the shared store into ``scratch`` (a folder that the caller removes)."""
    if storage.is_local(uri):
        return str(storage.local_path(uri))
    target = scratch / hashlib.sha256(uri.encode()).hexdigest()[:16] / uri.rpartition("/")[2]
    storage.get_file(uri, target)
    return str(target)


def make_met(cfg: TrajConfig, task: dict[str, Any]) -> dict[str, Any]:
    """One met file on an executor: {"kind": "simulate", start, end, out} or {"kind": "era5", grib,
    surface_grib, out, era5_event_id}. The engine writes to local scratch; the file then goes to
    ``out`` (a local path or a shared-store URI) under a temporary name and a rename. Returns the
    era5_arl_files_bronze row, or {"error": ...}."""
    Path(cfg.work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cfg.work_dir) as tmp_name:
        tmp = Path(tmp_name)
        local_out = tmp / "met.arl"
        try:
            if task["kind"] == "simulate":
                cmd = [cfg.binary, "simulate-met", "--start", task["start"], "--end", task["end"],
                       "--out", str(local_out), "--config", cfg.config_path]
            else:
                cmd = [cfg.binary, "met-from-era5", "--grib", local_copy(task["grib"], tmp), "--out", str(local_out),
                       "--config", cfg.config_path]
                if task.get("surface_grib"):
                    cmd += ["--surface-grib", local_copy(task["surface_grib"], tmp)]
        except (OSError, storage.StorageError, RuntimeError) as exc:
            return {"error": f"input not readable: {type(exc).__name__}: {exc}", "task": task}
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        summary = json.loads(lines[-1]) if lines else {}
        if done.returncode != 0 or summary.get("status") != "ok":
            return {"error": summary.get("error") or done.stderr.strip()[-ERROR_TAIL:], "task": task}
        summary.setdefault("bytes", os.path.getsize(local_out))
        summary.setdefault("sha256", _sha256(str(local_out)))
        try:
            storage.put_file(local_out, task["out"])
        except (OSError, storage.StorageError, RuntimeError) as exc:
            return {"error": f"met file not stored at {task['out']}: {type(exc).__name__}: {exc}", "task": task}
    summary["out"] = task["out"]
    return _file_row(summary, task["arl_file_id"], task.get("era5_event_id"),
                     SIMULATED if task["kind"] == "simulate" else "era5")


def run_met_arl(ctx: JobContext, window: Window, full_refresh: bool, simulate: bool) -> dict[str, Any]:
    from pyspark.sql import functions as F

    cfg = TrajConfig(ctx.settings)
    spec = tables.table("weather.era5_arl_files_bronze")
    existing = {r.arl_file_id for r in ctx.spark.table(spec.qualified(ctx.catalog)).select("arl_file_id").collect()}
    wide = window.widen(before_hours=cfg.back_hours, after_hours=cfg.forward_hours)
    tasks: list[dict[str, Any]] = []
    if simulate:
        fid = f"simulated_{wide.start:%Y%m%dT%H}_{wide.end:%Y%m%dT%H}"
        tasks.append({"kind": "simulate", "start": iso_z(wide.start), "end": iso_z(wide.end),
                      "out": storage.join(cfg.met_dir, "simulated", f"{fid}.arl"), "arl_file_id": fid})
    else:
        files = (ctx.spark.table(tables.table("weather.era5_files_bronze").qualified(ctx.catalog))
                 .where((F.col("period_end") > wide.start_sql) & (F.col("period_start") < wide.end_sql))
                 .select("event_id", "dataset_type", "period_start", "period_end", "file_path").collect())
        surface = {(r.period_start, r.period_end): r.file_path for r in files if r.dataset_type == "single_levels"}
        for r in files:
            if r.dataset_type != "pressure_levels":
                continue
            fid = f"era5_{r.event_id}"
            tasks.append({"kind": "era5", "grib": r.file_path, "era5_event_id": r.event_id, "arl_file_id": fid,
                          "surface_grib": surface.get((r.period_start, r.period_end)),
                          "out": storage.join(cfg.met_dir, "era5", f"{fid}.arl")})
    todo = [t for t in tasks if full_refresh or t["arl_file_id"] not in existing]
    results = (ctx.spark.sparkContext.parallelize(todo, max(1, min(len(todo), 64)))
               .map(lambda t: make_met(cfg, t)).collect()) if todo else []
    rows = [r for r in results if "error" not in r]
    errors = [r for r in results if "error" in r]
    for e in errors:
        ctx.log.error("arl_file_failed", task=e["task"], error=e["error"])
    written = 0
    if rows:
        df = ctx.spark.createDataFrame(rows, schema=_schema(spec, rows[0]))
        written = merge_into(_stamp(df, ctx), spec, ctx.catalog).written_rows
    return ctx.done(table=spec.identifier, simulated=simulate, files_planned=len(tasks), files_converted=len(rows),
                    files_failed=len(errors), output_count=written, status="success" if not errors else "partial")


# ---- runs -----------------------------------------------------------------------------------

def _stamp(df: DataFrame, ctx: JobContext) -> DataFrame:
    from pyspark.sql import functions as F

    return df.withColumn("job_run_id", F.lit(ctx.job_run_id)).withColumn("updated_at", F.current_timestamp())


def _schema(spec: tables.TableSpec, sample: dict[str, Any]) -> Any:
    from ais.spark.schema import spark_schema

    full = spark_schema(spec)
    return type(full)([f for f in full.fields if f.name in sample])


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
MET_GRID_KEYS = ("source", "grid_west", "grid_east", "grid_south", "grid_north", "grid_step_deg",
                 "pressure_levels_hpa")


def _grid(f: dict[str, Any]) -> tuple[Any, ...]:
    """Files that may join into one chain share this: source, grid and pressure levels."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in (f.get(k) for k in MET_GRID_KEYS))


def _chains(files: list[dict[str, Any]], lo: dt.datetime, hi: dt.datetime, max_gap: dt.timedelta
            ) -> Iterator[list[dict[str, Any]]]:
    """Every chain of ``files`` (one grid) covering lo..hi: the first starts at or before lo, each
    next one starts after the previous ends and at most max_gap later, the last ends at or after hi.
    Depth-first; the files are the few that overlap one run, so the search stays small."""
    ordered = sorted(files, key=lambda f: f["period_start"])

    def extend(chain: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        end = chain[-1]["period_end"]
        if end >= hi:
            yield chain
            return
        for f in ordered:
            if end < f["period_start"] <= end + max_gap:
                yield from extend([*chain, f])

    for f in ordered:
        if f["period_start"] <= lo:
            yield from extend([f])


def choose_met(files: list[dict[str, Any]], start: dt.datetime, hours: int,
               max_gap: dt.timedelta = dt.timedelta(hours=6)) -> list[dict[str, Any]] | None:
    """The met chain of a run (files in time order), or None when no chain covers it: real ERA5
    before simulated, then the fewest files, then the newest (by the oldest file's updated_at)."""
    lo, hi = (start + dt.timedelta(hours=hours), start) if hours < 0 else (start, start + dt.timedelta(hours=hours))
    near = [f for f in files if f["period_end"] >= lo - max_gap and f["period_start"] <= hi + max_gap]
    by_grid: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for f in near:
        by_grid.setdefault(_grid(f), []).append(f)
    best: tuple[Any, ...] | None = None
    chosen: list[dict[str, Any]] | None = None
    for group in by_grid.values():
        for chain in _chains(group, lo, hi, max_gap):
            rank = (chain[0]["source"] != SIMULATED, -len(chain), min(f["updated_at"] or _NEVER for f in chain))
            if best is None or rank > best:
                best, chosen = rank, chain
    return chosen


def run_trajectories(ctx: JobContext, window: Window, full_refresh: bool = False) -> dict[str, Any]:
    from pyspark.sql import functions as F

    cfg = TrajConfig(ctx.settings)
    spark, cat = ctx.spark, ctx.catalog
    runs_spec = tables.table("trajectory.hysplit_runs_bronze")
    points_spec = tables.table("trajectory.hysplit_trajectories_silver")
    pm25 = [(as_utc(r.hour), r.pm25_median) for r in
            spark.table(tables.table("air_quality.openaq_hanoi_hourly_silver").qualified(cat))
            .where((F.col("hour") >= window.start_sql) & (F.col("hour") < window.end_sql))
            .select("hour", "pm25_median").collect()]
    planned = tf.plan_runs(window.start, window.end, plan_config(ctx.settings), pm25)
    previous = {r.run_id: r for r in spark.table(runs_spec.qualified(cat))
                .where((F.col("start_time") >= window.start_sql) & (F.col("start_time") < window.end_sql))
                .select("run_id", "status", "attempts").collect()}
    todo = [r for r in planned if full_refresh or previous.get(r["run_id"]) is None
            or previous[r["run_id"]].status != "success"]
    files = [{**r.asDict(), "period_start": as_utc(r.period_start), "period_end": as_utc(r.period_end)}
             for r in spark.table(tables.table("weather.era5_arl_files_bronze").qualified(cat))
             .select("path", "period_start", "period_end", "source", "updated_at", *MET_GRID_KEYS[1:]).collect()]
    max_gap = dt.timedelta(hours=ctx.settings.get_float("trajectories.met_max_gap_h"))
    runnable, unmet = [], []
    for r in todo:
        prev = previous.get(r["run_id"])
        r["attempts"] = (prev.attempts or 0) + 1 if prev is not None else 1
        chain = choose_met(files, r["start_time"], r["hours"], max_gap)
        if chain is None:
            unmet.append(r)
        else:
            runnable.append({**r, "met_files": [f["path"] for f in chain], "met_source": chain[0]["source"]})
    now = dt.datetime.now(dt.UTC)
    results: dict[str, dict[str, Any]] = {
        r["run_id"]: {"status": WAITING_MET, "engine": cfg.engine, "started_at": now, "finished_at": now,
                      "error_message": f"no ARL met file covers {r['direction']} {r['duration_h']} h from "
                                       f"{iso_z(r['start_time'])}"} for r in unmet}
    n_points = 0
    if runnable:
        # sorted by met chain, so each task reads few chains (each is one ais-traj batch)
        runnable.sort(key=lambda r: (r["met_files"], r["run_id"]))
        n_parts = max(1, min(len(runnable), ctx.spark.sparkContext.defaultParallelism))
        tagged = (spark.sparkContext.parallelize(runnable, n_parts)
                  .mapPartitions(lambda part: execute_runs(cfg, part))).cache()
        try:
            for line in tagged.filter(lambda s: s.startswith('{"kind": "run"')).collect():
                rec = json.loads(line)
                results[rec["run_id"]] = {**rec, "started_at": parse_iso(rec["started_at"]),
                                          "finished_at": parse_iso(rec["finished_at"])}
            points = spark.read.schema(
                "run_id string, traj_id string, age_h double, lat double, lon double, alt_m double, "
                "pressure_hpa double, timestamp string, source string").json(
                tagged.filter(lambda s: s.startswith('{"kind": "point"')))
            points = points.select("traj_id", F.round("age_h").cast("int").alias("age_h"), "run_id", "lat", "lon",
                                   "alt_m", "pressure_hpa", F.to_timestamp("timestamp").alias("timestamp"), "source")
            n_points = merge_into(_stamp(points, ctx), points_spec, cat).written_rows
        finally:
            tagged.unpersist()
    met_of = {r["run_id"]: (r["met_files"], r["met_source"]) for r in runnable}
    rows = [{"run_id": r["run_id"], "receptor_lat": r["receptor_lat"], "receptor_lon": r["receptor_lon"],
             "release_height_m": r["release_height_m"], "start_time": r["start_time"], "direction": r["direction"],
             "duration_h": r["duration_h"], "trigger": r["trigger"], "engine": results[r["run_id"]]["engine"],
             "status": results[r["run_id"]]["status"], "error_message": results[r["run_id"]].get("error_message"),
             "attempts": r["attempts"], "started_at": results[r["run_id"]]["started_at"],
             "finished_at": results[r["run_id"]]["finished_at"], "met_files": met_of.get(r["run_id"], ([], None))[0],
             "source": met_of.get(r["run_id"], ([], None))[1]}
            for r in todo]
    written = 0
    if rows:
        df = spark.createDataFrame(rows, schema=_schema(runs_spec, rows[0]))
        written = merge_into(_stamp(df, ctx), runs_spec, cat, prune_column="start_time").written_rows
    failed = sum(1 for r in rows if r["status"] == "failed")
    waiting = sum(1 for r in rows if r["status"] == WAITING_MET)
    return ctx.done(table=runs_spec.identifier, window_start=window.start, window_end=window.end,
                    full_refresh=full_refresh, runs_planned=len(planned), runs_skipped=len(planned) - len(todo),
                    runs_attempted=len(todo), runs_failed=failed, runs_waiting_met=waiting, runs_written=written,
                    points_written=n_points,
                    engine=cfg.engine, status="success" if failed == 0 else "partial")


# ---- clusters, path sampling, hourly features -----------------------------------------------

def _backward_points(ctx: JobContext, window: Window) -> tuple[Any, Any]:
    """(points pandas frame of successful backward runs started in the window, run starts)."""
    from pyspark.sql import functions as F

    runs = (ctx.spark.table(tables.table("trajectory.hysplit_runs_bronze").qualified(ctx.catalog))
            .where((F.col("start_time") >= window.start_sql) & (F.col("start_time") < window.end_sql)
                   & (F.col("status") == "success") & (F.col("direction") == "backward"))
            .select("run_id", "start_time"))
    pts = (ctx.spark.table(tables.table("trajectory.hysplit_trajectories_silver").qualified(ctx.catalog))
           .join(runs, "run_id")
           .select("traj_id", "run_id", "start_time", "age_h", "lat", "lon", "timestamp", "source"))
    return pts, runs


def run_clusters(ctx: JobContext, window: Window) -> dict[str, Any]:
    from pyspark.sql import functions as F

    s = ctx.settings
    anchors = s.get_int_list("trajectories.anchor_ages_h")
    spec = tables.table("trajectory.hysplit_trajectories_clustered_silver")
    pts_df, _ = _backward_points(ctx, window)
    points = pts_df.toPandas()  # one action: the anchors and the upwind ends come from it
    if points.empty:
        return ctx.done(table=spec.identifier, trajectories=0, output_count=0)
    clustered = ctx.spark.table(spec.qualified(ctx.catalog))
    last = clustered.orderBy(F.col("updated_at").desc()).select("cluster_run_id").limit(1).collect()
    previous: dict[int, Any] = {}
    if last:
        assigned = clustered.where(F.col("cluster_run_id") == last[0][0]).select("traj_id", "cluster_id")
        prev_pts = (ctx.spark.table(tables.table("trajectory.hysplit_trajectories_silver").qualified(ctx.catalog))
                    .where(F.col("age_h").isin(anchors)).join(assigned.select("traj_id"), "traj_id")
                    .select("traj_id", "age_h", "lat", "lon").toPandas())
        previous = tf.previous_centroids(prev_pts, assigned.toPandas(), anchors)
    out, _, score = tf.cluster(points, anchors, s.get_int("trajectories.k_min"), s.get_int("trajectories.k_max"),
                               previous)
    if out.empty:
        return ctx.done(table=spec.identifier, trajectories=0, output_count=0)
    meta = points.drop_duplicates("traj_id").set_index("traj_id")[["run_id", "start_time"]]
    out = out.join(meta, on="traj_id")
    cluster_run_id = hashlib.sha256(",".join(sorted(out["traj_id"])).encode()).hexdigest()[:16]
    out = out.assign(cluster_run_id=cluster_run_id)
    rows = tf.records(out)
    df = ctx.spark.createDataFrame(rows, schema=_schema(spec, rows[0]))
    written = merge_into(_stamp(df, ctx), spec, ctx.catalog).written_rows
    k = int(out["k"].iloc[0]) if len(out) else 0
    return ctx.done(table=spec.identifier, trajectories=len(out), k=k, k_criterion="max silhouette",
                    silhouette=score, matched_previous_clusters=len(previous), output_count=written)


def run_path_satellite(ctx: JobContext, window: Window) -> dict[str, Any]:
    from pyspark.sql import functions as F

    s = ctx.settings
    spec = tables.table("features.trajectory_path_satellite_silver")
    age_from = s.get_int("trajectories.path_sampling_ages_h.from")
    age_to = s.get_int("trajectories.path_sampling_ages_h.to")
    step = s.get_float("trajectories.grid_deg")
    pts, _ = _backward_points(ctx, window)
    pts = pts.where(F.col("age_h").between(age_from, age_to))
    def snap(c: str) -> Any:
        return F.round(F.col(c) / step) * step

    snapped = pts.select(snap("lat").alias("glat"), snap("lon").alias("glon"),
                         F.to_date("timestamp").alias("date")).distinct()
    grid = ctx.spark.table(tables.table("satellite.sentinel5p_grid_silver").qualified(ctx.catalog))
    grid = (grid.where(F.col("product").isin("NO2", "AER_AI"))
            .withColumn("glat", snap("lat")).withColumn("glon", snap("lon"))
            .join(F.broadcast(snapped), ["date", "glat", "glon"], "left_semi")
            .select("product", "date", "lat", "lon", "value_mean", "available_at", "source"))
    points_pd = pts.select("traj_id", "age_h", "lat", "lon", "timestamp", "start_time", "source").toPandas()
    if points_pd.empty:
        return ctx.done(table=spec.identifier, trajectories=0, output_count=0)
    starts = points_pd[["traj_id", "start_time"]].drop_duplicates("traj_id")
    out = tf.path_satellite(points_pd.drop(columns="start_time"), starts, grid.toPandas(), age_from, age_to, step)
    rows = tf.records(out)
    df = ctx.spark.createDataFrame(rows, schema=_schema(spec, rows[0]))
    written = merge_into(_stamp(df, ctx), spec, ctx.catalog).written_rows
    return ctx.done(table=spec.identifier, trajectories=len(out), with_no2=int(out["n_samples"].gt(0).sum()),
                    output_count=written)


def run_hourly_features(ctx: JobContext, window: Window) -> dict[str, Any]:
    from pyspark.sql import functions as F

    spec = tables.table("features.trajectory_hourly_features_silver")
    wide = window.widen(before_hours=tf.HOURLY_LOOKBACK_H)
    clustered = ctx.spark.table(tables.table("trajectory.hysplit_trajectories_clustered_silver").qualified(ctx.catalog))
    path = ctx.spark.table(tables.table("features.trajectory_path_satellite_silver").qualified(ctx.catalog))
    trajs = (clustered.where((F.col("start_time") >= wide.start_sql) & (F.col("start_time") < wide.end_sql))
             .select("traj_id", "start_time", "cluster_id", "source_lat", "source_lon", "source")
             .join(path.select("traj_id", "path_no2_mean", "path_aer_mean", F.col("source").alias("path_source")),
                   "traj_id", "left").toPandas())
    n_hours = int((window.end - window.start).total_seconds() // 3600)
    hours = [window.start + dt.timedelta(hours=h) for h in range(n_hours)]
    out = tf.hourly_features(trajs, hours)
    if out.empty:
        return ctx.done(table=spec.identifier, hours=0, output_count=0)
    rows = tf.records(out)
    df = ctx.spark.createDataFrame(rows, schema=_schema(spec, rows[0]))
    written = merge_into(_stamp(df, ctx), spec, ctx.catalog, prune_column="hour").written_rows
    return ctx.done(table=spec.identifier, hours=len(out), output_count=written)
