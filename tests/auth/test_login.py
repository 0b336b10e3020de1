"""Signing in, out, refreshing, verifying: tokens name revocable server-side sessions."""

from __future__ import annotations

import asyncio

from memoai.deps import CSRF_COOKIE, SESSION_COOKIE
from tests.auth.support import OTHER_PASSWORD, PASSWORD, AuthApp, bearer


async def test_login_answers_user_and_token_and_sets_the_cookies(auth: AuthApp) -> None:
    await auth.add_user("Alice", display_name="Alice A.")
    response = await auth.client.post(
        "/api/v1/auth/login", json={"username": "ALICE", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["token_type"] == "bearer"
    assert data["user"]["username"] == "Alice"
    assert data["user"]["display_name"] == "Alice A."
    assert data["user"]["role"] == "user" and data["user"]["last_login_at"]
    assert set(data["user"]) == {
        "id", "username", "display_name", "role", "is_active", "must_change_password",
        "created_at", "last_login_at", "language",
    }  # fmt: skip
    assert response.cookies[SESSION_COOKIE] == data["access_token"]
    assert response.cookies[CSRF_COOKIE] == data["csrf_token"]
    set_cookie = response.headers.get_list("set-cookie")
    assert any(c.startswith(SESSION_COOKIE) and "HttpOnly" in c for c in set_cookie)

    verify = await auth.client.get("/api/v1/auth/verify")  # with the cookie
    assert verify.status_code == 200, verify.text
    body = verify.json()["data"]
    assert body["user"]["id"] == data["user"]["id"]
    assert body["session_id"] == data["session_id"]
    assert body["token_expires_at"] == data["expires_at"]


async def test_wrong_name_wrong_password_and_deactivated_get_one_answer(auth: AuthApp) -> None:
    await auth.add_user("bob")
    await auth.add_user("carol")
    async with auth.app.state.db.sessions() as db:
        from memoai.auth import service
        from memoai.auth.audit import CLI

        carol = await service.user_by_name(db, "carol")
        await service.set_active(db, carol, False, origin=CLI)
    answers = []
    for name, password in (("nobody", PASSWORD), ("bob", OTHER_PASSWORD), ("carol", PASSWORD)):
        response = await auth.client.post(
            "/api/v1/auth/login", json={"username": name, "password": password}
        )
        assert response.status_code == 401
        assert SESSION_COOKIE not in response.cookies
        error = response.json()["errors"][0]
        answers.append((error["code"], error["message"]))
    assert set(answers) == {("INVALID_CREDENTIALS", "Wrong username or password.")}


async def test_bearer_needs_no_csrf_but_the_cookie_does(
    db_url: str, tmp_path: object, config_dir: object
) -> None:
    from memoai.app import stop
    from tests.auth.support import auth_settings, open_auth_app

    opened = await open_auth_app(
        auth_settings(db_url, tmp_path, config_dir, csrf_protection=True)  # type: ignore[arg-type]
    )
    try:
        await opened.add_user("dana")
        data = await opened.login("dana")
        by_cookie = await opened.client.post("/api/v1/auth/refresh")
        assert by_cookie.status_code == 403
        assert by_cookie.json()["errors"][0]["code"] == "CSRF_FAILED"
        with_header = await opened.client.post(
            "/api/v1/auth/refresh", headers={"X-CSRF-Token": data["csrf_token"]}
        )
        assert with_header.status_code == 200, with_header.text
        opened.client.cookies.clear()
        by_bearer = await opened.client.post(
            "/api/v1/auth/refresh", headers=bearer(data["access_token"])
        )
        assert by_bearer.status_code == 200, by_bearer.text
    finally:
        await opened.client.aclose()
        await stop(opened.app)


async def test_logout_revokes_the_session_and_its_tokens(auth: AuthApp) -> None:
    await auth.add_user("erin")
    data = await auth.login("erin")
    auth.client.cookies.clear()
    token = data["access_token"]
    refreshed = await auth.client.post("/api/v1/auth/refresh", headers=bearer(token))
    second = refreshed.json()["data"]["access_token"]
    out = await auth.client.post("/api/v1/auth/logout", headers=bearer(token))
    assert out.status_code == 200 and out.json()["data"] == {"signed_out": True}
    for used in (token, second):
        after = await auth.client.get("/api/v1/auth/verify", headers=bearer(used))
        assert after.status_code == 401
        assert after.json()["errors"][0]["code"] == "UNAUTHORIZED"


async def test_parallel_refreshes_all_keep_working(auth: AuthApp) -> None:
    await auth.add_user("frank")
    data = await auth.login("frank")
    auth.client.cookies.clear()
    old = data["access_token"]
    answers = await asyncio.gather(
        *(auth.client.post("/api/v1/auth/refresh", headers=bearer(old)) for _ in range(2))
    )
    tokens = [old]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        refreshed = answer.json()["data"]
        assert refreshed["session_id"] == data["session_id"]
        tokens.append(refreshed["access_token"])
    assert len(set(tokens)) == 3  # every token is new (its own jti)
    for token in tokens:
        verify = await auth.client.get("/api/v1/auth/verify", headers=bearer(token))
        assert verify.status_code == 200, verify.text


async def test_deactivation_and_role_changes_apply_to_live_tokens(auth: AuthApp) -> None:
    from memoai.auth import service
    from memoai.auth.audit import CLI
    from memoai.auth.models import Role

    user = await auth.add_user("gina")
    await auth.add_user("root", role=Role.ADMIN)  # gina is never the last admin
    token = (await auth.login("gina"))["access_token"]
    auth.client.cookies.clear()
    async with auth.app.state.db.sessions() as db:
        gina = await service.user_by_name(db, "gina")
        await service.set_role(db, gina, Role.ADMIN, origin=CLI)
    verify = await auth.client.get("/api/v1/auth/verify", headers=bearer(token))
    assert verify.json()["data"]["user"]["role"] == "admin"
    async with auth.app.state.db.sessions() as db:
        gina = await service.user_by_name(db, "gina")
        await service.set_active(db, gina, False, origin=CLI)
    refused = await auth.client.get("/api/v1/auth/verify", headers=bearer(token))
    assert refused.status_code == 401
    assert user.id  # the account itself stays
