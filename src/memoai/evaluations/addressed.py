"""Whether the comments of a memo's previous version were addressed in the new one, by a rule
a writer can check for themselves (never a model's opinion presented as fact).

The earlier passage is followed into the new text by a word-level diff: its words map to the
new words they became (equal runs one to one, a replaced run to its replacement, a deleted
run to the point where it was).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from memoai.evaluations.comment_schemas import AddressedItem, Verdict
from memoai.translations import N_

RULE = N_(  # shown in the reader's language (memoai.evaluations.comments)
    "rule: a comment of the previous version counts as addressed when its quoted passage no "
    "longer appears verbatim in the new text and the new evaluation raises no comment of the "
    "same kind on an overlapping passage (the passage's place in the new text is found by a "
    "word-level diff)"
)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class _Words:
    text: str
    spans: list[tuple[int, int]]
    words: list[str]

    @classmethod
    def of(cls, text: str) -> _Words:
        found = list(_WORD.finditer(text))
        return cls(text, [m.span() for m in found], [m.group() for m in found])

    def first_word_at_or_after(self, position: int) -> int:
        for index, (_, end) in enumerate(self.spans):
            if end > position:
                return index
        return len(self.spans)


class PassageMap:
    """Maps character spans of the old text to the span they became in the new text."""

    def __init__(self, old_text: str, new_text: str) -> None:
        self.old, self.new = _Words.of(old_text), _Words.of(new_text)
        matcher = SequenceMatcher(None, self.old.words, self.new.words, autojunk=False)
        self.opcodes = matcher.get_opcodes()

    def new_span(self, start: int, end: int) -> tuple[int, int]:
        """The new text's span for old [start, end); empty (a point) if it was deleted."""
        first = self.old.first_word_at_or_after(start)
        last = first
        while last < len(self.old.spans) and self.old.spans[last][0] < end:
            last += 1
        targets: list[int] = []
        point = None
        for tag, i1, i2, j1, j2 in self.opcodes:
            if i2 <= first or i1 >= max(last, first + 1):
                continue
            if tag == "equal":
                targets += [j1 + (i - i1) for i in range(max(i1, first), min(i2, last))]
            else:
                targets += list(range(j1, j2))
                point = j1 if point is None else point
        if targets:
            return self.new.spans[min(targets)][0], self.new.spans[max(targets)][1]
        at = point if point is not None else len(self.new.spans)
        position = self.new.spans[at][0] if at < len(self.new.spans) else len(self.new.text)
        return position, position


def _overlaps(comment: dict[str, Any], start: int, end: int) -> bool:
    """A span overlaps a comment's; a point (a deleted passage) only inside it."""
    if start == end:
        return int(comment["start"]) < start < int(comment["end"])
    return int(comment["start"]) < end and start < int(comment["end"])


def judge(
    old_text: str,
    old_comments: Sequence[dict[str, Any]],
    new_text: str,
    new_comments: Sequence[dict[str, Any]],
) -> list[AddressedItem]:
    """Every earlier comment judged by RULE (comments as annotated: index, kind, state)."""
    passages = PassageMap(old_text, new_text) if old_comments else None
    items = []
    for old in old_comments:
        segment = str(old["segment"])
        found = new_text.find(segment) if segment else -1
        if found >= 0:
            span = (found, found + len(segment))
        else:
            assert passages is not None
            span = passages.new_span(int(old["start"]), int(old["end"]))
        again = [
            int(new["index"])
            for new in new_comments
            if new["kind"] == old["kind"] and _overlaps(new, *span)
        ]
        verdict: Verdict
        if found >= 0:
            verdict = "passage_unchanged"
        elif again:
            verdict = "raised_again"
        else:
            verdict = "passage_removed" if span[0] == span[1] else "passage_changed"
        items.append(
            AddressedItem(
                index=int(old["index"]),
                segment=segment,
                comment=str(old["comment"]),
                kind=old["kind"],
                severity=old["severity"],
                addressed=verdict in ("passage_changed", "passage_removed"),
                verdict=verdict,
                new_start=span[0],
                new_end=span[1],
                raised_again_by=again,
                writer_state=old["state"],
            )
        )
    return items
