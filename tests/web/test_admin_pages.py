"""The Admin tab through the web interface, on a real API in-process (login mode): who may
open it, and each sub-section's forms as an admin's browser sends them (HTMX posts with the
CSRF header), read back from the rendered fragments."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.routing import Route

from memoai.configs import files
from memoai.web.admin_pages import Pager, located, pager, url
from memoai.web.api_client import ApiResult
from tests.web.conftest import Site
from tests.web.dom import Node, parse
from tests.web.samples import CONFIG_DIR
from tests.web.test_auth_pages import another_browser, close_site, make_site, sign_in

XSS = "<img src=x onerror=alert(1)>"
SCRIPT_COMMENT = "# <script>alert('comment')</script> kept as text\n"
NEW_CRITERION = """  - id: plain_language
    name: Plain language check
    description: Short words and short sentences a busy reader takes in at once.
    weight: 10
    guidance:
      1: Jargon and long sentences throughout.
      2: Frequent jargon.
      3: Some jargon remains.
      4: Little jargon.
      5: Plain throughout.
"""
NEW_PASSWORD = "amber-meadow-quartz-17"
HTMX = {"HX-Request": "true"}
SAMPLE_PARAMS = {"type": "rubric", "user_id": str(uuid.uuid4()), "session_id": str(uuid.uuid4())}


def admin_routes(site: Site) -> list[tuple[str, str]]:
    """Every (method, path) of the web app under /ui/admin, its parameters filled in."""
    found = [
        (method, route.path.format(**SAMPLE_PARAMS))
        for route in site.web.routes
        if isinstance(route, Route) and route.path.startswith("/ui/admin/")
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    assert len(found) >= 16, found  # the walk sees them all
    return found


@pytest.fixture
async def admin_site(tmp_path: Path) -> AsyncIterator[Site]:
    config_dir = tmp_path / "config"  # saved edits are written back to the files: a copy
    shutil.copytree(CONFIG_DIR, config_dir)
    site = await make_site(tmp_path, login_mode=True, config_dir=config_dir)
    await sign_in(site.browser, "root")
    await site.open("/?tab=admin")  # the page sets the CSRF cookie the forms send
    yield site
    await close_site(site)


async def post(site: Site, path: str, form: dict[str, str]) -> Node:
    """A form as HTMX posts it; the answer is the fragment to swap (always 200)."""
    headers = {**HTMX, "X-CSRF-Token": site.csrf()}
    response = await site.browser.post(path, data=form, headers=headers)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["cache-control"] == "no-store"
    return parse(response.text)


async def get(site: Site, path: str) -> Node:
    response = await site.browser.get(path, headers=HTMX)
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)


def users_by_name(root: Node) -> dict[str, Node]:
    return {row.select("strong")[0].text: row for row in root.select("li", cls="user-row")}


def outcome(root: Node) -> str:
    found = root.select(cls="admin-outcome")
    return found[0].text.strip() if found else ""


async def user_id(site: Site, name: str) -> str:
    found = await site.browser.get("/ui/admin/users", params={"q": name}, headers=HTMX)
    form = users_by_name(parse(found.text))[name].select("form")[0]
    return str(form.attrs["hx-post"]).rsplit("/", 1)[-1]


# --- who may open it -----------------------------------------------------------------------


async def test_only_admins_reach_the_admin_routes(tmp_path: Path) -> None:
    """Generated from the app's routes: a new admin route without the check fails here."""
    site = await make_site(tmp_path, login_mode=True)
    try:
        routes = admin_routes(site)
        for method, path in routes:  # signed out: to the login page, like every private route
            refused = await site.browser.request(method, path, headers=HTMX)
            assert refused.status_code == 401, (method, path)
            assert refused.headers["hx-redirect"].startswith("/login"), (method, path)
        await sign_in(site.browser, "ann")
        await site.open("/")
        headers = {"X-CSRF-Token": site.csrf()}
        for method, path in routes:
            form = {
                "username": "x",
                "content": "x",
                "version": "1",
                "user_id": SAMPLE_PARAMS["user_id"],
            }
            refused = await site.browser.request(
                method, path, data=form if method == "POST" else None, headers=headers
            )
            assert refused.status_code == 404, (method, path)
        assert "admin.js" not in (await site.open("/")).text
    finally:
        await close_site(site)


