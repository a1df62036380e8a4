"""``ais clean``: delete landing files and ingest downloads that are no longer needed.

What may go, and only that:

- **landing files** (``<runtime.landing_dir>/<topic>/*``, the embedded bus): a file is deleted only
  when BOTH hold — a streaming query has consumed it (its path is in the file-source log of a
  checkpoint under ``runtime.checkpoint_base``, in a batch whose commit is recorded, i.e. the batch
  reached its table) AND it is older than ``cleanup.landing_retention_hours``. A file no
  checkpoint has committed is never deleted, whatever its age: its window is not in bronze (or,
  for the dead-letter folder, not in the audit table) yet. A topic with no checkpoint keeps
  everything.
- **download scratch** (``<runtime.ingest_state_dir>/downloads/<source>/<window>/``): ais-ingest
  downloads a gridded window there, puts every file on the shared store and removes the folder; a
  folder that is still there belongs to a window that failed, which was not recorded and is
  downloaded again (into an emptied folder) by its rerun. Such folders are deleted once older than
  ``cleanup.download_retention_hours``.

Nothing else is touched: the shared raw store (events point at its files), checkpoints, tables.
Ages are measured from the wall clock against each file's modification time (a retention is about
the age of files, not about a data window). ``--dry-run 1`` lists what would go and deletes
nothing. One JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ais.config import ConfigError, Settings
from ais.jsonlog import get_logger

log = get_logger("clean")
HOUR = 3600.0


@dataclass
class CleanSummary:
    landing_deleted: list[str] = field(default_factory=list)
    landing_kept_unconsumed: int = 0
    landing_kept_recent: int = 0
    downloads_deleted: list[str] = field(default_factory=list)
    downloads_kept_recent: int = 0
    bytes_freed: int = 0


def _committed_batches(checkpoint: Path) -> int:
    """The highest batch id whose commit the checkpoint records; -1 when none."""
    commits = checkpoint / "commits"
    ids = [int(p.name) for p in commits.iterdir() if p.is_file() and p.name.isdigit()] if commits.is_dir() else []
    return max(ids, default=-1)


def _source_log_entries(source_dir: Path) -> Iterable[dict[str, Any]]:
    """Entries of a file-source log folder (``<batch>`` and ``<batch>.compact`` files, each a
    version line followed by one JSON object per file)."""
    for path in sorted(source_dir.iterdir()):
        if not path.is_file() or not path.name.split(".")[0].isdigit():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
            line = line.strip()
            if line.startswith("{"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and "path" in entry:
                    yield entry


def _local(path_or_uri: str) -> Path:
    parsed = urlparse(path_or_uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path)).resolve()
    return Path("/nonexistent-remote") / parsed.scheme / parsed.netloc / parsed.path.lstrip("/")


def consumed_files(checkpoint_base: Path) -> set[Path]:
    """Every file a streaming query under ``checkpoint_base`` consumed in a committed batch."""
    done: set[Path] = set()
    if not checkpoint_base.is_dir():
        return done
    for commits in checkpoint_base.rglob("commits"):
        checkpoint = commits.parent
        sources = checkpoint / "sources"
        if not commits.is_dir() or not sources.is_dir():
            continue
        last = _committed_batches(checkpoint)
        for source_dir in (d for d in sources.iterdir() if d.is_dir()):
            for entry in _source_log_entries(source_dir):
                batch = entry.get("batchId")
                if isinstance(batch, int) and batch <= last:
                    done.add(_local(str(entry["path"])))
    return done


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _newest_mtime(path: Path) -> float:
    times = [path.stat().st_mtime, *(p.stat().st_mtime for p in path.rglob("*"))] if path.is_dir() \
        else [path.stat().st_mtime]
    return max(times)


def clean(settings: Settings, landing_retention_hours: float, download_retention_hours: float,
          dry_run: bool, now: float | None = None) -> CleanSummary:
    """Delete what the module docstring allows; returns what was (or, dry, would be) deleted."""
    if landing_retention_hours < 0 or download_retention_hours < 0:
        raise ConfigError("retentions must not be negative")
    now = time.time() if now is None else now
    out = CleanSummary()

    landing = settings.runtime_path("landing_dir")
    checkpoint_uri = settings.resolve_path(settings.runtime("checkpoint_base"))
    local_checkpoints = "://" not in checkpoint_uri or checkpoint_uri.startswith("file://")
    consumed = consumed_files(Path(checkpoint_uri.removeprefix("file://"))) if local_checkpoints else set()
    if landing.is_dir():
        for path in sorted(p for p in landing.rglob("*") if p.is_file()):
            if path.resolve() not in consumed:
                out.landing_kept_unconsumed += 1
            elif now - path.stat().st_mtime < landing_retention_hours * HOUR:
                out.landing_kept_recent += 1
            else:
                out.bytes_freed += path.stat().st_size
                out.landing_deleted.append(str(path))
                if not dry_run:
                    path.unlink()

    downloads = settings.runtime_path("ingest_state_dir") / "downloads"
    if downloads.is_dir():
        for window in sorted(w for src in downloads.iterdir() if src.is_dir() for w in src.iterdir()):
            if now - _newest_mtime(window) < download_retention_hours * HOUR:
                out.downloads_kept_recent += 1
                continue
            out.bytes_freed += _size(window)
            out.downloads_deleted.append(str(window))
            if not dry_run:
                shutil.rmtree(window) if window.is_dir() else window.unlink()
    log.info("clean_done", landing_deleted=len(out.landing_deleted),
             landing_kept_unconsumed=out.landing_kept_unconsumed, landing_kept_recent=out.landing_kept_recent,
             downloads_deleted=len(out.downloads_deleted), bytes_freed=out.bytes_freed, dry_run=dry_run,
             status="success")
    return out


def _clean(settings: Settings, args: argparse.Namespace) -> int:
    from ais.output import print_json

    landing_hours = (args.landing_retention_hours if args.landing_retention_hours is not None
                     else settings.get_float("cleanup.landing_retention_hours"))
    download_hours = (args.download_retention_hours if args.download_retention_hours is not None
                      else settings.get_float("cleanup.download_retention_hours"))
    summary = clean(settings, landing_hours, download_hours, args.dry_run == "1")
    print_json({"job": "clean", "dry_run": args.dry_run == "1",
                "landing_retention_hours": landing_hours, "download_retention_hours": download_hours,
                "landing_deleted": len(summary.landing_deleted),
                "landing_kept_unconsumed": summary.landing_kept_unconsumed,
                "landing_kept_recent": summary.landing_kept_recent,
                "downloads_deleted": len(summary.downloads_deleted),
                "downloads_kept_recent": summary.downloads_kept_recent,
                "bytes_freed": summary.bytes_freed,
                "deleted": summary.landing_deleted + summary.downloads_deleted,
                "status": "success"})
    return 0


def _hours(value: str) -> float | None:
    """A retention in hours; empty means the configured one (what a DAG passes without conf)."""
    if not value.strip():
        return None
    try:
        hours = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of hours: {value!r}") from exc
    if hours < 0:
        raise argparse.ArgumentTypeError(f"a retention may not be negative: {value!r}")
    return hours


def register(sub: Any) -> None:
    p = sub.add_parser("clean", help="delete consumed landing files and failed-window download scratch older "
                                     "than their retention (never a file whose window is not in bronze)")
    p.add_argument("--landing-retention-hours", type=_hours, metavar="HOURS",
                   help="default (or empty): cleanup.landing_retention_hours of the configuration")
    p.add_argument("--download-retention-hours", type=_hours, metavar="HOURS",
                   help="default (or empty): cleanup.download_retention_hours of the configuration")
    p.add_argument("--dry-run", choices=("0", "1"), default="0", help="1: list, delete nothing")
    p.set_defaults(func=_clean)
