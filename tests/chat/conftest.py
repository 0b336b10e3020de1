"""Chat fixtures: a second caller on the same app, the fake providers, the web site."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from memoai.app import stop
from memoai.settings import Settings
from tests.chat.support import Callers
from tests.fakes.fixtures import anthropic_fake, anthropic_server, openai_fake, openai_server
from tests.web.conftest import site

from helpers import ApiClient, open_client

__all__ = ["anthropic_fake", "anthropic_server", "openai_fake", "openai_server", "site"]


@pytest.fixture
async def callers(settings: Settings) -> AsyncIterator[Callers]:
    """Two sessions with separate cookie jars on one started app."""
    app, first = await open_client(settings)
    second = ApiClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    try:
        await first.start_session()
        await second.start_session()
        yield Callers(app, first, second)
    finally:
        await first.aclose()
        await second.aclose()
        await stop(app)
