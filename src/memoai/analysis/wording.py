"""The offline analyser's words in the writer's language.

Feedback is written as English templates (`str.format` fields); `tr` gives the Spanish one for
a Spanish writer. tests/analysis/test_spanish.py checks that every template passed to `tr` in
the analyser and the offline chat has a Spanish entry that is not the English text.
"""

from __future__ import annotations

import string
from typing import Any

from memoai.analysis.wording_es import NOUNS
from memoai.analysis.wording_es import SPANISH as _FEEDBACK
from memoai.analysis.wording_es_chat import CHAT

SPANISH = {**_FEEDBACK, **CHAT}


class _SpanishNumbers(string.Formatter):
    """Decimals with a comma, as Spanish writes them: 15,9 palabras, nivel 6,7."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        return text.replace(".", ",") if isinstance(value, float) else text


_SPANISH_NUMBERS = _SpanishNumbers()


def tr(template: str, language: str, /, **values: Any) -> str:
    """The template in the writer's language, filled in."""
    if language == "es":
        template = SPANISH.get(template, template)
        return _SPANISH_NUMBERS.format(template, **values) if values else template
    return template.format(**values) if values else template


def count(n: int, noun: str, language: str = "en") -> str:
    """ "1 word", "3 words"; "1 palabra", "3 palabras"."""
    if language == "es" and noun in NOUNS:
        singular, plural = NOUNS[noun]
        return f"{n} {singular if n == 1 else plural}"
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
