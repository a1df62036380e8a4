"""What the AIS DAGs share: the runtime switch, the run params, and the one task factory.

One runtime switch, read when the DAG files are parsed: ``AIS_RUNTIME=local|k8s`` (default local).

- ``local``: every task runs the ``ais`` command line of the project's virtual environment
  (``.venv/bin/ais``; the embedded profile, or whatever the worker's environment configures) in a
  subprocess — Spark jobs as ``ais job <type> ...`` in local[*], the rest as ``ais <command>``.
- ``k8s``: the same commands run in the cluster: Spark jobs through a submitter pod (image
  ais-spark-runtime, account ``spark``) that runs scripts/submit_spark_k8s.sh, the ML commands as
  Kubernetes Jobs in ais-ml-runtime, the API probes as pods. The pod specs (account, environment,
  resources, security context, volumes) are read from the manifests under deploy/k8s, so Airflow
  launches exactly what ``kubectl apply -k`` deploys; Airflow picks only image tags and arguments.

The ais package is never imported here: DAG files parse with Airflow alone (its own virtual
environment), and parsing does no work beyond building the task graph.

Environment of the Airflow workers (k8s runtime): ``AIS_SPARK_IMAGE`` and ``AIS_ML_IMAGE`` (the
image tags the deployed overlay pins, required), ``AIRFLOW_K8S_NAMESPACE`` (default ``ais``),
``AIS_K8S_CONN_ID`` (the Kubernetes connection, default ``kubernetes_default``, whose kubeconfig
holds a token of the ``airflow`` service account). Both runtimes: ``AIS_TASK_RETRIES`` (default 1),
``AIS_PROJECT_ROOT`` (default: the checkout that holds this file).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shlex
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Param
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from ais_dag_window import DATE_PATTERN, HOUR_PATTERN, MACROS, truthy

RUNTIMES = ("local", "k8s")
RUNTIME = os.environ.get("AIS_RUNTIME", "local").strip().lower()
if RUNTIME not in RUNTIMES:
    raise ValueError(f"AIS_RUNTIME must be one of {RUNTIMES}, got {RUNTIME!r}")

PROJECT_ROOT = Path(os.environ.get("AIS_PROJECT_ROOT") or Path(__file__).resolve().parents[2])
AIS_BIN = PROJECT_ROOT / ".venv" / "bin" / "ais"
INGEST_BIN = PROJECT_ROOT / "build" / "native" / "ais-ingest"
MANIFESTS = PROJECT_ROOT / "deploy" / "k8s"

SUBMIT_SCRIPT = "/opt/ais/scripts/submit_spark_k8s.sh"  # inside ais-spark-runtime
PART_OF = {"app.kubernetes.io/part-of": "ais"}

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "ais",
    "retries": int(os.environ.get("AIS_TASK_RETRIES", "1")),
    "retry_delay": dt.timedelta(minutes=5),
}
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# Jinja expressions every DAG renders the same way (see ais_dag_window).
START_DATE = "{{ ais_start_date(params, data_interval_end) }}"
END_DATE = "{{ ais_end_date(params, data_interval_end) }}"
BASE_HOUR = "{{ ais_base_hour(params, data_interval_end) }}"
WINDOW_START = "{{ ais_window_start(params, data_interval_end) }}"
WINDOW_END = "{{ ais_window_end(params, data_interval_end) }}"
FEATURE_VERSION = '{{ params.feature_version or "" }}'  # empty: the configured feature version
DRY_RUN = "{{ ais_flag(params.dry_run) }}"


def window_params(lookback_days: int = 2) -> dict[str, Param]:
    """The run conf every AIS DAG accepts (CONTRACTS.md §8)."""
    return {
        "start_date": Param(None, type=["null", "string"], pattern=DATE_PATTERN,
                            description="first UTC date of the window (default: end_date - lookback_days + 1)"),
        "end_date": Param(None, type=["null", "string"], pattern=DATE_PATTERN,
                          description="last UTC date of the window, inclusive (default: the base hour's date)"),
        "base_hour": Param(None, type=["null", "string"], pattern=HOUR_PATTERN,
                           description="the forecast's base hour, ISO UTC (default: end_date 23:00, else the "
                                       "hour before the data interval's end)"),
        "lookback_days": Param(lookback_days, type="integer", minimum=1, maximum=3660,
                               description="days in the window when start_date is not given"),
        "feature_version": Param(None, type=["null", "string"], pattern=r"^[A-Za-z0-9_.-]+$",
                                 description="default: FEATURE_VERSION of the configuration"),
        "dry_run": Param(False, type="boolean", description="validate and log, write no table"),
    }


# ---- what a task runs ------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One command of a task. ``kind``: spark (``ais job``), ml (``ais <command>``), check (``ais
    check``, the serving checks), ingest (the C simulator; local runtime only)."""

    kind: str
    argv: tuple[str, ...]
    run_if: str | None = None  # a template; the step runs when it renders truthy (local runtime)
    local_only: bool = False  # left out of the Kubernetes form of the task


