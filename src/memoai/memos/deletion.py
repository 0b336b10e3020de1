"""Deleting a writer's memos for good: one memo (every version, evaluation, chat and debug
record) or all of them; refused while an evaluation runs, audited by counts only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.auth import audit
from memoai.chat.models import ChatMessage, ChatSession
from memoai.db import utcnow
from memoai.debugging.models import DebugRecord
from memoai.evaluations.budgets import day_start
from memoai.evaluations.models import Evaluation, Submission
from memoai.memos import service
from memoai.memos.schemas import DeletedOut
from memoai.sessions.caller import Caller
from memoai.translations import N_, gettext


async def delete_memo(
    db: AsyncSession, caller: Caller, memo_id: uuid.UUID, origin: audit.Origin
) -> DeletedOut:
    """Delete one memo: every version, evaluation, chat and debug record; audited, by counts."""
    memo = service.find(await service.memos_of(db, caller), memo_id)
    _refuse_unfinished(memo.evaluations, N_("An evaluation of this memo is still running."))
    submissions = [v.submission_id for v in memo.versions]
    deleted, cost = await _delete(
        db, Submission.id.in_(submissions), Evaluation.submission_id.in_(submissions)
    )
    deleted.memos = 1
    await _audit(db, caller, origin, audit.Event.MEMO_DELETED, deleted, cost, memo_id=str(memo_id))
    await db.commit()
    return deleted


async def delete_all(db: AsyncSession, caller: Caller, origin: audit.Origin) -> DeletedOut:
    """Delete every memo of the caller (their account and sign-in stay); audited, by counts."""
    memos = await service.memos_of(db, caller)
    running = N_("One of your evaluations is still running.")
    _refuse_unfinished([row for m in memos for row in m.evaluations], running)
    deleted, cost = await _delete(db, _owned_submissions(caller), _owned_evaluations(caller))
    deleted.memos = len(memos)
    await _audit(db, caller, origin, audit.Event.DATA_DELETED, deleted, cost)
    await db.commit()
    return deleted


def _refuse_unfinished(rows: Iterable[service.Row], what: str) -> None:
    if any(row.status in service.UNFINISHED for row in rows):
        raise AppError(
            409,
            ErrorCode.CONFLICT,
            N_(
                "%(what)s Wait until it has finished (a few seconds), then delete again; "
                "nothing was deleted."
            ),
            values={"what": gettext(what)},
        )


def _owned_submissions(caller: Caller) -> ColumnElement[bool]:
    if caller.user_id is not None:
        return Submission.user_id == caller.user_id
    return Submission.session_id == caller.session_id


def _owned_evaluations(caller: Caller) -> ColumnElement[bool]:
    if caller.user_id is not None:
        return Evaluation.user_id == caller.user_id
    return Evaluation.session_id == caller.session_id


async def _delete(
    db: AsyncSession, submissions: ColumnElement[bool], evaluations: ColumnElement[bool]
) -> tuple[DeletedOut, float]:
    """Chats and debug records first, then evaluations and submissions (any other table that
    points at them goes by its CASCADE: tests/memos/test_schema.py holds every one to it); with
    what the deleted evaluations of today cost (today's budget still counts it)."""
    cost_today = await db.scalar(
        select(func.coalesce(func.sum(Evaluation.cost_usd), 0.0)).where(
            evaluations, Evaluation.created_at >= day_start(utcnow())
        )
    )
    evaluation_ids = select(Evaluation.id).where(evaluations).scalar_subquery()
    chat_ids = select(ChatSession.id).where(ChatSession.evaluation_id.in_(evaluation_ids))
    messages = await db.scalar(
        select(func.count())
        .select_from(ChatMessage)
        .where(ChatMessage.chat_session_id.in_(chat_ids))
    )
    await db.execute(delete(ChatMessage).where(ChatMessage.chat_session_id.in_(chat_ids)))
    await db.execute(delete(ChatSession).where(ChatSession.evaluation_id.in_(evaluation_ids)))
    await db.execute(delete(DebugRecord).where(DebugRecord.evaluation_id.in_(evaluation_ids)))
    gone_evaluations = await db.execute(delete(Evaluation).where(evaluations))
    gone_submissions = await db.execute(delete(Submission).where(submissions))
    deleted = DeletedOut(
        memos=0,
        versions=_count(gone_submissions),
        evaluations=_count(gone_evaluations),
        chat_messages=int(messages or 0),
    )
    return deleted, float(cost_today or 0.0)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def _audit(
    db: AsyncSession,
    caller: Caller,
    origin: audit.Origin,
    event: audit.Event,
    deleted: DeletedOut,
    cost_today: float,
    **extra: str,
) -> None:
    """That it happened and how much went; never a title or a text."""
    details = {
        **extra,
        **deleted.model_dump(),
        "session_id": str(caller.session_id),
        "cost_usd_today": round(cost_today, 6),
    }
    await audit.record(db, event, origin, user_id=caller.user_id, details=details)
