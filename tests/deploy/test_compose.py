"""docker/compose.yaml: the storage layer only, with volumes, healthchecks and no default password.
`docker compose config` validates it where the Compose plugin is installed; the structure checks run
everywhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

DOCKER = PROJECT_ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
STORAGE = {"kafka", "namenode", "datanode", "cassandra", "postgres"}
REQUIRED_VAR = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]*\}")
ANY_VAR = re.compile(r"\$\{?([A-Z0-9_]+)")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def example_vars() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (DOCKER / "storage.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    return {k: v for k, v in pairs}


def compose_plugin() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0


def test_services_are_the_storage_layer() -> None:
    services = compose()["services"]
    assert set(services) == STORAGE | {"hdfs-volume-init"}
    assert not {"zookeeper", "spark-master", "spark-worker", "airflow-webserver"} & set(services)
    for name, service in services.items():
        image, _, tag = service["image"].rpartition(":")
        assert image and tag and tag != "latest", service["image"]
        if name in STORAGE:
            assert service["healthcheck"]["test"], name
            assert service["restart"] == "unless-stopped"
            assert any(not v.startswith(("./", "/")) for v in service["volumes"]), f"{name} needs a named volume"
    assert set(compose()["volumes"]) == {"kafka-data", "hdfs-namenode", "hdfs-datanode", "cassandra-data",
                                         "postgres-data"}


def test_kafka_runs_kraft_and_advertises_the_storage_host() -> None:
    env = compose()["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert "EXTERNAL://${AIS_STORAGE_ADVERTISED_HOST:?" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_datanode_publishes_and_advertises_its_data_port() -> None:
    datanode = compose()["services"]["datanode"]
    ports = [p.rsplit(":", 2)[-2:] for p in datanode["ports"]]
    assert ["9866", "9866"] in ports
    env = datanode["environment"]
    assert env["HDFS-SITE.XML_dfs.datanode.address"] == "0.0.0.0:9866"
    assert env["HDFS-SITE.XML_dfs.datanode.hostname"].startswith("${AIS_STORAGE_ADVERTISED_HOST:?")
    namenode = compose()["services"]["namenode"]["environment"]
    assert namenode["HDFS-SITE.XML_dfs.namenode.datanode.registration.ip-hostname-check"] == "false"


def test_no_default_password_and_every_variable_required() -> None:
    lines = [line.split(" #")[0] for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    used = set(ANY_VAR.findall(text))
    required = set(REQUIRED_VAR.findall(text))
    assert used == required, used - required  # no ${VAR} or ${VAR:-default} anywhere
    assert required == set(example_vars())
    assert all(v == "" for v in example_vars().values())  # the example has names, not values
    for service in compose()["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert REQUIRED_VAR.fullmatch(str(value)), (key, value)
    init = (DOCKER / "postgres" / "init-databases.sh").read_text()
    assert "CREATE DATABASE airflow" in init and "CREATE DATABASE iceberg_catalog" in init
    assert not re.search(r"PASSWORD\s+'[^:]", init)


def test_ports_bind_only_to_the_configured_address() -> None:
    for service in compose()["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("${AIS_STORAGE_BIND_ADDRESS:?"), port


def test_docker_compose_config(tmp_path: Path) -> None:
    if not compose_plugin():
        pytest.skip("the docker compose plugin is not installed here; the structure checks above ran instead")
    env_file = tmp_path / "storage.env"
    env_file.write_text("".join(f"{k}=test-{k.lower()}\n" for k in example_vars()))
    done = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env_file), "config", "-q"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"],
                             capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode != 0 and "AIS_" in missing.stderr
