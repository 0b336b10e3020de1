"""Anonymous sessions: httpOnly cookie, expiry, CSRF double-submit, API-client header."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from memoai.app import stop
from memoai.db import utcnow
from memoai.sessions.models import Session

from helpers import ApiClient, make_settings, open_client


async def test_session_cookie_is_http_only_and_reused(app_client: ApiClient) -> None:
    response = await app_client.post("/api/v1/sessions")
    assert response.status_code == 201
    cookie_header = "; ".join(response.headers.get_list("set-cookie"))
    assert "memoai_session=" in cookie_header and "HttpOnly" in cookie_header
    data = response.json()["data"]
    assert len(data["token"]) >= 43  # 32 random bytes, base64url
    again = await app_client.post("/api/v1/sessions")
    assert again.status_code == 200
    assert again.json()["data"]["session_id"] == data["session_id"]
    current = await app_client.get("/api/v1/sessions/current")
    assert current.json()["data"]["session_id"] == data["session_id"]


async def test_no_session_is_unauthorized(app_client: ApiClient) -> None:
    response = await app_client.get("/api/v1/evaluations")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


async def test_token_header_for_api_clients(app_client: ApiClient) -> None:
    token = (await app_client.start_session())["token"]
    app_client.cookies.clear()
    response = await app_client.get("/api/v1/evaluations", headers={"X-Session-Token": token})
    assert response.status_code == 200
    bearer = await app_client.get(
        "/api/v1/evaluations", headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 200


async def test_expired_session(client: ApiClient) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.db.sessions() as db:
        await db.execute(update(Session).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    response = await client.get("/api/v1/evaluations")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "SESSION_EXPIRED"


async def test_a_used_session_slides_forward(client: ApiClient) -> None:
    """Seen over a minute ago and close to expiring: a request moves its expiry forward."""
    app = client._transport.app  # type: ignore[attr-defined]
    long_ago, soon = utcnow() - timedelta(minutes=5), utcnow() + timedelta(minutes=1)
    async with app.state.db.sessions() as db:
        await db.execute(update(Session).values(last_seen_at=long_ago, expires_at=soon))
        await db.commit()
    assert (await client.get("/api/v1/evaluations")).status_code == 200
    async with app.state.db.sessions() as db:
        session = (await db.scalars(select(Session))).one()
    timeout = timedelta(seconds=app.state.settings.session_timeout)
    assert session.last_seen_at > long_ago + timedelta(minutes=4)
    assert session.expires_at >= session.last_seen_at + timeout - timedelta(seconds=1)
    # Seen just now: the next request reads only (the expiry is written at most once a minute).
    assert (await client.get("/api/v1/evaluations")).status_code == 200
    async with app.state.db.sessions() as db:
        assert (await db.scalars(select(Session))).one().expires_at == session.expires_at


async def test_ended_session_is_refused(client: ApiClient) -> None:
    assert (await client.delete("/api/v1/sessions/current")).status_code == 200
    response = await client.get("/api/v1/evaluations")
    assert response.status_code == 401


async def test_csrf_double_submit(db_url: str, tmp_path: Path, config_dir: Path) -> None:
    settings = make_settings(db_url, tmp_path, config_dir, csrf_protection=True)
    app, client = await open_client(settings)
    try:
        data = await client.start_session()
        body = {"text_content": "We request approval. Please approve."}
        refused = await client.post("/api/v1/evaluations", json=body)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["code"] == "CSRF_FAILED"
        wrong = await client.post(
            "/api/v1/evaluations", json=body, headers={"X-CSRF-Token": "forged"}
        )
        assert wrong.status_code == 403
        accepted = await client.post(
            "/api/v1/evaluations", json=body, headers={"X-CSRF-Token": data["csrf_token"]}
        )
        assert accepted.status_code == 201
        # Reads need no token; header-authenticated API clients are not cookie-bound.
        assert (await client.get("/api/v1/evaluations")).status_code == 200
        client.cookies.clear()
        header_client = await client.post(
            "/api/v1/evaluations", json=body, headers={"X-Session-Token": data["token"]}
        )
        assert header_client.status_code == 200  # identical request reused
    finally:
        await client.aclose()
        await stop(app)
