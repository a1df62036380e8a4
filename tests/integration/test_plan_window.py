"""`ais job plan-window`: a scheduled run's window widened to the event days that arrived since the
last run (ERA5 lands in bronze about five days after its hours), read from the catalog only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.catalog import ensure_tables, load_catalog
from ais.config import ConfigError, load_settings
from ais.spark.jobs.arrivals import plan_window
from tests.conftest import CONFIG_PATH, PROJECT_ROOT, isolated_env

UTC = dt.UTC
ERA5 = tables.TABLES["weather.era5_files_bronze"]
OPENAQ = tables.OPENAQ_BRONZE


def bronze_row(spec: tables.TableSpec, event_id: str, event_time: dt.datetime,
               ingest_time: dt.datetime) -> dict[str, Any]:
    row: dict[str, Any] = {c.name: None for c in spec.columns}
    row.update(event_id=event_id, source="simulated", event_time=event_time, ingest_time=ingest_time,
               schema_version="v1")
    for col in spec.columns:
        if col.required and row[col.name] is None:
            row[col.name] = 0 if col.type in ("long", "int") else 0.0 if col.type == "double" else "x"
    return row


def append(catalog: Any, spec: tables.TableSpec, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa

    table = catalog.load_table(spec.identifier)
    table.append(pa.Table.from_pylist(rows, schema=table.schema().as_arrow()))


@pytest.fixture()
def settings(tmp_path: Path) -> Any:
    s = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    catalog = load_catalog(s)
    # unpartitioned copies (PyIceberg writes bucket partitions only with pyiceberg-core, which the
    # project does not need): the job reads by name and arrival column, not by layout
    ensure_tables(s, catalog, [dataclasses.replace(spec, partitions=()) for spec in (ERA5, OPENAQ)])
    # ERA5 of 2026-10-25..26 downloaded on 2026-10-31 (late); OpenAQ of 2026-10-30 on time, and an
    # old OpenAQ row ingested long before the run
    append(catalog, ERA5, [
        bronze_row(ERA5, "era5_a", dt.datetime(2026, 10, 25, 6, tzinfo=UTC), dt.datetime(2026, 10, 31, 2, tzinfo=UTC)),
        bronze_row(ERA5, "era5_b", dt.datetime(2026, 10, 26, 23, tzinfo=UTC), dt.datetime(2026, 10, 31, 3, tzinfo=UTC)),
    ])
    append(catalog, OPENAQ, [
        bronze_row(OPENAQ, "oaq_a", dt.datetime(2026, 10, 30, 5, tzinfo=UTC), dt.datetime(2026, 10, 30, 7, tzinfo=UTC)),
        bronze_row(OPENAQ, "oaq_old", dt.datetime(2026, 9, 1, 5, tzinfo=UTC), dt.datetime(2026, 9, 1, 7, tzinfo=UTC)),
    ])
    return s


def test_late_era5_widens_the_window(settings: Any) -> None:
    since, until = dt.datetime(2026, 10, 30, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC)
    plan = plan_window(settings, ["hanoi-openaq-silver", "era5-surface-hanoi-silver"], since, until,
                       "2026-10-30", "2026-10-31")
    assert (plan["start_date"], plan["end_date"]) == ("2026-10-25", "2026-10-31")
    assert plan["arrived_rows"] == 3  # the row ingested in September is not an arrival of this run
    assert plan["by_table"]["weather.era5_files_bronze"] == {"rows": 2, "first_day": "2026-10-25",
                                                             "last_day": "2026-10-26"}
    # only the OpenAQ silver's input: ERA5 is not looked at
    plan = plan_window(settings, ["hanoi-openaq-silver"], since, until, "2026-10-30", "2026-10-31")
    assert (plan["start_date"], plan["end_date"]) == ("2026-10-30", "2026-10-31")
    # nothing arrived: the requested window as it is; no dates: since's day to until's day before
    quiet = plan_window(settings, ["era5-surface-hanoi-silver"], dt.datetime(2026, 11, 1, tzinfo=UTC),
                        dt.datetime(2026, 11, 3, tzinfo=UTC), None, None)
    assert (quiet["start_date"], quiet["end_date"], quiet["arrived_rows"]) == ("2026-11-01", "2026-11-02", 0)


def test_bad_arguments_are_named(settings: Any) -> None:
    t = dt.datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ConfigError, match="not after"):
        plan_window(settings, ["hanoi-openaq-silver"], t, t, None, None)
    # a job whose inputs have no arrival column (the trajectory run tables) is looked past
    plan = plan_window(settings, ["trajectory-clusters"], t, t + dt.timedelta(days=1), None, None)
    assert plan["arrived_rows"] == 0 and plan["by_table"]["trajectory.hysplit_runs_bronze"]["skipped"]
    with pytest.raises(ConfigError, match="no declared step"):
        plan_window(settings, ["no-such-job"], t, t + dt.timedelta(days=1), None, None)


def test_cli_writes_the_xcom_file(settings: Any, tmp_path: Path) -> None:
    xcom = tmp_path / "xcom" / "return.json"
    env = settings.child_environ()
    done = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "ais"), "job", "plan-window",
                           "--jobs", "era5-surface-hanoi-silver", "--since", "2026-10-31T00:00:00Z",
                           "--until", "2026-11-01T00:00:00Z", "--start-date", "2026-10-30", "--end-date", "2026-10-31",
                           "--xcom-file", str(xcom)], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["start_date"] == "2026-10-25"
    assert json.loads(xcom.read_text()) == {"start_date": "2026-10-25", "end_date": "2026-10-31"}
