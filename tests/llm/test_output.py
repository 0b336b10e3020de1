"""The model-answer contract: schema, parsing, validation, scoring and streaming."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from memoai.configs.schemas import Criterion, Rubric, Scale
from memoai.llm.output import (
    CriterionScore,
    OutputInvalid,
    ValidatedEvaluation,
    completed_items,
    evaluation_schema,
    overall_score,
    parse_json_text,
    parse_partial,
    validate_output,
)

MEMO = (
    "To: Leadership Team\nSubject: Fund the triage pilot\n\n"
    "We request $450,000 for a 12-month nurse triage pilot. "
    "Readmissions fell 18% in the trial — a “strong” signal.\n"
    "Staffing is the main risk; we will hire two contractors.\n"
)


def criterion(cid: str, name: str, weight: float) -> Criterion:
    guidance = {level: f"level {level}" for level in range(1, 6)}
    return Criterion(id=cid, name=name, description=name, weight=weight, guidance=guidance)


@pytest.fixture
def rubric() -> Rubric:
    return Rubric(
        name="Test rubric",
        scale=Scale(min=1, max=5),
        criteria=[
            criterion("structure", "Structure", 30),
            criterion("evidence", "Evidence", 50),
            criterion("risks", "Risks", 20),
        ],
    )


@pytest.fixture
def answer() -> dict[str, Any]:
    return {
        "strengths": ["Clear ask up front.", "  Uses a concrete figure.  ", ""],
        "opportunities": ["Quantify the staffing risk."],
        "rubric_scores": [
            {"criterion_id": "risks", "score": 3, "justification": "Names one risk."},
            {"criterion_id": "structure", "score": 4, "justification": "Ask comes first."},
            {"criterion_id": "evidence", "score": 2, "justification": "One figure only."},
        ],
        "segment_feedback": [
            {
                "segment": "Staffing is the main risk",
                "comment": "Say how likely it is.",
                "questions": ["What if hiring slips?"],
                "suggestion": "Add a fallback.",
            },
            {
                "segment": 'a "strong" signal',
                "comment": "Why strong?",
                "questions": [],
                "suggestion": "",
            },
        ],
    }


def problems_of(data: dict[str, Any], rubric: Rubric, **kwargs: Any) -> list[str]:
    with pytest.raises(OutputInvalid) as caught:
        validate_output(data, rubric, MEMO, **kwargs)
    return caught.value.problems


# --- schema -------------------------------------------------------------------------------


def walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node] + [n for value in node.values() for n in walk(value)]
    if isinstance(node, list):
        return [n for value in node for n in walk(value)]
    return []


def test_schema_is_closed_and_lists_rubric_ids_and_scale(rubric: Rubric) -> None:
    schema = evaluation_schema(rubric)
    assert list(schema["properties"]) == [
        "strengths",
        "opportunities",
        "rubric_scores",
        "segment_feedback",
    ]
    for node in walk(schema):
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
    item = schema["properties"]["rubric_scores"]["items"]["properties"]
    assert item["criterion_id"]["enum"] == ["structure", "evidence", "risks"]
    assert (item["score"]["type"], item["score"]["minimum"], item["score"]["maximum"]) == (
        "integer",
        1,
        5,
    )


def test_bounded_schema_limits_sizes_and_unbounded_omits_all_limits(rubric: Rubric) -> None:
    bounded = evaluation_schema(rubric)
    scores = bounded["properties"]["rubric_scores"]
    assert (scores["minItems"], scores["maxItems"]) == (3, 3)
    assert bounded["properties"]["strengths"]["items"]["maxLength"] == 400
    limits = {"minItems", "maxItems", "maxLength"}
    assert not any(limits & set(node) for node in walk(evaluation_schema(rubric, bounded=False)))


# --- validation ---------------------------------------------------------------------------


def test_valid_answer_is_normalised_and_scored_by_the_server(
    rubric: Rubric, answer: dict[str, Any]
) -> None:
    answer["overall_score"] = 5  # the model's own overall is never used
    result = validate_output(answer, rubric, MEMO)
    assert result.strengths == ["Clear ask up front.", "Uses a concrete figure."]
    assert [s.criterion_id for s in result.rubric_scores] == ["structure", "evidence", "risks"]
    assert result.rubric_scores[1] == CriterionScore(
        "evidence", "Evidence", 50, 2, "One figure only."
    )
    assert result.overall_score == 2.8  # (4*30 + 2*50 + 3*20) / 100
    starts = [c.start for c in result.segment_feedback]
    assert starts == sorted(starts)
    for comment in result.segment_feedback:
        assert MEMO[comment.start : comment.end] == comment.segment
    assert result.segment_feedback[0].segment == "a “strong” signal"
    assert result.dropped_segments == 0


def test_missing_duplicate_and_unknown_criteria_are_all_reported(
    rubric: Rubric, answer: dict[str, Any]
) -> None:
    answer["rubric_scores"] = [
        {"criterion_id": "structure", "score": 4, "justification": "ok"},
        {"criterion_id": "structure", "score": 3, "justification": "again"},
        {"criterion_id": "tone", "score": 3, "justification": "?"},
    ]
    problems = problems_of(answer, rubric)
    assert "criterion 'structure' is scored more than once" in problems
    assert any("unknown criterion 'tone'" in p for p in problems)
    assert "criterion 'evidence' is missing" in problems
    assert "criterion 'risks' is missing" in problems


@pytest.mark.parametrize(
    ("score", "problem"),
    [
        (7, "score 7 for 'evidence' is outside 1–5"),
        (0, "score 0 for 'evidence' is outside 1–5"),
        (4.5, "score 4.5 for 'evidence' is not a whole number"),
        ("high", "score 'high' for 'evidence' is not a whole number"),
        (True, "score True for 'evidence' is not a whole number"),
        (None, "score for 'evidence' is missing"),
    ],
)
def test_bad_scores_are_refused(
    rubric: Rubric, answer: dict[str, Any], score: Any, problem: str
) -> None:
    answer["rubric_scores"][2]["score"] = score
    assert problems_of(answer, rubric) == [problem]


@pytest.mark.parametrize("score", [2.0, "2", " 2 "])
def test_whole_number_scores_in_other_forms_are_accepted(
    rubric: Rubric, answer: dict[str, Any], score: Any
) -> None:
    answer["rubric_scores"][2]["score"] = score
    assert validate_output(answer, rubric, MEMO).rubric_scores[1].score == 2


def test_shape_errors_are_specific(rubric: Rubric, answer: dict[str, Any]) -> None:
    answer["strengths"] = "Clear ask."
    answer["opportunities"] = ["fine", 3]
    answer["rubric_scores"][0]["justification"] = "  "
    del answer["rubric_scores"][1]["justification"]
    assert problems_of(answer, rubric) == [
        "strengths must be a list of strings",
        "opportunities[1] must be a string, not a number",
        "justification for 'risks' is missing",
        "justification for 'structure' is missing",
    ]


def test_lists_with_only_blank_statements_are_refused(
    rubric: Rubric, answer: dict[str, Any]
) -> None:
    answer["opportunities"] = ["", "  "]
    del answer["strengths"]
    assert problems_of(answer, rubric) == [
        "strengths is missing",
        "opportunities must contain at least one statement",
    ]


def test_non_object_answer_is_refused(rubric: Rubric) -> None:
    with pytest.raises(OutputInvalid, match="JSON object"):
        validate_output(["strengths"], rubric, MEMO)  # type: ignore[arg-type]


def test_quote_not_in_memo_is_dropped_with_a_warning(
    rubric: Rubric, answer: dict[str, Any]
) -> None:
    answer["segment_feedback"].append(
        {"segment": "We will double revenue", "comment": "Bold.", "questions": [], "suggestion": ""}
    )
    result = validate_output(answer, rubric, MEMO)
    assert result.dropped_segments == 1
    assert len(result.segment_feedback) == 2
    assert any("We will double revenue" in w for w in result.warnings)


def test_altered_quotes_are_stored_with_the_memos_own_text(
    rubric: Rubric, answer: dict[str, Any]
) -> None:
    answer["segment_feedback"] = [
        {
            "segment": "readmissions fell 18% in the trial - a",
            "comment": "Source?",
            "questions": ["Which trial?"],
            "suggestion": "",
        }
    ]
    (comment,) = validate_output(answer, rubric, MEMO).segment_feedback
    assert comment.segment == "Readmissions fell 18% in the trial — a"
    assert MEMO[comment.start : comment.end] == comment.segment


def test_unassessed_criteria_only_where_allowed(rubric: Rubric, answer: dict[str, Any]) -> None:
    answer["rubric_scores"][0] = {
        "criterion_id": "risks",
        "score": None,
        "assessed": False,
        "justification": "Cannot judge risk without domain knowledge.",
    }
    assert problems_of(answer, rubric) == [
        "criterion 'risks' must be scored, not marked unassessed"
    ]
    result = validate_output(answer, rubric, MEMO, allow_unassessed=True)
    assert result.rubric_scores[2].assessed is False
    assert result.rubric_scores[2].score is None
    assert result.overall_score == 2.8  # (4*30 + 2*50) / 80 = 2.75, half up


def test_evaluation_round_trips_through_json(rubric: Rubric, answer: dict[str, Any]) -> None:
    result = validate_output(answer, rubric, MEMO)
    stored = json.loads(json.dumps(result.to_dict()))
    assert ValidatedEvaluation.from_dict(stored) == result


# --- overall score ------------------------------------------------------------------------


def scored(*values: int | None) -> list[CriterionScore]:
    ids = ["structure", "evidence", "risks"]
    return [
        CriterionScore(cid, cid, 0, value, "why", assessed=value is not None)
        for cid, value in zip(ids, values, strict=True)
    ]


def test_overall_score_uses_the_rubric_weights(rubric: Rubric) -> None:
    assert overall_score(scored(5, 4, 1), rubric) == 3.7  # (150 + 200 + 20) / 100
    assert overall_score(scored(5, 4, 4), rubric) == 4.3


def test_overall_score_renormalises_over_assessed_criteria(rubric: Rubric) -> None:
    assert overall_score(scored(5, None, 2), rubric) == 3.8  # (150 + 40) / 50
    assert overall_score(scored(3, 4, None), rubric) == 3.6  # 290 / 80 = 3.625
    assert overall_score(scored(2, 4, None), rubric) == 3.3  # 260 / 80 = 3.25, half up
    assert overall_score(scored(None, None, None), rubric) is None


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"strengths": ["a"]}',
        '```json\n{"strengths": ["a"]}\n```',
        'Here is my evaluation:\n```\n{"strengths": ["a"]}\n```\nHope it helps!',
        'Sure! {"strengths": ["a"]} Let me know {if} you need more.',
        '<think>Maybe {"strengths": []}? No.</think>\n{"strengths": ["a"]}',
        '\ufeff  {"strengths": ["a"]}  ',
    ],
)
def test_parse_json_text_finds_the_object(text: str) -> None:
    assert parse_json_text(text) == {"strengths": ["a"]}


@pytest.mark.parametrize(
    "text", ["", "I cannot evaluate this memo.", "[1, 2, 3]", '{"strengths": ["a",}', "{{{"]
)
def test_parse_json_text_refuses_what_has_no_object(text: str) -> None:
    with pytest.raises(OutputInvalid) as caught:
        parse_json_text(text)
    assert caught.value.problems


def test_parse_json_text_explains_broken_json() -> None:
    with pytest.raises(OutputInvalid, match="line 1 column"):
        parse_json_text('{"strengths": ["a",}')


# --- streaming ----------------------------------------------------------------------------


@pytest.mark.parametrize("indent", [None, 2])
def test_completed_items_grow_and_never_change(answer: dict[str, Any], indent: int | None) -> None:
    answer = copy.deepcopy(answer)
    answer["rubric_scores"].insert(
        1, {"criterion_id": "x", "score": 12, "justification": 'He said \\"no\\" — é'}
    )
    text = json.dumps(answer, indent=indent, ensure_ascii=False)
    final = completed_items(json.loads(text))
    assert final["rubric_scores"] == answer["rubric_scores"]
    seen = {key: 0 for key in final}
    for end in range(len(text) + 1):
        items = completed_items(parse_partial(text[:end]))
        for key, values in items.items():
            assert values == final[key][: len(values)], (key, text[:end])
            assert len(values) >= seen[key]
            seen[key] = len(values)
    assert seen == {key: len(values) for key, values in final.items()}
    assert seen["strengths"] == 2  # blank statements are never reported


def test_a_list_is_only_complete_once_a_later_key_starts() -> None:
    items = completed_items(parse_partial('{"strengths": ["One.", "Two."]'))
    assert items["strengths"] == ["One."]
    items = completed_items(parse_partial('{"strengths": ["One.", "Two."], "opp'))
    assert items["strengths"] == ["One."]
    items = completed_items(parse_partial('{"strengths": ["One.", "Two."], "opportunities": ['))
    assert items["strengths"] == ["One.", "Two."]


def test_score_items_need_all_three_fields() -> None:
    partial = {"rubric_scores": [{"criterion_id": "a", "score": 3}, {"criterion_id": "b"}]}
    partial["segment_feedback"] = []
    assert completed_items(partial)["rubric_scores"] == []


@pytest.mark.parametrize("text", ["", "not json", "Sure, here", "[1, 2", "```json\n"])
def test_parse_partial_is_empty_until_an_object_starts(text: str) -> None:
    assert parse_partial(text) == {}


def test_parse_partial_skips_a_fence_and_keeps_the_trailing_string() -> None:
    assert parse_partial('```json\n{"strengths": ["Clear a') == {"strengths": ["Clear a"]}


def test_a_literal_newline_inside_a_string_is_accepted() -> None:
    """Small local models write raw newlines and tabs inside JSON strings; nothing is lost."""
    assert parse_json_text('{"summary": "first line\nsecond\tline"}') == {
        "summary": "first line\nsecond\tline"
    }
