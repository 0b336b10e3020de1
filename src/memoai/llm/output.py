"""The contract between any model's answer and the evaluation we store.

The schema tells the model what to write; parsing and validation turn its answer into a
`ValidatedEvaluation` or into every problem at once, for the log and the repair prompt.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import pydantic_core

from memoai import scores as score_rule
from memoai.analysis.kinds import KINDS, SEVERITIES
from memoai.configs.schemas import Criterion, Rubric
from memoai.llm.classify import CommentClassifier
from memoai.llm.segments import SegmentComment, place_comments

LIST_KEYS = ("strengths", "opportunities")
STREAMED_KEYS = ("strengths", "opportunities", "rubric_scores")
MAX_STATEMENTS = 8
MAX_SEGMENTS = 20
MAX_QUESTIONS = 4
# maxLength per string field, for small local models that otherwise never stop.
TEXT_LIMITS = dict(
    statement=400, justification=800, segment=600, comment=600, question=300, suggestion=600
)


class OutputInvalid(Exception):
    """A model answer we cannot store, with every reason, for the log and the repair prompt."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: str
    name: str
    weight: float
    score: int | None
    justification: str
    assessed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CriterionScore:
        return cls(**data)


@dataclass(frozen=True)
class ValidatedEvaluation:
    strengths: list[str]
    opportunities: list[str]
    rubric_scores: list[CriterionScore]
    segment_feedback: list[SegmentComment]
    overall_score: float | None
    dropped_segments: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidatedEvaluation:
        nested = {
            "rubric_scores": [CriterionScore.from_dict(s) for s in data["rubric_scores"]],
            "segment_feedback": [SegmentComment.from_dict(s) for s in data["segment_feedback"]],
        }
        return cls(**(data | nested))


# --- schema -------------------------------------------------------------------------------


def evaluation_schema(rubric: Rubric, *, bounded: bool = True) -> dict[str, Any]:
    """JSON Schema every provider can enforce; `bounded` adds the size limits small models need."""

    def text(limit_key: str, description: str = "") -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if description:
            schema["description"] = description
        if bounded:
            schema["maxLength"] = TEXT_LIMITS[limit_key]
        return schema

    def array(items: dict[str, Any], low: int, high: int) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": items}
        if bounded:
            schema |= {"minItems": low, "maxItems": high}
        return schema

    scale = rubric.scale
    n_criteria = len(rubric.criteria)
    score_item = _closed_object(
        criterion_id={"type": "string", "enum": [c.id for c in rubric.criteria]},
        score={
            "type": "integer",
            "minimum": scale.min,
            "maximum": scale.max,
            # Grammar-constrained servers (llama.cpp) enforce enums but not integer ranges.
            "enum": list(range(scale.min, scale.max + 1)),
            "description": f"Whole number from {scale.min} to {scale.max}.",
        },
        justification=text("justification"),
    )
    segment_item = _closed_object(
        segment=text("segment", "Exact quotation copied from the memo."),
        criterion_id={
            "type": "string",
            "enum": [c.id for c in rubric.criteria],
            "description": "The rubric criterion this comment is about.",
        },
        kind={"type": "string", "enum": list(KINDS), "description": "What the comment is about."},
        severity={
            "type": "string",
            "enum": list(SEVERITIES),
            "description": "must: fix before sending; should: clearly better; could: polish.",
        },
        comment=text("comment"),
        questions=array(text("question"), 0, MAX_QUESTIONS),
        suggestion=text("suggestion"),
    )
    return _closed_object(
        strengths=array(text("statement"), 1, MAX_STATEMENTS),
        opportunities=array(text("statement"), 1, MAX_STATEMENTS),
        rubric_scores=array(score_item, n_criteria, n_criteria),
        segment_feedback=array(segment_item, 0, MAX_SEGMENTS),
    )


