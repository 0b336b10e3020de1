"""The memo API's response models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class MemoVersion(BaseModel):
    """One version of a memo (a submission) with its newest evaluation."""

    version: int = Field(description="1 for the first text, counting up along the revisions")
    submission_id: uuid.UUID
    evaluation_id: uuid.UUID = Field(description="The version's newest evaluation")
    revision_of: uuid.UUID | None = Field(description="The submission this version revises")
    status: str
    overall_score: float | None
    scale: dict[str, int]
    title: str | None
    created_at: datetime


class MemoOut(BaseModel):
    """A memo: its versions oldest first; title, score and date are the newest version's."""

    id: uuid.UUID = Field(description="The memo's id: its first version's submission id")
    title: str | None
    excerpt: str = Field(description="The start of the newest version's text")
    versions: list[MemoVersion]
    latest: MemoVersion
    created_at: datetime
    updated_at: datetime


class MemoPage(BaseModel):
    """One page of the caller's memos, the most recently revised first."""

    items: list[MemoOut]
    total: int = Field(description="Memos that match `q` (all of them without it)")
    limit: int
    offset: int
    q: str = Field(description="The search as applied ('' for none)")


class ExportedVersion(MemoVersion):
    text_content: str = Field(description="The version's text, exactly as it was sent")


class ExportedMemo(BaseModel):
    id: uuid.UUID
    title: str | None
    versions: list[ExportedVersion]
    created_at: datetime
    updated_at: datetime


class MemoExport(BaseModel):
    """Every memo of the caller with every version's text: a copy to keep before deleting."""

    exported_at: datetime
    count: int
    memos: list[ExportedMemo]


class DeletedOut(BaseModel):
    """What a deletion removed, counted before it went."""

    memos: int
    versions: int
    evaluations: int
    chat_messages: int
