"""What the exports read: the report's data for one evaluation, and the caller's history."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.db import utcnow
from memoai.evaluations.models import Status
from memoai.evaluations.service import get_owned
from memoai.export.report_data import ReportData
from memoai.feedback import described
from memoai.progress.rows import fetch, in_range
from memoai.progress.service import against_previous, assemble
from memoai.sessions.caller import Caller
from memoai.translations import N_

REPORT_HISTORY = 100  # evaluations shown in the report's progress chart, up to this one
# One thread renders the reports, one at a time: a render holds the interpreter for most of
# its third of a second, so renders side by side only finish later, together; one at a time
# they finish first come, first served, and the garbage collector (paused while one runs,
# see render_pdf) runs between them.
_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-report")


async def report_data(
    db: AsyncSession, caller: Caller, evaluation_id: uuid.UUID, default_scale: dict[str, int]
) -> ReportData:
    """The evaluation (404 if not the caller's), its progress up to then, and its revision."""
    evaluation = await get_owned(db, caller, evaluation_id)
    if evaluation.status != Status.COMPLETED:
        raise AppError(
            409,
            ErrorCode.CONFLICT,
            N_("The evaluation is %(status)s; a report is available once it completes."),
            values={"status": str(evaluation.status)},
        )
    out = await described(db, evaluation)
    rows = await fetch(
        db, in_range(caller, None, until=evaluation.created_at, newest=REPORT_HISTORY)
    )
    progress = assemble(rows, [], "all", None, evaluation.created_at, default_scale)
    revision = await against_previous(db, caller, evaluation)
    return ReportData(out.model_dump(mode="json"), progress, revision, utcnow())


async def render(data: ReportData) -> bytes:
    """The report's PDF, built on the report thread in this request's context (its language,
    as asyncio.to_thread would carry it)."""
    # Loaded on the first report, not at start: fpdf2 and fontTools take a second to import,
    # which every process (and every CLI command) would otherwise pay.
    from memoai.export.pdf import render_pdf

    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_RENDERER, context.run, render_pdf, data)
