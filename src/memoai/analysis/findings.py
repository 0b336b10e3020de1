"""Facts the offline rules judge a memo by, found with vocabularies and the writing metrics."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from memoai.analysis.lexicon import lexicon
from memoai.analysis.metrics import (
    MemoProfile,
    SentenceFacts,
    WritingMetrics,
    metrics_from,
    profile_memo,
)
from memoai.analysis.risks import RiskFindings, find_risks
from memoai.analysis.text import words as word_tokens

EARLY_SHARE = 0.2  # "bottom line up front": within the first fifth of the memo
LONG_PARAGRAPH_WORDS = 120


_MIN_REPEAT_WORDS = 3  # "Thanks." twice is not padding


@dataclass(frozen=True)
class Findings:
    """Everything the offline rules need, measured once per memo."""

    profile: MemoProfile
    metrics: WritingMetrics
    ask: SentenceFacts | None
    ask_position: float | None  # share of the body that comes before the ask
    ask_paragraph: int | None  # 1-based, counting paragraphs that hold sentences
    ask_has_amount: bool
    ask_has_deadline: bool
    deadline_where: str | None  # "the request", "the subject line", "the memo"
    amount_elsewhere: str | None  # an amount asked for that the request itself does not name
    soft_ask: SentenceFacts | None  # a wish ("we need…", "we hope…") when there is no ask
    purpose_early: bool
    vague_claims: tuple[tuple[SentenceFacts, str], ...]  # claims of size without a figure
    risk_findings: RiskFindings
    costs_with_figures: int
    benefits_with_figures: int
    financial_mentions: int
    return_terms: tuple[str, ...]
    alternatives: bool
    sourced: int  # sentences that name a source (audit, survey, study…)
    figure_examples: tuple[str, ...]
    hedges: tuple[str, ...]
    filler: tuple[str, ...]
    casual: tuple[str, ...]
    lower_case_starts: int  # sentences that begin with a lower-case letter
    repeated: int  # sentences that repeat an earlier one word for word
    unique_words: int  # words in the sentences that are not repeats
    jargon: tuple[str, ...]
    undefined_acronyms: tuple[str, ...]
    exclamations: int
    bullets: int
    headings: int
    paragraph_words: tuple[int, ...]
    language: str = "en"  # the writer's: the rules and the feedback's words follow it

    @property
    def words(self) -> int:
        return self.metrics.words

    @property
    def risks(self) -> tuple[SentenceFacts, ...]:
        return self.risk_findings.risks

    @property
    def unmitigated_risks(self) -> tuple[SentenceFacts, ...]:
        return self.risk_findings.unmitigated

    @property
    def mitigations(self) -> int:
        return self.risk_findings.mitigations

    @property
    def lower_case_share(self) -> float:
        return self.lower_case_starts / max(1, self.metrics.sentences - self.repeated)

    @property
    def repeated_share(self) -> float:
        """The share of sentences that only repeat earlier ones (padding)."""
        return self.repeated / max(1, self.metrics.sentences)

    @property
    def ask_early(self) -> bool:
        return self.ask_position is not None and self.ask_position <= EARLY_SHARE

    @property
    def long_paragraphs(self) -> int:
        return sum(1 for n in self.paragraph_words if n > LONG_PARAGRAPH_WORDS)


def find(memo: str, language: str = "en") -> Findings:
    """Measure a memo for the offline rules of the writer's language."""
    lx = lexicon(language)
    profile = profile_memo(memo, language)
    lowered = {u.start: profile.quote(u).lower() for u in profile.units}
    sentences = profile.sentences
    unique = _first_occurrences(sentences, lowered)
    texts = [lowered[u.start] for u in unique]
    asks = _ask_units(profile)
    ask_deadline = any(lx.DEADLINE.search(lowered[u.start]) for u in asks)
    return Findings(
        profile=profile,
        metrics=metrics_from(profile),
        ask=asks[0] if asks else None,
        ask_position=_position(profile, asks[0] if asks else None),
        ask_paragraph=_paragraph_number(profile, asks[0] if asks else None),
        ask_has_amount=any(u.figures for u in asks),
        ask_has_deadline=ask_deadline,
        deadline_where="the request" if ask_deadline else _deadline_where(profile, lowered, lx),
        amount_elsewhere=None if any(u.figures for u in asks) else _amount(profile, asks, lx),
        soft_ask=None
        if asks
        else next((u for u in unique if lx.SOFT_ASK.search(lowered[u.start])), None),
        purpose_early=_purpose_early(profile, lowered, lx),
        vague_claims=tuple(_vague_claims(unique, lowered, lx)),
        risk_findings=find_risks(profile, lowered, lx),
        costs_with_figures=_with_figures(unique, lowered, lx.COST) + any(u.figures for u in asks),
        benefits_with_figures=_with_figures(unique, lowered, lx.BENEFIT),
        financial_mentions=len(_all(lx.COST, texts)) + len(_all(lx.BENEFIT, texts)),
        return_terms=tuple(dict.fromkeys(_all(lx.RETURN, texts))),
        alternatives=any(lx.ALTERNATIVES.search(text) for text in texts),
        sourced=sum(1 for text in texts if lx.SOURCE.search(text)),
        figure_examples=_figure_examples(profile, lx),
        hedges=_all(lx.HEDGES, texts),
        filler=_all(lx.FILLER, texts),
        casual=_all(lx.CASUAL, texts),
        lower_case_starts=sum(1 for u in unique if profile.quote(u)[:1].islower()),
        repeated=len(sentences) - len(unique),
        unique_words=sum(u.words for u in unique),
        jargon=_all(lx.JARGON, texts),
        undefined_acronyms=_undefined_acronyms(profile, lx),
        exclamations=sum(profile.quote(u).count("!") for u in unique),
        bullets=sum(1 for u in profile.units if u.kind == "bullet"),
        headings=sum(1 for u in profile.units if u.kind == "heading"),
        paragraph_words=_paragraph_words(profile),
        language=lx.CODE,
    )


