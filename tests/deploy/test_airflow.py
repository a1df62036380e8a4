"""airflow/dags: every DAG imports in Airflow's own environment with the expected task graph, in
both runtimes; every task calls a command that exists, with flags its parser accepts."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ais.cli import build_parser
from ais.k8s import submit
from ais.spark.jobs.registry import JOBS
from tests.conftest import PROJECT_ROOT
from tests.deploy.airflow_env import AIRFLOW_BIN, DAGS, airflow_env, probe, require_airflow
from tests.deploy.conftest import BASE

CONF = {"start_date": "2026-10-17", "end_date": "2026-10-31", "simulate_sources": True, "train": True,
        "promote_model_run_id": "trained", "promoted_by": "airflow-dags-test"}
INTERVAL_END = "2026-11-01T00:20:00+00:00"
IMAGES = {"AIS_SPARK_IMAGE": "ais-spark-runtime:0.1.0", "AIS_ML_IMAGE": "ais-ml-runtime:0.1.0"}

COMPUTE_UPSTREAM = {
    "ensure_iceberg_tables_k8s": [],
    "wait_for_upstream_tier2_or_run_tier2_k8s": ["ensure_iceberg_tables_k8s"],
    "build_pm25_serving_features_k8s": ["wait_for_upstream_tier2_or_run_tier2_k8s"],
    "check_serving_features": ["build_pm25_serving_features_k8s", "promote_pm25_models_k8s"],
    "run_pm25_inference_k8s": ["check_serving_features"],
    "check_prediction_freshness": ["run_pm25_inference_k8s"],
    "check_api_ready": ["check_prediction_freshness"],
    "build_training_dataset_k8s": ["wait_for_upstream_tier2_or_run_tier2_k8s"],
    "train_pm25_models_k8s": ["build_training_dataset_k8s"],
    "promotion_gate": ["train_pm25_models_k8s"],
    "promote_pm25_models_k8s": ["promotion_gate"],
}
SILVER = ["era5_surface_hanoi_silver", "hanoi_openaq_silver", "hanoi_weather_proxy_silver", "maiac_hanoi_silver",
          "sentinel5p_grid_silver", "sentinel5p_hanoi_silver"]
OTHER_DAGS = {
    "ais_pipeline": {"ensure_iceberg_tables": [], "bronze_openaq": ["ensure_iceberg_tables"],
                     "bronze_weather": ["bronze_openaq"], "bronze_sentinel5p": ["bronze_weather"],
                     "bronze_maiac": ["bronze_sentinel5p"], "bronze_era5": ["bronze_maiac"]},
    "ais_streaming_supervision": {f"bronze_{s}": [] for s in ("openaq", "weather", "sentinel5p", "maiac", "era5")},
    "ais_hanoi_silver_gold": {**{s: [] for s in SILVER}, "openaq_spatial_gradient_silver": ["hanoi_openaq_silver"],
                              "hanoi_master_features_gold": sorted([*SILVER, "openaq_spatial_gradient_silver"]),
                              "hanoi_training_dataset_gold": ["hanoi_master_features_gold"],
                              "hanoi_serving_features_gold": ["hanoi_training_dataset_gold"]},
}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return probe(tmp_path_factory.mktemp("af-local"), CONF, INTERVAL_END, AIS_RUNTIME="local")


@pytest.fixture(scope="module")
def k8s(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    conf = {**CONF, "simulate_sources": False, "promote_model_run_id": "run-42"}
    return probe(tmp_path_factory.mktemp("af-k8s"), conf, INTERVAL_END, AIS_RUNTIME="k8s", **IMAGES)


def upstream_map(dag: dict[str, Any]) -> dict[str, list[str]]:
    return {task_id: task["upstream"] for task_id, task in dag["tasks"].items()}


@pytest.mark.parametrize("runtime", ["local", "k8s"])
def test_dags_import_with_the_expected_graph(runtime: str, request: pytest.FixtureRequest) -> None:
    result = request.getfixturevalue(runtime)
    assert result["import_errors"] == {}
    assert set(result["dags"]) == {"ais_pm25_k8s_compute", *OTHER_DAGS}
    compute = result["dags"]["ais_pm25_k8s_compute"]
    assert upstream_map(compute) == COMPUTE_UPSTREAM
    for dag_id, graph in OTHER_DAGS.items():
        assert upstream_map(result["dags"][dag_id]) == graph, dag_id
    rules = {t: task["trigger_rule"] for t, task in compute["tasks"].items() if task["trigger_rule"] != "all_success"}
    assert rules == {"check_serving_features": "none_failed", "promotion_gate": "none_failed",
                     "check_api_ready": "none_failed"}
    assert {"start_date", "end_date", "base_hour", "feature_version", "dry_run"} <= set(compute["params"])
    assert (compute["schedule"], compute["catchup"], compute["max_active_runs"]) == ("20 * * * *", False, 1)


def test_local_runtime_runs_the_project_cli(local: dict[str, Any]) -> None:
    ais = str(PROJECT_ROOT / ".venv" / "bin" / "ais")
    for dag in local["dags"].values():
        for task_id, task in dag["tasks"].items():
            if task_id == "promotion_gate":
                assert task["operator"] == "PythonOperator"
                continue
            assert task["operator"] == "AisLocalOperator"
            for argv in task["commands"]:
                assert argv[0] in (ais, str(PROJECT_ROOT / "build" / "native" / "ais-ingest")), argv
                check_command(argv[1:] if argv[0] == ais else argv)


def check_command(argv: list[str]) -> None:
    """Every command a task runs exists and accepts its flags."""
    if argv[:1] == ["job"]:
        job = JOBS.get(argv[1])
        assert job is not None, f"job {argv[1]} is not in the registry"
        submit.job_parser(job).parse_args(argv[2:])
    elif argv[0].endswith("ais-ingest"):
        assert argv[1:4] == ["openaq", "--mode", "simulate"]
    else:
        build_parser().parse_args(argv)


def test_compute_commands_render_the_window(local: dict[str, Any]) -> None:
    tasks = local["dags"]["ais_pm25_k8s_compute"]["tasks"]
    ais = str(PROJECT_ROOT / ".venv" / "bin" / "ais")
    upstream = tasks["wait_for_upstream_tier2_or_run_tier2_k8s"]
    assert upstream["commands"] == [
        [str(PROJECT_ROOT / "build" / "native" / "ais-ingest"), "openaq", "--mode", "simulate",
         "--start", "2026-10-17T00:00:00Z", "--end", "2026-11-01T00:00:00Z", "--sink", "landing"],
        [ais, "job", "bronze-openaq", "--trigger", "availableNow"],
        [ais, "job", "hanoi-openaq-silver", "--start-date", "2026-10-17", "--end-date", "2026-10-31"],
        [ais, "job", "hanoi-master-features-gold", "--start-date", "2026-10-17", "--end-date", "2026-10-31"]]
    assert upstream["step_run_if"] == ["True", "True", None, None]
    assert tasks["run_pm25_inference_k8s"]["commands"] == [[
        ais, "predict", "--base-hour", "2026-10-31T23:00:00Z", "--feature-version", "", "--model-status",
        "production", "--dry-run", "0", "--max-feature-age-minutes", "180"]]
    assert tasks["check_serving_features"]["commands"] == [[
        ais, "check", "--serve-local", "--check", "serving-freshness", "--check", "feature-null-ratio", "--check",
        "model-registry", "--check", "schema-hash", "--base-hour", "2026-10-31T23:00:00Z", "--feature-version", ""]]
    promote = tasks["promote_pm25_models_k8s"]["commands"]
    assert [c[5] for c in promote] == ["6", "12", "24"]
    assert {c[3] for c in promote} == {"xcom-of-train_pm25_models_k8s"}
    assert {c[-1] for c in promote} == {"airflow-dags-test"}
    assert tasks["build_training_dataset_k8s"]["run_if"] == "True"
    assert tasks["check_prediction_freshness"]["commands"] == [[
        ais, "check", "--serve-local", "--check", "prediction-freshness", "--check", "duplicate-predictions",
        "--base-hour", "2026-10-31T23:00:00Z"]]
    assert tasks["check_api_ready"]["commands"] == [[ais, "check", "--serve-local", "--check", "api-readiness"]]


def test_dry_run_and_default_window(tmp_path: Path) -> None:
    """No dates in the conf: the window ends with the hour before the data interval's end."""
    result = probe(tmp_path, {"dry_run": True, "lookback_days": 3}, "2026-05-02T10:20:00+00:00", AIS_RUNTIME="local")
    tasks = result["dags"]["ais_pm25_k8s_compute"]["tasks"]
    serving = tasks["build_pm25_serving_features_k8s"]["commands"][0]
    assert serving[3:7] == ["--start-date", "2026-04-30", "--end-date", "2026-05-02"]
    assert serving[-2:] == ["--dry-run", "1"]
    assert tasks["run_pm25_inference_k8s"]["commands"][0][3] == "2026-05-02T09:00:00Z"
    assert tasks["check_prediction_freshness"]["run_if"] == "False"
    assert tasks["build_training_dataset_k8s"]["run_if"] == "False"
    silver = result["dags"]["ais_hanoi_silver_gold"]["tasks"]["hanoi_openaq_silver"]["commands"][0]
    assert silver[-4:] == ["--start-date", "2026-04-30", "--end-date", "2026-05-02"]


