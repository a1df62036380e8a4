"""``spark-submit --master k8s:// --deploy-mode cluster`` for every job of the registry.

    scripts/submit_spark_k8s.sh [--print] <job-type> [job args...]
    python -m ais.k8s.submit [--print] [--spark-submit PATH] [--config FILE] <job-type> [job args...]

One source of truth: the job types and their flags come from :data:`ais.spark.jobs.registry.JOBS`
(an unknown type is a usage error that lists the known ones; the job's flags are checked here with
the job's own parser, so a typo fails before a pod is scheduled), and every Spark setting comes from
:func:`ais.spark.session.session_conf` — the same function the driver calls when it builds its
session, so the submitted settings and the session's settings cannot drift apart.

What the command carries besides the session settings (seed 001 §7):

- ``--master`` (runtime.spark_k8s_master), ``--deploy-mode cluster``, ``--name ais-<job>``;
- pod templates for driver and executors (deploy/k8s/spark/spark-pod-template.yaml): they bring the
  ConfigMap ``ais-runtime-config`` and the Secret ``ais-spark-secrets`` into both pods as
  environment, and the non-root security context. Secrets never appear in the command: catalog
  credentials that the session settings would carry are left out and the driver reads them from
  its environment;
- ``spark.hadoop.dfs.client.use.datanode.hostname=true`` when HDFS is configured (datanodes are
  reached by the host name they advertise);
- CPU request and limit of driver and executors (memory comes from spark.driver.memory and
  spark.executor.memory plus Spark's overhead, request = limit);
- for streaming jobs (the jobs whose flags include ``--trigger``), the resolved Kafka bootstrap
  servers as driver environment, so a running stream keeps the endpoint it was submitted with.

The application is ``local:///opt/ais/bin/ais-job.py`` inside the image ais-spark-runtime: it runs
``ais job <job-type> <args>``, exactly what a local run does. It has to end in ``.py``: that is how
spark-submit recognises a Python application.

Without ``--print`` the command runs, and the exit status says how the *driver* ended: spark-submit
in cluster mode exits 0 even when the driver pod fails (Spark 4.0's submission client only waits
for the pod to complete), so its log is read for the driver's last reported phase and anything but
``Succeeded`` exits 1. Exit codes: 0 success, 1 the driver (or spark-submit) failed, 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ais.config import Settings, load_settings
from ais.errors import EXIT_FAILED, EXIT_OK, AisError, ConfigError, SubmitError
from ais.jsonlog import configure, get_logger
from ais.spark.jobs import registry
from ais.spark.jobs.registry import JOBS, JobDef
from ais.spark.session import session_conf

APP_RESOURCE = "local:///opt/ais/bin/ais-job.py"
POD_TEMPLATE = Path("deploy") / "k8s" / "spark" / "spark-pod-template.yaml"
PRINT_FLAG = "--print"
STREAMING_FLAG = "--trigger"
PART_OF_LABEL = "app.kubernetes.io/part-of"
JOB_LABEL = "ais-job"

# Pod CPU of driver and executors when the configuration does not name them (CONTRACTS.md §7 dev
# defaults: request 500m, limit 1). Read through Settings so that runtime keys of these names, once
# the config file has them, can tune them per environment.
CPU_DEFAULTS: Mapping[str, str] = {
    "spark_driver_request_cores": "500m",
    "spark_driver_limit_cores": "1",
    "spark_executor_request_cores": "500m",
    "spark_executor_limit_cores": "1",
}
# Settings the command leaves out: they carry credentials, which the driver takes from its
# environment (the Secret in the pod template) instead of from a command line anyone can read.
_SECRET_CONF_SUFFIXES = (".jdbc.user", ".jdbc.password", ".credential", ".token", ".secret-access-key")
# The submission client's report of the driver pod: "... (phase: Running)", "phase: Succeeded".
_PHASE = re.compile(r"\bphase: ([A-Za-z]+)")

log = get_logger("k8s.submit")


class _JobArgParser(argparse.ArgumentParser):
    """The job's own flags, with errors raised instead of printed-and-exited."""

    def error(self, message: str) -> NoReturn:
        raise SubmitError(f"{self.prog}: {message}")


# the API server as seen from a pod of the cluster (the default when SPARK_K8S_MASTER is empty)
IN_CLUSTER_MASTER = "k8s://https://kubernetes.default.svc"


