"""scripts/submit_spark_k8s.sh and ais.k8s.submit: spark-submit commands generated from the job
registry and the settings; golden files under tests/deploy/golden (regenerate with
AIS_UPDATE_GOLDEN=1 after an intended change, and review the diff)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ais import errors
from ais.config import ConfigError, Settings, load_settings
from ais.k8s import submit
from ais.spark.jobs.registry import JOBS
from tests.conftest import CONFIG_PATH, PROJECT_ROOT
from tests.deploy.conftest import CLUSTER_ENV

GOLDEN = Path(__file__).parent / "golden"
SCRIPT = PROJECT_ROOT / "scripts" / "submit_spark_k8s.sh"
ROOT_MARK = "<project-root>"

GOLDEN_CASES = {
    "ensure-iceberg": [],
    "bronze-openaq": ["--trigger", "availableNow"],
    "hanoi-serving-features-gold": ["--start-date", "2026-05-01", "--end-date", "2026-05-02",
                                    "--feature-version", "hanoi_pm25_core_v1", "--dry-run", "1"],
    "hanoi-master-features-gold": ["--start-date", "2026-05-01", "--end-date", "2026-05-02"],
}


def cluster_settings(**extra: str) -> Settings:
    return load_settings(CONFIG_PATH, environ={**CLUSTER_ENV, **extra})


def rendered(job: str, args: list[str], settings: Settings | None = None) -> str:
    text = submit.build_plan(settings or cluster_settings(), job, args).render("spark-submit")
    return text.replace(str(PROJECT_ROOT), ROOT_MARK)


@pytest.mark.parametrize("job", sorted(GOLDEN_CASES))
def test_golden_commands(job: str) -> None:
    text = rendered(job, GOLDEN_CASES[job])
    path = GOLDEN / f"submit_{job}.txt"
    if os.environ.get("AIS_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def test_command_carries_seed_section_7() -> None:
    plan = submit.build_plan(cluster_settings(), "hanoi-master-features-gold",
                             ["--start-date", "2026-05-01", "--end-date", "2026-05-02"])
    argv = plan.argv("/opt/spark/bin/spark-submit")
    assert argv[:7] == ["/opt/spark/bin/spark-submit", "--master", "k8s://https://kubernetes.default.svc:443",
                        "--deploy-mode", "cluster", "--name", "ais-hanoi-master-features-gold"]
    assert argv[-6:] == ["local:///opt/ais/bin/ais-job.py", "hanoi-master-features-gold",
                         "--start-date", "2026-05-01", "--end-date", "2026-05-02"]
    conf = dict(plan.conf)
    assert conf["spark.kubernetes.namespace"] == "ais"
    assert conf["spark.kubernetes.container.image"] == "ais-spark-runtime:0.1.0"
    assert conf["spark.kubernetes.authenticate.driver.serviceAccountName"] == "spark"
    assert (conf["spark.executor.instances"], conf["spark.executor.memory"], conf["spark.executor.cores"],
            conf["spark.driver.memory"]) == ("2", "2g", "1", "1g")
    assert conf["spark.sql.extensions"] == "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
    assert conf["spark.sql.catalog.ais"] == "org.apache.iceberg.spark.SparkCatalog"
    assert conf["spark.sql.catalog.ais.type"] == "jdbc"
    assert conf["spark.sql.catalog.ais.uri"] == CLUSTER_ENV["ICEBERG_CATALOG_URI"]
    assert conf["spark.sql.catalog.ais.warehouse"] == CLUSTER_ENV["ICEBERG_WAREHOUSE"]
    assert conf["spark.hadoop.fs.defaultFS"] == CLUSTER_ENV["HDFS_NAMENODE"]
    assert conf["spark.hadoop.dfs.client.use.datanode.hostname"] == "true"
    assert conf["spark.kubernetes.driver.podTemplateFile"] == str(PROJECT_ROOT / submit.POD_TEMPLATE)
    assert conf["spark.kubernetes.executor.podTemplateFile"] == str(PROJECT_ROOT / submit.POD_TEMPLATE)
    assert (conf["spark.kubernetes.driver.request.cores"], conf["spark.kubernetes.driver.limit.cores"]) == ("500m", "1")
    assert conf["spark.kubernetes.executor.label.ais-job"] == "hanoi-master-features-gold"
    # a batch job carries no Kafka endpoint; local-only settings stay out of a cluster command
    assert not any("KAFKA" in k for k in conf)
    assert not {"spark.jars", "spark.local.dir", "spark.pyspark.python"} & set(conf)


def test_seed_17_serving_command_needs_no_dates() -> None:
    """`scripts/submit_spark_k8s.sh hanoi-serving-features-gold --dry-run 1` (seed 001 §17): the
    job builds the latest window; one date without the other is a usage error."""
    plan = submit.build_plan(cluster_settings(), "hanoi-serving-features-gold", ["--dry-run", "1"])
    assert plan.argv()[-3:] == ["hanoi-serving-features-gold", "--dry-run", "1"]
    done = subprocess.run([str(SCRIPT), "--print", "hanoi-serving-features-gold", "--dry-run", "1"],
                          capture_output=True, text=True, check=False, timeout=60,
                          env=os.environ | CLUSTER_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("hanoi-serving-features-gold --dry-run 1")


def test_without_hdfs_no_hadoop_settings() -> None:
    settings = cluster_settings(HDFS_NAMENODE="", ICEBERG_WAREHOUSE="s3://ais-warehouse/iceberg")
    conf = dict(submit.build_plan(settings, "ensure-iceberg", []).conf)
    assert "spark.hadoop.fs.defaultFS" not in conf
    assert "spark.hadoop.dfs.client.use.datanode.hostname" not in conf
    assert conf["spark.sql.catalog.ais.warehouse"] == "s3://ais-warehouse/iceberg"


def test_streaming_jobs_come_from_the_registry() -> None:
    streaming = {name for name, job in JOBS.items() if submit.is_streaming(job)}
    assert streaming == {name for name in JOBS if name.startswith("bronze-")} | {"audit-dead-letters"}
    for name in streaming:
        conf = dict(submit.build_plan(cluster_settings(), name, []).conf)
        assert conf["spark.kubernetes.driverEnv.KAFKA_BOOTSTRAP_SERVERS"] == CLUSTER_ENV["KAFKA_BOOTSTRAP_SERVERS"]
    with pytest.raises(ConfigError, match="KAFKA_BOOTSTRAP_SERVERS"):
        submit.build_plan(cluster_settings(KAFKA_BOOTSTRAP_SERVERS=""), "bronze-weather", [])


def test_every_registered_job_generates() -> None:
    for name in JOBS:
        args = _minimal_args(name)
        plan = submit.build_plan(cluster_settings(), name, args)
        assert plan.argv()[-len(args) - 2:] == [submit.APP_RESOURCE, name, *args]
        assert plan.job == name and plan.app_name == f"ais-{name}"


SAMPLE_VALUES = {"--start-date": "2026-05-01", "--end-date": "2026-05-02", "--since": "2026-05-01T00:00:00Z",
                 "--until": "2026-05-02T00:00:00Z", "--jobs": "hanoi-openaq-silver"}


def _minimal_args(name: str) -> list[str]:
    """The job's required flags with sample values (and a window when it takes one)."""
    actions = submit.job_parser(JOBS[name])._actions
    wanted = [a.option_strings[0] for a in actions if a.required]
    if "--start-date" in submit.option_strings(JOBS[name]) and "--start-date" not in wanted:
        wanted += ["--start-date", "--end-date"]
    return [token for flag in wanted for token in (flag, SAMPLE_VALUES[flag])]


