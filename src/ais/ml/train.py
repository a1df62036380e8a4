"""``ais train``: one regressor per horizon from the training dataset gold table (seed §12).

Reads the rows of one (dataset_version, feature_set_name) with PyIceberg. The Spark dataset job has
already split them chronologically (train | validation | test, with ``gap`` rows between splits so
no target of one split lies in the next); gap rows are never used. For each horizon the rows with a
known target are used: train to fit, validation to stop early, test to score (MAE, RMSE, MAPE and
the skill against persistence, the forecast "PM2.5 stays as it is at the base hour").

Writes the artifacts (model, feature importance, metadata) and one model-runs row per horizon.
Training never touches the registry: promotion is an explicit, separate action.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ais import storage
from ais.cli import JobError
from ais.config import Settings
from ais.features.columns import FEATURE_NAMES, TARGETS, schema_hash
from ais.iceberg_io import equals
from ais.jsonlog import get_logger
from ais.ml import boosters, intervals
from ais.ml.artifacts import ArtifactError, artifact_root, horizon_dir, to_uri, write_atomically
from ais.ml.features import FeatureMatrixError
from ais.ml.metrics import regression_metrics, skill_vs_persistence
from ais.ml.predict import composite_model_version
from ais.ml.registry import RUN_STATUS_TRAINED
from ais.ml.tuning import Fitted, Tuning, fit_config, tune
from ais.progress import steps as progress_steps
from ais.tables import TableSpec, table

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

log = get_logger("train")

SPLITS: tuple[str, ...] = ("train", "validation", "test")
MIN_TRAIN_ROWS = 50


@dataclass(frozen=True)
class HorizonResult:
    horizon: int
    model_version: str
    model_path: str
    artifact_uri: str
    feature_importance_uri: str
    best_iteration: int
    train_metrics: dict[str, Any]
    validation_metrics: dict[str, Any]
    test_metrics: dict[str, Any]


@dataclass(frozen=True)
class TrainResult:
    """One training run: a model per horizon, each with its own content-addressed model_version;
    ``artifact_dir`` is the feature version's folder that holds each horizon's version folder."""

    model_run_id: str
    model_type: str
    dataset_version: str
    feature_set_name: str
    feature_version: str
    artifact_dir: str
    horizons: tuple[HorizonResult, ...]
    run_rows: tuple[dict[str, Any], ...] = field(repr=False)

    @property
    def model_versions(self) -> dict[int, str]:
        return {h.horizon: h.model_version for h in self.horizons}

    @property
    def model_version(self) -> str:
        """The run's versions in one string, as a prediction row names them (``6h=<v>;12h=<v>;24h=<v>``)."""
        return composite_model_version(self.model_versions)

    def to_dict(self) -> dict[str, Any]:
        return {"model_run_id": self.model_run_id, "model_version": self.model_version,
                "model_type": self.model_type, "dataset_version": self.dataset_version,
                "feature_set_name": self.feature_set_name, "feature_version": self.feature_version,
                "artifact_dir": self.artifact_dir,
                "horizons": [h.__dict__ for h in self.horizons]}


