"""Python reference computations for the C gridded decoders (MAIAC HDF4 with pyhdf + numpy,
Sentinel-5P netCDF with netCDF4 + numpy): the same statistics as ais/maiac.h and ais/s5p.h,
written independently, for the cross-check tests and the decode benchmark."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

SPHERE_M = 6371007.181


def _stats(values: np.ndarray) -> dict[str, Any]:
    values = values.astype(np.float64)  # float32 products: accumulate in double, as the C side does
    if values.size == 0:
        return {"n": 0, "mean": None, "min": None, "max": None, "std": None}
    return {"n": int(values.size), "mean": float(values.mean()), "min": float(values.min()),
            "max": float(values.max()), "std": float(values.std())}


def maiac_granule(path: str, west: float, east: float, south: float, north: float) -> dict[str, Any]:
    """AOD 0.47/0.55 statistics of the best-quality pixel-orbits whose sinusoidal pixel centre is in the box."""
    from pyhdf.SD import SD, SDC

    sd = SD(path, SDC.READ)
    meta = sd.attributes()["StructMetadata.0"]
    ulx, uly = (float(v) for v in re.search(r"UpperLeftPointMtrs=\(([^,]+),([^)]+)\)", meta).groups())  # type: ignore[union-attr]
    lrx, lry = (float(v) for v in re.search(r"LowerRightMtrs=\(([^,]+),([^)]+)\)", meta).groups())  # type: ignore[union-attr]
    nx = int(re.search(r"XDim=(\d+)", meta).group(1))  # type: ignore[union-attr]
    ny = int(re.search(r"YDim=(\d+)", meta).group(1))  # type: ignore[union-attr]
    w, h = (lrx - ulx) / nx, (uly - lry) / ny
    y = uly - (np.arange(ny) + 0.5) * h
    x = ulx + (np.arange(nx) + 0.5) * w
    lat = np.degrees(y / SPHERE_M)[:, None]
    lon = np.degrees(x[None, :] / (SPHERE_M * np.cos(np.radians(lat))))
    inside = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
    qa = sd.select("AOD_QA").get()
    best = (qa != 0) & (((qa >> 8) & 0xF) == 0) & inside[None, :, :]
    out: dict[str, Any] = {"box_pixels": int(inside.sum()), "orbits": int(qa.shape[0])}
    for band in ("047", "055"):
        sds = sd.select(f"Optical_Depth_{band}")
        attrs = sds.attributes()
        raw = sds.get()
        lo, hi = attrs["valid_range"]
        ok = best & (raw != attrs["_FillValue"]) & (raw >= lo) & (raw <= hi)
        out[band] = _stats((raw[ok].astype(np.float64) - attrs["add_offset"]) * attrs["scale_factor"])
    out["total"] = out["box_pixels"] * out["orbits"]
    sd.end()
    return out


S5P_VARIABLES = {"NO2": "nitrogendioxide_tropospheric_column", "CO": "carbonmonoxide_total_column",
                 "SO2": "sulfurdioxide_total_vertical_column", "O3": "ozone_total_vertical_column",
                 "AER_AI": "aerosol_index_354_388"}


def s5p_product(path: str, product: str, qa_min: float, box: tuple[float, float, float, float],
                grid_area: tuple[float, float, float, float], grid_deg: float) -> dict[str, Any]:
    """Box statistics of the pixels with qa_value >= qa_min, and grid-cell means (edges on multiples of grid_deg)."""
    import netCDF4

    west, east, south, north = box
    with netCDF4.Dataset(path) as ds:
        grp = ds.groups["PRODUCT"]
        lat = grp.variables["latitude"][0].filled(np.nan)
        lon = grp.variables["longitude"][0].filled(np.nan)
        qa = grp.variables["qa_value"][0].filled(0)
        val = grp.variables[S5P_VARIABLES[product]][0].filled(np.nan)
    inside = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
    good = (qa >= qa_min - 1e-6) & np.isfinite(val)
    out: dict[str, Any] = {"total": int(inside.sum()), "stats": _stats(val[inside & good])}
    gw, ge, gs, gn = grid_area
    in_grid = (lat >= gs) & (lat <= gn) & (lon >= gw) & (lon <= ge) & good
    i = np.floor(lat[in_grid] / grid_deg).astype(np.int64)
    j = np.floor(lon[in_grid] / grid_deg).astype(np.int64)
    keys, inverse, counts = np.unique(i * 1_000_000 + j, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=val[in_grid].astype(np.float64))
    out["grid_pixels"] = int(in_grid.sum())
    out["cells"] = {(round((k // 1_000_000 + 0.5) * grid_deg, 6), round((k % 1_000_000 + 0.5) * grid_deg, 6)):
                    (float(s) / int(c), int(c)) for k, s, c in zip(keys, sums, counts, strict=True)}
    return out
