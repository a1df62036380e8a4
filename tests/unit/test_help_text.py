"""Every --help says what the code does today, and every program prints its version and commit.

The Python side walks the real parser (every command and subcommand) and runs the installed
``ais`` once as a user would; the C side runs the binaries under build/native (skipped with a
message when they are not built: `make build`)."""

from __future__ import annotations

import argparse
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ais.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
AIS = ROOT / ".venv" / "bin" / "ais"
NATIVE = ROOT / "build" / "native"
# text that says the code is not there (yet)
STALE = ("not implemented", "not yet", "todo", "unimplemented")
INGEST_COMMANDS = ("config-dump", "topics", "openaq", "weather", "sentinel5p", "maiac", "era5")
TRAJ_COMMANDS = ("run", "simulate-met", "parse-tdump", "arl-info", "met-from-era5")


def pyproject_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def head_commit() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def stale_phrases(text: str) -> list[str]:
    lowered = text.lower()
    return [phrase for phrase in STALE if phrase in lowered]


def binary(name: str) -> Path:
    path = NATIVE / name
    if not path.is_file():
        pytest.skip(f"{path} is not built (run `make build`)")
    return path


def test_every_ais_help_is_free_of_stale_text() -> None:
    found = dict(parsers(build_parser()))
    # the walk reaches every command module's parsers, nested ones included
    assert {("demo",), ("train",), ("ml", "backtest"), ("chain",), ("serve",), ("check",), ("job",)} <= set(found)
    assert len(found) > 30
    stale = {" ".join(path) or "ais": stale_phrases(p.format_help()) for path, p in found.items()}
    assert {k: v for k, v in stale.items() if v} == {}


def test_stale_phrases_are_found() -> None:
    assert stale_phrases("live mode is Not Implemented in this build") == ["not implemented"]
    assert stale_phrases("reads AirNow files") == []


def test_installed_ais_help_and_version() -> None:
    done = subprocess.run([str(AIS), "demo", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ais demo") and "--no-serve" in done.stdout
    assert stale_phrases(done.stdout) == []
    done = subprocess.run([str(AIS), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ais {pyproject_version()} (commit {head_commit()})\n"


@pytest.mark.parametrize("argv", [("--help",), *[(c, "--help") for c in INGEST_COMMANDS], ("topics", "-h")])
def test_ais_ingest_help(argv: tuple[str, ...]) -> None:
    done = subprocess.run([str(binary("ais-ingest")), *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:\n  ais-ingest config-dump")
    assert "--mode live" in done.stdout and "sentinel5p|maiac|era5 --mode simulate|replay" in done.stdout
    assert stale_phrases(done.stdout) == []


@pytest.mark.parametrize("argv", [("--help",), *[(c, "--help") for c in TRAJ_COMMANDS]])
def test_ais_traj_help(argv: tuple[str, ...]) -> None:
    done = subprocess.run([str(binary("ais-traj")), *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:\n  ais-traj [run] --met FILE.arl")
    assert stale_phrases(done.stdout) == []


def head_commit_time() -> int:
    return int(subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True,
                              text=True, check=True).stdout.strip())


@pytest.mark.parametrize("name", ["ais-ingest", "ais-traj"])
def test_native_version_and_commit(name: str) -> None:
    path = binary(name)
    if path.stat().st_mtime < head_commit_time():
        pytest.skip(f"{path} was built before the last commit (run `make build`)")
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    match = re.fullmatch(rf"{name} (\d+\.\d+\.\d+) \(commit ([0-9a-f]+|unknown)\)\n", done.stdout)
    assert match is not None, done.stdout
    assert match.group(1) == pyproject_version()
    # built after HEAD's commit: the commit embedded at build time is HEAD's
    assert match.group(2) == head_commit()


def run_commit_script(src: Path, out: Path) -> str:
    subprocess.run(["cmake", f"-DSRC={src}", f"-DOUT={out}", "-P", str(ROOT / "native" / "cmake" / "git_commit.cmake")],
                   capture_output=True, text=True, check=True)
    return out.read_text()


def test_commit_header_from_git_or_unknown(tmp_path: Path) -> None:
    if subprocess.run(["cmake", "--version"], capture_output=True, check=False).returncode != 0:
        pytest.skip("cmake is not installed")
    header = tmp_path / "ais" / "git_commit.h"
    assert f'#define AIS_GIT_COMMIT "{head_commit()}"\n' in run_commit_script(ROOT, header)
    outside = tmp_path / "not-a-checkout"
    outside.mkdir()
    assert '#define AIS_GIT_COMMIT "unknown"\n' in run_commit_script(outside, header)
