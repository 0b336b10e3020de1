"""Storing and reading chat sessions and messages; every read checks ownership."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import ErrorCode, not_found
from memoai.chat.models import ChatMessage, ChatSession, MessageStatus, Role
from memoai.chat.schemas import ChatSessionOut, MessageOut
from memoai.db import utcnow
from memoai.evaluations.checks import check_text
from memoai.evaluations.models import Evaluation, Submission
from memoai.evaluations.service import provider_label
from memoai.sessions.caller import Caller
from memoai.settings import Settings

# Earlier versions followed back along the revision chain (guards against a cycle, too).
MAX_EARLIER_VERSIONS = 20
LIST_LIMIT = 100


def estimate_tokens(text: str) -> int:
    """About four characters a token: good enough to fit a context window with a margin."""
    return (len(text) + 3) // 4


def check_message(text: str, settings: Settings) -> None:
    """Refuse empty, oversized or binary messages as memos are refused."""
    check_text(text, field="message_content", max_chars=settings.chat_max_chars, noun="message")


def owned_by(caller: Caller) -> ColumnElement[bool]:
    """Chats of the caller: their user's when logged in, else their session's."""
    if caller.user_id is not None:
        return ChatSession.user_id == caller.user_id
    return ChatSession.session_id == caller.session_id


async def get_owned(db: AsyncSession, caller: Caller, chat_id: uuid.UUID) -> ChatSession:
    """The caller's chat session, or 404 (also for someone else's)."""
    chat = await db.scalar(select(ChatSession).where(ChatSession.id == chat_id, owned_by(caller)))
    if chat is None:
        raise not_found("chat session")
    return chat


async def find_for_evaluation(db: AsyncSession, evaluation_id: uuid.UUID) -> ChatSession | None:
    return await db.scalar(select(ChatSession).where(ChatSession.evaluation_id == evaluation_id))


async def open_for(
    db: AsyncSession, caller: Caller, evaluation: Evaluation
) -> tuple[ChatSession, bool]:
    """The evaluation's chat session, created on first use: (chat, created)."""
    evaluation_id = evaluation.id
    found = await find_for_evaluation(db, evaluation_id)
    if found is not None:
        return found, False
    chat = ChatSession(
        evaluation_id=evaluation_id, session_id=caller.session_id, user_id=caller.user_id
    )
    db.add(chat)
    try:
        await db.commit()
    except IntegrityError:  # a concurrent request created it first
        await db.rollback()
        found = await find_for_evaluation(db, evaluation_id)
        if found is None:
            raise
        return found, False
    return chat, True


async def list_owned(
    db: AsyncSession, caller: Caller, evaluation_id: uuid.UUID | None
) -> list[tuple[ChatSession, int]]:
    """The caller's chat sessions (optionally of one evaluation), newest first, with counts."""
    counts = (
        select(ChatMessage.chat_session_id, func.count().label("n"))
        .group_by(ChatMessage.chat_session_id)
        .subquery()
    )
    query = (
        select(ChatSession, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.chat_session_id == ChatSession.id)
        .where(owned_by(caller))
        .order_by(ChatSession.created_at.desc())
        .limit(LIST_LIMIT)
    )
    if evaluation_id is not None:
        query = query.where(ChatSession.evaluation_id == evaluation_id)
    rows = await db.execute(query)
    return [(chat, int(count)) for chat, count in rows.all()]


async def messages(db: AsyncSession, chat_id: uuid.UUID) -> list[ChatMessage]:
    """The whole conversation, oldest first."""
    rows = await db.scalars(
        select(ChatMessage)
        .where(ChatMessage.chat_session_id == chat_id)
        .order_by(ChatMessage.created_at, ChatMessage.id)
    )
    return list(rows)


