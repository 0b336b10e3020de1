"""A word-level text diff as structured operations, and its compact form for reading."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from memoai.progress.schemas import DiffOp

# A word with the whitespace after it; leading whitespace is its own token.
_TOKEN = re.compile(r"\s+|\S+\s*")
Op = Literal["equal", "insert", "delete"]


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Operations that turn `old` into `new`; whitespace-only changes count as equal.

    Joining the equal and insert texts gives `new` exactly; equal and delete give `old`
    up to whitespace.
    """
    a, b = _tokens(old), _tokens(new)
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(ops, "equal", "".join(b[j1:j2]))
            continue
        if i2 > i1:
            removed = "".join(a[i1:i2])
            if ops and not ops[-1].text[-1:].isspace() and not removed[:1].isspace():
                removed = " " + removed  # keep it a separate word after text without a space
            _append(ops, "delete", removed)
        if j2 > j1:
            _append(ops, "insert", "".join(b[j1:j2]))
    return ops


def _append(ops: list[DiffOp], op: Op, text: str) -> None:
    if not text:
        return
    if ops and ops[-1].op == op:
        ops[-1] = DiffOp(op=op, text=ops[-1].text + text)
    else:
        ops.append(DiffOp(op=op, text=text))


def counts(ops: list[DiffOp]) -> tuple[int, int]:
    """Words added and words removed."""
    added = sum(len(o.text.split()) for o in ops if o.op == "insert")
    removed = sum(len(o.text.split()) for o in ops if o.op == "delete")
    return added, removed


@dataclass(frozen=True)
class Piece:
    """A run of a compact diff; `skipped` counts unchanged words left out of an "equal" run."""

    op: str
    text: str
    skipped: int = 0


def compact(ops: list[DiffOp] | list[dict[str, str]], context: int = 12) -> list[Piece]:
    """The changes with a few unchanged words around each, long unchanged runs elided.

    Shared by the web page and the PDF, which render the pieces as <ins>/<del> or colours.
    """
    items = [o if isinstance(o, DiffOp) else DiffOp.model_validate(o) for o in ops]
    pieces: list[Piece] = []
    for index, item in enumerate(items):
        if item.op != "equal":
            pieces.append(Piece(item.op, item.text))
            continue
        words = _tokens(item.text)
        keep_head = context if index > 0 else 0
        keep_tail = context if index < len(items) - 1 else 0
        if len(words) <= keep_head + keep_tail + 4:
            pieces.append(Piece("equal", item.text))
            continue
        head, tail = "".join(words[:keep_head]), "".join(words[len(words) - keep_tail :])
        if head:
            pieces.append(Piece("equal", head))
        pieces.append(Piece("skip", "…", len(words) - keep_head - keep_tail))
        if tail:
            pieces.append(Piece("equal", tail))
    return pieces
