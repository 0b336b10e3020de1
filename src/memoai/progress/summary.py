"""The short progress summary that comes with every evaluation response."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from memoai.db import Executor
from memoai.deps import Caller
from memoai.evaluations.models import Evaluation, Status
from memoai.evaluations.schemas import EvaluationOut
from memoai.evaluations.service import OwnerStatement, to_out
from memoai.progress.chains import criterion_deltas, overall_delta
from memoai.progress.rows import ROWS, EvalRow, fetch, latest, row_of
from memoai.progress.trends import streak_days

History = list[tuple[Any, float | None, str, datetime]]
# (id, overall, rubric version, time) of the owner's completed evaluations up to a time.
_HISTORY = OwnerStatement(
    lambda owner: (
        select(
            Evaluation.id,
            Evaluation.overall_score,
            Evaluation.rubric_version,
            Evaluation.created_at,
        )
        .where(
            owner,
            Evaluation.status == Status.COMPLETED,
            Evaluation.created_at <= bindparam("until", type_=Evaluation.created_at.type),
        )
        .order_by(Evaluation.created_at, Evaluation.id)
    )
)


def owner_of(evaluation: Evaluation) -> Caller:
    """Whose progress an evaluation belongs to (its user's when it has one)."""
    return Caller(session_id=evaluation.session_id, user_id=evaluation.user_id)


async def described(db: Executor, evaluation: Evaluation, *, reused: bool = False) -> EvaluationOut:
    """The API view of an evaluation with its owner's progress summary: one call for routes."""
    out = to_out(evaluation, reused=reused)
    out.progress_summary = await summary_for(db, owner_of(evaluation), evaluation)
    return out


async def summary_for(
    db: Executor, caller: Caller, evaluation: Evaluation
) -> dict[str, Any] | None:
    """How this evaluation compares with the caller's previous one (or previous version)."""
    if evaluation.status != Status.COMPLETED:
        return None
    statement, params = _HISTORY.bind(caller, until=evaluation.created_at)
    rows = (await db.execute(statement, params)).all()
    history: History = [(r[0], r[1], r[2], r[3]) for r in rows]
    current = row_of(evaluation)
    ROWS.remember(current)  # the next evaluation compares with this one: no read then
    previous, compared_with = await _previous(db, caller, current, history)
    same = [(i, s) for i, s, v, _ in history if v == current.rubric_version and s is not None]
    earlier_best = max((s for i, s in same if i != current.evaluation_id), default=None)
    summary: dict[str, Any] = {
        "evaluations": len(history),
        "compared_with": compared_with,
        "previous": _brief(previous),
        "overall_delta": overall_delta(previous, current),
        "comparable": previous is not None and previous.rubric_version == current.rubric_version,
        "best_improvement": _best_improvement(previous, current),
        "personal_best": earlier_best is not None
        and current.overall_score is not None
        and current.overall_score > earlier_best,
        "average": round(sum(s for _, s in same) / len(same), 2) if same else None,
        "streak_days": streak_days((h[3] for h in history), current.created_at.date()),
    }
    summary["headline"] = headline(summary, previous, current)
    return summary


async def _previous(
    db: Executor, caller: Caller, current: EvalRow, history: History
) -> tuple[EvalRow | None, str | None]:
    """The version this one revises, else the caller's evaluation just before it."""
    if current.revision_of is not None:
        found = await fetch(db, latest(caller, Evaluation.submission_id == current.revision_of))
        if found:
            return found[0], "previous_version"
    earlier = [
        h[0] for h in history if h[0] != current.evaluation_id and h[3] <= current.created_at
    ]
    if not earlier:
        return None, None
    found = await ROWS.rows(db, earlier[-1:])  # the history query checked owner and status
    return (found[0], "previous_evaluation") if found else (None, None)


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
    """One sentence a writer can read at a glance."""
    if previous is None:
        return "Your first evaluation. Revise this memo to see how your scores change."
    what = "version" if summary["compared_with"] == "previous_version" else "evaluation"
    if not summary["comparable"]:
        return (
            f"Scored with rubric version {current.rubric_version}, unlike the previous {what} "
            f"({previous.rubric_version}), so the scores are not compared."
        )
    delta = summary["overall_delta"]
    if delta is None:
        text = f"Compared with your previous {what}."
    elif delta == 0:
        text = f"Same overall score as your previous {what}."
    else:
        direction = "Up" if delta > 0 else "Down"
        text = (
            f"{direction} {abs(delta):.1f} from your previous {what} "
            f"({previous.overall_score:.1f} → {current.overall_score:.1f})."
        )
    best = summary["best_improvement"]
    if best:
        text += f" Biggest gain: {best['name']} (+{best['delta']})."
    return text
