"""The offline analyser: rubric feedback from rules and metrics, honest about what it can't judge.

Each criterion is mapped by the words of its id, name and description to the dimensions the
rules can measure; criteria that map to none are reported as not assessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from memoai.analysis.dimensions import (
    DIMENSIONS,
    FULL_LENGTH_WORDS,
    PADDING_SHARE,
    Assessment,
    Note,
    clip,
    count,
)
from memoai.analysis.findings import Findings, find
from memoai.analysis.segments import segment_feedback
from memoai.analysis.wording import tr
from memoai.configs.schemas import Criterion, Rubric, Scale

MAX_NOTES = 8
# A strength is only praised where the criterion reaches the middle of the scale: "Easy to
# read" beside a tone score of 1 would be a contradiction.
STRENGTH_FLOOR = 0.375
_NAME_WEIGHT = 3  # a keyword in the id or name counts three times one in the description
_MIN_DESCRIPTION_HITS = 2  # with no keyword in id or name, the description must be clear

# Word beginnings that tie a criterion to a dimension the rules can measure.
DIMENSION_KEYWORDS: dict[str, str] = {
    "purpose": "purpose, ask, request, recommend, call to action, decision, bottom line, objective",
    "structure": "structur, organi, flow, format, layout, logic, header, heading, pyramid, scqa, "
    "order, sequenc, skim",
    "evidence": "evidence, data, figure, fact, metric, quantif, proof, support, research, source",
    "business_case": "business case, financ, cost, roi, return, budget, saving, invest, benefit, "
    "economic",
    "risks": "risk, mitigat, contingenc, downside, threat, compliance",
    "clarity": "clarity, clear, concis, brevity, readab, plain language, plain english, sentence, "
    "wording, active voice, wordy",
    "audience": "audience, tone, reader, stakeholder, professional, persuas, jargon, acronym",
}
# The same in Spanish, for a rubric written in Spanish and for questions asked in Spanish.
_SPANISH_KEYWORDS: dict[str, str] = {
    "purpose": "propósito, solicitud, petición, pedido, recomend, decisión, objetivo",
    "structure": "estructur, organiz, orden, formato, encabezado, títul, apartado, párrafo",
    "evidence": "evidencia, dato, cifra, prueba, fuente, métric, cuantific",
    "business_case": "caso de negocio, financ, coste, costo, retorno, presupuest, ahorro, "
    "inversión, beneficio",
    "risks": "riesgo, mitigac, contingencia, amenaza, cumplimiento",
    "clarity": "clarid, conciso, concisi, legib, lectura, redacc, voz activa, voz pasiva",
    "audience": "público, tono, lector, profesional, persuas, jerga, sigla",
}
DIMENSION_KEYWORDS = {d: f"{k}, {_SPANISH_KEYWORDS[d]}" for d, k in DIMENSION_KEYWORDS.items()}
_KEYWORD_PATTERNS = {
    dimension: [re.compile(rf"\b{re.escape(k)}") for k in keywords.split(", ")]
    for dimension, keywords in DIMENSION_KEYWORDS.items()
}


@dataclass(frozen=True)
class Judgement:
    criterion: Criterion
    assessment: Assessment | None


def analyse(memo: str, rubric: Rubric, language: str = "en") -> dict[str, Any]:
    """Feedback on a memo in the shape every provider returns, from rules alone, by the rules
    of the writer's language and written in it (the rubric's own words stay as written)."""
    f = find(memo, language)
    assessments = {name: assess(f) for name, assess in DIMENSIONS.items()}
    judgements = [_judge(c, assessments, f) for c in rubric.criteria]
    return {
        "strengths": _strengths(f, judgements, assessments),
        "opportunities": _opportunities(judgements, assessments, f.language),
        "rubric_scores": [_score_item(j, rubric.scale, f.language) for j in judgements],
        "segment_feedback": segment_feedback(f),
    }


def dimensions_of(text: str) -> dict[str, int]:
    """How many keywords of each dimension a text mentions."""
    lowered = text.lower().replace("_", " ")
    hits = {
        d: sum(1 for p in patterns if p.search(lowered))
        for d, patterns in _KEYWORD_PATTERNS.items()
    }
    return {d: n for d, n in hits.items() if n}


@lru_cache(maxsize=256)
def criterion_dimensions(identifier: str, name: str, description: str) -> dict[str, float]:
    """The dimensions a criterion covers, with their shares; empty when the rules can't judge it."""
    named = dimensions_of(f"{identifier} {name}")
    described = dimensions_of(description)
    if named:
        totals = {d: _NAME_WEIGHT * n + described.get(d, 0) for d, n in named.items()}
    else:
        best = max(described.items(), key=lambda item: item[1], default=None)
        totals = dict([best]) if best and best[1] >= _MIN_DESCRIPTION_HITS else {}
    whole = sum(totals.values())
    return {d: n / whole for d, n in totals.items()}


