"""maintenance-iceberg: compaction, snapshot expiry and orphan removal on every AIS table.

Per table, with Iceberg's Spark procedures and in this order, so one run also deletes the small
files its own compaction replaced:

1. ``rewrite_data_files``: every partition holding at least ``min_input_files`` files below 75 % of
   ``target_file_size_mb`` is rewritten into files of about the target size;
2. ``rewrite_manifests``: the manifests of the current snapshot regrouped;
3. ``expire_snapshots``: snapshots older than ``snapshot_retention_hours`` are expired, except the
   newest ``retain_last``; the files only they referenced are deleted;
4. ``remove_orphan_files``: files under the table's folder that no snapshot references and older
   than ``orphan_retention_hours`` are deleted.

Safe while writers run: Iceberg commits optimistically, so a procedure that loses a race with a
concurrent writer fails with ``CommitFailedException`` or ``ValidationException`` and is retried
after a backoff (``commit_retries``, ``retry_backoff_seconds`` doubling). Expiry only deletes files
that no retained snapshot references. A writer's files are not referenced by any snapshot until
its commit, so ``remove_orphan_files`` would take them for orphans: that is why the orphan
retention may not be below ``ORPHAN_FLOOR_HOURS`` (24 h), far longer than any AIS write takes.

The retention cut-offs are measured from the wall clock, as Iceberg itself does: maintenance is
about the age of files, not about a data window.

The summary has, per table, rows, data and delete files, data bytes, snapshots, manifests and the
files (and bytes) referenced by any retained snapshot, before and after; ``--dry-run 1`` changes
nothing and reports what would be done.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ais import tables
from ais.config import ConfigError, Settings
from ais.jsonlog import EventLogger
from ais.spark.jobs.common import JobContext
from ais.tables import TableSpec

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# A writer's not yet committed files look like orphans; none of them is this old.
ORPHAN_FLOOR_HOURS = 24.0
# Iceberg's rewrite_data_files default: files below this fraction of the target are "small".
SMALL_FILE_FRACTION = 0.75
# Exception text of a commit that lost an optimistic-concurrency race (Iceberg's Java exceptions,
# as they appear in the Py4J error).
COMMIT_CONFLICT_MARKERS = ("CommitFailedException", "ValidationException")

T = TypeVar("T")


@dataclass(frozen=True)
class MaintenancePolicy:
    """The ``maintenance:`` section of the configuration, checked."""

    snapshot_retention_hours: float
    retain_last: int
    target_file_size_bytes: int
    min_input_files: int
    orphan_retention_hours: float
    commit_retries: int
    retry_backoff_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> MaintenancePolicy:
        policy = cls(
            snapshot_retention_hours=settings.get_float("maintenance.snapshot_retention_hours"),
            retain_last=settings.get_int("maintenance.retain_last"),
            target_file_size_bytes=settings.get_int("maintenance.target_file_size_mb") * 1024 * 1024,
            min_input_files=settings.get_int("maintenance.min_input_files"),
            orphan_retention_hours=settings.get_float("maintenance.orphan_retention_hours"),
            commit_retries=settings.get_int("maintenance.commit_retries"),
            retry_backoff_seconds=settings.get_float("maintenance.retry_backoff_seconds"),
        )
        policy.check()
        return policy

    def with_snapshot_retention(self, hours: float | None) -> MaintenancePolicy:
        if hours is None:
            return self
        policy = dataclasses.replace(self, snapshot_retention_hours=hours)
        policy.check()
        return policy

    def check(self) -> None:
        if self.snapshot_retention_hours < 0:
            raise ConfigError(f"maintenance.snapshot_retention_hours must be >= 0, got {self.snapshot_retention_hours}")
        if self.retain_last < 1:
            raise ConfigError(f"maintenance.retain_last must be >= 1, got {self.retain_last}")
        if self.target_file_size_bytes <= 0:
            raise ConfigError("maintenance.target_file_size_mb must be > 0")
        if self.min_input_files < 2:
            raise ConfigError(f"maintenance.min_input_files must be >= 2, got {self.min_input_files}")
        if self.orphan_retention_hours < ORPHAN_FLOOR_HOURS:
            raise ConfigError(f"maintenance.orphan_retention_hours must be >= {ORPHAN_FLOOR_HOURS:g} (files of "
                              f"writes in flight look like orphans), got {self.orphan_retention_hours:g}")
        if self.commit_retries < 0 or self.retry_backoff_seconds < 0:
            raise ConfigError("maintenance.commit_retries and retry_backoff_seconds must be >= 0")


def exception_text(exc: BaseException) -> str:
    """The message and, for errors raised in the JVM, the Java stack trace with its causes."""
    parts = [type(exc).__name__, str(exc)]
    trace = getattr(exc, "getStackTrace", None)
    if callable(trace):
        parts.append(str(trace() or ""))
    return "\n".join(parts)


def is_commit_conflict(exc: BaseException, markers: Sequence[str] = COMMIT_CONFLICT_MARKERS) -> bool:
    text = exception_text(exc)
    return any(m in text for m in markers)


def retry_on_commit_conflict(action: Callable[[], T], retries: int, backoff_seconds: float, log: EventLogger,
                             what: str, markers: Sequence[str] = COMMIT_CONFLICT_MARKERS) -> T:
    """``action()``, run again (up to ``retries`` more times, waiting ``backoff_seconds`` doubled
    after each try) while it fails on a lost commit race; any other error is raised at once."""
    attempt = 0
    while True:
        try:
            return action()
        except Exception as exc:
            if attempt >= retries or not is_commit_conflict(exc, markers):
                raise
            wait = backoff_seconds * (2 ** attempt)
            attempt += 1
            log.warning("commit_conflict_retry", what=what, attempt=attempt, wait_s=wait,
                        error=str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__)
            time.sleep(wait)


@dataclass(frozen=True)
class TableStats:
    rows: int
    data_files: int
    data_bytes: int
    delete_files: int
    snapshots: int
    manifests: int
    referenced_files: int  # data and delete files referenced by any retained snapshot
    referenced_bytes: int


def _scalar_row(spark: SparkSession, sql: str) -> tuple[int, ...]:
    row = spark.sql(sql).first()
    return tuple(int(v or 0) for v in row) if row is not None else ()


def table_stats(spark: SparkSession, target: str) -> TableStats:
    """Counts from the table's metadata tables (``rows`` from a count Iceberg answers from them)."""
    (snapshots,) = _scalar_row(spark, f"SELECT count(*) FROM {target}.snapshots")
    if snapshots == 0:
        return TableStats(0, 0, 0, 0, 0, 0, 0, 0)
    (rows,) = _scalar_row(spark, f"SELECT count(*) FROM {target}")
    data_files, data_bytes, delete_files = _scalar_row(
        spark, "SELECT count_if(content = 0), coalesce(sum(IF(content = 0, file_size_in_bytes, 0)), 0), "
               f"count_if(content <> 0) FROM {target}.files")
    (manifests,) = _scalar_row(spark, f"SELECT count(*) FROM {target}.manifests")
    referenced_files, referenced_bytes = _scalar_row(
        spark, "SELECT count(*), coalesce(sum(file_size_in_bytes), 0) FROM "
               f"(SELECT DISTINCT file_path, file_size_in_bytes FROM {target}.all_files)")
    return TableStats(rows, data_files, data_bytes, delete_files, snapshots, manifests, referenced_files,
                      referenced_bytes)


