"""The language switch in the header: a plain form that sets the reader's choice (a cookie)
and goes back to the page it was on; when signed in, the choice is saved to the profile too
(PATCH /api/v1/auth/me), so the next sign-in, on any browser, comes back in it. Public: the
login page offers it too (auth.PUBLIC_PATHS).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from memoai.language import Language
from memoai.web.api_client import BackendUnavailable, SignInRequired
from memoai.web.auth import return_path
from memoai.web.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_SECONDS, chosen

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

log = logging.getLogger("memoai.web")
LANGUAGE_PATH = "/language"
PROFILE_PATH = "/api/v1/auth/me"
MAX_FORM_BYTES = 1024  # one field of two letters, the CSRF token and a submit button


def language_routes(web: WebApp) -> list[Route]:
    async def choose(request: Request) -> Response:
        """Remember the language chosen (for a year) and show the same page in it."""
        response = RedirectResponse(return_path(request), status_code=303)
        response.headers["Cache-Control"] = "no-store"
        body = await request.body()
        fields = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        language = chosen((fields.get("language") or [""])[0])
        if language is not None and request.headers.get("sec-fetch-site") != "cross-site":
            await save_to_profile(web, request, language, (fields.get("csrf_token") or [""])[0])
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


async def save_to_profile(web: WebApp, request: Request, language: Language, csrf: str) -> None:
    """The signed-in person's profile keeps the choice; the cookie alone serves the rest (a
    visitor, an outage, a login that just ended: the switch still works in this browser)."""
    backend = web.api.for_request(request)
    if not backend.signed_in:
        return
    backend.csrf = csrf or backend.csrf
    try:
        result = await backend.call("PATCH", PROFILE_PATH, json={"language": language})
    except (SignInRequired, BackendUnavailable):
        return
    if not result.ok:
        log.warning("the language was not saved to the profile", extra={"code": result.code})
