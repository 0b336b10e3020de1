"""Users, sessions and evaluations written with bulk Core inserts: thousands in a blink, at
chosen times, costs, rubric versions and scores (the API would stamp everything "now")."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from memoai.auth.models import User
from memoai.db import utcnow
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.sessions.models import Session

RUBRIC_V1 = "1.0:aaaa"
RUBRIC_V2 = "2.0:bbbb"
CRITERIA_V1 = ("purpose", "evidence", "clarity")
CRITERIA_V2 = ("purpose", "evidence", "brevity")


@dataclass
class Spec:
    """One evaluation to write."""

    owner: tuple[uuid.UUID | None, uuid.UUID]  # (user id, session id)
    at: datetime
    scores: dict[str, int]
    rubric_version: str = RUBRIC_V1
    overall: float | None = None
    opportunities: list[str] = field(default_factory=list)
    cost_usd: float | None = 0.0
    tokens: tuple[int, int, int] = (0, 0, 0)  # prompt, completion, cached
    provider: str = "offline"
    model: str = "rules-v1"
    status: str = Status.COMPLETED
    latency_ms: int = 900


async def add_users(
    conn: AsyncConnection, names: list[str]
) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Users (they cannot sign in: the hash is a placeholder), each with a live session."""
    now = utcnow()
    found: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    users, sessions = [], []
    for name in names:
        user_id, session_id = uuid.uuid4(), uuid.uuid4()
        found[name] = (user_id, session_id)
        users.append({
            "id": user_id, "username": name, "username_key": name.casefold(),
            "display_name": name, "password_hash": "-", "role": "user", "is_active": True,
            "must_change_password": False, "created_at": now, "password_changed_at": now,
        })  # fmt: skip
        sessions.append({
            "id": session_id, "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
            "user_id": user_id, "created_at": now, "last_seen_at": now,
            "expires_at": now + timedelta(hours=1),
        })  # fmt: skip
    if users:
        await conn.execute(insert(User), users)
        await conn.execute(insert(Session), sessions)
    return found


async def add_evaluations(conn: AsyncConnection, specs: list[Spec]) -> list[uuid.UUID]:
    submissions, evaluations = [], []
    for n, spec in enumerate(specs):
        user_id, session_id = spec.owner
        submission_id, evaluation_id = uuid.uuid4(), uuid.uuid4()
        text = f"To: Board\nSubject: Memo {n}\n\nPlease approve item {n}."
        submissions.append({
            "id": submission_id, "session_id": session_id, "user_id": user_id,
            "title": f"Memo {n}", "text_content": text, "text_hash": uuid.uuid4().hex,
            "created_at": spec.at,
        })  # fmt: skip
        scores = [
            {"criterion_id": cid, "name": cid.title(), "score": score, "assessed": True,
             "justification": "seeded", "weight": 1.0}
            for cid, score in spec.scores.items()
        ]  # fmt: skip
        overall = spec.overall
        if overall is None and spec.scores:
            overall = round(sum(spec.scores.values()) / len(spec.scores), 2)
        prompt, completion, cached = spec.tokens
        done = spec.status in (Status.COMPLETED, Status.FAILED)
        evaluations.append({
            "id": evaluation_id, "submission_id": submission_id, "session_id": session_id,
            "user_id": user_id, "status": spec.status, "request_key": uuid.uuid4().hex,
            "overall_score": overall if spec.status == Status.COMPLETED else None,
            "strengths": [], "opportunities": spec.opportunities, "rubric_scores": scores,
            "segment_feedback": [], "metrics": {}, "warnings": [],
            "provider": spec.provider, "model": spec.model, "config_version": "seeded",
            "rubric_version": spec.rubric_version, "scale_min": 1, "scale_max": 5,
            "prompt_tokens": prompt, "completion_tokens": completion, "cached_tokens": cached,
            "cost_usd": spec.cost_usd, "latency_ms": spec.latency_ms if done else None,
            "attempts": 1, "created_at": spec.at, "started_at": spec.at,
            "completed_at": spec.at + timedelta(milliseconds=spec.latency_ms) if done else None,
            "error_code": "LLM_TIMEOUT" if spec.status == Status.FAILED else None,
        })  # fmt: skip
    for start in range(0, len(specs), 2000):
        await conn.execute(insert(Submission), submissions[start : start + 2000])
        await conn.execute(insert(Evaluation), evaluations[start : start + 2000])
    return [e["id"] for e in evaluations]


def random_specs(
    owners: list[tuple[uuid.UUID | None, uuid.UUID]], count: int, *, days: int, seed: int = 3
) -> list[Spec]:
    """`count` evaluations spread over the last `days` days, two rubric versions, priced."""
    rng = random.Random(seed)
    now = utcnow()
    wordings = [f"Quantify item {k}: give the amount." for k in range(12)]
    specs = []
    for n in range(count):
        at = now - timedelta(seconds=rng.randint(0, days * 86400 - 1))
        v2 = at > now - timedelta(days=days / 3)
        criteria = CRITERIA_V2 if v2 else CRITERIA_V1
        specs.append(
            Spec(
                owner=owners[n % len(owners)],
                at=at,
                scores={cid: rng.randint(1, 5) for cid in criteria},
                rubric_version=RUBRIC_V2 if v2 else RUBRIC_V1,
                opportunities=rng.sample(wordings, 3),
                cost_usd=round(rng.uniform(0.001, 0.05), 6),
                tokens=(rng.randint(2000, 6000), rng.randint(300, 1200), rng.randint(0, 2000)),
                provider="claude",
                model="claude-haiku-4-5",
                status=Status.FAILED if n % 50 == 0 else Status.COMPLETED,
            )
        )
    return specs


def by_name(rows: list[dict[str, Any]], key: str = "username") -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}
