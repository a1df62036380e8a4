"""``ais``: the one command line of the Python side.

Thin by design: parse arguments, load the settings, call one function, map errors to exit codes.
Each command module exposes ``register(subparsers)`` and sets ``func(settings, args) -> int`` on its
parser; this file only lists the modules.

Exit codes: 0 success, 1 the job failed (data or runtime), 2 usage or configuration error,
3 a check did not hold (checks only).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from ais.config import ConfigError, Settings, load_settings
from ais.jsonlog import configure, get_logger

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Modules that add subcommands, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "ais.commands.core",
    "ais.spark.jobs.cli",
    "ais.ml.cli",
    "ais.api.cli",
    "ais.checks.cli",
    "ais.pipeline",
    "ais.commands.clean",
    "ais.chain",
)


class JobError(RuntimeError):
    """A job could not complete; the message says why. Maps to exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ais", description="AIS: PM2.5 data platform for Hanoi")
    parser.add_argument("--config", help="config file (default: $HANOI_PIPELINE_CONFIG or "
                                         "config/hanoi_pipeline.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log = get_logger("cli")
    try:
        settings: Settings = load_settings(args.config)
        configure(settings.runtime("log_level"))
        return int(args.func(settings, args))
    except ConfigError as exc:
        log.error("config_error", command=args.command, error=str(exc), status="failed")
        return EXIT_USAGE
    except JobError as exc:
        log.error("job_failed", command=args.command, error=str(exc), status="failed")
        return EXIT_FAILED
    except KeyboardInterrupt:
        log.info("interrupted", command=args.command, status="interrupted")
        return 130


def print_json(value: object) -> None:
    """Results for the user go to stdout as one JSON document; logs go to stderr."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
