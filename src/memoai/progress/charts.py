"""Progress charts as plain SVG, rendered once on the server for the web page and the PDF.

Pure functions of the progress data (no database), so the frontend can draw them from the
API's JSON and the PDF report from the service's result: the same chart in both. Every chart
carries a <title>, a <desc> and a data table as its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from memoai.progress import svg
from memoai.progress.schemas import ProgressOut, TimelineEntry

BAR = "#60a5fa"
MAX_TABLE_ROWS = 50


@dataclass(frozen=True)
class Chart:
    """An SVG chart and its text alternative (a caption, column headings and rows)."""

    id: str
    title: str
    description: str
    svg: str
    columns: list[str]
    rows: list[list[str]]
    omitted_rows: int = 0


def _versions(entries: Sequence[TimelineEntry]) -> list[str]:
    seen: list[str] = []
    for entry in entries:
        if entry.rubric_version not in seen:
            seen.append(entry.rubric_version)
    return seen


def _table(
    entries: Sequence[TimelineEntry],
    columns: list[str],
    cells: Callable[[TimelineEntry], list[str]],
) -> tuple[list[list[str]], int]:
    """The newest rows of a chart's data table, and how many older ones were left out."""
    shown = entries[-MAX_TABLE_ROWS:]
    rows = [[f"{e.created_at:%Y-%m-%d %H:%M}", *cells(e)] for e in reversed(shown)]
    return rows, len(entries) - len(shown)


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.0f}%" if percent else svg.num(value)


def _score_ticks(scale: dict[str, int]) -> list[float]:
    low, high = scale.get("min", 1), scale.get("max", 5)
    step = max(1, math.ceil((high - low) / 5))
    return [float(v) for v in range(low, high + 1, step)]


def _span_text(entries: Sequence[TimelineEntry]) -> str:
    first, last = entries[0].created_at, entries[-1].created_at
    count = len(entries)
    noun = "evaluation" if count == 1 else "evaluations"
    if first.date() == last.date():
        return f"{count} {noun} on {first:%d %b %Y}"
    return f"{count} {noun} from {first:%d %b %Y} to {last:%d %b %Y}"


def _versions_text(versions: Sequence[str]) -> str:
    if len(versions) < 2:
        return ""
    return (
        f" Scores come from {len(versions)} rubric versions ({', '.join(versions)}); each "
        "version is drawn as its own line and they are not joined."
    )


def overall_chart(progress: ProgressOut, chart_id: str = "chart-overall") -> Chart:
    """The overall score over time, on the rubric's scale."""
    entries, scale = progress.timeline, progress.scale
    title = "Overall score over time"
    if not entries:
        return _empty(chart_id, title)
    versions, current = _versions(entries), progress.current_rubric_version
    width, height = 720, 250 if len(versions) > 1 else 224
    points = [svg.Point(e.created_at, e.overall_score, e.rubric_version) for e in entries]
    panel = svg.Panel(
        f"Overall score ({scale.get('min', 1)} to {scale.get('max', 5)})",
        points,
        float(scale.get("min", 1)),
        float(scale.get("max", 5)),
        _score_ticks(scale),
    )
    body = svg.draw_panel(panel, 16, 32, width - 24, 166, current, title_size=12)
    body += svg.legend(versions, current, 50, 240)
    stats = progress.stats.overall
    desc = f"{_span_text(entries)}, on a scale of {scale.get('min', 1)} to {scale.get('max', 5)}."
    if stats.count:
        desc += f" Latest {_fmt(stats.last)}, first {_fmt(stats.first)}, best {_fmt(stats.best)}."
    desc += _versions_text(versions)
    rows, omitted = _table(
        entries,
        ["Date", "Memo", "Overall", "Rubric version"],
        lambda e: [e.title or "Untitled", _fmt(e.overall_score), e.rubric_version],
    )
    return Chart(
        chart_id,
        title,
        desc,
        svg.frame(chart_id, title, desc, width, height, body),
        ["Date", "Memo", "Overall", "Rubric version"],
        rows,
        omitted,
    )


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def criteria_chart(progress: ProgressOut, chart_id: str = "chart-criteria") -> Chart:
    """Each criterion's score over time, one small chart per criterion."""
    entries, scale = progress.timeline, progress.scale
    title = "Each criterion over time"
    if not entries or not progress.criteria:
        return _empty(chart_id, title)
    low, high = float(scale.get("min", 1)), float(scale.get("max", 5))
    panels = [
        svg.Panel(
            _short(ref.name),
            [
                svg.Point(e.created_at, _opt(e.scores.get(ref.criterion_id)), e.rubric_version)
                for e in entries
            ],
            low,
            high,
            _score_ticks(scale),
        )
        for ref in progress.criteria
    ]
    versions = _versions(entries)
    latest = [
        f"{s.label} {_fmt(s.last)} (change {_signed(s.change)})"
        for s in progress.stats.criteria
        if s.count
    ]
    desc = f"{_span_text(entries)}. Latest scores: {'; '.join(latest) or 'none'}."
    desc += _versions_text(versions)
    drawing = svg.grid(chart_id, title, desc, panels, progress.current_rubric_version, versions)
    names = [ref.name for ref in progress.criteria]
    rows, omitted = _table(
        entries,
        ["Date", *names],
        lambda e: [_fmt(_opt(e.scores.get(ref.criterion_id))) for ref in progress.criteria],
    )
    return Chart(chart_id, title, desc, drawing, ["Date", *names], rows, omitted)


