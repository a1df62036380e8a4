"""airflow/dags: the eight DAGs import in Airflow's own environment with the expected task graph, in
both runtimes; every task calls a command that exists, with flags its parser accepts; every task
has its pool, timeout, retries with backoff and the failure callback; the windows (ingest, arrival,
planned) and the chain wiring; ``ais clean`` deletes only what a checkpoint committed."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ais.cli import build_parser, main
from ais.commands.clean import consumed_files
from ais.k8s import submit
from ais.spark.jobs.registry import JOBS
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env
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
    "score_pm25_forecasts_k8s": ["run_pm25_inference_k8s"],
    "build_training_dataset_k8s": ["wait_for_upstream_tier2_or_run_tier2_k8s"],
    "train_pm25_models_k8s": ["build_training_dataset_k8s"],
    "promotion_gate": ["train_pm25_models_k8s"],
    "promote_pm25_models_k8s": ["promotion_gate"],
}
SILVER = ["era5_surface_hanoi_silver", "hanoi_openaq_silver", "hanoi_weather_proxy_silver", "maiac_hanoi_silver",
          "sentinel5p_grid_silver", "sentinel5p_hanoi_silver", "weather_forecast_silver"]
TIER2 = {"trajectory_met_arl": ["plan_window"], "trajectory_runs": ["trajectory_met_arl"],
         "trajectory_clusters": ["trajectory_runs"], "trajectory_path_satellite": ["trajectory_runs"],
         "trajectory_hourly_features": ["trajectory_clusters", "trajectory_path_satellite"]}
BRONZE = ("openaq", "weather", "sentinel5p", "maiac", "era5", "weather-forecast")
OTHER_DAGS = {
    "ais_pipeline": {"ensure_kafka_topics": [], "ensure_iceberg_tables": [], "ensure_cassandra_schema": [],
                     "bronze_openaq": ["ensure_cassandra_schema", "ensure_iceberg_tables", "ensure_kafka_topics"],
                     "bronze_weather": ["bronze_openaq"], "bronze_sentinel5p": ["bronze_weather"],
                     "bronze_maiac": ["bronze_sentinel5p"], "bronze_era5": ["bronze_maiac"]},
    "ais_streaming_supervision": {"ingest_openaq": [], "ingest_weather": [], "ingest_sentinel5p": [],
                                  "bronze_openaq": ["ingest_openaq"], "bronze_weather": ["ingest_weather"],
                                  "bronze_sentinel5p": ["ingest_sentinel5p"], "bronze_maiac": [], "bronze_era5": [],
                                  "cassandra_openaq": ["bronze_openaq"], "cassandra_weather": ["bronze_weather"],
                                  "ingest_weather_forecast": [],
                                  "bronze_weather_forecast": ["ingest_weather_forecast"]},
    # wired by the declared chain: A -> B when A writes a table B reads
    "ais_hanoi_silver_gold": {"plan_window": [], **{s: ["plan_window"] for s in SILVER},
                              "openaq_spatial_gradient_silver": ["hanoi_openaq_silver"],
                              **TIER2,
                              "trajectory_runs": ["hanoi_openaq_silver", "trajectory_met_arl"],
                              "trajectory_path_satellite": ["sentinel5p_grid_silver", "trajectory_runs"],
                              "hanoi_master_features_gold": sorted(
                                  [*(s for s in SILVER if s != "sentinel5p_grid_silver"),
                                   "openaq_spatial_gradient_silver", "trajectory_hourly_features"]),
                              "hanoi_serving_features_gold": ["hanoi_master_features_gold"]},
    "ais_trajectory_tier2": {"plan_window": [], **TIER2},
    "ais_era5_ingestion": {"ingest_era5": []},
    "ais_maiac_backfill": {"ingest_maiac": []},
    "ais_maintenance": {"audit_dead_letters": [], "maintenance_iceberg": ["audit_dead_letters"],
                        "clean_files": ["maintenance_iceberg"], "reconcile_serving": []},
}
SCHEDULES = {"ais_pipeline": None, "ais_streaming_supervision": "5 * * * *", "ais_hanoi_silver_gold": "30 0 * * *",
             "ais_trajectory_tier2": "40 */6 * * *", "ais_era5_ingestion": "0 6 * * *",
             "ais_maiac_backfill": "30 4 * * *", "ais_maintenance": "0 2 * * *", "ais_pm25_k8s_compute": "20 * * * *"}
INGEST = str(PROJECT_ROOT / "build" / "native" / "ais-ingest")


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
    assert set(result["dags"]) == {"ais_pm25_k8s_compute", *OTHER_DAGS} == set(SCHEDULES)
    assert {d: result["dags"][d]["schedule"] for d in SCHEDULES} == SCHEDULES
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
                assert argv[0] in (ais, INGEST), argv
                check_command(argv[1:] if argv[0] == ais else argv)


ISO_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$")


def check_ingest(argv: list[str]) -> None:
    """An ais-ingest command as its parser (native/src/ingest/cli/cli.c) takes it: a source and mode it
    knows, whole-hour ISO UTC times, a sink and provider it accepts."""
    if argv[1] == "topics":
        assert argv[2:] == ["--create"], argv
        return
    assert argv[1] in BRONZE and argv[2] == "--mode" and argv[3] in ("simulate", "live"), argv
    flags = dict(zip(argv[4::2], argv[5::2], strict=True))
    assert set(flags) <= {"--start", "--end", "--sink", "--provider"}, flags
    assert ISO_HOUR.match(flags["--start"]) and ISO_HOUR.match(flags["--end"]) and flags["--start"] < flags["--end"]
    assert flags["--sink"] in ("landing", "kafka")
    assert ("--provider" in flags) == (argv[3] == "live") and flags.get("--provider", "real") in ("real", "simulated")


def check_command(argv: list[str]) -> None:
    """Every command a task runs exists and accepts its flags."""
    if argv[:1] == ["job"]:
        job = JOBS.get(argv[1])
        assert job is not None, f"job {argv[1]} is not in the registry"
        submit.job_parser(job).parse_args(argv[2:])
    elif Path(argv[0]).name == "ais-ingest":
        check_ingest(argv)
    else:
        build_parser().parse_args(argv)


def test_every_task_has_pool_timeout_retries_and_the_failure_callback(local: dict[str, Any],
                                                                      k8s: dict[str, Any]) -> None:
    for result in (local, k8s):
        for dag_id, dag in result["dags"].items():
            for task_id, task in dag["tasks"].items():
                where = (dag_id, task_id)
                assert task["on_failure_callback"] == ["log_failure"], where
                assert task["retry_exponential_backoff"] is True and task["max_retry_delay_s"] == 3600, where
                assert task["retries"] == 2, where
                if task_id == "promotion_gate":
                    continue
                assert 0 < task["execution_timeout_s"] <= 13 * 3600, where
                commands = task.get("commands") or [[*task["kubernetes"]["command"], *task["kubernetes"]["args"]]]
                text = " ".join(" ".join(c) for c in commands)
                spark = any(("job" in c and c[c.index("job") + 1] not in ("plan-window",)) for c in commands) \
                    or "submit_spark_k8s.sh" in text
                expected = "ais_spark" if spark else "default_pool" if "ais-ingest" in text else "ais_catalog"
                assert task["pool"] == expected, (where, task["pool"])
    supervision = local["dags"]["ais_streaming_supervision"]["tasks"]
    timeouts = {t: task["execution_timeout_s"] for t, task in supervision.items()}
    assert timeouts["ingest_openaq"] == 7200 and timeouts["bronze_openaq"] == 7200
    assert local["dags"]["ais_era5_ingestion"]["tasks"]["ingest_era5"]["execution_timeout_s"] == 13 * 3600
    # several steps: the sum of their timeouts, at most 8 hours
    assert local["dags"]["ais_pm25_k8s_compute"]["tasks"]["wait_for_upstream_tier2_or_run_tier2_k8s"][
        "execution_timeout_s"] == 8 * 3600


def test_failure_callback_logs_one_json_line(tmp_path: Path) -> None:
    require_airflow()
    code = ("import logging, sys\n"
            f"sys.path.insert(0, {str(DAGS)!r})\n"
            "import ais_dag_utils as u\n"
            "handler = logging.StreamHandler(sys.stdout)\n"
            "handler.setFormatter(logging.Formatter('%(name)s|%(message)s'))\n"
            "u.FAILURE_LOG.addHandler(handler)\n"
            "class TI:\n"
            "    dag_id, task_id, try_number, run_id = 'ais_maintenance', 'clean_files', 3, 'manual__x'\n"
            "u.log_failure({'ti': TI(), 'exception': RuntimeError('ais clean exited with 1')})\n")
    done = subprocess.run([str(AIRFLOW_BIN / "python"), "-c", code], capture_output=True, text=True, check=True,
                          env=airflow_env(tmp_path, AIS_RUNTIME="local"))
    lines = [line for line in done.stdout.splitlines() if line.startswith("ais.airflow|")]
    assert len(lines) == 1, done.stdout
    assert json.loads(lines[0].split("|", 1)[1]) == {
        "event": "task_failed", "dag": "ais_maintenance", "task": "clean_files", "try": 3, "run_id": "manual__x",
        "error": "RuntimeError: ais clean exited with 1"}


def utils_call(home: Path, expr: str, chain: dict[str, Any] | None = None) -> Any:
    """``expr`` evaluated with ais_dag_utils imported as ``u`` (Airflow's environment), as JSON."""
    env = {"AIS_RUNTIME": "local"}
    if chain is not None:
        path = home / "chain.json"
        path.write_text(json.dumps(chain))
        env["AIS_CHAIN_FILE"] = str(path)
    code = (f"import json, sys\nsys.path.insert(0, {str(DAGS)!r})\nimport ais_dag_utils as u\n"
            f"print(json.dumps({expr}))\n")
    done = subprocess.run([str(AIRFLOW_BIN / "python"), "-c", code], capture_output=True, text=True, check=False,
                          env=airflow_env(home, **env))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_chain_wiring_from_a_declaration(tmp_path: Path) -> None:
    """A hand-made declaration in the format of ais_chain.json: edges where an output is an input."""
    require_airflow()
    chain = {"jobs": {
        "a": {"inputs": ["bus:x"], "outputs": ["ns.t1", "audit.bad"], "windowed": True},
        "b": {"inputs": ["ns.t1"], "outputs": ["ns.t2"], "windowed": True},
        "c": {"inputs": ["ns.t1", "ns.t2"], "outputs": ["ns.t3"], "windowed": True},
        "d": {"inputs": ["ns.other"], "outputs": ["ns.t4"], "windowed": False},
    }}
    got = utils_call(tmp_path, "[u.chain_edges(['c', 'b', 'a', 'd'], u.load_chain()), "
                               "u.chain_order(['c', 'd', 'b', 'a'])]", chain)
    assert got == [[["b", "c"], ["a", "c"], ["a", "b"]], ["d", "a", "b", "c"]]
    # entry jobs: none of their inputs is written inside the set
    assert utils_call(tmp_path, "u.entry_jobs(['a', 'b', 'c', 'd'], u.load_chain())", chain) == ["a", "d"]
    cycle = {"jobs": {"x": {"inputs": ["t2"], "outputs": ["t1"]}, "y": {"inputs": ["t1"], "outputs": ["t2"]}}}
    code = (f"import sys\nsys.path.insert(0, {str(DAGS)!r})\nimport ais_dag_utils as u\n"
            f"u.chain_order(['x', 'y'], {cycle['jobs']!r})\n")
    done = subprocess.run([str(AIRFLOW_BIN / "python"), "-c", code], capture_output=True, text=True, check=False,
                          env=airflow_env(tmp_path, AIS_RUNTIME="local"))
    assert done.returncode != 0 and "cycle" in done.stderr
    # the committed declaration is what the DAGs read
    committed = json.loads((DAGS / "ais_chain.json").read_text())
    assert {"trajectory-runs", "hanoi-master-features-gold", "plan-window"} <= set(committed["jobs"])


def test_ingest_and_plan_commands(local: dict[str, Any], k8s: dict[str, Any]) -> None:
    """Live ingest windows end with the hour of the data interval end (2026-11-01T00:20 here, conf
    dates 2026-10-17..31 given: the conf's days), plan_window asks for the arrivals since the last
    run; downstream takes the planned window."""
    supervision = local["dags"]["ais_streaming_supervision"]["tasks"]
    assert supervision["ingest_openaq"]["commands"] == [[
        INGEST, "openaq", "--mode", "live", "--start", "2026-10-17T00:00:00Z", "--end", "2026-11-01T00:00:00Z",
        "--sink", "landing", "--provider", "real"]]
    assert supervision["ingest_sentinel5p"]["run_if"] == "False"  # neither 03 UTC nor conf sentinel5p
    silver = local["dags"]["ais_hanoi_silver_gold"]["tasks"]
    [plan] = silver["plan_window"]["commands"]
    # arrivals are looked for in the inputs of the entry jobs: those that read only what other DAGs write
    assert plan[1:5] == ["job", "plan-window", "--jobs", ",".join(
        j.replace("_", "-") for j in ("hanoi_openaq_silver", "hanoi_weather_proxy_silver", "weather_forecast_silver",
                                      "era5_surface_hanoi_silver",
                                      "sentinel5p_hanoi_silver", "maiac_hanoi_silver", "sentinel5p_grid_silver",
                                      "trajectory_met_arl"))]
    tier2_plan = local["dags"]["ais_trajectory_tier2"]["tasks"]["plan_window"]["commands"][0]
    assert tier2_plan[3:5] == ["--jobs", "trajectory-met-arl"]
    # no previous successful run: one period (24 h) back, minus the 6 h overlap
    assert plan[5:] == ["--since", "2026-10-30T18:20:00Z", "--until", "2026-11-01T00:20:00Z",
                        "--start-date", "2026-10-17", "--end-date", "2026-10-31"]
    assert silver["plan_window"]["pool"] == "ais_catalog" and silver["plan_window"]["do_xcom_push"] is True
    # conf dates given: the conf's window, not the plan's
    assert silver["hanoi_openaq_silver"]["commands"][0][-4:] == ["--start-date", "2026-10-17", "--end-date",
                                                                 "2026-10-31"]
    kube = k8s["dags"]["ais_hanoi_silver_gold"]["tasks"]["plan_window"]["kubernetes"]
    assert kube["command"] == ["ais"] and kube["args"][-2:] == ["--xcom-file", "/airflow/xcom/return.json"]
    assert k8s["dags"]["ais_hanoi_silver_gold"]["tasks"]["plan_window"]["do_xcom_push"] is True
    ingest = k8s["dags"]["ais_era5_ingestion"]["tasks"]["ingest_era5"]["kubernetes"]
    assert ingest["command"] == ["/opt/ais/build/native/ais-ingest"] and ingest["image"] == IMAGES["AIS_SPARK_IMAGE"]
    assert ingest["args"][:2] == ["era5", "--mode"] and ingest["args"][-4:] == ["--sink", "kafka", "--provider", "real"]


def test_compute_commands_render_the_window(local: dict[str, Any]) -> None:
    tasks = local["dags"]["ais_pm25_k8s_compute"]["tasks"]
    ais = str(PROJECT_ROOT / ".venv" / "bin" / "ais")
    upstream = tasks["wait_for_upstream_tier2_or_run_tier2_k8s"]
    assert upstream["commands"] == [
        [str(PROJECT_ROOT / "build" / "native" / "ais-ingest"), "openaq", "--mode", "simulate",
         "--start", "2026-10-17T00:00:00Z", "--end", "2026-11-01T00:00:00Z", "--sink", "landing"],
        [ais, "job", "bronze-openaq", "--trigger", "availableNow"],
        [ais, "job", "hanoi-openaq-silver", "--start-date", "2026-10-17", "--end-date", "2026-10-31"],
        # the tier-2 chain, producers first (ais_chain.json), on simulated met when the sources are simulated
        [ais, "job", "trajectory-met-arl", "--start-date", "2026-10-17", "--end-date", "2026-10-31", "--simulate", "1"],
        *([ais, "job", job, "--start-date", "2026-10-17", "--end-date", "2026-10-31"] for job in (
            "trajectory-runs", "trajectory-clusters", "trajectory-path-satellite", "trajectory-hourly-features")),
        [ais, "job", "hanoi-master-features-gold", "--start-date", "2026-10-17", "--end-date", "2026-10-31"]]
    assert upstream["step_run_if"] == ["True", "True", *[None] * 7]
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
    assert tasks["score_pm25_forecasts_k8s"]["commands"] == [[ais, "job", "forecast-scoring"]]
    assert tasks["score_pm25_forecasts_k8s"]["run_if"] == "True"


def test_dry_run_and_default_window(tmp_path: Path) -> None:
    """No dates in the conf: the window ends with the hour before the data interval's end."""
    result = probe(tmp_path, {"dry_run": True, "lookback_days": 3}, "2026-05-02T10:20:00+00:00", AIS_RUNTIME="local")
    tasks = result["dags"]["ais_pm25_k8s_compute"]["tasks"]
    serving = tasks["build_pm25_serving_features_k8s"]["commands"][0]
    assert serving[3:7] == ["--start-date", "2026-04-30", "--end-date", "2026-05-02"]
    assert serving[-2:] == ["--dry-run", "1"]
    assert tasks["run_pm25_inference_k8s"]["commands"][0][3] == "2026-05-02T09:00:00Z"
    assert tasks["check_prediction_freshness"]["run_if"] == "False"
    assert tasks["score_pm25_forecasts_k8s"]["run_if"] == "False"
    assert tasks["build_training_dataset_k8s"]["run_if"] == "False"
    # silver/gold: plan_window asks for the default window; the jobs take what it planned (the
    # probe's plan_window XCom reaches 6 days back, as late ERA5 would)
    silver = result["dags"]["ais_hanoi_silver_gold"]["tasks"]
    assert silver["plan_window"]["commands"][0][-4:] == ["--start-date", "2026-04-30", "--end-date", "2026-05-02"]
    assert silver["hanoi_openaq_silver"]["commands"][0][-4:] == ["--start-date", "2026-04-26", "--end-date",
                                                                 "2026-05-02"]
    tier2 = result["dags"]["ais_trajectory_tier2"]["tasks"]["trajectory_runs"]["commands"][0]
    assert tier2[-4:] == ["--start-date", "2026-04-26", "--end-date", "2026-05-02"]


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
        "score_pm25_forecasts_k8s": ("Pod", "spark/spark-submit-template.yaml", "spark"),
    }
    for task_id, (kind, manifest, account) in expect.items():
        pod = compute[task_id]["kubernetes"]
        spec, container = manifest_container(manifest)
        assert pod["kind"] == kind and pod["namespace"] == "ais", task_id
        assert pod["service_account"] == account
        assert pod["image"] == (IMAGES["AIS_SPARK_IMAGE"] if account == "spark" else IMAGES["AIS_ML_IMAGE"])
        assert pod["resources"] == container["resources"], task_id
        # the manifest's own ConfigMap and Secret (one Secret per workload), and its pod labels,
        # which its NetworkPolicy selects
        assert pod["env_from"] == [[e.get("configMapRef", {}).get("name"), e.get("secretRef", {}).get("name")]
                                   for e in container.get("envFrom", [])], task_id
        template = yaml.safe_load((BASE / manifest).read_text())["spec"]["template"]
        assert template["metadata"]["labels"].items() <= pod["labels"].items(), task_id
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
                elif argv[0] == "/opt/ais/build/native/ais-ingest":
                    check_command(argv)
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


