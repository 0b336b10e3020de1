"""A chat turn: store the question, build the context, stream the model's reply, store it.

Crosses domains (evaluations, configuration, LLM providers), so it lives here once. Every
database step is its own short transaction; none is open while the model is called.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

from memoai.api import AppError, ErrorCode
from memoai.chat import context, service
from memoai.chat.models import ChatMessage, ChatSession, MessageStatus, Role
from memoai.configs.loader import ConfigRegistry
from memoai.db import Database, utcnow
from memoai.debugging import capture as debug
from memoai.debugging.models import RecordKind
from memoai.debugging.redact import redact
from memoai.errors import partly_saved, storage_fault
from memoai.evaluations import service as evaluations
from memoai.evaluations.models import Status
from memoai.llm.base import LLMError, Provider, Usage
from memoai.llm.prompts import build_chat_system
from memoai.llm.registry import estimate_cost
from memoai.runtime import Runtime
from memoai.sessions.caller import Caller
from memoai.settings import Settings
from memoai.streaming import Emit
from memoai.translations import N_, gettext

log = logging.getLogger("memoai.chat")

FRIENDLY = {
    ErrorCode.LLM_TIMEOUT: N_(
        "The AI model took too long to answer. Your message is saved; send it again in a moment."
    ),
    ErrorCode.LLM_UNAVAILABLE: N_(
        "The AI model is unavailable or overloaded right now. "
        "Your message is saved; send it again in a minute."
    ),
    ErrorCode.LLM_BAD_OUTPUT: N_(
        "The AI model gave no usable answer. Your message is saved; send it again."
    ),
    ErrorCode.LLM_NOT_CONFIGURED: N_(
        "No AI model is configured (missing or refused API key). "
        "Ask an administrator; your message is saved."
    ),
}


async def _no_emit(event: str, data: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class ChatFlow:
    """Opens chats and answers messages, on the app's one database, provider and runtime."""

    db: Database
    settings: Settings
    configs: ConfigRegistry
    provider: Provider
    runtime: Runtime

    async def open(self, caller: Caller, evaluation_id: uuid.UUID) -> tuple[ChatSession, bool]:
        """The chat about the caller's finished evaluation: (chat, created)."""
        async with self.db.sessions() as db:
            evaluation = await evaluations.get_owned(db, caller, evaluation_id)
            if evaluation.status != Status.COMPLETED:
                raise AppError(
                    409,
                    ErrorCode.CONFLICT,
                    N_("The chat opens once the evaluation is complete; it is %(status)s."),
                    values={"status": str(evaluation.status)},
                    field="evaluation_id",
                )
            return await service.open_for(db, caller, evaluation)

    async def ask(self, caller: Caller, chat_id: uuid.UUID, content: str) -> ChatMessage:
        """Check and store the user's message before anything else can fail."""
        service.check_message(content, self.settings)
        async with self.db.sessions() as db:
            chat = await service.get_owned(db, caller, chat_id)
            return await service.add_message(db, chat.id, Role.USER, content)

    async def reply(
        self, question: ChatMessage, emit: Emit = _no_emit, language: str = "en"
    ) -> ChatMessage:
        """Answer a stored question in the writer's language; ends as a completed or failed
        assistant message."""
        with debug.capturing(self.runtime.debug_mode, RecordKind.CHAT) as capture:
            if capture is not None:
                capture.add_time("queue", (utcnow() - question.created_at).total_seconds() * 1000)
            return await self._reply(question, emit, capture, language)

    async def _reply(
        self, question: ChatMessage, emit: Emit, capture: debug.Capture | None, language: str
    ) -> ChatMessage:
        chat_id = question.chat_session_id
        await emit(
            "started",
            {
                "chat_session_id": str(chat_id),
                "user_message": service.message_out(question).model_dump(mode="json"),
            },
        )
        started = time.perf_counter()
        parts: list[str] = []
        info: dict[str, Any] | None = None
        error: LLMError | None = None
        try:
            prompt, facts = await self._prompt(question, language)
            info = prompt.info
            turns = "\n\n".join(f"[{turn.role}]\n{turn.content}" for turn in prompt.turns)
            debug.note(prompt=f"[system]\n{prompt.system}\n\n{turns}")
            with debug.timed("model"):
                async for chunk in self.provider.chat(prompt.system, prompt.turns, facts):
                    parts.append(chunk)
                    await emit("delta", {"text": chunk})
            if not "".join(parts).strip():
                error = LLMError(ErrorCode.LLM_BAD_OUTPUT, "The model returned an empty answer.")
        except LLMError as exc:
            error = exc
        except Exception as exc:
            log.exception("chat reply crashed", extra={"chat_session_id": str(chat_id)})
            debug.note(exception=f"{type(exc).__name__}: {exc}")
            error = LLMError(ErrorCode.LLM_UNAVAILABLE, "The chat reply failed unexpectedly.")
        debug.note(
            response="".join(parts),
            **({"error": f"{error.code}: {error.message}"} if error else {}),
        )
        try:
            answer = await self._store(chat_id, "".join(parts), info, error, started, capture)
        except DBAPIError as exc:
            code = storage_fault(exc)
            if code is None:
                raise
            # The question was stored a moment ago; start-up marks it interrupted (retryable).
            saved = N_("Your question is saved")
            raise partly_saved(code, saved, N_("the reply could not be stored")) from exc
        out = service.message_out(answer).model_dump(mode="json")
        await emit("completed" if error is None else "failed", out)
        return answer

    async def _prompt(
        self, question: ChatMessage, language: str
    ) -> tuple[context.Prompt, dict[str, Any]]:
        """Read everything in one short session, then fit it to the model's context window."""
        config = self.configs.current()
        async with self.db.sessions() as db:
            chat = await db.get(ChatSession, question.chat_session_id)
            assert chat is not None  # the question was just stored in it
            evaluation = await evaluations.get(db, chat.evaluation_id)
            memo = evaluation.submission.text_content
            earlier = await service.earlier_versions(db, evaluation.submission)
            history = await service.messages(db, chat.id)
        facts = context.evaluation_facts(evaluations.to_out(evaluation).model_dump(mode="json"))
        window = context.context_window(config.llm.context_window_tokens, self.provider.model)
        prompt = context.fit(
            lambda versions: build_chat_system(config, memo, facts, versions, language),
            earlier,
            context.to_turns(history, question.id),
            window,
            context.reply_reserve(self.settings.llm_max_tokens, window),
        )
        replied = any(
            m.role == Role.ASSISTANT and m.status == MessageStatus.COMPLETED for m in history
        )
        return prompt, {
            "evaluation": facts,
            "rubric": config.rubric,
            "memo": memo,
            "earlier": earlier,  # texts of the versions this memo revises, oldest first
            "replied": replied,  # the conversation already has an answer
            "language": language,  # the writer's: the offline answers are written in it
        }

    async def _store(
        self,
        chat_id: uuid.UUID,
        text: str,
        info: dict[str, Any] | None,
        error: LLMError | None,
        started: float,
        capture: debug.Capture | None = None,
    ) -> ChatMessage:
        prompt_tokens = int((info or {}).get("prompt_tokens_estimate", 0))
        usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=service.estimate_tokens(text))
        prices = self.configs.current().llm.prices
        fields: dict[str, Any] = {
            "provider": self.provider.name,
            "model": self.provider.model,
            "prompt_tokens": prompt_tokens,
            "cost_usd": estimate_cost(usage, self.provider.model, prices),
            "latency_ms": int((time.perf_counter() - started) * 1000),
            "context": info,
            "status": MessageStatus.COMPLETED,
        }
        if error is not None:
            log.warning("chat reply failed", extra={"error_code": str(error.code)})
            fields.update(
                status=MessageStatus.FAILED,
                error_code=str(error.code),
                error_message=friendly(error),
            )
        async with self.db.sessions() as db:
            with debug.timed("database"):
                answer = await service.add_message(db, chat_id, Role.ASSISTANT, text, **fields)
            if capture is not None:
                chat = await db.get(ChatSession, chat_id)
                assert chat is not None  # the question was just stored in it
                capture.notes.update(provider=self.provider.name, model=self.provider.model)
                await debug.store(db, capture, chat.evaluation_id, answer.id)
                await db.commit()
            return answer


def friendly(error: LLMError) -> str:
    """A message for people, with the technical detail kept short at the end."""
    # In the language of the request that ran it: the writer reads it later where it is kept.
    fallback = N_("The reply failed. Your message is saved; send it again.")
    base = gettext(FRIENDLY.get(error.code, fallback))
    detail = " ".join(redact(error.message).split())[:300]
    return f"{base} ({detail})" if detail else base
