"""The dark theme in Debian's Chromium against a real `memoai serve` in login mode (slow
suite): it follows the system's preference, the header's switch (light / dark / system) is
remembered and applied before the page is drawn, and axe finds no contrast or other serious
violation on any tab, any Admin section or the sign-in page in the dark theme, at desktop and
phone sizes. Screenshots of the dark pages go to test-artifacts/screenshots/.

The light theme is the one every other browser suite runs axe in, at both sizes: the writer's
tabs (tests/web/test_browser.py), in Spanish with Debug (test_language_browser.py), the Admin
sections (test_admin_browser.py, test_language_admin_browser.py) and the sign-in and account
pages (test_auth_browser.py); this suite checks that the light theme is what a light system
preference gets, and does not pass axe over the same pages a second time.

Slow (about 40 s per size, mostly axe on some 17 pages): marked `slow` like the other browser
suites, and one server and one pair of evaluations serve every case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web import browser as b
from tests.web.test_auth_browser import PASSWORD, evaluate_memo, sign_in
from tests.web.test_browser import Watched

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)

DARK_BG, LIGHT_BG = "rgb(11, 18, 32)", "rgb(248, 250, 252)"
# Records the theme <html> carries when <body> first appears: set later, it would flash.
AT_BODY = """
window.__themeAtBody = "unset";
new MutationObserver((_, observer) => {
  if (document.body) {
    window.__themeAtBody = document.documentElement.getAttribute("data-theme");
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    data_dir = tmp_path_factory.mktemp("theme")
    with b.login_server(data_dir, PASSWORD, {"root": True}, DEBUG_MODE="true") as running:
        yield running


@pytest.fixture(scope="module")
def with_history(server: b.Server, chromium: Any) -> b.Server:
    """Two evaluations, so the Progress tab draws its charts."""
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    page = watched.page
    page.goto(server.url + "/login")
    sign_in(page, "root")
    for title in ("Intake pilot", "Intake pilot, again"):
        page.goto(server.url + "/")
        evaluate_memo(page, title)
    watched.close()
    return server


def background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def tabs(page: Any) -> list[str]:
    ids = page.locator(".tablist .tab").evaluate_all("els => els.map(e => e.id)")
    return [i.removeprefix("tab-") for i in ids]


def open_tab(page: Any, tab: str, phone: bool) -> None:
    if phone:
        page.select_option("#tab-select", tab)
    else:
        page.click(f"#tab-{tab}")
    expect(page.locator(f"#panel-{tab}")).to_be_visible()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_serious_accessibility_violations_in_the_dark_theme(
    with_history: b.Server,
    chromium: Any,
    viewport: str,
) -> None:
    phone = viewport == "phone"
    size = b.PHONE if phone else b.DESKTOP
    watched = Watched(chromium.new_context(viewport=size, bypass_csp=True, is_mobile=phone))
    page = watched.page
    page.emulate_media(color_scheme="dark")  # the system's preference; no choice made
    found: dict[str, Any] = {}
    page.goto(with_history.url + "/login")
    assert background(page) == DARK_BG
    found["sign-in"] = b.run_axe(page)
    sign_in(page, "root")
    expect(page.locator("#panel-write")).to_be_visible()
    names = tabs(page)
    assert {"write", "overall", "progress", "chat", "help", "debug", "admin"} <= set(names)
    for tab in names:
        open_tab(page, tab, phone)
        if tab == "progress":
            charts = page.locator("#panel-progress .chart-svg svg").locator("visible=true")
            expect(charts.first).to_be_visible()  # the wide or the phone drawing
        found[tab] = b.run_axe(page)
        b.screenshot(page, f"{viewport}-dark-{tab}")
    sections = page.locator(".admin-nav-button").all_inner_texts()
    assert len(sections) >= 4
    open_tab(page, "admin", phone)
    for label in sections:
        page.locator(".admin-nav-button", has_text=label).click()
        expect(page.locator("#admin-section-heading")).to_have_text(label)
        found[f"admin {label}"] = b.run_axe(page)
    watched.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_the_switch_is_remembered_and_drawn_without_a_flash(
    with_history: b.Server,
    chromium: Any,
) -> None:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    page = watched.page
    page.add_init_script(AT_BODY)
    page.emulate_media(color_scheme="dark")
    page.goto(with_history.url + "/login")
    switch = page.get_by_label("Theme")
    expect(switch).to_be_visible()
    expect(switch).to_have_value("system")
    assert background(page) == DARK_BG
    switch.select_option("light")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert background(page) == LIGHT_BG
    sign_in(page, "root")
    expect(page.locator("#tab-write")).to_be_visible()
    assert page.evaluate("window.__themeAtBody") == "light"  # set before the body was drawn
    assert background(page) == LIGHT_BG
    expect(page.get_by_label("Theme")).to_have_value("light")
    page.emulate_media(color_scheme="light")
    page.get_by_label("Theme").select_option("dark")
    assert background(page) == DARK_BG
    page.reload()
    assert page.evaluate("window.__themeAtBody") == "dark"
    assert background(page) == DARK_BG
    page.get_by_label("Theme").select_option("system")  # back to the system's light
    assert page.evaluate("document.documentElement.hasAttribute('data-theme')") is False
    assert background(page) == LIGHT_BG
    page.reload()
    assert page.evaluate("window.__themeAtBody") is None
    watched.close()
