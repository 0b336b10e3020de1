"""The cohort view for administrators: scores across all users, and its CSV tables."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from memoai.admin.queries import AdminQueryDep, Moment
from memoai.api import CALLER, LIMITED, Envelope, errors, media, responses, wrap
from memoai.db import utcnow
from memoai.deps import DbDep
from memoai.progress.cohort import Bucket, Cohort, CohortViews, Table, cohort, to_csv

router = APIRouter(prefix="/api/v1/admin", tags=["admin: cohort"])
READS = (*LIMITED, *CALLER, 403, 422, 507)
SinceQuery = Annotated[
    Moment | None, Query(description="Only evaluations from this time (RFC 3339); all if absent")
]
BucketQuery = Annotated[Bucket, Query(description="Average per week (from Monday) or month")]


async def _view(request: Request, db: DbDep, since: Moment | None, bucket: Bucket) -> Cohort:
    state = request.app.state
    views = getattr(state, "cohort_views", None)
    if views is None:  # made on first use; lives as long as the app
        views = state.cohort_views = CohortViews()
    active = state.configs.current().rubric_version
    conn = await db.connection()  # Core rows: no ORM loading for thousands of ids
    return await cohort(conn, views, since=since, bucket=bucket, active_rubric=active)


@router.get(
    "/cohort",
    summary="Per criterion and rubric version, scores over time; frequent opportunities; "
    "each user's latest and best",
    response_model=Envelope[Cohort],
    responses=errors(*READS),
)
async def get_cohort(
    _: AdminQueryDep,
    request: Request,
    db: DbDep,
    since: SinceQuery = None,
    bucket: BucketQuery = "month",
) -> Envelope[Cohort]:
    return wrap(await _view(request, db, since, bucket))


@router.get(
    "/cohort.csv",
    summary="One table of the cohort view as CSV: users, criteria or opportunities",
    response_class=Response,
    responses=responses(
        media("text/csv", "UTF-8 with a BOM, as an attachment; formulas are quoted as text"),
        errors(*READS),
    ),
)
async def get_cohort_csv(
    _: AdminQueryDep,
    request: Request,
    db: DbDep,
    table: Annotated[Table, Query(description="Which table")] = "users",
    since: SinceQuery = None,
    bucket: BucketQuery = "month",
) -> Response:
    view = await _view(request, db, since, bucket)
    body = "\ufeff" + to_csv(view, table)  # the BOM tells spreadsheets it is UTF-8
    name = f"memo-cohort-{table}-{utcnow():%Y-%m-%d}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
