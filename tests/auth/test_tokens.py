"""JWTs: previous keys still accepted, tampered, foreign and expired tokens refused."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from pathlib import Path

import jwt

from memoai.app import stop
from memoai.auth.tokens import TokenCodec
from tests.auth.support import SECRET, AuthApp, auth_settings, bearer, open_auth_app

OLD_SECRET = "the-previous-secret-" + "p" * 32


async def verify(auth: AuthApp, token: str) -> tuple[int, str]:
    auth.client.cookies.clear()
    response = await auth.client.get("/api/v1/auth/verify", headers=bearer(token))
    errors = response.json()["errors"]
    return response.status_code, errors[0]["code"] if errors else ""


async def test_tokens_of_a_previous_key_stay_valid_after_rotation(
    db_url: str, tmp_path: Path, config_dir: Path
) -> None:
    before = await open_auth_app(
        auth_settings(db_url, tmp_path, config_dir, jwt_secret_key=OLD_SECRET)
    )
    await before.add_user("lena")
    old_token = (await before.login("lena"))["access_token"]
    await before.client.aclose()
    await stop(before.app)

    after = await open_auth_app(
        auth_settings(db_url, tmp_path, config_dir, jwt_previous_secret_keys=f" {OLD_SECRET} ,")
    )
    try:
        assert await verify(after, old_token) == (200, "")
        refreshed = await after.client.post("/api/v1/auth/refresh", headers=bearer(old_token))
        new_token = refreshed.json()["data"]["access_token"]
        jwt.decode(new_token, SECRET, algorithms=["HS256"])  # signed with the current key
    finally:
        await after.client.aclose()
        await stop(after.app)

    without = await open_auth_app(auth_settings(db_url, tmp_path, config_dir))
    try:
        assert await verify(without, old_token) == (401, "UNAUTHORIZED")
    finally:
        await without.client.aclose()
        await stop(without.app)


async def test_tampered_foreign_and_expired_tokens_are_refused(auth: AuthApp) -> None:
    await auth.add_user("mike")
    admin = await auth.add_user("root", role="admin")  # type: ignore[arg-type]
    data = await auth.login("mike")
    token = data["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(admin.id)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert await verify(auth, f"{header}.{forged}.{signature}") == (401, "UNAUTHORIZED")
    assert await verify(auth, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")) == (
        401,
        "UNAUTHORIZED",
    )
    session_id, user_id = uuid.UUID(data["session_id"]), uuid.UUID(data["user"]["id"])
    foreign = TokenCodec("some-other-key-" + "x" * 32, [], timedelta(hours=1))
    assert await verify(auth, foreign.issue(session_id, user_id)[0]) == (401, "UNAUTHORIZED")
    expired = TokenCodec(SECRET, [], timedelta(seconds=-60))
    assert await verify(auth, expired.issue(session_id, user_id)[0]) == (401, "SESSION_EXPIRED")
    wrong_user = TokenCodec(SECRET, [], timedelta(hours=1)).issue(session_id, admin.id)[0]
    assert await verify(auth, wrong_user) == (401, "UNAUTHORIZED")
    assert await verify(auth, "not.a.jwt") == (401, "UNAUTHORIZED")
    assert await verify(auth, token) == (200, "")


def test_without_a_configured_key_one_is_kept_on_the_data_volume(tmp_path: Path) -> None:
    from memoai.auth.tokens import KEY_FILE, signing_key
    from memoai.settings import Settings

    settings = Settings(data_dir=tmp_path, jwt_secret_key=None)
    first = signing_key(settings)
    assert len(first) == 64 and signing_key(settings) == first
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0
