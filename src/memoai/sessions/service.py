"""Issuing, resolving, sliding and revoking server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.db import utcnow
from memoai.sessions.models import Session
from memoai.translations import N_, gettext

TOKEN_BYTES = 32
# Sliding expiry is written at most this often, so reads do not turn into writes.
SLIDE_EVERY = timedelta(seconds=60)

# Every request resolves its session: prebuilt Core statements, compiled once per process.
_SESSIONS: Table = Session.__table__  # type: ignore[assignment]
_BY_TOKEN = select(
    _SESSIONS.c.id,
    _SESSIONS.c.user_id,
    _SESSIONS.c.expires_at,
    _SESSIONS.c.last_seen_at,
    _SESSIONS.c.revoked_at,
).where(_SESSIONS.c.token_hash == bindparam("token_hash", type_=_SESSIONS.c.token_hash.type))
_SLIDE = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("session_id", type_=_SESSIONS.c.id.type))
    .values(
        last_seen_at=bindparam("now", type_=_SESSIONS.c.last_seen_at.type),
        expires_at=bindparam("until", type_=_SESSIONS.c.expires_at.type),
    )
)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """What a request needs of its session."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    expires_at: datetime


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


async def resolve_session(conn: AsyncConnection, token: str, timeout_seconds: int) -> LiveSession:
    """The live session behind a token, its expiry slid forward; raises for dead ones."""
    row = (await conn.execute(_BY_TOKEN, {"token_hash": hash_token(token)})).first()
    return await keep_alive(conn, row, timeout_seconds, STARTS_AGAIN)


STARTS_AGAIN = N_("Start a new session")
SIGN_IN_AGAIN = N_("Sign in again")


async def keep_alive(
    conn: AsyncConnection, row: Any, timeout_seconds: int, what_next: str
) -> LiveSession:
    """Check a session row (id, user_id, expires_at, last_seen_at, revoked_at) and slide it."""
    now = utcnow()
    if row is None or row.revoked_at is not None:
        raise AppError(
            401,
            ErrorCode.UNAUTHORIZED,
            N_("Your session is not valid. %(what_next)s."),
            values={"what_next": gettext(what_next)},
        )
    if row.expires_at <= now:
        raise AppError(
            401,
            ErrorCode.SESSION_EXPIRED,
            N_("Your session has expired. %(what_next)s; your earlier work stays stored."),
            values={"what_next": gettext(what_next)},
        )
    expires_at = row.expires_at
    if now - row.last_seen_at >= SLIDE_EVERY:
        expires_at = now + timedelta(seconds=timeout_seconds)
        await conn.execute(_SLIDE, {"session_id": row.id, "now": now, "until": expires_at})
        await conn.commit()
    return LiveSession(id=row.id, user_id=row.user_id, expires_at=expires_at)


async def revoke_session(db: AsyncSession, session_id: uuid.UUID) -> None:
    """End one session at once."""
    await db.execute(update(Session).where(Session.id == session_id).values(revoked_at=utcnow()))
    await db.commit()


async def end_session(db: AsyncSession, session_id: uuid.UUID) -> tuple[Session, bool] | None:
    """Revoke one session by id (None if there is none) and say whether it was still open.

    Not committed: an administrator's revocation is committed with its audit row.
    """
    session = await db.get(Session, session_id)
    if session is None:
        return None
    open_now = session.revoked_at is None
    if open_now:
        session.revoked_at = utcnow()
    return session, open_now


def is_live(session: Session, now: datetime) -> bool:
    """Neither revoked nor idled out."""
    return session.revoked_at is None and session.expires_at > now


def _live_filter(active: bool | None, now: datetime) -> ColumnElement[bool]:
    live = Session.revoked_at.is_(None) & (Session.expires_at > now)
    if active is None:
        return true()
    return live if active else ~live


async def list_sessions(
    db: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Session], int]:
    """A page of sessions, the most recently seen first, with the total that match."""
    where = [_live_filter(active, utcnow())]
    if user_id is not None:
        where.append(Session.user_id == user_id)
    total = await db.scalar(select(func.count()).select_from(Session).where(*where))
    rows = await db.scalars(
        select(Session)
        .where(*where)
        .order_by(Session.last_seen_at.desc(), Session.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def purge_expired(db: AsyncSession, older_than: datetime) -> int:
    """Delete sessions that expired or were revoked before `older_than`; returns the count."""
    result = await db.execute(
        delete(Session).where((Session.expires_at < older_than) | (Session.revoked_at < older_than))
    )
    await db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def revoke_user_sessions(
    db: AsyncSession, user_id: uuid.UUID, keep: uuid.UUID | None = None
) -> int:
    """End every live session of a user (but `keep`); returns how many were ended."""
    query = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if keep is not None:
        query = query.where(Session.id != keep)
    result = await db.execute(query.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