async def test_the_admin_tab_has_its_seven_sections(admin_site: Site) -> None:
    page = await admin_site.open("/?tab=admin")
    root = parse(page.text)
    panel = root.by_id("panel-admin")
    buttons = panel.select("button", cls="admin-nav-button")
    assert [b.text for b in buttons] == [
        "Configuration", "Users", "Sessions", "Audit log", "Status", "Cohort", "Debug mode",
    ]  # fmt: skip
    assert [b.attrs["hx-get"] for b in buttons] == [
        "/ui/admin/config",
        "/ui/admin/users",
        "/ui/admin/sessions",
        "/ui/admin/audit",
        "/ui/admin/status",
        "/ui/admin/cohort",
        "/ui/admin/debug",
    ]
    assert panel.by_id("admin-body").attrs["data-src"] == "/ui/admin/config"
    assert "admin.js" in page.text and "admin.css" in page.text


# --- configuration -------------------------------------------------------------------------


def rubric_text() -> str:
    return (CONFIG_DIR / "rubric.yaml").read_text(encoding="utf-8")


def with_criterion(text: str) -> str:
    return SCRIPT_COMMENT + text.replace("criteria:\n", "criteria:\n" + NEW_CRITERION, 1)


def duplicate_id(text: str) -> tuple[str, int]:
    """The rubric with its second criterion's id repeated, and the line of that id."""
    lines = text.split("\n")
    line = next(i for i, t in enumerate(lines) if t.startswith("  - id: structure_and_flow"))
    lines[line] = "  - id: purpose_and_ask"
    return "\n".join(lines), line + 1


def version_rows(root: Node) -> list[str]:
    return [
        row.select("th")[0].text.split()[0]
        for row in root.by_id("config-versions").select("tr")[1:]
    ]


async def test_the_configuration_section_shows_files_editor_and_effective_values(
    admin_site: Site,
) -> None:
    root = await get(admin_site, "/ui/admin/config")
    files = [
        row.select("button")[0].text
        for row in root.select("table", cls="config-types")[0].select("tr")[1:]
    ]
    assert files == [
        f"{t}.yaml" for t in ("rubric", "frameworks", "context", "prompt", "llm", "auth")
    ]
    assert "Valid" in root.select("tr", cls="is-current")[0].text
    editor = root.by_id("config-content")
    assert editor.text == rubric_text()
    assert len(root.select(cls="gutter")[0].select("span")) == rubric_text().count("\n") + 1
    assert "purpose_and_ask" in root.select("pre", cls="effective-values")[0].text
    assert not root.select(cls="admin-readonly")
    by = root.by_id("config-versions").select("td", data_label="By")
    assert version_rows(root) == ["1"] and [c.text for c in by] == ["the file"]
    assert root.by_id("preview-memo").text.startswith("To: Senior Leadership Team")
    auth = await get(admin_site, "/ui/admin/config?type=auth")
    assert auth.by_id("editor-heading").text == "auth.yaml" and not auth.select(id="preview-memo")
    assert (await admin_site.browser.get("/ui/admin/config?type=passwords")).status_code == 404


async def test_a_refused_edit_points_at_its_line_and_keeps_the_draft(admin_site: Site) -> None:
    broken, line = duplicate_id(rubric_text())
    root = await post(
        admin_site, "/ui/admin/config/rubric", {"content": broken, "base_version": "1"}
    )
    alert = root.by_id("config-error").select(role="alert")[0]
    assert alert.attrs["data-line"] == str(line)
    assert root.by_id("config-error-message").text.startswith(f"Line {line}, column 5:")
    assert "unique" in alert.text and "Nothing was saved." in alert.text
    assert alert.select("button")[0].attrs["data-goto-line"] == str(line)
    marked = [
        i + 1 for i, n in enumerate(root.select(cls="gutter")[0].select("span")) if n.has("class")
    ]
    assert marked == [line]
    editor = root.by_id("config-content")
    assert editor.text == broken and editor.attrs["aria-invalid"] == "true"
    assert "config-error-message" in str(editor.attrs["aria-describedby"])
    assert version_rows(root) == ["1"]
    assert (admin_site.settings.config_dir / "rubric.yaml").read_text() == rubric_text()


