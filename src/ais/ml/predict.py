"""``ais predict``: the 6/12/24-hour PM2.5 forecast for one base hour (seed §9.2, §13).

1. The serving row: ``base_hour`` if given, else the newest base hour of the serving-features table
   for (location, feature_version), with the features beyond the contract's 67 from its companion
   row (features.hanoi_pm25_serving_extra_features_gold; the serving table keeps its exact schema).
2. Feature age: the chosen base hour may lag the NEWEST serving base hour of that location and
   feature version by at most ``max_feature_age_minutes``. This is measured against the data, not
   the wall clock (principle 5), so a rerun gives the same answer; a deliberate backfill of older
   hours passes a larger limit. (Whether the serving table itself is fresh is the job of the
   ``serving-freshness`` check, not of inference.)
3. Models: exactly one registry row with the requested status for each horizon 6, 12, 24. A
   missing horizon fails the job, naming it; the latest training run is never used instead.
4. Schema hash: the serving row's schema_hash, every model's feature_schema_hash and the hash of
   this code's feature definition must all be equal.
5. Predict, clip at 0, add risk bands, and MERGE the row on (base_hour, location_id,
   model_version, feature_version). A rerun writes nothing (inference_run_id and created_at are
   volatile columns); a dry run writes nothing at all.
6. When ``serving.cassandra`` is true, a production forecast then becomes its location's row of
   ``pm25_forecast_latest_by_location`` (ais.serving.forecast; a newer served base hour is kept).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ais.aqi import RiskBands, risk_bands_from_settings, risk_level
from ais.cli import JobError
from ais.config import Settings
from ais.features.columns import EXTRA_FEATURE_NAMES, FEATURE_NAMES, schema_hash
from ais.iceberg_io import equals
from ais.jsonlog import get_logger
from ais.ml import boosters
from ais.ml.artifacts import ArtifactError, read_artifact
from ais.ml.features import FeatureMatrixError, feature_array
from ais.tables import serving_extra_table, table
from ais.timeutil import iso_z

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

log = get_logger("predict")

PREDICTION_HORIZONS: tuple[int, ...] = (6, 12, 24)  # the prediction table has one column set each
DEFAULT_MAX_FEATURE_AGE_MINUTES = 180


# ---- pure helpers -------------------------------------------------------------------------------

def parse_base_hour(text: str) -> dt.datetime:
    """An ISO 8601 hour (``2026-05-19T09:00:00Z``, an offset, or naive = UTC) as an aware UTC
    datetime. Rejects values that are not on the hour."""
    raw = text.strip()
    try:
        value = dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError as exc:
        raise JobError(f"--base-hour {text!r} is not an ISO 8601 timestamp") from exc
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if (value.minute, value.second, value.microsecond) != (0, 0, 0):
        raise JobError(f"--base-hour {text!r} is not on the hour")
    return value


def prediction_id(base_hour: dt.datetime, location_id: str, model_version: str, feature_version: str) -> str:
    """sha256 hex of ``{base_hour Z}|{location_id}|{model_version}|{feature_version}``."""
    key = f"{iso_z(base_hour)}|{location_id}|{model_version}|{feature_version}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def composite_model_version(versions: Mapping[int, str]) -> str:
    """The one version when all horizons share it, else ``6h=<v>;12h=<v>;24h=<v>`` (horizons in
    order); each horizon's model has a version of its own (ais.ml.train), so the latter is usual."""
    ordered = [versions[h] for h in sorted(versions)]
    if len(set(ordered)) == 1:
        return ordered[0]
    return ";".join(f"{h}h={versions[h]}" for h in sorted(versions))


def build_prediction_row(serving_row: Mapping[str, Any], forecasts: Mapping[int, float],
                         models: Mapping[int, Mapping[str, Any]], *, location_name: str | None,
                         model_status: str, bands: RiskBands, inference_run_id: str,
                         created_at: dt.datetime) -> dict[str, Any]:
    """The prediction-table row (exact schema, seed §9.2) for one serving row and its forecasts."""
    base_hour: dt.datetime = serving_row["base_hour"].astimezone(dt.UTC)
    versions = {h: str(models[h]["model_version"]) for h in PREDICTION_HORIZONS}
    model_version = composite_model_version(versions)
    row: dict[str, Any] = {
        "prediction_id": prediction_id(base_hour, serving_row["location_id"], model_version,
                                       serving_row["feature_version"]),
        "base_hour": base_hour, "location_id": serving_row["location_id"],
        "location_name": serving_row.get("location_name") or location_name,
        "pm25_now": serving_row.get("pm25_mean"),
    }
    for h in PREDICTION_HORIZONS:
        value = float(forecasts[h])
        row[f"pm25_{h}h"] = value
        row[f"risk_{h}h"] = risk_level(value, bands)
    row |= {
        "dominant_cluster": serving_row.get("dominant_cluster"),
        "source_lat": serving_row.get("traj_source_lat"), "source_lon": serving_row.get("traj_source_lon"),
        "path_no2_mean": serving_row.get("traj_path_no2_mean"),
        "path_aer_mean": serving_row.get("traj_path_aer_mean"),
        "pm25_grad_mag": serving_row.get("pm25_grad_mag"),
        "model_version": model_version,
        **{f"model_version_{h}h": versions[h] for h in PREDICTION_HORIZONS},
        "model_status": model_status, "feature_version": serving_row["feature_version"],
        "feature_schema_hash": serving_row["schema_hash"], "inference_run_id": inference_run_id,
        "created_at": created_at, "year": base_hour.year, "month_partition": base_hour.month,
    }
    return row


