"""The one rounding rule and the one tie-break for scores, used everywhere a score is shown.

The API, the web pages, the PDF report, the CSV/JSON history and the chat all go through
these functions, so they agree on every number and on which criterion is "strongest":

- an overall score (and a mean, a change) is rounded half-up to one decimal, from its
  decimal text, so 3.25 is 3.3 everywhere (Python's own `round` and `format` would say 3.2);
- a change between two scores is the difference of the rounded scores as shown, so
  "3.5 → 3.8" always reads "+0.3";
- among criteria with equal scores the heavier weight wins, then the rubric's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

DIGITS = 1
_STEP = Decimal(1).scaleb(-DIGITS)
NONE_TEXT = "–"


def rounded(value: float | Fraction | Decimal | None) -> float | None:
    """A score as it is shown and stored: half-up to one decimal (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(str(value))
    return float(exact.quantize(_STEP, rounding=ROUND_HALF_UP))


def text(value: float | None) -> str:
    """ "3.6" for a score, "–" for none."""
    shown = rounded(value)
    return NONE_TEXT if shown is None else f"{shown:.{DIGITS}f}"


def change(before: float | None, after: float | None) -> float | None:
    """After minus before, of the scores as shown (None unless both exist)."""
    if before is None or after is None:
        return None
    shown_before, shown_after = rounded(before), rounded(after)
    assert shown_before is not None and shown_after is not None
    return rounded(Decimal(str(shown_after)) - Decimal(str(shown_before)))


def signed(delta: float | None) -> str:
    """ "+0.3", "−0.2" (a true minus sign), "0.0", or "–" when there is no change to show."""
    shown = rounded(delta)
    if shown is None:
        return NONE_TEXT
    if shown == 0:
        return f"{0:.{DIGITS}f}"
    return f"{'+' if shown > 0 else '−'}{abs(shown):.{DIGITS}f}"


def mean(values: Iterable[float]) -> float | None:
    """The rounded mean of the values (None for none)."""
    present = [Decimal(str(v)) for v in values]
    if not present:
        return None
    return rounded(sum(present, Decimal(0)) / len(present))


def _judged(criteria: Iterable[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    return [
        (position, item)
        for position, item in enumerate(criteria)
        if item.get("assessed", True) and item.get("score") is not None
    ]


def strongest(criteria: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The criterion with the highest score; ties: the heavier weight, then rubric order."""
    judged = _judged(criteria)
    if not judged:
        return None
    return min(judged, key=lambda p: (-p[1]["score"], -float(p[1].get("weight") or 0), p[0]))[1]


def weakest(criteria: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The criterion with the most room to grow: the lowest score; ties as in `strongest`.

    None when every judged criterion has the same score (nothing stands out)."""
    judged = _judged(criteria)
    if not judged:
        return None
    low = min(judged, key=lambda p: (p[1]["score"], -float(p[1].get("weight") or 0), p[0]))[1]
    best = strongest(item for _, item in judged)
    return None if best is None or low["score"] >= best["score"] else low
