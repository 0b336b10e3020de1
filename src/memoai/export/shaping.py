"""Which text the PDF report shapes, and how wide shaped text is.

Text the body face draws glyph by glyph (`FontCache.simple`) takes the fast path in
`Layout.draw_line`; the rest is shaped by HarfBuzz through fpdf2 (`set_text_shaping`). fpdf2's
shaping path costs about a tenth of a millisecond per glyph, so a left-to-right line is cut
into plain pieces and pieces that need shaping (`pieces`): in "Launch 🚀 in June" only the
emoji goes through HarfBuzz. A line with right-to-left letters or bidirectional controls is
cut into runs by fpdf2's bidirectional algorithm (`directional_runs`), emoji sequences
(`emoji_sequences`: 👩‍💻, 🏳️‍🌈, ❤️), which fpdf2 would cut apart, standing for one character
each and shaped by themselves in the emoji face; left-to-right runs are then drawn as any
left-to-right text, and a right-to-left run glyph by glyph where HarfBuzz sets each letter's
own glyph (`own_glyphs`: unpointed Hebrew), else shaped by fpdf2 (Arabic).

Single emoji and CJK characters need no shaping either: `glyph_runs` cuts such text by face,
and the layout draws each run glyph by glyph too (a shaped cell costs a fifth of a
millisecond plus about 15 µs per glyph; text() a few microseconds).

`units` measures shaped text with uharfbuzz directly, as fpdf2 does (the same fonts, faces
chosen the same way, widths rounded per glyph), without building fpdf2's fragments. The
HarfBuzz font of each file is made once per process and only read afterwards (HarfBuzz fonts
may be shared between threads while nobody changes them).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path

import uharfbuzz as hb
from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection

from memoai.export.fonts import Face, FontCache, face_of

# Bidirectional classes that may reorder a line: right-to-left letters, Arabic digits and
# the explicit embeddings, overrides and isolates.
_REORDERING = frozenset(
    ("R", "AL", "AN", "RLE", "RLO", "RLI", "LRE", "LRO", "LRI", "FSI", "PDF", "PDI")
)
_TOKEN = re.compile(r"\S+\s*|\s+")
# Characters drawn only as part of a sequence HarfBuzz forms: marks, joiners and selectors,
# emoji skin-tone modifiers (Sk), the regional indicators that pair into flags, and Hangul's
# conjoining jamo.
_IN_SEQUENCE = frozenset(("Mn", "Mc", "Me", "Cf", "Sk"))
_PAIRED = ((0x1F1E6, 0x1F1FF), (0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))

# Emoji sequences (Unicode TS #51) a colour emoji font draws as one glyph: a character with
# selectors, skin tones, keycap or tags, joined to the next by ZWJ; or two regional indicators.
_ADDED = "\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_EMOJI_TRIGGER = re.compile(f"[\u200d\U0001f1e6-\U0001f1ff{_ADDED}]")
_EMOJI_CANDIDATE = re.compile(
    f"[\U0001f1e6-\U0001f1ff]{{2}}|[^\\s\u200d{_ADDED}](?:[{_ADDED}]|\u200d[^\\s\u200d{_ADDED}])*"
)
_OBJECT = "\ufffc"  # OBJECT REPLACEMENT CHARACTER: a neutral, as an emoji is
_SPLIT = re.compile(f"({_OBJECT})")
_SELECTORS = dict.fromkeys(map(ord, "\ufe0e\ufe0f"))

_lock = threading.Lock()
_hb_fonts: dict[Path, tuple[hb.Font, float]] = {}


def reorders(text: str, simple: frozenset[int]) -> bool:
    """Whether the bidirectional algorithm may move anything in the text (the characters
    in `simple` never do)."""
    return any(unicodedata.bidirectional(ch) in _REORDERING for ch in text if ord(ch) not in simple)


def pieces(text: str, simple: frozenset[int]) -> list[tuple[str, bool]]:
    """A left-to-right run cut at spaces into plain pieces and pieces to shape (True):
    consecutive words needing shaping stay together, so a word keeps its marks, joiners and
    selectors, and a phrase its spacing."""
    out: list[tuple[str, bool]] = []
    for token in _TOKEN.findall(text):
        shaped = not simple.issuperset(map(ord, token))
        if out and (out[-1][1] == shaped or (out[-1][1] and token.isspace())):
            out[-1] = (out[-1][0] + token, out[-1][1])
        else:
            out.append((token, shaped))
    return out


def glyph_runs(fonts: FontCache, text: str) -> list[tuple[str, Face]] | None:
    """The text cut where its face changes, when every character is a glyph of its own set
    left to right: body characters (`FontCache.simple`) and single emoji and CJK characters
    (`FontCache.draws_unshaped`); None when any character needs HarfBuzz."""
    simple = fonts.simple
    out: list[tuple[str, Face]] = []
    for ch in text:
        point = ord(ch)
        face = fonts.body
        if point not in simple:
            if unicodedata.category(ch) in _IN_SEQUENCE or any(
                low <= point <= high for low, high in _PAIRED
            ):
                return None
            found = face_of(fonts, ch)
            if found is None or not fonts.draws_unshaped(found):
                return None
            face = found
        if out and out[-1][1] is face:
            out[-1] = (out[-1][0] + ch, face)
        else:
            out.append((ch, face))
    return out


def emoji_sequences(fonts: FontCache, text: str) -> list[tuple[str, bool]]:
    """The text cut into emoji sequences the colour emoji face draws as one glyph (True:
    joined with ZWJ, with a skin tone, keycap or tags, a flag, or asking for emoji
    presentation with U+FE0F) and the rest (False). Selectors are taken out of a sequence:
    the face maps none, and fpdf2 would draw them from another face, cutting the sequence in
    two; HarfBuzz forms the same glyph without them."""
    emoji = fonts.emoji
    if emoji is None or not _EMOJI_TRIGGER.search(text):
        return [(text, False)]
    own = fonts.code_points(emoji.regular)
    out: list[tuple[str, bool]] = []
    end = 0
    for match in _EMOJI_CANDIDATE.finditer(text):
        found = match.group()
        drawn = found.translate(_SELECTORS)
        if (
            len(found) > 1
            and "\ufe0e" not in found
            and (len(drawn) > 1 or not drawn.isascii())  # "#️" alone is no keycap
            and own.issuperset(map(ord, drawn))
        ):
            if match.start() > end:
                out.append((text[end : match.start()], False))
            out.append((drawn, True))
            end = match.end()
    if end < len(text):
        out.append((text[end:], False))
    return out


def directional_runs(
    parts: list[tuple[str, bool]], rtl: bool
) -> list[tuple[list[tuple[str, bool]], bool]]:
    """A line's emoji sequences and the rest (`emoji_sequences`) cut where the direction
    changes, each run True if right to left, in the order fpdf2 draws runs on a line: by
    fpdf2's own bidirectional algorithm (`BidiParagraph`, as `cell` runs it) in a paragraph
    of the given direction, last run first if right to left. Each sequence stands in for one
    neutral character meanwhile, as an emoji does (the algorithm would give its joiners the
    paragraph's direction and split it); text that holds that character is one run."""
    if any(_OBJECT in part for part, _ in parts):
        return [(parts, rtl)]
    sequences = iter([part for part, joined in parts if joined])
    proxy = "".join(_OBJECT if joined else part for part, joined in parts)
    base = TextDirection.RTL if rtl else TextDirection.LTR
    paragraph = BidiParagraph(proxy, base_direction=base, preserve_bn_chars=True)
    runs = [
        (
            [
                (next(sequences), True) if p == _OBJECT else (p, False)
                for p in _SPLIT.split(chunk)
                if p
            ],
            way == TextDirection.RTL,
        )
        for chunk, way in paragraph.get_bidi_fragments()
    ]
    return runs[::-1] if rtl else runs


def _hb_font(path: Path) -> tuple[hb.Font, float]:
    """The HarfBuzz font of a file (its first face) and the scale to thousandths of an em."""
    with _lock:
        entry = _hb_fonts.get(path)
        if entry is None:
            face = hb.Face(hb.Blob.from_file_path(str(path)), 0)
            entry = (hb.Font(face), 1000 / face.upem)
            _hb_fonts[path] = entry
        return entry


def _shape(font: hb.Font, text: str, direction: str | None = None) -> hb.Buffer:
    """HarfBuzz's glyphs for the text as fpdf2 asks for them: cluster level 1, the segment's
    properties guessed, in the fragment's direction if given."""
    buf = hb.Buffer()
    buf.cluster_level = 1
    buf.add_str(text)
    buf.guess_segment_properties()
    if direction is not None:
        buf.direction = direction
    hb.shape(font, buf, {})
    return buf


def runs_by_face(fonts: FontCache, text: str, lead: Face) -> list[tuple[str, Face]]:
    """The text cut where the face drawing it changes: the lead face for what it has, else
    the face fpdf2 falls back to (`ReportPDF.get_fallback_font`)."""
    own = fonts.code_points(lead.regular)
    out: list[tuple[str, Face]] = []
    for ch in text:
        face: Face | None = lead
        if ord(ch) not in own:
            face = fonts.body if ord(ch) in fonts.covered else face_of(fonts, ch)
        face = face or lead
        if out and out[-1][1] == face:
            out[-1] = (out[-1][0] + ch, face)
        else:
            out.append((ch, face))
    return out


def units(fonts: FontCache, text: str, lead: Face | None, bold: bool) -> float:
    """The shaped width of the text in thousandths of the font size, as fpdf2 computes it
    when it draws the text set in `lead` (the body face if None)."""
    total = 0
    for piece, face in runs_by_face(fonts, text, lead or fonts.body):
        font, scale = _hb_font(face.file(bold))
        buf = _shape(font, piece)
        total += sum(round(scale * pos.x_advance + 0.001) for pos in buf.glyph_positions)
    return float(total)


def own_glyphs(
    fonts: FontCache, text: str, lead: Face | None, bold: bool
) -> list[tuple[str, Face, float]] | None:
    """A right-to-left run as HarfBuzz sets it (fpdf2's faces and direction), when that is
    each character's own glyph (Hebrew without points, say): its pieces left to right, each
    with its characters in that order, its face and where it starts, in thousandths of the
    font size from the run's start; a piece ends where HarfBuzz moves a glyph from where the
    one before it ends (kerning). None when shaping changes glyphs (Arabic joining, marks,
    mirrored brackets)."""
    if any(unicodedata.bidirectional(ch) == "AL" for ch in text):
        return None  # Arabic letters join
    out: list[tuple[str, Face, float]] = []
    pen = end = 0.0  # where HarfBuzz's next glyph goes; where the last piece's glyphs end
    for piece, face in runs_by_face(fonts, text, lead or fonts.body)[::-1]:
        font, scale = _hb_font(face.file(bold))
        buf = _shape(font, piece, "rtl")
        if len(buf.glyph_infos) != len(piece):
            return None
        for ch, info, pos in zip(piece[::-1], buf.glyph_infos, buf.glyph_positions, strict=True):
            if info.codepoint != font.get_nominal_glyph(ord(ch)) or pos.y_offset:
                return None
            at = pen + pos.x_offset * scale
            if out and out[-1][1] == face and abs(at - end) < 1e-6:
                out[-1] = (out[-1][0] + ch, face, out[-1][2])
            else:
                out.append((ch, face, at))
            end = at + font.get_glyph_h_advance(info.codepoint) * scale
            pen += pos.x_advance * scale
    return out


def starts_rtl(text: str) -> bool:
    """Whether the paragraph's first strong character reads right to left."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return False


def spaces_mirrored(text: str) -> str:
    """A left-to-right run on a right-to-left line as drawn: its leading spaces on its right,
    its trailing ones on its left ("1  " before a Hebrew quote keeps its gap)."""
    core = text.strip()
    start = text.index(core) if core else 0
    return text[start + len(core) :] + core + text[:start]


def clusters(token: str) -> list[str]:
    """The token's characters, each with the marks, joiners and selectors that follow it, so
    a line never breaks inside a shaped cluster."""
    out: list[str] = []
    for ch in token:
        joins = unicodedata.category(ch)[0] == "M" or ch in _JOINING
        if out and (joins or out[-1][-1] == "\u200d"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


_JOINING = (
    frozenset("\u200c\u200d\ufe0e\ufe0f")
    | frozenset(map(chr, range(0x1F3FB, 0x1F400)))  # skin tones
    | frozenset(map(chr, range(0xE0020, 0xE0080)))  # the tags of subdivision flags
)
