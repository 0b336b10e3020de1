"""An httpx transport that calls an ASGI app in-process and streams its response body.

httpx's own ASGITransport collects the whole body before returning, which would turn the
evaluation's server-sent events into one late burst in `memoai serve`. This one hands each
body chunk over as the app sends it, so the web layer's client behaves exactly as it does
over the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

from memoai.ops.ratelimit import WEB_LAYER_KEY

log = logging.getLogger("memoai.web")
_END = b""
# httpx request extension: {"client": (host, port), "scheme": "https"} of the browser request
# this call serves. In-process there is no proxy between the two apps, so the transport sets
# the API's scope from it (over the network, X-Forwarded-* from a trusted proxy do that).
ORIGIN = "memoai.origin"
DISCONNECT_GRACE_SECONDS = 1.0


class _BodyStream(httpx.AsyncByteStream):
    def __init__(self, chunks: asyncio.Queue[bytes], task: asyncio.Task[None], gone: asyncio.Event):
        self._chunks = chunks
        self._task = task
        self._gone = gone

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self._chunks.get()
            if chunk is _END:
                return
            yield chunk

    async def aclose(self) -> None:
        """Tell the app its client went away; stop it if it does not finish by itself."""
        self._gone.set()
        if self._task.done():
            return
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), DISCONNECT_GRACE_SECONDS)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Requests go straight to `app` (no lifespan, no sockets); responses stream."""

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        chunks: asyncio.Queue[bytes] = asyncio.Queue()
        gone = asyncio.Event()
        started: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        body_sent = False

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start" and not started.done():
                started.set_result(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    await chunks.put(message["body"])
                if not message.get("more_body", False):
                    await chunks.put(_END)

        async def run() -> None:
            try:
                await self.app(self._scope(request), receive, send)
            except Exception as exc:
                if not started.done():
                    started.set_exception(exc)
                else:  # the app already answered (e.g. its 500 page); keep that answer
                    log.debug("in-process app raised after responding", exc_info=True)
            finally:
                if not started.done():
                    started.set_exception(RuntimeError("the app sent no response"))
                chunks.put_nowait(_END)

        task = asyncio.create_task(run())
        try:
            start = await started
        except BaseException:
            task.cancel()
            raise
        return httpx.Response(
            status_code=start["status"],
            headers=[(k, v) for k, v in start.get("headers", [])],
            stream=_BodyStream(chunks, task, gone),
            request=request,
        )

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        url = request.url
        origin = request.extensions.get(ORIGIN) or {}
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": origin.get("scheme", url.scheme),
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "root_path": "",
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "client": origin.get("client", self.client),
            "state": {},
            "extensions": {},
            WEB_LAYER_KEY: True,  # its X-MemoAI-Page-View is believed (ops/ratelimit.py)
        }
