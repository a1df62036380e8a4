"""``ais job <type> [flags]``: run one registered Spark job in this process."""

from __future__ import annotations

import argparse
from typing import Any

from ais.config import Settings
from ais.spark.jobs.registry import JOBS


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from ais.cli import print_json
    from ais.spark.jobs.common import JobContext

    job = JOBS[args.job_type]
    if job.needs_spark:
        from ais.spark.session import get_spark

        spark: Any = get_spark(settings, app_name=f"ais-{job.name}")
    else:
        spark = None
    summary = job.run(JobContext(job.name.replace("-", "_"), settings, spark), args)
    print_json(summary)
    return 0 if summary.get("status") in ("success", "no_input") else 1


def register(sub: Any) -> None:
    p = sub.add_parser("job", help="run one Spark job (the same entry point as on Kubernetes)")
    jobs = p.add_subparsers(dest="job_type", required=True, metavar="JOB_TYPE")
    for job in JOBS.values():
        jp = jobs.add_parser(job.name, help=job.help)
        job.add_args(jp)
        jp.set_defaults(func=_run)
