"""The production model pointer: promotion, demotion and rollback (seed §9.3, §11).

The registry table holds one row per (model_version, horizon_hour, location_id). For every
(location_id, horizon_hour) at most one row is ``production``. Every action:

1. reads the registry rows of that (location, horizon) and, for a promotion, the model-runs row;
2. computes a plan (pure functions below: which rows get which status) and logs it;
3. unless ``dry_run``, writes the plan in ONE ``merge_rows`` commit, so the old production row is
   archived and the new one written atomically, and only if the table is still at the snapshot
   step 1 read; if another action committed in between, it starts again at step 1 (so concurrent
   promotions serialise and never leave two production rows). A dry run writes nothing at all.

Promotion refuses a model whose test skill against persistence is lower than the current production
model's, unless forced with a reason. Promoting what is already production is a no-op.
Run history (the model-runs table) is never changed here.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ais.cli import JobError
from ais.config import Settings
from ais.iceberg_io import equals
from ais.jsonlog import get_logger
from ais.ml.artifacts import ArtifactError, artifact_exists
from ais.tables import TableSpec, table

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

log = get_logger("registry")

RUN_STATUS_TRAINED = "trained"  # the model-runs status written by ais.ml.train
PRODUCTION, STAGING, ARCHIVED = "production", "staging", "archived"
PROMOTABLE_STATUSES: tuple[str, ...] = (PRODUCTION, STAGING)


@dataclass(frozen=True)
class RegistryPlan:
    """What an action would write. ``writes`` is empty for a no-op."""

    action: str  # promote | noop | demote | rollback
    model_run_id: str | None
    model_version: str | None
    old_status: str | None  # of the model acted on, before the action (None: not in the registry)
    new_status: str | None
    previous_production: str | None  # model_version of the production pointer before
    new_production: str | None  # and after
    writes: tuple[dict[str, Any], ...]
    forced: bool = False
    reason: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"promotion_action": self.action, "model_run_id": self.model_run_id,
                "model_version": self.model_version, "old_status": self.old_status,
                "new_status": self.new_status, "previous_production_model_version": self.previous_production,
                "new_production_model_version": self.new_production, "rows_planned": len(self.writes),
                "forced": self.forced, "reason": self.reason}


# ---- pure planning ------------------------------------------------------------------------------

def registry_row_from_run(run: dict[str, Any], location_id: str, status: str, promoted_by: str,
                          now: dt.datetime, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The registry row that points at a model-runs row."""
    return {
        "model_version": run["model_version"], "model_run_id": run["model_run_id"],
        "horizon_hour": run["horizon_hour"], "location_id": location_id, "model_type": run["model_type"],
        "model_path": run["model_path"], "artifact_uri": run["artifact_uri"],
        "feature_set_name": run["feature_set_name"], "feature_version": run["feature_version"],
        "training_dataset_version": run["dataset_version"], "feature_schema_hash": run["feature_schema_hash"],
        "status": status, "mae": run["mae"], "rmse": run["rmse"], "mape": run["mape"],
        "promoted_at": now, "promoted_by": promoted_by,
        "created_at": existing["created_at"] if existing and existing.get("created_at") else now,
        "effective_from": now if status == PRODUCTION else None, "effective_to": None,
    }


