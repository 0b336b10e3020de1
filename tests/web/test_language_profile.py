"""The profile's language in the web: saved by the header's switch when signed in, and the
language of every page after the next sign-in, whatever the browser's Accept-Language; counts
said with the language's plural forms and numbers with its separators."""

from __future__ import annotations

from pathlib import Path

import pytest

from memoai import translations
from memoai.web.rendering import format_number, format_percent, make_environment
from tests.web.dom import parse
from tests.web.test_auth_pages import close_site, make_site, sign_in

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def page_language(html: str) -> str:
    return str(parse(html).select("html")[0].attrs["lang"])


async def test_the_switch_saves_to_the_profile_and_the_next_sign_in_follows_it(
    tmp_path: Path,
) -> None:
    site = await make_site(tmp_path, login_mode=True)
    try:
        await sign_in(site.browser, "ann")
        page = await site.browser.get("/", headers=ENGLISH)
        assert page_language(page.text) == "en"
        csrf = parse(page.text).select("form", cls="language-switch")[0]
        token = [
            i.attrs["value"] for i in csrf.select("input") if i.attrs.get("name") == "csrf_token"
        ]
        assert token and token[0], "the signed-in switch carries the page's CSRF token"
        answer = await site.browser.post(
            "/language", data={"language": "es", "csrf_token": token[0]}, headers=ENGLISH
        )
        assert answer.status_code == 303

        # Another browser (no cookie, an English Accept-Language): Spanish from the first page
        # after signing in, because the profile remembers it.
        site.browser.cookies.clear()
        login = await sign_in(site.browser, "ann")
        assert login.status_code == 303
        assert site.browser.cookies.get("memoai_lang") == "es"
        page = await site.browser.get("/", headers=ENGLISH)
        assert page_language(page.text) == "es"
        assert "Redactar" in page.text

        # Someone else on the same site is not affected.
        site.browser.cookies.clear()
        await sign_in(site.browser, "bob")
        assert site.browser.cookies.get("memoai_lang") is None
        page = await site.browser.get("/", headers=ENGLISH)
        assert page_language(page.text) == "en"
    finally:
        await close_site(site)


async def test_a_visitor_switch_without_sign_in_only_sets_the_cookie(tmp_path: Path) -> None:
    site = await make_site(tmp_path, login_mode=True)
    try:
        answer = await site.browser.post("/language", data={"language": "es"})
        assert answer.status_code == 303 and site.browser.cookies.get("memoai_lang") == "es"
        page = await site.browser.get("/login", headers=ENGLISH)
        assert page_language(page.text) == "es"
        site.browser.cookies.clear()
        await sign_in(site.browser, "ann")  # ann's profile has no language: nothing set
        assert site.browser.cookies.get("memoai_lang") is None
    finally:
        await close_site(site)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "1 active session", "2 active sessions"),
        ("es", "1 sesión activa", "2 sesiones activas"),
    ],
)
def test_counts_take_the_languages_plural_form(language: str, one: str, two: str) -> None:
    template = make_environment().from_string(
        '{{ ngettext("%(num)s active session", "%(num)s active sessions", n) }}'
    )
    token = translations.use(language)  # type: ignore[arg-type]
    try:
        assert template.render(n=1) == one
        assert template.render(n=2) == two
    finally:
        translations.reset(token)


def test_numbers_use_the_languages_separators() -> None:
    token = translations.use("es")
    try:
        assert format_number(12345.5) == "12.345,5"
        assert format_number(0.5, "0.00") == "0,50"
        assert format_percent(0.35) == "35\xa0%"
        assert format_number(None) == "–"
    finally:
        translations.reset(token)
    assert format_number(12345.5) == "12,345.5"  # English, the default
    assert format_percent(0.35) == "35%"
