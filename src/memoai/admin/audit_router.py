"""The authentication log for administrators: filtered, a page at a time or as CSV."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from memoai.admin.account_schemas import AuditItem, AuditPage
from memoai.admin.queries import AdminQueryDep, LimitQuery, Moment, OffsetQuery
from memoai.api import (
    CALLER,
    LIMITED,
    AppError,
    Envelope,
    ErrorCode,
    errors,
    media,
    responses,
    wrap,
)
from memoai.auth import audit
from memoai.auth.audit import AuditFilter, Event
from memoai.db import utcnow
from memoai.deps import DbDep
from memoai.translations import N_

router = APIRouter(prefix="/api/v1/admin", tags=["admin: audit log"])
CSV_ROWS = 100_000  # a download holds at most this many rows, newest first


async def audit_filter(
    user_id: Annotated[uuid.UUID | None, Query(description="Events about this user")] = None,
    event: Annotated[Event | None, Query(description="One kind of event")] = None,
    since: Annotated[Moment | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[Moment | None, Query(description="Before this time")] = None,
) -> AuditFilter:
    """The filters both views take; an empty or reversed time range is refused."""
    wanted = AuditFilter(user_id=user_id, event=event, since=since, until=until)
    if since is not None and until is not None and audit.as_utc(until) <= audit.as_utc(since):
        raise AppError(
            422,
            ErrorCode.VALIDATION_ERROR,
            N_("'until' must be later than 'since'."),
            field="until",
        )
    return wanted


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get(
    "/auth-log",
    summary="Sign-ins, failures, lockouts, sign-outs, password and account changes; newest first",
    response_model=Envelope[AuditPage],
    responses=errors(*LIMITED, *CALLER, 403, 422, 507),
)
async def auth_log(
    _: AdminQueryDep,
    db: DbDep,
    wanted: FilterDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Envelope[AuditPage]:
    rows, total = await audit.search(db, wanted, limit, offset)
    items = [AuditItem.of(row) for row in rows]
    return wrap(AuditPage(items=items, total=total, limit=limit, offset=offset))


@router.get(
    "/auth-log.csv",
    summary="The authentication log as CSV (the same filters; at most 100,000 rows)",
    response_class=Response,
    responses=responses(
        media("text/csv", "One row per event, newest first, UTF-8 with a BOM, as an attachment"),
        errors(*LIMITED, *CALLER, 403, 422, 507),
    ),
)
async def auth_log_csv(_: AdminQueryDep, db: DbDep, wanted: FilterDep) -> Response:
    rows, _total = await audit.search(db, wanted, CSV_ROWS)
    body = "\ufeff" + audit.to_csv(rows)  # the BOM tells spreadsheets it is UTF-8
    name = f"memo-auth-log-{utcnow():%Y-%m-%d}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
