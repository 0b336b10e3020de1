"""Writing metrics on texts small enough to count by hand."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memoai.analysis.metrics import compute_metrics, split_sentences
from memoai.analysis.text import syllables
from tests.analysis.rubrics import memo


def sentences_of(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \n", "\u00a0\u2003"])
def test_empty_or_whitespace_text_gives_zeros(text: str) -> None:
    m = compute_metrics(text)
    assert (m.words, m.sentences, m.paragraphs, m.numbers_count, m.long_sentences) == (0,) * 5
    assert (m.mean_sentence_length, m.readability_grade, m.passive_share) == (0.0, 0.0, 0.0)
    assert not m.has_headers and not m.has_explicit_ask and m.ask_sentence is None


def test_words_count_figures_and_abbreviations_as_one() -> None:
    m = compute_metrics("The pilot costs $1.2M, i.e. about 12% of the budget.")
    # The pilot costs 1.2M i.e about 12 of the budget
    assert m.words == 10
    assert m.sentences == 1


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = (
        "Dr. Smith met Mr. Jones at the U.S. office, e.g. on Monday at 9 a.m. with the team. "
        "The error rate rose to 1.5 percent. Approve it by Friday!"
    )
    assert sentences_of(text) == [
        "Dr. Smith met Mr. Jones at the U.S. office, e.g. on Monday at 9 a.m. with the team.",
        "The error rate rose to 1.5 percent.",
        "Approve it by Friday!",
    ]


def test_dotted_abbreviation_before_a_new_sentence_still_splits() -> None:
    assert sentences_of("We expanded in the U.S. The results were good.") == [
        "We expanded in the U.S.",
        "The results were good.",
    ]


def test_sentence_spans_are_original_offsets() -> None:
    text = "  First point here.\r\n\r\n   Second point,\r\n  wrapped on two lines.  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "First point here.",
        "Second point,\r\n  wrapped on two lines.",
    ]
    assert spans[0] == (2, 19)


def test_list_items_headings_and_headers_are_their_own_units() -> None:
    text = (
        "To: Board\nFrom: Ana Ruiz\nSubject: Pilot\n\n"
        "Next steps:\n- Sign the contract\n- Train staff in April\n1. Launch in May"
    )
    assert sentences_of(text) == [
        "To: Board",
        "From: Ana Ruiz",
        "Subject: Pilot",
        "Next steps:",
        "Sign the contract",
        "Train staff in April",
        "Launch in May",
    ]
    m = compute_metrics(text)
    assert m.sentences == 3  # header lines and headings are labels, not sentences
    assert m.headers_found == ("To", "From", "Subject")
    assert m.has_headers


def test_headers_are_found_in_memo_order_and_re_means_subject() -> None:
    m = compute_metrics("Date: 3 May 2025\nRe: Intake pilot\n\nWe start soon.")
    assert m.headers_found == ("Date", "Subject")
    assert m.numbers_count == 0  # the date line is a header, not evidence
    assert not compute_metrics("To: Board\n\nWe start soon.").has_headers


def test_paragraphs_are_separated_by_blank_lines() -> None:
    text = "One. Two.\n\nThree.\n   \nFour\nstill four.\n\n\n"
    m = compute_metrics(text)
    assert (m.paragraphs, m.sentences) == (3, 4)
    assert m.mean_sentence_length == 1.5  # 6 words in 4 sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Costs rose 12% to $1.2M, saving €300k over 3 years.", 4),
        ("We serve 1,250 patients at USD 40 per visit, or 2.5x more.", 3),
        ("Revenue is £2bn and ¥4.2M; margins are 5 percent.", 3),
        ("In Q3 the H1 plan slipped.", 0),
        ("No figures at all here.", 0),
    ],
)
def test_numbers_count_figures_percentages_and_currency(text: str, expected: int) -> None:
    assert compute_metrics(text).numbers_count == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "I request approval of the pilot.",
        "We recommend a phased rollout.",
        "I am asking the board to fund it.",
        "Please approve the budget by Friday.",
        "We are seeking approval for two clinics.",
        "Decision needed: fund the pilot or not.",
        "We propose a six-month trial.",
        "We would therefore like to request $40,000.",
        "Our recommendation is to start in May.",
    ],
)
def test_explicit_ask_is_found(sentence: str) -> None:
    text = f"Background first. {sentence} More detail follows."
    m = compute_metrics(text)
    assert m.has_explicit_ask
    assert m.ask_sentence is not None
    assert text[m.ask_sentence[0] : m.ask_sentence[1]] == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "We recommended this last year.",
        "They asked for a review.",
        "The team considered options.",
        "Requests rose in March.",
    ],
)
def test_statements_are_not_asks(sentence: str) -> None:
    assert not compute_metrics(sentence).has_explicit_ask


@pytest.mark.parametrize(
    "sentence",
    [
        "The budget was approved by the board.",
        "The forms are being reviewed.",
        "Mistakes were made.",
        "The system has been built.",
        "Claims are often rejected by insurers.",
        "The results will be shown next week.",
    ],
)
def test_passive_sentences(sentence: str) -> None:
    assert compute_metrics(sentence).passive_share == 1.0


@pytest.mark.parametrize(
    "sentence",
    [
        "The board approved the budget.",
        "We are interested in the pilot.",
        "The clinic is ready.",
        "Staff need training.",
        "She is a detailed planner.",
        "The vendor is HIPAA-certified.",
    ],
)
def test_active_sentences(sentence: str) -> None:
    assert compute_metrics(sentence).passive_share == 0.0


def test_passive_share_counts_sentences() -> None:
    m = compute_metrics("The plan was approved. We start in May. Staff were trained. We hire.")
    assert m.passive_share == 0.5


def test_long_sentences_are_over_thirty_words() -> None:
    thirty = " ".join(["word"] * 30) + "."
    thirty_one = " ".join(["word"] * 31) + "."
    assert compute_metrics(thirty).long_sentences == 0
    assert compute_metrics(f"{thirty} {thirty_one.capitalize()}").long_sentences == 1


# Dictionary syllable counts of words typical of business memos.
KNOWN_SYLLABLES = {
    "cat": 1, "table": 2, "approve": 2, "approved": 2, "budget": 2, "patient": 2, "digital": 3,
    "organisation": 5, "recommend": 3, "request": 2, "financial": 3, "investment": 3,
    "savings": 2, "reduced": 2, "implementation": 5, "clinics": 2, "processes": 3, "time": 1,
    "makes": 1, "needed": 2, "wanted": 2, "leadership": 3, "quality": 3, "company": 3,
    "insurance": 3, "system": 2, "training": 2, "decision": 3, "million": 2, "university": 5,
    "average": 3, "simple": 2, "people": 2, "area": 3, "idea": 3, "going": 2, "mitigation": 4,
    "evidence": 3, "media": 3, "medium": 3, "actual": 3, "ratio": 3, "period": 3, "trial": 2,
    "social": 2, "language": 2, "being": 2, "question": 2, "potential": 3, "several": 3,
    "communication": 5, "however": 3, "priority": 4, "vendor": 2, "nurse": 1, "payment": 2,
}  # fmt: skip


def test_syllable_counter_is_right_for_most_words() -> None:
    right = sum(syllables(word) == n for word, n in KNOWN_SYLLABLES.items())
    assert right / len(KNOWN_SYLLABLES) >= 0.9


def test_readability_grade_rises_with_long_words_and_sentences() -> None:
    simple = compute_metrics("We need new forms. They save time. Staff like them.")
    dense = compute_metrics(
        "Organisational transformation initiatives necessitate comprehensive stakeholder "
        "consultation, meticulous implementation planning and continuous performance "
        "evaluation across interdependent operational departments."
    )
    assert simple.readability_grade < 4 < 18 < dense.readability_grade
    assert simple.flesch_reading_ease > 80 and dense.flesch_reading_ease == 0.0


def test_unicode_memo_is_measured_without_error() -> None:
    m = compute_metrics(memo("unicode"))
    assert m.has_headers and m.has_explicit_ask
    assert m.words > 100 and m.numbers_count >= 5  # €240,000, ¥4.2M, 9%, 35%, 12


def test_cjk_characters_count_as_words_and_split_at_full_stops() -> None:
    text = "東京は大きい。ありがとう！ Emoji 🎉 and “smart quotes” — fine."
    m = compute_metrics(text)
    assert m.sentences == 3
    assert m.words == 6 + 5 + 5  # 東京は大きい, ありがとう, Emoji and smart quotes fine


def test_to_dict_is_json_ready() -> None:
    data = compute_metrics(memo("strong")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert isinstance(data["headers_found"], list) and isinstance(data["ask_sentence"], list)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_trimmed_ordered_spans(text: str) -> None:
    compute_metrics(text)
    previous_end = 0
    for start, end in split_sentences(text):
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end
