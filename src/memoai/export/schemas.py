"""The export API's response models (the JSON history; the CSV has the same columns)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class HistoryRow(BaseModel):
    id: uuid.UUID
    created_at: datetime
    status: str
    title: str | None
    overall_score: float | None
    scale: dict[str, int]
    scores: dict[str, int | None] = Field(description="Per criterion id; null when not assessed")
    metrics: dict[str, Any] = Field(description="Key writing metrics (words, reading grade, ...)")
    provider: str
    model: str
    provider_label: str
    rubric_version: str
    submission_id: uuid.UUID
    revision_of: uuid.UUID | None


class HistoryExport(BaseModel):
    items: list[HistoryRow] = Field(description="Every evaluation of the caller, oldest first")
    count: int
    criteria: list[str] = Field(description="The criterion ids seen, newest first")