def spark_job(job_type: str, *args: str) -> Step:
    return Step("spark", (job_type, *args))


def ais_cli(*args: str) -> Step:
    return Step("ml", args)


def serving_check(*args: str) -> Step:
    """``ais check ARGS``. Locally with ``--serve-local``: the embedded profile has no long-running
    API, so the API checks (if selected) get ``ais serve`` on loopback for their duration."""
    return Step("check", args)


def local_ingest(*args: str, run_if: str | None = None) -> Step:
    return Step("ingest", args, run_if, local_only=True)


def local_only(step: Step, run_if: str | None = None) -> Step:
    """A step of the embedded profile only (e.g. catching bronze up from landing files, which the
    cluster's streaming supervision does there); conditional on ``run_if``."""
    return Step(step.kind, step.argv, run_if, local_only=True)


def local_argv(step: Step) -> list[str]:
    if step.kind == "spark":
        return [str(AIS_BIN), "job", *step.argv]
    if step.kind == "ml":
        return [str(AIS_BIN), *step.argv]
    if step.kind == "check":
        return [str(AIS_BIN), "check", "--serve-local", *step.argv]
    if step.kind == "ingest":
        return [str(INGEST_BIN), *step.argv]
    raise ValueError(f"unknown step kind {step.kind!r}")


def cluster_argv(step: Step) -> list[str]:
    if step.kind == "spark":
        return [SUBMIT_SCRIPT, *step.argv]
    if step.kind == "ml":
        return ["ais", *step.argv]
    if step.kind == "check":
        return ["ais", "check", *step.argv]
    raise ValueError(f"a {step.kind} step has no Kubernetes form")


# ---- local runtime ---------------------------------------------------------------------------

class AisLocalOperator(BaseOperator):
    """Runs its commands one after the other in the project's checkout, no shell; the first that
    fails fails the task. With ``push_json`` the last command's stdout (one JSON document, what
    every ``ais`` command prints) is the task's XCom value."""

    template_fields: Sequence[str] = ("commands", "run_if", "step_run_if")
    ui_color = "#dbeafe"

    def __init__(self, *, commands: list[list[str]], run_if: str | None = None,
                 step_run_if: list[str | None] | None = None, push_json: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = commands
        self.run_if = run_if
        self.step_run_if = step_run_if or [None] * len(commands)
        self.push_json = push_json

    def execute(self, context: Any) -> Any:
        if self.run_if is not None and not truthy(self.run_if):
            raise AirflowSkipException(f"{self.task_id} not requested by this run's conf")
        stdout = ""
        for argv, condition in zip(self.commands, self.step_run_if, strict=True):
            if condition is not None and not truthy(condition):
                self.log.info("skipped (not requested by this run's conf): %s", shlex.join(argv))
                continue
            stdout = self._run(argv)
        if self.push_json:
            try:
                return json.loads(stdout)
            except ValueError as exc:
                raise AirflowException(f"{self.task_id}: the last command printed no JSON result") from exc
        return None

    def _run(self, argv: list[str]) -> str:
        self.log.info("running: %s", shlex.join(argv))
        if not Path(argv[0]).is_file():
            raise AirflowFailException(f"{argv[0]} is missing: run `make build` (scripts/setup.sh) first")
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=dict(os.environ))
        out: list[str] = []

        def pump_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                self.log.info("%s", line.rstrip("\n"))

        pump = threading.Thread(target=pump_stderr, daemon=True)
        pump.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
        code = proc.wait()
        pump.join()
        stdout = "".join(out)
        if stdout.strip():
            self.log.info("result: %s", stdout.strip())
        if code != 0:
            raise AirflowException(f"{shlex.join(argv[:3])} ... exited with {code}")
        return stdout


