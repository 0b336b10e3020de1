"""The PDF report in every script: Arabic and Hebrew right to left, Hindi and Arabic shaped by
HarfBuzz, Chinese, colour emoji, the file name kept in UTF-8, and named placeholders (never a
crash) where a script's font is not installed.

Pages are rendered with pdftoppm into test-artifacts/pdf/ for a person to look at. Where
pdftotext cannot give the words back (shaped Devanagari and Arabic map glyphs to several
letters), the rendered lines are compared with a reviewed reference image (reference/*.png).
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image, ImageChops, ImageStat

from memoai.export import shaping
from memoai.export.fonts import FONTS, VENDORED, FontCache
from memoai.export.layout import Layout, Style
from memoai.export.pdf import ReportPDF
from tests.progress.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "pdf"
REFERENCE = Path(__file__).resolve().parent / "reference"
ARABIC = "نطلب ميزانية للتجربة في عيادتين"
HEBREW = "אנו מבקשים תקציב לפיילוט בשתי מרפאות"
HINDI = "हम दो क्लीनिकों में पायलट के लिए बजट का अनुरोध करते हैं।"
CHINESE = "我们申请两家诊所的试点预算。"
EMOJI = "Launch 🚀 party 🎉 thumbs 👍🏽 flag 🇫🇷"
MIXED_MEMO = "\n\n".join(
    [
        "Subject: the intake pilot in five languages",
        f"{ARABIC}: 240,000 EUR by June.",
        f"{HEBREW}.",
        HINDI,
        CHINESE,
        EMOJI,
        "English closes the memo: two champions per site will mitigate the risk.",
    ]
)
PLACEHOLDER = re.compile(r"\[[a-z][a-z0-9 -]*\]")  # "[devanagari letter ha]", "[rocket]"
BIDI_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))
NEEDED = ("NotoSans", "NotoSansArabic", "NotoSansHebrew", "NotoSansDevanagari")


def noto_installed() -> bool:
    return (
        all(FONTS.script_face(s) is not None for s in ("Arab", "Hebr", "Deva", "Hani"))
        and FONTS.emoji is not None
        and FONTS.body.family == "Body"
        and "Noto" in FONTS.body.regular.name
    )


needs_noto = pytest.mark.skipif(
    not noto_installed() or shutil.which("pdftoppm") is None,
    reason="Noto fonts (fonts-noto-core, -cjk, -color-emoji) or poppler-utils missing: "
    "run scripts/setup-system.sh",
)


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.translate(BIDI_MARKS).split())


def render(pdf: bytes, name: str, dpi: int = 60) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
        check=True,
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def sample(fonts: FontCache = FONTS, lines: tuple[str, ...] = (ARABIC, HINDI)) -> bytes:
    """A page with the given paragraphs, laid out by the report's own layout code."""
    cleaned = [fonts.clean(line) for line in lines]
    pdf = ReportPDF(format="A4", unit="mm")
    pdf.font_cache = fonts
    fonts.install(pdf)
    pdf.set_text_shaping(True)
    pdf.add_page()
    out = Layout(pdf, fonts)
    for text, _ in cleaned:
        out.text(text, Style(size=16), width=120.0)
        out.text(text, Style(size=16, bold=True), width=120.0)
        out.gap(3)
    return bytes(pdf.output())


@needs_noto
async def test_every_script_in_the_report(api: Api, db_url: str) -> None:
    evaluation = await api.evaluate(MIXED_MEMO, title="تقرير الربع — Quarterly 🚀")
    response = await api.client.get(f"/api/v1/export/pdf/{evaluation['id']}")
    assert response.status_code == 200, response.text[:300]
    pdf = response.content
    text = pdftotext(pdf)
    assert not PLACEHOLDER.findall(text), PLACEHOLDER.findall(text)
    assert "\ufffd" not in text
    for words in (HEBREW, CHINESE, "نطلب", "ميزانية", "🚀", "🎉", "two champions per site"):
        assert words in text, words
    assert len(pdf) < 400_000  # the fonts are subset: only the glyphs used are embedded
    fonts = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    if db_url.startswith("sqlite"):
        assert render(pdf, "report-scripts")
    for name in NEEDED:
        assert re.search(rf"\+{name}(-Regular|-Bold)?\s", fonts), (name, fonts)


