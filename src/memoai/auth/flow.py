"""Signing in and out: the lockout guard, one bcrypt check, the session row, the audit rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.auth import audit, service
from memoai.auth.audit import Event, Origin
from memoai.auth.lockout import account_locked
from memoai.auth.models import User
from memoai.auth.runtime import AuthRuntime
from memoai.configs.schemas import AuthSecurity
from memoai.db import utcnow
from memoai.sessions.caller import Caller
from memoai.sessions.service import create_session, revoke_session
from memoai.settings import Settings
from memoai.translations import N_

WRONG = N_("Wrong username or password.")


@dataclass(frozen=True)
class Issued:
    """A signed-in session and its token."""

    user: User
    session_id: uuid.UUID
    session_expires_at: datetime
    token: str
    token_expires_at: datetime


async def login(
    db: AsyncSession,
    auth: AuthRuntime,
    settings: Settings,
    policy: AuthSecurity,
    username: str,
    password: str,
    origin: Origin,
) -> Issued:
    """Check the guard, the password and the account; open a session and sign a token."""
    address = origin.ip_address or "unknown"
    try:
        await auth.guard.check(username, address)
    except AppError as exc:
        refused = "locked" if exc.code == ErrorCode.ACCOUNT_LOCKED else "address_limited"
        await _failed(db, origin, username, None, refused)
        raise
    user, reason = await service.authenticate(db, username, password, settings.bcrypt_rounds)
    if reason is not None:
        locked_for = await auth.guard.failed(username, address, policy)
        await _failed(db, origin, username, user, reason, locked_for)
        if locked_for:
            raise account_locked(locked_for)
        raise AppError(401, ErrorCode.INVALID_CREDENTIALS, WRONG)
    assert user is not None
    await auth.guard.succeeded(username)
    user.last_login_at = utcnow()
    await audit.record(db, Event.LOGIN, origin, user_id=user.id, username=user.username)
    session, _ = await create_session(  # commits the login and the audit row with it
        db,
        settings.session_timeout,
        user_id=user.id,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
    )
    token, token_expires_at = auth.codec.issue(session.id, user.id)
    return Issued(user, session.id, session.expires_at, token, token_expires_at)


async def _failed(
    db: AsyncSession,
    origin: Origin,
    username: str,
    user: User | None,
    reason: str,
    locked_for: int = 0,
) -> None:
    """Audit a refused sign-in (and the lockout it caused)."""
    user_id = user.id if user is not None else None
    tried = username.strip()[:64]
    await audit.record(
        db, Event.LOGIN, origin, outcome="failure", reason=reason, user_id=user_id, username=tried
    )
    if locked_for:
        await audit.record(
            db,
            Event.LOCKOUT,
            origin,
            reason="too_many_failures",
            user_id=user_id,
            username=tried,
            details={"seconds": locked_for},
        )
    await db.commit()


async def logout(
    db: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID | None, origin: Origin
) -> None:
    """Revoke the caller's session (every token issued for it stops working)."""
    await audit.record(db, Event.LOGOUT, origin, user_id=user_id)
    await revoke_session(db, session_id)  # commits both


async def change_password(
    db: AsyncSession,
    auth: AuthRuntime,
    settings: Settings,
    policy: AuthSecurity,
    caller: Caller,
    current: str,
    new: str,
    origin: Origin,
) -> int:
    """Check the current password (counted like a sign-in), set the new one, end other sessions."""
    user = await service.user_of(db, caller)
    address = origin.ip_address or "unknown"
    await auth.guard.check(user.username, address)
    _, reason = await service.authenticate(db, user.username, current, settings.bcrypt_rounds)
    if reason is not None:
        locked_for = await auth.guard.failed(user.username, address, policy)
        await audit.record(
            db,
            Event.PASSWORD_CHANGED,
            origin,
            outcome="failure",
            reason="wrong_current_password",
            user_id=user.id,
            username=user.username,
        )
        await db.commit()
        if locked_for:
            raise account_locked(locked_for)
        raise AppError(
            422,
            ErrorCode.INVALID_CREDENTIALS,
            N_("The current password is wrong."),
            field="current_password",
        )
    await auth.guard.succeeded(user.username)
    return await service.set_password(
        db,
        user,
        new,
        policy=policy,
        rounds=settings.bcrypt_rounds,
        origin=origin,
        keep_session=caller.session_id,
    )
