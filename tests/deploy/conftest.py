"""Fixtures of the deployment tests: the rendered kustomize overlays and the cluster-profile settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
BASE = DEPLOY / "k8s"
OVERLAYS = {"base": BASE, "dev": DEPLOY / "overlays" / "dev", "prod": DEPLOY / "overlays" / "prod"}
AIRFLOW_VENV_PYTHON = PROJECT_ROOT / ".venv-airflow" / "bin" / "python"

# What the cluster profile looks like to the submit generator: the ConfigMap's example values.
CLUSTER_ENV = {
    "SPARK_K8S_MASTER": "k8s://https://kubernetes.default.svc:443",
    "SPARK_IMAGE": "ais-spark-runtime:0.1.0",
    "SPARK_K8S_NAMESPACE": "ais",
    "SPARK_DRIVER_SERVICE_ACCOUNT": "spark",
    "SPARK_EXECUTOR_INSTANCES": "2",
    "SPARK_EXECUTOR_MEMORY": "2g",
    "SPARK_EXECUTOR_CORES": "1",
    "SPARK_DRIVER_MEMORY": "1g",
    "SPARK_SHUFFLE_PARTITIONS": "8",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-0.storage.example.internal:9092",
    "HDFS_NAMENODE": "hdfs://namenode.storage.example.internal:8020",
    "ICEBERG_CATALOG": "ais",
    "ICEBERG_CATALOG_URI": "jdbc:postgresql://postgres.storage.example.internal:5432/iceberg_catalog",
    "ICEBERG_WAREHOUSE": "hdfs://namenode.storage.example.internal:8020/ais/warehouse",
    "CHECKPOINT_BASE": "hdfs://namenode.storage.example.internal:8020/ais/checkpoints",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes minutes (still part of `make test`)")


def kustomize(path: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (with kustomize) is required for the deployment tests")
    done = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Every overlay rendered once per session: name -> list of objects."""
    return {name: kustomize(path) for name, path in OVERLAYS.items()}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload object, or None for objects without pods."""
    kind = obj["kind"]
    if kind == "Pod":
        return obj["spec"]
    if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        return obj["spec"]["template"]["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def by_kind_name(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}
