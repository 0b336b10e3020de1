"""A writer reloading 30 times a minute never meets a limit, in one process and as two
processes; past the limit the page says what was limited and when to try again, never that
the data is missing, and a download that is refused says why (slow suite: real Chromium).

The reads' limit is set to 35 a minute: a page load makes about six API calls, so 30 reloads
fit only if each page view counts once. Each test takes 15-20 s on a loaded machine: 30 and
more real page loads against a server of its own, whose counters no other test touches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web import browser as b
from tests.web.test_browser import Watched, expect, submit, wait_for_feedback

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
LIMITS = {"RATE_LIMIT_READS_PER_MINUTE": "35", "RATE_LIMIT_PER_MINUTE": "60"}
RELOADS = 30


class Limited(Watched):
    """Watched, except that the 429s these tests provoke are expected in the console."""

    def close(self) -> None:
        self.problems = [p for p in self.problems if "status of 429" not in p]
        super().close()


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Limited]:
    watched = Limited(chromium.new_context(viewport=b.DESKTOP))
    yield watched
    watched.close()


MISLEADING = ("No feedback yet", "may belong to another session", "not found")


def reload_often(page: Any, url: str) -> None:
    """RELOADS page views, each with the feedback and the Progress tab's charts loaded."""
    for number in range(RELOADS):
        response = page.goto(url + ("/?tab=overall" if number % 2 else "/?tab=progress"))
        assert response.status == 200, f"reload {number + 1}: {response.status}"
        if number % 2:
            expect(page.locator("#panel-overall .score-number")).to_be_visible()
        else:  # the Progress tab's fragment is loaded by the page: it counts with the view
            expect(page.locator("#progress-body .progress-view")).to_be_visible()
        text = page.locator("main").inner_text()
        assert not any(m in text for m in MISLEADING), f"reload {number + 1}: {text[:300]}"


def reload_until_limited(page: Any, url: str) -> Any:
    for _ in range(40):
        response = page.goto(url + "/?tab=overall")
        if response.status == 429:
            return response
    raise AssertionError("never limited: page views are not counted at all")


def says_it_is_limited(page: Any, response: Any) -> None:
    assert 1 <= int(response.headers["retry-after"]) <= 60
    text = page.locator("main").inner_text()
    assert "Too many requests just now" in text
    assert re.search(r"Too many page loads and reads: the limit is 35 a minute\. Try again in "
                     r"\d+ seconds?\.", text)  # fmt: skip
    assert "Nothing is lost" in text
    assert not any(m in text for m in MISLEADING)


def test_thirty_reloads_a_minute_in_one_process(tmp_path: Path, desktop: Limited) -> None:
    with b.run_server("serve", tmp_path / "one", **LIMITS) as server:
        page = desktop.page
        page.goto(server.url)
        submit(page)
        wait_for_feedback(page)
        reload_often(page, server.url)
        b.screenshot(page, "reloads-one-process-ok")

        # A second tab of the same browser keeps its page while the first spends the limit.
        other = desktop.context.new_page()
        other.goto(server.url + "/?tab=overall")
        pdf = other.locator("#panel-overall .eval-actions a[download]")
        expect(pdf).to_be_visible()

        limited = reload_until_limited(page, server.url)
        says_it_is_limited(page, limited)
        b.screenshot(page, "reloads-limited-page")

        pdf.click()  # the download is refused: the page says why, beside the link
        problem = other.locator("#panel-overall .download-problem")
        expect(problem).to_contain_text("The download failed: Too many page loads and reads")
        expect(problem).to_contain_text("Try again in")
        b.screenshot(other, "reloads-limited-download")
        other.close()


def test_thirty_reloads_a_minute_as_two_processes(tmp_path: Path, desktop: Limited) -> None:
    # The frontend is a proxy in front of the API: listed in its FORWARDED_ALLOW_IPS.
    with (
        b.run_server("api", tmp_path / "api", FORWARDED_ALLOW_IPS="127.0.0.1", **LIMITS) as api,
        b.run_server("web", tmp_path / "web", BACKEND_URL=api.url) as web,
    ):
        page = desktop.page
        page.goto(web.url)
        submit(page)
        wait_for_feedback(page)
        reload_often(page, web.url)
        says_it_is_limited(page, reload_until_limited(page, web.url))


def test_a_limited_fragment_says_so_in_place(tmp_path: Path, desktop: Limited) -> None:
    """The Progress tab's fragment refused: the tab says it was limited, not 'no data'."""
    with b.run_server("serve", tmp_path / "frag", **LIMITS) as server:
        page = desktop.page
        page.goto(server.url + "/?tab=progress")
        expect(page.locator("#progress-body .progress-toolbar")).to_be_visible()
        cookies = {c["name"]: c["value"] for c in desktop.context.cookies()}
        with httpx.Client(base_url=server.url, cookies=cookies) as same_browser:
            for _ in range(60):  # the same session reads the API directly until it is limited
                if same_browser.get("/api/v1/evaluations").status_code == 429:
                    break
        alert = page.locator("#progress-body .alert-limited")
        # This page view's calls ride on its first count for a while, then count again.
        answered = page.locator("#progress-body .progress-view, #progress-body .alert-limited")
        for _ in range(20):
            if alert.count():
                break
            try:  # the alert may replace the toolbar just after the last check
                page.locator(".range-button[aria-pressed='false']").first.click(timeout=3000)
            except PlaywrightTimeout:
                continue
            expect(answered).to_be_visible()  # a view or the alert, never nothing
        expect(alert).to_contain_text("Too many requests just now")
        expect(alert).to_contain_text("Try again in")
        assert "No finished evaluations" not in page.locator("#progress-body").inner_text()
        b.screenshot(page, "reloads-limited-fragment")
