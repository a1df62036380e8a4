"""Spark fixtures: one local session for the whole run; each test gets its own Iceberg catalog
(its own SQLite file and warehouse), registered on the running session."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ais.catalog import ensure_tables, spark_catalog_conf
from ais.config import Settings, load_settings
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env


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
