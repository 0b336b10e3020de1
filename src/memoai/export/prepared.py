"""Slim copies of the TrueType faces the PDF report embeds, made once per machine.

Debian's Noto faces carry TrueType hinting (instructions in every glyph, and the fpgm, prep
and cvt tables) and OpenType features HarfBuzz never applies by default (small capitals,
old-style figures, stylistic sets). fpdf2 parses a face when it is added to a document and
subsets it on output; both read and write all of that, and the hinting ends up in the PDF,
where no viewer uses it at print sizes. A slim copy keeps every character of the face, its
outlines and widths, and the layout features HarfBuzz applies by default (fontTools'
default `layout_features`), so text is shaped and drawn the same; it drops the hinting and
the glyphs only other features reach. Noto Sans: 3,317 glyphs and 513 kB become 3,066 and
318 kB; a mixed-script report's fonts take a third less space in the PDF.

Copies are cut in a background thread the first time a face is asked for (about a second
for Noto Sans) into the cache directory shared with the common CJK cut; until a copy exists
the original file is used. Their names carry the source's size and date and the fontTools
version, so a new font package or fontTools makes new copies.

The body face's core (`core`, `CORE`) is cut the same way but at once, the first time a
process needs the body face: Latin (Western, Central European, Turkish, Romanian), the
marks and modifiers it combines with, punctuation, currency, letterlike and maths signs,
arrows. fpdf2's parse of a face costs in proportion to its glyphs, and every report parses
both weights of the body face: the core of Noto Sans has 771 of its 3,066 glyphs and parses
in a quarter of the time (about 13 ms less per weight). The whole face still draws the rest
(Greek, Cyrillic, Vietnamese…) in the documents that have it (`FontCache.wide`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset, ttLib
from fontTools import version as fonttools_version

log = logging.getLogger(__name__)

_VERSION = 1  # bump when slim() or CORE changes: it is part of the copies' names
_CORE = (
    (0x20, 0x7E), (0xA0, 0x17F), (0x192, 0x192), (0x218, 0x21B), (0x2C6, 0x2DD),
    (0x300, 0x36F), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x215F), (0x2190, 0x2199),
    (0x2212, 0x2215), (0x2219, 0x221E), (0x2248, 0x2248), (0x2260, 0x2265), (0xFB00, 0xFB06),
    (0xFFFC, 0xFFFD),
)  # fmt: skip
CORE = frozenset(point for low, high in _CORE for point in range(low, high + 1))


def slim(source: Path, target: Path, keep: frozenset[int] | None = None) -> None:
    """Copy a face (the first of a collection) without hinting and without what only
    non-default features draw; every character kept, or those in `keep` (with what the
    default features make of them). Written atomically."""
    font = ttLib.TTFont(str(source), fontNumber=0, lazy=True)
    try:
        options = subset.Options()
        options.hinting = False
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.recommended_glyphs = True
        options.glyph_names = True
        options.drop_tables += ["FFTM"]  # FontForge's timestamp (DejaVu): fpdf2 drops it too
        cmap = font.getBestCmap()
        write_subset(font, options, cmap if keep is None else keep.intersection(cmap), target)
    finally:
        font.close()


def write_subset(
    font: ttLib.TTFont, options: subset.Options, unicodes: Iterable[int], target: Path
) -> None:
    """Cut the characters out of the font and write the result atomically: a partial file of
    this thread's own, renamed over the target (another process may be cutting the same)."""
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    font.save(str(partial))
    os.replace(partial, target)


def target_of(source: Path, cache: Path, kind: str = "slim") -> Path:
    """The slim copy's (or the core's) file for a face file."""
    stat = source.stat()
    key = f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{fonttools_version}:{_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache / f"{source.stem}-{kind}-{digest}{source.suffix}"


class Prepared:
    """Which slim copies exist; the missing ones are cut in one background thread."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._known: dict[Path, Path] = {}  # source -> the file to use (the copy, or itself)
        self._queue: list[Path] = []
        self._idle = threading.Event()  # set while no copy is being cut
        self._idle.set()

    def path(self, source: Path) -> Path:
        """The slim copy of a TrueType face if it exists, else the face itself (and its copy
        is queued). Collections, colour fonts and files already in the cache are used as
        they are."""
        with self._lock:
            known = self._known.get(source)
            if known is not None:
                return known
            if source.suffix.lower() != ".ttf" or source.parent == self.cache:
                self._known[source] = source
                return source
            target = target_of(source, self.cache)
            if target.is_file():
                self._known[source] = target
                return target
            if source not in self._queue:
                self._queue.append(source)
                if self._idle.is_set():
                    self._idle.clear()
                    threading.Thread(target=self._run, name="slim-fonts", daemon=True).start()
            return source

    def core(self, source: Path) -> Path | None:
        """The body face's core cut out of a TrueType face (`CORE`), cut now if this machine
        has none yet (a fifth of a second); None if it cannot be cut."""
        if source.suffix.lower() != ".ttf":
            return None
        target = target_of(source, self.cache, "core")
        result = target if target.is_file() else self._cut(source, target, CORE)
        return None if result == source else result

    def wait(self) -> None:
        """Block until every queued copy is cut (or has failed)."""
        self._idle.wait()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._idle.set()
                    return
                source = self._queue[0]
            result = self._cut(source, target_of(source, self.cache))
            with self._lock:
                self._queue.pop(0)
                self._known[source] = result

    def _cut(self, source: Path, target: Path, keep: frozenset[int] | None = None) -> Path:
        """Cut `target` out of `source` unless it exists; `source` itself if it cannot be."""
        try:
            if self.cache.exists() and self.cache.stat().st_uid != os.getuid():
                log.warning("%s belongs to another user: fonts are embedded whole", self.cache)
                return source
            self.cache.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not target.is_file():
                slim(source, target, keep)
            return target
        except Exception:  # a full disk or a font fontTools cannot cut: keep the original
            log.exception("Could not make a slim copy of %s in %s", source, self.cache)
            return source
