"""Text layout for the PDF report: wrapping, styled runs, bullets and tables on fpdf2.

fpdf2's multi_cell re-measures a line for every character it adds, which costs a quarter of
a second on a long memo; here each word is measured once from the font's width table and
each finished line is drawn with one cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from memoai.export import shaping
from memoai.export.fonts import FAMILY, FONTS, Face, FontCache

INK = (15, 23, 42)
TEXT_2 = (51, 65, 85)
MUTED = (71, 85, 105)
PRIMARY = (29, 78, 216)
LINE = (226, 232, 240)
SOFT = (239, 246, 255)
GOOD = (21, 128, 61)
BAD = (185, 28, 28)
MID = (180, 83, 9)  # between good and bad: a middling score, a caution
_TOKEN = re.compile(r"\s+|\S+\s*")
CELL_PAD = 1.6
KEEP_TOGETHER_MM = 70.0  # shorter tables are never split across pages


@dataclass(frozen=True)
class Style:
    size: float = 10.0
    bold: bool = False
    color: tuple[int, int, int] = INK
    underline: bool = False
    strike: bool = False

    @property
    def emphasis(self) -> str:
        return (
            ("B" if self.bold else "")
            + ("U" if self.underline else "")
            + ("S" if self.strike else "")
        )


BODY = Style()
SMALL = Style(size=8.5, color=MUTED)
Run = tuple[str, Style]


class Line(list[Run]):
    """One wrapped line's runs, in reading order; `rtl` if its paragraph reads right to left."""

    rtl = False


