"""SVG primitives for the progress charts: small line panels, axes, legends, text.

Presentation attributes only (no CSS classes, no style attributes, no scripts), so the markup
renders the same inline in HTML under a strict Content-Security-Policy and in fpdf2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from itertools import pairwise

from memoai.translations import gettext as _
from memoai.translations import when

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK, MUTED, GRID, AXIS = "#0f172a", "#475569", "#e2e8f0", "#94a3b8"
CURRENT, OLDER = "#2563eb", "#64748b"
MAX_DOTS = 24  # more points than this are drawn as a line only (dots would crowd it)


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float | None
    group: str  # the rubric version: one line per version, never joined across versions
    label: str = ""  # what the point is, named on hover and keyboard focus (web charts)


@dataclass(frozen=True)
class Panel:
    label: str
    points: list[Point]
    low: float
    high: float
    ticks: list[float]
    fmt: Callable[[float], str] = field(default=lambda v: f"{v:g}")


def attr(value: str) -> str:
    return escape(value, quote=True)


def num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def frame(
    chart_id: str,
    title: str,
    desc: str,
    width: int,
    height: int,
    body: list[str],
    *,
    interactive: bool = False,
) -> str:
    """The <svg> element; an interactive one is a group of focusable, named points."""
    role = "group" if interactive else "img"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="{role}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{attr(FONT)}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body)
        + "</svg>"
    )


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 11,
    anchor: str = "start",
    fill: str = MUTED,
    weight: str = "normal",
) -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}" fill="{fill}" '
        f'text-anchor="{anchor}"{bold}>{escape(content)}</text>'
    )


def line(x1: float, y1: float, x2: float, y2: float, stroke: str, dash: str = "") -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" '
        f'stroke="{stroke}" stroke-width="1"{dashed}/>'
    )


def _date_label(moment: datetime, first: datetime, last: datetime) -> str:
    if last - first > timedelta(days=330):
        return when(moment, "MMM y")
    if first.date() == last.date():
        return f"{moment:%H:%M}"
    return when(moment, "d MMM")


def _label_indexes(count: int, wanted: int = 4) -> list[int]:
    """A few evenly spread points to label on the x axis (always the first and the last)."""
    if count <= wanted:
        return list(range(count))
    return sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)})


def axis_labels(moments: Sequence[datetime], wanted: int = 4) -> list[tuple[int, str]]:
    """(index, text) of the x-axis labels: evenly spread, and never the same text twice
    (points minutes apart share a day; a day's points may share a minute)."""
    if not moments:
        return []
    first, last = moments[0], moments[-1]
    shown: list[tuple[int, str]] = []
    for index in _label_indexes(len(moments), wanted):
        label = _date_label(moments[index], first, last)
        if all(label != text for _, text in shown):
            shown.append((index, label))
    if first.date() == last.date() and len(moments) > 1:  # times alone: say which day
        shown[0] = (shown[0][0], f"{when(first, 'd MMM')} {shown[0][1]}")
    return shown


def draw_panel(
    panel: Panel,
    x: float,
    y: float,
    w: float,
    h: float,
    current: str | None,
    *,
    title_size: float = 11,
    font: float = 10,
    interactive: bool = False,
) -> list[str]:
    """One line chart: title, y grid with labels, dates below, one line per rubric version.

    Evaluations are spaced evenly in time order: revisions minutes apart stay readable next
    to memos weeks apart, and the dates below say when each was. Interactive points (web
    pages) are focusable and carry their label for the page's tooltip.
    """
    out = [text(x, y - 12, panel.label, size=title_size, fill=INK, weight="bold")]
    left = x + 14 + font * 2
    plot_w, count = w - (left - x) - 10, len(panel.points)

    def px(index: int) -> float:
        return left + 6 + (plot_w - 12) * (index / (count - 1) if count > 1 else 0.5)

    def py(value: float) -> float:
        share = (value - panel.low) / ((panel.high - panel.low) or 1.0)
        return y + h - h * min(max(share, 0.0), 1.0)

    for tick in panel.ticks:
        out.append(line(left, py(tick), left + plot_w, py(tick), GRID))
        out.append(text(left - 6, py(tick) + font * 0.4, panel.fmt(tick), size=font, anchor="end"))
    out.append(line(left, y + h, left + plot_w, y + h, AXIS))
    labels = axis_labels([p.at for p in panel.points], 3 if plot_w < 300 else 4)
    for number, (index, label) in enumerate(labels):
        anchor = "start" if number == 0 and len(labels) > 1 else "middle"
        if number == len(labels) - 1 and len(labels) > 1:
            anchor = "end"
        where = px(index) - (6 if anchor == "start" else -6 if anchor == "end" else 0)
        out.append(text(where, y + h + font * 1.4, label, size=font, anchor=anchor))
    out.extend(_version_marks(panel.points, px, y, h))
    for group, runs in _runs(panel.points):
        colour, dash = (CURRENT, "") if group == current else (OLDER, "5 3")
        for run in runs:
            out.extend(_series(run, px, py, colour, dash, dots=count <= MAX_DOTS))
    if interactive:
        out.extend(_focusable_points(panel.points, px, py))
    return out


def _focusable_points(
    points: Sequence[Point], px: Callable[[int], float], py: Callable[[float], float]
) -> list[str]:
    """A target per point, reached by hover or keyboard (the first in the tab order, the
    others by arrow keys: progress.js), named by its label."""
    out = []
    first = True
    for index, point in enumerate(points):
        if point.value is None or not point.label:
            continue
        out.append(
            f'<circle cx="{num(px(index))}" cy="{num(py(point.value))}" r="7" '
            f'fill="#ffffff" fill-opacity="0" stroke="none" tabindex="{0 if first else -1}" '
            f'role="img" aria-label="{attr(point.label)}" data-point="{attr(point.label)}"/>'
        )
        first = False
    return out


Run = list[tuple[int, float]]


def _runs(points: Sequence[Point]) -> list[tuple[str, list[Run]]]:
    """Consecutive (index, value) points of one rubric version, grouped per version."""
    groups: dict[str, list[Run]] = {}
    previous: Point | None = None
    for index, point in enumerate(points):
        if point.value is None:
            previous = None
            continue
        runs = groups.setdefault(point.group, [])
        if previous is None or previous.group != point.group or not runs:
            runs.append([])
        runs[-1].append((index, point.value))
        previous = point
    return list(groups.items())


def _series(
    run: Run,
    px: Callable[[int], float],
    py: Callable[[float], float],
    colour: str,
    dash: str,
    *,
    dots: bool,
) -> list[str]:
    coords = [(px(index), py(value)) for index, value in run]
    out = []
    if len(coords) > 1:
        path = "M" + " L".join(f"{num(cx)} {num(cy)}" for cx, cy in _per_column(coords))
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"'
            f' stroke-linejoin="round"{dashed}/>'
        )
    if dots or len(coords) == 1:
        out.extend(
            f'<circle cx="{num(cx)}" cy="{num(cy)}" r="3" fill="{colour}"/>' for cx, cy in coords
        )
    return out