def _closed_object(**properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these properties, all required, in this order."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


# --- parsing ------------------------------------------------------------------------------

_THINKING = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_MAX_BRACE_TRIES = 50


def parse_json_text(text: str) -> dict[str, Any]:
    """Extract the one JSON object in a model's text, ignoring fences, prose and thinking."""
    cleaned = _THINKING.sub("", text).strip().lstrip("\ufeff")
    if not cleaned:
        raise OutputInvalid(["the answer is empty"])
    error = ""
    for candidate in (cleaned, *_FENCE.findall(cleaned)):
        try:
            value = json.loads(candidate, strict=False)  # literal newlines in strings: fine
        except json.JSONDecodeError as exc:
            error = error or f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            continue
        if isinstance(value, dict):
            return value
    found = _first_embedded_object(cleaned)
    if found is not None:
        return found
    detail = f" ({error})" if error and "{" in cleaned else ""
    raise OutputInvalid([f"the answer does not contain a valid JSON object{detail}"])


def _first_embedded_object(text: str) -> dict[str, Any] | None:
    """The first JSON object that decodes starting at one of the text's opening braces."""
    decoder = json.JSONDecoder(strict=False)
    start = text.find("{")
    for _ in range(_MAX_BRACE_TRIES):
        if start < 0:
            return None
        try:
            value, _end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def parse_partial(text: str) -> dict[str, Any]:
    """Parse an unfinished JSON stream as far as it goes; {} until there is something."""
    start = text.find("{")
    if start < 0:
        return {}
    try:
        value = pydantic_core.from_json(text[start:], allow_partial="trailing-strings")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def completed_items(partial: dict[str, Any]) -> dict[str, list[Any]]:
    """Items of a partial answer that can no longer change, in order, for live progress."""
    keys = list(partial)
    result: dict[str, list[Any]] = {}
    for key in STREAMED_KEYS:
        value = partial.get(key)
        if not isinstance(value, list):
            result[key] = []
            continue
        finished = keys.index(key) < len(keys) - 1
        items = value if finished else value[:-1]
        if key == "rubric_scores":
            result[key] = [item for item in items if _is_score_item(item)]
        else:  # stripped and without blanks, as validate_output will store them
            result[key] = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    return result


def _is_score_item(item: Any) -> bool:
    return isinstance(item, dict) and {"criterion_id", "score", "justification"} <= set(item)


# --- validation ---------------------------------------------------------------------------


def overall_score(scores: list[CriterionScore], rubric: Rubric) -> float | None:
    """Weighted mean over the assessed criteria, rubric weights renormalised, rounded by the
    one rule every view shows (memoai.scores: exact fractions, half-up to one decimal, so
    3.25 is 3.3 as a reader would expect)."""
    weights = {c.id: Fraction(c.weight) for c in rubric.criteria}
    judged = [
        (weights[s.criterion_id], s.score)
        for s in scores
        if s.assessed and s.score is not None and s.criterion_id in weights
    ]
    total = sum(w for w, _ in judged)
    if not judged or total <= 0:
        return None
    mean = sum(w * score for w, score in judged) / total
    return score_rule.rounded(mean)


def validate_output(
    data: dict[str, Any], rubric: Rubric, memo: str, *, allow_unassessed: bool = False
) -> ValidatedEvaluation:
    """Check a parsed answer against the rubric and the memo; raise every problem at once."""
    if not isinstance(data, dict):
        raise OutputInvalid(["the answer must be a JSON object"])
    problems: list[str] = []
    warnings = [f"ignored unexpected field '{key}'" for key in data if key not in _KNOWN_KEYS]
    statements = {key: _statements(data, key, problems, warnings) for key in LIST_KEYS}
    scores = _rubric_scores(data.get("rubric_scores"), rubric, allow_unassessed, problems)
    drafts = _segment_drafts(data.get("segment_feedback"), rubric, problems, warnings)
    if problems:
        raise OutputInvalid(problems)
    placement = place_comments(memo, drafts)
    return ValidatedEvaluation(
        strengths=statements["strengths"],
        opportunities=statements["opportunities"],
        rubric_scores=scores,
        segment_feedback=placement.comments,
        overall_score=overall_score(scores, rubric),
        dropped_segments=placement.dropped,
        warnings=warnings + placement.warnings,
    )


_KNOWN_KEYS = frozenset((*LIST_KEYS, "rubric_scores", "segment_feedback"))


def _string_list(value: Any, where: str, problems: list[str]) -> list[str]:
    """The non-empty, stripped strings of a list; a problem for anything else."""
    if not isinstance(value, list):
        problems.append(f"{where} must be a list of strings")
        return []
    result = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(f"{where}[{index}] must be a string, not {_kind(item)}")
        elif item.strip():
            result.append(item.strip())
    return result


def _statements(
    data: dict[str, Any], key: str, problems: list[str], warnings: list[str]
) -> list[str]:
    """Strengths or opportunities: 1 to MAX_STATEMENTS short statements."""
    if key not in data:
        problems.append(f"{key} is missing")
        return []
    before = len(problems)
    items = _string_list(data[key], key, problems)
    if not items and len(problems) == before:
        problems.append(f"{key} must contain at least one statement")
    if len(items) > MAX_STATEMENTS:
        warnings.append(f"kept the first {MAX_STATEMENTS} of {len(items)} {key}")
    return items[:MAX_STATEMENTS]


def _text(item: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    """A stripped string field of an object; a problem when it has another type."""
    value = item.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{key} of {where} must be a string, not {_kind(value)}")
        return ""
    return value.strip()


_JSON_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}


def _kind(value: Any) -> str:
    """What a JSON value is, in words a reader of the problem list knows."""
    if value is None:
        return "null"
    return _JSON_KINDS.get(type(value), "a number")


def _rubric_scores(
    value: Any, rubric: Rubric, allow_unassessed: bool, problems: list[str]
) -> list[CriterionScore]:
    """One score per rubric criterion, in the rubric's order, named and weighted from it."""
    if not isinstance(value, list):
        problems.append(f"rubric_scores {'is missing' if value is None else 'must be a list'}")
        return []
    found: dict[str, CriterionScore] = {}
    for index, item in enumerate(value):
        where = f"rubric_scores[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object, not {_kind(item)}")
            continue
        criterion_id = item.get("criterion_id")
        criterion = rubric.criterion(criterion_id) if isinstance(criterion_id, str) else None
        if criterion is None:
            known = ", ".join(c.id for c in rubric.criteria)
            problems.append(f"{where} has unknown criterion {criterion_id!r} (expected: {known})")
        elif criterion.id in found:
            problems.append(f"criterion '{criterion.id}' is scored more than once")
        else:
            found[criterion.id] = _criterion_score(
                item, criterion, rubric, allow_unassessed, problems
            )
    problems.extend(f"criterion '{c.id}' is missing" for c in rubric.criteria if c.id not in found)
    return [found[c.id] for c in rubric.criteria if c.id in found]


