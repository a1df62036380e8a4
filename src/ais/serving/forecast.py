"""``pm25_forecast_latest_by_location``: one row per location, the newest production forecast.

Written by predict (when ``serving.cassandra`` is true) after its row is in the prediction table,
read by the API when ``PM25_API_SOURCE=cassandra``. The row holds the prediction table's values
as stored there (so the API answers the same JSON from either store) plus ``updated_at``, the
time of the Cassandra write.

Newest wins, whatever the order of the runs: the write is a lightweight transaction, INSERT IF NOT
EXISTS for a new location, else UPDATE ... IF base_hour <= the new base hour. A backfill of an
older base hour leaves the served row alone (``applied`` false, ``reason`` older_than_served); a
rerun of the same base hour (e.g. after a promotion) replaces it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ais.config import Settings
from ais.serving.cassandra import FORECAST_COLUMNS, FORECAST_TABLE, TABLES, CassandraConfig

if TYPE_CHECKING:
    from cassandra.cluster import Session


def forecast_values(row: Mapping[str, Any], updated_at: dt.datetime) -> dict[str, Any]:
    """The Cassandra row for a prediction-table row (its §4 columns; updated_at given)."""
    missing = [c for c in ("location_id", "base_hour", "prediction_id") if row.get(c) is None]
    if missing:
        raise ValueError(f"prediction row {row.get('prediction_id')!r} lacks {missing}")
    out = {c: row.get(c) for c in FORECAST_COLUMNS if c != "updated_at"}
    out["updated_at"] = updated_at
    return out


def write_latest(session: Session, cfg: CassandraConfig, row: Mapping[str, Any],
                 updated_at: dt.datetime) -> dict[str, Any]:
    """Serve ``row`` as its location's latest forecast unless a newer base hour is served."""
    values = forecast_values(row, updated_at)
    table = TABLES[FORECAST_TABLE]
    ks = cfg.keyspace
    inserted = session.execute(session.prepare(table.insert_cql(ks, " IF NOT EXISTS")),
                               [values[c] for c in table.column_names]).one()
    if inserted is not None and inserted[0]:
        return {"applied": True, "reason": "new_location"}
    others = [c for c in table.column_names if c != "location_id"]
    update = session.prepare(
        f"UPDATE {ks}.{FORECAST_TABLE} SET " + ", ".join(f'"{c}" = ?' for c in others)
        + ' WHERE location_id = ? IF base_hour <= ?')
    result = session.execute(update, [values[c] for c in others] + [values["location_id"], values["base_hour"]]).one()
    if result is not None and result[0]:
        return {"applied": True, "reason": "newer_or_same_base_hour"}
    return {"applied": False, "reason": "older_than_served"}


def read_latest(session: Session, cfg: CassandraConfig, location_id: str) -> dict[str, Any] | None:
    """The served row of a location (timestamps as aware UTC datetimes), or None."""
    cols = ", ".join(f'"{c}"' for c in FORECAST_COLUMNS)
    found = session.execute(f"SELECT {cols} FROM {cfg.keyspace}.{FORECAST_TABLE} WHERE location_id = %s",
                            (location_id,)).one()
    if found is None:
        return None
    row = dict(found._asdict())
    for key in ("base_hour", "created_at", "updated_at"):
        value = row.get(key)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            row[key] = value.replace(tzinfo=dt.UTC)
    return row


def serve_forecast(settings: Settings, row: Mapping[str, Any], updated_at: dt.datetime) -> dict[str, Any]:
    """Connect with ``settings``, ensure the schema and :func:`write_latest`; the outcome with the
    table's name."""
    from ais.serving.cassandra import cassandra_config, connect, ensure_schema

    cfg = cassandra_config(settings)
    cluster, session = connect(cfg)
    try:
        ensure_schema(session, cfg)
        outcome = write_latest(session, cfg, row, updated_at)
    finally:
        cluster.shutdown()
    return {"table": cfg.qualified(FORECAST_TABLE), **outcome}
