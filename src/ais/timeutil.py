"""Time helpers of AIS: the one timestamp format of the prediction contract, UTC
``YYYY-MM-DDTHH:MM:SSZ`` (:func:`iso_z`), and the one parser of the ISO-8601 times the command
lines and the native programs hand over (:func:`parse_iso`). Naive values are taken as UTC
everywhere."""

from __future__ import annotations

import datetime as dt

ISO_Z_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso_z(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (naive values are taken as UTC)."""
    return as_utc(value).strftime(ISO_Z_FORMAT)


def parse_iso(text: str) -> dt.datetime:
    """An ISO-8601 time (``...Z``, ``...z``, with an offset, or without one = UTC) as an aware UTC
    datetime. ``ValueError`` when ``text`` is not one; callers turn it into their own error."""
    stripped = text.strip()
    if stripped.endswith(("Z", "z")):
        stripped = stripped[:-1] + "+00:00"
    return as_utc(dt.datetime.fromisoformat(stripped))
