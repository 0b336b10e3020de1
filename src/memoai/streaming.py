"""Server-sent events for work that runs in the background and outlives its client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from memoai.runtime import Runtime

# nginx honours X-Accel-Buffering, so events are not held back by the proxy.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
HEARTBEAT_SECONDS = 15.0
Emit = Callable[[str, dict[str, Any]], Awaitable[None]]


def sse(event: str, data: dict[str, Any]) -> bytes:
    """One event, its data as JSON."""
    return format_sse_event(event=event, data_str=json.dumps(data, ensure_ascii=False))


def event_stream(
    runtime: Runtime, work: Callable[[Emit], Awaitable[Any]], status: int = 201
) -> StreamingResponse:
    """Stream what `work` emits; the work is spawned, so a client that leaves does not stop it."""
    queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()

    async def emit(event: str, data: dict[str, Any]) -> None:
        await queue.put((event, data))

    async def run() -> None:
        try:
            await work(emit)
        finally:
            await queue.put(None)

    async def events() -> AsyncIterator[bytes]:
        runtime.spawn(run())
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield format_sse_event(comment="keep-alive")
                continue
            if item is None:
                return
            yield sse(*item)

    return StreamingResponse(
        events(), status_code=status, media_type="text/event-stream", headers=SSE_HEADERS
    )
