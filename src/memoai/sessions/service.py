"""Issuing, resolving, sliding and revoking server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.db import utcnow
from memoai.sessions.models import Session

TOKEN_BYTES = 32
# Sliding expiry is written at most this often, so reads do not turn into writes.
SLIDE_EVERY = timedelta(seconds=60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def create_session(
    db: AsyncSession,
    timeout_seconds: int,
    *,
    user_id: uuid.UUID | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> tuple[Session, str]:
    """Store a new session and return it with its one-time-visible token."""
    token = new_token()
    now = utcnow()
    session = Session(
        token_hash=hash_token(token),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=timeout_seconds),
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300] or None,
    )
    db.add(session)
    await db.commit()
    return session, token


async def resolve_session(db: AsyncSession, token: str, timeout_seconds: int) -> Session:
    """The live session behind a token, its expiry slid forward; raises for dead ones."""
    session = await db.scalar(select(Session).where(Session.token_hash == hash_token(token)))
    now = utcnow()
    if session is None or session.revoked_at is not None:
        raise AppError(
            401, ErrorCode.UNAUTHORIZED, "Your session is not valid. Start a new session."
        )
    if session.expires_at <= now:
        raise AppError(
            401,
            ErrorCode.SESSION_EXPIRED,
            "Your session has expired. Start a new session; your earlier work stays stored.",
        )
    if now - session.last_seen_at >= SLIDE_EVERY:
        session.last_seen_at = now
        session.expires_at = now + timedelta(seconds=timeout_seconds)
        await db.commit()
    return session


async def revoke_session(db: AsyncSession, session_id: uuid.UUID) -> None:
    """End one session at once."""
    await db.execute(update(Session).where(Session.id == session_id).values(revoked_at=utcnow()))
    await db.commit()


async def purge_expired(db: AsyncSession, older_than: datetime) -> int:
    """Delete sessions that expired or were revoked before `older_than`; returns the count."""
    result = await db.execute(
        delete(Session).where((Session.expires_at < older_than) | (Session.revoked_at < older_than))
    )
    await db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
