"""Splitting a memo into paragraphs, sentence-like units and words, keeping original offsets.

Offsets index the original text because segment feedback must quote the memo verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal, NamedTuple

Span = tuple[int, int]
# header: a To/From/Date/Subject line; heading: a short title line; bullet: a list item.
Kind = Literal["header", "heading", "bullet", "prose"]


def word_set(words_: str) -> frozenset[str]:
    """A set of words written as one space-separated string, for long word lists."""
    return frozenset(words_.split())


# Scripts written without spaces: every character counts as a word (and a syllable).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:['’.\-][^\W_{_CJK}]+)*")
_ASCII_WORD = re.compile(r"\w+(?:['.\-]\w+)*")  # the same tokens, faster, for ASCII text
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_HEADER = re.compile(r"[*_#>\s]*(to|from|date|subject|re|cc|bcc)[*_]*\s*:", re.IGNORECASE)
_BULLET = re.compile(r"(?:[-*•‣◦▪●–—+]|\d{1,2}[.)]|[a-zA-Z][.)]|\(\w{1,3}\))\s+")
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s+")
_TERMINATOR = re.compile(r"[.!?…]+[)\]\"'”’»]*(?=\s)|[。！？]+[」』）”]*")
_ANY_STOP = re.compile(r"[.!?…。！？]")
_CLOSERS = ")]\"'”’»"
_MAX_HEADING_WORDS = 8
_MAX_LABEL_WORDS = 4  # "Key risks:" introduces a list; longer colon lines are sentences
_MAX_HEADER_CHARS = 200
_MAX_SIGN_OFF_WORDS = 3  # "Kind regards," above a name
HEADER_NAMES = {"to": "To", "from": "From", "date": "Date", "subject": "Subject", "re": "Subject"}

# Abbreviations that are followed by a name or a figure rather than ending a sentence.
_NEVER_FINAL = word_set(
    "mr mrs ms dr prof st sr jr vs cf approx ca no nos fig figs vol pp dept est e.g i.e viz "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
# Abbreviations that may end a sentence but are mostly followed by more of it in lower case.
_GO_ON = word_set("etc al approx incl excl cf esp")
# After a dotted abbreviation (U.S., a.m.), only these words clearly start a new sentence.
_SENTENCE_STARTERS = word_set(
    "the this that these those we i our it its they their he she you a an in on at for if "
    "however but and so then there as with by to"
)


class Conventions(NamedTuple):
    """How a language writes memo headers and abbreviations: what splitting needs to know."""

    header: re.Pattern[str]  # a header line's label, e.g. "Subject:"
    header_names: dict[str, str]  # lower-cased label -> To, From, Date or Subject
    never_final: frozenset[str]  # abbreviations followed by a name or a figure
    go_on: frozenset[str]  # abbreviations that may end a sentence but mostly go on
    sentence_starters: frozenset[str]  # after a dotted abbreviation, these start a sentence


ENGLISH = Conventions(_HEADER, HEADER_NAMES, _NEVER_FINAL, _GO_ON, _SENTENCE_STARTERS)


class Unit(NamedTuple):
    """A sentence, list item, heading or header line, as a span of the original text."""

    start: int
    end: int
    kind: Kind
    paragraph: int  # index of the blank-line-separated paragraph it belongs to


class _Line(NamedTuple):
    start: int
    end: int
    indented: bool


def words(text: str) -> list[str]:
    """Word tokens; figures like 1.5 and abbreviations like U.S. count as one word."""
    return (_ASCII_WORD if text.isascii() else _WORD).findall(text)


def split_sentences(text: str, conventions: Conventions = ENGLISH) -> list[Span]:
    """Sentence spans (original offsets) with list items, headings and headers as their own."""
    return [(unit.start, unit.end) for unit in split_units(text, conventions)]


def split_units(text: str, conventions: Conventions = ENGLISH) -> list[Unit]:
    """Every sentence-like unit of the text, in order, with its kind and paragraph."""
    lines = _lines(text)
    units: list[Unit] = []
    paragraph = 0
    block: list[int] = []  # start, end of the block being built
    block_kind: Kind = "prose"
    for i, line in enumerate(lines):
        if line.start == line.end:
            _flush(text, block, block_kind, paragraph, units, conventions)
            block = []
            if i and lines[i - 1].start != lines[i - 1].end:
                paragraph += 1
            continue
        following = lines[i + 1] if i + 1 < len(lines) else None
        kind, content = _classify(text, line, following, conventions.header)
        if block and kind == "prose" and _continues(block_kind, line):
            block[1] = line.end
        else:
            _flush(text, block, block_kind, paragraph, units, conventions)
            block, block_kind = [content, line.end], kind
        if kind in ("header", "heading") or text[line.end - 1] == ":":
            _flush(text, block, block_kind, paragraph, units, conventions)
            block = []
    _flush(text, block, block_kind, paragraph, units, conventions)
    return units


def _continues(block_kind: Kind, line: _Line) -> bool:
    """Wrapped prose joins its block; an indented line continues a list item."""
    return block_kind == "prose" or (block_kind == "bullet" and line.indented)


def _lines(text: str) -> list[_Line]:
    """Each line's content span without surrounding whitespace (empty span for blank lines)."""
    lines: list[_Line] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        stripped = raw.lstrip()
        start = pos + len(raw) - len(stripped)
        end = start + len(stripped.rstrip())
        lines.append(_Line(start, end, start > pos))
        pos += len(raw)
    return lines


