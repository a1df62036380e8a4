"""Forecast archive and scoring: every forecast kept, and scored once its target hour is observed.

``forecast-scoring`` (``ais job forecast-scoring``; PyIceberg, no Spark: the rows are few) reads the
prediction table's rows whose target hours fall in the scoring window, and writes one archive row
per forecast and lead time (predictions.hanoi_pm25_forecast_archive_gold) with, when the target
hour's city PM2.5 is in silver (air_quality.openaq_hanoi_hourly_silver, pm25_median: what the
models are trained to predict), the observation, the error, the error of persistence (the
concentration at the base hour) and whether the VN_AQI category was right. Rows are merged on
their keys, so a rerun writes nothing and an observation that arrives late fills its rows on the
next run. The archive is never pruned: a forecast removed from the prediction table stays here.

It then writes the skill of the production forecasts by lead time over the rolling windows
(``scoring.windows_days``: 7 and 30) ending at ``as_of`` (the end of the scoring window) into
predictions.hanoi_pm25_forecast_skill_gold: forecasts and scored counts, MAE, RMSE, bias
(forecast − observed), RMSE of persistence and the skill over it (1 − RMSE/RMSE_persistence, as in
the backtest, ais.ml.metrics) and the VN_AQI category hit rate. A window with no scored forecast
has counts only.

The window: ``--start-date``/``--end-date`` (target hours from the start date up to the end of the
end date), else the ``scoring.lookback_days`` ending at the newest prediction's last target hour
(data-relative, so a replayed or simulated workspace is scored like a live one).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ais import tables
from ais.aqi import vn_aqi_category
from ais.jsonlog import get_logger
from ais.ml import metrics
from ais.timeutil import iso_z

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

    from ais.config import Settings

log = get_logger("ml.scoring")

HORIZONS: tuple[int, ...] = (6, 12, 24)
PRODUCTION = "production"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def interval_key(row: Mapping[str, Any]) -> tuple[dt.datetime, str, str, str]:
    """The key a prediction row and its interval row share."""
    return _utc(row["base_hour"]), str(row["location_id"]), str(row["model_version"]), str(row["feature_version"])


def archive_rows(predictions: Iterable[Mapping[str, Any]], observed: Mapping[dt.datetime, Mapping[str, Any]],
                 job_run_id: str, now: dt.datetime,
                 intervals: Mapping[tuple[dt.datetime, str, str, str], Mapping[str, Any]] | None = None,
                 ) -> list[dict[str, Any]]:
    """One archive row per prediction row and lead time. ``observed``: silver rows by UTC hour
    (pm25_median, station_count, source); an hour absent or with a null median is not scored yet.
    ``intervals``: the 80 % interval rows by :func:`interval_key` (a forecast without one keeps
    null bounds)."""
    rows = []
    for p in predictions:
        base = _utc(p["base_hour"])
        persistence = _finite(p.get("pm25_now"))
        interval = (intervals or {}).get(interval_key(p)) or {}
        for h in HORIZONS:
            target = base + dt.timedelta(hours=h)
            forecast = _finite(p.get(f"pm25_{h}h"))
            lo, hi = _finite(interval.get(f"pm25_p10_{h}h")), _finite(interval.get(f"pm25_p90_{h}h"))
            obs = observed.get(target) or {}
            value = _finite(obs.get("pm25_median"))
            forecast_category = vn_aqi_category(max(forecast, 0.0)) if forecast is not None else None
            observed_category = vn_aqi_category(max(value, 0.0)) if value is not None else None
            error = forecast - value if forecast is not None and value is not None else None
            rows.append({
                "base_hour": base, "horizon_hour": h, "location_id": p["location_id"],
                "model_version": p["model_version"], "feature_version": p["feature_version"],
                "target_hour": target, "prediction_id": p.get("prediction_id"),
                "horizon_model_version": p.get(f"model_version_{h}h"), "model_status": p.get("model_status"),
                "pm25_forecast": forecast, "risk": p.get(f"risk_{h}h"), "vn_aqi_category_forecast": forecast_category,
                "pm25_persistence": persistence, "pm25_p10": lo, "pm25_p90": hi,
                "inside_interval": (lo <= value <= hi if lo is not None and hi is not None and value is not None
                                    else None),
                "forecast_created_at": p.get("created_at"),
                "pm25_observed": value,
                "observed_station_count": obs.get("station_count") if value is not None else None,
                "observation_source": obs.get("source") if value is not None else None,
                "vn_aqi_category_observed": observed_category, "error": error,
                "abs_error": abs(error) if error is not None else None,
                "persistence_error": persistence - value if value is not None and persistence is not None else None,
                "category_hit": forecast_category == observed_category if error is not None else None,
                "updated_at": now, "job_run_id": job_run_id, "year": base.year, "month_partition": base.month,
            })
    return rows


def skill_rows(archive: Iterable[Mapping[str, Any]], as_of: dt.datetime, windows_days: Iterable[int],
               job_run_id: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Skill of the production forecasts per location, lead time and window (target hours in
    (as_of − window, as_of])."""
    production = [r for r in archive if r.get("model_status") == PRODUCTION]
    locations = sorted({r["location_id"] for r in production})
    out = []
    for location in locations:
        for h in HORIZONS:
            for days in windows_days:
                lo = as_of - dt.timedelta(days=days)
                rows = [r for r in production if r["location_id"] == location and r["horizon_hour"] == h
                        and lo < _utc(r["target_hour"]) <= as_of]
                scored = [r for r in rows if r["pm25_observed"] is not None and r["pm25_forecast"] is not None]
                row: dict[str, Any] = {
                    "location_id": location, "horizon_hour": h, "window_days": days, "as_of": as_of,
                    "forecasts": len(rows), "scored": len(scored), "mae": None, "rmse": None, "bias": None,
                    "rmse_persistence": None, "skill_vs_persistence": None, "vn_aqi_hit_rate": None,
                    "interval_scored": 0, "coverage_80": None, "updated_at": now, "job_run_id": job_run_id}
                if scored:
                    y = [r["pm25_observed"] for r in scored]
                    p = [r["pm25_forecast"] for r in scored]
                    base = [math.nan if r["pm25_persistence"] is None else r["pm25_persistence"] for r in scored]
                    rmse_p, skill = metrics.skill_vs_persistence(y, p, base)
                    row.update(mae=metrics.mae(y, p), rmse=metrics.rmse(y, p),
                               bias=sum(a - b for a, b in zip(p, y, strict=True)) / len(y),
                               rmse_persistence=rmse_p, skill_vs_persistence=skill,
                               vn_aqi_hit_rate=sum(1 for r in scored if r["category_hit"]) / len(scored))
                    # the live reliability of the 80 % intervals (the backtest's coverage_80)
                    bounded = [r for r in scored if r.get("inside_interval") is not None]
                    if bounded:
                        row.update(interval_scored=len(bounded),
                                   coverage_80=sum(1 for r in bounded if r["inside_interval"]) / len(bounded))
                out.append(row)
    return out