def manifest_container(relpath: str) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = yaml.safe_load((BASE / relpath).read_text())
    spec = doc["spec"]["template"]["spec"]
    return spec, spec["containers"][0]


def test_k8s_runtime_launches_the_deployed_pods(k8s: dict[str, Any]) -> None:
    compute = k8s["dags"]["ais_pm25_k8s_compute"]["tasks"]
    expect = {
        "ensure_iceberg_tables_k8s": ("Pod", "spark/spark-submit-template.yaml", "spark"),
        "wait_for_upstream_tier2_or_run_tier2_k8s": ("Pod", "spark/spark-submit-template.yaml", "spark"),
        "build_pm25_serving_features_k8s": ("Pod", "spark/spark-submit-template.yaml", "spark"),
        "build_training_dataset_k8s": ("Pod", "spark/spark-submit-template.yaml", "spark"),
        "check_serving_features": ("Job", "ml/pm25-predict-job.yaml", "ais-runtime"),
        "run_pm25_inference_k8s": ("Job", "ml/pm25-predict-job.yaml", "ais-runtime"),
        "train_pm25_models_k8s": ("Job", "ml/pm25-train-job.yaml", "ais-runtime"),
        "promote_pm25_models_k8s": ("Job", "ml/pm25-predict-job.yaml", "ais-runtime"),
        "check_prediction_freshness": ("Pod", "checks/pm25-serving-check-job.yaml", "ais-runtime"),
        "check_api_ready": ("Pod", "checks/pm25-serving-check-job.yaml", "ais-runtime"),
    }
    for task_id, (kind, manifest, account) in expect.items():
        pod = compute[task_id]["kubernetes"]
        spec, container = manifest_container(manifest)
        assert pod["kind"] == kind and pod["namespace"] == "ais", task_id
        assert pod["service_account"] == account
        assert pod["image"] == (IMAGES["AIS_SPARK_IMAGE"] if account == "spark" else IMAGES["AIS_ML_IMAGE"])
        assert pod["resources"] == container["resources"], task_id
        assert pod["env_from"] == [["ais-runtime-config", None], [None, "ais-runtime-secrets"]]
        assert pod["run_as_non_root"] is True
        assert pod["volumes"] == sorted(v["name"] for v in spec["volumes"])
        if kind == "Job":
            assert pod["backoff_limit"] == 1
        if account == "ais-runtime":
            assert pod["automount_token"] is False
    assert compute["promotion_gate"]["operator"] == "PythonOperator"


