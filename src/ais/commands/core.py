"""``ais ensure-tables`` and ``ais config``."""

from __future__ import annotations

import argparse
from typing import Any

from ais.config import Settings


def _ensure_tables(settings: Settings, args: argparse.Namespace) -> int:
    from ais.catalog import ensure_tables
    from ais.output import print_json

    print_json(ensure_tables(settings))
    return 0


def _config_dump(settings: Settings, args: argparse.Namespace) -> int:
    from ais.output import print_json

    print_json(settings.dump())
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("ensure-tables", help="create or evolve every Iceberg namespace and table (idempotent)")
    p.set_defaults(func=_ensure_tables)
    p = sub.add_parser("config", help="print the resolved configuration (secrets only as set/unset)")
    p.set_defaults(func=_config_dump)
