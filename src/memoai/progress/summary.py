"""The short progress summary that comes with every evaluation response (see memoai.feedback)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, bindparam, case, desc, func, select

from memoai import scores, translations
from memoai.db import Executor, utc_day
from memoai.evaluations.comment_schemas import CommentCounts
from memoai.evaluations.models import Evaluation, Status
from memoai.evaluations.service import OwnerStatement
from memoai.progress.chains import criterion_deltas, overall_delta
from memoai.progress.rows import ROWS, EvalRow, fetch, latest, row_of
from memoai.progress.trends import streak_days
from memoai.sessions.caller import Caller
from memoai.translations import gettext as _

_COMPLETED_UNTIL = (
    Evaluation.status == Status.COMPLETED,
    Evaluation.created_at <= bindparam("until", type_=Evaluation.created_at.type),
)
_SAME_VERSION = Evaluation.rubric_version == bindparam(
    "version", type_=Evaluation.rubric_version.type
)
_OTHER = Evaluation.id != bindparam("current", type_=Evaluation.id.type)
# The owner's completed evaluations up to a time, counted in SQL: how many; of those scored
# with the same rubric version, how many have a score, the sum of the scores in tenths (scores
# are stored rounded to one decimal, so the sum is exact and the mean rounds as scores.mean
# does) and the best score other than this evaluation's.
_TALLY = OwnerStatement(
    lambda owner: select(
        func.count(),
        func.count(case((_SAME_VERSION, Evaluation.overall_score))),
        func.sum(case((_SAME_VERSION, func.round(Evaluation.overall_score * 10)))),
        func.max(case((and_(_SAME_VERSION, _OTHER), Evaluation.overall_score))),
    ).where(owner, *_COMPLETED_UNTIL)
)
# The days (UTC) with a completed evaluation up to a time, newest first: one short row per day.
_DAYS = OwnerStatement(
    lambda owner: (
        select(utc_day(Evaluation.created_at).label("day"))
        .where(owner, *_COMPLETED_UNTIL)
        .distinct()
        .order_by(desc("day"))
    )
)


async def summary_for(
    db: Executor, caller: Caller, evaluation: Evaluation, *, comments: CommentCounts | None = None
) -> dict[str, Any] | None:
    """How this evaluation compares with the caller's previous one (or previous version), and
    how far the writer has got through its comments."""
    if evaluation.status != Status.COMPLETED:
        return None
    until = evaluation.created_at
    statement, params = _TALLY.bind(
        caller, until=until, version=evaluation.rubric_version, current=evaluation.id
    )
    count, scored, tenths, earlier_best = (await db.execute(statement, params)).one()
    statement, params = _DAYS.bind(caller, until=until)
    days = [date.fromisoformat(day) for day in (await db.scalars(statement, params))]
    current = row_of(evaluation)
    ROWS.remember(current)  # the next evaluation compares with this one: no read then
    previous = await _previous_version(db, caller, current)
    judged = evaluation.rubric_scores or []
    best, low = scores.strongest(judged), scores.weakest(judged)
    summary: dict[str, Any] = {
        "evaluations": count,
        "compared_with": "previous_version" if previous is not None else None,
        "previous": _brief(previous),
        "overall_delta": overall_delta(previous, current),
        "comparable": previous is not None and previous.rubric_version == current.rubric_version,
        "best_improvement": _best_improvement(previous, current),
        "personal_best": _beats(current.overall_score, earlier_best),
        "average": scores.rounded(Fraction(round(tenths), 10 * scored)) if scored else None,
        "streak_days": streak_days(days, current.created_at.date()),
        "strongest": _criterion(best),
        "weakest": _criterion(low),
        "comments": comments.model_dump() if comments is not None else None,
    }
    summary["headline"] = headline(summary, previous, current)
    return summary


async def _previous_version(db: Executor, caller: Caller, current: EvalRow) -> EvalRow | None:
    """The version this one revises (its newest evaluation); never an unrelated memo."""
    if current.revision_of is None:
        return None
    found = await fetch(db, latest(caller, Evaluation.submission_id == current.revision_of))
    return found[0] if found else None


def _beats(score: float | None, earlier_best: float | None) -> bool:
    """A personal best as the writer sees it: higher once both are rounded as shown."""
    shown, best = scores.rounded(score), scores.rounded(earlier_best)
    return shown is not None and best is not None and shown > best


def _criterion(item: Any) -> dict[str, Any] | None:
    """A criterion named by the one tie-break rule (memoai.scores)."""
    if item is None:
        return None
    return {"criterion_id": item["criterion_id"], "name": item["name"], "score": item["score"]}


def _brief(row: EvalRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "evaluation_id": str(row.evaluation_id),
        "overall_score": row.overall_score,
        "created_at": row.created_at.isoformat(),
        "title": row.title,
        "rubric_version": row.rubric_version,
    }


def _best_improvement(previous: EvalRow | None, current: EvalRow) -> dict[str, Any] | None:
    gains = [d for d in criterion_deltas(previous, current) if d.delta is not None and d.delta > 0]
    if not gains:
        return None
    best = max(gains, key=lambda d: d.delta or 0)
    return {"criterion_id": best.criterion_id, "name": best.name, "delta": best.delta}


def headline(summary: dict[str, Any], previous: EvalRow | None, current: EvalRow) -> str:
    """One sentence a writer can read at a glance, in the reader's language: how this version
    moved from the last."""
    if previous is None:
        return _("The first version of this memo. Revise it to see how your scores change.")
    if not summary["comparable"]:
        return _(
            "Scored with rubric version %(current)s, unlike the previous version "
            "(%(previous)s), so the scores are not compared."
        ) % {"current": current.rubric_version, "previous": previous.rubric_version}
    delta = summary["overall_delta"]
    before = translations.score(previous.overall_score)
    after = translations.score(current.overall_score)
    if delta is None:
        text = _("Compared with the previous version of this memo.")
    elif delta == 0:
        text = _("Same overall score as the previous version of this memo (%(score)s).") % {
            "score": after
        }
    else:
        moved = (
            _("Up %(change)s from the previous version of this memo (%(before)s → %(after)s).")
            if delta > 0
            else _(
                "Down %(change)s from the previous version of this memo (%(before)s → %(after)s)."
            )
        )
        text = moved % {"change": translations.score(abs(delta)), "before": before, "after": after}
    best = summary["best_improvement"]
    if best:
        text += " " + _("Biggest gain: %(criterion)s (+%(change)s).") % {
            "criterion": best["name"],
            "change": best["delta"],
        }
    return text
