"""The one-process app of `memoai serve`: the API, with the web interface mounted beside it.

Paths under /api, /health and /metrics go to the API untouched (its routes keep their full
paths); everything else goes to the web interface, whose API client reaches the same API
in-process over httpx, the very code path it uses over the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from memoai.app import create_app
from memoai.settings import Settings, get_settings

API_PREFIXES = ("/api", "/health", "/metrics")


def is_api_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


class CombinedApp:
    """Routes each request to the API or the web app; runs both lifespans once, API first."""

    def __init__(self, api: FastAPI, web: Starlette) -> None:
        self.api = api
        self.web = web

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            async with api.router.lifespan_context(api), web.router.lifespan_context(web):
                yield

        self._lifespan: ASGIApp = Starlette(lifespan=lifespan)

    @property
    def state(self) -> Any:
        """The API's state (database, configuration, provider), as for the API alone."""
        return self.api.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif scope["type"] in ("http", "websocket") and not is_api_path(scope["path"]):
            await self.web(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def create_combined_app(settings: Settings | None = None) -> CombinedApp:
    """API under /api and /health; the web interface at /."""
    from memoai.web.asgi import StreamingASGITransport
    from memoai.web.pages import create_web_app

    settings = settings or get_settings()
    api = create_app(settings)
    web = create_web_app(settings, api_transport=StreamingASGITransport(api))
    return CombinedApp(api, web)
