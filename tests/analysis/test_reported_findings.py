"""The findings writers reported wrong (issue 16), each pinned by the memo that showed it."""

from __future__ import annotations

from typing import Any

import pytest

from memoai.analysis.findings import find
from memoai.analysis.metrics import compute_metrics
from memoai.analysis.offline import analyse
from memoai.configs.schemas import Rubric
from tests.analysis.rubrics import funding_rubric

HEADER = "To: Senior Leadership Team\nFrom: Priya Raman, Director of Patient Access\n"


@pytest.fixture
def rubric() -> Rubric:
    return funding_rubric()


def score(out: dict[str, Any], criterion_id: str) -> int:
    return next(s["score"] for s in out["rubric_scores"] if s["criterion_id"] == criterion_id)


def justification(out: dict[str, Any], criterion_id: str) -> str:
    items = out["rubric_scores"]
    return next(s["justification"] for s in items if s["criterion_id"] == criterion_id)


def everything(out: dict[str, Any]) -> str:
    parts = out["strengths"] + out["opportunities"]
    parts += [s["justification"] for s in out["rubric_scores"]]
    parts += [s["comment"] for s in out["segment_feedback"]]
    return "\n".join(parts)


def test_a_decision_date_in_the_subject_line_counts(rubric: Rubric) -> None:
    text = (
        f"{HEADER}Date: 14 March 2025\n"
        "Subject: Decision needed by 31 March: digital intake pilot\n\n"
        "I request approval of $480,000 to pilot digital intake in two clinics.\n\n"
        "Paper intake costs 11 minutes per patient (Finance audit, 2025)."
    )
    out = analyse(text, rubric)
    said = justification(out, "purpose_and_ask")
    assert "does not give a date" not in everything(out)
    assert "gives a date for the decision (in the subject line)" in said
    assert score(out, "purpose_and_ask") == 5
    # The Date header is when the memo was written, not a deadline.
    undated = text.replace("Subject: Decision needed by 31 March: ", "Subject: ")
    assert "does not give a date for the decision" in justification(
        analyse(undated, rubric), "purpose_and_ask"
    )


def test_a_decision_date_in_a_closing_sentence_counts() -> None:
    text = "I request $90,000 for new pumps.\n\nA decision by 20 June lets us order in July."
    assert find(text).deadline_where == "the memo"
    delivery = "I request $90,000 for new pumps.\n\nDelivery by 20 June."
    assert find(delivery).deadline_where is None  # a delivery date is not a decision date


def test_hedged_risks_are_the_rubrics_level_two_not_absent(rubric: Rubric) -> None:
    text = (
        "I request $50,000 to extend visiting hours on all wards from April.\n\n"
        "Families cannot visit after work.\n\nThere may be some challenges."
    )
    out = analyse(text, rubric)
    assert score(out, "risks") == 2
    assert "No risks named" not in everything(out)
    assert "only acknowledged in passing" in "\n".join(out["opportunities"])
    assert score(analyse(text.replace("There may be some challenges.", ""), rubric), "risks") == 1


def test_risk_words_that_name_no_risk_of_the_proposal() -> None:
    f = find(
        "I request $265,000 for the heart failure clinic. Patients at risk of falls are "
        "seen first. Doing nothing keeps the safety risk of patients who leave untreated."
    )
    assert f.risks == ()


def test_a_risk_with_its_mitigation_in_label_or_conditional_form_is_mitigated() -> None:
    f = find(
        "Risks\n"
        "- Privacy: the platform is approved by our privacy officer.\n"
        "- Recruitment may take longer than planned; bank staff cover the gap.\n"
        "- If the robot breaks down, manual dispensing continues.\n"
        "- Staff might not use the pumps properly at first.\n"
    )
    quoted = [f.profile.quote(u) for u in f.unmitigated_risks]
    assert len(f.risks) == 4
    assert quoted == ["Staff might not use the pumps properly at first."]


LOWER_CASE = (
    "hi all just writing about the insulin thing on ward 7 last week. basically a patient got "
    "40 units when it should have been 4 and she ended up in icu. the pump was set wrong and "
    "nobody double checked it because handover was busy. this is not the first time it has "
    "nearly happened. we need new pumps really, the smart ones cost about 96k for all the "
    "wards i think. the nurses are upset about it. also the training on the old pumps is "
    "basically nonexistent. anyway i think we should do something before it happens again. "
    "let me know what you think"
)