def _ts(t: dt.datetime) -> str:
    return f"TIMESTAMP '{t.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Procedures:
    """The four procedures on one table, each retried on a lost commit race."""

    def __init__(self, ctx: JobContext, spec: TableSpec, policy: MaintenancePolicy) -> None:
        self.ctx, self.spec, self.policy = ctx, spec, policy
        # catalog.namespace.table: a two-part name would first be tried as catalog "namespace"
        self.table_arg = _sql_str(spec.qualified(ctx.catalog))

    def call(self, procedure: str, args: str) -> list[dict[str, Any]]:
        sql = f"CALL {self.ctx.catalog}.system.{procedure}(table => {self.table_arg}{args})"
        return retry_on_commit_conflict(
            lambda: [r.asDict() for r in self.ctx.spark.sql(sql).collect()],
            self.policy.commit_retries, self.policy.retry_backoff_seconds, self.ctx.log,
            f"{procedure} {self.spec.identifier}")

    def rewrite_data_files(self) -> dict[str, Any]:
        p = self.policy
        options = (f"map('target-file-size-bytes', '{p.target_file_size_bytes}', "
                   f"'min-input-files', '{p.min_input_files}')")
        return self.call("rewrite_data_files", f", options => {options}")[0]

    def rewrite_manifests(self) -> dict[str, Any]:
        return self.call("rewrite_manifests", "")[0]

    def expire_snapshots(self, older_than: dt.datetime) -> dict[str, Any]:
        return self.call("expire_snapshots",
                         f", older_than => {_ts(older_than)}, retain_last => {self.policy.retain_last}")[0]

    def remove_orphan_files(self, older_than: dt.datetime, dry_run: bool) -> list[str]:
        rows = self.call("remove_orphan_files",
                         f", older_than => {_ts(older_than)}, dry_run => {'true' if dry_run else 'false'}")
        return sorted(str(r["orphan_file_location"]) for r in rows)


def _planned(spark: SparkSession, spec: TableSpec, target: str, policy: MaintenancePolicy,
             snapshot_cutoff: dt.datetime) -> dict[str, int]:
    """What a run would rewrite and expire (orphans are listed by the procedure's own dry run)."""
    small = int(policy.target_file_size_bytes * SMALL_FILE_FRACTION)
    group = "GROUP BY partition" if spec.partitions else ""
    (files,) = _scalar_row(
        spark, f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {target}.files "
               f"WHERE content = 0 AND file_size_in_bytes < {small} {group} "
               f"HAVING count(*) >= {policy.min_input_files})")
    (expire,) = _scalar_row(
        spark, "SELECT count(*) FROM (SELECT committed_at, row_number() OVER (ORDER BY committed_at DESC) AS rn "
               f"FROM {target}.snapshots) WHERE rn > {policy.retain_last} AND committed_at < {_ts(snapshot_cutoff)}")
    return {"data_files_to_rewrite": files, "snapshots_to_expire": expire}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


