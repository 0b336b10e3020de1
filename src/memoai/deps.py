"""Shared FastAPI dependencies: settings, database session, configuration, the caller."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.auth.callers import resolve_claims
from memoai.auth.mode import login_required
from memoai.auth.tokens import looks_like_jwt
from memoai.configs.schemas import ActiveConfig
from memoai.sessions.caller import Caller
from memoai.sessions.service import LiveSession, resolve_session
from memoai.settings import Settings
from memoai.translations import N_

SESSION_COOKIE = "memoai_session"
CSRF_COOKIE = "memoai_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_HEADER = "x-session-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN = N_("Sign in to use Memo AI Coach (POST /api/v1/auth/login).")
START_SESSION = N_(
    "No session. Start one with POST /api/v1/sessions (the web page does this for you)."
)


# Dependencies are `async def` even when they do not await: FastAPI runs plain functions in a
# worker thread, which costs a thread hop on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.sessions() as session:
        yield session


async def get_config(request: Request) -> ActiveConfig:
    config: ActiveConfig = request.app.state.configs.current()
    return config


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[AsyncSession, Depends(get_db)]
ConfigDep = Annotated[ActiveConfig, Depends(get_config)]


def session_token(request: Request) -> tuple[str | None, bool]:
    """The session token and whether it came from a cookie (cookies need CSRF checks)."""
    header = request.headers.get(SESSION_HEADER)
    if header:
        return header, False
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie, cookie is not None


def check_csrf(request: Request, settings: Settings) -> None:
    """Double-submit check: the header must echo the CSRF cookie on state-changing calls."""
    if not settings.csrf_protection or request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie, header):
        raise AppError(
            403,
            ErrorCode.CSRF_FAILED,
            N_(
                "The security token of this page is missing or stale. "
                "Reload the page and try again."
            ),
        )


# Declared for the OpenAPI document (and clients generated from it); get_caller reads the
# request itself so that the three ways in are checked in one order.
COOKIE_AUTH = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="SessionCookie",
    auto_error=False,
    description="The httpOnly cookie set by POST /api/v1/sessions or POST /api/v1/auth/login. "
    "POST, PUT, PATCH and DELETE also need the CSRF header (CsrfHeader).",
)
CSRF_AUTH = APIKeyHeader(
    name="X-CSRF-Token",
    scheme_name="CsrfHeader",
    auto_error=False,
    description="Echoes the memoai_csrf cookie; needed with the cookie on state-changing calls.",
)
BEARER_AUTH = HTTPBearer(
    scheme_name="Bearer",
    auto_error=False,
    description="The JWT from POST /api/v1/auth/login, for API clients (no CSRF needed).",
)
TOKEN_AUTH = APIKeyHeader(
    name="X-Session-Token",
    scheme_name="SessionToken",
    auto_error=False,
    description="The token of an anonymous session from POST /api/v1/sessions (no CSRF needed).",
)


async def public() -> None:
    """The policy of routes anyone may call: health, login, the client settings."""


async def declared_schemes(
    _cookie: Annotated[str | None, Security(COOKIE_AUTH)] = None,
    _csrf: Annotated[str | None, Security(CSRF_AUTH)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_AUTH)] = None,
    _token: Annotated[str | None, Security(TOKEN_AUTH)] = None,
) -> None:
    """The ways in, for the OpenAPI document; resolve_caller reads the request itself."""


SchemesDep = Annotated[None, Depends(declared_schemes)]


async def resolve_caller(request: Request, settings: Settings) -> Caller:
    """The caller of a request: a signed-in user (JWT) or an anonymous session (opaque token).

    Raises 401: UNAUTHORIZED (nothing valid), SESSION_EXPIRED, or, in login mode, LOGIN_REQUIRED
    for an anonymous session. Uses its own short database connection: a request-scoped one
    would hold a pooled connection for the whole request, including a model call of many
    seconds.
    """
    login = login_mode(request)
    token, from_cookie = session_token(request)
    if not token:
        raise AppError(401, ErrorCode.UNAUTHORIZED, SIGN_IN if login else START_SESSION)
    if from_cookie:
        check_csrf(request, settings)
    if looks_like_jwt(token):
        claims = request.app.state.auth.codec.verify(token)
        async with request.app.state.db.engine.connect() as conn:
            signed_in = await resolve_claims(conn, claims, settings.session_timeout)
        request.state.signed_in = signed_in
        caller = signed_in.caller
    else:
        async with request.app.state.db.engine.connect() as conn:
            session = await resolve_session(conn, token, settings.session_timeout)
        if login:
            raise AppError(401, ErrorCode.LOGIN_REQUIRED, SIGN_IN)
        caller = Caller(session_id=session.id)
    request.state.caller = caller
    return caller


def login_mode(request: Request) -> bool:
    """Whether the active configuration requires signing in (read per request)."""
    return login_required(request.app.state.configs.current())


async def live_cookie_session(
    request: Request, token: str, settings: Settings
) -> LiveSession | None:
    """The live session a cookie names, for reuse (only a signed-in one in login mode)."""
    try:
        async with request.app.state.db.engine.connect() as conn:
            if looks_like_jwt(token):
                claims = request.app.state.auth.codec.verify(token)
                found = await resolve_claims(conn, claims, settings.session_timeout)
                caller = found.caller
                return LiveSession(caller.session_id, caller.user_id, found.session_expires_at)
            if login_mode(request):
                return None
            return await resolve_session(conn, token, settings.session_timeout)
    except AppError:
        return None


async def get_caller(request: Request, settings: SettingsDep, _schemes: SchemesDep) -> Caller:
    """The policy of routes for any caller: an anonymous session (anonymous mode) or a user."""
    return await resolve_caller(request, settings)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def require_user(caller: CallerDep) -> Caller:
    """The policy of routes for signed-in users only (their own account)."""
    if not caller.signed_in:
        raise AppError(401, ErrorCode.LOGIN_REQUIRED, N_("Sign in to do this."))
    return caller


async def require_admin(caller: CallerDep) -> Caller:
    """The policy of administration routes: 401 for anonymous callers, 403 for non-admins."""
    caller = await require_user(caller)
    if not caller.is_admin:
        raise AppError(403, ErrorCode.FORBIDDEN, N_("Only an administrator may do this."))
    return caller


async def public_unless_login(request: Request, settings: SettingsDep, _: SchemesDep) -> None:
    """The policy of reference routes (rubric, frameworks): public unless login is required."""
    if login_mode(request):
        await require_user(await resolve_caller(request, settings))


UserDep = Annotated[Caller, Depends(require_user)]
AdminDep = Annotated[Caller, Depends(require_admin)]
PUBLIC = [Depends(public)]
PUBLIC_UNLESS_LOGIN = [Depends(public_unless_login)]
# The one dependency per route that says who may call it (tests walk app.routes for it).
POLICIES = {
    public: "public",
    public_unless_login: "public-or-user",
    get_caller: "session",
    require_user: "user",
    require_admin: "admin",
}
