"""Bronze rows -> Cassandra serving rows, the day of each row, and the event_id checksum. Pure.

The sync jobs (writing) and the reconcile job (comparing) both key rows with these functions, so
the two agree on which Cassandra partition and day an event belongs to.

Days (the ``day`` partition column) are LOCAL days, as a reader in Vietnam asks for them:
- weather: the local date of the WeatherAPI hour, ``local_time`` (``YYYY-MM-DD HH:MM`` in the
  province's own time zone, as history.json gives it). ``query_date`` is the same date: WeatherAPI
  history.json is queried one local day (``dt``) at a time, and the event id is
  ``<province>_<local time>``.
- OpenAQ: the date of the hour's start at ``hanoi.utc_offset_hours`` (UTC+7, no DST).

OpenAQ stations are served under ``city`` = the configured city name (``hanoi.location_name``)
when they lie inside ``hanoi.bbox``; bronze also holds stations outside it (a country-wide
listing), which have no city of this deployment and are not served (:func:`openaq_row` returns
None, and the jobs count them as ``rows_outside_city``).

Columns CONTRACTS.md §4 names that bronze does not carry are null, never invented: OpenAQ
``provider``, ``min``, ``max``, ``sd`` (bronze keeps the hour's value and coverage only).
Weather ``location_name`` is the province queried (bronze keeps no WeatherAPI ``location.name``);
``temp_f`` is converted from ``temp_c`` and rounded to 0.1 °F as WeatherAPI gives it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ais.errors import ServingRowError

# the columns of the two tables, in the order of their INSERT statements (ais.serving.cassandra)
WEATHER_COLUMNS: tuple[str, ...] = (
    "province", "day", "event_time", "event_id", "query_date", "location_name", "lat", "lon", "temp_c",
    "temp_f", "humidity", "wind_kph", "wind_degree", "wind_dir", "precip_mm", "condition_text", "source",
    "ingest_time")
OPENAQ_COLUMNS: tuple[str, ...] = (
    "city", "parameter", "day", "event_time", "event_id", "location_id", "location_name", "provider",
    "sensor_id", "unit", "value", "min", "max", "sd", "coverage_pct", "source", "ingest_time")

# the bronze columns each mapping reads; event_time and ingest_time come as UTC epoch microseconds
# (``event_time_us``, ``ingest_time_us``) so no time zone of a Python worker can shift them
WEATHER_BRONZE_COLUMNS: tuple[str, ...] = (
    "event_id", "source", "province", "local_time", "latitude", "longitude", "temp_c", "humidity",
    "wind_kph", "wind_degree", "wind_dir", "precip_mm", "condition_text")
OPENAQ_BRONZE_COLUMNS: tuple[str, ...] = (
    "event_id", "source", "location_id", "location_name", "sensor_id", "parameter", "units", "value",
    "latitude", "longitude", "coverage_pct")

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class CityArea:
    """The city whose OpenAQ stations are served: its name, bounding box and UTC offset."""

    name: str
    west: float
    east: float
    south: float
    north: float
    utc_offset_hours: int

    def contains(self, lat: float | None, lon: float | None) -> bool:
        return lat is not None and lon is not None and self.south <= lat <= self.north \
            and self.west <= lon <= self.east


def utc_from_micros(micros: int | None) -> dt.datetime | None:
    """An aware UTC datetime from epoch microseconds."""
    if micros is None:
        return None
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros))


def local_day(event_time: dt.datetime, utc_offset_hours: int) -> dt.date:
    """The date at a fixed UTC offset of an aware (or naive = UTC) instant."""
    if event_time.tzinfo is None:
        event_time = event_time.replace(tzinfo=dt.UTC)
    return (event_time.astimezone(dt.UTC) + dt.timedelta(hours=utc_offset_hours)).date()


def weather_local_day(local_time: str | None, event_id: str = "?") -> dt.date:
    """The date of WeatherAPI's ``local_time`` (``YYYY-MM-DD HH:MM``)."""
    try:
        return dt.date.fromisoformat(str(local_time)[:10])
    except (TypeError, ValueError) as exc:
        raise ServingRowError(f"weather event {event_id}: local_time {local_time!r} is not "
                              "'YYYY-MM-DD HH:MM'") from exc


