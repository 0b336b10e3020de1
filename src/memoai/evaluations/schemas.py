"""The evaluation API's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EvaluationCreate(BaseModel):
    """A memo to evaluate. Lengths are checked against the settings by the service."""

    model_config = ConfigDict(extra="forbid")

    text_content: str = Field(description="The memo, 1 to MEMO_MAX_CHARS characters")
    title: str | None = Field(None, description="Optional title")
    revision_of: uuid.UUID | None = Field(
        None, description="Id of the earlier evaluation (or submission) this text revises"
    )
    fresh: bool = Field(False, description="Evaluate again even if an identical request exists")


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
    provenance: Provenance
    error: ErrorInfo | None
    reused: bool = False
    progress_summary: dict[str, Any] | None = None


class EvaluationListItem(BaseModel):
    id: uuid.UUID
    submission_id: uuid.UUID
    status: str
    title: str | None
    excerpt: str
    overall_score: float | None
    provider: str
    created_at: datetime
