"""The serving checks of seed 001 §16. Each check returns items (one logged record each, with the
seed's log fields and a ``status``); the check holds when no item failed.

serving-freshness     the newest serving row at or before the reference hour is at most
                      runtime.feature_freshness_max_minutes old
                      (latest_base_hour, age_minutes, threshold_minutes, status)
prediction-freshness  the same for the newest production prediction, with
                      runtime.prediction_freshness_max_minutes (latest_base_hour, created_at, age_minutes)
feature-null-ratio    every feature of checks.critical_features is null in at most checks.null_ratio_max
                      of the serving rows of the checks.null_ratio_window_hours up to the reference hour
                      (feature, null_ratio, threshold, status)
model-registry        exactly one production model per horizon 6/12/24 for the location and feature
                      version, with its artifact present (horizon_hour, location_id, feature_version)
schema-hash           the newest serving row and every production model carry the hash of the current
                      feature contract (expected_hash, actual_hash, feature_version)
api-readiness         GET /readyz answers 200 (url, status_code, latency_ms, error_code)
duplicate-predictions no two prediction rows share a key or a prediction_id, and the API's latest
                      forecast is exactly one table row (duplicate_count, key)
failed-cronjob, failed-spark-job   see :mod:`ais.checks.kube`

The reference hour is ``--base-hour`` (a backfill checks the hour it built) or now.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ais.checks import kube
from ais.config import Settings
from ais.jsonlog import get_logger
from ais.timeutil import as_utc, iso_z

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

log = get_logger("checks")

HORIZONS = (6, 12, 24)
PREDICTION_KEY = ("base_hour", "location_id", "model_version", "feature_version")
SUCCESS, FAILED, SKIPPED = "success", "failed", "skipped"


@dataclass
class CheckContext:
    settings: Settings
    now: dt.datetime
    reference: dt.datetime  # the hour a freshness is measured against
    location_id: str
    feature_version: str
    api_base_url: str | None = None
    catalog_factory: Callable[[], Catalog] | None = None
    kube_client_factory: kube.ApiClientFactory = kube.default_api_client
    explicit: bool = True  # the check was named (not part of `all`): a missing cluster fails it
    _catalog: Any = field(default=None, repr=False)

    def catalog(self) -> Catalog:
        if self._catalog is None:
            from ais.catalog import load_catalog

            factory = self.catalog_factory
            self._catalog = factory() if factory else load_catalog(self.settings, create=False)
        return self._catalog

    def rows(self, runtime_key: str, columns: tuple[str, ...], **equal: Any) -> list[dict[str, Any]]:
        from ais.iceberg_io import equals, read_rows
        from ais.tables import table

        spec = table(self.settings.table_name(runtime_key))
        return read_rows(self.catalog().load_table(spec.identifier), equals(**equal) if equal else None, columns)


def _iso(value: dt.datetime | None) -> str | None:
    return iso_z(value) if value is not None else None


def freshness_item(latest: dt.datetime | None, reference: dt.datetime, threshold_minutes: float) -> dict[str, Any]:
    """latest_base_hour, age_minutes, threshold_minutes, status. Nothing at all is stale."""
    if latest is None:
        return {"latest_base_hour": None, "age_minutes": None, "threshold_minutes": threshold_minutes,
                "status": FAILED, "reason": "no_rows"}
    age = (reference - as_utc(latest)).total_seconds() / 60.0
    return {"latest_base_hour": _iso(latest), "age_minutes": round(age, 1), "threshold_minutes": threshold_minutes,
            "status": SUCCESS if age <= threshold_minutes else FAILED}


def _newest_at_or_before(rows: list[dict[str, Any]], reference: dt.datetime) -> dict[str, Any] | None:
    eligible = [r for r in rows if r.get("base_hour") is not None and as_utc(r["base_hour"]) <= reference]
    return max(eligible, key=lambda r: (as_utc(r["base_hour"]), as_utc(r["created_at"]) if r.get("created_at") else
                                        dt.datetime.min.replace(tzinfo=dt.UTC)), default=None)


def _serving_rows(ctx: CheckContext, *columns: str) -> list[dict[str, Any]]:
    return ctx.rows("serving_feature_table", ("base_hour", *columns), location_id=ctx.location_id,
                    feature_version=ctx.feature_version)


def check_serving_freshness(ctx: CheckContext) -> list[dict[str, Any]]:
    newest = _newest_at_or_before(_serving_rows(ctx), ctx.reference)
    return [freshness_item(newest["base_hour"] if newest else None, ctx.reference,
                           ctx.settings.get_float("runtime.feature_freshness_max_minutes"))]


def check_prediction_freshness(ctx: CheckContext) -> list[dict[str, Any]]:
    rows = ctx.rows("prediction_table", ("base_hour", "created_at"), location_id=ctx.location_id,
                    model_status="production")
    newest = _newest_at_or_before(rows, ctx.reference)
    item = freshness_item(newest["base_hour"] if newest else None, ctx.reference,
                          ctx.settings.get_float("runtime.prediction_freshness_max_minutes"))
    return [{**item, "created_at": _iso(newest.get("created_at")) if newest else None}]


def null_ratio_items(rows: list[dict[str, Any]], features: list[str], threshold: float) -> list[dict[str, Any]]:
    if not rows:
        return [{"feature": f, "null_ratio": None, "threshold": threshold, "status": FAILED, "reason": "no_rows"}
                for f in features]
    items = []
    for feature in features:
        ratio = sum(1 for r in rows if r.get(feature) is None or r[feature] != r[feature]) / len(rows)
        items.append({"feature": feature, "null_ratio": round(ratio, 4), "threshold": threshold,
                      "rows": len(rows), "status": SUCCESS if ratio <= threshold else FAILED})
    return items


def check_feature_null_ratio(ctx: CheckContext) -> list[dict[str, Any]]:
    from ais.features.columns import CONTRACT_FEATURE_NAMES

    s = ctx.settings
    features = s.get_list("checks.critical_features")
    unknown = [f for f in features if f not in CONTRACT_FEATURE_NAMES]  # the serving table's features
    if unknown:
        from ais.config import ConfigError

        raise ConfigError(f"checks.critical_features names features the serving table does not hold {unknown}")
    start = ctx.reference - dt.timedelta(hours=s.get_int("checks.null_ratio_window_hours"))
    rows = [r for r in _serving_rows(ctx, *features) if start < as_utc(r["base_hour"]) <= ctx.reference]
    return null_ratio_items(rows, features, s.get_float("checks.null_ratio_max"))


def _production_rows(ctx: CheckContext) -> list[dict[str, Any]]:
    return ctx.rows("model_registry_table", ("model_version", "horizon_hour", "artifact_uri", "feature_schema_hash",
                                             "feature_version"),
                    location_id=ctx.location_id, status="production")


def registry_items(production: list[dict[str, Any]], location_id: str, feature_version: str,
                   artifacts_reachable: bool) -> list[dict[str, Any]]:
    """One item per horizon. An artifact is looked for only where its store can be reached from
    here (a local artifact folder that exists, or a remote store such as HDFS): the check pod of
    the cluster may not mount a local model folder."""
    from ais.ml.artifacts import ArtifactError, artifact_exists

    items = []
    for horizon in HORIZONS:
        found = [r for r in production if r["horizon_hour"] == horizon and r["feature_version"] == feature_version]
        item: dict[str, Any] = {"horizon_hour": horizon, "location_id": location_id,
                                "feature_version": feature_version,
                                "model_version": found[0]["model_version"] if len(found) == 1 else None}
        if not found:
            item |= {"status": FAILED, "reason": "no_production_model"}
        elif len(found) > 1:
            item |= {"status": FAILED, "reason": f"{len(found)} production models"}
        elif not artifacts_reachable:
            item |= {"status": SUCCESS, "artifact": "not checked (artifact storage not mounted here)"}
        else:
            try:
                present = artifact_exists(found[0]["artifact_uri"] or "")
            except ArtifactError as exc:
                present, item["error"] = False, str(exc)
            item |= {"status": SUCCESS} if present else {"status": FAILED, "reason": "artifact_missing"}
        items.append(item)
    return items


def check_model_registry(ctx: CheckContext) -> list[dict[str, Any]]:
    from ais import storage
    from ais.ml.artifacts import ArtifactError, artifact_root

    try:
        root = artifact_root(ctx.settings)
        reachable = not storage.is_local(root) or storage.local_path(root).is_dir()
    except (ArtifactError, storage.StorageError):
        reachable = False
    return registry_items(_production_rows(ctx), ctx.location_id, ctx.feature_version, reachable)


def check_schema_hash(ctx: CheckContext) -> list[dict[str, Any]]:
    from ais.features.columns import schema_hash

    expected = schema_hash()

    def item(source: str, actual: str | None) -> dict[str, Any]:
        return {"source": source, "expected_hash": expected, "actual_hash": actual,
                "feature_version": ctx.feature_version, "status": SUCCESS if actual == expected else FAILED}

    newest = _newest_at_or_before(_serving_rows(ctx, "schema_hash"), ctx.reference)
    items = [item("serving_features", newest["schema_hash"] if newest else None)]
    for row in sorted(_production_rows(ctx), key=lambda r: r["horizon_hour"]):
        if row["feature_version"] == ctx.feature_version:
            items.append(item(f"model_{row['horizon_hour']}h:{row['model_version']}", row["feature_schema_hash"]))
    return items


def _no_api(ctx: CheckContext, what: str) -> dict[str, Any]:
    return {"url": None, "status_code": None, "latency_ms": None, "error_code": "not_configured",
            "status": FAILED if ctx.explicit else SKIPPED,
            "reason": f"no API URL for {what}: pass --base-url or --serve-local, or set PM25_API_BASE_URL"}


def check_api_readiness(ctx: CheckContext) -> list[dict[str, Any]]:
    from ais.k8s.smoke import http_get

    if not ctx.api_base_url:
        return [_no_api(ctx, "api-readiness")]
    probe = http_get(ctx.api_base_url, "/readyz", 10.0)
    error = probe.error_code
    if probe.status_code == 503 and isinstance(probe.body, dict):
        error = f"not_ready:{probe.body.get('failed')}"
    return [{"url": ctx.api_base_url.rstrip("/") + "/readyz", "status_code": probe.status_code,
             "latency_ms": probe.latency_ms, "error_code": error, "status": SUCCESS if probe.ok else FAILED}]


def duplicate_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for key in (PREDICTION_KEY, ("prediction_id",)):
        counts = Counter(tuple(r[k] for k in key) for r in rows)
        dupes = {k: n for k, n in counts.items() if n > 1}
        item: dict[str, Any] = {"source": "table", "key": ",".join(key),
                                "duplicate_count": sum(n - 1 for n in dupes.values()),
                                "rows": len(rows), "status": FAILED if dupes else SUCCESS}
        if dupes:
            item["examples"] = [[_iso(v) if isinstance(v, dt.datetime) else v for v in k] for k in list(dupes)[:3]]
        items.append(item)
    return items


def api_duplicate_item(rows: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """The API's latest forecast must be exactly one table row."""
    model = body.get("model") or {}
    want = (body.get("base_hour"), body.get("location"), model.get("model_version_6h"),
            model.get("model_version_12h"), model.get("model_version_24h"), model.get("feature_version"))
    matches = sum(1 for r in rows if (_iso(r["base_hour"]), r["location_id"], r.get("model_version_6h"),
                                      r.get("model_version_12h"), r.get("model_version_24h"),
                                      r["feature_version"]) == want)
    return {"source": "api", "key": "base_hour,location,model_version_6h/12h/24h,feature_version",
            "api_base_hour": want[0], "matching_rows": matches, "duplicate_count": max(matches - 1, 0),
            "status": SUCCESS if matches == 1 else FAILED,
            **({} if matches else {"reason": "the API serves a forecast that is not in the table"})}