def _classify(
    text: str, line: _Line, following: _Line | None, header_label: re.Pattern[str] = _HEADER
) -> tuple[Kind, int]:
    """The kind of a line and where its content starts (after a bullet or heading marker)."""
    content = text[line.start : line.end]
    header = header_label.match(content)
    if header and len(content) <= _MAX_HEADER_CHARS:
        return "header", line.start
    marker = _MARKDOWN_HEADING.match(content)
    if marker:
        return "heading", line.start + marker.end()
    bullet = _BULLET.match(content)
    if bullet and bullet.end() < len(content):
        return "bullet", line.start + bullet.end()
    if _is_heading(text, content, following):
        return "heading", line.start
    return "prose", line.start


def _is_heading(text: str, content: str, following: _Line | None) -> bool:
    """A short line without final punctuation, not continued in lower case on the next line."""
    last = content[-1]
    if last in ".!?;\"'”’»" or content[0].islower():
        return False  # a title does not end like a sentence or start in lower case
    count = len(words(content))
    if last == ":":
        return count <= _MAX_LABEL_WORDS
    limit = _MAX_SIGN_OFF_WORDS if last == "," else _MAX_HEADING_WORDS
    return count <= limit and not _continued_in_lower_case(text, following)


def _continued_in_lower_case(text: str, following: _Line | None) -> bool:
    """Whether the next line goes on with the same sentence (a wrapped line)."""
    if following is None or following.start == following.end:
        return False
    return text[following.start].islower()


def _flush(
    text: str,
    block: list[int],
    kind: Kind,
    paragraph: int,
    units: list[Unit],
    conventions: Conventions = ENGLISH,
) -> None:
    """Turn a finished block into units: prose and list items split into sentences."""
    if not block:
        return
    start, end = block
    if kind in ("header", "heading"):
        units.append(Unit(start, end, kind, paragraph))
        return
    spans = _split_block(text, start, end, conventions)
    units.extend(Unit(a, b, kind, paragraph) for a, b in spans)


