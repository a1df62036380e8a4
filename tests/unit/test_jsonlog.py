from __future__ import annotations

import datetime as dt
import json

import pytest

from ais.jsonlog import get_logger


def test_log_lines_are_json_with_fields(capsys: pytest.CaptureFixture[str]) -> None:
    get_logger("unit").info("thing_done", count=3, ratio=float("nan"), when=dt.datetime(2026, 1, 2, 3),
                            text='quote " and\nnewline µg/m³')
    line = capsys.readouterr().err.strip().splitlines()[-1]
    body = json.loads(line)
    assert body["event"] == "thing_done" and body["logger"] == "ais.unit" and body["level"] == "info"
    assert body["count"] == 3 and body["ratio"] is None and body["when"] == "2026-01-02T03:00:00Z"
    assert body["text"] == 'quote " and\nnewline µg/m³'
    assert body["ts"].endswith("Z")
