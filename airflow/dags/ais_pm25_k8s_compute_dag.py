"""``ais_pm25_k8s_compute``: the hourly PM2.5 compute chain (CONTRACTS.md §8, seed 001 §15).

    ensure_iceberg_tables_k8s -> wait_for_upstream_tier2_or_run_tier2_k8s
      -> build_pm25_serving_features_k8s -> check_serving_features -> run_pm25_inference_k8s
      -> check_prediction_freshness -> check_api_ready
                               run_pm25_inference_k8s -> score_pm25_forecasts_k8s

plus the optional training branch and its manual promotion gate:

    wait_for_upstream_tier2_or_run_tier2_k8s -> build_training_dataset_k8s -> train_pm25_models_k8s
      -> promotion_gate -> promote_pm25_models_k8s -> check_serving_features

Every task runs the ``ais`` command line, locally or on Kubernetes (``AIS_RUNTIME``, see
ais_dag_utils). Window: conf start_date / end_date / base_hour, else the run's data interval (see
ais_dag_window); a backfill by date range is a run with start_date and end_date in its conf.

- ``wait_for_upstream_tier2_or_run_tier2_k8s`` runs the upstream of the hour's features for the
  window (idempotent MERGEs, so a window the silver/gold or tier-2 DAG already built changes
  nothing): OpenAQ silver, then the tier-2 trajectory chain (met -> ARL, runs, clusters, path
  sampling, hourly features; in the order the declared chain, ais_chain.json, gives) and the master
  gold. With conf ``simulate_sources`` (local runtime only, for a self-contained run on an empty
  embedded store) it first simulates the window's OpenAQ hours with ais-ingest and streams them into
  bronze, as ``ais demo`` does, and the trajectories use simulated met; in the cluster, ingest and
  bronze streaming are ``ais_streaming_supervision``'s and the met comes from ERA5 files.
- ``check_serving_features`` runs the serving checks (``ais check``, seed 001 §16) at the base
  hour: serving-freshness, feature-null-ratio, model-registry (a production model with its artifact
  for 6/12/24 h) and schema-hash (serving rows and production models carry the current hash).
- ``score_pm25_forecasts_k8s`` (``ais job forecast-scoring``, not on a dry run): the new forecast
  joins the forecast archive, and every archived forecast of the last ``scoring.lookback_days``
  whose target hour has since been observed is scored; then the skill by lead time over 7 and 30 days.
- ``check_prediction_freshness``: prediction-freshness at the base hour and duplicate-predictions
  (in the table, and the API's latest forecast is exactly one table row); ``check_api_ready``:
  api-readiness (GET /readyz). Locally these start ``ais serve`` on loopback for the API checks.
- Training runs only with conf ``train: true`` and never promotes. Promotion is a person's act: it
  happens only when the run's conf names ``promote_model_run_id`` (a model run a person reviewed,
  or ``trained`` for the run this DAG run just trained — local runtime) and ``promoted_by``; the
  promote command still refuses a model whose test skill is worse than production's.
"""

from __future__ import annotations

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Param, TriggerRule
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from ais_dag_utils import (
    BASE_HOUR,
    DAG_MACROS,
    DEFAULT_ARGS,
    DRY_RUN,
    END_DATE,
    FEATURE_VERSION,
    ML_PREDICT,
    ML_TRAIN,
    RUNTIME,
    START,
    START_DATE,
    WINDOW_END,
    WINDOW_START,
    Step,
    ais_cli,
    ais_task,
    chain_order,
    local_ingest,
    local_only,
    serving_check,
    spark_job,
    window_params,
)
from ais_dag_window import truthy

HORIZONS = ("6", "12", "24")
TIER2 = ("trajectory-met-arl", "trajectory-runs", "trajectory-clusters", "trajectory-path-satellite",
         "trajectory-hourly-features")
WINDOW = ("--start-date", START_DATE, "--end-date", END_DATE)


def tier2_steps() -> list[Step]:
    """The trajectory jobs over the run's window, producers first (the declared chain)."""
    met = ("--simulate", "{{ ais_flag(params.simulate_sources) }}")
    return [spark_job(job, *WINDOW, *(met if job == "trajectory-met-arl" else ())) for job in chain_order(TIER2)]
MAX_FEATURE_AGE = "{{ params.max_feature_age_minutes }}"


def promotion_gate(params: dict, **_: object) -> dict[str, str]:
    """Let promotion through only when a person asked for it in the run's conf."""
    run_id = params.get("promote_model_run_id")
    if not run_id:
        raise AirflowSkipException("no promotion requested (conf promote_model_run_id is empty)")
    if not params.get("promoted_by"):
        raise AirflowFailException("a promotion needs promoted_by in the run conf (who promotes)")
    if run_id == "trained":
        if not truthy(params.get("train")):
            raise AirflowFailException("promote_model_run_id=trained needs train=true in the same run")
        if RUNTIME == "k8s":
            raise AirflowFailException("on Kubernetes, give the model_run_id to promote (from the train job's "
                                       "log or the model runs table); `trained` works in the local runtime")
    return {"promote_model_run_id": str(run_id), "promoted_by": str(params["promoted_by"])}


