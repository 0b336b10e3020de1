"""Fonts for the PDF report: vendored DejaVu Sans, Noto CJK as a fallback when installed,
and a text cleaner that replaces what no font can draw (never an error).

Parsing a font costs tens of milliseconds (a CJK font half a second), so each font is parsed
once per process and every document gets a cheap copy with its own subset state.
"""

from __future__ import annotations

import copy
import logging
import pickle
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import cast

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu Sans"
FALLBACK_FAMILY = "Noto Sans CJK"
REGULAR, BOLD = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
# Used when present (Debian's fonts-noto-cjk); without it CJK text is replaced, not an error.
CJK_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
_DROP = {"Mn", "Me", "Cf", "Cs", "Co", "Cn"}  # marks, joiners, selectors, private, unassigned
_KEEP = {"\n", "\t"}
REPLACEMENT = "\ufffd"
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "MATH", "kern", "FFTM")


@dataclass(frozen=True)
class FontFile:
    path: Path
    family: str
    style: str


class FontCache:
    """Parsed fonts, kept once per process; `install` gives a document its own copies."""

    def __init__(self, cjk_candidates: tuple[Path, ...] = CJK_CANDIDATES) -> None:
        self._lock = threading.Lock()
        self._templates: dict[Path, TTFFont] = {}
        self._tables: dict[Path, bytes] = {}
        self.cjk = next((p for p in cjk_candidates if p.is_file()), None)

    def template(self, font: FontFile) -> TTFFont:
        with self._lock:
            if font.path not in self._templates:
                scratch = FPDF()
                scratch.add_font(font.family, font.style, str(font.path))
                parsed = scratch.fonts[f"{font.family.lower()}{font.style}"]
                assert isinstance(parsed, TTFFont)
                self._templates[font.path] = parsed
                if font.path.suffix == ".ttf":
                    self._tables[font.path] = _decompiled(font.path)
            return self._templates[font.path]

    def font_file(self, font: FontFile, number: int) -> ttLib.TTFont:
        """A private, editable font file: fpdf2's subsetting changes it in place.

        Small fonts are unpickled from tables decompiled once, which is about twice as fast
        as reading the file again; the large CJK collection is read lazily from disk.
        """
        tables = self._tables.get(font.path)
        if tables is not None:
            return cast(ttLib.TTFont, pickle.loads(tables))  # noqa: S301 - made by _decompiled
        found = ttLib.TTFont(str(font.path), recalcTimestamp=False, fontNumber=number, lazy=True)
        _drop_unused(found)
        return found

    @cached_property
    def covered(self) -> frozenset[int]:
        """Code points both DejaVu faces can draw, and the line breaks and tabs layout uses."""
        regular = self.template(FontFile(REGULAR, FAMILY, "")).cmap
        bold = self.template(FontFile(BOLD, FAMILY, "B")).cmap
        return frozenset(regular).intersection(bold).union(map(ord, _KEEP))

    @cached_property
    def cjk_covered(self) -> frozenset[int]:
        if self.cjk is None:
            return frozenset()
        return frozenset(self.template(self._cjk_file()).cmap)

    def _cjk_file(self) -> FontFile:
        assert self.cjk is not None
        return FontFile(self.cjk, FALLBACK_FAMILY, "")

    def install(self, pdf: FPDF, *, with_cjk: bool) -> None:
        """Add DejaVu Sans (and the CJK fallback) to a new document."""
        files = [FontFile(REGULAR, FAMILY, ""), FontFile(BOLD, FAMILY, "B")]
        if with_cjk and self.cjk is not None:
            files.append(self._cjk_file())
        for font in files:
            _add(pdf, self, font)
        if with_cjk and self.cjk is not None:
            pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)

    def clean(self, text: str) -> tuple[str, bool]:
        """The text with every character a font can draw; and whether it needs the CJK font.

        Emoji and other symbols no font has become their name in brackets ("🚀" becomes
        "[rocket]"); joiners, variation selectors and unassigned code points are dropped.
        """
        covered, cjk = self.covered, self.cjk_covered
        if covered.issuperset(map(ord, text)):
            return text, False  # the common case, checked at C speed
        text = _FLAG.sub(_flag_name, text)
        out: list[str] = []
        needs_cjk = False
        for ch in text:
            point = ord(ch)
            if point in covered:
                out.append(ch)
            elif point in cjk:
                out.append(ch)
                needs_cjk = True
            else:
                out.append(_replacement(ch))
        return "".join(out), needs_cjk


_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")


def _flag_name(match: re.Match[str]) -> str:
    """Two regional indicator letters are a flag: 🇫🇷 becomes [flag FR]."""
    letters = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in match.group())
    return f"[flag {letters}]"


def _replacement(ch: str) -> str:
    if unicodedata.category(ch) in _DROP:
        return ""
    name = unicodedata.name(ch, "")
    return f"[{name.lower()}]" if name else REPLACEMENT


def _drop_unused(font: ttLib.TTFont) -> None:
    for table in UNUSED_TABLES:  # no text shaping: layout tables only slow subsetting
        if table in font:
            del font[table]


def _decompiled(path: Path) -> bytes:
    """Every table of a font decompiled, pickled: unpickling beats parsing per document."""
    font = ttLib.TTFont(str(path), recalcTimestamp=False)
    _drop_unused(font)
    for tag in list(font.keys()):  # read each table (glyphs stay compact until drawn)
        font[tag]
    font.close()
    font.reader = None
    return pickle.dumps(font, protocol=pickle.HIGHEST_PROTOCOL)


def _add(pdf: FPDF, cache: FontCache, font: FontFile) -> None:
    """A copy of the parsed font with a fresh subset and font file (subsetting edits both)."""
    template = cache.template(font)
    try:
        clone = copy.copy(template)
        clone.i = len(pdf.fonts) + 1
        clone.ttfont = cache.font_file(font, template.collection_font_number)
        clone.subset = SubsetMap(clone)
        clone.missing_glyphs = []
        clone.biggest_size_pt = 0
    except (AttributeError, TypeError):  # an fpdf2 without these internals: parse again
        log.warning("font copy unavailable, parsing %s for this document", font.path.name)
        pdf.add_font(font.family, font.style, str(font.path))
        return
    pdf.fonts[clone.fontkey] = clone


FONTS = FontCache()
