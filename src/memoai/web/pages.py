"""The web interface: one page (its active tab rendered, the others filled when first
shown), fragments for HTMX, live streams.

The browser only ever talks to this app (`/`, `/ui/...`, `/static/...`); this app talks to
the API over HTTP through `api_client`, so the page works the same in one process, as two
processes, and behind nginx.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from memoai.api import envelope, error_item
from memoai.ops.http import RequestContextMiddleware
from memoai.settings import Settings, get_settings
from memoai.translations import N_
from memoai.translations import gettext as _
from memoai.web import data
from memoai.web.admin_accounts import account_routes
from memoai.web.admin_pages import config_routes
from memoai.web.admin_status import status_routes
from memoai.web.api_client import (
    CSRF_COOKIE,
    ApiClient,
    BackendUnavailable,
    RateLimited,
    SignInRequired,
)
from memoai.web.auth import Account, SignInGate, load_account, on_sign_in_required
from memoai.web.auth_pages import auth_routes
from memoai.web.chat_pages import chat_routes
from memoai.web.comment_pages import comment_filter, comment_routes
from memoai.web.debug_pages import debug_routes
from memoai.web.i18n import LanguageMiddleware
from memoai.web.language_pages import language_routes
from memoai.web.limits import on_rate_limited
from memoai.web.live import LiveRelay
from memoai.web.memos_pages import DELETED_NOTICES, memos_routes
from memoai.web.progress_pages import progress_routes
from memoai.web.rendering import STATIC_DIR, TAB_IDS, make_environment, visible_tabs

IN_PROCESS_URL = "http://memoai-api.internal"
NOT_FOUND_LINK = N_(
    "The evaluation this address names was not found: it may have been deleted, or it "
    "belongs to another session or account. My memos lists yours."
)
PAGE_HEADERS = {"Cache-Control": "no-store"}


class CachedStatic(StaticFiles):
    """Versioned URLs (?v=hash) are immutable for a year; anything else for an hour."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
        )
        return response


