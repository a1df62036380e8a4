"""The five remote APIs, simulated on loopback, for ``ais-ingest --mode live``.

``ais-provider-sim`` (C, native/src/provsim) writes what WeatherAPI, OpenAQ, the Copernicus Data
Space, NASA CMR/LP DAAC and the CDS would serve for a window, in their formats, with AIS's
simulated values; the fixture HTTP server (native/tests/fixtures/http_server.py, its ``sim``
scenario) plays those files. The live adapters then run their real path (requests, paging, token
exchanges, downloads to the shared store, the decoders) with ``--provider simulated``, so every
record they write carries source ``simulated``. Used by ``ais demo --ingest live-fixture`` (the
default of the cluster profile) and the tests.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from ais.config import Settings
from ais.jsonlog import get_logger
from ais.timeutil import iso_z

log = get_logger("simulated_providers")
PROVIDER_SIM_BINARY = Path("build") / "native" / "ais-provider-sim"
FIXTURE_SERVER = Path("native") / "tests" / "fixtures" / "http_server.py"
# the fixture server's own test credentials (it refuses anything else)
FIXTURE_SECRETS = {
    "WEATHER_API_KEY": "test-weather-key",
    "OPENAQ_API_KEY": "test-openaq-key",
    "CDSE_USERNAME": "test-user",
    "CDSE_PASSWORD": "test-password",
    "CDS_KEY": "test-cds-key",
    "EARTHDATA_TOKEN": "test-earthdata-token",
}


def whole_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) widened to whole UTC days (the providers publish by day)."""
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    last = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return first, last if last == end else last + dt.timedelta(days=1)


class SimulatedProviders:
    """A context: the window's simulated provider files in a scratch folder, the fixture server
    playing them; :meth:`environ` gives the endpoints and credentials for ``ais-ingest``. The
    folder and the server are gone after the ``with`` block."""

    def __init__(self, settings: Settings, start: dt.datetime, end: dt.datetime) -> None:
        self.settings = settings
        self.start, self.end = whole_days(start, end)
        self.folder: Path | None = None
        self.server: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.summary: dict[str, Any] = {}

    def open(self) -> dict[str, Any]:
        """Write the files and start the server; returns ais-provider-sim's summary."""
        try:
            self._generate()
            self._serve()
        except BaseException:
            self.close()
            raise
        return self.summary

    def __enter__(self) -> SimulatedProviders:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _generate(self) -> None:
        from ais.cli import JobError

        binary = self.settings.project_root / PROVIDER_SIM_BINARY
        if not binary.is_file():
            raise JobError(f"{binary} is missing: run `make build` first")
        scratch = self.settings.project_root / "var" / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="providers-", dir=scratch))
        cmd = [str(binary), "all", "--start", iso_z(self.start), "--end", iso_z(self.end),
               "--out", str(self.folder), "--config", str(self.settings.path)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              env=self.settings.child_environ())
        if done.returncode != 0:
            raise JobError(f"ais-provider-sim exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        self.summary = json.loads(done.stdout.strip().splitlines()[-1])
        log.info("provider_files_ready", folder=str(self.folder), window_start=self.start,
                 window_end=self.end, **{k: v for k, v in self.summary.items() if isinstance(v, dict)})

    def _serve(self) -> None:
        from ais.cli import JobError

        script = self.settings.project_root / FIXTURE_SERVER
        log_dir = self.settings.project_root / "var" / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        server_log = log_dir / "provider-fixture-server.log"
        with server_log.open("w") as err:
            self.server = subprocess.Popen([sys.executable, str(script), "--sim-dir", str(self.folder)],
                                           stdout=subprocess.PIPE, stderr=err, text=True)
        assert self.server.stdout is not None
        line = self.server.stdout.readline().strip()
        if not line.startswith("PORT "):
            raise JobError(f"the fixture server did not start: {line!r}; see {server_log}")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"
        log.info("provider_server_ready", base_url=self.base_url)

    def environ(self) -> dict[str, str]:
        """Endpoints (the ``runtime.*_base_url`` overrides) and the fixture's credentials."""
        base = self.base_url
        return {
            "WEATHERAPI_BASE_URL": f"{base}/weather/sim",
            "OPENAQ_BASE_URL": f"{base}/openaq/sim",
            "CDSE_TOKEN_URL": f"{base}/cdse/sim/token",
            "CDSE_ODATA_BASE_URL": f"{base}/cdse/sim/odata",
            "CDSE_DOWNLOAD_BASE_URL": f"{base}/cdse/sim/download",
            "CMR_BASE_URL": f"{base}/cmr/sim",
            "CDS_API_BASE_URL": f"{base}/cds/sim",
            **FIXTURE_SECRETS,
        }

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.communicate()
            self.server = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