def test_k8s_commands_are_the_submit_script_and_the_cli(k8s: dict[str, Any]) -> None:
    for dag in k8s["dags"].values():
        for task_id, task in dag["tasks"].items():
            if "kubernetes" not in task:
                continue
            pod = task["kubernetes"]
            scripts = [shlex.split(line) for line in pod["args"][0].splitlines()] if pod["command"] == ["sh", "-ec"] \
                else [pod["command"] + pod["args"]]
            for argv in scripts:
                if argv[0] == "/opt/ais/scripts/submit_spark_k8s.sh":
                    check_command(["job", *argv[1:]])
                else:
                    assert argv[0] == "ais", (task_id, argv)
                    check_command(argv[1:])
    upstream = k8s["dags"]["ais_pm25_k8s_compute"]["tasks"]["wait_for_upstream_tier2_or_run_tier2_k8s"]
    # the simulated sources and the bronze catch-up are the embedded profile's; not in the cluster
    assert "ais-ingest" not in upstream["kubernetes"]["args"][0] and "bronze" not in upstream["kubernetes"]["args"][0]
    promote = k8s["dags"]["ais_pm25_k8s_compute"]["tasks"]["promote_pm25_models_k8s"]["kubernetes"]
    assert promote["args"][0].splitlines()[0] == (
        "ais promote --model-run-id 'run-42' --horizon-hour 6 --feature-version '' --status production "
        "--promoted-by 'airflow-dags-test'")


def test_k8s_runtime_needs_pinned_images(tmp_path: Path) -> None:
    require_airflow()
    latest = {**IMAGES, "AIS_ML_IMAGE": "ais-ml-runtime:latest"}
    for env, message in (({}, "AIS_SPARK_IMAGE"), (latest, "never latest")):
        result = probe(tmp_path, {}, INTERVAL_END, AIS_RUNTIME="k8s", **env)
        assert result["import_errors"] and all(message in err for err in result["import_errors"].values())