def check_schema_hashes(serving_hash: str | None, models: Mapping[int, Mapping[str, Any]],
                        code_hash: str) -> None:
    """Raise JobError naming both hashes when the serving row, a model or the code disagree."""
    if serving_hash != code_hash:
        raise JobError(f"schema hash mismatch: serving row schema_hash {serving_hash} != feature "
                       f"definition schema_hash {code_hash}")
    for h in sorted(models):
        model_hash = models[h].get("feature_schema_hash")
        if model_hash != serving_hash:
            raise JobError(f"schema hash mismatch: model {models[h]['model_version']} ({h}h) "
                           f"feature_schema_hash {model_hash} != serving row schema_hash {serving_hash}")


def select_models(registry_rows: list[dict[str, Any]], model_status: str,
                  feature_version: str) -> dict[int, dict[str, Any]]:
    """The one registry row per horizon; JobError naming missing or ambiguous horizons."""
    by_horizon: dict[int, list[dict[str, Any]]] = {}
    for row in registry_rows:
        if row["status"] == model_status and row["feature_version"] == feature_version:
            by_horizon.setdefault(int(row["horizon_hour"]), []).append(row)
    missing = [h for h in PREDICTION_HORIZONS if h not in by_horizon]
    if missing:
        raise JobError(f"no {model_status} model in the registry for horizons "
                       f"{', '.join(f'{h}h' for h in missing)} (feature_version {feature_version}); "
                       "promote one explicitly")
    ambiguous = {h: [r["model_version"] for r in rows] for h, rows in by_horizon.items()
                 if h in PREDICTION_HORIZONS and len(rows) > 1}
    if ambiguous:
        raise JobError(f"the registry has more than one {model_status} model for {ambiguous}")
    return {h: by_horizon[h][0] for h in PREDICTION_HORIZONS}


# ---- I/O ----------------------------------------------------------------------------------------

def _serving_hours(catalog: Catalog, identifier: str, location_id: str,
                   feature_version: str) -> list[dt.datetime]:
    from ais.iceberg_io import read_rows

    rows = read_rows(catalog.load_table(identifier),
                     equals(location_id=location_id, feature_version=feature_version),
                     columns=("base_hour",))
    return [r["base_hour"] for r in rows]


def _serving_row(catalog: Catalog, identifier: str, base_hour: dt.datetime, location_id: str,
                 feature_version: str) -> dict[str, Any] | None:
    from ais.iceberg_io import read_rows

    rows = read_rows(catalog.load_table(identifier),
                     equals(base_hour=base_hour, location_id=location_id, feature_version=feature_version))
    return rows[0] if rows else None


