"""The narrow rows progress reads: only the columns trends need, never memo text or raw output."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from memoai.deps import Caller
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.evaluations.service import owned_by


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One completed evaluation with the facts of its submission that progress needs."""

    evaluation_id: uuid.UUID
    submission_id: uuid.UUID
    revision_of: uuid.UUID | None
    created_at: datetime
    overall_score: float | None
    scale_min: int
    scale_max: int
    rubric_version: str
    scores: dict[str, int | None]  # criterion id to score; None when not assessed
    names: dict[str, str]  # criterion id to name, in rubric order
    metrics: dict[str, Any]
    opportunities: list[str]
    title: str | None
    provider: str
    model: str


_COLUMNS = (
    Evaluation.id,
    Evaluation.submission_id,
    Submission.revision_of_id,
    Evaluation.created_at,
    Evaluation.overall_score,
    Evaluation.scale_min,
    Evaluation.scale_max,
    Evaluation.rubric_version,
    Evaluation.rubric_scores,
    Evaluation.metrics,
    Evaluation.opportunities,
    Submission.title,
    Evaluation.provider,
    Evaluation.model,
)


def _completed(caller: Caller) -> Select[Any]:
    return (
        select(*_COLUMNS)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(owned_by(caller), Evaluation.status == Status.COMPLETED)
        .order_by(Evaluation.created_at, Evaluation.id)
    )


def in_range(
    caller: Caller,
    since: datetime | None,
    until: datetime | None = None,
    newest: int | None = None,
) -> Select[Any]:
    """The caller's completed evaluations created in [since, until], oldest first.

    With `newest`, only that many of the most recent ones (still oldest first).
    """
    query = _completed(caller)
    if since is not None:
        query = query.where(Evaluation.created_at >= since)
    if until is not None:
        query = query.where(Evaluation.created_at <= until)
    if newest is None:
        return query
    recent = query.order_by(None).order_by(Evaluation.created_at.desc()).limit(newest).subquery()
    return select(*recent.c).order_by(recent.c.created_at, recent.c.id)


def chain_members(caller: Caller) -> Select[Any]:
    """Evaluations of every submission that revises, or is revised by, another of the caller's."""
    child = aliased(Submission)
    owner = (
        child.user_id == caller.user_id
        if caller.user_id is not None
        else child.session_id == caller.session_id
    )
    revised = select(child.revision_of_id).where(child.revision_of_id.is_not(None), owner)
    return _completed(caller).where(
        or_(Submission.revision_of_id.is_not(None), Submission.id.in_(revised))
    )


async def fetch(db: AsyncSession, query: Select[Any]) -> list[EvalRow]:
    result = await db.execute(query)
    return [_row(r) for r in result.all()]


def parse_scores(
    rubric_scores: list[dict[str, Any]] | None,
) -> tuple[dict[str, int | None], dict[str, str]]:
    """Score (None when not assessed) and name by criterion id, in rubric order."""
    scores: dict[str, int | None] = {}
    names: dict[str, str] = {}
    for item in rubric_scores or []:
        cid = str(item.get("criterion_id"))
        scores[cid] = item.get("score") if item.get("assessed", True) else None
        names[cid] = str(item.get("name", ""))
    return scores, names


def _row(r: Any) -> EvalRow:
    scores, names = parse_scores(r[8])
    return EvalRow(
        evaluation_id=r[0],
        submission_id=r[1],
        revision_of=r[2],
        created_at=r[3],
        overall_score=r[4],
        scale_min=r[5],
        scale_max=r[6],
        rubric_version=r[7],
        scores=scores,
        names=names,
        metrics=r[9] or {},
        opportunities=[str(o) for o in r[10] or []],
        title=r[11],
        provider=r[12],
        model=r[13],
    )


def latest(caller: Caller, *conditions: Any) -> Select[Any]:
    """The caller's newest completed evaluation matching the conditions."""
    return (
        _completed(caller)
        .where(*conditions)
        .order_by(None)
        .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(1)
    )


def row_of(evaluation: Evaluation) -> EvalRow:
    """The row view of an evaluation already loaded with its submission."""
    submission = evaluation.submission
    scores, names = parse_scores(evaluation.rubric_scores)
    return EvalRow(
        evaluation_id=evaluation.id,
        submission_id=evaluation.submission_id,
        revision_of=submission.revision_of_id,
        created_at=evaluation.created_at,
        overall_score=evaluation.overall_score,
        scale_min=evaluation.scale_min,
        scale_max=evaluation.scale_max,
        rubric_version=evaluation.rubric_version,
        scores=scores,
        names=names,
        metrics=evaluation.metrics or {},
        opportunities=[str(o) for o in evaluation.opportunities or []],
        title=submission.title,
        provider=evaluation.provider,
        model=evaluation.model,
    )
