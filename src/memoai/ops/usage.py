"""Model usage and its estimated cost: per day, per provider and model, per user; budget use.

Evaluations carry the tokens the provider reported and the cost estimated from `llm.yaml`'s
prices when they ran; chat replies carry tokens estimated from their length and the cost of
those. Both are summed in SQL, per day, per provider and model, and for the top ten users.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    cast,
    extract,
    func,
    literal,
    select,
    union_all,
)

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


def day_of(column: Any, sqlite: bool) -> ColumnElement[Any]:
    """The UTC day of a stored time: YYYY-MM-DD text on SQLite (which stores text), a date on
    PostgreSQL (a cast of the timestamptz in UTC, far cheaper per row than formatting it)."""
    if sqlite:
        return func.substr(column, 1, 10)
    return cast(func.timezone("UTC", column), Date)


def _sums(prompt: Any, completion: Any, cached: Any, cost: Any) -> list[Any]:
    return [func.count(), func.sum(prompt), func.sum(completion), func.sum(cached), func.sum(cost)]


def _per_day(sqlite: bool, since: datetime) -> Any:
    """Evaluations and chat replies since `since`, summed per day, model and kind."""
    e, m = Evaluation, ChatMessage
    evaluations = (
        select(
            day_of(e.created_at, sqlite).label("day"),
            e.provider,
            e.model,
            literal(False).label("chat"),
            *_sums(e.prompt_tokens, e.completion_tokens, e.cached_tokens, e.cost_usd),
        )
        .where(e.created_at >= since)
        .group_by("day", e.provider, e.model)
    )
    replies = (
        select(
            day_of(m.created_at, sqlite).label("day"),
            m.provider,
            m.model,
            literal(True).label("chat"),
            *_sums(m.prompt_tokens, m.tokens, literal(0), m.cost_usd),
        )
        .join(ChatSession, ChatSession.id == m.chat_session_id)
        .where(m.role == Role.ASSISTANT, m.created_at >= since)
        .group_by("day", m.provider, m.model)
    )
    return union_all(evaluations, replies)


def _per_owner(since: datetime, today: datetime) -> Any:
    """The same per owner (a user, else an anonymous session: what budgets count for each),
    with the owner's evaluations of today (their count and cost) for budget use.

    The owner is one id (a user's, else the session's) and `count(user_id)` tells which: the
    rows of a user id all have one, a session's have none. Grouping by the id expression keeps
    the scan on the time index that covers every summed column."""
    e, s, m = Evaluation, ChatSession, ChatMessage
    on_today = and_(e.created_at >= today, e.created_at < today + DAY)
    evaluations = (
        select(
            func.coalesce(e.user_id, e.session_id).label("owner"),
            func.count(e.user_id),
            literal(False).label("chat"),
            *_sums(e.prompt_tokens, e.completion_tokens, e.cached_tokens, e.cost_usd),
            func.count().filter(on_today),
            func.sum(e.cost_usd).filter(on_today),
        )
        .where(e.created_at >= since)
        .group_by("owner")
    )
    replies = (
        select(
            func.coalesce(s.user_id, s.session_id).label("owner"),
            func.count(s.user_id),
            literal(True).label("chat"),
            *_sums(m.prompt_tokens, m.tokens, literal(0), m.cost_usd),
            literal(0),
            literal(0.0),
        )
        .join(s, s.id == m.chat_session_id)
        .where(m.role == Role.ASSISTANT, m.created_at >= since)
        .group_by("owner")
    )
    return union_all(evaluations, replies)


# Per day, per model and per user: [evaluations, chat replies, prompt, completion, cached, cost]
Sums = list[float]


def _add(into: dict[Any, Sums], key: Any, chat: Any, n: int, values: Sequence[Any]) -> None:
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


@dataclass(slots=True)
class Totals:
    """A window's sums: per day, per model, per user; today's spending per owner (is a user,
    id): what two grouped scans give, before budgets and names are added."""

    per_day: dict[str, Sums] = field(default_factory=dict)
    per_model: dict[tuple[str, str], Sums] = field(default_factory=dict)
    per_user: dict[uuid.UUID, Sums] = field(default_factory=dict)
    spent_today: dict[tuple[bool, uuid.UUID], float] = field(default_factory=dict)


async def _totals(db: Executor, sqlite: bool, since: datetime, today: datetime) -> Totals:
    found = Totals()
    for day, provider, model, chat, n, *values in (await db.execute(_per_day(sqlite, since))).all():
        _add(found.per_day, day if isinstance(day, str) else day.isoformat(), chat, n, values)
        _add(found.per_model, (provider or "unknown", model or "unknown"), chat, n, values)
    spent: dict[tuple[bool, uuid.UUID], float] = defaultdict(float)
    for owner, user_rows, chat, n, *values, n_today, cost_today in (
        await db.execute(_per_owner(since, today))
    ).all():
        if user_rows:
            _add(found.per_user, owner, chat, n, values)
        if n_today:
            spent[(bool(user_rows), owner)] += float(cost_today or 0.0)
    found.spent_today = dict(spent)
    return found


def _mark(sqlite: bool, since: datetime) -> Any:
    """What the window's rows add up to: their count, the sum of their times (a new row, a
    deleted one, or both, moves it) and of every summed column (a completion moves them).
    The rows' owners, models and times never change once written."""
    e, m = Evaluation, ChatMessage

    def moment(column: Any) -> Any:
        return func.julianday(column) if sqlite else extract("epoch", column)

    evaluations = select(
        literal(0),
        func.count(),
        func.sum(moment(e.created_at)),
        *(func.sum(c) for c in (e.prompt_tokens, e.completion_tokens, e.cached_tokens)),
        func.sum(e.cost_usd),
    ).where(e.created_at >= since)
    replies = select(
        literal(1),
        func.count(),
        func.sum(moment(m.created_at)),
        func.sum(m.prompt_tokens),
        func.sum(m.tokens),
        literal(0),
        func.sum(m.cost_usd),
    ).where(m.role == Role.ASSISTANT, m.created_at >= since)
    return union_all(evaluations, replies)


