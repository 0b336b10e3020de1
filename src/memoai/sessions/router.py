"""Anonymous sessions: start one (cookie), read the current one, end it."""

from __future__ import annotations

import secrets
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from memoai.api import AppError, envelope, ok
from memoai.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    DbDep,
    SettingsDep,
    session_token,
)
from memoai.sessions import service
from memoai.settings import Settings

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"])
COOKIE_MAX_AGE = 30 * 24 * 3600


class SessionOut(BaseModel):
    session_id: str
    expires_at: datetime
    csrf_token: str | None = None
    # Shown once, for API clients that send X-Session-Token instead of the cookie.
    token: str | None = None


def set_session_cookies(response: Response, settings: Settings, token: str, csrf: str) -> None:
    """httpOnly session cookie plus a readable CSRF cookie for the double-submit check.

    The server's sliding expiry decides whether a session is alive; the cookie only has to
    outlive it, so it is not cut off while the session slides forward on every visit.
    """
    secure = bool(settings.secure_cookies)
    max_age = max(settings.session_timeout, COOKIE_MAX_AGE)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, secure=secure, samesite="lax"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="strict"
    )


@router.post("", status_code=201, summary="Start an anonymous session (or reuse the live one)")
async def start_session(request: Request, db: DbDep, settings: SettingsDep) -> JSONResponse:
    token, from_cookie = session_token(request)
    if token and from_cookie:
        try:
            async with request.app.state.db.engine.connect() as conn:
                live = await service.resolve_session(conn, token, settings.session_timeout)
        except AppError:
            live = None
        if live is not None:
            csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
            out = SessionOut(session_id=str(live.id), expires_at=live.expires_at, csrf_token=csrf)
            response = ok(out.model_dump(mode="json"))
            set_session_cookies(response, settings, token, csrf)
            return response
    client = request.client.host if request.client else None
    session, token = await service.create_session(
        db,
        settings.session_timeout,
        ip_address=client,
        user_agent=request.headers.get("user-agent"),
    )
    csrf = secrets.token_urlsafe(24)
    out = SessionOut(
        session_id=str(session.id), expires_at=session.expires_at, csrf_token=csrf, token=token
    )
    response = JSONResponse(envelope(out.model_dump(mode="json")), status_code=201)
    set_session_cookies(response, settings, token, csrf)
    return response


@router.get("/current", summary="The caller's session")
async def current_session(caller: CallerDep, request: Request) -> JSONResponse:
    return ok(
        {"session_id": str(caller.session_id), "user_id": caller.user_id and str(caller.user_id)}
    )


@router.delete("/current", summary="End the caller's session")
async def end_session(caller: CallerDep, db: DbDep) -> JSONResponse:
    await service.revoke_session(db, caller.session_id)
    response = ok({"ended": True})
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response
