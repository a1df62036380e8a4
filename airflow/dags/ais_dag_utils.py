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
holds a token of the ``airflow`` service account). Both runtimes: ``AIS_TASK_RETRIES`` (default 2),
``AIS_PROJECT_ROOT`` (default: the checkout that holds this file), ``AIS_CHAIN_FILE`` (default
``ais_chain.json`` next to this file).

What every task gets (``ais_task``): a pool by the kind of its work (:data:`POOLS`: ``ais_spark``
for Spark applications, ``ais_catalog`` for the catalog-only commands, Airflow's default pool for
ingest), an ``execution_timeout`` by kind (:data:`TIMEOUTS`, or the task's own), retries with
exponential backoff (``retry_exponential_backoff``, at most ``max_retry_delay``) and
:func:`log_failure` as the failure callback: one JSON line with dag, task, try and error. The pools
must exist (``airflow pools set``, see airflow/README.md; the tests create them).

Task dependencies of the windowed DAGs come from ``ais_chain.json`` (written from the job registry
by ``ais chain --write``): :func:`chain_tasks` makes one task per job and wires A >> B whenever an
output of A is an input of B, so no DAG keeps an order by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Param
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from ais_dag_window import DATE_PATTERN, HOUR_PATTERN, MACROS, planned_window, truthy

RUNTIMES = ("local", "k8s")
RUNTIME = os.environ.get("AIS_RUNTIME", "local").strip().lower()
if RUNTIME not in RUNTIMES:
    raise ValueError(f"AIS_RUNTIME must be one of {RUNTIMES}, got {RUNTIME!r}")

PROJECT_ROOT = Path(os.environ.get("AIS_PROJECT_ROOT") or Path(__file__).resolve().parents[2])
AIS_BIN = PROJECT_ROOT / ".venv" / "bin" / "ais"
INGEST_BIN = PROJECT_ROOT / "build" / "native" / "ais-ingest"
MANIFESTS = PROJECT_ROOT / "deploy" / "k8s"

CHAIN_FILE = Path(os.environ.get("AIS_CHAIN_FILE") or Path(__file__).with_name("ais_chain.json"))

SUBMIT_SCRIPT = "/opt/ais/scripts/submit_spark_k8s.sh"  # inside ais-spark-runtime
CLUSTER_INGEST = "/opt/ais/build/native/ais-ingest"  # inside ais-spark-runtime (docker/spark/Dockerfile)
XCOM_FILE = "/airflow/xcom/return.json"  # what the pod operator's XCom sidecar reads
PART_OF = {"app.kubernetes.io/part-of": "ais"}

# Pools (name -> slots, description). Spark: one application at a time on a 2-core machine (raise
# the slots with the cores, or on Kubernetes with the executors the namespace quota allows).
POOL_SPARK, POOL_CATALOG = "ais_spark", "ais_catalog"
POOLS: dict[str, tuple[int, str]] = {
    POOL_SPARK: (1, "AIS Spark applications (each a driver JVM, local[*] or a driver pod)"),
    POOL_CATALOG: (2, "AIS commands that read or commit the Iceberg catalog without Spark"),
}
# what a task may take at most, by the kind of its work (Airflow fails it after that, then retries)
TIMEOUTS: dict[str, dt.timedelta] = {
    "spark": dt.timedelta(hours=2),
    "ml": dt.timedelta(hours=2),
    "check": dt.timedelta(minutes=20),
    "light": dt.timedelta(minutes=30),
    "ingest": dt.timedelta(hours=2),
}
MAX_TASK_TIMEOUT = dt.timedelta(hours=8)

FAILURE_LOG = logging.getLogger("ais.airflow")


def log_failure(context: Mapping[str, Any]) -> None:
    """The failure callback of every AIS task: ONE JSON line with dag, task, try and error (a log
    collector alerts on ``"event": "task_failed"``)."""
    ti = context.get("ti") or context.get("task_instance")
    error = context.get("exception")
    FAILURE_LOG.error("%s", json.dumps({
        "event": "task_failed",
        "dag": getattr(ti, "dag_id", None),
        "task": getattr(ti, "task_id", None),
        "try": getattr(ti, "try_number", None),
        "run_id": getattr(ti, "run_id", None),
        "error": f"{type(error).__name__}: {error}" if error is not None else None,
    }, sort_keys=True, default=str))


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "ais",
    "retries": int(os.environ.get("AIS_TASK_RETRIES", "2")),
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(hours=1),
    "on_failure_callback": log_failure,
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
    """One command of a task. ``kind``: spark (``ais job``, a Spark application), light (an ``ais``
    command without Spark, e.g. ``ais job plan-window``, ``ais clean``: run as it is, never through
    spark-submit), ml (``ais <command>``), check (``ais check``, the serving checks), ingest
    (``ais-ingest``)."""

    kind: str
    argv: tuple[str, ...]
    run_if: str | None = None  # a template; the step runs when it renders truthy (local runtime)
    local_only: bool = False  # left out of the Kubernetes form of the task


def spark_job(job_type: str, *args: str) -> Step:
    return Step("spark", (job_type, *args))


def ais_cli(*args: str) -> Step:
    return Step("ml", args)


def light(*args: str) -> Step:
    """``ais ARGS`` without Spark (locally the project's CLI; on Kubernetes a pod of
    ais-spark-runtime running ``ais ARGS`` itself, not spark-submit)."""
    return Step("light", args)


def ingest(*args: str, run_if: str | None = None) -> Step:
    """``ais-ingest ARGS``: locally build/native/ais-ingest, on Kubernetes the same binary in
    ais-spark-runtime (docker/spark/Dockerfile copies the native build there)."""
    return Step("ingest", args, run_if)


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
    if step.kind in ("ml", "light"):
        return [str(AIS_BIN), *step.argv]
    if step.kind == "check":
        return [str(AIS_BIN), "check", "--serve-local", *step.argv]
    if step.kind == "ingest":
        return [str(INGEST_BIN), *step.argv]
    raise ValueError(f"unknown step kind {step.kind!r}")


def cluster_argv(step: Step) -> list[str]:
    if step.kind == "spark":
        return [SUBMIT_SCRIPT, *step.argv]
    if step.kind in ("ml", "light"):
        return ["ais", *step.argv]
    if step.kind == "check":
        return ["ais", "check", *step.argv]
    if step.kind == "ingest":
        return [CLUSTER_INGEST, *step.argv]
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
def _manifest_template(manifest: str) -> dict[str, Any]:
    """The pod template (metadata and spec) of a Job or CronJob manifest."""
    import yaml

    doc = yaml.safe_load((MANIFESTS / manifest).read_text(encoding="utf-8"))
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"])


def manifest_pod_spec(manifest: str) -> dict[str, Any]:
    """The pod spec of a Job or CronJob manifest, without the container's command and args."""
    pod = json.loads(json.dumps(_manifest_template(manifest)["spec"]))
    for container in pod["containers"]:
        container.pop("command", None)
        container.pop("args", None)
    return pod


def manifest_pod_labels(manifest: str) -> dict[str, str]:
    """The pod template's labels: a launched pod carries them, so the workload's NetworkPolicy
    (deploy/k8s/networkpolicy.yaml selects pods by these labels) applies to it as well."""
    return dict((_manifest_template(manifest).get("metadata") or {}).get("labels") or {})


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
    labels = {**manifest_pod_labels(source.manifest), **PART_OF, "ais-task": task_id.replace("_", "-")}
    pod_dict = {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": dict(labels)},
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
        "labels": labels,
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


def _defaults(steps: Sequence[Step], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pool and execution timeout by the kind of the task's work, unless the task names its own."""
    kinds = {s.kind for s in steps}
    if "spark" in kinds:
        pool: str | None = POOL_SPARK
    elif kinds & {"ml", "light", "check"}:
        pool = POOL_CATALOG
    else:
        pool = None  # ingest: Airflow's default pool
    out = dict(kwargs)
    if pool is not None:
        out.setdefault("pool", pool)
    # several steps: the sum of their timeouts, at most MAX_TASK_TIMEOUT
    total = sum((TIMEOUTS[s.kind] for s in steps), dt.timedelta())
    out.setdefault("execution_timeout", min(total, MAX_TASK_TIMEOUT))
    return out


def ais_task(task_id: str, steps: Sequence[Step], *, run_if: str | None = None, push_json: bool = False,
             ml_spec: PodSpecSource = ML_PREDICT, check_job: PodSpecSource | None = None,
             **kwargs: Any) -> BaseOperator:
    """The one task factory: the same steps as a local subprocess or as Kubernetes work. Checks run
    as a pod of the check manifest (no Kubernetes token), or as a Job of ``check_job`` when they
    need what that Job mounts (the model artifacts). Ingest and light ``ais`` commands run as a pod
    of ais-spark-runtime. ``push_json``: the last command's JSON result is the task's XCom (on
    Kubernetes only for one light step, which writes it with ``--xcom-file`` for the pod's XCom
    sidecar)."""
    kwargs = _defaults(steps, kwargs)
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
        if kind != "light" or len(cluster_steps) != 1:
            raise ValueError(f"{task_id}: on Kubernetes only one light `ais` command passes its result through XCom")
        step = cluster_steps[0]
        cluster_steps = [Step(step.kind, (*step.argv, "--xcom-file", XCOM_FILE), step.run_if)]
        kwargs["do_xcom_push"] = True
    if kind in ("spark", "light", "ingest"):
        return _cluster_operator(task_id, cluster_steps, SPARK_SUBMITTER, False, run_if, **kwargs)
    if kind == "check" and check_job is None:
        return _cluster_operator(task_id, cluster_steps, API_PROBE, False, run_if, **kwargs)
    if kind == "check" and check_job is not None:
        return _cluster_operator(task_id, cluster_steps, check_job, True, run_if, **kwargs)
    return _cluster_operator(task_id, cluster_steps, ml_spec, True, run_if, **kwargs)


# ---- the declared chain (ais_chain.json) -------------------------------------------------------

@functools.cache
def load_chain(path: str = str(CHAIN_FILE)) -> dict[str, dict[str, Any]]:
    """``{"<job>": {"inputs": [...], "outputs": [...], "windowed": bool, ...}}`` of ais_chain.json."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    jobs = doc.get("jobs") if isinstance(doc, Mapping) else None
    if not isinstance(jobs, Mapping) or not jobs:
        raise ValueError(f"{path}: no \"jobs\" object")
    return {str(k): dict(v) for k, v in jobs.items()}


def chain_edges(job_types: Sequence[str], chain: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(A, B) for every pair of the given jobs where an output of A is an input of B."""
    unknown = [j for j in job_types if j not in chain]
    if unknown:
        raise ValueError(f"jobs not declared in the chain: {unknown}")
    return [(a, b) for a in job_types for b in job_types
            if a != b and set(chain[a].get("outputs", ())) & set(chain[b].get("inputs", ()))]


def chain_tasks(job_types: Sequence[str], make_task: Callable[[str], BaseOperator],
                chain: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, BaseOperator]:
    """One task per job (``make_task(job)``), wired A >> B by :func:`chain_edges`."""
    declared = load_chain() if chain is None else chain
    tasks = {job: make_task(job) for job in job_types}
    for a, b in chain_edges(job_types, declared):
        tasks[a] >> tasks[b]
    return tasks


def chain_order(job_types: Sequence[str], chain: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The jobs in an order that runs every producer before its consumers (stable otherwise)."""
    edges = chain_edges(job_types, load_chain() if chain is None else chain)
    done: list[str] = []
    while len(done) < len(job_types):
        ready = [j for j in job_types if j not in done and all(a in done for a, b in edges if b == j)]
        if not ready:
            raise ValueError(f"the chain has a cycle among {sorted(set(job_types) - set(done))}")
        done.append(ready[0])
    return done


def live_ingest(source: str, lookback_hours: int) -> Step:
    """``ais-ingest SOURCE --mode live`` over the run's ingest window (ais_dag_window.ingest_window:
    the last ``lookback_hours`` before the data interval end, or the conf's dates) onto the bus."""
    window = f"params, data_interval_end, {int(lookback_hours)}"
    return ingest(source, "--mode", "live", "--start", f"{{{{ ais_ingest_start({window}) }}}}",
                  "--end", f"{{{{ ais_ingest_end({window}) }}}}", "--sink", "{{ ais_sink() }}",
                  "--provider", "{{ params.provider }}")


def ingest_params(lookback_days: int = 1) -> dict[str, Param]:
    """The conf of an ingest DAG: the window params (start_date / end_date: a backfill by date
    range) and the provider label."""
    return {
        **window_params(lookback_days),
        "provider": Param("real", enum=["real", "simulated"],
                          description="simulated: the endpoints serve simulated data (a test or demo fixture); "
                                      "every record is labelled source=simulated"),
    }


def task_id_of(job_type: str) -> str:
    return job_type.replace("-", "_")


def model_run_id(params: Mapping[str, Any], ti: Any) -> str:
    """conf promote_model_run_id, where ``trained`` means the run this DAG run's training made."""
    wanted = params.get("promote_model_run_id") or ""
    if wanted != "trained":
        return str(wanted)
    result = ti.xcom_pull(task_ids="train_pm25_models_k8s")
    if not isinstance(result, Mapping) or not result.get("model_run_id"):
        raise AirflowFailException("promote_model_run_id=trained, but this run's training left no model_run_id")
    return str(result["model_run_id"])


def kafka_configured() -> bool:
    """The bus is Kafka: always on Kubernetes; locally when the worker's environment names brokers
    (the embedded profile's bus is the landing folder)."""
    return RUNTIME == "k8s" or bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip())


def ingest_sink() -> str:
    """``--sink`` of ais-ingest: kafka or landing, as :func:`kafka_configured`."""
    return "kafka" if kafka_configured() else "landing"


def cassandra_configured() -> bool:
    return RUNTIME == "k8s" or bool(os.environ.get("CASSANDRA_HOST", "").strip())


PLAN_TASK = "plan_window"


def _plan(ti: Any) -> Any:
    return ti.xcom_pull(task_ids=PLAN_TASK)


def planned_start(params: Mapping[str, Any], data_interval_end: Any, ti: Any) -> str:
    """First date of a run planned by arrivals (conf start_date, else the plan_window task's)."""
    return planned_window(params, data_interval_end, None if params.get("start_date") or params.get("end_date")
                          else _plan(ti)).start_date.isoformat()


def planned_end(params: Mapping[str, Any], data_interval_end: Any, ti: Any) -> str:
    return planned_window(params, data_interval_end, None if params.get("start_date") or params.get("end_date")
                          else _plan(ti)).end_date.isoformat()


DAG_MACROS: dict[str, Any] = {**MACROS, "ais_model_run_id": model_run_id, "ais_sink": ingest_sink,
                              "ais_kafka_configured": kafka_configured,
                              "ais_cassandra_configured": cassandra_configured,
                              "ais_planned_start": planned_start, "ais_planned_end": planned_end}
PLANNED_START = "{{ ais_planned_start(params, data_interval_end, ti) }}"
PLANNED_END = "{{ ais_planned_end(params, data_interval_end, ti) }}"


def entry_jobs(job_types: Sequence[str], chain: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The jobs of a DAG that read only what other DAGs write (bronze, silver built elsewhere):
    where data arrives from outside the run. What the others read, the run itself writes."""
    declared = load_chain() if chain is None else chain
    inside = {t for j in job_types for t in declared[j].get("outputs", ())}
    return [j for j in job_types if not set(declared[j].get("inputs", ())) & inside]


def plan_window_task(job_types: Sequence[str], period_hours: int, overlap_hours: int = 6) -> BaseOperator:
    """``ais job plan-window`` for the run over the arrivals in the inputs of its entry jobs
    (:func:`entry_jobs`): since the last successful run (minus an overlap), with the default window
    of the conf; its JSON (start_date, end_date) is the XCom that :data:`PLANNED_START` /
    :data:`PLANNED_END` read."""
    since = (f"{{{{ ais_since(data_interval_end, prev_data_interval_end_success, {int(period_hours)}, "
             f"{int(overlap_hours)}) }}}}")
    return ais_task(PLAN_TASK, [light("job", "plan-window", "--jobs", ",".join(entry_jobs(job_types)),
                                      "--since", since, "--until", "{{ ais_until(data_interval_end) }}",
                                      "--start-date", START_DATE, "--end-date", END_DATE)], push_json=True)
