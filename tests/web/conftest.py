"""The web interface on a real, started API (temporary SQLite), reached the way a browser
reaches it: an httpx client that keeps the cookies the pages set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai.app import create_app, start, stop
from memoai.settings import Settings
from memoai.web.asgi import StreamingASGITransport
from memoai.web.pages import create_web_app
from tests.web.samples import CONFIG_DIR

from helpers import make_settings


@dataclass
class Site:
    settings: Settings
    api: Any
    web: Any
    browser: httpx.AsyncClient

    def csrf(self) -> str:
        return self.browser.cookies.get("memoai_csrf") or ""

    async def open(self, path: str = "/") -> httpx.Response:
        response = await self.browser.get(path)
        assert response.status_code == 200, response.text[:500]
        return response

    async def evaluate(self, text: str, title: str = "", **extra: Any) -> httpx.Response:
        body = {"text_content": text, "title": title, **extra}
        return await self.browser.post(
            "/ui/evaluate", json=body, headers={"X-CSRF-Token": self.csrf()}
        )


def site_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"csrf_protection": True}
    values.update(overrides)
    config_dir = values.pop("config_dir", CONFIG_DIR)  # a copy, for tests that save edits
    return make_settings(f"sqlite:///{tmp_path / 'web.db'}", tmp_path, config_dir, **values)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    settings = site_settings(tmp_path)
    api = create_app(settings)
    await start(api, settings)
    web = create_web_app(settings, api_transport=StreamingASGITransport(api))
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://testserver"
    )
    try:
        yield Site(settings, api, web, browser)
    finally:
        await browser.aclose()
        await web.state.web.api.aclose()
        await stop(api)
