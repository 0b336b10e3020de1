"""The web interface in Debian's Chromium against real `memoai` processes (slow suite).

Every page is watched for dialogs, script errors and console errors (a Content-Security-
Policy violation is a console error), so none may happen anywhere in the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_server import AnthropicFake
from tests.fakes.common import build_answer, delay, malformed, ok
from tests.web import browser as b
from tests.web.samples import XSS_MEMO, XSS_TITLE, config_data

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
# Generous waits: CI machines under load are slow, and a passing expectation returns at once.
playwright_api.expect.set_options(timeout=15_000)

MEMO = (
    "To: Clinical Operations Committee\nFrom: Ann Lee, Practice Manager\n"
    "Subject: Funding a digital intake pilot\n\n"
    "Staff re-type every paper form, which takes around 10 minutes per patient. "
    "It was decided by the team that errors are too common.\n\n"
    "We request $150,000 to pilot digital intake at Riverside clinic next quarter. "
    "There is a risk that older patients will find the tablets difficult to use.\n\n"
    "Please approve the pilot by 30 June."
)
QUOTE = "It was decided by the team that errors are too common."
TABS = ("write", "overall", "detailed", "progress", "chat", "help", "debug")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("offline"), DEBUG_MODE="true") as server:
        yield server


@pytest.fixture(scope="module")
def claude_fake() -> Iterator[AnthropicFake]:
    criteria = [c["id"] for c in config_data()["rubric"]["criteria"]]
    answer = build_answer(criteria) | {
        "segment_feedback": [
            {
                "segment": QUOTE,
                "comment": "Say who decided.",
                "questions": ["Who?"],
                "suggestion": "Name the team.",
            }
        ]
    }
    fake = AnthropicFake(api_key=None)
    fake.default = lambda body: delay(0.6, ok(answer))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def claude(
    tmp_path_factory: pytest.TempPathFactory, claude_fake: AnthropicFake
) -> Iterator[b.Server]:
    env = {
        "LLM_PROVIDER": "claude",
        "CLAUDE_API_KEY": "x",
        "LLM_BASE_URL": claude_fake.url,
        "LLM_MODEL": "claude-fake",
        "LLM_MAX_RETRIES": "0",
        "LLM_TIMEOUT_SECONDS": "10",
    }
    with b.run_server("serve", tmp_path_factory.mktemp("claude"), **env) as server:
        yield server


class Watched:
    """A page whose dialogs, page errors and console errors are collected for asserting."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss())
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"),
        )
        self.page.add_init_script(b.LIVE_RECORDER)

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Watched]:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    yield watched
    watched.close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Watched]:
    watched = Watched(chromium.new_context(viewport=b.PHONE, is_mobile=True, has_touch=True))
    yield watched
    watched.close()


# --- helpers --------------------------------------------------------------------------------


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


def submit(page: Any, memo: str = MEMO, title: str = "Intake pilot") -> None:
    page.fill("#memo-title", title)
    page.fill("#memo-text", memo)
    page.click("#submit-button")


def wait_for_feedback(page: Any) -> None:
    expect(page.locator("#tab-overall")).to_have_attribute("aria-selected", "true", timeout=20_000)
    expect(page.locator("#panel-overall .score-number")).to_be_visible()


def open_tab(page: Any, tab: str) -> None:
    page.click(f"#tab-{tab}")
    expect(page.locator(f"#panel-{tab}")).to_be_visible()


def follow_segment(page: Any) -> None:
    """A comment's quote leads to its passage in the memo, and back."""
    open_tab(page, "detailed")
    quote = page.locator(".comment-quote").first
    target = quote.get_attribute("data-jump")
    quote.click()
    mark = page.locator(f"#{target}")
    expect(mark).to_be_focused()
    expect(mark).to_have_class("seg is-active")
    expect(mark).to_be_in_viewport()
    mark.locator(".seg-num").click()  # a passage may wrap over lines; its number does not
    comment = page.locator(f"#{mark.get_attribute('data-jump')}")
    expect(comment).to_be_focused()
    expect(comment).to_have_class("comment is-active")


# --- journeys -------------------------------------------------------------------------------


