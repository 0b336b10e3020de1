"""Objective writing metrics: facts about the text that feed feedback and progress tracking."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cached_property
from types import ModuleType
from typing import Any, NamedTuple

from memoai.analysis import english
from memoai.analysis.lexicon import lexicon
from memoai.analysis.text import Kind, Span, Unit, split_sentences, split_units, words

__all__ = ["MemoProfile", "SentenceFacts", "WritingMetrics", "compute_metrics", "split_sentences"]

LONG_SENTENCE_WORDS = 30
MEMO_HEADERS = ("To", "From", "Date", "Subject")
_MIN_HEADERS = 2  # two of To/From/Date/Subject make a memo header block

FIGURE = english.FIGURE  # the English pattern; each language has its own
passive_phrase = english.passive_phrase
_DIGIT = re.compile(r"\d")


class SentenceFacts(NamedTuple):
    """What the analyser needs to know about one unit of the memo (a tuple: made by the hundred)."""

    start: int
    end: int
    kind: Kind
    paragraph: int
    words: int
    syllables: int
    figures: int
    passive: str | None  # the passive phrase found, e.g. "was approved"
    ask: bool

    @property
    def is_sentence(self) -> bool:
        """Headers and headings are labels, not sentences, so they stay out of sentence stats."""
        return self.kind in ("prose", "bullet")


@dataclass(frozen=True)
class MemoProfile:
    """A memo broken into units with per-unit facts: the shared input of metrics and rules."""

    text: str
    units: tuple[SentenceFacts, ...]
    language: str = "en"

    @cached_property
    def sentences(self) -> list[SentenceFacts]:
        return [u for u in self.units if u.is_sentence]

    @cached_property
    def body(self) -> list[SentenceFacts]:
        """Everything but the memo header lines."""
        return [u for u in self.units if u.kind != "header"]

    @cached_property
    def headers(self) -> tuple[str, ...]:
        """Which of To/From/Date/Subject the header lines supply, in that order."""
        names = lexicon(self.language).TEXT.header_names
        found = {
            _header_name(self.text[u.start : u.end], names)
            for u in self.units
            if u.kind == "header"
        }
        return tuple(name for name in MEMO_HEADERS if name in found)

    @cached_property
    def paragraphs(self) -> list[int]:
        """Indices of the paragraphs that hold sentences (not only headers or headings)."""
        return sorted({u.paragraph for u in self.sentences})

    def quote(self, unit: SentenceFacts) -> str:
        return self.text[unit.start : unit.end]


@dataclass(frozen=True)
class WritingMetrics:
    """Facts about the memo's text, not opinions; zeros for an empty text."""

    words: int
    sentences: int
    paragraphs: int
    mean_sentence_length: float
    long_sentences: int
    readability_grade: float
    flesch_reading_ease: float
    passive_share: float
    numbers_count: int
    has_headers: bool
    headers_found: tuple[str, ...]
    has_explicit_ask: bool
    ask_sentence: Span | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["headers_found"] = list(self.headers_found)
        data["ask_sentence"] = list(self.ask_sentence) if self.ask_sentence else None
        return data


def compute_metrics(text: str, language: str = "en") -> WritingMetrics:
    """The writing metrics of a memo, by the rules of the writer's language."""
    return metrics_from(profile_memo(text, language))


def profile_memo(text: str, language: str = "en") -> MemoProfile:
    """Split the memo and measure every unit once, by the rules of the writer's language."""
    lx = lexicon(language)
    units = split_units(text, lx.TEXT)
    return MemoProfile(text, tuple(_facts(text, unit, lx) for unit in units), language)


def metrics_from(profile: MemoProfile) -> WritingMetrics:
    """Summarise a profile into the metrics stored with every submission."""
    sentences = profile.sentences
    n = len(sentences)
    sentence_words = sum(u.words for u in sentences)
    syllable_count = sum(u.syllables for u in sentences)
    ask = next((u for u in profile.body if u.ask), None)
    grade, ease = lexicon(profile.language).readability(n, sentence_words, syllable_count)
    return WritingMetrics(
        words=sum(u.words for u in profile.units),
        sentences=n,
        paragraphs=len(profile.paragraphs),
        mean_sentence_length=round(sentence_words / n, 1) if n else 0.0,
        long_sentences=sum(1 for u in sentences if u.words > LONG_SENTENCE_WORDS),
        readability_grade=grade,
        flesch_reading_ease=ease,
        passive_share=round(sum(1 for u in sentences if u.passive) / n, 3) if n else 0.0,
        numbers_count=sum(u.figures for u in profile.body),
        has_headers=len(profile.headers) >= _MIN_HEADERS,
        headers_found=profile.headers,
        has_explicit_ask=ask is not None,
        ask_sentence=(ask.start, ask.end) if ask else None,
    )


def _facts(text: str, unit: Unit, lx: ModuleType = english) -> SentenceFacts:
    """Measure one unit: words, syllables, figures, passive voice, explicit ask."""
    chunk = text[unit.start : unit.end]
    lowered = chunk.lower()
    tokens = words(lowered)
    labelled = unit.kind == "header"
    return SentenceFacts(
        start=unit.start,
        end=unit.end,
        kind=unit.kind,
        paragraph=unit.paragraph,
        words=len(tokens),
        syllables=sum(map(lx.syllables, tokens)),
        figures=0 if labelled else count_figures(chunk, lx),
        passive=None if labelled else lx.passive_phrase(tokens),
        ask=not labelled and is_ask(lowered, lx),
    )


def is_ask(lowered: str, lx: ModuleType = english) -> bool:
    """Whether a lower-cased sentence makes an explicit request or recommendation."""
    if not any(w in lowered for w in lx.ASK_WORDS):
        return False
    return lx.ASK_OPENING.match(lowered) is not None or lx.ASK.search(lowered) is not None


def count_figures(text: str, lx: ModuleType = english) -> int:
    """Numerals, percentages and currency amounts ($1.2M, €300k, 12%) in the text."""
    if not _DIGIT.search(text):
        return 0
    named = lx.NAMED_BY_NUMBER
    return sum(1 for m in lx.FIGURE.finditer(text) if not named.search(text, 0, m.start()))


def _header_name(line: str, names: dict[str, str]) -> str:
    key = line.lstrip("*_#> \t").split(":", 1)[0].rstrip("*_ \t").lower()
    return names.get(key, "")
