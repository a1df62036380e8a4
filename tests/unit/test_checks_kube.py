"""failed-cronjob and failed-spark-job through the real ``kubernetes`` client, against HAND-MADE
Kubernetes API responses (k8s_handmade_responses/, see its README) served on loopback."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from tests.json_server import JsonServer, json_server

from ais.checks import core, kube
from ais.config import Settings

RESPONSES = Path(__file__).parent / "k8s_handmade_responses"
CRONJOB_PATH = "/apis/batch/v1/namespaces/ais/cronjobs/pm25-predict"
JOBS_PATH = "/apis/batch/v1/namespaces/ais/jobs"
PODS_PATH = "/api/v1/namespaces/ais/pods"
NOW = dt.datetime(2026, 5, 2, 9, 40, tzinfo=dt.UTC)


def handmade(name: str) -> Any:
    return json.loads((RESPONSES / name).read_text())


def kube_client(server: JsonServer) -> Any:
    return client.ApiClient(client.Configuration(host=server.url))


@pytest.fixture
def api_server() -> Iterator[JsonServer]:
    with json_server(missing=(404, handmade("status_404_cronjob_not_found.json"))) as server:
        yield server


@pytest.fixture
def context(settings: Settings, api_server: JsonServer) -> Callable[..., core.CheckContext]:
    def make(explicit: bool = True, factory: kube.ApiClientFactory | None = None) -> core.CheckContext:
        return core.CheckContext(settings, now=NOW, reference=NOW, location_id="hanoi",
                                 feature_version=settings.feature_version, explicit=explicit,
                                 kube_client_factory=factory or (lambda: kube_client(api_server)))
    return make


def test_cronjob_scheduled_and_newest_job_succeeded_holds(api_server: JsonServer, context: Any) -> None:
    api_server.routes = {CRONJOB_PATH: (200, handmade("cronjob_pm25_predict.json")),
                         JOBS_PATH: (200, handmade("jobs_newest_pm25_predict_succeeded.json"))}
    result = core.run_checks(context(), ["failed-cronjob"])
    assert result["status"] == "success"
    assert result["checks"]["failed-cronjob"]["items"] == [
        {"job_name": "pm25-predict", "schedule_time": "2026-05-02T09:15:00Z", "status": "success",
         "last_successful_time": "2026-05-02T08:16:52Z"},
        {"job_name": "pm25-predict-29630895", "schedule_time": "2026-05-02T08:15:00Z", "status": "success"}]


def test_newest_failed_job_fails_the_check(api_server: JsonServer, context: Any) -> None:
    api_server.routes = {CRONJOB_PATH: (200, handmade("cronjob_pm25_predict.json")),
                         JOBS_PATH: (200, handmade("jobs_newest_pm25_predict_failed.json"))}
    result = core.run_checks(context(), ["failed-cronjob"])
    assert result["status"] == "failed"
    # the failed Job of another owner (pm25-serving-check) is not the CronJob's business
    assert result["checks"]["failed-cronjob"]["items"][1] == {
        "job_name": "pm25-predict-29630955", "schedule_time": "2026-05-02T09:15:00Z", "status": "failed",
        "reason": "job_failed"}


def test_missing_schedule_suspension_and_missing_cronjob_fail(api_server: JsonServer, context: Any,
                                                                settings: Settings) -> None:
    jobs = (200, handmade("jobs_newest_pm25_predict_succeeded.json"))
    cronjob = handmade("cronjob_pm25_predict.json")
    api_server.routes = {CRONJOB_PATH: (200, cronjob), JOBS_PATH: jobs}
    late = core.CheckContext(settings, now=NOW + dt.timedelta(hours=2), reference=NOW, location_id="hanoi",
                             feature_version=settings.feature_version,
                             kube_client_factory=lambda: kube_client(api_server))
    item = core.run_checks(late, ["failed-cronjob"])["checks"]["failed-cronjob"]["items"][0]
    assert (item["status"], item["reason"]) == ("failed", "missing_schedule: last schedule 145 min ago")

    cronjob["spec"]["suspend"] = True
    item = core.run_checks(context(), ["failed-cronjob"])["checks"]["failed-cronjob"]["items"][0]
    assert (item["status"], item["reason"]) == ("failed", "suspended")

    api_server.routes = {JOBS_PATH: jobs}  # the CronJob answers 404
    result = core.run_checks(context(), ["failed-cronjob"])
    assert result["checks"]["failed-cronjob"]["items"] == [
        {"job_name": "pm25-predict", "schedule_time": None, "status": "failed", "reason": "cronjob_missing"}]


def test_spark_drivers_newest_per_application(api_server: JsonServer, context: Any) -> None:
    api_server.routes = {PODS_PATH: (200, handmade("pods_spark_drivers_one_app_failed.json"))}
    result = core.run_checks(context(), ["failed-spark-job"])
    assert api_server.queries[PODS_PATH]["labelSelector"] == ["spark-role=driver"]
    assert result["status"] == "failed"
    items = {i["app_name"]: i for i in result["checks"]["failed-spark-job"]["items"]}
    # maintenance-iceberg failed 4 days ago: outside the 24 h lookback
    assert sorted(items) == ["bronze-openaq", "hanoi-master-features-gold", "hanoi-serving-features-gold"]
    # an earlier failure followed by a success holds; a running driver holds
    assert items["hanoi-master-features-gold"] == {
        "app_name": "hanoi-master-features-gold", "driver_pod": "hanoi-master-features-gold-9b3e7d-driver",
        "exit_code": 0, "phase": "Succeeded", "status": "success"}
    assert (items["bronze-openaq"]["exit_code"], items["bronze-openaq"]["status"]) == (None, "success")
    assert items["hanoi-serving-features-gold"] == {
        "app_name": "hanoi-serving-features-gold", "driver_pod": "hanoi-serving-features-gold-77aa01-driver",
        "exit_code": 137, "phase": "Failed", "status": "failed"}

    api_server.routes = {PODS_PATH: (200, handmade("pods_spark_drivers_all_ok.json"))}
    assert core.run_checks(context(), ["failed-spark-job"])["status"] == "success"


def test_an_api_error_is_a_failed_check_not_a_crash(api_server: JsonServer, context: Any) -> None:
    forbidden = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Forbidden",
                 "message": "pods is forbidden: User \"system:serviceaccount:ais:ais-checks\" cannot list", "code": 403}
    api_server.routes = {PODS_PATH: (403, forbidden)}
    result = core.run_checks(context(), ["failed-spark-job"])
    item = result["checks"]["failed-spark-job"]["items"][0]
    assert (result["status"], item["reason"]) == ("failed", "error")
    assert "403" in item["error"] and "Forbidden" in item["error"]


def test_without_a_cluster_a_named_check_fails_and_all_skips_it(context: Any) -> None:
    def nowhere() -> Any:
        raise kube.KubeUnavailable("no Kubernetes configuration (in-cluster or kubeconfig): none")

    named = core.run_checks(context(factory=nowhere), ["failed-cronjob"])
    assert named["status"] == "failed"
    implied = core.run_checks(context(explicit=False, factory=nowhere), ["failed-cronjob", "failed-spark-job"])
    assert implied["status"] == "success"
    assert {r["status"] for r in implied["checks"].values()} == {"skipped"}
