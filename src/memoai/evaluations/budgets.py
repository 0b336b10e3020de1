"""Daily model budgets: the default (LLM_DAILY_BUDGET_USD) and an administrator's per-user one.

A day is the UTC calendar day: spending counts from 00:00 UTC and the budget resets at the next
00:00 UTC. What counts is the estimated cost of the caller's evaluations (the providers report
their tokens; chat replies are estimated from their length, and are shown in the admin status
but not counted here).
A user's own budget is a row of `user_budgets`: a number (higher or lower than the default),
or NULL for "no budget"; no row means the default applies.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ForeignKey, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from memoai.api import AppError, ErrorCode
from memoai.auth.audit import Event
from memoai.auth.models import AuditEvent
from memoai.db import Base, Executor, utcnow
from memoai.evaluations.models import Evaluation
from memoai.sessions.caller import Caller
from memoai.translations import N_

Source = Literal["default", "user", "none"]


class UserBudget(Base):
    """A user's own daily budget in USD; NULL means no budget at all."""

    __tablename__ = "user_budgets"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    daily_usd: Mapped[float | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


@dataclass(frozen=True, slots=True)
class Budget:
    """The budget in force for one caller: the amount (None: unlimited) and where it is from."""

    daily_usd: float | None
    source: Source


def day_start(now: datetime) -> datetime:
    """00:00 UTC of the day `now` is in."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def resets_at(now: datetime) -> datetime:
    """When today's spending starts again from zero: the next 00:00 UTC."""
    return day_start(now) + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Override:
    """A user's own budget as stored (daily_usd None: no budget)."""

    daily_usd: float | None
    updated_at: datetime
    updated_by: str


_OVERRIDES = select(
    UserBudget.user_id, UserBudget.daily_usd, UserBudget.updated_at, UserBudget.updated_by
)


def in_force(override: Override | None, default: float | None) -> Budget:
    if override is None:
        return Budget(default, "default")
    if override.daily_usd is None:
        return Budget(None, "none")
    return Budget(override.daily_usd, "user")


async def budget_of(db: Executor, caller: Caller, default: float | None) -> Budget:
    """The caller's budget: a signed-in user's own one if an administrator set it."""
    if caller.user_id is None:
        return Budget(default, "default")
    return in_force((await overrides(db, caller.user_id)).get(caller.user_id), default)


async def spent_since(
    db: Executor, since: datetime, *, user_id: uuid.UUID | None, session_id: uuid.UUID | None
) -> float:
    """Estimated USD of a user's (or else an anonymous session's) evaluations since `since`."""
    if user_id is not None:
        mine = Evaluation.user_id == user_id
    else:
        mine = Evaluation.session_id == session_id
    total = await db.scalar(
        select(func.coalesce(func.sum(Evaluation.cost_usd), 0.0)).where(
            mine, Evaluation.created_at >= since
        )
    )
    return float(total or 0.0) + await _deleted_since(db, since, user_id, session_id)


_DELETIONS = (str(Event.MEMO_DELETED), str(Event.DATA_DELETED))


async def _deleted_since(
    db: Executor, since: datetime, user_id: uuid.UUID | None, session_id: uuid.UUID | None
) -> float:
    """What memos deleted since `since` had cost that day: deleting keeps the spending counted
    (the audit entry of a deletion carries it as `cost_usd_today`, never the memo)."""
    owner = AuditEvent.user_id == user_id if user_id is not None else AuditEvent.user_id.is_(None)
    rows = await db.execute(
        select(AuditEvent.details).where(
            AuditEvent.event.in_(_DELETIONS), AuditEvent.at >= since, owner
        )
    )
    session = None if user_id is not None else str(session_id)
    return sum(
        float(details.get("cost_usd_today") or 0.0)
        for (details,) in rows
        if session is None or details.get("session_id") == session
    )


async def check(db: Executor, caller: Caller, default: float | None) -> None:
    """429 BUDGET_EXCEEDED when the caller's budget for today is spent."""
    budget = await budget_of(db, caller, default)
    if budget.daily_usd is None:
        return
    now = utcnow()
    spent = await spent_since(
        db, day_start(now), user_id=caller.user_id, session_id=caller.session_id
    )
    if spent < budget.daily_usd:
        return
    reset = resets_at(now)
    wait = max(1, math.ceil((reset - now).total_seconds()))
    hours, minutes = divmod(math.ceil(wait / 60), 60)
    raise AppError(
        429,
        ErrorCode.BUDGET_EXCEEDED,
        N_(
            "Today's model budget ($%(budget)s) is spent ($%(spent)s used). It resets at "
            "00:00 UTC, in %(hours)s h %(minutes)s min; your memo was not sent. "
            "An administrator can raise your budget."
        ),
        values={
            "budget": f"{budget.daily_usd:.2f}",
            "spent": f"{spent:.2f}",
            "hours": hours,
            "minutes": minutes,
        },
        details={
            "spent_usd": round(spent, 4),
            "budget_usd": budget.daily_usd,
            "budget_source": budget.source,
            "resets_at": reset.isoformat().replace("+00:00", "Z"),
        },
        headers={"Retry-After": str(wait)},
    )


async def overrides(db: Executor, user_id: uuid.UUID | None = None) -> dict[uuid.UUID, Override]:
    """Users' own budgets by user id: every one, or only `user_id`'s."""
    query = _OVERRIDES if user_id is None else _OVERRIDES.where(UserBudget.user_id == user_id)
    rows = (await db.execute(query)).all()
    return {row[0]: Override(row[1], row[2], row[3]) for row in rows}


async def set_budget(db: Executor, user_id: uuid.UUID, daily_usd: float | None, by: str) -> None:
    """Give a user their own budget (None: no budget); replaces one set before."""
    await db.execute(delete(UserBudget).where(UserBudget.user_id == user_id))
    await db.execute(
        insert(UserBudget).values(
            user_id=user_id, daily_usd=daily_usd, updated_at=utcnow(), updated_by=by
        )
    )


async def clear_budget(db: Executor, user_id: uuid.UUID) -> bool:
    """Back to the default budget; whether the user had their own."""
    result = await db.execute(delete(UserBudget).where(UserBudget.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))
