"""The Admin tab in Debian's Chromium against a real `memoai serve` in login mode (slow
suite): an admin's day with the rubric, then users, sessions and the audit log; keyboard,
axe and the phone. Pages are watched for dialogs, script and console errors, so markup in a
display name or a YAML comment that ran (an alert) or broke the CSP would fail the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web import browser as b
from tests.web.test_admin_pages import XSS, duplicate_id, rubric_text, with_criterion
from tests.web.test_auth_browser import PASSWORD, evaluate_memo, sign_in
from tests.web.test_browser import Watched, no_horizontal_scroll

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)

NEW_NAME = "Plain language check"


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    data_dir = tmp_path_factory.mktemp("admin")
    with b.login_server(data_dir, PASSWORD, {"root": True, "bob": False}) as running:
        yield running


def open_admin(page: Any, server: b.Server, name: str = "root") -> None:
    page.goto(server.url + "/?tab=admin")
    sign_in(page, name)
    expect(page.locator("#admin-section-heading")).to_have_text("Configuration")


def open_section(page: Any, label: str) -> None:
    page.locator(".admin-nav-button", has_text=label).click()
    expect(page.locator("#admin-section-heading")).to_have_text(label)


def line_of_caret(page: Any) -> int:
    return int(
        page.evaluate(
            "(() => { const a = document.getElementById('config-content');"
            " return a.value.slice(0, a.selectionStart).split('\\n').length; })()"
        )
    )


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Watched]:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    yield watched
    watched.close()


def test_an_admins_day_with_the_rubric(server: b.Server, desktop: Watched) -> None:
    page = desktop.page
    open_admin(page, server)
    editor = page.locator("#config-content")
    expect(editor).to_have_value(rubric_text())
    b.screenshot(page, "desktop-admin-config")
    broken, line = duplicate_id(rubric_text())
    editor.fill(broken)
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#config-error-message")).to_contain_text(f"Line {line}, column 5:")
    expect(editor).to_be_focused()  # the keyboard is on the refused line
    assert line_of_caret(page) == line
    expect(page.locator(".gutter .gutter-error")).to_have_text(str(line))
    expect(editor).to_have_attribute("aria-invalid", "true")
    b.screenshot(page, "desktop-admin-config-error")
    page.locator("#config-comment").focus()
    page.locator("[data-goto-line]").click()
    expect(editor).to_be_focused()
    assert line_of_caret(page) == line
    assert page.evaluate(  # the numbers scrolled with the text
        "document.querySelector('.gutter').scrollTop === "
        "document.getElementById('config-content').scrollTop"
    )
    page.get_by_role("button", name="Preview with this draft").click()  # refused the same way
    expect(page.locator("#config-preview")).to_contain_text(f"problem at line {line}")
    expect(editor).to_be_focused()
    assert line_of_caret(page) == line

    fixed = with_criterion(rubric_text())  # with a YAML comment holding a <script>
    editor.fill(fixed)
    expect(page.locator(".gutter span")).to_have_count(fixed.count("\n") + 1)
    page.get_by_role("button", name="Preview with this draft").click()
    preview = page.locator("#config-preview")
    expect(preview.locator("#preview-heading")).to_be_focused()
    expect(preview.locator(".preview-table")).to_contain_text(NEW_NAME)
    expect(page.locator("#config-error-message")).to_have_count(0)
    b.screenshot(page, "desktop-admin-config-preview")
    page.fill("#config-comment", "Adds plain language")
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator(".admin-done")).to_have_text("Saved rubric.yaml as version 2.")
    expect(page.locator(".admin-done")).to_be_focused()
    expect(page.locator(".config-warnings")).to_contain_text("summed to 110")
    expect(page.locator(".effective-values")).to_contain_text("plain_language")

    page.click("#tab-write")
    evaluate_memo(page, "With the new criterion")
    expect(page.locator("#panel-overall .rubric-table")).to_contain_text(NEW_NAME)

    page.click("#tab-admin")
    page.get_by_role("button", name="Roll back to version 1…").click()
    heading = page.locator("#rollback-heading")
    expect(heading).to_be_focused()
    expect(page.locator(".config-rollback del").first).to_contain_text("script")
    b.screenshot(page, "desktop-admin-config-rollback")
    page.locator("[data-cancel-rollback]").click()  # a real second step: cancel changes nothing
    expect(heading).to_have_count(0)
    expect(page.get_by_role("button", name="Roll back to version 1…")).to_be_focused()
    page.get_by_role("button", name="Roll back to version 1…").click()
    page.get_by_role("button", name="Roll back to version 1", exact=True).click()
    expect(page.locator(".admin-done")).to_contain_text("version 3 of rubric.yaml has the text")
    expect(editor).to_have_value(rubric_text())

    page.click("#tab-write")
    evaluate_memo(page, "After the rollback")
    expect(page.locator("#panel-overall .rubric-table")).not_to_contain_text(NEW_NAME)


def test_users_sessions_and_the_audit_log(
    server: b.Server,
    desktop: Watched,
    chromium: Any,
) -> None:
    stranger = Watched(chromium.new_context(viewport=b.DESKTOP))
    stranger.page.goto(server.url + "/login")
    sign_in(stranger.page, XSS, "not-the-password")  # the log keeps the name as typed
    expect(stranger.page.locator("#login-errors")).to_be_visible()
    stranger.close()
    page = desktop.page
    open_admin(page, server)
    open_section(page, "Users")
    page.fill("#new-username", "dee")
    page.fill("#new-display-name", XSS)
    page.fill("#new-password", "amber-meadow-quartz-17")
    page.get_by_role("button", name="Create the account").click()
    expect(page.locator(".admin-done")).to_have_text("Created the account dee.")
    row = page.locator(".user-row", has_text="dee")
    expect(row).to_contain_text(XSS)
    b.screenshot(page, "desktop-admin-users")
    row.locator("summary").click()
    row.get_by_label("Deactivated (ends their sessions)").check()
    row.get_by_role("button", name="Save changes to dee").click()
    expect(page.locator(".admin-done")).to_have_text("Saved the changes to dee.")
    expect(page.locator(".user-row", has_text="dee")).to_contain_text("Deactivated")

    open_section(page, "Sessions")
    expect(page.locator(".sessions-table")).to_contain_text("root")
    page.select_option("#sessions-user", label="root")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("button", name="End every session of root")).to_be_visible()
    b.screenshot(page, "desktop-admin-sessions")

    open_section(page, "Audit log")
    table = page.locator(".audit-table")
    expect(table).to_contain_text("user created")
    expect(table).to_contain_text("user changed")
    expect(table).to_contain_text(XSS)
    page.select_option("#audit-event", "user_created")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows.filter(has_text="user changed")).to_have_count(0)
    expect(rows.filter(has_text="dee")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these rows as CSV").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "user_created" in saved and "user_changed" not in saved
    b.screenshot(page, "desktop-admin-audit")


def test_the_sections_by_keyboard(server: b.Server, desktop: Watched) -> None:
    page = desktop.page
    open_admin(page, server)
    users = page.locator(".admin-nav-button", has_text="Users")
    users.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#admin-section-heading")).to_have_text("Users")
    expect(users).to_be_focused()
    expect(users).to_have_attribute("aria-current", "true")
    expect(page.locator("#admin-status")).to_have_text("Users shown.")
    for _ in ("Sessions", "Audit log", "Status", "Cohort", "Debug mode"):  # the other sections
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#new-username")).to_be_focused()
    page.route("**/ui/admin/sessions*", lambda route: route.fulfill(status=503, body="down"))
    page.locator(".admin-nav-button", has_text="Sessions").click()
    expect(page.get_by_role("alert")).to_contain_text("could not answer just now")
    expect(page.locator("#admin-section-heading")).to_have_text("Users")  # nothing lost
    page.unroute("**/ui/admin/sessions*")
    assert all("503" in p for p in desktop.problems), desktop.problems  # the outage itself
    desktop.problems.clear()
    open_section(page, "Sessions")
    expect(page.locator("#admin-problem")).to_be_hidden()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_each_section_is_accessible_and_fits(
    server: b.Server,
    chromium: Any,
    viewport: str,
) -> None:
    phone = viewport == "phone"
    size = b.PHONE if phone else b.DESKTOP
    watched = Watched(chromium.new_context(viewport=size, is_mobile=phone, bypass_csp=True))
    page = watched.page
    open_admin(page, server)
    found: dict[str, Any] = {"config": b.run_axe(page)}
    page.locator("#config-content").fill(duplicate_id(rubric_text())[0])
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#config-error-message")).to_be_visible()
    found["config-error"] = b.run_axe(page)
    fits = {"config": no_horizontal_scroll(page)}
    if phone:
        b.screenshot(page, "phone-admin-config")
    page.locator("#config-content").fill(with_criterion(rubric_text()))
    page.get_by_role("button", name="Check and save").click()  # now there is one to roll back
    expect(page.locator(".admin-outcome")).to_be_visible()
    page.locator("[data-rollback-version]").first.click()
    expect(page.locator("#rollback-heading")).to_be_focused()
    found["rollback"] = b.run_axe(page)
    for label in ("Users", "Sessions", "Audit log"):
        open_section(page, label)
        key = label.split()[0].lower()
        found[key] = b.run_axe(page)
        fits[key] = no_horizontal_scroll(page)
        if phone:
            b.screenshot(page, f"phone-admin-{key}")
    watched.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert all(fits.values()), fits
