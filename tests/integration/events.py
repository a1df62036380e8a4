"""Building OpenAQ-shaped events (CONTRACTS.md §2) and landing files for tests.

Test data, labelled ``source=simulated``; never reported as a measurement."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

T0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def openaq_event(station: int, hour: int, value: float | None, coverage: float = 100.0, lat: float = 21.03,
                 ingest: dt.datetime = T0) -> dict[str, Any]:
    """Station ``station``'s PM2.5 for the hour starting ``hour`` hours after T0."""
    t = T0 + dt.timedelta(hours=hour)
    loc = 900001 + station
    return {"event_id": f"openaq_{loc}_{loc * 10 + 1}_pm25_{iso(t)}", "source": "simulated",
            "event_time": iso(t), "ingest_time": iso(ingest), "available_at": iso(t + dt.timedelta(minutes=70)),
            "schema_version": "v1", "quality_flags": [], "window_mode": "batch", "window_start_utc": iso(T0),
            "window_end_utc": iso(T0 + dt.timedelta(days=1)),
            "trace": {"request_id": "r1", "producer": "test", "retry_count": 0},
            "location_id": loc, "location_name": f"S{station}", "sensor_id": loc * 10 + 1, "parameter": "pm25",
            "units": "µg/m³", "value": value, "latitude": lat, "longitude": 105.85,
            "datetime_from_utc": iso(t), "datetime_to_utc": iso(t + dt.timedelta(hours=1)),
            "coverage_expected_count": 4, "coverage_observed_count": 4, "coverage_pct": coverage}


def write_jsonl(folder: Path, name: str, lines: list[str]) -> None:
    """A landing file, written under a dot-name first and renamed, as the C sink does."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.rename(folder / name)


def envelope(event_id: str, event_time: dt.datetime, source: str = "simulated",
             available_at: dt.datetime | None = None) -> dict[str, Any]:
    return {"event_id": event_id, "source": source, "event_time": iso(event_time), "ingest_time": iso(T0),
            "available_at": iso(available_at or event_time), "schema_version": "v1", "quality_flags": [],
            "window_mode": "batch", "window_start_utc": iso(T0), "window_end_utc": iso(T0 + dt.timedelta(days=3)),
            "trace": {"request_id": "r1", "producer": "test", "retry_count": 0}}