with DAG(
    dag_id="ais_pm25_k8s_compute",
    description="PM2.5 serving features, inference and API checks, hourly",
    schedule="20 * * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    user_defined_macros=DAG_MACROS,
    params={
        **window_params(lookback_days=2),
        "max_feature_age_minutes": Param(180, type="integer", minimum=0,
                                         description="how far the base hour may lag the newest serving row"),
        "simulate_sources": Param(False, type="boolean",
                                  description="local runtime: simulate the window's sources and stream them "
                                              "into bronze first (a self-contained run)"),
        "train": Param(False, type="boolean", description="build the training dataset and train (never promotes)"),
        "promote_model_run_id": Param(None, type=["null", "string"], pattern=r"^[A-Za-z0-9_.:-]+$",
                                      description="the model run to promote to production, or `trained`"),
        "promoted_by": Param(None, type=["null", "string"], pattern=r"^[A-Za-z0-9_.@ -]+$",
                             description="who promotes (recorded in the registry)"),
    },
    tags=["ais", "pm25", RUNTIME],
    doc_md=__doc__,
) as dag:
    ensure_tables = ais_task("ensure_iceberg_tables_k8s", [spark_job("ensure-iceberg")])

    simulated = "{{ params.simulate_sources }}"
    upstream = ais_task("wait_for_upstream_tier2_or_run_tier2_k8s", [
        local_ingest("openaq", "--mode", "simulate", "--start", WINDOW_START, "--end", WINDOW_END,
                     "--sink", "landing", run_if=simulated),
        local_only(spark_job("bronze-openaq", "--trigger", "availableNow"), run_if=simulated),
        spark_job("hanoi-openaq-silver", *WINDOW),
        *tier2_steps(),
        spark_job("hanoi-master-features-gold", *WINDOW),
    ])

    serving_features = ais_task("build_pm25_serving_features_k8s", [
        spark_job("hanoi-serving-features-gold", "--start-date", START_DATE, "--end-date", END_DATE,
                  "--feature-version", FEATURE_VERSION, "--dry-run", DRY_RUN),
    ])

    check_serving = ais_task("check_serving_features", [
        serving_check("--check", "serving-freshness", "--check", "feature-null-ratio", "--check", "model-registry",
                      "--check", "schema-hash", "--base-hour", BASE_HOUR, "--feature-version", FEATURE_VERSION),
    ], trigger_rule=TriggerRule.NONE_FAILED, check_job=ML_PREDICT)

    inference = ais_task("run_pm25_inference_k8s", [
        ais_cli("predict", "--base-hour", BASE_HOUR, "--feature-version", FEATURE_VERSION,
                "--model-status", "production", "--dry-run", DRY_RUN,
                "--max-feature-age-minutes", MAX_FEATURE_AGE),
    ])

    # A dry run writes no prediction, so there is no fresh one to find.
    prediction_fresh = ais_task("check_prediction_freshness", [
        serving_check("--check", "prediction-freshness", "--check", "duplicate-predictions", "--base-hour", BASE_HOUR),
    ], run_if="{{ not params.dry_run }}")

    scoring = ais_task("score_pm25_forecasts_k8s", [spark_job("forecast-scoring")],
                       run_if="{{ not params.dry_run }}")

    api_ready = ais_task("check_api_ready", [serving_check("--check", "api-readiness")],
                         trigger_rule=TriggerRule.NONE_FAILED)

    (ensure_tables >> upstream >> serving_features >> check_serving >> inference
     >> prediction_fresh >> api_ready)
    inference >> scoring

    # ---- optional: train, then promote through the manual gate ------------------------------
    training_dataset = ais_task("build_training_dataset_k8s", [
        spark_job("hanoi-training-dataset-gold", "--start-date", START_DATE, "--end-date", END_DATE),
    ], run_if="{{ params.train }}")

    train = ais_task("train_pm25_models_k8s", [ais_cli("train")], push_json=RUNTIME == "local",
                     ml_spec=ML_TRAIN)

    gate = PythonOperator(task_id="promotion_gate", python_callable=promotion_gate,
                          trigger_rule=TriggerRule.NONE_FAILED)

    promote = ais_task("promote_pm25_models_k8s", [
        ais_cli("promote", "--model-run-id", "{{ ais_model_run_id(params, ti) }}", "--horizon-hour", horizon,
                "--feature-version", FEATURE_VERSION, "--status", "production",
                "--promoted-by", "{{ params.promoted_by }}")
        for horizon in HORIZONS
    ])

    upstream >> training_dataset >> train >> gate >> promote >> check_serving
