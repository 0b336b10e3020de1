"""Sign in, sign out, refresh the token, who am I, change my password."""

from __future__ import annotations

import secrets
import uuid

from fastapi import APIRouter, Request, Response

from memoai.api import (
    CALLER,
    JSON_BODY,
    LIMITED,
    WRITES,
    AppError,
    Envelope,
    ErrorCode,
    errors,
    wrap,
)
from memoai.auth import flow, service
from memoai.auth.audit import Origin
from memoai.auth.callers import SignedIn
from memoai.auth.runtime import AuthRuntime
from memoai.auth.schemas import (
    LoginIn,
    LoginOut,
    LogoutOut,
    PasswordIn,
    PasswordOut,
    ProfileIn,
    UserOut,
    VerifyOut,
)
from memoai.deps import (
    CSRF_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    CallerDep,
    ConfigDep,
    DbDep,
    SettingsDep,
    UserDep,
    session_token,
)
from memoai.language import LANGUAGES
from memoai.sessions.router import set_session_cookies
from memoai.settings import Settings
from memoai.translations import LANGUAGE_COOKIE, N_

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600  # as long as the web's switch remembers it

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def origin_of(request: Request, actor_id: uuid.UUID | None = None) -> Origin:
    """The address, user agent and acting user of a request, for the audit log."""
    address = request.client.host if request.client else None  # after trusted forwarding
    return Origin(address, request.headers.get("user-agent"), actor_id)


def remember_language(response: Response, settings: Settings, language: str | None) -> None:
    """Give the browser the profile's language (the cookie the web's switch also sets), so
    its pages and this API answer in it; None leaves the browser's own choice alone."""
    if language is not None and language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_SECONDS,
            path="/",
            secure=bool(settings.secure_cookies),
            httponly=True,
            samesite="lax",
        )


def auth_runtime(request: Request) -> AuthRuntime:
    runtime: AuthRuntime = request.app.state.auth
    return runtime


def signed_in(request: Request) -> SignedIn:
    """What get_caller found for a token (routes with UserDep always have one)."""
    found: SignedIn | None = getattr(request.state, "signed_in", None)
    if found is None:
        raise AppError(401, ErrorCode.LOGIN_REQUIRED, N_("Sign in to do this."))
    return found


@router.post(
    "/login",
    summary="Sign in: a token (JWT) for API clients, and the session cookie for browsers",
    dependencies=PUBLIC,
    response_model=Envelope[LoginOut],
    responses=errors(*LIMITED, *JSON_BODY, 401, 423, 507),
)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    config: ConfigDep,
) -> Envelope[LoginOut]:
    policy = config.auth.authentication.security
    issued = await flow.login(
        db,
        auth_runtime(request),
        settings,
        policy,
        body.username,
        body.password,
        origin_of(request),
    )
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    set_session_cookies(response, settings, issued.token, csrf)
    remember_language(response, settings, issued.user.language)
    return wrap(
        LoginOut(
            user=UserOut.of(issued.user),
            access_token=issued.token,
            expires_at=issued.token_expires_at,
            session_id=issued.session_id,
            session_expires_at=issued.session_expires_at,
            csrf_token=csrf,
        )
    )


@router.post(
    "/logout",
    summary="Sign out: end the caller's session (every token for it stops working)",
    response_model=Envelope[LogoutOut],
    responses=errors(*LIMITED, *CALLER, *WRITES),
)
async def logout(
    caller: CallerDep, request: Request, response: Response, db: DbDep
) -> Envelope[LogoutOut]:
    origin = origin_of(request, caller.user_id)
    await flow.logout(db, caller.session_id, caller.user_id, origin)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return wrap(LogoutOut(signed_out=True))


@router.post(
    "/refresh",
    summary="A new token for the same session (earlier tokens stay valid until they expire)",
    response_model=Envelope[LoginOut],
    responses=errors(*LIMITED, *CALLER, *WRITES),
)
async def refresh(
    caller: UserDep, request: Request, response: Response, db: DbDep, settings: SettingsDep
) -> Envelope[LoginOut]:
    user = await service.user_of(db, caller)
    token, expires_at = auth_runtime(request).codec.issue(caller.session_id, user.id)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    if session_token(request)[1]:  # a browser: the cookie carries the new token
        set_session_cookies(response, settings, token, csrf)
    return wrap(
        LoginOut(
            user=UserOut.of(user),
            access_token=token,
            expires_at=expires_at,
            session_id=caller.session_id,
            session_expires_at=signed_in(request).session_expires_at,
            csrf_token=csrf,
        )
    )


@router.get(
    "/verify",
    summary="Who is signed in, and until when",
    response_model=Envelope[VerifyOut],
    responses=errors(*LIMITED, *CALLER),
)
async def verify(caller: UserDep, request: Request, db: DbDep) -> Envelope[VerifyOut]:
    user = await service.user_of(db, caller)
    found = signed_in(request)
    return wrap(
        VerifyOut(
            user=UserOut.of(user),
            session_id=caller.session_id,
            session_expires_at=found.session_expires_at,
            token_expires_at=found.token_expires_at,
        )
    )


@router.get(
    "/me",
    summary="The signed-in person's profile (with the interface language they chose)",
    response_model=Envelope[UserOut],
    responses=errors(*LIMITED, *CALLER),
)
async def profile(caller: UserDep, db: DbDep) -> Envelope[UserOut]:
    return wrap(UserOut.of(await service.user_of(db, caller)))


@router.patch(
    "/me",
    summary="Change one's own profile: the interface language (en, es, or null for the browser's)",
    response_model=Envelope[UserOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY),
)
async def update_profile(
    body: ProfileIn, caller: UserDep, response: Response, db: DbDep, settings: SettingsDep
) -> Envelope[UserOut]:
    user = await service.set_language(db, await service.user_of(db, caller), body.language)
    remember_language(response, settings, body.language)
    return wrap(UserOut.of(user))


@router.post(
    "/password",
    summary="Change one's own password; ends one's other sessions",
    response_model=Envelope[PasswordOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY, 423),
)
async def change_password(
    body: PasswordIn,
    caller: UserDep,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    config: ConfigDep,
) -> Envelope[PasswordOut]:
    ended = await flow.change_password(
        db,
        auth_runtime(request),
        settings,
        config.auth.authentication.security,
        caller,
        body.current_password,
        body.new_password,
        origin_of(request, caller.user_id),
    )
    return wrap(PasswordOut(changed=True, other_sessions_ended=ended))
