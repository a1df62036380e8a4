"""The read routes beside the latest forecast: forecast history (the archive), observations (city
silver) and skill, as pure functions of cached rows and the query (ais.api.app wires them).

Bad query values raise :class:`BadQuery` naming the parameter (answered 422). Times in queries
are ISO 8601 (``2026-10-01``, ``2026-10-01T06:00:00Z``; no offset means UTC); ranges are
``[from, to)``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ais.api.schemas import (
    HistoryItem,
    HistoryResponse,
    ObservationItem,
    ObservationsResponse,
    SkillItem,
    SkillResponse,
    aqi_info,
)
from ais.timeutil import iso_z

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
HORIZONS = (6, 12, 24)
SKILL_WINDOWS = (7, 30)
OBSERVATION_DEFAULT_DAYS = 7
OBSERVATION_MAX_DAYS = 92
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class BadQuery(ValueError):
    """A query parameter with a value the route cannot use."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_time(field: str, raw: str | None) -> dt.datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (None when absent)."""
    if raw is None or raw == "":
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadQuery(field, f"{field} must be an ISO 8601 date or date-time, got {raw!r}") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_int(field: str, raw: str | None, default: int, allowed: Sequence[int] | None = None,
              lo: int | None = None, hi: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(field, f"{field} must be an integer, got {raw!r}") from None
    if allowed is not None and value not in allowed:
        raise BadQuery(field, f"{field} must be one of {', '.join(map(str, allowed))}, got {value}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadQuery(field, f"{field} must be between {lo} and {hi}, got {value}")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _age_minutes(created: dt.datetime | None, now: float) -> int | None:
    return None if created is None else int((now - _utc(created).timestamp()) // 60)


# ---- history ---------------------------------------------------------------------------------------

def archive_sort_key(row: Mapping[str, Any]) -> tuple[float, int, str, str]:
    """Newest base hour first, then lead time, model and feature version: the archive key, so the
    order is total and a cursor names one position in it whatever rows are added later."""
    return (-_utc(row["base_hour"]).timestamp(), int(row["horizon_hour"]), str(row["model_version"]),
            str(row["feature_version"]))


def encode_cursor(key: tuple[float, int, str, str]) -> str:
    raw = json.dumps([key[0], key[1], key[2], key[3]], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(raw: str) -> tuple[float, int, str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not (isinstance(data, list) and len(data) == 4):
            raise ValueError("not a 4-item list")
        return float(data[0]), int(data[1]), str(data[2]), str(data[3])
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadQuery("cursor", "cursor is not one this API returned") from None


def history(rows: Sequence[dict[str, Any]], query: Mapping[str, str | None], location: str, now: float,
            stale_after_minutes: int) -> HistoryResponse:
    """One page of production forecasts from archive rows sorted by :func:`archive_sort_key`.
    ``from``/``to`` bound the base hour; ``horizon`` picks one lead time; ``limit`` (1..1000,
    default 100) items; ``cursor``: the previous page's ``next_cursor`` (keyset: the items after
    that key, so rows added between pages are neither repeated nor skipped)."""
    start, end = parse_time("from", query.get("from")), parse_time("to", query.get("to"))
    if start is not None and end is not None and end <= start:
        raise BadQuery("to", "to must be after from")
    horizon = parse_int("horizon", query.get("horizon"), 0, allowed=(0, *HORIZONS)) or None
    limit = parse_int("limit", query.get("limit"), DEFAULT_LIMIT, lo=1, hi=MAX_LIMIT)
    cursor = query.get("cursor")
    position = 0
    if cursor:
        position = bisect.bisect_right(rows, decode_cursor(cursor), key=archive_sort_key)
    elif end is not None:  # skip the rows newer than ``to`` at once
        position = bisect.bisect_left(rows, (-end.timestamp(), -1, "", ""), key=archive_sort_key)
    picked: list[dict[str, Any]] = []
    more = False
    for row in rows[position:]:
        base = _utc(row["base_hour"])
        if start is not None and base < start:
            break  # sorted newest first: everything after is older still
        if (end is not None and base >= end) or (horizon is not None and row["horizon_hour"] != horizon) \
                or row.get("model_status") != "production":
            continue
        if len(picked) == limit:
            more = True
            break
        picked.append(row)
    items = [_history_item(r, now, stale_after_minutes) for r in picked]
    next_cursor = encode_cursor(archive_sort_key(picked[-1])) if more and picked else None
    return HistoryResponse(location=location, items=items, next_cursor=next_cursor)


def _history_item(row: Mapping[str, Any], now: float, stale_after: int) -> HistoryItem:
    forecast, observed = row.get("pm25_forecast"), row.get("pm25_observed")
    created = row.get("forecast_created_at")
    age = _age_minutes(created, now)
    return HistoryItem(
        base_hour=iso_z(row["base_hour"]), target_hour=iso_z(row["target_hour"]),
        horizon_hour=int(row["horizon_hour"]), pm25=forecast, risk=row.get("risk"),
        aqi=aqi_info(forecast) if forecast is not None else None, pm25_p10=row.get("pm25_p10"),
        pm25_p90=row.get("pm25_p90"), pm25_observed=observed,
        observed_aqi=aqi_info(observed) if observed is not None else None, error=row.get("error"),
        abs_error=row.get("abs_error"), category_hit=row.get("category_hit"),
        model_version=str(row["model_version"]), horizon_model_version=row.get("horizon_model_version"),
        feature_version=str(row["feature_version"]), created_at=iso_z(created) if created is not None else None,
        age_minutes=age, stale=None if age is None else age > stale_after)


# ---- observations ----------------------------------------------------------------------------------

def _floor_hour(value: dt.datetime) -> dt.datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def observations(rows: Sequence[dict[str, Any]], query: Mapping[str, str | None],
                 location: str) -> ObservationsResponse:
    """Hourly city PM2.5 in ``[from, to)`` (hours; default: the 7 days up to the newest hour in
    silver, at most 92 days) from silver rows sorted by hour, with coverage: hours with a value
    over hours in the range."""
    start, end = parse_time("from", query.get("from")), parse_time("to", query.get("to"))
    if end is None:
        newest = _utc(rows[-1]["hour"]) if rows else _floor_hour(dt.datetime.now(dt.UTC))
        end = (start + dt.timedelta(days=OBSERVATION_DEFAULT_DAYS)) if start is not None \
            else newest + dt.timedelta(hours=1)
    if start is None:
        start = end - dt.timedelta(days=OBSERVATION_DEFAULT_DAYS)
    start = _floor_hour(start)
    end = _floor_hour(end) if _floor_hour(end) == end else _floor_hour(end) + dt.timedelta(hours=1)
    if end <= start:
        raise BadQuery("to", "to must be after from")
    if end - start > dt.timedelta(days=OBSERVATION_MAX_DAYS):
        raise BadQuery("to", f"the range may span at most {OBSERVATION_MAX_DAYS} days")
    lo = bisect.bisect_left(rows, start, key=lambda r: _utc(r["hour"]))
    hi = bisect.bisect_left(rows, end, key=lambda r: _utc(r["hour"]))
    items = [ObservationItem(hour=iso_z(r["hour"]), pm25=r.get("pm25_median"), pm25_mean=r.get("pm25_mean"),
                             station_count=r.get("station_count"), coverage_avg=r.get("coverage_avg"),
                             source=r.get("source")) for r in rows[lo:hi]]
    hours = int((end - start).total_seconds() // 3600)
    present = sum(1 for i in items if i.pm25 is not None)
    return ObservationsResponse.model_validate({
        "location": location, "from": iso_z(start), "to": iso_z(end), "hours_in_range": hours,
        "hours_present": present, "coverage": round(present / hours, 6), "items": items})


def observation_sort_key(row: Mapping[str, Any]) -> dt.datetime:
    return _utc(row["hour"])


# ---- skill -----------------------------------------------------------------------------------------

def skill(rows: Sequence[dict[str, Any]], query: Mapping[str, str | None], location: str) -> SkillResponse:
    """The skill table's rows of one window (``window_days`` 7 or 30, default 7), by lead time."""
    window = parse_int("window_days", query.get("window_days"), SKILL_WINDOWS[0], allowed=SKILL_WINDOWS)
    picked = sorted((r for r in rows if r.get("window_days") == window and r.get("location_id") == location),
                    key=lambda r: r["horizon_hour"])
    items = [SkillItem(
        horizon_hour=int(r["horizon_hour"]), as_of=iso_z(r["as_of"]) if r.get("as_of") else None,
        forecasts=r.get("forecasts"), scored=r.get("scored"), mae=r.get("mae"), rmse=r.get("rmse"),
        bias=r.get("bias"), rmse_persistence=r.get("rmse_persistence"),
        skill_vs_persistence=r.get("skill_vs_persistence"), vn_aqi_hit_rate=r.get("vn_aqi_hit_rate"),
        interval_scored=r.get("interval_scored"), coverage_80=r.get("coverage_80"),
        updated_at=iso_z(r["updated_at"]) if r.get("updated_at") else None) for r in picked]
    return SkillResponse(location=location, window_days=window, items=items)
