"""What Claude and OpenAI-compatible providers share: timeouts, retries, partials, parsing.

A subclass only says how to build its SDK requests and how to read its SDK's stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from memoai.api import ErrorCode
from memoai.llm.base import (
    ChatMessage,
    EvaluationPrompt,
    LLMError,
    PartialCallback,
    ProviderResult,
    Usage,
)
from memoai.llm.output import OutputInvalid, completed_items, parse_json_text, parse_partial
from memoai.llm.retry import Retried, classify, until_deadline, with_retries
from memoai.settings import Settings

T = TypeVar("T")
CHECK_TIMEOUT_SECONDS = 10.0
REPAIR_FALLBACK = (
    "Your previous answer could not be used. Answer again with one JSON object that follows "
    "the schema exactly."
)


@dataclass(frozen=True)
class Answer:
    """The raw outcome of one streamed call, before parsing."""

    raw_text: str
    usage: Usage
    truncated: bool = False  # stopped at max_tokens


class PartialEmitter:
    """Feeds growing JSON to `on_partial`, but only when a completed item appears or changes.

    The stream delivers a token at a time; the caller only shows finished strengths,
    opportunities and criteria, so calling it per token would be wasted work.
    """

    def __init__(self, on_partial: PartialCallback | None) -> None:
        self._on_partial = on_partial
        self._text = ""
        self._shown: dict[str, list[Any]] | None = None

    async def add(self, delta: str) -> None:
        """Add a stream delta and report progress if a new item is complete."""
        self._text += delta
        if self._on_partial is None or not delta:
            return
        partial = parse_partial(self._text)
        done = completed_items(partial)
        if done != self._shown and any(done.values()):
            self._shown = done
            await self._on_partial(partial)

    @property
    def text(self) -> str:
        return self._text


class RemoteProvider:
    """Base of the network providers; subclasses fill in the SDK-specific hooks."""

    name = "remote"
    client: Any  # the SDK's async client

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.model
        self.label = self.model

    async def aclose(self) -> None:
        """Release the SDK client's HTTP connection pool."""
        await self.client.close()

    # --- the Provider protocol ---------------------------------------------------------

    async def evaluate(
        self, prompt: EvaluationPrompt, on_partial: PartialCallback | None = None
    ) -> ProviderResult:
        """Stream an evaluation, retrying transient failures, and parse the JSON answer."""
        return await self._answer(self._evaluation_request(prompt, []), on_partial)

    async def repair(
        self, prompt: EvaluationPrompt, previous_raw: str, problems_message: str
    ) -> ProviderResult:
        """Ask once more, showing the model its previous answer and what was wrong with it.

        `problems_message` is the whole follow-up user turn, as rendered from the admins'
        repair template (`prompts.build_repair_message`); it is sent verbatim.
        """
        turns = [
            ChatMessage("assistant", previous_raw or "(empty answer)"),
            ChatMessage("user", problems_message.strip() or REPAIR_FALLBACK),
        ]
        return await self._answer(self._evaluation_request(prompt, turns), None)

    async def chat(
        self, system: str, messages: list[ChatMessage], facts: dict[str, Any] | None = None
    ) -> AsyncIterator[str]:
        """Stream a reply; retries happen only before the first chunk reaches the user."""
        deadline = asyncio.get_running_loop().time() + self.settings.llm_timeout_seconds

        async def open_stream() -> AsyncGenerator[str, None]:
            async with asyncio.timeout_at(deadline):
                return await self._open_chat(system, messages)

        chunks = (await self._retrying(open_stream)).value
        try:
            async for chunk in until_deadline(chunks, deadline):
                yield chunk
        except Exception as exc:
            raise as_llm_error(exc) from exc
        finally:
            await chunks.aclose()

    async def check(self) -> tuple[bool, str]:
        """A cheap authenticated request; never raises."""
        try:
            async with asyncio.timeout(
                min(CHECK_TIMEOUT_SECONDS, self.settings.llm_timeout_seconds)
            ):
                detail = await self._ping()
        except Exception as exc:
            error = as_llm_error(exc)
            return False, f"{self.label}: {error.code}: {error.message}"
        return True, f"{self.label}: reachable{detail}"

    # --- shared machinery --------------------------------------------------------------

    async def _answer(
        self, request: dict[str, Any], on_partial: PartialCallback | None
    ) -> ProviderResult:
        async def attempt() -> Answer:
            async with asyncio.timeout(self.settings.llm_timeout_seconds):
                if on_partial is None:
                    # Nobody watches progress: one plain response costs far less CPU than
                    # hundreds of stream events (this is what lets one process serve many).
                    return await self._complete_answer(request)
                return await self._stream_answer(request, PartialEmitter(on_partial))

        retried = await self._retrying(attempt)
        return self._parse(retried.value, retried.attempts)

    def _parse(self, answer: Answer, attempts: int) -> ProviderResult:
        """The parsed JSON object, or LLM_BAD_OUTPUT carrying the raw text for the repair."""
        try:
            data = parse_json_text(answer.raw_text)
        except OutputInvalid as exc:
            reason = str(exc)
            if answer.truncated:
                reason = f"the answer was cut off at the {self.settings.llm_max_tokens}-token limit"
            raise LLMError(
                ErrorCode.LLM_BAD_OUTPUT,
                f"The model's answer was not valid JSON: {reason}.",
                raw_text=answer.raw_text,
                usage=answer.usage,
            ) from exc
        return ProviderResult(
            data=data,
            raw_text=answer.raw_text,
            usage=answer.usage,
            model=self.model,
            attempts=attempts,
        )

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> Retried[T]:
        s = self.settings
        return await with_retries(
            call,
            max_retries=s.llm_max_retries,
            base_delay=s.llm_retry_base_delay,
            max_delay=s.llm_retry_max_delay,
        )

    # --- hooks -------------------------------------------------------------------------

    def _evaluation_request(
        self, prompt: EvaluationPrompt, extra_turns: list[ChatMessage]
    ) -> dict[str, Any]:
        """SDK keyword arguments for an evaluation, with any repair turns appended."""
        raise NotImplementedError

    async def _stream_answer(self, request: dict[str, Any], emit: PartialEmitter) -> Answer:
        """Send the request, feed each JSON delta to `emit`, return the whole answer."""
        raise NotImplementedError

    async def _complete_answer(self, request: dict[str, Any]) -> Answer:
        """Send the request without streaming and return the whole answer."""
        raise NotImplementedError

    async def _open_chat(
        self, system: str, messages: list[ChatMessage]
    ) -> AsyncGenerator[str, None]:
        """Start a chat stream (raising HTTP errors now) and return its text deltas."""
        raise NotImplementedError

    async def _ping(self) -> str:
        """The cheapest authenticated request; returns a detail for the check message."""
        raise NotImplementedError


def as_llm_error(exc: BaseException) -> LLMError:
    """Any failure as an LLMError, for paths that cannot retry any more."""
    if isinstance(exc, LLMError):
        return exc
    failure = classify(exc)
    if failure is not None:
        return failure.error
    return LLMError(ErrorCode.LLM_UNAVAILABLE, f"The model call failed: {exc}.")
