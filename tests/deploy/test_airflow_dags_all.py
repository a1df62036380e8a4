"""`airflow dags test` of the seven DAGs besides the compute DAG (test_airflow_dags_test.py runs that
one), in sequence on ONE temporary storage root and metadata database, the embedded profile and
the local runtime; the sources are the five APIs simulated on loopback (ais.simulated_providers:
ais-provider-sim's files played by the fixture server), so every ingest task runs ais-ingest's real
live path. Then the tables are read back.

    ais_pipeline (bootstrap) -> ais_era5_ingestion -> ais_maiac_backfill (a date-range backfill)
      -> ais_streaming_supervision (OpenAQ, WeatherAPI history and forecast, Sentinel-5P live, six bronze passes)
      -> ais_trajectory_tier2 -> ais_hanoi_silver_gold -> ais_maintenance

The window is anchored on the wall clock's hour H (what ``ingest_time`` is stamped with), because the
silver/gold and tier-2 DAGs plan their window by what ARRIVED since their last run: their runs are
dated after the ingest, and the test checks that plan_window widened the default 2-day window back
to the ERA5 days that arrived (10 days before H)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ais.catalog import load_catalog
from ais.config import load_settings
from ais.iceberg_io import read_rows
from ais.simulated_providers import SimulatedProviders
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env
from tests.deploy.airflow_env import AIRFLOW_BIN, airflow_env, require_airflow

POOLS = {"ais_spark": "1", "ais_catalog": "2"}


def _day(t: dt.datetime) -> str:
    return t.date().isoformat()


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


class Airflow:
    """One AIRFLOW_HOME (SQLite metadata) and one storage root for every run of the test."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.seconds: dict[str, float] = {}

    def cli(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(AIRFLOW_BIN / "airflow"), *args], capture_output=True, text=True, env=self.env,
                              check=False, timeout=timeout, cwd=self.tmp)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
        return done

    def dags_test(self, dag_id: str, logical: dt.datetime, conf: dict[str, Any]) -> dict[str, str]:
        started = time.monotonic()
        run = subprocess.run([str(AIRFLOW_BIN / "airflow"), "dags", "test", dag_id, _iso(logical), "-c",
                              json.dumps(conf)], capture_output=True, text=True, env=self.env, check=False,
                             timeout=1800, cwd=self.tmp)
        self.seconds[dag_id] = round(time.monotonic() - started, 1)
        (self.tmp / f"{dag_id}.log").write_text(run.stdout + run.stderr)
        with sqlite3.connect(self.tmp / "airflow" / "airflow.db") as db:
            states = dict(db.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ?", (dag_id,)))
            run_state = db.execute("SELECT state FROM dag_run WHERE dag_id = ?", (dag_id,)).fetchall()
        assert run_state == [("success",)] and run.returncode == 0, (dag_id, states, run.stdout[-4000:],
                                                                    run.stderr[-4000:])
        return states

    def xcom(self, dag_id: str, task_id: str) -> Any:
        with sqlite3.connect(self.tmp / "airflow" / "airflow.db") as db:
            rows = db.execute("SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = 'return_value'",
                              (dag_id, task_id)).fetchall()
        assert len(rows) == 1, (dag_id, task_id, rows)
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str | bytes) else value


