"""Storing and reading submissions and evaluations; every read checks ownership."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Table,
    Uuid,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, load_only

from memoai.api import AppError, ErrorCode, not_found
from memoai.db import Executor, new_id, utcnow
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.evaluations.schemas import EvaluationCreate, EvaluationListItem, EvaluationOut
from memoai.sessions.caller import Caller
from memoai.translations import N_

OFFLINE_LABEL = "offline analysis"
RETRYABLE_CODES = {
    "LLM_TIMEOUT",
    "LLM_UNAVAILABLE",
    "LLM_BAD_OUTPUT",
    "EVALUATION_INTERRUPTED",
    # The outcome could not be stored (see memoai.evaluations.outcome); the memo is.
    "DISK_FULL",
    "DATABASE_READ_ONLY",
    "DATABASE_BUSY",
}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_key(
    text: str, config_version: str, provider: str, model: str, language: str = "en"
) -> str:
    """Identity of an evaluation request: same text, configuration, provider, model and
    writer's language (a Spanish writer never receives a stored English evaluation).

    English keys are those stored before the language existed, so they stay reusable."""
    parts = (text_hash(text), config_version, provider, model)
    raw = "\x1f".join(parts if language == "en" else (*parts, language))
    return hashlib.sha256(raw.encode()).hexdigest()


# A history page needs these, not the feedback, metrics or debug columns.
LIST_COLUMNS = (
    Evaluation.id,
    Evaluation.submission_id,
    Evaluation.status,
    Evaluation.overall_score,
    Evaluation.provider,
    Evaluation.created_at,
)


def owned_by(caller: Caller) -> ColumnElement[bool]:
    """Rows of the caller: their user's when logged in, else their session's."""
    if caller.user_id is not None:
        return Evaluation.user_id == caller.user_id
    return Evaluation.session_id == caller.session_id


class OwnerStatement:
    """A statement built once per kind of owner (user or session); the owner is bound per call.

    Hot paths run these instead of building expressions per request: SQLAlchemy then skips
    both the construction and the cache-key walk of the statement.
    """

    def __init__(self, build: Callable[[ColumnElement[bool]], Executable]) -> None:
        owner = bindparam("owner", type_=Uuid())  # not the column's: a foreign key's is late
        self._by_user = build(Evaluation.user_id == owner)
        self._by_session = build(Evaluation.session_id == owner)

    def bind(self, caller: Caller, **params: Any) -> tuple[Executable, dict[str, Any]]:
        if caller.user_id is not None:
            return self._by_user, {"owner": caller.user_id, **params}
        return self._by_session, {"owner": caller.session_id, **params}


_SUBMISSIONS: Table = Submission.__table__  # type: ignore[assignment]
_EVALUATIONS: Table = Evaluation.__table__  # type: ignore[assignment]
_INSERT_SUBMISSION = _SUBMISSIONS.insert()
_INSERT_EVALUATION = _EVALUATIONS.insert()
_UPDATE_EVALUATION = update(_EVALUATIONS).where(
    _EVALUATIONS.c.id == bindparam("evaluation_id", type_=_EVALUATIONS.c.id.type)
)
_REUSABLE = OwnerStatement(
    lambda owner: (
        select(Evaluation.id)
        .where(owner, Evaluation.request_key == bindparam("key", type_=Evaluation.request_key.type))
        .where(Evaluation.status == Status.COMPLETED)
        .order_by(Evaluation.created_at.desc())
        .limit(1)
    )
)


async def get_owned(db: AsyncSession, caller: Caller, evaluation_id: uuid.UUID) -> Evaluation:
    """The caller's evaluation, or 404 (also for someone else's)."""
    evaluation = await db.scalar(
        select(Evaluation).where(Evaluation.id == evaluation_id, owned_by(caller))
    )
    if evaluation is None:
        raise not_found("evaluation")
    return evaluation


async def get(db: AsyncSession, evaluation_id: uuid.UUID) -> Evaluation:
    evaluation = await db.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise not_found("evaluation")
    return evaluation


async def find_reusable(db: Executor, caller: Caller, key: str) -> uuid.UUID | None:
    """The newest completed evaluation of an identical request by this caller."""
    statement, params = _REUSABLE.bind(caller, key=key)
    found: uuid.UUID | None = (await db.execute(statement, params)).scalar()
    return found


async def resolve_revision(
    db: Executor, caller: Caller, revision_of: uuid.UUID | None
) -> uuid.UUID | None:
    """The submission a new text revises, given an evaluation or submission id of the caller."""
    if revision_of is None:
        return None
    submission_id: uuid.UUID | None = await db.scalar(
        select(Evaluation.submission_id)
        .where(
            owned_by(caller),
            or_(Evaluation.id == revision_of, Evaluation.submission_id == revision_of),
        )
        .limit(1)
    )
    if submission_id is None:
        raise AppError(
            404,
            ErrorCode.NOT_FOUND,
            N_("The memo this revises was not found."),
            field="revision_of",
        )
    return submission_id


async def create_pending(
    db: Executor,
    caller: Caller,
    payload: EvaluationCreate,
    *,
    revision_id: uuid.UUID | None,
    key: str,
    language: str,
    provider: str,
    model: str,
    config_version: str,
    rubric_version: str,
    scale: tuple[int, int],
) -> Evaluation:
    """Store the memo and its running evaluation in one commit, before any model call.

    Two Core inserts instead of an ORM flush (this runs on every submission); the returned
    objects are built from the same values, detached, as if read back.
    """
    now = utcnow()
    submission = {
        "id": new_id(),
        "session_id": caller.session_id,
        "user_id": caller.user_id,
        "title": (payload.title or "").strip() or None,
        "text_content": payload.text_content,
        "text_hash": text_hash(payload.text_content),
        "revision_of_id": revision_id,
        "created_at": now,
    }
    evaluation = {
        "id": new_id(),
        "submission_id": submission["id"],
        "session_id": caller.session_id,
        "user_id": caller.user_id,
        # The caller evaluates it at once; a crash before it ends is recovered at start-up.
        "status": Status.RUNNING,
        "request_key": key,
        "language": language,
        "provider": provider,
        "model": model,
        "config_version": config_version,
        "rubric_version": rubric_version,
        "scale_min": scale[0],
        "scale_max": scale[1],
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cached_tokens": 0,
        "attempts": 0,
        "created_at": now,
        "started_at": now,
    }
    await db.execute(_INSERT_SUBMISSION, submission)
    await db.execute(_INSERT_EVALUATION, evaluation)
    await db.commit()
    stored = Evaluation(**evaluation)
    stored.submission = Submission(**submission)
    return stored


async def update_fields(db: Executor, evaluation_id: uuid.UUID, **values: Any) -> None:
    """One short write transaction (never held across a model call)."""
    await db.execute(_UPDATE_EVALUATION, {"evaluation_id": evaluation_id, **values})
    await db.commit()


async def list_owned(
    db: AsyncSession, caller: Caller, limit: int, offset: int
) -> tuple[list[EvaluationListItem], int]:
    """A page of the caller's evaluations, newest first, with the total count."""
    total = await db.scalar(select(func.count()).select_from(Evaluation).where(owned_by(caller)))
    rows = await db.scalars(
        select(Evaluation)
        .where(owned_by(caller))
        .options(
            load_only(*LIST_COLUMNS),
            joinedload(Evaluation.submission).load_only(Submission.title, Submission.text_content),
        )
        .order_by(Evaluation.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        EvaluationListItem(
            id=e.id,
            submission_id=e.submission_id,
            status=e.status,
            title=e.submission.title,
            excerpt=_excerpt(e.submission.text_content),
            overall_score=e.overall_score,
            provider=e.provider,
            created_at=e.created_at,
        )
        for e in rows
    ]
    return items, int(total or 0)


def _excerpt(text: str, length: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


async def recover_interrupted(db: AsyncSession, started_before: datetime) -> int:
    """Evaluations a crash left pending or running become failed and retryable."""
    result = await db.execute(
        update(Evaluation)
        .where(
            Evaluation.status.in_([Status.PENDING, Status.RUNNING]),
            Evaluation.created_at < started_before,
        )
        .values(
            status=Status.FAILED,
            error_code=ErrorCode.EVALUATION_INTERRUPTED,
            error_message="The evaluation was interrupted by a restart. Retry it.",
            completed_at=utcnow(),
        )
    )
    await db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def provider_label(provider: str, model: str) -> str:
    if provider == "offline":
        return OFFLINE_LABEL
    if provider == "claude":
        return f"Claude ({model})"
    return f"{model} (OpenAI-compatible)"


def to_out(evaluation: Evaluation, *, reused: bool = False) -> EvaluationOut:
    """The API view of an evaluation, with its memo and provenance."""
    submission = evaluation.submission
    error = None
    if evaluation.status == Status.FAILED and evaluation.error_code:
        error = {
            "code": evaluation.error_code,
            "message": evaluation.error_message or "The evaluation failed.",
            "retryable": evaluation.error_code in RETRYABLE_CODES,
        }
    return EvaluationOut.model_validate(
        {
            "id": evaluation.id,
            "submission_id": evaluation.submission_id,
            "status": evaluation.status,
            "title": submission.title,
            "text_content": submission.text_content,
            "revision_of": submission.revision_of_id,
            "created_at": evaluation.created_at,
            "completed_at": evaluation.completed_at,
            "overall_score": evaluation.overall_score,
            "scale": {"min": evaluation.scale_min, "max": evaluation.scale_max},
            "strengths": evaluation.strengths or [],
            "opportunities": evaluation.opportunities or [],
            "rubric_scores": evaluation.rubric_scores or [],
            "segment_feedback": evaluation.segment_feedback or [],
            "metrics": evaluation.metrics,
            "warnings": evaluation.warnings or [],
            "language": evaluation.language,
            "provenance": {
                "provider": evaluation.provider,
                "model": evaluation.model,
                "label": provider_label(evaluation.provider, evaluation.model),
                "config_version": evaluation.config_version,
                "rubric_version": evaluation.rubric_version,
                "prompt_tokens": evaluation.prompt_tokens,
                "completion_tokens": evaluation.completion_tokens,
                "cached_tokens": evaluation.cached_tokens,
                "cost_usd": evaluation.cost_usd,
                "latency_ms": evaluation.latency_ms,
                "attempts": evaluation.attempts,
            },
            "error": error,
            "reused": reused,
        }
    )
