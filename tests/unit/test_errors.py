"""One error base class (issue 17 item 5): every error AIS raises on purpose is an AisError whose
exit code the command lines return, and each keeps its old import path and base class."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ais import cli, errors
from ais.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_error_is_an_ais_error_with_the_exit_code_of_its_kind() -> None:
    from ais.cli import JobError
    from ais.config import ConfigError
    from ais.iceberg_io import MergeError
    from ais.k8s.submit import SubmitError
    from ais.ml.artifacts import ArtifactError
    from ais.ml.boosters import ModelTypeError
    from ais.ml.features import FeatureMatrixError
    from ais.serving.rows import ServingRowError
    from ais.spark.merge import DuplicateKeyError
    from ais.storage import StorageError

    failed = (JobError, MergeError, ArtifactError, ModelTypeError, FeatureMatrixError, ServingRowError,
              DuplicateKeyError, StorageError)
    assert [c("x").exit_code for c in failed] == [1] * len(failed)
    assert (ConfigError("x").exit_code, SubmitError("x").exit_code) == (2, 2)
    assert SubmitError("spark-submit failed", exit_code=3).exit_code == 3
    for cls in (*failed, ConfigError, SubmitError):
        assert issubclass(cls, errors.AisError) and getattr(errors, cls.__name__) is cls
    # the value errors stay ValueErrors, so `except ValueError` callers keep catching them
    assert all(issubclass(c, ValueError) for c in (*failed, ConfigError) if c is not JobError)
    assert issubclass(JobError, RuntimeError) and not issubclass(SubmitError, ValueError)
    assert (ConfigError.event, JobError.event, SubmitError.event) == ("config_error", "job_failed", "submit_error")


@pytest.mark.parametrize(("raised", "code", "event"), [
    (errors.StorageError("hdfs://nowhere is unreachable"), 1, "job_failed"),
    (errors.JobError("the chain produced no prediction"), 1, "job_failed"),
    (errors.ConfigError("runtime.api_port must be an integer"), 2, "config_error"),
])
def test_ais_returns_the_exit_code_of_the_error_and_logs_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        raised: errors.AisError, code: int, event: str) -> None:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        raise raised

    assert _ais_with(monkeypatch, "boom", command) == code
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["event"], line["command"], line["error"], line["status"]) == (event, "boom", str(raised), "failed")


def test_an_error_outside_ais_error_still_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ZeroDivisionError):
        _ais_with(monkeypatch, "bug", lambda settings, args: 1 // 0)


def _ais_with(monkeypatch: pytest.MonkeyPatch, name: str, func: Callable[[Settings, argparse.Namespace], int]) -> int:
    """``ais --log-format json NAME`` with one command, ``func``, in place of the real ones."""
    def parser() -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(prog="ais")
        p.add_argument("--config")
        p.add_argument("--log-format")
        p.add_subparsers(dest="command", required=True).add_parser(name).set_defaults(func=func)
        return p

    monkeypatch.setattr(cli, "build_parser", parser)
    return cli.main(["--config", str(ROOT / "config" / "hanoi_pipeline.yaml"), "--log-format", "json", name])
