"""Objective writing metrics: facts about the text that feed feedback and progress tracking."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, NamedTuple

from memoai.analysis.text import (
    HEADER_NAMES,
    Kind,
    Span,
    Unit,
    split_sentences,
    split_units,
    word_set,
    words,
)
from memoai.analysis.text import syllables as word_syllables

__all__ = ["MemoProfile", "SentenceFacts", "WritingMetrics", "compute_metrics", "split_sentences"]

LONG_SENTENCE_WORDS = 30
MEMO_HEADERS = ("To", "From", "Date", "Subject")
_MIN_HEADERS = 2  # two of To/From/Date/Subject make a memo header block

_BE = word_set(
    "am is are was were be been being isn't aren't wasn't weren't isn’t aren’t wasn’t weren’t"
)  # matched against lower-cased tokens
_BETWEEN = word_set(
    "not also already being been now still currently then often never always all both "
    "each either usually typically further later soon"
)
_IRREGULAR_PARTICIPLES = word_set(
    """arisen awoken beaten begun bent bid bitten blown born borne bought bound broken brought
    built burnt burst cast caught chosen cost crept cut dealt done drawn dreamt driven drunk
    eaten fallen fed felt fought found fled flown forbidden forecast foregone foreseen forgiven
    forgotten frozen given grown hung heard hidden hit held hurt kept known laid led learnt
    left lent let lit lost made meant met mistaken misled misunderstood outgrown overcome
    overdone overheard overridden overrun overseen overtaken overthrown paid proven put quit
    read rebuilt redone rewritten ridden risen run said seen sought sold sent set sewn shaken
    shown shrunk shut sung sunk slain slept slid spoken sped spent spilt split spoilt spread
    sprung stood stolen stuck stung stricken struck strung sworn swept swollen swum taken
    taught torn told thought thrown thrust understood undertaken underwritten upheld
    withdrawn withheld woken won worn woven wound written"""
)
# Words ending in -ed that after "to be" describe a state or are not verbs at all.
_ED_NOT_PASSIVE = word_set(
    """interested excited pleased tired worried concerned committed dedicated qualified
    experienced talented skilled supposed advanced detailed sophisticated complicated limited
    varied aged naked wicked rugged sacred hundred indeed embed united"""
)

FIGURE = re.compile(
    r"(?=[\d$€£¥₹UEGCA])(?<![\w.,])(?:[$€£¥₹]|(?:USD|EUR|GBP|CHF|AUD|CAD)\s?)?\d[\d,]*(?:\.\d+)?"
    r"(?:\s?(?:%|percent\b|per cent\b|[kKmMbB](?:n|illion)?\b|x\b|thousand\b|million\b|billion\b))?"
)
_DIGIT = re.compile(r"\d")
# Every ask pattern contains one of these, so units without them skip the costly search.
_ASK_WORDS = (
    "request", "recommend", "propos", "ask", "urge", "seek", "please", "decision", "approv",
    "action", "sign-off", "need", "require",
)  # fmt: skip
# Both matched against lower-cased text; the first-letter lookahead makes the scan fast.
_ASK = re.compile(
    r"(?=[adimoprsw])\b(?:"
    r"(?:i|we)(?:'d|’d|\s+would|\s+therefore|\s+formally|\s+respectfully|\s+hereby|\s+strongly"
    r"|\s+now|\s+also)*\s+(?:like\s+to\s+)?(?:request|recommend|propose|ask|urge|seek)\b"
    r"|(?:i|we)\s*(?:am|are|'m|’m|'re|’re)\s+(?:now\s+|therefore\s+|formally\s+)?"
    r"(?:requesting|asking|seeking|recommending|proposing)\b"
    r"|(?:i|we)\s+(?:need|require)\s+(?:your|the\s+board's|leadership's)\s+(?:approval"
    r"|decision|sign-off|agreement|support)\b"
    r"|please\s+(?:\w+\s+and\s+)?(?:approve|authori[sz]e|confirm|endorse|fund|sign|decide"
    r"|allocate|agree|support|release|grant)\b"
    r"|seeking\s+(?:your\s+|board\s+|formal\s+)?(?:approval|authori[sz]ation|endorsement"
    r"|agreement|sign-off|decision|funding|support)\b"
    r"|(?:decision|approval|action|sign-off)\s+(?:is\s+)?(?:needed|required|requested|sought)\b"
    r"|(?:my|our)\s+recommendation\s+is\b"
    r"|requests?(?:ing)?\s+(?:for\s+)?(?:your\s+)?(?:approval|authori[sz]ation|funding"
    r"|sign-off)\b)"
)
_ASK_OPENING = re.compile(
    r"\W*(?:(?:recommendation|the\s+ask|request|decision\s+needed|action\s+required)\s*:"
    r"|(?:please\s+)?approve\b)"
)


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
        found = {_header_name(self.text[u.start : u.end]) for u in self.units if u.kind == "header"}
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


def compute_metrics(text: str) -> WritingMetrics:
    """The writing metrics of a memo."""
    return metrics_from(profile_memo(text))


def profile_memo(text: str) -> MemoProfile:
    """Split the memo and measure every unit once."""
    return MemoProfile(text, tuple(_facts(text, unit) for unit in split_units(text)))


def metrics_from(profile: MemoProfile) -> WritingMetrics:
    """Summarise a profile into the metrics stored with every submission."""
    sentences = profile.sentences
    n = len(sentences)
    sentence_words = sum(u.words for u in sentences)
    syllable_count = sum(u.syllables for u in sentences)
    ask = next((u for u in profile.body if u.ask), None)
    grade, ease = _readability(n, sentence_words, syllable_count)
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


def _readability(sentences: int, word_count: int, syllable_count: int) -> tuple[float, float]:
    """Flesch-Kincaid grade (never below 0) and Flesch reading ease (clamped to 0..100)."""
    if not sentences or not word_count:
        return 0.0, 0.0
    per_sentence = word_count / sentences
    per_word = syllable_count / word_count
    grade = 0.39 * per_sentence + 11.8 * per_word - 15.59
    ease = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    return round(max(0.0, grade), 1), round(min(100.0, max(0.0, ease)), 1)


def _facts(text: str, unit: Unit) -> SentenceFacts:
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
        syllables=sum(map(word_syllables, tokens)),
        figures=0 if labelled else count_figures(chunk),
        passive=None if labelled else passive_phrase(tokens),
        ask=not labelled and is_ask(lowered),
    )


def is_ask(lowered: str) -> bool:
    """Whether a lower-cased sentence makes an explicit request or recommendation."""
    if not any(w in lowered for w in _ASK_WORDS):
        return False
    return _ASK_OPENING.match(lowered) is not None or _ASK.search(lowered) is not None


def count_figures(text: str) -> int:
    """Numerals, percentages and currency amounts ($1.2M, €300k, 12%) in the text."""
    return len(FIGURE.findall(text)) if _DIGIT.search(text) else 0


def passive_phrase(tokens: list[str]) -> str | None:
    """The first "to be" + past participle phrase ("was approved", "is being reviewed")."""
    if _BE.isdisjoint(tokens):
        return None
    for i, token in enumerate(tokens):
        if token not in _BE:
            continue
        for j in range(i + 1, min(i + 4, len(tokens))):
            if _is_participle(tokens[j]):
                return " ".join(tokens[i : j + 1])
            if tokens[j] not in _BETWEEN and not tokens[j].endswith("ly"):
                break
    return None


def _is_participle(word: str) -> bool:
    if word in _IRREGULAR_PARTICIPLES:
        return True
    regular = len(word) > 4 and word.endswith("ed") and not word.endswith("eed")
    return regular and "-" not in word and word not in _ED_NOT_PASSIVE


def _header_name(line: str) -> str:
    key = line.lstrip("*_#> \t").split(":", 1)[0].rstrip("*_ \t").lower()
    return HEADER_NAMES.get(key, "")
