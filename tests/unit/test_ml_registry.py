"""Registry plans (pure): who becomes production, who is archived, when the metric gate refuses."""

from __future__ import annotations

import datetime as dt

import pytest

from ais.cli import JobError
from ais.ml.registry import (
    check_metric_gate,
    plan_demotion,
    plan_promotion,
    plan_rollback,
    registry_row_from_run,
)
from ais.tables import MODEL_REGISTRY

T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(days=1)
T2 = T0 + dt.timedelta(days=2)


def _run(version: str, skill: float | None = 0.3) -> dict:
    return {"model_run_id": f"run-{version}", "model_version": version, "horizon_hour": 6,
            "model_type": "lightgbm", "model_path": f"/m/{version}/model.txt",
            "artifact_uri": f"file:///m/{version}/model.txt", "feature_set_name": "fs",
            "feature_version": "fv",
            "dataset_version": "ds", "feature_schema_hash": "H", "mae": 4.0, "rmse": 5.0, "mape": 10.0,
            "skill_vs_persistence": skill}


def _registry(version: str, status: str, effective_from: dt.datetime | None = T0,
              effective_to: dt.datetime | None = None) -> dict:
    row = registry_row_from_run(_run(version), "hanoi", "production", "ops", effective_from or T0)
    return dict(row, status=status, effective_from=effective_from, effective_to=effective_to)


def test_registry_row_has_exactly_the_registry_columns() -> None:
    row = registry_row_from_run(_run("a"), "hanoi", "production", "ops", T1)
    assert sorted(row) == sorted(MODEL_REGISTRY.column_names)
    assert (row["status"], row["promoted_at"], row["effective_from"], row["effective_to"]) == (
        "production", T1, T1, None)
    assert row["training_dataset_version"] == "ds"


def test_first_promotion_writes_one_production_row() -> None:
    plan = plan_promotion(_run("a"), [], "hanoi", "production", "ops", T1)
    assert plan.action == "promote"
    assert [(r["model_version"], r["status"]) for r in plan.writes] == [("a", "production")]
    assert (plan.old_status, plan.new_status, plan.previous_production, plan.new_production) == (
        None, "production", None, "a")


def test_promotion_archives_the_current_production_row() -> None:
    plan = plan_promotion(_run("b"), [_registry("a", "production")], "hanoi", "production", "ops", T1,
                          production_skill=0.3)
    assert [(r["model_version"], r["status"], r["effective_to"]) for r in plan.writes] == [
        ("a", "archived", T1), ("b", "production", None)]
    assert (plan.previous_production, plan.new_production) == ("a", "b")


def test_promoting_the_production_model_again_is_a_noop() -> None:
    plan = plan_promotion(_run("a"), [_registry("a", "production")], "hanoi", "production", "ops", T1)
    assert (plan.action, plan.writes, plan.old_status) == ("noop", (), "production")


def test_repromoting_an_archived_model_keeps_its_created_at() -> None:
    rows = [_registry("a", "archived", T0, T1), _registry("b", "production", T1)]
    plan = plan_promotion(_run("a"), rows, "hanoi", "production", "ops", T2, production_skill=0.3)
    new = plan.writes[-1]
    assert (new["model_version"], new["created_at"], new["effective_from"]) == ("a", T0, T2)
    assert plan.old_status == "archived"


def test_metric_gate_refuses_a_worse_model() -> None:
    with pytest.raises(JobError,
                       match=r"skill_vs_persistence 0\.1000 is lower than the production model's 0\.3000"):
        plan_promotion(_run("b", skill=0.1), [_registry("a", "production")], "hanoi", "production", "ops", T1,
                       production_skill=0.3)


def test_metric_gate_force_needs_a_reason() -> None:
    with pytest.raises(JobError, match="--reason"):
        plan_promotion(_run("b", skill=0.1), [_registry("a", "production")], "hanoi", "production", "ops", T1,
                       production_skill=0.3, force=True, reason="  ")


def test_metric_gate_force_with_reason_promotes_and_says_so() -> None:
    plan = plan_promotion(_run("b", skill=0.1), [_registry("a", "production")], "hanoi", "production", "ops",
                          T1, production_skill=0.3, force=True, reason="hotfix for sensor drift")
    assert (plan.action, plan.forced, plan.reason, plan.new_production) == (
        "promote", True, "hotfix for sensor drift", "b")


@pytest.mark.parametrize(("candidate", "production", "passes"), [
    (0.3, 0.3, True), (0.31, 0.3, True), (0.29, 0.3, False), (None, 0.3, False), (0.1, None, True),
    (None, None, True), (float("nan"), 0.3, False),
])
def test_metric_gate_table(candidate: float | None, production: float | None, passes: bool) -> None:
    if passes:
        assert check_metric_gate(candidate, production, force=False, reason=None) is False
    else:
        with pytest.raises(JobError, match="metric gate"):
            check_metric_gate(candidate, production, force=False, reason=None)


def test_staging_does_not_touch_production() -> None:
    plan = plan_promotion(_run("b"), [_registry("a", "production")], "hanoi", "staging", "ops", T1)
    assert [(r["model_version"], r["status"], r["effective_from"]) for r in plan.writes] == [
        ("b", "staging", None)]
    assert plan.new_production == "a"
    with pytest.raises(JobError, match="demote"):
        plan_promotion(_run("a"), [_registry("a", "production")], "hanoi", "staging", "ops", T1)


def test_demotion_archives_production_or_is_a_noop() -> None:
    plan = plan_demotion([_registry("a", "production"), _registry("z", "archived", T0, T0)], "fv", T1)
    assert plan.action == "demote"
    assert [(r["model_version"], r["status"], r["effective_to"]) for r in plan.writes] == [
        ("a", "archived", T1)]
    assert plan_demotion([_registry("z", "archived", T0, T0)], "fv", T1).action == "noop"
    with pytest.raises(JobError, match="feature_version"):
        plan_demotion([_registry("a", "production")], "other_fv", T1)


def test_rollback_restores_the_most_recently_archived_production_model() -> None:
    rows = [_registry("a", "archived", T0, T0 + dt.timedelta(hours=1)),
            _registry("b", "archived", T0 + dt.timedelta(hours=1), T1),
            _registry("c", "production", T1),
            _registry("never", "staging", None)]
    plan = plan_rollback(rows, "fv", "ops", T2)
    assert plan.action == "rollback"
    assert (plan.previous_production, plan.new_production) == ("c", "b")
    got = [(r["model_version"], r["status"], r["effective_from"], r["effective_to"]) for r in plan.writes]
    assert got == [("c", "archived", T1, T2), ("b", "production", T2, None)]


def test_rollback_without_a_previous_production_model_fails() -> None:
    rows = [_registry("c", "production", T1), _registry("s", "archived", None, None)]
    with pytest.raises(JobError, match="no previous production model"):
        plan_rollback(rows, "fv", "ops", T2)
