"""Finding a model's quotation in the memo, so feedback is tied to text that really exists."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from memoai.analysis.kinds import (
    DEFAULT_KIND,
    DEFAULT_SEVERITY,
    CommentKind,
    KindSource,
    Severity,
    stronger,
)

# Quotes shorter than this (after normalising) match too much text to be meaningful.
MIN_QUOTE_CHARS = 3
# How far apart, in normalised characters, the parts of a "first ... last" quote may be.
MAX_ELISION_GAP = 600

_QUOTES = "'\"‘’‚‛“”„‟″′`´«»‹›"
_DASHES = "‐‑‒–—―−﹘﹣－"
_SPACES = "\u00a0\u2007\u202f"
# One-for-one replacements, applied with str.replace (much faster than str.translate).
_SAME_LENGTH = (
    [(c, "'") for c in _QUOTES[1:]] + [(c, "-") for c in _DASHES] + [(c, " ") for c in _SPACES]
)
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_GAP = rf"[\s{_INVISIBLE}]"
# Pieces whose normalised form may differ from the original (after _SAME_LENGTH): a run of
# dashes and spaces becomes one "-", other whitespace runs one space, invisible characters
# nothing, and "..." one "…" (so a match can never end inside an ellipsis). The lookahead
# lets the regex skip ordinary characters quickly.
_DASH_RUN = rf"{_GAP}*-[-\s{_INVISIBLE}]*"
_TOKEN = re.compile(
    rf"(?=[-\s.{_INVISIBLE}])(?:{_DASH_RUN}|{_GAP}{{2,}}|[^\S ]|[{_INVISIBLE}]|\.\.\.)"
)
_EDGE_CHARS = _QUOTES + ".… \t\n\r\u00a0"
_EDGE_MARKS = re.compile(r"^(?:'|…|\s)+|(?:'|…|\s)+$")
_ELISION = re.compile(r"\s*…+\s*")


@dataclass(frozen=True)
class _Normalised:
    """A normalised text that can map any of its spans back to the original text.

    Only the replaced pieces are recorded (sorted by position), so building the map costs
    little more than one regex scan; characters between them map by a constant shift.
    """

    text: str
    lower: str
    anchors: list[int]  # normalised position of each replaced piece
    spans: list[tuple[int, int]]  # the original text the piece stands for
    sizes: list[int]  # its normalised length (0 or 1)
    shifts: list[int]  # original minus normalised position for the characters after it

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The exact original text that normalised [start, end) was built from."""
        return self._origin(start)[0], self._origin(end - 1)[1]

    def _origin(self, index: int) -> tuple[int, int]:
        piece = bisect_right(self.anchors, index) - 1
        if piece < 0:
            return index, index + 1
        if index < self.anchors[piece] + self.sizes[piece]:
            return self.spans[piece]
        shifted = index + self.shifts[piece]
        return shifted, shifted + 1


def _replacement(piece: str, start: int, end: int) -> tuple[str, tuple[int, int]]:
    """The normalised form of a _TOKEN match, and the original text it stands for."""
    if piece == "...":
        return "…", (start, end)
    if "-" in piece:
        return "-", (start + piece.index("-"), start + piece.rindex("-") + 1)
    return (" " if piece.strip(_INVISIBLE) else ""), (start, end)


def _build(text: str) -> _Normalised:
    """Normalise `text`, recording where each replaced piece came from."""
    for char, same_length in _SAME_LENGTH:
        if char in text:
            text = text.replace(char, same_length)
    parts: list[str] = []
    anchors: list[int] = []
    spans: list[tuple[int, int]] = []
    sizes: list[int] = []
    shifts: list[int] = []
    position = length = 0
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        replacement, span = _replacement(match.group(), start, end)
        length += start - position
        parts += (text[position:start], replacement)
        anchors.append(length)
        spans.append(span)
        sizes.append(len(replacement))
        length += len(replacement)
        shifts.append(end - length)
        position = end
    parts.append(text[position:])
    normalised = "".join(parts)
    return _Normalised(normalised, _lower_same_length(normalised), anchors, spans, sizes, shifts)


