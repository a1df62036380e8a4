"""``ais``: the one command line of the Python side.

Thin by design: parse arguments, load the settings, call one function, map errors to exit codes.
Each command module exposes ``register(subparsers)`` and sets ``func(settings, args) -> int`` on its
parser; this file only lists the modules.

Exit codes (ais.errors, the one table of them): 0 success, 1 the job failed (data or runtime),
2 usage or configuration error, 3 a check did not hold (checks only), 130 interrupted.

Logs (``--log-format``): ``human`` writes the JSON log lines of a run to ``var/log/<command>-<UTC
time>-<pid>.jsonl`` and keeps stderr for people (progress lines, warnings and errors); ``json``
puts the JSON lines on stderr. Results go to stdout as one JSON document in both modes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ais.config import Settings, load_settings
from ais.errors import EXIT_INTERRUPTED, EXIT_USAGE, AisError
from ais.errors import JobError as JobError  # its name where the command modules import it from
from ais.jsonlog import LOG_FORMATS, close_file, configure, get_logger, route

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


SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout, when ais runs from one
LOG_DIR = Path("var") / "log"


def package_version() -> str:
    """The version in pyproject.toml of the checkout this code runs from, else the installed
    distribution's (the same number, written at install)."""
    import tomllib
    from importlib import metadata

    pyproject = SOURCE_ROOT / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "ais" and project.get("version"):
            return str(project["version"])
    try:
        return metadata.version("ais")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str:
    """The short commit of the checkout this code runs from (``git rev-parse --short HEAD``), else
    $AIS_GIT_COMMIT (an image built from a tree without .git can set it), else ``unknown``."""
    try:
        done = subprocess.run(["git", "-C", str(SOURCE_ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return os.environ.get("AIS_GIT_COMMIT", "").strip() or "unknown"


def version_text() -> str:
    return f"ais {package_version()} (commit {git_commit()})"


class _VersionAction(argparse.Action):
    """``--version``: computed when asked for (git runs only then), printed on stdout."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(version_text())
        parser.exit()


def default_log_format(environ: dict[str, str] | None = None) -> str:
    """$AIS_LOG_FORMAT; else ``json`` inside a Kubernetes pod or an Airflow task (their log
    collectors read stderr); else ``human``."""
    env = os.environ if environ is None else environ
    chosen = env.get("AIS_LOG_FORMAT", "").strip().lower()
    if chosen in LOG_FORMATS:
        return chosen
    return "json" if env.get("KUBERNETES_SERVICE_HOST") or env.get("AIRFLOW_CTX_DAG_ID") else "human"


def log_file_path(root: Path, command: str, now: dt.datetime | None = None) -> Path:
    """``<root>/var/log/<command>-<YYYYmmddTHHMMSSZ>-<pid>.jsonl``: one file per run."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return root / LOG_DIR / f"{command}-{stamp}-{os.getpid()}.jsonl"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ais", description="AIS: PM2.5 data platform for Hanoi")
    parser.add_argument("--version", action=_VersionAction, help="print the version and the git commit, then exit")
    parser.add_argument("--config", help="config file (default: $HANOI_PIPELINE_CONFIG or "
                                         "config/hanoi_pipeline.yaml)")
    parser.add_argument("--log-format", choices=LOG_FORMATS,
                        help="human: JSON logs to var/log/<command>-<time>-<pid>.jsonl, progress, warnings and "
                             "errors as text on stderr; json: JSON logs on stderr (default: $AIS_LOG_FORMAT, "
                             "else json in a Kubernetes pod or an Airflow task, else human)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log = get_logger("cli")
    log_format = args.log_format or default_log_format()
    route(log_format)
    log_file: Path | None = None
    try:
        settings: Settings = load_settings(args.config)
        configure(settings.runtime("log_level"))
        if log_format == "human":
            log_file = _open_log_file(settings, args.command)
        return int(args.func(settings, args))
    except AisError as exc:  # the exit code of each error: ais.errors
        log.error(exc.event, command=args.command, error=str(exc), status="failed")
        if log_file is not None and exc.exit_code != EXIT_USAGE:
            sys.stderr.write(f"(the JSON log of this run: {log_file})\n")
        return exc.exit_code
    except KeyboardInterrupt:
        log.info("interrupted", command=args.command, status="interrupted")
        return EXIT_INTERRUPTED
    finally:
        close_file()
        route("json")  # a caller in the same process (tests) gets the library default back


def _open_log_file(settings: Settings, command: str) -> Path | None:
    """Route the JSON lines to this run's file under var/log/; a folder that cannot be written
    keeps them on stderr (said once)."""
    path = log_file_path(settings.project_root, command)
    try:
        route("human", path)
    except OSError as exc:
        route("json")
        get_logger("cli").warning("log_file_unwritable", path=str(path), error=str(exc))
        return None
    get_logger("cli").info("run_started", command=command, argv=sys.argv[1:])
    return path


if __name__ == "__main__":
    sys.exit(main())
