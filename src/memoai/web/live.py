"""Live evaluation progress: the API's server-sent events, re-sent to the browser as HTML.

The browser posts to the web app (never to /api directly, so every topology behaves the
same); the web app opens the API's stream and turns each event into a small rendered
fragment plus a sentence for the screen-reader status line. The page's script only swaps
fragments in; all markup comes from the same templates as everything else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import jinja2
from starlette.responses import JSONResponse, Response, StreamingResponse

from memoai.translations import N_, ngettext
from memoai.translations import gettext as _
from memoai.web.api_client import SESSION_ERRORS, ApiResult, Backend, BackendUnavailable

log = logging.getLogger("memoai.web")
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
INTERRUPTED = N_(
    "The connection to the coach was interrupted. Your memo is saved and the evaluation "
    "goes on; reload the page in a moment to see its result."
)


@dataclass
class LiveState:
    """What the writer has seen so far of one evaluation."""

    criteria_total: int
    stage: int = 0
    evaluation_id: str | None = None
    reused: bool = False
    strengths: list[str] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    scale: dict[str, int] = field(default_factory=lambda: {"min": 1, "max": 5})

    def apply(self, event: str, data: dict[str, Any]) -> str | None:
        """Take one API event; returns the status sentence to announce (None: nothing new)."""
        if event == "started":
            self.stage = 1
            self.evaluation_id = str(data.get("evaluation_id") or "") or None
            self.reused = bool(data.get("reused"))
            return _("Your memo is saved. The coach is reading it against the rubric.")
        if event == "partial":
            self.stage = 2
            self.strengths = [str(s) for s in data.get("strengths") or []]
            self.opportunities = [str(s) for s in data.get("opportunities") or []]
            self.criteria = list(data.get("rubric_scores") or [])
            if not self.criteria:
                found = len(self.strengths) + len(self.opportunities)
                return ngettext(
                    "%(num)s first observation is in; scoring the criteria next.",
                    "%(num)s first observations are in; scoring the criteria next.",
                    found,
                ) % {"num": found}
            return ngettext(
                "Scored %(count)s of %(num)s criterion so far.",
                "Scored %(count)s of %(num)s criteria so far.",
                self.criteria_total,
            ) % {"count": len(self.criteria), "num": self.criteria_total}
        return None

    def context(self) -> dict[str, Any]:
        return {"live": self}


def sse(event: str, payload: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str | None, Any]]:
    """(event, data) per server-sent event; (None, None) for a keep-alive comment."""
    event = "message"
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith(":"):
            yield None, None
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def done_payload(event: str, evaluation: dict[str, Any]) -> dict[str, Any]:
    """The last event: the page then fetches the rendered result panels."""
    status = "completed" if event == "completed" else "failed"
    if status == "completed":
        scale = evaluation.get("scale") or {}
        score = evaluation.get("overall_score")
        if score is None:
            message = _("Feedback ready: no overall score.")
        else:
            shown = {"score": f"{score:.1f}", "max": scale.get("max")}
            message = _("Feedback ready: %(score)s out of %(max)s.") % shown
    else:
        error = evaluation.get("error") or {}
        message = _("The evaluation failed (%(code)s). Your memo is saved.") % {
            "code": error.get("code", "ERROR")
        }
    return {
        "evaluation_id": str(evaluation.get("id")),
        "status": status,
        "message": message,
        "reused": bool(evaluation.get("reused")),
    }


class LiveRelay:
    """Opens the API's stream for one request and answers the browser with ours."""

    def __init__(
        self, backend: Backend, env: jinja2.Environment, rubric: dict[str, Any] | None
    ) -> None:
        self.backend = backend
        self.template = env.get_template("evaluation/_live.html")
        self.state = LiveState(criteria_total=len((rubric or {}).get("criteria") or []))
        if rubric and rubric.get("scale"):
            self.state.scale = dict(rubric["scale"])

    async def respond(self, path: str, payload: Any) -> Response:
        stack = AsyncExitStack()
        try:
            upstream = await stack.enter_async_context(self.backend.stream("POST", path, payload))
            if "text/event-stream" not in upstream.headers.get("content-type", ""):
                await upstream.aread()
                await stack.aclose()
                return await self._refusal(ApiResult.from_response(upstream))
        except BaseException:
            await stack.aclose()
            raise
        response = StreamingResponse(
            self._events(upstream, stack), media_type="text/event-stream", headers=STREAM_HEADERS
        )
        return self.backend.relay(response)

    async def _refusal(self, result: ApiResult) -> Response:
        """The API refused before evaluating (bad input, expired session, rate limit)."""
        self.backend.check(result)  # a login that ended goes to the login page
        retry = False
        if result.code in SESSION_ERRORS:
            # A dead session is replaced and a live one gets its CSRF cookie again; the page
            # then re-reads the cookie and sends the same memo once more.
            await self.backend.start_session()
            retry = True
        body = {"errors": result.errors, "retry": retry}
        return self.backend.relay(JSONResponse(body, status_code=result.status))

    async def _events(self, upstream: httpx.Response, stack: AsyncExitStack) -> AsyncIterator[str]:
        finished = False
        try:
            async for event, data in parse_sse(upstream.aiter_lines()):
                if event is None:
                    yield ": keep-alive\n\n"
                elif event in ("completed", "failed"):
                    finished = True
                    yield sse("done", done_payload(event, data))
                else:
                    status = self.state.apply(event, data)
                    if status is not None:
                        yield sse("progress", self._progress(status))
        except (httpx.HTTPError, BackendUnavailable, ValueError):
            log.warning("evaluation stream from the API broke off", exc_info=True)
        finally:
            await stack.aclose()
        if not finished:
            yield sse(
                "interrupted",
                {"evaluation_id": self.state.evaluation_id, "message": _(INTERRUPTED)},
            )

    def _progress(self, status: str) -> dict[str, Any]:
        return {
            "evaluation_id": self.state.evaluation_id,
            "status": status,
            "html": self.template.render(self.state.context()),
        }
