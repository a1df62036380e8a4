"""``ais job plan-window``: the window a scheduled run should rebuild, chosen by what ARRIVED.

A daily silver/gold run that looked only at the last days by event time would never see ERA5
(published about five days after the hour) or a MAIAC file that came late: their rows land in
bronze days after their event time. This job widens the run's event-time window to cover every
event day of the rows that arrived in ``[since, until)`` in the input tables of the named jobs
(the tables the job registry declares; ais.chain). Arrival is ``ingest_time`` in bronze, the write
time ``updated_at`` in silver. Reads the catalog only (PyIceberg, no Spark).

The result is one JSON document: ``start_date`` and ``end_date`` (inclusive UTC dates, the form
every windowed job takes), the days found per table and the number of rows that arrived. With
``--xcom-file`` it is also written there (a Kubernetes pod's XCom:
``/airflow/xcom/return.json``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ais import tables
from ais.config import ConfigError, Settings
from ais.spark.jobs.common import Window
from ais.timeutil import parse_iso

ARRIVAL_COLUMNS = ("ingest_time", "updated_at")
EVENT_COLUMNS = ("event_time", "hour", "date", "base_hour")


def _utc(text: str, flag: str) -> dt.datetime:
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise ConfigError(f"{flag} is not an ISO-8601 time: {text!r}") from exc


def input_tables(job_names: list[str]) -> list[tables.TableSpec]:
    """The Iceberg tables the jobs declare as inputs (bus and other non-table names left out)."""
    from ais import chain

    declared = chain.nodes()
    unknown = [j for j in job_names if j not in declared]
    if unknown:
        raise ConfigError(f"--jobs names no declared step: {unknown}")
    names = dict.fromkeys(t for j in job_names for t in declared[j].inputs if t in tables.TABLES)
    return [tables.TABLES[t] for t in names]


def _columns(spec: tables.TableSpec) -> tuple[str, str] | None:
    """The arrival and event columns of ``spec``; None for a table without them (the trajectory
    run tables: their rows follow from the tables that have them)."""
    have = set(spec.column_names)
    arrival = next((c for c in ARRIVAL_COLUMNS if c in have), None)
    event = next((c for c in EVENT_COLUMNS if c in have), None)
    return (arrival, event) if arrival is not None and event is not None else None


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def arrived_days(settings: Settings, specs: list[tables.TableSpec], since: dt.datetime,
                 until: dt.datetime) -> dict[str, dict[str, Any]]:
    """Per table: rows whose arrival column is in [since, until), and their first and last event day."""
    from pyiceberg import expressions

    from ais.catalog import load_catalog

    both: Any = expressions.And
    at_least: Any = expressions.GreaterThanOrEqual
    below: Any = expressions.LessThan
    catalog = load_catalog(settings, create=False)
    found: dict[str, dict[str, Any]] = {}
    for spec in specs:
        columns = _columns(spec)
        if columns is None:
            found[spec.identifier] = {"rows": 0, "first_day": None, "last_day": None,
                                      "skipped": "no arrival or event column"}
            continue
        arrival, event = columns
        table = catalog.load_table(spec.identifier)
        scan = table.scan(row_filter=both(at_least(arrival, since.isoformat()), below(arrival, until.isoformat())),
                          selected_fields=(event,))
        values = [v for v in scan.to_arrow().column(event).to_pylist() if v is not None]
        days = sorted({_day(v) for v in values})
        found[spec.identifier] = {"rows": len(values), "first_day": days[0].isoformat() if days else None,
                                  "last_day": days[-1].isoformat() if days else None}
    return found


def plan_window(settings: Settings, job_names: list[str], since: dt.datetime, until: dt.datetime,
                start_date: str | None, end_date: str | None) -> dict[str, Any]:
    """The event-time window (inclusive dates) that covers ``start_date..end_date`` and every
    event day that arrived in [since, until) in the jobs' inputs. Without dates the requested
    window is the days from ``since`` to ``until`` (exclusive)."""
    if until <= since:
        raise ConfigError(f"--until {until.isoformat()} is not after --since {since.isoformat()}")
    base = Window.from_dates(start_date or since.date().isoformat(),
                             end_date or (until - dt.timedelta(microseconds=1)).date().isoformat())
    first, last = base.start.date(), (base.end - dt.timedelta(days=1)).date()
    found = arrived_days(settings, input_tables(job_names), since, until)
    for entry in found.values():
        if entry["first_day"]:
            first = min(first, dt.date.fromisoformat(entry["first_day"]))
            last = max(last, dt.date.fromisoformat(entry["last_day"]))
    return {"start_date": first.isoformat(), "end_date": last.isoformat(),
            "requested": {"start_date": base.start.date().isoformat(),
                          "end_date": (base.end - dt.timedelta(days=1)).date().isoformat()},
            "since": since.isoformat(), "until": until.isoformat(), "jobs": job_names,
            "arrived_rows": sum(e["rows"] for e in found.values()), "by_table": found}


def run(settings: Settings, jobs: str, since: str, until: str, start_date: str | None, end_date: str | None,
        xcom_file: str | None) -> dict[str, Any]:
    names = [j.strip() for j in jobs.split(",") if j.strip()]
    if not names:
        raise ConfigError("--jobs names no job")
    plan = plan_window(settings, names, _utc(since, "--since"), _utc(until, "--until"), start_date, end_date)
    if xcom_file:
        path = Path(xcom_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"start_date": plan["start_date"], "end_date": plan["end_date"]}))
    return plan
