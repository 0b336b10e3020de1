"""The word lists and rules of the writer's language, by its code ("en" or "es").

Each language is a module with the same names (english.py, spanish.py); the rules read them
through `lexicon(language)`.
"""

from __future__ import annotations

from types import ModuleType

from memoai.analysis import english, spanish

_LEXICONS: dict[str, ModuleType] = {"en": english, "es": spanish}


def lexicon(language: str = "en") -> ModuleType:
    """The module of a language's words and rules; English for an unknown code."""
    return _LEXICONS.get(language, english)
