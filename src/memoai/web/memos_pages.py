"""The My memos tab: the writer's memos with their versions, searched and paged, and deleting.

The list is a fragment the tab loads when shown (GET /ui/memos). Deleting is a plain form
posted to this app (with the page's CSRF token), relayed to the API's DELETE, then a redirect
to the page: every tab is drawn again without what was deleted.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from memoai.translations import N_
from memoai.web.api_client import CSRF_COOKIE, ApiResult, Backend
from memoai.web.auth_pages import read_form
from memoai.web.progress_pages import ProgressPages

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

BODY = "memos/_body.html"
PAGE_SIZE = 10
MAX_QUERY = 200
# What the page says after a deletion (the redirect names which kind, never what it said).
DELETED_NOTICES = {
    "memo": N_("The memo was deleted, with all its versions, evaluations and chats."),
    "all": N_("All your memos were deleted, with their versions, evaluations and chats."),
}
# The tabs a version opens in (the page's address names the evaluation).
OPENS = (("overall", N_("Overall")), ("detailed", N_("Detailed")), ("chat", N_("Chat")),
         ("progress", N_("Progress")))  # fmt: skip


def offset_of(value: str | None) -> int:
    """A page offset from the query (anything odd is the first page)."""
    return int(value) if value and value.isdigit() and len(value) < 9 else 0


def link(evaluation_id: Any, tab: str) -> str:
    """The address of one evaluation on one tab: bookmarkable, and it survives a reload."""
    return "/?" + urlencode({"evaluation": str(evaluation_id), "tab": tab})


def list_view(found: ApiResult, q: str, offset: int) -> dict[str, Any]:
    """The list, its pages and what to announce, from the API's answer."""
    data = found.data if found.ok and isinstance(found.data, dict) else {}
    items = list(data.get("items") or [])
    total = int(data.get("total") or 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = offset // PAGE_SIZE + 1
    return {
        "memos": items,
        "q": q,
        "total": total,
        "problem": None if found.ok else _message(found),
        "page": {
            "number": number,
            "pages": pages,
            "previous": _query(q, offset - PAGE_SIZE) if offset > 0 else None,
            "next": _query(q, offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
        },
        "opens": OPENS,
        "link": link,
    }


def _query(q: str, offset: int) -> str:
    params = {"q": q} if q else {}
    if offset > 0:
        params["offset"] = str(offset)
    return "/ui/memos" + ("?" + urlencode(params) if params else "")


def _message(result: ApiResult) -> str:
    if result.errors:
        return str(result.errors[0].get("message") or "Your memos could not be loaded.")
    return f"Your memos could not be loaded (status {result.status}). Try again in a moment."


class MemosPages:
    """The tab's list and the two deletions, on the web app's templates and API client."""

    def __init__(self, web: WebApp) -> None:
        self.web = web

    async def body(self, request: Request) -> Response:
        """The search form, one page of memos and the delete-everything section."""
        q = request.query_params.get("q", "").strip()[:MAX_QUERY]
        offset = offset_of(request.query_params.get("offset"))
        backend = self.web.api.for_request(request)
        params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": offset}
        if q:
            params["q"] = q
        found = await backend.get_with_session("/api/v1/memos", params)
        context = list_view(found, q, offset)
        context["csrf"] = backend.cookies.get(CSRF_COOKIE, "")
        return backend.relay(self.web.render(BODY, context))

    async def export(self, request: Request) -> Response:
        """Every memo with its versions' texts, as the API's attachment."""
        return await ProgressPages(self.web).relay_download(request, "/api/v1/memos/export.json")

    async def delete_one(self, request: Request) -> Response:
        memo_id = uuid.UUID(str(request.path_params["memo_id"]))
        return await self._delete(request, f"/api/v1/memos/{memo_id}", "memo")

    async def delete_all(self, request: Request) -> Response:
        return await self._delete(request, "/api/v1/memos", "all")

    async def _delete(self, request: Request, path: str, kind: str) -> Response:
        """Relay the form's deletion; back to the page, or a page that says why not."""
        backend = self.web.api.for_request(request)
        form = await read_form(request)
        backend.csrf = form.get("csrf_token", "") or backend.csrf
        result = await backend.call("DELETE", path)
        if not result.ok:
            return self._refused(backend, result)
        target = "/?" + urlencode({"tab": "memos", "deleted": kind})
        return backend.relay(RedirectResponse(target, status_code=303))

    def _refused(self, backend: Backend, result: ApiResult) -> Response:
        message = str(result.errors[0]["message"]) if result.errors else "Nothing was deleted."
        if result.status == 404:
            message = "This memo was not found: it may already have been deleted."
        page = self.web.error_page(result.status, "Nothing was deleted", message)
        return backend.relay(page)


def memos_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app."""
    pages = MemosPages(web)
    return [
        Route("/ui/memos", pages.body),
        Route("/ui/export/memos.json", pages.export),
        Route("/ui/memos/delete-all", pages.delete_all, methods=["POST"]),
        Route("/ui/memos/{memo_id:uuid}/delete", pages.delete_one, methods=["POST"]),
    ]
