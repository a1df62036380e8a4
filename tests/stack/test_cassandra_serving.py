"""Cassandra serving on the real Cassandra 5 of the production stack (CONTRACTS.md §4).

Every test has a keyspace of its own (CASSANDRA_KEYSPACE), dropped at the end. The bronze rows
are what `ais-ingest weather|openaq --mode simulate` writes (source=simulated), streamed by the
bronze job into the stack's catalog (PostgreSQL, HDFS); the sync jobs, the reconcile job, predict
and the API then run against Cassandra.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ais.catalog import ensure_tables, load_catalog
from ais.cli import JobError
from ais.config import Settings, load_settings
from ais.iceberg_io import read_rows, to_arrow
from ais.serving import rows as R
from ais.serving.cassandra import (
    FORECAST_COLUMNS,
    OPENAQ_TABLE,
    WEATHER_TABLE,
    cassandra_config,
    connect,
    ensure_serving_schema,
    schema_columns,
)
from ais.serving.forecast import read_latest
from ais.serving.reconcile import run_reconcile
from ais.serving.sync import run_cassandra_sync
from ais.spark.jobs.bronze import run_bronze
from ais.spark.jobs.common import JobContext, Window
from ais.tables import PREDICTIONS, SERVING_GOLD, TRAINING_GOLD
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env
from tests.stack.conftest import Stack

pytestmark = [pytest.mark.stack]
AIS = PROJECT_ROOT / ".venv" / "bin" / "ais"
INGEST = PROJECT_ROOT / "build" / "native" / "ais-ingest"
START, END = "2026-10-01", "2026-10-02"  # two UTC days: local days 10-01 (17 h), 10-02, 10-03 (7 h)
PROVINCES, STATIONS = 3, 3

CONTRACT_COLUMNS = {
    WEATHER_TABLE: set(R.WEATHER_COLUMNS),
    OPENAQ_TABLE: set(R.OPENAQ_COLUMNS),
    "pm25_forecast_latest_by_location": set(FORECAST_COLUMNS),
}


def _keyspace() -> str:
    return "t_" + uuid.uuid4().hex[:12]


def _cassandra_env(stack: Stack, keyspace: str) -> dict[str, str]:
    return {"CASSANDRA_HOST": stack.env["CASSANDRA_HOST"], "CASSANDRA_PORT": stack.env["CASSANDRA_PORT"],
            "CASSANDRA_KEYSPACE": keyspace}


class Cql:
    """A session on the stack's Cassandra for the test's own reads and deletes."""

    def __init__(self, settings: Settings) -> None:
        self.cfg = cassandra_config(settings)
        self.cluster, self.session = connect(self.cfg)

    def rows(self, table: str, columns: str = "*") -> list[Any]:
        return list(self.session.execute(f"SELECT {columns} FROM {self.cfg.keyspace}.{table}"))

    def drop(self) -> None:
        self.session.execute(f"DROP KEYSPACE IF EXISTS {self.cfg.keyspace}")
        self.cluster.shutdown()


# ---- schema -------------------------------------------------------------------------------------

def test_schema_is_created_twice_with_the_contract_tables(stack: Stack) -> None:
    keyspace = _keyspace()
    settings = stack.settings(**_cassandra_env(stack, keyspace))
    first = ensure_serving_schema(settings)
    cql = Cql(settings)
    try:
        before = schema_columns(cql.session, keyspace)
        second = ensure_serving_schema(settings)
        assert first == second
        assert schema_columns(cql.session, keyspace) == before
        assert {t: set(cols) for t, cols in before.items()} == CONTRACT_COLUMNS

        weather, openaq = before[WEATHER_TABLE], before[OPENAQ_TABLE]
        latest = before["pm25_forecast_latest_by_location"]
        assert {c: (v["kind"], v["position"]) for c, v in weather.items() if v["kind"] != "regular"} == {
            "province": ("partition_key", 0), "day": ("partition_key", 1), "event_time": ("clustering", 0)}
        assert weather["event_time"]["clustering_order"] == "desc"
        assert {c: (v["kind"], v["position"]) for c, v in openaq.items() if v["kind"] != "regular"} == {
            "city": ("partition_key", 0), "parameter": ("partition_key", 1), "day": ("partition_key", 2),
            "event_time": ("clustering", 0), "event_id": ("clustering", 1)}
        assert openaq["event_time"]["clustering_order"] == "desc"
        assert {c for c, v in latest.items() if v["kind"] != "regular"} == {"location_id"}
        assert latest["location_id"]["kind"] == "partition_key"
        assert (weather["day"]["type"], weather["event_time"]["type"], weather["humidity"]["type"]) == (
            "date", "timestamp", "int")
        assert (openaq["sensor_id"]["type"], openaq["value"]["type"]) == ("bigint", "double")
        assert (latest["base_hour"]["type"], latest["dominant_cluster"]["type"]) == ("timestamp", "int")

        replication = cql.session.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
                                          (keyspace,)).one().replication
        assert replication == {"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "1"}
    finally:
        cql.drop()


# ---- sync and reconcile -------------------------------------------------------------------------

@dataclasses.dataclass
class Served:
    settings: Settings
    env: dict[str, str]
    cql: Cql
    spark: Any
    weather_bronze: list[dict[str, Any]]
    openaq_bronze: list[dict[str, Any]]

    def ctx(self, name: str) -> JobContext:
        return JobContext(name, self.settings, self.spark)


def _ingest(settings: Settings, env: dict[str, str], work: Path, *args: str) -> None:
    done = subprocess.run([str(INGEST), *args, "--mode", "simulate", "--start", f"{START}T00:00:00Z",
                           "--end", "2026-10-03T00:00:00Z", "--sink", "landing", "--state-dir", str(work / "state"),
                           "--config", str(settings.path)], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def _bronze_rows(settings: Settings, identifier: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    table = load_catalog(settings, create=False).load_table(identifier)
    return read_rows(table, columns=(*columns, "event_time"))


@pytest.fixture(scope="module")
def served(stack: Stack, spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from ais.catalog import spark_catalog_conf

    keyspace = _keyspace()
    # the landing-file bus (no Kafka) for the simulated events; catalog and warehouse on the stack
    settings = stack.settings(KAFKA_BOOTSTRAP_SERVERS="", **_cassandra_env(stack, keyspace))
    for key, value in spark_catalog_conf(settings).items():
        spark.conf.set(key, value)
    ensure_tables(settings)
    env = settings.child_environ(os.environ | stack.script_env)
    work = tmp_path_factory.mktemp("serving")
    _ingest(settings, env, work, "weather", "--provinces", str(PROVINCES))
    _ingest(settings, env, work, "openaq", "--stations", str(STATIONS))
    for source in ("weather", "openaq"):
        summary = run_bronze(JobContext(f"bronze_{source}", settings, spark), source)
        assert summary["status"] == "success", summary
    weather = _bronze_rows(settings, "weather.weather_history_bronze", R.WEATHER_BRONZE_COLUMNS)
    openaq = _bronze_rows(settings, "air_quality.openaq_hourly_bronze", R.OPENAQ_BRONZE_COLUMNS)
    assert len(weather) == PROVINCES * 48 and {r["source"] for r in weather} == {"simulated"}
    assert len(openaq) >= STATIONS * 48 and {r["source"] for r in openaq} == {"simulated"}
    cql = Cql(settings)
    try:
        yield Served(settings, env, cql, spark, weather, openaq)
    finally:
        cql.drop()


def _by_local_day(rows: list[dict[str, Any]], day_of: Callable[[dict[str, Any]], dt.date]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = collections.defaultdict(set)
    for r in rows:
        out[day_of(r).isoformat()].add(r["event_id"])
    return dict(out)


def test_sync_writes_each_bronze_row_once_and_a_rerun_changes_nothing(served: Served) -> None:
    window = Window.parse(START, END)
    first = {k: run_cassandra_sync(served.ctx(f"cassandra_{k}"), k, window) for k in ("weather", "openaq")}
    ks = served.cql.cfg.keyspace
    assert first["weather"]["rows_read"] == len(served.weather_bronze)
    assert first["weather"]["rows_written"] == {f"cassandra:{ks}.{WEATHER_TABLE}": len(served.weather_bronze)}
    assert first["openaq"]["rows_read"] == len(served.openaq_bronze)
    assert first["openaq"]["rows_written"] == {f"cassandra:{ks}.{OPENAQ_TABLE}": len(served.openaq_bronze)}
    assert first["openaq"]["rows_outside_city"] == 0  # the simulated stations are in Hanoi

    weather = served.cql.rows(WEATHER_TABLE)
    openaq = served.cql.rows(OPENAQ_TABLE)
    assert sorted(r.event_id for r in weather) == sorted(r["event_id"] for r in served.weather_bronze)
    assert sorted(r.event_id for r in openaq) == sorted(r["event_id"] for r in served.openaq_bronze)

    # values and days as the bronze rows say
    bronze = {r["event_id"]: r for r in served.weather_bronze}
    for row in weather:
        b = bronze[row.event_id]
        assert (row.province, row.temp_c, row.humidity, row.wind_dir, row.condition_text) == (
            b["province"], b["temp_c"], b["humidity"], b["wind_dir"], b["condition_text"])
        assert row.event_time.replace(tzinfo=dt.UTC) == b["event_time"]
        assert row.day.date() == dt.date.fromisoformat(b["local_time"][:10]) == row.query_date.date()
        assert row.day.date() == (b["event_time"] + dt.timedelta(hours=7)).date()
    assert {r.day.date() for r in weather} == {dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)}
    oq = {r["event_id"]: r for r in served.openaq_bronze}
    for row in openaq:
        b = oq[row.event_id]
        assert (row.city, row.parameter, row.value, row.sensor_id, row.unit) == (
            "Hanoi", b["parameter"], b["value"], b["sensor_id"], b["units"])
        assert row.day.date() == (b["event_time"] + dt.timedelta(hours=7)).date()

    again = {k: run_cassandra_sync(served.ctx(f"cassandra_{k}"), k, window) for k in ("weather", "openaq")}
    assert again["weather"]["rows_written"] == first["weather"]["rows_written"]
    assert len(served.cql.rows(WEATHER_TABLE, "event_id")) == len(served.weather_bronze)
    assert len(served.cql.rows(OPENAQ_TABLE, "event_id")) == len(served.openaq_bronze)


def test_reconcile_passes_on_synced_data_and_exits_3_after_deletes(served: Served) -> None:
    ks = served.cql.cfg.keyspace
    summary = run_reconcile(served.ctx("reconcile_serving"), Window.parse(START, END))
    assert summary["status"] == "success" and summary["mismatched_days"] == []
    weather_days = _by_local_day(served.weather_bronze, lambda r: R.local_day(r["event_time"], 7))
    openaq_days = _by_local_day(served.openaq_bronze, lambda r: R.local_day(r["event_time"], 7))
    for table, expected in ((WEATHER_TABLE, weather_days), (OPENAQ_TABLE, openaq_days)):
        days = summary["tables"][f"{ks}.{table}"]["days"]
        assert [d["day"] for d in days] == sorted(expected)
        for d in days:
            ids = expected[d["day"]]
            assert d["iceberg_count"] == d["cassandra_count"] == d["matched"] == len(ids)
            assert d["ratio"] == 1.0 and d["ok"] and d["checksum_match"]
            assert d["iceberg_checksum"] == d["cassandra_checksum"] == R.checksum_hex(R.checksum(ids))

    # one whole weather partition of a day, and one OpenAQ row of another, deleted from Cassandra
    hanoi_day = served.cql.session.execute(
        f"SELECT event_id FROM {ks}.{WEATHER_TABLE} WHERE province = %s AND day = %s",
        ("Ha Noi", dt.date(2026, 10, 2))).all()
    assert len(hanoi_day) == 24
    served.cql.session.execute(f"DELETE FROM {ks}.{WEATHER_TABLE} WHERE province = %s AND day = %s",
                               ("Ha Noi", dt.date(2026, 10, 2)))
    victim = sorted(openaq_days["2026-10-01"])[0]
    row = next(r for r in served.cql.rows(OPENAQ_TABLE) if r.event_id == victim)
    served.cql.session.execute(
        f"DELETE FROM {ks}.{OPENAQ_TABLE} WHERE city = %s AND parameter = %s AND day = %s AND event_time = %s "
        "AND event_id = %s", (row.city, row.parameter, row.day, row.event_time, row.event_id))

    done = subprocess.run([str(AIS), "job", "reconcile-serving", "--start-date", START, "--end-date", END],
                          capture_output=True, text=True, env=served.env, timeout=900, check=False)
    assert done.returncode == 3, done.stderr[-4000:]
    out = json.loads(done.stdout)
    assert out["status"] == "mismatch" and out["tolerance"] == 0.95
    total = len(weather_days["2026-10-02"])
    assert out["mismatched_days"] == [{"table": f"{ks}.{WEATHER_TABLE}", "day": "2026-10-02",
                                       "ratio": round((total - 24) / total, 6), "iceberg_count": total,
                                       "cassandra_count": total - 24}]
    # the OpenAQ day lost one row of many: below 1.0, within the tolerance, checksums differ
    oq_day = next(d for d in out["tables"][f"{ks}.{OPENAQ_TABLE}"]["days"] if d["day"] == "2026-10-01")
    n = len(openaq_days["2026-10-01"])
    assert (oq_day["iceberg_count"], oq_day["cassandra_count"], oq_day["matched"]) == (n, n - 1, n - 1)
    assert oq_day["ok"] and not oq_day["checksum_match"]
    assert oq_day["cassandra_checksum"] == R.checksum_hex(R.checksum(openaq_days["2026-10-01"] - {victim}))

    # a re-sync restores what was deleted
    for kind in ("weather", "openaq"):
        run_cassandra_sync(served.ctx(f"cassandra_{kind}"), kind, Window.parse(START, END))
    assert run_reconcile(served.ctx("reconcile_serving"), Window.parse(START, END))["status"] == "success"


# ---- predict and the API ------------------------------------------------------------------------

def _ml_world(settings: Settings) -> None:
    """Training and serving rows (the synthetic series of tests/integration/test_ml_chain.py),
    models trained and promoted to production for every horizon."""
    from ais.ml.registry import promote
    from ais.ml.train import train_models
    from tests.integration.test_ml_chain import DAYS, SERVING_HOURS, pm25_series, serving_row, training_rows

    ensure_tables(settings)
    catalog = load_catalog(settings)
    series = pm25_series(DAYS * 24 + 24)
    catalog.load_table(TRAINING_GOLD.identifier).append(to_arrow(
        TRAINING_GOLD, training_rows(series[:DAYS * 24], settings.dataset_version, settings.feature_set_name)))
    newest = DAYS * 24 - 1
    catalog.load_table(SERVING_GOLD.identifier).append(to_arrow(
        SERVING_GOLD, [serving_row(settings, series, i) for i in range(newest - SERVING_HOURS + 1, newest + 1)]))
    trained = train_models(settings, now=dt.datetime(2026, 4, 2, 1, tzinfo=dt.UTC))
    for h in (6, 12, 24):
        promote(settings, trained.model_run_id, "hanoi", h, settings.feature_version, promoted_by="test",
                now=dt.datetime(2026, 4, 3, tzinfo=dt.UTC))


def _with(settings: Settings, **values: str) -> Settings:
    return dataclasses.replace(settings, values={**settings.values, **values})


def _api_body(settings: Settings, source: str) -> dict[str, Any]:
    from ais.api.app import create_app

    app = create_app(_with(settings, **{"runtime.pm25_api_source": source}))
    with TestClient(app) as client:
        response = client.get("/api/v1/hanoi/pm25/forecast/latest")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_predict_serves_the_latest_forecast_and_the_api_reads_it(stack: Stack, tmp_path: Path) -> None:
    from ais.ml.predict import predict

    keyspace = _keyspace()
    base = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path) | _cassandra_env(stack, keyspace))
    _ml_world(base)
    cql = Cql(base)
    try:
        off = predict(base)  # serving.cassandra false (the default): nothing in Cassandra
        assert cql.session.execute("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = %s",
                                   (keyspace,)).one() is None
        on = _with(base, **{"serving.cassandra": "true"})
        newest = predict(on)  # the same base hour: the table keeps its row, Cassandra gets it
        assert newest["prediction_id"] == off["prediction_id"]
        stored = read_rows(load_catalog(base).load_table(PREDICTIONS.identifier))
        assert len(stored) == 1
        served = read_latest(cql.session, cql.cfg, "hanoi")
        assert served is not None
        for column in FORECAST_COLUMNS:
            if column in ("created_at", "updated_at"):
                continue
            assert served[column] == stored[0][column], column
        # Cassandra keeps milliseconds; the table's created_at (the first run's) is what is served
        assert abs(served["created_at"] - stored[0]["created_at"]) < dt.timedelta(milliseconds=1)
        assert served["updated_at"] >= served["created_at"]

        # a backfill of an older base hour goes to the table, not over the served newer row
        older = newest["base_hour"] - dt.timedelta(hours=2)
        predict(on, base_hour=older.strftime("%Y-%m-%dT%H:%M:%SZ"), max_feature_age_minutes=600)
        assert len(read_rows(load_catalog(base).load_table(PREDICTIONS.identifier))) == 2
        after = read_latest(cql.session, cql.cfg, "hanoi")
        assert after is not None and after["base_hour"] == newest["base_hour"]
        assert after["prediction_id"] == newest["prediction_id"]

        # the API answers the same JSON from either store
        from_iceberg, from_cassandra = _api_body(base, "iceberg"), _api_body(base, "cassandra")
        assert from_cassandra == from_iceberg
        assert from_cassandra["base_hour"] == newest["base_hour"].strftime("%Y-%m-%dT%H:%M:%SZ")

        # Cassandra unreachable: predict fails, naming it, after the table write
        unreachable = _with(on, **{"runtime.cassandra_port": "1"})
        with pytest.raises(JobError, match="writing it to Cassandra failed"):
            predict(unreachable)
    finally:
        cql.drop()
