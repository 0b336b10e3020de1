"""The common CJK cuts of Noto Sans CJK: what they hold, and a report mixing their characters
with rare ones that only the full face has (all drawn, nothing named or lost)."""

from __future__ import annotations

import subprocess

import pytest
from fontTools import ttLib

from memoai.export.cjk import CUTS, common_cjk, cuts
from memoai.export.fonts import CJK, CJK_COMMON, FONTS, face_of
from tests.export.test_scripts import PLACEHOLDER, needs_noto, pdftotext, render, sample

COMMON = "我们申请两家诊所的试点预算。日本語のカタカナ、한국어 문장"
RARE = "龘鱻㐀𠀋"  # outside the common repertoire: drawn from the full face


def test_the_common_repertoire_holds_everyday_text_and_not_rare_characters() -> None:
    repertoire = common_cjk()
    assert 9_000 < len(repertoire) < 11_000
    assert set(map(ord, COMMON.replace(" ", ""))) <= repertoire
    assert not set(map(ord, RARE)) & repertoire


def test_the_cuts_split_the_repertoire_by_writing_system() -> None:
    han, hangul, hant = cuts()
    assert han | hangul | hant == common_cjk()
    assert set(map(ord, "我们申请两家诊所的试点预算。日本語のカタカナ")) <= han
    assert set(map(ord, "한국어문장。")) <= hangul
    assert ord("們") in hant and ord("們") not in han  # traditional only
    assert not (han | hangul) & hant
    assert len(han) < 6_000 and len(hangul) < 2_700 and len(hant) < 2_500


@needs_noto
@pytest.mark.slow  # the first run on a machine cuts the faces (about 20 s of CPU), then cached
def test_common_and_rare_cjk_share_a_page() -> None:
    common = FONTS.cjk_common(wait=True)
    assert [face.family for face in common] == [f"{CJK_COMMON} {name}" for name in CUTS]
    for face, repertoire in zip(common, cuts(), strict=True):
        assert face.bold is not None
        for path in (face.regular, face.bold):
            font = ttLib.TTFont(str(path), lazy=True)
            assert "CFF " in font  # outlines kept
            assert set(font.getBestCmap()) <= repertoire
            assert len(font.getGlyphOrder()) < 6_000  # against 65,535 in the full face
            font.close()
    faces = {face_of(FONTS, ch).family for ch in COMMON if not ch.isspace()}  # type: ignore[union-attr]
    assert faces == {f"{CJK_COMMON} Han", f"{CJK_COMMON} Hangul"}
    assert {face_of(FONTS, ch).family for ch in RARE} == {CJK}  # type: ignore[union-attr]

    pdf = sample(lines=(f"{COMMON} {RARE}",))
    text = pdftotext(pdf)
    joined = "".join(text.split())  # pdftotext puts a space at each line break
    assert "".join(COMMON.split()) + RARE in joined
    assert not PLACEHOLDER.search(text)
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    listed = fonts.stdout.decode()
    assert listed.count("NotoSansCJK") == 6  # two cuts and the full face, regular and bold
    assert len(pdf) < 150_000
    render(pdf, "cjk-common-and-rare", dpi=110)
