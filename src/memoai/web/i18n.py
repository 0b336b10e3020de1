"""Which language a browser reads: the switch's cookie, else its Accept-Language.

The middleware that sets it for the whole request lives in memoai.translations, shared with
the API app, so templates and Python strings rendered anywhere in that request use it; the
web's API client forwards the same choice, so evaluations, chat, progress texts, exports and
error messages come in the language the pages are in.
"""

from __future__ import annotations

from memoai.language import Language
from memoai.translations import LANGUAGE_COOKIE, LanguageMiddleware, chosen, request_language

__all__ = [
    "CHOICES",
    "LANGUAGE_COOKIE",
    "LANGUAGE_COOKIE_SECONDS",
    "LanguageMiddleware",
    "chosen",
    "request_language",
]

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# The switch names each language in itself, the same whatever the page's language.
CHOICES: tuple[tuple[Language, str], ...] = (("en", "English"), ("es", "Español"))
