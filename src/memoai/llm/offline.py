"""The offline provider: the rule-based analyser behind the Provider protocol, with no network.

Chat answers come from the stored evaluation and the rubric with fixed rules, and always say
that they come from the offline analysis, not an AI model.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from memoai.analysis.dimensions import clip, where_ask
from memoai.analysis.findings import find
from memoai.analysis.metrics import MEMO_HEADERS
from memoai.analysis.offline import analyse, criterion_dimensions, dimensions_of
from memoai.analysis.text import word_set
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
TOP_OPPORTUNITIES = 3
_OPENING_WORDS = re.compile(
    r"\b(?:open\w*|rewrit\w*|re-writ\w*|start\w*|begin\w*|intro\w*|first (?:line|sentence|"
    r"paragraph)|lead|restructur\w*|reorder\w*)\b"
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
        data = analyse(prompt.memo, prompt.rubric)
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
        for chunk in _CHUNK.findall(reply(question, facts or {})):
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


def reply(question: str, facts: dict[str, Any]) -> str:
    """The whole answer: a criterion's score, advice on the opening, or a summary."""
    evaluation: dict[str, Any] = facts.get("evaluation") or {}
    rubric: Rubric | None = facts.get("rubric")
    lowered = question.lower()
    criterion = named_criterion(lowered, rubric) if rubric else None
    if criterion is None and not _OPENING_WORDS.search(lowered) and rubric:
        criterion = topical_criterion(lowered, rubric)
    if criterion is not None and rubric is not None:
        body = explain_criterion(criterion, rubric, evaluation)
    elif _OPENING_WORDS.search(lowered):
        body = opening_advice(facts.get("memo") or "")
    else:
        body = summary(evaluation, rubric)
    return f"{INTRO}\n\n{body}"


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


def explain_criterion(criterion: Criterion, rubric: Rubric, evaluation: dict[str, Any]) -> str:
    """Why the criterion got its score, and what the rubric asks for at the next level."""
    item = next(
        (s for s in evaluation.get("rubric_scores", []) if s.get("criterion_id") == criterion.id),
        None,
    )
    low, high = rubric.scale.min, rubric.scale.max
    if item is None:
        return f"This evaluation has no score for {criterion.name}. {_guidance(criterion, high)}"
    score = item.get("score")
    why = item.get("justification", "")
    if score is None or not item.get("assessed", True):
        return f"{criterion.name} was not scored. {why} {_guidance(criterion, high)}"
    lines = [
        f"You scored {score} out of {high} on {criterion.name} (scale {low}–{high}).",
        f"Why: {why}",
    ]
    if score < high:
        lines.append(f"To reach {score + 1}, the rubric asks for: {criterion.guidance[score + 1]}")
    else:
        lines.append("That is the top level; keep doing what earned it.")
    return "\n".join(lines)


def _guidance(criterion: Criterion, level: int) -> str:
    return f"The rubric's guidance for the top level ({level}): {criterion.guidance[level]}"


def opening_advice(memo: str) -> str:
    """How to open the memo, from where (and whether) it states its request."""
    if not memo.strip():
        return "I do not have the memo's text, so I cannot comment on its opening."
    f = find(memo)
    lines = []
    if f.ask is None:
        lines.append(
            "Your memo has no explicit request. Open with one sentence that says what you want, "
            "how much and by when, e.g. “I request approval of <amount> to <do what> by <date>.”"
        )
    elif f.ask_early:
        lines.append(
            f"Your opening already carries the request ({where_ask(f)}): keep it there and "
            "follow it with the two or three reasons that support it."
        )
    else:
        quote = clip(f.profile.quote(f.ask), 160)
        lines.append(f"Your request sits in {where_ask(f)}. Move it to the opening: “{quote}”")
    missing = [h for h in MEMO_HEADERS if h not in f.metrics.headers_found]
    if missing:
        lines.append(
            f"Add the memo header lines ({', '.join(missing)}); let the Subject name the decision."
        )
    lines.append(
        "A reliable order: the request; why now (the problem, with one figure); costs and "
        "return; risks and how you will handle them; next steps and the decision date."
    )
    lines.append("I cannot write new text for you; an AI provider can draft a revised opening.")
    return "\n".join(lines)


def summary(evaluation: dict[str, Any], rubric: Rubric | None) -> str:
    """The overall score, the top opportunities, and what to ask next."""
    lines = []
    overall = evaluation.get("overall_score")
    if overall is not None and rubric is not None:
        lines.append(
            f"Your overall score is {overall} on a scale of {rubric.scale.min}–{rubric.scale.max}."
        )
    top = (evaluation.get("opportunities") or [])[:TOP_OPPORTUNITIES]
    if top:
        lines.append("The biggest opportunities:")
        lines.extend(f"- {item}" for item in top)
    example = rubric.criteria[0].name if rubric else "a criterion"
    lines.append(
        f"Ask me about a criterion by name (e.g. “Why did I get this score on {example}?”) "
        "or about how to open the memo."
    )
    return "\n".join(lines)
