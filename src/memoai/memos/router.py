"""My memos: the caller's memos with their versions, searched and paged; deleting for good."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from memoai.api import CALLER, LIMITED, WRITES, Envelope, errors, wrap
from memoai.auth.router import origin_of
from memoai.deps import CallerDep, DbDep
from memoai.memos import deletion, service
from memoai.memos.schemas import DeletedOut, MemoExport, MemoOut, MemoPage

router = APIRouter(prefix="/api/v1/memos", tags=["memos"])
MAX_OFFSET = 10_000_000
MAX_QUERY = 200


@router.get(
    "",
    summary="The caller's memos, the most recently revised first",
    description="Each memo with every version (its newest evaluation: status, score, date). "
    "`q` finds memos with a version whose title or text contains it, in any letter case.",
    response_model=Envelope[MemoPage],
    responses=errors(*LIMITED, *CALLER, 422, 507),
)
async def list_memos(
    caller: CallerDep,
    db: DbDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="Words to find")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Envelope[MemoPage]:
    return wrap(await service.page(db, caller, q, limit, offset))


@router.delete(
    "",
    summary="Delete all of the caller's memos",
    description="Every memo, version, evaluation and chat of the caller, for good (the "
    "account stays). Written to the audit log as `data_deleted` with counts only. 409 "
    "`CONFLICT` while an evaluation is still running (nothing is deleted).",
    response_model=Envelope[DeletedOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, 409),
)
async def delete_all_memos(request: Request, caller: CallerDep, db: DbDep) -> Envelope[DeletedOut]:
    return wrap(await deletion.delete_all(db, caller, origin_of(request, caller.user_id)))


@router.get(
    "/export.json",
    summary="Every memo of the caller with every version's text, as an attachment",
    description="A copy to keep (for example before deleting): each memo with its versions, "
    "their texts exactly as sent, dates, statuses and scores.",
    response_model=Envelope[MemoExport],
    responses=errors(*LIMITED, *CALLER, 507),
)
async def export_memos(caller: CallerDep, db: DbDep, response: Response) -> Envelope[MemoExport]:
    exported = await service.export(db, caller)
    name = f"my-memos-{exported.exported_at:%Y-%m-%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return wrap(exported)


@router.get(
    "/{memo_id}",
    summary="One memo of the caller with all its versions",
    response_model=Envelope[MemoOut],
    responses=errors(*LIMITED, *CALLER, 404, 422, 507),
)
async def get_memo(memo_id: uuid.UUID, caller: CallerDep, db: DbDep) -> Envelope[MemoOut]:
    return wrap(await service.one(db, caller, memo_id))


@router.delete(
    "/{memo_id}",
    summary="Delete one memo: every version, evaluation and chat",
    description="For good; written to the audit log as `memo_deleted` with counts only. 409 "
    "`CONFLICT` while one of its evaluations is still running (nothing is deleted).",
    response_model=Envelope[DeletedOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, 404, 409, 422),
)
async def delete_memo(
    memo_id: uuid.UUID, request: Request, caller: CallerDep, db: DbDep
) -> Envelope[DeletedOut]:
    deleted = await deletion.delete_memo(db, caller, memo_id, origin_of(request, caller.user_id))
    return wrap(deleted)
