"""``ais serve``: run the PM2.5 API with uvicorn."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ais.config import ConfigError, Settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from ais.api.app import create_app
    from ais.jsonlog import get_logger

    port = args.port if args.port is not None else settings.get_int("runtime.api_port")
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    get_logger("api").info("api_starting", host=args.host, port=port, workers=args.workers, status="starting")
    # Access lines come from the app's JSON logger; uvicorn's own access log would duplicate them.
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=port, access_log=False, log_config=None)
        return 0
    # Worker processes build the app themselves from the same configuration file.
    os.environ["HANOI_PIPELINE_CONFIG"] = str(settings.path)
    uvicorn.run("ais.api.asgi:create", factory=True, host=args.host, port=port, workers=args.workers,
                access_log=False, log_config=None)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the read-only PM2.5 forecast API")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; 0.0.0.0 in a pod)")
    p.add_argument("--port", type=int, help="default: runtime.api_port")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (default 1, one per pod; about one per core on a machine)")
    p.set_defaults(func=_serve)
