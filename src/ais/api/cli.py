"""``ais serve``: run the PM2.5 API with uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

from ais.config import Settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from ais.api.app import create_app
    from ais.jsonlog import get_logger

    port = args.port if args.port is not None else settings.get_int("runtime.api_port")
    get_logger("api").info("api_starting", host=args.host, port=port, status="starting")
    # Access lines come from the app's JSON logger; uvicorn's own access log would duplicate them.
    uvicorn.run(create_app(settings), host=args.host, port=port, access_log=False, log_config=None)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the read-only PM2.5 forecast API")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; 0.0.0.0 in a pod)")
    p.add_argument("--port", type=int, help="default: runtime.api_port")
    p.set_defaults(func=_serve)
