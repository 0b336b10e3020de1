"""The pure parts of progress: the word diff, grouping, frequency, streaks and the SVG charts."""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from fpdf import FPDF
from hypothesis import given
from hypothesis import strategies as st

from memoai.progress import chains, charts, diff, rows, trends
from tests.progress.samples import progress

SVG = "{http://www.w3.org/2000/svg}"
text_with_spaces = st.text(alphabet=st.sampled_from(list("ab c\n—中🚀")), max_size=60)


@given(text_with_spaces, text_with_spaces)
def test_diff_rebuilds_the_new_text_and_the_old_words(old: str, new: str) -> None:
    ops = diff.word_diff(old, new)
    assert "".join(o.text for o in ops if o.op != "delete") == new
    assert "".join(o.text for o in ops if o.op != "insert").split() == old.split()
    assert all(a.op != b.op for a, b in pairwise(ops))  # runs are merged


def test_diff_marks_a_known_change_word_by_word() -> None:
    ops = diff.word_diff("We ask for $2m now.\n\nThanks", "We request $2m by June.\n\nThanks")
    assert [(o.op, o.text.strip()) for o in ops] == [
        ("equal", "We"),
        ("delete", "ask for"),
        ("insert", "request"),
        ("equal", "$2m"),
        ("delete", "now."),
        ("insert", "by June."),
        ("equal", "Thanks"),
    ]
    assert diff.counts(ops) == (3, 3)


def test_compact_keeps_context_and_counts_what_it_leaves_out() -> None:
    old = " ".join(f"w{i}" for i in range(200))
    new = old.replace("w100 ", "CHANGED ")
    pieces = diff.compact(diff.word_diff(old, new), context=5)
    assert [p.op for p in pieces] == ["skip", "equal", "delete", "insert", "equal", "skip"]
    assert pieces[0].skipped == 95 and pieces[-1].skipped == 94
    assert pieces[1].text.split() == ["w95", "w96", "w97", "w98", "w99"]


def test_opportunities_group_on_meaning_not_on_numbers_or_accents() -> None:
    assert rows.normalise("Lead with the ask: paragraph 5, 82%.") == rows.normalise(
        "lead with the ASK — paragraph 3, 40%"
    )
    assert rows.normalise("Résumé the café") == "resume the cafe"
    assert rows.normalise("Quantify the cost") != rows.normalise("Quantify the benefit")


def test_frequency_fills_gaps_and_streak_counts_consecutive_days() -> None:
    now = datetime(2025, 3, 12, 15, tzinfo=UTC)
    times = [now - timedelta(days=d) for d in (0, 0, 1, 2, 5)]
    daily = trends.frequency(sorted(times), now - timedelta(days=7), now, weekly=False)
    assert [b.count for b in daily.buckets] == [0, 0, 1, 0, 0, 1, 1, 2]
    weekly = trends.frequency(sorted(times), None, now, weekly=True)
    assert [(b.start, b.count) for b in weekly.buckets] == [
        (date(2025, 3, 3), 1),
        (date(2025, 3, 10), 4),
    ]
    dates = [t.date() for t in times]
    assert trends.streak_days(dates, now.date()) == 3
    assert trends.streak_days(dates, now.date() + timedelta(days=1)) == 3  # yesterday counts
    assert trends.streak_days(dates, now.date() + timedelta(days=2)) == 0


def test_charts_are_accessible_escaped_svg_that_fpdf_can_draw() -> None:
    data = progress("1.0:a", "1.0:a", "1.1:b", "1.1:b")
    pdf = FPDF()
    pdf.add_page()
    for chart in charts.all_charts(data):
        root = ET.fromstring(chart.svg)  # well-formed: markup in names was escaped
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and title.text == chart.title
        assert desc is not None and desc.text == chart.description
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert "<script>" not in chart.svg and "<b>" not in chart.svg
        assert "style=" not in chart.svg and "class=" not in chart.svg
        assert chart.rows, "every chart has a data table as its text alternative"
        pdf.image(io.BytesIO(chart.svg.encode()), w=150)
    overall = charts.overall_chart(data)
    assert overall.rows[0][1] == "<script>alert(3)</script>"  # the table is text, escaped later
    assert "Rubric 1.0:a (earlier)" in overall.svg and "Rubric 1.1:b (current)" in overall.svg
    criteria = charts.criteria_chart(data)
    assert "Purpose &lt;b&gt;&amp; ask&lt;/b&gt;" in criteria.svg
    assert criteria.columns == ["Date", "Purpose <b>& ask</b>"]


def test_rubric_versions_are_separate_lines_with_a_marker_between() -> None:
    mixed = charts.overall_chart(progress("1.0:a", "1.0:a", "1.1:b", "1.1:b")).svg
    single = charts.overall_chart(progress("1.1:b", "1.1:b", "1.1:b", "1.1:b")).svg
    assert mixed.count("<path d=") == single.count("<path d=") + 1 + 2  # +1 line, +2 legend
    assert 'stroke-dasharray="5 3"' in mixed and 'stroke-dasharray="5 3"' not in single


def test_empty_progress_has_no_svg_but_says_why() -> None:
    empty = progress("1.0:a").model_copy(update={"timeline": []})
    chart = charts.overall_chart(empty)
    assert chart.svg == "" and "No completed evaluations" in chart.description


@given(st.lists(st.integers(min_value=-1, max_value=30), min_size=1, max_size=30))
def test_one_memo_s_chain_is_its_chain_among_all(parents: list[int]) -> None:
    """Each version revises an earlier one (or none, for -1); re-evaluations repeat a version."""
    start = datetime(2025, 3, 1, tzinfo=UTC)
    ids = [uuid.UUID(int=n + 1) for n in range(len(parents))]
    made = []
    for n, parent in enumerate(parents):
        revises = ids[parent % n] if parent >= 0 and n else None
        same = ids[parent % n] if parent > 25 and n else ids[n]  # an earlier version again
        made.append(
            rows.make_row(
                evaluation_id=uuid.uuid4(),
                submission_id=same,
                revision_of=revises if same == ids[n] else None,
                created_at=start + timedelta(hours=n),
                overall_score=3.0,
                scale_min=1,
                scale_max=5,
                rubric_version="1",
                rubric_scores=[{"criterion_id": "purpose", "name": "Purpose", "score": 3}],
                metrics={},
                opportunities=[],
                title=f"Memo {n}",
                provider="offline",
                model="rules-v1",
            )
        )
    every = chains.build_chains(made)
    for sid in {row.submission_id for row in made}:
        expected = next((c for c in every if any(v.submission_id == sid for v in c.versions)), None)
        assert chains.build_chain(made, sid) == expected
