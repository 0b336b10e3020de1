"""The scriptable part every fake provider server shares: behaviours, recording, threading.

A test queues behaviours (`ok`, `text`, `status`, `hang`, `delay`, `trickle`, `malformed`,
`drop`); each
request takes the next one, and the server's default answers when the queue is empty.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CHUNK_CHARS = 24  # size of each streamed delta
KEEPALIVE_SECONDS = 0.2  # a hanging stream still sends bytes, so only a whole-call timeout ends it


# --- behaviours ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    kind: str
    output: Any = None  # dict (serialised) or str (sent verbatim)
    status: int = 200
    retry_after: str | None = None
    retry_after_ms: str | None = None
    seconds: float = 0.0
    after_headers: bool = True
    then: Behaviour | None = None
    interval: float = 0.0  # trickle: seconds between streamed chunks
    headers: dict[str, str] = field(default_factory=dict)


def ok(output: dict[str, Any] | str | None = None) -> Behaviour:
    """A valid structured answer (None: the server's default answer)."""
    return Behaviour("ok", output)


def text(content: str) -> Behaviour:
    """A plain text answer instead of the structured one."""
    return Behaviour("text", content)


def status(
    code: int,
    retry_after: float | str | None = None,
    retry_after_ms: float | None = None,
    message: str | None = None,
) -> Behaviour:
    """An HTTP error answer, with optional retry-after / retry-after-ms headers."""
    return Behaviour(
        "status",
        message,
        status=code,
        retry_after=None if retry_after is None else str(retry_after),
        retry_after_ms=None if retry_after_ms is None else str(retry_after_ms),
    )


def hang(seconds: float = 30.0, *, after_headers: bool = True) -> Behaviour:
    """Accept, then stall (sending keep-alives after the headers unless after_headers=False)."""
    return Behaviour("hang", seconds=seconds, after_headers=after_headers)


def delay(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Wait before answering, then behave like `then` (default: ok())."""
    return Behaviour("delay", seconds=seconds, then=then or ok())


def trickle(first_token: float, interval: float = 0.02) -> Behaviour:
    """Headers at once, the first token after `first_token` s, then a chunk every `interval` s."""
    return Behaviour("trickle", seconds=first_token, interval=interval)


async def pace(behaviour: Behaviour, index: int) -> None:
    """The wait before streamed chunk `index` (only a trickle waits)."""
    if behaviour.kind == "trickle":
        await asyncio.sleep(behaviour.seconds if index == 0 else behaviour.interval)


def malformed() -> Behaviour:
    """Invalid JSON where the structured answer belongs."""
    return Behaviour(
        "malformed", '{"strengths": ["Clear ask"], "rubric_scores": [{"criterion_id": '
    )


def drop() -> Behaviour:
    """Start the stream, then cut the connection mid-answer."""
    return Behaviour("drop")


MALFORMED_TAIL = "oops not json"


# --- answers ---------------------------------------------------------------------------------


def build_answer(criteria: list[str], scale_min: int = 1, scale_max: int = 5) -> dict[str, Any]:
    """A valid evaluation for these criteria (mid-scale scores), as a model would send it."""
    middle = (scale_min + scale_max) // 2
    return {
        "strengths": ["The memo states its purpose in the first paragraph."],
        "opportunities": ["Quantify the expected savings.", "Name the decision you need."],
        "rubric_scores": [
            {"criterion_id": cid, "score": middle, "justification": f"Adequate {cid}."}
            for cid in criteria
        ],
        "segment_feedback": [],
    }


def answer_for_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    """A valid answer derived from the evaluation schema the client sent (criteria, scale)."""
    try:
        score_item = schema["properties"]["rubric_scores"]["items"]["properties"]  # type: ignore[index]
        criteria = list(score_item["criterion_id"]["enum"])
        low = int(score_item["score"].get("minimum", 1))
        high = int(score_item["score"].get("maximum", 5))
    except (KeyError, TypeError):
        return build_answer(["clarity"])
    return build_answer(criteria, low, high)


def schema_in_text(text: str) -> dict[str, Any] | None:
    """The first JSON object with `properties` embedded in a prompt (JSON-mode requests)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and "properties" in value:
            return value
        start = text.find("{", start + 1)
    return None


def serialise(output: Any) -> str:
    return output if isinstance(output, str) else json.dumps(output)


def chunks(raw: str, size: int = CHUNK_CHARS) -> list[str]:
    return [raw[i : i + size] for i in range(0, len(raw), size)] or [""]


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def sse(data: Any, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


# --- the server ----------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class FakeServer:
    """A real HTTP server on 127.0.0.1 in a background thread, scripted per test."""

    def __init__(
        self,
        *,
        api_key: str | None = "test-key",
        default: Callable[[dict[str, Any]], Behaviour] | None = None,
        record: bool = True,
    ) -> None:
        self.api_key = api_key
        self.default = default or (lambda body: ok())
        self.record = record
        self.queue: collections.deque[Behaviour] = collections.deque()
        self.requests: list[RecordedRequest] = []
        self.cache_seen: set[str] = set()
        self.app = Starlette(routes=self.routes())
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # subclasses: the API's routes and how it renders each behaviour
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def respond(self, behaviour: Behaviour, body: dict[str, Any]) -> Response:
        raise NotImplementedError

    def error_body(self, code: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def auth_ok(self, request: Request) -> bool:
        raise NotImplementedError

    # scripting
    def push(self, *behaviours: Behaviour) -> FakeServer:
        """Queue behaviours for the next requests, in order."""
        self.queue.extend(behaviours)
        return self

    def reset(self) -> None:
        self.queue.clear()
        self.requests.clear()
        self.cache_seen.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    # serving
    async def handle(self, request: Request) -> Response:
        """Record the request, check the key, and play the next behaviour."""
        body = await request.json() if await request.body() else {}
        if self.record:
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.requests.append(
                RecordedRequest(request.method, request.url.path, headers, body, time.monotonic())
            )
        if not self.auth_ok(request):
            return self.error(401, "invalid x-api-key")
        behaviour = self.queue.popleft() if self.queue else self.default(body)
        return await self.play(behaviour, body)

    async def play(self, behaviour: Behaviour, body: dict[str, Any]) -> Response:
        if behaviour.kind == "delay":
            await asyncio.sleep(behaviour.seconds)
            return await self.play(behaviour.then or ok(), body)
        if behaviour.kind == "status":
            return self.error(
                behaviour.status,
                behaviour.output or f"fake error {behaviour.status}",
                retry_after=behaviour.retry_after,
                retry_after_ms=behaviour.retry_after_ms,
            )
        if behaviour.kind == "hang" and not behaviour.after_headers:
            await asyncio.sleep(behaviour.seconds)
            return self.error(504, "the fake hung and gave up")
        return self.respond(behaviour, body)

    def error(
        self,
        code: int,
        message: str,
        *,
        retry_after: str | None = None,
        retry_after_ms: str | None = None,
    ) -> Response:
        headers = {}
        if retry_after is not None:
            headers["retry-after"] = retry_after
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        return JSONResponse(self.error_body(code, message), status_code=code, headers=headers)

    @staticmethod
    def stream(events: AsyncIterator[str]) -> StreamingResponse:
        return StreamingResponse(
            events, media_type="text/event-stream", headers={"cache-control": "no-cache"}
        )

    @staticmethod
    async def keepalive(seconds: float, comment: str) -> AsyncIterator[str]:
        """Bytes every KEEPALIVE_SECONDS for `seconds`, so no read timeout ever fires."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            yield comment

    def cache_tokens(self, static_texts: list[str]) -> tuple[int, int]:
        """(read, written) prompt-cache tokens: a static block is written once, then read."""
        read = written = 0
        for block in static_texts:
            if block in self.cache_seen:
                read += estimate_tokens(block)
            else:
                self.cache_seen.add(block)
                written += estimate_tokens(block)
        return read, written

    # lifecycle
    def start(self, port: int = 0) -> FakeServer:
        """Serve on 127.0.0.1 (a free port unless given) in a daemon thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", timeout_graceful_shutdown=0.5, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake provider server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)


def serve_forever(server: FakeServer, description: str) -> None:
    """The `python -m tests.fakes.<name> --port P --delay S` entry point (load benchmarks)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--api-key", default=None, help="require this key (default: any)")
    args = parser.parse_args()
    server.api_key = args.api_key
    server.record = False
    seconds = args.delay
    server.default = (lambda body: delay(seconds)) if seconds > 0 else (lambda body: ok())
    server.start(args.port)
    print(f"fake provider listening on {server.url} (delay {seconds}s)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