# ---- Kubernetes runtime ----------------------------------------------------------------------

@dataclass(frozen=True)
class PodSpecSource:
    """Where a launched pod's spec comes from: a workload manifest of deploy/k8s."""

    manifest: str  # relative to deploy/k8s
    image_env: str  # the worker env var that names the image (and tag) to run
    service_account: str | None = None  # overrides the manifest's
    automount_token: bool | None = None


SPARK_SUBMITTER = PodSpecSource("spark/spark-submit-template.yaml", "AIS_SPARK_IMAGE")
ML_TRAIN = PodSpecSource("ml/pm25-train-job.yaml", "AIS_ML_IMAGE")
ML_PREDICT = PodSpecSource("ml/pm25-predict-job.yaml", "AIS_ML_IMAGE")
# the API probes need no Kubernetes API: the check pod's spec, without its account's token
API_PROBE = PodSpecSource("checks/pm25-serving-check-job.yaml", "AIS_ML_IMAGE", "ais-runtime", False)


@functools.cache
def manifest_pod_spec(manifest: str) -> dict[str, Any]:
    """The pod spec of a Job or CronJob manifest, without the container's command and args."""
    import yaml

    doc = yaml.safe_load((MANIFESTS / manifest).read_text(encoding="utf-8"))
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = json.loads(json.dumps(spec["template"]["spec"]))
    for container in pod["containers"]:
        container.pop("command", None)
        container.pop("args", None)
    return pod


def _required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ValueError(f"AIS_RUNTIME=k8s needs {name} (the image:tag of the deployed overlay)")
    if value.endswith(":latest") or ":" not in value.rsplit("/", 1)[-1]:
        raise ValueError(f"{name}={value!r} must name a pinned tag, never latest")
    return value


