"""An administrator's client for the users, sessions and audit log tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from memoai.auth.models import Role
from tests.auth.support import AuthApp, bearer

STRONG = "a temporary passphrase 2026"


@dataclass
class Admin:
    """The app, and the signed-in administrator "root" calling it with a Bearer token."""

    auth: AuthApp
    id: str
    token: str

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", None) or bearer(self.token)
        response = await self.auth.client.request(method, path, headers=headers, **kw)
        self.auth.client.cookies.clear()  # every call carries exactly the headers it names
        return response

    async def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        """The data of a call that must succeed with `status`."""
        response = await self.call(method, path, **kw)
        assert response.status_code == status, response.text
        return response.json()["data"]

    async def verify(self, token: str) -> int:
        """The status a user's token gets from GET /api/v1/auth/verify (200 while it lives)."""
        return (await self.call("GET", "/api/v1/auth/verify", headers=bearer(token))).status_code

    async def user(self, name: str, role: Role = Role.USER) -> tuple[str, str]:
        """A new user, signed in: (user id, Bearer token)."""
        await self.auth.add_user(name, role=role)
        data = await self.auth.login(name)
        self.auth.client.cookies.clear()
        return data["user"]["id"], data["access_token"]


def error(response: httpx.Response) -> dict[str, Any]:
    """The first error of an error answer."""
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors[0]


async def sign_in_admin(auth: AuthApp) -> Admin:
    await auth.add_user("root", role=Role.ADMIN)
    data = await auth.login("root")
    auth.client.cookies.clear()
    return Admin(auth, data["user"]["id"], data["access_token"])