async def test_file_name_keeps_the_title_in_utf8(api: Api) -> None:
    evaluation = await api.evaluate("We request a pilot budget.", title="تقرير الربع: Q2")
    response = await api.client.get(f"/api/v1/export/pdf/{evaluation['id']}")
    disposition = response.headers["content-disposition"]
    day = evaluation["created_at"][:10]
    assert f'filename="memo-feedback-q2-{day}.pdf"' in disposition
    encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert encoded and "%" in encoded[1] and " " not in encoded[1]
    assert unquote(encoded[1]) == f"memo-feedback-تقرير-الربع-q2-{day}.pdf"


def shaped_page(footer: str = "") -> ReportPDF:
    """An empty report document with the Noto faces and HarfBuzz on; a first page unless the
    footer is set (the footer is drawn as each page ends)."""
    pdf = ReportPDF(format="A4", unit="mm")
    FONTS.install(pdf)
    pdf.set_text_shaping(True)
    pdf.footer_text = footer
    return pdf


@needs_noto
def test_shaped_lines_match_the_reviewed_image() -> None:
    """Arabic joined right to left and Devanagari conjuncts and vowel signs, as reviewed:
    pdftotext cannot check these, so the page is compared pixel by pixel (tolerantly)."""
    pdf = sample()
    page = Image.open(render(pdf, "shaped-lines", dpi=50)[0]).convert("L")
    reference = Image.open(REFERENCE / "shaped-lines.png").convert("L")
    assert page.size == reference.size
    diff = ImageChops.difference(page, reference)
    mean = ImageStat.Stat(diff).mean[0]
    changed = sum(diff.point(lambda v: 255 if v > 96 else 0).histogram()[255:])
    assert mean < 1.5 and changed < 0.004 * page.width * page.height, (mean, changed)
    # ...and a page that differs is caught: the same lines unshaped (left to right, unjoined)
    unshaped = Image.open(render(unshaped_sample(), "unshaped-lines", dpi=50)[0]).convert("L")
    wrong = ImageChops.difference(unshaped, reference)
    assert sum(wrong.point(lambda v: 255 if v > 96 else 0).histogram()[255:]) > changed * 4 + 200


def unshaped_sample() -> bytes:
    pdf = ReportPDF(format="A4", unit="mm")
    FONTS.install(pdf)
    for script in ("Arab", "Deva"):  # the same faces, picked per character by fpdf2 itself
        face = FONTS.script_face(script)
        assert face is not None and face.bold is not None
        pdf.add_font(face.family, "", face.regular)
        pdf.add_font(face.family, "B", face.bold)
    pdf.set_fallback_fonts(["Noto Arabic", "Noto Devanagari"])
    pdf.add_page()
    for text in (ARABIC, HINDI):
        for style in ("", "B"):
            pdf.set_font("Body", style, 16)
            pdf.multi_cell(120, 16 * 1.45 / pdf.k, text)
        pdf.set_y(pdf.get_y() + 3)
    return bytes(pdf.output())


def test_a_missing_script_font_is_named_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    """Only the vendored DejaVu Sans: Devanagari and emoji are named, Arabic still drawn."""
    bare = FontCache(dirs=(VENDORED,))
    with caplog.at_level(logging.WARNING, "memoai.export.fonts"):
        text, _ = bare.clean(f"{HINDI} {EMOJI}")
    assert "[devanagari letter ha]" in text and "[rocket]" in text and "[flag FR]" in text
    assert "Devanagari" in caplog.text and "fonts-noto-core" in caplog.text
    pdf = sample(bare, (ARABIC, HINDI, EMOJI, CHINESE))
    extracted = pdftotext(pdf)
    assert "[devanagari letter ha]" in extracted and "[rocket]" in extracted
    assert io.BytesIO(pdf).read(5) == b"%PDF-"


ODD = (
    "",
    "🚀",
    "👩‍💻 👨‍👩‍👧 ❤️ ✅ 🇺🇳 🏳️‍🌈",  # joined sequences, selectors, flags
    "e\u0301 n\u0303 a\u0308\u0301",  # combining marks on Latin letters
    "ไทย ລາວ ខ្មែរ မြန်မာ ქართული Հայերեն አማርኛ",  # Thai, Lao, Khmer, Myanmar, Georgian…
    "বাংলা ਪੰਜਾਬੀ ગુજરાતી தமிழ் తెలుగు ಕನ್ನಡ മലയാളം",  # Indic scripts
    "ا" * 400,  # one Arabic "word" longer than a line
    "中" * 400,  # CJK with no spaces
    "\ue000\U000f0000 \u2028 \u200b\u200e\u202e reversed?",  # private use, separators, controls
    "עברית עם English ו-123 מספרים (סוגריים) בתוך",  # mixed directions, mirrored brackets
)


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_text_never_breaks_the_layout(text: str) -> None:
    pdf = sample(FONTS, (text,))
    assert pdf.startswith(b"%PDF-")
    if noto_installed() and text.strip() and shutil.which("pdftotext"):
        assert not PLACEHOLDER.findall(pdftotext(pdf)) or "\ue000" in text