async def test_save_compare_and_roll_back_with_a_confirmation(admin_site: Site) -> None:
    edited = with_criterion(rubric_text())
    saved = await post(
        admin_site,
        "/ui/admin/config/rubric",
        {"content": edited, "comment": "Plain language <b>matters</b>", "base_version": "1"},
    )
    assert outcome(saved) == "Saved rubric.yaml as version 2."
    assert version_rows(saved) == ["2", "1"]
    assert "Plain language <b>matters</b>" in saved.by_id("config-versions").text
    assert not saved.select("script") and not saved.select("b")  # markup stays text
    assert "<script>alert('comment')</script>" in saved.by_id("config-content").text
    assert "summed to 110" in saved.select(cls="config-warnings")[0].text
    assert "plain_language" in saved.select("pre", cls="effective-values")[0].text
    assert (admin_site.settings.config_dir / "rubric.yaml").read_text() == edited
    diff = await get(admin_site, "/ui/admin/config/rubric/diff?from_version=1&to_version=2")
    assert diff.by_id("diff-heading").text == "Changes from version 1 to version 2"
    added = [n.text for n in diff.select("ins")]
    assert "added: +  - id: plain_language" in added and not diff.select("script")
    confirm = await get(admin_site, "/ui/admin/config/rubric/rollback?version=1")
    assert confirm.by_id("rollback-heading").text == "Roll back rubric.yaml to version 1?"
    assert any("plain_language" in n.text for n in confirm.select("del"))
    assert version_rows(await get(admin_site, "/ui/admin/config")) == ["2", "1"]  # not yet
    form = confirm.select("form")[0]
    assert form.attrs["hx-post"] == "/ui/admin/config/rubric/rollback"
    rolled = await post(admin_site, str(form.attrs["hx-post"]), {"version": "1", "comment": "Undo"})
    assert outcome(rolled) == "Rolled back: version 3 of rubric.yaml has the text of version 1."
    assert version_rows(rolled) == ["3", "2", "1"]
    assert rolled.by_id("config-content").text == rubric_text()


async def test_someone_else_saved_first_and_the_draft_survives(admin_site: Site) -> None:
    first = with_criterion(rubric_text())
    await post(admin_site, "/ui/admin/config/rubric", {"content": first, "base_version": "1"})
    mine = rubric_text().replace("Funding request memo rubric", "Our memo rubric")
    late = await post(admin_site, "/ui/admin/config/rubric", {"content": mine, "base_version": "1"})
    assert late.select(cls="admin-outcome")[0].attrs["role"] == "alert"
    assert late.by_id("config-content").text == mine
    assert late.select("input", name="base_version")[0].attrs["value"] == "2"
    again = await post(
        admin_site, "/ui/admin/config/rubric", {"content": mine, "base_version": "2"}
    )
    assert outcome(again) == "Saved rubric.yaml as version 3."


async def test_preview_scores_the_sample_memo_with_the_draft(admin_site: Site) -> None:
    memo = "To: Board\nWe request $10,000 for a pilot. Please approve it by 30 June."
    root = await post(
        admin_site,
        "/ui/admin/config/rubric/preview",
        {"content": with_criterion(rubric_text()), "memo": memo},
    )
    rows = root.select("table", cls="preview-table")[0].select("tr")[1:]
    assert "Plain language check (plain_language)" in [r.select("th")[0].text for r in rows]
    assert all(r.select("td")[0].text.strip() for r in rows)
    assert root.by_id("preview-heading").text.startswith("Preview with this draft: overall")
    cleared = root.by_id("config-error")
    assert cleared.attrs["hx-swap-oob"] == "true" and not cleared.select(role="alert")
    broken, line = duplicate_id(rubric_text())
    refused = await post(
        admin_site, "/ui/admin/config/rubric/preview", {"content": broken, "memo": memo}
    )
    assert f"at line {line}" in refused.text
    assert refused.by_id("config-error").select(role="alert")[0].attrs["data-line"] == str(line)
    assert version_rows(await get(admin_site, "/ui/admin/config")) == ["1"]


