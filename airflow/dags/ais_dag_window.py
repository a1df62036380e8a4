"""The data window of an AIS DAG run, from its conf and its data interval — never the wall clock.

Pure functions (no Airflow, no ais import), used as Jinja macros by the DAGs, so every task of a run
renders the same window:

- ``base_hour``: conf ``base_hour``; else the last hour of conf ``end_date``; else the hour that
  ended last before the run's data interval end (a run for 01:00–02:00, or one triggered at 02:20,
  forecasts base hour 01:00);
- ``end_date``: conf ``end_date``, else the date of the base hour;
- ``start_date``: conf ``start_date``, else ``end_date`` minus ``lookback_days - 1`` days.

A backfill by date range is a run with ``start_date``/``end_date`` in its conf: every upstream job
rebuilds that range, serving features cover it, and inference forecasts the range's last hour
(hour-by-hour predictions of a range are Airflow backfill runs, one base hour each).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
HOUR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}(:00(:00)?)?(Z|\+00:00)?$"
DEFAULT_LOOKBACK_DAYS = 2


class WindowError(ValueError):
    """The run's conf and data interval do not give a usable window."""


@dataclass(frozen=True)
class RunWindow:
    start_date: dt.date
    end_date: dt.date
    base_hour: dt.datetime  # UTC, whole hour

    @property
    def start_iso(self) -> str:
        """Start of the window, as an ISO UTC time (00:00 of start_date)."""
        return f"{self.start_date.isoformat()}T00:00:00Z"

    @property
    def end_iso(self) -> str:
        """End of the window, exclusive: 00:00 of the day after end_date."""
        return f"{(self.end_date + dt.timedelta(days=1)).isoformat()}T00:00:00Z"

    @property
    def base_hour_iso(self) -> str:
        return self.base_hour.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(value: str, name: str) -> dt.date:
    if not re.match(DATE_PATTERN, value):
        raise WindowError(f"{name} must be YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise WindowError(f"{name} is not a date: {value!r}") from exc


def _hour(value: str) -> dt.datetime:
    if not re.match(HOUR_PATTERN, value):
        raise WindowError(f"base_hour must be an ISO UTC hour (2026-05-01T09:00:00Z), got {value!r}")
    text = value.replace("Z", "+00:00")
    if len(text) == 13:  # YYYY-MM-DDTHH
        text += ":00"
    parsed = dt.datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _floor_hour(value: dt.datetime) -> dt.datetime:
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def resolve(params: Mapping[str, Any], data_interval_end: dt.datetime | None) -> RunWindow:
    """The run's window; raises :class:`WindowError` with the reason when there is none."""
    start_raw, end_raw, hour_raw = params.get("start_date"), params.get("end_date"), params.get("base_hour")
    lookback = params.get("lookback_days")
    lookback = DEFAULT_LOOKBACK_DAYS if lookback is None else lookback
    if not isinstance(lookback, int) or isinstance(lookback, bool) or lookback < 1:
        raise WindowError(f"lookback_days must be a positive integer, got {lookback!r}")
    end_date = _date(end_raw, "end_date") if end_raw else None
    if hour_raw:
        base_hour = _hour(hour_raw)
    elif end_date is not None:
        base_hour = dt.datetime.combine(end_date, dt.time(23), tzinfo=dt.UTC)
    elif data_interval_end is not None:
        base_hour = _floor_hour(data_interval_end) - dt.timedelta(hours=1)
    else:
        raise WindowError("the run has no data interval: give base_hour or end_date in the run conf")
    end_date = end_date or base_hour.date()
    start_date = _date(start_raw, "start_date") if start_raw else end_date - dt.timedelta(days=lookback - 1)
    if start_date > end_date:
        raise WindowError(f"start_date {start_date} is after end_date {end_date}")
    if not start_date <= base_hour.date() <= end_date:
        raise WindowError(f"base_hour {base_hour:%Y-%m-%dT%H:%M:%SZ} is outside {start_date}..{end_date}")
    return RunWindow(start_date, end_date, base_hour)


# ---- Jinja macros: {{ ais_start_date(params, data_interval_end) }} ... ---------------------------

def ais_start_date(params: Mapping[str, Any], data_interval_end: dt.datetime | None) -> str:
    return resolve(params, data_interval_end).start_date.isoformat()


def ais_end_date(params: Mapping[str, Any], data_interval_end: dt.datetime | None) -> str:
    return resolve(params, data_interval_end).end_date.isoformat()


def ais_base_hour(params: Mapping[str, Any], data_interval_end: dt.datetime | None) -> str:
    return resolve(params, data_interval_end).base_hour_iso


def ais_window_start(params: Mapping[str, Any], data_interval_end: dt.datetime | None) -> str:
    return resolve(params, data_interval_end).start_iso


def ais_window_end(params: Mapping[str, Any], data_interval_end: dt.datetime | None) -> str:
    return resolve(params, data_interval_end).end_iso


# ---- ingest windows and arrival windows ------------------------------------------------------

def _as_time(value: Any) -> dt.datetime | None:
    """A datetime from a template context value; None for a missing one (also for Airflow's lazy
    ``prev_*_success`` values when there is no previous successful run)."""
    try:
        if value is None or not isinstance(value, dt.datetime):
            return None
    except (AttributeError, LookupError, TypeError):  # a lazy context value whose lookup fails: no run
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ingest_window(params: Mapping[str, Any], data_interval_end: dt.datetime | None,
                  lookback_hours: int) -> tuple[str, str]:
    """``[start, end)`` of an ``ais-ingest --mode live`` run, ISO UTC. Conf start_date / end_date:
    those whole days (a backfill by date range). Else the ``lookback_hours`` that end with the
    hour the data interval ends in — every run asks again for hours the runs before it already
    fetched, so hours or files a provider publishes late are picked up by a later run."""
    if params.get("start_date") or params.get("end_date"):
        window = resolve(params, data_interval_end)
        return window.start_iso, window.end_iso
    if data_interval_end is None:
        raise WindowError("the run has no data interval: give start_date and end_date in the run conf")
    if not isinstance(lookback_hours, int) or isinstance(lookback_hours, bool) or lookback_hours < 1:
        raise WindowError(f"the ingest lookback must be a positive number of hours, got {lookback_hours!r}")
    end = _floor_hour(data_interval_end)
    return _iso(end - dt.timedelta(hours=lookback_hours)), _iso(end)


def arrival_window(data_interval_end: dt.datetime | None, prev_success_end: Any, period_hours: int,
                   overlap_hours: int) -> tuple[str, str]:
    """``[since, until)`` of the arrivals a run looks at (``ais job plan-window``): from the data
    interval end of the last successful run (or one schedule period back when there is none, or
    when that is nearer), minus an overlap, to this run's data interval end."""
    until = _as_time(data_interval_end)
    if until is None:
        raise WindowError("the run has no data interval end")
    since = until - dt.timedelta(hours=period_hours)
    previous = _as_time(prev_success_end)
    if previous is not None and previous < since:
        since = previous
    return _iso(since - dt.timedelta(hours=overlap_hours)), _iso(until)


def ais_ingest_start(params: Mapping[str, Any], data_interval_end: dt.datetime | None, lookback_hours: int) -> str:
    return ingest_window(params, data_interval_end, lookback_hours)[0]


def ais_ingest_end(params: Mapping[str, Any], data_interval_end: dt.datetime | None, lookback_hours: int) -> str:
    return ingest_window(params, data_interval_end, lookback_hours)[1]


def ais_since(data_interval_end: dt.datetime | None, prev_success_end: Any, period_hours: int,
              overlap_hours: int) -> str:
    return arrival_window(data_interval_end, prev_success_end, period_hours, overlap_hours)[0]


def ais_until(data_interval_end: dt.datetime | None) -> str:
    until = _as_time(data_interval_end)
    if until is None:
        raise WindowError("the run has no data interval end")
    return _iso(until)


def planned_window(params: Mapping[str, Any], data_interval_end: dt.datetime | None,
                   plan: Any) -> RunWindow:
    """The window of a run that planned it by arrivals: conf start_date / end_date when given;
    else the ``start_date``/``end_date`` that the run's ``plan_window`` task found (its XCom), which
    covers the default window and every event day that arrived since the last run."""
    if params.get("start_date") or params.get("end_date"):
        return resolve(params, data_interval_end)
    if not isinstance(plan, Mapping) or not plan.get("start_date") or not plan.get("end_date"):
        raise WindowError(f"plan_window left no start_date/end_date (XCom {plan!r})")
    return resolve({**params, "start_date": plan["start_date"], "end_date": plan["end_date"],
                    "base_hour": None}, data_interval_end)


def ais_flag(value: Any) -> str:
    """A boolean conf value as the CLI's 0|1."""
    return "1" if truthy(value) else "0"


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


MACROS = {
    "ais_start_date": ais_start_date,
    "ais_end_date": ais_end_date,
    "ais_base_hour": ais_base_hour,
    "ais_window_start": ais_window_start,
    "ais_window_end": ais_window_end,
    "ais_flag": ais_flag,
    "ais_ingest_start": ais_ingest_start,
    "ais_ingest_end": ais_ingest_end,
    "ais_since": ais_since,
    "ais_until": ais_until,
}