def test_ingest_arrival_and_planned_windows() -> None:
    w = window_module()
    end = dt.datetime(2026, 5, 2, 10, 20, tzinfo=dt.UTC)
    # the last N hours before the hour the data interval ends in; conf dates: those whole days
    assert w.ingest_window({}, end, 12) == ("2026-05-01T22:00:00Z", "2026-05-02T10:00:00Z")
    assert w.ingest_window({"start_date": "2026-04-01", "end_date": "2026-04-03"}, end, 12) == (
        "2026-04-01T00:00:00Z", "2026-04-04T00:00:00Z")
    for params, interval_end, hours, message in (({}, None, 12, "no data interval"), ({}, end, 0, "positive")):
        with pytest.raises(w.WindowError, match=message):
            w.ingest_window(params, interval_end, hours)
    # arrivals: since the last success (or one period back, the nearer is not used), minus the overlap
    assert w.arrival_window(end, None, 24, 6) == ("2026-05-01T04:20:00Z", "2026-05-02T10:20:00Z")
    three_days = dt.datetime(2026, 4, 29, 0, 30, tzinfo=dt.UTC)  # runs failed since: they are covered
    assert w.arrival_window(end, three_days, 24, 6)[0] == "2026-04-28T18:30:00Z"
    assert w.arrival_window(end, end - dt.timedelta(hours=1), 24, 6)[0] == "2026-05-01T04:20:00Z"

    class Failing:  # Airflow's lazy prev_* value when there is no previous successful run
        def __getattribute__(self, name: str) -> Any:
            raise AttributeError("'NoneType' object has no attribute 'data_interval_end'")

    assert w.arrival_window(end, Failing(), 6, 6)[0] == "2026-05-01T22:20:00Z"
    # the planned window: the plan's dates unless the conf gives its own
    plan = {"start_date": "2026-04-22", "end_date": "2026-05-02"}
    got = w.planned_window({"lookback_days": 2}, end, plan)
    assert (got.start_date.isoformat(), got.end_date.isoformat()) == ("2026-04-22", "2026-05-02")
    got = w.planned_window({"start_date": "2026-03-01", "end_date": "2026-03-02"}, end, plan)
    assert (got.start_date.isoformat(), got.end_date.isoformat()) == ("2026-03-01", "2026-03-02")
    with pytest.raises(w.WindowError, match="plan_window left no"):
        w.planned_window({}, end, None)


