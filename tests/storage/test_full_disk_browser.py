"""In Chromium, against a real `memoai serve` whose data volume (a 3 MiB tmpfs) fills up: the
memo and the chat question stay in their boxes, and the page says they were not saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.storage.support import MEMO, fill, small_volume
from tests.web import browser as b

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=20_000)
NOT_SAVED = "nothing you sent was saved"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=b.CHROMIUM, args=b.CHROMIUM_ARGS)
        context = browser.new_context(viewport=b.DESKTOP)
        problems: list[str] = []
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        yield page
        context.close()
        browser.close()
        assert problems == []


def test_a_full_disk_keeps_the_memo_and_the_question_in_their_boxes(
    tmp_path: Path, page: Any
) -> None:
    expect = playwright_api.expect
    volume = tmp_path / "volume"
    with small_volume(volume, "3m") as no_mount:
        if no_mount:
            pytest.skip(f"needs a small volume to fill: {no_mount}")
        with b.run_server("serve", volume) as server:
            page.goto(server.url)
            page.fill("#memo-text", MEMO)
            page.click("#submit-button")
            expect(page.locator("#tab-overall")).to_have_attribute("aria-selected", "true")
            page.click("#tab-chat")
            expect(page.locator("#chat-input")).to_be_visible()
            filler = fill(volume)
            try:
                page.click("#tab-write")
                memo = MEMO + "\n\nWritten while the disk is full."
                page.fill("#memo-text", memo)
                page.click("#submit-button")
                expect(page.locator("#panel-write")).to_contain_text(NOT_SAVED)
                expect(page.locator("#panel-write")).to_contain_text("DISK_FULL")
                expect(page.locator("#memo-text")).to_have_value(memo)

                page.click("#tab-chat")
                question = "What should I change first? " + "Please be specific. " * 30
                page.fill("#chat-input", question)
                page.click("#chat-send")
                expect(page.locator("#chat-error")).to_contain_text("DISK_FULL")
                expect(page.locator("#chat-input")).to_have_value(question)
            finally:
                filler.unlink()
