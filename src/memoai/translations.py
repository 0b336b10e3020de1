"""The interface's words in the reader's language: gettext catalogs managed with Babel.

Catalogs live in src/memoai/locale/<lang>/LC_MESSAGES/messages.po (English is the source text,
so it has none). `make catalogs` and the Docker builds compile them to .mo; without a current
.mo the .po is compiled in memory, so a fresh checkout or an edited catalog still shows its
translations. The language of the request being answered is a context variable, set once per
request by LanguageMiddleware (on the API app and on the web app alike: the switch's cookie,
else Accept-Language), so any code that renders text for that request reads it.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import io
from contextvars import ContextVar, Token
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import cast

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent, get_decimal_symbol
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from memoai import scores
from memoai.language import DEFAULT, LANGUAGES, Language, negotiate

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
LANGUAGE_COOKIE = "memoai_lang"  # the web's language switch; the API reads it too

_current: ContextVar[Language] = ContextVar("reader_language", default=DEFAULT)


def N_(message: str) -> str:
    """Mark a string for the catalog where it is defined; it is translated where shown."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: Language) -> stdlib_gettext.NullTranslations:
    """The language's compiled catalog (English, the source text, has none)."""
    if language == DEFAULT:
        return stdlib_gettext.NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    source, compiled = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as stream:
            return stdlib_gettext.GNUTranslations(stream)
    with source.open("rb") as stream:
        messages = read_po(stream, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return stdlib_gettext.GNUTranslations(buffer)


def current() -> Language:
    """The language of the request being answered."""
    return _current.get()


def use(language: Language) -> Token[Language]:
    """Answer in `language` until the token is reset."""
    return _current.set(language)


def reset(token: Token[Language]) -> None:
    _current.reset(token)


def gettext(message: str) -> str:
    return catalog(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return catalog(_current.get()).ngettext(singular, plural, count)


def when(moment: date | datetime, pattern: str = "d MMM y") -> str:
    """A date or time in the reader's language, by a CLDR pattern ("MMM" is the language's
    abbreviated month: "Mar" in English, "mar" in Spanish)."""
    return _formatted(moment, pattern, _current.get())


@lru_cache(maxsize=8192)
def _formatted(moment: date | datetime, pattern: str, language: str) -> str:
    """Babel formats a date in ~0.1 ms; charts and reports show the same dates again and again."""
    if isinstance(moment, datetime):
        return format_datetime(moment, pattern, locale=language)
    return format_date(moment, pattern, locale=language)


def number(value: float, pattern: str = "#,##0.#") -> str:
    """A number in the reader's language (decimal comma in Spanish)."""
    return format_decimal(value, pattern, locale=_current.get())


def percent(share: float) -> str:
    """A share (0.35) as a percentage in the reader's language: 35% in English, 35 % in Spanish."""
    return format_percent(share, locale=_current.get())


def score(value: float | None) -> str:
    """A score as memoai.scores shows it (one rounding rule), with the language's decimal sign."""
    return decimals(scores.text(value))


def signed(delta: float | None) -> str:
    """A change of scores as memoai.scores shows it, with the language's decimal sign."""
    return decimals(scores.signed(delta))


def decimals(text: str) -> str:
    """A number already written with a decimal point, with the language's decimal sign."""
    language = _current.get()
    return text if language == DEFAULT else text.replace(".", _decimal_symbol(language))


@lru_cache(maxsize=len(LANGUAGES))
def _decimal_symbol(language: Language) -> str:
    return str(get_decimal_symbol(language))


def chosen(cookie: str | None) -> Language | None:
    """The language the reader chose with the switch, if the cookie names one we speak."""
    return cast(Language, cookie) if cookie in LANGUAGES else None


def request_language(request: Request) -> Language:
    """The switch's choice (its cookie), else the browser's Accept-Language."""
    return chosen(request.cookies.get(LANGUAGE_COOKIE)) or negotiate(
        request.headers.get("accept-language")
    )


class LanguageMiddleware:
    """Answer each request in its reader's language (ASGI middleware of the API and the web)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = use(request_language(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            reset(token)
