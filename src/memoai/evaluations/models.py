"""Submissions (the memo, verbatim, stored first) and their evaluations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from memoai.db import Base, new_id, utcnow


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    title: Mapped[str | None] = mapped_column(String(1000), default=None)
    text_content: Mapped[str] = mapped_column(Text)
    # sha256 of the exact text: finds identical earlier requests for reuse.
    text_hash: Mapped[str] = mapped_column(String(64))
    revision_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="submission", order_by="Evaluation.created_at"
    )

    __table_args__ = (
        Index("ix_submissions_session_id_created_at", "session_id", "created_at"),
        Index("ix_submissions_user_id_created_at", "user_id", "created_at"),
        Index("ix_submissions_revision_of_id", "revision_of_id"),
    )


class Evaluation(Base):
    __tablename__ = "evaluations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE")
    )
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    # Hash of text + configuration version + provider + model: identical requests reuse it.
    request_key: Mapped[str] = mapped_column(String(64))
    # The writer's language ("en" or "es"): the model answers in it; it is part of request_key.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    overall_score: Mapped[float | None] = mapped_column(default=None)
    strengths: Mapped[list[Any] | None] = mapped_column(default=None)
    opportunities: Mapped[list[Any] | None] = mapped_column(default=None)
    rubric_scores: Mapped[list[Any] | None] = mapped_column(default=None)
    segment_feedback: Mapped[list[Any] | None] = mapped_column(default=None)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    warnings: Mapped[list[Any] | None] = mapped_column(default=None)

    provider: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    config_version: Mapped[str] = mapped_column(String(32))
    rubric_version: Mapped[str] = mapped_column(String(64))
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    cached_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float | None] = mapped_column(default=None)
    latency_ms: Mapped[int | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

    submission: Mapped[Submission] = relationship(back_populates="evaluations", lazy="joined")

    __table_args__ = (
        Index("ix_evaluations_session_id_created_at", "session_id", "created_at"),
        Index("ix_evaluations_user_id_created_at", "user_id", "created_at"),
        Index("ix_evaluations_submission_id", "submission_id"),
        Index("ix_evaluations_session_id_request_key", "session_id", "request_key"),
        Index("ix_evaluations_status", "status"),
        # The admin status: today, this week, the last hour, the usage window.
        Index("ix_evaluations_created_at", "created_at"),
        # The status's usage sums, from the index alone; the provider's last success.
        Index(
            "ix_evaluations_usage",
            *("created_at", "provider", "model", "user_id", "session_id"),
            *("prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd"),
        ),
        Index("ix_evaluations_provider_status_created_at", "provider", "status", "created_at"),
    )