def check_duplicate_predictions(ctx: CheckContext) -> list[dict[str, Any]]:
    from ais.k8s.smoke import FORECAST_PATH, http_get

    rows = ctx.rows("prediction_table", (*PREDICTION_KEY, "prediction_id", "model_version_6h", "model_version_12h",
                                         "model_version_24h"), location_id=ctx.location_id)
    items = duplicate_items(rows)
    if not ctx.api_base_url:
        return [*items, {**_no_api(ctx, "duplicate-predictions"), "source": "api",
                         "status": SKIPPED}]
    probe = http_get(ctx.api_base_url, FORECAST_PATH, 10.0)
    if not probe.ok or not isinstance(probe.body, dict):
        return [*items, {"source": "api", "key": "latest forecast", "duplicate_count": None,
                         "status_code": probe.status_code, "error_code": probe.error_code, "status": FAILED}]
    return [*items, api_duplicate_item(rows, probe.body)]


def _kube_check(ctx: CheckContext, run: Callable[[Any], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    try:
        client = ctx.kube_client_factory()
    except kube.KubeUnavailable as exc:
        return [{"status": FAILED if ctx.explicit else SKIPPED, "reason": str(exc)}]
    return run(client)


def check_failed_cronjob(ctx: CheckContext) -> list[dict[str, Any]]:
    s = ctx.settings
    name = s.require("checks.predict_cronjob")

    def run(client: Any) -> list[dict[str, Any]]:
        cronjob, jobs = kube.read_cronjob_state(client, s.runtime("airflow_k8s_namespace"), name)
        return kube.evaluate_cronjob(cronjob, jobs, name, ctx.now,
                                     dt.timedelta(minutes=s.get_int("checks.cronjob_max_schedule_age_minutes")))

    return _kube_check(ctx, run)


def check_failed_spark_job(ctx: CheckContext) -> list[dict[str, Any]]:
    s = ctx.settings

    def run(client: Any) -> list[dict[str, Any]]:
        pods = kube.read_spark_drivers(client, s.runtime("spark_k8s_namespace"))
        return kube.evaluate_spark_drivers(pods, ctx.now, dt.timedelta(hours=s.get_int("checks.spark_lookback_hours")))

    return _kube_check(ctx, run)


CHECKS: dict[str, Callable[[CheckContext], list[dict[str, Any]]]] = {
    "serving-freshness": check_serving_freshness,
    "prediction-freshness": check_prediction_freshness,
    "feature-null-ratio": check_feature_null_ratio,
    "model-registry": check_model_registry,
    "schema-hash": check_schema_hash,
    "api-readiness": check_api_readiness,
    "failed-cronjob": check_failed_cronjob,
    "failed-spark-job": check_failed_spark_job,
    "duplicate-predictions": check_duplicate_predictions,
}
API_CHECKS = frozenset({"api-readiness", "duplicate-predictions"})


def run_checks(ctx: CheckContext, names: list[str]) -> dict[str, Any]:
    """Run ``names`` in order; a check that raises is a failed check, never a crash of the others."""
    from ais.config import ConfigError

    results: dict[str, Any] = {}
    for name in names:
        try:
            items = CHECKS[name](ctx)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - an unreadable dependency is a failed check, reported
            items = [{"status": FAILED, "reason": "error", "error": f"{type(exc).__name__}: {exc}"[:500]}]
        for item in items:
            level = log.error if item["status"] == FAILED else log.info
            level("check", check=name, **item)
        failed = any(i["status"] == FAILED for i in items)
        skipped = all(i["status"] == SKIPPED for i in items)
        results[name] = {"status": FAILED if failed else SKIPPED if skipped else SUCCESS, "items": items}
    overall = FAILED if any(r["status"] == FAILED for r in results.values()) else SUCCESS
    log.info("checks_done", checks=names, failed=[n for n, r in results.items() if r["status"] == FAILED],
             reference_hour=_iso(ctx.reference), status=overall)
    return {"status": overall, "reference_hour": _iso(ctx.reference), "checks": results}
