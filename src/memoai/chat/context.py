"""What the model is given for a chat turn: the system context, then as much history as fits.

Pure functions, so the trimming rules are easy to read and to test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from memoai.chat.models import ChatMessage, MessageStatus, Role
from memoai.chat.service import estimate_tokens
from memoai.llm.base import ChatMessage as Turn

DEFAULT_CONTEXT_WINDOW = 8192  # a model the configuration does not list: assume a small one
# The evaluation's fields the model needs; ids and the memo itself (sent apart) are left out.
EVALUATION_FIELDS = (
    "title",
    "status",
    "overall_score",
    "scale",
    "strengths",
    "opportunities",
    "rubric_scores",
    "segment_feedback",
    "metrics",
    "warnings",
)


@dataclass(frozen=True)
class Prompt:
    """A chat request ready for the provider, and what was left out to make it fit."""

    system: str
    turns: list[Turn]
    info: dict[str, Any] = field(default_factory=dict)


def evaluation_facts(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The evaluation as the model sees it, labelled with who produced it."""
    facts = {key: evaluation.get(key) for key in EVALUATION_FIELDS}
    facts["assessed_by"] = (evaluation.get("provenance") or {}).get("label")
    return facts


def to_turns(history: Sequence[ChatMessage], upto: uuid.UUID) -> list[Turn]:
    """The conversation up to the question being answered, as alternating turns.

    Failed replies are left out, so the questions around them merge into one user turn;
    a question sent twice in a row (a retry) is kept once.
    """
    turns: list[Turn] = []
    for message in history:
        usable = message.status != MessageStatus.FAILED and message.content.strip()
        if usable:
            turns = _append(turns, Turn(message.role, message.content))
        if message.id == upto:
            break
    while turns and turns[0].role != Role.USER:
        turns.pop(0)
    return turns


def _append(turns: list[Turn], turn: Turn) -> list[Turn]:
    if not turns or turns[-1].role != turn.role:
        return [*turns, turn]
    last = turns[-1]
    if turn.role == Role.USER and last.content.endswith(turn.content):
        return turns
    return [*turns[:-1], Turn(turn.role, f"{last.content}\n\n{turn.content}")]


def fit(
    render: Callable[[list[str]], str],
    earlier: list[str],
    turns: list[Turn],
    window: int,
    reserve: int,
) -> Prompt:
    """Keep the system context and the newest turns that fit `window` minus the reply's `reserve`.

    Earlier memo versions go first (oldest first) when the system context alone is too big;
    the newest question is always sent.
    """
    budget = window - reserve
    question = estimate_tokens(turns[-1].content) if turns else 0
    versions = list(earlier)
    system = render(versions)
    while versions and estimate_tokens(system) + question > budget:
        versions.pop(0)
        system = render(versions)
    kept = _newest_that_fit(turns, budget - estimate_tokens(system))
    used = estimate_tokens(system) + sum(estimate_tokens(t.content) for t in kept)
    info = {
        "history_trimmed": len(kept) < len(turns) or len(versions) < len(earlier),
        "turns_sent": len(kept),
        "turns_dropped": len(turns) - len(kept),
        "earlier_versions_sent": len(versions),
        "earlier_versions_dropped": len(earlier) - len(versions),
        "context_window_tokens": window,
        "prompt_tokens_estimate": used,
    }
    return Prompt(system, kept, info)


def _newest_that_fit(turns: list[Turn], budget: int) -> list[Turn]:
    """The newest turns within `budget`, starting with a user turn; never fewer than one."""
    kept: list[Turn] = []
    spent = 0
    for turn in reversed(turns):
        cost = estimate_tokens(turn.content)
        if kept and spent + cost > budget:
            break
        kept.insert(0, turn)
        spent += cost
    while len(kept) > 1 and kept[0].role != Role.USER:
        kept.pop(0)
    return kept


def context_window(windows: dict[str, int], model: str) -> int:
    return windows.get(model, DEFAULT_CONTEXT_WINDOW)


def reply_reserve(max_tokens: int, window: int) -> int:
    """Room left for the answer: the token limit, but never more than half the window."""
    return min(max_tokens, window // 2)