@pytest.mark.slow
def test_every_dag_runs_green_on_one_store(tmp_path: Path) -> None:
    require_airflow()
    for binary in ("ais-ingest", "ais-provider-sim"):
        if not (PROJECT_ROOT / "build" / "native" / binary).is_file():
            pytest.fail(f"build/native/{binary} is missing: run `make build`")
    store = tmp_path / "ais"
    storage_env = isolated_env(store)
    settings = load_settings(CONFIG_PATH, environ=storage_env)
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)  # H
    later = hour + dt.timedelta(hours=3)  # the planning DAGs run after every arrival of the test
    first_day = (hour - dt.timedelta(days=12)).replace(hour=0)

    with SimulatedProviders(settings, first_day, hour + dt.timedelta(hours=1)) as providers:
        env = airflow_env(tmp_path / "airflow", AIS_RUNTIME="local", AIS_TASK_RETRIES="0",
                          HANOI_PIPELINE_CONFIG=str(CONFIG_PATH), SPARK_SHUFFLE_PARTITIONS="1",
                          **storage_env, **providers.environ())
        af = Airflow(tmp_path, env)
        af.cli("db", "migrate")
        for pool, slots in POOLS.items():
            af.cli("pools", "set", pool, slots, f"AIS test pool {pool}")

        simulated = {"provider": "simulated"}
        states = af.dags_test("ais_pipeline", hour, {})
        assert states == {"ensure_kafka_topics": "success", "ensure_iceberg_tables": "success",
                          "ensure_cassandra_schema": "success",
                          **{f"bronze_{s}": "success" for s in ("openaq", "weather", "sentinel5p", "maiac", "era5")}}
        assert af.dags_test("ais_era5_ingestion", hour, simulated) == {"ingest_era5": "success"}
        backfill = {**simulated, "start_date": _day(hour - dt.timedelta(days=6)),
                    "end_date": _day(hour - dt.timedelta(days=1))}
        assert af.dags_test("ais_maiac_backfill", hour, backfill) == {"ingest_maiac": "success"}
        # a backfill run of the supervision (conf dates: 10 days of OpenAQ, WeatherAPI, Sentinel-5P)
        days = {"start_date": _day(hour - dt.timedelta(days=10)), "end_date": _day(hour - dt.timedelta(days=1))}
        states = af.dags_test("ais_streaming_supervision", hour + dt.timedelta(minutes=5),
                              {**simulated, **days, "sentinel5p": True})
        live = ("openaq", "weather", "sentinel5p", "weather_forecast")
        assert states == {**dict.fromkeys([f"bronze_{s}" for s in ("maiac", "era5", *live)]
                                          + [f"ingest_{s}" for s in live], "success"),
                          "cassandra_openaq": "skipped", "cassandra_weather": "skipped"}, states

    # ---- bronze: what the scheduled live ingest wrote, streamed by the supervision's passes ----
    catalog = load_catalog(settings, create=False)

    def rows(identifier: str) -> list[dict[str, Any]]:
        return read_rows(catalog.load_table(identifier))

    openaq = rows("air_quality.openaq_hourly_bronze")
    weather = rows("weather.weather_history_bronze")
    era5 = rows("weather.era5_files_bronze")
    maiac = rows("satellite.maiac_summary_bronze")
    s5p = rows("satellite.sentinel5p_summary_bronze")
    for name, table in (("openaq", openaq), ("weather", weather), ("era5", era5), ("maiac", maiac),
                        ("sentinel5p", s5p)):
        assert table, f"no {name} rows in bronze"
        assert {r["source"] for r in table} == {"simulated"}, name
    # each ingest window: OpenAQ the supervision's conf days, ERA5 10 days, MAIAC the conf's range
    assert _day(min(r["event_time"] for r in openaq)) == days["start_date"]
    assert _day(max(r["event_time"] for r in openaq)) == days["end_date"]
    assert min(r["period_start"] for r in era5) >= hour - dt.timedelta(days=10)
    assert _day(min(r["event_time"] for r in maiac)) >= backfill["start_date"]
    assert _day(max(r["event_time"] for r in maiac)) <= backfill["end_date"]
    openaq_rows = len(openaq)

    # ---- windows planned by arrival; the trajectory chain; silver and gold ---------------------
    # simulated met: the trajectory engine wants one ARL file covering a whole run (72 h back, 24 h
    # forward), and the ERA5 files of the live path are daily (see the report of this change)
    met = {"simulate_met": True}
    states = af.dags_test("ais_trajectory_tier2", later, met)
    assert set(states.values()) == {"success"} and len(states) == 6, states
    plan = af.xcom("ais_trajectory_tier2", "plan_window")
    default_end = (later - dt.timedelta(hours=1)).date()
    assert plan["requested"] == {"start_date": (default_end - dt.timedelta(days=1)).isoformat(),
                                 "end_date": default_end.isoformat()}
    # the ERA5 files that arrived reach back 10 days: the window follows them
    assert plan["jobs"] == ["trajectory-met-arl"] and plan["arrived_rows"] == len(era5), plan
    assert plan["start_date"] == min(r["event_time"] for r in era5).date().isoformat(), plan
    assert plan["start_date"] <= _day(hour - dt.timedelta(days=9)), plan
    features = rows("features.trajectory_hourly_features_silver")
    assert features and _day(min(r["hour"] for r in features)) == plan["start_date"]
    assert {r["status"] for r in rows("trajectory.hysplit_runs_bronze")} == {"success"}

    states = af.dags_test("ais_hanoi_silver_gold", later, met)
    assert set(states.values()) == {"success"} and len(states) == 16, states
    plan = af.xcom("ais_hanoi_silver_gold", "plan_window")
    assert plan["start_date"] <= _day(hour - dt.timedelta(days=9)), plan
    era5_silver = rows("weather.era5_surface_hanoi_hourly_silver")
    assert era5_silver and _day(min(r["hour"] for r in era5_silver)) <= _day(hour - dt.timedelta(days=9))
    master = rows("features.hanoi_pm25_master_hourly_gold")
    assert master and any(r.get("dominant_cluster") is not None for r in master)
    serving = rows("features.hanoi_pm25_serving_features_gold")
    assert serving
    # the supervision's window is 10 past days: forecast.json serves today's issue, not an archive,
    # so the forecast ingest keeps nothing (weather_forecast.h); every serving row has its companion
    assert rows("weather.weatherapi_forecast_bronze") == []
    assert len(rows("features.hanoi_pm25_serving_extra_features_gold")) == len(serving)

    # ---- maintenance: dead letters, Iceberg upkeep, clean-up of consumed landing files ---------
    landing = store / "landing"
    before = sorted(p for p in landing.rglob("*") if p.is_file())
    states = af.dags_test("ais_maintenance", later, {"landing_retention_hours": 0})
    assert states == {"audit_dead_letters": "success", "maintenance_iceberg": "success", "clean_files": "success",
                      "reconcile_serving": "skipped"}, states
    maintenance = af.xcom("ais_maintenance", "maintenance_iceberg")
    assert maintenance["status"] == "success", maintenance
    cleaned = af.xcom("ais_maintenance", "clean_files")
    after = sorted(p for p in landing.rglob("*") if p.is_file())
    # every bronze topic's files were committed by its stream: gone; nothing else was touched
    assert cleaned["landing_deleted"] == len(before) - len(after) > 0, cleaned
    assert set(cleaned["deleted"]) == {str(p) for p in set(before) - set(after)}
    assert all(p.parent.name == "ais-dlq" for p in after), after
    assert len(rows("air_quality.openaq_hourly_bronze")) == openaq_rows  # rows unchanged by maintenance
    print(f"airflow dags test, seconds per DAG: {af.seconds} (total {sum(af.seconds.values()):.0f} s)")
