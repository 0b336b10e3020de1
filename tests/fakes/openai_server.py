"""A fake OpenAI-compatible Chat Completions server, enough for the official SDK.

Run alone for load benchmarks: `python -m tests.fakes.openai_server --port P --delay 2.0`.
Clients use `base_url=f"{server.url}/v1"`.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common import (
    Behaviour,
    FakeServer,
    answer_for_schema,
    chunks,
    estimate_tokens,
    pace,
    schema_in_text,
    serialise,
    serve_forever,
    sse,
)

CHAT_REPLY = "Your memo asks clearly for funding; add the expected savings to strengthen it."
MODELS = ["gpt-4o-mini", "local-model"]
KEEPALIVE = ": keep-alive\n\n"


class OpenAIFake(FakeServer):
    """POST /v1/chat/completions (streaming or not) and GET /v1/models."""

    # False imitates servers that ignore stream_options.include_usage.
    send_usage = True

    def routes(self) -> list[Route]:
        return [
            Route("/v1/chat/completions", self.handle, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ]

    def auth_ok(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def error_body(self, code: int, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": "fake_error", "code": str(code)}}

    async def models(self, request: Request) -> Response:
        if not self.auth_ok(request):
            return self.error(401, "Incorrect API key provided")
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in MODELS]
        return JSONResponse({"object": "list", "data": data})

    def respond(self, behaviour: Behaviour, body: dict[str, Any]) -> Response:
        content = self.content(behaviour, body)
        usage = self.usage(body, content)
        if not body.get("stream"):
            return JSONResponse(_completion(body, content, usage))
        return self.stream(self.events(behaviour, body, content, usage))

    def content(self, behaviour: Behaviour, body: dict[str, Any]) -> str:
        if behaviour.kind in ("text", "malformed"):
            return str(behaviour.output)
        if behaviour.output is not None:
            return serialise(behaviour.output)
        schema = request_schema(body)
        return CHAT_REPLY if schema is None else json.dumps(answer_for_schema(schema))

    def usage(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        messages = body.get("messages", [])
        system = [m["content"] for m in messages if m.get("role") == "system"]
        read, _ = self.cache_tokens(system)  # OpenAI caches long prefixes by itself
        prompt = estimate_tokens(json.dumps(messages))
        completion = estimate_tokens(content)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": min(read, prompt)},
        }

    async def events(
        self, behaviour: Behaviour, body: dict[str, Any], content: str, usage: dict[str, Any]
    ) -> AsyncIterator[str]:
        yield sse(_chunk(body, {"role": "assistant", "content": ""}))
        if behaviour.kind == "hang":
            async for _ in self.keepalive(behaviour.seconds, KEEPALIVE):
                yield KEEPALIVE
            return
        for index, piece in enumerate(chunks(content)):
            await pace(behaviour, index)
            yield sse(_chunk(body, {"content": piece}))
            if behaviour.kind == "drop":
                raise ConnectionResetError("the fake dropped the connection")
        yield sse(_chunk(body, {}, finish="stop"))
        if self.send_usage and (body.get("stream_options") or {}).get("include_usage"):
            yield sse({**_chunk(body, {}), "choices": [], "usage": usage})
        yield sse("[DONE]")


def request_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The output schema of an evaluation request, wherever the output mode put it."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format.get("json_schema", {}).get("schema")
    if response_format.get("schema"):
        return response_format["schema"]
    for message in body.get("messages", []):
        if message.get("role") == "system":
            found = schema_in_text(str(message.get("content", "")))
            if found is not None:
                return found
    return None


def _chunk(
    body: dict[str, Any], delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(body: dict[str, Any], content: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


if __name__ == "__main__":
    serve_forever(
        OpenAIFake(), "A fake OpenAI-compatible Chat Completions API for load benchmarks."
    )
