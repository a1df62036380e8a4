"""Poison pills and backlogs on the production profile's Kafka (issue 16, item 6).

Records produced with a plain Kafka client (confluent-kafka, not ais-ingest) onto topics of this
test's own (the stack settings' topic prefix), read by the bronze stream (availableNow):

- every kind of record that is no event (a tombstone, an empty value, bytes that are not UTF-8,
  text that is not JSON, JSON that is not an object, an object with a field of the wrong type or
  without a required field) becomes one row of audit.invalid_events_bronze with its reason, its
  bytes and its topic/partition/offset, while the good events of the same batch land in bronze
  once; a second run adds nothing, and the stream goes on past the pills;
- the dead-letter stream keeps a tombstone and non-UTF-8 bytes of its own topic the same way;
- with streaming.max_offsets_per_trigger = N, a backlog of M records takes ceil(M/N) batches of at
  most N records each and lands all M.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from ais import tables
from ais.config import ConfigError, Settings, load_settings
from ais.spark.jobs.bronze import REASON_DETAILS, _max_offsets_per_trigger, run_bronze
from ais.spark.jobs.common import JobContext
from ais.spark.jobs.dead_letters import UNPARSEABLE, run_dead_letters
from tests.conftest import CONFIG_PATH, isolated_env
from tests.integration.events import openaq_event

pytestmark = [pytest.mark.spark, pytest.mark.stack]

# (key, value) of a record the Kafka client sends; None is a null key or value
Record = tuple[bytes | None, bytes | None]


def _bootstrap(settings: Settings) -> str:
    return settings.runtime("kafka_bootstrap_servers")


def _create_topic(settings: Settings, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": _bootstrap(settings)})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(timeout=60)


def _produce(settings: Settings, topic: str, records: list[tuple[int, Record]]) -> list[str]:
    """Sends each (partition, (key, value)) and waits for every delivery report; returns each
    record's place as the bronze stream names it, kafka:<topic>:<partition>:<offset>."""
    producer = Producer({"bootstrap.servers": _bootstrap(settings), "enable.idempotence": True})
    placed: dict[int, str] = {}
    failed: list[str] = []

    def report(index: int) -> Callable[[Any, Any], None]:
        def on_delivery(err: Any, msg: Any) -> None:
            if err is not None:
                failed.append(f"record {index}: {err}")
            else:
                placed[index] = f"kafka:{msg.topic()}:{msg.partition()}:{msg.offset()}"
        return on_delivery

    for index, (partition, (key, value)) in enumerate(records):
        producer.produce(topic, value=value, key=key, partition=partition, on_delivery=report(index))
    assert producer.flush(60) == 0, "records still undelivered after 60 s"
    assert not failed, failed
    return [placed[i] for i in range(len(records))]


def _good(station: int, hour: int) -> tuple[str, Record]:
    event = openaq_event(station, hour, 20.0 + station + hour)
    return event["event_id"], (event["event_id"].encode(), json.dumps(event).encode())


def _object(event: dict[str, Any], **change: Any) -> bytes:
    """``event`` with ``change`` applied; a value of None removes the field."""
    changed = {k: v for k, v in (event | change).items() if not (k in change and change[k] is None)}
    return json.dumps(changed).encode()


def _snapshots(spark: Any, qualified: str) -> list[int]:
    return sorted(r[0] for r in spark.sql(f"SELECT snapshot_id FROM {qualified}.snapshots").collect())


def _audit(spark: Any, settings: Settings, topic: str) -> dict[str, dict[str, Any]]:
    """The audit rows of ``topic``, by input_file (exactly one row per record)."""
    rows = (spark.table(tables.INVALID_EVENTS.qualified(settings.catalog_name))
            .where(f"source_topic = '{topic}'").collect())
    by_record = {r.input_file: r.asDict() for r in rows}
    assert len(by_record) == len(rows), "a record is in the audit table twice"
    return by_record


