"""The narrow rows progress reads: only the columns trends need, never memo text or raw output."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, String, Uuid, bindparam, or_, select, type_coerce
from sqlalchemy.orm import aliased

from memoai.db import Executor
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.evaluations.service import owned_by
from memoai.progress.schemas import METRICS, TimelineEntry
from memoai.sessions.caller import Caller


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
    opportunities: tuple[tuple[str, str], ...]  # (grouping key, wording), one per key
    title: str | None
    provider: str
    model: str
    entry: TimelineEntry  # this evaluation as a point of the progress timeline


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
# Ids as the driver returns them (hex text on SQLite, a UUID on PostgreSQL): a history's ids are
# read on every view, and building a UUID for each of them cost more than the rest of the read.
_ORDERED_IDS: tuple[Any, ...] = (type_coerce(Evaluation.id, String()).label("id"),)
CHUNK = 500  # ids per IN (...) list
_ROWS_BY_ID = (
    select(*_COLUMNS)
    .join(Submission, Submission.id == Evaluation.submission_id)
    .where(Evaluation.id.in_(bindparam("ids", expanding=True, type_=Uuid())))
)


def _completed(caller: Caller) -> Select[Any]:
    """Ids of the caller's completed evaluations, oldest first (only ids: the rest is cached)."""
    return (
        select(*_ORDERED_IDS)
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
    recent = (
        query.add_columns(Evaluation.created_at)
        .order_by(None)
        .order_by(Evaluation.created_at.desc())
        .limit(newest)
        .subquery()
    )
    return select(recent.c.id).order_by(recent.c.created_at, recent.c.id)


def chain_members(caller: Caller) -> Select[Any]:
    """Evaluations of every submission that revises, or is revised by, another of the caller's."""
    child = aliased(Submission)
    owner = (
        child.user_id == caller.user_id
        if caller.user_id is not None
        else child.session_id == caller.session_id
    )
    revised = select(child.revision_of_id).where(child.revision_of_id.is_not(None), owner)
    return (
        _completed(caller)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(or_(Submission.revision_of_id.is_not(None), Submission.id.in_(revised)))
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


def id_key(evaluation_id: uuid.UUID | str) -> int:
    """An evaluation id as the cache's key, from a UUID or from the raw text of one."""
    if isinstance(evaluation_id, uuid.UUID):
        return evaluation_id.int
    return int(evaluation_id.replace("-", ""), 16)


class RowCache:
    """Completed evaluations never change, so each is read and parsed once per process.

    Progress first reads only the ids it needs (owner and range checked in SQL), then the
    columns of those not seen before. Parsing the JSON columns is most of the cost of a long
    history; with the cache a new evaluation costs one row, not the whole history again.
    """

    def __init__(self, size: int = 20_000) -> None:
        self._rows: OrderedDict[int, EvalRow] = OrderedDict()
        self._size = size

    async def rows(self, db: Executor, ids: list[Any]) -> list[EvalRow]:
        """The rows of these evaluation ids (UUIDs or their raw text), in their order."""
        keys = [id_key(i) for i in ids]
        found: dict[int, EvalRow] = {}
        missing = []
        for key in keys:
            row = self._rows.get(key)
            if row is None:
                missing.append(uuid.UUID(int=key))
            else:
                found[key] = row
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            result = await db.execute(_ROWS_BY_ID, {"ids": chunk})
            for raw in result.all():
                row = _row(raw)
                found[row.evaluation_id.int] = row
                self.remember(row)
        return [found[k] for k in keys if k in found]  # skips one deleted meanwhile

    def remember(self, row: EvalRow) -> None:
        """Keep a completed evaluation's row (the process that completed it has it at hand)."""
        self._rows[row.evaluation_id.int] = row
        while len(self._rows) > self._size:
            self._rows.popitem(last=False)


ROWS = RowCache()


async def fetch(db: Executor, query: Select[Any]) -> list[EvalRow]:
    """The rows of a query from in_range, chain_members or latest, in its order."""
    ids = [r[0] for r in (await db.execute(query)).all()]
    return await ROWS.rows(db, ids)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NON_WORD = re.compile(r"[^\w#]+")


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """The grouping key of an opportunity: case, accents, punctuation and numbers ignored."""
    flat = text.casefold()
    if not flat.isascii():
        flat = unicodedata.normalize("NFKD", flat)
        flat = "".join(ch for ch in flat if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", _NUMBER.sub("#", flat)).split())


def _grouped(opportunities: list[Any]) -> tuple[tuple[str, str], ...]:
    """Each opportunity once per evaluation, with the key that groups it across evaluations."""
    found: dict[str, str] = {}
    for item in opportunities:
        key = normalise(str(item))
        if key and key not in found:
            found[key] = str(item)
    return tuple(found.items())


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


def numeric_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The tracked writing metrics that are numbers."""
    found: dict[str, float] = {}
    for ref in METRICS:
        value = metrics.get(ref.key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[ref.key] = float(value)
    return found


def _row(r: Any) -> EvalRow:
    return make_row(
        evaluation_id=r[0],
        submission_id=r[1],
        revision_of=r[2],
        created_at=r[3],
        overall_score=r[4],
        scale_min=r[5],
        scale_max=r[6],
        rubric_version=r[7],
        rubric_scores=r[8],
        metrics=r[9] or {},
        opportunities=r[10] or [],
        title=r[11],
        provider=r[12],
        model=r[13],
    )


def row_of(evaluation: Evaluation) -> EvalRow:
    """The row view of an evaluation already loaded with its submission."""
    submission = evaluation.submission
    return make_row(
        evaluation_id=evaluation.id,
        submission_id=evaluation.submission_id,
        revision_of=submission.revision_of_id,
        created_at=evaluation.created_at,
        overall_score=evaluation.overall_score,
        scale_min=evaluation.scale_min,
        scale_max=evaluation.scale_max,
        rubric_version=evaluation.rubric_version,
        rubric_scores=evaluation.rubric_scores,
        metrics=evaluation.metrics or {},
        opportunities=evaluation.opportunities or [],
        title=submission.title,
        provider=evaluation.provider,
        model=evaluation.model,
    )


def make_row(
    *, rubric_scores: list[dict[str, Any]] | None, opportunities: list[Any], **fields: Any
) -> EvalRow:
    """An EvalRow with its scores parsed and its timeline entry built, once."""
    scores, names = parse_scores(rubric_scores)
    entry = TimelineEntry.model_construct(  # typed values from the database: no validation
        evaluation_id=fields["evaluation_id"],
        submission_id=fields["submission_id"],
        revision_of=fields["revision_of"],
        created_at=fields["created_at"],
        title=fields["title"],
        overall_score=fields["overall_score"],
        scale={"min": fields["scale_min"], "max": fields["scale_max"]},
        rubric_version=fields["rubric_version"],
        scores=scores,
        metrics=numeric_metrics(fields["metrics"]),
        provider=fields["provider"],
    )
    return EvalRow(
        scores=scores,
        names=names,
        opportunities=_grouped(opportunities),
        entry=entry,
        **fields,
    )
