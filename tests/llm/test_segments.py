"""Locating a model's quotation in the memo: tolerant matching, exact original offsets."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from memoai.llm.segments import SegmentComment, locate_segment, normalise, place_comments

MEMO = (
    "To: Executive Committee\n"
    "From: Dana Ruiz, Operations\n"
    "Subject: Funding the “Care Connect” pilot\n\n"
    "We request $450,000 to run a 12-month pilot of Care Connect—our nurse\u00a0triage   line —\n"
    "across two clinics. The team’s analysis shows readmissions fell 18% in the trial…\n"
    "but staffing risks remain. We ask for a decision by 15 March.\n"
)


def found(quote: str, memo: str = MEMO) -> str | None:
    span = locate_segment(memo, quote)
    return None if span is None else memo[span[0] : span[1]]


def test_exact_quote_is_found_at_its_offsets() -> None:
    start, end = locate_segment(MEMO, "We ask for a decision by 15 March.") or (0, 0)
    assert MEMO[start:end] == "We ask for a decision by 15 March."
    assert start == MEMO.index("We ask")


def test_first_exact_occurrence_wins() -> None:
    memo = "Costs rise. Revenue grows. Costs rise."
    assert locate_segment(memo, "Costs rise.") == (0, 11)


def test_straight_quotes_match_curly_ones() -> None:
    assert found('Funding the "Care Connect" pilot') == "Funding the “Care Connect” pilot"
    assert found("The team's analysis") == "The team’s analysis"


def test_single_quotes_match_double_quotes() -> None:
    assert found("the 'Care Connect' pilot") == "the “Care Connect” pilot"


def test_whitespace_and_line_breaks_are_flexible() -> None:
    assert found("nurse triage line - across two clinics") == (
        "nurse\u00a0triage   line —\nacross two clinics"
    )


def test_dashes_match_with_or_without_spaces() -> None:
    assert found("Care Connect - our nurse") == "Care Connect—our nurse"
    assert found("Care Connect -- our nurse") == "Care Connect—our nurse"


def test_ellipsis_character_matches_three_dots() -> None:
    assert found("fell 18% in the trial... but staffing") == "fell 18% in the trial…\nbut staffing"


def test_case_differences_are_a_fallback() -> None:
    assert found("WE REQUEST $450,000") == "We request $450,000"


def test_leading_and_trailing_quote_marks_and_ellipses_are_ignored() -> None:
    assert found("“...staffing risks remain...”") == "staffing risks remain"
    assert found("'We request $450,000'") == "We request $450,000"


def test_quote_truncated_in_the_middle_covers_the_whole_passage() -> None:
    text = found("We request $450,000 ... across two clinics.")
    assert text is not None
    assert text.startswith("We request $450,000") and text.endswith("across two clinics.")


def test_truncated_quote_parts_must_be_in_order() -> None:
    assert found("across two clinics ... We request $450,000") is None


def test_truncated_quote_parts_must_be_close() -> None:
    memo = "Opening claim here. " + "Filler sentence. " * 80 + "Closing ask here."
    assert locate_segment(memo, "Opening claim ... Closing ask") is None
    assert found("Opening claim ... Filler sentence", memo) == "Opening claim here. Filler sentence"


@pytest.mark.parametrize("quote", ["", "   ", "We", "“a”", "...", "fell 19% in the trial"])
def test_short_or_absent_quotes_are_not_found(quote: str) -> None:
    assert locate_segment(MEMO, quote) is None


def test_place_comments_drops_missing_quotes_and_merges_same_span() -> None:
    drafts = [
        SegmentComment("We ask for a decision", -1, -1, "Good ask.", ["By when?"]),
        SegmentComment("a quote the model made up", -1, -1, "Invented."),
        SegmentComment("We request $450,000", -1, -1, "Give the breakdown."),
        SegmentComment("we ask for a decision", -1, -1, "Name the decider.", ["By when?", "Who?"]),
    ]
    placement = place_comments(MEMO, drafts)
    assert placement.dropped == 1
    assert "a quote the model made up" in placement.warnings[0]
    assert [c.segment for c in placement.comments] == [
        "We request $450,000",
        "We ask for a decision",
    ]
    merged = placement.comments[1]
    assert merged.comment == "Good ask.\nName the decider."
    assert merged.questions == ["By when?", "Who?"]
    assert all(MEMO[c.start : c.end] == c.segment for c in placement.comments)


def test_twenty_altered_quotes_are_found_in_a_10k_memo() -> None:
    """Correctness at full size; the speed is measured by a benchmark, not asserted here."""
    memo = ("Paragraph with “quotes” — dashes…  and   spacing. " * 200)[:10_000]
    for start in range(0, 9_000, 450):
        quote = memo[start : start + 60].replace("“", '"').upper()
        span = locate_segment(memo, quote)
        assert span is not None
        assert normalise(memo[span[0] : span[1]]).lower() == normalise(quote).lower()


# --- properties -----------------------------------------------------------------------------

# Letters are listed often so most substrings have enough text to be located.
ALPHABET = st.sampled_from(list("abcdefghijXYZ0123" * 3 + "    \n\t\u00a0'\"‘’“”-–—….,\u200b"))
SWAPS = str.maketrans({"'": "’", '"': "“", "’": "'", "“": '"', "-": "—", "—": " - "})


def transform(quote: str, how: str) -> str:
    if how == "collapse":
        return re.sub(r"\s+", " ", quote)
    if how == "expand":
        return quote.replace(" ", " \n  ")
    if how == "swap":
        return quote.translate(SWAPS)
    return quote


@settings(max_examples=400, deadline=None)
@given(
    memo=st.text(alphabet=ALPHABET, min_size=8, max_size=200),
    data=st.data(),
    how=st.sampled_from(["none", "collapse", "expand", "swap"]),
)
def test_any_substring_is_found_up_to_normalisation(
    memo: str, data: st.DataObject, how: str
) -> None:
    start = data.draw(st.integers(0, len(memo) - 6))
    end = data.draw(st.integers(start + 6, len(memo)))
    quote = transform(memo[start:end], how)
    span = locate_segment(memo, quote)
    core = re.sub(r"^(?:'|…|\s)+|(?:'|…|\s)+$", "", normalise(quote))
    assume(len(core) >= 3)
    assert span is not None
    assert normalise(memo[span[0] : span[1]]) == normalise(quote)


@given(st.text(min_size=0, max_size=300), st.text(min_size=0, max_size=40))
def test_any_span_returned_lies_inside_the_memo(memo: str, quote: str) -> None:
    span = locate_segment(memo, quote)
    if span is not None:
        assert 0 <= span[0] < span[1] <= len(memo)
