"""What the configuration administration routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memoai.configs.editing import VersionView
from memoai.configs.loader import StoredVersion
from memoai.configs.schemas import ConfigType
from memoai.configs.validate import MAX_CONFIG_BYTES

Content = Field(
    description="The whole YAML text, as the file holds it (${VAR} expressions kept); "
    f"at most {MAX_CONFIG_BYTES // 1024} KiB",
)
Comment = Field("", max_length=500, description="Why, for the version history")
MAX_VERSION = 2**31 - 1  # an INTEGER column on every backend


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    file: str
    line: int | None
    column: int | None
    message: str


class ConfigSummary(BaseModel):
    type: ConfigType
    version: int
    created_at: datetime
    author: str
    source: Literal["file", "admin"]
    comment: str
    valid: bool = Field(description="False when the file on disk (or this version) is invalid")
    problems: list[Problem]


class ConfigList(BaseModel):
    items: list[ConfigSummary]
    writable: bool = Field(description="Whether edits are also written to the files in config/")


class VersionInfo(BaseModel):
    version: int
    created_at: datetime
    author: str
    source: Literal["file", "admin"]
    comment: str
    hash: str = Field(description="sha256 of the text as stored")

    @classmethod
    def of(cls, stored: StoredVersion) -> VersionInfo:
        return cls(
            version=stored.version,
            created_at=stored.created_at,
            author=stored.author,
            source=stored.source,
            comment=stored.comment,
            hash=stored.hash,
        )


class ConfigVersionOut(VersionInfo):
    type: ConfigType
    content: str = Field(description="The YAML text as stored, ${VAR} expressions kept")
    effective: dict[str, Any] | None = Field(
        description="The values after ${VAR} expansion, secrets shown as (set)/(unset)"
    )
    warnings: list[str] = Field(description="For example: weights normalised to sum to 100")
    writable: bool

    @classmethod
    def view(cls, found: VersionView, writable: bool) -> ConfigVersionOut:
        return cls(
            **VersionInfo.of(found.stored).model_dump(),
            type=found.stored.type,
            content=found.stored.content,
            effective=found.effective,
            warnings=found.warnings,
            writable=writable,
        )


class VersionPage(BaseModel):
    items: list[VersionInfo]
    total: int


class ConfigEdit(Closed):
    content: str = Content
    comment: str = Comment
    base_version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="The version the edit started from; 409 if another is active",
    )


class Rollback(Closed):
    version: int = Field(ge=1, le=MAX_VERSION)
    comment: str = Comment


class DiffLine(BaseModel):
    op: Literal[" ", "+", "-", "@"]
    text: str


class ConfigDiff(BaseModel):
    from_version: int
    to_version: int
    unified: str
    lines: list[DiffLine]


class PreviewRequest(Closed):
    content: str = Content
    text_content: str = Field(min_length=1, max_length=50_000, description="A sample memo")


class PreviewCriterion(BaseModel):
    id: str
    name: str
    score: int | None
    justification: str


class PreviewEvaluation(BaseModel):
    overall_score: float | None
    criteria: list[PreviewCriterion]
    strengths: list[str]
    opportunities: list[str]


class PreviewOut(BaseModel):
    provider: str
    evaluation: PreviewEvaluation


class AuthConfigOut(BaseModel):
    enabled: bool = Field(description="Whether login is required now (after ${VAR} expansion)")
    version: ConfigVersionOut