def with_extra_features(serving_row: Mapping[str, Any], extra_row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The serving row with the model features beyond the contract's 67 (EXTRA_FEATURE_NAMES) from
    its companion row. Without one (a serving row written before the companion table existed, or by
    hand) those features are missing, as they are when no weather forecast was known at the base
    hour; the log says so."""
    row = dict(serving_row)
    if extra_row is None:
        log.warning("serving_extra_features_missing", job="predict", base_hour=iso_z(row["base_hour"]),
                    location_id=row.get("location_id"), features=len(EXTRA_FEATURE_NAMES))
    for name in EXTRA_FEATURE_NAMES:
        row[name] = None if extra_row is None else extra_row.get(name)
    return row


def model_meta(row: Mapping[str, Any]) -> dict[str, Any]:
    """The model_meta.json beside a registry row's artifact; {} when there is none (a model trained
    before that file existed)."""
    import json

    uri = str(row.get("artifact_uri") or "")
    try:
        data = read_artifact(uri.rsplit("/", 1)[0] + "/model_meta.json") if "/" in uri else b""
    except ArtifactError:
        return {}
    if not data:
        return {}
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JobError(f"model {row['model_version']}: model_meta.json is not JSON: {exc}") from exc
    return meta if isinstance(meta, dict) else {}


def serving_model(row: Mapping[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """(the model with its target transform and profile, its interval calibration or None). A model
    whose meta has no ``tuning`` block (trained before per-horizon tuning, or without a meta file)
    serves as ``level`` with no interval."""
    from ais.ml.tuning import Config, Fitted

    meta = model_meta(row)
    tuned: dict[str, Any] = meta["tuning"] if isinstance(meta.get("tuning"), dict) else {}
    try:
        config = Config.from_dict(tuned.get("chosen"))
    except ValueError as exc:
        raise JobError(f"model {row['model_version']}: model_meta.json: {exc}") from exc
    model = _load_model(row, config.feature_names())
    return Fitted(config, model, tuned.get("profile")), tuned.get("interval")


def _load_model(row: Mapping[str, Any], features: list[str] | None = None) -> boosters.FittedModel:
    version = row["model_version"]
    try:
        data = read_artifact(str(row.get("artifact_uri") or ""))
        model = boosters.load(str(row["model_type"]), data)
    except (ArtifactError, boosters.ModelTypeError) as exc:
        raise JobError(f"model {version}: {exc}") from exc
    except Exception as exc:  # a library error while reading an artifact: name the model
        raise JobError(f"model {version}: cannot load {row.get('artifact_uri')}: "
                       f"{type(exc).__name__}: {exc}") from exc
    if model.feature_names() != (features or list(FEATURE_NAMES)):
        raise JobError(f"model {version} was trained on other features than the current feature list")
    return model


def predict(settings: Settings, base_hour: str | dt.datetime | None = None, location: str | None = None,
            model_status: str = "production", feature_version: str | None = None, dry_run: bool = False,
            max_feature_age_minutes: int = DEFAULT_MAX_FEATURE_AGE_MINUTES, *,
            catalog: Catalog | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Forecast one base hour and merge it into the prediction table. Returns the prediction row."""
    from ais.catalog import load_catalog
    from ais.iceberg_io import merge_rows

    location_id = location or settings.location_id
    feature_version = feature_version or settings.feature_version
    if max_feature_age_minutes < 0:
        raise JobError("--max-feature-age-minutes must be >= 0")
    catalog = catalog or load_catalog(settings)
    serving_spec = table(settings.table_name("serving_feature_table"))
    registry_spec = table(settings.table_name("model_registry_table"))
    prediction_spec = table(settings.table_name("prediction_table"))

    hours = _serving_hours(catalog, serving_spec.identifier, location_id, feature_version)
    if not hours:
        raise JobError(f"no serving features for location {location_id!r} and feature_version "
                       f"{feature_version!r}")
    newest = max(hours)
    if base_hour is None:
        chosen = newest
    elif isinstance(base_hour, dt.datetime):
        chosen = parse_base_hour(base_hour.isoformat())
    else:
        chosen = parse_base_hour(base_hour)
    lag_minutes = (newest - chosen).total_seconds() / 60.0
    if lag_minutes > max_feature_age_minutes:
        raise JobError(f"base_hour {iso_z(chosen)} is {lag_minutes:.0f} minutes older than the newest "
                       f"serving row {iso_z(newest)}; the limit is {max_feature_age_minutes} "
                       "(raise --max-feature-age-minutes for a backfill)")
    serving_row = _serving_row(catalog, serving_spec.identifier, chosen, location_id, feature_version)
    if serving_row is None:
        raise JobError(f"no serving row for base_hour {iso_z(chosen)}, location {location_id!r}, "
                       f"feature_version {feature_version!r}")
    serving_row = with_extra_features(serving_row, _serving_row(
        catalog, serving_extra_table(serving_spec).identifier, chosen, location_id, feature_version))

    from ais.iceberg_io import read_rows

    registry_rows = read_rows(catalog.load_table(registry_spec.identifier),
                              equals(location_id=location_id, status=model_status))
    models = select_models(registry_rows, model_status, feature_version)
    check_schema_hashes(serving_row.get("schema_hash"), models, schema_hash())

    try:
        matrix = feature_array([serving_row])
    except FeatureMatrixError as exc:
        raise JobError(f"serving row {iso_z(chosen)}: {exc}") from exc
    del matrix  # checked above; each model builds its own matrix (its profile columns)
    forecasts, bounds = _forecast(serving_row, models)

    created_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    row = build_prediction_row(serving_row, forecasts, models, location_name=settings.location_name,
                               model_status=model_status, bands=risk_bands_from_settings(settings),
                               inference_run_id=uuid.uuid4().hex, created_at=created_at)
    written = 0
    served: dict[str, Any] | None = None
    interval = interval_row(row, bounds)
    if not dry_run:
        # the interval first: a reader that sees the prediction row finds its interval in place
        if interval is not None:
            merge_rows(catalog, table(FORECAST_INTERVAL_TABLE), [interval])
        written = merge_rows(catalog, prediction_spec, [row]).written
        served = _serve_in_cassandra(settings, catalog, prediction_spec.identifier, row)
    log.info("prediction", job="predict", input_count=1, output_count=1, rows_written=written,
             model_version_6h=row["model_version_6h"], model_version_12h=row["model_version_12h"],
             model_version_24h=row["model_version_24h"], model_version=row["model_version"],
             feature_version=feature_version, feature_schema_hash=row["feature_schema_hash"],
             base_hour=iso_z(chosen), location_id=location_id, model_status=model_status,
             pm25_6h=row["pm25_6h"], pm25_12h=row["pm25_12h"], pm25_24h=row["pm25_24h"],
             cassandra=served, dry_run=dry_run, status="success",
             interval={k: v for k, v in (interval or {}).items() if k.startswith("pm25_p")} or None)
    return row