async def add_message(
    db: AsyncSession, chat_id: uuid.UUID, role: str, content: str, **fields: Any
) -> ChatMessage:
    """One message in its own short transaction (never held across a model call)."""
    message = ChatMessage(
        chat_session_id=chat_id,
        role=role,
        content=content,
        tokens=estimate_tokens(content),
        **fields,
    )
    db.add(message)
    await db.commit()
    return message


INTERRUPTED_MESSAGE = (
    "The reply was cut off by a restart of the server. Your question is saved; send it again."
)


async def recover_interrupted(db: AsyncSession, idle_before: datetime) -> int:
    """Questions a crash left unanswered get a failed, retryable reply (CHAT_INTERRUPTED).

    Every question ends with exactly one reply, completed or failed (a retry sends the
    question again), so a chat with more questions than replies lost that many, less the
    questions since `idle_before` still without a reply since then: another replica may be
    answering those. A chat the writer went on using after the crash gets its lost reply too.
    """

    def tally(role: Role, since: datetime | None = None) -> ColumnElement[Any]:
        match = ChatMessage.role == role
        if since is not None:
            match = and_(match, ChatMessage.created_at >= since)
        return func.sum(case((match, 1), else_=0))

    questions, replies = tally(Role.USER), tally(Role.ASSISTANT)
    rows = await db.execute(
        select(
            ChatMessage.chat_session_id,
            questions - replies,
            tally(Role.USER, idle_before) - tally(Role.ASSISTANT, idle_before),
        )
        .group_by(ChatMessage.chat_session_id)
        .having(questions > replies)
    )
    # Recent questions beyond the recent replies may still be in progress; the rest are lost.
    lost = [
        (chat_id, int(missing) - max(0, int(in_progress)))
        for chat_id, missing, in_progress in rows.all()
        if int(missing) > max(0, int(in_progress))
    ]
    for chat_id, count in lost:
        for _ in range(count):
            db.add(
                ChatMessage(
                    chat_session_id=chat_id,
                    role=Role.ASSISTANT,
                    content="",
                    status=MessageStatus.FAILED,
                    error_code=ErrorCode.CHAT_INTERRUPTED,
                    error_message=INTERRUPTED_MESSAGE,
                    created_at=utcnow(),
                )
            )
    await db.commit()
    return sum(count for _, count in lost)


async def earlier_versions(db: AsyncSession, submission: Submission) -> list[str]:
    """Texts of the memos this one revises, oldest first, following the revision chain."""
    texts: list[str] = []
    seen = {submission.id}
    previous_id = submission.revision_of_id
    while previous_id is not None and previous_id not in seen and len(texts) < MAX_EARLIER_VERSIONS:
        seen.add(previous_id)
        previous = await db.get(Submission, previous_id)
        if previous is None:
            break
        texts.append(previous.text_content)
        previous_id = previous.revision_of_id
    return list(reversed(texts))


def message_out(message: ChatMessage) -> MessageOut:
    """The API view of a message, with who answered and why it failed."""
    error = None
    if message.status == MessageStatus.FAILED:
        error = {
            "code": message.error_code or "LLM_UNAVAILABLE",
            "message": message.error_message or "",
        }
    label = None
    if message.provider is not None:
        label = provider_label(message.provider, message.model or "")
    return MessageOut.model_validate(
        {
            "id": message.id,
            "chat_session_id": message.chat_session_id,
            "role": message.role,
            "content": message.content,
            "status": message.status,
            "created_at": message.created_at,
            "tokens": message.tokens,
            "provider": message.provider,
            "model": message.model,
            "label": label,
            "latency_ms": message.latency_ms,
            "error": error,
            "context": message.context,
        }
    )


def session_out(
    chat: ChatSession, history: list[ChatMessage] | None = None, count: int | None = None
) -> ChatSessionOut:
    """The API view of a chat session, with its history when given."""
    return ChatSessionOut(
        id=chat.id,
        evaluation_id=chat.evaluation_id,
        created_at=chat.created_at,
        message_count=len(history) if history is not None else (count or 0),
        messages=None if history is None else [message_out(m) for m in history],
    )
