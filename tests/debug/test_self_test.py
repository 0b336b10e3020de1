"""POST /api/v1/admin/debug/self-test: database write and read, the provider's connectivity
check with its latency, configuration validity, logging; admins only."""

from __future__ import annotations

from pathlib import Path

from memoai.app import stop
from tests.admin.accounts import Admin, error, sign_in_admin
from tests.auth.support import auth_settings, bearer, open_auth_app
from tests.fakes.common import FakeServer

SELF_TEST = "/api/v1/admin/debug/self-test"


async def test_every_self_test_passes_on_a_healthy_server(admin: Admin) -> None:
    report = await admin.ok("POST", SELF_TEST)
    names = [t["name"] for t in report["tests"]]
    assert names == ["database", "provider", "configuration", "logging"]
    assert report["ok"] is True and all(t["ok"] for t in report["tests"])
    assert all(t["latency_ms"] >= 0 for t in report["tests"])
    details = {t["name"]: t["detail"] for t in report["tests"]}
    assert "read back" in details["database"] and "valid (version" in details["configuration"]


async def test_the_provider_check_reaches_the_model_and_says_when_it_cannot(
    db_url: str, tmp_path: Path, config_dir: Path, anthropic_fake: FakeServer
) -> None:
    settings = auth_settings(
        db_url, tmp_path, config_dir, llm_provider="claude", claude_api_key="test-key",
        llm_model="claude-test", llm_base_url=anthropic_fake.url,
    )  # fmt: skip
    admin = await sign_in_admin(await open_auth_app(settings))
    try:
        report = await admin.ok("POST", SELF_TEST)
        provider = report["tests"][1]
        assert provider["ok"] is True and "reachable" in provider["detail"]

        anthropic_fake.api_key = "another-key"  # the server now refuses ours
        report = await admin.ok("POST", SELF_TEST)
        provider = report["tests"][1]
        assert report["ok"] is False and provider["ok"] is False
        assert "LLM_NOT_CONFIGURED" in provider["detail"]
        assert [t["ok"] for t in report["tests"]] == [True, False, True, True]
    finally:
        await admin.auth.client.aclose()
        await stop(admin.auth.app)


async def test_only_admins_run_them(admin: Admin) -> None:
    _, token = await admin.user("maria")
    response = await admin.call("POST", SELF_TEST, headers=bearer(token))
    assert response.status_code == 403 and error(response)["code"] == "FORBIDDEN"
    response = await admin.call("POST", SELF_TEST, headers={"X-None": "1"})
    assert response.status_code == 401
