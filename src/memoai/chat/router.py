"""Chat endpoints: open a chat about an evaluation, send messages (plain or streamed), read it.

Thin by design: the work is in `ChatFlow`.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from memoai.api import AppError, ErrorCode, ok
from memoai.chat import service
from memoai.chat.flow import ChatFlow
from memoai.chat.models import ChatMessage, MessageStatus
from memoai.chat.schemas import ChatSessionCreate, MessageCreate
from memoai.deps import CallerDep, DbDep
from memoai.evaluations import service as evaluations
from memoai.streaming import event_stream

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
FAILURE_STATUS = {
    ErrorCode.LLM_TIMEOUT: 504,
    ErrorCode.LLM_BAD_OUTPUT: 502,
    ErrorCode.LLM_UNAVAILABLE: 503,
    ErrorCode.LLM_NOT_CONFIGURED: 503,
}


def _flow(request: Request) -> ChatFlow:
    """Built from the evaluation flow's shared parts: one database, provider and runtime."""
    state = request.app.state
    return ChatFlow(state.db, state.settings, state.configs, state.flow.provider, state.runtime)


@router.post(
    "/sessions",
    status_code=201,
    summary="Open the chat about an evaluation",
    description="Creates the chat session for one of the caller's completed evaluations, or "
    "returns the existing one (200) with its history.",
)
async def create_session(
    payload: ChatSessionCreate, request: Request, caller: CallerDep, db: DbDep
) -> JSONResponse:
    chat, created = await _flow(request).open(caller, payload.evaluation_id)
    history = await service.messages(db, chat.id)
    return ok(
        service.session_out(chat, history).model_dump(mode="json"), status=201 if created else 200
    )


@router.get("/sessions", summary="The caller's chat sessions, newest first")
async def list_sessions(
    caller: CallerDep,
    db: DbDep,
    evaluation_id: Annotated[
        uuid.UUID | None, Query(description="Only the chat about this evaluation")
    ] = None,
) -> JSONResponse:
    if evaluation_id is not None:
        await evaluations.get_owned(db, caller, evaluation_id)
    rows = await service.list_owned(db, caller, evaluation_id)
    items = [service.session_out(chat, count=count).model_dump(mode="json") for chat, count in rows]
    return ok({"items": items})


@router.get("/sessions/{chat_id}", summary="One chat session with its whole history")
async def get_session(chat_id: uuid.UUID, caller: CallerDep, db: DbDep) -> JSONResponse:
    chat = await service.get_owned(db, caller, chat_id)
    history = await service.messages(db, chat.id)
    return ok(service.session_out(chat, history).model_dump(mode="json"))


@router.post(
    "/sessions/{chat_id}/messages",
    status_code=201,
    summary="Ask the coach",
    description="Stores the message, then answers it with the stored reply. `?stream=true` "
    "answers as server-sent events: `started` (the stored question), `delta` ({text}) per "
    "chunk, then `completed` or `failed` with the stored reply. A failed reply answers a "
    "plain request with its error code (LLM_TIMEOUT, LLM_UNAVAILABLE, ...); the question "
    "stays stored either way.",
)
async def post_message(
    chat_id: uuid.UUID,
    payload: MessageCreate,
    request: Request,
    caller: CallerDep,
    stream: Annotated[bool, Query(description="Answer as server-sent events")] = False,
) -> Any:
    flow = _flow(request)
    question = await flow.ask(caller, chat_id, payload.message_content)
    if stream:
        return event_stream(flow.runtime, lambda emit: flow.reply(question, emit))
    # Shielded: a client that goes away does not cancel the reply it asked for.
    answer: ChatMessage = await asyncio.shield(flow.runtime.spawn(flow.reply(question)))
    if answer.status == MessageStatus.FAILED:
        raise _failure(question, answer)
    return ok(service.message_out(answer).model_dump(mode="json"), status=201)


def _failure(question: ChatMessage, answer: ChatMessage) -> AppError:
    code = ErrorCode(answer.error_code or ErrorCode.LLM_UNAVAILABLE)
    return AppError(
        FAILURE_STATUS.get(code, 503),
        code,
        answer.error_message or "The reply failed. Your message is saved; send it again.",
        details={
            "user_message": service.message_out(question).model_dump(mode="json"),
            "assistant_message": service.message_out(answer).model_dump(mode="json"),
        },
    )
