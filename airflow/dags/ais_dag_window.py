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
}
