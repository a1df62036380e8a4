"""docker/: the three images — Dockerfile rules, the extras of pyproject.toml and the hashed lock file
each image installs, the Spark container entry point (driver and executor), and that each image's
command works with only what it installs. The built images themselves: tests/images."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ais.spark.jobs.registry import JOBS
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env

DOCKER = PROJECT_ROOT / "docker"
IMAGES = {"spark": "ais-spark-runtime", "ml": "ais-ml-runtime", "api": "ais-pm25-api"}
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
LOCKS = PROJECT_ROOT / "requirements" / "lock"
# the extras each image's lock is made from (scripts/setup.sh lock); dev is the .venv of setup.sh
LOCK_EXTRAS = {"api": ["api"], "ml": ["ml"], "spark": ["spark", "ml"], "dev": ["api", "ml", "spark"]}
SPARK_HOME = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "pyspark"
# import names of the distributions an image leaves out
IMPORT_NAMES = {"pyspark": "pyspark", "lightgbm": "lightgbm", "scikit-learn": "sklearn", "pandas": "pandas",
                "numpy": "numpy"}


def dockerfile(image: str) -> str:
    return (DOCKER / image / "Dockerfile").read_text()


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    """{normalised name: version} of ``name[extras]==version`` lines."""
    found = (re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)$", r) for r in requirements)
    return {norm(m.group(1)): m.group(2) for m in found if m}


def lock(name: str) -> dict[str, str]:
    """{normalised name: version} of requirements/lock/<name>.txt."""
    text = (LOCKS / f"{name}.txt").read_text()
    return {norm(n): v for n, v in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.M)}


def excluded(image: str) -> list[str]:
    """The distributions of IMPORT_NAMES that the image's lock leaves out."""
    return sorted(d for d in IMPORT_NAMES if norm(d) not in lock(image))


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
    # the image installs its own lock, with hashes, and builds ais from it without fetching more
    assert f"!requirements/lock/{image}.txt" in ignore
    assert f"COPY requirements/lock/{image}.txt requirements/lock/" in text
    assert re.search(rf"pip install [^\n]*--require-hashes -r requirements/lock/{image}\.txt$", text, re.M)
    assert re.search(r"pip install [^\n]*--no-deps --no-build-isolation \. \\$", text, re.M)
    assert "requirements/runtime.txt" not in text and "select-requirements" not in text


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


