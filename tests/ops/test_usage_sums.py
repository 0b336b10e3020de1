"""The status's usage sums agree with the raw rows: per day, per model, per user and budget use,
on random evaluations and chat replies of users and anonymous sessions (inside and outside
the window, today and earlier, some unpriced), and again after more writes and deletions."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from memoai.app import stop
from memoai.auth.models import User
from memoai.chat.models import ChatMessage, ChatSession, Role
from memoai.db import is_sqlite, utcnow
from memoai.evaluations import budgets
from memoai.evaluations.models import Evaluation, Status
from memoai.ops import usage as usage_module
from memoai.ops.usage import TOP_USERS, Usage, UsageCache, usage
from memoai.sessions.models import Session
from tests.admin.usage_seed import Spec, add_evaluations, add_users
from tests.auth.support import auth_settings, open_auth_app

DEFAULT_BUDGET = 0.05
DAYS = 14
MODELS = [("claude", "claude-haiku-4-5"), ("claude", "claude-sonnet-4-5"), ("offline", "rules-v1")]


@pytest.fixture
async def engine(db_url: str, tmp_path: Path, config_dir: Path) -> AsyncIterator[AsyncEngine]:
    opened = await open_auth_app(auth_settings(db_url, tmp_path, config_dir))
    try:
        yield opened.app.state.db.engine
    finally:
        await opened.client.aclose()
        await stop(opened.app)


async def anonymous_sessions(conn: AsyncConnection, n: int) -> list[tuple[None, uuid.UUID]]:
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(n)]
    await conn.execute(
        insert(Session),
        [
            {"id": i, "token_hash": uuid.uuid4().hex * 2, "user_id": None, "created_at": now,
             "last_seen_at": now, "expires_at": now + timedelta(hours=1)}
            for i in ids
        ],
    )  # fmt: skip
    return [(None, i) for i in ids]


def random_usage(
    rng: random.Random, owners: list[tuple[uuid.UUID | None, uuid.UUID]], n: int, now: datetime
) -> list[Spec]:
    """Evaluations up to DAYS + 5 days back (some outside the window), a third of them today."""
    today = budgets.day_start(now)
    specs = []
    for _ in range(n):
        if rng.random() < 0.3:
            at = today + (now - today) * rng.random()
        else:
            at = now - timedelta(seconds=rng.randint(0, (DAYS + 5) * 86400))
        provider, model = rng.choice(MODELS)
        specs.append(
            Spec(
                owner=rng.choice(owners),
                at=at,
                scores={"purpose": rng.randint(1, 5)},
                cost_usd=None if rng.random() < 0.1 else round(rng.uniform(0.0, 0.02), 6),
                tokens=(rng.randint(0, 5000), rng.randint(0, 900), rng.randint(0, 1500)),
                provider=provider,
                model=model,
                status=rng.choice([Status.COMPLETED, Status.COMPLETED, Status.FAILED]),
            )
        )
    return specs


async def add_replies(
    conn: AsyncConnection, rng: random.Random, evaluation_ids: list[uuid.UUID], now: datetime
) -> None:
    """Conversations on some evaluations: user questions (never counted) and priced replies."""
    rows = (
        await conn.execute(
            select(Evaluation.id, Evaluation.session_id, Evaluation.user_id).where(
                Evaluation.id.in_(rng.sample(evaluation_ids, len(evaluation_ids) // 4))
            )
        )
    ).all()
    chats, messages = [], []
    for evaluation_id, session_id, user_id in rows:
        chat_id = uuid.uuid4()
        chats.append({"id": chat_id, "evaluation_id": evaluation_id, "session_id": session_id,
                      "user_id": user_id, "created_at": now})  # fmt: skip
        for _ in range(rng.randint(1, 3)):
            at = now - timedelta(seconds=rng.randint(0, (DAYS + 3) * 86400))
            provider, model = rng.choice(MODELS)
            for role in (Role.USER, Role.ASSISTANT):
                messages.append({
                    "id": uuid.uuid4(), "chat_session_id": chat_id, "role": role,
                    "content": "…", "tokens": rng.randint(1, 400),
                    "prompt_tokens": rng.randint(0, 3000),
                    "cost_usd": round(rng.uniform(0, 0.004), 6) if rng.random() < 0.9 else None,
                    "provider": provider if role == Role.ASSISTANT else None,
                    "model": model if role == Role.ASSISTANT else None, "created_at": at,
                })  # fmt: skip
    if chats:
        await conn.execute(insert(ChatSession), chats)
        await conn.execute(insert(ChatMessage), messages)


async def expected(conn: AsyncConnection, now: datetime) -> dict[str, Any]:
    """The same figures, by brute force over every stored row."""
    today = budgets.day_start(now)
    since = today - timedelta(days=DAYS - 1)
    rows: list[tuple[datetime, str, str, tuple[bool, uuid.UUID], bool, list[Any]]] = []
    e = Evaluation
    for r in await conn.execute(
        select(e.created_at, e.provider, e.model, e.user_id, e.session_id, e.prompt_tokens,
               e.completion_tokens, e.cached_tokens, e.cost_usd)
    ):  # fmt: skip
        owner = (True, r[3]) if r[3] is not None else (False, r[4])
        rows.append((r[0], r[1], r[2], owner, False, [*r[5:8], r[8] or 0.0]))
    m, s = ChatMessage, ChatSession
    for r in await conn.execute(
        select(m.created_at, m.provider, m.model, s.user_id, s.session_id, m.prompt_tokens,
               m.tokens, m.cost_usd)
        .join(s, s.id == m.chat_session_id).where(m.role == Role.ASSISTANT)
    ):  # fmt: skip
        owner = (True, r[3]) if r[3] is not None else (False, r[4])
        rows.append((r[0], r[1] or "unknown", r[2] or "unknown", owner, True,
                     [r[5], r[6], 0, r[7] or 0.0]))  # fmt: skip

    def empty() -> list[float]:
        return [0, 0, 0, 0, 0, 0.0]

    per_day: dict[str, list[float]] = defaultdict(empty)
    per_model: dict[tuple[str, str], list[float]] = defaultdict(empty)
    per_user: dict[uuid.UUID, list[float]] = defaultdict(empty)
    spent: dict[tuple[bool, uuid.UUID], float] = defaultdict(float)
    for at, provider, model, owner, chat, values in rows:
        if at < since:
            continue
        for sums in [per_day[at.date().isoformat()], per_model[(provider, model)]] + (
            [per_user[owner[1]]] if owner[0] else []
        ):
            sums[1 if chat else 0] += 1
            for i, v in enumerate(values, start=2):
                sums[i] += v
        if not chat and at >= today:
            spent[owner] += values[-1]
    own = {
        user_id: override.daily_usd for user_id, override in (await budgets.overrides(conn)).items()
    }

    def limit(owner: tuple[bool, uuid.UUID]) -> float | None:
        if owner[0] and owner[1] in own:
            return own[owner[1]]
        return DEFAULT_BUDGET

    def fields(sums: list[float]) -> tuple[Any, ...]:
        return (*(int(x) for x in sums[:5]), round(sums[5], 6))

    ranked = sorted(per_user, key=lambda u: (-per_user[u][5], -per_user[u][0], u.hex))
    return {
        "per_day": {
            (since + timedelta(days=i)).date().isoformat(): fields(
                per_day.get((since + timedelta(days=i)).date().isoformat(), empty())
            )
            for i in range(DAYS)
        },
        "per_model": {key: fields(sums) for key, sums in per_model.items()},
        "top": [
            (u, fields(per_user[u]), round(spent.get((True, u), 0.0), 6))
            for u in ranked[:TOP_USERS]
        ],
        "spent_today": round(sum(spent.values()), 6),
        "callers_today": len(spent),
        "over_budget": sum(
            1 for owner, v in spent.items() if (lim := limit(owner)) is not None and v >= lim
        ),
    }


def fields_of(t: Any) -> tuple[Any, ...]:
    return (t.evaluations, t.chat_replies, t.prompt_tokens, t.completion_tokens,
            t.cached_tokens, t.cost_usd)  # fmt: skip


async def usage_of(engine: AsyncEngine, now: datetime, cache: UsageCache | None) -> Usage:
    async with engine.connect() as conn:
        return await usage(
            conn, sqlite=is_sqlite(str(engine.url)), now=now, days=DAYS,
            default_budget=DEFAULT_BUDGET, cache=cache,
        )  # fmt: skip


async def check(engine: AsyncEngine, now: datetime, cache: UsageCache) -> Usage:
    """The figures, as computed and as the cache gives them, are the rows' own."""
    got = await usage_of(engine, now, cache)
    assert got == await usage_of(engine, now, None)
    async with engine.connect() as conn:
        want = await expected(conn, now)
    assert {d.day.isoformat(): fields_of(d) for d in got.per_day} == want["per_day"]
    assert {(m.provider, m.model): fields_of(m) for m in got.per_model} == want["per_model"]
    costs = [m.cost_usd for m in got.per_model]
    assert costs == sorted(costs, reverse=True)
    top = [(u.user_id, fields_of(u), u.spent_today_usd) for u in got.top_users]
    assert top == want["top"]
    total = [sum(f[i] for f in want["per_day"].values()) for i in range(6)]
    assert fields_of(got.total)[:5] == tuple(total[:5])
    assert got.total.cost_usd == pytest.approx(total[5], abs=1e-5)
    budget = got.budget
    assert (budget.spent_today_usd, budget.callers_today, budget.over_budget) == (
        want["spent_today"],
        want["callers_today"],
        want["over_budget"],
    )
    return got


