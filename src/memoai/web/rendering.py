"""The Jinja2 environment of the web interface, its filters, and the memo highlighting.

Autoescaping is on for every template, so memos, titles and model output are always text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_datetime
from babel.messages.extract import extract_javascript
from markupsafe import Markup

from memoai import scores, translations
from memoai.evaluations.comment_schemas import COMMENT_WORDS
from memoai.language import DEFAULT as DEFAULT_LANGUAGE
from memoai.translations import N_
from memoai.web.i18n import CHOICES

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


@dataclass(frozen=True)
class Tab:
    id: str
    label: str


TABS = (
    Tab("write", N_("Write")),
    Tab("overall", N_("Overall feedback")),
    Tab("detailed", N_("Detailed feedback")),
    Tab("progress", N_("Progress")),
    Tab("chat", N_("Chat")),
    Tab("memos", N_("My memos")),
    Tab("help", N_("Help")),
    Tab("debug", N_("Debug")),
    Tab("admin", N_("Admin")),
)
TAB_IDS = frozenset(t.id for t in TABS)
# The stages of an evaluation as the writer sees them while it runs.
STAGES = (
    N_("Memo saved"),
    N_("Reading it against the rubric"),
    N_("Scoring the criteria"),
    N_("Feedback ready"),
)

# The API's words for a comment's kind, severity and mark, and a revision's verdicts, as shown.
TERMS = {
    **COMMENT_WORDS,
    "passage_changed": N_("the passage changed"),
    "passage_removed": N_("the passage was removed"),
    "passage_unchanged": N_("the passage is unchanged"),
    "raised_again": N_("this version comments on it again"),
    "offline analysis": N_("offline analysis"),  # the offline provider's label (llm/offline.py)
}


def term(value: Any) -> str:
    """One of the API's fixed words in the reader's language; anything else as it came."""
    text = str(value)
    return translations.gettext(TERMS[text]) if text in TERMS else text


@lru_cache(maxsize=1)
def script_messages() -> tuple[str, ...]:
    """The English texts the page's scripts mark with _() (static/i18n.js), as Babel finds
    them for the catalog."""
    found: list[str] = []
    for path in sorted(STATIC_DIR.glob("*.js")):
        with path.open("rb") as source:
            for _line, _function, message, _comments in extract_javascript(
                source, {"_": None}, [], {}
            ):
                text = message if isinstance(message, str) else message[0]
                if isinstance(text, str) and text not in found:
                    found.append(text)
    return tuple(found)


def script_text() -> list[tuple[str, str]]:
    """(English, translation) of the scripts' texts for this request; none for English."""
    if translations.current() == DEFAULT_LANGUAGE:
        return []
    return [(message, translations.gettext(message)) for message in script_messages()]


def visible_tabs(*, debug_mode: bool, is_admin: bool) -> list[Tab]:
    """Debug only when debug mode is on; Admin only for admins."""
    hidden = set()
    if not debug_mode:
        hidden.add("debug")
    if not is_admin:
        hidden.add("admin")
    return [t for t in TABS if t.id not in hidden]


@dataclass(frozen=True)
class Piece:
    """A run of the memo; `index` is the comment it belongs to, or None for plain text."""

    text: str
    index: int | None = None


def memo_pieces(text: str, segments: list[dict[str, Any]]) -> tuple[list[Piece], dict[int, int]]:
    """Cut the memo into plain and highlighted runs by the comments' [start, end) offsets.

    Offsets are Python string indices (code points), as the API computes them. Overlapping
    comments share the first highlight; the second result maps each comment to the
    highlight that shows it. Offsets outside the memo are ignored (never a wrong highlight).
    """
    spans = sorted(
        (
            (int(s["start"]), int(s["end"]), i)
            for i, s in enumerate(segments)
            if _valid_span(s, len(text))
        ),
        key=lambda span: (span[0], -span[1]),
    )
    pieces: list[Piece] = []
    targets: dict[int, int] = {}
    position = 0
    for start, end, index in spans:
        if start < position:
            owner = pieces[-1].index
            if owner is not None:
                targets[index] = owner
            if end <= position:
                continue
            start = position
        if start > position:
            pieces.append(Piece(text[position:start]))
        pieces.append(Piece(text[start:end], index))
        targets.setdefault(index, index)
        position = end
    if position < len(text):
        pieces.append(Piece(text[position:]))
    return pieces, targets


