"""The model matrix is built one way for training (Arrow -> pandas) and serving (row dicts)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from ais.features.columns import EXTRA_FEATURE_NAMES, FEATURE_NAMES, SEASONS
from ais.iceberg_io import to_arrow
from ais.ml.features import FeatureMatrixError, categorical_indices, feature_array, feature_matrix
from ais.ml.predict import with_extra_features
from ais.tables import SERVING_EXTRA_GOLD, SERVING_GOLD


def _row(**values: object) -> dict[str, object]:
    row: dict[str, object] = {name: None for name in FEATURE_NAMES}
    row.update(values)
    return row


FULL = _row(pm25_mean=42.5, pm25_median=41.0, station_count=6, low_pbl=True, is_weekend=False,
            is_rush_hour=True, season="winter", hour_of_day=8, day_of_week=0, month=1,
            condition_code=1003, pm25_lag_1h=40.0)


def test_columns_are_the_82_features_in_order_and_all_float64() -> None:
    matrix = feature_matrix([FULL])
    assert list(matrix.columns) == list(FEATURE_NAMES)
    assert len(matrix.columns) == 67 + 15  # CONTRACTS.md §3, then the weather-forecast features
    assert set(matrix.dtypes) == {np.dtype("float64")}


def test_values_are_encoded_as_documented() -> None:
    got = feature_matrix([FULL]).iloc[0]
    assert got["pm25_mean"] == 42.5
    assert got["station_count"] == 6.0
    assert got["condition_code"] == 1003.0
    assert got["low_pbl"] == 1.0
    assert got["is_weekend"] == 0.0
    assert got["is_rush_hour"] == 1.0
    assert got["season"] == float(SEASONS.index("winter"))
    assert got["day_of_week"] == 0.0


def test_missing_values_are_nan_never_zero() -> None:
    got = feature_matrix([_row()]).iloc[0]
    assert all(math.isnan(v) for v in got.to_numpy())


@pytest.mark.parametrize(("season", "code"), [(name, float(i)) for i, name in enumerate(SEASONS)])
def test_season_code_is_the_index_in_seasons(season: str, code: float) -> None:
    assert feature_matrix([_row(season=season)]).iloc[0]["season"] == code


@pytest.mark.parametrize("season", ["monsoon", "Winter", "", None])
def test_unknown_or_missing_season_is_nan(season: str | None) -> None:
    assert math.isnan(feature_matrix([_row(season=season)]).iloc[0]["season"])


def test_training_and_serving_paths_give_identical_matrices() -> None:
    # Training reads an Arrow scan and converts it to pandas (booleans with nulls become object,
    # ints with nulls become float); serving passes row dicts. Both must give the same numbers.
    # Serving rows come from two tables (the contract's 67 features and the extra ones beside them).
    rows = [dict(FULL, wxf_temp_c_6h=28.5), _row(pm25_mean=10.0, low_pbl=None, station_count=None, season=None),
            _row(low_pbl=False, season="autumn", is_weekend=True)]
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stored = [dict(r, base_hour=base + dt.timedelta(hours=i), location_id="hanoi", feature_version="v")
              for i, r in enumerate(rows)]
    contract, extra = ([to_arrow(spec, [{k: v for k, v in r.items() if k in spec.column_names} for r in stored])
                        for spec in (SERVING_GOLD, SERVING_EXTRA_GOLD)])
    training = feature_matrix(pd.concat([contract.to_pandas(), extra.to_pandas()[list(EXTRA_FEATURE_NAMES)]],
                                        axis=1))
    serving = feature_matrix([with_extra_features(c, e) for c, e in zip(contract.to_pylist(), extra.to_pylist(),
                                                                         strict=True)])
    pd.testing.assert_frame_equal(training, serving)
    assert training.iloc[0]["wxf_temp_c_6h"] == 28.5
    assert math.isnan(training.iloc[1]["wxf_temp_c_6h"])
    # a serving row without its companion row: the extra features are missing, the others kept
    alone = feature_matrix([with_extra_features(contract.to_pylist()[0], None)])
    assert math.isnan(alone.iloc[0]["wxf_temp_c_6h"]) and alone.iloc[0]["pm25_mean"] == 42.5
    assert training.iloc[1]["low_pbl"] != training.iloc[1]["low_pbl"]  # NaN
    assert training.iloc[2]["low_pbl"] == 0.0
    assert training.iloc[2]["season"] == float(SEASONS.index("autumn"))


def test_extra_columns_are_ignored_and_index_is_kept() -> None:
    frame = pd.DataFrame([dict(FULL, target=1.0, split="train")], index=[17])
    matrix = feature_matrix(frame)
    assert list(matrix.index) == [17]
    assert "target" not in matrix.columns


def test_missing_feature_column_is_an_error_naming_it() -> None:
    row = dict(FULL)
    del row["pm25_lag_24h"]
    with pytest.raises(FeatureMatrixError, match="pm25_lag_24h"):
        feature_matrix([row])
    with pytest.raises(FeatureMatrixError, match="pm25_lag_24h"):
        feature_matrix(pd.DataFrame([row]))


@pytest.mark.parametrize(("name", "value"), [("pm25_mean", "high"), ("station_count", "6"),
                                              ("low_pbl", "yes"), ("low_pbl", 2), ("pm25_mean", True)])
def test_wrongly_typed_values_are_rejected(name: str, value: object) -> None:
    with pytest.raises(FeatureMatrixError, match=name):
        feature_matrix([_row(**{name: value})])


def test_feature_array_is_contiguous_float64() -> None:
    array = feature_array([FULL, _row()])
    assert array.shape == (2, 82)
    assert array.dtype == np.float64
    assert array.flags["C_CONTIGUOUS"]
    assert array[0, FEATURE_NAMES.index("pm25_mean")] == 42.5
    assert np.isnan(array[1]).all()


def test_season_and_the_cluster_id_are_the_categorical_features() -> None:
    assert categorical_indices() == [FEATURE_NAMES.index("season"), FEATURE_NAMES.index("dominant_cluster")]
