"""The PDF report's fast paths, which draw text glyph by glyph with fpdf2's text() where
shaping would set each character's own glyph anyway: the body face's Latin core and the
whole face beside it, and right-to-left runs such as unpointed Hebrew (`shaping.own_glyphs`)
at HarfBuzz's positions, the same pixels as fpdf2's shaped cells."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from fpdf.enums import XPos, YPos
from PIL import Image, ImageChops

from memoai.export import shaping
from memoai.export.fonts import FONTS, VENDORED, FontCache
from memoai.export.layout import Layout, Line, Style
from memoai.export.pdf import ReportPDF
from tests.export.test_scripts import ARABIC, HEBREW, needs_noto, pdftotext, render, sample


def test_greek_and_cyrillic_come_from_the_whole_body_face(tmp_path: Path) -> None:
    """The body face a report parses is its Latin core; a document with Greek or Cyrillic
    adds the whole face for them, drawn glyph by glyph as the body's."""
    fonts = FontCache(dirs=(VENDORED,), cache=tmp_path / "cache")  # DejaVu Sans: everywhere
    assert fonts.body.regular.parent == tmp_path / "cache" and fonts.wide is not None
    assert fonts.face_for("Ж") == fonts.wide and fonts.clean("Ж ж") == ("Ж ж", {fonts.wide})
    words = "Привет, мир. Καλημέρα κόσμε. Señor Łódź"
    assert shaping.glyph_runs(fonts, words) is not None  # no HarfBuzz for them
    pdf = sample(fonts, (words,))
    if shutil.which("pdftotext"):
        assert words in pdftotext(pdf)
    english = ReportPDF(format="A4", unit="mm")
    english.font_cache = fonts
    fonts.install(english)
    english.add_page()
    Layout(english, fonts).text("Señor Łódź — “fine” → 5 € − 2")
    assert set(english.fonts) == {"body", "bodyB"}


@needs_noto
def test_unpointed_hebrew_is_drawn_glyph_by_glyph_where_harfbuzz_puts_it() -> None:
    """A Hebrew run whose letters are their own glyphs (kerned pairs moved as HarfBuzz moves
    them) is drawn with text(); Arabic, pointed Hebrew and mirrored brackets are shaped."""
    hebrew = FONTS.script_face("Hebr")
    assert hebrew is not None
    pieces = shaping.own_glyphs(FONTS, HEBREW, hebrew, False)
    assert pieces is not None and len(pieces) > 1  # "מבקשים" has a kerned pair
    assert "".join(text for text, _, _ in pieces) == HEBREW[::-1]
    assert [at for _, _, at in pieces] == sorted(at for _, _, at in pieces)
    for text in (ARABIC, "שָׁלוֹם", "(שלום)"):
        assert shaping.own_glyphs(FONTS, text, FONTS.lead(text), False) is None, text
    layout_pdf, cell_pdf = shaped_page(), shaped_page()
    line = Line([(f"{HEBREW} 240,000", Style(size=18)), (HEBREW, Style(size=18, bold=True))])
    line.rtl = True
    layout_pdf.set_xy(20, 30)
    Layout(layout_pdf, FONTS).draw_line(line, 12)
    cell_pdf.set_xy(20, 30)
    for text, bold in ((HEBREW, "B"), (f"{HEBREW} 240,000", "")):  # fpdf2 shapes it all
        cell_pdf.set_font(*FONTS.key(cell_pdf, hebrew, bool(bold)), 18)
        cell_pdf.set_text_shaping(True, direction="rtl")
        width = Layout(cell_pdf, FONTS).measure(text, Style(size=18, bold=bool(bold)))
        cell_pdf.cell(width, 12, text, new_x=XPos.RIGHT, new_y=YPos.TOP)
    drawn, shaped = (
        Image.open(render(bytes(pdf.output()), name, dpi=150)[0]).convert("L")
        for pdf, name in ((layout_pdf, "hebrew-glyphs"), (cell_pdf, "hebrew-shaped"))
    )
    assert drawn.getbbox() is not None
    strong = ImageChops.difference(drawn, shaped).point(lambda v: 255 if v > 96 else 0)
    assert strong.getbbox() is None  # the same pixels as fpdf2's shaped cells
    words = pdftotext(bytes(layout_pdf.output()))
    assert words == pdftotext(bytes(cell_pdf.output()))
    assert all(word in words for word in HEBREW.split())


def shaped_page() -> ReportPDF:
    pdf = ReportPDF(format="A4", unit="mm")
    FONTS.install(pdf)
    pdf.set_text_shaping(True)
    pdf.add_page()
    return pdf


def test_a_run_of_controls_alone_moves_nothing() -> None:
    """A directional run holding only controls measures nothing: it used to be drawn as a
    cell of width 0, which fpdf2 stretches to the right margin, pushing the rest off the
    line."""
    pdf = sample(FONTS, ("\u200b\u200e\u202e reversed?",))
    if shutil.which("pdftoppm"):
        page = Image.open(render(pdf, "controls-alone")[0]).convert("L")
        ink = page.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert ink is not None and ink[2] < page.width * 0.7


MIXES = [*"אבגדהוזחטיכלמנסעפצקרשתابتثجحخدذرزسشصضطظعغفقكلمنهويabcXYZ,.-:;!?0123456789()[]«»“”"]
MIXES += ["\u05b8", "\u0651", "\u064e", "\u200d", "\u200c", "\u200e", "\u200f", "\u202a", "\u202b"]
MIXES += ["\u202c", "\u202e", "\u2066", "\u2067", "\u2069", "\ufe0f", "👩‍💻", "🇫🇷", "👍🏽", "🚀"]
MIXES += ["中", "文", "हम", "क्ली", "Ж", "λ", " ", " ", " ", " "]


def test_any_mix_of_scripts_marks_and_controls_stays_on_its_line() -> None:
    """Random lines of Hebrew, Arabic, Latin, digits, brackets, marks, joiners, bidirectional
    controls, emoji, CJK and Devanagari are drawn within the width they were laid out in (the
    sample's 120 mm from the 10 mm margin); before, a run of controls alone stretched to the
    right margin and pushed the rest of its line off the page."""
    rnd = random.Random(7)
    lines = ["".join(rnd.choice(MIXES) for _ in range(rnd.randint(5, 90))) for _ in range(30)]
    pdf = sample(FONTS, tuple(lines))
    if not shutil.which("pdftoppm"):
        return
    for path in render(pdf, "random-mixes", dpi=40):
        page = Image.open(path).convert("L")
        body = page.crop((0, 0, page.width, int(page.height * 0.9)))  # not the footer
        ink = body.point(lambda v: 255 if v < 200 else 0).getbbox()
        assert ink is not None
        assert page.width * 8 / 210 < ink[0] and ink[2] < page.width * 135 / 210, path.name