def test_secrets_never_enter_the_command() -> None:
    settings = cluster_settings(ICEBERG_JDBC_USER="ais_catalog_user", ICEBERG_JDBC_PASSWORD="pw-not-in-argv-42")
    argv = submit.build_plan(settings, "ensure-iceberg", []).argv()
    joined = " ".join(argv)
    assert "pw-not-in-argv-42" not in joined and "ais_catalog_user" not in joined
    assert not [a for a in argv if ".jdbc.password" in a or ".jdbc.user" in a]


def test_usage_errors() -> None:
    with pytest.raises(submit.SubmitError, match="unknown job type 'nope'") as exc:
        submit.build_plan(cluster_settings(), "nope", [])
    assert exc.value.exit_code == errors.EXIT_USAGE
    for name in JOBS:  # the message lists every known job, from the registry
        assert name in str(exc.value)
    with pytest.raises(submit.SubmitError, match="--end-date"):
        submit.build_plan(cluster_settings(), "hanoi-openaq-silver", ["--start-date", "2026-05-01"])
    with pytest.raises(submit.SubmitError, match="unrecognized arguments: --bogus"):
        submit.build_plan(cluster_settings(), "ensure-iceberg", ["--bogus"])
    with pytest.raises(ConfigError, match="SPARK_K8S_MASTER"):
        submit.build_plan(cluster_settings(SPARK_K8S_MASTER="spark://127.0.0.1:7077"), "ensure-iceberg", [])
    with pytest.raises(ConfigError, match="spark_image"):
        submit.build_plan(cluster_settings(SPARK_IMAGE=""), "ensure-iceberg", [])


