"""The API's view of an evaluation's comments: kind, severity, the writer's state, counts, and
the report on the previous version's comments."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from memoai.analysis.kinds import CommentKind, KindSource, Severity
from memoai.translations import N_, gettext

WriterState = Literal["open", "done", "dismissed"]
Verdict = Literal["passage_changed", "passage_removed", "passage_unchanged", "raised_again"]

# The API's words for a comment's kind, severity and the writer's state, as a reader sees them
# on the page and in the PDF.
COMMENT_WORDS = {
    "structure": N_("structure"),
    "evidence": N_("evidence"),
    "clarity": N_("clarity"),
    "tone": N_("tone"),
    "ask": N_("ask"),
    "risk": N_("risk"),
    "must": N_("must"),
    "should": N_("should"),
    "could": N_("could"),
    "open": N_("open"),
    "done": N_("done"),
    "dismissed": N_("dismissed"),
}


def comment_word(value: object) -> str:
    """A comment's kind, severity or state in the reader's language; anything else as it came."""
    text = str(value)
    return gettext(COMMENT_WORDS[text]) if text in COMMENT_WORDS else text


class CommentStateChange(BaseModel):
    """What the writer did with one comment."""

    model_config = ConfigDict(extra="forbid")

    state: WriterState = Field(
        description="done (acted on it), dismissed (chose not to), or open (undo either)"
    )


class CommentOut(BaseModel):
    index: int = Field(description="Position in the evaluation's segment_feedback, from 0")
    segment: str = Field(description="The memo's own text at [start, end)")
    start: int
    end: int
    comment: str
    questions: list[str]
    suggestion: str
    kind: CommentKind
    severity: Severity
    kind_source: KindSource = Field(
        description="model: given with the comment; criterion: taken from its criterion; "
        "default: neither was given"
    )
    criterion_id: str | None
    state: WriterState


class CommentCounts(BaseModel):
    """The writer's progress through one evaluation's comments."""

    total: int
    done: int
    dismissed: int
    open: int
    addressed: int = Field(description="done + dismissed: comments the writer has dealt with")
    text: str = Field(description='For people: "8 of 11 comments addressed (6 done, 2 dismissed)"')
    by_kind: dict[str, int]
    by_severity: dict[str, int]


class AddressedItem(BaseModel):
    """One comment of the previous version, judged by the stated rule (RevisionReport)."""

    index: int = Field(description="The comment's index in the previous evaluation")
    segment: str
    comment: str
    kind: CommentKind
    severity: Severity
    addressed: bool = Field(description="The rule's verdict, never the writer's own mark")
    verdict: Verdict = Field(
        description="passage_unchanged: still in the new text verbatim; raised_again: changed, "
        "but this evaluation comments on the same kind at the same place; passage_changed or "
        "passage_removed: addressed"
    )
    new_start: int | None = Field(description="Where the passage is now in the new text")
    new_end: int | None
    raised_again_by: list[int] = Field(description="Indexes of this evaluation's comments")
    writer_state: WriterState = Field(
        description="What the writer marked it in the previous evaluation, shown apart"
    )


class RevisionReport(BaseModel):
    """Which comments of the version this one revises were addressed, by a stated rule."""

    previous_evaluation_id: uuid.UUID
    addressed_by: str = Field(description="The rule, in words")
    addressed: int
    total: int
    marked_done: int = Field(description="Comments the writer marked done (their word, apart)")
    text: str
    items: list[AddressedItem]


class CommentFilters(BaseModel):
    kind: list[CommentKind]
    severity: list[Severity]
    state: list[WriterState]


class CommentsOut(BaseModel):
    """An evaluation's comments, filtered; counts and report always cover all of them."""

    evaluation_id: uuid.UUID
    items: list[CommentOut]
    matching: int = Field(description="How many comments the filters kept")
    filters: CommentFilters
    counts: CommentCounts
    revision_report: RevisionReport | None


class CommentStateOut(BaseModel):
    comment: CommentOut
    counts: CommentCounts
