"""The common CJK repertoire cut out of Noto Sans CJK, in three faces by writing system.

Noto Sans CJK has 65,000 glyphs: adding it to a document costs about 0.1 s and subsetting it
on output as much again. The characters most text uses (`common_cjk`: about 10,000 Hanzi,
kanji, Hangul syllables, kana and punctuation) are cut out of it once per machine into one
face (`build_common`), and that face is cut again into three (`CUTS`): the Hanzi and kanji
of GB 2312 and JIS X 0208 level 1 with kana, bopomofo and punctuation (5,500 glyphs), the
Hangul syllables of KS X 1001 (2,400), and the traditional Hanzi of Big5's frequent set that
neither of those has (2,200). A document in Chinese or Japanese adds the first, one in Korean
the second: each parses and subsets half or a quarter of the glyphs of the whole cut (about
30 ms less CPU per weight for a Chinese report). Traditional Chinese adds the first and the
third, about as much as the whole cut.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fontTools import subset, ttLib
from fontTools import version as fonttools_version

from memoai.export.prepared import write_subset

# HarfBuzz's default horizontal features that CJK text uses; no `locl` (fpdf2 gives HarfBuzz
# no language) and no vertical forms, so the cut keeps only the glyphs horizontal text draws.
_CJK_FEATURES = ("ccmp", "mark", "mkmk", "kern", "liga", "clig", "calt", "rlig", "dist")
_REPERTOIRE = 1  # bump when common_cjk() changes: it is part of the whole cut's file name
_CUTS_VERSION = 1  # bump when cuts() changes: it is part of the three cuts' file names
CUTS = ("Han", "Hangul", "Hant")  # the cuts' names (a face's family ends with it)


def _codec(encoding: str, rows: range, cells: range) -> set[int]:
    """The code points of a double-byte character set's rows."""
    points: set[int] = set()
    for row in rows:
        for cell in cells:
            try:
                points.update(map(ord, bytes((row, cell)).decode(encoding)))
            except UnicodeDecodeError:
                continue
    return points


def _punctuation() -> set[int]:
    return set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))


@lru_cache(maxsize=1)
def cuts() -> tuple[frozenset[int], ...]:
    """The repertoires of `CUTS`, in order: every character of `common_cjk` is in one of
    them (CJK punctuation and fullwidth forms in the first two)."""
    han = _codec("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    han |= _codec("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF))
    kana = set(range(0x3040, 0x3100)) | set(range(0x3100, 0x3130)) | set(range(0x31F0, 0x3200))
    big5 = _codec("big5", range(0xA4, 0xC7), range(0x40, 0xFF))
    hangul = {p for p in _codec("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF)) if p >= 0xAC00}
    return (
        frozenset(han | kana | _punctuation()),
        frozenset(hangul | _punctuation()),
        frozenset(p for p in big5 if 0x4E00 <= p <= 0x9FFF and p not in han),
    )


@lru_cache(maxsize=1)
def common_cjk() -> frozenset[int]:
    """The CJK characters most text uses: GB 2312 level 1 Hanzi (3,755), JIS X 0208 level 1
    kanji (2,965), Big5's frequent Hanzi (5,401), KS X 1001's Hangul syllables (2,350), and
    all kana, bopomofo, CJK punctuation and fullwidth forms: about 10,000 code points."""
    return frozenset().union(*cuts())


def _name(source: Path, cache: Path, kind: str, version: int, suffix: str = "") -> Path:
    stat = source.stat()
    key = f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{fonttools_version}:{version}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache / f"{source.stem}-{kind}{suffix}-{digest}.otf"


def common_paths(source: Path, cache: Path) -> tuple[Path, list[Path]]:
    """A face file of Noto Sans CJK's whole common cut and its three cuts' files, named after
    the source and the fontTools version (a new font package or fontTools builds new ones)."""
    whole = _name(source, cache, "common", _REPERTOIRE)
    return whole, [_name(source, cache, "common", _CUTS_VERSION, f"-{n}") for n in CUTS]


def build(source: Path, whole: Path, targets: list[Path]) -> None:
    """The whole common cut of a face (if missing), then its three cuts out of it."""
    if not whole.is_file():
        build_common(source, whole, common_cjk())
    for target, repertoire in zip(targets, cuts(), strict=True):
        if not target.is_file():
            build_common(whole, target, repertoire)


def build_common(source: Path, target: Path, repertoire: frozenset[int]) -> None:
    """Cut a repertoire out of a face (the first of a collection), outlines and the layout
    features horizontal text uses kept, hinting dropped; written atomically."""
    font = ttLib.TTFont(str(source), fontNumber=0, lazy=True)
    try:
        options = subset.Options()
        options.hinting = False
        options.layout_features = list(_CJK_FEATURES)
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        write_subset(font, options, repertoire.intersection(font.getBestCmap()), target)
    finally:
        font.close()
