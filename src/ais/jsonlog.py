"""JSON-lines logging: one object per line on stderr, the same shape as the C logger's.

    log = get_logger("train")
    log.info("model_trained", horizon=6, mae=4.2, status="success")

gives ``{"ts": "...Z", "level": "info", "logger": "ais.train", "event": "model_trained",
"horizon": 6, "mae": 4.2, "status": "success"}``. Field names are the ones CONTRACTS.md requires
per job; secrets and connection strings are never passed as fields.

Where the lines go (:func:`route`): ``json`` sends them to stderr; ``human`` writes them to a file
(the ``ais`` command opens one per run under ``var/log/``) and puts only warnings and errors on
stderr, as one readable line each, next to the progress lines of :mod:`ais.progress`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sys
from pathlib import Path
from typing import IO, Any

from ais.timeutil import iso_z

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}
_configured = False


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        return iso_z(value)
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


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Writes to the open log file if there is one, else to whatever sys.stderr is at the time of
    the call (pytest and uvicorn swap it); writes nothing in human mode without a file."""

    def __init__(self) -> None:
        super().__init__()
        self.file: IO[str] | None = None
        self.to_stderr = True

    @property  # type: ignore[override,unused-ignore]
    def stream(self) -> Any:
        if self.file is not None:
            return self.file
        return sys.stderr if self.to_stderr else None

    @stream.setter
    def stream(self, value: Any) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is not None:
            super().emit(record)


def human_line(record: logging.LogRecord) -> str:
    """``error: job_failed: <error> (command=demo)``: the level, the event, the error if any, then
    the other fields as key=value."""
    fields = getattr(record, "fields", None)
    fields = dict(fields) if isinstance(fields, dict) else {}
    error = fields.pop("error", None)
    if error is None and record.exc_info and record.exc_info[1] is not None:
        error = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
    fields.pop("status", None)
    text = f"{record.levelname.lower()}: {record.getMessage()}"
    if error is not None:
        text += f": {error}"
    rest = " ".join(f"{k}={json.dumps(_jsonable(v), ensure_ascii=False, default=str)}" for k, v in fields.items())
    return f"{text} ({rest})" if rest else text


class _HumanHandler(logging.Handler):
    """Human mode: warnings and errors as one readable line on stderr (through the progress display
    when one is showing, so the line lands above its bar). The progress logger's own records are
    left out: its lines already say when a step failed."""

    def emit(self, record: logging.LogRecord) -> None:
        from ais.progress import echo

        if record.name != "ais.progress":
            echo(human_line(record))


_json_handler = _JsonHandler()
_json_handler.setFormatter(_JsonFormatter())
_human_handler = _HumanHandler(level=logging.WARNING)
LOG_FORMATS = ("human", "json")


def configure(level: str = "info") -> None:
    """Install the JSON handler on the ``ais`` logger once (idempotent); set the level."""
    logging.getLogger("ais").setLevel(_LEVELS.get(level.lower(), logging.INFO))
    _install()


def _install() -> None:
    global _configured
    if _configured:
        return
    root = logging.getLogger("ais")
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    root.addHandler(_json_handler)
    root.propagate = False
    _configured = True


def route(log_format: str, log_file: Path | None = None) -> None:
    """``json``: JSON lines on stderr (the default of a library import). ``human``: JSON lines to
    ``log_file`` (appended; none: dropped) and warnings and errors as human lines on stderr."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {LOG_FORMATS}")
    _install()  # the level stays what it is
    root = logging.getLogger("ais")
    close_file()
    if log_format == "json":
        _json_handler.to_stderr = True
        root.removeHandler(_human_handler)
        return
    _json_handler.to_stderr = False
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        _json_handler.file = log_file.open("a", encoding="utf-8")
    if _human_handler not in root.handlers:
        root.addHandler(_human_handler)


def close_file() -> None:
    """Close the log file, if one is open (in human mode the JSON lines after it are dropped until
    :func:`route` opens another)."""
    if _json_handler.file is not None:
        _json_handler.file.close()
        _json_handler.file = None


def human_mode() -> bool:
    """True when stderr is for people: progress lines and human warnings, JSON in a file."""
    return not _json_handler.to_stderr


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
    """A logger under ``ais``; installs the handler on first use, leaves the level as configured."""
    _install()
    return EventLogger(name)