def _archived(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return dict(row, status=ARCHIVED, effective_to=now)


def _production_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [r for r in rows if r["status"] == PRODUCTION]
    return sorted(found, key=lambda r: r.get("effective_from") or dt.datetime.min.replace(tzinfo=dt.UTC))


def _skill(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def check_metric_gate(candidate_skill: Any, production_skill: Any, force: bool, reason: str | None) -> bool:
    """True when the gate was bypassed by force. Raises JobError when the candidate is worse than
    production (lower skill against persistence, or no skill at all while production has one)."""
    if force and not (reason and reason.strip()):
        raise JobError("--force needs a non-empty --reason")
    current = _skill(production_skill)
    candidate = _skill(candidate_skill)
    if current is None:
        return False
    if candidate is not None and candidate >= current:
        return False
    if force:
        return True
    shown = "none" if candidate is None else f"{candidate:.4f}"
    raise JobError(f"metric gate: candidate test skill_vs_persistence {shown} is lower than the "
                   f"production model's {current:.4f}; pass --force with --reason to promote anyway")


def plan_promotion(run: dict[str, Any], registry_rows: list[dict[str, Any]], location_id: str, status: str,
                   promoted_by: str, now: dt.datetime, production_skill: Any = None, force: bool = False,
                   reason: str | None = None) -> RegistryPlan:
    """The plan that makes ``run`` the ``status`` model of its (location, horizon)."""
    existing = next((r for r in registry_rows if r["model_version"] == run["model_version"]), None)
    old_status = existing["status"] if existing else None
    productions = _production_rows(registry_rows)
    previous = productions[-1]["model_version"] if productions else None
    ids = {"model_run_id": run["model_run_id"], "model_version": run["model_version"],
           "old_status": old_status, "new_status": status, "previous_production": previous}
    others = [r for r in productions if r["model_version"] != run["model_version"]]
    if old_status == status and not (status == PRODUCTION and others):
        return RegistryPlan("noop", new_production=previous, writes=(), **ids)
    if status == STAGING:
        if old_status == PRODUCTION:
            raise JobError(f"model {run['model_version']} is production; demote it instead of staging it")
        row = registry_row_from_run(run, location_id, STAGING, promoted_by, now, existing)
        return RegistryPlan("promote", new_production=previous, writes=(row,), **ids)
    forced = check_metric_gate(run.get("skill_vs_persistence"), production_skill, force, reason)
    writes = [_archived(r, now) for r in others]
    writes.append(registry_row_from_run(run, location_id, PRODUCTION, promoted_by, now, existing))
    return RegistryPlan("promote", new_production=run["model_version"], writes=tuple(writes), forced=forced,
                        reason=reason if forced else None, **ids)


def plan_demotion(registry_rows: list[dict[str, Any]], feature_version: str,
                  now: dt.datetime) -> RegistryPlan:
    productions = _production_rows(registry_rows)
    if not productions:
        return RegistryPlan("noop", None, None, None, None, None, None, ())
    current = productions[-1]
    if current["feature_version"] != feature_version:
        raise JobError(f"the production model {current['model_version']} has feature_version "
                       f"{current['feature_version']!r}, not {feature_version!r}")
    return RegistryPlan("demote", current["model_run_id"], current["model_version"], PRODUCTION, ARCHIVED,
                        current["model_version"], None, tuple(_archived(r, now) for r in productions))


def plan_rollback(registry_rows: list[dict[str, Any]], feature_version: str, promoted_by: str,
                  now: dt.datetime) -> RegistryPlan:
    """Re-promote the most recently archived model that was production before (it has an
    effective_from), archiving the current production model if there is one."""
    productions = _production_rows(registry_rows)
    current = {r["model_version"] for r in productions}
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    candidates = [r for r in registry_rows
                  if r["status"] == ARCHIVED and r.get("effective_from") is not None
                  and r["feature_version"] == feature_version and r["model_version"] not in current]
    if not candidates:
        raise JobError(f"no previous production model (archived, feature_version {feature_version!r}) "
                       "to roll back to")
    target = max(candidates,
                 key=lambda r: (r.get("effective_to") or earliest, r.get("promoted_at") or earliest))
    restored = dict(target, status=PRODUCTION, promoted_at=now, promoted_by=promoted_by, effective_from=now,
                    effective_to=None)
    previous = productions[-1]["model_version"] if productions else None
    return RegistryPlan("rollback", target["model_run_id"], target["model_version"], ARCHIVED, PRODUCTION,
                        previous, target["model_version"],
                        (*(_archived(r, now) for r in productions), restored))


# ---- I/O ----------------------------------------------------------------------------------------

def _registry_spec(settings: Settings) -> TableSpec:
    return table(settings.table_name("model_registry_table"))


def _runs_spec(settings: Settings) -> TableSpec:
    return table(settings.table_name("model_runs_table"))


def read_run(catalog: Catalog, spec: TableSpec, model_run_id: str,
             horizon_hour: int) -> dict[str, Any] | None:
    from ais.iceberg_io import read_rows

    rows = read_rows(catalog.load_table(spec.identifier),
                     equals(model_run_id=model_run_id, horizon_hour=horizon_hour))
    return rows[0] if rows else None


def _check_artifact(uri: str | None, model_version: str) -> None:
    if not uri:
        raise JobError(f"model {model_version} has no artifact_uri")
    try:
        found = artifact_exists(uri)
    except ArtifactError as exc:
        raise JobError(str(exc)) from exc
    if not found:
        raise JobError(f"the artifact of model {model_version} is missing: {uri}")


# Commit conflicts (another promotion, demotion or rollback committed between our read and our
# write) are retried from a fresh read, at most this many attempts, with a short growing pause.
COMMIT_ATTEMPTS = 30
COMMIT_BACKOFF_S = 0.05


def _commit_from_read(settings: Settings, catalog: Catalog, location_id: str, horizon_hour: int,
                      decide: Callable[[list[dict[str, Any]]], RegistryPlan],
                      dry_run: bool) -> tuple[RegistryPlan, int, int]:
    """Read the registry rows of (location, horizon) at the table's current snapshot, plan with
    ``decide``, and commit the plan only if the table is still at that snapshot; on a conflict,
    start again from a fresh read (so two promotions at once cannot both archive the same
    production row and leave two). Returns the plan, the rows written and the attempts made."""
    import random

    from pyiceberg.exceptions import CommitFailedException, ValidationException

    from ais.iceberg_io import merge_rows, read_rows

    spec = _registry_spec(settings)
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        table = catalog.load_table(spec.identifier)
        rows = read_rows(table, equals(location_id=location_id, horizon_hour=horizon_hour))
        plan = decide(rows)
        if not plan.writes or dry_run:
            return plan, 0, attempt
        try:
            return plan, merge_rows(catalog, spec, list(plan.writes), table=table).written, attempt
        except (CommitFailedException, ValidationException) as exc:
            log.warning("registry_commit_conflict", job="registry", attempt=attempt, location_id=location_id,
                        horizon_hour=horizon_hour, model_version=plan.model_version, error=str(exc)[:300])
            time.sleep(COMMIT_BACKOFF_S * attempt * (1 + random.random()))  # noqa: S311 (jitter, not a secret)
    raise JobError(f"the registry of {location_id}/{horizon_hour}h changed under every one of "
                   f"{COMMIT_ATTEMPTS} attempts; nothing was written")


def _log_result(plan: RegistryPlan, written: int, attempts: int, event: str, *, location_id: str,
                horizon_hour: int, feature_version: str, promoted_by: str, dry_run: bool) -> dict[str, Any]:
    fields = plan.summary() | {"horizon_hour": horizon_hour, "location_id": location_id,
                               "feature_version": feature_version, "promoted_by": promoted_by,
                               "dry_run": dry_run, "rows_written": written, "commit_attempts": attempts}
    if plan.forced:
        log.warning("metric_gate_forced", job="promote", model_version=plan.model_version,
                    horizon_hour=horizon_hour, location_id=location_id, reason=plan.reason,
                    promoted_by=promoted_by)
    log.info(event, job="registry", **fields, status="success")
    return fields


def promote(settings: Settings, model_run_id: str, location_id: str, horizon_hour: int, feature_version: str,
            status: str = PRODUCTION, promoted_by: str = "", dry_run: bool = False, force: bool = False,
            reason: str | None = None, *, catalog: Catalog | None = None,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """Point (location_id, horizon_hour) at the model of ``model_run_id`` (status production or
    staging). Returns the logged fields (promotion_action, old/new status, ...)."""
    from ais.catalog import load_catalog

    if status not in PROMOTABLE_STATUSES:
        raise JobError(f"--status must be one of {list(PROMOTABLE_STATUSES)}, got {status!r}")
    if not promoted_by.strip():
        raise JobError("--promoted-by is required")
    catalog = catalog or load_catalog(settings)
    run = read_run(catalog, _runs_spec(settings), model_run_id, horizon_hour)
    if run is None:
        raise JobError(f"model run {model_run_id} has no horizon {horizon_hour}h in the model runs table")
    if run["feature_version"] != feature_version:
        raise JobError(f"model run {model_run_id} was trained for feature_version "
                       f"{run['feature_version']!r}, not {feature_version!r}")
    if run.get("status") != RUN_STATUS_TRAINED:
        raise JobError(f"model run {model_run_id} has status {run.get('status')!r}; only trained runs "
                       "are promoted")
    if run.get("location_id") and run["location_id"] != location_id:
        raise JobError(f"model run {model_run_id} was trained for location {run['location_id']!r}, "
                       f"not {location_id!r}")
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    artifact_checked = False

    def decide(rows: list[dict[str, Any]]) -> RegistryPlan:
        nonlocal artifact_checked
        productions = _production_rows(rows)
        production_skill = None
        if productions and productions[-1]["model_version"] != run["model_version"]:
            current_run = read_run(catalog, _runs_spec(settings), productions[-1]["model_run_id"], horizon_hour)
            production_skill = current_run.get("skill_vs_persistence") if current_run else None
        try:
            plan = plan_promotion(run, rows, location_id, status, promoted_by, now, production_skill, force,
                                  reason)
        except JobError as exc:
            log.error("promotion_refused", job="promote", promotion_action="refused", model_run_id=model_run_id,
                      model_version=run["model_version"], horizon_hour=horizon_hour, location_id=location_id,
                      old_status=next((r["status"] for r in rows if r["model_version"] == run["model_version"]),
                                      None),
                      new_status=status, promoted_by=promoted_by,
                      candidate_skill=run.get("skill_vs_persistence"), production_skill=production_skill,
                      error=str(exc), status="failed")
            raise
        if plan.action != "noop" and not artifact_checked:
            _check_artifact(run.get("artifact_uri"), run["model_version"])
            artifact_checked = True
        return plan

    plan, written, attempts = _commit_from_read(settings, catalog, location_id, horizon_hour, decide, dry_run)
    return _log_result(plan, written, attempts, "model_promotion", location_id=location_id,
                       horizon_hour=horizon_hour, feature_version=feature_version, promoted_by=promoted_by,
                       dry_run=dry_run)


def demote(settings: Settings, location_id: str, horizon_hour: int, feature_version: str, promoted_by: str,
           dry_run: bool = False, *, catalog: Catalog | None = None,
           now: dt.datetime | None = None) -> dict[str, Any]:
    """Archive the production model of (location_id, horizon_hour) (effective_to = now). Inference
    then fails for that horizon until another model is promoted or the old one rolled back."""
    from ais.catalog import load_catalog

    if not promoted_by.strip():
        raise JobError("--promoted-by is required")
    catalog = catalog or load_catalog(settings)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    plan, written, attempts = _commit_from_read(
        settings, catalog, location_id, horizon_hour, lambda rows: plan_demotion(rows, feature_version, now), dry_run)
    return _log_result(plan, written, attempts, "model_demotion", location_id=location_id,
                       horizon_hour=horizon_hour, feature_version=feature_version, promoted_by=promoted_by,
                       dry_run=dry_run)


def rollback(settings: Settings, location_id: str, horizon_hour: int, feature_version: str, promoted_by: str,
             dry_run: bool = False, *, catalog: Catalog | None = None,
             now: dt.datetime | None = None) -> dict[str, Any]:
    """Re-promote the most recently archived former production model of (location_id,
    horizon_hour), archiving the current one. Explicit: the metric gate does not apply."""
    from ais.catalog import load_catalog

    if not promoted_by.strip():
        raise JobError("--promoted-by is required")
    catalog = catalog or load_catalog(settings)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)

    def decide(rows: list[dict[str, Any]]) -> RegistryPlan:
        plan = plan_rollback(rows, feature_version, promoted_by, now)
        _check_artifact(next(r["artifact_uri"] for r in plan.writes if r["status"] == PRODUCTION),
                        plan.model_version or "")
        return plan

    plan, written, attempts = _commit_from_read(settings, catalog, location_id, horizon_hour, decide, dry_run)
    return _log_result(plan, written, attempts, "model_rollback", location_id=location_id,
                       horizon_hour=horizon_hour, feature_version=feature_version, promoted_by=promoted_by,
                       dry_run=dry_run)