@needs_noto
def test_single_emoji_and_cjk_are_drawn_glyph_by_glyph_and_sequences_are_shaped() -> None:
    """Text whose characters are glyphs of their own (single emoji, CJK) skips HarfBuzz and is
    measured from the widths fpdf2 draws it with, which are HarfBuzz's widths too; anything
    formed from a sequence (skin tones, flags, joined emoji, selectors, marks, Indic, Arabic)
    is shaped."""
    FONTS.cjk_common(True)
    runs = shaping.glyph_runs(FONTS, "🚀, 我们申请二十四万欧元预算。")
    assert runs is not None
    assert [(text, face is FONTS.emoji) for text, face in runs[:2]] == [("🚀", True), (", ", False)]
    assert runs[1][1] is FONTS.body and FONTS.draws_unshaped(runs[2][1])
    for text in ("👍🏽", "🇫🇷", "❤️", "👩\u200d🚀", "#️⃣", "e\u0301", HINDI, ARABIC, HEBREW):
        assert shaping.glyph_runs(FONTS, text) is None, text
    pdf = ReportPDF(format="A4", unit="mm")
    FONTS.install(pdf)
    layout = Layout(pdf, FONTS)
    for text in ("🚀🎉✅", CHINESE, "Launch 🚀 我们"):
        for bold in (False, True):
            style = Style(size=10, bold=bold)
            hb_mm = shaping.units(FONTS, text, FONTS.lead(text), bold) * 10 / 1000 / pdf.k
            assert layout.measure(text, style) == pytest.approx(hb_mm), (text, bold)


@needs_noto
def test_text_quoting_the_page_count_alias_is_kept() -> None:
    """A memo may quote "{nb}", fpdf2's default page-count alias: on a right-to-left line it
    used to vanish (protected from reordering, then never drawn). The report's own alias is
    made of private-use characters, which no cleaned text can hold."""
    english = pdftotext(sample(FONTS, ("Our template prints {nb} as the page count.",)))
    assert english.count("{nb}") == 2 and "Page 1 of 1" in english
    hebrew = pdftotext(sample(FONTS, ("התבנית מדפיסה {nb} כמספר העמודים",)))
    assert hebrew.count("nb") == 2 and hebrew.count("{") == 2 and "Page 1 of 1" in hebrew


@needs_noto
def test_the_footer_shapes_a_title_in_another_script() -> None:
    """The running footer goes through HarfBuzz only for a title the body face cannot draw
    glyph by glyph: a Hebrew title still reads right to left, the page count is filled in."""
    pdf = shaped_page(f"Memo AI Coach · {HEBREW}")
    pdf.add_page()
    text = pdftotext(bytes(pdf.output()))
    assert all(word in text for word in HEBREW.split()), text
    assert "Memo AI Coach" in text and "Page 1 of 1" in text


SEQUENCES = (
    "👩\u200d💻",  # joined by ZWJ
    "👨\u200d👩\u200d👧",
    "🏳️\u200d🌈",  # with a selector inside
    "🧑🏿\u200d🚀",  # skin tone and ZWJ
    "#️⃣",  # keycap
    "❤️",  # emoji presentation asked for: a red heart, not the black one of DejaVu
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # tags: Scotland
)


