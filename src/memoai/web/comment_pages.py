"""Marking a comment of the Detailed tab done, dismissed or open again.

A plain form posted to this app (with the page's CSRF token), relayed to the API's
PUT /api/v1/evaluations/{id}/comments/{index}, then a redirect to the same evaluation's
Detailed tab at that comment: every tab is drawn again with the new state and counts.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from memoai.analysis.kinds import KINDS, SEVERITIES
from memoai.translations import N_
from memoai.translations import gettext as _
from memoai.web.auth_pages import read_form
from memoai.web.memos_pages import link

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

STATES = frozenset({"done", "dismissed", "open"})


def comment_filter(query: QueryParams) -> dict[str, str]:
    """The Detailed tab's filters from the page's address (`?kind`, `?severity`); anything
    unknown is no filter."""
    kind, severity = query.get("kind", ""), query.get("severity", "")
    return {
        "kind": kind if kind in KINDS else "",
        "severity": severity if severity in SEVERITIES else "",
    }


class CommentPages:
    def __init__(self, web: WebApp) -> None:
        self.web = web

    async def mark(self, request: Request) -> Response:
        """Relay the writer's mark; back to the comment, or a page that says why not."""
        evaluation_id = uuid.UUID(str(request.path_params["evaluation_id"]))
        index = int(request.path_params["index"])
        backend = self.web.api.for_request(request)
        form = await read_form(request)
        backend.csrf = form.get("csrf_token", "") or backend.csrf
        state = form.get("state", "")
        if state not in STATES:
            page = self.web.error_page(
                422,
                N_("Nothing was changed"),
                N_("Choose done, dismissed or open for the comment."),
            )
            return backend.relay(page)
        path = f"/api/v1/evaluations/{evaluation_id}/comments/{index}"
        result = await backend.call("PUT", path, json={"state": state})
        if not result.ok:
            message = (
                str(result.errors[0]["message"]) if result.errors else _("Nothing was changed.")
            )
            return backend.relay(
                self.web.error_page(result.status, N_("Nothing was changed"), message)
            )
        target = f"{link(evaluation_id, 'detailed')}#comment-{index}"
        return backend.relay(RedirectResponse(target, status_code=303))


def comment_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app."""
    pages = CommentPages(web)
    return [
        Route(
            "/ui/evaluations/{evaluation_id:uuid}/comments/{index:int}",
            pages.mark,
            methods=["POST"],
        )
    ]
