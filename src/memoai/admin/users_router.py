"""Accounts for administrators: list, create, read, edit, set a temporary password."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from memoai.admin.account_schemas import TemporaryPassword, UserCreate, UserPage, UserPatch
from memoai.admin.queries import AdminQueryDep, LimitQuery, OffsetQuery
from memoai.api import CALLER, JSON_BODY, LIMITED, WRITES, Envelope, errors, not_found, wrap
from memoai.auth import service
from memoai.auth.models import Role, User
from memoai.auth.router import origin_of
from memoai.auth.schemas import UserOut
from memoai.deps import AdminDep, ConfigDep, DbDep, SettingsDep

router = APIRouter(prefix="/api/v1/users", tags=["admin: users"])
READS = (*LIMITED, *CALLER, 403, 507)
CHANGES = (*LIMITED, *CALLER, *WRITES, *JSON_BODY)


async def _user(db: DbDep, user_id: uuid.UUID) -> User:
    user = await service.get_user(db, user_id)
    if user is None:
        raise not_found("user")
    return user


@router.get(
    "",
    summary="Users by name, a page at a time",
    response_model=Envelope[UserPage],
    responses=errors(*READS, 422),
)
async def list_users(
    _: AdminQueryDep,
    db: DbDep,
    q: Annotated[
        str | None, Query(max_length=64, description="Part of the username or display name")
    ] = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Envelope[UserPage]:
    users, total = await service.search_users(db, q, limit, offset)
    items = [UserOut.of(u) for u in users]
    return wrap(UserPage(items=items, total=total, limit=limit, offset=offset))


@router.post(
    "",
    status_code=201,
    summary="Create a user",
    response_model=Envelope[UserOut],
    responses=errors(*CHANGES, 409),
)
async def create_user(
    body: UserCreate,
    caller: AdminDep,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    config: ConfigDep,
) -> Envelope[UserOut]:
    user = await service.create_user(
        db,
        body.username,
        body.password,
        policy=config.auth.authentication.security,
        rounds=settings.bcrypt_rounds,
        origin=origin_of(request, caller.user_id),
        display_name=body.display_name,
        role=Role(body.role),
    )
    return wrap(UserOut.of(user))


@router.get(
    "/{user_id}",
    summary="One user",
    response_model=Envelope[UserOut],
    responses=errors(*READS, 404, 422),
)
async def get_user(user_id: uuid.UUID, _: AdminDep, db: DbDep) -> Envelope[UserOut]:
    return wrap(UserOut.of(await _user(db, user_id)))


@router.patch(
    "/{user_id}",
    summary="Change a user's display name, role or state (deactivating ends their sessions)",
    response_model=Envelope[UserOut],
    responses=errors(*CHANGES, 404, 409),
)
async def update_user(
    user_id: uuid.UUID, body: UserPatch, caller: AdminDep, request: Request, db: DbDep
) -> Envelope[UserOut]:
    user = await service.update_user(
        db,
        await _user(db, user_id),
        origin=origin_of(request, caller.user_id),
        display_name=body.display_name,
        role=Role(body.role) if body.role else None,
        is_active=body.is_active,
    )
    return wrap(UserOut.of(user))


@router.post(
    "/{user_id}/password",
    summary="Set a temporary password the user must change at next sign-in; ends their sessions",
    response_model=Envelope[UserOut],
    responses=errors(*CHANGES, 404),
)
async def set_temporary_password(
    user_id: uuid.UUID,
    body: TemporaryPassword,
    caller: AdminDep,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    config: ConfigDep,
) -> Envelope[UserOut]:
    user = await _user(db, user_id)
    await service.set_password(
        db,
        user,
        body.password,
        policy=config.auth.authentication.security,
        rounds=settings.bcrypt_rounds,
        origin=origin_of(request, caller.user_id),
        must_change=True,
        field="password",
    )
    return wrap(UserOut.of(user))