def celsius_to_fahrenheit(temp_c: float | None) -> float | None:
    return None if temp_c is None else round(temp_c * 9.0 / 5.0 + 32.0, 1)


def _required(rec: Mapping[str, Any], kind: str, *names: str) -> None:
    missing = [n for n in names if rec.get(n) is None or rec.get(n) == ""]
    if missing:
        raise ServingRowError(f"{kind} event {rec.get('event_id')!r} lacks {missing}")


def weather_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """weather_hourly_by_province_day row for one weather bronze row (WEATHER_BRONZE_COLUMNS +
    event_time_us, ingest_time_us)."""
    _required(rec, "weather", "event_id", "province", "event_time_us", "local_time")
    day = weather_local_day(rec["local_time"], rec["event_id"])
    return {
        "province": rec["province"], "day": day, "event_time": utc_from_micros(rec["event_time_us"]),
        "event_id": rec["event_id"], "query_date": day, "location_name": rec["province"],
        "lat": rec.get("latitude"), "lon": rec.get("longitude"), "temp_c": rec.get("temp_c"),
        "temp_f": celsius_to_fahrenheit(rec.get("temp_c")), "humidity": rec.get("humidity"),
        "wind_kph": rec.get("wind_kph"), "wind_degree": rec.get("wind_degree"), "wind_dir": rec.get("wind_dir"),
        "precip_mm": rec.get("precip_mm"), "condition_text": rec.get("condition_text"),
        "source": rec.get("source"), "ingest_time": utc_from_micros(rec.get("ingest_time_us")),
    }


def openaq_row(rec: Mapping[str, Any], city: CityArea) -> dict[str, Any] | None:
    """openaq_hourly_by_city_parameter_day row for one OpenAQ bronze row (OPENAQ_BRONZE_COLUMNS +
    event_time_us, ingest_time_us), or None for a station outside the city's bbox."""
    _required(rec, "openaq", "event_id", "parameter", "event_time_us")
    if not city.contains(rec.get("latitude"), rec.get("longitude")):
        return None
    event_time = utc_from_micros(rec["event_time_us"])
    assert event_time is not None
    return {
        "city": city.name, "parameter": rec["parameter"], "day": local_day(event_time, city.utc_offset_hours),
        "event_time": event_time, "event_id": rec["event_id"], "location_id": rec.get("location_id"),
        "location_name": rec.get("location_name"), "provider": None, "sensor_id": rec.get("sensor_id"),
        "unit": rec.get("units"), "value": rec.get("value"), "min": None, "max": None, "sd": None,
        "coverage_pct": rec.get("coverage_pct"), "source": rec.get("source"),
        "ingest_time": utc_from_micros(rec.get("ingest_time_us")),
    }


def values(row: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...]:
    """The bind values of an INSERT over ``columns``."""
    return tuple(row[c] for c in columns)


# ---- checksum ---------------------------------------------------------------------------------

def event_hash(event_id: str) -> int:
    """A 64-bit hash of an event id (the first 8 bytes of its SHA-256, as a signed long)."""
    return int.from_bytes(hashlib.sha256(event_id.encode("utf-8")).digest()[:8], "big", signed=True)


def xor_fold(hashes: Iterable[int]) -> int:
    """XOR of 64-bit values, as a signed long (what Spark's bit_xor gives over the same longs)."""
    acc = 0
    for h in hashes:
        acc ^= h & _MASK64
    return acc - (1 << 64) if acc >= 1 << 63 else acc


def checksum(event_ids: Iterable[str]) -> int:
    """Order-independent checksum of a SET of event ids: the XOR of their hashes, each id once."""
    return xor_fold(event_hash(e) for e in set(event_ids))


def checksum_hex(value: int | None) -> str:
    """A checksum as 16 hex digits (0 for an empty set)."""
    return f"{(value or 0) & _MASK64:016x}"