def _split_block(text: str, start: int, end: int, conventions: Conventions = ENGLISH) -> list[Span]:
    """Split a prose block at sentence ends, skipping abbreviations and decimals."""
    spans: list[Span] = []
    pos = start
    if not _ANY_STOP.search(text, start, end) and "\n" in text[start:end]:
        return _split_lines(text, start, end)  # unpunctuated: each line is a sentence
    for match in _TERMINATOR.finditer(text, start, end):
        if _ends_sentence(text, match, end, conventions):
            spans.append(_trim(text, pos, match.end()))
            pos = match.end()
    if pos < end:
        spans.append(_trim(text, pos, end))
    return [span for span in spans if span[0] < span[1]]


def _split_lines(text: str, start: int, end: int) -> list[Span]:
    spans, pos = [], start
    while pos < end:
        stop = text.find("\n", pos, end)
        stop = end if stop < 0 else stop
        spans.append(_trim(text, pos, stop))
        pos = stop + 1
    return [span for span in spans if span[0] < span[1]]


def _ends_sentence(
    text: str, match: re.Match[str], end: int, conventions: Conventions = ENGLISH
) -> bool:
    """Whether this terminator ends a sentence rather than an abbreviation."""
    nxt = match.end()
    while nxt < end and text[nxt].isspace():
        nxt += 1
    if nxt >= end:
        return True
    if match.group()[0] in "。！？":
        return not text[nxt].islower()  # a quoted question inside an English sentence
    if match.group().rstrip(_CLOSERS) != ".":
        return True
    token = _token_before(text, match.start())
    if token in conventions.never_final or (len(token) == 1 and token.isalpha()):
        return False
    if "." in token:
        if text[nxt].islower():
            return False
        following = _WORD.match(text, nxt)
        return following is not None and following.group().lower() in conventions.sentence_starters
    # A full stop after a whole word ends the sentence even when the next one starts in lower
    # case (memos typed without capitals), except after words that mostly go on ("etc.").
    return not (text[nxt].islower() and token in conventions.go_on)


def _token_before(text: str, pos: int) -> str:
    """The lower-cased word just before a full stop, without opening brackets or quotes."""
    start = pos
    while start > 0 and not text[start - 1].isspace() and pos - start < 20:
        start -= 1
    return text[start:pos].lstrip("([\"'“‘¿¡«").lower()


def _trim(text: str, start: int, end: int) -> Span:
    """Shrink a span to exclude surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- syllables ----------------------------------------------------------------------------

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
# Vowel pairs said as two syllables (media, medium, actual, ratio), but not in -tion, -cial, qua-.
_SPLIT_VOWELS = re.compile(r"(?<![cgstx])ia|(?<![cgsx])io(?![nu])|(?<![gq])ua|iu")
_VOWEL_ING = re.compile(r"[aeiouy]ing$")  # going, being, saying
_SILENT_ES = ("ses", "zes", "ces", "ges", "shes", "ches", "xes")


@lru_cache(maxsize=8192)
def syllables(word: str) -> int:
    """Estimated syllables of one word, for the Flesch readability formulas."""
    if _CJK_CHAR.match(word):
        return 1
    plain = unicodedata.normalize("NFKD", word.lower())
    latin = "".join(c for c in plain if "a" <= c <= "z")
    if not latin:
        return 1 if any(c.isdigit() for c in word) else max(1, len(word) // 3)
    possessive = plain.endswith(("'s", "’s"))
    return _latin_syllables(latin.removesuffix("s") if possessive else latin)


def _latin_syllables(word: str) -> int:
    """Vowel groups, less the silent endings English spells but does not say."""
    if len(word) <= 3:
        return 1
    silent = (
        (word.endswith("e") and not word.endswith(("le", "ee", "ie", "ye")))
        or (word.endswith("es") and not word.endswith(_SILENT_ES))
        or (word.endswith("ed") and not word.endswith(("ted", "ded")))
    )
    split = len(_SPLIT_VOWELS.findall(word)) + word.endswith("ea") + bool(_VOWEL_ING.search(word))
    return max(1, len(_VOWEL_GROUPS.findall(word)) - silent + split)
