"""The offline provider: the rule-based analyser behind the Provider protocol, with no network.

Chat answers come from the stored evaluation, the memo's versions and the rubric with fixed
rules. The first reply of a conversation says that it comes from the offline analysis, not an
AI model; later replies do not repeat it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from memoai import scores as score_rule
from memoai.analysis import coach
from memoai.analysis.assessment import headers_named
from memoai.analysis.dimensions import clip, where_ask
from memoai.analysis.findings import find
from memoai.analysis.metrics import MEMO_HEADERS
from memoai.analysis.offline import analyse, criterion_dimensions, dimensions_of
from memoai.analysis.text import word_set
from memoai.analysis.wording import tr
from memoai.api import ErrorCode
from memoai.configs.schemas import Criterion, Rubric
from memoai.llm.base import (
    ChatMessage,
    EvaluationPrompt,
    LLMError,
    PartialCallback,
    ProviderResult,
    Usage,
)

INTRO = (
    "I am the offline analysis, not an AI model: I answer from your evaluation and the rubric "
    "with fixed rules."
)
# Questions are matched in English and in Spanish: the writer may ask in either.
TOP_OPPORTUNITIES = 3
_OPENING_WORDS = re.compile(
    r"\b(?:open\w*|rewrit\w*|re-writ\w*|start\w*|begin\w*|intro\w*|first (?:line|sentence|"
    r"paragraph)|lead|restructur\w*|reorder\w*"
    r"|comienzo|empez\w*|empiez\w*|inicio|reescrib\w*|introducci\w*|primer (?:párrafo|frase)"
    r"|primera (?:frase|línea)|arranque|reorganiz\w*)\b"
)
_COMPARE_WORDS = re.compile(
    r"\b(?:compar\w*|previous|earlier|(?:first|last|old|original) (?:draft|version)"
    r"|(?:what|how much) (?:has )?(?:changed|improved)|progress since|versions?"
    r"|anterior|borrador|versi(?:ón|ones)|qué (?:ha )?cambiado|cuánto (?:he )?mejorado"
    r"|progreso)\b"
)
_FIRST_DRAFT = re.compile(r"\b(?:first|original|initial|primer|primera|inicial)\b")
_FIX_FIRST_WORDS = re.compile(
    r"\b(?:fix|improve|change|work on|focus on|tackle)\w* first\b|\bfirst\b.{0,30}\bfix"
    r"|\bpriorit\w*|\bwhere (?:should|do) i (?:start|begin)|\bmost important\b"
    r"|\bbiggest (?:gain|win|improvement)\b"
    r"|\b(?:arreglar|corregir|mejorar|cambiar) primero\b|\bpor dónde (?:empiezo|empezar)"
    r"|\blo más importante\b|\bqué (?:debo|debería) (?:arreglar|corregir|mejorar)\b"
)
_CHUNK = re.compile(r"\S+\s*")
_STOPWORDS = word_set(
    "and the for with why did get got what how can could should would score scored mark low "
    "high this that memo my was are you your about"
)


class OfflineProvider:
    """Deterministic feedback from the writing metrics and clear rules; no key, no network."""

    name = "offline"
    model = "rules-v1"
    label = "offline analysis"

    async def evaluate(
        self, prompt: EvaluationPrompt, on_partial: PartialCallback | None = None
    ) -> ProviderResult:
        """Analyse the memo against the rubric, reporting each finished part as it goes."""
        if prompt.rubric is None:
            raise LLMError(
                ErrorCode.LLM_NOT_CONFIGURED,
                "The offline analysis needs the active rubric.",
                retryable=False,
            )
        data = analyse(prompt.memo, prompt.rubric, prompt.language)
        if on_partial is not None:
            await _report_progress(data, on_partial)
        return ProviderResult(
            data=data,
            raw_text=json.dumps(data, ensure_ascii=False),
            usage=Usage(),
            model=self.model,
        )

    async def chat(
        self, system: str, messages: list[ChatMessage], facts: dict[str, Any] | None = None
    ) -> AsyncIterator[str]:
        """Stream a rule-based answer to the last user message, word by word."""
        question = next((m.content for m in reversed(messages) if m.role == "user"), "")
        facts = facts or {}
        replied = facts.get("replied")
        if replied is None:  # no word from the chat flow: judge from the turns it sent
            replied = any(m.role == "assistant" for m in messages)
        for chunk in _CHUNK.findall(reply(question, facts, first=not replied)):
            yield chunk
            await asyncio.sleep(0)

    async def check(self) -> tuple[bool, str]:
        return True, "offline analysis needs no network"


async def _report_progress(data: dict[str, Any], on_partial: PartialCallback) -> None:
    """Grow the answer part by part; the empty next key marks the earlier ones as finished."""
    keys = list(data)
    for index, key in enumerate(keys):
        following: dict[str, list[Any]] = {keys[index + 1]: []} if index + 1 < len(keys) else {}
        done = {k: data[k] for k in keys[:index]}
        if key == "rubric_scores":
            for count in range(1, len(data[key]) + 1):
                await on_partial({**done, key: data[key][:count], **following})
        else:
            await on_partial({**done, key: list(data[key]), **following})


def reply(question: str, facts: dict[str, Any], *, first: bool = True) -> str:
    """The whole answer: a comparison of versions, what to fix first, a criterion's score,
    advice on the opening, or a summary; the notice that this is no AI model on the first."""
    evaluation: dict[str, Any] = facts.get("evaluation") or {}
    rubric: Rubric | None = facts.get("rubric")
    memo: str = facts.get("memo") or ""
    lang: str = facts.get("language") or "en"
    lowered = question.lower()
    criterion = named_criterion(lowered, rubric) if rubric else None
    if criterion is None and not _OPENING_WORDS.search(lowered) and rubric:
        criterion = topical_criterion(lowered, rubric)
    if rubric is not None and _COMPARE_WORDS.search(lowered):
        earlier = list(facts.get("earlier") or [])
        body = coach.compare_versions(
            memo, earlier, rubric, first=bool(_FIRST_DRAFT.search(lowered)), language=lang
        )
    elif rubric is not None and _FIX_FIRST_WORDS.search(lowered):
        body = coach.fix_first(evaluation, rubric, memo, lang)
    elif criterion is not None and rubric is not None:
        body = explain_criterion(criterion, rubric, evaluation, memo, lang)
    elif _OPENING_WORDS.search(lowered):
        body = opening_advice(memo, lang)
    else:
        body = summary(evaluation, rubric, lang)
    return f"{tr(INTRO, lang)}\n\n{body}" if first else body


def named_criterion(question: str, rubric: Rubric) -> Criterion | None:
    """The criterion a lower-cased question names by id or by the words of its name."""
    asked = _stems(question)
    best, best_hits = None, 0
    for criterion in rubric.criteria:
        if criterion.id in question or criterion.id.replace("_", " ") in question:
            return criterion
        hits = len(asked & _stems(f"{criterion.id.replace('_', ' ')} {criterion.name}"))
        if hits > best_hits:
            best, best_hits = criterion, hits
    return best


def topical_criterion(question: str, rubric: Rubric) -> Criterion | None:
    """The first criterion about the question's topic ("financials" finds the business case)."""
    topics = dimensions_of(question)
    for criterion in rubric.criteria:
        shares = criterion_dimensions(criterion.id, criterion.name, criterion.description)
        if topics.keys() & shares.keys():
            return criterion
    return None


