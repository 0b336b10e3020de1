"""An evaluation as the API answers it: the evaluation with its owner's progress summary.

The one place that puts the two domains together. It sits above both: `progress` reads
`evaluations`, `evaluations` knows nothing of progress, and the evaluation flow is handed
`described` by the app that builds it (see docs/architecture.md, "Layers").
"""

from __future__ import annotations

from memoai.db import Executor
from memoai.evaluations.comments import annotate
from memoai.evaluations.models import Evaluation
from memoai.evaluations.schemas import EvaluationOut
from memoai.evaluations.service import to_out
from memoai.progress.summary import summary_for
from memoai.sessions.caller import Caller


def owner_of(evaluation: Evaluation) -> Caller:
    """Whose progress an evaluation belongs to (its user's when it has one)."""
    return Caller(session_id=evaluation.session_id, user_id=evaluation.user_id)


async def described(db: Executor, evaluation: Evaluation, *, reused: bool = False) -> EvaluationOut:
    """The API view of an evaluation with its comments' states and its owner's progress
    summary."""
    out = to_out(evaluation, reused=reused)
    await annotate(db, out, evaluation)
    out.progress_summary = await summary_for(
        db, owner_of(evaluation), evaluation, comments=out.comment_counts
    )
    return out
