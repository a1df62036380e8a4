"""Progress lines, log routing and the ``ais`` log formats."""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ais import progress
from ais.cli import default_log_format, log_file_path
from ais.jsonlog import get_logger, human_line, human_mode, route

ROOT = Path(__file__).resolve().parents[2]
AIS = ROOT / ".venv" / "bin" / "ais"
LINE = re.compile(r"\[(\d+)/(\d+)\] (.+) … (failed after )?(\d+\.\d) s")


@pytest.fixture
def human(tmp_path: Path) -> Iterator[Path]:
    """Human mode with the JSON lines in a file; the library default (JSON on stderr) after."""
    path = tmp_path / "log" / "run.jsonl"
    route("human", path)
    try:
        yield path
    finally:
        route("json")


def json_lines(path: Path) -> list[dict[str, object]]:
    route("json")  # closes the file, so everything written is on disk
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_format_line() -> None:
    assert progress.format_line(7, 21, "hanoi-master-features-gold 2026-09-02..2026-11-01", 12.04) == \
        "[7/21] hanoi-master-features-gold 2026-09-02..2026-11-01 … 12.0 s"
    assert progress.format_line(3, None, "x", 0.25) == "[3] x … 0.2 s"
    assert progress.format_line(2, 5, "train", 61.0, failed=True) == "[2/5] train … failed after 61.0 s"


