"""The backtest report (ais.ml.report): every file written, the PNGs are images, the summary and the
season errors carry the figures of the rows given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ais.ml import report

HORIZONS = (6, 12, 24)


def _rows(horizon: int) -> pd.DataFrame:
    hours = pd.date_range("2019-01-01", "2019-03-31 23:00", freq="h", tz="UTC")
    rng = np.random.default_rng(horizon)
    actual = 80.0 + 30.0 * np.sin(np.arange(len(hours)) / 24.0)
    forecast = actual + rng.normal(0.0, 5.0, len(hours))
    season = np.where(hours.month <= 2, "winter", "spring")
    return pd.DataFrame({"hour": hours, "season": season, "actual": actual, "persistence": actual + 10.0,
                         "seasonal_naive": actual - 10.0, "forecast": forecast, "p10": forecast - 6.4,
                         "p90": forecast + 6.4})


def _result(rows: dict[int, pd.DataFrame]) -> dict[str, Any]:
    horizons = {}
    for h, r in rows.items():
        inside = float(((r["actual"] >= r["p10"]) & (r["actual"] <= r["p90"])).mean())
        horizons[str(h)] = {
            "model": {"rows": len(r), "rmse": 5.0, "skill_vs_persistence": 0.5, "coverage_80": inside,
                      "mean_width_80": 12.8},
            "persistence": {"rmse": 10.0}, "seasonal_naive": {"rmse": 10.0},
            "tuning": {"chosen": {"transform": "change", "param_overrides": {"num_leaves": 15}, "profile": True}}}
    return {"cutoff": "2019-01-01T00:00:00+00:00", "test_start": "2019-01-01T00:00:00+00:00",
            "test_end_exclusive": "2019-04-01T00:00:00+00:00", "model_type": "lightgbm", "horizons": horizons}


def test_the_report_writes_json_plots_and_summary(tmp_path: Path) -> None:
    rows = {h: _rows(h) for h in HORIZONS}
    result = _result(rows)
    written = report.write_report(result, rows, tmp_path / "out")
    assert [p.name for p in written] == list(report.FILES)
    assert json.loads((tmp_path / "out" / "backtest.json").read_text()) == result
    for path in written:
        if path.suffix == ".png":
            data = path.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, path.name
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| 6 h | 2160 | 5.00 | 10.00 | 50.0 % |" in summary
    assert "change | True | {\"num_leaves\": 15}" in summary


def test_season_errors_and_the_busiest_month() -> None:
    rows = {h: _rows(h) for h in HORIZONS}
    errors = report.season_errors(rows)
    assert sorted(errors[6]) == ["spring", "winter"]
    assert errors[6]["winter"]["persistence"] == pytest.approx(10.0)
    assert errors[6]["winter"]["rows"] == 59 * 24
    # by target hour: January loses its first h hours (no December base hour), March gets February's
    # last h hours and gives h to April, so March holds 31 full days
    assert str(report.busiest_month(rows)) == "2019-03"


def test_reliability_bins_cover_every_row() -> None:
    r = _rows(6)
    bins = report.reliability(r)
    assert len(bins) == report.QUANTILES and sum(b["rows"] for b in bins) == len(r)
    assert [b["forecast_mean"] for b in bins] == sorted(b["forecast_mean"] for b in bins)


def test_the_summary_puts_the_perfect_prognosis_upper_bound_beside_the_headline() -> None:
    result = _result({h: _rows(h) for h in HORIZONS})
    assert "Upper bound" not in report.summary_markdown(result)
    result["perfect_prognosis"] = {
        "label": "upper bound: observed weather used as the forecast",
        "horizons": {str(h): {"model": {"rows": 2000 + h, "rmse": 4.0, "skill_vs_persistence": 0.6,
                                        "coverage_80": 0.79}} for h in HORIZONS}}
    summary = report.summary_markdown(result)
    assert "upper bound: observed weather used as the forecast" in summary
    assert "| 12 h | 2012 | 4.00 | 50.0 % | 60.0 % | 79.0 % |" in summary
    assert summary.index("| 6 h | 2160 |") < summary.index("Upper bound")  # the headline comes first
