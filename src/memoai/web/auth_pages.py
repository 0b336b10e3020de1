"""The login page, signing out, changing one's password, staying signed in, and public Help.

Forms post to this app as plain HTML forms (they work without JavaScript and by keyboard);
this app relays them to the API's auth routes and passes on the cookies the API sets, so the
browser never talks to the API itself. The API's messages are shown as they are: they are
written for people. A refused form comes back as a page (200) that says what went wrong; the
API's own status codes stay in its responses and logs.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from memoai.translations import N_, ngettext
from memoai.translations import gettext as _
from memoai.web import data
from memoai.web.api_client import CSRF_COOKIE, ApiResult, Backend, SignInRequired
from memoai.web.auth import (
    REASONS,
    Account,
    clear_login_cookies,
    load_account,
    login_url,
    return_path,
    safe_next,
    sign_in_response,
)

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

log = logging.getLogger("memoai.web")
LOGIN_PAGE = "login.html"
CHANGE_FORM = "account/password.html"
HELP_PAGE = "help.html"
FORM_FIELD_MAX = 1024  # longer than any username or password the API accepts


def wait_text(seconds: Any) -> str:
    """'about 15 minutes' / '40 seconds': how long until the visitor may try again."""
    try:
        left = max(1, math.ceil(float(seconds)))
    except (TypeError, ValueError):
        return ""
    if left < 60:
        return ngettext("%(num)s second", "%(num)s seconds", left) % {"num": left}
    minutes = math.ceil(left / 60)
    return ngettext("about %(num)s minute", "about %(num)s minutes", minutes) % {"num": minutes}


def lockout_note(error: dict[str, Any]) -> str:
    """When the visitor may try again, as a sentence (empty when the API gave no time).

    The clock time is added to the API's message; the wait itself only when the message does
    not already give one."""
    details = error.get("details") or {}
    seconds = details.get("retry_after_seconds") if isinstance(details, dict) else None
    waiting = wait_text(seconds)
    if not waiting:
        return ""
    until = datetime.now(UTC) + timedelta(seconds=math.ceil(float(seconds or 0)))
    if any(ch.isdigit() for ch in str(error.get("message") or "")):
        return _("That is after %(time)s UTC.") % {"time": f"{until:%H:%M}"}
    return _("You can try again in %(wait)s, after %(time)s UTC.") % {
        "wait": waiting,
        "time": f"{until:%H:%M}",
    }


def field_errors(result: ApiResult, fields: set[str]) -> tuple[dict[str, str], list[str]]:
    """The API's errors split into those about one form field and the rest."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for error in result.errors:
        message = str(error.get("message") or _("That did not work. Try again."))
        field = error.get("field")
        if field in fields and field not in by_field:
            by_field[str(field)] = message
        else:
            general.append(message)
            note = lockout_note(error)
            if note:
                general.append(note)
    return by_field, general


async def read_form(request: Request) -> dict[str, str]:
    """A plain HTML form's fields (urlencoded: these forms send no files), each cut to size."""
    body = await request.body()
    if len(body) > 16 * FORM_FIELD_MAX:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0][:FORM_FIELD_MAX] for name, values in fields.items()}


