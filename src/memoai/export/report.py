"""The sections of the PDF report, in reading order, drawn with the layout helpers.

Every heading, label and sentence is in the reader's language (memoai.translations: the
request's language is copied into the rendering thread), numbers and dates by Babel.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from memoai import scores, translations
from memoai.export import comment_report, revision_report
from memoai.export.layout import (
    BAD,
    BODY,
    GOOD,
    INK,
    LINE,
    MID,
    MUTED,
    PRIMARY,
    SOFT,
    TEXT_2,
    Layout,
    Run,
    Style,
)
from memoai.progress import chains, charts
from memoai.progress.schemas import ChainVersion, ProgressOut
from memoai.translations import N_, ngettext, when
from memoai.translations import gettext as _

# The charts carry <title>/<desc> for screen readers on the web page; fpdf2 skips them (a PDF
# gets the data table instead) but would log a warning per chart on every export.
logging.getLogger("fpdf.svg").setLevel(logging.ERROR)
LABEL = Style(size=10.5, bold=True, color=INK)
RECENT_ROWS = 12
METRIC_ROWS: tuple[tuple[str, str, str], ...] = (  # labels translated where drawn
    ("words", N_("Words"), "int"),
    ("sentences", N_("Sentences"), "int"),
    ("paragraphs", N_("Paragraphs"), "int"),
    ("mean_sentence_length", N_("Words per sentence"), "num"),
    ("long_sentences", N_("Long sentences (over 30 words)"), "int"),
    ("readability_grade", N_("Reading grade (Flesch–Kincaid)"), "num"),
    ("flesch_reading_ease", N_("Reading ease (Flesch)"), "num"),
    ("passive_share", N_("Sentences in passive voice"), "pct"),
    ("numbers_count", N_("Figures"), "int"),
    ("has_headers", N_("Memo header (To, From, Date, Subject)"), "bool"),
    ("has_explicit_ask", N_("Explicit ask"), "bool"),
)


def write(
    out: Layout,
    evaluation: dict[str, Any],
    progress: ProgressOut,
    revision: ChainVersion | None,
    generated_at: datetime,
) -> None:
    """The whole report: feedback first, then progress, the memo and where it came from."""
    _title(out, evaluation)
    _overall(out, evaluation)
    _points(out, evaluation)
    _rubric(out, evaluation)
    _comments(out, evaluation)
    comment_report.earlier_comments(out, evaluation)
    _metrics(out, evaluation.get("metrics") or {})
    _progress(out, evaluation, progress)
    if revision is not None:
        revision_report.write(out, revision, evaluation["scale"])
    _memo(out, evaluation)
    _provenance(out, evaluation, generated_at)


def _when(value: str | None) -> str:
    if not value:
        return "–"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when(moment, "d MMM y, HH:mm 'UTC'")


def _score(value: float | None) -> str:
    return translations.score(value)


def _provider(label: str) -> str:
    """The provider's label; the offline analyser's in the reader's language."""
    return _("offline analysis") if label == "offline analysis" else label


def _band(score: float | None, scale: dict[str, int]) -> tuple[int, int, int]:
    if score is None:
        return MUTED
    low, high = scale.get("min", 1), scale.get("max", 5)
    share = (score - low) / ((high - low) or 1)
    return GOOD if share >= 0.7 else MID if share >= 0.4 else BAD


def _title(out: Layout, ev: dict[str, Any]) -> None:
    out.text(_("MEMO AI COACH  ·  FEEDBACK REPORT"), Style(size=8, bold=True, color=PRIMARY))
    out.gap(1.5)
    out.text(ev.get("title") or _("Untitled memo"), Style(size=19, bold=True), leading=1.25)
    out.gap(1)
    provenance = ev["provenance"]
    meta = _("Evaluated %(when)s  ·  %(provider)s  ·  rubric version %(version)s") % {
        "when": _when(ev.get("completed_at") or ev.get("created_at")),
        "provider": _provider(provenance["label"]),
        "version": provenance["rubric_version"],
    }
    out.text(meta, Style(size=9, color=MUTED))
    out.gap(4)