def test_lower_case_text_splits_into_its_sentences(rubric: Rubric) -> None:
    assert compute_metrics(LOWER_CASE).sentences == 9
    # Abbreviations still do not end a sentence before lower case.
    assert compute_metrics("We met Dr. smith and Mrs. jones, e.g. on Monday.").sentences == 1
    out = analyse(LOWER_CASE, rubric)
    assert score(out, "audience_and_tone") <= 2
    assert not any(s.startswith("Easy to read") for s in out["strengths"])
    assert "lower case" in "\n".join(out["opportunities"])


def test_unpunctuated_lines_are_sentences() -> None:
    text = "we need more beds on the ward\nthe corridor is full every night\nplease help us"
    assert compute_metrics(text).sentences == 3
    wrapped = "This sentence is wrapped\nover two lines and ends here."
    assert compute_metrics(wrapped).sentences == 1


def test_a_sentence_repeated_417_times_does_not_score_well(rubric: Rubric) -> None:
    text = " ".join(["The ward needs funding."] * 417)
    out = analyse(text, rubric)
    assert score(out, "audience_and_tone") == 1
    assert score(out, "structure") == 1
    assert not any("Easy to read" in s or "Confident" in s for s in out["strengths"])
    assert "416 sentences of 417 only repeat earlier ones" in "\n".join(out["opportunities"])
    assert find(text).repeated == 416


def test_padding_with_repeated_paragraphs_adds_no_evidence(rubric: Rubric) -> None:
    block = (
        "The discharge lounge is working well. About 30% of patients now go home before noon. "
        "We hope the lounge can continue next year."
    )
    once = analyse(block, rubric)
    padded = analyse("\n\n".join([block] * 40), rubric)
    assert score(padded, "evidence") <= score(once, "evidence")
    assert score(padded, "audience_and_tone") < score(once, "audience_and_tone")


def test_left_without_being_seen_is_not_passive(rubric: Rubric) -> None:
    text = (
        "I request $212,000 for two streaming nurses by 15 April.\n\n"
        "Last year 6.8% of patients left without being seen.\n"
        "The rate of patients who left without being seen is twice the regional average.\n"
        "The budget was approved by the board."
    )
    out = analyse(text, rubric)
    comments = [s["comment"] for s in out["segment_feedback"]]
    assert not any("being seen" in c for c in comments)
    assert any("“was approved”" in c for c in comments)  # a real passive is still flagged
    assert compute_metrics("Patients left without being seen.").passive_share == 0


def test_numbers_that_name_a_ward_are_not_evidence() -> None:
    assert compute_metrics("Ward 4 is in a terrible state.").numbers_count == 0
    assert compute_metrics("Falls on Ward 4 rose from 18 to 31.").numbers_count == 2


def test_a_request_phrased_as_we_would_like_to_is_an_ask() -> None:
    f = find("We would like to continue the discharge lounge, which costs $230,000 a year.")
    assert f.ask is not None and f.ask_has_amount


def test_an_implied_request_is_a_vague_ask_not_none(rubric: Rubric) -> None:
    out = analyse("Ward 4\n\nThe bathrooms are awful. It really needs money spent on it.", rubric)
    assert score(out, "purpose_and_ask") == 2
    assert "only implies one" in justification(out, "purpose_and_ask")
    silent = analyse("Incident\n\nA patient was given the wrong dose on the 2nd.", rubric)
    assert score(silent, "purpose_and_ask") == 1


def test_a_request_without_its_amount_points_to_the_amount_given_later(rubric: Rubric) -> None:
    text = (
        "We propose that all wards move to electronic rostering.\n\n"
        "Agency spend was $6.2M last year.\n\nThe system would cost $320,000 in the first year."
    )
    out = analyse(text, rubric)
    assert "does not name an amount" in justification(out, "purpose_and_ask")
    assert "the memo mentions $6.2M elsewhere" in "\n".join(out["opportunities"])
