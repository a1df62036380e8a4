"""Trajectory planning, clustering, path sampling and hourly features: plain pandas/numpy, so the
Spark jobs (src/ais/spark/jobs/trajectories.py) and the tests share one definition.

Runs. One run per (start hour, release point, height, direction). Start hours are the configured
``trajectories.run_hours_utc`` of every day of the window plus every hour whose city PM2.5 median
is at or above ``trajectories.pm25_trigger_ugm3`` (trigger ``pm25_threshold``; a scheduled hour
that also crosses the threshold stays ``scheduled``). Backward runs last ``back_hours``; forward
runs (``forward_hours`` > 0) are planned too. The run id is deterministic, so a rerun finds it.

Clusters. Each backward trajectory is described by its positions at ``anchor_ages_h`` (lat and
lon * cos(receptor latitude), degrees, so distances are roughly isotropic; a path that left the
met grid early keeps its exit position for the older anchors). k-means (scikit-learn,
n_init 10, fixed seed) for every k in k_min..k_max (bounded by n - 1); k is the one with the
highest silhouette score (the stated criterion); fewer than k_min + 1 trajectories: k = 1 if any.
Ids are kept stable: the new centroids are matched to the previous run's centroids (the mean
anchor vector of each previous cluster id) by minimum total distance (Hungarian assignment,
scipy); matched clusters keep the old id, the others get ids after the largest id seen.
``source_lat/lon`` is the upwind end of the path: the point of the oldest age (−72 h), never the
receptor.

Path sampling. Points with age in [from, to] (−72..−24 h) are snapped to the nearest point of the
``grid_deg`` grid and looked up in the Sentinel-5P grid of the point's UTC date; only grid rows
available at the run's start are used (no look-ahead; a row without available_at is not used).
NO2 and AER_AI separately: mean, and for NO2 max and population std; the ratio is NO2 mean /
AER_AI mean (null when AER_AI is missing or zero); n_samples counts the path points that found an
NO2 value. Every row's ``source`` lists the sources of the path (its met) and of the rows sampled.

Hourly features. For hour H, the trajectories of the latest run start S with H − 12 h < S ≤ H
(all release points and heights of that start): dominant_cluster = most frequent cluster id (ties:
smallest id), n_traj, mean source_lat/lon, mean path_no2_mean and path_aer_mean, and their ratio.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

HOURLY_LOOKBACK_H = 12


@dataclass(frozen=True)
class RunPlanConfig:
    run_hours_utc: tuple[int, ...]
    pm25_trigger_ugm3: float
    back_hours: int
    forward_hours: int
    release_points: tuple[tuple[float, float], ...]
    heights_m: tuple[float, ...]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (NaN/NaT -> None, numpy scalars -> int/float, Timestamp ->
    datetime), ready for spark.createDataFrame."""
    out = []
    for row in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for k, v in row.items():
            if isinstance(v, pd.Timestamp):
                v = None if pd.isna(v) else v.to_pydatetime()
            elif isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and v != v:
                v = None
            clean[k] = v
        out.append(clean)
    return out


def run_id(start: dt.datetime, lat: float, lon: float, height_m: float, hours: int) -> str:
    direction = "b" if hours < 0 else "f"
    return f"traj_{start:%Y%m%dT%H}_{lat:.4f}_{lon:.4f}_{height_m:g}m_{direction}{abs(hours)}"


def plan_runs(start: dt.datetime, end: dt.datetime, cfg: RunPlanConfig,
              pm25_hours: Iterable[tuple[dt.datetime, float | None]]) -> list[dict[str, Any]]:
    """Runs whose start hour lies in [start, end) (UTC, whole hours)."""
    triggers: dict[dt.datetime, str] = {}
    t = start
    while t < end:
        if t.hour in cfg.run_hours_utc:
            triggers[t] = "scheduled"
        t += dt.timedelta(hours=1)
    for hour, pm25 in pm25_hours:
        if pm25 is not None and pm25 >= cfg.pm25_trigger_ugm3 and start <= hour < end:
            triggers.setdefault(hour, "pm25_threshold")
    durations = [-cfg.back_hours] + ([cfg.forward_hours] if cfg.forward_hours > 0 else [])
    runs = []
    for hour in sorted(triggers):
        for lat, lon in cfg.release_points:
            for height in cfg.heights_m:
                for hours in durations:
                    runs.append({"run_id": run_id(hour, lat, lon, height, hours), "receptor_lat": lat,
                                 "receptor_lon": lon, "release_height_m": height, "start_time": hour,
                                 "direction": "backward" if hours < 0 else "forward", "duration_h": abs(hours),
                                 "hours": hours, "trigger": triggers[hour]})
    return runs


# ---- clusters -------------------------------------------------------------------------------

