"""What each tab needs from the API, fetched with as few round trips as possible."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from memoai.translations import gettext as _
from memoai.web.api_client import ApiResult, Backend

HISTORY_LIMIT = 20  # the most recent evaluations, offered as "revision of"
DEFAULT_CLIENT = {
    "memo_min_chars": 1,
    "memo_max_chars": 10_000,
    "title_max_chars": 200,
    "debug_mode": False,
    "auth_enabled": False,
    "provider": "offline",
    "provider_label": "offline analysis",
}
# Which data each tab's template uses (the client settings are always loaded).
TAB_NEEDS: dict[str, frozenset[str]] = {
    "write": frozenset({"history", "rubric"}),
    "overall": frozenset({"evaluation"}),
    "detailed": frozenset({"evaluation"}),
    "progress": frozenset({"evaluation"}),  # its comment counts; the charts are a fragment
    "chat": frozenset(),  # the conversation is a fragment of its own (/ui/chat)
    "memos": frozenset(),  # the list is a fragment of its own (/ui/memos)
    "help": frozenset({"rubric", "frameworks"}),
    "debug": frozenset({"evaluation"}),
    "admin": frozenset(),
}
EVERYTHING = frozenset().union(*TAB_NEEDS.values())
RUNNING = ("pending", "running")


def page_needs(active: str, *, named: bool = False) -> frozenset[str]:
    """A full page: Write (the form and the live progress) and the active tab; a named
    evaluation is always fetched, so a link to a missing one says so."""
    needs = TAB_NEEDS["write"] | TAB_NEEDS.get(active, frozenset())
    return needs | {"evaluation"} if named else needs


def still_running(loaded: PageData) -> bool:
    """The newest (or named) evaluation is not finished: the page must show it everywhere."""
    if loaded.evaluation is not None:
        return loaded.evaluation.get("status") in RUNNING
    return bool(loaded.history) and loaded.history[0].get("status") in RUNNING


@dataclass
class PageData:
    client: dict[str, Any]
    rubric: dict[str, Any] | None = None
    frameworks: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    history_total: int = 0
    evaluation: dict[str, Any] | None = None
    notices: list[str] = field(default_factory=list)
    page_view: str = ""  # named on the page, so the fragments it loads count with it

    def context(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "rubric": self.rubric,
            "frameworks": self.frameworks,
            "history": self.history,
            "history_total": self.history_total,
            "evaluation": self.evaluation,
            "notices": self.notices,
            "page_view": self.page_view,
        }


async def load(
    backend: Backend, needs: frozenset[str], evaluation_id: str | None = None
) -> PageData:
    """Session-bound data first (it may start the session), then the rest concurrently."""
    data = PageData(client=dict(DEFAULT_CLIENT), page_view=backend.page_view)
    latest_id = evaluation_id
    if "history" in needs or ("evaluation" in needs and evaluation_id is None):
        limit = HISTORY_LIMIT if "history" in needs else 1
        listing = await backend.get_with_session("/api/v1/evaluations", {"limit": limit})
        if listing.ok:
            data.history = list(listing.data["items"])
            data.history_total = int(listing.data["total"])
            if latest_id is None and data.history:
                latest_id = str(data.history[0]["id"])
        else:
            data.notices.append(_message(listing))
    wanted: dict[str, Any] = {"client": backend.public_get("/api/v1/config/client")}
    for name in ("rubric", "frameworks"):
        if name in needs:
            wanted[name] = backend.public_get(f"/api/v1/config/{name}")
    if "evaluation" in needs and latest_id is not None:
        wanted["evaluation"] = backend.get_with_session(f"/api/v1/evaluations/{latest_id}")
    results: list[ApiResult] = await asyncio.gather(*wanted.values())
    for name, result in zip(wanted, results, strict=True):
        if result.ok:
            if name == "client":
                data.client.update(result.data)
            else:
                setattr(data, name, result.data)
        elif not (name == "evaluation" and result.code == "NOT_FOUND"):
            data.notices.append(_message(result))
    return data


def _message(result: ApiResult) -> str:
    if result.errors:
        return str(result.errors[0].get("message") or _("The coach could not load this part."))
    return _("The coach could not load this part (status %(status)s).") % {"status": result.status}
