"""A full page renders its active tab (and Write); the others are placeholders that the page
fills from /ui/tabs/<id> when first shown, carrying the evaluation and filter its address names."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from memoai.evaluations.schemas import EvaluationCreate
from memoai.sessions.caller import Caller
from memoai.web.api_client import ApiResult, Backend
from tests.web.conftest import Site
from tests.web.dom import Node, parse
from tests.web.test_memos_pages import MEMO, api_submit

COMMENTED = (  # passive voice and a vague claim: the offline coach comments on them
    "To: Leadership Team\nFrom: Ann Lee\nSubject: Scheduling pilot\n\n"
    "We request $250,000 to fund a patient scheduling pilot. It was decided that the current "
    "system is inefficient. The pilot will reduce no-shows by 20% according to our 2024 data. "
    "Please approve by 30 June."
)
OTHERS = ("overall", "detailed", "progress", "chat", "memos", "help")


def pending_src(root: Node, tab: str) -> str | None:
    """The address a placeholder panel is filled from, or None when the panel is rendered."""
    found = [n for n in root.by_id(f"panel-{tab}").walk() if "data-tab-src" in n.attrs]
    return found[0].attrs["data-tab-src"] if found else None


@pytest.fixture
def api_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every session-bound API path the web app asks for."""
    seen: list[str] = []
    original = Backend.get_with_session

    async def spy(self: Backend, path: str, *args: Any, **kwargs: Any) -> ApiResult:
        seen.append(path)
        return await original(self, path, *args, **kwargs)

    monkeypatch.setattr(Backend, "get_with_session", spy)
    return seen


@pytest.mark.parametrize("active", ["write", "help", "memos", "chat"])
async def test_a_page_without_an_evaluation_tab_never_fetches_the_evaluation(
    site: Site, api_paths: list[str], active: str
) -> None:
    await site.open()
    done = await api_submit(site, "Lazy memo", title="Lazy memo")
    api_paths.clear()
    root = parse((await site.open(f"/?tab={active}")).text)
    assert not [p for p in api_paths if p.startswith("/api/v1/evaluations/")], api_paths
    assert pending_src(root, "write") is None  # the form and the live progress are always there
    assert root.by_id("memo-form")
    assert pending_src(root, active) is None
    assert not root.by_id(f"panel-{active}").has("hidden")
    for tab in OTHERS:
        if tab != active:
            assert pending_src(root, tab) == f"/ui/tabs/{tab}", tab
            assert root.by_id(f"panel-{tab}").has("hidden")
    # What the placeholder asks for is the tab the full page would have rendered.
    overall = await site.browser.get("/ui/tabs/overall")
    assert overall.status_code == 200 and "Lazy memo" in overall.text
    assert done["id"] in overall.text


async def test_the_active_evaluation_tab_is_rendered_and_the_rest_wait(site: Site) -> None:
    await site.open()
    await api_submit(site, "Rendered memo", title="Rendered memo")
    root = parse((await site.open("/?tab=detailed")).text)
    assert "Rendered memo" in root.by_id("panel-detailed").text
    assert root.by_id("memo-editor")  # editor.js sets itself up from it
    assert pending_src(root, "overall") == "/ui/tabs/overall"


async def test_placeholders_carry_the_named_evaluation_and_the_comment_filter(
    site: Site,
) -> None:
    await site.open()
    first = await api_submit(site, "First memo", title="First memo")
    await api_submit(site, "Second memo", title="Second memo")
    page = await site.open(f"/?evaluation={first['id']}&tab=write&kind=clarity&severity=must")
    root = parse(page.text)
    query = f"evaluation={first['id']}&kind=clarity&severity=must"
    assert pending_src(root, "detailed") == f"/ui/tabs/detailed?{query}"
    assert pending_src(root, "chat") == f"/ui/tabs/chat?{query}"

    detailed = parse((await site.browser.get(f"/ui/tabs/detailed?{query}")).text)
    assert "First memo" in detailed.text and "Second memo" not in detailed.text
    assert "kind clarity, severity must" in detailed.by_id("comment-filter-status").text
    chat = parse((await site.browser.get(f"/ui/tabs/chat?evaluation={first['id']}")).text)
    assert chat.by_id("chat-body").attrs["data-chat-src"] == (
        f"/ui/chat?evaluation_id={first['id']}"
    )
    progress = parse((await site.browser.get(f"/ui/tabs/progress?evaluation={first['id']}")).text)
    assert progress.by_id("progress-body").attrs["data-src"] == f"/ui/progress/of/{first['id']}"


async def test_a_missing_named_evaluation_is_said_and_not_passed_on(site: Site) -> None:
    await site.open()
    await api_submit(site, "Mine")
    root = parse((await site.open(f"/?evaluation={uuid.uuid4()}&tab=write")).text)
    assert "was not found" in root.text
    assert pending_src(root, "overall") == "/ui/tabs/overall"


async def test_a_reload_during_an_evaluation_renders_every_tab(site: Site) -> None:
    await site.open()
    token = site.browser.cookies.get("memoai_session")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.api), base_url="http://api"
    ) as api:
        session = await api.get("/api/v1/sessions/current", headers={"x-session-token": token})
    caller = Caller(session_id=uuid.UUID(session.json()["data"]["session_id"]))
    text = MEMO.format(subject="Still running")
    pending, _ = await site.api.state.flow.submit(caller, EvaluationCreate(text_content=text))
    root = parse((await site.open("/?tab=write")).text)
    assert all(pending_src(root, tab) is None for tab in OTHERS)
    assert "still working" in root.by_id("panel-write").text
    assert root.by_id("panel-overall").select("div", hx_get=f"/ui/evaluations/{pending.id}/panels")


async def test_the_progress_tab_counts_the_comments_of_the_evaluation_in_view(
    site: Site,
) -> None:
    await site.open()
    await api_submit(site, "Counted", title="Counted", text_content=COMMENTED)
    page = parse((await site.open("/?tab=progress")).text)
    fragment = parse((await site.browser.get("/ui/tabs/progress")).text)
    for root in (page, fragment):
        assert "addressed" in root.by_id("progress-comment-counts").text
