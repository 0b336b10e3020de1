"""Export endpoints: one evaluation as a PDF report, the caller's history as CSV or JSON."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response, StreamingResponse

from memoai.api import ok
from memoai.db import utcnow
from memoai.deps import CallerDep, ConfigDep, DbDep
from memoai.export import history, service
from memoai.export.pdf import filename, render_pdf

router = APIRouter(prefix="/api/v1/export", tags=["export"])
CHUNK = 64 * 1024


def attachment(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    }


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


@router.get(
    "/pdf/{evaluation_id}",
    summary="One evaluation as a PDF report",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}}},
    description="The memo, overall evaluation, rubric table, comments with questions, writing "
    "metrics, a progress chart and table, and provenance. Built in memory on request.",
)
async def export_pdf(
    evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep, config: ConfigDep
) -> StreamingResponse:
    scale = {"min": config.rubric.scale.min, "max": config.rubric.scale.max}
    data = await service.report_data(db, caller, evaluation_id, scale)
    await db.close()  # give the pooled connection back before the CPU work
    pdf = await asyncio.to_thread(render_pdf, data)
    headers = attachment(filename(data.evaluation)) | {"Content-Length": str(len(pdf))}
    return StreamingResponse(_chunks(pdf), media_type="application/pdf", headers=headers)


@router.get("/history.csv", summary="The caller's history as CSV", response_class=Response)
async def export_csv(caller: CallerDep, db: DbDep) -> Response:
    items, criteria = await history.history(db, caller)
    body = "\ufeff" + history.to_csv(items, criteria)  # the BOM tells spreadsheets it is UTF-8
    name = f"memo-history-{utcnow():%Y-%m-%d}.csv"
    return Response(body, media_type="text/csv; charset=utf-8", headers=attachment(name))


@router.get("/history.json", summary="The caller's history as JSON")
async def export_json(caller: CallerDep, db: DbDep) -> JSONResponse:
    items, criteria = await history.history(db, caller)
    name = f"memo-history-{utcnow():%Y-%m-%d}.json"
    data = {"items": items, "count": len(items), "criteria": criteria}
    return ok(data, headers=attachment(name))
