"""Dead letters read back: ais-ingest rejects a recorded WeatherAPI hour (a string temperature) onto
the dead-letter landing folder; audit-dead-letters keeps it in audit.invalid_events_bronze with its
reason, topic, rejected bytes and their sha256. A record of the dead-letter folder that is not a
dead letter is kept as dlq_unparseable. A rerun, and a replay of the whole folder, add nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ais import tables
from ais.config import Settings
from ais.ingest_runner import run_ingest
from ais.spark.jobs.common import JobContext
from ais.spark.jobs.dead_letters import UNPARSEABLE, run_dead_letters
from tests.integration.events import write_jsonl

pytestmark = [pytest.mark.spark, pytest.mark.native]

# A recorded history.json body: hour 00:00 is valid, hour 01:00 has a temperature that is a string.
WEATHER_BODY = {
    "location": {"name": "Hanoi", "lat": 21.033, "lon": 105.85, "tz_id": "Asia/Bangkok"},
    "forecast": {"forecastday": [{"date": "2025-01-01", "hour": [
        {"time_epoch": 1735664400, "time": "2025-01-01 00:00", "temp_c": 16.5, "humidity": 63, "wind_kph": 5.8,
         "pressure_mb": 1018.0, "precip_mm": 0.0},
        {"time_epoch": 1735668000, "time": "2025-01-01 01:00", "temp_c": "warm", "humidity": 63, "wind_kph": 5.8,
         "pressure_mb": 1018.0, "precip_mm": 0.0}]}]}}
NOT_A_DEAD_LETTER = "this line is not JSON {"


def _rows(spark: Any, settings: Settings) -> list[Any]:
    return spark.table(tables.INVALID_EVENTS.qualified(settings.catalog_name)).collect()


def _snapshots(spark: Any, settings: Settings) -> list[int]:
    q = f"SELECT snapshot_id FROM {tables.INVALID_EVENTS.qualified(settings.catalog_name)}.snapshots"
    return sorted(r[0] for r in spark.sql(q).collect())


def test_a_dead_letter_written_by_ingest_is_kept_once(spark: Any, spark_settings: Callable[..., Settings],
                                                      tmp_path: Path) -> None:
    settings = spark_settings()
    province = tmp_path / "replay" / "Ha_Noi"
    province.mkdir(parents=True)
    (province / "2025-01-01.json").write_text(json.dumps(WEATHER_BODY), encoding="utf-8")
    ingest = run_ingest(settings, "weather", "replay", dt.datetime(2024, 12, 31, tzinfo=dt.UTC),
                        dt.datetime(2025, 1, 2, tzinfo=dt.UTC), replay_dir=tmp_path / "replay")
    assert (ingest["events_written"], ingest["events_rejected"]) == (1, 1)
    assert ingest["rejected_by_reason"] == {"bad_type_temp_c": 1}
    dlq_folder = settings.runtime_path("landing_dir") / settings.require("kafka.topics.dlq")
    dead = [json.loads(line) for part in sorted(dlq_folder.glob("*.jsonl")) for line in part.read_text().splitlines()]
    assert [d["reason"] for d in dead] == ["bad_type_temp_c"]
    write_jsonl(dlq_folder, "zz-foreign.jsonl", [NOT_A_DEAD_LETTER])

    first = run_dead_letters(JobContext("audit_dead_letters", settings, spark))
    assert (first["status"], first["input_count"], first["output_count"], first["unparseable_count"]) == \
        ("success", 2, 2, 1)
    rows = {r.reason: r for r in _rows(spark, settings)}
    assert set(rows) == {"bad_type_temp_c", UNPARSEABLE}
    bad = rows["bad_type_temp_c"]
    assert bad.source_topic == settings.require("kafka.topics.weather")
    assert bad.dlq_id == dead[0]["dlq_id"] and bad.dlq_id.startswith("dlq_")
    assert bad.raw_payload == dead[0]["raw"]
    assert json.loads(bad.raw_payload)["temp_c"] == "warm"
    assert bad.raw_sha256 == hashlib.sha256(bad.raw_payload.encode()).hexdigest()
    assert bad.detail == dead[0]["detail"]
    assert bad.recorded_at == dt.datetime.strptime(dead[0]["recorded_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert bad.input_file.endswith(".jsonl") and "ais-dlq" in bad.input_file
    foreign = rows[UNPARSEABLE]
    assert (foreign.source_topic, foreign.raw_payload, foreign.event_id, foreign.dlq_id) == \
        (settings.require("kafka.topics.dlq"), NOT_A_DEAD_LETTER, None, None)
    assert foreign.raw_sha256 == hashlib.sha256(NOT_A_DEAD_LETTER.encode()).hexdigest()
    history = _snapshots(spark, settings)

    rerun = run_dead_letters(JobContext("audit_dead_letters", settings, spark))
    assert (rerun["batches"], rerun["output_count"]) == (0, 0)
    shutil.rmtree(settings.runtime_path("checkpoint_base") / "audit")
    replay = run_dead_letters(JobContext("audit_dead_letters", settings, spark))
    assert (replay["input_count"], replay["output_count"], replay["unchanged_count"]) == (2, 0, 2)
    assert _snapshots(spark, settings) == history
    assert len(_rows(spark, settings)) == 2
