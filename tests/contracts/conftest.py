"""The real AirNow files replayed once per test session through ais-ingest, bronze and the OpenAQ
silver into a catalog of their own; the contract tests read what this builds."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from ais.catalog import ensure_tables, spark_catalog_conf
from ais.config import Settings, load_settings
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from ais.spark.jobs.openaq_silver import run_openaq_silver
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, SHARED_DATA, isolated_env

AIRNOW = SHARED_DATA / "airnow-hanoi-pm25"
BINARY = PROJECT_ROOT / "build" / "native" / "ais-ingest"


@dataclass(frozen=True)
class AirNowSilver:
    settings: Settings
    ingest: dict[str, Any]  # ais-ingest's summary
    bronze: dict[str, Any]  # the bronze job's summary


@pytest.fixture(scope="session")
def airnow_silver(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> AirNowSilver:
    """2015-2019 replayed (2014-12-31 .. 2020-01-02 UTC) into bronze and silver."""
    if not AIRNOW.is_dir():
        pytest.skip(f"{AIRNOW} is absent: the real AirNow files live in ../shared/data (see SOURCES.md)")
    root = tmp_path_factory.mktemp("airnow")
    settings = load_settings(CONFIG_PATH, environ=isolated_env(root, ICEBERG_CATALOG="airnow" + uuid.uuid4().hex[:8]))
    for key, value in spark_catalog_conf(settings).items():
        spark.conf.set(key, value)
    ensure_tables(settings)
    out = subprocess.run(
        [str(BINARY), "openaq", "--mode", "replay", "--replay-dir", str(AIRNOW),
         "--start", "2014-12-31T00:00:00Z", "--end", "2020-01-02T00:00:00Z", "--sink", "landing",
         "--landing-dir", str(settings.runtime_path("landing_dir")),
         "--state-dir", str(settings.runtime_path("ingest_state_dir")), "--config", str(settings.path)],
        capture_output=True, text=True, check=True)
    ingest = json.loads(out.stdout.strip().splitlines()[-1])
    bronze = run_bronze(JobContext("bronze", settings, spark), "openaq")
    run_openaq_silver(JobContext("silver", settings, spark), Window.parse("2014-12-31", "2020-01-01"))
    return AirNowSilver(settings, ingest, bronze)