@needs_noto
@pytest.mark.parametrize("sequence", SEQUENCES, ids=range(len(SEQUENCES)))
def test_an_emoji_sequence_is_one_glyph(sequence: str) -> None:
    """What the colour emoji font draws as one glyph comes out as one glyph: the report used
    to set the joiner in the body face, which cut 👩‍💻 into 👩 and 💻, dropped the keycap
    and drew ❤️ as DejaVu's black heart."""
    assert FONTS.emoji is not None
    text, _ = FONTS.clean(sequence)
    pdf = shaped_page()
    pdf.add_page()
    layout = Layout(pdf, FONTS)
    style = Style(size=40)
    one = shaping.units(FONTS, "🚀", FONTS.emoji, False) * 40 / 1000 / pdf.k
    assert layout.measure(text, style) == pytest.approx(one)
    layout.text(text, style, width=150.0)
    document = bytes(pdf.output())
    assert sequence.replace("\ufe0f", "") in pdftotext(document)  # every character kept
    page = Image.open(
        render(document, f"emoji-sequence{SEQUENCES.index(sequence)}", dpi=72)[0]
    ).convert("RGB")
    page = page.crop((0, 30, page.width, 130))  # the line (the footer is far below)
    ink = ImageChops.invert(page.convert("L")).point(lambda v: 255 if v > 40 else 0).getbbox()
    assert ink is not None
    assert ink[2] - ink[0] < 40 * 1.35, (sequence, ink)  # one glyph: about 1.2 em wide
    if sequence == "❤️":  # the colour glyph, not the black heart of a text face
        red = page.crop(ink).convert("HSV").getchannel("S").point(lambda v: 255 if v > 80 else 0)
        assert red.histogram()[255] > 50


def _inked_width(pdf: bytes, name: str, box: tuple[int, int, int, int]) -> int:
    """How wide the ink is in a box of the first page (72 dpi)."""
    page = Image.open(render(pdf, name, dpi=72)[0]).convert("L")
    band = ImageChops.invert(page.crop(box))
    ink = band.point(lambda v: 255 if v > 40 else 0).getbbox()
    assert ink is not None
    return ink[2] - ink[0]


@needs_noto
@pytest.mark.parametrize("where", ["line", "footer"])
def test_an_emoji_sequence_stays_whole_among_right_to_left_text(where: str) -> None:
    """On a right-to-left line, and in the footer's title, 👩‍💻 takes the room of one emoji
    (the bidirectional algorithm gave its joiner the paragraph's direction, splitting it)."""
    widths = []
    for emoji in ("👩\u200d💻", "🚀"):
        text = f"שלום {emoji} צוות ❤️ 240"
        pdf = shaped_page(f"Memo AI Coach · {text}" if where == "footer" else "Memo AI Coach")
        pdf.add_page()
        if where == "line":
            Layout(pdf, FONTS).text(text, Style(size=20), width=150.0)
        box = (0, 30, 595, 100) if where == "line" else (0, 780, 440, 842)  # not the page number
        widths.append(_inked_width(bytes(pdf.output()), f"rtl-emoji-{where}", box))
    assert abs(widths[0] - widths[1]) <= 3, widths


@needs_noto
def test_a_right_to_left_list_item_has_its_marker_on_the_right() -> None:
    """A Hebrew strength begins on the right, and so does its bullet; an English one on the
    left."""
    for item, right in ((HEBREW, True), ("Clear ask", False)):
        pdf = shaped_page()
        pdf.add_page()
        Layout(pdf, FONTS).bullets([item], Style(size=20))
        page = Image.open(render(bytes(pdf.output()), "bullet", dpi=72)[0]).convert("RGB")
        band = page.crop((0, 30, page.width, 110))  # the marker is blue, the text near black
        blue = ImageChops.subtract(band.getchannel("B"), band.getchannel("R"))
        marker = blue.point(lambda v: 255 if v > 100 else 0).getbbox()
        assert marker is not None
        assert (marker[0] > page.width / 2) == right, (item, marker)


@needs_noto
def test_a_numbered_right_to_left_quote_keeps_the_space_after_its_number() -> None:
    """A comment card's line "1  “…”" in Hebrew reads from the right: the number, a space,
    the quote (the number's spaces used to be drawn on its far side)."""
    pdf = shaped_page()
    pdf.add_page()
    number = Style(size=20, bold=True, color=(29, 78, 216))
    Layout(pdf, FONTS).runs([("1  ", number), (f"“{HEBREW}”", Style(size=20))])
    page = Image.open(render(bytes(pdf.output()), "rtl-number", dpi=72)[0]).convert("RGB")
    band = page.crop((0, 30, page.width, 110))
    blue = ImageChops.subtract(band.getchannel("B"), band.getchannel("R"))
    digit = blue.point(lambda v: 255 if v > 100 else 0).getbbox()
    dark = band.convert("L").point(lambda v: 255 if v < 100 else 0)
    assert digit is not None
    quote = dark.crop((0, 0, digit[0], dark.height)).getbbox()
    assert quote is not None
    assert digit[0] - quote[2] >= 8, (digit, quote)  # two spaces at 20 pt: about 10 px
