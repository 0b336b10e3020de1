"""The Chat tab: the conversation about the latest evaluation, and questions answered live.

As with an evaluation's live progress, the browser posts to this app and this app relays the
API's stream. Every message is rendered by one autoescaped template, so memos, questions and
model output are always text; the reply's deltas travel as plain text that the page's script
appends as text nodes.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import httpx
import jinja2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from memoai.api import error_item
from memoai.translations import N_
from memoai.translations import gettext as _
from memoai.web import data
from memoai.web.api_client import Backend, BackendUnavailable
from memoai.web.live import LiveRelay, parse_sse, sse

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

log = logging.getLogger("memoai.web")
CONVERSATION = "chat/_conversation.html"
MESSAGE = "chat/_message.html"
DEFAULT_MAX_CHARS = 2000
OPENING_QUESTION = N_("How do I rewrite my opening?")
INTERRUPTED = N_(
    "The connection to the coach was interrupted. Your question is saved and the answer is "
    "still being written; open the Chat tab again in a moment to see it."
)


def starting_points(evaluation: dict[str, Any] | None) -> list[str]:
    """Questions worth asking first: the weakest criterion's score, then the opening."""
    scored = [
        s
        for s in (evaluation or {}).get("rubric_scores") or []
        if s.get("assessed", True) and s.get("score") is not None
    ]
    if not scored:
        return [_("What should I improve first?"), _(OPENING_QUESTION)]
    weakest = min(scored, key=lambda s: s["score"])
    why = _("Why did I get %(score)s on %(criterion)s?")
    return [why % {"score": weakest["score"], "criterion": weakest["name"]}, _(OPENING_QUESTION)]


class ChatRelay(LiveRelay):
    """The API's chat stream re-sent as rendered messages and plain-text deltas."""

    def __init__(self, backend: Backend, env: jinja2.Environment) -> None:
        super().__init__(backend, env, None)
        self.message = env.get_template(MESSAGE)

    async def ask(self, evaluation_id: str, payload: dict[str, Any]) -> Response:
        """Open (or find) the evaluation's chat, then stream the answer to the question."""
        opened = await self.backend.post("/api/v1/chat/sessions", {"evaluation_id": evaluation_id})
        if not opened.ok:
            return await self._refusal(opened)
        path = f"/api/v1/chat/sessions/{opened.data['id']}/messages?stream=true"
        return await self.respond(path, payload)

    async def _events(self, upstream: httpx.Response, stack: AsyncExitStack) -> AsyncIterator[str]:
        finished = False
        try:
            async for event, item in parse_sse(upstream.aiter_lines()):
                if event is None:
                    yield ": keep-alive\n\n"
                elif event == "started":
                    yield sse("question", {"html": self._render(item["user_message"])})
                elif event == "delta":
                    yield sse("delta", {"text": str(item.get("text", ""))})
                elif event in ("completed", "failed"):
                    finished = True
                    yield sse("done", self._done(item))
        except (httpx.HTTPError, BackendUnavailable, ValueError, KeyError):
            log.warning("chat stream from the API broke off", exc_info=True)
        finally:
            await stack.aclose()
        if not finished:
            yield sse("interrupted", {"message": _(INTERRUPTED)})

    def _render(self, message: dict[str, Any]) -> str:
        return self.message.render({"message": message})

    def _done(self, message: dict[str, Any]) -> dict[str, Any]:
        error = message.get("error")
        if error:
            announce = _("The reply failed (%(code)s). Your question is saved.") % {
                "code": error.get("code")
            }
        else:
            announce = _("The coach answered.")
        return {"status": message.get("status"), "html": self._render(message), "message": announce}


class ChatPages:
    """The Chat tab's routes, on the web app's shared templates and API client."""

    def __init__(self, web: WebApp) -> None:
        self.web = web

    async def conversation(self, request: Request) -> Response:
        """The conversation about the latest (or the given) evaluation, with starting points."""
        backend = self.web.api.for_request(request)
        wanted = _uuid(request.query_params.get("evaluation_id"))
        loaded = await data.load(backend, frozenset({"evaluation"}), evaluation_id=wanted)
        context = self.web.page_context(loaded, "chat")
        context.update(
            messages=await _history(backend, loaded.evaluation),
            starters=starting_points(loaded.evaluation),
            chat_max_chars=int(loaded.client.get("chat_max_chars") or DEFAULT_MAX_CHARS),
        )
        return backend.relay(self.web.render(CONVERSATION, context))

    async def ask(self, request: Request) -> Response:
        """A question from the page's script, answered as a stream of server-sent events."""
        payload = await _question(request, self.web.settings.max_body_bytes)
        if isinstance(payload, Response):
            return payload
        relay = ChatRelay(self.web.api.for_request(request), self.web.env)
        return await relay.ask(str(request.path_params["evaluation_id"]), payload)


async def _history(backend: Backend, evaluation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The stored messages of the evaluation's chat, oldest first (none before it exists)."""
    if not evaluation or evaluation.get("status") != "completed":
        return []
    found = await backend.get("/api/v1/chat/sessions", {"evaluation_id": evaluation["id"]})
    items = found.data.get("items") if found.ok and isinstance(found.data, dict) else None
    if not items:
        return []
    chat = await backend.get(f"/api/v1/chat/sessions/{items[0]['id']}")
    return list(chat.data.get("messages") or []) if chat.ok else []


async def _question(request: Request, max_bytes: int) -> dict[str, Any] | Response:
    """The page's JSON, checked for shape only: the API checks the text itself."""
    body = await request.body()
    if len(body) > max_bytes:
        return _error(413, "PAYLOAD_TOO_LARGE", _("The message is too large to send."))
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raw = None
    if not isinstance(raw, dict) or not isinstance(raw.get("message_content"), str):
        return _error(400, "INVALID_JSON", _("The page sent a malformed request. Reload it."))
    return {"message_content": raw["message_content"]}


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [error_item(code, message)], "retry": False}, status)


def chat_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app."""
    pages = ChatPages(web)
    return [
        Route("/ui/chat", pages.conversation),
        Route("/ui/chat/{evaluation_id:uuid}/messages", pages.ask, methods=["POST"]),
    ]
