"""The Progress tab and the downloads: charts drawn from the API's JSON, PDFs relayed.

The frontend never opens the database: it reads GET /api/v1/progress over HTTP and draws the
same SVG charts as the PDF report with the pure functions of memoai.progress.charts. PDF and
history downloads go through this app, so the buttons work in every topology.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import httpx
from jinja2 import Environment
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from memoai.progress import charts, diff
from memoai.progress.chart import Chart
from memoai.progress.schemas import RANGE_DAYS, ProgressOut, RevisionChain
from memoai.translations import N_
from memoai.translations import current as current_language
from memoai.translations import gettext as _
from memoai.web.api_client import SESSION_COOKIE, ApiResult, Backend, BackendUnavailable

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

BODY = "progress/_body.html"
COMPARISON = "progress/_comparison.html"
PROBLEM = "progress/_problem.html"
DEFAULT_RANGE = "month"
RANGES = (("week", N_("Last 7 days")), ("month", N_("Last 30 days")),
          ("quarter", N_("Last 90 days")), ("all", N_("All time")))  # fmt: skip
# What a download may relay from the API to the browser.
DOWNLOAD_HEADERS = ("content-type", "content-disposition", "content-length", "cache-control")
DOWNLOAD_TITLES = {
    404: N_("This download is not available"),
    409: N_("No download yet"),
    429: N_("Too many requests just now"),
}
DOWNLOADS = {
    "history.csv": "/api/v1/export/history.csv",
    "history.json": "/api/v1/export/history.json",
}


CHART_GRID = "_chart_grid.html"
_DRAWN: OrderedDict[Hashable, list[Chart]] = OrderedDict()
DRAWN_KEPT = 32
# The chart grid's HTML for each list of charts above (by identity; it leaves with the list).
_GRIDS: dict[int, tuple[list[Chart], Markup]] = {}
# Each browser's latest Progress view per range, with the API's ETag: when the API answers
# 304 (nothing changed) the view is not fetched, parsed and validated again (~700 KB).
_HELD: OrderedDict[tuple[str, str], tuple[str, ProgressOut]] = OrderedDict()
HELD_KEPT = 16


def drawn_charts(progress: ProgressOut) -> list[Chart]:
    """The Progress tab's charts, kept for the next views of the same data (a writer who
    reloads): completed evaluations never change, so the same evaluations in the same range
    on the same day draw the same charts."""
    key = (
        current_language(),  # the charts' words and months are in the reader's language
        progress.range,
        progress.since.date() if progress.since else None,
        progress.until.date(),
        tuple(sorted(progress.scale.items())),
        progress.current_rubric_version,
        tuple((c.criterion_id, c.name, tuple(c.rubric_versions)) for c in progress.criteria),
        tuple(e.evaluation_id for e in progress.timeline),
    )
    found = _DRAWN.get(key)
    if found is None:
        found = charts.all_charts(progress, interactive=True)
        _DRAWN[key] = found
        while len(_DRAWN) > DRAWN_KEPT:
            _GRIDS.pop(id(_DRAWN.popitem(last=False)[1]), None)
    _DRAWN.move_to_end(key)
    return found


def chart_grid(env: Environment, drawn: list[Chart]) -> Markup:
    """The chart grid of these charts, rendered once (it is most of the Progress tab's HTML:
    every chart's data table)."""
    held = _GRIDS.get(id(drawn))
    if held is None or held[0] is not drawn:
        pairs = [(c, Markup(c.svg)) for c in drawn]  # noqa: S704 - charts escape their texts
        html = Markup(env.get_template(CHART_GRID).render(charts=pairs))  # noqa: S704 - autoescaped
        held = (drawn, html)
        _GRIDS[id(drawn)] = held
    return held[1]


def progress_view(
    progress: ProgressOut,
    comparison: RevisionChain | None,
    range_name: str,
    drawn_list: list[Chart] | None = None,
) -> dict[str, Any]:
    """Everything the Progress templates show, computed from the API's data only (the
    charts of `drawn_charts(progress)`, passed when already at hand)."""
    drawn = [
        (chart, Markup(chart.svg))  # noqa: S704 - charts escape every text they draw
        for chart in (drawn_list if drawn_list is not None else drawn_charts(progress))
    ]
    return {
        "progress": progress,
        "charts": drawn,
        "ranges": RANGES,
        "range": range_name,
        "range_label": dict(RANGES)[range_name],
        "comparison": comparison_view(comparison) if comparison else None,
    }


def comparison_view(chain: RevisionChain) -> dict[str, Any]:
    """Each version after the first with its compact text diff, newest first."""
    versions = [
        {"version": v, "pieces": diff.compact(v.diff) if v.diff is not None else []}
        for v in chain.versions
        if v.previous_evaluation_id is not None
    ]
    return {"chain": chain, "versions": versions[::-1]}


class _ProgressEnvelope(BaseModel):
    data: ProgressOut


def _progress_of(found: ApiResult) -> ProgressOut:
    """The API's progress view, validated from its bytes in pydantic's core: for a long
    history (~700 KB) about half the time of validating the already-parsed dicts."""
    if found.content:
        return _ProgressEnvelope.model_validate_json(found.content).data
    return ProgressOut.model_validate(found.data)


class ProgressPages:
    """The Progress tab's fragments and the download relays."""

    def __init__(self, web: WebApp) -> None:
        self.web = web

    async def body(self, request: Request) -> Response:
        """Charts, numbers and revision comparisons for a time range (an HTMX fragment)."""
        range_name = request.query_params.get("range", DEFAULT_RANGE)
        if range_name not in RANGE_DAYS:
            range_name = DEFAULT_RANGE
        backend = self.web.api.for_request(request)
        try:
            progress = await _current_progress(backend, range_name)
            if isinstance(progress, ApiResult):
                return self._problem(backend, progress)
            chosen = request.path_params.get("evaluation_id")  # /ui/progress/of/{id}: My memos
            comparison = await _latest_comparison(backend, progress, chosen)
        except (BackendUnavailable, ValidationError):
            return self._problem(backend, None)
        drawn = drawn_charts(progress)
        context = progress_view(progress, comparison, range_name, drawn)
        context["chart_grid"] = chart_grid(self.web.env, drawn)
        return backend.relay(self.web.render(BODY, context))

    async def revisions(self, request: Request) -> Response:
        """One memo's versions compared (loaded when the writer asks for another chain)."""
        backend = self.web.api.for_request(request)
        evaluation_id = request.path_params["evaluation_id"]
        try:
            found = await backend.get(f"/api/v1/progress/revisions/{evaluation_id}")
            if not found.ok:
                return self._problem(backend, found)
            chain = RevisionChain.model_validate(found.data)
        except (BackendUnavailable, ValidationError):
            return self._problem(backend, None)
        context = {"comparison": comparison_view(chain)}
        return backend.relay(self.web.render(COMPARISON, context))

    async def pdf(self, request: Request) -> Response:
        evaluation_id = uuid.UUID(str(request.path_params["evaluation_id"]))
        return await self.relay_download(request, f"/api/v1/export/pdf/{evaluation_id}")

    async def history(self, request: Request) -> Response:
        name = request.url.path.rsplit("/", 1)[-1]
        return await self.relay_download(request, DOWNLOADS[name])

    async def relay_download(self, request: Request, path: str) -> Response:
        """The API's file streamed through to the browser, or a page that says why not."""
        backend = self.web.api.for_request(request)
        stack = AsyncExitStack()
        try:
            upstream = await stack.enter_async_context(backend.stream("GET", path, None))
            if upstream.status_code != 200:
                await upstream.aread()
                await stack.aclose()
                refused = ApiResult.from_response(upstream)
                return self._download_refused(request, backend, refused, upstream.headers)
        except BaseException:  # BackendUnavailable becomes the app's "not reachable" page
            await stack.aclose()
            raise
        headers = {k: v for k, v in upstream.headers.items() if k.lower() in DOWNLOAD_HEADERS}

        async def body() -> Any:
            try:
                async for chunk in upstream.aiter_bytes():
                    yield chunk
            finally:
                await stack.aclose()

        return backend.relay(StreamingResponse(body(), headers=headers))

    def _download_refused(
        self, request: Request, backend: Backend, result: ApiResult, upstream: httpx.Headers
    ) -> Response:
        """Why a download failed: JSON for the page's script (it says so beside the link),
        a page for a plain click (no script, a new tab)."""
        message = str(result.errors[0]["message"]) if result.errors else _("The download failed.")
        headers = {k: upstream[k] for k in ("retry-after",) if k in upstream}
        if "application/json" in request.headers.get("accept", ""):
            body = {"errors": result.errors or [{"code": "DOWNLOAD_FAILED", "message": message}]}
            return backend.relay(JSONResponse(body, result.status, headers=headers))
        page = self.web.error_page(
            result.status, DOWNLOAD_TITLES.get(result.status, N_("The download failed")), message
        )
        page.headers.update(headers)
        return backend.relay(page)

    def _problem(self, backend: Backend, result: ApiResult | None) -> Response:
        if result is None:
            message = _("The coach is not reachable right now. Try again in a moment.")
        else:
            message = str(result.errors[0]["message"]) if result.errors else _("Progress failed.")
        return backend.relay(self.web.render(PROBLEM, {"message": message}))


async def _current_progress(backend: Backend, range_name: str) -> ProgressOut | ApiResult:
    """The browser's Progress view (the one it saw last when the API says nothing changed),
    or the API's refusal."""
    who = _browser(backend)
    held = _HELD.get((who, range_name)) if who else None
    headers = {"If-None-Match": held[0]} if held else None
    found = await backend.get_with_session("/api/v1/progress", {"range": range_name}, headers)
    if found.status == 304 and held is not None:
        _HELD.move_to_end((who, range_name))
        return held[1]
    if not found.ok:
        return found
    progress = _progress_of(found)
    # The session cookie may have been renewed by the call: the view is the new one's.
    who = _browser(backend)
    if who and found.etag:
        _HELD[(who, range_name)] = (found.etag, progress)
        while len(_HELD) > HELD_KEPT:
            _HELD.popitem(last=False)
    return progress


def _browser(backend: Backend) -> str:
    """Which browser is asking, in which language: a digest of its session cookie (never kept
    in clear)."""
    session = backend.cookies.get(SESSION_COOKIE)
    if not session:
        return ""
    digest = hashlib.blake2b(session.encode(), digest_size=16).hexdigest()
    return f"{current_language()}:{digest}"


async def _latest_comparison(
    backend: Backend, progress: ProgressOut, chosen: uuid.UUID | None = None
) -> RevisionChain | None:
    """The chosen evaluation's memo compared (none when it has one version), else the most
    recently revised memo's comparison, shown without a further click."""
    if chosen is None and not progress.revision_chains:
        return None
    latest = chosen or progress.revision_chains[0].latest_evaluation_id
    found = await backend.get(f"/api/v1/progress/revisions/{latest}")
    return RevisionChain.model_validate(found.data) if found.ok else None


def progress_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app."""
    pages = ProgressPages(web)
    return [
        Route("/ui/progress", pages.body),
        Route("/ui/progress/of/{evaluation_id:uuid}", pages.body),
        Route("/ui/progress/revisions/{evaluation_id:uuid}", pages.revisions),
        Route("/ui/export/pdf/{evaluation_id:uuid}", pages.pdf),
        *(Route(f"/ui/export/{name}", pages.history) for name in DOWNLOADS),
    ]
