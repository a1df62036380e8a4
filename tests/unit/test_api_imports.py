"""The API does not import the ML package (issue 17 item 5): the serving image runs without it."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import ais.api.app
print(json.dumps(sorted(m for m in sys.modules if m.startswith("ais"))))
"""


def test_importing_the_api_app_imports_no_ais_ml_module() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "ais.api.app" in loaded
    assert "ais.aqi" in loaded  # the VN_AQI helpers the API serves come from outside ais.ml
    assert [m for m in loaded if m == "ais.ml" or m.startswith("ais.ml.")] == []
