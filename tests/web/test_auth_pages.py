"""Signing in and out through the web interface, on a real API in-process (login mode and
anonymous mode), read the way a browser reads the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from memoai.app import create_app, start, stop
from memoai.auth import service
from memoai.auth.audit import Origin
from memoai.auth.models import Role
from memoai.web.api_client import Backend, RateLimited
from memoai.web.asgi import StreamingASGITransport
from memoai.web.auth import safe_next
from memoai.web.auth_pages import lockout_note, wait_text
from memoai.web.pages import create_web_app
from tests.web.conftest import Site, site_settings
from tests.web.dom import parse

PASSWORD = "quiet-harbour-lantern-42"
MEMO = "To: Board\nSubject: Pilot\n\nWe request $10,000 for a pilot. Please approve by May."


async def make_site(tmp_path: Path, login_mode: bool, **overrides: Any) -> Site:
    settings = site_settings(
        tmp_path, auth_enabled=login_mode, jwt_secret_key="k" * 40, bcrypt_rounds=4, **overrides
    )
    api = create_app(settings)
    await start(api, settings)
    web = create_web_app(settings, api_transport=StreamingASGITransport(api))
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://testserver"
    )
    site = Site(settings, api, web, browser)
    for name, role in (("ann", Role.USER), ("bob", Role.USER), ("root", Role.ADMIN)):
        await add_user(site, name, role)
    return site


async def add_user(site: Site, name: str, role: Role) -> None:
    policy = site.api.state.configs.current().auth.authentication.security
    async with site.api.state.db.sessions() as db:
        await service.create_user(
            db,
            name,
            PASSWORD,
            policy=policy,
            rounds=4,
            origin=Origin(),
            display_name=f"{name.title()} Example",
            role=role,
        )


async def close_site(site: Site) -> None:
    await site.browser.aclose()
    await site.web.state.web.api.aclose()
    await stop(site.api)


@pytest.fixture
async def login_site(tmp_path: Path) -> AsyncIterator[Site]:
    site = await make_site(tmp_path, login_mode=True)
    yield site
    await close_site(site)


@pytest.fixture
async def open_site(tmp_path: Path) -> AsyncIterator[Site]:
    site = await make_site(tmp_path, login_mode=False)
    yield site
    await close_site(site)


def another_browser(site: Site) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.web), base_url="http://testserver"
    )


async def sign_in(
    browser: httpx.AsyncClient, name: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    form = {"username": name, "password": password, "next": next_path}
    return await browser.post("/login", data=form)


def clears_login(response: httpx.Response) -> bool:
    """The response tells the browser to drop its session cookie."""
    return any(
        c.startswith('memoai_session="";') and "Max-Age=0" in c
        for c in response.headers.get_list("set-cookie")
    )


def redirect_target(response: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    location = response.headers.get("location") or response.headers.get("hx-redirect") or ""
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


# --- login mode: a signed-out visitor sees the login page and Help only ----------------------


async def test_signed_out_visitors_are_sent_to_login_and_back(login_site: Site) -> None:
    browser = login_site.browser
    page = await browser.get("/?tab=progress")
    assert page.status_code == 303
    assert redirect_target(page) == ("/login", {"next": ["/?tab=progress"]})
    fragment = await browser.get("/ui/tabs/write", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and "Purpose" not in fragment.text
    assert fragment.headers["hx-redirect"] == "/login"
    posted = await browser.post(
        "/ui/evaluate",
        json={"text_content": MEMO},
        headers={"Referer": "http://testserver/?tab=write"},
    )
    assert posted.status_code == 401
    assert posted.json()["redirect"] == "/login?next=%2F%3Ftab%3Dwrite"
    login = await browser.get("/login?next=/?tab=progress")
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
    root = parse(login.text)
    assert root.by_id("username").attrs["autocomplete"] == "username"
    assert root.by_id("password").attrs["type"] == "password"
    assert root.select("input", name="next")[0].attrs["value"] == "/?tab=progress"
    assert not root.select("a", cls="account-sign-in")
    signed = await sign_in(browser, "ANN", next_path="/?tab=progress")  # names ignore case
    assert signed.status_code == 303 and signed.headers["location"] == "/?tab=progress"
    home = await browser.get("/?tab=progress")
    assert home.status_code == 200 and home.headers["cache-control"] == "no-store"
    root = parse(home.text)
    assert root.select("summary", cls="account-button")[0].text.endswith("Ann Example")
    assert "admin" not in [t.attrs["data-tab"] for t in root.select(role="tab")]
    warning = root.by_id("session-warning")
    assert warning.attrs["data-session-expires-at"] and warning.attrs["data-token-expires-at"]
    assert (await browser.get("/ui/tabs/admin")).status_code == 404


async def test_help_is_public_but_the_rubric_is_not(login_site: Site) -> None:
    rubric = login_site.api.state.configs.current().rubric
    signed_out = await login_site.browser.get("/help")
    assert signed_out.status_code == 200
    assert "How to use the coach" in signed_out.text
    assert "Sign in to see the rubric" in signed_out.text
    assert rubric.criteria[0].name not in signed_out.text
    forged = another_browser(login_site)
    forged.cookies.set("memoai_session", "a.b.c")
    assert rubric.criteria[0].name not in (await forged.get("/help")).text
    private_tab = await forged.get("/ui/tabs/write", headers={"HX-Request": "true"})
    assert private_tab.status_code == 401
    assert private_tab.headers["hx-redirect"].startswith("/login")
    assert clears_login(private_tab)
    await forged.aclose()
    await sign_in(login_site.browser, "ann")
    signed_in = await login_site.browser.get("/help")
    assert rubric.criteria[0].name in signed_in.text


async def test_wrong_password_and_lockout_are_explained(login_site: Site) -> None:
    browser = login_site.browser
    wrong = await sign_in(browser, "ann", "not-the-password")
    assert wrong.status_code == 200  # the form again, saying what went wrong
    root = parse(wrong.text)
    alert = root.by_id("login-errors")
    assert alert.attrs["role"] == "alert" and "Wrong username or password." in alert.text
    assert root.by_id("username").attrs["value"] == "ann"
    assert root.by_id("password").attrs.get("value") is None  # never sent back
    assert root.by_id("password").attrs["aria-invalid"] == "true"
    assert "memoai_session" not in browser.cookies
    attempts = login_site.api.state.configs.current().auth.authentication.security
    for _ in range(attempts.max_login_attempts - 1):
        await sign_in(browser, "ann", "not-the-password")
    locked = await sign_in(browser, "ann")  # even the right password, once locked
    text = parse(locked.text).by_id("login-errors").text
    assert "locked" in text.lower() and "15 minutes" in text and "That is after" in text
    assert "memoai_session" not in browser.cookies


async def test_logout_ends_the_session_and_old_cookies_lead_to_login(login_site: Site) -> None:
    browser = login_site.browser
    await sign_in(browser, "ann")
    old_token = browser.cookies["memoai_session"]
    await browser.get("/")
    out = await browser.post("/logout", data={"csrf_token": login_site.csrf()})
    assert out.status_code == 303
    assert redirect_target(out) == ("/login", {"reason": ["signed_out"]})
    assert "memoai_session" not in browser.cookies
    assert (await browser.get("/")).status_code == 303
    browser.cookies.set("memoai_session", old_token)  # the back button, or a copied cookie
    again = await browser.get("/?tab=overall")
    assert redirect_target(again) == ("/login", {"next": ["/?tab=overall"], "reason": ["revoked"]})
    assert clears_login(again)
    login = await browser.get("/login?reason=revoked")
    assert "session was ended elsewhere" in parse(login.text).select(role="status")[0].text


async def test_admins_see_the_admin_tab(login_site: Site) -> None:
    await sign_in(login_site.browser, "root")
    root = parse((await login_site.browser.get("/?tab=admin")).text)
    assert "admin" in [t.attrs["data-tab"] for t in root.select(role="tab")]
    assert root.by_id("panel-admin").attrs.get("hidden") is None
    assert root.by_id("admin-body").attrs["data-src"] == "/ui/admin/config"
    tab = await login_site.browser.get("/ui/tabs/admin")
    assert tab.status_code == 200


async def test_two_users_never_see_each_others_work(login_site: Site) -> None:
    ann, bob = login_site.browser, another_browser(login_site)
    await sign_in(ann, "ann")
    await sign_in(bob, "bob")
    await ann.get("/")
    body = {"text_content": MEMO, "title": "Ann's private memo"}
    done = await ann.post("/ui/evaluate", json=body, headers={"X-CSRF-Token": login_site.csrf()})
    assert done.status_code == 200 and "event: done" in done.text
    assert "Ann&#39;s private memo" in (await ann.get("/?tab=overall")).text
    bobs = (await bob.get("/?tab=overall")).text
    assert "private memo" not in bobs and "Ann" not in bobs
    await bob.aclose()


async def test_change_password_with_the_policys_messages(login_site: Site) -> None:
    browser = login_site.browser
    await sign_in(browser, "ann")
    page = await browser.get("/account/password")
    csrf = parse(page.text).select("input", name="csrf_token")[0].attrs["value"]
    assert csrf == login_site.csrf()

    async def change(current: str, new: str, confirm: str | None = None) -> Any:
        form = {"csrf_token": csrf, "current_password": current, "new_password": new}
        form["confirm_password"] = new if confirm is None else confirm
        response = await browser.post("/account/password", data=form)
        return response, parse(response.text)

    response, root = await change(PASSWORD, "another-long-passphrase", "different")
    assert "not the same" in root.by_id("confirm_password-error").text
    response, root = await change("wrong-current-password", "another-long-passphrase")
    assert root.by_id("current_password").attrs["aria-invalid"] == "true"
    assert "current password is wrong" in root.by_id("current_password-error").text
    response, root = await change(PASSWORD, "short")
    assert "at least 12 characters" in root.by_id("new_password-error").text
    response, root = await change(PASSWORD, "another-long-passphrase")
    assert response.status_code == 200 and "Your password is changed" in response.text
    assert (await browser.get("/")).status_code == 200  # this session stays signed in
    fresh = another_browser(login_site)
    assert (await sign_in(fresh, "ann", "another-long-passphrase")).status_code == 303
    await fresh.aclose()


async def test_staying_signed_in_renews_the_token(login_site: Site) -> None:
    browser = login_site.browser
    await sign_in(browser, "ann")
    first = browser.cookies["memoai_session"]
    refused = await browser.post("/ui/session/refresh")  # no CSRF header
    assert refused.status_code == 403
    renewed = await browser.post("/ui/session/refresh", headers={"X-CSRF-Token": login_site.csrf()})
    assert renewed.status_code == 200, renewed.text
    expiry = renewed.json()["data"]
    assert expiry["session_expires_at"] and expiry["token_expires_at"] and expiry["server_now"]
    assert browser.cookies["memoai_session"] != first
    assert (await browser.get("/")).status_code == 200


# --- anonymous mode: the page works as before, with a way to sign in -------------------------


async def test_anonymous_mode_offers_sign_in_and_keeps_work_apart(open_site: Site) -> None:
    browser = open_site.browser
    home = parse((await open_site.open("/")).text)
    assert home.select("a", cls="account-sign-in")[0].attrs["href"] == "/login"
    body = {"text_content": MEMO, "title": "Anonymous memo"}
    await browser.post("/ui/evaluate", json=body, headers={"X-CSRF-Token": open_site.csrf()})
    login = parse((await browser.get("/login")).text)
    assert "Continue without signing in" in login.text
    assert (await sign_in(browser, "bob")).status_code == 303
    page = await open_site.open("/?tab=overall")
    root = parse(page.text)
    assert root.select("summary", cls="account-button")
    assert "Anonymous memo" not in page.text  # anonymous work stays with its session
    await browser.post("/logout", data={"csrf_token": open_site.csrf()})
    assert (await open_site.open("/")).status_code == 200  # anonymous again


def test_only_local_paths_are_followed_after_login() -> None:
    assert safe_next("/?tab=chat") == "/?tab=chat"
    for outside in ("//evil.example", "https://evil.example/", "/\\evil", "/login", "", None):
        assert safe_next(outside) == "/"


def test_waiting_times_read_naturally() -> None:
    assert wait_text(900) == "about 15 minutes"
    assert wait_text(61) == "about 2 minutes"
    assert wait_text(1) == "1 second"
    assert wait_text("x") == ""


def test_lockout_notes_add_what_the_message_lacks() -> None:
    details = {"retry_after_seconds": 600}
    said = lockout_note({"message": "Locked; try again in 10 minutes.", "details": details})
    assert said.startswith("That is after ")
    unsaid = lockout_note({"message": "Too many attempts.", "details": details})
    assert unsaid.startswith("You can try again in about 10 minutes, after ")
    assert lockout_note({"message": "Too many attempts."}) == ""


async def test_a_user_asked_to_change_the_password_lands_on_the_form(login_site: Site) -> None:
    policy = login_site.api.state.configs.current().auth.authentication.security
    async with login_site.api.state.db.sessions() as db:
        await service.create_user(
            db, "dee", PASSWORD, policy=policy, rounds=4, origin=Origin(), must_change_password=True
        )
    signed = await sign_in(login_site.browser, "dee")
    assert signed.headers["location"] == "/account/password?required=1"
    form = await login_site.browser.get(signed.headers["location"])
    assert "asks you to choose a new password" in parse(form.text).select(role="status")[0].text


async def test_a_refused_mode_check_says_it_was_limited(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate reads the client settings to know whether login is on; when that read is
    refused for the rate limit, the visitor gets the limited page (429, when to try again),
    never a 500."""

    async def refused(self: Backend, path: str, *args: Any, **kwargs: Any) -> Any:
        raise RateLimited("Too many page loads and reads: the limit is 35 a minute.", 12)

    monkeypatch.setattr(Backend, "public_get", refused)
    response = await site.browser.get("/?tab=overall")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "12"
    assert "the limit is 35 a minute" in response.text