def anchor_matrix(points: pd.DataFrame, anchor_ages: Sequence[int]) -> tuple[list[str], np.ndarray]:
    """traj ids and their vectors (lat, lon * cos(lat at the first anchor)) per anchor age. A path
    that ended early (it left the met grid) keeps its last position for the later anchors; a path
    without the first anchor is left out."""
    want = points[points["age_h"].isin(list(anchor_ages))]
    lat = want.pivot_table(index="traj_id", columns="age_h", values="lat", aggfunc="first")
    lon = want.pivot_table(index="traj_id", columns="age_h", values="lon", aggfunc="first")
    cols = list(anchor_ages)
    lat = lat.reindex(columns=cols).ffill(axis=1).dropna()
    lon = lon.reindex(columns=cols).ffill(axis=1).loc[lat.index]
    if lat.empty:
        return [], np.zeros((0, 2 * len(cols)))
    scale = np.cos(np.radians(lat[cols[0]].to_numpy()))[:, None]
    return list(lat.index), np.hstack([lat.to_numpy(), lon.to_numpy() * scale])


def choose_k(x: np.ndarray, k_min: int, k_max: int, seed: int = 0) -> tuple[int, np.ndarray, np.ndarray, float | None]:
    """(k, labels, centroids, silhouette of k) by the highest silhouette over k_min..k_max."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(x)
    if n == 0:
        return 0, np.zeros(0, dtype=int), np.zeros((0, x.shape[1])), None
    best: tuple[int, np.ndarray, np.ndarray, float | None] | None = None
    for k in range(max(2, k_min), min(k_max, n - 1) + 1):
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
        if len(set(km.labels_)) < 2:
            continue
        score = float(silhouette_score(x, km.labels_))
        if best is None or best[3] is None or score > best[3]:
            best = (k, km.labels_.astype(int), km.cluster_centers_, score)
    if best is None:  # too few trajectories for k_min: one cluster
        return 1, np.zeros(n, dtype=int), x.mean(axis=0, keepdims=True), None
    return best


def stable_ids(centroids: np.ndarray, previous: dict[int, np.ndarray]) -> list[int]:
    """An id per new centroid: the matched previous id (Hungarian, minimum total distance), or a
    new id after the largest previous one."""
    from scipy.optimize import linear_sum_assignment

    ids = [-1] * len(centroids)
    if previous and len(centroids):
        old_ids = sorted(previous)
        cost = np.array([[float(np.linalg.norm(c - previous[o])) for o in old_ids] for c in centroids])
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols, strict=True):
            ids[r] = old_ids[c]
    nxt = max(previous, default=-1) + 1
    for i, v in enumerate(ids):
        if v < 0:
            ids[i], nxt = nxt, nxt + 1
    return ids


def upwind_ends(points: pd.DataFrame) -> pd.DataFrame:
    """traj_id, source_lat, source_lon: the point of the oldest age of each path."""
    oldest = points.loc[points.groupby("traj_id")["age_h"].idxmin()]
    return oldest[["traj_id", "lat", "lon"]].rename(columns={"lat": "source_lat", "lon": "source_lon"})


def cluster(points: pd.DataFrame, anchor_ages: Sequence[int], k_min: int, k_max: int,
            previous: dict[int, np.ndarray]) -> tuple[pd.DataFrame, dict[int, np.ndarray], float | None]:
    """Rows traj_id, cluster_id, k, distance_to_centroid, source_lat, source_lon; the centroids by id;
    the silhouette of the chosen k."""
    ids, x = anchor_matrix(points, anchor_ages)
    k, labels, centroids, score = choose_k(x, k_min, k_max)
    mapped = stable_ids(centroids, previous)
    out = pd.DataFrame({"traj_id": ids, "cluster_id": [mapped[v] for v in labels], "k": k,
                        "distance_to_centroid": [float(np.linalg.norm(x[i] - centroids[v]))
                                                 for i, v in enumerate(labels)]})
    out = out.merge(upwind_ends(points), on="traj_id", how="left")
    if "source" in points:
        out = out.merge(points.drop_duplicates("traj_id")[["traj_id", "source"]], on="traj_id", how="left")
    return out, {mapped[i]: centroids[i] for i in range(len(centroids))}, score


def previous_centroids(points: pd.DataFrame, assigned: pd.DataFrame,
                       anchor_ages: Sequence[int]) -> dict[int, np.ndarray]:
    """Mean anchor vector of each cluster id of a previous assignment (traj_id, cluster_id)."""
    ids, x = anchor_matrix(points[points["traj_id"].isin(assigned["traj_id"])], anchor_ages)
    if not ids:
        return {}
    frame = pd.DataFrame(x, index=ids).join(assigned.set_index("traj_id")["cluster_id"])
    return {int(c): g.drop(columns="cluster_id").to_numpy().mean(axis=0) for c, g in frame.groupby("cluster_id")}


# ---- path sampling --------------------------------------------------------------------------

def join_sources(values: Iterable[Any]) -> str | None:
    """Sorted distinct non-null sources, comma-joined ("era5,sentinel5p"), or None."""
    found = sorted({part for v in values if v is not None and v == v for part in str(v).split(",") if part})
    return ",".join(found) if found else None


def path_satellite(points: pd.DataFrame, starts: pd.DataFrame, grid: pd.DataFrame, age_from: int, age_to: int,
                   grid_deg: float) -> pd.DataFrame:
    """points: traj_id, age_h, lat, lon, timestamp (and source, optional); starts: traj_id,
    start_time; grid: product, date, lat, lon, value_mean, available_at (and source, optional).
    One row per trajectory with path statistics and the sources used."""
    p = points[(points["age_h"] >= age_from) & (points["age_h"] <= age_to)].merge(starts, on="traj_id")
    if "source" not in p:
        p = p.assign(source=None)
    # cells have edges on multiples of grid_deg (the S5P grid silver stores their centres): a point and a
    # grid row meet on the integer cell index floor(x / grid_deg), never on rounded floats
    p = p.assign(glat=np.floor(p["lat"] / grid_deg).astype("int64"), glon=np.floor(p["lon"] / grid_deg).astype("int64"),
                 date=pd.to_datetime(p["timestamp"], utc=True).dt.date)
    g = grid.assign(glat=np.floor(grid["lat"] / grid_deg).astype("int64"),
                    glon=np.floor(grid["lon"] / grid_deg).astype("int64"))
    if "source" not in g:
        g = g.assign(source=None)

    def sample(product: str) -> tuple[pd.Series, pd.Series]:
        rows = g[g["product"] == product][["date", "glat", "glon", "value_mean", "available_at", "source"]]
        m = p.drop(columns="source").merge(rows, on=["date", "glat", "glon"], how="left")
        ok = m["available_at"].notna() & (pd.to_datetime(m["available_at"], utc=True)
                                          <= pd.to_datetime(m["start_time"], utc=True))
        return m["value_mean"].where(ok), m["source"].where(ok & m["value_mean"].notna())

    no2, no2_src = sample("NO2")
    aer, aer_src = sample("AER_AI")
    p = p.assign(no2=no2.to_numpy(), aer=aer.to_numpy(), no2_src=no2_src.to_numpy(), aer_src=aer_src.to_numpy())
    agg = p.groupby("traj_id").agg(path_no2_mean=("no2", "mean"), path_no2_max=("no2", "max"),
                                   path_no2_std=("no2", lambda s: float(np.std(s.dropna())) if s.notna().any()
                                                 else np.nan),
                                   path_aer_mean=("aer", "mean"), n_samples=("no2", "count")).reset_index()
    sources = {tid: join_sources([*d["source"], *d["no2_src"], *d["aer_src"]]) for tid, d in p.groupby("traj_id")}
    ratio = agg["path_no2_mean"] / agg["path_aer_mean"].where(agg["path_aer_mean"] != 0)
    return agg.assign(path_no2_aer_ratio=ratio, n_samples=agg["n_samples"].astype(int),
                      source=[sources[tid] for tid in agg["traj_id"]])


# ---- hourly features ------------------------------------------------------------------------

def hourly_features(trajs: pd.DataFrame, hours: Sequence[dt.datetime]) -> pd.DataFrame:
    """trajs: traj_id, start_time, cluster_id, source_lat, source_lon, path_no2_mean, path_aer_mean
    (backward trajectories; optional source and path_source). One row per hour that has a run start
    in (H − 12 h, H]; source = the sources of the trajectories and path samples used."""
    cols = ["hour", "dominant_cluster", "n_traj", "source_lat", "source_lon", "path_no2_mean", "path_aer_mean",
            "path_no2_aer_ratio", "source"]
    if trajs.empty:
        return pd.DataFrame(columns=cols)
    starts = pd.to_datetime(trajs["start_time"], utc=True)
    by_start = {s: g for s, g in trajs.assign(_s=starts).groupby("_s")}
    ordered = sorted(by_start)
    rows = []
    for hour in hours:
        h = pd.Timestamp(hour).tz_convert("UTC") if pd.Timestamp(hour).tzinfo else pd.Timestamp(hour, tz="UTC")
        at = bisect.bisect_right(ordered, h)  # the latest start at or before H
        if at == 0 or ordered[at - 1] <= h - pd.Timedelta(hours=HOURLY_LOOKBACK_H):
            continue
        g = by_start[ordered[at - 1]]
        counts = g["cluster_id"].dropna().astype(int).value_counts()
        dominant = int(min(counts[counts == counts.max()].index)) if len(counts) else None
        no2, aer = g["path_no2_mean"].mean(), g["path_aer_mean"].mean()
        srcs = [*g.get("source", []), *g.get("path_source", [])]
        rows.append({"hour": h.to_pydatetime(), "dominant_cluster": dominant, "n_traj": len(g),
                     "source": join_sources(srcs),
                     "source_lat": g["source_lat"].mean(), "source_lon": g["source_lon"].mean(),
                     "path_no2_mean": no2, "path_aer_mean": aer,
                     "path_no2_aer_ratio": no2 / aer if pd.notna(no2) and pd.notna(aer) and aer != 0 else None})
    return pd.DataFrame(rows, columns=cols)