def _overall(out: Layout, ev: dict[str, Any]) -> None:
    """The score box: the score on the left; the summary and extremes on the right."""
    pdf, scale = out.pdf, ev["scale"]
    side: list[Run] = []
    summary = ev.get("progress_summary") or {}
    if summary.get("headline"):
        side.append((summary["headline"] + "\n", Style(size=10, bold=True, color=INK)))
    best, weakest = scores.strongest(ev["rubric_scores"]), scores.weakest(ev["rubric_scores"])
    if best is not None:
        side.append((_("Strongest:") + " ", Style(size=9.5, color=MUTED)))
        side.append((f"{best['name']} ({best['score']} / {scale['max']})\n", BODY))
    if weakest is not None:
        side.append((_("Most room to grow:") + " ", Style(size=9.5, color=MUTED)))
        side.append((f"{weakest['name']} ({weakest['score']} / {scale['max']})", BODY))
    side_w = pdf.epw - 62
    lines = out.wrap(side, side_w)
    line_h = 10 * 1.45 / pdf.k
    height = max(30.0, len(lines) * line_h + 10)
    out.ensure(height + 4)
    top = pdf.get_y()
    pdf.set_fill_color(*SOFT)
    pdf.rect(pdf.l_margin, top, pdf.epw, height, style="F", round_corners=True, corner_radius=2)
    pdf.set_xy(pdf.l_margin + 6, top + 5)
    out.draw_line([(_("Overall score"), Style(size=9, bold=True, color=TEXT_2))], 5)
    pdf.set_xy(pdf.l_margin + 6, top + 11)
    colour = _band(ev.get("overall_score"), scale)
    number = [(_score(ev.get("overall_score")), Style(size=28, bold=True, color=colour))]
    out.draw_line([*number, (f" / {scale['max']}", Style(size=13, color=MUTED))], 13)
    for index, line in enumerate(lines):
        pdf.set_xy(pdf.l_margin + 58, top + 5 + index * line_h)
        out.draw_line(line, line_h)
    pdf.set_xy(pdf.l_margin, top + height + 4)


def _points(out: Layout, ev: dict[str, Any]) -> None:
    for title, items, empty in (
        (_("Strengths"), ev["strengths"], _("No particular strengths were noted.")),
        (_("Opportunities"), ev["opportunities"], _("No opportunities were noted.")),
    ):
        out.heading(title, size=12)
        if items:
            out.bullets(items)
        else:
            out.text(empty, Style(color=MUTED))


def _rubric(out: Layout, ev: dict[str, Any]) -> None:
    scale = ev["scale"]
    rows: list[list[str | list[Run]]] = []
    for row in ev["rubric_scores"]:
        if row.get("assessed", True) and row.get("score") is not None:
            score: list[Run] = [
                (
                    f"{row['score']} / {scale['max']}",
                    Style(size=9, bold=True, color=_band(row["score"], scale)),
                )
            ]
        else:
            score = [(_("Not assessed"), Style(size=9, color=MUTED))]
        rows.append(
            [
                [(row["name"], Style(size=9, bold=True))],
                translations.percent(float(row.get("weight", 0)) / 100),
                score,
                row.get("justification") or "",
            ]
        )
    columns = [
        (_("Criterion"), 0.25),
        (_("Weight"), 0.09),
        (_("Score"), 0.12),
        (_("Justification"), 0.54),
    ]
    out.table(columns, rows, title=_("Rubric scores"))


def _comments(out: Layout, ev: dict[str, Any]) -> None:
    comments = ev["segment_feedback"]
    out.heading(_("Comments on passages (%(num)s)") % {"num": len(comments)})
    comment_report.counts_line(out, ev)
    if not comments:
        out.text(_("The coach had no comments on particular passages."), Style(color=MUTED))
        return
    quote = Style(size=9.5, color=TEXT_2)
    for number, comment in enumerate(comments, start=1):
        out.ensure(22)
        out.runs(
            [
                (f"{number}  ", Style(size=9.5, bold=True, color=PRIMARY)),
                (f"“{comment['segment']}”", quote),
            ],
            indent=3,
            bar=LINE,
        )
        out.gap(0.8)
        out.text(comment_report.tags(comment), comment_report.TAG, indent=3)
        out.gap(0.8)
        out.text(comment["comment"], indent=3)
        if comment.get("questions"):
            out.gap(0.8)
            out.text(
                _("Questions a reader may ask"), Style(size=9, bold=True, color=TEXT_2), indent=3
            )
            out.pdf.set_x(out.pdf.l_margin + 3)
            for question in comment["questions"]:
                out.runs(
                    [("?  ", Style(size=9.5, bold=True, color=PRIMARY)), (question, quote)],
                    indent=6,
                )
        if comment.get("suggestion"):
            out.gap(0.8)
            out.runs(
                [
                    (_("Suggestion:") + " ", Style(size=9.5, bold=True, color=GOOD)),
                    (comment["suggestion"], quote),
                ],
                indent=3,
            )
        out.gap(4)


