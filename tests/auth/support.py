"""Apps in login mode with real bcrypt (low cost), users, and a client that signs in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from memoai.auth import service
from memoai.auth.audit import CLI
from memoai.auth.models import Role, User
from memoai.settings import Settings

from helpers import ApiClient, make_settings, open_client

SECRET = "test-secret-" + "k" * 32
PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "another long passphrase 42"


def auth_settings(db_url: str, tmp_path: Path, config_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_enabled": True,
        "jwt_secret_key": SECRET,
        "bcrypt_rounds": 4,
        "rate_limit_enabled": False,
    }
    values.update(overrides)
    return make_settings(db_url, tmp_path, config_dir, **values)


@dataclass
class AuthApp:
    app: FastAPI
    client: ApiClient
    settings: Settings

    async def add_user(
        self, username: str, password: str = PASSWORD, role: Role = Role.USER, **kw: Any
    ) -> User:
        policy = self.app.state.configs.current().auth.authentication.security
        async with self.app.state.db.sessions() as db:
            return await service.create_user(
                db,
                username,
                password,
                policy=policy,
                rounds=self.settings.bcrypt_rounds,
                origin=CLI,
                role=role,
                **kw,
            )

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


async def open_auth_app(settings: Settings) -> AuthApp:
    app, client = await open_client(settings)
    return AuthApp(app, client, settings)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
