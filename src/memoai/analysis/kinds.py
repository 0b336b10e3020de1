"""What a comment is about (its kind) and how much it matters (its severity).

The one vocabulary for the model's output schema, the offline analyser, the comment filters
and every view. A comment that arrives without a kind takes the kind of the rubric criterion
it belongs to (`kind_for_criterion`, documented in docs/api.md); without a severity it is
`should`, the middle of the scale, never `must`.
"""

from __future__ import annotations

from typing import Literal

CommentKind = Literal["structure", "evidence", "clarity", "tone", "ask", "risk"]
Severity = Literal["must", "should", "could"]
KindSource = Literal["model", "criterion", "default"]

KINDS: tuple[CommentKind, ...] = ("structure", "evidence", "clarity", "tone", "ask", "risk")
SEVERITIES: tuple[Severity, ...] = ("must", "should", "could")
DEFAULT_KIND: CommentKind = "clarity"
DEFAULT_SEVERITY: Severity = "should"

# Words of a criterion's id or name, and the kind they stand for, checked in this order:
# "purpose_and_ask" is an ask criterion, "audience_and_tone" a tone one, "business_case" and
# "evidence_and_data" evidence, "risks_and_mitigation" risk, "structure_and_flow" structure.
CRITERION_WORDS: tuple[tuple[CommentKind, tuple[str, ...]], ...] = (
    ("ask", ("ask", "request", "purpose", "decision", "call_to_action")),
    ("risk", ("risk", "mitigat", "complian", "safety")),
    ("evidence", ("evidence", "data", "business", "financ", "cost", "impact", "proof")),
    ("structure", ("structure", "flow", "organi", "format", "pyramid", "scqa")),
    ("tone", ("tone", "audience", "style", "voice", "register")),
    ("clarity", ("clarity", "clear", "concis", "readab", "language", "brevity")),
)


def kind_for_criterion(criterion_id: str, name: str = "") -> CommentKind:
    """The kind of comment a criterion's comments are, from its id first, then its name."""
    for text in (criterion_id.lower(), name.lower()):
        for kind, words in CRITERION_WORDS:
            if any(word in text for word in words):
                return kind
    return DEFAULT_KIND


def as_kind(value: object) -> CommentKind | None:
    """The kind a model wrote, read leniently ("Evidence " is evidence); None if it is none."""
    if isinstance(value, str):
        cleaned = value.strip().lower()
        for kind in KINDS:
            if cleaned == kind:
                return kind
    return None


def as_severity(value: object) -> Severity | None:
    """The severity a model wrote, read leniently; None if it is none of the three."""
    if isinstance(value, str):
        cleaned = value.strip().lower()
        for severity in SEVERITIES:
            if cleaned == severity:
                return severity
    return None


def stronger(first: Severity, second: Severity) -> Severity:
    """The more urgent of two severities (must before should before could)."""
    return first if SEVERITIES.index(first) <= SEVERITIES.index(second) else second
