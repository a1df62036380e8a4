"""The two checks that read the Kubernetes API (seed 001 §16): the inference CronJob and the Spark
drivers. Evaluation is pure over the client's model objects; I/O goes through ``kubernetes.client``.

failed-cronjob    the CronJob ``checks.predict_cronjob`` exists, is scheduled (its last schedule is
                  at most ``checks.cronjob_max_schedule_age_minutes`` old) and its newest Job did not
                  fail. Log fields: job_name, schedule_time, status.
failed-spark-job  for every Spark application (label ``ais-job``, else ``spark-app-name``) whose
                  driver pod (``spark-role=driver``) was created in the last
                  ``checks.spark_lookback_hours``, the newest driver did not fail (phase Failed or a
                  non-zero exit code). Log fields: app_name, driver_pod, exit_code, status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ais.jsonlog import get_logger
from ais.timeutil import iso_z

log = get_logger("checks")

ApiClientFactory = Callable[[], Any]
DRIVER_SELECTOR = "spark-role=driver"
APP_LABELS = ("ais-job", "spark-app-name")


class KubeUnavailable(RuntimeError):
    """No Kubernetes configuration (neither in-cluster nor a kubeconfig)."""


def default_api_client() -> Any:
    """An ApiClient from the in-cluster service account, else the kubeconfig; KubeUnavailable if neither."""
    from kubernetes import client, config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, OSError, TypeError) as exc:
            raise KubeUnavailable(f"no Kubernetes configuration (in-cluster or kubeconfig): {exc}") from exc
    return client.ApiClient()


def _iso(value: dt.datetime | None) -> str | None:
    return iso_z(value) if value else None


def _job_failed(job: Any) -> bool:
    status = job.status
    if status is None:
        return False
    conditions = status.conditions or []
    if any(c.type == "Failed" and c.status == "True" for c in conditions):
        return True
    return bool(status.failed) and not status.succeeded and not status.active


def _owned_by(job: Any, cronjob_name: str) -> bool:
    owners = job.metadata.owner_references or []
    return any(o.kind == "CronJob" and o.name == cronjob_name for o in owners)


def evaluate_cronjob(cronjob: Any | None, jobs: list[Any], name: str, now: dt.datetime,
                     max_schedule_age: dt.timedelta) -> list[dict[str, Any]]:
    """The items of failed-cronjob (one for the schedule, one for the newest Job if any)."""
    if cronjob is None:
        return [{"job_name": name, "schedule_time": None, "status": "failed", "reason": "cronjob_missing"}]
    status = cronjob.status
    last = status.last_schedule_time if status else None
    items: list[dict[str, Any]] = []
    if cronjob.spec.suspend:
        items.append({"job_name": name, "schedule_time": _iso(last), "status": "failed", "reason": "suspended"})
    elif last is None:
        items.append({"job_name": name, "schedule_time": None, "status": "failed", "reason": "never_scheduled"})
    elif now - last > max_schedule_age:
        items.append({"job_name": name, "schedule_time": _iso(last), "status": "failed",
                      "reason": f"missing_schedule: last schedule {int((now - last).total_seconds() // 60)} min ago"})
    else:
        items.append({"job_name": name, "schedule_time": _iso(last), "status": "success",
                      "last_successful_time": _iso(status.last_successful_time)})
    owned = [j for j in jobs if _owned_by(j, name)]
    if owned:
        newest = max(owned, key=lambda j: j.metadata.creation_timestamp)
        failed = _job_failed(newest)
        scheduled = (newest.metadata.annotations or {}).get("batch.kubernetes.io/cronjob-scheduled-timestamp")
        items.append({"job_name": newest.metadata.name,
                      "schedule_time": scheduled or _iso(newest.metadata.creation_timestamp),
                      "status": "failed" if failed else "success",
                      **({"reason": "job_failed"} if failed else {})})
    return items


def _exit_code(pod: Any) -> int | None:
    for container in (pod.status.container_statuses or []) if pod.status else []:
        terminated = container.state.terminated if container.state else None
        if terminated is not None:
            return int(terminated.exit_code)
    return None


def _app_name(pod: Any) -> str:
    labels = pod.metadata.labels or {}
    return next((labels[k] for k in APP_LABELS if labels.get(k)), pod.metadata.name)


def evaluate_spark_drivers(pods: list[Any], now: dt.datetime, lookback: dt.timedelta) -> list[dict[str, Any]]:
    """The items of failed-spark-job: the newest driver of every application seen in the lookback."""
    recent = [p for p in pods if p.metadata.creation_timestamp and now - p.metadata.creation_timestamp <= lookback]
    newest: dict[str, Any] = {}
    for pod in recent:
        app = _app_name(pod)
        if app not in newest or pod.metadata.creation_timestamp > newest[app].metadata.creation_timestamp:
            newest[app] = pod
    items = []
    for app, pod in sorted(newest.items()):
        code = _exit_code(pod)
        failed = (pod.status is not None and pod.status.phase == "Failed") or (code is not None and code != 0)
        items.append({"app_name": app, "driver_pod": pod.metadata.name, "exit_code": code,
                      "phase": pod.status.phase if pod.status else None,
                      "status": "failed" if failed else "success"})
    return items


def read_cronjob_state(api_client: Any, namespace: str, name: str) -> tuple[Any | None, list[Any]]:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    batch = client.BatchV1Api(api_client)
    try:
        cronjob = batch.read_namespaced_cron_job(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None, []
        raise
    return cronjob, list(batch.list_namespaced_job(namespace).items)


def read_spark_drivers(api_client: Any, namespace: str) -> list[Any]:
    from kubernetes import client

    return list(client.CoreV1Api(api_client).list_namespaced_pod(namespace, label_selector=DRIVER_SELECTOR).items)
