"""A writer's memos: every version of each memo, searched, paged, and deleted for good.

A memo is a revision chain: its first submission and every submission that revises one of
its versions. Ownership is the evaluations' (the caller's user when signed in, else the
session), so a writer only ever sees and deletes their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    String,
    Uuid,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import not_found
from memoai.db import utcnow
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.evaluations.service import OwnerStatement
from memoai.memos.schemas import (
    ExportedMemo,
    ExportedVersion,
    MemoExport,
    MemoOut,
    MemoPage,
    MemoVersion,
)
from memoai.sessions.caller import Caller

UNFINISHED = (Status.PENDING, Status.RUNNING)
Key = TypeVar("Key", bound=Hashable)
_ROW_COLUMNS = (
    Evaluation.id,
    Evaluation.submission_id,
    Evaluation.status,
    Evaluation.overall_score,
    Evaluation.scale_min,
    Evaluation.scale_max,
    Submission.revision_of_id,
    Submission.title,
    Submission.created_at,
)
# Every evaluation of the caller with the facts of its submission: no text, no feedback.
_ROWS = OwnerStatement(
    lambda owner: (
        select(*_ROW_COLUMNS)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(owner)
        .order_by(Evaluation.created_at, Evaluation.id)
    )
)
_SUBMISSION_IDS = bindparam("ids", type_=Uuid(), expanding=True)
# The same, for the versions of the memos on one page only.
_ROWS_OF = OwnerStatement(
    lambda owner: (
        select(*_ROW_COLUMNS)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(owner, Evaluation.submission_id.in_(_SUBMISSION_IDS))
        .order_by(Evaluation.created_at, Evaluation.id)
    )
)


def _raw(column: Any) -> Any:
    """A column as the driver returns it: ids as keys without building a UUID for each row."""
    return type_coerce(column, String())


# The caller's versions (submissions they have an evaluation of) and the version each revises,
# oldest first: the list is grouped from these raw ids, and only one page is read in full.
_VERSIONS = OwnerStatement(
    lambda owner: (
        select(_raw(Submission.id), _raw(Submission.revision_of_id))
        .where(Submission.id.in_(select(Evaluation.submission_id).where(owner)))
        .order_by(Submission.created_at, Submission.id)
    )
)
_PATTERN = bindparam("pattern", type_=String())
# The caller's submissions whose title or text holds the search, in any letter case.
_MATCHES = OwnerStatement(
    lambda owner: (
        select(_raw(Evaluation.submission_id))
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(owner)
        .where(
            or_(
                func.lower(Submission.title).like(_PATTERN, escape="\\"),
                func.lower(Submission.text_content).like(_PATTERN, escape="\\"),
            )
        )
    )
)
_TITLED_TEXTS = OwnerStatement(
    lambda owner: (
        select(_raw(Evaluation.submission_id), Submission.title, Submission.text_content)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(owner)
    )
)
_TEXTS = select(Submission.id, Submission.text_content).where(
    Submission.id.in_(bindparam("ids", type_=Uuid(), expanding=True))
)


@dataclass(frozen=True, slots=True)
class Row:
    """One evaluation of the caller, with what the list shows of its submission."""

    evaluation_id: uuid.UUID
    submission_id: uuid.UUID
    status: str
    overall_score: float | None
    scale_min: int
    scale_max: int
    revision_of: uuid.UUID | None
    title: str | None
    created_at: Any


@dataclass(slots=True)
class Memo:
    """A chain of versions (newest evaluation of each submission), oldest version first."""

    id: uuid.UUID
    versions: list[Row]
    evaluations: list[Row]

    @property
    def latest(self) -> Row:
        return self.versions[-1]

    @property
    def title(self) -> str | None:
        return next((v.title for v in reversed(self.versions) if v.title), None)


def group(rows: Iterable[Row]) -> list[Memo]:
    """Rows (oldest evaluation first) as memos, the most recently revised first.

    Keyed by the ids' integers: a UUID hashes in Python, and a history of thousands of rows
    is looked up several times per row.
    """
    newest: dict[int, Row] = {}
    every: dict[int, list[Row]] = {}
    for row in rows:  # oldest first, so a submission's newest evaluation wins
        key = row.submission_id.int
        newest[key] = row
        every.setdefault(key, []).append(row)
    versions: dict[int, int | None] = {}
    for key in sorted(newest, key=lambda k: (newest[k].created_at, k)):
        parent = newest[key].revision_of
        versions[key] = parent.int if parent is not None else None
    return [
        Memo(
            newest[keys[0]].submission_id,
            [newest[k] for k in keys],
            [row for k in keys for row in every[k]],
        )
        for keys in chains(versions)
    ]


def chains(versions: dict[Key, Key | None]) -> list[list[Key]]:
    """Versions (each with the one it revises, None for a first), in the order they were
    written, as memos: each memo's versions in that order, the most recently revised first."""
    roots: dict[Key, Key] = {}
    memos: dict[Key, list[Key]] = {}
    for key in versions:
        memos.setdefault(_root(key, versions, roots), []).append(key)
    position = {key: n for n, key in enumerate(versions)}
    return sorted(memos.values(), key=lambda keys: position[keys[-1]], reverse=True)


