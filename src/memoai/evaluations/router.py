"""Evaluation endpoints: submit (plain or streamed), list, read, retry. Thin by design."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from memoai.api import ok
from memoai.deps import CallerDep, DbDep
from memoai.evaluations import service
from memoai.evaluations.flow import EvaluationFlow
from memoai.evaluations.models import Evaluation
from memoai.evaluations.schemas import EvaluationCreate
from memoai.progress.summary import described
from memoai.streaming import Emit, event_stream

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"])


def _flow(request: Request) -> EvaluationFlow:
    flow: EvaluationFlow = request.app.state.flow
    return flow


@router.post(
    "",
    status_code=201,
    summary="Evaluate a memo",
    description="Stores the memo, then evaluates it. `?stream=true` answers as server-sent "
    "events: `started`, `partial` (strengths, opportunities, criteria as completed), then "
    "`completed` or `failed` with the whole evaluation.",
)
async def create_evaluation(
    payload: EvaluationCreate,
    request: Request,
    caller: CallerDep,
    stream: Annotated[bool, Query(description="Answer as server-sent events")] = False,
) -> Any:
    flow = _flow(request)
    evaluation, reused = await flow.submit(caller, payload)
    if stream:
        return _stream(flow, evaluation, reused)
    if reused:
        return ok(await flow.describe(evaluation, reused=True), status=200)
    # Shielded: a client that goes away does not cancel the evaluation it started.
    finished = await asyncio.shield(flow.runtime.spawn(flow.run(evaluation)))
    return ok(await flow.describe(finished), status=201)


def _stream(flow: EvaluationFlow, evaluation: Evaluation, reused: bool) -> Any:
    async def work(emit: Emit) -> None:
        if not reused:
            await flow.run(evaluation, emit)
            return
        await emit("started", {"evaluation_id": str(evaluation.id), "reused": True})
        await emit("completed", await flow.describe(evaluation, reused=True))

    return event_stream(flow.runtime, work, status=200 if reused else 201)


@router.get("", summary="The caller's evaluations, newest first")
async def list_evaluations(
    caller: CallerDep,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    items, total = await service.list_owned(db, caller, limit, offset)
    return ok(
        {
            "items": [i.model_dump(mode="json") for i in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


@router.get("/{evaluation_id}", summary="One evaluation of the caller")
async def get_evaluation(evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep) -> JSONResponse:
    evaluation = await service.get_owned(db, caller, evaluation_id)
    return ok((await described(db, evaluation)).model_dump(mode="json"))


@router.post("/{evaluation_id}/retry", summary="Evaluate the same text again after a failure")
async def retry_evaluation(
    evaluation_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    stream: Annotated[bool, Query()] = False,
) -> Any:
    flow = _flow(request)
    evaluation = await flow.retry(caller, evaluation_id)
    if stream:
        return _stream(flow, evaluation, False)
    finished = await asyncio.shield(flow.runtime.spawn(flow.run(evaluation)))
    return ok(await flow.describe(finished))
