"""``ais train | promote | demote | rollback | predict`` (CONTRACTS.md §5). Thin: parse, call, print."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from ais.config import Settings

Command = Callable[[Settings, argparse.Namespace], int]


def _tables_required(command: Command) -> Command:
    """A missing table or namespace is a job failure with a hint, not a traceback."""

    @functools.wraps(command)
    def run(settings: Settings, args: argparse.Namespace) -> int:
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        from ais.cli import JobError

        try:
            return command(settings, args)
        except (NoSuchTableError, NoSuchNamespaceError) as exc:
            raise JobError(f"{exc} (run `ais ensure-tables` first)") from exc

    return run


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        from ais.timeutil import iso_z

        return iso_z(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@_tables_required
def _train(settings: Settings, args: argparse.Namespace) -> int:
    from ais.ml.train import train_models
    from ais.output import print_json

    result = train_models(settings, dataset_version=args.dataset_version,
                          feature_set_name=args.feature_set_name, model_type=args.model_type,
                          output_dir=args.output_dir)
    print_json(_jsonable(result.to_dict()))
    return 0


@_tables_required
def _promote(settings: Settings, args: argparse.Namespace) -> int:
    from ais.ml.registry import promote
    from ais.output import print_json

    print_json(_jsonable(promote(settings, args.model_run_id, args.location_id or settings.location_id,
                                 args.horizon_hour, args.feature_version or settings.feature_version,
                                 status=args.status, promoted_by=args.promoted_by, dry_run=bool(args.dry_run),
                                 force=args.force, reason=args.reason)))
    return 0


@_tables_required
def _demote(settings: Settings, args: argparse.Namespace) -> int:
    from ais.ml.registry import demote
    from ais.output import print_json

    print_json(_jsonable(demote(settings, args.location_id or settings.location_id, args.horizon_hour,
                                args.feature_version or settings.feature_version, args.promoted_by,
                                dry_run=bool(args.dry_run))))
    return 0


@_tables_required
def _rollback(settings: Settings, args: argparse.Namespace) -> int:
    from ais.ml.registry import rollback
    from ais.output import print_json

    print_json(_jsonable(rollback(settings, args.location_id or settings.location_id, args.horizon_hour,
                                  args.feature_version or settings.feature_version, args.promoted_by,
                                  dry_run=bool(args.dry_run))))
    return 0


@_tables_required
def _predict(settings: Settings, args: argparse.Namespace) -> int:
    from ais.ml.predict import predict
    from ais.output import print_json

    row = predict(settings, base_hour=args.base_hour or None, location=args.location,
                  model_status=args.model_status, feature_version=args.feature_version,
                  dry_run=bool(args.dry_run), max_feature_age_minutes=args.max_feature_age_minutes)
    print_json(_jsonable(row))
    return 0


def _backtest(settings: Settings, args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ais.ml.backtest import BacktestWindow, run_backtest
    from ais.output import print_json

    window = BacktestWindow.from_dates(args.train_end, args.test_start, args.test_end, args.train_start)
    work_dir = Path(args.work_dir) if args.work_dir else (
        Path(settings.resolve_path(settings.require("backtest.work_dir"))) / f"{args.train_end}_{args.test_start}")
    weather_dir = Path(args.weather_dir) if args.weather_dir else None
    result = run_backtest(settings, Path(args.pm25_dir), window, work_dir=Path(work_dir), model_type=args.model_type,
                          weather_dir=weather_dir, weather_forecast=args.weather_forecast,
                          report_dir=Path(args.report) if args.report else None)
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print_json(result)
    return 0


def _flag01(parser: argparse.ArgumentParser, name: str, help_: str) -> None:
    parser.add_argument(name, type=int, choices=(0, 1), default=0, help=help_)


def _pointer_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--location-id", help="default: runtime.location_id")
    parser.add_argument("--horizon-hour", type=int, required=True, choices=(6, 12, 24))
    parser.add_argument("--feature-version", help="default: runtime.feature_version")
    parser.add_argument("--promoted-by", required=True, help="who acts (recorded and logged)")
    _flag01(parser, "--dry-run", "1: compute and log the plan, write nothing")


def register(sub: Any) -> None:
    p = sub.add_parser("train", help="train one model per horizon; writes artifacts and model runs, "
                                     "never promotes")
    p.add_argument("--dataset-version", help="default: runtime.dataset_version")
    p.add_argument("--feature-set-name", help="default: runtime.feature_set_name")
    p.add_argument("--model-type", choices=("lightgbm", "xgboost"), help="default: runtime.model_type")
    p.add_argument("--output-dir", help="artifact base folder (default: runtime.model_output_dir, else "
                                        "runtime.model_artifact_base_uri)")
    p.set_defaults(func=_train)

    p = sub.add_parser("promote", help="point a (location, horizon) at a trained model run (idempotent)")
    p.add_argument("--model-run-id", required=True)
    p.add_argument("--status", choices=("production", "staging"), default="production")
    p.add_argument("--force", action="store_true", help="promote despite a worse skill than production")
    p.add_argument("--reason", help="required with --force; logged")
    _pointer_args(p)
    p.set_defaults(func=_promote)

    p = sub.add_parser("demote", help="archive the production model of a (location, horizon)")
    _pointer_args(p)
    p.set_defaults(func=_demote)

    p = sub.add_parser("rollback", help="re-promote the previous production model of a (location, horizon)")
    _pointer_args(p)
    p.set_defaults(func=_rollback)

    p = sub.add_parser("predict", help="forecast 6/12/24 h for one base hour from the production models")
    p.add_argument("--base-hour", help="ISO 8601 hour (default: the latest serving row)")
    p.add_argument("--location", help="location_id (default: runtime.location_id)")
    p.add_argument("--model-status", default="production", choices=("production", "staging"))
    p.add_argument("--feature-version", help="default: runtime.feature_version")
    _flag01(p, "--dry-run", "1: compute and log the forecast, write nothing")
    p.add_argument("--max-feature-age-minutes", type=int, default=180,
                   help="how far the base hour may lag the newest serving row (default 180)")
    p.set_defaults(func=_predict)

    ml = sub.add_parser("ml", help="model evaluation").add_subparsers(dest="ml_command", required=True)
    p = ml.add_parser("backtest", help="replay real AirNow files through ingest, bronze, silver and gold, "
                                       "train before a cutoff and score a test window against baselines")
    p.add_argument("--pm25-dir", required=True, help="folder searched for AirNow DOS CSV files")
    p.add_argument("--train-end", required=True, help="YYYY-MM-DD: last day (UTC) a training target may fall in")
    p.add_argument("--test-start", required=True, help="YYYY-MM-DD: first test base day")
    p.add_argument("--test-end", help="YYYY-MM-DD: last test base day (default: the end of the test year)")
    p.add_argument("--train-start", help="YYYY-MM-DD: first training day (default: all data before)")
    p.add_argument("--model-type", choices=("lightgbm", "xgboost"), help="default: runtime.model_type")
    p.add_argument("--work-dir", help="workspace, emptied first (default: backtest.work_dir/<train-end>_<test-start>)")
    p.add_argument("--output", help="also write the JSON result to this file")
    p.add_argument("--weather-dir", help="Visual Crossing history exports (CSV) replayed with the PM2.5 files: "
                                         "the weather known at each base hour becomes features")
    p.add_argument("--weather-forecast", choices=("none", "perfect-prognosis"), default="none",
                   help="none (default): no archive of issued forecasts, the wxf_* features stay null; "
                        "perfect-prognosis: also train and score with them filled from the observed weather "
                        "of the target time (needs --weather-dir), reported as an upper bound under "
                        "perfect_prognosis, beside the headline")
    p.add_argument("--report", help="folder for the report: the JSON, PNG plots (forecast vs observed, error by "
                                    "lead time and season, interval reliability) and summary.md")
    p.set_defaults(func=_backtest)