def _valid_span(segment: dict[str, Any], length: int) -> bool:
    start, end = segment.get("start"), segment.get("end")
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length


def format_score(value: Any, digits: int = 1) -> str:
    """3.4 (3,4 in Spanish) for an overall score by the one rounding rule (memoai.scores), "–"
    for none; `digits=0` for a whole criterion score."""
    if value is None or isinstance(value, jinja2.Undefined):
        return "–"
    return translations.score(float(value)) if digits else str(round(float(value)))


def format_change(value: Any) -> str:
    """+0.3 / −0.2 / 0.0 for a change of scores (memoai.scores), "–" for none."""
    if value is None or isinstance(value, jinja2.Undefined):
        return "–"
    return translations.signed(float(value))


def format_number(value: Any, pattern: str = "#,##0.#") -> str:
    """{{ x|number }}: 1,234.5 in English, 1234,5 in Spanish (Babel, the reader's language);
    `pattern` as Babel's ("0.00" for money, "#,##0" for counts); "–" for none."""
    if value is None or isinstance(value, jinja2.Undefined):
        return "–"
    return translations.number(float(value), pattern)


def format_percent(value: Any) -> str:
    """{{ share|percent }}: 0.35 as 35% in English, 35 % in Spanish; "–" for none."""
    if value is None or isinstance(value, jinja2.Undefined):
        return "–"
    return translations.percent(float(value))


def format_when(value: Any) -> str:
    """An ISO timestamp from the API as '3 Mar 2025, 14:05 UTC'."""
    if not value:
        return ""
    return _when(str(value), translations.current())


@lru_cache(maxsize=4096)
def _when(value: str, language: str) -> str:
    """Babel formats a date in ~0.1 ms; a page shows the same history's dates on every view,
    so each (timestamp, language) is formatted once per process."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return format_datetime(moment, "d MMM y, HH:mm 'UTC'", locale=language)


def guidance_levels(guidance: dict[Any, str]) -> list[tuple[int, str]]:
    """Rubric guidance keyed by level (JSON makes the keys strings), in level order."""
    return sorted(((int(level), text) for level, text in guidance.items()), key=lambda p: p[0])


def score_steps(score: Any, scale: dict[str, int]) -> list[bool]:
    """Filled and empty steps of a criterion's score, for the dots beside it."""
    low, high = int(scale.get("min", 1)), int(scale.get("max", 5))
    if score is None:
        return [False] * (high - low + 1)
    return [level <= int(score) for level in range(low, high + 1)]


def score_band(score: Any, scale: dict[str, int]) -> str:
    """low, mid or high: the colour of a score relative to its scale."""
    if score is None:
        return "none"
    low, high = float(scale.get("min", 1)), float(scale.get("max", 5))
    share = (float(score) - low) / (high - low) if high > low else 0.0
    return "high" if share >= 0.7 else "mid" if share >= 0.4 else "low"


@lru_cache(maxsize=64)
def _static_version(name: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    """A static file's URL with a content hash, so it can be cached for a year."""
    return f"/static/{name}?v={_static_version(name)}"


def template_gettext(message: str, /, **variables: Any) -> Markup:
    """{{ _("Hello %(name)s", name=x) }}: translated, then formatted with escaped values."""
    return Markup(translations.gettext(message)) % variables  # noqa: S704 - our catalog's text


def template_ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
    """{{ ngettext("%(num)s memo", "%(num)s memos", n) }}, as Jinja's new-style ngettext."""
    variables.setdefault("num", num)
    text = translations.ngettext(singular, plural, num)
    return Markup(text) % variables  # noqa: S704 - our catalog's text


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # New-style gettext: {{ _("%(n)s words", n=count) }}, escaped like any other output.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translations.gettext, translations.ngettext, newstyle=True
    )
    # The same new-style semantics as the extension's own callables (every template
    # autoescapes), called directly: a page calls _() hundreds of times, and the extension's
    # wrappers go through Jinja's context three times a call.
    env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
    env.filters.update(
        score=format_score,
        change=format_change,
        when=format_when,
        number=format_number,
        percent=format_percent,
        levels=guidance_levels,
    )
    env.globals.update(
        static=static_url,
        memo_pieces=memo_pieces,
        score_steps=score_steps,
        score_band=score_band,
        strongest=scores.strongest,
        weakest=scores.weakest,
        stages=STAGES,
        term=term,
        script_text=script_text,
        language=translations.current,
        language_choices=CHOICES,
    )
    return env
