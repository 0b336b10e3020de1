"""Progress endpoints: trends over a time range, and one memo's revisions compared. Thin."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from memoai.api import CALLER, LIMITED, Envelope, errors, wrap
from memoai.deps import CallerDep, ConfigDep, DbDep
from memoai.progress import service
from memoai.progress.schemas import ProgressOut, RangeName, RevisionChain

router = APIRouter(prefix="/api/v1/progress", tags=["progress"])
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "Not modified: the view of the ETag sent in If-None-Match still holds "
        "(only the exact times of `since` and `until` would differ, within the same days)"
    }
}


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
    responses=errors(*LIMITED, *CALLER, 422, 507) | NOT_MODIFIED,
)
async def get_progress(
    request: Request,
    response: Response,
    caller: CallerDep,
    db: DbDep,
    config: ConfigDep,
    range_name: Annotated[RangeName, Query(alias="range")] = "month",
) -> Envelope[ProgressOut] | Response:
    scale = {"min": config.rubric.scale.min, "max": config.rubric.scale.max}
    found, tag = await service.tagged_progress(db, caller, range_name, scale)
    # Weak: the same tag means the same view but for the exact times of since and until.
    etag = f'W/"{range_name}-{tag}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return wrap(found)


def _tags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak comparison: W/ ignored)."""
    tags = {t.strip() for t in header.split(",") if t.strip()}
    return {t if t.startswith("W/") else f"W/{t}" for t in tags}


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