async def test_usage_sums_agree_with_the_rows_before_and_after_writes(
    engine: AsyncEngine,
) -> None:
    rng = random.Random(12)
    now = utcnow()
    async with engine.begin() as conn:
        people = await add_users(conn, [f"user{n:02d}" for n in range(14)])
        owners: list[tuple[uuid.UUID | None, uuid.UUID]] = list(people.values())
        owners += await anonymous_sessions(conn, 4)
        ids = await add_evaluations(conn, random_usage(rng, owners, 400, now))
        await add_replies(conn, rng, ids, now)
        users = [user_id for user_id, _ in people.values()]
        await budgets.set_budget(conn, users[0], 0.001, "root")  # lower: over it today
        await budgets.set_budget(conn, users[1], None, "root")  # no budget at all
        await budgets.set_budget(conn, users[2], 5.0, "root")
    cache = UsageCache()
    budget = (await check(engine, now, cache)).budget
    assert budget.over_budget > 0 and budget.callers_today > budget.over_budget

    # More evaluations and replies, some deleted (with their conversations), a budget changed.
    async with engine.begin() as conn:
        more = await add_evaluations(conn, random_usage(rng, owners, 150, now))
        await add_replies(conn, rng, more, now)
        gone = rng.sample(ids, 60)
        chats = select(ChatSession.id).where(ChatSession.evaluation_id.in_(gone))
        await conn.execute(delete(ChatMessage).where(ChatMessage.chat_session_id.in_(chats)))
        await conn.execute(delete(ChatSession).where(ChatSession.evaluation_id.in_(gone)))
        await conn.execute(delete(Evaluation).where(Evaluation.id.in_(gone)))
        await budgets.set_budget(conn, users[2], 0.0, "root")
        await conn.execute(delete(User).where(User.id == users[3]))  # their usage stays
    await check(engine, now, cache)
    got = await usage_of(engine, now, cache)
    deleted = [u for u in got.top_users if u.user_id == users[3]]
    assert not deleted or deleted[0].username is None