class Layout:
    """Writes wrapped, styled text onto an FPDF page flow, breaking pages as needed."""

    def __init__(self, pdf: FPDF, fonts: FontCache = FONTS) -> None:
        self.pdf = pdf
        self.fonts = fonts
        regular, bold = _ttf(pdf, FAMILY.lower()), _ttf(pdf, FAMILY.lower() + "B")
        self._widths = {False: regular.cw, True: bold.cw}
        self._units: dict[tuple[str, bool], float] = {}
        self._covered = fonts.simple  # drawn glyph by glyph; the rest is shaped by fpdf2

    # --- measuring and wrapping --------------------------------------------------------
    def measure(self, text: str, style: Style) -> float:
        """Width in mm, from the same tables fpdf2 uses (words repeat: each is summed once);
        text that needs shaping or another face is measured with HarfBuzz as fpdf2 does."""
        key = (text, style.bold)
        units = self._units.get(key)
        if units is None:
            if self._covered.issuperset(map(ord, text)):
                widths = self._widths[style.bold]
                units = float(sum(widths[ord(ch)] for ch in text))
            elif (runs := shaping.glyph_runs(self.fonts, text)) is not None:
                units = float(
                    sum(self._cw(face, style.bold)[ord(ch)] for part, face in runs for ch in part)
                )
            else:
                emoji, lead = self.fonts.emoji, self.fonts.lead
                units = sum(  # an emoji sequence in the emoji face, the rest in its own
                    shaping.units(self.fonts, part, emoji if joined else lead(part), style.bold)
                    for part, joined in shaping.emoji_sequences(self.fonts, text)
                )
            self._units[key] = units
        return units * style.size / 1000 / self.pdf.k

    def _cw(self, face: Face, bold: bool) -> dict[int, float]:
        """A face's widths as fpdf2 reads them (the face is added to the document if new)."""
        if face is self.fonts.body:
            return self._widths[bold]
        family, style = self.fonts.key(self.pdf, face, bold)
        return _ttf(self.pdf, family.lower() + style).cw

    def _set_face(self, face: Face | None, style: Style) -> None:
        """Set text in a face (None or the body face: the body) in the style's size and
        emphasis; bold only where the face has a bold weight (FontCache.key)."""
        if face is None or face is self.fonts.body:
            family, bold = FAMILY, "B" if style.bold else ""
        else:
            family, bold = self.fonts.key(self.pdf, face, style.bold)
        self.pdf.set_font(family, bold + style.emphasis.replace("B", ""), style.size)

    def wrap(self, runs: Sequence[Run], width: float) -> list[Line]:
        """Lines of runs no wider than `width`; newlines in the text start new lines. A line
        is `rtl` when its paragraph's first strong letter is Arabic or Hebrew (UAX #9)."""
        lines: list[list[Run]] = [[]]
        starts, texts = [0], [""]  # each paragraph's first line and its text
        used = 0.0
        for text, style in runs:
            for index, part in enumerate(text.split("\n")):
                if index:
                    lines.append([])
                    starts.append(len(lines) - 1)
                    texts.append("")
                    used = 0.0
                texts[-1] += part
                for token in _TOKEN.findall(part):
                    used = self._place(lines, token, style, used, width)
        out = [_merge(line) for line in lines]
        for start, end, text in zip(starts, [*starts[1:], len(out)], texts, strict=True):
            if not self._covered.issuperset(map(ord, text)) and shaping.starts_rtl(text):
                for line in out[start:end]:
                    line.rtl = True
        return out

    def _place(
        self, lines: list[list[Run]], token: str, style: Style, used: float, width: float
    ) -> float:
        word = token.rstrip()
        word_w = self.measure(word, style)
        if used and used + word_w > width:
            lines.append([])
            used = 0.0
            if not word:
                return used
        if word_w > width:  # a word (or a run of CJK) longer than the line: break anywhere
            for ch in shaping.clusters(token):
                ch_w = self.measure(ch, style)
                if used and used + ch_w > width:
                    lines.append([])
                    used = 0.0
                lines[-1].append((ch, style))
                used += ch_w
            return used
        lines[-1].append((token, style))
        return used + self.measure(token, style)

    # --- drawing ---------------------------------------------------------------------
    def ensure(self, height: float) -> bool:
        """Start a new page unless `height` mm still fit on this one; True if it broke."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()
            return True
        return False

    def runs(
        self,
        runs: Sequence[Run],
        *,
        indent: float = 0.0,
        width: float | None = None,
        leading: float = 1.45,
        bar: tuple[int, int, int] | None = None,
    ) -> None:
        """Wrapped styled text from the current position, with an optional bar on the left."""
        pdf = self.pdf
        left = pdf.l_margin + indent
        width = width if width is not None else pdf.epw - indent
        size = max((style.size for _, style in runs), default=BODY.size)
        height = size * leading / pdf.k
        for line in self.wrap(runs, width):
            self.ensure(height)
            y = pdf.get_y()
            if bar is not None:
                pdf.set_fill_color(*bar)
                pdf.rect(left - 3.2, y, 0.9, height, style="F")
            pdf.set_xy(left, y)
            self.draw_line(line, height, width)
            pdf.set_xy(pdf.l_margin, y + height)

    def draw_line(self, line: Sequence[Run], height: float, width: float | None = None) -> None:
        """Runs side by side from the current position, vertically centred in `height`; a
        right-to-left line is aligned right within `width` with its runs in reverse order."""
        pdf = self.pdf
        rtl = isinstance(line, Line) and line.rtl
        runs = line[::-1] if rtl else line
        if rtl and width is not None:
            pdf.set_x(pdf.x + width - sum(self.measure(t, s) for t, s in line))
        covered = self._covered
        for text, style in runs:
            pdf.set_text_color(*style.color)
            if covered.issuperset(map(ord, text)):
                self._plain(shaping.spaces_mirrored(text) if rtl else text, style, height)
            elif not (rtl or shaping.reorders(text, covered)):
                self._ltr(text, style, height)
            else:
                self._bidi(text, style, height, rtl)

    def _bidi(self, text: str, style: Style, height: float, rtl: bool) -> None:
        """Text the bidirectional algorithm may reorder, run by run in drawing order (emoji
        sequences, which fpdf2 would cut apart, shaped by themselves)."""
        parts = shaping.emoji_sequences(self.fonts, text)
        for pieces, backwards in shaping.directional_runs(parts, rtl):
            for piece, joined in pieces[::-1] if backwards else pieces:
                if joined:
                    self._shaped(piece, style, height, "ltr", self.fonts.emoji)
                elif backwards:
                    self._backwards(piece, style, height)
                else:
                    self._ltr(piece, style, height)

    def _backwards(self, text: str, style: Style, height: float) -> None:
        """A right-to-left run: glyph by glyph where HarfBuzz sets each character's own glyph
        (`shaping.own_glyphs`), at HarfBuzz's positions; else shaped by fpdf2."""
        pieces = shaping.own_glyphs(self.fonts, text, self.fonts.lead(text), style.bold)
        if pieces is None:
            self._shaped(text, style, height, "rtl")
            return
        pdf, start = self.pdf, self.pdf.x
        for piece, face, units in pieces:
            pdf.set_x(start + units * style.size / 1000 / pdf.k)
            self._plain(piece, style, height, face, advance=False)
        pdf.set_x(start + self.measure(text, style))

    def _ltr(self, text: str, style: Style, height: float) -> None:
        """Left-to-right text: only the words that need it go through HarfBuzz."""
        for piece, shaped in shaping.pieces(text, self._covered):
            if not shaped:
                self._plain(piece, style, height)
            else:
                self._forwards(piece, style, height)

    def _forwards(self, text: str, style: Style, height: float) -> None:
        """Left-to-right text that needs more than the body face: emoji sequences shaped in
        the emoji face, single emoji and CJK glyph by glyph, the rest shaped in its face."""
        for part, joined in shaping.emoji_sequences(self.fonts, text):
            if joined:
                self._shaped(part, style, height, "ltr", self.fonts.emoji)
            elif (glyphs := shaping.glyph_runs(self.fonts, part)) is not None:
                for run, face in glyphs:
                    self._plain(run, style, height, face)
            else:
                self._shaped(part, style, height, "ltr")

    def _plain(
        self, text: str, style: Style, height: float, face: Face | None = None, advance: bool = True
    ) -> None:
        """Text drawn glyph by glyph with text(), which skips cell()'s fragment machinery:
        several times faster per line; in the body face, or in `face` (emoji, CJK); the
        position moves past it unless `advance` is False."""
        pdf = self.pdf
        self._set_face(face, style)
        pdf.text(pdf.x + pdf.c_margin, pdf.y + 0.5 * height + 0.3 * pdf.font_size, text)
        if advance:
            pdf.set_x(pdf.x + self.measure(text, style))

    def _shaped(
        self, text: str, style: Style, height: float, direction: str, face: Face | None = None
    ) -> None:
        """Text shaped by HarfBuzz through fpdf2 in its script face (or `face`)."""
        pdf = self.pdf
        lead = face or self.fonts.lead(text)
        units = shaping.units(self.fonts, text, lead, style.bold) if face else None
        width = self.measure(text, style) if units is None else units * style.size / 1000 / pdf.k
        if not width:  # only controls (fpdf2 reads a width of 0 as "to the right margin")
            return
        self._set_face(lead, style)
        if pdf.text_shaping:
            pdf.set_text_shaping(True, direction=direction)
        pdf.cell(width, height, text, new_x=XPos.RIGHT, new_y=YPos.TOP)

    def text(self, text: str, style: Style = BODY, **kw: object) -> None:
        self.runs([(text, style)], **kw)  # type: ignore[arg-type]

    def gap(self, mm: float) -> None:
        self.pdf.set_y(self.pdf.get_y() + mm)

    def heading(self, text: str, size: float = 13.0, keep: float = 20.0) -> None:
        """A section heading kept with `keep` mm of what follows."""
        self.ensure(size * 0.6 + 7 + keep)
        self.gap(3)
        self.text(text, Style(size=size, bold=True, color=INK))
        y = self.pdf.get_y() + 0.6
        self.pdf.set_draw_color(*LINE)
        self.pdf.set_line_width(0.3)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.l_margin + self.pdf.epw, y)
        self.gap(2.6)

    def bullets(self, items: Sequence[str], style: Style = BODY, marker: str = "•") -> None:
        """A list; the marker of a right-to-left item stands on its right, where it begins."""
        pdf = self.pdf
        height = style.size * 1.45 / pdf.k
        for item in items:
            self.ensure(height)
            y = pdf.get_y()
            rtl = shaping.starts_rtl(item)
            end = pdf.l_margin + pdf.epw - 1 - self.measure(marker, style)
            pdf.set_xy(end if rtl else pdf.l_margin + 1, y)
            self.draw_line([(marker, replace(style, color=PRIMARY))], height)
            pdf.set_xy(pdf.l_margin, y)
            if rtl:  # aligned right, short of the marker
                self.runs([(item, style)], width=pdf.epw - 5.5)
            else:
                self.runs([(item, style)], indent=5.5)
            self.gap(0.8)

    def table(
        self,
        columns: Sequence[tuple[str, float]],
        rows: Sequence[Sequence[str | Sequence[Run]]],
        style: Style = Style(size=9),
        *,
        with_header: bool = True,
        title: str | None = None,
    ) -> None:
        """A table with a repeated header; widths are shares of the page, cells wrap.

        A short table is not split across pages, a long one keeps two rows with its header,
        and the section `title` stays with the table.
        """
        pdf = self.pdf
        widths = [share * pdf.epw for _, share in columns]
        head = Style(size=style.size - 0.5, bold=True, color=TEXT_2)
        header = [[(name, head)] for name, _ in columns] if with_header else None
        body = [[[(c, style)] if isinstance(c, str) else list(c) for c in row] for row in rows]
        heights = [self._height(r, widths) for r in ([header] if header else []) + body]
        first = sum(heights) if sum(heights) <= KEEP_TOGETHER_MM else sum(heights[:3])
        if title is not None:
            self.heading(title, keep=first)
        else:
            self.ensure(first)
        if header is not None:
            self._row(header, widths, fill=SOFT)
        for cells in body:
            self._row(cells, widths, header=header)
        self.gap(2)

    def _height(self, cells: list[list[Run]], widths: list[float]) -> float:
        return self._layout_row(cells, widths)[1]

    def _layout_row(
        self, cells: list[list[Run]], widths: list[float]
    ) -> tuple[list[list[Line]], float]:
        size = max(style.size for cell in cells for _, style in cell)
        line_h = size * 1.4 / self.pdf.k
        wrapped = [self.wrap(cell, w - 2 * CELL_PAD) for cell, w in zip(cells, widths, strict=True)]
        return wrapped, max(len(lines) for lines in wrapped) * line_h + 2 * CELL_PAD

    def _row(
        self,
        cells: list[list[Run]],
        widths: list[float],
        *,
        fill: tuple[int, int, int] | None = None,
        header: list[list[Run]] | None = None,
    ) -> bool:
        pdf, pad = self.pdf, CELL_PAD
        size = max(style.size for cell in cells for _, style in cell)
        line_h = size * 1.4 / pdf.k
        wrapped, height = self._layout_row(cells, widths)
        broke = self.ensure(height)
        if broke and header is not None:
            self._row(header, widths, fill=SOFT)
        y, x = pdf.get_y(), pdf.l_margin
        if fill is not None:
            pdf.set_fill_color(*fill)
            pdf.rect(x, y, sum(widths), height, style="F")
        for lines, w in zip(wrapped, widths, strict=True):
            for index, line in enumerate(lines):
                pdf.set_xy(x + pad, y + pad + index * line_h)
                self.draw_line(line, line_h, w - 2 * pad)
            x += w
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(widths), y + height)
        pdf.set_xy(pdf.l_margin, y + height)
        return broke


def _ttf(pdf: FPDF, key: str) -> TTFFont:
    font = pdf.fonts[key]
    assert isinstance(font, TTFFont)
    return font


def _merge(line: list[Run]) -> Line:
    """Adjacent pieces of the same style become one cell; trailing spaces are dropped."""
    merged = Line()
    for text, style in line:
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    if merged:
        last_text, last_style = merged[-1]
        merged[-1] = (last_text.rstrip(), last_style)
    return merged
