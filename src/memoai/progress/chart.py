"""What every progress chart is: an SVG drawing and its text alternative (memoai.progress.charts
draws them for the Progress tab and the PDF, memoai.web.admin_status for the admin's Status)."""

from __future__ import annotations

from dataclasses import dataclass

from memoai.translations import gettext as _

MAX_TABLE_ROWS = 50
DAY = "dd MMM y"  # 03 Mar 2025 / 03 mar 2025: the month in the reader's language (Babel)


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
    narrow_svg: str = ""  # the same chart drawn for a phone's width (web pages only)


def empty(chart_id: str, title: str) -> Chart:
    return Chart(chart_id, title, _("No completed evaluations in this range yet."), "", [], [])
