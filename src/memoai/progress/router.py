"""Progress endpoints: trends over a time range, and one memo's revisions compared. Thin."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from memoai.api import meta, ok
from memoai.deps import CallerDep, ConfigDep, DbDep
from memoai.progress import service
from memoai.progress.schemas import RangeName

router = APIRouter(prefix="/api/v1/progress", tags=["progress"])


def ok_serialised(data: bytes) -> Response:
    """The success envelope around data pydantic already wrote as JSON: for a long history
    that is several times faster than building dicts and encoding them again."""
    rest = json.dumps({"meta": meta(), "errors": []}, separators=(",", ":"))
    return Response(b'{"data":' + data + b"," + rest[1:].encode(), media_type="application/json")


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
) -> Response:
    scale = {"min": config.rubric.scale.min, "max": config.rubric.scale.max}
    progress = await service.progress_for(db, caller, range_name, scale)
    return ok_serialised(progress.model_dump_json().encode())


@router.get(
    "/revisions/{evaluation_id}",
    summary="One memo's versions compared",
    description="Every version of the memo the evaluation belongs to, each against the "
    "version it revises: per-criterion score deltas and a word-level text diff.",
)
async def get_revisions(evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep) -> JSONResponse:
    chain = await service.comparison_for(db, caller, evaluation_id)
    return ok(chain.model_dump(mode="json"))
