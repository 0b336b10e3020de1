"""The progress API's response models: trends, frequency, opportunities, revision chains."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from memoai.translations import N_

RangeName = Literal["week", "month", "quarter", "all"]
RANGE_DAYS: dict[str, int | None] = {"week": 7, "month": 30, "quarter": 91, "all": None}


class MetricRef(BaseModel):
    """A writing metric tracked over time; `percent` values are stored as shares of 1."""

    key: str
    label: str
    percent: bool = False


# The writing metrics progress follows, in display order (keys of analysis.metrics).
METRICS: tuple[MetricRef, ...] = (
    MetricRef(key="words", label=N_("Words")),
    MetricRef(key="mean_sentence_length", label=N_("Words per sentence")),
    MetricRef(key="readability_grade", label=N_("Reading grade")),
    MetricRef(key="passive_share", label=N_("Passive voice"), percent=True),
    MetricRef(key="numbers_count", label=N_("Figures")),
    MetricRef(key="long_sentences", label=N_("Long sentences")),
)


class CriterionRef(BaseModel):
    criterion_id: str
    name: str
    rubric_versions: list[str]


class TimelineEntry(BaseModel):
    """One completed evaluation as a point in time; series are read off these entries."""

    evaluation_id: uuid.UUID
    submission_id: uuid.UUID
    revision_of: uuid.UUID | None = None  # the submission this version revises
    created_at: datetime
    title: str | None
    overall_score: float | None
    scale: dict[str, int]
    rubric_version: str
    scores: dict[str, int | None]
    metrics: dict[str, float]
    provider: str


class SeriesStats(BaseModel):
    """First, latest and best value of a series, within the current rubric version only."""

    key: str
    label: str
    count: int
    first: float | None
    last: float | None
    change: float | None
    best: float | None
    mean: float | None


class RubricVersionInfo(BaseModel):
    version: str
    evaluations: int
    first_at: datetime
    last_at: datetime
    current: bool


class FrequencyBucket(BaseModel):
    start: date
    count: int


class Frequency(BaseModel):
    unit: Literal["day", "week"]
    buckets: list[FrequencyBucket]
    total: int


class OpportunityCount(BaseModel):
    text: str = Field(description="The most recent wording of this opportunity")
    count: int = Field(description="Evaluations that named it")
    share: float = Field(description="Share of the evaluations in the range")
    last_seen: datetime


class CriterionDelta(BaseModel):
    criterion_id: str
    name: str
    previous: int | None
    current: int | None
    delta: int | None


class DiffOp(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class ChainVersion(BaseModel):
    """Version N of a memo against the version it revises (N-1)."""

    version: int
    evaluation_id: uuid.UUID
    submission_id: uuid.UUID
    previous_evaluation_id: uuid.UUID | None
    created_at: datetime
    title: str | None
    overall_score: float | None
    overall_delta: float | None
    rubric_version: str
    comparable: bool = Field(description="False when N-1 was scored with another rubric version")
    criteria: list[CriterionDelta]
    diff: list[DiffOp] | None = Field(None, description="Word-level changes from N-1 to N")
    words_added: int | None = None
    words_removed: int | None = None


class RevisionChain(BaseModel):
    chain_id: uuid.UUID = Field(description="The first version's submission id")
    title: str | None
    versions: list[ChainVersion]
    latest_evaluation_id: uuid.UUID
    total_change: float | None


class Counts(BaseModel):
    """Evaluations; memos (a memo and all its versions count once); revisions (versions
    after a memo's first, each counted once however often it was evaluated)."""

    evaluations: int
    memos: int
    revisions: int


class ProgressStats(BaseModel):
    overall: SeriesStats
    criteria: list[SeriesStats]
    metrics: list[SeriesStats]


class ProgressOut(BaseModel):
    range: RangeName
    since: datetime | None
    until: datetime
    counts: Counts
    scale: dict[str, int]
    current_rubric_version: str | None
    rubric_versions: list[RubricVersionInfo]
    mixed_rubric_versions: bool
    criteria: list[CriterionRef]
    metrics: list[MetricRef]
    timeline: list[TimelineEntry]
    stats: ProgressStats
    frequency: Frequency
    top_opportunities: list[OpportunityCount]
    revision_chains: list[RevisionChain]
    streak_days: int
