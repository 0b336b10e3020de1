"""The common CJK cut of Noto Sans CJK: what it holds, and a report mixing its characters with
rare ones that only the full face has (both drawn, nothing named or lost)."""

from __future__ import annotations

import subprocess

import pytest
from fontTools import ttLib

from memoai.export.fonts import CJK, CJK_COMMON, FONTS, common_cjk, face_of
from tests.export.test_scripts import PLACEHOLDER, needs_noto, pdftotext, render, sample

COMMON = "我们申请两家诊所的试点预算。日本語のカタカナ、한국어 문장"
RARE = "龘鱻㐀𠀋"  # outside the common repertoire: drawn from the full face


def test_the_common_repertoire_holds_everyday_text_and_not_rare_characters() -> None:
    repertoire = common_cjk()
    assert 9_000 < len(repertoire) < 11_000
    assert set(map(ord, COMMON.replace(" ", ""))) <= repertoire
    assert not set(map(ord, RARE)) & repertoire


@needs_noto
@pytest.mark.slow  # the first run on a machine cuts the face (about 15 s of CPU), then cached
def test_common_and_rare_cjk_share_a_page() -> None:
    common = FONTS.cjk_common(wait=True)
    assert common is not None and common.bold is not None
    for path in (common.regular, common.bold):
        font = ttLib.TTFont(str(path), lazy=True)
        assert "CFF " in font  # outlines kept
        assert set(font.getBestCmap()) <= common_cjk()
        assert len(font.getGlyphOrder()) < 12_000  # against 65,535 in the full face
        font.close()
    faces = {face_of(FONTS, ch).family for ch in COMMON if not ch.isspace()}  # type: ignore[union-attr]
    assert faces == {CJK_COMMON}
    assert {face_of(FONTS, ch).family for ch in RARE} == {CJK}  # type: ignore[union-attr]

    pdf = sample(lines=(f"{COMMON} {RARE}",))
    text = pdftotext(pdf)
    joined = "".join(text.split())  # pdftotext puts a space at each line break
    assert "".join(COMMON.split()) + RARE in joined
    assert not PLACEHOLDER.search(text)
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    listed = fonts.stdout.decode()
    assert listed.count("NotoSansCJK") == 4  # the cut and the full face, regular and bold
    assert len(pdf) < 150_000
    render(pdf, "cjk-common-and-rare", dpi=110)
