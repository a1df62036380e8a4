"""Pure parts of Cassandra serving: row mapping, days, checksum, verdicts, CQL, config checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable

import pytest

from ais.config import ConfigError, Settings
from ais.serving import rows as R
from ais.serving.cassandra import (
    FORECAST_COLUMNS,
    OPENAQ_TABLE,
    TABLES,
    WEATHER_TABLE,
    cassandra_config,
    replication_cql,
    serving_enabled,
)
from ais.serving.forecast import forecast_values
from ais.serving.reconcile import day_verdict
from ais.serving.sync import city_area

HANOI = R.CityArea("Hanoi", west=105.25, east=106.10, south=20.55, north=21.40, utc_offset_hours=7)
T = dt.datetime(2026, 10, 1, 17, tzinfo=dt.UTC)  # 2026-10-02 00:00 in Hanoi
T_US = int(T.timestamp() * 1_000_000)


def weather_record(**over: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "event_id": "weather_ha_noi_2026-10-02T00:00", "source": "simulated", "province": "Ha Noi",
        "local_time": "2026-10-02 00:00", "latitude": 21.0285, "longitude": 105.8542, "temp_c": 21.1,
        "humidity": 100, "wind_kph": 4.9, "wind_degree": 161, "wind_dir": "SSE", "precip_mm": 0.0,
        "condition_text": "Partly cloudy", "event_time_us": T_US, "ingest_time_us": T_US + 3_600_000_000}
    rec.update(over)
    return rec


def openaq_record(**over: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "event_id": "openaq_900001_9000011_pm25_2026-10-01T17:00:00Z", "source": "simulated",
        "location_id": 900001, "location_name": "S0", "sensor_id": 9000011, "parameter": "pm25",
        "units": "µg/m³", "value": 42.5, "latitude": 21.03, "longitude": 105.85, "coverage_pct": 100.0,
        "event_time_us": T_US, "ingest_time_us": None}
    rec.update(over)
    return rec


def test_weather_row_keys_on_province_and_local_day() -> None:
    row = R.weather_row(weather_record())
    assert set(row) == set(R.WEATHER_COLUMNS)
    assert row["province"] == "Ha Noi" and row["location_name"] == "Ha Noi"
    # 17:00 UTC on 1 October is midnight of 2 October in Hanoi: the local day, not the UTC one
    assert row["day"] == dt.date(2026, 10, 2) and row["query_date"] == dt.date(2026, 10, 2)
    assert row["event_time"] == T and row["event_time"].tzinfo is not None
    assert row["ingest_time"] == T + dt.timedelta(hours=1)
    assert row["temp_f"] == 70.0  # 21.1 °C = 69.98 °F, to 0.1 °F
    assert (row["lat"], row["lon"], row["humidity"], row["wind_dir"]) == (21.0285, 105.8542, 100, "SSE")
    assert R.values(row, R.WEATHER_COLUMNS)[:4] == ("Ha Noi", dt.date(2026, 10, 2), T, row["event_id"])


def test_weather_row_without_its_key_is_a_clear_error() -> None:
    with pytest.raises(R.ServingRowError, match=r"weather_ha_noi.*local_time"):
        R.weather_row(weather_record(local_time=None))
    with pytest.raises(R.ServingRowError, match="'02/10/2026 00:00' is not"):
        R.weather_row(weather_record(local_time="02/10/2026 00:00"))
    with pytest.raises(R.ServingRowError, match="province"):
        R.weather_row(weather_record(province=""))


def test_openaq_row_inside_the_city_with_the_local_day() -> None:
    row = R.openaq_row(openaq_record(), HANOI)
    assert row is not None and set(row) == set(R.OPENAQ_COLUMNS)
    assert (row["city"], row["parameter"], row["day"]) == ("Hanoi", "pm25", dt.date(2026, 10, 2))
    assert (row["value"], row["unit"], row["sensor_id"], row["location_id"]) == (42.5, "µg/m³", 9000011, 900001)
    # what bronze does not carry stays null
    assert (row["provider"], row["min"], row["max"], row["sd"], row["ingest_time"]) == (None,) * 5


def test_openaq_row_outside_the_bbox_is_not_served() -> None:
    assert R.openaq_row(openaq_record(latitude=10.82, longitude=106.63), HANOI) is None
    assert R.openaq_row(openaq_record(latitude=None), HANOI) is None
    with pytest.raises(R.ServingRowError, match="parameter"):
        R.openaq_row(openaq_record(parameter=None), HANOI)


def test_local_day_at_the_boundaries() -> None:
    assert R.local_day(dt.datetime(2026, 10, 1, 16, 59, tzinfo=dt.UTC), 7) == dt.date(2026, 10, 1)
    assert R.local_day(dt.datetime(2026, 10, 1, 17, 0, tzinfo=dt.UTC), 7) == dt.date(2026, 10, 2)
    assert R.local_day(dt.datetime(2026, 10, 1, 17, 0), 7) == dt.date(2026, 10, 2)  # naive = UTC
    assert R.local_day(dt.datetime(2026, 10, 2, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))), 7) \
        == dt.date(2026, 10, 2)
    assert R.utc_from_micros(0) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC) and R.utc_from_micros(None) is None


def test_event_hash_is_the_first_eight_sha256_bytes_signed() -> None:
    digest = hashlib.sha256(b"weather_ha_noi_2026-10-02T00:00").digest()
    expected = int.from_bytes(digest[:8], "big", signed=True)
    assert R.event_hash("weather_ha_noi_2026-10-02T00:00") == expected
    assert -(1 << 63) <= expected < 1 << 63


def test_checksum_is_order_independent_and_counts_each_id_once() -> None:
    ids = [f"e{i}" for i in range(50)]
    value = R.checksum(ids)
    assert value == R.checksum(list(reversed(ids))) == R.checksum(ids + ids[:10])
    assert value != R.checksum(ids[:-1])
    assert value == R.xor_fold(R.event_hash(e) for e in ids)
    assert R.checksum([]) == 0 and R.checksum_hex(0) == "0" * 16 and R.checksum_hex(None) == "0" * 16
    assert R.checksum_hex(-1) == "f" * 16
    a, b = R.event_hash("a"), R.event_hash("b")
    assert R.checksum(["a", "b"]) == R.xor_fold([a, b]) == R.xor_fold([b, a])
    assert R.checksum_hex(R.checksum(["a"])) == f"{a & ((1 << 64) - 1):016x}"


def test_day_verdict() -> None:
    assert day_verdict(0, 0, 0, 0.95) == (1.0, True)
    assert day_verdict(100, 100, 100, 0.95) == (1.0, True)
    assert day_verdict(100, 95, 95, 0.95) == (0.95, True)
    assert day_verdict(100, 94, 94, 0.95) == (0.94, False)
    assert day_verdict(100, 120, 100, 0.95) == (100 / 120, False)  # rows bronze does not have count too
    assert day_verdict(10, 10, 0, 0.5) == (0.0, False)  # as many rows, other ids


def test_tables_match_contracts_section_4() -> None:
    weather, openaq = TABLES[WEATHER_TABLE], TABLES[OPENAQ_TABLE]
    assert weather.column_names == R.WEATHER_COLUMNS and openaq.column_names == R.OPENAQ_COLUMNS
    assert weather.partition_key == ("province", "day") and weather.clustering == (("event_time", "DESC"),)
    assert openaq.partition_key == ("city", "parameter", "day")
    assert openaq.clustering[0] == ("event_time", "DESC")
    forecast = TABLES["pm25_forecast_latest_by_location"]
    assert forecast.partition_key == ("location_id",) and forecast.clustering == ()
    assert forecast.column_names == FORECAST_COLUMNS and len(FORECAST_COLUMNS) == 26
    cql = weather.create_cql("ks")
    assert cql.startswith("CREATE TABLE IF NOT EXISTS ks.weather_hourly_by_province_day (")
    assert cql.endswith("PRIMARY KEY ((province, day), event_time)) WITH CLUSTERING ORDER BY (event_time DESC)")
    assert '"day" date' in cql and '"humidity" int' in cql
    ins = openaq.insert_cql("ks", " IF NOT EXISTS")
    assert ins.count("?") == len(R.OPENAQ_COLUMNS) and ins.endswith(" IF NOT EXISTS")


def test_replication_map_literal() -> None:
    assert replication_cql({"class": "SimpleStrategy", "replication_factor": "1"}) == \
        "{'class': 'SimpleStrategy', 'replication_factor': '1'}"
    with pytest.raises(ConfigError, match="quotes"):
        replication_cql({"class": "x'; DROP"})


def test_cassandra_config_from_settings(make_settings: Callable[..., Settings]) -> None:
    s = make_settings(CASSANDRA_HOST="cassandra.example.internal", CASSANDRA_PORT="19042",
                      CASSANDRA_KEYSPACE="ais_serving_t1")
    cfg = cassandra_config(s)
    assert (cfg.host, cfg.port, cfg.keyspace) == ("cassandra.example.internal", 19042, "ais_serving_t1")
    assert dict(cfg.replication) == {"class": "SimpleStrategy", "replication_factor": "1"}
    assert cfg.consistency == "LOCAL_QUORUM" and cfg.write_concurrency == 32
    defaults = make_settings(CASSANDRA_HOST="h.example.internal")
    assert cassandra_config(defaults).keyspace == "ais_serving" and cassandra_config(defaults).port == 9042
    with pytest.raises(ConfigError, match="CASSANDRA_HOST"):
        cassandra_config(make_settings())
    with pytest.raises(ConfigError, match="CASSANDRA_PORT"):
        cassandra_config(make_settings(CASSANDRA_HOST="h", CASSANDRA_PORT="x"))
    with pytest.raises(ConfigError, match="identifier"):
        cassandra_config(make_settings(CASSANDRA_HOST="h", CASSANDRA_KEYSPACE="bad-name"))


def test_serving_flag(make_settings: Callable[..., Settings]) -> None:
    s = make_settings()
    assert serving_enabled(s) is False
    on = dataclasses.replace(s, values={**s.values, "serving.cassandra": "true"})
    assert serving_enabled(on) is True
    with pytest.raises(ConfigError, match=r"serving\.cassandra"):
        serving_enabled(dataclasses.replace(s, values={**s.values, "serving.cassandra": "yes"}))


def test_city_area_comes_from_the_config(make_settings: Callable[..., Settings]) -> None:
    assert city_area(make_settings()) == HANOI


def test_forecast_values_copy_the_prediction_row() -> None:
    row = {c: f"v_{c}" for c in FORECAST_COLUMNS if c != "updated_at"} | {"model_version": "m", "year": 2026}
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    out = forecast_values(row, now)
    assert list(out) == list(FORECAST_COLUMNS)
    assert out["updated_at"] == now and out["base_hour"] == "v_base_hour" and "year" not in out
    with pytest.raises(ValueError, match="prediction_id"):
        forecast_values({"location_id": "hanoi", "base_hour": now}, now)
