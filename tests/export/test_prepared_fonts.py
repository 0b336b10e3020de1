"""The slim copies of the report's faces (export/prepared.py) and the layout tables fpdf2's
parse of a face loses (export/fonts.py): same characters, widths and shaping, less to embed."""

from __future__ import annotations

from pathlib import Path

import pytest
import uharfbuzz as hb
from fontTools import ttLib
from fpdf import FPDF

from memoai.export.fonts import VENDORED, FontCache
from memoai.export.prepared import CORE, Prepared, slim, target_of

DEJAVU = VENDORED / "DejaVuSans.ttf"
NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_ARABIC = NOTO / "NotoSansArabic-Regular.ttf"
ARABIC = "نطلب ميزانية قدرها 240,000 يورو"


def shaped(path: Path, text: str) -> list[tuple[int, int]]:
    """HarfBuzz's glyph ids and advances for the text in the face."""
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path)), 0))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    pairs = zip(buf.glyph_infos, buf.glyph_positions, strict=True)
    return [(info.codepoint, pos.x_advance) for info, pos in pairs]


def test_a_slim_copy_keeps_every_character_and_width_and_drops_hinting(tmp_path: Path) -> None:
    copy = tmp_path / "copy.ttf"
    slim(DEJAVU, copy)
    before, after = ttLib.TTFont(str(DEJAVU)), ttLib.TTFont(str(copy))
    assert set(after.getBestCmap()) == set(before.getBestCmap())
    for point, name in before.getBestCmap().items():
        new_name = after.getBestCmap()[point]
        assert after["hmtx"][new_name][0] == before["hmtx"][name][0]
    assert "fpgm" in before and "fpgm" not in after
    assert copy.stat().st_size < DEJAVU.stat().st_size * 0.9


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (NOTO_ARABIC, ARABIC),
        (NOTO / "NotoSansDevanagari-Regular.ttf", "हम दो क्लीनिकों में डिजिटल पंजीकरण के पायलट"),
        (NOTO / "NotoSans-Regular.ttf", "office affluent — “Peña” x̃ 1/2"),
    ],
)
def test_a_slim_copy_shapes_as_the_original(path: Path, text: str, tmp_path: Path) -> None:
    if not path.is_file():
        pytest.skip("fonts-noto-core is not installed")
    copy = tmp_path / path.name
    slim(path, copy)
    before, after = shaped(path, text), shaped(copy, text)
    assert [advance for _, advance in after] == [advance for _, advance in before]
    assert len({gid for gid, _ in after}) == len({gid for gid, _ in before}) > 10


def test_the_original_serves_until_the_copy_is_cut(tmp_path: Path) -> None:
    prepared = Prepared(tmp_path / "cache")
    assert prepared.path(DEJAVU) == DEJAVU  # queued, cut in the background
    prepared.wait()
    assert prepared.path(DEJAVU) == target_of(DEJAVU, tmp_path / "cache")
    assert prepared.path(DEJAVU).is_file()
    assert Prepared(tmp_path / "cache").path(DEJAVU) == prepared.path(DEJAVU)  # on disk


def test_a_font_that_cannot_be_cut_is_used_whole(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    prepared = Prepared(tmp_path / "cache")
    prepared.path(broken)
    prepared.wait()
    assert prepared.path(broken) == broken


def test_added_faces_lose_the_layout_tables_but_keep_shaping(tmp_path: Path) -> None:
    fonts = FontCache(dirs=(VENDORED,), cache=tmp_path / "cache")
    pdf = FPDF()
    fonts.install(pdf)
    parsed = pdf.fonts["body"].ttfont  # type: ignore[union-attr]
    assert "GSUB" in ttLib.TTFont(str(DEJAVU)) and "GSUB" not in parsed
    assert not parsed.recalcBBoxes  # glyphs are copied into the subset, not re-encoded
    pdf.add_page()
    pdf.set_font("Body", size=12)
    pdf.set_text_shaping(True)
    pdf.cell(text="ﻻ office ffi")  # ligatures come from the file HarfBuzz reads
    assert bytes(pdf.output()).startswith(b"%PDF")


def test_the_body_core_keeps_latin_with_its_widths_in_a_third_of_the_glyphs(
    tmp_path: Path,
) -> None:
    prepared = Prepared(tmp_path / "cache")
    core = prepared.core(DEJAVU)
    assert core is not None and core.parent == tmp_path / "cache"
    whole, cut = ttLib.TTFont(str(DEJAVU)), ttLib.TTFont(str(core))
    assert set(cut.getBestCmap()) == CORE.intersection(whole.getBestCmap())
    assert {"é", "Ł", "ș", "€", "“", "→", "−"} <= set(map(chr, cut.getBestCmap()))
    for point, name in cut.getBestCmap().items():
        assert cut["hmtx"][name][0] == whole["hmtx"][whole.getBestCmap()[point]][0]
    assert len(cut.getGlyphOrder()) * 3 < len(whole.getGlyphOrder())
    assert Prepared(tmp_path / "cache").core(DEJAVU) == core  # cut once per machine


def test_without_a_core_the_body_is_the_whole_face(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache directory should be")
    fonts = FontCache(dirs=(VENDORED,), cache=cache)
    assert fonts.body == fonts.whole_body and fonts.wide is None
    assert fonts.face_for("Ж") is fonts.symbols  # DejaVu Sans, as the body had it
