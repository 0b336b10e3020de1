"""Readiness tells trusted callers whether login is required, and says loudly when production
runs without it: advisory, never a 503 nor a degraded status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai.app import create_app, start, stop
from memoai.auth.mode import AUTH_OFF_IN_PRODUCTION

from helpers import make_settings

TOKEN = "m3trics-" + "t" * 24
PUBLIC = "198.51.100.9"


@asynccontextmanager
async def readiness_of(
    tmp_path: Path, config_dir: Path, **settings: Any
) -> AsyncIterator[dict[str, Any]]:
    """The readiness answers of an app started with `settings`: for the public, with the token."""
    values = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        metrics_token=TOKEN,
        jwt_secret_key="j" * 40,
        **settings,
    )
    app = create_app(values)
    await start(app, values)
    answers: dict[str, Any] = {}
    try:
        transport = httpx.ASGITransport(app=app, client=(PUBLIC, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for who, headers in (("public", {}), ("trusted", {"authorization": f"Bearer {TOKEN}"})):
                response = await client.get("/health/ready", headers=headers)
                answers[who] = (response.status_code, response.json()["data"])
        yield answers
    finally:
        await stop(app)


async def test_production_without_login_says_so_to_trusted_callers(
    tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_ENABLED", raising=False)
    async with readiness_of(
        tmp_path,
        config_dir,
        app_env="production",
        auth_enabled=False,
        https_only=True,
        secure_cookies=True,
    ) as answers:
        status, data = answers["trusted"]
        assert (status, data["status"]) == (200, "ready")  # advisory: not degraded, never 503
        assert data["checks"]["authentication"] == {
            "ok": True,
            "message": None,
            "login_required": False,
            "warning": AUTH_OFF_IN_PRODUCTION,
        }
        assert answers["public"] == (200, {"status": "ready", "checks": None})


async def test_login_mode_is_reported_without_a_warning(
    tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_ENABLED", raising=False)
    async with readiness_of(tmp_path, config_dir, auth_enabled=True) as answers:
        _, data = answers["trusted"]
        authentication = data["checks"]["authentication"]
        assert (authentication["login_required"], authentication["warning"]) == (True, None)


async def test_development_without_login_is_not_a_warning(
    tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_ENABLED", raising=False)
    async with readiness_of(tmp_path, config_dir, auth_enabled=False) as answers:
        _, data = answers["trusted"]
        authentication = data["checks"]["authentication"]
        assert (authentication["login_required"], authentication["warning"]) == (False, None)
