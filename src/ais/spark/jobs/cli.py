"""``ais job <type> [flags]``: run one registered Spark job in this process. In the human log mode
it prints a progress line per step on stderr (the Spark session, then the job with its window:
ais.progress); the job's summary is the JSON document on stdout.

Exit codes (as ais.cli): 0 when the summary's status is success or no_input, 3 when it is
``mismatch`` (a check job's comparison did not hold, e.g. reconcile-serving below its tolerance),
1 for any other status."""

from __future__ import annotations

import argparse
from typing import Any

from ais.config import Settings
from ais.errors import EXIT_CHECK_FAILED, EXIT_FAILED, EXIT_OK
from ais.spark.jobs.registry import JOBS, job_parser


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from ais.output import print_json
    from ais.progress import steps
    from ais.spark.jobs.common import JobContext

    job = JOBS[args.job_type]
    with steps(f"job {job.name}", 1 + job.needs_spark) as run:
        spark: Any = None
        if job.needs_spark:
            from ais.spark.session import get_spark

            spark = run("spark session", get_spark, settings, app_name=f"ais-{job.name}")
        summary = run(step_label(job.name, args), job.run, JobContext(job.name.replace("-", "_"), settings, spark),
                      args)
    print_json(summary)
    status = summary.get("status")
    if status in ("success", "no_input"):
        return EXIT_OK
    return EXIT_CHECK_FAILED if status == "mismatch" else EXIT_FAILED


def step_label(name: str, args: argparse.Namespace) -> str:
    """The job's progress line: its name, and its window when it was given one
    (``hanoi-master-features-gold 2026-09-02..2026-11-01``)."""
    start, end = getattr(args, "start_date", None), getattr(args, "end_date", None)
    return f"{name} {start}..{end}" if start and end else name


def register(sub: Any) -> None:
    p = sub.add_parser("job", help="run one Spark job (the same entry point as on Kubernetes)")
    jobs = p.add_subparsers(dest="job_type", required=True, metavar="JOB_TYPE")
    for job in JOBS.values():
        jp = jobs.add_parser(job.name, help=job.help)
        job_parser(job, jp)
        jp.set_defaults(func=_run)
