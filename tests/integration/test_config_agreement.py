"""The C loader (ais-ingest config-dump) and the Python loader agree on every key."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ais.config import load_settings
from tests.conftest import CONFIG_PATH, PROJECT_ROOT

BINARY = PROJECT_ROOT / "build" / "native" / "ais-ingest"
pytestmark = pytest.mark.native


def _c_dump(env: dict[str, str], config: Path | None = None) -> dict[str, object]:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: `make build` builds it before the Python tests")
    cmd = [str(BINARY), "config-dump"] + (["--config", str(config)] if config else [])
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    out = subprocess.run(cmd, env=base | env, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    return json.loads(out.stdout)


@pytest.mark.parametrize("env", [
    {},
    {"KAFKA_BOOTSTRAP_SERVERS": "broker-a.example:9092,broker-b.example:9092", "API_PORT": "9000",
     "LOCATION_ID": "", "OPENAQ_API_KEY": "secret-value", "READINESS_TIMEOUT_SECONDS": "9"},
    {"READINESS_TIMEOUT_SECONDS": "9", "READY_TIMEOUT_SECONDS": "4", "ICEBERG_WAREHOUSE": "hdfs://nn.example/w",
     "HANOI_PIPELINE_CONFIG": str(CONFIG_PATH)},
    {"KAFKA_TOPIC_PREFIX": "run42."},
], ids=["defaults", "overrides", "alias-and-config-env", "topic-prefix"])
def test_c_and_python_loaders_agree(env: dict[str, str]) -> None:
    c = _c_dump(env, CONFIG_PATH if "HANOI_PIPELINE_CONFIG" not in env else None)
    py = load_settings(CONFIG_PATH, environ=env).dump()
    assert c["project_root"] == py["project_root"]
    assert c["secrets"] == py["secrets"]
    assert c["values"] == py["values"]
    assert len(py["values"]) > 100  # every key, lists flattened, not a sample
    if "API_PORT" in env:
        assert c["values"]["runtime.api_port"] == "9000" and c["values"]["runtime.location_id"] == ""
        assert c["secrets"]["OPENAQ_API_KEY"] == "set"
        assert "secret-value" not in json.dumps(c)
    if "KAFKA_TOPIC_PREFIX" in env:
        assert c["values"]["kafka.topics.openaq"] == "run42.openaq-hourly"
        assert c["values"]["kafka.topics.dlq"] == "run42.ais-dlq"


def test_both_loaders_read_a_file_with_edge_cases(tmp_path: Path) -> None:
    cfg = tmp_path / "config" / "p.yaml"
    cfg.parent.mkdir()
    cfg.write_text(
        "runtime:\n  a_key: 'quoted: value'\n  empty: ''\n  num: 061\n  nested_list_owner: x\n"
        "lists:\n  deep: [[1, 2], {k: v}]\n  unicode: \"µg/m³\"\n"
        "env_aliases:\n  OTHER_NAME: a_key\nsecrets: [ONE_SECRET]\n", encoding="utf-8")
    env = {"OTHER_NAME": "from-alias", "EMPTY": "now-set"}
    c = _c_dump(env, cfg)
    py = load_settings(cfg, environ=env).dump()
    assert c == py
    assert py["values"]["runtime.a_key"] == "from-alias"
    assert py["values"]["lists.deep.0.1"] == "2" and py["values"]["lists.deep.1.k"] == "v"
    assert py["values"]["lists.unicode"] == "µg/m³" and py["values"]["runtime.num"] == "061"
