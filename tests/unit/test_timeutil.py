"""ais.timeutil: the one ISO-8601 parser and the one UTC ``...Z`` formatter."""

from __future__ import annotations

import datetime as dt

import pytest

from ais.timeutil import as_utc, iso_z, parse_iso

HANOI = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.parametrize("text", ["2026-09-02T03:00:00Z", "2026-09-02T03:00:00z", "2026-09-02T10:00:00+07:00",
                                  "2026-09-02T03:00:00", " 2026-09-02T03:00:00Z\n", "2026-09-02T03:00:00.000Z"])
def test_parse_iso_gives_aware_utc(text: str) -> None:
    value = parse_iso(text)
    assert value == dt.datetime(2026, 9, 2, 3, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-09-02T03:00:00+25:00"])
def test_parse_iso_rejects_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)


def test_iso_z_and_as_utc() -> None:
    assert iso_z(dt.datetime(2026, 9, 2, 10, 5, 6, 789, tzinfo=HANOI)) == "2026-09-02T03:05:06Z"
    assert iso_z(dt.datetime(2026, 9, 2, 3, 5, 6)) == "2026-09-02T03:05:06Z"  # naive = UTC
    assert as_utc(dt.datetime(2026, 9, 2, 3)) == dt.datetime(2026, 9, 2, 3, tzinfo=dt.UTC)
    assert as_utc(dt.datetime(2026, 9, 2, 3, tzinfo=HANOI)).hour == 20
    assert parse_iso(iso_z(dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC))) == dt.datetime(
        2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC)
