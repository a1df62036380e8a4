"""Shared fixtures: settings pointing at a private catalog and warehouse under tmp_path."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ais.catalog import ensure_tables, spark_catalog_conf
from ais.config import Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = PROJECT_ROOT / "config" / "hanoi_pipeline.yaml"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def isolated_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment overrides that give a test its own catalog, warehouse, landing and artifacts."""
    env = {
        "ICEBERG_CATALOG_URI": f"jdbc:sqlite:{root}/iceberg_catalog.db",
        "ICEBERG_WAREHOUSE": str(root / "warehouse"),
        "MODEL_ARTIFACT_BASE_URI": str(root / "models"),
        "LANDING_DIR": str(root / "landing"),
        "CHECKPOINT_BASE": str(root / "checkpoints"),
        "INGEST_STATE_DIR": str(root / "ingest-state"),
    }
    env.update(extra)
    return env


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """make_settings(**env) -> Settings over the repo config with an isolated storage root."""

    def factory(**extra: str) -> Settings:
        return load_settings(CONFIG_PATH, environ=isolated_env(tmp_path, **extra))

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


def _jars_present() -> bool:
    return any((PROJECT_ROOT / "jvm" / "lib").glob("iceberg-spark-runtime-*.jar"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not _jars_present():
        pytest.fail("jvm/lib has no Iceberg runtime jar: run `make setup` (scripts/setup.sh jars)")
    from ais.spark.session import get_spark

    root = tmp_path_factory.mktemp("spark-session")
    session = get_spark(load_settings(CONFIG_PATH, environ=isolated_env(root)), app_name="ais-tests")
    yield session
    session.stop()


@pytest.fixture
def spark_settings(spark: Any, tmp_path: Path) -> Callable[..., Settings]:
    """spark_settings(**env) -> Settings with a catalog of its own, known to the running session,
    with every table created."""

    def factory(**extra: str) -> Settings:
        name = "t" + uuid.uuid4().hex[:10]
        settings = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path, ICEBERG_CATALOG=name, **extra))
        for key, value in spark_catalog_conf(settings).items():
            spark.conf.set(key, value)
        ensure_tables(settings)
        return settings

    return factory
