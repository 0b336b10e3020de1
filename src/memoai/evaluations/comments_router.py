"""An evaluation's comments: read them filtered by kind, severity and state; mark one done or
dismissed. Thin by design: memoai.evaluations.comments does the work."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from memoai.analysis.kinds import CommentKind, Severity
from memoai.api import CALLER, JSON_BODY, LIMITED, WRITES, Envelope, errors, wrap
from memoai.deps import CallerDep, DbDep
from memoai.evaluations import comments, service
from memoai.evaluations.comment_schemas import (
    CommentFilters,
    CommentOut,
    CommentsOut,
    CommentStateChange,
    CommentStateOut,
    WriterState,
)

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"])
CommentIndex = Annotated[
    int, Path(ge=0, le=10_000, description="The comment's index in segment_feedback, from 0")
]


@router.get(
    "/{evaluation_id}/comments",
    summary="The evaluation's comments, filtered",
    description="Filters combine: a comment is listed when its kind is one of `kind`, its "
    "severity one of `severity` and its state one of `state` (an absent filter keeps all). "
    "`counts` and `revision_report` always cover every comment.",
    response_model=Envelope[CommentsOut],
    responses=errors(*LIMITED, *CALLER, 404, 422, 507),
)
async def list_comments(
    evaluation_id: uuid.UUID,
    caller: CallerDep,
    db: DbDep,
    kind: Annotated[list[CommentKind] | None, Query(description="Keep these kinds")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Keep these severities")] = None,
    state: Annotated[list[WriterState] | None, Query(description="Keep these states")] = None,
) -> Envelope[CommentsOut]:
    evaluation = await service.get_owned(db, caller, evaluation_id)
    out = service.to_out(evaluation)
    await comments.annotate(db, out, evaluation)
    filters = CommentFilters(kind=kind or [], severity=severity or [], state=state or [])
    items = [
        CommentOut.model_validate(c)
        for c in out.segment_feedback
        if (not kind or c["kind"] in kind)
        and (not severity or c["severity"] in severity)
        and (not state or c["state"] in state)
    ]
    return wrap(
        CommentsOut(
            evaluation_id=evaluation.id,
            items=items,
            matching=len(items),
            filters=filters,
            counts=out.comment_counts or comments.counts([]),
            revision_report=out.revision_report,
        )
    )


@router.put(
    "/{evaluation_id}/comments/{comment_index}",
    summary="Mark one comment done, dismissed or open again",
    description="Only the writer who owns the evaluation can mark its comments, once it has "
    "completed (409 CONFLICT before). The answer carries the comment and the new counts.",
    response_model=Envelope[CommentStateOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY, 404, 409),
)
async def set_comment_state(
    evaluation_id: uuid.UUID,
    comment_index: CommentIndex,
    change: CommentStateChange,
    caller: CallerDep,
    db: DbDep,
) -> Envelope[CommentStateOut]:
    evaluation = await service.get_owned(db, caller, evaluation_id)
    return wrap(await comments.set_state(db, evaluation, comment_index, change.state))
