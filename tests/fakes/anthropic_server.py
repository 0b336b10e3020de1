"""A fake of Anthropic's Messages API, enough for the official SDK: streaming, tools, caching.

Run alone for load benchmarks: `python -m tests.fakes.anthropic_server --port P --delay 2.0`.
"""

from __future__ import annotations

import json
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
    serialise,
    serve_forever,
    sse,
)

CHAT_REPLY = "Your memo asks clearly for funding; add the expected savings to strengthen it."
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
MODEL_ID = "claude-sonnet-4-5"
PING = sse({"type": "ping"}, "ping")


class AnthropicFake(FakeServer):
    """POST /v1/messages (streaming or not), GET /v1/models and /v1/models/{id}."""

    def routes(self) -> list[Route]:
        return [
            Route("/v1/messages", self.handle, methods=["POST"]),
            Route("/v1/models", self.model_list, methods=["GET"]),
            Route("/v1/models/{model_id:path}", self.model_info, methods=["GET"]),
        ]

    def auth_ok(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        bearer = request.headers.get("authorization", "")
        return (
            request.headers.get("x-api-key") == self.api_key or bearer == f"Bearer {self.api_key}"
        )

    def error_body(self, code: int, message: str) -> dict[str, Any]:
        kind = ERROR_TYPES.get(code, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}

    async def model_list(self, request: Request) -> Response:
        if not self.auth_ok(request):
            return self.error(401, "invalid x-api-key")
        data = [{"type": "model", "id": MODEL_ID, "display_name": MODEL_ID}]
        return JSONResponse(
            {"data": data, "has_more": False, "first_id": MODEL_ID, "last_id": MODEL_ID}
        )

    async def model_info(self, request: Request) -> Response:
        if not self.auth_ok(request):
            return self.error(401, "invalid x-api-key")
        model_id = request.path_params["model_id"]
        return JSONResponse({"type": "model", "id": model_id, "display_name": model_id})

    def respond(self, behaviour: Behaviour, body: dict[str, Any]) -> Response:
        blocks = self.content(behaviour, body)
        usage = self.usage(body, blocks)
        if not body.get("stream"):
            return JSONResponse(self.message(body, blocks, usage))
        return self.stream(self.events(behaviour, body, blocks, usage))

    def content(self, behaviour: Behaviour, body: dict[str, Any]) -> list[tuple[str, str]]:
        """The answer as (block type, raw text) pairs."""
        tools = body.get("tools") or []
        if behaviour.kind == "text":
            return [("text", str(behaviour.output))]
        if not tools:
            return [
                ("text", CHAT_REPLY if behaviour.output is None else serialise(behaviour.output))
            ]
        if behaviour.kind == "malformed":
            return [("tool_use", str(behaviour.output))]
        output = behaviour.output
        if output is None:
            output = answer_for_schema(tools[0].get("input_schema"))
        return [("tool_use", serialise(output))]

    def usage(self, body: dict[str, Any], blocks: list[tuple[str, str]]) -> dict[str, int]:
        system = body.get("system") or []
        if isinstance(system, str):
            system = [{"type": "text", "text": system}]
        cached = [b["text"] for b in system if b.get("cache_control")]
        read, written = self.cache_tokens(cached)
        everything = json.dumps(body.get("messages", [])) + json.dumps(system)
        fresh = max(1, estimate_tokens(everything) - read - written)
        return {
            "input_tokens": fresh,
            "output_tokens": sum(estimate_tokens(raw) for _, raw in blocks),
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": written,
        }

    def message(
        self, body: dict[str, Any], blocks: list[tuple[str, str]], usage: dict[str, int]
    ) -> dict[str, Any]:
        content = []
        for kind, raw in blocks:
            if kind == "text":
                content.append({"type": "text", "text": raw})
            else:
                content.append(_tool_block(body, _json_or_raw(raw)))
        stop = "tool_use" if any(kind == "tool_use" for kind, _ in blocks) else "end_turn"
        return {**_message_shell(body, usage), "content": content, "stop_reason": stop}

    async def events(
        self,
        behaviour: Behaviour,
        body: dict[str, Any],
        blocks: list[tuple[str, str]],
        usage: dict[str, int],
    ) -> AsyncIterator[str]:
        start_usage = {**usage, "output_tokens": 1}
        yield sse(
            {"type": "message_start", "message": _message_shell(body, start_usage)}, "message_start"
        )
        if behaviour.kind == "hang":
            async for _ in self.keepalive(behaviour.seconds, PING):
                yield PING
            return
        sent = 0
        for index, (kind, raw) in enumerate(blocks):
            async for event in _block_events(index, kind, raw, body):
                if event.startswith("event: content_block_delta"):
                    await pace(behaviour, sent)
                    sent += 1
                yield event
                if behaviour.kind == "drop":
                    raise ConnectionResetError("the fake dropped the connection")
        stop = "tool_use" if blocks[-1][0] == "tool_use" else "end_turn"
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        }
        yield sse(delta, "message_delta")
        yield sse({"type": "message_stop"}, "message_stop")


def _message_shell(body: dict[str, Any], usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": body.get("model", "claude-fake"),
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }


def _json_or_raw(raw: str) -> Any:
    """Malformed answers cannot be a tool input object; keep them visible anyway."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return {"raw": raw}


def _tool_block(body: dict[str, Any], tool_input: Any) -> dict[str, Any]:
    name = (body.get("tool_choice") or {}).get("name") or body["tools"][0]["name"]
    return {"type": "tool_use", "id": "toolu_fake", "name": name, "input": tool_input}


async def _block_events(
    index: int, kind: str, raw: str, body: dict[str, Any]
) -> AsyncIterator[str]:
    """content_block_start, one delta per chunk, content_block_stop."""
    if kind == "text":
        start: dict[str, Any] = {"type": "text", "text": ""}
    else:
        start = _tool_block(body, {})
    yield sse(
        {"type": "content_block_start", "index": index, "content_block": start},
        "content_block_start",
    )
    for piece in chunks(raw):
        if kind == "text":
            delta = {"type": "text_delta", "text": piece}
        else:
            delta = {"type": "input_json_delta", "partial_json": piece}
        yield sse(
            {"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta"
        )
    yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")


if __name__ == "__main__":
    serve_forever(AnthropicFake(), "A fake Anthropic Messages API for load benchmarks.")
