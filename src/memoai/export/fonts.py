"""Fonts for the PDF report: Debian's Noto fonts for every script, vendored DejaVu Sans when
they are missing, and a text cleaner that names what no installed font can draw.

Where fonts are found (FONT_DIRS, first match wins): the system's Noto directories
(fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji), then the DejaVu Sans faces vendored
in `export/fonts/`. The body font is Noto Sans's Latin core (`FontCache.body`), its whole face
drawing Greek, Cyrillic and the rest (`FontCache.wide`); each other script gets its own Noto
face (Noto Sans Arabic, Hebrew, Devanagari…, Noto Sans CJK for Han, kana and Hangul), emoji
come from Noto Color Emoji, and symbols from DejaVu Sans. A script whose font is not installed
is logged once and its characters are named in brackets ("[devanagari letter ha]") instead of
failing the export. fpdf2 shapes the text with HarfBuzz (the fonts keep their GSUB/GPOS
tables and combining marks) and subsets every font on output.

Each document gets only the faces its text needs, added as fpdf2 asks for a character the
body face lacks: a face costs a few milliseconds to add. The code points each face covers are
read once per process (fontTools' cmap).

The common CJK repertoire is cut out of Noto Sans CJK (65,000 glyphs) once per machine into
`CJK_CACHE` (`export/cjk.py`); until then, and outside it, CJK comes from the full face.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from fontTools import ttLib
from fontTools import unicodedata as ucd
from fpdf import FPDF
from fpdf.fonts import TTFFont

from memoai.export import cjk
from memoai.export.prepared import Prepared

log = logging.getLogger(__name__)

VENDORED = Path(__file__).resolve().parent / "fonts"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),  # Debian: fonts-noto-core, fonts-noto-color-emoji
    Path("/usr/share/fonts/opentype/noto"),  # Debian: fonts-noto-cjk
    Path("/usr/share/fonts/noto"),  # other distributions
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto"),
    VENDORED,
)
FAMILY = "Body"  # the body face's name inside a document: Noto Sans, or DejaVu Sans
WIDE = "Body whole"  # the whole body face, for what its core lacks (FontCache.wide)
SYMBOLS = "DejaVu Sans"  # always available (vendored): arrows, maths, dingbats
EMOJI = "Noto Color Emoji"
CJK = "Noto Sans CJK"
CJK_COMMON = "Noto Sans CJK common"  # the cuts of Noto Sans CJK (export/cjk.py): + " Han"…
CJK_CACHE = Path(tempfile.gettempdir()) / f"memoai-fonts-{os.getuid()}"  # mode 0700, ours
NOTO_SYMBOLS = ("Noto Sans Symbols", "Noto Sans Symbols2", "Noto Sans Math")
CJK_SCRIPTS = {"Hani", "Hira", "Kana", "Hang", "Bopo"}
_DROP = {"Mn", "Me", "Mc", "Cf", "Cs", "Co", "Cn"}  # marks, joiners, selectors, private use
_KEEP = {"\n", "\t"}
_NOT_LEADING = {SYMBOLS, EMOJI, *NOTO_SYMBOLS}  # faces drawn only for the characters they have
_FIRST = {"Deva", "Arab", "Hani"}  # for characters several scripts share
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Face:
    """One typeface: its name in a document and its regular (and, if any, bold) file."""

    family: str
    regular: Path
    bold: Path | None = None

    def file(self, bold: bool) -> Path:
        """The file that draws a weight: the bold one if asked for and the face has it."""
        return self.bold if bold and self.bold is not None else self.regular


def find(name: str, dirs: Iterable[Path] = FONT_DIRS) -> Path | None:
    """The first file called `name` in the font directories."""
    return next((d / name for d in dirs if (d / name).is_file()), None)


def _face(family: str, stem: str, dirs: tuple[Path, ...], ext: str = "ttf") -> Face | None:
    regular = find(f"{stem}-Regular.{ext}", dirs)
    if regular is None:
        return None
    return Face(family, regular, find(f"{stem}-Bold.{ext}", dirs))


class FontCache:
    """Which installed face draws each character, read once per process; `install` adds the
    faces a document needs."""

    def __init__(self, dirs: tuple[Path, ...] = FONT_DIRS, cache: Path = CJK_CACHE) -> None:
        self.dirs = dirs
        self.cache = cache
        self._lock = threading.Lock()
        self._common: tuple[Face, ...] = ()
        self._built = threading.Event()  # set once the common CJK face is ready or failed
        self._building = False
        self._cmaps: dict[Path, frozenset[int]] = {}
        self._scripts: dict[str, Face | None] = {}
        self._missing: set[str] = set()
        self.prepared = Prepared(cache)
        noto = _face(FAMILY, "NotoSans", dirs)
        vendored = Face(FAMILY, VENDORED / "DejaVuSans.ttf", VENDORED / "DejaVuSans-Bold.ttf")
        self.whole_body = noto if noto is not None and noto.bold is not None else vendored
        self.symbols = Face(SYMBOLS, vendored.regular, vendored.bold)
        emoji = find("NotoColorEmoji.ttf", dirs)
        self.emoji = Face(EMOJI, emoji) if emoji is not None else None
        self.cjk = _face(CJK, "NotoSansCJK", dirs, "ttc")
        self.noto_symbols = tuple(
            face
            for face in (
                _face(NOTO_SYMBOLS[0], "NotoSansSymbols", dirs),
                _face(NOTO_SYMBOLS[1], "NotoSansSymbols2", dirs),
                _face(NOTO_SYMBOLS[2], "NotoSansMath", dirs),
            )
            if face is not None
        )

    def code_points(self, path: Path) -> frozenset[int]:
        """The code points the font maps to a glyph (the first face of a collection)."""
        with self._lock:
            if path not in self._cmaps:
                font = ttLib.TTFont(str(path), fontNumber=0, lazy=True)
                try:
                    self._cmaps[path] = frozenset(font.getBestCmap())
                finally:
                    font.close()
            return self._cmaps[path]

    def _covers(self, face: Face | None, point: int) -> bool:
        return face is not None and point in self.code_points(face.regular)

    @cached_property
    def body(self) -> Face:
        """The body face as documents use it: the core of the whole face, both weights
        (`prepared.CORE`, cut once per machine), which every report parses in a quarter of
        the time; the whole face if the core cannot be cut."""
        whole = self.whole_body
        regular = self.prepared.core(whole.regular)
        bold = self.prepared.core(whole.bold) if whole.bold is not None else None
        if regular is None or (whole.bold is not None and bold is None):
            return whole
        return Face(FAMILY, regular, bold)

    @cached_property
    def wide(self) -> Face | None:
        """The whole body face, for its characters the core lacks (Greek, Cyrillic,
        Vietnamese…), drawn glyph by glyph as the body's; None if the body is the whole."""
        whole = self.whole_body
        return None if self.body is whole else Face(WIDE, whole.regular, whole.bold)

    @cached_property
    def covered(self) -> frozenset[int]:
        """What the body face draws, both weights, and the line breaks and tabs layout uses."""
        regular = self.code_points(self.body.regular)
        both = regular.intersection(self.code_points(self.body.bold or self.body.regular))
        return both.union(map(ord, _KEEP))

    @cached_property
    def simple(self) -> frozenset[int]:
        """Body characters drawn one glyph each, left to right: measured from the width table
        and drawn without shaping (no marks, joiners or right-to-left letters)."""
        return frozenset(
            p
            for p in self.covered
            if unicodedata.category(chr(p)) not in _DROP
            and unicodedata.bidirectional(chr(p)) not in ("R", "AL", "AN")
        )

    def script_face(self, script: str) -> Face | None:
        """The Noto face of an ISO 15924 script ("Arab", "Deva"), None if not installed."""
        if script in CJK_SCRIPTS:
            return self.cjk
        with self._lock:
            if script not in self._scripts:
                name = ucd.script_name(script, default="").replace("_", "").replace(" ", "")
                family = f"Noto {name}"
                self._scripts[script] = (
                    (_face(family, f"NotoSans{name}", self.dirs) if name else None)
                    or (_face(family, f"NotoSerif{name}", self.dirs) if name else None)
                    or (_face(family, f"NotoNaskh{name}", self.dirs) if name else None)
                )
            return self._scripts[script]

    def face_for(self, ch: str) -> Face | None:
        """The face that draws a character the body face lacks (or draws only without
        shaping, as DejaVu's Arabic), None if no installed face has it."""
        point = ord(ch)
        script = ucd.script(ch)
        shared = sorted(ucd.script_extension(ch), key=lambda s: (s not in _FIRST, s))
        for each in shared:  # the danda "।" serves Devanagari, Bengali…: Devanagari first
            if each not in ("Zyyy", "Zinh", "Zzzz"):
                face = self.script_face(each)
                if self._covers(face, point):
                    return face
        if self._covers(self.wide, point):  # Greek, Cyrillic: no script face of their own
            return self.wide
        if point >= 0x1F000 and self._covers(self.emoji, point):
            return self.emoji
        for face in (self.symbols, *self.noto_symbols, self.emoji, self.cjk):
            if self._covers(face, point):
                return face
        if script not in ("Zyyy", "Zinh", "Zzzz") and script not in self._missing:
            self._missing.add(script)
            log.warning(
                "No font for the %s script in %s: its characters are named in the PDF "
                "(Debian: install fonts-noto-core, fonts-noto-cjk)",
                ucd.script_name(script, default=script),
                ", ".join(map(str, self.dirs)),
            )
        return None

    def cjk_common(self, wait: bool = False) -> tuple[Face, ...]:
        """The common CJK cuts (`cjk.CUTS`) if their cache files exist, else none; the first
        call starts building them in a background thread (`wait` blocks until it is done)."""
        if self._common or self.cjk is None:
            return self._common
        with self._lock:
            if not self._building:
                self._building = True
                targets = {
                    source: cjk.common_paths(source, self.cache)
                    for source in (self.cjk.regular, self.cjk.bold)
                    if source is not None
                }
                if self.cache.exists() and self.cache.stat().st_uid != os.getuid():
                    log.warning("%s belongs to another user: CJK uses the full face", self.cache)
                    self._built.set()
                elif all(all(p.is_file() for p in cuts) for _, cuts in targets.values()):
                    self._ready(targets)
                else:
                    threading.Thread(
                        target=self._build, args=(targets,), name="cjk-common", daemon=True
                    ).start()
        if wait:
            self._built.wait()
        return self._common

    def draws_unshaped(self, face: Face) -> bool:
        """Whether the face's characters are glyphs of their own, set left to right with no
        shaping: the colour emoji (one code point each), the CJK faces and the whole body
        face (as the body's; its marks and joiners are shaped)."""
        return face in (self.emoji, self.cjk, self.wide) or face in self._common

    def _build(self, targets: dict[Path, tuple[Path, list[Path]]]) -> None:
        try:
            self.cache.mkdir(mode=0o700, parents=True, exist_ok=True)
            for source, (whole, cuts) in targets.items():
                cjk.build(source, whole, cuts)
            self._ready(targets)
        except Exception:  # a full disk or a font fontTools cannot cut: keep the full face
            log.exception("Could not cut the common CJK face into %s", self.cache)
        finally:
            self._built.set()

    def _ready(self, targets: dict[Path, tuple[Path, list[Path]]]) -> None:
        full = self.cjk
        assert full is not None
        regular = targets[full.regular][1]
        bold = targets[full.bold][1] if full.bold is not None else [None] * len(cjk.CUTS)
        self._common = tuple(
            Face(f"{CJK_COMMON} {name}", path, bold_path)
            for name, path, bold_path in zip(cjk.CUTS, regular, bold, strict=True)
        )
        self._built.set()

    def install(self, pdf: FPDF) -> None:
        """Add the body face, both weights; the report's `get_fallback_font` adds the others
        as characters need them."""
        self._add(pdf, FAMILY, "", self.body.regular)
        self._add(pdf, FAMILY, "B", self.body.bold or self.body.regular)

    def _add(
        self, pdf: FPDF, family: str, style: str, path: Path, unicode_range: list[int] | None = None
    ) -> None:
        """`pdf.add_font` with the face's slim copy once it exists (`prepared`; not for the
        colour emoji), then the parsed font's layout tables dropped (`_unlayout`)."""
        if self.emoji is None or path != self.emoji.regular:
            path = self.prepared.path(path)
        pdf.add_font(family, style, path, unicode_range=unicode_range)
        font = pdf.fonts[family.lower() + style]
        if isinstance(font, TTFFont) and font.color_font is None:
            _unlayout(font.ttfont)

    def key(self, pdf: FPDF, face: Face, bold: bool) -> tuple[str, str]:
        """The face's family and style in the document (bold only if the face has it), added
        the first time it is asked for."""
        style = "B" if bold and face.bold is not None else ""
        if face.family.lower() + style not in pdf.fonts:
            path = face.file(bold)
            self._add(pdf, face.family, style, path, self._range(pdf, face, path))
        return face.family, style

    def _range(self, pdf: FPDF, face: Face, path: Path) -> list[int] | None:
        """The code points of a fallback face the document may draw (fpdf2's `unicode_range`:
        reading the widths of 10,000 CJK characters costs 30 ms per weight, of the 3,700
        colour emoji a few ms), from the document's `characters` (`ReportPDF`); None (all of
        them) for the body face, which also draws the translated labels, and for documents
        that do not say. Sequences (flags, skin tones) are shaped from the font file."""
        characters: frozenset[int] | None = getattr(pdf, "characters", None)
        if not characters or face is self.body:
            return None
        return sorted(characters.intersection(self.code_points(path))) or None

    def lead(self, text: str) -> Face | None:
        """The script face a run of text is best set in: that of its first letter the body
        face lacks (Arabic, Devanagari, Han…), so the spaces, digits and punctuation between
        its words stay in the same face and HarfBuzz shapes whole runs; None for the body."""
        covered = self.covered
        for ch in text:
            if ord(ch) not in covered:
                face = face_of(self, ch)
                if face is not None and face.family not in _NOT_LEADING:
                    return face
        return None

    def clean(self, text: str) -> tuple[str, set[Face]]:
        """The text with every character an installed font can draw, and the faces besides
        the body face it needs.

        Characters no font has become their name in brackets ("🚀" becomes "[rocket]" when no
        emoji font is installed); unassigned code points, private use and marks or joiners no
        font has are dropped.
        """
        if self.simple.issuperset(map(ord, text)):
            return text, set()  # the common case, checked at C speed
        table: dict[int, str] = {}  # each distinct character decided once
        faces: set[Face] = set()
        for ch in set(text):
            kept, face = self._clean_char(ch)
            if kept != ch:
                table[ord(ch)] = kept
            if face is not None:
                faces.add(face)
        cleaned = text.translate(table)
        if self.emoji is None or self.emoji not in faces:
            cleaned = _FLAG.sub(_flag_name, cleaned)
        return cleaned, faces

    def _clean_char(self, ch: str) -> tuple[str, Face | None]:
        """What `clean` makes of one character, and the face besides the body's it needs."""
        script = ucd.script(ch)
        if ord(ch) in self.covered and script in ("Latn", "Grek", "Cyrl", "Zyyy", "Zinh"):
            return ch, None
        if script == "Zinh" or unicodedata.category(ch) == "Cf":
            # a selector, joiner, keycap or tag: kept where a font has it, never named
            kept = any(self._covers(f, ord(ch)) for f in (self.symbols, self.emoji, self.wide))
            return (ch if kept else ""), None
        face = face_of(self, ch)
        if face is not None:
            return ch, face
        if ord(ch) in self.covered:
            return ch, None  # the body face has it (DejaVu's Arabic, without Noto)
        return _replacement(ch), None