def write_checkpoint(base: Path, name: str, batches: dict[int, list[Path]], committed: list[int]) -> None:
    """A Spark file-stream checkpoint as Spark writes it: sources/0/<batch> (v1 + one JSON per
    file) and commits/<batch>."""
    (base / name / "sources" / "0").mkdir(parents=True)
    (base / name / "commits").mkdir(parents=True)
    for batch, files in batches.items():
        lines = ["v1", *(json.dumps({"path": f"file://{p}", "timestamp": 0, "batchId": batch}) for p in files)]
        (base / name / "sources" / "0" / str(batch)).write_text("\n".join(lines) + "\n")
    for batch in committed:
        (base / name / "commits" / str(batch)).write_text('v1\n{"nextBatchWatermarkMs":0}\n')


def test_clean_deletes_only_what_a_checkpoint_committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    env = isolated_env(tmp_path)
    for key, value in {**env, "HANOI_PIPELINE_CONFIG": str(CONFIG_PATH)}.items():
        monkeypatch.setenv(key, value)
    landing, checkpoints = Path(env["LANDING_DIR"]), Path(env["CHECKPOINT_BASE"])
    topic = landing / "openaq-hourly"
    topic.mkdir(parents=True)
    (landing / "ais-dlq").mkdir()
    old = time.time() - 10 * 3600
    files = {name: topic / f"part-{name}.jsonl" for name in ("committed", "uncommitted_batch", "unseen", "recent")}
    files["dead_letter"] = landing / "ais-dlq" / "part-dlq.jsonl"
    for name, path in files.items():
        path.write_text('{"event_id": "x"}\n')
        if name != "recent":
            os.utime(path, (old, old))
    write_checkpoint(checkpoints, "bronze/openaq-hourly",
                     {0: [files["committed"], files["recent"]], 1: [files["uncommitted_batch"]]}, committed=[0])
    assert consumed_files(checkpoints) == {files["committed"].resolve(), files["recent"].resolve()}
    downloads = Path(env["INGEST_STATE_DIR"]) / "downloads" / "era5"
    (downloads / "20260401T000000Z_20260402T000000Z").mkdir(parents=True)
    (downloads / "20260401T000000Z_20260402T000000Z" / "a.grib").write_bytes(b"G" * 10)
    os.utime(downloads / "20260401T000000Z_20260402T000000Z" / "a.grib", (old, old))
    os.utime(downloads / "20260401T000000Z_20260402T000000Z", (old, old))
    (downloads / "20260402T000000Z_20260403T000000Z").mkdir()  # a window that failed just now

    assert main(["clean", "--landing-retention-hours", "5", "--download-retention-hours", "5", "--dry-run", "1"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert all(p.exists() for p in files.values()) and dry["landing_deleted"] == 1 and dry["dry_run"] is True

    assert main(["clean", "--landing-retention-hours", "5", "--download-retention-hours", "5"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["deleted"] == [str(files["committed"]), str(downloads / "20260401T000000Z_20260402T000000Z")]
    assert (done["landing_deleted"], done["landing_kept_unconsumed"], done["landing_kept_recent"]) == (1, 3, 1)
    assert (done["downloads_deleted"], done["downloads_kept_recent"], done["bytes_freed"]) == (1, 1, 28)
    assert not files["committed"].exists()
    assert all(files[n].exists() for n in ("uncommitted_batch", "unseen", "recent", "dead_letter"))
    # an empty retention flag means the configured one (168 h): nothing of 10 h is old enough
    assert main(["clean", "--landing-retention-hours", "", "--download-retention-hours", ""]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == []
    with pytest.raises(SystemExit):
        build_parser().parse_args(["clean", "--landing-retention-hours", "-1"])