def _criterion_score(
    item: dict[str, Any],
    criterion: Criterion,
    rubric: Rubric,
    allow_unassessed: bool,
    problems: list[str],
) -> CriterionScore:
    """A score and its justification; unassessed only where the caller allows it."""
    justification = _text(item, "justification", f"'{criterion.id}'", problems)
    assessed = item.get("assessed", True)
    if not isinstance(assessed, bool):
        problems.append(f"assessed for '{criterion.id}' must be true or false")
        assessed = True
    if not assessed and not allow_unassessed:
        problems.append(f"criterion '{criterion.id}' must be scored, not marked unassessed")
    score = _score(item.get("score"), criterion.id, rubric, problems) if assessed else None
    if not justification:
        problems.append(f"justification for '{criterion.id}' is missing")
    return CriterionScore(
        criterion.id, criterion.name, criterion.weight, score, justification, assessed
    )


def _score(value: Any, criterion_id: str, rubric: Rubric, problems: list[str]) -> int | None:
    """An integer on the rubric's scale; 4.0 and "4" are read as 4, 4.5 is refused."""
    if value is None:
        problems.append(f"score for '{criterion_id}' is missing")
        return None
    number = _whole_number(value)
    low, high = rubric.scale.min, rubric.scale.max
    if number is None:
        problems.append(f"score {value!r} for '{criterion_id}' is not a whole number")
    elif not low <= number <= high:
        problems.append(f"score {number} for '{criterion_id}' is outside {low}–{high}")
        return None
    return number


def _whole_number(value: Any) -> int | None:
    """The integer a JSON value stands for, if it is one; never a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _segment_drafts(
    value: Any, rubric: Rubric, problems: list[str], warnings: list[str]
) -> list[SegmentComment]:
    """Well-formed segment comments, not yet located (start = end = -1)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("segment_feedback must be a list")
        return []
    if len(value) > MAX_SEGMENTS:
        warnings.append(f"kept the first {MAX_SEGMENTS} of {len(value)} segment comments")
    drafts = []
    repaired = CommentClassifier()
    for index, item in enumerate(value[:MAX_SEGMENTS]):
        where = f"segment_feedback[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object, not {_kind(item)}")
            continue
        quote, comment, suggestion = (
            _text(item, key, where, problems) for key in ("segment", "comment", "suggestion")
        )
        questions = _string_list(item.get("questions") or [], f"questions of {where}", problems)
        if comment or questions or suggestion:
            draft = SegmentComment(quote, -1, -1, comment, questions, suggestion)
            drafts.append(repaired.classify(draft, item, rubric))
        else:
            warnings.append(f"ignored {where}: it has no comment, question or suggestion")
    warnings.extend(repaired.warnings())
    return drafts
