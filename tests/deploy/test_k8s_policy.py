"""Policies every rendered overlay must hold (CONTRACTS.md §7, seed 001 §4, §13, §14)."""

from __future__ import annotations

import ipaddress
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
              "ICEBERG_JDBC_USER", "ICEBERG_JDBC_PASSWORD", "OBJECT_STORE_ACCESS_KEY", "OBJECT_STORE_SECRET_KEY",
              "KAFKA_SASL_PASSWORD"}
# the providers' credentials: ais-ingest's alone
PROVIDER_KEYS = {"WEATHER_API_KEY", "OPENAQ_API_KEY", "CDSE_USERNAME", "CDSE_PASSWORD", "CDS_KEY", "EARTHDATA_TOKEN"}
CATALOG_AND_STORAGE = {"ICEBERG_JDBC_USER", "ICEBERG_JDBC_PASSWORD", "OBJECT_STORE_ACCESS_KEY",
                       "OBJECT_STORE_SECRET_KEY"}
# Per-workload Secrets (secret.example.yaml): name -> its keys. The API and the checks hold the
# read-only catalog login; ML and Spark the writer; ingest only its providers' keys (and Kafka's).
SECRET_KEYS = {
    "ais-api-secrets": CATALOG_AND_STORAGE,
    "ais-checks-secrets": CATALOG_AND_STORAGE,
    "ais-runtime-secrets": CATALOG_AND_STORAGE,
    "ais-spark-secrets": CATALOG_AND_STORAGE | {"KAFKA_SASL_PASSWORD"},
    "ais-ingest-secrets": PROVIDER_KEYS | {"KAFKA_SASL_PASSWORD"},
}
# workload (kind, name) -> the only Secrets its pods may reference; the Spark pod template is ("Pod", "spark")
WORKLOAD_SECRETS = {
    ("Deployment", "pm25-api"): {"ais-api-secrets"},
    ("Job", "pm25-serving-check"): {"ais-checks-secrets"},
    ("Job", "pm25-train"): {"ais-runtime-secrets"},
    ("CronJob", "pm25-predict"): {"ais-runtime-secrets"},
    ("Job", "pm25-predict"): {"ais-runtime-secrets"},
    ("Job", "spark-submit-template"): set(),
    ("Pod", "spark"): {"ais-spark-secrets"},
}
# the only pod whose root file system stays writable: Spark drivers and executors (the JVM and
# spark-submit's client write the Spark work dir and local dirs under the image; not yet proven
# to run read-only)
WRITABLE_ROOT = {("Pod", "spark")}
# runtime keys that only the embedded profile uses (local Spark master, memory and JVM options, the
# landing-file bus)
EMBEDDED_ONLY = {"SPARK_MASTER", "SPARK_LOCAL_MEMORY", "SPARK_LOCAL_JAVA_OPTIONS", "LANDING_DIR"}
# runtime keys whose configured default is also the cluster's value (empty: ais-traj's own engine)
CLUSTER_KEEPS_DEFAULT = {"HYSPLIT_EXEC"}
# runtime keys an image sets itself (its Dockerfile's ENV: where it put its own files), which the
# ConfigMap every pod gets must not override: the API image's copy of the built dashboard
IMAGE_SETS = {"DASHBOARD_DIR": "api"}
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
# the addresses of the network policies, named only in this ConfigMap (copied into ipBlock.cidr)
NETWORK_CONFIGMAP = "ais-network"


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
            if k == "matchExpressions":  # label keys such as app.kubernetes.io/component
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


def spark_pod_template() -> dict[str, Any]:
    template: dict[str, Any] = yaml.safe_load((BASE / "spark" / "spark-pod-template.yaml").read_text())
    return template


def pods(objects: list[dict[str, Any]]) -> Iterator[tuple[tuple[str, str], dict[str, Any], dict[str, str]]]:
    """Every pod the manifests make: (workload kind and name, pod spec, pod labels), the Spark pod
    template (drivers and executors) included as ("Pod", "spark")."""
    for obj in workloads(objects):
        spec = pod_spec(obj)
        assert spec is not None
        kind = obj["kind"]
        template = (obj["spec"]["jobTemplate"]["spec"]["template"] if kind == "CronJob" else obj["spec"]["template"])
        yield (kind, obj["metadata"]["name"]), spec, template["metadata"]["labels"]
    template = spark_pod_template()
    yield ("Pod", "spark"), template["spec"], template["metadata"]["labels"]


# Pod Security Standards, "restricted" (v1.32): the volume types it allows
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}


