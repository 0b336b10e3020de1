"""The administrator's status (health, activity, usage and cost) and the per-user budgets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from memoai.admin.queries import AdminQueryDep
from memoai.api import CALLER, JSON_BODY, LIMITED, WRITES, Envelope, errors, not_found, wrap
from memoai.auth import service
from memoai.auth.audit import Event, record
from memoai.auth.router import origin_of
from memoai.db import utcnow
from memoai.deps import AdminDep, DbDep, SettingsDep
from memoai.evaluations import budgets
from memoai.ops.status import AdminStatus, admin_status

router = APIRouter(prefix="/api/v1/admin", tags=["admin: status and budgets"])
READS = (*LIMITED, *CALLER, 403, 422, 507)
CHANGES = (*LIMITED, *CALLER, *WRITES, *JSON_BODY, 404)
MAX_DAYS = 366


@router.get(
    "/status",
    summary="Health, activity, tokens and estimated cost (per day, model and top user), budgets",
    response_model=Envelope[AdminStatus],
    responses=errors(*READS),
)
async def status(
    _: AdminQueryDep,
    db: DbDep,
    request: Request,
    days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="Usage of the last N UTC days, today included")
    ] = 30,
) -> Envelope[AdminStatus]:
    # Core rows on the session's connection: no ORM loading for thousands of grouped rows.
    return wrap(await admin_status(await db.connection(), request.app.state, days))


class BudgetSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_budget_usd: float | None = Field(
        ge=0,
        le=1_000_000,
        description="The user's own daily budget in USD (higher or lower than the default); "
        "null: no budget at all",
    )


class BudgetOut(BaseModel):
    user_id: uuid.UUID
    username: str
    daily_budget_usd: float | None = Field(description="In force for this user; null: none")
    source: budgets.Source = Field(
        description="default: LLM_DAILY_BUDGET_USD; user: their own; none: no budget"
    )
    default_daily_usd: float | None
    spent_today_usd: float = Field(description="Estimated cost of today's evaluations (UTC)")
    resets_at: datetime = Field(description="The next 00:00 UTC")
    updated_at: datetime | None = None
    updated_by: str | None = None


async def _budget_out(db: DbDep, settings: SettingsDep, user_id: uuid.UUID) -> BudgetOut:
    user = await service.get_user(db, user_id)
    if user is None:
        raise not_found("user")
    own = (await budgets.overrides(db, user_id)).get(user_id)
    budget = budgets.in_force(own, settings.llm_daily_budget_usd)
    now = utcnow()
    return BudgetOut(
        user_id=user.id,
        username=user.username,
        daily_budget_usd=budget.daily_usd,
        source=budget.source,
        default_daily_usd=settings.llm_daily_budget_usd,
        spent_today_usd=await _spent_today(db, user_id, now),
        resets_at=budgets.resets_at(now),
        updated_at=own.updated_at if own else None,
        updated_by=own.updated_by if own else None,
    )


async def _spent_today(db: DbDep, user_id: uuid.UUID, now: datetime) -> float:
    since = budgets.day_start(now)
    return round(await budgets.spent_since(db, since, user_id=user_id, session_id=None), 6)


@router.get(
    "/budgets/{user_id}",
    summary="A user's daily budget in force, where it comes from, and today's spending",
    response_model=Envelope[BudgetOut],
    responses=errors(*READS, 404),
)
async def get_budget(
    user_id: uuid.UUID, _: AdminQueryDep, db: DbDep, settings: SettingsDep
) -> Envelope[BudgetOut]:
    return wrap(await _budget_out(db, settings, user_id))


@router.put(
    "/budgets/{user_id}",
    summary="Give a user their own daily budget (a number, or null for no budget)",
    response_model=Envelope[BudgetOut],
    responses=errors(*CHANGES),
)
async def put_budget(
    user_id: uuid.UUID,
    body: BudgetSet,
    caller: AdminDep,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
) -> Envelope[BudgetOut]:
    user = await service.get_user(db, user_id)
    if user is None:
        raise not_found("user")
    admin = await service.user_of(db, caller)
    await budgets.set_budget(db, user_id, body.daily_budget_usd, admin.username)
    details = {"daily_budget_usd": body.daily_budget_usd, "budget": "user"}
    await _audit(db, request, caller.user_id, user.id, user.username, details)
    return wrap(await _budget_out(db, settings, user_id))


@router.delete(
    "/budgets/{user_id}",
    summary="Put a user back on the default daily budget (LLM_DAILY_BUDGET_USD)",
    response_model=Envelope[BudgetOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, 404, 422),
)
async def delete_budget(
    user_id: uuid.UUID, caller: AdminDep, request: Request, db: DbDep, settings: SettingsDep
) -> Envelope[BudgetOut]:
    user = await service.get_user(db, user_id)
    if user is None:
        raise not_found("user")
    if await budgets.clear_budget(db, user_id):
        await _audit(db, request, caller.user_id, user.id, user.username, {"budget": "default"})
    return wrap(await _budget_out(db, settings, user_id))


async def _audit(
    db: DbDep,
    request: Request,
    actor: uuid.UUID | None,
    user_id: uuid.UUID,
    username: str,
    details: dict[str, Any],
) -> None:
    origin = origin_of(request, actor)
    await record(
        db, Event.USER_CHANGED, origin, user_id=user_id, username=username, details=details
    )
    await db.commit()
