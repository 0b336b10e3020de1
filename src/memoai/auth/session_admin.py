"""An administrator's hold on sessions: who is signed in where, and ending it (audited)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import not_found
from memoai.auth import audit
from memoai.auth.audit import Event, Origin
from memoai.auth.models import User
from memoai.sessions import service as sessions
from memoai.sessions.models import Session


async def sessions_page(
    db: AsyncSession,
    *,
    user_id: uuid.UUID | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Session, str | None]], int]:
    """A page of sessions, most recently seen first, each with its user's name (None: anonymous)."""
    page, total = await sessions.list_sessions(
        db, user_id=user_id, active=active, limit=limit, offset=offset
    )
    names = await _usernames(db, {s.user_id for s in page if s.user_id is not None})
    return [(s, names.get(s.user_id) if s.user_id else None) for s in page], total


async def _usernames(db: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row.id: row.username for row in rows}


async def revoke_one(db: AsyncSession, session_id: uuid.UUID, origin: Origin) -> int:
    """End one session (404 if there is none); 1 if it was live, 0 if it had already ended."""
    found = await sessions.end_session(db, session_id)
    if found is None:
        raise not_found("session")
    session, live = found
    user = await db.get(User, session.user_id) if session.user_id else None
    await audit.record(
        db,
        Event.SESSION_REVOKED,
        origin,
        reason="admin",
        user_id=session.user_id,
        username=user.username if user else None,
        details={"session_id": str(session_id), "sessions_ended": int(live)},
    )
    await db.commit()
    return int(live)


async def revoke_all(db: AsyncSession, user_id: uuid.UUID, origin: Origin) -> int:
    """End every live session of a user (404 for an unknown user); returns how many."""
    user = await db.get(User, user_id)
    if user is None:
        raise not_found("user")
    ended = await sessions.revoke_user_sessions(db, user.id)
    await audit.record(
        db,
        Event.SESSION_REVOKED,
        origin,
        reason="admin_all",
        user_id=user.id,
        username=user.username,
        details={"sessions_ended": ended},
    )
    await db.commit()
    return ended
