"""The declared chain (ais.chain): every order the demo, the backtest and the DAGs use is derived
from the tables each step declares, and the DAGs' copy of the declaration is current."""

from __future__ import annotations

import json

import pytest
from tests.conftest import PROJECT_ROOT

from ais import chain, tables
from ais.config import ConfigError
from ais.spark.jobs import registry


def test_the_airflow_copy_is_current() -> None:
    committed = (PROJECT_ROOT / chain.AIRFLOW_CHAIN).read_text()
    assert committed == chain.render(), "airflow/dags/ais_chain.json is stale: run `ais chain --write`"
    assert json.loads(committed)["jobs"]["hanoi-master-features-gold"]["outputs"] == [
        "features.hanoi_pm25_master_hourly_gold"]


def test_every_declared_name_is_a_table_or_a_named_endpoint() -> None:
    for node in chain.nodes().values():
        for name in (*node.inputs, *node.outputs):
            assert name in tables.TABLES or name.split(":")[0] in ("bus", "cassandra", "iceberg"), (node.name, name)


def test_every_input_has_a_producer() -> None:
    """No step reads a table that no declared step writes (a dangling input would never fill)."""
    for node in chain.nodes().values():
        for name in node.inputs:
            assert chain.producers(name), f"{node.name} reads {name}, which no step writes"


def test_master_inputs_declared_as_read() -> None:
    from ais.spark.jobs.gold import MASTER_INPUTS

    declared = registry.JOBS["hanoi-master-features-gold"].inputs
    assert set(declared) == {spec.identifier for spec in MASTER_INPUTS.values()}
    assert len(declared) == 9  # with the weather history and the weather forecasts (issue 15)


def test_order_puts_every_producer_first() -> None:
    steps = chain.upstream(["predict", "hanoi-training-dataset-gold"])
    declared = chain.nodes()
    for i, name in enumerate(steps):
        for table in declared[name].inputs:
            for producer in chain.producers(table):
                if producer in steps:
                    assert steps.index(producer) < i, (producer, name)
    assert steps[-1] == "predict"
    assert {"trajectory-runs", "trajectory-hourly-features", "ingest-era5", "bronze-era5"} <= set(steps)
    # what predict does not need is not pulled in
    assert "plan-window" not in steps and "ensure-iceberg" not in steps


def test_demo_steps_are_derived() -> None:
    from ais.pipeline import DEMO_TARGETS, job_steps

    steps = job_steps(DEMO_TARGETS)
    assert steps[:5] == ["bronze-openaq", "bronze-weather", "bronze-sentinel5p", "bronze-maiac", "bronze-era5"]
    assert steps.index("trajectory-hourly-features") < steps.index("hanoi-master-features-gold")
    assert steps.index("sentinel5p-grid-silver") < steps.index("trajectory-path-satellite")
    assert steps[-2:] == ["hanoi-training-dataset-gold", "hanoi-serving-features-gold"]
    assert all(chain.nodes()[s].kind == "spark" for s in steps)


def test_backtest_runs_what_its_source_reaches() -> None:
    assert chain.reachable(["bus:openaq"], "hanoi-master-features-gold") == [
        "bronze-openaq", "hanoi-openaq-silver", "openaq-spatial-gradient-silver", "hanoi-master-features-gold"]


def test_a_cycle_and_an_unknown_step_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    cyclic = {"a": chain.Node("a", "spark", ("t2",), ("t1",), True),
              "b": chain.Node("b", "spark", ("t1",), ("t2",), True)}
    monkeypatch.setattr(chain, "nodes", lambda: cyclic)
    with pytest.raises(ConfigError, match="cycle"):
        chain.order(["a", "b"])
    with pytest.raises(ConfigError, match="not a declared step"):
        chain.order(["a", "nope"])


def test_windowed_flags_follow_the_parsers() -> None:
    declared = chain.nodes()
    assert declared["hanoi-openaq-silver"].windowed and declared["ingest-era5"].windowed
    assert not declared["bronze-openaq"].windowed and not declared["ensure-iceberg"].windowed


def test_backtest_with_weather_history_runs_its_bronze_and_silver_before_master() -> None:
    from ais.ml.backtest import gold_jobs

    plain, with_weather = gold_jobs(), gold_jobs(with_weather=True)
    assert "bronze-weather-vc" not in plain and "weather-history-vc-silver" not in plain
    assert with_weather[-1] == plain[-1] == "hanoi-master-features-gold"
    assert with_weather.index("bronze-weather-vc") < with_weather.index("weather-history-vc-silver")
    assert set(with_weather) - set(plain) == {"bronze-weather-vc", "weather-history-vc-silver"}


def test_replay_only_steps_are_those_fed_by_replayed_sources_alone() -> None:
    assert chain.REPLAY_ONLY_SOURCES == ("weather-vc",)
    assert [s for s in chain.nodes() if chain.replay_only(s)] == [
        "ingest-weather-vc", "bronze-weather-vc", "weather-history-vc-silver"]
    # master gold reads the history but also every live source: it is scheduled
    assert not chain.replay_only("hanoi-master-features-gold")
    assert not chain.replay_only("ingest-weather")
