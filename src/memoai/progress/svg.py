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

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK, MUTED, GRID, AXIS = "#0f172a", "#475569", "#e2e8f0", "#94a3b8"
CURRENT, OLDER = "#2563eb", "#64748b"
MAX_DOTS = 24  # more points than this are drawn as a line only (dots would crowd it)


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float | None
    group: str  # the rubric version: one line per version, never joined across versions


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


def frame(chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
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
        return f"{moment:%b %Y}"
    if first.date() == last.date():
        return f"{moment:%H:%M}"
    return f"{moment.day} {moment:%b}"


def _label_indexes(count: int, wanted: int = 4) -> list[int]:
    """A few evenly spread points to label on the x axis (always the first and the last)."""
    if count <= wanted:
        return list(range(count))
    return sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)})


def draw_panel(
    panel: Panel,
    x: float,
    y: float,
    w: float,
    h: float,
    current: str | None,
    *,
    title_size: float = 11,
) -> list[str]:
    """One line chart: title, y grid with labels, dates below, one line per rubric version.

    Evaluations are spaced evenly in time order: revisions minutes apart stay readable next
    to memos weeks apart, and the dates below say when each was.
    """
    out = [text(x, y - 12, panel.label, size=title_size, fill=INK, weight="bold")]
    left, plot_w, count = x + 34, w - 44, len(panel.points)

    def px(index: int) -> float:
        return left + 6 + (plot_w - 12) * (index / (count - 1) if count > 1 else 0.5)

    def py(value: float) -> float:
        share = (value - panel.low) / ((panel.high - panel.low) or 1.0)
        return y + h - h * min(max(share, 0.0), 1.0)

    for tick in panel.ticks:
        out.append(line(left, py(tick), left + plot_w, py(tick), GRID))
        out.append(text(left - 6, py(tick) + 4, panel.fmt(tick), size=10, anchor="end"))
    out.append(line(left, y + h, left + plot_w, y + h, AXIS))
    if panel.points:
        first, last = panel.points[0].at, panel.points[-1].at
        for index in _label_indexes(count):
            label = _date_label(panel.points[index].at, first, last)
            out.append(text(px(index), y + h + 14, label, size=10, anchor="middle"))
    out.extend(_version_marks(panel.points, px, y, h))
    for group, runs in _runs(panel.points):
        colour, dash = (CURRENT, "") if group == current else (OLDER, "5 3")
        for run in runs:
            out.extend(_series(run, px, py, colour, dash, dots=count <= MAX_DOTS))
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
        path = "M" + " L".join(f"{num(cx)} {num(cy)}" for cx, cy in coords)
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


def legend(groups: Sequence[str], current: str | None, x: float, y: float) -> list[str]:
    if len(groups) < 2:
        return []
    out = []
    for index, group in enumerate(groups):
        colour = CURRENT if group == current else OLDER
        dash = "" if group == current else "5 3"
        gx = x + index * 190
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="M{num(gx)} {num(y - 4)} L{num(gx + 22)} {num(y - 4)}" '
            f'stroke="{colour}" stroke-width="2"{dashed}/>'
        )
        note = "current" if group == current else "earlier"
        out.append(text(gx + 28, y, f"Rubric {group} ({note})", size=10))
    return out


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """0 and a few round steps up to at least `high`."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(high / step) + 1)]


def grid(
    chart_id: str,
    title: str,
    desc: str,
    panels: list[Panel],
    current: str | None,
    versions: Sequence[str],
) -> str:
    """Small multiples: three panels a row, sharing the time axis."""
    columns, cell_w, cell_h, plot_h = 3, 240, 136, 74
    rows = math.ceil(len(panels) / columns)
    width, height = columns * cell_w, rows * cell_h + (24 if len(versions) > 1 else 0)
    body: list[str] = []
    for index, panel in enumerate(panels):
        x = 8 + (index % columns) * cell_w
        y = 28 + (index // columns) * cell_h
        body += draw_panel(panel, x, y, cell_w - 12, plot_h, current)
    body += legend(versions, current, 44, height - 8)
    return frame(chart_id, title, desc, width, height, body)