def _stems(text: str) -> set[str]:
    """Rough word stems, so "risk" matches "Risks" and "structured" matches "Structure"."""
    words = re.findall(r"[a-z]{3,}", text)
    return {w.removesuffix("s")[:5] for w in words if w not in _STOPWORDS}


def explain_criterion(
    criterion: Criterion,
    rubric: Rubric,
    evaluation: dict[str, Any],
    memo: str = "",
    language: str = "en",
) -> str:
    """Why the criterion got its score, against the guidance of its level and the next one."""
    item = next(
        (s for s in evaluation.get("rubric_scores", []) if s.get("criterion_id") == criterion.id),
        None,
    )
    low, high, lang = rubric.scale.min, rubric.scale.max, language
    if item is None:
        text = tr("This evaluation has no score for {name}.", lang, name=criterion.name)
        return f"{text} {_guidance(criterion, high, lang)}"
    score = item.get("score")
    why = item.get("justification", "")
    if score is None or not item.get("assessed", True):
        text = tr("{name} was not scored.", lang, name=criterion.name)
        return f"{text} {why} {_guidance(criterion, high, lang)}"
    lines = [
        tr(
            "You scored {score} out of {high} on {name} (scale {low}–{high}).",
            lang,
            score=score,
            high=high,
            name=criterion.name,
            low=low,
        ),
        tr("Why: {why}", lang, why=why),
        *coach.level_guidance(criterion, score, high, lang),
    ]
    steps = coach.criterion_advice(memo, criterion, lang) if score < high else []
    if steps:
        lines.append(tr("What would move it up in this memo:", lang))
        lines.extend(f"- {step}" for step in steps)
    return "\n".join(lines)


