"""Progress charts as plain SVG, rendered once on the server for the web page and the PDF.

Pure functions of the progress data (no database), so the frontend can draw them from the
API's JSON and the PDF report from the service's result: the same chart in both. Every chart
carries a <title>, a <desc> and a data table as its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from memoai import translations
from memoai.progress import chains, svg
from memoai.progress.chart import DAY, MAX_TABLE_ROWS, Chart, empty
from memoai.progress.frequency_chart import frequency_chart
from memoai.progress.schemas import ProgressOut, TimelineEntry
from memoai.translations import gettext as _
from memoai.translations import ngettext, when


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
    return f"{value * 100:.0f}%" if percent else translations.decimals(svg.num(value))


def _score_ticks(scale: dict[str, int]) -> list[float]:
    low, high = scale.get("min", 1), scale.get("max", 5)
    step = max(1, math.ceil((high - low) / 5))
    return [float(v) for v in range(low, high + 1, step)]


def _span_text(entries: Sequence[TimelineEntry]) -> str:
    first, last = entries[0].created_at, entries[-1].created_at
    count = len(entries)
    if first.date() == last.date():
        return ngettext(
            "%(num)s evaluation on %(date)s", "%(num)s evaluations on %(date)s", count
        ) % {"num": count, "date": when(first, DAY)}
    return ngettext(
        "%(num)s evaluation from %(first)s to %(last)s",
        "%(num)s evaluations from %(first)s to %(last)s",
        count,
    ) % {"num": count, "first": when(first, DAY), "last": when(last, DAY)}


def _versions_text(versions: Sequence[str]) -> str:
    if len(versions) < 2:
        return ""
    return " " + _(
        "Scores come from %(num)s rubric versions (%(versions)s); each version is drawn as its "
        "own line and they are not joined."
    ) % {"num": len(versions), "versions": ", ".join(versions)}


def overall_chart(
    progress: ProgressOut,
    chart_id: str = "chart-overall",
    size: svg.Size = svg.WIDE,
    interactive: bool = False,
) -> Chart:
    """The overall score over time, on the rubric's scale."""
    entries, scale = progress.timeline, progress.scale
    title = _("Overall score over time")
    if not entries:
        return empty(chart_id, title)
    versions, current = _versions(entries), progress.current_rubric_version
    named, memo_names = point_names(entries, interactive), memo_versions(entries)
    high = scale.get("max", 5)
    stacked = size.narrow and len(versions) > 1
    width = size.width
    height = 224 + (26 if len(versions) > 1 else 0) + (len(versions) * 20 if stacked else 0)
    points = [
        svg.Point(
            e.created_at,
            e.overall_score,
            e.rubric_version,
            _("%(point)s: overall %(score)s / %(high)s")
            % {
                "point": named[e.evaluation_id],
                "score": translations.score(e.overall_score),
                "high": high,
            }
            if named
            else "",
        )
        for e in entries
    ]
    panel = svg.Panel(
        _("Overall score (%(low)s to %(high)s)")
        % {"low": scale.get("min", 1), "high": scale.get("max", 5)},
        points,
        float(scale.get("min", 1)),
        float(scale.get("max", 5)),
        _score_ticks(scale),
    )
    body = svg.draw_panel(
        panel,
        16,
        32,
        width - 24,
        166,
        current,
        title_size=size.title + 1,
        font=size.font,
        interactive=interactive,
    )
    body += svg.legend(
        versions, current, 50 if not size.narrow else 16, 240, font=size.font, stacked=size.narrow
    )
    stats = progress.stats.overall
    desc = _("%(span)s, on a scale of %(low)s to %(high)s.") % {
        "span": _span_text(entries),
        "low": scale.get("min", 1),
        "high": scale.get("max", 5),
    }
    if stats.count:
        desc += " " + _("Latest %(last)s, first %(first)s, best %(best)s.") % {
            "last": translations.score(stats.last),
            "first": translations.score(stats.first),
            "best": translations.score(stats.best),
        }
    desc += _versions_text(versions)
    rows, omitted = _table(
        entries,
        [_("Date"), _("Memo"), _("Overall"), _("Rubric version")],
        lambda e: [
            memo_names[e.evaluation_id],
            translations.score(e.overall_score),
            e.rubric_version,
        ],
    )
    frame = svg.frame(chart_id, title, desc, width, height, body, interactive=interactive)
    return Chart(
        chart_id,
        title,
        desc,
        frame,
        [_("Date"), _("Memo"), _("Overall"), _("Rubric version")],
        rows,
        omitted,
    )


def memo_versions(entries: Sequence[TimelineEntry]) -> dict[Any, str]:
    """ "Intake pilot (version 2)" for each entry (a first version by its title alone)."""
    placed = chains.place_versions(entries)
    names = {}
    for entry in entries:
        version = placed[entry.evaluation_id].version
        title = entry.title or _("Untitled memo")
        if version and version > 1:
            title = _("%(title)s (version %(version)s)") % {"title": title, "version": version}
        names[entry.evaluation_id] = title
    return names


