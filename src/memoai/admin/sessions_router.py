"""Sessions for administrators: who is signed in where; end one, or all of a user's."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from memoai.admin.account_schemas import Revoked, SessionItem, SessionPage
from memoai.admin.queries import AdminQueryDep, Flag, LimitQuery, OffsetQuery
from memoai.api import CALLER, LIMITED, WRITES, Envelope, errors, wrap
from memoai.auth import session_admin
from memoai.auth.router import origin_of
from memoai.db import utcnow
from memoai.deps import AdminDep, DbDep

router = APIRouter(prefix="/api/v1/admin/sessions", tags=["admin: sessions"])


@router.get(
    "",
    summary="Sessions, the most recently seen first (anonymous ones have no user)",
    response_model=Envelope[SessionPage],
    responses=errors(*LIMITED, *CALLER, 403, 422, 507),
)
async def list_sessions(
    _: AdminQueryDep,
    db: DbDep,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this user's")] = None,
    active: Annotated[
        Flag | None, Query(description="true: only live ones; false: only ended ones")
    ] = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Envelope[SessionPage]:
    rows, total = await session_admin.sessions_page(
        db, user_id=user_id, active=active, limit=limit, offset=offset
    )
    now = utcnow()
    items = [SessionItem.of(session, name, now) for session, name in rows]
    return wrap(SessionPage(items=items, total=total, limit=limit, offset=offset))


@router.delete(
    "/{session_id}",
    summary="End one session (every token issued for it stops working)",
    response_model=Envelope[Revoked],
    responses=errors(*LIMITED, *CALLER, *WRITES, 404, 422),
)
async def revoke_session(
    session_id: uuid.UUID, caller: AdminDep, request: Request, db: DbDep
) -> Envelope[Revoked]:
    ended = await session_admin.revoke_one(db, session_id, origin_of(request, caller.user_id))
    return wrap(Revoked(revoked=ended))


@router.delete(
    "",
    summary="End every session of a user",
    response_model=Envelope[Revoked],
    responses=errors(*LIMITED, *CALLER, *WRITES, 404, 422),
)
async def revoke_user_sessions(
    user_id: Annotated[uuid.UUID, Query(description="The user whose sessions end")],
    caller: AdminQueryDep,
    request: Request,
    db: DbDep,
) -> Envelope[Revoked]:
    ended = await session_admin.revoke_all(db, user_id, origin_of(request, caller.user_id))
    return wrap(Revoked(revoked=ended))
