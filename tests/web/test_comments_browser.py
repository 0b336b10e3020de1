"""Marking comments in the Detailed tab, in Debian's Chromium against a real `memoai serve`
(slow suite: one server start and a browser, about 20 s): kinds and severities shown, a
comment marked done and dismissed by keyboard alone, the counts, filtering by kind and
severity, the report on the next version, axe-clean at desktop and phone sizes, with
screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.evaluations.test_comments import V1, V2
from tests.web import browser as b

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)
expect = playwright_api.expect


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("comments")) as running:
        yield running


def submit(page: Any, context: Any, server: b.Server, text: str, **extra: str) -> dict[str, Any]:
    """A memo sent as the page's own script would, with this browser's session."""
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "memoai_csrf")
    response = page.request.post(
        server.url + "/api/v1/evaluations",
        data={"text_content": text, **extra},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status == 201, response.text()
    data: dict[str, Any] = response.json()["data"]
    return data


def press(page: Any, name: str) -> None:
    """Reach a button by Tab from the control before it and press it with Enter."""
    button = page.get_by_role("button", name=name)
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_mark_comments_and_see_the_next_versions_report(
    chromium: Any, server: b.Server, size: str
) -> None:
    sizes = {"desktop": b.DESKTOP, "phone": b.PHONE}
    context = chromium.new_context(viewport=sizes[size])
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    try:
        page.goto(server.url + "/")
        first = submit(page, context, server, V1)
        page.goto(f"{server.url}/?evaluation={first['id']}&tab=detailed")
        panel = page.locator("#panel-detailed")
        expect(panel.locator("#comment-counts")).to_have_text("0 of 3 comments addressed")
        first_comment = panel.locator("#comment-0")
        expect(first_comment.locator(".comment-tags")).to_contain_text("Clarity")
        expect(first_comment.locator(".comment-tags")).to_contain_text("could")
        assert b.run_axe(page) == []

        press(page, "Mark comment 1 done")
        page.wait_for_url("**tab=detailed**")
        expect(panel.locator("#comment-counts")).to_have_text(
            "1 of 3 comments addressed (1 done, 0 dismissed)"
        )
        expect(first_comment.locator(".comment-tags")).to_contain_text("Done")
        press(page, "Dismiss comment 3")
        expect(panel.locator("#comment-counts")).to_have_text(
            "2 of 3 comments addressed (1 done, 1 dismissed)"
        )
        expect(page.get_by_role("button", name="Reopen comment 3")).to_be_visible()
        assert b.run_axe(page) == []
        b.screenshot(page, f"comments-{size}-marked")

        page.get_by_label("Kind").select_option("evidence")  # Evidence (1)
        press(page, "Filter")
        expect(panel.locator("#comment-filter-status")).to_have_text(
            "Showing 1 of 3 comments, kind evidence. Show all comments"
        )
        expect(panel.locator(".comment-list > li")).to_have_count(1)
        expect(panel.locator("#comment-1 .comment-tags")).to_contain_text("Evidence")
        assert "kind=evidence" in page.url  # bookmarkable, and it survives a reload
        assert b.run_axe(page) == []
        page.get_by_label("Severity").select_option("must")
        press(page, "Filter")
        expect(panel.locator(".comment-list > li")).to_have_count(0)
        page.get_by_role("link", name="Show all comments").click()
        expect(panel.locator(".comment-list > li")).to_have_count(3)

        second = submit(page, context, server, V2, revision_of=first["id"])
        page.goto(f"{server.url}/?evaluation={second['id']}&tab=detailed")
        expect(panel.locator("#earlier-comments-summary")).to_have_text(
            "1 of 3 comments on the previous version addressed by the rule; you marked 1 done."
        )
        earlier = panel.locator(".earlier-comments li")
        expect(earlier).to_have_count(3)
        expect(earlier.first).to_contain_text("Addressed by the rule: the passage changed")
        expect(earlier.first).to_contain_text("Your mark: done")
        assert b.run_axe(page) == []
        b.screenshot(page, f"comments-{size}-next-version")
        assert problems == []
    finally:
        context.close()