def _between(column: str, lo: dt.datetime, hi: dt.datetime) -> Any:
    """lo <= column < hi as a PyIceberg row filter."""
    from pyiceberg import expressions

    both: Any = expressions.And
    ge: Any = expressions.GreaterThanOrEqual
    lt: Any = expressions.LessThan
    return both(ge(column, lo.isoformat()), lt(column, hi.isoformat()))


def _newest_base_hour(catalog: Catalog) -> dt.datetime | None:
    from ais.iceberg_io import read_rows

    rows = read_rows(catalog.load_table(tables.PREDICTIONS.identifier), columns=("base_hour",))
    return max((_utc(r["base_hour"]) for r in rows), default=None)


def scoring_window(settings: Settings, catalog: Catalog, start_date: str | None, end_date: str | None,
                   ) -> tuple[dt.datetime, dt.datetime] | None:
    """[start, end) of the target hours to score, or None when there is no prediction at all."""
    from ais.config import ConfigError

    if (start_date is None) != (end_date is None):
        raise ConfigError("forecast-scoring: give both --start-date and --end-date, or neither")
    if start_date is not None and end_date is not None:
        start = dt.datetime.combine(dt.date.fromisoformat(start_date), dt.time(), dt.UTC)
        end = dt.datetime.combine(dt.date.fromisoformat(end_date), dt.time(), dt.UTC) + dt.timedelta(days=1)
        if end <= start:
            raise ConfigError(f"forecast-scoring: --end-date {end_date} is before --start-date {start_date}")
        return start, end
    newest = _newest_base_hour(catalog)
    if newest is None:
        return None
    end = newest + dt.timedelta(hours=max(HORIZONS) + 1)
    return end - dt.timedelta(days=settings.get_int("scoring.lookback_days")), end