def test_whole_journey_with_the_offline_analysis(offline: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(offline.url)
    expect(page.locator("#panel-write")).to_be_visible()
    expect(page.locator("#tab-write")).to_have_attribute("aria-selected", "true")
    b.screenshot(page, "desktop-write-empty")
    submit(page)
    expect(page.locator("#live")).to_be_visible()
    wait_for_feedback(page)
    shown = "\n".join(page.evaluate("window.__live"))
    assert "reading it against the rubric" in shown  # the status line followed the stream
    assert "Scored 3 of 6 criteria so far" in shown and "Criteria scored" in shown
    assert "Feedback ready" in page.locator("#live-status").inner_text()
    overall = page.locator("#panel-overall")
    expect(overall.locator(".badge-offline").first).to_have_text("offline analysis")
    criteria = config_data()["rubric"]["criteria"]
    expect(overall.locator(".rubric-table tbody tr")).to_have_count(len(criteria))
    expect(overall.locator(".points-good li").first).to_be_visible()
    for tab in TABS:
        open_tab(page, tab)
        b.screenshot(page, f"desktop-{tab}")
    open_tab(page, "overall")
    page.click("#panel-overall .score-card .info-button")
    expect(page.locator("#info-score")).to_be_visible()
    page.screenshot(path=str(b.SCREENSHOTS / "desktop-overall-info.png"))
    follow_segment(page)
    open_tab(page, "help")
    expect(page.locator(f"#criterion-{criteria[0]['id']}")).to_be_visible()
    page.reload()  # a new visit in the same browser shows the latest evaluation and the draft
    expect(page.locator("#panel-help")).to_be_visible()
    open_tab(page, "overall")
    expect(page.locator("#panel-overall .eval-title")).to_have_text("Intake pilot")
    open_tab(page, "write")
    expect(page.locator("#memo-text")).to_have_value(MEMO)


def test_whole_journey_with_a_streaming_model(claude: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(claude.url)
    submit(page)
    current = page.locator("#live-body .stage-current")
    expect(current).to_contain_text("Reading it against the rubric")  # the model is thinking
    b.screenshot(page, "desktop-write-progress")
    wait_for_feedback(page)
    shown = "\n".join(page.evaluate("window.__live"))
    assert "Criteria scored" in shown and "Strengths so far" in shown
    expect(page.locator("#panel-overall .badge").first).to_have_text("Claude (claude-fake)")
    expect(page.locator("#panel-overall")).not_to_contain_text("offline analysis")
    follow_segment(page)
    open_tab(page, "help")
    expect(page.locator("#panel-help .criterion").first).to_be_visible()


def test_a_failed_evaluation_keeps_the_text_and_can_be_retried(
    claude: b.Server, claude_fake: AnthropicFake, desktop: Watched
) -> None:
    page = desktop.page
    page.goto(claude.url)
    claude_fake.push(malformed(), malformed())  # the answer and its repair are both unusable
    memo = MEMO + "\n\nA retry memo."
    submit(page, memo)
    retry = page.locator("#live-body [data-retry]")
    expect(retry).to_be_focused(timeout=20_000)
    expect(page.locator("#live-body")).to_contain_text("LLM_BAD_OUTPUT")
    expect(page.locator("#live-status")).to_contain_text("failed")
    expect(page.locator("#memo-text")).to_have_value(memo)
    b.screenshot(page, "desktop-write-failed")
    retry.click()
    wait_for_feedback(page)
    expect(page.locator("#memo-text")).to_have_value(memo)


def test_a_reload_during_an_evaluation_shows_its_result_when_ready(
    claude: b.Server, claude_fake: AnthropicFake, desktop: Watched
) -> None:
    page = desktop.page
    page.goto(claude.url)
    slow = claude_fake.default({})
    claude_fake.push(delay(2.5, slow.then))
    submit(page, MEMO + "\n\nA slow one.", "Slow memo")
    expect(page.locator("#live-body .stage-current")).to_contain_text("against the rubric")
    page.goto(claude.url + "/?tab=overall")  # the evaluation goes on without the page
    expect(page.locator("#panel-overall .running")).to_contain_text("still working")
    expect(page.locator("#panel-overall .score-number")).to_be_visible()  # polled in
    expect(page.locator("#panel-overall .eval-title")).to_have_text("Slow memo")
    expect(page.locator("#panel-detailed .seg")).to_have_count(1)


def test_markup_in_memo_and_title_is_shown_as_text(offline: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(offline.url)
    memo = XSS_MEMO + '\n<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    submit(page, memo, XSS_TITLE)
    wait_for_feedback(page)
    expect(page.locator("#panel-overall .eval-title")).to_have_text(XSS_TITLE)
    open_tab(page, "detailed")
    expect(page.locator("#panel-detailed .memo-text")).to_contain_text("<script>window.__pwned=2")
    page.reload()
    open_tab(page, "write")
    expect(page.locator("#revision-of option").nth(1)).to_contain_text("<script>alert")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main img, main script").count() == 0


# --- keyboard, phone, accessibility ---------------------------------------------------------


def focused(page: Any, attribute: str) -> str | None:
    return page.evaluate(f"document.activeElement.getAttribute('{attribute}')")


def test_keyboard_only(offline: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(offline.url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(6):
        page.keyboard.press("Tab")
        if focused(page, "role") == "tab":
            break
    assert focused(page, "id") == "tab-write"
    page.keyboard.press("ArrowRight")
    assert focused(page, "id") == "tab-overall"
    expect(page.locator("#panel-overall")).to_be_visible()
    expect(page.locator("#panel-write")).to_be_hidden()
    page.keyboard.press("End")
    assert focused(page, "id") == f"tab-{TABS[-1]}"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowLeft")  # wraps around
    assert focused(page, "id") == f"tab-{TABS[-1]}"
    page.keyboard.press("Home")
    page.keyboard.press("Tab")  # into the panel, then on to its information bubble
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('info-button')"):
            break
    bubble = page.locator("#info-write")
    page.keyboard.press("Enter")
    expect(bubble).to_be_visible()
    assert focused(page, "aria-expanded") == "true"
    page.keyboard.press("Escape")
    expect(bubble).to_be_hidden()
    assert focused(page, "aria-controls") == "info-write"
    page.keyboard.press("Space")
    expect(bubble).to_be_visible()
    page.keyboard.press("Space")
    expect(bubble).to_be_hidden()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_phone_viewport(offline: b.Server, phone: Watched) -> None:
    page = phone.page
    page.goto(offline.url)
    expect(page.locator(".tablist")).to_be_hidden()
    menu = page.locator("#tab-select")
    expect(menu).to_be_visible()
    b.screenshot(page, "phone-write-empty")
    submit(page)
    wait_for_feedback(page)
    for tab in TABS:
        menu.select_option(tab)
        expect(page.locator(f"#panel-{tab}")).to_be_visible()
        b.screenshot(page, f"phone-{tab}")
        assert no_horizontal_scroll(page), tab
        page.locator(f"#panel-{tab} .info-button").first.click()
        expect(page.locator(f"#panel-{tab} .info-popover").first).to_be_in_viewport()
        assert no_horizontal_scroll(page), tab
        if tab == "overall":
            page.screenshot(path=str(b.SCREENSHOTS / "phone-overall-info.png"))
        page.keyboard.press("Escape")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_serious_accessibility_violations_on_any_tab(
    offline: b.Server, chromium: Any, viewport: str
) -> None:
    size = b.DESKTOP if viewport == "desktop" else b.PHONE
    watched = Watched(chromium.new_context(viewport=size, bypass_csp=True))
    page = watched.page
    page.goto(offline.url)
    if page.locator("#panel-overall .score-number").count() == 0:
        submit(page)
        wait_for_feedback(page)
    found: dict[str, Any] = {}
    for tab in TABS:
        if viewport == "phone":
            page.select_option("#tab-select", tab)
        else:
            open_tab(page, tab)
        page.locator(f"#panel-{tab} .info-button").first.click()  # with a bubble open, too
        found[tab] = b.run_axe(page)
        page.keyboard.press("Escape")
    watched.close()
    assert {tab: v for tab, v in found.items() if v} == {}


# --- two processes ---------------------------------------------------------------------------


def test_frontend_and_backend_as_two_processes(tmp_path: Path, desktop: Watched) -> None:
    with (
        b.run_server("api", tmp_path / "api") as api,
        b.run_server("web", tmp_path / "web", BACKEND_URL=api.url) as web,
    ):
        page = desktop.page
        page.goto(web.url)
        submit(page)
        wait_for_feedback(page)
        expect(page.locator("#panel-overall .badge-offline").first).to_be_visible()
        follow_segment(page)
