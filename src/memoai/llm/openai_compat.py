"""Any OpenAI-compatible Chat Completions server: OpenAI, Ollama, vLLM, llama.cpp, LM Studio.

Servers differ in how they constrain output, so LLM_OUTPUT_MODE picks the request shape:
`json_schema` (OpenAI structured outputs, vLLM), `json_object_schema` (llama.cpp's server),
`json_object` (JSON mode, schema in the prompt) or `none` (schema in the prompt only).
The answer is parsed and validated the same way whichever mode produced it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

import openai

from memoai.api import ErrorCode
from memoai.llm.base import ChatMessage, EvaluationPrompt, LLMError, Usage
from memoai.llm.pools import sharded_unless_proxied
from memoai.llm.remote import Answer, PartialEmitter, RemoteProvider
from memoai.settings import Settings

SCHEMA_IN_PROMPT = (
    "\n\nAnswer with one JSON object and nothing else. It must match this JSON Schema:\n{schema}"
)
# OpenAI's strict structured outputs refuse string length limits (arrays and numbers are fine).
STRICT_UNSUPPORTED = frozenset({"minLength", "maxLength"})


class OpenAICompatProvider(RemoteProvider):
    """An OpenAI-compatible endpoint; the SDK's own retries are off so ours apply."""

    name = "openai"
    client: openai.AsyncOpenAI

    def __init__(self, settings: Settings, *, client: openai.AsyncOpenAI | None = None) -> None:
        super().__init__(settings)
        key = settings.secret("openai_api_key")
        if not key and not settings.llm_base_url:
            raise LLMError(
                ErrorCode.LLM_NOT_CONFIGURED,
                "OPENAI_API_KEY is not set; set it, point LLM_BASE_URL at a local "
                "OpenAI-compatible server, or choose LLM_PROVIDER=offline.",
                retryable=False,
            )
        self.label = f"{self.model} (OpenAI-compatible)"
        self.official = not settings.llm_base_url
        transport = sharded_unless_proxied()
        self.client = client or openai.AsyncOpenAI(
            api_key=key or "not-needed",
            base_url=settings.llm_base_url or None,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
            http_client=None
            if transport is None
            else openai.DefaultAsyncHttpxClient(
                transport=transport, timeout=settings.llm_timeout_seconds
            ),
        )

    def _evaluation_request(
        self, prompt: EvaluationPrompt, extra_turns: list[ChatMessage]
    ) -> dict[str, Any]:
        """The memo travels only in the user turn; the format is fixed by the output mode."""
        mode = self.settings.llm_output_mode
        system = prompt.static_system
        if mode in ("json_object", "none"):
            system += SCHEMA_IN_PROMPT.format(schema=json.dumps(prompt.schema, indent=1))
        request = {
            **self._sampling(),
            "messages": _messages(system, [ChatMessage("user", prompt.user), *extra_turns]),
            "stream_options": {"include_usage": True},
        }
        response_format = self._response_format(prompt)
        if response_format is not None:
            request["response_format"] = response_format
        return request

    def _response_format(self, prompt: EvaluationPrompt) -> dict[str, Any] | None:
        mode = self.settings.llm_output_mode
        if mode == "json_schema":
            schema = (
                without_keys(prompt.schema, STRICT_UNSUPPORTED) if self.official else prompt.schema
            )
            return {
                "type": "json_schema",
                "json_schema": {"name": prompt.schema_name, "schema": schema, "strict": True},
            }
        if mode == "json_object_schema":
            return {"type": "json_object", "schema": prompt.schema}
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    def _sampling(self) -> dict[str, Any]:
        """Model, temperature and the token limit under the name the server understands."""
        s = self.settings
        limit_name = "max_completion_tokens" if self.official else "max_tokens"
        return {"model": self.model, "temperature": s.llm_temperature, limit_name: s.llm_max_tokens}

    async def _stream_answer(self, request: dict[str, Any], emit: PartialEmitter) -> Answer:
        stream = await self.client.chat.completions.create(**request, stream=True)
        usage = Usage()
        finish: str | None = None
        async with stream:
            async for chunk in stream:
                usage = _usage(chunk.usage) or usage
                for choice in chunk.choices:
                    finish = choice.finish_reason or finish
                    if choice.delta and choice.delta.content:
                        await emit.add(choice.delta.content)
        return Answer(emit.text, usage, truncated=finish == "length")

    async def _complete_answer(self, request: dict[str, Any]) -> Answer:
        plain = {k: v for k, v in request.items() if k != "stream_options"}
        completion = await self.client.chat.completions.create(**plain)
        choice = completion.choices[0] if completion.choices else None
        content = (choice.message.content or "") if choice else ""
        finish = choice.finish_reason if choice else None
        return Answer(content, _usage(completion.usage) or Usage(), truncated=finish == "length")

    async def _open_chat(
        self, system: str, messages: list[ChatMessage]
    ) -> AsyncGenerator[str, None]:
        stream = await self.client.chat.completions.create(
            **self._sampling(), messages=_messages(system, messages), stream=True
        )
        return _text_deltas(stream)

    async def _ping(self) -> str:
        page = await self.client.models.list()
        listed = {model.id for model in page.data}
        if listed and self.model not in listed:
            return f" (model {self.model} is not listed; the server has {len(listed)} others)"
        return ""


def _messages(system: str, turns: list[ChatMessage]) -> list[Any]:
    return [
        {"role": "system", "content": system},
        *({"role": turn.role, "content": turn.content} for turn in turns),
    ]


def _usage(usage: Any) -> Usage | None:
    """Token counts of a usage chunk (servers that ignore include_usage send none)."""
    if usage is None:
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        cached_tokens=(getattr(details, "cached_tokens", None) or 0) if details else 0,
    )


async def _text_deltas(stream: Any) -> AsyncGenerator[str, None]:
    """The text of a Chat Completions stream, chunk by chunk, closing the stream however it ends."""
    async with stream:
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta and choice.delta.content:
                    yield choice.delta.content


def without_keys(schema: Any, keys: frozenset[str]) -> Any:
    """A copy of a JSON schema without the given keywords, at every depth."""
    if isinstance(schema, dict):
        return {
            k: _props_without_keys(v, keys) if k == "properties" else without_keys(v, keys)
            for k, v in schema.items()
            if k not in keys
        }
    if isinstance(schema, list):
        return [without_keys(item, keys) for item in schema]
    return schema


def _props_without_keys(properties: Any, keys: frozenset[str]) -> Any:
    """Property names are data, not keywords: keep them, clean their schemas."""
    if not isinstance(properties, dict):
        return properties
    return {name: without_keys(value, keys) for name, value in properties.items()}
