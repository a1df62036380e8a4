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


def test_error_with_exception_and_level_filter(capsys: pytest.CaptureFixture[str]) -> None:
    log = get_logger("unit")
    try:
        raise ValueError("boom")
    except ValueError:
        log.error("step_failed", exc=True, job="x")
    log.debug("not_shown")  # the default level is info
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert [(b["event"], b["level"]) for b in lines] == [("step_failed", "error")]
    assert (lines[0]["job"], lines[0]["error"]) == ("x", "ValueError: boom")
