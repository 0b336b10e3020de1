"""The two modes: anonymous sessions or login required, switched in auth.yaml without a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from memoai.app import stop
from memoai.auth.mode import AUTH_OFF_IN_PRODUCTION, config_env
from memoai.configs.loader import load_active_config
from memoai.settings import Settings
from tests.auth.support import AuthApp, auth_settings, bearer, open_auth_app


def code_of(response: object) -> str:
    return str(response.json()["errors"][0]["code"])  # type: ignore[attr-defined]


async def test_login_mode_closes_everything_but_the_public_routes(auth: AuthApp) -> None:
    client = auth.client
    assert (await client.get("/health")).status_code == 200
    settings = await client.get("/api/v1/config/client")
    assert settings.status_code == 200 and settings.json()["data"]["auth_enabled"] is True
    for path in ("/api/v1/config/rubric", "/api/v1/config/frameworks", "/api/v1/evaluations"):
        response = await client.get(path)
        assert (response.status_code, code_of(response)) == (401, "UNAUTHORIZED"), path
    started = await client.post("/api/v1/sessions")
    assert (started.status_code, code_of(started)) == (401, "LOGIN_REQUIRED")

    await auth.add_user("nina")
    token = (await auth.login("nina"))["access_token"]
    for path in ("/api/v1/config/rubric", "/api/v1/evaluations"):
        assert (await client.get(path)).status_code == 200, path
    reused = await client.post("/api/v1/sessions")  # a signed-in browser keeps its sign-in
    assert reused.status_code == 200
    assert (await client.get("/api/v1/auth/verify", headers=bearer(token))).status_code == 200


async def test_switching_the_file_takes_effect_without_a_restart(
    db_url: str, tmp_path: Path, config_dir: Path
) -> None:
    opened = await open_auth_app(auth_settings(db_url, tmp_path, config_dir, auth_enabled=False))
    client = opened.client
    try:
        started = await client.post("/api/v1/sessions")
        assert started.status_code == 201
        anonymous = started.json()["data"]["token"]
        assert (await client.get("/api/v1/config/rubric")).status_code == 200
        await opened.add_user("olga")
        signed_in = (await opened.login("olga"))["access_token"]  # sign-in works in both modes
        client.cookies.clear()

        auth_yaml = config_dir / "auth.yaml"
        text = auth_yaml.read_text().replace("enabled: ${AUTH_ENABLED}", "enabled: true")
        auth_yaml.write_text(text)
        await asyncio.sleep(1.1)  # the registry looks at the files at most once a second

        refused = await client.get("/api/v1/evaluations", headers={"X-Session-Token": anonymous})
        assert (refused.status_code, code_of(refused)) == (401, "LOGIN_REQUIRED")
        assert (await client.get("/api/v1/config/rubric")).status_code == 401
        allowed = await client.get("/api/v1/evaluations", headers=bearer(signed_in))
        assert allowed.status_code == 200
    finally:
        await client.aclose()
        await stop(opened.app)


def test_auth_enabled_defaults_to_the_profile(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_ENABLED", raising=False)
    for env, expected in (("development", False), ("staging", True), ("production", True)):
        settings = Settings(app_env=env)
        config = load_active_config(config_dir, config_env(settings))
        assert config.auth.authentication.enabled is expected, env
    explicit = Settings(app_env="production", auth_enabled=False)
    assert load_active_config(config_dir, config_env(explicit)).auth.authentication.enabled is False


def test_production_without_login_is_loud(config_dir: Path) -> None:
    from memoai.auth.mode import mode_warning

    settings = Settings(app_env="production", auth_enabled=False)
    config = load_active_config(config_dir, config_env(settings))
    assert mode_warning(settings, config) == AUTH_OFF_IN_PRODUCTION
    on = Settings(app_env="production", auth_enabled=True)
    assert mode_warning(on, load_active_config(config_dir, config_env(on))) is None


def test_config_check_says_production_runs_without_login(
    monkeypatch: pytest.MonkeyPatch, config_dir: Path, tmp_path: Path
) -> None:
    from memoai.ops.config_check import run_check

    for name, value in {
        "APP_ENV": "production",
        "HTTPS_ONLY": "true",
        "SECURE_COOKIES": "true",
        "CONFIG_DIR": str(config_dir),
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "JWT_SECRET_KEY": "j" * 40,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AUTH_ENABLED", "false")
    code, output = run_check()
    assert code == 0 and AUTH_OFF_IN_PRODUCTION in output
    monkeypatch.delenv("AUTH_ENABLED")  # the production profile: login required
    code, output = run_check()
    assert code == 0 and AUTH_OFF_IN_PRODUCTION not in output