def model_version_for(model_type: str, frame: pd.DataFrame, horizon: int, identity: dict[str, Any]) -> str:
    """``{model_type}-{16 hex}``: a content address of what determines the model of one horizon —
    the training rows (hours, splits, features and that horizon's target), the horizon, its training
    description (its own tuned hyperparameters) and the feature contract. Each horizon of a run so
    has a version of its own. Training is deterministic, so retraining on the same data gives the
    same versions: promoting one again is a no-op and a rerun of the chain adds no registry or
    prediction row. Run ids stay per run."""
    columns = ["hour", "split", *FEATURE_NAMES, TARGETS[horizon]]
    ordered = frame.sort_values("hour")[columns].reset_index(drop=True)
    digest = hashlib.sha256(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    digest.update(json.dumps(identity | {"horizon_hour": horizon}, sort_keys=True, default=str).encode("utf-8"))
    return f"{model_type}-{digest.hexdigest()[:16]}"


def _training_spec(settings: Settings) -> TableSpec:
    try:
        spec = table(settings.table_name("training_table"))
    except KeyError as exc:
        raise JobError(f"runtime.training_table: {exc}") from exc
    needed = {"split", "hour", "source", *FEATURE_NAMES, *TARGETS.values()}
    missing = sorted(needed - set(spec.column_names))
    if missing:
        raise JobError(f"runtime.training_table {spec.identifier} is not a training dataset table "
                       f"(no columns {missing})")
    return spec


def read_training_frame(catalog: Catalog, spec: TableSpec, dataset_version: str,
                        feature_set_name: str) -> pd.DataFrame:
    tbl = catalog.load_table(spec.identifier)
    scan = tbl.scan(row_filter=equals(dataset_version=dataset_version, feature_set_name=feature_set_name))
    frame = scan.to_arrow().to_pandas()
    return frame.sort_values("hour", kind="stable").reset_index(drop=True)


def _window(part: pd.DataFrame) -> tuple[dt.datetime, dt.datetime]:
    hours = pd.to_datetime(part["hour"], utc=True)
    return hours.min().to_pydatetime(), hours.max().to_pydatetime()


def _horizon_parts(frame: pd.DataFrame, horizon: int) -> dict[str, pd.DataFrame]:
    target = TARGETS[horizon]
    parts = {s: frame[(frame["split"] == s) & frame[target].notna()] for s in SPLITS}
    if len(parts["train"]) < MIN_TRAIN_ROWS:
        raise JobError(f"horizon {horizon}h has {len(parts['train'])} training rows with a known "
                       f"{target}; at least {MIN_TRAIN_ROWS} are needed")
    empty = [s for s in ("validation", "test") if parts[s].empty]
    if empty:
        raise JobError(f"horizon {horizon}h has no {' or '.join(empty)} rows with a known {target}")
    return parts


def _check_splits(frame: pd.DataFrame, dataset_version: str, feature_set_name: str) -> None:
    if frame.empty:
        raise JobError(f"the training dataset has no rows for dataset_version={dataset_version!r} "
                       f"feature_set_name={feature_set_name!r}")
    counts = frame["split"].value_counts(dropna=False)
    empty = [s for s in SPLITS if int(counts.get(s, 0)) == 0]
    if empty:
        raise JobError(f"the training dataset {dataset_version}/{feature_set_name} has empty splits "
                       f"{empty} (rows per split: {dict(counts.items())})")


def _data_source(frame: pd.DataFrame) -> str | None:
    values = sorted({str(v) for v in frame["source"].dropna().unique()})
    return ",".join(values) or None


def _score(model: Fitted, part: pd.DataFrame, horizon: int) -> tuple[dict[str, Any], np.ndarray]:
    predicted = model.predict(part, horizon)
    return regression_metrics(part[TARGETS[horizon]].to_numpy(dtype=np.float64), predicted), predicted


def tune_horizon(settings: Settings, parts: dict[str, pd.DataFrame], horizon: int, model_type: str,
                 num_boost_round: int, early_stopping_rounds: int) -> Tuning:
    """The configuration of one horizon chosen on the train and validation rows (never the test
    rows): rolling-origin windows ending after the last validation hour (config ``tuning``) when the
    span holds them, else the dataset's own train/validation split."""
    known = pd.concat([parts["train"], parts["validation"]]).sort_values("hour", kind="stable")
    known = known.assign(hour=pd.to_datetime(known["hour"], utc=True))
    cutoff = known["hour"].iloc[-1].to_pydatetime() + dt.timedelta(hours=horizon + 1)
    fallback = tuple(p.assign(hour=pd.to_datetime(p["hour"], utc=True)) for p in (parts["train"], parts["validation"]))
    try:
        return tune(known, horizon, cutoff, model_type, folds=settings.get_int("tuning.folds"),
                    fold_months=settings.get_int("tuning.fold_months"),
                    validation_fraction=settings.get_float("backtest.validation_fraction"),
                    num_boost_round=num_boost_round, early_stopping_rounds=early_stopping_rounds,
                    fallback=(fallback[0], fallback[1]))
    except FeatureMatrixError as exc:
        raise JobError(f"training dataset: {exc}") from exc


def interval_of(tuned: Tuning) -> dict[str, Any] | None:
    """The 80 % interval calibrated on the tuning's validation residuals; None when they are too few."""
    try:
        return intervals.calibrate(tuned.actual, tuned.predicted)
    except ValueError:
        return None


def identical_run(catalog: Catalog, settings: Settings, model_versions: dict[int, str], dataset_version: str,
                  feature_set_name: str, feature_version: str, root: str) -> TrainResult | None:
    """The newest recorded run on the same dataset, feature set and feature version whose every
    horizon has the version in ``model_versions`` and its artifacts under ``root``, present."""
    from ais.iceberg_io import read_rows
    from ais.ml.artifacts import artifact_exists

    spec = table(settings.table_name("model_runs_table"))
    where = equals(dataset_version=dataset_version, feature_set_name=feature_set_name,
                   feature_version=feature_version)
    rows = [r for r in read_rows(catalog.load_table(spec.identifier), where)
            if model_versions.get(int(r["horizon_hour"])) == r["model_version"]
            and str(r["artifact_uri"] or "").startswith(storage.to_uri(root))]
    by_run: dict[str, dict[int, dict[str, Any]]] = {}
    for r in rows:
        by_run.setdefault(r["model_run_id"], {})[int(r["horizon_hour"])] = r
    complete = [run for run in by_run.values() if set(settings.horizons) <= set(run)
                and all(artifact_exists(run[h]["artifact_uri"]) for h in settings.horizons)]
    if not complete:
        return None
    run = max(complete, key=lambda r: max(x["created_at"] for x in r.values()))
    horizons = tuple(HorizonResult(
        h, run[h]["model_version"], run[h]["model_path"], run[h]["artifact_uri"], run[h]["feature_importance_uri"],
        run[h]["best_iteration"],
        {"mae": run[h]["train_mae"], "rmse": run[h]["train_rmse"]},
        {"mae": run[h]["validation_mae"], "rmse": run[h]["validation_rmse"]},
        {"mae": run[h]["mae"], "rmse": run[h]["rmse"], "mape": run[h]["mape"],
         "rmse_persistence": run[h]["rmse_persistence"], "skill_vs_persistence": run[h]["skill_vs_persistence"]})
        for h in settings.horizons)
    first = run[settings.horizons[0]]
    return TrainResult(first["model_run_id"], first["model_type"], dataset_version, feature_set_name,
                       feature_version, storage.join(root, feature_version), horizons,
                       tuple(run[h] for h in settings.horizons))


def train_models(settings: Settings, dataset_version: str | None = None, feature_set_name: str | None = None,
                 model_type: str | None = None, output_dir: str | None = None,
                 feature_version: str | None = None, *, catalog: Catalog | None = None,
                 num_boost_round: int = boosters.DEFAULT_NUM_BOOST_ROUND,
                 early_stopping_rounds: int = boosters.DEFAULT_EARLY_STOPPING_ROUNDS,
                 now: dt.datetime | None = None, reuse_identical: bool = False) -> TrainResult:
    """Train every horizon of settings.horizons, write artifacts and model-runs rows.

    ``reuse_identical``: when a run of the same model version (same data and training, hence the
    same model) with the same dataset, feature set and artifact store exists with every horizon's
    artifact, return it instead of recording another run (what a rerun of the chain wants: no new
    row). Without it every call is a run of its own."""
    from ais.catalog import load_catalog
    from ais.iceberg_io import merge_rows

    dataset_version = dataset_version or settings.dataset_version
    feature_set_name = feature_set_name or settings.feature_set_name
    model_type = model_type or settings.runtime("model_type")
    feature_version = feature_version or settings.feature_version
    try:
        boosters.require_model_type(model_type)
    except boosters.ModelTypeError as exc:
        raise JobError(str(exc)) from exc
    unknown = [h for h in settings.horizons if h not in TARGETS]
    if unknown:
        raise JobError(f"features.horizons_h has horizons without a target column: {unknown}")
    try:
        root = artifact_root(settings, output_dir)
    except ArtifactError as exc:
        raise JobError(str(exc)) from exc

    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    model_run_id = uuid.uuid4().hex
    catalog = catalog or load_catalog(settings)
    spec = _training_spec(settings)
    frame = read_training_frame(catalog, spec, dataset_version, feature_set_name)
    _check_splits(frame, dataset_version, feature_set_name)
    # Validate every horizon before fitting any, so a bad dataset leaves no half-written run.
    parts_by_horizon = {h: _horizon_parts(frame, h) for h in settings.horizons}
    data_source = _data_source(frame)
    hash_ = schema_hash()
    with progress_steps("tune", len(settings.horizons)) as run:
        tuned = {h: run(f"tune {model_type} {h} h", tune_horizon, settings, parts_by_horizon[h], h, model_type,
                        num_boost_round, early_stopping_rounds) for h in settings.horizons}
    descriptions = {h: boosters.describe_training(model_type, tuned[h].config.params(model_type), num_boost_round,
                                                  early_stopping_rounds) | {"tuning": tuned[h].config.to_dict()}
                    for h in settings.horizons}
    versions = {h: model_version_for(model_type, frame, h, {
        "training": descriptions[h], "feature_schema_hash": hash_, "feature_version": feature_version})
        for h in settings.horizons}
    if reuse_identical:
        previous = identical_run(catalog, settings, versions, dataset_version, feature_set_name,
                                 feature_version, root)
        if previous is not None:
            log.info("train_reused", job="train", model_run_id=previous.model_run_id,
                     model_versions={str(h): v for h, v in versions.items()},
                     horizons=list(settings.horizons), output_count=0, status="success")
            return previous
    log.info("train_started", job="train", model_run_id=model_run_id,
             model_versions={str(h): v for h, v in versions.items()},
             model_type=model_type, dataset_version=dataset_version, feature_set_name=feature_set_name,
             feature_version=feature_version, input_count=len(frame),
             rows_per_split={str(k): int(v) for k, v in frame["split"].value_counts().items()},
             data_source=data_source, status="running")

    results: list[HorizonResult] = []
    run_rows: list[dict[str, Any]] = []
    with progress_steps("train", len(settings.horizons)) as run:
        for horizon in settings.horizons:
            with run.step(f"train {model_type} {horizon} h ({len(parts_by_horizon[horizon]['train'])} rows)"):
                target = TARGETS[horizon]
                parts = parts_by_horizon[horizon]
                description = descriptions[horizon]
                model_version = versions[horizon]
                labels = {s: parts[s][target].to_numpy(dtype=np.float64) for s in SPLITS}
                try:
                    fitted = fit_config(model_type, tuned[horizon].config, parts["train"], parts["validation"],
                                        horizon, num_boost_round=num_boost_round,
                                        early_stopping_rounds=early_stopping_rounds)
                    model = fitted.model
                    train_metrics, _ = _score(fitted, parts["train"], horizon)
                    validation_metrics, _ = _score(fitted, parts["validation"], horizon)
                    test_metrics, test_pred = _score(fitted, parts["test"], horizon)
                except FeatureMatrixError as exc:
                    raise JobError(f"training dataset: {exc}") from exc
                rmse_persistence, skill = skill_vs_persistence(
                    labels["test"], test_pred, parts["test"]["pm25_mean"].to_numpy(dtype=np.float64, na_value=np.nan))
                test_metrics |= {"rmse_persistence": rmse_persistence, "skill_vs_persistence": skill}

                folder = horizon_dir(root, feature_version, model_version, horizon)
                model_path = storage.join(folder, boosters.MODEL_FILE[model_type])
                importance_path = storage.join(folder, "feature_importance.csv")
                meta = {"model_version": model_version, "model_run_id": model_run_id, "horizon_hour": horizon,
                        "target": target, "features": list(FEATURE_NAMES), "feature_schema_hash": hash_,
                        "feature_version": feature_version, "feature_set_name": feature_set_name,
                        "dataset_version": dataset_version, "best_iteration": model.best_iteration,
                        "trained_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), **description,
                        "tuning": tuned[horizon].to_dict() | {"profile": fitted.profile,
                                                              "interval": interval_of(tuned[horizon])}}
                write_atomically(model_path, model.to_bytes())
                write_atomically(importance_path, boosters.feature_importance_csv(model.importance()))
                write_atomically(storage.join(folder, "model_meta.json"),
                                 (json.dumps(meta, indent=2) + "\n").encode("utf-8"))

                windows = {s: _window(parts[s]) for s in SPLITS}
                run_rows.append({
                    "model_run_id": model_run_id, "model_version": model_version, "horizon_hour": horizon,
                    "location_id": settings.location_id, "model_type": model_type, "model_path": str(model_path),
                    "artifact_uri": to_uri(model_path), "feature_importance_uri": to_uri(importance_path),
                    "feature_set_name": feature_set_name, "feature_version": feature_version,
                    "dataset_version": dataset_version, "feature_schema_hash": hash_,
                    "train_start": windows["train"][0], "train_end": windows["train"][1],
                    "validation_start": windows["validation"][0], "validation_end": windows["validation"][1],
                    "test_start": windows["test"][0], "test_end": windows["test"][1],
                    "train_rows": len(parts["train"]), "validation_rows": len(parts["validation"]),
                    "test_rows": len(parts["test"]),
                    "train_mae": train_metrics["mae"], "train_rmse": train_metrics["rmse"],
                    "validation_mae": validation_metrics["mae"], "validation_rmse": validation_metrics["rmse"],
                    "mae": test_metrics["mae"], "rmse": test_metrics["rmse"], "mape": test_metrics["mape"],
                    "rmse_persistence": rmse_persistence, "skill_vs_persistence": skill,
                    "best_iteration": model.best_iteration, "params_json": json.dumps(description, sort_keys=True),
                    "data_source": data_source, "status": RUN_STATUS_TRAINED, "created_at": now,
                })
                results.append(HorizonResult(horizon, model_version, str(model_path), to_uri(model_path),
                                             to_uri(importance_path), model.best_iteration, train_metrics,
                                             validation_metrics, test_metrics))
                log.info("horizon_trained", job="train", horizon=horizon, model_run_id=model_run_id,
                         model_version=model_version, train_metrics=train_metrics,
                         validation_metrics=validation_metrics, test_metrics=test_metrics,
                         mae=test_metrics["mae"], rmse=test_metrics["rmse"], mape=test_metrics["mape"],
                         skill_vs_persistence=skill, best_iteration=model.best_iteration,
                         model_path=str(model_path), status="success")

    runs_spec = table(settings.table_name("model_runs_table"))
    merged = merge_rows(catalog, runs_spec, run_rows)
    log.info("train_finished", job="train", model_run_id=model_run_id,
             model_versions={str(h): v for h, v in versions.items()},
             horizons=list(settings.horizons), output_count=merged.written,
             artifact_dir=storage.join(root, feature_version), status="success")
    return TrainResult(model_run_id, model_type, dataset_version, feature_set_name,
                       feature_version, storage.join(root, feature_version), tuple(results),
                       tuple(run_rows))