def maintain_table(ctx: JobContext, spec: TableSpec, policy: MaintenancePolicy, dry_run: bool,
                   now: dt.datetime) -> dict[str, Any]:
    """One table: the four procedures (or, in a dry run, the plan) and its stats before and after."""
    target = spec.qualified(ctx.catalog)
    snapshot_cutoff = now - dt.timedelta(hours=policy.snapshot_retention_hours)
    orphan_cutoff = now - dt.timedelta(hours=policy.orphan_retention_hours)
    before = table_stats(ctx.spark, target)
    entry: dict[str, Any] = {"table": spec.identifier, "before": dataclasses.asdict(before)}
    if before.snapshots == 0:
        # never written: no data file, no snapshot, and nothing under its folder but metadata
        return entry | {"status": "empty", "after": dataclasses.asdict(before)}
    procs = _Procedures(ctx, spec, policy)
    try:
        if dry_run:
            plan = _planned(ctx.spark, spec, target, policy, snapshot_cutoff)
            plan["orphan_files"] = len(procs.remove_orphan_files(orphan_cutoff, dry_run=True))
            return entry | {"status": "dry_run", "planned": plan, "after": dataclasses.asdict(before)}
        actions = {"rewrite_data_files": procs.rewrite_data_files(),
                   "rewrite_manifests": procs.rewrite_manifests(),
                   "expire_snapshots": procs.expire_snapshots(snapshot_cutoff)}
        orphans = procs.remove_orphan_files(orphan_cutoff, dry_run=False)
        actions["remove_orphan_files"] = {"removed_count": len(orphans), "removed": orphans[:20]}
    except Exception as exc:  # noqa: BLE001 - reported per table; the run goes on and ends failed
        ctx.log.error("maintenance_table_failed", table=spec.identifier, error=_first_line(exc))
        return entry | {"status": "failed", "error": _first_line(exc),
                        "after": dataclasses.asdict(table_stats(ctx.spark, target))}
    after = table_stats(ctx.spark, target)
    ctx.log.info("maintenance_table_done", table=spec.identifier, snapshots_before=before.snapshots,
                 snapshots_after=after.snapshots, data_files_before=before.data_files,
                 data_files_after=after.data_files, rows=after.rows)
    return entry | {"status": "success", "actions": actions, "after": dataclasses.asdict(after)}


def select_tables(names: Sequence[str] | None) -> list[TableSpec]:
    """Every table of ais.tables, or the named ones (``namespace.table``); an unknown name is an error."""
    if not names:
        return list(tables.all_tables())
    unknown = sorted(set(names) - set(tables.TABLES))
    if unknown:
        raise ConfigError(f"unknown tables {unknown}; known: {sorted(tables.TABLES)}")
    return [tables.TABLES[n] for n in dict.fromkeys(names)]


def run_maintenance(ctx: JobContext, policy: MaintenancePolicy, table_names: Sequence[str] | None = None,
                    dry_run: bool = False, now: dt.datetime | None = None) -> dict[str, Any]:
    """Maintain the tables one after the other; a table that fails is reported and the run goes on
    to the next, then ends with status ``failed``."""
    specs = select_tables(table_names)
    started = now or dt.datetime.now(dt.UTC)
    results = [maintain_table(ctx, spec, policy, dry_run, started) for spec in specs]
    failed = [r["table"] for r in results if r["status"] == "failed"]

    def total(side: str, key: str) -> int:
        return sum(int(r[side][key]) for r in results)

    totals = {side: {k: total(side, k) for k in ("rows", "data_files", "data_bytes", "snapshots", "referenced_bytes")}
              for side in ("before", "after")}
    return ctx.done(status="failed" if failed else "success", dry_run=dry_run, table_count=len(results),
                    failed_tables=failed, policy=dataclasses.asdict(policy), totals=totals, tables=results)


def _flag01(value: str) -> bool:
    if value not in ("0", "1"):
        raise argparse.ArgumentTypeError("expected 0 or 1")
    return value == "1"


def add_args(p: argparse.ArgumentParser) -> None:
    """Flags of ``ais job maintenance-iceberg``."""
    p.add_argument("--tables", default="",
                   help="comma-separated namespace.table names (default: every table of ais.tables)")
    p.add_argument("--dry-run", type=_flag01, default=False, metavar="0|1",
                   help="1: report what would be rewritten, expired and removed; change nothing")
    p.add_argument("--snapshot-retention-hours", type=float, default=None,
                   help="override maintenance.snapshot_retention_hours for this run")


def run_job(ctx: JobContext, a: argparse.Namespace) -> dict[str, Any]:
    policy = MaintenancePolicy.from_settings(ctx.settings).with_snapshot_retention(a.snapshot_retention_hours)
    names = [n.strip() for n in a.tables.split(",") if n.strip()]
    return run_maintenance(ctx, policy, names or None, a.dry_run)
