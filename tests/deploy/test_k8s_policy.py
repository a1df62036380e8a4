"""Policies every rendered overlay must hold (CONTRACTS.md §7, seed 001 §4, §13, §14)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import CONFIG_PATH
from tests.deploy.conftest import BASE, DEPLOY, OVERLAYS, by_kind_name, pod_spec

OverlayObjects = dict[str, list[dict[str, Any]]]

IMAGE_TAGS = {"base": "0.1.0", "dev": "dev-20261121", "prod": "0.1.0"}
# the NameNode (host:port) each overlay's ConfigMap names: prod keeps the base's example host
NAMENODES = {"base": "namenode.storage.example.internal:8020", "dev": "storage-host.example.internal:8020",
             "prod": "namenode.storage.example.internal:8020"}
OUR_IMAGES = {"ais-spark-runtime", "ais-ml-runtime", "ais-pm25-api"}

# CONTRACTS.md §1: the non-secret environment every AIS pod gets from the ConfigMap.
CONTRACT_ENV = """
KAFKA_BOOTSTRAP_SERVERS HDFS_NAMENODE HDFS_WEBHDFS_BASE ICEBERG_CATALOG ICEBERG_CATALOG_URI
ICEBERG_WAREHOUSE CASSANDRA_HOST MODEL_ARTIFACT_BASE_URI HANOI_PIPELINE_CONFIG FEATURE_VERSION
FEATURE_SET_NAME DATASET_VERSION LOCATION_ID LOCATION_NAME MODEL_TYPE MODEL_OUTPUT_DIR
TRAINING_TABLE MODEL_RUNS_TABLE MODEL_REGISTRY_TABLE SERVING_FEATURE_TABLE PREDICTION_TABLE
SOURCE_TABLE TARGET_TABLE AIRFLOW_K8S_NAMESPACE AIRFLOW_K8S_SERVICE_ACCOUNT
SPARK_K8S_MASTER SPARK_K8S_NAMESPACE SPARK_DRIVER_SERVICE_ACCOUNT SPARK_IMAGE
SPARK_EXECUTOR_INSTANCES SPARK_EXECUTOR_MEMORY SPARK_EXECUTOR_CORES SPARK_DRIVER_MEMORY
API_PORT READY_TIMEOUT_SECONDS FEATURE_FRESHNESS_MAX_MINUTES PREDICTION_FRESHNESS_MAX_MINUTES PM25_API_BASE_URL
""".split()
SECRET_ENV = {"WEATHER_API_KEY", "OPENAQ_API_KEY", "CDSE_USERNAME", "CDSE_PASSWORD", "CDS_KEY", "EARTHDATA_TOKEN",
              "ICEBERG_JDBC_USER", "ICEBERG_JDBC_PASSWORD", "OBJECT_STORE_ACCESS_KEY", "OBJECT_STORE_SECRET_KEY"}
# runtime keys that only the embedded profile uses (local Spark master and memory, the landing-file bus)
EMBEDDED_ONLY = {"SPARK_MASTER", "SPARK_LOCAL_MEMORY", "LANDING_DIR"}
# runtime keys whose configured default is also the cluster's value (empty: ais-traj's own engine)
CLUSTER_KEEPS_DEFAULT = {"HYSPLIT_EXEC"}
# runtime keys of the ingest adapters, which run outside the compute layer in this phase
INGEST_ONLY = {"INGEST_STATE_DIR", "WEATHERAPI_BASE_URL", "OPENAQ_BASE_URL", "CDSE_TOKEN_URL",
               "CDSE_ODATA_BASE_URL", "CDSE_DOWNLOAD_BASE_URL", "CMR_BASE_URL", "CDS_API_BASE_URL"}

# Least privilege: (apiGroup, resource) -> the verbs a Role may grant, and nothing else.
RBAC_ALLOWED: dict[str, dict[tuple[str, str], set[str]]] = {
    "spark": {
        ("", "pods"): {"create", "get", "list", "watch", "delete", "deletecollection", "patch"},
        ("", "services"): {"create", "patch", "delete"},
        ("", "configmaps"): {"create", "patch", "delete", "deletecollection"},
    },
    "ais-airflow-launcher": {
        ("", "pods"): {"create", "get", "list", "watch", "delete", "patch"},
        ("", "pods/log"): {"get"},
        ("", "events"): {"list"},
        ("batch", "jobs"): {"create", "get", "list", "watch", "delete"},
        ("batch", "jobs/status"): {"get"},
    },
    "ais-checks-reader": {
        ("", "pods"): {"get", "list"},
        ("batch", "jobs"): {"get", "list"},
        ("batch", "cronjobs"): {"get", "list"},
    },
}
ROLE_SUBJECTS = {"spark": "spark", "ais-airflow-launcher": "airflow", "ais-checks-reader": "ais-checks"}

HOST_PATTERNS = [
    re.compile(r"[a-z][a-z0-9+.-]*://"),
    re.compile(r"\b(?!0\.0\.0\.0\b)\d{1,3}(\.\d{1,3}){3}\b"),  # 0.0.0.0 is "every address", not a host
    re.compile(r"\blocalhost\b"),
    re.compile(r"\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(internal|local|svc|cluster|example|com|org|net|io|vn|cloud|lan)\b"),
]
# fields whose values are names of API groups or images, not hosts
NOT_HOST_FIELDS = {"apiVersion", "apiGroup", "apiGroups", "image"}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return [] if spec is None else [*spec.get("initContainers", []), *spec["containers"]]


def workloads(objects: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (o for o in objects if pod_spec(o) is not None)


def quantity(value: str | int) -> float:
    """A Kubernetes quantity as a number (cpu in cores, memory in bytes)."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("labels", "annotations", "matchLabels", "selector") and isinstance(v, dict):
                continue
            yield from strings(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item, key)
    elif isinstance(node, str):
        yield key, node


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_container_has_requests_and_limits(rendered: OverlayObjects, overlay: str) -> None:
    for obj in workloads(rendered[overlay]):
        for c in containers(obj):
            resources = c.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), (obj["metadata"]["name"], c["name"], kind)
            for res in ("cpu", "memory"):
                assert quantity(resources["limits"][res]) >= quantity(resources["requests"][res])