class WebApp:
    """The routes, sharing one template environment and one pooled API client."""

    def __init__(self, settings: Settings, api: ApiClient) -> None:
        self.settings = settings
        self.api = api
        self.env = make_environment()

    # --- rendering --------------------------------------------------------------------
    def render(self, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        html = self.env.get_template(name).render(context)
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def page_context(
        self, loaded: data.PageData, active: str, account: Account | None = None
    ) -> dict[str, Any]:
        client = loaded.client
        is_admin = account is not None and account.is_admin
        tabs = visible_tabs(debug_mode=bool(client.get("debug_mode")), is_admin=is_admin)
        if active not in {t.id for t in tabs}:
            active = "write"
        return {
            **loaded.context(),
            "tabs": tabs,
            "active": active,
            "selected_revision": "",
            "selected_evaluation": "",
            "account": account,
        }

    def error_page(self, status: int, title: str, message: str) -> HTMLResponse:
        """A page that says what went wrong: our own words (marked N_) in the reader's
        language, the API's as they came."""
        return self.render("error.html", {"title": _(title), "message": _(message)}, status)

    # --- pages and fragments ----------------------------------------------------------
    async def page(self, request: Request) -> Response:
        backend = self.api.for_request(request)
        account = await load_account(backend)
        if account is None:
            # Every visit renews the session and its cookies, so an active writer keeps it
            # (in login mode the API refuses: SignInRequired sends the visitor to /login).
            await backend.start_session()
        named = request.query_params.get("evaluation")  # a bookmarked evaluation (My memos)
        chosen = _uuid_or_none(named)
        requested = request.query_params.get("tab", "write")
        # Only the active tab (and Write, which holds the form and the live progress) is
        # rendered; the others are filled from /ui/tabs/<id> when first shown.
        needs = data.page_needs(requested, named=chosen is not None)
        loaded = await data.load(backend, needs, evaluation_id=chosen)
        lazy = needs != data.EVERYTHING and not data.still_running(loaded)
        if not lazy and needs != data.EVERYTHING:  # reloaded during an evaluation: all of it
            loaded = await data.load(backend, data.EVERYTHING, evaluation_id=chosen)
        if named and loaded.evaluation is None:
            loaded.notices.append(_(NOT_FOUND_LINK))
        deleted = DELETED_NOTICES.get(request.query_params.get("deleted", ""))
        if deleted:
            loaded.notices.append(_(deleted))
        context = self.page_context(loaded, requested, account)
        context["csrf"] = backend.cookies.get(CSRF_COOKIE, "")
        context["comment_filter"] = comment_filter(request.query_params)
        if chosen and loaded.evaluation is not None:
            context["selected_evaluation"] = chosen
        context["lazy_tabs"] = lazy
        context["tab_query"] = _tab_query(request, context["selected_evaluation"])
        return backend.relay(self.render("page.html", context))

    async def tab(self, request: Request) -> Response:
        name = request.path_params["tab"]
        if name not in TAB_IDS:
            raise HTTPException(404)
        backend = self.api.for_request(request)
        account = await load_account(backend) if name in ("admin", "debug") else None
        if name == "admin" and not (account and account.is_admin):
            raise HTTPException(404)
        # The evaluation the page names (My memos, a bookmark), when the page fills a tab later.
        chosen = _uuid_or_none(request.query_params.get("evaluation"))
        needs = data.TAB_NEEDS[name]
        loaded = await data.load(backend, needs, evaluation_id=chosen)
        context = self.page_context(loaded, name, account)
        context["csrf"] = backend.cookies.get(CSRF_COOKIE, "")
        context["comment_filter"] = comment_filter(request.query_params)
        if chosen and ("evaluation" not in needs or loaded.evaluation is not None):
            context["selected_evaluation"] = chosen
        return backend.relay(self.render(f"tabs/_{name}.html", context))

    async def panels(self, request: Request) -> Response:
        """Every panel that shows an evaluation, after it finished (HTMX out-of-band swaps)."""
        evaluation_id = str(request.path_params["evaluation_id"])
        backend = self.api.for_request(request)
        needs = frozenset({"evaluation", "history"})
        loaded = await data.load(backend, needs, evaluation_id=evaluation_id)
        if loaded.evaluation is None:
            return backend.relay(self.render("evaluation/_missing.html", {}, 404))
        if request.query_params.get("reused") == "1":  # known only to the stream that said so
            loaded.evaluation["reused"] = True
        # The Debug panel is redrawn too; it offers admins the self-tests.
        account = await load_account(backend) if loaded.client.get("debug_mode") else None
        context = self.page_context(loaded, "overall", account)
        context["selected_revision"] = request.query_params.get("selected", "")
        return backend.relay(self.render("evaluation/_results.html", context))

    # --- evaluating -------------------------------------------------------------------
    async def evaluate(self, request: Request) -> Response:
        payload = await self._memo_payload(request)
        if isinstance(payload, Response):
            return payload
        return await self._relay(request, "/api/v1/evaluations?stream=true", payload)

    async def retry(self, request: Request) -> Response:
        evaluation_id = request.path_params["evaluation_id"]
        return await self._relay(request, f"/api/v1/evaluations/{evaluation_id}/retry?stream=true")

    async def _relay(self, request: Request, path: str, payload: Any = None) -> Response:
        backend = self.api.for_request(request)
        rubric = await backend.public_get("/api/v1/config/rubric")
        relay = LiveRelay(backend, self.env, rubric.data if rubric.ok else None)
        return await relay.respond(path, payload)

    async def _memo_payload(self, request: Request) -> dict[str, Any] | Response:
        """The memo from the page's script; the API checks the content, we check the shape."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.settings.max_body_bytes:
            return _errors(413, "PAYLOAD_TOO_LARGE", _("The memo is too large to send."))
        body = await request.body()
        if len(body) > self.settings.max_body_bytes:
            return _errors(413, "PAYLOAD_TOO_LARGE", _("The memo is too large to send."))
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raw = None
        if not isinstance(raw, dict):
            return _errors(400, "INVALID_JSON", _("The page sent a malformed request. Reload it."))
        payload: dict[str, Any] = {"text_content": raw.get("text_content", "")}
        title = raw.get("title")
        if isinstance(title, str) and title.strip():
            payload["title"] = title
        revision = raw.get("revision_of")
        if revision:
            try:
                payload["revision_of"] = str(uuid.UUID(str(revision)))
            except ValueError:
                return _errors(
                    422,
                    "VALIDATION_ERROR",
                    _("Choose an earlier memo from the list."),
                    field="revision_of",
                )
        if raw.get("fresh") is True:
            payload["fresh"] = True
        return payload

    async def health(self, request: Request) -> Response:
        """Liveness of the frontend alone (`memoai web`); `memoai serve` answers with the API's."""
        return JSONResponse(envelope({"status": "ok"}))

    # --- errors -----------------------------------------------------------------------
    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return self.error_page(
                404, N_("Page not found"), N_("There is nothing at this address.")
            )
        return self.error_page(
            status, N_("This request cannot be answered"), N_("Go back and retry.")
        )

    async def backend_down(self, request: Request, exc: Exception) -> Response:
        """The API is unreachable: the page's script gets a code, a person gets a page."""
        if request.method == "POST":
            message = _("The coach is not reachable right now. Your memo is kept; try again.")
            return _errors(503, "BACKEND_UNAVAILABLE", message)
        return self.error_page(
            503,
            N_("The coach is not reachable right now"),
            N_(
                "The service may be starting or restarting. Anything you typed is kept in "
                "this browser; try again in a moment."
            ),
        )

    async def server_error(self, request: Request, exc: Exception) -> Response:
        return self.error_page(
            500,
            N_("Something went wrong on our side"),
            N_("Nothing you typed was lost: it is kept in this browser. Reload the page."),
        )


def _tab_query(request: Request, selected: str) -> str:
    """What a tab filled later must know of the page's address: its evaluation and filter."""
    params = {"evaluation": selected} if selected else {}
    for name in ("kind", "severity"):
        value = request.query_params.get(name)
        if value:
            params[name] = value
    return urlencode(params)


def _uuid_or_none(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def _errors(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"errors": [error_item(code, message, field)], "retry": False}, status)


def create_web_app(
    settings: Settings | None = None, api_transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """The frontend; with `api_transport` it reaches an in-process API instead of BACKEND_URL."""
    settings = settings or get_settings()
    # Every API call is already in the API's own access log, under the same request id.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    base_url = IN_PROCESS_URL if api_transport is not None else settings.backend_url
    web = WebApp(settings, ApiClient(base_url, api_transport))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await web.api.aclose()

    uuid_path = "{evaluation_id:uuid}"
    routes = [
        Route("/", web.page),
        Route("/health", web.health),
        Route("/ui/tabs/{tab}", web.tab),
        Route(f"/ui/evaluations/{uuid_path}/panels", web.panels),
        Route(f"/ui/evaluations/{uuid_path}/retry", web.retry, methods=["POST"]),
        Route("/ui/evaluate", web.evaluate, methods=["POST"]),
        *auth_routes(web),
        *chat_routes(web),
        *memos_routes(web),
        *comment_routes(web),
        *progress_routes(web),
        *config_routes(web),
        *debug_routes(web),
        *account_routes(web),
        *status_routes(web),
        *language_routes(web),
        Mount("/static", CachedStatic(directory=STATIC_DIR), name="static"),
    ]
    middleware = [
        Middleware(
            RequestContextMiddleware,
            hsts=bool(settings.https_only),
            trusted_proxies=settings.forwarded_allow_ips,
        ),
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
        Middleware(LanguageMiddleware),
        Middleware(SignInGate, web=web),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            HTTPException: web.http_error,
            BackendUnavailable: web.backend_down,
            SignInRequired: on_sign_in_required,
            RateLimited: on_rate_limited,
            Exception: web.server_error,
        },
    )
    app.state.web = web
    return app
