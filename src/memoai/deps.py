"""Shared FastAPI dependencies: settings, database session, configuration, the caller."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.configs.schemas import ActiveConfig
from memoai.settings import Settings

SESSION_COOKIE = "memoai_session"
CSRF_COOKIE = "memoai_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_HEADER = "x-session-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


@dataclass(frozen=True)
class Caller:
    """Who is calling: the session every record belongs to, and its user when logged in."""

    session_id: uuid.UUID
    user_id: uuid.UUID | None = None
    is_admin: bool = False


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
            "The security token of this page is missing or stale. Reload the page and try again.",
        )


async def get_caller(request: Request, settings: SettingsDep) -> Caller:
    """Resolve the caller's session (raises UNAUTHORIZED or SESSION_EXPIRED).

    Uses its own short database connection: a request-scoped one would hold a pooled
    connection for the whole request, including a model call of many seconds.
    """
    from memoai.sessions.service import resolve_session

    token, from_cookie = session_token(request)
    if not token:
        raise AppError(
            401,
            ErrorCode.UNAUTHORIZED,
            "No session. Start one with POST /api/v1/sessions (the web page does this for you).",
        )
    if from_cookie:
        check_csrf(request, settings)
    async with request.app.state.db.engine.connect() as conn:
        session = await resolve_session(conn, token, settings.session_timeout)
    caller = Caller(session_id=session.id, user_id=session.user_id)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
