"""Export endpoints: one evaluation as a PDF report, the caller's history as CSV or JSON."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from memoai.api import CALLER, LIMITED, Envelope, errors, media, responses, wrap
from memoai.db import utcnow
from memoai.deps import CallerDep, ConfigDep, DbDep
from memoai.export import history, service
from memoai.export.report_data import filename, unicode_filename
from memoai.export.schemas import HistoryExport

router = APIRouter(prefix="/api/v1/export", tags=["export"])
CHUNK = 64 * 1024


def attachment(name: str, ascii_name: str | None = None) -> dict[str, str]:
    """RFC 6266: `filename` in ASCII for old clients, `filename*` (UTF-8) with the real name."""
    plain = ascii_name or name
    return {
        "Content-Disposition": f'attachment; filename="{plain}"; '
        f"filename*=UTF-8''{quote(name, safe='')}",
        "Cache-Control": "no-store",
    }


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


@router.get(
    "/pdf/{evaluation_id}",
    summary="One evaluation as a PDF report",
    response_class=StreamingResponse,
    responses=responses(
        media("application/pdf", "The report, as an attachment"),
        errors(*LIMITED, *CALLER, 404, 422, 507),
    ),
    description="The memo, overall evaluation, rubric table, comments with questions, writing "
    "metrics, a progress chart and table, and provenance. Built in memory on request.",
)
async def export_pdf(
    evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep, config: ConfigDep
) -> StreamingResponse:
    scale = {"min": config.rubric.scale.min, "max": config.rubric.scale.max}
    data = await service.report_data(db, caller, evaluation_id, scale)
    await db.close()  # give the pooled connection back before the CPU work
    pdf = await service.render(data)
    names = unicode_filename(data.evaluation), filename(data.evaluation)
    headers = attachment(*names) | {"Content-Length": str(len(pdf))}
    return StreamingResponse(_chunks(pdf), media_type="application/pdf", headers=headers)


@router.get(
    "/history.csv",
    summary="The caller's history as CSV",
    response_class=Response,
    responses=responses(
        media("text/csv", "One row per evaluation, UTF-8 with a BOM, as an attachment"),
        errors(*LIMITED, *CALLER, 507),
    ),
)
async def export_csv(caller: CallerDep, db: DbDep) -> Response:
    items, criteria = await history.history(db, caller)
    body = "\ufeff" + history.to_csv(items, criteria)  # the BOM tells spreadsheets it is UTF-8
    name = f"memo-history-{utcnow():%Y-%m-%d}.csv"
    return Response(body, media_type="text/csv; charset=utf-8", headers=attachment(name))


@router.get(
    "/history.json",
    summary="The caller's history as JSON",
    description="The same rows as the CSV, as an attachment.",
    response_model=Envelope[HistoryExport],
    responses=errors(*LIMITED, *CALLER, 507),
)
async def export_json(caller: CallerDep, db: DbDep, response: Response) -> Envelope[HistoryExport]:
    items, criteria = await history.history(db, caller)
    response.headers.update(attachment(f"memo-history-{utcnow():%Y-%m-%d}.json"))
    return wrap(
        HistoryExport.model_validate({"items": items, "count": len(items), "criteria": criteria})
    )