def metrics_chart(progress: ProgressOut, chart_id: str = "chart-metrics") -> Chart:
    """Writing metrics over time, each on its own axis (they have different units)."""
    entries = progress.timeline
    title = "Writing metrics over time"
    if not entries:
        return _empty(chart_id, title)
    panels = []
    for ref in progress.metrics:
        scale = 100.0 if ref.percent else 1.0
        values = [e.metrics.get(ref.key) for e in entries]
        top = max((v * scale for v in values if v is not None), default=1.0)
        ticks = svg.nice_ticks(top, 3)
        fmt = (lambda v: f"{v:g}%") if ref.percent else (lambda v: f"{v:g}")
        points = [
            svg.Point(e.created_at, None if v is None else v * scale, "metrics")
            for e, v in zip(entries, values, strict=True)
        ]
        panels.append(svg.Panel(ref.label, points, 0.0, ticks[-1], ticks, fmt))
    desc = (
        f"{_span_text(entries)}. Latest: "
        + "; ".join(
            f"{ref.label} {_fmt(s.last, ref.percent)}"
            for ref, s in zip(progress.metrics, progress.stats.metrics, strict=True)
        )
        + ". Metrics are counted from the text and do not depend on the rubric."
    )
    drawing = svg.grid(chart_id, title, desc, panels, "metrics", [])
    labels = [ref.label for ref in progress.metrics]
    rows, omitted = _table(
        entries,
        ["Date", *labels],
        lambda e: [_fmt(e.metrics.get(r.key), r.percent) for r in progress.metrics],
    )
    return Chart(chart_id, title, desc, drawing, ["Date", *labels], rows, omitted)


def frequency_chart(progress: ProgressOut, chart_id: str = "chart-frequency") -> Chart:
    """Evaluations per day or per week, as bars."""
    frequency, unit = progress.frequency, progress.frequency.unit
    title = f"Evaluations per {unit}"
    buckets = frequency.buckets
    if not buckets or not frequency.total:
        return _empty(chart_id, title)
    width, height = 720, 166
    body = _bars([b.count for b in buckets], [f"{b.start.day} {b.start:%b}" for b in buckets])
    busiest = max(buckets, key=lambda b: b.count)
    desc = (
        f"{frequency.total} evaluations in {len(buckets)} {unit}s; the busiest {unit} "
        f"(starting {busiest.start:%d %b %Y}) had {busiest.count}."
    )
    rows = [[f"{b.start:%Y-%m-%d}", str(b.count)] for b in reversed(buckets) if b.count]
    return Chart(
        chart_id,
        title,
        desc,
        svg.frame(chart_id, title, desc, width, height, body),
        [unit.capitalize() + " starting", "Evaluations"],
        rows[:MAX_TABLE_ROWS],
        max(len(rows) - MAX_TABLE_ROWS, 0),
    )


def _bars(counts: list[int], labels: list[str]) -> list[str]:
    """Bars at most 28 units wide, a y grid, and three labels under them."""
    left, top, plot_w, plot_h = 50, 16, 650, 116
    ticks = svg.nice_ticks(max(counts), 3)
    slot = plot_w / len(counts)
    bar_w = min(slot * 0.7, 28.0)
    body = []
    for tick in ticks:
        ty = top + plot_h - plot_h * tick / ticks[-1]
        body.append(svg.line(left, ty, left + plot_w, ty, svg.GRID))
        body.append(svg.text(left - 6, ty + 4, f"{tick:g}", size=10, anchor="end"))
    for index, count in enumerate(counts):
        bar_h = plot_h * count / ticks[-1]
        if bar_h:
            body.append(
                f'<rect x="{svg.num(left + (index + 0.5) * slot - bar_w / 2)}" '
                f'y="{svg.num(top + plot_h - bar_h)}" width="{svg.num(max(bar_w, 1))}" '
                f'height="{svg.num(bar_h)}" fill="{BAR}"/>'
            )
    body.append(svg.line(left, top + plot_h, left + plot_w, top + plot_h, svg.AXIS))
    for index in sorted({0, len(counts) // 2, len(counts) - 1}):
        x = left + (index + 0.5) * slot
        body.append(svg.text(x, top + plot_h + 16, labels[index], size=10, anchor="middle"))
    return body


def _opt(value: int | None) -> float | None:
    return None if value is None else float(value)


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _empty(chart_id: str, title: str) -> Chart:
    return Chart(chart_id, title, "No completed evaluations in this range yet.", "", [], [])


def all_charts(progress: ProgressOut) -> list[Chart]:
    """Every progress chart, in the order the Progress tab shows them."""
    return [
        overall_chart(progress),
        criteria_chart(progress),
        metrics_chart(progress),
        frequency_chart(progress),
    ]
