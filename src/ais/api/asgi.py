"""ASGI entry point for servers that start the app in worker processes of their own
(``ais serve --workers N``, or ``uvicorn --factory ais.api.asgi:create``): each worker loads the
settings from the environment (HANOI_PIPELINE_CONFIG and the runtime overrides) and builds the app."""

from __future__ import annotations

from fastapi import FastAPI

from ais.api.app import create_app
from ais.config import load_settings
from ais.jsonlog import configure


def create() -> FastAPI:
    settings = load_settings()
    configure(settings.runtime("log_level"))
    return create_app(settings)
