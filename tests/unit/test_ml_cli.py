"""The ML subcommands' flags (CONTRACTS.md §5)."""

from __future__ import annotations

import argparse

import pytest

from ais.ml import cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ais")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_train_flags() -> None:
    args = _parser().parse_args(["train", "--dataset-version", "ds", "--feature-set-name", "fs",
                                 "--model-type", "xgboost", "--output-dir", "/tmp/m"])
    assert (args.dataset_version, args.feature_set_name, args.model_type, args.output_dir) == (
        "ds", "fs", "xgboost", "/tmp/m")
    defaults = _parser().parse_args(["train"])
    assert (defaults.dataset_version, defaults.model_type, defaults.output_dir) == (None, None, None)
    with pytest.raises(SystemExit):
        _parser().parse_args(["train", "--model-type", "catboost"])


def test_promote_flags() -> None:
    args = _parser().parse_args(["promote", "--model-run-id", "r1", "--location-id", "hanoi",
                                 "--horizon-hour", "6",
                                 "--feature-version", "fv", "--status", "production", "--promoted-by", "ops",
                                 "--dry-run", "1", "--force", "--reason", "why"])
    assert (args.model_run_id, args.location_id, args.horizon_hour, args.feature_version, args.status,
            args.promoted_by, args.dry_run, args.force, args.reason) == (
        "r1", "hanoi", 6, "fv", "production", "ops", 1, True, "why")
    defaults = _parser().parse_args(["promote", "--model-run-id", "r1", "--horizon-hour", "24",
                                     "--promoted-by", "ops"])
    assert (defaults.status, defaults.dry_run, defaults.force, defaults.reason) == (
        "production", 0, False, None)


@pytest.mark.parametrize("argv", [
    ["promote", "--model-run-id", "r", "--horizon-hour", "6"],  # --promoted-by is required
    ["promote", "--model-run-id", "r", "--horizon-hour", "5", "--promoted-by", "o"],
    ["promote", "--model-run-id", "r", "--horizon-hour", "6", "--promoted-by", "o", "--dry-run", "2"],
    ["predict", "--dry-run", "yes"],
])
def test_bad_flags_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(argv)


@pytest.mark.parametrize("command", ["demote", "rollback"])
def test_demote_and_rollback_flags(command: str) -> None:
    args = _parser().parse_args([command, "--location-id", "hanoi", "--horizon-hour", "12",
                                 "--feature-version", "fv", "--promoted-by", "ops", "--dry-run", "1"])
    assert (args.location_id, args.horizon_hour, args.feature_version, args.promoted_by, args.dry_run) == (
        "hanoi", 12, "fv", "ops", 1)


def test_predict_flags_and_defaults() -> None:
    args = _parser().parse_args(["predict", "--base-hour", "2026-05-19T09:00:00Z", "--location", "hanoi",
                                 "--model-status", "production", "--feature-version", "fv", "--dry-run", "1",
                                 "--max-feature-age-minutes", "60"])
    assert (args.base_hour, args.location, args.model_status, args.feature_version, args.dry_run,
            args.max_feature_age_minutes) == ("2026-05-19T09:00:00Z", "hanoi", "production", "fv", 1, 60)
    defaults = _parser().parse_args(["predict"])
    assert (defaults.base_hour, defaults.model_status, defaults.dry_run) == (None, "production", 0)
    assert defaults.max_feature_age_minutes == 180


def test_backtest_flags_and_window() -> None:
    from ais.config import ConfigError
    from ais.ml.backtest import BacktestWindow

    args = _parser().parse_args(["ml", "backtest", "--pm25-dir", "/data/airnow", "--train-end", "2018-12-31",
                                 "--test-start", "2019-01-01", "--test-end", "2019-06-30", "--output", "/tmp/b.json"])
    assert (args.pm25_dir, args.train_end, args.test_start, args.test_end, args.output) == (
        "/data/airnow", "2018-12-31", "2019-01-01", "2019-06-30", "/tmp/b.json")
    with pytest.raises(SystemExit):
        _parser().parse_args(["ml", "backtest", "--pm25-dir", "d", "--train-end", "2018-12-31"])  # no test start
    window = BacktestWindow.from_dates(args.train_end, args.test_start)
    # the cutoff is the end of the train-end day; the test window defaults to the rest of its year
    assert (window.cutoff.isoformat(), window.test_start.isoformat(), window.test_end.isoformat()) == (
        "2019-01-01T00:00:00+00:00", "2019-01-01T00:00:00+00:00", "2020-01-01T00:00:00+00:00")
    with pytest.raises(ConfigError, match="must be after --train-end"):
        BacktestWindow.from_dates("2019-01-05", "2019-01-01")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        BacktestWindow.from_dates("2018/12/31", "2019-01-01")


def test_seasonal_naive_offsets() -> None:
    from ais.ml.backtest import seasonal_offset_hours

    # the same hour of the day before the target; for 24 h that is the base hour itself
    assert [seasonal_offset_hours(h, 24) for h in (6, 12, 24, 30)] == [-18, -12, 0, -18]
