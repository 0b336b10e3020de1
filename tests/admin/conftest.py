"""Fixtures of the admin tests: an app in login mode (as the auth tests) with an admin signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from memoai.app import stop
from tests.admin.accounts import Admin, sign_in_admin
from tests.auth.support import auth_settings, open_auth_app


@pytest.fixture
async def admin(db_url: str, tmp_path: Path, config_dir: Path) -> AsyncIterator[Admin]:
    """A started app in login mode and its administrator "root", on SQLite and PostgreSQL."""
    opened = await open_auth_app(auth_settings(db_url, tmp_path, config_dir))
    try:
        yield await sign_in_admin(opened)
    finally:
        await opened.client.aclose()
        await stop(opened.app)
