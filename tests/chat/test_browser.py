"""The Chat tab in Debian's Chromium against real `memoai serve` processes (slow suite).

Pages are watched for dialogs, script errors and console errors (CSP violations included).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.anthropic_server import CHAT_REPLY, AnthropicFake
from tests.fakes.common import Behaviour, build_answer, ok, trickle
from tests.web import browser as b
from tests.web.samples import config_data
from tests.web.test_browser import (
    Watched,
    expect,
    open_tab,
    submit,
    wait_for_feedback,
)

pytestmark = pytest.mark.slow
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("chat-offline")) as server:
        yield server


@pytest.fixture(scope="module")
def claude(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    """A streaming model: evaluations at once, chat replies that take their time."""
    answer = build_answer([c["id"] for c in config_data()["rubric"]["criteria"]])

    def behave(body: dict[str, Any]) -> Behaviour:
        return ok(answer) if body.get("tools") else trickle(1.0, interval=0.3)

    fake = AnthropicFake(api_key=None, default=behave).start()
    env = {
        "LLM_PROVIDER": "claude",
        "CLAUDE_API_KEY": "x",
        "LLM_BASE_URL": fake.url,
        "LLM_MODEL": "claude-fake",
        "LLM_MAX_RETRIES": "0",
    }
    try:
        with b.run_server("serve", tmp_path_factory.mktemp("chat-claude"), **env) as server:
            yield server
    finally:
        fake.stop()


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Watched]:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    yield watched
    watched.close()


def chat_on_fresh_feedback(watched: Watched, server: b.Server) -> Any:
    """Evaluate the sample memo, then open the Chat tab about it."""
    page = watched.page
    page.goto(server.url)
    submit(page)
    wait_for_feedback(page)
    open_tab(page, "chat")
    return page


def test_chat_with_the_offline_analysis_is_kept_and_shows_markup_as_text(
    offline: b.Server, desktop: Watched
) -> None:
    page = chat_on_fresh_feedback(desktop, offline)
    starter = page.locator("#chat-body [data-chat-ask]").first
    expect(starter).to_have_text(re.compile(r"^Why did I get \d on .+\?$"))
    question = starter.inner_text()
    starter.click()
    messages = page.locator("#chat-messages > li")
    expect(messages).to_have_count(2, timeout=15_000)
    expect(messages.nth(0)).to_contain_text(question)
    reply = messages.nth(1)
    expect(reply.locator(".chat-text")).to_contain_text("not an AI model")
    expect(reply.locator(".badge-offline")).to_have_text("offline analysis")
    expect(page.locator("#chat-status")).to_have_text("The coach answered.")
    b.screenshot(page, "desktop-chat")
    assert b.run_axe(page) == []

    page.fill("#chat-input", f"Is {XSS} a problem?")
    page.press("#chat-input", "Enter")  # Enter sends from the keyboard
    expect(messages).to_have_count(4, timeout=15_000)
    expect(messages.nth(2).locator(".chat-text")).to_have_text(f"Is {XSS} a problem?")
    expect(page.locator("#chat-input")).to_have_value("")

    page.reload()  # history is kept across visits; the Chat tab is still the one shown
    expect(page.locator("#panel-chat")).to_be_visible()
    expect(messages).to_have_count(4)
    expect(messages.nth(0)).to_contain_text(question)
    expect(messages.nth(2).locator(".chat-text")).to_have_text(f"Is {XSS} a problem?")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#panel-chat img, #panel-chat script").count() == 0


def test_the_typing_indicator_shows_while_a_model_reply_streams(
    claude: b.Server, desktop: Watched
) -> None:
    page = chat_on_fresh_feedback(desktop, claude)
    page.click("#chat-body [data-chat-ask='How do I rewrite my opening?']")
    pending = page.locator("#chat-messages .chat-pending")
    expect(pending.locator(".typing-dots")).to_be_visible()
    expect(page.locator("#chat-status")).to_have_text("The coach is typing…")
    expect(pending.locator(".chat-text")).to_contain_text(CHAT_REPLY[:10])  # part of it...
    b.screenshot(page, "desktop-chat-streaming")
    reply = page.locator("#chat-messages > li").nth(1)
    expect(reply.locator(".chat-text")).to_have_text(CHAT_REPLY)  # ...then all of it
    expect(pending).to_have_count(0)
    expect(reply.locator(".badge")).to_have_text("Claude (claude-fake)")
    expect(page.locator("#chat-send")).to_be_enabled()