def test_api_resources_probes_and_service(rendered: OverlayObjects) -> None:
    objects = by_kind_name(rendered["base"])
    api = objects[("Deployment", "pm25-api")]["spec"]["template"]["spec"]["containers"][0]
    assert api["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                "limits": {"cpu": "500m", "memory": "512Mi"}}
    assert api["ports"] == [{"name": "http", "containerPort": 8080}]
    assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    config = objects[("ConfigMap", "ais-runtime-config")]["data"]
    assert config["API_PORT"] == "8080"
    # the kubelet waits longer than the API's own readiness budget, so /readyz names the failure
    assert api["readinessProbe"]["timeoutSeconds"] > float(config["READY_TIMEOUT_SECONDS"])
    assert api["command"] == ["ais", "serve", "--host", "0.0.0.0"]
    service = objects[("Service", "pm25-api")]["spec"]
    assert service["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert service["selector"] == {"app.kubernetes.io/name": "pm25-api"}
    pod_labels = objects[("Deployment", "pm25-api")]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= pod_labels.items()
    assert config["PM25_API_BASE_URL"] == "http://pm25-api.ais.svc.cluster.local"


def test_training_gets_more_than_inference(rendered: OverlayObjects) -> None:
    for overlay in OVERLAYS:
        objects = by_kind_name(rendered[overlay])
        train = containers(objects[("Job", "pm25-train")])[0]["resources"]
        predict = containers(objects[("CronJob", "pm25-predict")])[0]["resources"]
        for kind in ("requests", "limits"):
            for res in ("cpu", "memory"):
                assert quantity(train[kind][res]) > quantity(predict[kind][res]), (overlay, kind, res)


def test_predict_cronjob_policy(rendered: OverlayObjects) -> None:
    for overlay in OVERLAYS:
        cron = by_kind_name(rendered[overlay])[("CronJob", "pm25-predict")]["spec"]
        assert cron["schedule"] == "15 * * * *"
        assert cron["concurrencyPolicy"] == "Forbid"
        assert cron["successfulJobsHistoryLimit"] == 3
        assert cron["failedJobsHistoryLimit"] == 5
        assert cron["jobTemplate"]["spec"]["backoffLimit"] in (1, 2)
        assert cron["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert containers({"kind": "CronJob", "spec": cron})[0]["args"] == [
            "--model-status", "production", "--dry-run", "0", "--max-feature-age-minutes", "180"]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_pods_run_as_non_root_without_privilege(rendered: OverlayObjects, overlay: str) -> None:
    for obj in workloads(rendered[overlay]):
        spec = pod_spec(obj)
        assert spec is not None
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True, obj["metadata"]["name"]
        assert security["runAsUser"] > 0
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in containers(obj):
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_images_are_ours_and_pinned(rendered: OverlayObjects, overlay: str) -> None:
    seen = set()
    for obj in workloads(rendered[overlay]):
        for c in containers(obj):
            name, _, tag = c["image"].rpartition(":")
            assert name in OUR_IMAGES, c["image"]
            assert tag == IMAGE_TAGS[overlay] and tag != "latest", c["image"]
            seen.add(name)
    assert seen == OUR_IMAGES


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_spark_image_follows_the_pinned_submitter_image(rendered: OverlayObjects, overlay: str) -> None:
    objects = by_kind_name(rendered[overlay])
    submitter = containers(objects[("Job", "spark-submit-template")])[0]
    assert objects[("ConfigMap", "ais-runtime-config")]["data"]["SPARK_IMAGE"] == submitter["image"]
    assert submitter["image"] == f"ais-spark-runtime:{IMAGE_TAGS[overlay]}"


def test_spark_submitter_and_pod_template() -> None:
    template = yaml.safe_load((BASE / "spark" / "spark-pod-template.yaml").read_text())
    container = template["spec"]["containers"][0]
    assert {e.get("configMapRef", {}).get("name") or e["secretRef"]["name"] for e in container["envFrom"]} == {
        "ais-runtime-config", "ais-runtime-secrets"}
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}


def test_one_off_jobs_are_suspended_templates(rendered: OverlayObjects) -> None:
    jobs = [o for o in rendered["base"] if o["kind"] == "Job"]
    assert {j["metadata"]["name"] for j in jobs} == {"spark-submit-template", "pm25-train", "pm25-predict",
                                                     "pm25-serving-check"}
    for job in jobs:
        assert job["spec"]["suspend"] is True
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    objects = by_kind_name(rendered["base"])
    assert containers(objects[("Job", "pm25-serving-check")])[0]["command"] == ["ais", "check", "--check", "all"]
    assert containers(objects[("Job", "pm25-predict")])[0]["args"][:4] == [
        "--model-status", "production", "--dry-run", "1"]
    submitter = objects[("Job", "spark-submit-template")]["spec"]["template"]["spec"]
    assert submitter["serviceAccountName"] == "spark"
    assert submitter["containers"][0]["command"] == ["/opt/ais/scripts/submit_spark_k8s.sh"]


def test_service_accounts_and_tokens(rendered: OverlayObjects) -> None:
    objects = by_kind_name(rendered["base"])
    accounts = {name: o for (kind, name), o in objects.items() if kind == "ServiceAccount"}
    assert set(accounts) == {"airflow", "ais-runtime", "ais-checks", "spark"}
    assert accounts["ais-runtime"]["automountServiceAccountToken"] is False
    runtime_workloads = (("Deployment", "pm25-api"), ("Job", "pm25-train"), ("CronJob", "pm25-predict"),
                         ("Job", "pm25-predict"))
    for key in runtime_workloads:
        spec = pod_spec(objects[key])
        assert spec is not None
        assert spec["serviceAccountName"] == "ais-runtime" and spec["automountServiceAccountToken"] is False
    check = pod_spec(objects[("Job", "pm25-serving-check")])
    assert check is not None and check["serviceAccountName"] == "ais-checks"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_rbac_is_least_privilege(rendered: OverlayObjects, overlay: str) -> None:
    objects = rendered[overlay]
    assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    roles = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Role"}
    assert set(roles) == set(RBAC_ALLOWED)
    for name, role in roles.items():
        assert role["metadata"]["namespace"] == "ais"
        granted: dict[tuple[str, str], set[str]] = {}
        for rule in role["rules"]:
            assert "resourceNames" not in rule and "nonResourceURLs" not in rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    assert "*" not in (group, resource) and "*" not in rule["verbs"]
                    granted.setdefault((group, resource), set()).update(rule["verbs"])
        # no wider than the allowlist, and exactly what the clients need
        assert granted == RBAC_ALLOWED[name], name
    bindings = {o["metadata"]["name"]: o for o in objects if o["kind"] == "RoleBinding"}
    for name, subject in ROLE_SUBJECTS.items():
        binding = bindings[name]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": subject, "namespace": "ais"}]


def test_rbac_grants_what_the_contract_names(rendered: OverlayObjects) -> None:
    """The issue's minimum: spark creates and deletes pods, services and configmaps and watches pods;
    Airflow creates and watches jobs and pods and reads their logs."""
    spark, airflow = RBAC_ALLOWED["spark"], RBAC_ALLOWED["ais-airflow-launcher"]
    for resource in ("pods", "services", "configmaps"):
        assert {"create", "delete"} <= spark[("", resource)]
    assert {"get", "list", "watch"} <= spark[("", "pods")]
    assert {"create", "watch"} <= airflow[("", "pods")] and {"create", "watch"} <= airflow[("batch", "jobs")]
    assert airflow[("", "pods/log")] == {"get"}


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_no_host_name_outside_the_configmap(rendered: OverlayObjects, overlay: str) -> None:
    offenders = []
    for obj in rendered[overlay]:
        if (obj["kind"], obj["metadata"]["name"]) == ("ConfigMap", "ais-runtime-config"):
            continue
        for key, value in strings(obj):
            if key in NOT_HOST_FIELDS:
                continue
            if any(p.search(value) for p in HOST_PATTERNS):
                offenders.append((obj["kind"], obj["metadata"]["name"], key, value))
    assert offenders == []


def test_host_check_catches_a_host() -> None:
    env = {"env": [{"name": "KAFKA_BOOTSTRAP_SERVERS", "value": "kafka-0.kafka.storage.svc:9092"}]}
    assert any(p.search(v) for _, v in strings(env) for p in HOST_PATTERNS)


def endpoint_hosts(key: str, value: str) -> list[str]:
    """The host names a ConfigMap value points at."""
    if key in ("KAFKA_BOOTSTRAP_SERVERS", "CASSANDRA_HOST"):
        return [part.strip().rsplit(":", 1)[0] for part in value.split(",") if part.strip()]
    if "://" in value:
        url = value.removeprefix("jdbc:").removeprefix("k8s://")
        host = urlsplit(url).hostname
        return [host] if host else []  # file:///... names no host
    return []


def test_configmap_example_hosts_are_examples(rendered: OverlayObjects) -> None:
    """Storage hosts are obviously examples; the rest are cluster-internal service names."""
    for overlay in OVERLAYS:
        data = by_kind_name(rendered[overlay])[("ConfigMap", "ais-runtime-config")]["data"]
        hosts = {key: endpoint_hosts(key, value) for key, value in data.items()}
        assert hosts["KAFKA_BOOTSTRAP_SERVERS"] and hosts["ICEBERG_CATALOG_URI"] and hosts["HDFS_NAMENODE"]
        for key, names in hosts.items():
            for host in names:
                assert host.endswith((".example.internal", ".svc", ".svc.cluster.local")), (overlay, key, host)
        assert hosts["SPARK_K8S_MASTER"] == ["kubernetes.default.svc"]


def test_configmap_has_every_runtime_setting(rendered: OverlayObjects) -> None:
    config = yaml.safe_load(CONFIG_PATH.read_text())
    runtime = {k.upper() for k in config["runtime"]}
    aliases = set(config.get("env_aliases", {}))
    for overlay in OVERLAYS:
        data = by_kind_name(rendered[overlay])[("ConfigMap", "ais-runtime-config")]["data"]
        assert set(CONTRACT_ENV) <= set(data)
        # a new runtime key needs a decision for the cluster: a ConfigMap value, or one of the sets above
        assert runtime - EMBEDDED_ONLY - CLUSTER_KEEPS_DEFAULT - INGEST_ONLY <= set(data)
        # besides runtime keys: the config file's path, and the HDFS identity the Hadoop client and
        # hdfs-native read (Spark jobs and ML pods write the same warehouse as one user)
        assert set(data) <= runtime | aliases | {"HANOI_PIPELINE_CONFIG", "HADOOP_USER_NAME"}, set(data) - runtime
        assert data["HADOOP_USER_NAME"] == "ais"
        assert not SECRET_ENV & set(data)
        assert data["ICEBERG_CATALOG"] == "ais" and data["SPARK_K8S_NAMESPACE"] == "ais"
        assert data["SPARK_DRIVER_SERVICE_ACCOUNT"] == "spark" and data["AIRFLOW_K8S_SERVICE_ACCOUNT"] == "airflow"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_hdfs_uris_are_on_the_overlays_namenode(rendered: OverlayObjects, overlay: str) -> None:
    """Every hdfs:// value follows HDFS_NAMENODE, so an overlay that moves the NameNode moves the
    warehouse, the raw store and the model artifacts with it."""
    data = by_kind_name(rendered[overlay])[("ConfigMap", "ais-runtime-config")]["data"]
    namenode = urlsplit(data["HDFS_NAMENODE"])
    assert (namenode.scheme, namenode.netloc) == ("hdfs", NAMENODES[overlay])
    hdfs_values = {key: urlsplit(value) for key, value in data.items() if value.startswith("hdfs://")}
    assert {"ICEBERG_WAREHOUSE", "RAW_STORE_URI", "MODEL_ARTIFACT_BASE_URI"} <= set(hdfs_values)
    assert {key: uri.netloc for key, uri in hdfs_values.items()} == dict.fromkeys(hdfs_values, NAMENODES[overlay])
    assert data["MODEL_ARTIFACT_BASE_URI"] == f"hdfs://{NAMENODES[overlay]}/ais/models"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_no_pod_mounts_a_claim(rendered: OverlayObjects, overlay: str) -> None:
    """Artifacts are read and written by URI (ais.storage), so no claim exists and no pod mounts one;
    the ML pods' one volume is the scratch /tmp that a read-only root file system needs."""
    objects = rendered[overlay]
    assert not [o["metadata"]["name"] for o in objects if o["kind"] in ("PersistentVolumeClaim", "PersistentVolume")]
    for obj in workloads(objects):
        spec = pod_spec(obj)
        assert spec is not None
        assert [v for v in spec.get("volumes", []) if "persistentVolumeClaim" in v] == [], obj["metadata"]["name"]
    by_key = by_kind_name(objects)
    for key in (("Job", "pm25-train"), ("CronJob", "pm25-predict"), ("Job", "pm25-predict")):
        spec = pod_spec(by_key[key])
        assert spec is not None
        assert spec["volumes"] == [{"name": "tmp", "emptyDir": {}}], key
        c = containers(by_key[key])[0]
        assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}], key
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "HOME", "value": "/tmp"} in c["env"]


