"""The PDF report of one evaluation, built in memory (no temporary files) from plain data."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF

from memoai.export import report
from memoai.export.fonts import FAMILY, FONTS, FontCache
from memoai.export.layout import MUTED, Layout
from memoai.progress.schemas import ChainVersion, ProgressOut


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read before rendering so no database work overlaps it."""

    evaluation: dict[str, Any]  # the API view (EvaluationOut as JSON), with its summary
    progress: ProgressOut  # the caller's evaluations up to this one
    revision: ChainVersion | None  # this version against the one it revises
    generated_at: datetime


class ReportPDF(FPDF):
    """A4 pages with a running footer: title and page numbers."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(self.epw * 0.8, 5, self.footer_text)
        self.cell(self.epw * 0.2, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def clean_tree(value: Any, fonts: FontCache = FONTS) -> tuple[Any, bool]:
    """Every string in a JSON-like value made drawable; and whether any needs the CJK font."""
    if isinstance(value, str):
        return fonts.clean(value)
    if isinstance(value, list):
        pairs = [clean_tree(v, fonts) for v in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    if isinstance(value, dict):
        items = {k: clean_tree(v, fonts) for k, v in value.items()}
        return {k: p[0] for k, p in items.items()}, any(p[1] for p in items.values())
    return value, False


def render_pdf(data: ReportData, fonts: FontCache = FONTS) -> bytes:
    """The finished PDF as bytes (CPU-bound: run it in a worker thread)."""
    evaluation, cjk_memo = clean_tree(data.evaluation, fonts)
    progress_json, cjk_progress = clean_tree(data.progress.model_dump(mode="json"), fonts)
    revision_json, cjk_revision = clean_tree(
        data.revision.model_dump(mode="json") if data.revision else None, fonts
    )
    pdf = ReportPDF(format="A4", unit="mm")
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(evaluation.get("title") or "Memo feedback report")
    pdf.set_author("Memo AI Coach")
    pdf.set_creation_date(data.generated_at)
    fonts.install(pdf, with_cjk=cjk_memo or cjk_progress or cjk_revision)
    pdf.footer_text = f"Memo AI Coach · {_short(evaluation.get('title') or 'Untitled memo')}"
    pdf.add_page()
    report.write(
        Layout(pdf, fonts),
        evaluation,
        ProgressOut.model_validate(progress_json),
        ChainVersion.model_validate(revision_json) if revision_json else None,
        data.generated_at,
    )
    return bytes(pdf.output())


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def filename(evaluation: dict[str, Any]) -> str:
    """A safe ASCII file name: memo-feedback-<title>-<date>.pdf."""
    title = evaluation.get("title") or "memo"
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "memo"
    day = str(evaluation.get("created_at", ""))[:10]
    day = day if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else "report"
    return f"memo-feedback-{slug}-{day}.pdf"
