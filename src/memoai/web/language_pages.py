"""The language switch in the header: a plain form that sets the reader's choice (a cookie)
and goes back to the page it was on. Public: the login page offers it too (auth.PUBLIC_PATHS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from memoai.web.auth import return_path
from memoai.web.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_SECONDS, chosen

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

LANGUAGE_PATH = "/language"
MAX_FORM_BYTES = 1024  # one field of two letters and a submit button


def language_routes(web: WebApp) -> list[Route]:
    async def choose(request: Request) -> Response:
        """Remember the language chosen (for a year) and show the same page in it."""
        response = RedirectResponse(return_path(request), status_code=303)
        response.headers["Cache-Control"] = "no-store"
        body = await request.body()
        fields = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        language = chosen((fields.get("language") or [""])[0])
        if language is not None and request.headers.get("sec-fetch-site") != "cross-site":
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=LANGUAGE_COOKIE_SECONDS,
                path="/",
                secure=bool(web.settings.https_only),
                httponly=True,
                samesite="lax",
            )
        return response

    return [Route(LANGUAGE_PATH, choose, methods=["POST"])]
