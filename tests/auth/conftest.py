"""Fixtures of the auth tests: a started app in login mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from memoai.app import stop
from tests.auth.support import AuthApp, auth_settings, open_auth_app


@pytest.fixture
async def auth(db_url: str, tmp_path: Path, config_dir: Path) -> AsyncIterator[AuthApp]:
    """A started app in login mode, on SQLite and PostgreSQL."""
    opened = await open_auth_app(auth_settings(db_url, tmp_path, config_dir))
    try:
        yield opened
    finally:
        await opened.client.aclose()
        await stop(opened.app)
