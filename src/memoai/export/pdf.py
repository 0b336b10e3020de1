"""The PDF report of one evaluation, built in memory (no temporary files) from plain data."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from memoai.export import report
from memoai.export.fonts import FAMILY, FONTS, Face, FontCache, face_of
from memoai.export.layout import MUTED, Layout, Style
from memoai.export.report_data import ReportData
from memoai.progress.schemas import ChainVersion, ProgressOut
from memoai.runtime import collector_paused
from memoai.translations import gettext as _

# Where fpdf2 writes the page count: private-use characters, which `FontCache.clean` removes
# from everything a writer or the model wrote, so a memo quoting "{nb}" (fpdf2's default
# alias) keeps those characters instead of losing them on a right-to-left line.
PAGES = "\ue000pages\ue000"
FOOTER = Style(size=7.5, color=MUTED)


class ReportPDF(FPDF):
    """A4 pages with a running footer: title and page numbers."""

    footer_text = ""
    font_cache: FontCache = FONTS
    characters: frozenset[int] = frozenset()  # all the document may draw (FontCache.key)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.alias_nb_pages(PAGES)

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """The face chosen for the character's script (fpdf2's documented override point),
        added to the document the first time it is needed: each face costs milliseconds to
        parse (Noto Sans CJK a fifth of a second), so a document reads only those it uses.
        In a run set in a script's face, what the body face draws goes back to the body."""
        fonts = self.font_cache
        face = fonts.body if ord(char) in fonts.covered else face_of(fonts, char)
        if face is None:
            return None
        family, style = fonts.key(self, face, "B" in style)
        return family.lower() + style

    def footer(self) -> None:
        """The title on the left, as the report lays out text (shaped where it must be, emoji
        sequences whole), and "Page N of M" on the right."""
        self.set_xy(self.l_margin, -12)
        Layout(self, self.font_cache).draw_line([(self.footer_text, FOOTER)], 5)
        self.set_xy(self.l_margin + self.epw * 0.8, -12)
        self.set_font(FAMILY, "", FOOTER.size)
        self.set_text_color(*MUTED)
        shaping = bool(self.text_shaping)
        self.set_text_shaping(False)  # the page number never needs HarfBuzz
        # fpdf2 puts the page count where the alias stands once the last page is known.
        page = _("Page %(number)s of %(pages)s") % {"number": self.page_no(), "pages": PAGES}
        self.cell(self.epw * 0.2, 5, page, align="R")
        if shaping:
            self.set_text_shaping(True, direction="ltr")


def clean_tree(value: Any, fonts: FontCache = FONTS) -> tuple[Any, set[Face]]:
    """Every string in a JSON-like value made drawable; and the faces besides the body's."""
    if isinstance(value, str):
        return fonts.clean(value)
    if isinstance(value, list):
        pairs = [clean_tree(v, fonts) for v in value]
        return [p[0] for p in pairs], set().union(*(p[1] for p in pairs))
    if isinstance(value, dict):
        items = {k: clean_tree(v, fonts) for k, v in value.items()}
        return {k: p[0] for k, p in items.items()}, set().union(*(p[1] for p in items.values()))
    return value, set()


def render_pdf(data: ReportData, fonts: FontCache = FONTS) -> bytes:
    """The finished PDF as bytes (CPU-bound: run it in a worker thread), built with the
    garbage collector paused (memoai.runtime.collector_paused)."""
    with collector_paused():
        return _render(data, fonts)


def _render(data: ReportData, fonts: FontCache) -> bytes:
    evaluation, memo_faces = clean_tree(data.evaluation, fonts)
    progress_json, progress_faces = clean_tree(data.progress.model_dump(mode="json"), fonts)
    revision_json, revision_faces = clean_tree(
        data.revision.model_dump(mode="json") if data.revision else None, fonts
    )
    faces = memo_faces | progress_faces | revision_faces
    pdf = ReportPDF(format="A4", unit="mm")
    pdf.font_cache = fonts
    pdf.characters = frozenset(
        map(ord, _all_text([evaluation, progress_json, revision_json]) + _LITERALS)
    )
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(evaluation.get("title") or _("Memo feedback report"))
    pdf.set_author("Memo AI Coach")
    pdf.set_creation_date(data.generated_at)
    fonts.install(pdf)  # the other faces are added as characters need them
    if faces or not fonts.simple.issuperset(map(ord, _all_text([evaluation, progress_json]))):
        pdf.set_text_shaping(True)  # HarfBuzz: joined Arabic, Indic conjuncts, marks, emoji
    pdf.footer_text = f"Memo AI Coach · {_short(evaluation.get('title') or _('Untitled memo'))}"
    pdf.add_page()
    report.write(
        Layout(pdf, fonts),
        evaluation,
        ProgressOut.model_validate(progress_json),
        ChainVersion.model_validate(revision_json) if revision_json else None,
        data.generated_at,
    )
    return bytes(pdf.output())


# What the report itself writes: ASCII, dashes, quotes, dots (a run set in a fallback face
# keeps the punctuation that face has, so the face must map it).
_LITERALS = "".join(map(chr, range(0x20, 0x7F))) + "\n\t–—·“”‘’…«»"


def _all_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(map(_all_text, value))
    if isinstance(value, dict):
        return "".join(map(_all_text, value.values()))
    return ""


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
