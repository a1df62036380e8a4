"""Shared fixtures: settings pointing at a private catalog and warehouse under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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
