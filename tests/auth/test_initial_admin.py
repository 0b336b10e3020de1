"""The first administrator from ADMIN_USERNAME and ADMIN_PASSWORD(_FILE), never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from memoai.app import stop
from memoai.auth import passwords, service
from tests.auth.support import OTHER_PASSWORD, PASSWORD, auth_settings, open_auth_app


async def stored_hash(opened: object, name: str) -> str | None:
    async with opened.app.state.db.sessions() as db:  # type: ignore[attr-defined]
        user = await service.find_user(db, name)
        return None if user is None else f"{user.role}:{user.password_hash}"


async def test_admin_from_a_password_file_once_and_never_overwritten(
    db_url: str, tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "admin_password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("ADMIN_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("ADMIN_USERNAME", "Chief")
    settings = auth_settings(db_url, tmp_path, config_dir)
    assert settings.secret("admin_password") == PASSWORD and settings.admin_username == "Chief"

    opened = await open_auth_app(settings)
    try:
        first = await stored_hash(opened, "chief")
        assert first is not None and first.startswith("admin:")
        assert passwords.hash_rounds(first.split(":", 1)[1]) == settings.bcrypt_rounds
        login = await opened.login("CHIEF")
        assert login["user"]["role"] == "admin"
    finally:
        await opened.client.aclose()
        await stop(opened.app)

    secret.write_text(OTHER_PASSWORD, encoding="utf-8")  # a new start with another password
    again = await open_auth_app(auth_settings(db_url, tmp_path, config_dir))
    try:
        assert await stored_hash(again, "chief") == first
        await again.login("chief", PASSWORD)
    finally:
        await again.client.aclose()
        await stop(again.app)


async def test_no_admin_from_a_weak_password_and_none_while_one_exists(
    db_url: str, tmp_path: Path, config_dir: Path
) -> None:
    weak = await open_auth_app(
        auth_settings(db_url, tmp_path, config_dir, admin_password="password1234")
    )
    try:
        assert await stored_hash(weak, "admin") is None
        await weak.add_user("owner", role="admin")  # type: ignore[arg-type]
    finally:
        await weak.client.aclose()
        await stop(weak.app)
    strong = await open_auth_app(
        auth_settings(db_url, tmp_path, config_dir, admin_password=PASSWORD)
    )
    try:
        assert await stored_hash(strong, "admin") is None  # an active admin exists already
    finally:
        await strong.client.aclose()
        await stop(strong.app)
