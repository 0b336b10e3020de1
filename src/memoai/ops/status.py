"""The administrator's status: health of what this replica uses, activity, usage, cost, budgets.

The checks are the readiness checks' own (ops/health.py), with more detail; the provider's
health comes from the stored evaluations and chat replies of the last hour, so it covers every
replica, not only the one answering.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, text, true, union_all

from memoai.chat.models import ChatMessage, MessageStatus, Role
from memoai.db import Executor, is_sqlite, utcnow
from memoai.evaluations import budgets
from memoai.evaluations.models import Evaluation, Status
from memoai.ops.backup import backup_health
from memoai.ops.health import Check, _configuration, _disk, _llm
from memoai.ops.usage import Usage, UsageCache, usage
from memoai.sessions.models import Session

HOUR = timedelta(hours=1)
RECENT = timedelta(days=1)


class DatabaseStatus(BaseModel):
    ok: bool
    backend: str = Field(description="sqlite or postgresql")
    latency_ms: float | None = Field(None, description="A round trip (SELECT 1)")
    size_bytes: int | None = Field(None, description="The database's size on disk")
    message: str | None = None


class ProviderStatus(BaseModel):
    ok: bool = Field(description="Configured, and under half of last hour's calls failed")
    provider: str
    model: str
    message: str | None = None
    last_success_at: datetime | None = Field(None, description="Newest completed call")
    calls_last_hour: int = Field(description="Evaluations and chat replies that finished")
    failures_last_hour: int
    error_rate: float | None = Field(None, description="failures / calls; None without calls")
    p95_latency_ms: float | None = Field(None, description="Over last hour's calls")


class SessionCounts(BaseModel):
    active: int = Field(description="Sessions not expired and not revoked")
    signed_in: int = Field(description="Of those, sessions of signed-in users")


class EvaluationCounts(BaseModel):
    today: int = Field(description="Created since 00:00 UTC")
    this_week: int = Field(description="Created since Monday 00:00 UTC")
    failed_today: int


class AdminStatus(BaseModel):
    generated_at: datetime
    database: DatabaseStatus
    provider: ProviderStatus
    configuration: Check
    disk: Check
    backup: Check
    sessions: SessionCounts
    evaluations: EvaluationCounts
    usage: Usage


async def database_status(db: Executor, url: str) -> DatabaseStatus:
    sqlite = is_sqlite(url)
    backend = "sqlite" if sqlite else "postgresql"
    started = time.perf_counter()
    try:
        await db.execute(text("SELECT 1"))
        latency = round((time.perf_counter() - started) * 1000, 2)
        if sqlite:
            pages = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            size = int(await db.scalar(text(pages)) or 0)
        else:
            size = int(await db.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    except Exception as exc:  # reported, never raised: the status page must still answer
        return DatabaseStatus(ok=False, backend=backend, message=type(exc).__name__)
    return DatabaseStatus(ok=True, backend=backend, latency_ms=latency, size_bytes=size)


def p95(values: list[int]) -> float | None:
    """The nearest-rank 95th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)])


async def provider_status(db: Executor, provider: Any, now: datetime) -> ProviderStatus:
    """The configured provider's calls of the last hour, from every replica's stored results."""
    hour_ago = now - HOUR
    finished = Evaluation.status.in_((Status.COMPLETED, Status.FAILED))
    evaluations = select(Evaluation.status == Status.FAILED, Evaluation.latency_ms).where(
        finished,
        Evaluation.provider == provider.name,
        Evaluation.completed_at >= hour_ago,
        # Through a created_at index; a retry of an older memo is not counted here.
        Evaluation.created_at >= now - RECENT,
    )
    replies = select(ChatMessage.status == MessageStatus.FAILED, ChatMessage.latency_ms).where(
        ChatMessage.role == Role.ASSISTANT,
        ChatMessage.provider == provider.name,
        ChatMessage.created_at >= hour_ago,
    )
    calls = (await db.execute(union_all(evaluations, replies))).all()
    failures = sum(1 for failed, _ in calls if failed)
    last = await db.scalar(
        select(Evaluation.completed_at)
        .where(Evaluation.status == Status.COMPLETED, Evaluation.provider == provider.name)
        .order_by(Evaluation.created_at.desc())
        .limit(1)
    )
    configured = _llm(provider)
    rate = failures / len(calls) if calls else None
    ok = bool(configured["ok"]) and (rate is None or rate < 0.5)
    return ProviderStatus(
        ok=ok,
        provider=provider.name,
        model=provider.model,
        message=configured.get("message"),
        last_success_at=last,
        calls_last_hour=len(calls),
        failures_last_hour=failures,
        error_rate=None if rate is None else round(rate, 4),
        p95_latency_ms=p95([latency for _, latency in calls if latency is not None]),
    )


async def counts(db: Executor, now: datetime) -> tuple[SessionCounts, EvaluationCounts]:
    today = budgets.day_start(now)
    monday = today - timedelta(days=today.weekday())
    live = (Session.revoked_at.is_(None), Session.expires_at > now)
    sessions = (
        select(func.count().label("active"), func.count(Session.user_id).label("signed_in"))
        .select_from(Session)
        .where(*live)
        .subquery()
    )
    on_today = Evaluation.created_at >= today
    week = (
        select(
            func.count().label("week"),
            func.count().filter(on_today).label("day"),
            func.count().filter(on_today, Evaluation.status == Status.FAILED).label("failed"),
        )
        .where(Evaluation.created_at >= monday)
        .subquery()
    )
    both = sessions.join(week, true())  # one row each: one round trip for both
    active, signed_in, this_week, day, failed = (
        await db.execute(select(*sessions.c, *week.c).select_from(both))
    ).one()
    return (
        SessionCounts(active=active, signed_in=signed_in),
        EvaluationCounts(today=day, this_week=this_week, failed_today=failed),
    )


async def admin_status(db: Executor, state: Any, days: int) -> AdminStatus:
    """Everything the Status section shows, from this replica's view."""
    settings = state.settings
    now = utcnow()
    cache = getattr(state, "usage_cache", None)
    if cache is None:  # the app's own, made on first use
        cache = state.usage_cache = UsageCache()
    sessions, evaluations = await counts(db, now)
    return AdminStatus(
        generated_at=now,
        database=await database_status(db, settings.db_url),
        provider=await provider_status(db, state.flow.provider, now),
        configuration=Check(**_configuration(state.configs)),
        disk=Check(**_disk(settings.data_dir)),
        backup=Check(**backup_health(settings)),
        sessions=sessions,
        evaluations=evaluations,
        usage=await usage(
            db,
            sqlite=is_sqlite(settings.db_url),
            now=now,
            days=days,
            default_budget=settings.llm_daily_budget_usd,
            cache=cache,
        ),
    )
