"""What an assessment of one dimension is, and the helpers every dimension's rules share."""

from __future__ import annotations

from dataclasses import dataclass

from memoai.analysis.findings import Findings
from memoai.analysis.lexicon import lexicon
from memoai.analysis.wording import count, tr

FULL_LENGTH_WORDS = 150  # shorter memos show too little to earn high marks
LATE_SHARE = 0.5  # a request past the middle of the memo is buried
# Whether tone and detail suit the readers needs a reader; the rules never award the top level.
AUDIENCE_CEILING = 0.75
QUOTE_CHARS = 90
PADDING_SHARE = 0.2  # more repeated sentences than this is padding
LOWER_CASE_SHARE = 0.3


@dataclass(frozen=True)
class Note:
    """A strength or opportunity; the key keeps two criteria from saying the same thing."""

    key: str
    text: str


@dataclass(frozen=True)
class Assessment:
    quality: float  # 0 (absent) to 1 (exemplary)
    facts: str  # what was measured, quoted in the justification
    strengths: tuple[Note, ...] = ()
    opportunities: tuple[Note, ...] = ()
    capped: bool = False  # limited because the memo is very short


def ramp(value: float, good: float, bad: float) -> float:
    """1 at `good`, 0 at `bad`, linear in between (in either direction)."""
    return max(0.0, min(1.0, (value - bad) / (good - bad)))


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """Memo text on one line, shortened for quoting inside a sentence."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def where_ask(f: Findings) -> str:
    template = "paragraph {n}, {share:.0%} of the way in"
    return tr(template, f.language, n=f.ask_paragraph, share=f.ask_position or 0)


def headers_named(f: Findings, names: tuple[str, ...] | list[str]) -> str:
    """Memo header names as the writer's language writes them (Para, De, Fecha, Asunto)."""
    labels = lexicon(f.language).HEADER_LABELS
    return ", ".join(labels[name] for name in names)


def limited(
    f: Findings, quality: float, facts: str, strengths: list[Note], opportunities: list[Note]
) -> Assessment:
    """Limit the quality of a very short memo, which shows too little to judge."""
    cap = min(1.0, 0.25 + 0.75 * f.unique_words / FULL_LENGTH_WORDS)
    return Assessment(
        round(min(quality, cap), 3), facts, tuple(strengths), tuple(opportunities), cap < quality
    )


def repetition_notes(f: Findings) -> tuple[list[Note], list[Note]]:
    if not f.repeated:
        return [], []
    text = tr(
        "{repeated} of {sentences} only repeat earlier ones word for word; say each thing once.",
        f.language,
        repeated=count(f.repeated, "sentence", f.language),
        sentences=f.metrics.sentences,
    )
    return [], [Note("repeated", text)]