def test_example_secret_has_keys_and_no_value() -> None:
    secret = yaml.safe_load((BASE / "secret.example.yaml").read_text())
    assert secret["metadata"]["name"] == "ais-runtime-secrets"
    assert set(secret["stringData"]) == SECRET_ENV
    assert all(v == "" for v in secret["stringData"].values())
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]


def test_overlays_only_patch(rendered: OverlayObjects) -> None:
    for name in ("dev", "prod"):
        k = yaml.safe_load((DEPLOY / "overlays" / name / "kustomization.yaml").read_text())
        assert k["resources"] == ["../../k8s"]
        assert set(k) <= {"apiVersion", "kind", "resources", "images", "patches", "replacements"}
    dev, prod = by_kind_name(rendered["dev"]), by_kind_name(rendered["prod"])
    assert dev[("Deployment", "pm25-api")]["spec"]["replicas"] == 1
    assert prod[("Deployment", "pm25-api")]["spec"]["replicas"] == 3
    assert dev[("ConfigMap", "ais-runtime-config")]["data"]["KAFKA_BOOTSTRAP_SERVERS"] == \
        "storage-host.example.internal:9092"
    assert prod[("ConfigMap", "ais-runtime-config")]["data"]["SPARK_EXECUTOR_INSTANCES"] == "4"