def restricted_violations(spec: dict[str, Any]) -> list[str]:
    """What in a pod spec the Pod Security "restricted" profile rejects (empty: it passes)."""
    found = []
    pod = spec.get("securityContext", {})
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            found.append(field)
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']}: {sorted(kinds)}")
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        sc = c.get("securityContext", {})
        name = c["name"]
        if sc.get("privileged"):
            found.append(f"{name}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation must be false")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            found.append(f"{name}: capabilities must drop ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities {caps['add']}")
        if not sc.get("runAsNonRoot", pod.get("runAsNonRoot")):
            found.append(f"{name}: runAsNonRoot must be true")
        if sc.get("runAsUser", pod.get("runAsUser")) == 0:
            found.append(f"{name}: runs as uid 0")
        seccomp = sc.get("seccompProfile", pod.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost, not {seccomp}")
        if c.get("ports") and any("hostPort" in port for port in c["ports"]):
            found.append(f"{name}: hostPort")
    return found


def test_the_namespace_enforces_restricted(rendered: OverlayObjects) -> None:
    for overlay in OVERLAYS:
        labels = by_kind_name(rendered[overlay])[("Namespace", "ais")]["metadata"]["labels"]
        for mode in ("enforce", "warn", "audit"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", (overlay, mode)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_pod_passes_restricted(rendered: OverlayObjects, overlay: str) -> None:
    seen = set()
    for key, spec, _ in pods(rendered[overlay]):
        seen.add(key)
        assert restricted_violations(spec) == [], key
        # and the fields spelt out on every pod and container, not inherited from an image
        assert spec["securityContext"]["runAsNonRoot"] is True, key
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in spec["containers"]:
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert "add" not in c["securityContext"]["capabilities"]
    assert seen == set(WORKLOAD_SECRETS)


def test_restricted_check_catches_violations(rendered: OverlayObjects) -> None:
    import copy

    api = pod_spec(by_kind_name(rendered["base"])[("Deployment", "pm25-api")])
    assert api is not None
    bad = copy.deepcopy(api)
    bad["hostNetwork"] = True
    bad["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}})
    container = bad["containers"][0]["securityContext"]
    container["allowPrivilegeEscalation"] = True
    container["capabilities"] = {"drop": ["NET_RAW"], "add": ["SYS_ADMIN"]}
    bad["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
    bad["securityContext"]["runAsNonRoot"] = False
    assert restricted_violations(bad) == [
        "hostNetwork", "volume host: ['hostPath']", "api: allowPrivilegeEscalation must be false",
        "api: capabilities must drop ALL", "api: adds capabilities ['SYS_ADMIN']", "api: runAsNonRoot must be true",
        "api: seccompProfile must be RuntimeDefault or Localhost, not Unconfined"]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_read_only_root_where_the_workload_allows_it(rendered: OverlayObjects, overlay: str) -> None:
    """Every container but Spark's drivers and executors has a read-only root file system; each
    writable scratch folder is an emptyDir with a size limit."""
    for key, spec, _ in pods(rendered[overlay]):
        for c in spec["containers"]:
            assert c["securityContext"].get("readOnlyRootFilesystem", False) is (key not in WRITABLE_ROOT), key
        for volume in spec.get("volumes", []):
            if "emptyDir" in volume:
                assert quantity(volume["emptyDir"]["sizeLimit"]) > 0, (key, volume["name"])
        if key not in WRITABLE_ROOT:
            mounts = {m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, key


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
    template = spark_pod_template()
    container = template["spec"]["containers"][0]
    assert {e.get("configMapRef", {}).get("name") or e["secretRef"]["name"] for e in container["envFrom"]} == {
        "ais-runtime-config", "ais-spark-secrets"}
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
        if (obj["kind"], obj["metadata"]["name"]) in (("ConfigMap", "ais-runtime-config"),
                                                      ("ConfigMap", NETWORK_CONFIGMAP)):
            continue
        network = by_kind_name(rendered[overlay])[("ConfigMap", NETWORK_CONFIGMAP)]["data"]
        for key, value in strings(obj):
            if key in NOT_HOST_FIELDS:
                continue
            if key == "cidr" and obj["kind"] == "NetworkPolicy" and value in network.values():
                continue  # copied from ais-network (test_network_policy_addresses_come_from_config)
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
        assert runtime - EMBEDDED_ONLY - CLUSTER_KEEPS_DEFAULT - INGEST_ONLY - set(IMAGE_SETS) <= set(data)
        assert not set(IMAGE_SETS) & set(data)
        # besides runtime keys: the config file's path, and the HDFS identity the Hadoop client and
        # hdfs-native read (Spark jobs and ML pods write the same warehouse as one user)
        assert set(data) <= runtime | aliases | {"HANOI_PIPELINE_CONFIG", "HADOOP_USER_NAME"}, set(data) - runtime
        assert data["HADOOP_USER_NAME"] == "ais"
        assert not SECRET_ENV & set(data)
        assert data["ICEBERG_CATALOG"] == "ais" and data["SPARK_K8S_NAMESPACE"] == "ais"
        assert data["SPARK_DRIVER_SERVICE_ACCOUNT"] == "spark" and data["AIRFLOW_K8S_SERVICE_ACCOUNT"] == "airflow"
    for key, image in IMAGE_SETS.items():
        assert key.lower() in config["runtime"]
        dockerfile = (DEPLOY.parent / "docker" / image / "Dockerfile").read_text()
        assert re.search(rf"^(ENV)?\s+{key}=/opt/ais/\S+", dockerfile, re.M), f"docker/{image}/Dockerfile sets {key}"


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
        assert [(v["name"], set(v["emptyDir"])) for v in spec["volumes"]] == [("tmp", {"sizeLimit"})], key
        c = containers(by_key[key])[0]
        assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}], key
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "HOME", "value": "/tmp"} in c["env"]


def example_secrets() -> dict[str, dict[str, str]]:
    docs = [d for d in yaml.safe_load_all((BASE / "secret.example.yaml").read_text()) if d]
    assert all(d["kind"] == "Secret" and d["metadata"]["namespace"] == "ais" for d in docs)
    return {d["metadata"]["name"]: d["stringData"] for d in docs}


def test_example_secrets_have_keys_and_no_value() -> None:
    secrets = example_secrets()
    assert {name: set(data) for name, data in secrets.items()} == SECRET_KEYS
    for data in secrets.values():
        assert all(v == "" for v in data.values())
    config = yaml.safe_load(CONFIG_PATH.read_text())
    assert set(config["secrets"]) == SECRET_ENV  # every configured secret has a home
    assert set().union(*SECRET_KEYS.values()) == SECRET_ENV
    # the API: no provider key, no Kafka login; ingest: no catalog or storage key
    assert not secrets["ais-api-secrets"].keys() & (PROVIDER_KEYS | {"KAFKA_SASL_PASSWORD"})
    assert not secrets["ais-ingest-secrets"].keys() & CATALOG_AND_STORAGE
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]


def secret_references(spec: dict[str, Any]) -> set[tuple[str, str | None]]:
    """(Secret, key or None for the whole Secret) of every reference in a pod spec: envFrom,
    env valueFrom, secret and projected volumes, image pull secrets."""
    refs: set[tuple[str, str | None]] = set()
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        for source in c.get("envFrom", []):
            if "secretRef" in source:
                refs.add((source["secretRef"]["name"], None))
        for env in c.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.add((ref["name"], ref["key"]))
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            refs.add((volume["secret"]["secretName"], None))
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                refs.add((source["secret"]["name"], None))
    refs.update((s["name"], None) for s in spec.get("imagePullSecrets", []))
    return refs


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_each_workload_references_only_its_own_secret(rendered: OverlayObjects, overlay: str) -> None:
    secrets = example_secrets()
    for key, spec, _ in pods(rendered[overlay]):
        refs = secret_references(spec)
        assert {name for name, _ in refs} == WORKLOAD_SECRETS[key], key
        for name, secret_key in refs:
            assert secret_key is None or secret_key in secrets[name], (key, name, secret_key)
    api = next(spec for key, spec, _ in pods(rendered[overlay]) if key == ("Deployment", "pm25-api"))
    # the API's keys are its own Secret's: the read-only catalog login and storage, nothing else
    api_keys = set().union(*(secrets[name].keys() for name, _ in secret_references(api)))
    assert api_keys == CATALOG_AND_STORAGE
    assert not api_keys & PROVIDER_KEYS


def test_secret_check_sees_every_kind_of_reference() -> None:
    spec = {"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "a"}}],
                            "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "b", "key": "K"}}}]}],
            "volumes": [{"name": "v", "secret": {"secretName": "c"}},
                        {"name": "p", "projected": {"sources": [{"secret": {"name": "d"}}]}}]}
    assert secret_references(spec) == {("a", None), ("b", "K"), ("c", None), ("d", None)}


# --- network policies -------------------------------------------------------------------------

def network_policies(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions In/NotIn/Exists/DoesNotExist) selects labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {"In": labels.get(key) in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True


def test_selector_matching() -> None:
    assert selects({}, {"a": "b"})
    assert selects({"matchLabels": {"a": "b"}}, {"a": "b", "c": "d"})
    assert not selects({"matchLabels": {"a": "x"}}, {"a": "b"})
    expr = {"matchExpressions": [{"key": "c", "operator": "In", "values": ["t", "p"]}]}
    assert selects(expr, {"c": "p"}) and not selects(expr, {"c": "q"}) and not selects(expr, {})


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_default_deny_and_dns(rendered: OverlayObjects, overlay: str) -> None:
    policies = network_policies(rendered[overlay])
    deny = policies["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["spec"]
    assert dns["podSelector"] == {} and dns["policyTypes"] == ["Egress"] and "ingress" not in dns
    kube_dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    assert dns["egress"] == [{"to": [kube_dns],
                              "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]


def allowed_egress(policies: dict[str, dict[str, Any]], labels: dict[str, str],
                   network: dict[str, str]) -> set[tuple[str, int | None]]:
    """(peer, port) pairs the workload may reach besides DNS: peer is an ais-network key for an
    address block or "pod:<component or name>" for pods of the namespace; port None is any port."""
    allowed: set[tuple[str, int | None]] = set()
    by_cidr = {cidr: key for key, cidr in network.items()}
    for name, policy in policies.items():
        spec = policy["spec"]
        if name == "allow-dns" or not spec["podSelector"] or not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get("egress", []):
            ports = [p["port"] for p in rule.get("ports", [])] or [None]
            for peer in rule["to"]:
                if "ipBlock" in peer:
                    target = by_cidr[peer["ipBlock"]["cidr"]]
                else:
                    match = peer["podSelector"]["matchLabels"]
                    target = "pod:" + (match.get("app.kubernetes.io/component") or match["app.kubernetes.io/name"])
                allowed.update((target, port) for port in ports)
    return allowed


STORAGE_READ = {("CATALOG_CIDR", 5432), ("HDFS_CIDR", 8020), ("HDFS_CIDR", 9866), ("CASSANDRA_CIDR", 9042)}
KUBE_API = {("KUBE_API_CIDR", 443), ("KUBE_API_CIDR", 6443)}
# workload -> everything its pods may reach (least privilege: no more than this, and all of it)
EGRESS = {
    ("Deployment", "pm25-api"): STORAGE_READ,
    ("Job", "pm25-train"): STORAGE_READ,
    ("CronJob", "pm25-predict"): STORAGE_READ,
    ("Job", "pm25-predict"): STORAGE_READ,
    ("Job", "pm25-serving-check"): STORAGE_READ | KUBE_API | {("pod:pm25-api", 8080)},
    ("Job", "spark-submit-template"): KUBE_API,
    ("Pod", "spark"): STORAGE_READ | KUBE_API | {("KAFKA_CIDR", 9092), ("pod:spark", None)},
}


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_workload_has_its_own_network_policy(rendered: OverlayObjects, overlay: str) -> None:
    objects = rendered[overlay]
    policies = network_policies(objects)
    network = by_kind_name(objects)[("ConfigMap", NETWORK_CONFIGMAP)]["data"]
    for key, _, labels in pods(objects):
        own = [name for name, p in policies.items()
               if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)]
        assert len(own) == 1, (key, own)
        assert set(policies[own[0]]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        assert allowed_egress(policies, labels, network) == EGRESS[key], key
    # ingress: the API on its port from anywhere; Spark pods from each other; nothing else
    api = policies["pm25-api"]["spec"]
    assert api["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]
    spark = policies["spark"]["spec"]
    assert spark["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "spark"}}}]}]
    for name in set(policies) - {"pm25-api", "spark", "allow-dns", "default-deny"}:
        assert "ingress" not in policies[name]["spec"], name


def port_of(url_or_hostport: str, default: int) -> int:
    """The port of a URL or host:port (the first of a comma-separated list)."""
    first = url_or_hostport.split(",")[0].strip().removeprefix("jdbc:")
    parsed = urlsplit(first if "://" in first else f"tcp://{first}")
    return parsed.port or default


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_network_policy_addresses_come_from_config(rendered: OverlayObjects, overlay: str) -> None:
    """Every ipBlock is an address block of ais-network (no placeholder left by a replacement that
    missed), and the storage ports the policies open are the ports the runtime ConfigMap names."""
    objects = by_kind_name(rendered[overlay])
    network = objects[("ConfigMap", NETWORK_CONFIGMAP)]["data"]
    assert set(network) == {"KAFKA_CIDR", "HDFS_CIDR", "CATALOG_CIDR", "CASSANDRA_CIDR", "KUBE_API_CIDR"}
    for cidr in network.values():
        ipaddress.ip_network(cidr)  # a valid block, host bits clear
    cidrs = [peer["ipBlock"]["cidr"] for policy in network_policies(rendered[overlay]).values()
             for rule in policy["spec"].get("egress", []) for peer in rule["to"] if "ipBlock" in peer]
    assert cidrs and set(cidrs) == set(network.values())
    config = objects[("ConfigMap", "ais-runtime-config")]["data"]
    assert port_of(config["KAFKA_BOOTSTRAP_SERVERS"], 9092) == 9092
    assert port_of(config["HDFS_NAMENODE"], 8020) == 8020
    assert port_of(config["ICEBERG_CATALOG_URI"], 5432) == 5432
    assert int(config["CASSANDRA_PORT"]) == 9042
    assert int(config["API_PORT"]) == 8080


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
