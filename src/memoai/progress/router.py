"""Progress endpoints: trends over a time range, and one memo's revisions compared. Thin."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from memoai.api import CALLER, LIMITED, Envelope, errors, wrap
from memoai.deps import CallerDep, ConfigDep, DbDep
from memoai.progress import service
from memoai.progress.schemas import ProgressOut, RangeName, RevisionChain

router = APIRouter(prefix="/api/v1/progress", tags=["progress"])


# The models are returned as built: FastAPI serializes them once, in pydantic's core, which for
# a long history is several times faster than building dicts and encoding them again.
@router.get(
    "",
    summary="The caller's progress over a time range",
    description="Overall, per-criterion and writing-metric trends (one timeline entry per "
    "completed evaluation, each with its rubric version), submission frequency, the most "
    "frequent opportunities and the 20 most recently revised memos' revision chains. "
    "Statistics use the current rubric version "
    "only; `rubric_versions` lists every version in the range.",
    response_model=Envelope[ProgressOut],
    responses=errors(*LIMITED, *CALLER, 422, 507),
)
async def get_progress(
    caller: CallerDep,
    db: DbDep,
    config: ConfigDep,
    range_name: Annotated[RangeName, Query(alias="range")] = "month",
) -> Envelope[ProgressOut]:
    scale = {"min": config.rubric.scale.min, "max": config.rubric.scale.max}
    return wrap(await service.progress_for(db, caller, range_name, scale))


@router.get(
    "/revisions/{evaluation_id}",
    summary="One memo's versions compared",
    description="Every version of the memo the evaluation belongs to, each against the "
    "version it revises: per-criterion score deltas and a word-level text diff.",
    response_model=Envelope[RevisionChain],
    responses=errors(*LIMITED, *CALLER, 404, 422, 507),
)
async def get_revisions(
    evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Envelope[RevisionChain]:
    return wrap(await service.comparison_for(db, caller, evaluation_id))