def test_api_image_ships_the_dashboard(tmp_path: Path) -> None:
    """The API image copies the built dashboard (web/dashboard/dist, gitignored) under /opt/ais and
    points runtime.dashboard_dir at it through DASHBOARD_DIR; the API run in that layout serves it."""
    text = dockerfile("api")
    copy = re.search(r"^COPY web/dashboard/dist/ (\S+)$", text, re.M)
    assert copy, "the api image copies web/dashboard/dist"
    workdirs = re.findall(r"^WORKDIR (\S+)$", text[:copy.start()], re.M)
    target = Path(workdirs[-1]) / copy.group(1)
    env = dict(re.findall(r"^(?:ENV)?\s+([A-Z_]+)=(\S+)(?: \\)?$", text[text.index("\nENV "):], re.M))
    assert env["DASHBOARD_DIR"] == str(target) == "/opt/ais/web/dashboard/dist"
    assert "!web/dashboard/dist/" in (DOCKER / "api" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "web/dashboard" not in dockerfile("ml") and "web/dashboard" not in dockerfile("spark")
    # the image's layout under tmp_path: its config, the copied build and its environment
    image_root = tmp_path / "opt" / "ais"
    (image_root / "config").mkdir(parents=True)
    (image_root / "config" / "hanoi_pipeline.yaml").write_bytes(CONFIG_PATH.read_bytes())
    built = image_root / target.relative_to("/opt/ais")
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><title>image</title>", encoding="utf-8")
    (built / "assets" / "app.js").write_text("1", encoding="utf-8")
    config = image_root / "config" / "hanoi_pipeline.yaml"
    code = (
        "from fastapi.testclient import TestClient\n"
        "from ais.api.app import create_app, dashboard_dir\n"
        "from ais.config import load_settings\n"
        f"settings = load_settings({str(config)!r})\n"
        "assert dashboard_dir(settings) == settings.project_root / 'web' / 'dashboard' / 'dist'\n"
        "client = TestClient(create_app(settings))\n"
        "print(client.get('/').text, client.get('/assets/app.js').status_code)\n")
    done = run_blocked([IMPORT_NAMES[d] for d in excluded("api")], code,
                       {**isolated_env(tmp_path), "DASHBOARD_DIR": str(built)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["<!doctype", "html><title>image</title>", "200"]


def test_build_images_builds_the_dashboard_before_the_api_image(tmp_path: Path) -> None:
    """scripts/build_images.sh api runs scripts/setup.sh web first and stops with a clear error when
    the dashboard cannot be built (its step_dashboard run against a stand-in setup.sh)."""
    script = (PROJECT_ROOT / "scripts" / "build_images.sh").read_text()
    assert re.search(r"^    api\) step_base; step_dashboard; step_image api ;;$", script, re.M)
    helpers = re.search(r"^log\(\) \{.*?exit 2; \}$", script, re.M | re.S)
    step = re.search(r"^step_dashboard\(\) \{.*?^\}$", script, re.M | re.S)
    assert helpers and step and '"$ROOT/scripts/setup.sh" web' in step.group(0)
    (tmp_path / "scripts").mkdir()
    setup = tmp_path / "scripts" / "setup.sh"

    def run(setup_body: str) -> subprocess.CompletedProcess[str]:
        setup.write_text("#!/bin/sh\n" + setup_body)
        setup.chmod(0o755)
        program = f"set -euo pipefail\nROOT={tmp_path}\n{helpers.group(0)}\n{step.group(0)}\nstep_dashboard\n"
        return subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=False)

    no_npm = run("echo 'setup: npm (Node.js 20) is required for the dashboard' >&2; exit 2\n")
    assert no_npm.returncode == 2 and "dashboard_build_failed" in no_npm.stderr and "npm" in no_npm.stderr
    nothing = run("exit 0\n")
    assert nothing.returncode == 2 and "dashboard_not_built" in nothing.stderr
    built = run("mkdir -p \"$(dirname \"$0\")/../web/dashboard/dist\"\n"
                "echo '<!doctype html>' > \"$(dirname \"$0\")/../web/dashboard/dist/index.html\"\n")
    assert built.returncode == 0, built.stderr
    assert '"event":"dashboard_ready","dir":"web/dashboard/dist"' in built.stderr


def test_extras_declared_in_pyproject() -> None:
    extras = PYPROJECT["optional-dependencies"]
    assert sorted(extras) == ["api", "ml", "spark"]  # Airflow has its own requirements file, no extra
    core = pins(PYPROJECT["dependencies"])
    assert "pyiceberg" in core and not {"pyspark", "fastapi", "lightgbm", "pandas"} & set(core)
    assert set(pins(extras["spark"])) == {"pyspark"}
    assert {"fastapi", "uvicorn"} <= set(pins(extras["api"])) and "pandas" not in pins(extras["api"])
    assert {"lightgbm", "pandas", "numpy", "scikit-learn"} <= set(pins(extras["ml"]))
    every = [r for group in (PYPROJECT["dependencies"], *extras.values()) for r in group]
    assert len(pins(every)) == len(every), "every top-level requirement is pinned exactly"
    assert not (PROJECT_ROOT / "docker" / "select-requirements.sh").exists()
    assert "apache-airflow" not in (LOCKS / "dev.txt").read_text()


@pytest.mark.parametrize("name", sorted(LOCK_EXTRAS))
def test_lock_matches_its_extras(name: str) -> None:
    """Each lock holds the core pins and its extras' at the versions pyproject.toml names, and every
    package in it carries at least one sha256 hash (so pip installs it with --require-hashes)."""
    text = (LOCKS / f"{name}.txt").read_text()
    locked = lock(name)
    wanted = pins(PYPROJECT["dependencies"])
    for extra in LOCK_EXTRAS[name]:
        wanted |= pins(PYPROJECT["optional-dependencies"][extra])
    assert {k: locked.get(k) for k in wanted} == wanted
    blocks = re.split(r"\n(?=[A-Za-z0-9][A-Za-z0-9._-]*==)", text)[1:]
    assert len(blocks) == len(locked)
    assert all(re.search(r"--hash=sha256:[0-9a-f]{64}", b) for b in blocks), "every package is hashed"
    assert "--extra=" + " --extra=".join(sorted(LOCK_EXTRAS[name])) in text.split("\n", 6)[4]  # the header command
    assert "setuptools" in locked  # the build back end the images build ais with, pinned


def test_locks_agree_and_leave_out_what_their_image_must_not_carry() -> None:
    api, ml, spark, dev = lock("api"), lock("ml"), lock("spark"), lock("dev")
    assert not {"pyspark", "lightgbm", "scikit-learn", "pandas", "numpy"} & set(api)
    assert "pyspark" not in ml and set(ml) <= set(spark)
    # one version of each package everywhere: the dev .venv tests what the images run
    for image in (api, ml, spark):
        assert {k: dev.get(k) for k in image} == image
    dev_tools = pins([line.strip() for line in (PROJECT_ROOT / "requirements" / "dev.txt").read_text().splitlines()])
    assert {k: dev.get(k) for k in dev_tools} == dev_tools and "pytest" in dev_tools


def test_spark_image_spark_matches_the_jars() -> None:
    pyspark = pins(PYPROJECT["optional-dependencies"]["spark"])["pyspark"]
    pom = re.search(r"<spark.version>([\d.]+)</spark.version>", (PROJECT_ROOT / "jvm" / "pom.xml").read_text())
    assert pom and pyspark == pom.group(1) == lock("spark")["pyspark"] == "4.0.0"
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
    assert excluded("api") == ["lightgbm", "numpy", "pandas", "pyspark", "scikit-learn"]


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
