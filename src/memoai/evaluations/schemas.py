"""The evaluation API's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from memoai.evaluations.comment_schemas import CommentCounts, RevisionReport
from memoai.language import Language


class EvaluationCreate(BaseModel):
    """A memo to evaluate. Lengths are checked against the settings by the service."""

    model_config = ConfigDict(extra="forbid")

    text_content: str = Field(description="The memo, 1 to MEMO_MAX_CHARS characters")
    title: str | None = Field(None, description="Optional title")
    revision_of: uuid.UUID | None = Field(
        None, description="Id of the earlier evaluation (or submission) this text revises"
    )
    fresh: bool = Field(False, description="Evaluate again even if an identical request exists")
    language: Language | None = Field(
        None,
        description='The writer\'s language, "en" or "es": the feedback is written in it. '
        "Omitted: the request's Accept-Language header decides (English by default).",
    )


class Provenance(BaseModel):
    provider: str
    model: str
    label: str
    config_version: str
    rubric_version: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: float | None
    latency_ms: int | None
    attempts: int


class ErrorInfo(BaseModel):
    code: str
    message: str
    retryable: bool


class EvaluationOut(BaseModel):
    id: uuid.UUID
    submission_id: uuid.UUID
    status: str
    title: str | None
    text_content: str
    revision_of: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None
    overall_score: float | None
    scale: dict[str, int]
    strengths: list[str]
    opportunities: list[str]
    rubric_scores: list[dict[str, Any]]
    segment_feedback: list[dict[str, Any]]
    metrics: dict[str, Any] | None
    warnings: list[str]
    language: Language = Field(description="The writer's language the feedback is written in")
    provenance: Provenance
    error: ErrorInfo | None
    reused: bool = False
    progress_summary: dict[str, Any] | None = None
    comment_counts: CommentCounts | None = Field(
        None, description="The writer's marks on segment_feedback (completed evaluations)"
    )
    revision_report: RevisionReport | None = Field(
        None, description="For a revision: the previous version's comments, judged by a rule"
    )


class EvaluationListItem(BaseModel):
    id: uuid.UUID
    submission_id: uuid.UUID
    status: str
    title: str | None
    excerpt: str
    overall_score: float | None
    provider: str
    created_at: datetime


class EvaluationPage(BaseModel):
    """One page of the caller's history, newest first."""

    items: list[EvaluationListItem]
    total: int = Field(description="All of the caller's evaluations")
    limit: int
    offset: int
