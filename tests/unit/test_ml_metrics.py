"""Forecast metrics on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from ais.ml import metrics
from ais.ml.metrics import mae, mape, regression_metrics, rmse, skill_vs_persistence


def test_mae_rmse_mape_hand_computed() -> None:
    actual, predicted = [10.0, 20.0, 40.0], [12.0, 17.0, 40.0]
    assert mae(actual, predicted) == pytest.approx(5.0 / 3.0)
    assert rmse(actual, predicted) == pytest.approx(math.sqrt(13.0 / 3.0))
    assert mape(actual, predicted) == pytest.approx((0.2 + 0.15 + 0.0) / 3.0 * 100.0)


def test_mape_skips_zero_actuals_and_is_none_without_positive_rows() -> None:
    assert mape([0.0, 10.0], [5.0, 11.0]) == pytest.approx(10.0)
    assert mape([0.0, 0.0], [1.0, 2.0]) is None


def test_regression_metrics_reports_rows() -> None:
    assert regression_metrics([1.0, 3.0], [2.0, 3.0]) == {
        "mae": 0.5, "rmse": pytest.approx(math.sqrt(0.5)), "mape": pytest.approx(50.0), "rows": 2}


def test_skill_against_persistence() -> None:
    actual = [10.0, 20.0, 30.0]
    model = [11.0, 19.0, 31.0]  # RMSE 1
    persistence = [12.0, 18.0, 32.0]  # RMSE 2
    rmse_p, skill = skill_vs_persistence(actual, model, persistence)
    assert rmse_p == pytest.approx(2.0)
    assert skill == pytest.approx(0.5)


def test_skill_uses_only_rows_where_persistence_is_known() -> None:
    # The third row has no base-hour value; a bad model error there must not count.
    rmse_p, skill = skill_vs_persistence([10.0, 20.0, 30.0], [11.0, 19.0, 99.0], [12.0, 18.0, math.nan])
    assert rmse_p == pytest.approx(2.0)
    assert skill == pytest.approx(0.5)


def test_skill_without_persistence_or_with_perfect_persistence() -> None:
    assert skill_vs_persistence([1.0], [1.0], [math.nan]) == (None, None)
    assert skill_vs_persistence([1.0, 2.0], [1.5, 2.0], [1.0, 2.0]) == (0.0, None)


@pytest.mark.parametrize(("actual", "predicted"), [([], []), ([1.0], [1.0, 2.0]), ([math.nan], [1.0])])
def test_bad_inputs_are_rejected(actual: list[float], predicted: list[float]) -> None:
    with pytest.raises(ValueError):
        rmse(actual, predicted)


def test_r2_against_hand_computed_values() -> None:
    actual = [10.0, 20.0, 30.0, 40.0]
    assert metrics.r2(actual, actual) == 1.0
    assert metrics.r2(actual, [25.0] * 4) == 0.0  # the mean forecast
    # SSE = 4 * 25 = 100, SST = 500
    assert metrics.r2(actual, [15.0, 25.0, 35.0, 45.0]) == pytest.approx(0.8)
    assert metrics.r2([5.0, 5.0], [4.0, 6.0]) is None


def test_vn_aqi_accuracy_counts_same_classes() -> None:
    # classes: 25 good | 25.1 moderate ; 80 unhealthy_for_sensitive | 81 unhealthy ; 300 vs 600 hazardous
    assert metrics.vn_aqi_accuracy([25.0, 80.0, 300.0, 10.0], [25.1, 81.0, 600.0, -3.0]) == 0.5


def test_forecast_scores_of_one_forecast() -> None:
    actual, forecast, persistence = [10.0, 20.0, 30.0, 40.0], [12.0, 18.0, 33.0, 37.0], [0.0, 10.0, 20.0, 30.0]
    scores = metrics.forecast_scores(actual, forecast, persistence)
    rmse = (4 + 4 + 9 + 9) ** 0.5 / 2
    assert scores == pytest.approx({"rows": 4, "rmse": rmse, "mae": 2.5, "r2": 1 - 26 / 500,
                                    "skill_vs_persistence": 1 - rmse / 10.0, "vn_aqi_accuracy": 1.0})
    assert metrics.forecast_scores(actual, persistence, persistence)["skill_vs_persistence"] == 0.0
