"""The Debug tab's live parts: what debug mode captured for an evaluation (its owner, admins)
and the self-tests (admins). The API redacts secrets before anything reaches this page."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from memoai.web.admin_pages import AdminView

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

RECORDS = "debug/_records.html"
SELF_TEST = "debug/_self_test.html"
SWITCH = "debug/_switch.html"
SWITCH_API = "/api/v1/admin/debug"


class DebugPages(AdminView):
    async def records(self, request: Request) -> Response:
        """The captured runs of an evaluation the browser's caller may see."""
        try:
            evaluation_id = str(uuid.UUID(request.query_params.get("evaluation_id", "")))
        except ValueError:
            raise HTTPException(404) from None
        backend = self.web.api.for_request(request)
        found = await backend.get("/api/v1/debug/info", {"evaluation_id": evaluation_id})
        return self.render(backend, RECORDS, {"info": found.data if found.ok else None})

    async def self_test(self, request: Request) -> Response:
        backend = await self.backend(request)  # admins only; others get 404
        result = await backend.post("/api/v1/admin/debug/self-test")
        report = result.data if result.ok else None
        return self.render(backend, SELF_TEST, {"report": report, "status": result.status})

    async def switch(self, request: Request) -> Response:
        """The Admin tab's Debug mode section: how it stands, and the switch."""
        backend = await self.backend(request)
        state = await backend.get(SWITCH_API)
        return self.render(backend, SWITCH, {"state": state.data if state.ok else None})

    async def toggle(self, request: Request) -> Response:
        backend = await self.backend(request)
        fields = await self.fields(request) or {}
        body: dict[str, object] = {"enabled": fields.get("enabled") == "true"}
        if body["enabled"]:
            body["minutes"] = fields.get("minutes") or 60
        result = await backend.post(f"{SWITCH_API}/toggle", json=body)
        context = {"state": result.data if result.ok else None, "failure": result}
        if not result.ok:
            current = await backend.get(SWITCH_API)
            context["state"] = current.data if current.ok else None
        return self.render(backend, SWITCH, context)


def debug_routes(web: WebApp) -> list[Route]:
    pages = DebugPages(web)
    return [
        Route("/ui/debug/records", pages.records, methods=["GET"]),
        Route("/ui/debug/self-test", pages.self_test, methods=["POST"]),
        Route("/ui/admin/debug", pages.switch, methods=["GET"]),
        Route("/ui/admin/debug", pages.toggle, methods=["POST"]),
    ]
