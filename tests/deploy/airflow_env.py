"""Running the Airflow virtual environment from the tests (it is separate from .venv)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

AIRFLOW_BIN = PROJECT_ROOT / ".venv-airflow" / "bin"
DAGS = PROJECT_ROOT / "airflow" / "dags"
PROBE = Path(__file__).parent / "airflow_probe.py"
MARKER = "AIS_PROBE_JSON "


def require_airflow() -> None:
    if not (AIRFLOW_BIN / "airflow").is_file():
        pytest.fail("the Airflow virtual environment is missing: run `scripts/setup.sh airflow` (or `make setup`)")


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment for Airflow: its own home and SQLite database, our DAG folder."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING", **extra}


def probe(home: Path, conf: dict[str, Any], interval_end: str, **env: str) -> dict[str, Any]:
    require_airflow()
    done = subprocess.run([str(AIRFLOW_BIN / "python"), str(PROBE), str(DAGS), json.dumps(conf), interval_end],
                          capture_output=True, text=True, env=airflow_env(home, **env), check=False, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(lines[-1][len(MARKER):])
    return result
