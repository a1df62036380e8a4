"""docker/: the three images — Dockerfile rules, the requirement selection, the Spark container
entry point (driver and executor), and that each image's command works with only what it installs."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ais.spark.jobs.registry import JOBS
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env

DOCKER = PROJECT_ROOT / "docker"
IMAGES = {"spark": "ais-spark-runtime", "ml": "ais-ml-runtime", "api": "ais-pm25-api"}
RUNTIME_TXT = PROJECT_ROOT / "requirements" / "runtime.txt"
SPARK_HOME = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "pyspark"
# import names of the distributions an image leaves out
IMPORT_NAMES = {"pyspark": "pyspark", "lightgbm": "lightgbm", "scikit-learn": "sklearn", "pandas": "pandas",
                "numpy": "numpy"}


def dockerfile(image: str) -> str:
    return (DOCKER / image / "Dockerfile").read_text()


def excluded(image: str) -> list[str]:
    lines = (DOCKER / image / "requirements-exclude.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def selected_requirements(image: str) -> list[str]:
    done = subprocess.run([str(DOCKER / "select-requirements.sh"), str(RUNTIME_TXT),
                           str(DOCKER / image / "requirements-exclude.txt")],
                          capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfile_rules(image: str) -> None:
    text = dockerfile(image)
    assert re.search(r"^USER (185|10001):(185|10001)$", text, re.M), "runs as a non-root user"
    assert text.rstrip().splitlines()[-1].startswith("CMD ")
    bases = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert bases and all(b == "${DEBIAN_IMAGE}" for b in bases), bases
    # every stage starts from one pinned base (Debian 12, the Python 3.11 of the dev machines)
    assert re.findall(r"^ARG DEBIAN_IMAGE=(\S+)$", text, re.M) == ["debian:12.8-slim"]
    # no secret, model or endpoint baked in
    assert not re.search(r"(PASSWORD|SECRET|TOKEN|API_KEY|CDS_KEY)\s*=", text)
    assert not re.search(r"^COPY\s.*(var/|models?/|\.env)", text, re.M)
    assert not re.search(r"^ENV\s.*(KAFKA|HDFS|ICEBERG|CASSANDRA)", text, re.M)
    assert "HANOI_PIPELINE_CONFIG=/opt/ais/config/hanoi_pipeline.yaml" in text
    ignore = (DOCKER / image / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[0 if ignore[0] == "*" else 1] == "*" and "!src/" in ignore


def test_image_commands_match_the_local_contract() -> None:
    assert 'CMD ["ais", "serve", "--host", "0.0.0.0"]' in dockerfile("api")
    assert 'CMD ["ais", "--help"]' in dockerfile("ml")
    spark = dockerfile("spark")
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "/opt/ais/bin/spark-entrypoint.sh"]' in spark
    assert "COPY docker/spark/ais-job.py bin/ais-job.py" in spark
    assert "COPY scripts/submit_spark_k8s.sh scripts/" in spark
    assert "COPY deploy/k8s/spark/spark-pod-template.yaml deploy/k8s/spark/" in spark
    assert "COPY --from=jars /src/jvm/lib/" in spark and 'cp /tmp/jars/*.jar "$SPARK_HOME/jars/"' in spark
    assert "COPY --from=native-build /out/bin/ build/native/" in spark
    assert "openjdk" not in dockerfile("ml") and "openjdk" not in dockerfile("api")


def test_requirement_selection() -> None:
    runtime = [line for line in RUNTIME_TXT.read_text().splitlines() if line and not line.startswith("#")]
    assert selected_requirements("spark") == runtime
    ml = selected_requirements("ml")
    assert ml == [line for line in runtime if not line.startswith("pyspark==")]
    api = selected_requirements("api")
    assert not [line for line in api if re.match(r"(pyspark|lightgbm|scikit-learn|pandas|numpy)==", line)]
    assert "fastapi==" in " ".join(api) and any(line.startswith("pyiceberg[") for line in api)
    assert set(api) <= set(runtime)  # the project's pins, never others


def test_spark_image_spark_matches_the_jars() -> None:
    pyspark = re.search(r"^pyspark==([\d.]+)$", RUNTIME_TXT.read_text(), re.M)
    pom = re.search(r"<spark.version>([\d.]+)</spark.version>", (PROJECT_ROOT / "jvm" / "pom.xml").read_text())
    assert pyspark and pom and pyspark.group(1) == pom.group(1) == "4.0.0"
    assert "ENV SPARK_HOME=/opt/ais/.venv/lib/python3.11/site-packages/pyspark" in dockerfile("spark")


def run_blocked(modules: list[str], code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter where importing any of ``modules`` fails, as in an image that
    does not install them."""
    prelude = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True,
                          env={**os.environ, **env, "HANOI_PIPELINE_CONFIG": str(CONFIG_PATH)}, check=False)


