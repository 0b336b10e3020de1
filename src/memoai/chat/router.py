"""Chat endpoints: open a chat about an evaluation, send messages (plain or streamed), read it.

Thin by design: the work is in `ChatFlow`.
"""

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
    AppError,
    Envelope,
    ErrorCode,
    also,
    errors,
    events,
    responses,
    wrap,
)
from memoai.chat import service
from memoai.chat.flow import ChatFlow
from memoai.chat.models import ChatMessage, MessageStatus
from memoai.chat.schemas import (
    ChatSessionCreate,
    ChatSessionList,
    ChatSessionOut,
    MessageCreate,
    MessageOut,
)
from memoai.deps import CallerDep, DbDep
from memoai.evaluations import service as evaluations
from memoai.language import choose
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
    response_model=Envelope[ChatSessionOut],
    responses=responses(
        also(200, Envelope[ChatSessionOut], "The chat about this evaluation already exists"),
        errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY, 404, 409),
    ),
)
async def create_session(
    payload: ChatSessionCreate, request: Request, response: Response, caller: CallerDep, db: DbDep
) -> Envelope[ChatSessionOut]:
    chat, created = await _flow(request).open(caller, payload.evaluation_id)
    history = await service.messages(db, chat.id)
    if not created:
        response.status_code = 200
    return wrap(service.session_out(chat, history))


@router.get(
    "/sessions",
    summary="The caller's chat sessions, newest first",
    response_model=Envelope[ChatSessionList],
    responses=errors(*LIMITED, *CALLER, 404, 422, 507),
)
async def list_sessions(
    caller: CallerDep,
    db: DbDep,
    evaluation_id: Annotated[
        uuid.UUID | None, Query(description="Only the chat about this evaluation")
    ] = None,
) -> Envelope[ChatSessionList]:
    if evaluation_id is not None:
        await evaluations.get_owned(db, caller, evaluation_id)
    rows = await service.list_owned(db, caller, evaluation_id)
    items = [service.session_out(chat, count=count) for chat, count in rows]
    return wrap(ChatSessionList(items=items))


@router.get(
    "/sessions/{chat_id}",
    summary="One chat session with its whole history",
    response_model=Envelope[ChatSessionOut],
    responses=errors(*LIMITED, *CALLER, 404, 422, 507),
)
async def get_session(chat_id: uuid.UUID, caller: CallerDep, db: DbDep) -> Envelope[ChatSessionOut]:
    chat = await service.get_owned(db, caller, chat_id)
    history = await service.messages(db, chat.id)
    return wrap(service.session_out(chat, history))


@router.post(
    "/sessions/{chat_id}/messages",
    status_code=201,
    summary="Ask the coach",
    description="Stores the message, then answers it with the stored reply. `?stream=true` "
    "answers as server-sent events: `started` (the stored question), `delta` ({text}) per "
    "chunk, then `completed` or `failed` with the stored reply. A failed reply answers a "
    "plain request with its error code (LLM_TIMEOUT, LLM_UNAVAILABLE, ...); the question "
    "stays stored either way. The reply is written in the writer's language: `language` "
    "(`en` or `es`) when given, else the `Accept-Language` header's preferred one of them, "
    "else English.",
    response_model=Envelope[MessageOut],
    responses=responses(
        events(
            ("started", "delta", "completed", "failed"),
            "Server-sent events: started, delta..., then completed or failed (the stored reply)",
            201,
        ),
        errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY, 404, 409, 502, 504),
    ),
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
    language = choose(payload.language, request.headers.get("accept-language"))
    if stream:
        return event_stream(flow.runtime, lambda emit: flow.reply(question, emit, language))
    # Shielded: a client that goes away does not cancel the reply it asked for.
    reply = flow.reply(question, language=language)
    answer: ChatMessage = await asyncio.shield(flow.runtime.spawn(reply))
    if answer.status == MessageStatus.FAILED:
        raise _failure(question, answer)
    return wrap(service.message_out(answer))


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
