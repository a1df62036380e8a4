"""What the commands print for the user: results on stdout as one JSON document (logs go to stderr
or to the run's log file, progress lines to stderr: ais.jsonlog, ais.progress)."""

from __future__ import annotations

import json
import sys


def print_json(value: object) -> None:
    """Results for the user go to stdout as one JSON document; logs go to stderr."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()
