"""Kinds and severities of segment comments: read from the model's answer, repaired by a
documented rule where it left them out (see memoai.analysis.kinds and docs/api.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from memoai.analysis.kinds import (
    DEFAULT_KIND,
    DEFAULT_SEVERITY,
    CommentKind,
    KindSource,
    as_kind,
    as_severity,
    kind_for_criterion,
)
from memoai.configs.schemas import Criterion, Rubric
from memoai.llm.segments import SegmentComment


class CommentClassifier:
    """Kinds and severities a model left out or misspelt, filled by the documented rule:
    the kind of the comment's criterion (memoai.analysis.kinds), else `clarity`; `should`."""

    def __init__(self) -> None:
        self.from_criterion = self.by_default = self.severities = 0

    def classify(
        self, draft: SegmentComment, item: dict[str, Any], rubric: Rubric
    ) -> SegmentComment:
        """The draft with its kind, severity and criterion, repaired where they are missing."""
        criterion_id = item.get("criterion_id")
        criterion = rubric.criterion(criterion_id) if isinstance(criterion_id, str) else None
        kind = as_kind(item.get("kind"))
        source: KindSource = "model"
        if kind is None:
            kind, source = self._kind_of(criterion)
        severity = as_severity(item.get("severity"))
        if severity is None:
            self.severities += 1
            severity = DEFAULT_SEVERITY
        return replace(
            draft,
            kind=kind,
            severity=severity,
            kind_source=source,
            criterion_id=criterion.id if criterion else None,
        )

    def _kind_of(self, criterion: Criterion | None) -> tuple[CommentKind, KindSource]:
        if criterion is not None:
            self.from_criterion += 1
            return kind_for_criterion(criterion.id, criterion.name), "criterion"
        self.by_default += 1
        return DEFAULT_KIND, "default"

    def warnings(self) -> list[str]:
        notes = []
        if self.from_criterion:
            notes.append(
                f"{_comments(self.from_criterion)} without a valid kind: "
                "the kind of its criterion was used"
            )
        if self.by_default:
            notes.append(
                f"{_comments(self.by_default)} without a valid kind or criterion: "
                f"marked '{DEFAULT_KIND}'"
            )
        if self.severities:
            notes.append(
                f"{_comments(self.severities)} without a valid severity: "
                f"marked '{DEFAULT_SEVERITY}'"
            )
        return notes


def _comments(count: int) -> str:
    return f"{count} segment comment{'s' if count != 1 else ''}"
