"""The Admin tab: the configuration editor (validation at its line, versions, diff, rollback,
preview); users, sessions and the authentication log are in admin_accounts.

Admins only: every route asks the API who is signed in and answers 404 to anyone else, as
/ui/tabs/admin does (the API refuses them anyway). Forms are plain HTML forms that HTMX posts
here; this app sends them on to the API as JSON and answers with the fragment rendered again,
with status 200 even when the API refused (htmx swaps only 2xx answers), the API's message
beside what it concerns.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import yaml
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from memoai.configs.schemas import CONFIG_TYPES
from memoai.translations import N_
from memoai.translations import gettext as _
from memoai.web.api_client import ApiResult, Backend
from memoai.web.auth import load_account

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

CONFIG = "admin/_config.html"
VERSIONS = "admin/_config_versions.html"
DIFF = "admin/_config_diff.html"
ROLLBACK = "admin/_config_rollback.html"
PREVIEW = "admin/_config_preview.html"
CONFIG_API = "/api/v1/admin/config"
VERSIONS_PAGE = 10
TOO_LARGE = N_("The text is too large to send. Shorten it and try again.")
SAMPLE_MEMO = (
    "To: Senior Leadership Team\nFrom: Ann Lee, Practice Manager\n"
    "Subject: Funding a digital intake pilot\n\n"
    "We request $150,000 to pilot digital intake at Riverside clinic next quarter. Staff "
    "re-type every paper form, which takes around 10 minutes per patient.\n\n"
    "The main risk is that older patients find the tablets difficult; volunteers will help "
    "them at the front desk.\n\nPlease approve the pilot by 30 June."
)


@dataclass(frozen=True)
class Pager:
    """Where a list is (rows first to last of total) and the URLs of its neighbours."""

    first: int
    last: int
    total: int
    previous: str | None
    next: str | None


def pager(
    path: str, params: dict[str, Any], offset: int, shown: int, total: int, limit: int
) -> Pager:
    """Previous and next pages of a list, keeping its filters."""
    previous = url(path, {**params, "offset": max(0, offset - limit)}) if offset > 0 else None
    following = url(path, {**params, "offset": offset + limit}) if offset + shown < total else None
    return Pager(offset + 1 if shown else 0, offset + shown, total, previous, following)


def url(path: str, params: dict[str, Any]) -> str:
    """A path with its query, empty values left out (offset 0 too: it is the default)."""
    query = {k: v for k, v in params.items() if v not in (None, "", 0)}
    return path + (f"?{urlencode(query)}" if query else "")


def offset_of(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def first_error(result: ApiResult) -> dict[str, Any]:
    """The API's first error, with a message a person can read whatever went wrong."""
    error = dict(result.errors[0]) if result.errors else {}
    error.setdefault("code", f"HTTP_{result.status}")
    if not error.get("message"):
        error["message"] = _("The coach could not do this (status %(status)s).") % {
            "status": result.status
        }
    return error


def items_of(result: ApiResult) -> tuple[list[dict[str, Any]], int]:
    """A list answer's rows and total, or none when the API refused."""
    if not result.ok or not isinstance(result.data, dict):
        return [], 0
    items = list(result.data.get("items") or [])
    return items, int(result.data.get("total") or len(items))


def located(result: ApiResult) -> dict[str, Any] | None:
    """A CONFIG_INVALID refusal as {line, column, message} (0 when the API did not say)."""
    if result.ok or result.code != "CONFIG_INVALID":
        return None
    error = first_error(result)
    details = error.get("details")
    details = details if isinstance(details, dict) else {}
    line, column = details.get("line"), details.get("column")
    return {
        "line": line if isinstance(line, int) and line > 0 else 0,
        "column": column if isinstance(column, int) and column > 0 else 0,
        # The bare problem: the page says where itself, and that nothing was saved.
        "message": str(details.get("problem") or error["message"]),
    }


def effective_text(effective: Any) -> str:
    """The values after ${VAR} expansion, as YAML an admin reads like the file."""
    if not effective:
        return ""
    return yaml.safe_dump(effective, sort_keys=False, allow_unicode=True, width=100)