def test_api_runs_without_what_its_image_leaves_out(tmp_path: Path) -> None:
    from ais.catalog import ensure_tables
    from ais.config import load_settings

    env = isolated_env(tmp_path)
    ensure_tables(load_settings(CONFIG_PATH, environ=env))
    code = (
        "from fastapi.testclient import TestClient\n"
        "from ais.api.app import create_app\n"
        "from ais.config import load_settings\n"
        "client = TestClient(create_app(load_settings()))\n"
        "print(client.get('/healthz').status_code, client.get('/readyz').status_code,\n"
        "      client.get('/api/v1/hanoi/pm25/forecast/latest').json()['error'])\n"
        "import ais.cli; ais.cli.build_parser().parse_args(['serve', '--host', '0.0.0.0'])\n")
    done = run_blocked([IMPORT_NAMES[d] for d in excluded("api")], code, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["200", "200", "prediction_not_found"]


def test_ml_commands_run_without_spark(tmp_path: Path) -> None:
    code = (
        "import ais.ml.train, ais.ml.predict, ais.ml.registry, ais.k8s.smoke\n"
        "import ais.cli\n"
        "p = ais.cli.build_parser()\n"
        "for argv in (['train'], ['predict', '--dry-run', '1'],\n"
        "             ['promote', '--model-run-id', 'r', '--horizon-hour', '6', '--promoted-by', 'x']):\n"
        "    p.parse_args(argv)\n"
        "print('ok')\n")
    done = run_blocked([IMPORT_NAMES[d] for d in excluded("ml")], code, isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
    assert excluded("ml") == ["pyspark"]


def test_driver_application_lists_every_job() -> None:
    done = subprocess.run([sys.executable, str(DOCKER / "spark" / "ais-job.py"), "--help"], capture_output=True,
                          text=True, env={**os.environ, "HANOI_PIPELINE_CONFIG": str(CONFIG_PATH)}, check=False)
    assert done.returncode == 0
    for name in JOBS:
        assert name in done.stdout


def test_entrypoint_executor_runs_the_executor_backend(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    java = fake_bin / "java"
    java.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "SPARK_HOME": "/opt/spark-home",
           "SPARK_DRIVER_URL": "spark://CoarseGrainedScheduler@ais-driver-svc.ais.svc:7078",
           "SPARK_EXECUTOR_ID": "3", "SPARK_EXECUTOR_CORES": "1", "SPARK_EXECUTOR_MEMORY": "2048m",
           "SPARK_APPLICATION_ID": "spark-0123", "SPARK_EXECUTOR_POD_IP": "10.1.2.3",
           "SPARK_RESOURCE_PROFILE_ID": "0", "SPARK_EXECUTOR_POD_NAME": "ais-job-exec-3",
           "SPARK_CONF_DIR": "/opt/spark/conf",
           "SPARK_JAVA_OPT_10": "-Dten=10", "SPARK_JAVA_OPT_0": "-Dspark.driver.port=7078",
           "SPARK_JAVA_OPT_2": "-Dx=a b"}
    done = subprocess.run(["bash", str(DOCKER / "spark" / "entrypoint.sh"), "executor"], capture_output=True,
                          text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "-Dspark.driver.port=7078", "-Dx=a b", "-Dten=10", "-Xms2048m", "-Xmx2048m",
        "-cp", "/opt/spark/conf:/opt/spark-home/jars/*",
        "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend",
        "--driver-url", "spark://CoarseGrainedScheduler@ais-driver-svc.ais.svc:7078", "--executor-id", "3",
        "--cores", "1", "--app-id", "spark-0123", "--hostname", "10.1.2.3", "--resourceProfileId", "0",
        "--podName", "ais-job-exec-3"]
    missing = subprocess.run(["bash", str(DOCKER / "spark" / "entrypoint.sh"), "executor"], capture_output=True,
                             text=True, env={k: v for k, v in env.items() if k != "SPARK_DRIVER_URL"}, check=False)
    assert missing.returncode == 2 and "SPARK_DRIVER_URL is not set" in missing.stderr


def test_entrypoint_driver_runs_the_job_through_spark_submit(tmp_path: Path) -> None:
    """The driver branch with the real spark-submit of the PySpark wheel (local master instead of a
    pod): ais-job.py runs `ais job ensure-iceberg`, which creates every table."""
    from ais.catalog import load_catalog
    from ais.config import load_settings
    from ais.tables import all_tables

    props = tmp_path / "spark.properties"
    props.write_text("spark.master=local[1]\nspark.app.name=ais-ensure-iceberg\nspark.ui.enabled=false\n")
    env = {**os.environ, **isolated_env(tmp_path), "SPARK_HOME": str(SPARK_HOME),
           "SPARK_DRIVER_BIND_ADDRESS": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "PYSPARK_DRIVER_PYTHON": sys.executable, "HANOI_PIPELINE_CONFIG": str(CONFIG_PATH)}
    done = subprocess.run(["bash", str(DOCKER / "spark" / "entrypoint.sh"), "driver", "--properties-file", str(props),
                           "--class", "org.apache.spark.deploy.PythonRunner",
                           f"file://{DOCKER / 'spark' / 'ais-job.py'}", "ensure-iceberg"],
                          capture_output=True, text=True, env=env, check=False, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    catalog = load_catalog(load_settings(CONFIG_PATH, environ=isolated_env(tmp_path)), create=False)
    expected = {spec.identifier for spec in all_tables()}
    found = {".".join(t) for ns in catalog.list_namespaces() for t in catalog.list_tables(ns)}
    assert found == expected


def test_entrypoint_passes_other_commands_through() -> None:
    done = subprocess.run(["bash", str(DOCKER / "spark" / "entrypoint.sh"), "echo", "submit", "me"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "SPARK_HOME": "/x"},
                          check=False)
    assert (done.returncode, done.stdout) == (0, "submit me\n")
    usage = subprocess.run(["bash", str(DOCKER / "spark" / "entrypoint.sh")], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "SPARK_HOME": "/x"}, check=False)
    assert usage.returncode == 2
