"""The model matrix: the 82 features (FEATURE_NAMES) as float64 columns, built one way for training
and serving.

Training (a training-dataset scan) and inference (one serving row) both call
:func:`feature_matrix`, so a model never sees a feature encoded differently online than offline
(a lesson of the previous system, CONTRACTS.md §9). The encoding is the one
``ais.features.columns.PREPROCESSING`` describes and ``schema_hash()`` covers:

- columns in ``FEATURE_NAMES`` order;
- booleans become 1.0 / 0.0;
- ``season`` becomes the index of its name in ``SEASONS`` (a category code); an unknown name or a
  missing value becomes NaN;
- integers become floats;
- a missing value (None, NaN, pandas NA) is NaN, never 0.

Pure: no reads, no writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ais.errors import FeatureMatrixError
from ais.features.columns import FEATURE_NAMES, FEATURES, SEASONS

SEASON_CODES: dict[str, float] = {name: float(index) for index, name in enumerate(SEASONS)}
# Category codes, not quantities: the season index and the trajectory cluster id (LightGBM splits
# them as categories; a cluster id of 3 is not "more" than 2).
CATEGORICAL_FEATURES: tuple[str, ...] = ("season", "dominant_cluster")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _boolean(name: str, value: Any) -> float:
    if _is_missing(value):
        return math.nan
    if isinstance(value, bool | np.bool_):
        return 1.0 if value else 0.0
    if isinstance(value, int | np.integer) and value in (0, 1):
        return float(value)
    raise FeatureMatrixError(f"feature {name!r} must be a boolean, got {value!r}")


def _season(value: Any) -> float:
    if _is_missing(value):
        return math.nan
    return SEASON_CODES.get(value, math.nan) if isinstance(value, str) else math.nan


def _numeric(name: str, column: pd.Series) -> pd.Series:
    if column.dtype == object:
        bad = [v for v in column if not _is_missing(v)
               and (isinstance(v, bool | str) or not isinstance(v, int | float | np.number))]
        if bad:
            raise FeatureMatrixError(f"feature {name!r} must be numeric, got {bad[0]!r}")
    elif pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        raise FeatureMatrixError(f"feature {name!r} must be numeric, got dtype {column.dtype}")
    return pd.to_numeric(column, errors="raise").astype("float64")


def _as_frame(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        rows = list(data)
        missing_in_rows = sorted({n for row in rows for n in FEATURE_NAMES if n not in row})
        if missing_in_rows:
            raise FeatureMatrixError(f"rows lack feature columns {missing_in_rows}")
        # dtype=object keeps None and booleans as they are; each column is converted below.
        frame = pd.DataFrame.from_records([{n: row[n] for n in FEATURE_NAMES} for row in rows],
                                          columns=list(FEATURE_NAMES)).astype(object)
    missing = [n for n in FEATURE_NAMES if n not in frame.columns]
    if missing:
        raise FeatureMatrixError(f"input lacks feature columns {missing}")
    return frame


def feature_matrix(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The float64 model matrix (columns ``FEATURE_NAMES``, index of the input) for a DataFrame or
    for rows (mappings) that carry every feature column. Extra columns are ignored."""
    frame = _as_frame(data)
    columns: dict[str, pd.Series] = {}
    for name, type_ in FEATURES:
        column = frame[name]
        if type_ == "boolean":
            columns[name] = pd.Series([_boolean(name, v) for v in column], index=frame.index,
                                      dtype="float64")
        elif type_ == "string":
            columns[name] = pd.Series([_season(v) for v in column], index=frame.index, dtype="float64")
        else:
            columns[name] = _numeric(name, column)
    return pd.DataFrame(columns, index=frame.index, columns=list(FEATURE_NAMES))


def feature_array(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> np.ndarray:
    """:func:`feature_matrix` as a contiguous float64 array (what the boosters consume)."""
    return np.ascontiguousarray(feature_matrix(data).to_numpy(dtype=np.float64))


def categorical_indices() -> list[int]:
    """Positions of the category-coded features in the matrix."""
    return [FEATURE_NAMES.index(n) for n in CATEGORICAL_FEATURES]