def _per_column(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The line's vertices: where a unit-wide column holds more than two points, only its
    lowest and highest (a long history has more points than the chart has columns; the line
    looks the same). The first and last points are always kept."""
    if len(coords) <= 2:
        return coords
    kept: list[tuple[float, float]] = []
    start, count = 0, len(coords)
    while start < count:
        key, end = round(coords[start][0]), start + 1
        while end < count and round(coords[end][0]) == key:
            end += 1
        if end - start <= 2:
            kept.extend(coords[start:end])
        else:
            ys = [c[1] for c in coords[start:end]]
            low, high = ys.index(min(ys)), ys.index(max(ys))
            kept.extend(coords[start + i] for i in sorted({low, high}))
        start = end
    if kept[0] != coords[0]:
        kept.insert(0, coords[0])
    if kept[-1] != coords[-1]:
        kept.append(coords[-1])
    return kept


def _version_marks(
    points: Sequence[Point], px: Callable[[int], float], y: float, h: float
) -> list[str]:
    """A dashed vertical rule where the rubric version changes, so versions are not mixed."""
    out = []
    for index, (before, after) in enumerate(pairwise(points)):
        if before.group != after.group:
            x = (px(index) + px(index + 1)) / 2
            out.append(line(x, y - 4, x, y + h, AXIS, "3 3"))
    return out


def legend(
    groups: Sequence[str],
    current: str | None,
    x: float,
    y: float,
    *,
    font: float = 10,
    stacked: bool = False,
) -> list[str]:
    """One entry per rubric version, side by side (or one under the other on narrow charts)."""
    if len(groups) < 2:
        return []
    out = []
    for index, group in enumerate(groups):
        colour = CURRENT if group == current else OLDER
        dash = "" if group == current else "5 3"
        gx = x if stacked else x + index * 190
        gy = y + index * font * 1.6 if stacked else y
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="M{num(gx)} {num(gy - 4)} L{num(gx + 22)} {num(gy - 4)}" '
            f'stroke="{colour}" stroke-width="2"{dashed}/>'
        )
        label = (
            _("Rubric %(version)s (current)")
            if group == current
            else _("Rubric %(version)s (earlier)")
        )
        out.append(text(gx + 28, gy, label % {"version": group}, size=font))
    return out


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """0 and a few round steps up to at least `high`."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(high / step) + 1)]


@dataclass(frozen=True)
class Size:
    """A chart's drawing size: wide (desktop pages, the PDF) or narrow (phones, where the
    chart is drawn at about its own size so its text stays readable)."""

    width: int = 720
    columns: int = 3
    font: float = 10
    title: float = 11
    narrow: bool = False


WIDE = Size()
NARROW = Size(width=340, columns=1, font=13, title=14, narrow=True)
# Up to this many points a panel, each point is named and focusable on web pages; a longer
# history is read in the chart's data table (hundreds of targets help nobody, and cost).
NAMED_MAX = 60


def grid(
    chart_id: str,
    title: str,
    desc: str,
    panels: list[Panel],
    current: str | None,
    versions: Sequence[str],
    *,
    size: Size = WIDE,
    interactive: bool = False,
) -> str:
    """Small multiples: three panels a row (one on a phone), sharing the time axis."""
    columns = size.columns
    cell_w = size.width // columns
    cell_h, plot_h = (136, 74) if not size.narrow else (176, 100)
    rows = math.ceil(len(panels) / columns)
    legend_h = 24 if not size.narrow else 12 + len(versions) * size.font * 1.6
    width = columns * cell_w
    height = int(rows * cell_h + (legend_h if len(versions) > 1 else 0))
    body: list[str] = []
    for index, panel in enumerate(panels):
        x = 8 + (index % columns) * cell_w
        y = 28 + (index // columns) * cell_h
        body += draw_panel(
            panel,
            x,
            y,
            cell_w - 12,
            plot_h,
            current,
            title_size=size.title,
            font=size.font,
            interactive=interactive,
        )
    top = rows * cell_h + (4 if size.narrow else 16)
    body += legend(
        versions, current, 44 if not size.narrow else 12, top, font=size.font, stacked=size.narrow
    )
    return frame(chart_id, title, desc, width, height, _one_tab_stop(body), interactive=interactive)


def _one_tab_stop(body: list[str]) -> list[str]:
    """A chart is one stop in the tab order: its first point; arrow keys reach the others."""
    seen = False
    out = []
    for part in body:
        if 'tabindex="0"' in part:
            if seen:
                part = part.replace('tabindex="0"', 'tabindex="-1"')
            seen = True
        out.append(part)
    return out
