"""JSON-lines logging: one object per line on stderr, the same shape as the C logger's.

    log = get_logger("train")
    log.info("model_trained", horizon=6, mae=4.2, status="success")

gives ``{"ts": "...Z", "level": "info", "logger": "ais.train", "event": "model_trained",
"horizon": 6, "mae": 4.2, "status": "success"}``. Field names are the ones CONTRACTS.md requires
per job; secrets and connection strings are never passed as fields.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sys
from typing import Any

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}
_configured = False


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    return value


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        body: dict[str, Any] = {
            "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                if key not in body:
                    body[key] = _jsonable(value)
        if record.exc_info and record.exc_info[1] is not None:
            body["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        return json.dumps(body, ensure_ascii=False, default=str, allow_nan=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Writes to whatever sys.stderr is at the time of the call (pytest and uvicorn swap it)."""

    @property  # type: ignore[override,unused-ignore]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(level: str = "info") -> None:
    """Install the JSON handler on the ``ais`` logger once (idempotent)."""
    global _configured
    root = logging.getLogger("ais")
    root.setLevel(_LEVELS.get(level.lower(), logging.INFO))
    if _configured:
        return
    handler = _StderrHandler()
    handler.setFormatter(_JsonFormatter())
    root.addHandler(handler)
    root.propagate = False
    _configured = True


class EventLogger:
    """A thin wrapper: an event name plus keyword fields."""

    def __init__(self, name: str) -> None:
        self._log = logging.getLogger(name if name.startswith("ais") else f"ais.{name}")

    def _emit(self, level: int, event: str, fields: dict[str, Any], exc: bool = False) -> None:
        # The record is made directly: Logger.log would also look up the caller's file and line by
        # walking the stack, which no JSON line shows and which doubles the cost of a log call (the
        # API writes one per request).
        if not self._log.isEnabledFor(level):
            return
        record = self._log.makeRecord(self._log.name, level, "", 0, event, (), sys.exc_info() if exc else None,
                                      extra={"fields": fields})
        self._log.handle(record)

    def debug(self, event: str, **fields: Any) -> None:
        self._emit(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit(logging.WARNING, event, fields)

    def error(self, event: str, exc: bool = False, **fields: Any) -> None:
        self._emit(logging.ERROR, event, fields, exc)


def get_logger(name: str) -> EventLogger:
    configure()
    return EventLogger(name)