def _judge(criterion: Criterion, assessments: dict[str, Assessment], f: Findings) -> Judgement:
    shares = criterion_dimensions(criterion.id, criterion.name, criterion.description)
    if not shares:
        return Judgement(criterion, None)
    parts = [assessments[d] for d in shares]
    facts = " ".join(p.facts for p in parts)
    if any(p.capped for p in parts):
        short = " The memo is only {words}, too short to show much."
        facts += tr(short, f.language, words=count(f.words, "word", f.language))
    blended = Assessment(
        quality=sum(assessments[d].quality * share for d, share in shares.items()),
        facts=facts,
        strengths=tuple(n for p in parts for n in p.strengths),
        opportunities=tuple(n for p in parts for n in p.opportunities),
    )
    return Judgement(criterion, blended)


def level(quality: float, scale: Scale) -> int:
    """Map a 0..1 quality onto the rubric's scale, rounding halves up."""
    steps = round(quality * (scale.max - scale.min), 6)  # 3.4999999 from float sums is 3.5
    return scale.min + math.floor(steps + 0.5)


def _score_item(judgement: Judgement, scale: Scale, language: str) -> dict[str, Any]:
    criterion, assessment = judgement.criterion, judgement.assessment
    if assessment is None:
        return {
            "criterion_id": criterion.id,
            "score": None,
            "justification": tr(
                "The offline analysis cannot judge {name}; it needs an AI model. Switch to an "
                "AI provider or ask a colleague to review this criterion.",
                language,
                name=criterion.name,
            ),
            "assessed": False,
        }
    return {
        "criterion_id": criterion.id,
        "score": level(assessment.quality, scale),
        "justification": assessment.facts,
        "assessed": True,
    }


def _collect(notes: list[tuple[float, float, Note]]) -> list[str]:
    """Notes in rank order, each key once, at most MAX_NOTES."""
    seen: dict[str, str] = {}
    for _quality, _weight, note in sorted(notes, key=lambda item: (item[0], -item[1])):
        seen.setdefault(note.key, note.text)
    return list(seen.values())[:MAX_NOTES]


def _strengths(
    f: Findings, judgements: list[Judgement], assessments: dict[str, Assessment]
) -> list[str]:
    """What the memo does well, best first; never empty."""
    ranked = [
        (-j.assessment.quality, j.criterion.weight, n)
        for j in judgements
        if j.assessment and j.assessment.quality >= STRENGTH_FLOOR
        for n in j.assessment.strengths
    ]
    found = _collect(ranked) or _collect(
        [
            (-a.quality, 0.0, n)
            for a in assessments.values()
            if a.quality >= STRENGTH_FLOOR
            for n in a.strengths
        ]
    )
    return found or [_fallback_strength(f)]


def _opportunities(
    judgements: list[Judgement], assessments: dict[str, Assessment], language: str
) -> list[str]:
    """What to improve, weakest criterion first; never empty."""
    ranked = [
        (j.assessment.quality, j.criterion.weight, n)
        for j in judgements
        if j.assessment
        for n in j.assessment.opportunities
    ]
    found = _collect(ranked) or _collect(
        [(a.quality, 0.0, n) for a in assessments.values() for n in a.opportunities]
    )
    return found or [_fallback_opportunity(judgements, language)]


def _fallback_strength(f: Findings) -> str:
    """Something true and encouraging when no rule found a strength."""
    lang = f.language
    if f.words == 0:
        return tr(
            "You have made a start: write the memo and the analysis will find what works.", lang
        )
    if f.repeated_share > PADDING_SHARE:
        first = clip(f.profile.quote(f.profile.sentences[0]))
        return tr(
            "Your message is plain: “{first}” Now support it once instead of repeating it.",
            lang,
            first=first,
        )
    if f.words < FULL_LENGTH_WORDS:
        brief = count(f.words, "word", lang)
        return tr(
            "The memo is brief ({brief}), so it is quick to read and easy to extend.",
            lang,
            brief=brief,
        )
    return tr(
        "The memo covers its topic in {words} words, so the material for a strong memo is "
        "there; the opportunities below show how to shape it.",
        lang,
        words=f.words,
    )


def _fallback_opportunity(judgements: list[Judgement], language: str) -> str:
    unjudged = [j.criterion.name for j in judgements if j.assessment is None]
    what = ", ".join(unjudged) if unjudged else tr("tone, accuracy and persuasiveness", language)
    return tr(
        "Ask a colleague or an AI reviewer to check what rules cannot judge: {what}.",
        language,
        what=what,
    )
