"""What the writer did with each comment of an evaluation (done, dismissed or open), the
counts every view shows, and the report on the previous version's comments.

A comment is named by its index in the evaluation's stored `segment_feedback`, which never
changes once the evaluation has completed. No row means open.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from memoai.analysis.kinds import DEFAULT_KIND, DEFAULT_SEVERITY, KINDS, SEVERITIES
from memoai.api import AppError, ErrorCode
from memoai.db import Base, Executor, utcnow
from memoai.evaluations.addressed import RULE, judge
from memoai.evaluations.comment_schemas import (
    CommentCounts,
    CommentOut,
    CommentStateOut,
    RevisionReport,
    WriterState,
)
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.evaluations.schemas import EvaluationOut
from memoai.translations import N_, ngettext
from memoai.translations import gettext as _


class CommentState(Base):
    __tablename__ = "comment_states"

    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    comment_index: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


async def states_of(db: Executor, evaluation_id: uuid.UUID) -> dict[int, WriterState]:
    """The writer's marks on one evaluation's comments (open ones have none)."""
    rows = await db.execute(
        select(CommentState.comment_index, CommentState.state).where(
            CommentState.evaluation_id == evaluation_id
        )
    )
    return {int(index): _writer_state(state) for index, state in rows.all()}


def _writer_state(value: str) -> WriterState:
    return "dismissed" if value == "dismissed" else "done"


def comment_view(
    index: int, stored: dict[str, Any], states: dict[int, WriterState]
) -> dict[str, Any]:
    """A stored comment with its index and state; comments stored before kinds existed read
    as the default kind and severity, marked as such (kind_source 'default')."""
    defaults: dict[str, Any] = {
        "kind": DEFAULT_KIND,
        "severity": DEFAULT_SEVERITY,
        "kind_source": "default",
        "criterion_id": None,
        "questions": [],
        "suggestion": "",
    }
    return defaults | stored | {"index": index, "state": states.get(index, "open")}


def counts(comments: Sequence[dict[str, Any]]) -> CommentCounts:
    """How far the writer has got through the comments (annotated by comment_view)."""
    states = Counter(str(c["state"]) for c in comments)
    done, dismissed = states["done"], states["dismissed"]
    total = len(comments)
    text = ngettext(
        "%(addressed)s of %(num)s comment addressed",
        "%(addressed)s of %(num)s comments addressed",
        total,
    ) % {"addressed": done + dismissed, "num": total}
    if done + dismissed:
        text += " " + _("(%(done)s done, %(dismissed)s dismissed)") % {
            "done": done,
            "dismissed": dismissed,
        }
    return CommentCounts(
        total=total,
        done=done,
        dismissed=dismissed,
        open=total - done - dismissed,
        addressed=done + dismissed,
        text=text,
        by_kind=_tally((str(c["kind"]) for c in comments), KINDS),
        by_severity=_tally((str(c["severity"]) for c in comments), SEVERITIES),
    )


def _tally(values: Iterable[str], order: Sequence[str]) -> dict[str, int]:
    found = Counter(values)
    return {name: found[name] for name in order}


async def annotate(db: Executor, out: EvaluationOut, evaluation: Evaluation) -> None:
    """Give the evaluation view its comments' states and counts, and for a revision the
    report on the previous version's comments."""
    if evaluation.status != Status.COMPLETED:
        return
    states = await states_of(db, evaluation.id) if out.segment_feedback else {}
    out.segment_feedback = [comment_view(i, c, states) for i, c in enumerate(out.segment_feedback)]
    out.comment_counts = counts(out.segment_feedback)
    out.revision_report = await revision_report(db, evaluation, out)


async def revision_report(
    db: Executor, evaluation: Evaluation, out: EvaluationOut
) -> RevisionReport | None:
    """The previous version's comments judged against this version by the stated rule."""
    revision_of = evaluation.submission.revision_of_id
    if revision_of is None:
        return None
    owner = (
        Evaluation.user_id == evaluation.user_id
        if evaluation.user_id is not None
        else Evaluation.session_id == evaluation.session_id
    )
    row = (
        await db.execute(
            select(Evaluation.id, Evaluation.segment_feedback, Submission.text_content)
            .join(Submission, Submission.id == Evaluation.submission_id)
            .where(
                owner,
                Evaluation.submission_id == revision_of,
                Evaluation.status == Status.COMPLETED,
                Evaluation.created_at <= evaluation.created_at,
            )
            .order_by(Evaluation.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    previous_id, stored, old_text = row
    states = await states_of(db, previous_id) if stored else {}
    earlier = [comment_view(i, c, states) for i, c in enumerate(stored or [])]
    items = judge(old_text, earlier, out.text_content, out.segment_feedback)
    addressed = sum(item.addressed for item in items)
    marked = sum(item.writer_state == "done" for item in items)
    text = ngettext(
        "%(addressed)s of %(num)s comment on the previous version addressed by the rule; "
        "you marked %(marked)s done",
        "%(addressed)s of %(num)s comments on the previous version addressed by the rule; "
        "you marked %(marked)s done",
        len(items),
    ) % {"addressed": addressed, "num": len(items), "marked": marked}
    return RevisionReport(
        previous_evaluation_id=previous_id,
        addressed_by=_(RULE),
        addressed=addressed,
        total=len(items),
        marked_done=marked,
        text=text,
        items=items,
    )


def comment_of(evaluation: Evaluation, index: int) -> dict[str, Any]:
    """One stored comment of a completed evaluation, or a clear 404/409."""
    if evaluation.status != Status.COMPLETED:
        raise AppError(
            409,
            ErrorCode.CONFLICT,
            N_("This evaluation has not finished, so its comments cannot be marked yet."),
        )
    comments = evaluation.segment_feedback or []
    if not 0 <= index < len(comments):
        raise AppError(
            404,
            ErrorCode.NOT_FOUND,
            ngettext(
                "No such comment: this evaluation has %(num)s comment, numbered from 0.",
                "No such comment: this evaluation has %(num)s comments, numbered from 0.",
                len(comments),
            )
            % {"num": len(comments)},
            field="comment_index",
        )
    stored: dict[str, Any] = comments[index]
    return stored


async def set_state(
    db: AsyncSession, evaluation: Evaluation, index: int, state: WriterState
) -> CommentStateOut:
    """Record what the writer did with one comment (open removes the mark); the comment and
    the new counts."""
    comment_of(evaluation, index)  # refuses a running evaluation or a missing comment
    every = list(evaluation.segment_feedback or [])
    if state == "open":
        await db.execute(
            delete(CommentState).where(
                CommentState.evaluation_id == evaluation.id, CommentState.comment_index == index
            )
        )
    else:  # one statement, so two quick clicks never collide on the primary key
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        values = {"evaluation_id": evaluation.id, "comment_index": index, "state": state}
        statement = insert(CommentState).values(**values, changed_at=utcnow())
        await db.execute(
            statement.on_conflict_do_update(
                index_elements=["evaluation_id", "comment_index"],
                set_={"state": state, "changed_at": statement.excluded.changed_at},
            )
        )
    states = await states_of(db, evaluation.id)
    await db.commit()
    views = [comment_view(i, c, states) for i, c in enumerate(every)]
    return CommentStateOut(comment=CommentOut.model_validate(views[index]), counts=counts(views))