def _first_occurrences(
    sentences: list[SentenceFacts], lowered: dict[int, str]
) -> list[SentenceFacts]:
    """The sentences that do not repeat an earlier one word for word."""
    seen: set[str] = set()
    unique = []
    for unit in sentences:
        key = " ".join(word_tokens(lowered[unit.start]))
        if unit.words >= _MIN_REPEAT_WORDS and key in seen:
            continue
        seen.add(key)
        unique.append(unit)
    return unique


def _deadline_where(profile: MemoProfile, lowered: dict[int, str], lx: ModuleType) -> str | None:
    """Where a decision date is given outside the request: the subject line or a sentence."""
    for unit in profile.units:
        text = lowered[unit.start]
        if not lx.DEADLINE.search(text):
            continue
        if unit.kind == "header" and lx.TEXT.header_names.get(_header_key(text)) == "Subject":
            return "the subject line"
        if unit.kind != "header" and lx.DECISION.search(text):
            return "the memo"
    return None


def _header_key(text: str) -> str:
    return text.lstrip("*_#> \t").split(":", 1)[0].rstrip("*_ \t")


def _amount(profile: MemoProfile, asks: list[SentenceFacts], lx: ModuleType) -> str | None:
    """The first sum of money in the body, when the request itself names none."""
    if not asks:
        return None
    for unit in profile.body:
        for match in lx.FIGURE.finditer(profile.quote(unit)) if unit.figures else ():
            if lx.MONEY.search(match.group()):
                return match.group()
    return None


def _ask_units(profile: MemoProfile) -> list[SentenceFacts]:
    """Every explicit ask, plus the sentence after the first (where amounts and dates often go)."""
    asks = [u for u in profile.body if u.ask]
    if asks:
        later = [u for u in profile.sentences if u.start > asks[0].start]
        if later and later[0].paragraph == asks[0].paragraph:
            asks.append(later[0])
    return asks


def _position(profile: MemoProfile, unit: SentenceFacts | None) -> float | None:
    """How far into the body (0 = first word, 1 = last) a unit starts."""
    if unit is None or not profile.body:
        return None
    start, end = profile.body[0].start, profile.body[-1].end
    return round((unit.start - start) / max(1, end - start), 3)


def _paragraph_number(profile: MemoProfile, unit: SentenceFacts | None) -> int | None:
    if unit is None:
        return None
    return 1 + sum(1 for p in profile.paragraphs if p < unit.paragraph)


def _purpose_early(profile: MemoProfile, lowered: dict[int, str], lx: ModuleType) -> bool:
    """A purpose statement ("This memo asks…") within the first fifth of the memo."""
    if not profile.body:
        return False
    start, end = profile.body[0].start, profile.body[-1].end
    cutoff = start + EARLY_SHARE * (end - start)
    return any(lx.PURPOSE.search(lowered[u.start]) for u in profile.body if u.start <= cutoff)


def _vague_claims(
    sentences: list[SentenceFacts], lowered: dict[int, str], lx: ModuleType
) -> list[tuple[SentenceFacts, str]]:
    claims = []
    for unit in sentences:
        match = None if unit.figures else lx.VAGUE.search(lowered[unit.start])
        if match:
            claims.append((unit, match.group()))
    return claims


def _with_figures(
    sentences: list[SentenceFacts], lowered: dict[int, str], pattern: re.Pattern[str]
) -> int:
    return sum(1 for u in sentences if u.figures and pattern.search(lowered[u.start]))


def _all(pattern: re.Pattern[str], texts: Iterable[str]) -> tuple[str, ...]:
    """Every match in order, repeats included (density matters for hedges and jargon)."""
    return tuple(pattern.findall("\n".join(texts)))


def _figure_examples(profile: MemoProfile, lx: ModuleType, limit: int = 3) -> tuple[str, ...]:
    """A few figures to quote back to the writer, amounts and percentages first."""
    found = [
        m.group() for u in profile.body if u.figures for m in lx.FIGURE.finditer(profile.quote(u))
    ]
    ranked = sorted(dict.fromkeys(found), key=lambda figure: figure.isdigit())
    return tuple(ranked[:limit])


def _undefined_acronyms(profile: MemoProfile, lx: ModuleType) -> tuple[str, ...]:
    """Capitalised abbreviations never spelled out in brackets, e.g. "EHR" without "(EHR)"."""
    defined = set(lx.DEFINED_ACRONYM.findall(profile.text))
    found: dict[str, None] = {}
    for unit in profile.sentences:
        quote = profile.quote(unit)
        if quote.isupper():
            continue
        for acronym in lx.ACRONYM.findall(quote):
            base = acronym.rstrip("s") if acronym.endswith("s") else acronym
            if base not in defined and base not in lx.COMMON_ACRONYMS:
                found.setdefault(base)
    return tuple(found)


def _paragraph_words(profile: MemoProfile) -> tuple[int, ...]:
    totals: dict[int, int] = {}
    for unit in profile.sentences:
        totals[unit.paragraph] = totals.get(unit.paragraph, 0) + unit.words
    return tuple(totals.values())
