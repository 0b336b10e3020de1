"""The interface's words in the reader's language: gettext catalogs managed with Babel.

Catalogs live in src/memoai/locale/<lang>/LC_MESSAGES/messages.po (English is the source text,
so it has none). `make catalogs` and the Docker builds compile them to .mo; without a current
.mo the .po is compiled in memory, so a fresh checkout or an edited catalog still shows its
translations. The language of the request being answered is a context variable, set once per
request by the app's middleware, so any code that renders text for that request reads it.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import io
from contextvars import ContextVar, Token
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from memoai.language import DEFAULT, LANGUAGES, Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

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
