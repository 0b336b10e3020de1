"""Anonymous sessions: start one (cookie), read the current one, end it."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response

from memoai.api import (
    CALLER,
    LIMITED,
    WRITES,
    AppError,
    Envelope,
    ErrorCode,
    also,
    errors,
    responses,
    wrap,
)
from memoai.deps import (
    CSRF_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    SIGN_IN,
    CallerDep,
    DbDep,
    SettingsDep,
    live_cookie_session,
    login_mode,
    session_token,
)
from memoai.sessions import service
from memoai.sessions.schemas import CurrentSession, SessionEnded, SessionOut
from memoai.settings import Settings

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"])
COOKIE_MAX_AGE = 30 * 24 * 3600


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


@router.post(
    "",
    status_code=201,
    summary="Start an anonymous session (or reuse the live one)",
    dependencies=PUBLIC,
    response_model=Envelope[SessionOut],
    responses=responses(
        also(200, Envelope[SessionOut], "The cookie's session is still alive: reused"),
        errors(*LIMITED, *CALLER, 507),
    ),
)
async def start_session(
    request: Request, response: Response, db: DbDep, settings: SettingsDep
) -> Envelope[SessionOut]:
    token, from_cookie = session_token(request)
    if token and from_cookie:
        live = await live_cookie_session(request, token, settings)
        if live is not None:
            csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
            set_session_cookies(response, settings, token, csrf)
            response.status_code = 200
            return wrap(SessionOut(session_id=live.id, expires_at=live.expires_at, csrf_token=csrf))
    if login_mode(request):
        raise AppError(401, ErrorCode.LOGIN_REQUIRED, SIGN_IN)
    client = request.client.host if request.client else None
    session, token = await service.create_session(
        db,
        settings.session_timeout,
        ip_address=client,
        user_agent=request.headers.get("user-agent"),
    )
    csrf = secrets.token_urlsafe(24)
    set_session_cookies(response, settings, token, csrf)
    out = SessionOut(
        session_id=session.id, expires_at=session.expires_at, csrf_token=csrf, token=token
    )
    return wrap(out)


@router.get(
    "/current",
    summary="The caller's session",
    response_model=Envelope[CurrentSession],
    responses=errors(*LIMITED, *CALLER, 507),
)
async def current_session(caller: CallerDep) -> Envelope[CurrentSession]:
    return wrap(CurrentSession(session_id=caller.session_id, user_id=caller.user_id))


@router.delete(
    "/current",
    summary="End the caller's session",
    response_model=Envelope[SessionEnded],
    responses=errors(*LIMITED, *CALLER, *WRITES),
)
async def end_session(caller: CallerDep, db: DbDep, response: Response) -> Envelope[SessionEnded]:
    await service.revoke_session(db, caller.session_id)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return wrap(SessionEnded(ended=True))