class UsageCache:
    """A process's recent windows' sums, each with the mark of the rows it came from.

    Every request reads the mark from the database (one ungrouped scan of the covering index)
    and uses the sums only while it is unchanged, so every replica's writes are seen at once;
    budgets and user names are read each time. A mark read differently (a float sum added in
    another order) only costs a recomputation."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, Totals]] = OrderedDict()

    def get(self, key: tuple[Any, ...], mark: Any) -> Totals | None:
        found = self._entries.get(key)
        if found is None or found[0] != mark:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: tuple[Any, ...], mark: Any, totals: Totals) -> None:
        self._entries[key] = (mark, totals)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


async def usage(
    db: Executor,
    *,
    sqlite: bool,
    now: datetime,
    days: int,
    default_budget: float | None,
    cache: UsageCache | None = None,
) -> Usage:
    """Usage of the last `days` UTC days (today included), with today's budget use.

    Two grouped scans, per day and model (tens of rows) and per owner (one row per user or
    anonymous session), each answered from ix_evaluations_usage (it covers every summed
    column): the work in Python grows with the number of days and owners, not of
    evaluations. With `cache`, the scans run only when the window's rows changed.
    """
    today = budgets.day_start(now)
    since = today - DAY * (days - 1)
    if cache is None:
        totals = await _totals(db, sqlite, since, today)
    else:
        rows = (await db.execute(_mark(sqlite, since))).all()
        mark = tuple(sorted(tuple(row) for row in rows))
        key = (sqlite, since, today)
        found = cache.get(key, mark)
        if found is None:
            found = await _totals(db, sqlite, since, today)
            cache.put(key, mark, found)
        totals = found
    per_day, per_model, per_user = totals.per_day, totals.per_model, totals.per_user
    spent_today = totals.spent_today
    own = await budgets.overrides(db)
    users = sorted(per_user, key=lambda key: (-per_user[key][5], -per_user[key][0], key.hex))
    names = await _usernames(db, users[:TOP_USERS])
    top_users = []
    for user_id in users[:TOP_USERS]:
        budget = budgets.in_force(own.get(user_id), default_budget)
        top_users.append(
            UserUsage(
                user_id=user_id,
                username=names.get(user_id),
                spent_today_usd=round(spent_today.get((True, user_id), 0.0), 6),
                daily_budget_usd=budget.daily_usd,
                budget_source=budget.source,
                **_fields(per_user[user_id]),
            )
        )
    over = 0
    for (is_user, owner), spent in spent_today.items():
        override = own.get(owner) if is_user else None
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
