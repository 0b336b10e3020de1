"""From a verified token to the caller: its session row and its user, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from memoai.api import AppError, ErrorCode
from memoai.auth.models import Role, User
from memoai.auth.tokens import Claims
from memoai.sessions.caller import Caller
from memoai.sessions.models import Session
from memoai.sessions.service import SIGN_IN_AGAIN, keep_alive
from memoai.translations import N_

_SESSIONS: Table = Session.__table__  # type: ignore[assignment]
_USERS: Table = User.__table__  # type: ignore[assignment]
# Runs on every signed-in request: prebuilt, the user's role and state joined in.
_BY_ID = (
    select(
        _SESSIONS.c.id,
        _SESSIONS.c.user_id,
        _SESSIONS.c.expires_at,
        _SESSIONS.c.last_seen_at,
        _SESSIONS.c.revoked_at,
        _USERS.c.role,
        _USERS.c.is_active,
    )
    .select_from(_SESSIONS.outerjoin(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
    .where(_SESSIONS.c.id == bindparam("session_id", type_=_SESSIONS.c.id.type))
)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The caller of a token, with the two expiries a client may want to show."""

    caller: Caller
    session_expires_at: datetime
    token_expires_at: datetime


async def resolve_claims(conn: AsyncConnection, claims: Claims, timeout_seconds: int) -> SignedIn:
    """The live session a token names, slid forward; 401 when it or its user is gone."""
    row = (await conn.execute(_BY_ID, {"session_id": claims.session_id})).first()
    if row is not None and (row.user_id != claims.user_id or not row.is_active):
        raise AppError(
            401, ErrorCode.UNAUTHORIZED, N_("Your sign-in is no longer valid. Sign in again.")
        )
    live = await keep_alive(conn, row, timeout_seconds, SIGN_IN_AGAIN)
    assert row is not None  # keep_alive raised otherwise
    caller = Caller(session_id=live.id, user_id=claims.user_id, is_admin=row.role == Role.ADMIN)
    return SignedIn(caller, live.expires_at, claims.expires_at)
