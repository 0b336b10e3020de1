"""The Admin tab's people: users (create, edit, activate, temporary password), their sessions
(list, revoke one or all of a user's) and the authentication log (filters, pages, CSV).

The same rules as the configuration pages (admin_pages): admins only, forms relayed to the
API as JSON, the fragment rendered again with the API's message.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from memoai.auth.audit import Event
from memoai.translations import N_, ngettext
from memoai.translations import gettext as _
from memoai.web.admin_pages import AdminView, first_error, items_of, offset_of, pager, url
from memoai.web.api_client import ApiResult, Backend
from memoai.web.auth_pages import field_errors
from memoai.web.progress_pages import ProgressPages

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

USERS = "admin/_users.html"
SESSIONS = "admin/_sessions.html"
AUDIT = "admin/_audit.html"
PAGE = 25
USER_CHOICES = 200  # the users offered in the sessions' and log's filters
ROLES = ("user", "admin")
EVENTS = tuple(str(event) for event in Event)
# The log's stored codes stay English (the API and its CSV answer them as stored); the
# Admin tab shows them in the reader's language.
EVENT_LABELS = {
    Event.LOGIN: N_("login"),
    Event.LOCKOUT: N_("lockout"),
    Event.LOGOUT: N_("logout"),
    Event.PASSWORD_CHANGED: N_("password changed"),
    Event.SESSION_REVOKED: N_("session revoked"),
    Event.USER_CREATED: N_("user created"),
    Event.USER_CHANGED: N_("user changed"),
    Event.CONFIG_CHANGED: N_("config changed"),
    Event.CONFIG_ROLLED_BACK: N_("config rolled back"),
    Event.DEBUG_MODE_CHANGED: N_("debug mode changed"),
    Event.MEMO_DELETED: N_("memo deleted"),
    Event.DATA_DELETED: N_("data deleted"),
}
OUTCOME_LABELS = {"success": N_("success"), "failure": N_("failure")}
REASON_LABELS = {
    "unknown_user": N_("unknown user"),
    "wrong_password": N_("wrong password"),
    "deactivated": N_("deactivated"),
    "activated": N_("activated"),
    "too_many_failures": N_("too many failures"),
    "wrong_current_password": N_("wrong current password"),
    "admin": N_("by an administrator"),
    "admin_all": N_("all of them, by an administrator"),
    "by_self": N_("by the user"),
    "reset": N_("reset by an administrator"),
    "role": N_("role"),
    "display_name": N_("display name"),
}


def audit_labels() -> dict[str, dict[str, str]]:
    """The log's codes (events, outcomes, reasons) as the reader's language says them."""
    return {
        "event_labels": {str(code): _(label) for code, label in EVENT_LABELS.items()},
        "outcome_labels": {code: _(label) for code, label in OUTCOME_LABELS.items()},
        "reason_labels": {code: _(label) for code, label in REASON_LABELS.items()},
    }


AUDIT_CSV = "/api/v1/admin/auth-log.csv"


def user_id(value: Any) -> str:
    """A user id from a form or path, or '' (never anything else sent on to the API)."""
    try:
        return str(uuid.UUID(str(value))) if value else ""
    except ValueError:
        return ""


def present(params: dict[str, Any]) -> dict[str, Any]:
    """Query parameters without the empty ones (the API would read q= as a search for '')."""
    return {k: v for k, v in params.items() if v not in (None, "")}


def day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def log_filters(params: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The log's filters as the form shows them and as the API takes them (whole days, UTC)."""
    since, until = day(params.get("since")), day(params.get("until"))
    event = params.get("event") if params.get("event") in EVENTS else ""
    shown = {
        "user_id": user_id(params.get("user_id")),
        "event": event or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    query = {k: v for k, v in shown.items() if k in ("user_id", "event") and v}
    if since:
        query["since"] = f"{since.isoformat()}T00:00:00Z"
    if until:
        query["until"] = f"{(until + timedelta(days=1)).isoformat()}T00:00:00Z"
    return shown, query


class AccountPages(AdminView):
    """Users, sessions and the authentication log."""

    # --- users ------------------------------------------------------------------------
    async def users(self, request: Request) -> Response:
        backend = await self.backend(request)
        params = request.query_params
        view = await self.users_view(
            backend, params.get("q", "").strip(), offset_of(params.get("offset"))
        )
        return self.render(backend, USERS, view)

    async def users_view(
        self, backend: Backend, q: str = "", offset: int = 0, **extra: Any
    ) -> dict[str, Any]:
        found = await backend.get(
            "/api/v1/users", present({"q": q, "limit": PAGE, "offset": offset})
        )
        users, total = items_of(found)
        problems = [] if found.ok else [first_error(found)["message"]]
        return {
            "users": users,
            "q": q,
            "roles": ROLES,
            "pager": pager("/ui/admin/users", {"q": q}, offset, len(users), total, PAGE),
            "problems": problems + extra.pop("problems", []),
            "status": "",
            "new": {},
            "field_errors": {},
            **extra,
        }

    async def create_user(self, request: Request) -> Response:
        backend = await self.backend(request)
        fields = await self.fields(request) or {}
        new = {k: fields.get(k, "").strip() for k in ("username", "display_name", "role")}
        payload: dict[str, Any] = {
            "username": new["username"],
            "password": fields.get("password", ""),
        }
        if new["display_name"]:
            payload["display_name"] = new["display_name"]
        if new["role"] in ROLES:
            payload["role"] = new["role"]
        result = await backend.post("/api/v1/users", payload)
        if result.ok:
            status = _("Created the account %(name)s.") % {"name": new["username"]}
            return self.render(backend, USERS, await self.users_view(backend, status=status))
        errors, general = field_errors(result, {"username", "password", "display_name", "role"})
        if not (errors or general):
            general = [first_error(result)["message"]]
        if result.code == "CONFLICT" and general:  # the name is taken
            errors.setdefault("username", general.pop(0))
        view = await self.users_view(backend, new=new, field_errors=errors, problems=general)
        return self.render(backend, USERS, view)

    async def update_user(self, request: Request) -> Response:
        backend = await self.backend(request)
        target = self._user(request)
        fields = await self.fields(request) or {}
        payload: dict[str, Any] = {}
        if "display_name" in fields:
            payload["display_name"] = fields["display_name"].strip()
        if fields.get("role") in ROLES:
            payload["role"] = fields["role"]
        if fields.get("is_active") in ("true", "false"):
            payload["is_active"] = fields["is_active"] == "true"
        result = await backend.call("PATCH", f"/api/v1/users/{target}", json=payload)
        name = fields.get("username") or _("the account")
        done = _("Saved the changes to %(name)s.") % {"name": name}
        return await self._after(backend, fields, result, done)

    async def temporary_password(self, request: Request) -> Response:
        backend = await self.backend(request)
        target = self._user(request)
        fields = await self.fields(request) or {}
        result = await backend.post(
            f"/api/v1/users/{target}/password", {"password": fields.get("password", "")}
        )
        name = fields.get("username") or _("The user")
        done = _(
            "%(name)s has a temporary password now and must change it at the next sign-in."
        ) % {"name": name}
        return await self._after(backend, fields, result, done)

    async def _after(
        self, backend: Backend, fields: dict[str, str], result: ApiResult, done: str
    ) -> Response:
        """The list again, with what happened said at its top."""
        q, offset = fields.get("q", ""), offset_of(fields.get("offset"))
        if result.ok:
            view = await self.users_view(backend, q, offset, status=done)
        else:
            message = (
                f"{fields.get('username') or _('The account')}: {first_error(result)['message']}"
            )
            view = await self.users_view(backend, q, offset, problems=[message])
        return self.render(backend, USERS, view)

    def _user(self, request: Request) -> str:
        found = user_id(request.path_params.get("user_id"))
        if not found:
            raise HTTPException(404)
        return found

    async def user_choices(self, backend: Backend) -> list[dict[str, Any]]:
        found = await backend.get("/api/v1/users", {"limit": USER_CHOICES})
        return items_of(found)[0]

    # --- sessions ---------------------------------------------------------------------
    async def sessions(self, request: Request) -> Response:
        backend = await self.backend(request)
        params = request.query_params
        view = await self.sessions_view(
            backend,
            user_id(params.get("user_id")),
            params.get("show") != "all",
            offset_of(params.get("offset")),
        )
        return self.render(backend, SESSIONS, view)

    async def sessions_view(
        self, backend: Backend, who: str, active_only: bool, offset: int, **extra: Any
    ) -> dict[str, Any]:
        query: dict[str, Any] = present({"limit": PAGE, "offset": offset, "user_id": who})
        if active_only:
            query["active"] = "true"
        found, choices = await asyncio.gather(
            backend.get("/api/v1/admin/sessions", query), self.user_choices(backend)
        )
        sessions, total = items_of(found)
        shown = {"user_id": who, "show": "" if active_only else "all"}
        problems = [] if found.ok else [first_error(found)["message"]]
        return {
            "sessions": sessions,
            "choices": choices,
            "filters": shown,
            "selected_name": next((u["username"] for u in choices if u["id"] == who), ""),
            "pager": pager("/ui/admin/sessions", shown, offset, len(sessions), total, PAGE),
            "problems": problems + extra.pop("problems", []),
            "status": "",
            **extra,
        }

    async def revoke(self, request: Request) -> Response:
        backend = await self.backend(request)
        fields = await self.fields(request) or {}
        session = user_id(request.path_params.get("session_id"))  # session ids are UUIDs too
        if not session:
            raise HTTPException(404)
        result = await backend.call("DELETE", f"/api/v1/admin/sessions/{session}")
        done = _("Ended the session of %(name)s.") % {
            "name": fields.get("username") or _("an anonymous visitor")
        }
        return await self._after_revoke(backend, fields, result, done)

    async def revoke_all(self, request: Request) -> Response:
        backend = await self.backend(request)
        fields = await self.fields(request) or {}
        who = user_id(fields.get("user_id"))
        if not who:
            raise HTTPException(404)
        result = await backend.call("DELETE", "/api/v1/admin/sessions", params={"user_id": who})
        ended = result.data.get("revoked", 0) if result.ok and isinstance(result.data, dict) else 0
        done = ngettext(
            "Ended %(num)s session of %(name)s.", "Ended %(num)s sessions of %(name)s.", ended
        ) % {
            "num": ended,
            "name": fields.get("username") or _("the user"),
        }
        return await self._after_revoke(backend, fields, result, done)

    async def _after_revoke(
        self, backend: Backend, fields: dict[str, str], result: ApiResult, done: str
    ) -> Response:
        who, active_only = user_id(fields.get("filter_user_id")), fields.get("show") != "all"
        extra: dict[str, Any] = (
            {"status": done} if result.ok else {"problems": [first_error(result)["message"]]}
        )
        view = await self.sessions_view(backend, who, active_only, 0, **extra)
        return self.render(backend, SESSIONS, view)

    # --- the authentication log -------------------------------------------------------
    async def audit(self, request: Request) -> Response:
        backend = await self.backend(request)
        shown, query = log_filters(request.query_params)
        offset = offset_of(request.query_params.get("offset"))
        found, choices = await asyncio.gather(
            backend.get("/api/v1/admin/auth-log", {**query, "limit": PAGE, "offset": offset}),
            self.user_choices(backend),
        )
        rows, total = items_of(found)
        context = {
            "rows": rows,
            "choices": choices,
            "events": EVENTS,
            **audit_labels(),
            "filters": shown,
            "pager": pager("/ui/admin/audit", shown, offset, len(rows), total, PAGE),
            "csv_url": url("/ui/admin/audit.csv", shown),
            "problems": [] if found.ok else [first_error(found)["message"]],
        }
        return self.render(backend, AUDIT, context)

    async def audit_csv(self, request: Request) -> Response:
        await self.backend(request)
        _, query = log_filters(request.query_params)
        downloads = ProgressPages(self.web)
        return await downloads.relay_download(request, url(AUDIT_CSV, query))


def account_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app (admins only; everyone else gets a 404)."""
    pages = AccountPages(web)
    one_user = "/ui/admin/users/{user_id}"
    return [
        Route("/ui/admin/users", pages.users, methods=["GET"]),
        Route("/ui/admin/users", pages.create_user, methods=["POST"]),
        Route(one_user, pages.update_user, methods=["POST"]),
        Route(f"{one_user}/password", pages.temporary_password, methods=["POST"]),
        Route("/ui/admin/sessions", pages.sessions, methods=["GET"]),
        Route("/ui/admin/sessions/revoke-all", pages.revoke_all, methods=["POST"]),
        Route("/ui/admin/sessions/{session_id}/revoke", pages.revoke, methods=["POST"]),
        Route("/ui/admin/audit", pages.audit, methods=["GET"]),
        Route("/ui/admin/audit.csv", pages.audit_csv, methods=["GET"]),
    ]