def _guidance(criterion: Criterion, level: int, language: str = "en") -> str:
    return tr(
        "The rubric's guidance for the top level ({level}): {guidance}",
        language,
        level=level,
        guidance=criterion.guidance[level],
    )


def opening_advice(memo: str, language: str = "en") -> str:
    """How to open the memo, from where (and whether) it states its request."""
    lang = language
    if not memo.strip():
        return tr("I do not have the memo's text, so I cannot comment on its opening.", lang)
    f = find(memo, lang)
    lines = []
    if f.ask is None:
        text = (
            "Your memo has no explicit request. Open with one sentence that says what you want, "
            "how much and by when, e.g. “I request approval of <amount> to <do what> by <date>.”"
        )
        lines.append(tr(text, lang))
    elif f.ask_early:
        text = (
            "Your opening already carries the request ({where}): keep it there and follow it "
            "with the two or three reasons that support it."
        )
        lines.append(tr(text, lang, where=where_ask(f)))
    else:
        quote = clip(f.profile.quote(f.ask), 160)
        text = "Your request sits in {where}. Move it to the opening: “{quote}”"
        lines.append(tr(text, lang, where=where_ask(f), quote=quote))
    missing = [h for h in MEMO_HEADERS if h not in f.metrics.headers_found]
    if missing:
        text = "Add the memo header lines ({missing}); let the {subject} name the decision."
        subject = headers_named(f, ["Subject"])
        lines.append(tr(text, lang, missing=headers_named(f, missing), subject=subject))
    text = (
        "A reliable order: the request; why now (the problem, with one figure); costs and "
        "return; risks and how you will handle them; next steps and the decision date."
    )
    lines.append(tr(text, lang))
    text = "I cannot write new text for you; an AI provider can draft a revised opening."
    lines.append(tr(text, lang))
    return "\n".join(lines)


def summary(evaluation: dict[str, Any], rubric: Rubric | None, language: str = "en") -> str:
    """The overall score, the top opportunities, and what to ask next."""
    lines, lang = [], language
    overall = evaluation.get("overall_score")
    if overall is not None and rubric is not None:
        text = "Your overall score is {score} on a scale of {low}–{high}."
        low, high = rubric.scale.min, rubric.scale.max
        lines.append(tr(text, lang, score=score_rule.text(overall), low=low, high=high))
        lines.extend(_extremes(evaluation.get("rubric_scores") or [], rubric, lang))
    top = (evaluation.get("opportunities") or [])[:TOP_OPPORTUNITIES]
    if top:
        lines.append(tr("The biggest opportunities:", lang))
        lines.extend(f"- {item}" for item in top)
    example = rubric.criteria[0].name if rubric else tr("a criterion", lang)
    text = (
        "Ask me about a criterion by name (e.g. “Why did I get this score on {example}?”), "
        "what to fix first, how this version compares with your first draft, or how to open "
        "the memo."
    )
    lines.append(tr(text, lang, example=example))
    return "\n".join(lines)


def _extremes(
    rubric_scores: list[dict[str, Any]], rubric: Rubric, language: str = "en"
) -> list[str]:
    """The strongest criterion and the one with most room to grow, as every view names them."""
    known = {c.id: c for c in rubric.criteria}
    items = []
    for item in rubric_scores:
        criterion = known.get(str(item.get("criterion_id")))
        if criterion is not None:
            items.append({**item, "name": criterion.name, "weight": criterion.weight})
    lines, high = [], rubric.scale.max
    best, low = score_rule.strongest(items), score_rule.weakest(items)
    if best is not None:
        text = tr("Strongest: {name} ({score} / {high}).", language, high=high, **_named(best))
        lines.append(text)
    if low is not None:
        text = "Most room to grow: {name} ({score} / {high})."
        lines.append(tr(text, language, high=high, **_named(low)))
    return lines


def _named(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": item["name"], "score": item["score"]}
