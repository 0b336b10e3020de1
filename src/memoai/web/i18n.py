"""Which language a browser reads: the switch's cookie, else its Accept-Language.

A middleware sets it for the whole request (memoai.translations), so templates and Python
strings rendered anywhere in that request use it; the API hears the same choice, so
evaluations, chat and error messages come in the language the pages are in.
"""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from memoai import translations
from memoai.language import LANGUAGES, Language, negotiate

LANGUAGE_COOKIE = "memoai_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# The switch names each language in itself, the same whatever the page's language.
CHOICES: tuple[tuple[Language, str], ...] = (("en", "English"), ("es", "Español"))


def chosen(cookie: str | None) -> Language | None:
    """The language the reader chose with the switch, if the cookie names one we speak."""
    return cast(Language, cookie) if cookie in LANGUAGES else None


def request_language(request: Request) -> Language:
    """The switch's choice, else the browser's Accept-Language."""
    return chosen(request.cookies.get(LANGUAGE_COOKIE)) or negotiate(
        request.headers.get("accept-language")
    )


class LanguageMiddleware:
    """Answer each request in its reader's language (ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = translations.use(request_language(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            translations.reset(token)
