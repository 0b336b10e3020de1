"""Changing one's password ends one's other sessions; the audit log records, never a secret."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from memoai.auth import service
from memoai.auth.audit import CLI
from memoai.auth.models import AuditEvent
from tests.auth.support import OTHER_PASSWORD, PASSWORD, AuthApp, bearer


async def audit_rows(auth: AuthApp) -> list[AuditEvent]:
    async with auth.app.state.db.sessions() as db:
        query = select(AuditEvent).order_by(AuditEvent.at)
        return list((await db.execute(query)).scalars().all())


async def test_password_change_ends_the_other_sessions(auth: AuthApp) -> None:
    await auth.add_user("paul", must_change_password=True)
    first = (await auth.login("paul"))["access_token"]
    second = (await auth.login("paul"))["access_token"]
    auth.client.cookies.clear()
    path = "/api/v1/auth/password"
    weak = await auth.client.post(
        path,
        headers=bearer(first),
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422
    error = weak.json()["errors"][0]
    assert error["code"] == "PASSWORD_REJECTED" and "at least 12" in error["message"]
    wrong = await auth.client.post(
        path,
        headers=bearer(first),
        json={"current_password": OTHER_PASSWORD, "new_password": OTHER_PASSWORD},
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "INVALID_CREDENTIALS"
    changed = await auth.client.post(
        path,
        headers=bearer(first),
        json={"current_password": PASSWORD, "new_password": OTHER_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"] == {"changed": True, "other_sessions_ended": 1}
    mine = await auth.client.get("/api/v1/auth/verify", headers=bearer(first))
    assert mine.status_code == 200
    assert mine.json()["data"]["user"]["must_change_password"] is False
    other = await auth.client.get("/api/v1/auth/verify", headers=bearer(second))
    assert other.status_code == 401
    refused = await auth.client.post(
        "/api/v1/auth/login", json={"username": "paul", "password": PASSWORD}
    )
    assert refused.status_code == 401
    await auth.login("paul", OTHER_PASSWORD)


async def test_the_audit_log_records_events_but_never_secrets(auth: AuthApp) -> None:
    await auth.add_user("quinn")
    await auth.client.post(
        "/api/v1/auth/login",
        json={"username": "quinn", "password": OTHER_PASSWORD},
        headers={"User-Agent": "audit-test/1.0", "X-Request-ID": "req-audit-1"},
    )
    token = (await auth.login("quinn"))["access_token"]
    auth.client.cookies.clear()
    await auth.client.post(
        "/api/v1/auth/password",
        headers=bearer(token),
        json={"current_password": PASSWORD, "new_password": "a different passphrase"},
    )
    await auth.client.post("/api/v1/auth/logout", headers=bearer(token))
    async with auth.app.state.db.sessions() as db:
        quinn = await service.user_by_name(db, "quinn")
        await service.set_active(db, quinn, False, origin=CLI)
    for _ in range(5):
        await auth.client.post(
            "/api/v1/auth/login", json={"username": "ghost", "password": "Hunter2-secret!"}
        )

    rows = await audit_rows(auth)
    events = [(r.event, r.outcome, r.reason) for r in rows]
    assert events[0] == ("user_created", "success", None)
    assert ("login", "failure", "wrong_password") in events
    assert ("login", "success", None) in events
    assert ("password_changed", "success", "by_self") in events
    assert ("logout", "success", None) in events
    assert ("user_changed", "success", "deactivated") in events
    assert ("login", "failure", "unknown_user") in events
    assert ("lockout", "success", "too_many_failures") in events
    failure = next(r for r in rows if r.reason == "wrong_password")
    assert failure.user_agent == "audit-test/1.0" and failure.request_id == "req-audit-1"
    assert failure.ip_address and failure.username == "quinn" and failure.user_id is not None
    columns = [column.name for column in AuditEvent.__table__.columns]
    dumped = json.dumps([{c: str(getattr(r, c)) for c in columns} for r in rows])
    for secret in (PASSWORD, OTHER_PASSWORD, "a different passphrase", "Hunter2-secret!", token):
        assert secret not in dumped
    assert "$2b$" not in dumped


async def test_concurrent_logins_do_not_stall_other_requests(
    db_url: str, tmp_path: object, config_dir: object
) -> None:
    from memoai.app import stop
    from tests.auth.support import auth_settings, open_auth_app

    # A cost where 20 checks take a few hundred milliseconds on two threads.
    opened = await open_auth_app(auth_settings(db_url, tmp_path, config_dir, bcrypt_rounds=9))  # type: ignore[arg-type]
    try:
        await opened.add_user("rita")
        logins = [
            asyncio.ensure_future(
                opened.client.post(
                    "/api/v1/auth/login", json={"username": "rita", "password": PASSWORD}
                )
            )
            for _ in range(20)
        ]
        await asyncio.sleep(0.02)  # the logins are in the bcrypt pool now
        health = await opened.client.get("/health")
        assert health.status_code == 200
        pending = sum(not login.done() for login in logins)
        answers = await asyncio.gather(*logins)
        assert pending > 0, "the health check waited for every login"
        assert [a.status_code for a in answers] == [200] * 20
    finally:
        await opened.client.aclose()
        await stop(opened.app)
