"""ais.ingest_runner: the command line it gives ais-ingest, the summary it returns, its errors
(with a stand-in ais-ingest that echoes its arguments)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ais.config import Settings, load_settings
from ais.errors import JobError
from ais.ingest_runner import ensure_topics, run_ingest, uses_kafka

ROOT = Path(__file__).resolve().parents[2]
START, END = dt.datetime(2026, 9, 1, tzinfo=dt.UTC), dt.datetime(2026, 9, 2, 6, tzinfo=dt.UTC)


def _project(tmp_path: Path, script: str, environ: dict[str, str] | None = None) -> Settings:
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "hanoi_pipeline.yaml", tmp_path / "config" / "hanoi_pipeline.yaml")
    binary = tmp_path / "build" / "native" / "ais-ingest"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    binary.chmod(0o755)
    return load_settings(tmp_path / "config" / "hanoi_pipeline.yaml", environ=environ or {})


ECHO = 'echo "a log line"\nprintf \'{"argv": "%s", "events_written": 3, "rejected_by_reason": {}}\\n\' "$*"\n'


def test_run_ingest_passes_the_window_and_the_landing_sink_and_returns_the_last_line(tmp_path: Path) -> None:
    settings = _project(tmp_path, ECHO)
    assert not uses_kafka(settings)
    summary = run_ingest(settings, "openaq", "replay", START, END, replay_dir=tmp_path / "files")
    assert summary["events_written"] == 3
    assert summary["argv"] == " ".join([
        "openaq", "--mode", "replay", "--start", "2026-09-01T00:00:00Z", "--end", "2026-09-02T06:00:00Z",
        "--state-dir", str(tmp_path / "var" / "state" / "ingest"), "--sink", "landing",
        "--landing-dir", str(tmp_path / "var" / "landing"), "--replay-dir", str(tmp_path / "files"),
        "--config", str(tmp_path / "config" / "hanoi_pipeline.yaml"), "--log-format", "json"])


def test_the_child_logs_in_the_format_of_this_process(tmp_path: Path) -> None:
    """json (a library import, a pod, a task): its JSON lines on the captured stderr; human (the
    ais command for a person): its own file under var/log and text on stderr."""
    from ais.jsonlog import route

    settings = _project(tmp_path, ECHO)
    route("human")
    try:
        argv = run_ingest(settings, "openaq", "simulate", START, END)["argv"].split()
    finally:
        route("json")
    assert argv[-2:] == ["--log-format", "human"]
    assert run_ingest(settings, "openaq", "simulate", START, END)["argv"].split()[-2:] == ["--log-format", "json"]


def test_run_ingest_writes_to_kafka_when_a_bootstrap_server_is_set(tmp_path: Path) -> None:
    settings = _project(tmp_path, ECHO, {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092"})
    assert uses_kafka(settings)
    argv = run_ingest(settings, "weather", "simulate", START, END)["argv"].split()
    assert argv[argv.index("--sink") + 1] == "kafka" and "--landing-dir" not in argv
    assert ensure_topics(settings)["argv"].split()[:2] == ["topics", "--create"]


def test_a_failed_or_missing_binary_is_a_job_error(tmp_path: Path) -> None:
    settings = _project(tmp_path, 'echo "no such source: nope" >&2\nexit 4\n')
    with pytest.raises(JobError, match="ais-ingest nope exited 4: no such source: nope"):
        run_ingest(settings, "nope", "simulate", START, END)
    (tmp_path / "build" / "native" / "ais-ingest").unlink()
    with pytest.raises(JobError, match="ais-ingest is missing: run `make build` first"):
        run_ingest(settings, "openaq", "simulate", START, END)
