"""Chat sessions about one evaluation, and their messages (the user's always stored first)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from memoai.db import Base, new_id, utcnow


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class MessageStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE")
    )
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # One conversation per evaluation: creating it twice finds the first.
        Index("ix_chat_sessions_evaluation_id", "evaluation_id", unique=True),
        Index("ix_chat_sessions_session_id_created_at", "session_id", "created_at"),
        Index("ix_chat_sessions_user_id_created_at", "user_id", "created_at"),
    )


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    chat_session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.COMPLETED)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    # Estimated (characters / 4): the chat stream reports no usage.
    tokens: Mapped[int] = mapped_column(default=0)
    # An assistant reply's prompt (estimated the same way) and its estimated cost in USD.
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float | None] = mapped_column(default=None)
    provider: Mapped[str | None] = mapped_column(String(20), default=None)
    model: Mapped[str | None] = mapped_column(String(100), default=None)
    latency_ms: Mapped[int | None] = mapped_column(default=None)
    # What the model was given (history trimmed, turns dropped), for the reply's metadata.
    context: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_chat_messages_chat_session_id_created_at", "chat_session_id", "created_at"),
        # The admin status: replies of the usage window and of the last hour.
        Index("ix_chat_messages_created_at", "created_at"),
    )
