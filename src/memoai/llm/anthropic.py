"""Claude through Anthropic's Messages API: a forced tool call, streamed, with prompt caching.

The anthropic SDK 2.x speaks API version 2026-10-21, which rejects `temperature` (even at its
default), so no sampling parameter is sent to Claude; LLM_TEMPERATURE applies to
OpenAI-compatible servers only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2
import orjson

from memoai.api import ErrorCode
from memoai.llm.base import ChatMessage, EvaluationPrompt, LLMError, ProviderResult, Usage
from memoai.llm.pools import sharded_unless_proxied
from memoai.llm.remote import Answer, PartialEmitter, RemoteProvider
from memoai.settings import Settings

TOOL_DESCRIPTION = "Record the evaluation of the memo against the rubric, as structured data."
EPHEMERAL = {"type": "ephemeral"}
MESSAGES_PATH = "/v1/messages"


class ClaudeProvider(RemoteProvider):
    """Anthropic's Claude; the SDK's own retries are off so ours apply."""

    name = "claude"
    client: anthropic.AsyncAnthropic

    def __init__(
        self, settings: Settings, *, client: anthropic.AsyncAnthropic | None = None
    ) -> None:
        super().__init__(settings)
        key = settings.secret("claude_api_key")
        if not key:
            raise LLMError(
                ErrorCode.LLM_NOT_CONFIGURED,
                "CLAUDE_API_KEY is not set; set it (or CLAUDE_API_KEY_FILE), "
                "or choose LLM_PROVIDER=offline.",
                retryable=False,
            )
        self.label = f"Claude ({self.model})"
        transport = sharded_unless_proxied()
        self.client = client or anthropic.AsyncAnthropic(
            api_key=key,
            base_url=settings.llm_base_url or None,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
            http_client=None
            if transport is None
            else anthropic.DefaultAsyncHttpxClient(
                transport=transport, timeout=settings.llm_timeout_seconds
            ),
        )

    def _evaluation_request(
        self, prompt: EvaluationPrompt, extra_turns: list[ChatMessage]
    ) -> dict[str, Any]:
        """The memo travels only in the user turn; the tool is forced whatever it says."""
        return {
            "model": self.model,
            "max_tokens": self.settings.llm_max_tokens,
            "system": cached_system(prompt.static_system),
            "messages": _messages([ChatMessage("user", prompt.user), *extra_turns]),
            "tools": [
                {
                    "name": prompt.schema_name,
                    "description": TOOL_DESCRIPTION,
                    "input_schema": prompt.schema,
                }
            ],
            "tool_choice": {"type": "tool", "name": prompt.schema_name},
        }

    async def _stream_answer(self, request: dict[str, Any], emit: PartialEmitter) -> Answer:
        reader = _StreamReader()
        stream = await self.client.messages.create(**request, stream=True)
        async with stream:
            async for event in stream:
                delta = reader.read(event)
                if delta:
                    await emit.add(delta)
        return reader.answer()

    async def _complete_answer(self, request: dict[str, Any]) -> Answer:
        """One plain Messages call, posted through the SDK's generic `post` and read as JSON.

        `messages.create` would copy and transform the request (its tool schema and system
        prompt are large) and build pydantic models of the answer, about a quarter of the
        SDK's CPU per call; headers, authentication, timeouts and the SDK's errors for
        non-2xx answers are the same on this path."""
        response = await self.client.post(MESSAGES_PATH, body=request, cast_to=httpx2.Response)
        reader = _StreamReader()
        reader.read_message_json(orjson.loads(response.content))
        return reader.answer()

    def _parse(self, answer: Answer, attempts: int) -> ProviderResult:
        """A tool call's input arrives parsed: no need to serialise and parse it again."""
        if isinstance(answer, ToolAnswer):
            return ProviderResult(
                data=answer.data,
                raw_text=answer.raw_text,
                usage=answer.usage,
                model=self.model,
                attempts=attempts,
            )
        return super()._parse(answer, attempts)

    async def _open_chat(
        self, system: str, messages: list[ChatMessage]
    ) -> AsyncGenerator[str, None]:
        stream = await self.client.messages.create(
            model=self.model,
            max_tokens=self.settings.llm_max_tokens,
            system=cached_system(system),
            messages=_messages(messages),
            stream=True,
        )
        return _text_deltas(stream)

    async def _ping(self) -> str:
        info = await self.client.models.retrieve(self.model)
        return f" (model {info.id})"


