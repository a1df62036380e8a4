"""What every Spark job shares: its run context and its explicit window."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ais.config import ConfigError, Settings
from ais.jsonlog import EventLogger, get_logger
from ais.timeutil import parse_iso

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class Window:
    """A half-open UTC window [start, end) of whole hours."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def from_dates(cls, start_date: str, end_date: str) -> Window:
        """--start-date/--end-date are inclusive UTC dates: [start 00:00, end + 1 day 00:00)."""
        try:
            start = dt.datetime.strptime(start_date, "%Y-%m-%d").replace(tzinfo=dt.UTC)
            end = dt.datetime.strptime(end_date, "%Y-%m-%d").replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
        except ValueError as exc:
            raise ConfigError(f"dates must be YYYY-MM-DD: {exc}") from exc
        if end <= start:
            raise ConfigError(f"--end-date {end_date} is before --start-date {start_date}")
        return cls(start, end)

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        """Dates (YYYY-MM-DD, inclusive, whole UTC days) or ISO UTC times ([start, end), whole
        hours) — the latter for incremental hourly updates."""
        if len(start) == 10 and len(end) == 10:
            return cls.from_dates(start, end)
        try:
            a, b = parse_iso(start), parse_iso(end)
        except ValueError as exc:
            raise ConfigError(f"window bounds must be YYYY-MM-DD or ISO UTC times: {exc}") from exc
        if a.minute or a.second or b.minute or b.second:
            raise ConfigError("window times must be whole hours")
        if b <= a:
            raise ConfigError(f"window end {end} is not after its start {start}")
        return cls(a, b)

    def widen(self, before_hours: int = 0, after_hours: int = 0) -> Window:
        return Window(self.start - dt.timedelta(hours=before_hours), self.end + dt.timedelta(hours=after_hours))

    @staticmethod
    def sql(ts: dt.datetime) -> str:
        return ts.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    @property
    def start_sql(self) -> str:
        return self.sql(self.start)

    @property
    def end_sql(self) -> str:
        return self.sql(self.end)


@dataclass
class JobContext:
    """One run of one job: settings, the shared session, a run id, a logger and a timer."""

    name: str
    settings: Settings
    spark: SparkSession
    job_run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.monotonic)

    @property
    def log(self) -> EventLogger:
        return get_logger(f"spark.{self.name}")

    @property
    def catalog(self) -> str:
        return self.settings.catalog_name

    def done(self, **fields: Any) -> dict[str, Any]:
        summary = {"job": self.name, "job_run_id": self.job_run_id,
                   "duration_s": round(time.monotonic() - self.started, 3), **fields}
        summary.setdefault("status", "success")
        self.log.info("job_done", **summary)
        return summary