class AuthPages:
    """The routes, on the web app's shared templates and API client."""

    def __init__(self, web: WebApp) -> None:
        self.web = web

    def render(
        self, backend: Backend, name: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        return backend.relay(self.web.render(name, context, status))

    async def _client(self, backend: Backend) -> dict[str, Any]:
        client = dict(data.DEFAULT_CLIENT)
        result = await backend.public_get("/api/v1/config/client")
        if result.ok and isinstance(result.data, dict):
            client.update(result.data)
        return client

    async def _account(self, backend: Backend) -> Account | None:
        """The caller's login, or None when it is missing or no longer holds."""
        try:
            return await load_account(backend)
        except SignInRequired:
            backend.forget_login()
            return None

    # --- signing in -------------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        backend = self.web.api.for_request(request)
        had_login = backend.signed_in
        next_path = safe_next(request.query_params.get("next"))
        if await self._account(backend) is not None:
            return backend.relay(RedirectResponse(next_path, status_code=303))
        reason = request.query_params.get("reason")
        context = await self._login_context(
            backend, next_path, status=_(REASONS[reason]) if reason in REASONS else None
        )
        response = self.render(backend, LOGIN_PAGE, context)
        return clear_login_cookies(response) if had_login else response

    async def login(self, request: Request) -> Response:
        if request.headers.get("sec-fetch-site") == "cross-site":  # login CSRF
            return self.web.error_page(
                403, N_("Sign in from this site"), N_("Open the login page here.")
            )
        form = await read_form(request)
        username, password = form.get("username", ""), form.get("password", "")
        next_path = safe_next(form.get("next", ""))
        backend = self.web.api.for_request(request)
        backend.forget_login()  # a fresh login; the old session's cookies stay behind
        result = await backend.post(
            "/api/v1/auth/login", {"username": username, "password": password}
        )
        if result.ok:
            user = result.data.get("user") if isinstance(result.data, dict) else None
            if isinstance(user, dict) and user.get("must_change_password"):
                next_path = "/account/password?required=1"
            return backend.relay(RedirectResponse(next_path, status_code=303))
        errors, general = field_errors(result, {"username", "password"})
        context = await self._login_context(backend, next_path, username=username)
        context.update(errors=errors, general=general, error_code=result.code)
        return self.render(backend, LOGIN_PAGE, context)

    async def _login_context(
        self, backend: Backend, next_path: str, username: str = "", status: str | None = None
    ) -> dict[str, Any]:
        client = await self._client(backend)
        return {
            "client": client,
            "next": next_path,
            "username": username,
            "status": status,
            "errors": {},
            "general": [],
            "error_code": None,
        }

    # --- signing out ------------------------------------------------------------------
    async def logout(self, request: Request) -> Response:
        form = await read_form(request)
        backend = self.web.api.for_request(request)
        backend.csrf = form.get("csrf_token", "") or backend.csrf
        reason = form.get("reason", "")
        reason = reason if reason in ("idle", "signed_out") else "signed_out"
        next_path = safe_next(form.get("next", "")) if reason == "idle" else "/"
        if backend.signed_in:
            try:
                result = await backend.post("/api/v1/auth/logout")
                if not result.ok:
                    log.warning("logout refused by the API: %s", result.code)
            except SignInRequired:
                pass  # the session had already ended
        response = backend.relay(RedirectResponse(login_url(next_path, reason), status_code=303))
        return clear_login_cookies(response)

    # --- staying signed in ------------------------------------------------------------
    async def refresh(self, request: Request) -> Response:
        """'Stay signed in': a new token on the same session, and the new deadlines."""
        backend = self.web.api.for_request(request)
        if not backend.signed_in:
            return sign_in_response(request)
        result = await backend.post("/api/v1/auth/refresh")
        account = await load_account(backend) if result.ok else None
        if account is None:
            return backend.relay(JSONResponse({"errors": result.errors}, status_code=result.status))
        body = {"data": account.expiry(), "csrf_token": backend.cookies.get(CSRF_COOKIE)}
        return backend.relay(JSONResponse(body, headers={"Cache-Control": "no-store"}))

    # --- changing one's password ------------------------------------------------------
    async def password_page(self, request: Request) -> Response:
        backend = self.web.api.for_request(request)
        account = await load_account(backend)
        if account is None:
            return sign_in_response(request)
        context = await self._password_context(backend, account)
        context["required"] = request.query_params.get("required") == "1"
        return self.render(backend, CHANGE_FORM, context)

    async def change_password(self, request: Request) -> Response:
        form = await read_form(request)
        backend = self.web.api.for_request(request)
        backend.csrf = form.get("csrf_token", "") or backend.csrf
        account = await load_account(backend)
        if account is None:
            return sign_in_response(request)
        new = form.get("new_password", "")
        context = await self._password_context(backend, account)
        if new != form.get("confirm_password", ""):
            context["errors"] = {"confirm_password": _("The two new passwords are not the same.")}
            return self.render(backend, CHANGE_FORM, context)
        payload = {"current_password": form.get("current_password", ""), "new_password": new}
        result = await backend.post("/api/v1/auth/password", payload)
        if result.ok:
            context["changed"] = True
            context["csrf"] = backend.cookies.get(CSRF_COOKIE, "")
            return self.render(backend, CHANGE_FORM, context)
        errors, general = field_errors(result, {"current_password", "new_password"})
        if result.code == "INVALID_CREDENTIALS":
            errors.setdefault("current_password", general.pop(0) if general else "")
        elif result.code == "PASSWORD_REJECTED" and general:
            errors.setdefault("new_password", general.pop(0))
        context.update(errors=errors, general=general)
        return self.render(backend, CHANGE_FORM, context)

    async def _password_context(self, backend: Backend, account: Account) -> dict[str, Any]:
        return {
            "client": await self._client(backend),
            "account": account,
            "csrf": backend.cookies.get(CSRF_COOKIE, ""),
            "errors": {},
            "general": [],
            "changed": False,
        }

    # --- help, open to everyone -------------------------------------------------------
    async def help(self, request: Request) -> Response:
        """General help for everyone; the rubric and frameworks for those who may see them."""
        backend = self.web.api.for_request(request)
        account = await self._account(backend)
        client = await self._client(backend)
        login_needed = bool(client.get("auth_enabled")) and account is None
        needs = frozenset() if login_needed else data.TAB_NEEDS["help"]
        loaded = await data.load(backend, needs)
        context = {
            **loaded.context(),
            "account": account,
            "csrf": backend.cookies.get(CSRF_COOKIE, ""),
            "login_needed": login_needed,
            "login_link": login_url(return_path(request)),
        }
        return self.render(backend, HELP_PAGE, context)


def auth_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app."""
    pages = AuthPages(web)
    return [
        Route("/login", pages.login_page, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/help", pages.help, methods=["GET"]),
        Route("/account/password", pages.password_page, methods=["GET"]),
        Route("/account/password", pages.change_password, methods=["POST"]),
        Route("/ui/session/refresh", pages.refresh, methods=["POST"]),
    ]