def _lower_same_length(text: str) -> str:
    """Lower-case without changing length, so the offset map stays valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@lru_cache(maxsize=16)
def _normalised_memo(memo: str) -> _Normalised:
    """Built once per memo, since every quote of an evaluation searches the same memo."""
    return _build(memo)


def normalise(text: str) -> str:
    """The form quotes and memo text are compared in (whitespace, quotes, dashes, ellipses)."""
    return _build(text).text.strip()


def locate_segment(memo: str, quote: str) -> tuple[int, int] | None:
    """Return (start, end) offsets in `memo` of the text `quote` stands for, or None."""
    stripped = quote.strip()
    exact = memo.find(stripped)
    if exact >= 0 and len(stripped.strip(_EDGE_CHARS)) >= MIN_QUOTE_CHARS:
        return exact, exact + len(stripped)
    full = normalise(quote)
    core = _EDGE_MARKS.sub("", full)
    if len(core) < MIN_QUOTE_CHARS:
        return None
    target = _normalised_memo(memo)
    for haystack, fold in ((target.text, False), (target.lower, True)):
        for needle in dict.fromkeys((full, core)):
            needle = _lower_same_length(needle) if fold else needle
            found = haystack.find(needle)
            if found >= 0:
                return target.original_span(found, found + len(needle))
    return _locate_elided(target, core)


def _locate_elided(target: _Normalised, core: str) -> tuple[int, int] | None:
    """Match a quote shortened with "..." by finding its parts in order, close together."""
    parts = [part for part in _ELISION.split(core) if part]
    if len(parts) < 2 or min(len(parts[0]), len(parts[-1])) < MIN_QUOTE_CHARS:
        return None
    for haystack, fold in ((target.text, False), (target.lower, True)):
        needles = [_lower_same_length(p) for p in parts] if fold else parts
        span = _find_in_order(haystack, needles)
        if span:
            return target.original_span(*span)
    return None


def _find_in_order(haystack: str, parts: list[str]) -> tuple[int, int] | None:
    """First normalised span holding every part in order, each within MAX_ELISION_GAP."""
    first = haystack.find(parts[0])
    while first >= 0:
        end = first + len(parts[0])
        for part in parts[1:]:
            found = haystack.find(part, end, end + MAX_ELISION_GAP + len(part))
            if found < 0:
                break
            end = found + len(part)
        else:
            return first, end
        first = haystack.find(parts[0], first + 1)
    return None


@dataclass(frozen=True)
class SegmentComment:
    """A comment on one passage; `segment` is the memo's own text at [start, end).

    `kind_source` says where the kind came from: the model (or the offline rules), the
    criterion the comment names, or the default (stored before comments had kinds)."""

    segment: str
    start: int
    end: int
    comment: str
    questions: list[str] = field(default_factory=list)
    suggestion: str = ""
    kind: CommentKind = DEFAULT_KIND
    severity: Severity = DEFAULT_SEVERITY
    kind_source: KindSource = "default"
    criterion_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentComment:
        return cls(**data)


@dataclass(frozen=True)
class Placement:
    comments: list[SegmentComment]
    dropped: int
    warnings: list[str]


def place_comments(memo: str, drafts: list[SegmentComment]) -> Placement:
    """Tie drafts (their `segment` is the model's quote) to memo offsets; drop what isn't there."""
    placed: dict[tuple[int, int], SegmentComment] = {}
    warnings: list[str] = []
    for draft in drafts:
        span = locate_segment(memo, draft.segment)
        if span is None:
            warnings.append(f"dropped a comment whose quote is not in the memo: {_excerpt(draft)}")
            continue
        located = replace(draft, segment=memo[span[0] : span[1]], start=span[0], end=span[1])
        earlier = placed.get(span)
        placed[span] = _merge(earlier, located) if earlier else located
    comments = sorted(placed.values(), key=lambda c: (c.start, c.end))
    return Placement(comments, len(warnings), warnings)


def _merge(first: SegmentComment, second: SegmentComment) -> SegmentComment:
    """One comment for two on the same passage, keeping everything either said (the first
    one's kind, the more urgent severity)."""
    return replace(
        first,
        severity=stronger(first.severity, second.severity),
        comment=_join(first.comment, second.comment),
        questions=list(dict.fromkeys([*first.questions, *second.questions])),
        suggestion=_join(first.suggestion, second.suggestion),
    )


def _join(first: str, second: str) -> str:
    return first if not second or second in first else f"{first}\n{second}".strip()


def _excerpt(draft: SegmentComment, limit: int = 80) -> str:
    quote = " ".join(draft.segment.split())
    return f'"{quote[:limit]}…"' if len(quote) > limit else f'"{quote}"'
