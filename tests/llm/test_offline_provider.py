"""The offline provider behind the Provider protocol: evaluation, progress, and honest chat."""

from __future__ import annotations

import json
from typing import Any

import pytest

from memoai import scores
from memoai.analysis.offline import analyse
from memoai.api import ErrorCode
from memoai.configs.schemas import Rubric
from memoai.llm.base import ChatMessage, EvaluationPrompt, LLMError, Usage
from memoai.llm.offline import OfflineProvider
from memoai.llm.output import completed_items, validate_output
from tests.analysis.rubrics import funding_rubric, memo


@pytest.fixture
def rubric() -> Rubric:
    return funding_rubric(humour=True)


def prompt(text: str, rubric: Rubric | None) -> EvaluationPrompt:
    return EvaluationPrompt(static_system="", user="", schema={}, memo=text, rubric=rubric)


async def evaluation_facts(text: str, rubric: Rubric) -> dict[str, Any]:
    """What the chat flow hands the provider: the stored evaluation, the rubric and the memo."""
    result = await OfflineProvider().evaluate(prompt(text, rubric))
    checked = validate_output(result.data, rubric, text, allow_unassessed=True)
    evaluation = {**result.data, "overall_score": checked.overall_score}
    return {"evaluation": evaluation, "rubric": rubric, "memo": text}


async def ask(question: str, facts: dict[str, Any] | None) -> list[str]:
    """The first question of a conversation (the reply carries the not-an-AI notice)."""
    messages = [ChatMessage("user", question)]
    return [chunk async for chunk in OfflineProvider().chat("system", messages, facts)]


def score_of(facts: dict[str, Any], criterion_id: str) -> int:
    scores = facts["evaluation"]["rubric_scores"]
    return next(s["score"] for s in scores if s["criterion_id"] == criterion_id)


async def test_identity_and_check() -> None:
    provider = OfflineProvider()
    assert (provider.name, provider.model, provider.label) == (
        "offline",
        "rules-v1",
        "offline analysis",
    )
    assert await provider.check() == (True, "offline analysis needs no network")


async def test_evaluate_returns_the_analysis(rubric: Rubric) -> None:
    text = memo("strong")
    result = await OfflineProvider().evaluate(prompt(text, rubric))
    assert result.data == analyse(text, rubric)
    assert json.loads(result.raw_text) == result.data
    assert result.usage == Usage() and result.model == "rules-v1"


async def test_output_passes_validation_with_every_segment_located(rubric: Rubric) -> None:
    for name in ("strong", "rambling", "unicode"):
        text = memo(name)
        result = await OfflineProvider().evaluate(prompt(text, rubric))
        checked = validate_output(result.data, rubric, text, allow_unassessed=True)
        assert checked.dropped_segments == 0
        assert checked.overall_score is not None


async def test_progress_reports_each_part_as_it_is_finished(rubric: Rubric) -> None:
    shown: list[dict[str, int]] = []

    async def on_partial(partial: dict[str, Any]) -> None:
        shown.append({key: len(items) for key, items in completed_items(partial).items()})

    await OfflineProvider().evaluate(prompt(memo("medium"), rubric), on_partial)
    strengths = len(analyse(memo("medium"), rubric)["strengths"])
    assert shown[0] == {"strengths": strengths, "opportunities": 0, "rubric_scores": 0}
    criteria_counts = [s["rubric_scores"] for s in shown]
    assert criteria_counts == sorted(criteria_counts)
    assert set(range(1, len(rubric.criteria) + 1)) <= set(criteria_counts)


async def test_evaluate_without_a_rubric_is_a_configuration_error() -> None:
    with pytest.raises(LLMError) as caught:
        await OfflineProvider().evaluate(prompt("A memo.", None))
    assert caught.value.code == ErrorCode.LLM_NOT_CONFIGURED
    assert not caught.value.retryable


async def test_chat_explains_the_asked_criterion(rubric: Rubric) -> None:
    facts = await evaluation_facts(memo("medium"), rubric)
    chunks = await ask("Why did I get 2 on Risk?", facts)
    answer = "".join(chunks)
    assert len(chunks) > 10  # streamed word by word
    assert "not an AI model" in answer
    score = score_of(facts, "risks")
    assert f"You scored {score} out of 5 on Risks and mitigation" in answer
    assert f"Risks and mitigation at level {score + 1}." in answer  # the rubric's next level
    assert "mitigation" in answer


async def test_chat_finds_a_criterion_by_its_topic(rubric: Rubric) -> None:
    facts = await evaluation_facts(memo("medium"), rubric)
    answer = "".join(await ask("What about my financials?", facts))
    assert f"You scored {score_of(facts, 'business_case')} out of 5 on Business case" in answer


async def test_chat_about_an_unassessed_criterion_says_so(rubric: Rubric) -> None:
    facts = await evaluation_facts(memo("medium"), rubric)
    answer = "".join(await ask("How was my humour?", facts))
    assert "Humour was not scored" in answer and "cannot judge" in answer


async def test_chat_advises_on_the_opening_from_the_structure(rubric: Rubric) -> None:
    facts = await evaluation_facts(memo("medium"), rubric)
    answer = "".join(await ask("How should I rewrite the opening?", facts))
    assert "not an AI model" in answer
    assert "paragraph 5" in answer and "We recommend that the committee" in answer
    assert "Date" in answer  # the missing header line


async def test_chat_otherwise_summarises_the_top_opportunities(rubric: Rubric) -> None:
    facts = await evaluation_facts(memo("rambling"), rubric)
    answer = "".join(await ask("Thanks. Anything else?", facts))
    evaluation = facts["evaluation"]
    assert f"overall score is {scores.text(evaluation['overall_score'])}" in answer
    criteria = {c.id: c for c in rubric.criteria}
    named = [
        {**s, "name": criteria[cid].name, "weight": criteria[cid].weight}
        for s in evaluation["rubric_scores"]
        for cid in [s["criterion_id"]]
    ]
    best = scores.strongest(named)
    assert best is not None and f"Strongest: {best['name']}" in answer
    assert facts["evaluation"]["opportunities"][0] in answer


async def test_chat_without_facts_still_answers_honestly() -> None:
    answer = "".join(await ask("Hello?", None))
    assert answer.startswith("I am the offline analysis, not an AI model")
