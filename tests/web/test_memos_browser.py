"""My memos in Debian's Chromium against a real `memoai serve` (slow suite): the list, search,
pages, addresses that name an evaluation (and survive a reload), deleting one memo and all of
them after the offered downloads, at desktop and phone sizes, axe-clean, with screenshots.

Every page is watched for dialogs, script errors and console errors (a CSP violation is one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web import browser as b

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)
expect = playwright_api.expect

MEMO = (
    "To: Operations Committee\nFrom: Ann Lee\nSubject: {subject}\n\n"
    "We request $150,000 to pilot digital intake at Riverside clinic next quarter. Intake takes "
    "10 minutes per patient today. Risks: older patients may find tablets hard; staff help.\n\n"
    "Please approve the pilot by 30 June."
)
SIZES = {"desktop": b.DESKTOP, "phone": b.PHONE}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("memos")) as running:
        yield running


class Visitor:
    """A browser of its own (a session of its own) whose page problems are collected."""

    def __init__(self, chromium: Any, server: b.Server, size: str) -> None:
        self.server = server
        self.size = size
        self.context = chromium.new_context(viewport=SIZES[size], accept_downloads=True)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss())
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def submit(self, subject: str, title: str = "", revision_of: str = "") -> dict[str, Any]:
        """A memo sent as the page's own script would, with this browser's session."""
        csrf = next(c["value"] for c in self.context.cookies() if c["name"] == "memoai_csrf")
        body: dict[str, Any] = {"text_content": MEMO.format(subject=subject)}
        if title:
            body["title"] = title
        if revision_of:
            body["revision_of"] = revision_of
        response = self.page.request.post(
            self.server.url + "/api/v1/evaluations", data=body, headers={"X-CSRF-Token": csrf}
        )
        assert response.status == 201, response.text()
        data: dict[str, Any] = response.json()["data"]
        return data

    def clean(self, what: str) -> None:
        """No serious axe violation now, and a screenshot to look at."""
        assert b.run_axe(self.page) == [], what
        b.screenshot(self.page, f"memos-{self.size}-{what}")

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


@pytest.fixture(params=list(SIZES))
def visitor(request: pytest.FixtureRequest, chromium: Any, server: b.Server) -> Iterator[Visitor]:
    seen = Visitor(chromium, server, request.param)
    yield seen
    seen.close()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def open_memos(visitor: Visitor) -> Any:
    page = visitor.page
    if visitor.size == "phone":
        page.select_option("#tab-select", "memos")
    else:
        page.click("#tab-memos")
    expect(page.locator(".memos-view")).to_be_visible()
    return page


def test_history_search_pages_and_an_address_that_survives_a_reload(visitor: Visitor) -> None:
    visitor.goto("/")
    first = visitor.submit("Scanner pilot", title="Scanner pilot")
    visitor.submit("Scanner pilot, revised with figures", revision_of=first["id"])
    for n in range(11):
        visitor.submit(f"Topic {n}", title=f"Topic {n}")
    page = open_memos(visitor)
    expect(page.locator("#memos-status")).to_have_text("12 memos, page 1 of 2.")
    expect(page.locator(".memo-item")).to_have_count(10)
    expect(page.locator(".memo-title").first).to_have_text("Topic 10")
    assert no_horizontal_scroll(page)
    visitor.clean("list")

    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#memos-status")).to_have_text("12 memos, page 2 of 2.")
    expect(page.locator(".memo-title")).to_have_text(["Topic 0", "Scanner pilot"])
    expect(page.locator("#memos-count")).to_be_focused()
    scanner = page.locator(".memo-item").filter(has_text="Scanner pilot")
    expect(scanner.locator(".version-name")).to_have_text(["Version 2", "Version 1"])

    page.fill("#memos-q", "WITH FIGURES")
    page.keyboard.press("Enter")
    expect(page.locator("#memos-status")).to_have_text("1 memo matches “WITH FIGURES”.")
    expect(page.locator("#memos-q")).to_be_focused()
    expect(page.locator(".memo-title")).to_have_text(["Scanner pilot"])
    visitor.clean("search")

    # The first version, on the Detailed tab: the address names it.
    page.get_by_role("link", name="Detailed of version 1").click()
    assert f"evaluation={first['id']}" in page.url and "tab=detailed" in page.url
    expect(page.locator("#panel-detailed .eval-title")).to_have_text("Scanner pilot")
    expect(page.locator("#panel-detailed .memo-text")).not_to_contain_text("with figures")
    visitor.clean("deep-link-detailed")
    for tab in ("chat", "progress", "overall"):
        if visitor.size == "phone":
            page.select_option("#tab-select", tab)
        else:
            page.click(f"#tab-{tab}")
        assert f"evaluation={first['id']}" in page.url and f"tab={tab}" in page.url
    page.reload()
    expect(page.locator("#panel-overall")).to_be_visible()
    expect(page.locator("#panel-overall .eval-title")).to_have_text("Scanner pilot")
    pdf = page.locator("#panel-overall a[href^='/ui/export/pdf/']")
    expect(pdf).to_have_attribute("href", f"/ui/export/pdf/{first['id']}")  # not the newest
    if visitor.size == "phone":
        page.select_option("#tab-select", "chat")
    else:
        page.click("#tab-chat")
    expect(page.locator(".chat-about")).to_contain_text("Scanner pilot")
    if visitor.size == "phone":
        page.select_option("#tab-select", "progress")
    else:
        page.click("#tab-progress")
    expect(page.locator("#comparison-heading")).to_contain_text("Scanner pilot")
    if visitor.size == "desktop":
        visitor.clean("deep-link-progress")
    else:  # the Progress tab's own phone layout (its tables' scrolling) is issue 15's other part
        b.screenshot(page, "memos-phone-deep-link-progress")

    visitor.goto(f"/?evaluation={first['submission_id']}&tab=overall")  # not an evaluation id
    expect(page.locator(".notice")).to_contain_text("was not found")


def test_deleting_one_memo_after_the_offered_download(visitor: Visitor) -> None:
    visitor.goto("/")
    kept = visitor.submit("Parking", title="Parking plan")
    gone = visitor.submit("Scanner pilot", title="Scanner pilot")
    visitor.submit("Scanner pilot, revised", revision_of=gone["id"])
    page = open_memos(visitor)
    opener = page.get_by_role("button", name="Delete memo Scanner pilot")
    opener.click()
    dialog = page.locator(f"#delete-{gone['submission_id']}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("all 2 versions")
    visitor.clean("delete-one-dialog")
    with page.expect_download() as offered:
        dialog.get_by_role("link", name="PDF report of the latest version").click()
    assert offered.value.suggested_filename.endswith(".pdf")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    opener.click()
    dialog.get_by_role("button", name="Delete this memo").click()
    expect(page.locator(".notice")).to_contain_text("The memo was deleted")
    assert "deleted=" not in page.url and "tab=memos" in page.url  # a reload will not say it again
    expect(page.locator(".memo-title")).to_have_text(["Parking plan"])
    visitor.clean("deleted-one")
    page.goto(f"{visitor.server.url}/?evaluation={gone['id']}&tab=overall")
    expect(page.locator(".notice")).to_contain_text("was not found")
    page.goto(f"{visitor.server.url}/?evaluation={kept['id']}&tab=overall")
    expect(page.locator("#panel-overall .eval-title")).to_have_text("Parking plan")


def test_deleting_all_data_offers_the_export_first(visitor: Visitor) -> None:
    visitor.goto("/")
    visitor.submit("One", title="First memo")
    visitor.submit("Two", title="Second memo")
    page = open_memos(visitor)
    opener = page.get_by_role("button", name="Delete all my memos…")
    opener.click()
    dialog = page.locator("#delete-all")
    expect(dialog).to_be_visible()
    visitor.clean("delete-all-dialog")
    with page.expect_download() as offered:
        dialog.get_by_role("link", name="All your memos with their texts (JSON)").click()
    saved = offered.value.path().read_text(encoding="utf-8")
    assert "First memo" in saved and "Subject: Two" in saved  # titles and texts kept
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    expect(page.locator(".memo-item")).to_have_count(2)  # cancelling deleted nothing

    opener.click()
    dialog.get_by_role("button", name="Delete everything").click()
    expect(page.locator(".notice")).to_contain_text("All your memos were deleted")
    expect(page.locator("#panel-memos")).to_contain_text("No memos yet")
    visitor.clean("deleted-all")
    # The Overall tab is filled when first shown: no feedback is left there either.
    if visitor.size == "phone":
        page.select_option("#tab-select", "overall")
    else:
        page.click("#tab-overall")
    expect(page.locator("#panel-overall")).to_contain_text("No feedback yet")
    later = page.request.get(visitor.server.url + "/ui/export/history.json")
    assert later.status == 200
    assert not re.search("First memo|Second memo", later.text())


def test_a_tab_that_cannot_be_filled_says_why_and_tries_again(
    chromium: Any, server: b.Server
) -> None:
    """A tab filled on demand whose fill fails (an error status, a dropped connection) says so
    in place of "Loading…", never loads forever; shown again, it loads."""
    seen = Visitor(chromium, server, "desktop")
    page = seen.page
    try:
        seen.goto("/?tab=write")
        refused = []

        def once_refused(route: Any) -> None:
            if refused:
                route.continue_()
            else:
                refused.append(route.request.url)
                route.fulfill(status=502, body="Bad gateway")

        page.route("**/ui/tabs/help*", once_refused)
        page.click("#tab-help")
        state = page.locator("#panel-help .pending-state")
        expect(state).to_have_text(re.compile(r"could not be loaded .*status 502.* retry"))
        expect(page.locator("#panel-help")).not_to_have_attribute("aria-busy", "true")
        b.screenshot(page, "memos-desktop-tab-fill-failed")
        page.click("#tab-write")
        page.click("#tab-help")
        expect(page.locator("#howto-heading")).to_be_visible()
        assert len(refused) == 1
        page.unroute("**/ui/tabs/help*")
        page.route("**/ui/tabs/chat*", lambda route: route.abort("connectionreset"))
        page.click("#tab-chat")
        expect(page.locator("#panel-chat .pending-state")).to_contain_text(
            "the connection to the coach failed"
        )
        assert b.run_axe(page) == []
    finally:
        # What the browser and htmx log for the two failures this test causes; nothing else.
        expected = ("502", "ERR_CONNECTION_RESET", "htmx:afterRequest", "htmx:sendError")
        seen.problems = [p for p in seen.problems if not any(e in p for e in expected)]
        seen.close()


def test_a_downloaded_report_keeps_a_title_in_any_script(visitor: Visitor) -> None:
    """The page saves the PDF under the UTF-8 name the coach sends (RFC 6266 filename*), not
    the ASCII name beside it for old clients, which drops the Hebrew."""
    visitor.goto("/")
    evaluation = visitor.submit("Intake pilot", title="Pilot פיילוט")
    visitor.goto(f"/?evaluation={evaluation['id']}&tab=overall")
    link = visitor.page.locator("#panel-overall a[href^='/ui/export/pdf/']")
    expect(link).to_be_visible(timeout=20_000)
    with visitor.page.expect_download() as offered:
        link.click()
    assert offered.value.suggested_filename.startswith("memo-feedback-pilot-פיילוט-")
    assert offered.value.suggested_filename.endswith(".pdf")