def _root(key: Key, parents: dict[Key, Key | None], roots: dict[Key, Key]) -> Key:
    """The first version of the chain `key` belongs to (a parent that is gone ends it)."""
    path: list[Key] = []
    current = key
    while True:
        if current in roots:
            root = roots[current]
            break
        if current in path:  # a cycle cannot be stored, but never loop on one
            root = current
            break
        path.append(current)
        parent = parents[current]
        if parent is None or parent not in parents:
            root = current
            break
        current = parent
    for member in path:
        roots[member] = root
    return root


async def memos_of(db: AsyncSession, caller: Caller) -> list[Memo]:
    """Every memo of the caller, the most recently revised first."""
    statement, params = _ROWS.bind(caller)
    # Core on the session's connection: no ORM result machinery for thousands of plain rows.
    rows = (await (await db.connection()).execute(statement, params)).all()
    return group(Row(*row) for row in rows)


async def page(db: AsyncSession, caller: Caller, q: str, limit: int, offset: int) -> MemoPage:
    """A page of the caller's memos; with `q`, those with a version whose title or text has it.

    The memos are grouped from the versions' ids alone; only the shown ones are read in full.
    """
    statement, params = _VERSIONS.bind(caller)
    versions = (await (await db.connection()).execute(statement, params)).all()
    memos: list[list[Hashable]] = chains({key: parent for key, parent in versions})
    wanted = q.strip()
    if wanted:
        found = await _matching(db, caller, wanted)
        memos = [keys for keys in memos if any(key in found for key in keys)]
    ids = [uuid.UUID(str(key)) for keys in memos[offset : offset + limit] for key in keys]
    shown = await _memos_with(db, caller, ids)
    texts = await _texts(db, [m.latest.submission_id for m in shown])
    items = [to_out(m, texts.get(m.latest.submission_id, "")) for m in shown]
    return MemoPage(items=items, total=len(memos), limit=limit, offset=offset, q=wanted)


async def _memos_with(db: AsyncSession, caller: Caller, ids: list[uuid.UUID]) -> list[Memo]:
    """The memos made of these versions (whole memos), the most recently revised first."""
    if not ids:
        return []
    statement, params = _ROWS_OF.bind(caller, ids=ids)
    rows = (await (await db.connection()).execute(statement, params)).all()
    return group(Row(*row) for row in rows)


async def one(db: AsyncSession, caller: Caller, memo_id: uuid.UUID) -> MemoOut:
    """One memo of the caller with all its versions, or 404."""
    memo = find(await memos_of(db, caller), memo_id)
    texts = await _texts(db, [memo.latest.submission_id])
    return to_out(memo, texts.get(memo.latest.submission_id, ""))


def excerpt(text: str, length: int = 160) -> str:
    """The start of a text on one line, cut at a word where it is long."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rsplit(" ", 1)[0] + "…"


async def export(db: AsyncSession, caller: Caller) -> MemoExport:
    """Every memo with every version's text, the most recently revised first."""
    memos = await memos_of(db, caller)
    texts = await _texts(db, [v.submission_id for m in memos for v in m.versions])
    exported = [
        ExportedMemo(
            id=m.id,
            title=m.title,
            versions=[
                ExportedVersion(
                    **_version(number, row).model_dump(),
                    text_content=texts.get(row.submission_id, ""),
                )
                for number, row in enumerate(m.versions, start=1)
            ],
            created_at=m.versions[0].created_at,
            updated_at=m.latest.created_at,
        )
        for m in memos
    ]
    return MemoExport(exported_at=utcnow(), count=len(exported), memos=exported)


async def _matching(db: AsyncSession, caller: Caller, wanted: str) -> set[Hashable]:
    """The caller's submissions (raw ids, as `_VERSIONS` has them) whose title or text contains
    `wanted` in any letter case.

    SQLite's lower() folds ASCII letters only, so the database searches ASCII words (the common
    case, and quick); any other search folds the caller's texts here, alike on every database.
    """
    if wanted.isascii():
        statement, params = _MATCHES.bind(caller, pattern=f"%{_escape(wanted.lower())}%")
        return set((await db.execute(statement, params)).scalars())
    needle = wanted.casefold()
    statement, params = _TITLED_TEXTS.bind(caller)
    rows = (await db.execute(statement, params)).all()
    return {sid for sid, title, text in rows if needle in f"{title or ''}\n{text}".casefold()}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _texts(db: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = (await db.execute(_TEXTS, {"ids": list(ids)})).all()
    return {row[0]: row[1] for row in rows}


def find(memos: Sequence[Memo], memo_id: uuid.UUID) -> Memo:
    found = next((m for m in memos if m.id == memo_id), None)
    if found is None:
        raise not_found("memo")
    return found


def to_out(memo: Memo, text: str) -> MemoOut:
    versions = [_version(number, row) for number, row in enumerate(memo.versions, start=1)]
    return MemoOut(
        id=memo.id,
        title=memo.title,
        excerpt=excerpt(text),
        versions=versions,
        latest=versions[-1],
        created_at=memo.versions[0].created_at,
        updated_at=memo.latest.created_at,
    )


def _version(number: int, row: Row) -> MemoVersion:
    return MemoVersion(
        version=number,
        submission_id=row.submission_id,
        evaluation_id=row.evaluation_id,
        revision_of=row.revision_of,
        status=row.status,
        overall_score=row.overall_score,
        scale={"min": row.scale_min, "max": row.scale_max},
        title=row.title,
        created_at=row.created_at,
    )