def _expected_pills(template: dict[str, Any]) -> list[tuple[str, Record, Callable[[str], str]]]:
    """(reason, record, raw_payload expected for the record at a given place) of each poison pill."""
    not_utf8 = b'{"event_id": "openaq_900001_9000011_pm25_\xff\xfe"}'
    truncated = json.dumps(template).encode()[:40]

    def same(value: bytes) -> Callable[[str], str]:
        return lambda place: value.decode()

    def described(key: str, value: str | None) -> Callable[[str], str]:
        # compared as JSON below: the record's place, key and value
        return lambda place: json.dumps({"record": place, "key": key, "value": value})

    return [
        ("null_value", (b"pill_tombstone", None), described("pill_tombstone", None)),
        ("empty_value", (b"pill_empty", b""), described("pill_empty", "")),
        ("empty_value", (b"pill_blank", b"  \n"), described("pill_blank", "  \n")),
        ("invalid_utf8", (b"pill_latin1", not_utf8), lambda place: base64.b64encode(not_utf8).decode()),
        ("unparsable_json", (b"pill_text", b"PM2.5 was 42 at 10:00"), same(b"PM2.5 was 42 at 10:00")),
        ("unparsable_json", (b"pill_truncated", truncated), same(truncated)),
        ("not_json_object", (b"pill_array", b"[1, 2, 3]"), same(b"[1, 2, 3]")),
        ("not_json_object", (b"pill_string", b'"openaq"'), same(b'"openaq"')),
        ("not_json_object", (b"pill_null", b"null"), same(b"null")),
        ("bad_field_type", (b"pill_type", _object(template, value="high")), same(_object(template, value="high"))),
        ("missing_event_id", (b"pill_no_id", _object(template, event_id=None)), same(_object(template, event_id=None))),
        ("missing_or_bad_event_time", (b"pill_no_time", _object(template, event_time=None)),
         same(_object(template, event_time=None))),
        ("unknown_schema_version", (b"pill_v9", _object(template, schema_version="v9")),
         same(_object(template, schema_version="v9"))),
        ("missing_sensor_id", (b"pill_no_sensor", _object(template, sensor_id=None)),
         same(_object(template, sensor_id=None))),
    ]


def test_poison_pills_go_to_audit_and_good_events_land_once(
        spark: Any, stack_spark_settings: Callable[..., Settings]) -> None:
    settings = stack_spark_settings()
    topic = settings.require("kafka.topics.openaq")
    _create_topic(settings, topic, partitions=2)
    good = [_good(station, hour) for station in (0, 1) for hour in range(3)]
    template = openaq_event(5, 1, 30.0)
    pills = _expected_pills(template)
    # good events and pills interleaved over both partitions: one batch holds them all
    records = [rec for _, rec, _ in pills]
    for i, (_, rec) in enumerate(good):
        records.insert(2 * i, rec)
    places = _produce(settings, topic, [(i % 2, rec) for i, rec in enumerate(records)])
    place_of = dict(zip(records, places, strict=True))

    summary = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (summary["batches"], summary["input_count"], summary["output_count"], summary["invalid_count"]) == (
        1, len(good) + len(pills), len(good), len(pills))

    bronze_name = tables.OPENAQ_BRONZE.qualified(settings.catalog_name)
    bronze = spark.table(bronze_name).select("event_id", "input_file", "value").collect()
    assert sorted(r.event_id for r in bronze) == sorted(event_id for event_id, _ in good)
    assert {r.event_id: r.input_file for r in bronze} == {event_id: place_of[rec] for event_id, rec in good}

    audit = _audit(spark, settings, topic)
    assert set(audit) == {place_of[rec] for _, rec, _ in pills}
    for reason, rec, payload_at in pills:
        row = audit[place_of[rec]]
        key = rec[0].decode() if rec[0] is not None else None
        assert row["reason"] == reason, (key, row)
        payload = payload_at(place_of[rec])
        if reason in ("null_value", "empty_value"):
            assert json.loads(row["raw_payload"]) == json.loads(payload)
        else:
            assert row["raw_payload"] == payload
        assert row["raw_sha256"] == hashlib.sha256(row["raw_payload"].encode()).hexdigest()
        # the event_id of the value where it has one, else the Kafka key
        from_value = reason in ("bad_field_type", "missing_or_bad_event_time", "unknown_schema_version",
                                "missing_sensor_id")
        assert row["event_id"] == (template["event_id"] if from_value else key), (reason, row["event_id"])
        assert row["detail"] == REASON_DETAILS.get(reason, "the object has no sensor_id")
        assert row["job_run_id"] == summary["job_run_id"]
    # nothing lost: the bytes that are not UTF-8 come back from the audit row
    latin1 = next(rec for reason, rec, _ in pills if reason == "invalid_utf8")
    assert base64.b64decode(audit[place_of[latin1]]["raw_payload"]) == latin1[1]

    # a second run finds its offsets committed: no batch, no commit on either table
    audit_name = tables.INVALID_EVENTS.qualified(settings.catalog_name)
    history = (_snapshots(spark, bronze_name), _snapshots(spark, audit_name))
    again = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (again["batches"], again["input_count"], again["output_count"], again["invalid_count"]) == (0, 0, 0, 0)
    assert (_snapshots(spark, bronze_name), _snapshots(spark, audit_name)) == history

    # the stream goes on past the pills: two new events and the same tombstone again (a record of
    # its own at a new offset: one more audit row)
    more = [_good(2, 2), _good(2, 3)]
    tombstone = pills[0][1]
    more_places = _produce(settings, topic, [(0, more[0][1]), (1, tombstone), (0, more[1][1])])
    later = run_bronze(JobContext("bronze", settings, spark), "openaq")
    assert (later["batches"], later["output_count"], later["invalid_count"]) == (1, 2, 1)
    assert sorted(r.event_id for r in spark.table(bronze_name).select("event_id").collect()) == sorted(
        event_id for event_id, _ in good + more)
    audit_after = _audit(spark, settings, topic)
    assert set(audit_after) == set(audit) | {more_places[1]}
    assert audit_after[more_places[1]]["reason"] == "null_value"
    assert json.loads(audit_after[more_places[1]]["raw_payload"]) == {
        "record": more_places[1], "key": "pill_tombstone", "value": None}


