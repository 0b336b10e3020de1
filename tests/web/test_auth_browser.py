"""Signing in, out and staying signed in, in Debian's Chromium against a real `memoai serve`
in login mode (slow suite). Pages are watched for dialogs, script and console errors (a CSP
violation is a console error), as in the main browser suite."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web import browser as b
from tests.web.test_browser import MEMO, Watched, no_horizontal_scroll

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)

PASSWORD = "quiet-harbour-lantern-42"
USERS = {"ann": "Ann Example", "bob": "Bob Example", "cy": "Cy Locked", "root": "Root Admin"}


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    data_dir = tmp_path_factory.mktemp("login")
    env = {"AUTH_ENABLED": "true", "JWT_SECRET_KEY": "j" * 40, "BCRYPT_ROUNDS": "4"}
    with b.run_server("serve", data_dir, **env) as running:
        secret = data_dir / "password.txt"
        secret.write_text(PASSWORD + "\n")
        for name, display in USERS.items():
            command = [b.MEMOAI, "users", "create", name, "--display-name", display]
            command += ["--password-file", str(secret)] + (["--admin"] if name == "root" else [])
            subprocess.run(command, env=running.env, cwd=data_dir, check=True, capture_output=True)
        yield running


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Watched]:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    yield watched
    watched.close()


def sign_in(page: Any, name: str, password: str = PASSWORD) -> None:
    page.fill("#username", name)
    page.fill("#password", password)
    page.click(".auth-submit")


def open_menu(page: Any) -> Any:
    page.click(".account-button")
    panel = page.locator(".account-panel")
    expect(panel).to_be_visible()
    return panel


def evaluate_memo(page: Any, title: str) -> None:
    page.fill("#memo-title", title)
    page.fill("#memo-text", f"{MEMO}\n\n{title}")  # a new text: not reused from another memo
    page.click("#submit-button")
    expect(page.locator("#tab-overall")).to_have_attribute("aria-selected", "true", timeout=20_000)
    expect(page.locator("#panel-overall .eval-title")).to_have_text(title)


def test_login_after_a_wrong_password_returns_where_the_visitor_was_going(
    server: b.Server, desktop: Watched
) -> None:
    page = desktop.page
    page.goto(server.url + "/?tab=progress")
    expect(page).to_have_url(server.url + "/login?next=%2F%3Ftab%3Dprogress")
    expect(page.locator("#username")).to_be_focused()
    b.screenshot(page, "desktop-login")
    sign_in(page, "ann", "not-the-password")
    errors = page.locator("#login-errors")
    expect(errors).to_contain_text("Wrong username or password.")
    expect(errors).to_be_focused()
    expect(page.locator("#username")).to_have_value("ann")
    expect(page.locator("#password")).to_have_value("")
    b.screenshot(page, "desktop-login-wrong-password")
    sign_in(page, "ann")
    expect(page).to_have_url(server.url + "/?tab=progress")
    expect(page.locator("#panel-progress")).to_be_visible()
    expect(page.locator(".account-name")).to_have_text("Ann Example")
    expect(page.locator("#tab-admin")).to_have_count(0)
    panel = open_menu(page)
    expect(panel).to_contain_text("Signed in as ann")
    b.screenshot(page, "desktop-user-menu")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_lockout_says_how_long_to_wait(server: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(server.url + "/login")
    for _ in range(5):
        sign_in(page, "cy", "not-the-password")
    sign_in(page, "cy")  # the right password does not open a locked account
    errors = page.locator("#login-errors")
    expect(errors).to_contain_text("locked")
    expect(errors).to_contain_text("15 minutes")
    expect(errors).to_contain_text(re.compile(r"after \d\d:\d\d UTC"))
    b.screenshot(page, "desktop-login-locked")


def test_logout_leaves_nothing_private_behind(server: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(server.url)
    sign_in(page, "ann")
    evaluate_memo(page, "Ann's private memo")
    open_menu(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url + "/login?reason=signed_out")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('memoai.'))") == []
    page.go_back()  # the page is not kept: asked again, it is the login page
    expect(page).to_have_url(re.compile(re.escape(server.url + "/login?next=")))
    expect(page.locator("#login-heading")).to_be_visible()
    assert "private memo" not in page.content()
    page.goto(server.url + "/?tab=overall")
    expect(page.locator("#login-heading")).to_be_visible()
    assert "private memo" not in page.content()


def test_two_users_in_two_browsers_never_see_each_others_work(
    server: b.Server,
    chromium: Any,
) -> None:
    ann = Watched(chromium.new_context(viewport=b.DESKTOP))
    bob = Watched(chromium.new_context(viewport=b.DESKTOP))
    for watched, name in ((ann, "ann"), (bob, "bob")):
        watched.page.goto(server.url)
        sign_in(watched.page, name)
        expect(watched.page.locator(".account-name")).to_have_text(USERS[name])
    evaluate_memo(ann.page, "Ann's budget memo")
    evaluate_memo(bob.page, "Bob's hiring memo")
    for watched, theirs in ((ann, "Bob's hiring memo"), (bob, "Ann's budget memo")):
        watched.page.reload()
        for tab in ("write", "overall", "progress"):
            watched.page.click(f"#tab-{tab}")
            expect(watched.page.locator(f"#panel-{tab}")).to_be_visible()
        assert theirs not in watched.page.content()
    ann.close()
    bob.close()


def test_keyboard_only_sign_in_and_menu(server: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(server.url)
    expect(page.locator("#username")).to_be_focused()  # the first field, ready to type
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".account-name")).to_have_text("Ann Example")
    # The skip link, the brand, the theme and language switches, then the account menu.
    page.keyboard.press("Tab")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('account-button')"):
            break
    page.keyboard.press("Enter")
    expect(page.locator(".account-panel")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Change password"
    page.keyboard.press("Escape")
    expect(page.locator(".account-panel")).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('account-button')")


def test_admins_see_the_admin_tab(server: b.Server, desktop: Watched) -> None:
    page = desktop.page
    page.goto(server.url)
    sign_in(page, "root")
    page.click("#tab-admin")
    expect(page.locator("#admin-section-heading")).to_have_text("Configuration")


def test_a_warning_before_the_session_ends_and_staying_signed_in(
    server: b.Server, desktop: Watched
) -> None:
    page = desktop.page
    page.clock.install()
    page.goto(server.url)
    sign_in(page, "ann")
    expect(page.locator(".account-name")).to_have_text("Ann Example")
    page.fill("#memo-text", "A draft I am still writing.")
    page.clock.fast_forward("57:30")  # SESSION_TIMEOUT is an hour; nothing happened since
    warning = page.get_by_role("alertdialog", name="Your session is about to end")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("01:00")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    b.screenshot(page, "desktop-session-warning")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    expect(page.locator("#memo-text")).to_have_value("A draft I am still writing.")
    page.clock.fast_forward("57:00")  # the session was renewed: no warning yet
    expect(warning).to_be_hidden()
    page.clock.fast_forward("02:00")
    expect(warning).to_be_visible()
    page.clock.fast_forward("03:00")  # ignored: signed out, and told why
    expect(page).to_have_url(server.url + "/login?reason=idle")
    expect(page.get_by_role("status")).to_contain_text("period without activity")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_login_and_account_pages_have_no_serious_accessibility_violations(
    server: b.Server,
    chromium: Any,
    viewport: str,
) -> None:
    size = b.DESKTOP if viewport == "desktop" else b.PHONE
    watched = Watched(chromium.new_context(viewport=size, bypass_csp=True))
    page = watched.page
    found: dict[str, Any] = {}
    page.goto(server.url + "/login")
    found["login"] = b.run_axe(page)
    sign_in(page, "bob", "not-the-password")
    expect(page.locator("#login-errors")).to_be_visible()
    found["login-error"] = b.run_axe(page)
    page.goto(server.url + "/help")
    found["help"] = b.run_axe(page)
    page.goto(server.url + "/login")
    sign_in(page, "bob")
    open_menu(page)
    found["menu"] = b.run_axe(page)
    page.goto(server.url + "/account/password")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "short")
    page.fill("#confirm_password", "short")
    page.click(".auth-submit")
    expect(page.locator("#new_password-error")).to_contain_text("at least 12 characters")
    found["password-error"] = b.run_axe(page)
    watched.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_phone_login_and_menu(server: b.Server, chromium: Any) -> None:
    watched = Watched(chromium.new_context(viewport=b.PHONE, is_mobile=True, has_touch=True))
    page = watched.page
    page.goto(server.url)
    expect(page.locator("#username")).to_be_visible()
    assert no_horizontal_scroll(page)
    b.screenshot(page, "phone-login")
    sign_in(page, "ann", "not-the-password")
    expect(page.locator("#login-errors")).to_be_visible()
    b.screenshot(page, "phone-login-wrong-password")
    sign_in(page, "ann")
    expect(page.locator(".account-name")).to_have_text("Ann Example")
    open_menu(page)
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(b.SCREENSHOTS / "phone-user-menu.png"))
    watched.close()
