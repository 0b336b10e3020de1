"""Submit, revise, compare on the Progress tab and download the PDF, in Debian's Chromium
against a real `memoai serve` (slow suite; reuses the web suite's server and browser helpers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web import browser as b

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow

MEMO = (
    "To: Clinical Operations Committee\nFrom: Ann Lee, Practice Manager\n"
    "Subject: Funding a digital intake pilot\n\n"
    "Staff re-type every paper form, which takes around 10 minutes per patient. "
    "It was decided by the team that errors are too common.\n\n"
    "There is a risk that older patients will find the tablets difficult to use.\n\n"
    "We would like to pilot digital intake <script>alert('memo')</script> next quarter."
)
ASK = "We request $150,000 by 30 June to pilot digital intake at Riverside clinic."
REVISED = ASK + "\n\n" + MEMO


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("progress")) as running:
        yield running


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


def evaluate(page: Any, memo: str, title: str) -> None:
    page.fill("#memo-title", title)
    page.fill("#memo-text", memo)
    page.click("#submit-button")
    expect(page.locator("#tab-overall")).to_have_attribute("aria-selected", "true", timeout=20_000)
    expect(page.locator("#panel-overall .score-number")).to_be_visible()


def test_revise_compare_and_download_the_report(
    server: b.Server, chromium: Any, tmp_path: Path
) -> None:
    context = chromium.new_context(viewport=b.DESKTOP, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    try:
        page.goto(server.url)
        evaluate(page, MEMO, "Intake pilot")
        page.click("#tab-write")
        page.select_option("#revision-of", index=1)  # the memo just evaluated
        evaluate(page, REVISED, "Intake pilot, v2 <b>bold</b>")

        page.click("#tab-progress")
        body = page.locator("#progress-body")
        charts = body.locator("svg[role=img]:visible, svg[role=group]:visible")  # named points
        expect(charts).to_have_count(4, timeout=10_000)
        expect(body.locator("#chart-overall-title")).to_have_text("Overall score over time")
        expect(page.locator("#comparison-heading")).to_contain_text("versions compared")
        expect(body.locator(".diff ins").first).to_contain_text(ASK)
        expect(body.locator(".delta-table tbody tr").first).to_be_visible()
        expect(body.locator(".chain-title")).to_have_text("Intake pilot, v2 <b>bold</b>")
        expect(page.locator("#progress-status")).to_contain_text("2 evaluations")
        b.screenshot(page, "progress-desktop")
        assert b.run_axe(page) == []

        week = body.locator(".range-button", has_text="Last 7 days")
        week.click()
        expect(body.locator('.range-button[aria-pressed="true"]')).to_have_text("Last 7 days")
        expect(body.locator('.range-button[aria-pressed="true"]')).to_be_focused()

        page.click("#tab-overall")
        with page.expect_download() as info:
            page.click("#panel-overall a[href^='/ui/export/pdf/']")
        download = info.value
        assert download.suggested_filename.startswith("memo-feedback-intake-pilot-v2-")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF-")
        assert problems == []
    finally:
        context.close()
