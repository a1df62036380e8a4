"""The embedded demo chain, run once per test session and shared (it takes minutes): the tracer
checks its tables and reruns it; the dashboard's browser test serves and opens it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest

from ais.catalog import ensure_tables, spark_catalog_conf
from ais.config import Settings, load_settings
from tests.conftest import CONFIG_PATH, isolated_env

DEMO_END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DEMO_SPAN_DAYS = 21


@dataclasses.dataclass(frozen=True)
class DemoChain:
    settings: Settings
    start: dt.datetime
    end: dt.datetime
    result: Any  # ais.pipeline.ChainResult of the first run


@pytest.fixture(scope="session")
def demo_chain(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> DemoChain:
    """``ais demo``'s chain (ais.pipeline.run_chain) over DEMO_SPAN_DAYS days ending at DEMO_END,
    in a catalog of its own known to the session's Spark."""
    from ais.pipeline import run_chain

    root = tmp_path_factory.mktemp("demo-chain")
    settings = load_settings(CONFIG_PATH, environ=isolated_env(root, ICEBERG_CATALOG="demo" + uuid.uuid4().hex[:8]))
    for key, value in spark_catalog_conf(settings).items():
        spark.conf.set(key, value)
    ensure_tables(settings)
    start = DEMO_END - dt.timedelta(days=DEMO_SPAN_DAYS)
    return DemoChain(settings, start, DEMO_END, run_chain(settings, start, DEMO_END))
