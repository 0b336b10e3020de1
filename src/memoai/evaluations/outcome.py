"""Storing the outcome of an evaluation, and what to answer when storage refuses it."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from memoai.api import ErrorCode
from memoai.db import Executor, utcnow
from memoai.debugging import capture as debug
from memoai.errors import partly_saved, storage_fault
from memoai.evaluations import service
from memoai.evaluations.models import Evaluation, Status
from memoai.translations import N_

log = logging.getLogger("memoai.evaluations")


async def apply(db: Executor, evaluation: Evaluation, **values: Any) -> None:
    """Write the values and mirror them on the (detached) object, saving a read-back."""
    await service.update_fields(db, evaluation.id, **values)
    for name, value in values.items():
        setattr(evaluation, name, value)


NOT_STORED = {
    ErrorCode.DISK_FULL: "the server's storage was full",
    ErrorCode.DATABASE_READ_ONLY: "the database was read-only",
    ErrorCode.DATABASE_BUSY: "the database was busy",
}


async def not_stored(conn: AsyncConnection, evaluation: Evaluation, exc: Exception) -> Exception:
    """The answer when storage refuses the outcome of an evaluation whose memo is stored: the
    memo is kept, so the error says so (never "nothing was saved"). The evaluation is marked
    failed and retryable if storage still takes that much smaller write; otherwise it stays
    running until the next start marks it interrupted."""
    code = storage_fault(exc)
    if code is None:
        return exc
    log.error(
        "the outcome of an evaluation could not be stored",
        extra={"evaluation_id": str(evaluation.id), "error_code": str(code), "error": str(exc)},
    )
    try:
        await conn.rollback()
        await apply(
            conn,
            evaluation,
            status=Status.FAILED,
            completed_at=utcnow(),
            error_code=str(code),
            error_message=f"The feedback could not be stored because {NOT_STORED[code]}. "
            "Your memo is saved; retry.",
        )
    except Exception:
        log.warning("the evaluation stays running until the next start marks it interrupted")
        with contextlib.suppress(Exception):
            await conn.rollback()
    return partly_saved(
        code,
        N_("Your memo was saved"),
        N_("its feedback could not be stored; retry the evaluation from your history in a while"),
    )


async def store_capture(
    conn: AsyncConnection, capture: debug.Capture, evaluation: Evaluation
) -> None:
    """Keep what debug mode captured; storage refusing it does not undo the stored outcome."""
    try:
        await debug.store(conn, capture, evaluation.id)
        await conn.commit()
    except Exception as exc:
        if storage_fault(exc) is None:
            raise
        log.warning("debug data of an evaluation not stored", extra={"error": str(exc)})
        await conn.rollback()
