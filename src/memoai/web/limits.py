"""A read the API refused for its rate limit, said plainly: what was limited and when to try
again (Retry-After), never shown as missing data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from memoai.translations import gettext as _
from memoai.translations import ngettext
from memoai.web.api_client import RateLimited

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

FRAGMENT = "_limited.html"


def limited_response(web: WebApp, request: Request, exc: RateLimited) -> Response:
    """The whole page, or (for htmx) the fragment in place of the one that was asked for."""
    context = {"message": exc.message, "retry_after": exc.retry_after, "fragment": True}
    headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
    if request.headers.get("hx-request") == "true":
        html = web.env.get_template(FRAGMENT).render(context)
        return HTMLResponse(html, status_code=429, headers=headers)
    page = web.render(
        "error.html",
        {
            "title": _("Too many requests just now"),
            "message": exc.message,
            "detail": ngettext(
                "Nothing is lost: your draft is kept in this browser. "
                "Reload the page in %(num)s second.",
                "Nothing is lost: your draft is kept in this browser. "
                "Reload the page in %(num)s seconds.",
                exc.retry_after,
            )
            % {"num": exc.retry_after},
        },
        429,
    )
    page.headers.update(headers)
    return page


async def on_rate_limited(request: Request, exc: Exception) -> Response:
    """The web app's handler for RateLimited (registered in memoai.web.pages)."""
    assert isinstance(exc, RateLimited)
    return limited_response(request.app.state.web, request, exc)
