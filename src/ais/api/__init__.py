"""The read-only PM2.5 forecast API (FastAPI) over the prediction table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ais.api.app import create_app as create_app


def __getattr__(name: str) -> Any:
    # Lazy, so ``ais --help`` does not import FastAPI.
    if name == "create_app":
        from ais.api.app import create_app

        return create_app
    raise AttributeError(name)
