"""The offline analyser: scores that separate good memos from weak ones, and honest limits."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from memoai.analysis.kinds import KINDS, SEVERITIES
from memoai.analysis.offline import analyse, criterion_dimensions, level
from memoai.configs.schemas import Rubric, Scale
from tests.analysis.rubrics import funding_rubric, memo, weighted_mean

FIXTURES = ("strong", "medium", "rambling", "short", "unicode")
REAL_RUBRIC = Path(__file__).resolve().parents[2] / "config" / "rubric.yaml"


@pytest.fixture
def rubric() -> Rubric:
    return funding_rubric()


def segment_positions(text: str, segments: list[dict]) -> list[tuple[int, int]]:
    """Where each quoted segment sits, searching forward so repeats are told apart."""
    spans, cursor = [], 0
    for item in segments:
        start = text.find(item["segment"], cursor)
        assert start >= 0, f"not verbatim in the memo: {item['segment']!r}"
        spans.append((start, start + len(item["segment"])))
        cursor = start + len(item["segment"])
    return spans


def test_strong_memo_scores_clearly_above_rambling_memo(rubric: Rubric) -> None:
    strong = weighted_mean(analyse(memo("strong"), rubric), rubric)
    rambling = weighted_mean(analyse(memo("rambling"), rubric), rubric)
    assert strong - rambling >= 1.0
    assert strong >= 4.0 and rambling <= 2.0


def test_fixture_memos_rank_in_quality_order(rubric: Rubric) -> None:
    scores = {name: weighted_mean(analyse(memo(name), rubric), rubric) for name in FIXTURES}
    assert scores["strong"] > scores["medium"] > scores["rambling"]
    assert scores["medium"] > scores["short"]


@pytest.mark.parametrize("name", FIXTURES)
def test_output_has_the_shape_the_validator_expects(name: str, rubric: Rubric) -> None:
    out = analyse(memo(name), rubric)
    assert list(out) == ["strengths", "opportunities", "rubric_scores", "segment_feedback"]
    assert 1 <= len(out["strengths"]) <= 8 and 1 <= len(out["opportunities"]) <= 8
    assert all(isinstance(s, str) and s.strip() for s in out["strengths"] + out["opportunities"])
    assert [s["criterion_id"] for s in out["rubric_scores"]] == [c.id for c in rubric.criteria]
    for item in out["rubric_scores"]:
        assert list(item) == ["criterion_id", "score", "justification", "assessed"]
        assert item["assessed"] and isinstance(item["score"], int) and 1 <= item["score"] <= 5
        assert item["justification"]
    assert len(out["segment_feedback"]) <= 20
    for item in out["segment_feedback"]:
        keys = ["segment", "kind", "severity", "comment", "questions", "suggestion"]
        assert list(item) == keys
        assert item["comment"] and len(item["questions"]) <= 4
        assert item["kind"] in KINDS and item["severity"] in SEVERITIES


@pytest.mark.parametrize("name", FIXTURES)
def test_segments_are_verbatim_ordered_and_never_overlap(name: str, rubric: Rubric) -> None:
    text = memo(name)
    quotes = [s["segment"] for s in analyse(text, rubric)["segment_feedback"]]
    spans = [(text.find(q), text.find(q) + len(q)) for q in quotes]
    assert all(start >= 0 for start, _ in spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_criterion_the_rules_cannot_judge_is_marked_unassessed() -> None:
    rubric = funding_rubric(humour=True)
    out = analyse(memo("strong"), rubric)
    humour = next(s for s in out["rubric_scores"] if s["criterion_id"] == "humour")
    assert humour["assessed"] is False and humour["score"] is None
    assert humour["justification"].startswith("The offline analysis cannot judge Humour;")
    assert "AI model" in humour["justification"]
    assert sum(s["assessed"] for s in out["rubric_scores"]) == len(rubric.criteria) - 1


def test_criteria_map_by_their_words() -> None:
    assert set(criterion_dimensions("audience_and_tone", "Audience, clarity and tone", "x")) == {
        "audience",
        "clarity",
    }
    assert set(criterion_dimensions("c1", "Financial case", "Costs and ROI.")) == {"business_case"}
    # One passing word in the description is not enough to claim a judgement.
    assert criterion_dimensions("humour", "Humour", "Keeps the reader smiling.") == {}


@pytest.mark.parametrize(
    ("quality", "scale", "expected"),
    [(0.0, Scale(), 1), (1.0, Scale(), 5), (0.5, Scale(), 3), (0.6, Scale(min=0, max=10), 6)],
)
def test_quality_maps_onto_the_rubric_scale(quality: float, scale: Scale, expected: int) -> None:
    assert level(quality, scale) == expected


def test_scores_follow_a_different_scale() -> None:
    rubric = funding_rubric(Scale(min=0, max=10))
    strong, rambling = (analyse(memo(n), rubric) for n in ("strong", "rambling"))
    for item in strong["rubric_scores"] + rambling["rubric_scores"]:
        assert 0 <= item["score"] <= 10
    assert weighted_mean(strong, rubric) - weighted_mean(rambling, rubric) >= 2.5


def test_justifications_cite_measured_facts(rubric: Rubric) -> None:
    scores = {s["criterion_id"]: s for s in analyse(memo("medium"), rubric)["rubric_scores"]}
    assert "2 figures in 187 words" in scores["evidence"]["justification"]
    assert "paragraph 5" in scores["purpose_and_ask"]["justification"]
    assert "1 risk statement, 0 with a mitigation" in scores["risks"]["justification"]


def test_strengths_and_opportunities_quote_numbers(rubric: Rubric) -> None:
    strong = analyse(memo("strong"), rubric)
    assert any("figures in" in s and any(c.isdigit() for c in s) for s in strong["strengths"])
    rambling = analyse(memo("rambling"), rubric)
    assert any("424 words" in o for o in rambling["opportunities"])


def test_segment_comments_flag_what_the_rules_find(rubric: Rubric) -> None:
    text = memo("medium")
    segments = analyse(text, rubric)["segment_feedback"]
    by_quote = {s["segment"]: s for s in segments}
    vague = next(s for q, s in by_quote.items() if "significant improvements" in q)
    assert "How large? Which figure supports this?" in vague["questions"]
    risk = next(s for q, s in by_quote.items() if q.startswith("There is a risk"))
    assert "mitigat" in risk["suggestion"]
    ask = next(s for q, s in by_quote.items() if q.startswith("We recommend"))
    assert "paragraph 5" in ask["comment"]
    passive = next(s for q, s in by_quote.items() if "rejected" in q)
    assert "Name the actor" in passive["questions"][-1]


def test_missing_ask_and_long_sentences_are_commented(rubric: Rubric) -> None:
    text = memo("rambling")
    segments = analyse(text, rubric)["segment_feedback"]
    first = segments[0]
    assert text.lstrip().startswith(first["segment"])
    assert "explicit request" in first["comment"]
    assert all("words; readers lose the thread" in s["comment"] for s in segments)


def test_segment_feedback_is_capped_at_twenty(rubric: Rubric) -> None:
    sentence = " ".join(["the committee was informed that the plan"] * 5) + "."
    text = "\n\n".join(f"{sentence.capitalize()} Item {i}." for i in range(30))
    segments = analyse(text, rubric)["segment_feedback"]
    assert len(segments) == 20
    segment_positions(text, segments)


def test_same_input_gives_identical_output(rubric: Rubric) -> None:
    first = json.dumps(analyse(memo("strong"), rubric))
    assert json.dumps(analyse(memo("strong"), rubric)) == first


@pytest.mark.parametrize("text", ["", "   \n ", "Hi.", "🎉", "Please."])
def test_almost_empty_memo_still_gets_feedback(text: str, rubric: Rubric) -> None:
    out = analyse(text, rubric)
    assert out["strengths"] and out["opportunities"]
    assert all(s["score"] is not None for s in out["rubric_scores"])
    assert weighted_mean(out, rubric) <= 1.5


def test_unicode_memo_is_analysed(rubric: Rubric) -> None:
    text = memo("unicode")
    out = analyse(text, rubric)
    assert weighted_mean(out, rubric) >= 3.0  # no headings, sources or return: the rubric says 3
    segment_positions(text, out["segment_feedback"])


@pytest.mark.skipif(not REAL_RUBRIC.exists(), reason="config/rubric.yaml is not there")
def test_every_criterion_of_the_shipped_rubric_is_judged() -> None:
    from ruamel.yaml import YAML

    rubric = Rubric(**YAML(typ="safe").load(REAL_RUBRIC.read_text(encoding="utf-8")))
    strong, rambling = (analyse(memo(n), rubric) for n in ("strong", "rambling"))
    assert all(s["assessed"] for s in strong["rubric_scores"])
    assert weighted_mean(strong, rubric) - weighted_mean(rambling, rubric) >= 1.0
