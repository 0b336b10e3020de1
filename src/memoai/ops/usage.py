"""Model usage and its estimated cost: per day, per provider and model, per user; budget use.

Evaluations carry the tokens the provider reported and the cost estimated from `llm.yaml`'s
prices when they ran; chat replies carry tokens estimated from their length and the cost of
those. Both are summed in SQL, per day, per provider and model, and for the top ten users.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, String, cast, func, literal, select, union_all

from memoai.auth.models import User
from memoai.chat.models import ChatMessage, ChatSession, Role
from memoai.db import Executor
from memoai.evaluations import budgets
from memoai.evaluations.models import Evaluation

TOP_USERS = 10
DAY = timedelta(days=1)


class Tokens(BaseModel):
    evaluations: int = 0
    chat_replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = Field(0.0, description="Estimated from llm.yaml's prices, in USD")


class DayUsage(Tokens):
    day: date = Field(description="UTC calendar day")


class ModelUsage(Tokens):
    provider: str
    model: str


class UserUsage(Tokens):
    user_id: uuid.UUID
    username: str | None = Field(None, description="None when the account was deleted")
    spent_today_usd: float = Field(0.0, description="Today's evaluations (what budgets count)")
    daily_budget_usd: float | None = Field(None, description="The budget in force; None: none")
    budget_source: budgets.Source = "default"


class BudgetUse(BaseModel):
    default_daily_usd: float | None = Field(description="LLM_DAILY_BUDGET_USD; None: no budget")
    user_budgets: int = Field(description="Users an administrator gave their own budget")
    spent_today_usd: float = Field(description="Everyone's evaluations today, in USD")
    callers_today: int = Field(description="Users and anonymous sessions that spent today")
    over_budget: int = Field(description="Users and sessions whose budget for today is spent")
    resets_at: datetime = Field(description="The next 00:00 UTC, when daily spending restarts")


class Usage(BaseModel):
    since: datetime
    days: int
    total: Tokens
    per_day: list[DayUsage] = Field(description="Oldest first; days without usage are zeros")
    per_model: list[ModelUsage] = Field(description="The most expensive first")
    top_users: list[UserUsage] = Field(description="The ten users who cost the most")
    budget: BudgetUse


def day_of(column: Any, sqlite: bool) -> ColumnElement[str]:
    """The UTC day of a stored time as YYYY-MM-DD (SQLite stores text; PostgreSQL timestamptz)."""
    if sqlite:
        return func.substr(column, 1, 10)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def _source(sqlite: bool, since: datetime) -> Any:
    """Evaluations and chat replies since `since`, summed per day, model, owner and kind."""
    # The owner as text: a user, else an anonymous session (what budgets count for each).
    owner = func.coalesce(
        "u" + cast(Evaluation.user_id, String), "s" + cast(Evaluation.session_id, String)
    )
    evaluations = (
        select(
            day_of(Evaluation.created_at, sqlite).label("day"),
            Evaluation.provider,
            Evaluation.model,
            owner.label("owner"),
            literal(False).label("chat"),
            func.count(),
            func.sum(Evaluation.prompt_tokens),
            func.sum(Evaluation.completion_tokens),
            func.sum(Evaluation.cached_tokens),
            func.sum(Evaluation.cost_usd),
        )
        .where(Evaluation.created_at >= since)
        .group_by("day", Evaluation.provider, Evaluation.model, "owner")
    )
    chat_owner = func.coalesce(
        "u" + cast(ChatSession.user_id, String), "s" + cast(ChatSession.session_id, String)
    )
    replies = (
        select(
            day_of(ChatMessage.created_at, sqlite).label("day"),
            ChatMessage.provider,
            ChatMessage.model,
            chat_owner.label("owner"),
            literal(True).label("chat"),
            func.count(),
            func.sum(ChatMessage.prompt_tokens),
            func.sum(ChatMessage.tokens),
            literal(0),
            func.sum(ChatMessage.cost_usd),
        )
        .join(ChatSession, ChatSession.id == ChatMessage.chat_session_id)
        .where(ChatMessage.role == Role.ASSISTANT, ChatMessage.created_at >= since)
        .group_by("day", ChatMessage.provider, ChatMessage.model, "owner")
    )
    return union_all(evaluations, replies)


# Per day, per model and per user: [evaluations, chat replies, prompt, completion, cached, cost]
Sums = list[float]


def _add(into: dict[Any, Sums], key: Any, chat: bool, n: int, values: Sequence[Any]) -> None:
    sums = into.get(key)
    if sums is None:
        sums = into[key] = [0, 0, 0, 0, 0, 0.0]
    sums[1 if chat else 0] += n
    for i, value in enumerate(values, start=2):
        sums[i] += value or 0


def _fields(sums: Sums | None) -> dict[str, Any]:
    e, c, p, o, k, cost = sums or (0, 0, 0, 0, 0, 0.0)
    return {
        "evaluations": int(e),
        "chat_replies": int(c),
        "prompt_tokens": int(p),
        "completion_tokens": int(o),
        "cached_tokens": int(k),
        "cost_usd": round(float(cost), 6),
    }


async def usage(
    db: Executor, *, sqlite: bool, now: datetime, days: int, default_budget: float | None
) -> Usage:
    """Usage of the last `days` UTC days (today included), with today's budget use.

    One grouped scan (per day, model, owner and kind) is folded here: the work in Python grows
    with the number of (day, user) pairs, not with the number of evaluations.
    """
    today = budgets.day_start(now)
    since = today - DAY * (days - 1)
    today_key = today.date().isoformat()
    per_day: dict[str, Sums] = {}
    per_model: dict[tuple[str, str], Sums] = {}
    per_owner: dict[str, Sums] = {}
    spent_today: dict[str, float] = defaultdict(float)
    for day, provider, model, owner, chat, n, *values in (
        await db.execute(_source(sqlite, since))
    ).all():
        chat = bool(chat)
        _add(per_day, day, chat, n, values)
        _add(per_model, (provider or "unknown", model or "unknown"), chat, n, values)
        _add(per_owner, owner, chat, n, values)
        if day == today_key and not chat:
            spent_today[owner] += float(values[-1] or 0.0)
    own = await budgets.overrides(db)
    users = [key for key in per_owner if key.startswith("u")]
    users.sort(key=lambda key: (-per_owner[key][5], -per_owner[key][0], key))
    top = [(uuid.UUID(key[1:]), key) for key in users[:TOP_USERS]]  # text differs by database
    names = await _usernames(db, [user_id for user_id, _ in top])
    top_users = []
    for user_id, key in top:
        budget = budgets.in_force(own.get(user_id), default_budget)
        top_users.append(
            UserUsage(
                user_id=user_id,
                username=names.get(user_id),
                spent_today_usd=round(spent_today.get(key, 0.0), 6),
                daily_budget_usd=budget.daily_usd,
                budget_source=budget.source,
                **_fields(per_owner[key]),
            )
        )
    over = 0
    for owner, spent in spent_today.items():
        override = own.get(uuid.UUID(owner[1:])) if owner.startswith("u") else None
        limit = budgets.in_force(override, default_budget).daily_usd
        over += limit is not None and spent >= limit
    dates = [(since + DAY * i).date() for i in range(days)]
    total: Sums = [sum(s[i] for s in per_day.values()) for i in range(6)]
    return Usage(
        since=since,
        days=days,
        total=Tokens(**_fields(total)),
        per_day=[DayUsage(day=d, **_fields(per_day.get(d.isoformat()))) for d in dates],
        per_model=[
            ModelUsage(provider=provider, model=model, **_fields(sums))
            for (provider, model), sums in sorted(per_model.items(), key=lambda m: -m[1][5])
        ],
        top_users=top_users,
        budget=BudgetUse(
            default_daily_usd=default_budget,
            user_budgets=len(own),
            spent_today_usd=round(sum(spent_today.values()), 6),
            callers_today=len(spent_today),
            over_budget=over,
            resets_at=budgets.resets_at(now),
        ),
    )


async def _usernames(db: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = (await db.execute(select(User.id, User.username).where(User.id.in_(ids)))).all()
    return {row[0]: row[1] for row in rows}