def point_names(entries: Sequence[TimelineEntry], interactive: bool) -> dict[Any, str]:
    """ "Intake pilot (version 2), 3 Mar 2025 14:05" for each entry: what a point stands for
    (none when the points are not named: not interactive, or too many of them)."""
    if not interactive or len(entries) > svg.NAMED_MAX:
        return {}
    memos = memo_versions(entries)
    return {
        e.evaluation_id: f"{memos[e.evaluation_id]}, {when(e.created_at, 'd MMM y HH:mm')}"
        for e in entries
    }


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def criteria_chart(
    progress: ProgressOut,
    chart_id: str = "chart-criteria",
    size: svg.Size = svg.WIDE,
    interactive: bool = False,
) -> Chart:
    """Each criterion's score over time, one small chart per criterion."""
    entries, scale = progress.timeline, progress.scale
    title = _("Each criterion over time")
    if not entries or not progress.criteria:
        return empty(chart_id, title)
    low, high = float(scale.get("min", 1)), float(scale.get("max", 5))
    named = point_names(entries, interactive)

    def point(e: TimelineEntry, cid: str, name: str) -> svg.Point:
        value = _opt(e.scores.get(cid))
        label = f"{named[e.evaluation_id]}: {name} {_fmt(value)} / {int(high)}" if named else ""
        return svg.Point(e.created_at, value, e.rubric_version, label)

    panels = [
        svg.Panel(
            _short(ref.name),
            [point(e, ref.criterion_id, ref.name) for e in entries],
            low,
            high,
            _score_ticks(scale),
        )
        for ref in progress.criteria
    ]
    versions = _versions(entries)
    latest = [
        _("%(criterion)s %(score)s (change %(change)s)")
        % {"criterion": s.label, "score": _fmt(s.last), "change": translations.signed(s.change)}
        for s in progress.stats.criteria
        if s.count
    ]
    desc = _("%(span)s. Latest scores: %(scores)s.") % {
        "span": _span_text(entries),
        "scores": "; ".join(latest) or _("none"),
    }
    desc += _versions_text(versions)
    drawing = svg.grid(
        chart_id,
        title,
        desc,
        panels,
        progress.current_rubric_version,
        versions,
        size=size,
        interactive=interactive,
    )
    names = [ref.name for ref in progress.criteria]
    rows, omitted = _table(
        entries,
        [_("Date"), *names],
        lambda e: [_fmt(_opt(e.scores.get(ref.criterion_id))) for ref in progress.criteria],
    )
    return Chart(chart_id, title, desc, drawing, [_("Date"), *names], rows, omitted)


def metrics_chart(
    progress: ProgressOut,
    chart_id: str = "chart-metrics",
    size: svg.Size = svg.WIDE,
    interactive: bool = False,
) -> Chart:
    """Writing metrics over time, each on its own axis (they have different units)."""
    entries = progress.timeline
    title = _("Writing metrics over time")
    if not entries:
        return empty(chart_id, title)
    named = point_names(entries, interactive)
    panels = []
    for ref in progress.metrics:
        scale = 100.0 if ref.percent else 1.0
        values = [e.metrics.get(ref.key) for e in entries]
        top = max((v * scale for v in values if v is not None), default=1.0)
        ticks = svg.nice_ticks(top, 3)
        fmt = (lambda v: f"{v:g}%") if ref.percent else (lambda v: f"{v:g}")
        points = [
            svg.Point(
                e.created_at,
                None if v is None else v * scale,
                "metrics",
                f"{named[e.evaluation_id]}: {_(ref.label)} {_fmt(v, ref.percent)}" if named else "",
            )
            for e, v in zip(entries, values, strict=True)
        ]
        panels.append(svg.Panel(_(ref.label), points, 0.0, ticks[-1], ticks, fmt))
    latest = "; ".join(
        f"{_(ref.label)} {_fmt(s.last, ref.percent)}"
        for ref, s in zip(progress.metrics, progress.stats.metrics, strict=True)
    )
    desc = _(
        "%(span)s. Latest: %(values)s. Metrics are counted from the text and do not depend on "
        "the rubric."
    ) % {"span": _span_text(entries), "values": latest}
    drawing = svg.grid(
        chart_id, title, desc, panels, "metrics", [], size=size, interactive=interactive
    )
    labels = [_(ref.label) for ref in progress.metrics]
    rows, omitted = _table(
        entries,
        [_("Date"), *labels],
        lambda e: [_fmt(e.metrics.get(r.key), r.percent) for r in progress.metrics],
    )
    return Chart(chart_id, title, desc, drawing, [_("Date"), *labels], rows, omitted)


def _opt(value: int | None) -> float | None:
    return None if value is None else float(value)


def all_charts(progress: ProgressOut, *, interactive: bool = False) -> list[Chart]:
    """Every progress chart, in the order the Progress tab shows them; for the web page
    (interactive) each also drawn for a phone's width."""
    makers = (overall_chart, criteria_chart, metrics_chart, frequency_chart)
    drawn = []
    for make in makers:
        chart = make(progress, size=svg.WIDE, interactive=interactive)
        if interactive and chart.svg:
            narrow = make(progress, f"{chart.id}-narrow", svg.NARROW, interactive)
            chart = replace(chart, narrow_svg=narrow.svg)
        drawn.append(chart)
    return drawn
