"""The debug switch (a row of `runtime_flags`) and what debug mode captured (`debug_records`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from memoai.db import Base, new_id, utcnow


class RuntimeFlag(Base):
    """A switch admins change at run time; every replica polls it (name: e.g. "debug_mode")."""

    __tablename__ = "runtime_flags"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool]
    # Until when `enabled` holds; after it the setting's default applies again (None: no end).
    until: Mapped[datetime | None] = mapped_column(default=None)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordKind(StrEnum):
    EVALUATION = "evaluation"
    CHAT = "chat"


class DebugRecord(Base):
    """One run captured while debug mode was on, redacted before it is stored."""

    __tablename__ = "debug_records"
    __table_args__ = (
        Index("ix_debug_records_evaluation_id_created_at", "evaluation_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    # A chat reply is filed under the evaluation its chat is about, so one owner check covers both.
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE")
    )
    chat_message_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # prompt, response, error, attempts, timings, provider, model.
    data: Mapped[dict[str, Any]]