def _metric_value(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "bool":
        return _("Yes") if value else _("No")
    if kind == "pct":
        return translations.percent(float(value))
    if kind == "num":
        return translations.number(float(value), "#,##0.0")
    return str(int(value))


def _metrics(out: Layout, metrics: dict[str, Any]) -> None:
    pairs = [(_(label), _metric_value(metrics.get(key), kind)) for key, label, kind in METRIC_ROWS]
    half = (len(pairs) + 1) // 2
    rows = [
        [*pairs[i], *(pairs[i + half] if i + half < len(pairs) else ("", ""))] for i in range(half)
    ]
    metric, value = _("Metric"), _("Value")
    columns = [(metric, 0.33), (value, 0.15), (metric, 0.37), (value, 0.15)]
    out.table(columns, rows, title=_("Writing metrics"))
    out.text(
        _("Counted from the text, not judged: the same for every provider."),
        Style(size=8.5, color=MUTED),
    )


def _progress(out: Layout, ev: dict[str, Any], progress: ProgressOut) -> None:
    out.heading(_("Progress"))
    summary = ev.get("progress_summary") or {}
    count = summary.get("evaluations") or progress.counts.evaluations
    facts = ngettext("%(num)s evaluation so far", "%(num)s evaluations so far", count) % {
        "num": count
    }
    if summary.get("average") is not None:
        average = _score(summary["average"])
        facts = _("%(facts)s, averaging %(average)s") % {"facts": facts, "average": average}
    streak = summary.get("streak_days", 0)
    if streak > 1:
        facts = ngettext(
            "%(facts)s; %(num)s day in a row", "%(facts)s; %(num)s days in a row", streak
        ) % {"facts": facts, "num": streak}
    out.text(facts + ".", Style(size=9.5, color=TEXT_2))
    if progress.mixed_rubric_versions:
        out.text(
            _(
                "Scores from different rubric versions are drawn as separate lines and never "
                "compared with each other."
            ),
            Style(size=9, color=MID),
        )
    out.gap(2)
    if len(progress.timeline) > 1:
        chart = charts.overall_chart(progress, "report-overall")
        width = out.pdf.epw
        height = width * _svg_ratio(chart.svg)
        out.ensure(height + 4)
        out.pdf.image(io.BytesIO(chart.svg.encode()), x=out.pdf.l_margin, w=width, h=height)
        out.pdf.set_y(out.pdf.get_y() + 2)
    _recent_table(out, ev, progress)


def _svg_ratio(svg: str) -> float:
    """Height over width, from the chart's viewBox."""
    box = svg.split('viewBox="', 1)[1].split('"', 1)[0].split()
    return float(box[3]) / float(box[2])


def _recent_table(out: Layout, ev: dict[str, Any], progress: ProgressOut) -> None:
    """The latest evaluations, newest first; a change only against the previous version of
    the same memo, scored with the same rubric version."""
    placed = chains.place_versions(progress.timeline)
    rows: list[list[str | list[Run]]] = []
    for entry in progress.timeline:
        place = placed[entry.evaluation_id]
        previous = place.previous
        delta = None
        if previous is not None and previous.rubric_version == entry.rubric_version:
            delta = scores.change(previous.overall_score, entry.overall_score)
        current = str(entry.evaluation_id) == ev["id"]
        style = Style(size=9, bold=current)
        title = entry.title or _("Untitled")
        if place.version and place.version > 1:
            title = _("%(title)s, version %(version)s") % {"title": title, "version": place.version}
        if current:
            title = _("%(title)s  (this report)") % {"title": title}
        change = "" if delta is None else translations.signed(delta)
        rows.append(
            [
                [(when(entry.created_at, "dd MMM y HH:mm"), style)],
                [(title, style)],
                [(entry.rubric_version, Style(size=8.5, color=MUTED))],
                [(_score(entry.overall_score), style)],
                [(change, replace(style, color=revision_report.trend_colour(delta)))],
            ]
        )
    columns = [
        (_("Date"), 0.2),
        (_("Memo"), 0.38),
        (_("Rubric"), 0.18),
        (_("Overall"), 0.11),
        (_("Change"), 0.13),
    ]
    out.table(columns, rows[::-1][:RECENT_ROWS])
    out.text(
        _("Change: against the previous version of the same memo."), Style(size=8.5, color=MUTED)
    )


def _memo(out: Layout, ev: dict[str, Any]) -> None:
    out.heading(_("Your memo"))
    out.text(ev["text_content"], Style(size=9.5, color=INK))


def _provenance(out: Layout, ev: dict[str, Any], generated_at: datetime) -> None:
    provenance = ev["provenance"]
    rows = [
        [_("Evaluated"), _when(ev.get("completed_at") or ev.get("created_at"))],
        [_("Feedback by"), _provider(provenance["label"])],
        [_("Provider and model"), f"{provenance['provider']} / {provenance['model']}"],
        [_("Rubric version"), provenance["rubric_version"]],
        [_("Configuration version"), provenance["config_version"]],
        [_("Report generated"), _when(generated_at.isoformat())],
    ]
    columns = [("", 0.3), ("", 0.7)]
    style = Style(size=9, color=TEXT_2)
    out.table(columns, rows, style, with_header=False, title=_("Provenance"))