def test_steps_print_one_plain_line_each_and_log_json(human: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with progress.steps("demo", 2) as run:
        assert run("ingest openaq", lambda a, b=0: a + b, 2, b=3) == 5
        with run.step("train 6 h"):
            pass
    err = capsys.readouterr().err
    assert "\x1b" not in err  # not a terminal: no animation, no colour
    lines = [LINE.fullmatch(line) for line in err.splitlines()]
    assert all(lines) and len(lines) == 2, err
    assert [(m.group(1), m.group(2), m.group(3)) for m in lines if m] == [("1", "2", "ingest openaq"),
                                                                           ("2", "2", "train 6 h")]
    events = [e for e in json_lines(human) if e["event"] == "step_done"]
    assert [(e["command"], e["step"], e["index"], e["total"]) for e in events] == [
        ("demo", "ingest openaq", 1, 2), ("demo", "train 6 h", 2, 2)]


def test_a_failed_step_says_so_and_raises(human: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def boom() -> None:
        raise ValueError("no data")

    with pytest.raises(ValueError, match="no data"), progress.steps("backtest", 3) as run:
        run("ensure_tables", lambda: None)
        run("replay", boom)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[1].startswith("[2/3] replay … failed after ")
    failed = [e for e in json_lines(human) if e["event"] == "step_failed"]
    assert [(e["step"], e["index"], e["level"]) for e in failed] == [("replay", 2, "error")]


def test_nested_steps_are_quiet(human: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def train() -> int:
        with progress.steps("train", 3) as inner:
            for h in (6, 12, 24):
                inner(f"train {h} h", lambda: None)
        return 1

    with progress.steps("demo", 1) as run:
        run("train", train)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("[1/1] train … ")
    # the inner steps are still in the JSON log
    assert [e["step"] for e in json_lines(human) if e["event"] == "step_done"] == [
        "train 6 h", "train 12 h", "train 24 h", "train"]


def test_json_mode_prints_no_human_line(capsys: pytest.CaptureFixture[str]) -> None:
    route("json")
    assert not human_mode()
    with progress.steps("demo", 1) as run:
        run("ensure_tables", lambda: None)
    err = capsys.readouterr().err.strip().splitlines()
    assert [json.loads(line)["event"] for line in err] == ["step_done"]


def test_eta_is_the_mean_step_time_times_the_steps_left() -> None:
    run = progress.Steps("demo", 4, show=False, animate=False)
    assert run.eta_text() == ""
    run.done, run.seconds = 2, {"a": 10.0, "b": 20.0}
    assert run.eta_text() == "~30 s left"
    run.done, run.seconds = 1, {"a": 100.0}
    assert run.eta_text() == "~5 min 0 s left"


def test_human_mode_shows_warnings_and_errors_only(human: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = get_logger("unit")
    log.info("quiet_on_stderr", rows=3)
    log.warning("late_file", source="era5", status="skipped")
    log.error("job_failed", command="demo", error="no prediction")
    assert capsys.readouterr().err.splitlines() == [
        'warning: late_file (source="era5")', 'error: job_failed: no prediction (command="demo")']
    assert [e["event"] for e in json_lines(human)] == ["quiet_on_stderr", "late_file", "job_failed"]


def test_human_line_of_an_exception() -> None:
    try:
        raise KeyError("x")
    except KeyError:
        record = logging.LogRecord("ais.t", logging.ERROR, "", 0, "step_failed", (), __import__("sys").exc_info())
    assert human_line(record) == "error: step_failed: KeyError: 'x'"


def test_default_log_format() -> None:
    assert default_log_format({}) == "human"
    assert default_log_format({"AIS_LOG_FORMAT": "JSON"}) == "json"
    assert default_log_format({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) == "json"
    assert default_log_format({"AIRFLOW_CTX_DAG_ID": "ais_pipeline"}) == "json"
    assert default_log_format({"AIRFLOW_CTX_DAG_ID": "d", "AIS_LOG_FORMAT": "human"}) == "human"
    assert default_log_format({"AIS_LOG_FORMAT": "yaml"}) == "human"  # not a format: the default


def test_log_file_path() -> None:
    import datetime as dt
    import os

    path = log_file_path(Path("/r"), "demo", dt.datetime(2026, 9, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert path == Path(f"/r/var/log/demo-20260902T030405Z-{os.getpid()}.jsonl")


def test_route_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="yaml"):
        route("yaml")


def test_ais_errors_by_log_format(tmp_path: Path) -> None:
    """A config error: one human line on stderr by default, a JSON line with --log-format json;
    stdout empty in both."""
    missing = tmp_path / "none.yaml"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([str(AIS), "--config", str(missing), "config"], capture_output=True, text=True,
                          check=False, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: config_error: ") and str(missing) in done.stderr
    assert len(done.stderr.splitlines()) == 1
    done = subprocess.run([str(AIS), "--log-format", "json", "--config", str(missing), "config"],
                          capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 2 and done.stdout == ""
    body = json.loads(done.stderr.strip().splitlines()[-1])
    assert (body["event"], body["command"], body["status"]) == ("config_error", "config", "failed")


def test_ais_writes_its_log_file_and_one_json_document(tmp_path: Path) -> None:
    """`ais config` in human mode: stdout is the one JSON document, stderr is empty, the run's
    JSON log is a new file under var/log/."""
    log_dir = ROOT / "var" / "log"
    before = set(log_dir.glob("config-*.jsonl")) if log_dir.is_dir() else set()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([str(AIS), "--log-format", "human", "config"], capture_output=True, text=True,
                          check=False, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["project_root"] == str(ROOT)
    assert done.stderr == ""
    new = sorted(set(log_dir.glob("config-*.jsonl")) - before)
    assert len(new) == 1
    events = [json.loads(line) for line in new[0].read_text().splitlines()]
    assert events[0]["event"] == "run_started" and events[0]["command"] == "config"
    new[0].unlink()


def test_routing_and_new_loggers_keep_the_configured_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ais.jsonlog import configure

    configure("warning")
    try:
        route("human", tmp_path / "run.jsonl")
        log = get_logger("unit.level")
        log.info("below_the_level")
        log.warning("at_the_level")
        assert [e["event"] for e in json_lines(tmp_path / "run.jsonl")] == ["at_the_level"]
    finally:
        configure("info")
        route("json")
    capsys.readouterr()


def _fake_job(monkeypatch: pytest.MonkeyPatch, needs_spark: bool, run: Any) -> None:
    from ais.spark.jobs import cli as jobs_cli
    from ais.spark.jobs.registry import JobDef

    monkeypatch.setitem(jobs_cli.JOBS, "fake-gold", JobDef("fake-gold", "a stand-in job", lambda p: None, run,
                                                           needs_spark=needs_spark))


def test_ais_job_prints_the_spark_session_and_the_job_with_its_window(
        human: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from ais.config import load_settings
    from ais.spark import session
    from ais.spark.jobs import cli as jobs_cli

    seen: list[Any] = []
    monkeypatch.setattr(session, "get_spark", lambda settings, app_name: f"spark for {app_name}")
    _fake_job(monkeypatch, True, lambda ctx, args: seen.append((ctx.spark, ctx.name)) or {"status": "success"})
    args = argparse.Namespace(job_type="fake-gold", start_date="2026-09-02", end_date="2026-11-01")
    assert jobs_cli._run(load_settings(ROOT / "config" / "hanoi_pipeline.yaml"), args) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"status": "success"}
    assert seen == [("spark for ais-fake-gold", "fake_gold")]
    lines = [LINE.fullmatch(line) for line in err.splitlines()]
    assert all(lines) and [(m.group(1), m.group(2), m.group(3)) for m in lines if m] == [
        ("1", "2", "spark session"), ("2", "2", "fake-gold 2026-09-02..2026-11-01")], err
    assert [e["step"] for e in json_lines(human) if e["event"] == "step_done"] == [
        "spark session", "fake-gold 2026-09-02..2026-11-01"]


def test_ais_job_without_spark_or_window_is_one_step_and_a_failure_says_so(
        human: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from ais.config import load_settings
    from ais.errors import JobError
    from ais.spark.jobs import cli as jobs_cli

    settings = load_settings(ROOT / "config" / "hanoi_pipeline.yaml")
    _fake_job(monkeypatch, False, lambda ctx, args: {"status": "failed", "spark": ctx.spark})
    assert jobs_cli._run(settings, argparse.Namespace(job_type="fake-gold")) == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == {"status": "failed", "spark": None}
    match = LINE.fullmatch(err.strip())
    assert match and (match.group(1), match.group(2), match.group(3), match.group(4)) == ("1", "1", "fake-gold", None)

    def boom(ctx: Any, args: Any) -> dict[str, Any]:
        raise JobError("no input table")

    _fake_job(monkeypatch, False, boom)
    with pytest.raises(JobError, match="no input table"):
        jobs_cli._run(settings, argparse.Namespace(job_type="fake-gold"))
    out, err = capsys.readouterr()
    match = LINE.fullmatch(err.strip())
    assert out == "" and match and (match.group(3), match.group(4)) == ("fake-gold", "failed after ")
