"""Run by the Airflow virtual environment (.venv-airflow), not by pytest: parses the DAG folder the way
Airflow does and prints, as JSON, every DAG's tasks, operators, dependencies and trigger rules, with
each task's commands rendered for a given run conf and data interval end.

    .venv-airflow/bin/python tests/deploy/airflow_probe.py DAGS_FOLDER CONF_JSON DATA_INTERVAL_END_ISO

The runtime (local | k8s) is the environment's AIS_RUNTIME, as for the scheduler.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

MARKER = "AIS_PROBE_JSON "


PLAN_DAYS_BACK = 6  # the fake plan_window result: 6 days before the interval end's date (late ERA5)


class FakeTaskInstance:
    """What the templates ask of ``ti``: the XCom of this run's training task, and of its
    plan_window task (the window widened to PLAN_DAYS_BACK days before the data interval end)."""

    def __init__(self, interval_end: dt.datetime) -> None:
        self.interval_end = interval_end

    def xcom_pull(self, task_ids: str) -> dict[str, str]:
        if task_ids == "plan_window":
            end = (self.interval_end - dt.timedelta(hours=1)).date()
            return {"start_date": (end - dt.timedelta(days=PLAN_DAYS_BACK)).isoformat(), "end_date": end.isoformat()}
        return {"model_run_id": f"xcom-of-{task_ids}"}


def render(value: Any, env: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return env.from_string(value).render(**context)
    if isinstance(value, list | tuple):
        return [render(v, env, context) for v in value]
    return value


def describe(dag: Any, conf: dict[str, Any], interval_end: dt.datetime) -> dict[str, Any]:
    params = {name: param.value if hasattr(param, "value") else param for name, param in dag.params.items()}
    params.update(conf)
    env = dag.get_template_env()
    context = {"params": params, "data_interval_end": interval_end, "data_interval_start": interval_end,
               "prev_data_interval_end_success": None, "ti": FakeTaskInstance(interval_end)}
    tasks = {}
    for task in dag.tasks:
        info: dict[str, Any] = {
            "operator": type(task).__name__,
            "upstream": sorted(task.upstream_task_ids),
            "trigger_rule": str(task.trigger_rule.value if hasattr(task.trigger_rule, "value") else task.trigger_rule),
            "retries": task.retries,
            "pool": task.pool,
            "execution_timeout_s": task.execution_timeout.total_seconds() if task.execution_timeout else None,
            "retry_exponential_backoff": task.retry_exponential_backoff,
            "max_retry_delay_s": task.max_retry_delay.total_seconds() if task.max_retry_delay else None,
            "on_failure_callback": [getattr(f, "__name__", str(f)) for f in
                                    (task.on_failure_callback if isinstance(task.on_failure_callback, list)
                                     else [task.on_failure_callback] if task.on_failure_callback else [])],
            "do_xcom_push": task.do_xcom_push,
        }
        if hasattr(task, "commands"):
            info["commands"] = render(task.commands, env, context)
            info["step_run_if"] = render(task.step_run_if, env, context)
        if hasattr(task, "run_if"):
            info["run_if"] = render(task.run_if, env, context)
        if hasattr(task, "build_pod_request_obj"):
            from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

            # the pod a pod task creates, or the pod template of a job task's Job; dry_run keeps the
            # operator from looking for a cluster
            pod = KubernetesPodOperator.build_pod_request_obj(task, dry_run=True)
            spec = pod.spec
            container = spec.containers[0]
            info["kubernetes"] = {
                "kind": "Job" if hasattr(task, "build_job_request_obj") else "Pod",
                "namespace": task.namespace,
                "image": container.image,
                "command": render(container.command, env, context),
                "args": render(container.args, env, context),
                "service_account": spec.service_account_name,
                "automount_token": spec.automount_service_account_token,
                "labels": dict(pod.metadata.labels or {}),
                "env_from": [(e.config_map_ref.name if e.config_map_ref else None,
                              e.secret_ref.name if e.secret_ref else None) for e in (container.env_from or [])],
                "resources": {"requests": dict(container.resources.requests or {}),
                              "limits": dict(container.resources.limits or {})} if container.resources else None,
                "run_as_non_root": spec.security_context.run_as_non_root if spec.security_context else None,
                "volumes": sorted(v.name for v in spec.volumes or []),
                "backoff_limit": getattr(task, "backoff_limit", None),
            }
        tasks[task.task_id] = info
    return {"schedule": str(dag.schedule) if dag.schedule is not None else None, "doc": dag.doc_md or "",
            "max_active_runs": dag.max_active_runs, "catchup": dag.catchup,
            "params": sorted(dag.params.keys()), "tasks": tasks}


def main() -> int:
    dags_folder, conf_json, interval_end_iso = sys.argv[1:4]
    sys.path.insert(0, dags_folder)  # as Airflow does for the DAG bundle
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dags_folder)
    conf = json.loads(conf_json)
    interval_end = dt.datetime.fromisoformat(interval_end_iso)
    out = {"import_errors": {Path(k).name: v for k, v in bag.import_errors.items()},
           "dags": {dag_id: describe(dag, conf, interval_end) for dag_id, dag in sorted(bag.dags.items())}}
    sys.stdout.write(MARKER + json.dumps(out, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