def test_dead_letter_stream_keeps_records_without_text(
        spark: Any, stack_spark_settings: Callable[..., Settings]) -> None:
    settings = stack_spark_settings()
    dlq = settings.require("kafka.topics.dlq")
    _create_topic(settings, dlq, partitions=1)
    dead_letter = {"dlq_id": "dlq_0001", "source": "openaq", "source_topic": settings.require("kafka.topics.openaq"),
                   "reason": "bad_value", "detail": "value is not a number", "raw": '{"value": "x"}',
                   "event_id": "openaq_1", "recorded_at": "2026-10-01T01:00:00Z"}
    places = _produce(settings, dlq, [(0, (b"dlq_tomb", None)), (0, (None, b"\xc3\x28 not utf-8")),
                                      (0, (b"dlq_0001", json.dumps(dead_letter).encode()))])

    summary = run_dead_letters(JobContext("audit-dead-letters", settings, spark))
    assert (summary["batches"], summary["input_count"], summary["unparseable_count"]) == (1, 3, 2)
    rows = {r.input_file: r.asDict() for r in spark.table(
        tables.INVALID_EVENTS.qualified(settings.catalog_name)).collect()}
    assert set(rows) == set(places)
    tomb, latin1, letter = (rows[p] for p in places)
    assert (tomb["source_topic"], tomb["reason"], tomb["detail"]) == (
        dlq, UNPARSEABLE, "not a dead letter of ais-ingest: null_value")
    assert json.loads(tomb["raw_payload"]) == {"record": places[0], "key": "dlq_tomb", "value": None}
    assert (latin1["source_topic"], latin1["reason"], latin1["detail"]) == (
        dlq, UNPARSEABLE, "not a dead letter of ais-ingest: invalid_utf8")
    assert base64.b64decode(latin1["raw_payload"]) == b"\xc3\x28 not utf-8"
    assert (letter["source_topic"], letter["reason"], letter["raw_payload"], letter["dlq_id"]) == (
        dead_letter["source_topic"], "bad_value", '{"value": "x"}', "dlq_0001")


def test_backlog_is_taken_in_bounded_batches(spark: Any, stack_spark_settings: Callable[..., Settings]) -> None:
    bound, backlog = 4, 10
    base = stack_spark_settings()
    settings = dataclasses.replace(base, values=base.values | {"streaming.max_offsets_per_trigger": str(bound)})
    topic = settings.require("kafka.topics.openaq")
    _create_topic(settings, topic, partitions=1)
    good = [_good(station, hour) for station in range(2) for hour in range(backlog // 2)]
    places = _produce(settings, topic, [(0, rec) for _, rec in good])
    assert len(places) == backlog

    batch_ids: list[int] = []

    def record_batch(where: str, batch_id: int) -> None:
        if where == "before_merge":
            batch_ids.append(batch_id)

    summary = run_bronze(JobContext("bronze", settings, spark), "openaq", fault=record_batch)
    batches = math.ceil(backlog / bound)
    assert batch_ids == list(range(batches))
    assert (summary["batches"], summary["output_count"]) == (batches, backlog)
    rows = spark.table(tables.OPENAQ_BRONZE.qualified(settings.catalog_name)).select(
        "event_id", "input_file", "input_snapshot_id").collect()
    assert sorted(r.event_id for r in rows) == sorted(event_id for event_id, _ in good)
    per_batch: dict[str, list[int]] = {}
    for r in rows:
        per_batch.setdefault(r.input_snapshot_id, []).append(int(r.input_file.rsplit(":", 1)[1]))
    # offsets 0..3, 4..7, 8..9: each batch took the next `bound` records in order
    assert {k: sorted(v) for k, v in per_batch.items()} == {
        f"{topic}:batch-{b}": list(range(b * bound, min((b + 1) * bound, backlog))) for b in range(batches)}


def _with_bound(tmp_path: Path, raw: str) -> Settings:
    base = load_settings(CONFIG_PATH, environ=isolated_env(tmp_path))
    return dataclasses.replace(base, values=base.values | {"streaming.max_offsets_per_trigger": raw})


@pytest.mark.parametrize(("raw", "bound"), [("", 0), ("0", 0), ("25", 25), (" 7 ", 7)])
def test_max_offsets_per_trigger_reads_the_config(tmp_path: Path, raw: str, bound: int) -> None:
    assert _max_offsets_per_trigger(_with_bound(tmp_path, raw)) == bound


@pytest.mark.parametrize("raw", ["-1", "four", "2.5"])
def test_max_offsets_per_trigger_refuses_bad_values(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError, match=r"streaming\.max_offsets_per_trigger must be"):
        _max_offsets_per_trigger(_with_bound(tmp_path, raw))
