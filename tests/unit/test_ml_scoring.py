"""The forecast archive and its scoring (ais.ml.scoring): rows per lead time, errors against silver
PM2.5, late observations, idempotent reruns, and the skill windows, on a real SQLite catalog."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import CONFIG_PATH, isolated_env

from ais import tables
from ais.catalog import ensure_tables, load_catalog
from ais.config import ConfigError, load_settings
from ais.iceberg_io import merge_rows, read_rows
from ais.ml import metrics
from ais.ml.scoring import archive_rows, run_scoring, skill_rows

UTC = dt.UTC
BASE = dt.datetime(2026, 10, 1, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 12, 1, tzinfo=UTC)


def _prediction(base: dt.datetime, now: float, f6: float, f12: float, f24: float, status: str = "production",
                version: str = "m1") -> dict[str, Any]:
    return {"prediction_id": f"p-{base:%d%H}-{version}", "base_hour": base, "location_id": "hanoi",
            "location_name": "Hanoi", "pm25_now": now, "pm25_6h": f6, "risk_6h": "low", "pm25_12h": f12,
            "risk_12h": "medium", "pm25_24h": f24, "risk_24h": "high", "model_version": version,
            "model_version_6h": f"{version}-6", "model_version_12h": f"{version}-12",
            "model_version_24h": f"{version}-24", "model_status": status, "feature_version": "fv1",
            "feature_schema_hash": "h", "inference_run_id": "i", "created_at": base + dt.timedelta(minutes=20),
            "year": base.year, "month_partition": base.month}


def test_archive_rows_score_what_is_observed_and_leave_the_rest_open() -> None:
    observed = {BASE + dt.timedelta(hours=6): {"pm25_median": 40.0, "station_count": 5, "source": "openaq"},
                BASE + dt.timedelta(hours=12): {"pm25_median": None, "station_count": 0, "source": "openaq"}}
    rows = {r["horizon_hour"]: r for r in archive_rows([_prediction(BASE, 30.0, 45.0, 55.0, 90.0)], observed,
                                                       "run", NOW)}
    assert sorted(rows) == [6, 12, 24]
    six = rows[6]
    assert (six["target_hour"], six["pm25_forecast"], six["pm25_observed"]) == (
        dt.datetime(2026, 10, 1, 6, tzinfo=UTC), 45.0, 40.0)
    assert (six["error"], six["abs_error"], six["persistence_error"]) == (5.0, 5.0, -10.0)
    # 45 and 40 µg/m³ are both "moderate" (25 < x <= 50)
    assert (six["vn_aqi_category_forecast"], six["vn_aqi_category_observed"], six["category_hit"]) == (
        "moderate", "moderate", True)
    assert (six["observed_station_count"], six["observation_source"], six["horizon_model_version"]) == (
        5, "openaq", "m1-6")
    # a null median and an absent hour are not scored yet
    for h in (12, 24):
        assert rows[h]["pm25_observed"] is None and rows[h]["error"] is None and rows[h]["category_hit"] is None
    assert rows[24]["vn_aqi_category_forecast"] == "unhealthy" and rows[24]["risk"] == "high"
    # no interval given: null bounds
    assert (six["pm25_p10"], six["pm25_p90"], six["inside_interval"]) == (None, None, None)


def test_archive_rows_carry_the_forecasts_interval_and_whether_the_observation_fell_inside() -> None:
    prediction = _prediction(BASE, 30.0, 45.0, 55.0, 90.0)
    interval = {"base_hour": BASE, "location_id": "hanoi", "model_version": "m1", "feature_version": "fv1",
                "pm25_p10_6h": 35.0, "pm25_p90_6h": 50.0, "pm25_p10_12h": 41.0, "pm25_p90_12h": 70.0,
                "pm25_p10_24h": None, "pm25_p90_24h": None}
    other = {**interval, "model_version": "m2", "pm25_p10_6h": 0.0, "pm25_p90_6h": 1.0}  # another model's
    observed = {BASE + dt.timedelta(hours=h): {"pm25_median": v, "station_count": 5, "source": "openaq"}
                for h, v in ((6, 40.0), (12, 40.0), (24, 80.0))}
    intervals = {(BASE, "hanoi", "m1", "fv1"): interval, (BASE, "hanoi", "m2", "fv1"): other}
    rows = {r["horizon_hour"]: r for r in archive_rows([prediction], observed, "run", NOW, intervals)}
    assert (rows[6]["pm25_p10"], rows[6]["pm25_p90"], rows[6]["inside_interval"]) == (35.0, 50.0, True)
    assert (rows[12]["pm25_p10"], rows[12]["pm25_p90"], rows[12]["inside_interval"]) == (41.0, 70.0, False)
    assert (rows[24]["pm25_p10"], rows[24]["pm25_p90"], rows[24]["inside_interval"]) == (None, None, None)


def test_skill_rows_match_the_backtest_metrics_over_the_window() -> None:
    preds = [_prediction(BASE + dt.timedelta(hours=i), 20.0 + i, 30.0 + 2 * i, 30.0, 30.0) for i in range(48)]
    preds.append(_prediction(BASE, 10.0, 500.0, 500.0, 500.0, status="staging", version="m2"))  # not counted
    observed = {BASE + dt.timedelta(hours=i): {"pm25_median": 25.0 + i, "station_count": 4, "source": "openaq"}
                for i in range(0, 60)}
    # 6 h intervals of ±5 µg/m³ around each production forecast, none at 12 and 24 h
    intervals = {(BASE + dt.timedelta(hours=i), "hanoi", "m1", "fv1"): {
        "pm25_p10_6h": 30.0 + 2 * i - 5, "pm25_p90_6h": 30.0 + 2 * i + 5} for i in range(48)}
    archive = archive_rows(preds, observed, "run", NOW, intervals)
    as_of = BASE + dt.timedelta(hours=53)  # the last 6 h target hour observed
    rows = {(r["horizon_hour"], r["window_days"]): r for r in skill_rows(archive, as_of, (1, 7), "run", NOW)}
    assert sorted(rows) == [(h, d) for h in (6, 12, 24) for d in (1, 7)]
    # 6 h, 7 days: every production forecast, target hours 06:00 .. 53:00
    y = [25.0 + i + 6 for i in range(48)]
    p = [30.0 + 2 * i for i in range(48)]
    base = [20.0 + i for i in range(48)]
    r = rows[(6, 7)]
    assert (r["forecasts"], r["scored"]) == (48, 48)
    assert r["mae"] == pytest.approx(metrics.mae(y, p)) and r["rmse"] == pytest.approx(metrics.rmse(y, p))
    assert r["bias"] == pytest.approx(sum(b - a for a, b in zip(y, p, strict=True)) / 48)
    rmse_p, skill = metrics.skill_vs_persistence(y, p, base)
    assert r["rmse_persistence"] == pytest.approx(rmse_p) and r["skill_vs_persistence"] == pytest.approx(skill)
    assert r["vn_aqi_hit_rate"] == pytest.approx(metrics.vn_aqi_accuracy(y, p))
    # |forecast - observed| = |i - 1| <= 5 for i = 0..6: 7 of the 48 inside their interval
    assert (r["interval_scored"], r["coverage_80"]) == (48, pytest.approx(7 / 48))
    assert (rows[(12, 7)]["interval_scored"], rows[(12, 7)]["coverage_80"]) == (0, None)
    # 1 day: target hours in (as_of - 24 h, as_of]: the last 24 forecasts
    assert (rows[(6, 1)]["forecasts"], rows[(6, 1)]["scored"]) == (24, 24)
    assert rows[(6, 1)]["mae"] == pytest.approx(metrics.mae(y[-24:], p[-24:]))
    # 24 h: targets 24:00 .. 71:00 of which 24:00 .. 53:00 are up to as_of, and observed up to 59:00
    assert (rows[(24, 7)]["forecasts"], rows[(24, 7)]["scored"]) == (30, 30)


def test_a_window_without_observations_has_counts_only() -> None:
    archive = archive_rows([_prediction(BASE, 30.0, 45.0, 55.0, 90.0)], {}, "run", NOW)
    (row,) = [r for r in skill_rows(archive, BASE + dt.timedelta(hours=30), (7,), "run", NOW) if r["horizon_hour"] == 6]
    assert (row["forecasts"], row["scored"], row["mae"], row["skill_vs_persistence"]) == (1, 0, None, None)


@pytest.fixture()
def store(tmp_path: Path) -> tuple[Any, Any]:
    settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    catalog = load_catalog(settings)
    # the city silver unpartitioned: PyIceberg writes month partitions only with pyiceberg-core,
    # which the project does not need; the job reads it by name and columns, not by layout
    ensure_tables(settings, catalog, [dataclasses.replace(tables.OPENAQ_CITY_HOURLY, partitions=())])
    ensure_tables(settings, catalog, [tables.PREDICTIONS, tables.FORECAST_INTERVALS, tables.FORECAST_ARCHIVE,
                                      tables.FORECAST_SKILL])
    return settings, catalog


def _observe(catalog: Any, hours: dict[int, float]) -> None:
    merge_rows(catalog, tables.OPENAQ_CITY_HOURLY, [
        {"hour": BASE + dt.timedelta(hours=h), "pm25_median": v, "station_count": 3, "source": "openaq",
         "updated_at": NOW} for h, v in hours.items()])


def test_scoring_job_archives_scores_late_observations_and_reruns_idempotently(store: tuple[Any, Any]) -> None:
    settings, catalog = store
    assert run_scoring(settings, "r0", catalog=catalog, now=NOW)["reason"] == "no prediction yet"
    merge_rows(catalog, tables.PREDICTIONS, [_prediction(BASE, 30.0, 45.0, 55.0, 90.0),
                                             _prediction(BASE + dt.timedelta(hours=1), 32.0, 47.0, 57.0, 92.0)])
    # the first forecast has its 80 % interval in the companion table, the second none
    merge_rows(catalog, tables.FORECAST_INTERVALS, [{
        "prediction_id": "p-0100-m1", "base_hour": BASE, "location_id": "hanoi", "model_version": "m1",
        "feature_version": "fv1", **{f"pm25_{q}_{h}h": v for h, lo, hi in ((6, 38.0, 52.0), (12, 40.0, 80.0),
                                                                          (24, 60.0, 120.0))
                                     for q, v in (("p10", lo), ("p90", hi))},
        "coverage": 0.8, "interval_method": "conformal", "inference_run_id": "i", "created_at": BASE,
        "year": BASE.year, "month_partition": BASE.month}])
    _observe(catalog, {6: 40.0})  # only 06:00 is in silver so far
    first = run_scoring(settings, "r1", catalog=catalog, now=NOW)
    # the default window: 30 days up to the newest forecast's last target hour (01:00 + 24 h)
    assert (first["window_start"], first["window_end"]) == ("2026-09-02T02:00:00Z", "2026-10-02T02:00:00Z")
    assert (first["predictions"], first["archive_rows"], first["scored"], first["archive_inserted"]) == (2, 6, 1, 6)
    archive = {(r["base_hour"].hour, r["horizon_hour"]): r
               for r in read_rows(catalog.load_table(tables.FORECAST_ARCHIVE.identifier))}
    assert len(archive) == 6 and archive[(0, 6)]["error"] == 5.0 and archive[(1, 6)]["pm25_observed"] is None
    assert (archive[(0, 6)]["pm25_p10"], archive[(0, 6)]["pm25_p90"], archive[(0, 6)]["inside_interval"]) == (
        38.0, 52.0, True)
    assert (archive[(0, 24)]["pm25_p10"], archive[(0, 24)]["inside_interval"]) == (60.0, None)  # not observed yet
    assert archive[(1, 6)]["pm25_p10"] is None and archive[(1, 6)]["inside_interval"] is None

    again = run_scoring(settings, "r2", catalog=catalog, now=NOW + dt.timedelta(hours=1))
    assert (again["archive_inserted"], again["archive_updated"], again["archive_unchanged"]) == (0, 0, 6)

    _observe(catalog, {7: 50.0, 12: 70.0})  # late hours arrive
    late = run_scoring(settings, "r3", catalog=catalog, now=NOW)
    assert (late["scored"], late["archive_inserted"], late["archive_updated"]) == (3, 0, 2)
    archive = {(r["base_hour"].hour, r["horizon_hour"]): r
               for r in read_rows(catalog.load_table(tables.FORECAST_ARCHIVE.identifier))}
    assert archive[(1, 6)]["error"] == pytest.approx(-3.0) and archive[(0, 12)]["error"] == pytest.approx(-15.0)
    assert archive[(1, 6)]["job_run_id"] == "r3" and archive[(0, 6)]["job_run_id"] == "r1"

    skill = {(r["horizon_hour"], r["window_days"]): r
             for r in read_rows(catalog.load_table(tables.FORECAST_SKILL.identifier))}
    assert sorted(skill) == [(h, d) for h in (6, 12, 24) for d in (7, 30)]
    six = skill[(6, 7)]
    assert (six["forecasts"], six["scored"]) == (2, 2)
    assert six["mae"] == pytest.approx(4.0) and six["bias"] == pytest.approx(1.0)
    assert six["rmse"] == pytest.approx(math.sqrt((25 + 9) / 2))
    assert six["as_of"] == dt.datetime(2026, 10, 2, 1, tzinfo=UTC)
    assert (skill[(24, 30)]["forecasts"], skill[(24, 30)]["scored"]) == (2, 0)

    # a forecast removed from the prediction table stays in the archive
    catalog.load_table(tables.PREDICTIONS.identifier).delete(delete_filter="location_id == 'hanoi'")
    run_scoring(settings, "r4", catalog=catalog, start_date="2026-10-01", end_date="2026-10-02", now=NOW)
    assert len(read_rows(catalog.load_table(tables.FORECAST_ARCHIVE.identifier))) == 6


def test_scoring_window_flags_are_checked(store: tuple[Any, Any]) -> None:
    settings, catalog = store
    with pytest.raises(ConfigError, match="both --start-date and --end-date"):
        run_scoring(settings, "r", start_date="2026-10-01", catalog=catalog)
    with pytest.raises(ConfigError, match="before --start-date"):
        run_scoring(settings, "r", start_date="2026-10-02", end_date="2026-10-01", catalog=catalog)
