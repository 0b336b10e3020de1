"""The offline coach's fixed chat answers: versions compared, scores explained against the
rubric's levels, what to fix first, and the not-an-AI notice once per conversation."""

from __future__ import annotations

from typing import Any

import pytest

from memoai.analysis import coach
from memoai.analysis.offline import analyse
from memoai.configs.schemas import Rubric
from memoai.llm.base import ChatMessage
from memoai.llm.offline import INTRO, OfflineProvider, reply
from tests.analysis.rubrics import funding_rubric

DRAFT = """Ward 4

Ward 4 is in a terrible state. The bathrooms are awful and the call bells barely work.
It really needs money spent on it as soon as possible."""

REVISED = """To: Senior Leadership Team
From: Joanna Pike, Director of Estates
Date: 8 September 2025
Subject: Decision needed by 30 September: $1.35M to refurbish Ward 4

Recommendation
I request $1.35M to refurbish Ward 4 between January and April 2026.

The problem
- Patients fell 31 times on the ward last year, against 18 on comparable wards (incident system).
- Its nurse call system failed 9 times in 2024 (estates survey).

Costs and return
Refurbishment saves $210,000 a year and pays back in 6.5 years. Patch repairs would cost
$380,000 now and $300,000 a year, instead of fixing the falls.

Risks
- Closing 24 beds for 14 weeks. Mitigation: decant to Ward 9; the operations director owns it.
"""


@pytest.fixture
def rubric() -> Rubric:
    return funding_rubric()


def facts(memo: str, rubric: Rubric, **extra: Any) -> dict[str, Any]:
    return {"evaluation": analyse(memo, rubric), "rubric": rubric, "memo": memo, **extra}


def score_of(out: dict[str, Any], criterion_id: str) -> int:
    return next(s["score"] for s in out["rubric_scores"] if s["criterion_id"] == criterion_id)


def test_compare_with_the_first_draft_gives_deltas_and_text_changes(rubric: Rubric) -> None:
    answer = reply(
        "How does this version compare with my first draft?",
        facts(REVISED, rubric, earlier=[DRAFT]),
    )
    before, after = analyse(DRAFT, rubric), analyse(REVISED, rubric)
    for criterion in rubric.criteria:
        was, now = score_of(before, criterion.id), score_of(after, criterion.id)
        assert f"- {criterion.name}: {was} → {now} ({now - was:+d})" in answer
    assert "Compared with your first draft" in answer
    assert "The new version states an explicit request." in answer
    assert "New: “To: Senior Leadership Team”" not in answer  # header lines are not sentences
    assert "Gone: “Ward 4 is in a terrible state.”" in answer
    assert "memo header lines 0 → 4" in answer


def test_compare_picks_the_previous_version_unless_the_first_is_asked(rubric: Rubric) -> None:
    middle = REVISED.replace("Risks\n", "").split("- Closing")[0]
    first = reply("Compare with my first draft", facts(REVISED, rubric, earlier=[DRAFT, middle]))
    previous = reply(
        "What changed since the previous version?", facts(REVISED, rubric, earlier=[DRAFT, middle])
    )
    assert "Compared with your first draft" in first
    assert "Compared with the previous version" in previous
    assert "Gone: “Ward 4 is in a terrible state.”" in first
    assert "Gone: “Ward 4 is in a terrible state.”" not in previous


def test_compare_without_an_earlier_version_says_so(rubric: Rubric) -> None:
    answer = reply("How does this compare with my first draft?", facts(DRAFT, rubric))
    assert "This is the first version of the memo" in answer


def test_a_score_is_explained_against_its_level_and_the_next(rubric: Rubric) -> None:
    answer = reply("Why did I get this score on risks?", facts(DRAFT, rubric))
    level = score_of(analyse(DRAFT, rubric), "risks")
    assert f"You scored {level} out of 5 on Risks and mitigation" in answer
    assert (
        f"The rubric describes level {level} as: Risks and mitigation at level {level}." in answer
    )
    assert f"To reach {level + 1}, the rubric asks for:" in answer
    assert "What would move it up in this memo:" in answer and "mitigate" in answer


def test_what_to_fix_first_weighs_the_gap_by_the_criterion_weight(rubric: Rubric) -> None:
    evaluation = {
        "rubric_scores": [
            {"criterion_id": c.id, "score": s, "assessed": True}
            for c, s in zip(rubric.criteria, (4, 2, 3, 3, 2, 1), strict=True)
        ]
    }
    answer = coach.fix_first(evaluation, rubric, DRAFT)
    # Weights 20, 15, 20, 20, 15, 10: gaps × weight are 20, 45, 40, 40, 45, 40; the tie between
    # structure and risks (45) goes to the lower score, then the rubric's order.
    assert answer.startswith("Fix Structure and flow first: you scored 2 out of 5")
    assert "it carries 15% of the overall score" in answer
    assert "To reach 3, the rubric asks for: Structure and flow at level 3." in answer
    assert "Then: Risks and mitigation (2 out of 5)." in answer
    asked = reply("What should I fix first?", facts(DRAFT, rubric) | {"evaluation": evaluation})
    assert "Fix Structure and flow first" in asked


async def test_the_not_an_ai_notice_comes_once_per_conversation(rubric: Rubric) -> None:
    provider = OfflineProvider()
    known = facts(DRAFT, rubric)

    async def answer(messages: list[ChatMessage], extra: dict[str, Any]) -> str:
        return "".join([c async for c in provider.chat("system", messages, known | extra)])

    first = await answer([ChatMessage("user", "Summarise my feedback")], {"replied": False})
    later = await answer(
        [
            ChatMessage("user", "Summarise my feedback"),
            ChatMessage("assistant", first),
            ChatMessage("user", "What should I fix first?"),
        ],
        {"replied": True},
    )
    assert first.startswith(INTRO)
    assert INTRO not in later and "not an AI model" not in later
    # Without word from the chat flow, an earlier answer in the turns counts.
    turns = [ChatMessage("user", "Hi"), ChatMessage("assistant", "Hello"), ChatMessage("user", "?")]
    assert "not an AI model" not in await answer(turns, {})
    assert (await answer([ChatMessage("user", "?")], {})).startswith(INTRO)
