"""The evaluations-per-day (or per-week) bar chart of the Progress tab and the PDF report."""

from __future__ import annotations

from typing import Any

from memoai.progress import svg
from memoai.progress.chart import DAY, MAX_TABLE_ROWS, Chart, empty
from memoai.progress.schemas import ProgressOut
from memoai.translations import gettext as _
from memoai.translations import ngettext, when

BAR = "#60a5fa"


def frequency_chart(
    progress: ProgressOut,
    chart_id: str = "chart-frequency",
    size: svg.Size = svg.WIDE,
    interactive: bool = False,
) -> Chart:
    """Evaluations per day or per week, as bars."""
    frequency, unit = progress.frequency, progress.frequency.unit
    title = _("Evaluations per day") if unit == "day" else _("Evaluations per week")
    buckets = frequency.buckets
    if not buckets or not frequency.total:
        return empty(chart_id, title)
    width, height = size.width, 166 if not size.narrow else 190
    body = _bars(
        [b.count for b in buckets],
        [when(b.start, "d MMM") for b in buckets],
        [_bucket_name(unit, b.start, b.count) for b in buckets],
        size,
        interactive,
    )
    busiest = max(buckets, key=lambda b: b.count)
    total, spans = frequency.total, len(buckets)
    counted = ngettext("%(num)s evaluation", "%(num)s evaluations", total) % {"num": total}
    if unit == "day":
        within = ngettext("in %(num)s day", "in %(num)s days", spans) % {"num": spans}
        busiest_text = _("the busiest day (starting %(date)s) had %(num)s.")
    else:
        within = ngettext("in %(num)s week", "in %(num)s weeks", spans) % {"num": spans}
        busiest_text = _("the busiest week (starting %(date)s) had %(num)s.")
    busy = busiest_text % {"date": when(busiest.start, DAY), "num": busiest.count}
    desc = f"{counted} {within}; {busy}"
    rows = [[f"{b.start:%Y-%m-%d}", str(b.count)] for b in reversed(buckets) if b.count]
    return Chart(
        chart_id,
        title,
        desc,
        svg.frame(chart_id, title, desc, width, height, body, interactive=interactive),
        [_("Day starting") if unit == "day" else _("Week starting"), _("Evaluations")],
        rows[:MAX_TABLE_ROWS],
        max(len(rows) - MAX_TABLE_ROWS, 0),
    )


def _bucket_name(unit: str, start: Any, count: int) -> str:
    """ "Week starting 3 Mar 2025: 2 evaluations", what a bar stands for."""
    values = {"date": when(start, "d MMM y"), "num": count}
    if unit == "day":
        return (
            ngettext(
                "Day starting %(date)s: %(num)s evaluation",
                "Day starting %(date)s: %(num)s evaluations",
                count,
            )
            % values
        )
    return (
        ngettext(
            "Week starting %(date)s: %(num)s evaluation",
            "Week starting %(date)s: %(num)s evaluations",
            count,
        )
        % values
    )


def _bars(
    counts: list[int], labels: list[str], names: list[str], size: svg.Size, interactive: bool
) -> list[str]:
    """Bars at most 28 units wide, a y grid, and three labels under them."""
    font = size.font
    left, top = 14 + font * 3, 16
    plot_w, plot_h = size.width - left - 20, 116 if not size.narrow else 130
    ticks = svg.nice_ticks(max(counts), 3)
    slot = plot_w / len(counts)
    bar_w = min(slot * 0.7, 28.0)
    body = []
    for tick in ticks:
        ty = top + plot_h - plot_h * tick / ticks[-1]
        body.append(svg.line(left, ty, left + plot_w, ty, svg.GRID))
        body.append(svg.text(left - 6, ty + font * 0.4, f"{tick:g}", size=font, anchor="end"))
    focusable = True
    for index, count in enumerate(counts):
        bar_h = plot_h * count / ticks[-1]
        if bar_h:
            x = left + (index + 0.5) * slot - bar_w / 2
            named = ""
            if interactive:
                named = (
                    f' tabindex="{0 if focusable else -1}" role="img" '
                    f'aria-label="{svg.attr(names[index])}" data-point="{svg.attr(names[index])}"'
                )
                focusable = False
            body.append(
                f'<rect x="{svg.num(x)}" y="{svg.num(top + plot_h - bar_h)}" '
                f'width="{svg.num(max(bar_w, 1))}" height="{svg.num(bar_h)}" fill="{BAR}"{named}/>'
            )
    body.append(svg.line(left, top + plot_h, left + plot_w, top + plot_h, svg.AXIS))
    marks = sorted({0, len(counts) // 2, len(counts) - 1})
    for number, index in enumerate(marks):
        x = left + (index + 0.5) * slot
        anchor = "middle"
        if len(marks) > 1 and number == 0:
            anchor, x = "start", x - min(slot / 2, 6)
        elif len(marks) > 1 and number == len(marks) - 1:
            anchor, x = "end", x + min(slot / 2, 6)
        body.append(svg.text(x, top + plot_h + font * 1.6, labels[index], size=font, anchor=anchor))
    return body