def run_scoring(settings: Settings, job_run_id: str, start_date: str | None = None, end_date: str | None = None,
                *, catalog: Catalog | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Archive and score the forecasts whose target hours fall in the window; then the skill
    windows ending at the window's end. Returns the job's summary fields."""
    from ais.catalog import load_catalog
    from ais.iceberg_io import merge_rows, read_rows

    catalog = catalog or load_catalog(settings)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    window = scoring_window(settings, catalog, start_date, end_date)
    if window is None:
        return {"status": "success", "predictions": 0, "archive_rows": 0, "scored": 0, "skill_rows": 0,
                "reason": "no prediction yet"}
    start, end = window
    predictions = read_rows(catalog.load_table(tables.PREDICTIONS.identifier),
                            _between("base_hour", start - dt.timedelta(hours=max(HORIZONS)), end))
    observed = {_utc(r["hour"]): r for r in read_rows(
        catalog.load_table(tables.OPENAQ_CITY_HOURLY.identifier), _between("hour", start, end),
        columns=("hour", "pm25_median", "station_count", "source"))}
    intervals = {interval_key(r): r for r in read_rows(
        catalog.load_table(tables.FORECAST_INTERVALS.identifier),
        _between("base_hour", start - dt.timedelta(hours=max(HORIZONS)), end))}
    rows = [r for r in archive_rows(predictions, observed, job_run_id, now, intervals)
            if start <= r["target_hour"] < end]
    merged = merge_rows(catalog, tables.FORECAST_ARCHIVE, rows)
    windows = [int(d) for d in settings.get_int_list("scoring.windows_days")]
    as_of = min(end - dt.timedelta(hours=1), now)
    longest = max(windows)
    archive = read_rows(catalog.load_table(tables.FORECAST_ARCHIVE.identifier),
                        _between("target_hour", as_of - dt.timedelta(days=longest), as_of + dt.timedelta(hours=1)))
    skill = skill_rows(archive, as_of, windows, job_run_id, now)
    skill_merged = merge_rows(catalog, tables.FORECAST_SKILL, skill)
    scored = sum(1 for r in rows if r["pm25_observed"] is not None and r["pm25_forecast"] is not None)
    log.info("forecast_scoring", window_start=iso_z(start), window_end=iso_z(end), predictions=len(predictions),
             archive_rows=len(rows), scored=scored, archive_inserted=merged.inserted,
             archive_updated=merged.updated, skill_rows=len(skill), as_of=iso_z(as_of))
    return {"status": "success", "window_start": iso_z(start), "window_end": iso_z(end), "as_of": iso_z(as_of),
            "predictions": len(predictions), "archive_rows": len(rows), "scored": scored,
            "archive_inserted": merged.inserted, "archive_updated": merged.updated,
            "archive_unchanged": merged.unchanged, "skill_rows": len(skill),
            "skill_written": skill_merged.inserted + skill_merged.updated}
