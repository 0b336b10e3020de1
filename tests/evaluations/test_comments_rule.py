"""The stated rules behind comments: the kind a comment gets when the model leaves it out,
and whether an earlier comment was addressed in the next version."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from memoai.analysis.kinds import kind_for_criterion
from memoai.configs.schemas import Rubric
from memoai.evaluations.addressed import RULE, PassageMap, judge
from memoai.llm.output import evaluation_schema, validate_output
from tests.conftest import CONFIG_DIR

OLD = (
    "We request $40,000 by 3 May. Mistakes were made by the front desk staff. "
    "The savings would be substantial. Staff may resist the change."
)


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return Rubric.model_validate(yaml.safe_load((CONFIG_DIR / "rubric.yaml").read_text()))


def comment(text: str, passage: str, kind: str, index: int, state: str = "open") -> dict[str, Any]:
    start = text.index(passage)
    return {
        "index": index,
        "segment": passage,
        "start": start,
        "end": start + len(passage),
        "comment": f"About {passage!r}",
        "kind": kind,
        "severity": "should",
        "state": state,
    }


@pytest.mark.parametrize(
    ("criterion_id", "kind"),
    [
        ("purpose_and_ask", "ask"),
        ("structure_and_flow", "structure"),
        ("evidence_and_data", "evidence"),
        ("business_case", "evidence"),
        ("risks_and_mitigation", "risk"),
        ("audience_and_tone", "tone"),
        ("conciseness", "clarity"),
        ("something_else", "clarity"),
    ],
)
def test_the_criterion_mapping(criterion_id: str, kind: str) -> None:
    assert kind_for_criterion(criterion_id) == kind


def test_the_schema_asks_for_kind_severity_and_criterion(rubric: Rubric) -> None:
    item = evaluation_schema(rubric)["properties"]["segment_feedback"]["items"]
    assert item["properties"]["kind"]["enum"] == [
        "structure",
        "evidence",
        "clarity",
        "tone",
        "ask",
        "risk",
    ]
    assert item["properties"]["severity"]["enum"] == ["must", "should", "could"]
    assert item["properties"]["criterion_id"]["enum"] == [c.id for c in rubric.criteria]
    assert {"kind", "severity", "criterion_id"} <= set(item["required"])


def test_missing_kinds_are_repaired_and_say_so(rubric: Rubric) -> None:
    memo = OLD
    scores = [{"criterion_id": c.id, "score": 3, "justification": "Fair."} for c in rubric.criteria]
    answer = {
        "strengths": ["Clear ask."],
        "opportunities": ["Add figures."],
        "rubric_scores": scores,
        "segment_feedback": [
            {"segment": "We request $40,000 by 3 May", "comment": "Good.", "kind": " Ask ",
             "severity": "MUST"},
            {"segment": "The savings would be substantial", "comment": "How much?",
             "criterion_id": "evidence_and_data"},
            {"segment": "Staff may resist the change", "comment": "Mitigate.",
             "kind": "danger", "severity": 3},
        ],
    }  # fmt: skip
    validated = validate_output(answer, rubric, memo)
    found = {c.segment: c for c in validated.segment_feedback}
    ask = found["We request $40,000 by 3 May"]
    assert (ask.kind, ask.severity, ask.kind_source) == ("ask", "must", "model")
    savings = found["The savings would be substantial"]
    assert (savings.kind, savings.severity, savings.kind_source) == (
        "evidence",
        "should",
        "criterion",
    )
    assert savings.criterion_id == "evidence_and_data"
    staff = found["Staff may resist the change"]
    assert (staff.kind, staff.severity, staff.kind_source) == ("clarity", "should", "default")
    assert "1 segment comment without a valid kind: the kind of its criterion was used" in (
        validated.warnings
    )
    assert "2 segment comments without a valid severity: marked 'should'" in validated.warnings


def test_an_unchanged_passage_is_not_addressed() -> None:
    old = [comment(OLD, "Mistakes were made by the front desk staff.", "clarity", 0, "done")]
    new_text = "Intro line. " + OLD
    [item] = judge(OLD, old, new_text, [])
    assert (item.addressed, item.verdict, item.writer_state) == (False, "passage_unchanged", "done")
    assert new_text[item.new_start : item.new_end] == old[0]["segment"]  # type: ignore[index]


def test_a_rewritten_passage_with_no_new_comment_is_addressed() -> None:
    new_text = OLD.replace(
        "Mistakes were made by the front desk staff.", "Front desk staff mistype 4% of forms."
    )
    old = [comment(OLD, "Mistakes were made by the front desk staff.", "clarity", 0)]
    [item] = judge(OLD, old, new_text, [])
    assert (item.addressed, item.verdict) == (True, "passage_changed")
    assert new_text[item.new_start : item.new_end] == "Front desk staff mistype 4% of forms."  # type: ignore[index]


def test_a_rewritten_passage_raised_again_with_the_same_kind_is_not_addressed() -> None:
    new_text = OLD.replace("The savings would be substantial.", "The savings would be large.")
    old = [comment(OLD, "The savings would be substantial.", "evidence", 0)]
    same_kind = comment(new_text, "savings would be large", "evidence", 3)
    other_kind = comment(new_text, "The savings", "tone", 4)
    [item] = judge(OLD, old, new_text, [other_kind, same_kind])
    assert (item.addressed, item.verdict, item.raised_again_by) == (False, "raised_again", [3])
    [alone] = judge(OLD, old, new_text, [other_kind])  # another kind there does not count
    assert (alone.addressed, alone.verdict) == (True, "passage_changed")


def test_a_deleted_passage_is_addressed_and_placed_where_it_was() -> None:
    new_text = OLD.replace(" Staff may resist the change.", "")
    old = [comment(OLD, "Staff may resist the change.", "risk", 0)]
    [item] = judge(OLD, old, new_text, [])
    assert (item.addressed, item.verdict) == (True, "passage_removed")
    assert item.new_start == item.new_end == len(new_text)


def test_the_passage_map_follows_moved_text() -> None:
    old_text = "Alpha beta gamma. Delta epsilon zeta. Eta theta."
    new_text = "New opening. Alpha beta gamma. Delta EPSILON zeta. Eta theta."
    passages = PassageMap(old_text, new_text)
    start = old_text.index("Delta")
    span = passages.new_span(start, start + len("Delta epsilon zeta."))
    assert new_text[span[0] : span[1]] == "Delta EPSILON zeta."
    assert RULE.startswith("rule: ")
