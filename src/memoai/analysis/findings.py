"""Facts the offline rules judge a memo by, found with vocabularies and the writing metrics."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from memoai.analysis.metrics import (
    FIGURE,
    MemoProfile,
    SentenceFacts,
    WritingMetrics,
    metrics_from,
    profile_memo,
)
from memoai.analysis.text import word_set

EARLY_SHARE = 0.2  # "bottom line up front": within the first fifth of the memo
LONG_PARAGRAPH_WORDS = 120


def vocabulary(listing: str) -> re.Pattern[str]:
    """A lower-case pattern from comma-separated terms; a first-letter lookahead makes it fast."""
    terms = [term.strip() for term in listing.split(", ")]
    first = "".join(sorted({term[0] for term in terms}))
    if not first.isalpha():
        raise ValueError("every vocabulary term must start with a letter")
    return re.compile(rf"(?=[{first}])\b(?:{'|'.join(terms)})\b")


VAGUE = vocabulary(
    r"significant(?:ly)?, substantial(?:ly)?, many, numerous, considerabl[ey], huge, "
    r"enormous, dramatic(?:ally)?, massive(?:ly)?, vast, a lot, lots of, tremendous(?:ly)?, "
    r"countless, greatly, the majority, a great deal, widely"
)
_MODAL = r"(?:be )?(?:delay|resist|struggle|slip|exceed|fail|overrun|reject|refuse|challeng)\w*"
RISK = vocabulary(
    r"risks?, risky, downsides?, threats?, worst case, failures?, exposure, vulnerab\w*, "
    rf"overruns?, could {_MODAL}, may {_MODAL}, might {_MODAL}"
)
MITIGATION = vocabulary(
    r"mitigat\w*, contingenc\w*, fall ?back, safeguards?, backup plan, plan b, roll ?back, "
    r"monitor\w*, escalat\w*, buffer, in case, "
    r"if\b.{3,150}?\b(?:then|we will|we would|we'll|we can|we pause|we stop), "
    r"to (?:reduce|limit|prevent|avoid), owner, signs? off"
)
COST = vocabulary(
    r"costs?, budget\w*, invest\w*, spend\w*, capex, opex, funding, fees?, prices?, "
    r"expenditure, outlay, licen[cs]es?"
)
BENEFIT = vocabulary(
    r"savings?, sav(?:e|es|ed), revenues?, reduc\w+, cut, fewer, less, gains?, benefits?, "
    r"margin, increas\w+"
)
RETURN = vocabulary(
    r"roi, return on investment, payback, pays? (?:for itself|back), break[- ]even, npv, "
    r"net present value, irr"
)
PURPOSE = vocabulary(
    r"this memo, purpose of this, i(?: am|'m) writing to, we(?: are|'re) writing to, "
    r"in this memo, the purpose, the aim of"
)
SOURCE = vocabulary(
    r"source, according to, audits?, surveys?, stud(?:y|ies), benchmarks?, data from, "
    r"pilot results?, reports? (?:by|from)"
)
ALTERNATIVES = vocabulary(
    r"alternatives?, do nothing, doing nothing, status quo, cost of inaction, "
    r"options? (?:considered|we considered), instead of, compared with, compared to"
)
_MONTHS_AND_DAYS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri"
DEADLINE = vocabulary(
    rf"by (?:\d+|the end|end of|next|q[1-4]|(?:{_MONTHS_AND_DAYS})\w*), before \d+, deadline"
)
HEDGES = vocabulary(
    r"perhaps, maybe, possibly, hopefully, somewhat, sort of, kind of, i think, i feel, "
    r"i believe, we feel, we think, i guess, arguably, probably, fairly, quite, rather, "
    r"a bit, it seems, might, just"
)
JARGON = vocabulary(
    r"synerg\w*, leverag\w*, paradigms?, best[- ]in[- ]class, best of breed, "
    r"move the needle, circle back, low[- ]hanging fruit, deep dive, bandwidth, holistic, "
    r"value[- ]add, game[- ]chang\w*, ecosystem, going forward, touch base, win[- ]win, "
    r"seamless(?:ly)?, cutting[- ]edge, world[- ]class, mission[- ]critical, "
    r"thought leadership, actionable insights, at the end of the day, outside the box, "
    r"empower\w*, unlock value, disruptive"
)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
_DEFINED_ACRONYM = re.compile(r"\(([A-Z]{2,6})s?\)")
_COMMON_ACRONYMS = word_set(
    "CEO CFO COO CTO CIO CMO HR IT US USA UK EU UN ROI KPI AI OK USD EUR GBP AM PM PDF FAQ ID "
    "TV NHS VAT GDP HIPAA GDPR"
)


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
    purpose_early: bool
    vague_claims: tuple[tuple[SentenceFacts, str], ...]  # claims of size without a figure
    risks: tuple[SentenceFacts, ...]
    unmitigated_risks: tuple[SentenceFacts, ...]
    mitigations: int
    costs_with_figures: int
    benefits_with_figures: int
    financial_mentions: int
    return_terms: tuple[str, ...]
    alternatives: bool
    sourced: int  # sentences that name a source (audit, survey, study…)
    figure_examples: tuple[str, ...]
    hedges: tuple[str, ...]
    jargon: tuple[str, ...]
    undefined_acronyms: tuple[str, ...]
    exclamations: int
    bullets: int
    headings: int
    paragraph_words: tuple[int, ...]

    @property
    def words(self) -> int:
        return self.metrics.words

    @property
    def ask_early(self) -> bool:
        return self.ask_position is not None and self.ask_position <= EARLY_SHARE

    @property
    def long_paragraphs(self) -> int:
        return sum(1 for n in self.paragraph_words if n > LONG_PARAGRAPH_WORDS)


def find(memo: str) -> Findings:
    """Measure a memo for the offline rules."""
    profile = profile_memo(memo)
    lowered = {u.start: profile.quote(u).lower() for u in profile.body}
    sentences = profile.sentences
    texts = [lowered[u.start] for u in sentences]
    asks = _ask_units(profile)
    mitigated = {u.start for u in sentences if MITIGATION.search(lowered[u.start])}
    risks = _risks(profile, lowered, mitigated)
    return Findings(
        profile=profile,
        metrics=metrics_from(profile),
        ask=asks[0] if asks else None,
        ask_position=_position(profile, asks[0] if asks else None),
        ask_paragraph=_paragraph_number(profile, asks[0] if asks else None),
        ask_has_amount=any(u.figures for u in asks),
        ask_has_deadline=any(DEADLINE.search(lowered[u.start]) for u in asks),
        purpose_early=_purpose_early(profile, lowered),
        vague_claims=tuple(_vague_claims(sentences, lowered)),
        risks=tuple(risks),
        unmitigated_risks=tuple(_unmitigated(risks, sentences, mitigated)),
        mitigations=len(mitigated),
        costs_with_figures=_with_figures(sentences, lowered, COST),
        benefits_with_figures=_with_figures(sentences, lowered, BENEFIT),
        financial_mentions=len(_all(COST, texts)),
        return_terms=tuple(dict.fromkeys(_all(RETURN, lowered.values()))),
        alternatives=any(ALTERNATIVES.search(text) for text in texts),
        sourced=sum(1 for text in texts if SOURCE.search(text)),
        figure_examples=_figure_examples(profile),
        hedges=_all(HEDGES, texts),
        jargon=_all(JARGON, texts),
        undefined_acronyms=_undefined_acronyms(profile),
        exclamations=sum(profile.quote(u).count("!") for u in sentences),
        bullets=sum(1 for u in profile.units if u.kind == "bullet"),
        headings=sum(1 for u in profile.units if u.kind == "heading"),
        paragraph_words=_paragraph_words(profile),
    )


def _ask_units(profile: MemoProfile) -> list[SentenceFacts]:
    """Every explicit ask, plus the sentence after the first (where amounts and dates often go)."""
    asks = [u for u in profile.body if u.ask]
    if asks:
        later = [u for u in profile.sentences if u.start > asks[0].start]
        if later and later[0].paragraph == asks[0].paragraph:
            asks.append(later[0])
    return asks


def _risks(
    profile: MemoProfile, lowered: dict[int, str], mitigated: set[int]
) -> list[SentenceFacts]:
    """Sentences naming a risk, and everything under a "Risks" heading that is not a mitigation."""
    risks: list[SentenceFacts] = []
    in_risk_section = False
    for unit in profile.body:
        text = lowered[unit.start]
        if unit.kind == "heading":
            in_risk_section = RISK.search(text) is not None
        elif RISK.search(text) or (in_risk_section and unit.start not in mitigated):
            risks.append(unit)
    return risks


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


def _purpose_early(profile: MemoProfile, lowered: dict[int, str]) -> bool:
    """A purpose statement ("This memo asks…") within the first fifth of the memo."""
    if not profile.body:
        return False
    start, end = profile.body[0].start, profile.body[-1].end
    cutoff = start + EARLY_SHARE * (end - start)
    return any(PURPOSE.search(lowered[u.start]) for u in profile.body if u.start <= cutoff)


def _vague_claims(
    sentences: list[SentenceFacts], lowered: dict[int, str]
) -> list[tuple[SentenceFacts, str]]:
    claims = []
    for unit in sentences:
        match = None if unit.figures else VAGUE.search(lowered[unit.start])
        if match:
            claims.append((unit, match.group()))
    return claims


def _unmitigated(
    risks: list[SentenceFacts], sentences: list[SentenceFacts], mitigated: set[int]
) -> list[SentenceFacts]:
    """Risks with no mitigation in the same sentence or the next one of the same paragraph."""
    following = {a.start: b for a, b in itertools.pairwise(sentences)}
    result = []
    for risk in risks:
        nxt = following.get(risk.start)
        covered = nxt is not None and nxt.paragraph == risk.paragraph and nxt.start in mitigated
        if risk.start not in mitigated and not covered:
            result.append(risk)
    return result


def _with_figures(
    sentences: list[SentenceFacts], lowered: dict[int, str], pattern: re.Pattern[str]
) -> int:
    return sum(1 for u in sentences if u.figures and pattern.search(lowered[u.start]))


def _all(pattern: re.Pattern[str], texts: Iterable[str]) -> tuple[str, ...]:
    """Every match in order, repeats included (density matters for hedges and jargon)."""
    return tuple(pattern.findall("\n".join(texts)))


def _figure_examples(profile: MemoProfile, limit: int = 3) -> tuple[str, ...]:
    """A few figures to quote back to the writer, amounts and percentages first."""
    found = [
        m.group() for u in profile.body if u.figures for m in FIGURE.finditer(profile.quote(u))
    ]
    ranked = sorted(dict.fromkeys(found), key=lambda figure: figure.isdigit())
    return tuple(ranked[:limit])


def _undefined_acronyms(profile: MemoProfile) -> tuple[str, ...]:
    """Capitalised abbreviations never spelled out in brackets, e.g. "EHR" without "(EHR)"."""
    defined = set(_DEFINED_ACRONYM.findall(profile.text))
    found: dict[str, None] = {}
    for unit in profile.sentences:
        quote = profile.quote(unit)
        if quote.isupper():
            continue
        for acronym in _ACRONYM.findall(quote):
            base = acronym.rstrip("s") if acronym.endswith("s") else acronym
            if base not in defined and base not in _COMMON_ACRONYMS:
                found.setdefault(base)
    return tuple(found)


def _paragraph_words(profile: MemoProfile) -> tuple[int, ...]:
    totals: dict[int, int] = {}
    for unit in profile.sentences:
        totals[unit.paragraph] = totals.get(unit.paragraph, 0) + unit.words
    return tuple(totals.values())
