"""deploy/: every overlay renders with kustomize and every object validates against the Kubernetes
OpenAPI schema (kubernetes-validate, strict: unknown fields are errors)."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import BASE, OVERLAYS, by_kind_name

K8S_VERSION = kubernetes_validate.latest_version()

EXPECTED_OBJECTS = {
    ("Namespace", "ais"),
    ("ConfigMap", "ais-runtime-config"),
    ("ServiceAccount", "airflow"),
    ("ServiceAccount", "ais-runtime"),
    ("ServiceAccount", "ais-checks"),
    ("ServiceAccount", "spark"),
    ("Role", "ais-airflow-launcher"),
    ("RoleBinding", "ais-airflow-launcher"),
    ("Role", "ais-checks-reader"),
    ("RoleBinding", "ais-checks-reader"),
    ("Role", "spark"),
    ("RoleBinding", "spark"),
    ("Job", "spark-submit-template"),
    ("Job", "pm25-train"),
    ("CronJob", "pm25-predict"),
    ("Job", "pm25-predict"),
    ("Deployment", "pm25-api"),
    ("Service", "pm25-api"),
    ("Job", "pm25-serving-check"),
    ("ConfigMap", "ais-network"),
    ("NetworkPolicy", "default-deny"),
    ("NetworkPolicy", "allow-dns"),
    ("NetworkPolicy", "pm25-api"),
    ("NetworkPolicy", "pm25-ml"),
    ("NetworkPolicy", "pm25-serving-check"),
    ("NetworkPolicy", "spark-submit"),
    ("NetworkPolicy", "spark"),
}


def validate(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_schema_version_is_current() -> None:
    major, minor = (int(p) for p in K8S_VERSION.split(".")[:2])
    assert (major, minor) >= (1, 32)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_overlay_renders_the_expected_objects(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    objects = rendered[overlay]
    assert set(by_kind_name(objects)) == EXPECTED_OBJECTS
    assert len(objects) == len(EXPECTED_OBJECTS)  # no duplicates
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "ais", obj["metadata"]["name"]
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "ais"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_rendered_object_validates(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    for obj in rendered[overlay]:
        validate(obj)


def test_files_outside_kustomize_validate() -> None:
    """The Spark pod template and the example Secrets are not kustomize resources; they must be valid
    objects all the same (Spark loads the template as a Pod)."""
    validated = 0
    for path in (BASE / "spark" / "spark-pod-template.yaml", BASE / "secret.example.yaml"):
        for obj in yaml.safe_load_all(path.read_text()):
            validate(obj)
            validated += 1
    assert validated == 6  # the pod template and five Secrets


def test_validation_is_strict(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """A misspelt field must fail, or the tests above would prove nothing."""
    deployment = copy.deepcopy(by_kind_name(rendered["base"])[("Deployment", "pm25-api")])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/healthz"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    cronjob = copy.deepcopy(by_kind_name(rendered["base"])[("CronJob", "pm25-predict")])
    cronjob["spec"]["concurrencyPolicy"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(cronjob)
