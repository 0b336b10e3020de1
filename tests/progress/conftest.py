"""A started API with a session, plus direct database access for seeding long histories."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from memoai.app import stop
from memoai.settings import Settings
from tests.web.conftest import site

__all__ = ["Api", "api", "site", "sse_events"]

from helpers import ApiClient, open_client


@dataclass
class Api:
    app: Any
    client: ApiClient
    settings: Settings

    async def evaluate(self, text: str, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/evaluations", json={"text_content": text, **extra}
        )
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def new_session(self) -> None:
        self.client.cookies.clear()
        await self.client.start_session()


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    app, client = await open_client(settings)
    await client.start_session()
    try:
        yield Api(app, client, settings)
    finally:
        await client.aclose()
        await stop(app)


def sse_events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events of an API stream."""
    found = []
    for block in response.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields and "data" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found