def test_dag_files_do_not_import_ais_at_parse_time() -> None:
    for path in DAGS.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import ais\b|from ais(\.| import))", text, re.M), path.name


def gate(home: Path, cases: list[dict[str, Any]], runtime: str = "local") -> list[tuple[str, str]]:
    """promotion_gate(params) for each case, in Airflow's environment: ("ok", result) or (exception, message)."""
    code = ("import json, sys\n"
            f"sys.path.insert(0, {str(DAGS)!r})\n"
            "import ais_pm25_k8s_compute_dag as d\n"
            f"for params in {cases!r}:\n"
            "    try:\n"
            "        print('ok', json.dumps(d.promotion_gate(params)))\n"
            "    except Exception as exc:\n"
            "        print(type(exc).__name__, exc)\n")
    done = subprocess.run([str(AIRFLOW_BIN / "python"), "-c", code], capture_output=True, text=True, check=True,
                          env=airflow_env(home, AIS_RUNTIME=runtime, **IMAGES))
    lines = done.stdout.strip().splitlines()[-len(cases):]
    return [(kind, message) for kind, _, message in (line.partition(" ") for line in lines)]


def test_promotion_gate_needs_a_person(tmp_path: Path) -> None:
    require_airflow()
    trained = {"promote_model_run_id": "trained", "promoted_by": "lan", "train": True}
    local_results = gate(tmp_path, [{}, {"promote_model_run_id": "run-1"},
                                    {"promote_model_run_id": "trained", "promoted_by": "lan"}, trained])
    assert local_results[0][0] == "AirflowSkipException"
    assert local_results[1] == ("AirflowFailException", "a promotion needs promoted_by in the run conf (who promotes)")
    assert local_results[2][0] == "AirflowFailException" and "train=true" in local_results[2][1]
    assert local_results[3] == ("ok", json.dumps({"promote_model_run_id": "trained", "promoted_by": "lan"}))
    [(kind, message)] = gate(tmp_path, [trained], runtime="k8s")
    assert kind == "AirflowFailException" and "model_run_id" in message


def window_module() -> Any:
    spec = importlib.util.spec_from_file_location("ais_dag_window", DAGS / "ais_dag_window.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_window_resolution() -> None:
    import datetime as dt

    w = window_module()
    end = dt.datetime(2026, 5, 2, 10, 20, tzinfo=dt.UTC)
    got = w.resolve({"lookback_days": 2}, end)
    assert (got.start_date.isoformat(), got.end_date.isoformat(), got.base_hour_iso) == (
        "2026-05-01", "2026-05-02", "2026-05-02T09:00:00Z")
    assert (got.start_iso, got.end_iso) == ("2026-05-01T00:00:00Z", "2026-05-03T00:00:00Z")
    # the first hour of a day forecasts the previous day's last hour
    got = w.resolve({}, dt.datetime(2026, 5, 2, 0, 20, tzinfo=dt.UTC))
    assert (got.end_date.isoformat(), got.base_hour_iso) == ("2026-05-01", "2026-05-01T23:00:00Z")
    got = w.resolve({"start_date": "2026-04-01", "end_date": "2026-04-30"}, end)
    assert (got.start_date.isoformat(), got.base_hour_iso) == ("2026-04-01", "2026-04-30T23:00:00Z")
    got = w.resolve({"base_hour": "2026-04-15T06"}, None)
    assert (got.start_date.isoformat(), got.end_date.isoformat(), got.base_hour_iso) == (
        "2026-04-14", "2026-04-15", "2026-04-15T06:00:00Z")
    for params, interval_end, message in (
            ({}, None, "no data interval"), ({"start_date": "2026-05-03"}, end, "after end_date"),
            ({"base_hour": "2026-05-05T00:00:00Z", "end_date": "2026-05-01"}, end, "outside"),
            ({"end_date": "01/05/2026"}, end, "YYYY-MM-DD"), ({"lookback_days": 0}, end, "positive"),
            ({"base_hour": "2026-05-05 07:30"}, end, "ISO UTC hour")):
        with pytest.raises(w.WindowError, match=message):
            w.resolve(params, interval_end)
    assert (w.ais_flag(True), w.ais_flag("False"), w.ais_flag(None)) == ("1", "0", "0")


def test_requirements_airflow_is_fully_pinned() -> None:
    lines = [line for line in (PROJECT_ROOT / "requirements" / "airflow.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[\w.+-]+", line) for line in lines), lines
    names = {line.split("==")[0].lower() for line in lines}
    assert {"apache-airflow", "apache-airflow-providers-cncf-kubernetes", "apache-airflow-providers-standard"} <= names
    assert "ais" not in names and "pyspark" not in names
