"""Time helpers of AIS: the one timestamp format of the prediction contract, UTC ``YYYY-MM-DDTHH:MM:SSZ``."""

from __future__ import annotations

import datetime as dt


def iso_z(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