# Tables fpdf2 drops when it subsets a font on output, but only after fontTools has parsed
# the layout ones (it looks for formats beyond 64k glyphs first): a third of the output time.
# HarfBuzz shapes from the font file, not from fontTools' copy, so they go at once.
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "kern", "MATH", "BASE", "JSTF", "vhea", "vmtx", "VORG")


def _unlayout(font: ttLib.TTFont) -> None:
    """Remove from fontTools' parse of a font what fpdf2 never writes into a PDF; and keep
    the glyphs' bounding boxes as the file has them, so that subsetting copies each glyph's
    bytes instead of decoding and re-encoding its outline to measure it again (the font's
    overall box stays that of the whole face, which is still true of the subset)."""
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    font.recalcBBoxes = False


def face_of(fonts: FontCache, ch: str) -> Face | None:
    """`fonts.face_for(ch)`, remembered; the first common CJK cut that has the character, once
    they are built."""
    face = _face_of(fonts, ch)
    if face is not None and face is fonts.cjk:
        for cut in fonts.cjk_common():
            if ord(ch) in fonts.code_points(cut.regular):
                return cut
    return face


@lru_cache(maxsize=16384)
def _face_of(fonts: FontCache, ch: str) -> Face | None:
    return fonts.face_for(ch)


_FLAG = re.compile("\\[regional indicator symbol letter ([a-z])\\]" * 2)


def _flag_name(match: re.Match[str]) -> str:
    """Two regional indicator letters are a flag: without an emoji font 🇫🇷 reads [flag FR]."""
    return f"[flag {match.group(1).upper()}{match.group(2).upper()}]"


def _replacement(ch: str) -> str:
    if unicodedata.category(ch) in _DROP or ch in ("\u200d", "\ufe0f"):
        return ""
    name = unicodedata.name(ch, "")
    return f"[{name.lower()}]" if name else REPLACEMENT


FONTS = FontCache()
