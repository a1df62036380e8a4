"""``ais check --check NAME|all`` (CONTRACTS.md §5 ``check_pm25_serving``, seed 001 §16).

Exit codes: 0 every selected check holds, 3 a check did not hold, 2 usage or configuration error.
``--check`` may be given more than once. With ``all``, the Kubernetes checks are skipped (not
failed) when there is no Kubernetes configuration, and the API checks when there is no API URL;
a check named explicitly fails instead.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
from collections.abc import Sequence
from typing import Any

from ais.config import Settings
from ais.errors import EXIT_CHECK_FAILED, EXIT_OK


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from ais.checks.core import API_CHECKS, CHECKS, CheckContext, run_checks
    from ais.k8s.smoke import local_api, parse_hour
    from ais.output import print_json

    selected: list[str] = args.check
    explicit = "all" not in selected
    names = list(CHECKS) if not explicit else list(dict.fromkeys(selected))
    now = dt.datetime.now(dt.UTC)
    reference = parse_hour(args.base_hour) if args.base_hour else now
    base_url = args.base_url or settings.runtime("pm25_api_base_url") or None
    with contextlib.ExitStack() as stack:
        if args.serve_local and API_CHECKS & set(names):
            base_url = stack.enter_context(local_api(settings, args.config, args.startup_timeout))
            wait_ready(base_url, args.startup_timeout)
        ctx = CheckContext(settings, now=now, reference=reference, location_id=args.location_id or settings.location_id,
                           feature_version=args.feature_version or settings.feature_version,
                           api_base_url=base_url, explicit=explicit)
        summary = run_checks(ctx, names)
    print_json(summary)
    return EXIT_OK if summary["status"] == "success" else EXIT_CHECK_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """``check_pm25_serving ARGS`` (the name of CONTRACTS.md §5) = ``ais check ARGS``."""
    from ais.cli import main as ais_main

    return ais_main(["check", *(sys.argv[1:] if argv is None else argv)])


def wait_ready(base_url: str, timeout_s: float) -> None:
    """A server started for the checks gets its start-up time: poll /readyz until it answers 200 or
    ``timeout_s`` passes (then api-readiness reports what it answers)."""
    from ais.k8s.smoke import http_get

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not http_get(base_url, "/readyz", 5.0).ok:
        time.sleep(0.5)


def register(sub: Any) -> None:
    from ais.checks.core import CHECKS

    p = sub.add_parser("check", help="serving checks: freshness, null ratios, registry, schema hash, API, "
                                     "Kubernetes jobs, duplicates (exit 0 holds, 3 does not)")
    p.add_argument("--check", action="append", required=True, choices=[*CHECKS, "all"],
                   help="the check to run (repeatable), or all")
    p.add_argument("--base-hour", help="ISO hour the freshness is measured at (default: now)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--base-url", help="API base URL (default: runtime.pm25_api_base_url)")
    where.add_argument("--serve-local", action="store_true",
                       help="start `ais serve` on loopback for the API checks (embedded profile)")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="seconds for --serve-local to come up")
    p.add_argument("--location-id", help="default: runtime.location_id")
    p.add_argument("--feature-version", help="default: runtime.feature_version")
    p.set_defaults(func=_check)