class AdminView:
    """What every admin route shares: the admin check, form reading, rendering."""

    def __init__(self, web: WebApp) -> None:
        self.web = web

    async def backend(self, request: Request) -> Backend:
        backend = self.web.api.for_request(request)
        account = await load_account(backend)
        if account is None or not account.is_admin:
            raise HTTPException(404)
        return backend

    async def fields(self, request: Request) -> dict[str, str] | None:
        """An HTMX form's fields, or None when the body is over the size limit."""
        body = await request.body()
        if len(body) > self.web.settings.max_body_bytes:
            return None
        parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0] for name, values in parsed.items()}

    def render(self, backend: Backend, name: str, context: dict[str, Any]) -> Response:
        return backend.relay(self.web.render(name, context))


class ConfigPages(AdminView):
    """Configuration: the types and their validity, one type's editor, versions and preview."""

    def config_type(self, value: Any) -> str:
        if value is None:
            return CONFIG_TYPES[0]
        if value not in CONFIG_TYPES:
            raise HTTPException(404)
        return str(value)

    async def section(self, request: Request) -> Response:
        backend = await self.backend(request)
        config_type = self.config_type(request.query_params.get("type"))
        return self.render(backend, CONFIG, await self.view(backend, config_type))

    async def view(
        self,
        backend: Backend,
        config_type: str,
        *,
        draft: str | None = None,
        comment: str = "",
        failure: ApiResult | None = None,
        status: str = "",
    ) -> dict[str, Any]:
        """Everything the configuration section shows; a refused draft stays in the editor."""
        base = f"{CONFIG_API}/{config_type}"
        listing, active = await asyncio.gather(backend.get(CONFIG_API), backend.get(base))
        overview = listing.data if listing.ok and isinstance(listing.data, dict) else {}
        config = active.data if active.ok and isinstance(active.data, dict) else None
        problems = [first_error(r)["message"] for r in (listing, active) if not r.ok]
        error = located(failure) if failure else None
        if failure is not None and error is None:
            problems.append(str(first_error(failure)["message"]))
        text = draft if draft is not None else (config or {}).get("content", "")
        return {
            "config_type": config_type,
            "types": CONFIG_TYPES,
            "items": list(overview.get("items") or []),
            "writable": bool((config or overview).get("writable", True)),
            "config": config,
            "effective": effective_text((config or {}).get("effective")),
            "draft": text,
            "line_count": text.count("\n") + 1,
            "comment": comment,
            "error": error,
            "problems": problems,
            "conflict": failure is not None and failure.code == "CONFLICT",
            "status": status,
            "sample_memo": SAMPLE_MEMO,
            **await self.versions_view(backend, config_type, 0, config),
        }

    async def versions_view(
        self, backend: Backend, config_type: str, offset: int, config: dict[str, Any] | None
    ) -> dict[str, Any]:
        path = f"{CONFIG_API}/{config_type}/versions"
        found = await backend.get(path, {"limit": VERSIONS_PAGE, "offset": offset})
        versions, total = items_of(found)
        here = f"/ui/admin/config/{config_type}/versions"
        return {
            "config_type": config_type,
            "versions": versions,
            "versions_pager": pager(here, {}, offset, len(versions), total, VERSIONS_PAGE),
            "versions_problem": "" if found.ok else first_error(found)["message"],
            "active_version": (config or {}).get("version"),
        }

    async def versions(self, request: Request) -> Response:
        backend = await self.backend(request)
        config_type = self.config_type(request.path_params["type"])
        active = await backend.get(f"{CONFIG_API}/{config_type}")
        config = active.data if active.ok else None
        offset = offset_of(request.query_params.get("offset"))
        view = await self.versions_view(backend, config_type, offset, config)
        return self.render(backend, VERSIONS, view)

    async def save(self, request: Request) -> Response:
        backend = await self.backend(request)
        config_type = self.config_type(request.path_params["type"])
        fields = await self.fields(request)
        if fields is None:
            view = await self.view(backend, config_type, status="")
            view["problems"].append(_(TOO_LARGE))
            return self.render(backend, CONFIG, view)
        content, comment = fields.get("content", ""), fields.get("comment", "").strip()
        payload: dict[str, Any] = {"content": content}
        if comment:
            payload["comment"] = comment
        if fields.get("base_version", "").isdigit():
            payload["base_version"] = int(fields["base_version"])
        result = await backend.call("PUT", f"{CONFIG_API}/{config_type}", json=payload)
        if result.ok:
            saved = _("Saved %(file)s as version %(version)s.") % {
                "file": f"{config_type}.yaml",
                "version": result.data.get("version"),
            }
            return self.render(backend, CONFIG, await self.view(backend, config_type, status=saved))
        view = await self.view(backend, config_type, draft=content, comment=comment, failure=result)
        return self.render(backend, CONFIG, view)

    async def preview(self, request: Request) -> Response:
        """The sample memo evaluated with the draft, nothing saved."""
        backend = await self.backend(request)
        config_type = self.config_type(request.path_params["type"])
        fields = await self.fields(request)
        context: dict[str, Any] = {"preview": None, "error": None, "problem": ""}
        if fields is None:
            context["problem"] = _(TOO_LARGE)
            return self.render(backend, PREVIEW, context)
        payload = {"content": fields.get("content", ""), "text_content": fields.get("memo", "")}
        result = await backend.post(f"{CONFIG_API}/{config_type}/preview", payload)
        if result.ok:
            context["preview"] = result.data
        else:
            context["error"] = located(result)
            context["problem"] = "" if context["error"] else first_error(result)["message"]
        return self.render(backend, PREVIEW, context)

    async def diff(self, request: Request) -> Response:
        backend = await self.backend(request)
        config_type = self.config_type(request.path_params["type"])
        params = request.query_params
        context = await self.diff_view(
            backend, config_type, params.get("from_version"), params.get("to_version")
        )
        return self.render(backend, DIFF, context)

    async def diff_view(
        self, backend: Backend, config_type: str, older: Any, newer: Any
    ) -> dict[str, Any]:
        if not (str(older).isdigit() and str(newer).isdigit()):
            return {"diff": None, "problem": _("Choose two versions to compare.")}
        query = {"from_version": int(older), "to_version": int(newer)}
        found = await backend.get(f"{CONFIG_API}/{config_type}/diff", query)
        if not found.ok:
            return {"diff": None, "problem": first_error(found)["message"]}
        lines = list(found.data.get("lines") or [])
        return {
            "diff": found.data,
            "lines": lines,
            "added": sum(1 for line in lines if line.get("op") == "+"),
            "removed": sum(1 for line in lines if line.get("op") == "-"),
            "problem": "",
        }

    async def confirm_rollback(self, request: Request) -> Response:
        """The confirmation step: what rolling back would change, and the button that does it."""
        backend = await self.backend(request)
        config_type = self.config_type(request.path_params["type"])
        wanted = request.query_params.get("version", "")
        active = await backend.get(f"{CONFIG_API}/{config_type}")
        current = active.data.get("version") if active.ok else None
        context = await self.diff_view(backend, config_type, current, wanted)
        context.update(config_type=config_type, version=wanted, active_version=current)
        return self.render(backend, ROLLBACK, context)

    async def rollback(self, request: Request) -> Response:
        backend = await self.backend(request)
        config_type = self.config_type(request.path_params["type"])
        fields = await self.fields(request) or {}
        version = fields.get("version", "")
        payload: dict[str, Any] = {"version": int(version) if version.isdigit() else version}
        if fields.get("comment", "").strip():
            payload["comment"] = fields["comment"].strip()
        result = await backend.post(f"{CONFIG_API}/{config_type}/rollback", payload)
        if result.ok:
            status = _(
                "Rolled back: version %(new)s of %(file)s has the text of version %(old)s."
            ) % {
                "new": result.data.get("version"),
                "file": f"{config_type}.yaml",
                "old": version,
            }
            return self.render(
                backend, CONFIG, await self.view(backend, config_type, status=status)
            )
        view = await self.view(backend, config_type, failure=result)
        return self.render(backend, CONFIG, view)


def config_routes(web: WebApp) -> list[Route]:
    """The routes to add to the web app (admins only; everyone else gets a 404)."""
    pages = ConfigPages(web)
    one = "/ui/admin/config/{type}"
    return [
        Route("/ui/admin/config", pages.section, methods=["GET"]),
        Route(one, pages.save, methods=["POST"]),
        Route(f"{one}/preview", pages.preview, methods=["POST"]),
        Route(f"{one}/versions", pages.versions, methods=["GET"]),
        Route(f"{one}/diff", pages.diff, methods=["GET"]),
        Route(f"{one}/rollback", pages.confirm_rollback, methods=["GET"]),
        Route(f"{one}/rollback", pages.rollback, methods=["POST"]),
    ]