async def test_the_cache_serves_unchanged_rows_and_sees_every_change(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sums are recomputed only when the window's rows changed, and whatever changed them (a
    completion, a reply, a deletion with an insertion of the same count and sums, another
    replica's write) is seen by the next request."""
    rng = random.Random(5)
    now = utcnow()
    async with engine.begin() as conn:
        people = await add_users(conn, [f"user{n:02d}" for n in range(5)])
        owners: list[tuple[uuid.UUID | None, uuid.UUID]] = list(people.values())
        owners += await anonymous_sessions(conn, 2)
        ids = await add_evaluations(conn, random_usage(rng, owners, 60, now))
        free = Spec(owner=owners[0], at=now - timedelta(minutes=5), scores={}, cost_usd=0.0)
        pending = Spec(owner=owners[3], at=now - timedelta(minutes=6), scores={}, cost_usd=None)
        # offline: nothing to pay, no tokens; pending: nothing yet
        zero, running = await add_evaluations(conn, [free, pending])
    computed = 0
    compute = usage_module._totals

    async def counting(*args: Any) -> Any:
        nonlocal computed
        computed += 1
        return await compute(*args)

    monkeypatch.setattr(usage_module, "_totals", counting)
    cache = UsageCache()
    await check(engine, now, cache)
    first = computed
    await usage_of(engine, now, cache)
    await usage_of(engine, now, cache)
    assert computed == first  # unchanged rows: the sums are the cached ones

    # A pending evaluation completes (tokens and cost written on the row).
    async with engine.begin() as conn:
        await conn.execute(
            update(Evaluation)
            .where(Evaluation.id == running)
            .values(prompt_tokens=7, cost_usd=0.25)
        )
    await check(engine, now, cache)
    # The free evaluation of one owner deleted, an identical one of another written: the
    # count and every sum are the same, the times are not.
    async with engine.begin() as conn:
        await conn.execute(delete(Evaluation).where(Evaluation.id == zero))
        moved = Spec(owner=owners[1], at=now - timedelta(minutes=4), scores={}, cost_usd=0.0)
        await add_evaluations(conn, [moved])
    await check(engine, now, cache)
    # A chat reply on someone's evaluation.
    async with engine.begin() as conn:
        session_id = owners[2][1]
        chat_id = uuid.uuid4()
        await conn.execute(
            insert(ChatSession).values(
                id=chat_id, evaluation_id=ids[1], session_id=session_id, user_id=owners[2][0],
                created_at=now,
            )
        )  # fmt: skip
        await conn.execute(
            insert(ChatMessage).values(
                id=uuid.uuid4(), chat_session_id=chat_id, role=Role.ASSISTANT, content="…",
                tokens=40, prompt_tokens=900, cost_usd=0.001, provider="claude",
                model="claude-haiku-4-5", created_at=now - timedelta(minutes=1),
            )
        )  # fmt: skip
    got = await check(engine, now, cache)
    assert got.total.chat_replies == 1
    assert computed == first + 6  # each change recomputed once (check() also runs uncached)
