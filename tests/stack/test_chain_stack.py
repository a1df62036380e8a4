"""`ais demo --profile cluster` on the real servers: the five remote APIs simulated on loopback
(ais-provider-sim's files played by the fixture server), `ais-ingest --mode live` for every source
through Kafka, streaming bronze, silver, trajectories, gold, training, promotion and prediction,
every table in the PostgreSQL catalog with its files on HDFS, the gridded downloads, model artifacts
and met files on HDFS, the API reading the prediction table from there and the serving checks
green. Every bronze row says source=simulated. A rerun adds no row and no snapshot."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx
import pytest
import sqlalchemy

from ais import storage
from ais.catalog import catalog_location, load_catalog
from ais.config import Settings
from ais.tables import all_tables
from tests.conftest import PROJECT_ROOT
from tests.stack.conftest import Stack, free_ports

pytestmark = [pytest.mark.stack, pytest.mark.spark, pytest.mark.native]
SPAN_DAYS = 20


def _demo(env: dict[str, str]) -> dict[str, Any]:
    (port,) = free_ports(1)
    done = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "ais"), "demo", "--profile", "cluster", "--no-serve",
                           "--span-days", str(SPAN_DAYS), "--port", str(port)],
                          capture_output=True, text=True, check=False, env=env, timeout=1500)
    assert done.returncode == 0, done.stderr[-4000:]
    forecast: dict[str, Any] = json.loads(done.stdout)
    return forecast


def _state(settings: Settings) -> dict[str, tuple[int | None, int]]:
    catalog = load_catalog(settings, create=False)
    out = {}
    for spec in all_tables():
        table = catalog.load_table(spec.identifier)
        snap = table.current_snapshot()
        out[spec.identifier] = (snap.snapshot_id if snap else None, table.scan().to_arrow().num_rows if snap else 0)
    return out


def test_the_whole_chain_on_the_stack_and_a_rerun_changes_nothing(stack: Stack) -> None:
    settings, env = stack.isolated_environ()
    forecast = _demo(env)
    assert forecast["location"] == "hanoi" and set(forecast["forecast"]) == {"6h", "12h", "24h"}
    assert all(isinstance(forecast["forecast"][h]["pm25"], float) for h in ("6h", "12h", "24h"))

    # every table is a row of the PostgreSQL catalog, its metadata on HDFS
    loc = catalog_location(settings)
    assert loc.warehouse.startswith(stack.namenode)
    engine = sqlalchemy.create_engine(loc.sqlalchemy_url.replace(
        "://", f"://{settings.secret('ICEBERG_JDBC_USER')}:{settings.secret('ICEBERG_JDBC_PASSWORD')}@", 1))
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text(
            "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables WHERE catalog_name = :c"),
            {"c": settings.catalog_name}).all()
    engine.dispose()
    assert {f"{ns}.{name}" for ns, name, _ in rows} == {spec.identifier for spec in all_tables()}
    assert all(meta.startswith(loc.warehouse + "/") for _, _, meta in rows)

    # the data files are on HDFS, as WebHDFS lists them
    bronze = load_catalog(settings, create=False).load_table("air_quality.openaq_hourly_bronze")
    data_dir = bronze.location().removeprefix(stack.namenode) + "/data"
    listing = httpx.get(f"{stack.env['HDFS_WEBHDFS_BASE']}{data_dir}", params={"op": "LISTSTATUS"}, timeout=30)
    assert listing.status_code == 200
    assert any(s["type"] == "DIRECTORY" or s["pathSuffix"].endswith(".parquet")
               for s in listing.json()["FileStatuses"]["FileStatus"])

    # model artifacts and ARL met files on the shared store
    models = storage.list_files(settings.runtime("model_artifact_base_uri"))
    assert sum(p.endswith("/model.txt") for p in models) == 3
    assert any(p.endswith(".arl") for p in storage.list_files(settings.met_dir))
    assert settings.met_dir.startswith(stack.namenode)

    # the live path: every source landed, every record labelled simulated, the gridded downloads
    # on the raw store (HDFS) as bronze records them
    catalog = load_catalog(settings, create=False)
    raw_store = settings.runtime("raw_store_uri") or f"{loc.warehouse}/raw"
    for identifier in ("air_quality.openaq_hourly_bronze", "weather.weather_history_bronze",
                       "satellite.sentinel5p_summary_bronze", "satellite.maiac_summary_bronze",
                       "weather.era5_files_bronze"):
        rows = catalog.load_table(identifier).scan(selected_fields=("source",)).to_arrow()
        assert rows.num_rows > 0, identifier
        assert set(rows.column("source").to_pylist()) == {"simulated"}, identifier
    era5 = catalog.load_table("weather.era5_files_bronze").scan(
        selected_fields=("file_path", "dataset_type", "size_bytes")).to_arrow().to_pylist()
    assert {r["dataset_type"] for r in era5} == {"single_levels", "pressure_levels"}
    assert len(era5) == 2 * SPAN_DAYS
    for row in era5:
        assert row["file_path"].startswith(f"{raw_store}/era5/"), row
        assert storage.size(row["file_path"]) == row["size_bytes"], row
    downloads = storage.list_files(raw_store)
    for source in ("sentinel5p", "maiac", "era5"):
        assert any(p.startswith(f"{raw_store}/{source}/") for p in downloads), source

    before = _state(settings)
    assert before["predictions.hanoi_pm25_forecast_gold"][1] >= 1
    again = _demo(env)
    # the same forecast; only when it was made and its age at the answer may differ
    moving = ("created_at", "age_minutes", "stale")
    assert {k: v for k, v in again.items() if k not in moving} == {
        k: v for k, v in forecast.items() if k not in moving}
    assert _state(settings) == before
