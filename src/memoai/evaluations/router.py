"""Evaluation endpoints: submit (plain or streamed), list, read, retry. Thin by design."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from memoai.api import (
    CALLER,
    JSON_BODY,
    LIMITED,
    WRITES,
    Envelope,
    also,
    errors,
    events,
    responses,
    wrap,
)
from memoai.deps import CallerDep, DbDep
from memoai.evaluations import service
from memoai.evaluations.flow import EvaluationFlow
from memoai.evaluations.models import Evaluation
from memoai.evaluations.schemas import EvaluationCreate, EvaluationOut, EvaluationPage
from memoai.feedback import described
from memoai.language import choose
from memoai.streaming import Emit, event_stream

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"])
# Far beyond any history, and well inside every database's integer range.
MAX_OFFSET = 10_000_000
EVENTS = ("started", "partial", "completed", "failed")
STREAM = "Server-sent events: started, partial..., then completed or failed (the evaluation)"
StreamQuery = Annotated[bool, Query(description="Answer as server-sent events")]


def _flow(request: Request) -> EvaluationFlow:
    flow: EvaluationFlow = request.app.state.flow
    return flow


@router.post(
    "",
    status_code=201,
    summary="Evaluate a memo",
    description="Stores the memo, then evaluates it. `?stream=true` answers as server-sent "
    "events: `started`, `partial` (strengths, opportunities, criteria as completed), then "
    "`completed` or `failed` with the whole evaluation. The feedback is written in the "
    "writer's language: `language` (`en` or `es`) when given, else the `Accept-Language` "
    "header's preferred one of them, else English. An identical earlier request (same "
    "text, configuration, provider, model and language) answers 200 with the stored "
    "evaluation unless `fresh` is set.",
    response_model=Envelope[EvaluationOut],
    responses=responses(
        also(200, Envelope[EvaluationOut], "The stored evaluation of an identical request"),
        events(EVENTS, STREAM, 200, 201),
        errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY, 404),
    ),
)
async def create_evaluation(
    payload: EvaluationCreate,
    request: Request,
    response: Response,
    caller: CallerDep,
    stream: StreamQuery = False,
) -> Any:
    flow = _flow(request)
    language = choose(payload.language, request.headers.get("accept-language"))
    evaluation, reused = await flow.submit(caller, payload, language)
    if stream:
        return _stream(flow, evaluation, reused)
    if reused:
        response.status_code = 200
        return wrap(await flow.describe(evaluation, reused=True))
    # Shielded: a client that goes away does not cancel the evaluation it started.
    return wrap(await asyncio.shield(flow.runtime.spawn(flow.run_described(evaluation))))


def _stream(flow: EvaluationFlow, evaluation: Evaluation, reused: bool) -> Response:
    async def work(emit: Emit) -> None:
        if not reused:
            await flow.run(evaluation, emit)
            return
        await emit("started", {"evaluation_id": str(evaluation.id), "reused": True})
        await emit("completed", await flow.describe(evaluation, reused=True))

    return event_stream(flow.runtime, work, status=200 if reused else 201)


@router.get(
    "",
    summary="The caller's evaluations, newest first",
    response_model=Envelope[EvaluationPage],
    responses=errors(*LIMITED, *CALLER, 422, 507),
)
async def list_evaluations(
    caller: CallerDep,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Envelope[EvaluationPage]:
    items, total = await service.list_owned(db, caller, limit, offset)
    return wrap(EvaluationPage(items=items, total=total, limit=limit, offset=offset))


@router.get(
    "/{evaluation_id}",
    summary="One evaluation of the caller",
    response_model=Envelope[EvaluationOut],
    responses=errors(*LIMITED, *CALLER, 404, 422, 507),
)
async def get_evaluation(
    evaluation_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Envelope[EvaluationOut]:
    evaluation = await service.get_owned(db, caller, evaluation_id)
    return wrap(await described(db, evaluation))


@router.post(
    "/{evaluation_id}/retry",
    summary="Evaluate the same text again after a failure",
    description="Only a failed evaluation can be retried (409 NOT_RETRYABLE otherwise). "
    "`?stream=true` answers as server-sent events, as for a new evaluation.",
    response_model=Envelope[EvaluationOut],
    responses=responses(
        events(EVENTS, STREAM, 201),
        errors(*LIMITED, *CALLER, *WRITES, 404, 409, 422),
    ),
)
async def retry_evaluation(
    evaluation_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    stream: StreamQuery = False,
) -> Any:
    flow = _flow(request)
    evaluation = await flow.retry(caller, evaluation_id)
    if stream:
        return _stream(flow, evaluation, False)
    return wrap(await asyncio.shield(flow.runtime.spawn(flow.run_described(evaluation))))
