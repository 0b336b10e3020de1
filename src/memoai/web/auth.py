"""Who is signed in, as the web interface sees it, and where a signed-out visitor is sent.

The API decides: in login mode it answers 401 to anyone not signed in, and the web layer
turns that (or, before any call, a browser without a login cookie) into a trip to /login that
comes back where the visitor was going. Plain page loads get a 303, HTMX requests an
`HX-Redirect`, the page's own fetch() calls a JSON body with `redirect`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from memoai.api import error_item
from memoai.translations import N_
from memoai.translations import gettext as _
from memoai.web.api_client import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Backend,
    BackendUnavailable,
    RateLimited,
    SignInRequired,
    holds_login,
)
from memoai.web.limits import limited_response

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

log = logging.getLogger("memoai.web")
LOGIN_PATH = "/login"
# Open to a signed-out visitor in login mode: the login page, general help, the language
# switch, static files.
PUBLIC_PATHS = frozenset({LOGIN_PATH, "/logout", "/help", "/health", "/favicon.ico", "/language"})
PUBLIC_PREFIXES = ("/static/",)
# Why the visitor is on the login page, said there as a status line.
REASONS = {
    "expired": N_("Your session ended. Sign in again to carry on where you were."),
    "idle": N_("You were signed out after a period without activity. Sign in again to carry on."),
    "signed_out": N_("You are signed out."),
    "revoked": N_("You were signed out (your session was ended elsewhere). Sign in again."),
}
REASON_BY_CODE = {"SESSION_EXPIRED": "expired", "UNAUTHORIZED": "revoked"}


@dataclass(frozen=True)
class Account:
    """The signed-in user and when their login ends (idle timeout, token's hard limit)."""

    user: dict[str, Any]
    session_expires_at: str | None
    token_expires_at: str | None

    @property
    def is_admin(self) -> bool:
        return self.user.get("role") == "admin"

    @property
    def name(self) -> str:
        return str(self.user.get("display_name") or self.user.get("username") or "")

    def expiry(self) -> dict[str, str]:
        """What the page's script needs to warn before the login ends."""
        return {
            "session_expires_at": self.session_expires_at or "",
            "token_expires_at": self.token_expires_at or "",
            "server_now": datetime.now(UTC).isoformat(),
        }


async def load_account(backend: Backend) -> Account | None:
    """The signed-in caller, or None for a browser without a login (anonymous or none).

    A login that no longer holds raises SignInRequired (through the API's 401)."""
    if not backend.signed_in:
        return None
    result = await backend.get("/api/v1/auth/verify")
    if not result.ok or not isinstance(result.data, dict):
        return None
    data = result.data
    return Account(
        user=dict(data.get("user") or {}),
        session_expires_at=data.get("session_expires_at"),
        token_expires_at=data.get("token_expires_at"),
    )


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def safe_next(value: str | None) -> str:
    """A local path to return to after login; anything else (another site, /login) is '/'."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in (LOGIN_PATH, "/logout"):
        return "/"
    return value


def login_url(next_path: str = "/", reason: str | None = None) -> str:
    query: dict[str, str] = {}
    if next_path != "/":
        query["next"] = next_path
    if reason in REASONS:
        query["reason"] = str(reason)
    return LOGIN_PATH + (f"?{urlencode(query)}" if query else "")


def return_path(request: Request) -> str:
    """Where the visitor was going: the page itself, or the page an HTMX or fetch() call came
    from."""
    if request.method == "GET" and not request.headers.get("hx-request"):
        query = request.url.query
        return safe_next(request.url.path + (f"?{query}" if query else ""))
    source = request.headers.get("hx-current-url") or request.headers.get("referer") or ""
    parts = urlsplit(source)
    same_host = not parts.netloc or parts.netloc == request.headers.get("host")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path) if same_host else "/"


def clear_login_cookies(response: Response) -> Response:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
    return response


def sign_in_response(request: Request, reason: str | None = None) -> Response:
    """Send the browser to the login page in the way this kind of request can follow."""
    target = login_url(return_path(request), reason)
    if request.headers.get("hx-request"):
        response: Response = Response(status_code=401, headers={"HX-Redirect": target})
    elif request.method != "GET" and "text/html" not in request.headers.get("accept", ""):
        message = _("Sign in to carry on. Your text is kept in this browser.")
        body = {"errors": [error_item("LOGIN_REQUIRED", message)], "redirect": target}
        response = JSONResponse(body, status_code=401)
    else:
        response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    """The API said 401: the browser's login is missing, expired or revoked."""
    code = exc.code if isinstance(exc, SignInRequired) else ""
    reason = REASON_BY_CODE.get(code) if holds_login(request.cookies.get(SESSION_COOKIE)) else None
    return clear_login_cookies(sign_in_response(request, reason))


class SignInGate:
    """In login mode, a browser without a login sees only the public pages (ASGI middleware).

    A login cookie is not checked here: the API checks it on the request's first call, and a
    401 then comes back as SignInRequired. Every new route is closed by default.
    """

    def __init__(self, app: ASGIApp, web: WebApp) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            gated = not holds_login(request.cookies.get(SESSION_COOKIE)) and await self._login_mode(
                request
            )
        except RateLimited as exc:  # the read that tells the mode was refused: say so plainly
            await limited_response(self.web, request, exc)(scope, receive, send)
            return
        if gated:
            await sign_in_response(request)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _login_mode(self, request: Request) -> bool:
        try:
            client = await self.web.api.for_request(request).public_get("/api/v1/config/client")
        except BackendUnavailable:
            return False  # the route itself reports the outage; it cannot serve data either
        return bool(client.ok and isinstance(client.data, dict) and client.data.get("auth_enabled"))
