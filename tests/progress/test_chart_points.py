"""Chart points named for hover and keyboard, axes that never repeat a label, long histories
drawn at the chart's own resolution (pure functions, no server)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from memoai.progress import charts, svg
from tests.progress.samples import progress


def test_axis_labels_never_repeat() -> None:
    day = datetime(2025, 3, 3, 14, 5, tzinfo=UTC)
    same_minute = [day, day + timedelta(seconds=20), day + timedelta(seconds=40)]
    assert svg.axis_labels(same_minute) == [(0, "3 Mar 14:05")]
    two_days = [day, day + timedelta(minutes=1), day + timedelta(days=1), day + timedelta(days=1)]
    labels = [text for _, text in svg.axis_labels(two_days)]
    assert labels == ["3 Mar", "4 Mar"]
    spread = [day + timedelta(days=i) for i in range(40)]
    labels = [text for _, text in svg.axis_labels(spread)]
    assert len(labels) == len(set(labels)) == 4 and labels[0] == "3 Mar"


def test_points_are_named_only_on_web_pages_and_for_a_readable_number() -> None:
    few = progress(*(["1.0"] * 5))
    (overall, *_rest) = charts.all_charts(few, interactive=True)
    named = re.findall(r'aria-label="([^"]*)" data-point', overall.svg)
    assert len(named) == 5 and named[0].endswith(": overall 2.0 / 5")
    assert overall.narrow_svg.count("data-point") == 5
    assert 'id="chart-overall-narrow-title"' in overall.narrow_svg
    (paper, *_rest) = charts.all_charts(few)  # the PDF's: an image, no targets, no variant
    assert "data-point" not in paper.svg and 'role="img"' in paper.svg and not paper.narrow_svg

    many = progress(*(["1.0"] * (svg.NAMED_MAX + 1)))
    lines = charts.all_charts(many, interactive=True)[:3]  # the bars stay named (per week)
    assert all("data-point" not in c.svg + c.narrow_svg for c in lines)


def test_a_long_history_is_drawn_at_the_charts_resolution() -> None:
    long = progress(*(["1.0"] * 2000))
    chart = charts.overall_chart(long)
    (path,) = re.findall(r'<path d="M([^"]*)"', chart.svg)
    vertices = path.count(" L") + 1
    assert vertices <= 2 * 720 + 2  # at most two a unit-wide column, not one per evaluation
    xs = [float(v.split()[0]) for v in path.split(" L")]
    assert xs == sorted(xs) and xs[0] < 60 and xs[-1] > 650  # still the whole range