async def test_an_invalid_file_on_disk_is_reported_and_the_last_valid_version_stays(
    admin_site: Site,
) -> None:
    broken, line = duplicate_id(rubric_text())
    (admin_site.settings.config_dir / "rubric.yaml").write_text(broken, encoding="utf-8")
    for _ in range(50):  # the files are checked twice a second
        root = await get(admin_site, "/ui/admin/config")
        if "invalid" in root.select("tr", cls="is-current")[0].text:
            break
        await asyncio.sleep(0.1)
    state = root.select("tr", cls="is-current")[0].select("td", data_label="State")[0]
    assert "The file on disk is invalid" in state.text
    assert f"rubric.yaml, line {line}, column 5:" in state.text and "unique" in state.text
    assert "The last valid version stays active." in state.text
    assert root.by_id("config-content").text == rubric_text()  # the editor shows what is used


async def test_a_read_only_config_folder_is_said(
    admin_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root every folder is writable; a read-only ConfigMap is what this stands for.
    monkeypatch.setattr(files, "writable", lambda folder: False)
    root = await get(admin_site, "/ui/admin/config")
    assert "read-only" in root.select(cls="admin-readonly")[0].text
    edited = with_criterion(rubric_text())
    saved = await post(
        admin_site, "/ui/admin/config/rubric", {"content": edited, "base_version": "1"}
    )
    assert outcome(saved) == "Saved rubric.yaml as version 2."
    assert (admin_site.settings.config_dir / "rubric.yaml").read_text() == rubric_text()


# --- users ---------------------------------------------------------------------------------


async def test_create_a_user_and_see_the_policys_message_beside_the_field(
    admin_site: Site,
) -> None:
    short = await post(
        admin_site,
        "/ui/admin/users",
        {"username": "dee", "display_name": XSS, "role": "user", "password": "short"},
    )
    field = short.by_id("new-password")
    assert field.attrs["aria-invalid"] == "true"
    assert "new-password-error" in str(field.attrs["aria-describedby"])
    assert "12 characters" in short.by_id("new-password-error").text
    assert short.by_id("new-username").attrs["value"] == "dee"  # kept, the password is not
    assert short.by_id("new-password").attrs.get("value") is None
    made = await post(
        admin_site,
        "/ui/admin/users",
        {"username": "dee", "display_name": XSS, "role": "admin", "password": NEW_PASSWORD},
    )
    assert outcome(made) == "Created the account dee."
    row = users_by_name(made)["dee"]
    assert XSS in row.text and not row.select("img")  # shown as text, never markup
    assert "admin" in row.select(cls="user-tags")[0].text
    duplicate = await post(
        admin_site,
        "/ui/admin/users",
        {"username": "DEE", "role": "user", "password": NEW_PASSWORD},
    )
    assert "is taken" in duplicate.by_id("new-username-error").text
    assert not duplicate.select(cls="admin-outcome")


async def test_edit_deactivate_and_reset_a_users_password(admin_site: Site) -> None:
    ann = await user_id(admin_site, "ann")
    ann_browser = another_browser(admin_site)
    await sign_in(ann_browser, "ann")
    assert (await ann_browser.get("/")).status_code == 200
    changed = await post(
        admin_site,
        f"/ui/admin/users/{ann}",
        {"username": "ann", "display_name": "Ann Renamed", "role": "user", "is_active": "false"},
    )
    assert outcome(changed) == "Saved the changes to ann."
    row = users_by_name(changed)["ann"]
    assert "Ann Renamed" in row.text and "Deactivated" in row.text
    assert (await ann_browser.get("/")).status_code == 303  # her session ended with it
    await ann_browser.aclose()
    reset = await post(
        admin_site,
        f"/ui/admin/users/{ann}/password",
        {"username": "ann", "password": NEW_PASSWORD},
    )
    assert "must change it at the next sign-in" in outcome(reset)
    assert "Must change password" in users_by_name(reset)["ann"].text


async def test_the_last_admin_keeps_the_role_and_the_page_says_why(admin_site: Site) -> None:
    root_id = await user_id(admin_site, "root")
    refused = await post(
        admin_site,
        f"/ui/admin/users/{root_id}",
        {"username": "root", "display_name": "Root", "role": "user", "is_active": "true"},
    )
    alert = refused.select(cls="admin-outcome")[0]
    assert alert.attrs["role"] == "alert" and alert.text.strip().startswith("root: ")
    assert "admin" in users_by_name(refused)["root"].select(cls="user-tags")[0].text


async def test_find_users_by_name_a_page_at_a_time(admin_site: Site) -> None:
    found = await get(admin_site, "/ui/admin/users?q=bo")
    assert list(users_by_name(found)) == ["bob"]
    assert "Accounts 1–1 of 1" in found.text
    assert "No account matches “zz”." in (await get(admin_site, "/ui/admin/users?q=zz")).text


# --- sessions ------------------------------------------------------------------------------


async def test_list_and_end_a_users_sessions(admin_site: Site) -> None:
    bob = await user_id(admin_site, "bob")
    phones = [another_browser(admin_site) for _ in range(2)]
    for phone in phones:
        await sign_in(phone, "bob")
    listed = await get(admin_site, f"/ui/admin/sessions?user_id={bob}")
    rows = listed.select("tr")[1:]
    assert len(rows) == 2 and all("bob" in r.text and "Active" in r.text for r in rows)
    first = rows[0].select("form")[0]
    ended = await post(
        admin_site,
        str(first.attrs["hx-post"]),
        {"username": "bob", "filter_user_id": bob, "show": ""},
    )
    assert outcome(ended) == "Ended the session of bob."
    assert len(ended.select("tr")) == 2  # one active session left
    every = await post(
        admin_site,
        "/ui/admin/sessions/revoke-all",
        {"user_id": bob, "username": "bob", "filter_user_id": bob, "show": ""},
    )
    assert outcome(every) == "Ended 1 session of bob."
    assert "No active sessions of bob." in every.text
    for phone in phones:
        assert (await phone.get("/")).status_code == 303
        await phone.aclose()
    everything = await get(admin_site, f"/ui/admin/sessions?user_id={bob}&show=all")
    assert sum("Ended" in r.text for r in everything.select("tr")[1:]) == 2


# --- the audit log -------------------------------------------------------------------------


async def test_the_log_filters_pages_and_downloads(admin_site: Site) -> None:
    stranger = another_browser(admin_site)
    await sign_in(stranger, XSS, "wrong-password-here")  # a name nobody has, kept as typed
    await stranger.aclose()
    log = await get(admin_site, "/ui/admin/audit")
    rows = log.select("tr")[1:]
    assert any(XSS in r.text and "failure" in r.text for r in rows)
    assert not log.select("img")  # the attempted name is text
    logins = await get(admin_site, "/ui/admin/audit?event=login&until=2999-01-01")
    chosen = [o for o in logins.by_id("audit-event").select("option") if o.has("selected")]
    assert [o.attrs["value"] for o in chosen] == ["login"]
    assert {r.select("td")[0].text for r in logins.select("tr")[1:]} == {"login"}
    link = logins.select("p", cls="audit-download")[0].select("a")[0].attrs["href"]
    assert link == "/ui/admin/audit.csv?event=login&until=2999-01-01"
    csv = await admin_site.browser.get(str(link))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert "login" in csv.text and "logout" not in csv.text
    empty = await get(admin_site, "/ui/admin/audit?since=2999-01-01")
    assert "No rows match these filters." in empty.text


# --- the pieces the pages are built from ---------------------------------------------------


def test_pages_keep_the_filters_and_stop_at_the_ends() -> None:
    middle = pager("/ui/x", {"q": "a b", "user_id": ""}, 25, 25, 80, 25)
    assert middle == Pager(26, 50, 80, "/ui/x?q=a+b", "/ui/x?q=a+b&offset=50")
    assert pager("/ui/x", {}, 75, 5, 80, 25).next is None
    assert pager("/ui/x", {}, 0, 0, 0, 25) == Pager(0, 0, 0, None, None)
    assert url("/ui/x", {"a": "", "b": None, "offset": 0}) == "/ui/x"


def test_a_refused_configuration_is_located_only_when_the_api_says_where() -> None:
    error = {"code": "CONFIG_INVALID", "message": "Criterion ids must be unique."}
    at = ApiResult(422, None, [{**error, "details": {"line": 12, "column": 5, "problem": "ids"}}])
    assert located(at) == {"line": 12, "column": 5, "message": "ids"}
    assert located(ApiResult(422, None, [error]))["line"] == 0  # type: ignore[index]
    assert located(ApiResult(409, None, [{"code": "CONFLICT", "message": "x"}])) is None
    assert located(ApiResult(200, {})) is None