if RUNTIME == "k8s":
    # Imported only for the Kubernetes runtime: the local runtime parses without the provider.
    from airflow.providers.cncf.kubernetes.operators.job import KubernetesJobOperator
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    class AisKubernetesPodOperator(KubernetesPodOperator):
        """A pod of AIS work; skipped unless ``run_if`` renders truthy."""

        template_fields: Sequence[str] = (*KubernetesPodOperator.template_fields, "run_if")

        def __init__(self, *, run_if: str | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.run_if = run_if

        def execute(self, context: Any) -> Any:
            if self.run_if is not None and not truthy(self.run_if):
                raise AirflowSkipException(f"{self.task_id} not requested by this run's conf")
            return super().execute(context)

    class AisKubernetesJobOperator(KubernetesJobOperator):
        """A Kubernetes Job of AIS work; skipped unless ``run_if`` renders truthy."""

        template_fields: Sequence[str] = (*KubernetesJobOperator.template_fields, "run_if")

        def __init__(self, *, run_if: str | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.run_if = run_if

        def execute(self, context: Any) -> Any:
            if self.run_if is not None and not truthy(self.run_if):
                raise AirflowSkipException(f"{self.task_id} not requested by this run's conf")
            return super().execute(context)


def _cluster_operator(task_id: str, steps: Sequence[Step], source: PodSpecSource, job: bool,
                      run_if: str | None, **kwargs: Any) -> BaseOperator:
    from airflow.providers.cncf.kubernetes.pod_generator import PodGenerator

    argvs = [cluster_argv(s) for s in steps]
    if len(argvs) == 1:
        cmds, arguments = argvs[0][:1], argvs[0][1:]
    else:
        cmds, arguments = ["sh", "-ec"], ["\n".join(shlex.join(a) for a in argvs)]
    pod_dict = {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": dict(PART_OF)},
                "spec": manifest_pod_spec(source.manifest)}
    common: dict[str, Any] = {
        "task_id": task_id,
        "name": "ais-" + task_id.replace("_", "-"),
        "namespace": os.environ.get("AIRFLOW_K8S_NAMESPACE", "ais"),
        "kubernetes_conn_id": os.environ.get("AIS_K8S_CONN_ID", "kubernetes_default"),
        "image": _required_env(source.image_env),
        "cmds": cmds,
        "arguments": arguments,
        "full_pod_spec": PodGenerator.deserialize_model_dict(pod_dict),
        "labels": {**PART_OF, "ais-task": task_id.replace("_", "-")},
        "get_logs": True,
        "startup_timeout_seconds": 600,
        "on_finish_action": "delete_succeeded_pod",
        **kwargs,
    }
    if source.service_account:
        common["service_account_name"] = source.service_account
    if source.automount_token is not None:
        common["automount_service_account_token"] = source.automount_token

    if job:
        return AisKubernetesJobOperator(run_if=run_if, wait_until_job_complete=True, backoff_limit=1,
                                        ttl_seconds_after_finished=86400, **common)
    return AisKubernetesPodOperator(run_if=run_if, **common)


def ais_task(task_id: str, steps: Sequence[Step], *, run_if: str | None = None, push_json: bool = False,
             ml_spec: PodSpecSource = ML_PREDICT, check_job: PodSpecSource | None = None,
             **kwargs: Any) -> BaseOperator:
    """The one task factory: the same steps as a local subprocess or as Kubernetes work. Checks run
    as a pod of the check manifest (no Kubernetes token), or as a Job of ``check_job`` when they
    need what that Job mounts (the model artifacts)."""
    if RUNTIME == "local":
        return AisLocalOperator(task_id=task_id, commands=[local_argv(s) for s in steps],
                                step_run_if=[s.run_if for s in steps], run_if=run_if, push_json=push_json,
                                **kwargs)
    cluster_steps = [s for s in steps if not s.local_only]
    kinds = {s.kind for s in cluster_steps}
    if len(kinds) != 1:
        raise ValueError(f"{task_id}: a Kubernetes task runs one kind of step, got {sorted(kinds)}")
    kind = kinds.pop()
    if push_json:
        raise ValueError(f"{task_id}: results of Kubernetes work are not passed through XCom")
    if kind == "spark":
        return _cluster_operator(task_id, cluster_steps, SPARK_SUBMITTER, False, run_if, **kwargs)
    if kind == "check" and check_job is None:
        return _cluster_operator(task_id, cluster_steps, API_PROBE, False, run_if, **kwargs)
    if kind == "check" and check_job is not None:
        return _cluster_operator(task_id, cluster_steps, check_job, True, run_if, **kwargs)
    return _cluster_operator(task_id, cluster_steps, ml_spec, True, run_if, **kwargs)


def model_run_id(params: Mapping[str, Any], ti: Any) -> str:
    """conf promote_model_run_id, where ``trained`` means the run this DAG run's training made."""
    wanted = params.get("promote_model_run_id") or ""
    if wanted != "trained":
        return str(wanted)
    result = ti.xcom_pull(task_ids="train_pm25_models_k8s")
    if not isinstance(result, Mapping) or not result.get("model_run_id"):
        raise AirflowFailException("promote_model_run_id=trained, but this run's training left no model_run_id")
    return str(result["model_run_id"])


DAG_MACROS: dict[str, Any] = {**MACROS, "ais_model_run_id": model_run_id}
