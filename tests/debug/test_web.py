"""The Debug tab: what was captured, as text, for the signed-in user; the self-tests for admins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from memoai.web.asgi import StreamingASGITransport
from memoai.web.pages import create_web_app
from tests.admin.accounts import Admin
from tests.auth.support import bearer
from tests.chat.support import MEMO


@dataclass
class Browsers:
    admin: Admin
    web: httpx.AsyncClient

    async def as_user(self, token: str, method: str, path: str) -> httpx.Response:
        self.web.cookies.clear()
        self.web.cookies.set("memoai_session", token)
        return await self.web.request(method, path)


@pytest.fixture
async def browsers(admin: Admin) -> AsyncIterator[Browsers]:
    app = admin.auth.app
    web = create_web_app(admin.auth.settings, api_transport=StreamingASGITransport(app))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://web")
    try:
        yield Browsers(admin, client)
    finally:
        await client.aclose()


async def test_the_tab_shows_the_captured_run_and_admins_run_self_tests(
    browsers: Browsers,
) -> None:
    admin = browsers.admin
    _, maria = await admin.user("maria")
    await admin.ok("POST", "/api/v1/admin/debug/toggle", json={"enabled": True})
    memo = MEMO + "\n<script>alert('x')</script>"
    made = await admin.ok(
        "POST", "/api/v1/evaluations", 201, json={"text_content": memo}, headers=bearer(maria)
    )

    tab = await browsers.as_user(maria, "GET", "/ui/tabs/debug")
    assert tab.status_code == 200
    assert f"/ui/debug/records?evaluation_id={made['id']}" in tab.text
    assert "Run the self-tests" not in tab.text  # not an admin
    records = await browsers.as_user(maria, "GET", f"/ui/debug/records?evaluation_id={made['id']}")
    assert records.status_code == 200
    assert "Raw prompt" in records.text and "Database" in records.text
    assert "&lt;script&gt;alert(" in records.text and "<script>alert(" not in records.text
    refused = await browsers.as_user(maria, "POST", "/ui/debug/self-test")
    assert refused.status_code == 404

    tab = await browsers.as_user(admin.token, "GET", "/ui/tabs/debug")
    assert "Run the self-tests" in tab.text
    report = await browsers.as_user(admin.token, "POST", "/ui/debug/self-test")
    assert report.status_code == 200 and "Every self-test passed." in report.text
    for name in ("database", "provider", "configuration", "logging"):
        assert f"<td>{name}</td>" in report.text


async def test_someone_elses_evaluation_shows_nothing(browsers: Browsers) -> None:
    admin = browsers.admin
    _, maria = await admin.user("maria")
    _, olga = await admin.user("olga")
    await admin.ok("POST", "/api/v1/admin/debug/toggle", json={"enabled": True})
    made = await admin.ok(
        "POST", "/api/v1/evaluations", 201, json={"text_content": MEMO}, headers=bearer(maria)
    )
    page = await browsers.as_user(olga, "GET", f"/ui/debug/records?evaluation_id={made['id']}")
    assert page.status_code == 200 and "could not be loaded" in page.text
    assert "Raw prompt" not in page.text


async def test_admins_switch_it_in_the_admin_tab(browsers: Browsers) -> None:
    admin = browsers.admin
    _, maria = await admin.user("maria")
    section = await browsers.as_user(admin.token, "GET", "/ui/admin/debug")
    assert section.status_code == 200 and "<strong>Off</strong>" in section.text
    browsers.web.cookies.set("memoai_session", admin.token)
    on = await browsers.web.post("/ui/admin/debug", data={"enabled": "true", "minutes": "15"})
    assert on.status_code == 200 and "<strong>On</strong> until" in on.text
    state = await admin.ok("GET", "/api/v1/admin/debug")
    assert state["enabled"] is True
    refused = await browsers.web.post("/ui/admin/debug", data={"enabled": "true", "minutes": "0"})
    assert refused.status_code == 200 and 'role="alert"' in refused.text
    assert "<strong>On</strong>" in refused.text  # unchanged
    off = await browsers.web.post("/ui/admin/debug", data={"enabled": "false"})
    assert "<strong>Off</strong>" in off.text
    assert (await admin.ok("GET", "/api/v1/admin/debug"))["enabled"] is False
    for method in ("GET", "POST"):
        assert (await browsers.as_user(maria, method, "/ui/admin/debug")).status_code == 404