FORECAST_INTERVAL_TABLE = "predictions.hanoi_pm25_forecast_interval_gold"


def _forecast(serving_row: Mapping[str, Any], models: Mapping[int, Mapping[str, Any]]
              ) -> tuple[dict[int, float], dict[int, tuple[float, float]]]:
    """Each horizon's forecast (its transform applied back, clipped at 0) and, for the models with a
    calibration, its 80 % interval."""
    from ais.ml.intervals import bounds as interval_bounds

    forecasts: dict[int, float] = {}
    bounds: dict[int, tuple[float, float]] = {}
    for h in PREDICTION_HORIZONS:
        model, interval = serving_model(models[h])
        if model.config.transform == "change" and serving_row.get("pm25_mean") is None:
            raise JobError(f"model {models[h]['model_version']} ({h}h) forecasts the change from the base hour's "
                           "PM2.5, and the serving row has no pm25_mean")
        try:
            value = float(model.predict([serving_row], h)[0])
        except FeatureMatrixError as exc:
            raise JobError(f"serving row: {exc}") from exc
        if not math.isfinite(value):
            raise JobError(f"model {models[h]['model_version']} ({h}h) predicted a non-finite value")
        forecasts[h] = float(np.clip(value, 0.0, None))
        if interval is not None:
            low, high = interval_bounds([forecasts[h]], interval)
            bounds[h] = (float(low[0]), float(high[0]))
    return forecasts, bounds


def interval_row(prediction: Mapping[str, Any], bounds: Mapping[int, tuple[float, float]]) -> dict[str, Any] | None:
    """The companion row of the interval table for a prediction row; None when no model has a
    calibration (a horizon without one has null bounds)."""
    if not bounds:
        return None
    row: dict[str, Any] = {k: prediction[k] for k in ("prediction_id", "base_hour", "location_id", "model_version",
                                                       "feature_version")}
    for h in PREDICTION_HORIZONS:
        low, high = bounds.get(h, (None, None))
        row[f"pm25_p10_{h}h"], row[f"pm25_p90_{h}h"] = low, high
    from ais.ml.intervals import COVERAGE, METHOD

    row |= {"coverage": COVERAGE, "interval_method": METHOD, "inference_run_id": prediction["inference_run_id"],
            "created_at": prediction["created_at"], "year": prediction["year"],
            "month_partition": prediction["month_partition"]}
    return row


def _serve_in_cassandra(settings: Settings, catalog: Catalog, identifier: str,
                        row: Mapping[str, Any]) -> dict[str, Any] | None:
    """When ``serving.cassandra`` is true and the row is a production forecast: the row as the
    prediction table now holds it (a rerun keeps the first run's created_at there) becomes the
    location's latest forecast in Cassandra. Called after the table write succeeded; a Cassandra
    failure fails the job (the table keeps the row; a rerun writes it to Cassandra)."""
    from ais.iceberg_io import read_rows
    from ais.serving.cassandra import serving_enabled
    from ais.serving.forecast import serve_forecast

    if not serving_enabled(settings):
        return None
    if row["model_status"] != "production":
        return {"applied": False, "reason": f"model_status {row['model_status']} is not served"}
    stored = read_rows(catalog.load_table(identifier), equals(prediction_id=row["prediction_id"]))
    try:
        return serve_forecast(settings, stored[0] if stored else row, dt.datetime.now(dt.UTC))
    except Exception as exc:  # a driver or server error: logged with the forecast, then surfaced
        log.error("cassandra_serving_failed", job="predict", prediction_id=row["prediction_id"],
                  base_hour=iso_z(row["base_hour"]), error=f"{type(exc).__name__}: {exc}"[:500],
                  status="failed")
        raise JobError(f"prediction {row['prediction_id']} is in {identifier} but writing it to Cassandra "
                       f"failed: {type(exc).__name__}: {exc}"[:800]) from exc