def job_parser(job: JobDef) -> argparse.ArgumentParser:
    return registry.job_parser(job, _JobArgParser(prog=f"ais job {job.name}", description=job.help))


def option_strings(job: JobDef) -> set[str]:
    return {flag for action in job_parser(job)._actions for flag in action.option_strings}


def is_streaming(job: JobDef) -> bool:
    """Streaming jobs are the ones with a trigger flag (availableNow | processingTime)."""
    return STREAMING_FLAG in option_strings(job)


def known_jobs(jobs: Mapping[str, JobDef] = JOBS) -> str:
    return ", ".join(sorted(jobs))


@dataclass(frozen=True)
class SubmitPlan:
    """One spark-submit invocation: everything but the path of the spark-submit program."""

    job: str
    job_args: tuple[str, ...]
    master: str
    app_name: str
    conf: tuple[tuple[str, str], ...]  # sorted by key
    pod_template: Path

    def argv(self, spark_submit: str = "spark-submit") -> list[str]:
        args = [spark_submit, "--master", self.master, "--deploy-mode", "cluster", "--name", self.app_name]
        for key, value in self.conf:
            args += ["--conf", f"{key}={value}"]
        return [*args, APP_RESOURCE, self.job, *self.job_args]

    def render(self, spark_submit: str = "spark-submit") -> str:
        """The command as a shell command, one option per line."""
        lines = [shlex.quote(spark_submit),
                 f"--master {shlex.quote(self.master)}",
                 "--deploy-mode cluster",
                 f"--name {shlex.quote(self.app_name)}"]
        lines += [f"--conf {shlex.quote(f'{key}={value}')}" for key, value in self.conf]
        lines.append(" ".join(shlex.quote(t) for t in (APP_RESOURCE, self.job, *self.job_args)))
        return " \\\n  ".join(lines) + "\n"


def _is_secret_conf(key: str, value: str, secret_values: set[str]) -> bool:
    return key.endswith(_SECRET_CONF_SUFFIXES) or (value != "" and value in secret_values)


def build_plan(settings: Settings, job_type: str, job_args: Sequence[str],
               jobs: Mapping[str, JobDef] = JOBS) -> SubmitPlan:
    """The spark-submit plan for one job. Raises :class:`SubmitError` (usage) for an unknown job or
    bad job flags and :class:`ConfigError` when the settings cannot describe a Kubernetes run."""
    job = jobs.get(job_type)
    if job is None:
        raise SubmitError(f"unknown job type {job_type!r}; known job types: {known_jobs(jobs)}")
    if PRINT_FLAG in option_strings(job):
        # main() removes --print wherever it stands; a job flag of that name would be ambiguous.
        raise SubmitError(f"job {job.name} defines {PRINT_FLAG}, which the submit script reserves")
    job_parser(job).parse_args(list(job_args))

    master = settings.runtime("spark_k8s_master").strip()
    if not master:
        # a submitter pod reaches its own cluster's API server at this address; say so, since
        # outside a cluster it is only good for --print
        master = IN_CLUSTER_MASTER
        log.warning("spark_k8s_master_default", master=master,
                    note="SPARK_K8S_MASTER is not set: using the in-cluster API server address")
    if not master.startswith("k8s://"):
        raise ConfigError("runtime.spark_k8s_master (SPARK_K8S_MASTER) must be k8s://https://<api server> "
                          f"to submit to Kubernetes, got {master!r}")
    app_name = f"ais-{job.name}"
    secret_values = {v for v in settings.secrets.values() if v}
    conf = {k: v for k, v in session_conf(settings, app_name).items()
            if k not in ("spark.master", "spark.app.name") and not _is_secret_conf(k, v, secret_values)}

    template = settings.project_root / POD_TEMPLATE
    conf["spark.kubernetes.driver.podTemplateFile"] = str(template)
    conf["spark.kubernetes.executor.podTemplateFile"] = str(template)
    for role in ("driver", "executor"):
        for bound in ("request", "limit"):
            key = f"spark_{role}_{bound}_cores"
            conf[f"spark.kubernetes.{role}.{bound}.cores"] = settings.get(f"runtime.{key}") or CPU_DEFAULTS[key]
        conf[f"spark.kubernetes.{role}.label.{PART_OF_LABEL}"] = "ais"
        conf[f"spark.kubernetes.{role}.label.{JOB_LABEL}"] = job.name
    conf["spark.kubernetes.submission.waitAppCompletion"] = "true"
    if settings.runtime("hdfs_namenode"):
        # Reach datanodes by the host name they advertise, not the address they registered from:
        # a datanode behind NAT (the Compose storage layer, seed 000) is only reachable that way.
        conf["spark.hadoop.dfs.client.use.datanode.hostname"] = "true"
    if is_streaming(job):
        bootstrap = settings.runtime("kafka_bootstrap_servers")
        if not bootstrap:
            raise ConfigError(f"{job.name} is a streaming job: runtime.kafka_bootstrap_servers "
                              "(KAFKA_BOOTSTRAP_SERVERS) must be set for a Kubernetes run")
        conf["spark.kubernetes.driverEnv.KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    return SubmitPlan(job=job.name, job_args=tuple(job_args), master=master, app_name=app_name,
                      conf=tuple(sorted(conf.items())), pod_template=template)