def cached_system(text: str) -> list[Any]:
    """The static system prompt as one block marked for prompt caching."""
    return [{"type": "text", "text": text, "cache_control": EPHEMERAL}]


def _messages(turns: list[ChatMessage]) -> list[Any]:
    return [{"role": turn.role, "content": turn.content} for turn in turns]


async def _text_deltas(stream: Any) -> AsyncGenerator[str, None]:
    """The text of a Messages stream, chunk by chunk, closing the stream however it ends."""
    async with stream:
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text


class _StreamReader:
    """Accumulates a raw Messages stream: tool input JSON, any plain text, usage, stop reason."""

    def __init__(self) -> None:
        self.tool_json: list[str] = []
        self.text: list[str] = []
        self.used_tool = False
        self.initial_input: object = None
        self.usage: dict[str, int] = {}
        self.stop_reason: str | None = None

    def read(self, event: Any) -> str:
        """Take one event; return the tool-input JSON delta it carried, if any."""
        if event.type == "message_start":
            self._usage(event.message.usage)
        elif event.type == "content_block_start" and event.content_block.type == "tool_use":
            self.used_tool = True
            self.initial_input = event.content_block.input
        elif event.type == "content_block_delta":
            if event.delta.type == "input_json_delta":
                self.tool_json.append(event.delta.partial_json)
                return str(event.delta.partial_json)
            if event.delta.type == "text_delta":
                self.text.append(event.delta.text)
        elif event.type == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self._usage(event.usage)
        return ""

    def read_message_json(self, message: dict[str, Any]) -> None:
        """Take a whole (non-streamed) Message, as the API's JSON."""
        self._usage(message.get("usage") or {})
        self.stop_reason = message.get("stop_reason")
        for block in message.get("content") or []:
            if block.get("type") == "tool_use":
                self.used_tool = True
                self.initial_input = block.get("input")
            elif block.get("type") == "text":
                self.text.append(str(block.get("text", "")))

    def _usage(self, usage: Any) -> None:
        """Usage counts on later events are cumulative and may omit fields: overwrite if sent.
        `usage` is the SDK's object (stream events) or the API's JSON (a whole Message)."""
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
            if value is not None:
                self.usage[name] = int(value)

    def answer(self) -> Answer:
        """The tool input if the model called the tool, else whatever text it wrote."""
        raw = "".join(self.text)
        if self.used_tool:
            raw = "".join(self.tool_json) or json.dumps(self.initial_input or {})
        cached = self.usage.get("cache_read_input_tokens", 0)
        written = self.usage.get("cache_creation_input_tokens", 0)
        usage = Usage(
            # Anthropic counts cached and cache-write tokens apart; our prompt_tokens is the total.
            prompt_tokens=self.usage.get("input_tokens", 0) + cached + written,
            completion_tokens=self.usage.get("output_tokens", 0),
            cached_tokens=cached,
            cache_write_tokens=written,
        )
        truncated = self.stop_reason == "max_tokens"
        if self.used_tool and not self.tool_json and isinstance(self.initial_input, dict):
            return ToolAnswer(raw, usage, truncated, data=self.initial_input)
        return Answer(raw, usage, truncated=truncated)


@dataclass(frozen=True)
class ToolAnswer(Answer):
    """An answer whose tool input came whole and parsed (a plain, non-streamed call)."""

    data: dict[str, Any] = field(default_factory=dict)