def test_print_without_a_master_uses_the_in_cluster_address() -> None:
    """deploy/k8s/spark/README.md's --print example works with no SPARK_K8S_MASTER (issue 17): the
    in-cluster API server address, and a note on stderr."""
    plan = submit.build_plan(cluster_settings(SPARK_K8S_MASTER=""), "ensure-iceberg", [])
    assert plan.master == submit.IN_CLUSTER_MASTER == "k8s://https://kubernetes.default.svc"
    env = {k: v for k, v in (os.environ | CLUSTER_ENV).items() if k != "SPARK_K8S_MASTER"}
    done = subprocess.run([str(SCRIPT), "hanoi-serving-features-gold", "--start-date", "2026-05-01", "--end-date",
                           "2026-05-02", "--print"], capture_output=True, text=True, check=False, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "--master k8s://https://kubernetes.default.svc" in done.stdout
    assert "spark_k8s_master_default" in done.stderr and "in-cluster" in done.stderr


def test_no_registered_job_uses_the_print_flag() -> None:
    assert all(submit.PRINT_FLAG not in submit.option_strings(job) for job in JOBS.values())


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": os.environ["PATH"], "HANOI_PIPELINE_CONFIG": str(CONFIG_PATH), **CLUSTER_ENV, **(env or {})}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=full_env, check=False,
                          cwd="/")


def test_script_prints_the_golden_command_with_print_anywhere() -> None:
    job, args = "hanoi-serving-features-gold", GOLDEN_CASES["hanoi-serving-features-gold"]
    golden = (GOLDEN / f"submit_{job}.txt").read_text()
    for argv in ([*["--print", job], *args], [job, *args, "--print"], [job, "--print", *args]):
        done = run_script(*argv)
        assert done.returncode == 0, done.stderr
        assert done.stdout.replace(str(PROJECT_ROOT), ROOT_MARK) == golden


def test_script_exit_codes() -> None:
    unknown = run_script("no-such-job", "--print")
    assert unknown.returncode == 2
    assert "known job types: " + submit.known_jobs() in unknown.stderr
    bad = run_script("hanoi-openaq-silver", "--start-date", "2026-05-01", "--print")
    assert bad.returncode == 2 and "--end-date" in bad.stderr
    no_spark_home = run_script("ensure-iceberg")
    assert no_spark_home.returncode == 2 and "SPARK_HOME" in no_spark_home.stderr


@pytest.fixture
def fake_spark_home(tmp_path: Path) -> Callable[[str, int], Path]:
    """A SPARK_HOME whose spark-submit records its arguments, prints a watcher transcript ending in
    the given driver phase and exits with the given code."""

    def make(phase: str, code: int) -> Path:
        home = tmp_path / f"spark-{phase}-{code}"
        (home / "bin").mkdir(parents=True)
        program = home / "bin" / "spark-submit"
        program.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$@" > "{home}/argv"\n'
            'echo "INFO LoggingPodStatusWatcherImpl: State changed, new state:" >&2\n'
            'echo "	 phase: Pending" >&2\n'
            'echo "INFO LoggingPodStatusWatcherImpl: Application status for spark-1 (phase: Running)" >&2\n'
            f'echo "INFO LoggingPodStatusWatcherImpl: Application status for spark-1 (phase: {phase})"\n'
            f"exit {code}\n")
        program.chmod(program.stat().st_mode | stat.S_IXUSR)
        return home

    return make


def test_run_judges_the_driver_phase(fake_spark_home: Callable[[str, int], Path]) -> None:
    ok_home = fake_spark_home("Succeeded", 0)
    done = run_script("ensure-iceberg", env={"SPARK_HOME": str(ok_home)})
    assert done.returncode == 0, done.stderr
    recorded = (ok_home / "argv").read_text().splitlines()
    expected = submit.build_plan(cluster_settings(HANOI_PIPELINE_CONFIG=str(CONFIG_PATH)), "ensure-iceberg", []).argv()
    assert recorded == expected[1:]
    assert '"driver_phase": "Succeeded"' in done.stderr

    failed = run_script("ensure-iceberg", env={"SPARK_HOME": str(fake_spark_home("Failed", 0))})
    assert failed.returncode == 1  # spark-submit said 0, the driver failed
    assert '"driver_phase": "Failed"' in failed.stderr and '"status": "failed"' in failed.stderr

    crashed = run_script("ensure-iceberg", env={"SPARK_HOME": str(fake_spark_home("Running", 3))})
    assert crashed.returncode == 3


def test_driver_phase_parsing() -> None:
    lines = ["26/05/01 INFO LoggingPodStatusWatcherImpl: State changed, new state:",
             "\t phase: Pending", "Application status for spark-abc (phase: Running)",
             "Container final statuses:", "Application status for spark-abc (phase: Succeeded)"]
    assert submit.driver_phase(lines) == "Succeeded"
    assert submit.driver_phase(["no status here"]) is None
    assert submit.driver_phase(lines[:3]) == "Running"