def driver_phase(lines: Sequence[str]) -> str | None:
    """The last driver phase the submission client reported, or None if it reported none."""
    phase = None
    for line in lines:
        for match in _PHASE.finditer(line):
            phase = match.group(1)
    return phase


def run_plan(plan: SubmitPlan, spark_submit: str) -> int:
    """Run spark-submit, pass its output through to stderr, and judge the driver's last phase."""
    if not Path(spark_submit).is_file():
        raise SubmitError(f"spark-submit not found at {spark_submit} (set SPARK_HOME)")
    if not plan.pod_template.is_file():
        raise SubmitError(f"pod template {plan.pod_template} is missing")
    conf = dict(plan.conf)
    log.info("submit_start", job=plan.job, app_name=plan.app_name, master=plan.master,
             namespace=conf.get("spark.kubernetes.namespace"), image=conf.get("spark.kubernetes.container.image"),
             status="running")
    phase: str | None = None
    with subprocess.Popen(plan.argv(spark_submit), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stderr.write(line)
            phase = driver_phase([line]) or phase
        exit_code = proc.wait()
    ok = exit_code == 0 and phase == "Succeeded"
    fields: dict[str, Any] = {"job": plan.job, "app_name": plan.app_name, "spark_submit_exit_code": exit_code,
              "driver_phase": phase, "status": "success" if ok else "failed"}
    if ok:
        log.info("submit_done", **fields)
        return EXIT_OK
    log.error("submit_failed", **fields)
    return exit_code if exit_code != 0 else EXIT_FAILED


def _arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="submit_spark_k8s.sh",
        description="Submit one AIS Spark job to Kubernetes (spark-submit --master k8s:// --deploy-mode cluster). "
                    f"Job types: {known_jobs()}.")
    p.add_argument(PRINT_FLAG, dest="print_only", action="store_true",
                   help="print the command instead of running it (may also follow the job type)")
    p.add_argument("--spark-submit", help="the spark-submit program (the wrapper passes $SPARK_HOME/bin/spark-submit)")
    p.add_argument("--config", help="config file (default: $HANOI_PIPELINE_CONFIG or config/hanoi_pipeline.yaml)")
    p.add_argument("job_type", metavar="JOB_TYPE", help="a job of the registry (`ais job --help` lists them)")
    p.add_argument("job_args", nargs=argparse.REMAINDER, help="the job's own flags, as for `ais job`")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _arg_parser().parse_args(argv)
    job_args = [a for a in args.job_args if a != PRINT_FLAG]
    print_only = args.print_only or len(job_args) != len(args.job_args)
    try:
        settings = load_settings(args.config)
        configure(settings.runtime("log_level"))
        plan = build_plan(settings, args.job_type, job_args)
        spark_submit = args.spark_submit or "spark-submit"
        if print_only:
            sys.stdout.write(plan.render(spark_submit))
            return EXIT_OK
        if not args.spark_submit:
            raise SubmitError("--spark-submit is required to run (the wrapper passes $SPARK_HOME/bin/spark-submit)")
        return run_plan(plan, spark_submit)
    except AisError as exc:  # SubmitError, ConfigError ...: their exit codes are in ais.errors
        log.error(exc.event, job=args.job_type, error=str(exc), status="failed")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
