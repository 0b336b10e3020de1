"""The one-process app of `memoai serve`: the API, with the web interface mounted beside it."""

from __future__ import annotations

from fastapi import FastAPI

from memoai.app import create_app
from memoai.settings import Settings, get_settings


def create_combined_app(settings: Settings | None = None) -> FastAPI:
    """API under /api and /health; the web interface (when installed) at /."""
    settings = settings or get_settings()
    return create_app(settings)
