"""The decode benchmark's two sides compute the same thing: C (ais-gridded-decode-bench) and the
Python reference (pyhdf / netCDF4 + numpy) on the real MAIAC granule and on an S5P file in the real
layout. bench.gridded_bench.run asserts that counts and means agree; here the figures themselves
are pinned, so a change in either side's masking shows up. Timings are not asserted (make bench)."""

from __future__ import annotations

import pytest
from bench import gridded_bench


def test_both_sides_find_the_same_pixels() -> None:
    if not gridded_bench.BIN.is_file():
        pytest.fail(f"{gridded_bench.BIN} is missing: make test builds it before the Python tests")
    out = gridded_bench.run(repeats=1)
    s5p = out["s5p_netcdf"]
    # the seeded S5P-layout file: pixels of the Hanoi box, QA >= 0.75 box statistics, grid cells
    assert s5p["box_pixels"] == 312
    assert s5p["grid_cells"] == 9600
    assert s5p["grid_pixels"] == 101850
    maiac = out["maiac_hdf4"]
    if "skipped" in maiac:
        pytest.skip(maiac["skipped"])
    # h29v07: 4 orbits of 1200 x 1200, of which 91,957 pixel-orbits are best quality and valid
    assert maiac["pixel_orbits"] == 4 * 1200 * 1200
    assert maiac["valid_pixel_orbits"] == 91957
    for side in ("c_seconds", "python_seconds", "c_first_seconds", "python_first_seconds"):
        assert maiac[side] > 0 and s5p[side] > 0
