"""Progress endpoints: trends over a time range, and one memo's revisions compared. Thin."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from memoai.api import ok
from memoai.deps import CallerDep, ConfigDep, DbDep
from memoai.progress import service
from memoai.progress.schemas import RangeName

router = APIRouter(prefix="/api/v1/progress", tags=["progress"])


@router.get(
    "",
    summary="The caller's progress over a time range",
    description="Overall, per-criterion and writing-metric trends (one timeline entry per "
    "completed evaluation, each with its rubric version), submission frequency, the most "
    "frequent opportunities and the 20 most recently revised memos' revision chains. "
    "Statistics use the current rubric version "
    "only; `rubric_versions` lists every version in the range.",
)
async def get_progress(
    caller: CallerDep,
    db: DbDep,
    config: ConfigDep,
    range_name: Annotated[RangeName, Query(alias="range")] = "month",
) -> JSONResponse:
    scale = {"min": config.rubric.scale.min, "max": config.rubric.scale.max}
    progress = await service.progress_for(db, caller, range_name, scale)
    return ok(progress.model_dump(mode="json"))


@router.get(
    "/revisions/{evaluation_id}",
    summary="One memo's versions compared",
    description="Every version of the memo the evaluation belongs to, each against the "
    "version it revises: per-criterion score deltas and a word-level text diff.",
)
async def get_revisions(evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep) -> JSONResponse:
    chain = await service.comparison_for(db, caller, evaluation_id)
    return ok(chain.model_dump(mode="json"))
