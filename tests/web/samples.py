"""Sample API data for rendering the templates without a server."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from memoai.configs.loader import load_active_config
from memoai.web.data import DEFAULT_CLIENT

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

XSS_TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)>'
XSS_MEMO = (
    "To: Board\n<script>alert('memo')</script>\n"
    "We request <b>$2m</b> <img src=x onerror=alert(2)> for the pilot."
)
MEMO = "Subject: Café pilot — “fast” 🚀 rollout\n\nWe ask for €250,000 by 30 June. It was decided."


def segment(memo: str, quote: str, **extra: Any) -> dict[str, Any]:
    """A located comment, with the offsets the API would compute (code points)."""
    start = memo.index(quote)
    comment = {
        "segment": quote,
        "start": start,
        "end": start + len(quote),
        "comment": f"Comment on {quote}",
        "questions": ["Who decided?"],
        "suggestion": "Name the decision maker.",
    }
    comment.update(extra)
    return comment


def evaluation(**overrides: Any) -> dict[str, Any]:
    """A completed evaluation as GET /api/v1/evaluations/{id} returns it."""
    memo = overrides.pop("text_content", MEMO)
    base: dict[str, Any] = {
        "id": "7f1c7d2e-0000-4000-8000-000000000001",
        "submission_id": "7f1c7d2e-0000-4000-8000-000000000002",
        "status": "completed",
        "title": "Pilot funding",
        "text_content": memo,
        "revision_of": None,
        "created_at": "2025-03-03T14:05:00Z",
        "completed_at": "2025-03-03T14:05:01Z",
        "overall_score": 3.4,
        "scale": {"min": 1, "max": 5},
        "strengths": ["States the amount."],
        "opportunities": ["Name who decides."],
        "rubric_scores": [
            {
                "criterion_id": "purpose_and_ask",
                "name": "Purpose and explicit ask",
                "weight": 20.0,
                "score": 4,
                "justification": "The ask is in the first paragraph.",
                "assessed": True,
            },
            {
                "criterion_id": "audience",
                "name": "Audience, clarity and tone",
                "weight": 10.0,
                "score": None,
                "justification": "The offline analysis cannot judge tone.",
                "assessed": False,
            },
        ],
        "segment_feedback": [],
        "metrics": {"words": 17, "sentences": 3, "passive_share": 0.33, "has_headers": True},
        "warnings": [],
        "provenance": {
            "provider": "offline",
            "model": "rules-v1",
            "label": "offline analysis",
            "config_version": "abc",
            "rubric_version": "1.0:abcd",
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cached_tokens": 0,
            "cost_usd": None,
            "latency_ms": 12,
            "attempts": 1,
        },
        "error": None,
        "reused": False,
    }
    if "segment_feedback" not in overrides:
        base["segment_feedback"] = [segment(memo, "It was decided.")]
    base.update(overrides)
    return base


def failed_evaluation(code: str = "LLM_TIMEOUT", retryable: bool = True) -> dict[str, Any]:
    return evaluation(
        status="failed",
        overall_score=None,
        rubric_scores=[],
        segment_feedback=[],
        provenance={**evaluation()["provenance"], "provider": "claude", "label": "Claude (x)"},
        error={
            "code": code,
            "message": "The AI model took too long to answer.",
            "retryable": retryable,
        },
    )


@cache
def config_data() -> dict[str, Any]:
    """The rubric and frameworks as the config endpoints return them (read once)."""
    active = load_active_config(CONFIG_DIR)
    return {
        "rubric": active.rubric.model_dump(mode="json"),
        "frameworks": active.frameworks.model_dump(mode="json"),
    }


def context(**overrides: Any) -> dict[str, Any]:
    """A full page context with sensible defaults."""
    base: dict[str, Any] = {
        "client": copy.deepcopy(DEFAULT_CLIENT) | {"model": "rules-v1", "config_version": "abc"},
        "history": [],
        "history_total": 0,
        "evaluation": None,
        "notices": [],
        "selected_revision": "",
        **config_data(),
    }
    base.update(overrides)
    return base
